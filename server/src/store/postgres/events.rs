//! [`Events`] in PostgreSQL: numbered from the one row of `event_counter`, whose lock the
//! change already holds (see the schema for why that is gap-free and in commit order).

use chrono::{DateTime, Utc};
use tokio_postgres::Row;

use super::Pg;
use crate::store::{EventRecord, Events, StoreError, Subject};

/// The channel every node listens on: each committed event's number is said on it.
pub const EVENTS_CHANNEL: &str = "phananh_events";

impl Events for Pg<'_, '_> {
    fn append_event(
        &mut self,
        subject: Subject,
        ward_code: &str,
        at: DateTime<Utc>,
        actor: &str,
        data: &serde_json::Value,
    ) -> Result<u64, StoreError> {
        let kind = data["kind"].as_str().unwrap_or_default();
        let (report, dossier, newest) = match subject {
            Subject::Report(id) => (Some(id), None, "UPDATE reports SET last_seq = $1 WHERE id = $2"),
            Subject::Dossier(id) => (None, Some(id), "UPDATE dossiers SET last_seq = $1 WHERE id = $2"),
        };
        let seq: i64 = self
            .rows(
                "WITH next AS (UPDATE event_counter SET last = last + 1 RETURNING last)
                 INSERT INTO events (seq, report_id, dossier_id, ward_code, kind, at, actor, data)
                 SELECT last, $1, $2, $3, $4, $5, $6, $7 FROM next RETURNING seq",
                &[&report, &dossier, &ward_code, &kind, &at, &actor, data],
            )?
            .first()
            .expect("the counter has its row")
            .get(0);
        self.execute(newest, &[&seq, &report.or(dossier)])?;
        // Delivered to the listeners only when the change commits, and not at all if it
        // rolls back; a listener that misses it finds the event in the table all the same.
        self.execute("SELECT pg_notify($1, $2)", &[&EVENTS_CHANNEL, &seq.to_string()])?;
        Ok(seq as u64)
    }

    fn newest_event(&mut self) -> Result<u64, StoreError> {
        let row = self.rows("SELECT last FROM event_counter", &[])?;
        Ok(row.first().map_or(0, |row| row.get::<_, i64>(0)) as u64)
    }

    fn events_after(&mut self, after: u64, limit: usize) -> Result<Vec<EventRecord>, StoreError> {
        let rows = self.rows(
            "SELECT seq, report_id, dossier_id, ward_code, kind, at, actor, data FROM events
             WHERE seq > $1 ORDER BY seq LIMIT $2",
            &[&(after as i64), &i64::try_from(limit).unwrap_or(i64::MAX)],
        )?;
        Ok(rows.iter().map(record).collect())
    }
}

fn record(row: &Row) -> EventRecord {
    let subject = match row.get(1) {
        Some(report) => Subject::Report(report),
        None => Subject::Dossier(row.get(2)),
    };
    EventRecord {
        seq: row.get::<_, i64>(0) as u64,
        subject,
        ward_code: row.get(3),
        kind: row.get(4),
        at: row.get(5),
        actor: row.get(6),
        data: row.get(7),
    }
}
