//! The city dashboard and the public transparency figures: the facts are read from the
//! database in three queries, and [`figures`] does the arithmetic. The desks' dossiers have
//! figures of their own, in [`dossiers`].

pub mod dossiers;
mod figures;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use phananh_shared::api::WardRef;
use phananh_shared::dashboard::{Dashboard, PublicWardFigures, Transparency};
use phananh_shared::report::Reference;
use phananh_shared::sla::WorkCalendar;
use phananh_shared::status::Status;
use rusqlite::{Connection, params};
use uuid::Uuid;

pub use figures::Period;
use figures::{ReportFacts, Step, compute};

use crate::http::error::ApiError;
use crate::reports::rows::{parsed, time, uuid};
use crate::store::{Store, StoreError, stamp};

/// The dashboard of `wards` (every ward for the city, or one) over `period`.
pub async fn dashboard(
    store: &Store,
    wards: Vec<WardRef>,
    one_ward: bool,
    period: Period,
) -> Result<Dashboard, ApiError> {
    let ward = one_ward.then(|| wards[0].code.clone());
    store
        .read(move |conn| {
            let facts = load(conn, ward.as_deref(), period)?;
            let (total, wards, overdue, days) = compute(&facts, &wards, period, WorkCalendar::vietnam());
            Ok::<_, ApiError>(Dashboard {
                from: period.from,
                to: period.to,
                now: period.now,
                total,
                wards,
                overdue,
                days,
            })
        })
        .await
}

/// What the public sees of every ward over `period`.
pub async fn transparency(
    store: &Store,
    wards: Vec<WardRef>,
    period: Period,
) -> Result<Transparency, ApiError> {
    let dashboard = dashboard(store, wards, false, period).await?;
    Ok(Transparency {
        from: period.from,
        to: period.to,
        wards: dashboard.wards.iter().map(PublicWardFigures::of).collect(),
    })
}

/// The reports that count for `period` (received in or before it, and changed in or after
/// it) and those open now, of `ward` or every ward: a report whose last change came before
/// the period and that is not open has nothing to add.
const COUNTED: &str = "FROM reports r JOIN events last ON last.seq = r.last_seq
    WHERE (?1 IS NULL OR r.ward_code = ?1)
      AND ((r.received_at < ?3 AND last.at >= ?2)
           OR r.status IN ('submitted', 'acknowledged', 'in_progress', 'reopened'))";

fn load(conn: &Connection, ward: Option<&str>, period: Period) -> Result<Vec<ReportFacts>, StoreError> {
    let (start, end) = period.instants();
    let bounds = params![ward, stamp(start), stamp(end)];

    let mut steps: HashMap<Uuid, Vec<(DateTime<Utc>, Step)>> = HashMap::new();
    let sql = format!(
        "SELECT e.report_id, e.kind, e.at, json_extract(e.data, '$.status') {COUNTED_EVENTS} ORDER BY e.seq",
        COUNTED_EVENTS = COUNTED.replacen("WHERE", "JOIN events e ON e.report_id = r.id WHERE", 1)
    );
    let mut query = conn.prepare(&sql)?;
    let mut rows = query.query(bounds)?;
    while let Some(row) = rows.next()? {
        let kind: String = row.get(1)?;
        let reopened = row.get::<_, Option<String>>(3)?.as_deref() == Some(Status::Reopened.code());
        let step = match kind.as_str() {
            "acknowledged" => Step::Acknowledged,
            "resolved" => Step::Resolved,
            "rejected" | "marked_duplicate" => Step::Dismissed,
            "transferred" => Step::Transferred,
            "cancelled" => Step::Cancelled,
            "rated" if reopened => Step::Reopened,
            _ => continue,
        };
        steps.entry(uuid(row, 0)?).or_default().push((time(row, 2)?, step));
    }

    let mut stars: HashMap<Uuid, Vec<u8>> = HashMap::new();
    let mut query = conn.prepare(&format!(
        "SELECT g.report_id, g.stars {}",
        COUNTED.replacen("WHERE", "JOIN ratings g ON g.report_id = r.id WHERE", 1)
    ))?;
    let mut rows = query.query(bounds)?;
    while let Some(row) = rows.next()? {
        stars.entry(uuid(row, 0)?).or_default().push(row.get(1)?);
    }

    let mut query = conn.prepare(&format!(
        "SELECT r.id, r.ward_code, r.status, r.received_at, r.deadline_ack, r.deadline_handle, r.number {COUNTED}"
    ))?;
    let facts = query.query_map(bounds, |row| {
        let id = uuid(row, 0)?;
        Ok(ReportFacts {
            id,
            reference: row.get::<_, Option<i64>>(6)?.map(|number| Reference(number as u64)),
            ward: row.get(1)?,
            status: parsed(row, 2)?,
            received_at: time(row, 3)?,
            deadline_ack: time(row, 4)?,
            deadline_handle: time(row, 5)?,
            steps: steps.remove(&id).unwrap_or_default(),
            stars: stars.remove(&id).unwrap_or_default(),
        })
    })?;
    Ok(facts.collect::<Result<_, _>>()?)
}
