//! [`Events`] in SQLite: the one writer numbers events (the rowid) in the order it commits.

use chrono::{DateTime, Utc};
use rusqlite::{Row, params};

use super::{Sqlite, stamp, uuid};
use crate::reports::rows::{conversion, time};
use crate::store::{EventRecord, Events, StoreError, Subject};

impl Events for Sqlite<'_> {
    fn append_event(
        &mut self,
        subject: Subject,
        ward_code: &str,
        at: DateTime<Utc>,
        actor: &str,
        data: &serde_json::Value,
    ) -> Result<u64, StoreError> {
        let kind = data["kind"].as_str().unwrap_or_default();
        let (report, dossier) = match subject {
            Subject::Report(id) => (Some(id.to_string()), None),
            Subject::Dossier(id) => (None, Some(id.to_string())),
        };
        self.0.execute(
            "INSERT INTO events (report_id, dossier_id, ward_code, kind, at, actor, data)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![report, dossier, ward_code, kind, stamp(at), actor, data.to_string()],
        )?;
        let seq = self.0.last_insert_rowid();
        let newest = match subject {
            Subject::Report(_) => "UPDATE reports SET last_seq = ?1 WHERE id = ?2",
            Subject::Dossier(_) => "UPDATE dossiers SET last_seq = ?1 WHERE id = ?2",
        };
        self.0.execute(newest, params![seq, report.or(dossier)])?;
        Ok(seq as u64)
    }

    fn newest_event(&mut self) -> Result<u64, StoreError> {
        Ok(self.0.query_row("SELECT COALESCE(MAX(seq), 0) FROM events", [], |row| row.get::<_, i64>(0))?
            as u64)
    }

    fn events_after(&mut self, after: u64, limit: usize) -> Result<Vec<EventRecord>, StoreError> {
        let mut query = self.0.prepare_cached(
            "SELECT seq, report_id, dossier_id, ward_code, kind, at, actor, data FROM events
             WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows =
            query.query_map(params![after as i64, i64::try_from(limit).unwrap_or(i64::MAX)], record)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

fn record(row: &Row) -> rusqlite::Result<EventRecord> {
    let subject = match row.get_ref(1)? {
        rusqlite::types::ValueRef::Null => Subject::Dossier(uuid(row, 2)?),
        _ => Subject::Report(uuid(row, 1)?),
    };
    let data: String = row.get(7)?;
    Ok(EventRecord {
        seq: row.get::<_, i64>(0)? as u64,
        subject,
        ward_code: row.get(3)?,
        kind: row.get(4)?,
        at: time(row, 5)?,
        actor: row.get(6)?,
        data: serde_json::from_str(&data).map_err(|error| conversion(7, error))?,
    })
}
