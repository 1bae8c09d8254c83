//! [`DashboardFacts`] in PostgreSQL.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use phananh_shared::report::Reference;
use uuid::Uuid;

use super::dossiers::status;
use super::{Params, Pg, named};
use crate::store::{CountedEvent, CountedReport, DashboardFacts, DossierFacts, StoreError};

/// The reports that count (see [`DashboardFacts::counted_reports`]), with `$1` the ward or
/// NULL, `$2` and `$3` the period's ends.
const COUNTED: &str = "FROM reports r JOIN events last ON last.seq = r.last_seq
    WHERE ($1::text IS NULL OR r.ward_code = $1)
      AND ((r.received_at <= $3 AND last.at >= $2)
           OR r.status IN ('submitted', 'acknowledged', 'in_progress', 'reopened'))";

impl DashboardFacts for Pg<'_, '_> {
    fn counted_reports(
        &mut self,
        ward: Option<&str>,
        (start, end): (DateTime<Utc>, DateTime<Utc>),
    ) -> Result<Vec<CountedReport>, StoreError> {
        self.facts(COUNTED, &[&ward, &start, &end])
    }

    fn counted_dossiers(
        &mut self,
        ward: Option<&str>,
        (start, end): (DateTime<Utc>, DateTime<Utc>),
    ) -> Result<Vec<DossierFacts>, StoreError> {
        let rows = self.rows(
            "SELECT code, procedure, ward_code, status, received_at, due_at, paused_at, finished_at FROM dossiers
             WHERE ($1::text IS NULL OR ward_code = $1)
               AND ((received_at >= $2 AND received_at < $3) OR finished_at IS NULL)",
            &[&ward, &start, &end],
        )?;
        rows.iter()
            .map(|row| {
                Ok(DossierFacts {
                    code: row.get(0),
                    procedure: row.get(1),
                    ward: row.get(2),
                    status: status(row.get(3))?,
                    received_at: row.get(4),
                    due_at: row.get(5),
                    paused_at: row.get(6),
                    finished_at: row.get(7),
                })
            })
            .collect()
    }
}

impl Pg<'_, '_> {
    /// The reports `from_where` (a FROM clause with `r` the report, and its WHERE) picks,
    /// with their events and ratings.
    pub(super) fn facts(
        &mut self,
        from_where: &str,
        bounds: Params,
    ) -> Result<Vec<CountedReport>, StoreError> {
        let mut events: HashMap<Uuid, Vec<CountedEvent>> = HashMap::new();
        let sql = format!(
            "SELECT e.report_id, e.kind, e.at, e.data->>'status' {} ORDER BY e.seq",
            from_where.replacen("WHERE", "JOIN events e ON e.report_id = r.id WHERE", 1)
        );
        for row in self.rows(&sql, bounds)? {
            let event = CountedEvent { kind: row.get(1), at: row.get(2), status: row.get(3) };
            events.entry(row.get(0)).or_default().push(event);
        }

        let mut stars: HashMap<Uuid, Vec<u8>> = HashMap::new();
        let sql = format!(
            "SELECT g.report_id, g.stars {}",
            from_where.replacen("WHERE", "JOIN ratings g ON g.report_id = r.id WHERE", 1)
        );
        for row in self.rows(&sql, bounds)? {
            let given =
                u8::try_from(row.get::<_, i32>(1)).map_err(|_| StoreError::Unreadable("a rating".into()))?;
            stars.entry(row.get(0)).or_default().push(given);
        }

        let sql = format!(
            "SELECT r.id, r.ward_code, r.status, r.received_at, r.deadline_ack, r.deadline_handle, r.number {from_where}"
        );
        self.rows(&sql, bounds)?
            .iter()
            .map(|row| {
                let id = row.get(0);
                Ok(CountedReport {
                    id,
                    reference: Some(Reference(row.get::<_, i64>(6) as u64)),
                    ward: row.get(1),
                    status: named(row.get(2))?,
                    received_at: row.get(3),
                    deadline_ack: row.get(4),
                    deadline_handle: row.get(5),
                    events: events.remove(&id).unwrap_or_default(),
                    stars: stars.remove(&id).unwrap_or_default(),
                })
            })
            .collect()
    }
}
