//! [`DashboardFacts`] in SQLite.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use phananh_shared::report::Reference;
use rusqlite::{Params, Row, params};
use uuid::Uuid;

use super::rows::{parsed, time};
use super::{Sqlite, optional_time, stamp, uuid};
use crate::store::{CountedEvent, CountedReport, DashboardFacts, DossierFacts, StoreError};

/// The reports that count (see [`DashboardFacts::counted_reports`]), with `?1` the ward or
/// NULL, `?2` and `?3` the period's ends.
const COUNTED: &str = "FROM reports r JOIN events last ON last.seq = r.last_seq
    WHERE (?1 IS NULL OR r.ward_code = ?1)
      AND ((r.received_at <= ?3 AND last.at >= ?2)
           OR r.status IN ('submitted', 'acknowledged', 'in_progress', 'reopened'))";

impl DashboardFacts for Sqlite<'_> {
    fn counted_reports(
        &mut self,
        ward: Option<&str>,
        (start, end): (DateTime<Utc>, DateTime<Utc>),
    ) -> Result<Vec<CountedReport>, StoreError> {
        self.facts(COUNTED, params![ward, stamp(start), stamp(end)])
    }

    fn counted_dossiers(
        &mut self,
        ward: Option<&str>,
        (start, end): (DateTime<Utc>, DateTime<Utc>),
    ) -> Result<Vec<DossierFacts>, StoreError> {
        let mut query = self.0.prepare_cached(
            "SELECT code, procedure, ward_code, status, received_at, due_at, paused_at, finished_at FROM dossiers
             WHERE (?1 IS NULL OR ward_code = ?1)
               AND ((received_at >= ?2 AND received_at < ?3) OR finished_at IS NULL)",
        )?;
        let rows = query.query_map(params![ward, stamp(start), stamp(end)], dossier_facts)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

impl Sqlite<'_> {
    /// The reports `from_where` (a FROM clause with `r` the report, and its WHERE) picks,
    /// with their events and ratings.
    pub(super) fn facts(
        &mut self,
        from_where: &str,
        bounds: impl Params + Copy,
    ) -> Result<Vec<CountedReport>, StoreError> {
        let mut events: HashMap<Uuid, Vec<CountedEvent>> = HashMap::new();
        let mut query = self.0.prepare_cached(&format!(
            "SELECT e.report_id, e.kind, e.at, json_extract(e.data, '$.status') {} ORDER BY e.seq",
            from_where.replacen("WHERE", "JOIN events e ON e.report_id = r.id WHERE", 1)
        ))?;
        let mut rows = query.query(bounds)?;
        while let Some(row) = rows.next()? {
            let event = CountedEvent { kind: row.get(1)?, at: time(row, 2)?, status: row.get(3)? };
            events.entry(uuid(row, 0)?).or_default().push(event);
        }

        let mut stars: HashMap<Uuid, Vec<u8>> = HashMap::new();
        let mut query = self.0.prepare_cached(&format!(
            "SELECT g.report_id, g.stars {}",
            from_where.replacen("WHERE", "JOIN ratings g ON g.report_id = r.id WHERE", 1)
        ))?;
        let mut rows = query.query(bounds)?;
        while let Some(row) = rows.next()? {
            stars.entry(uuid(row, 0)?).or_default().push(row.get(1)?);
        }

        let mut query = self.0.prepare_cached(&format!(
            "SELECT r.id, r.ward_code, r.status, r.received_at, r.deadline_ack, r.deadline_handle, r.number {from_where}"
        ))?;
        let reports = query.query_map(bounds, |row| {
            let id = uuid(row, 0)?;
            Ok(CountedReport {
                id,
                reference: row.get::<_, Option<i64>>(6)?.map(|number| Reference(number as u64)),
                ward: row.get(1)?,
                status: parsed(row, 2)?,
                received_at: time(row, 3)?,
                deadline_ack: time(row, 4)?,
                deadline_handle: time(row, 5)?,
                events: events.remove(&id).unwrap_or_default(),
                stars: stars.remove(&id).unwrap_or_default(),
            })
        })?;
        Ok(reports.collect::<Result<_, _>>()?)
    }
}

fn dossier_facts(row: &Row) -> rusqlite::Result<DossierFacts> {
    Ok(DossierFacts {
        code: row.get(0)?,
        procedure: row.get(1)?,
        ward: row.get(2)?,
        status: super::dossier_status(row, 3)?,
        received_at: time(row, 4)?,
        due_at: time(row, 5)?,
        paused_at: optional_time(row, 6)?,
        finished_at: optional_time(row, 7)?,
    })
}
