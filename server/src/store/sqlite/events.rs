//! [`Events`] in SQLite: the one writer numbers events (the rowid) in the order it commits.

use chrono::{DateTime, Utc};
use rusqlite::types::ValueRef;
use rusqlite::{Row, params};
use uuid::Uuid;

use super::rows::{conversion, time};
use super::{Sqlite, dossier_event, event_row, stamp, uuid};
use crate::store::{About, EventFilter, EventRecord, Events, Published, StoreError, Subject};

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
        self.execute(
            "INSERT INTO events (report_id, dossier_id, ward_code, kind, at, actor, data)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![report, dossier, ward_code, kind, stamp(at), actor, data.to_string()],
        )?;
        let seq = self.0.last_insert_rowid();
        let newest = match subject {
            Subject::Report(_) => "UPDATE reports SET last_seq = ?1 WHERE id = ?2",
            Subject::Dossier(_) => "UPDATE dossiers SET last_seq = ?1 WHERE id = ?2",
        };
        self.execute(newest, params![seq, report.or(dossier)])?;
        Ok(seq as u64)
    }

    fn newest_event(&mut self) -> Result<u64, StoreError> {
        Ok(self.query_row("SELECT COALESCE(MAX(seq), 0) FROM events", [], |row| row.get::<_, i64>(0))? as u64)
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

    fn published_after(
        &mut self,
        (after, until): (u64, u64),
        filter: &EventFilter,
        limit: u32,
    ) -> Result<Vec<Published>, StoreError> {
        let (condition, key) = match filter {
            EventFilter::All => ("?3 IS NULL", None),
            EventFilter::Device(id) => (
                "e.report_id IN (SELECT id FROM reports WHERE device_id = ?3)
                 OR e.report_id IN (SELECT report_id FROM followers WHERE device_id = ?3)
                 OR e.dossier_id IN (SELECT dossier_id FROM dossier_trackers WHERE device_id = ?3)",
                Some(id.to_string()),
            ),
            EventFilter::Ward(code) => (
                "e.ward_code = ?3 OR (e.kind = 'transferred' AND json_extract(e.data, '$.from_ward') = ?3)",
                Some(code.clone()),
            ),
            EventFilter::Report(id) => ("e.report_id = ?3", Some(id.to_string())),
        };
        let mut query = self.0.prepare_cached(&format!(
            "SELECT e.seq, COALESCE(e.report_id, e.dossier_id), e.ward_code, e.at, e.data, e.actor, r.device_id, d.code
             FROM events e LEFT JOIN reports r ON r.id = e.report_id LEFT JOIN dossiers d ON d.id = e.dossier_id
             WHERE e.seq > ?1 AND e.seq <= ?2 AND ({condition}) ORDER BY e.seq LIMIT ?4"
        ))?;
        let until = i64::try_from(until).unwrap_or(i64::MAX);
        let rows = query.query_map(params![after as i64, until, key, limit], published)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn followed_and_tracked(&mut self, device: Uuid, seq: u64) -> Result<(Vec<Uuid>, Vec<Uuid>), StoreError> {
        let actor = format!("device:{device}");
        let of_kind = |kind: &str, column: &str| -> Result<Vec<Uuid>, StoreError> {
            let mut query = self.0.prepare_cached(&format!(
                "SELECT {column} FROM events WHERE kind = ?1 AND actor = ?2 AND seq <= ?3"
            ))?;
            let ids = query.query_map(params![kind, actor, seq as i64], |row| uuid(row, 0))?;
            Ok(ids.collect::<Result<_, _>>()?)
        };
        Ok((of_kind("followed", "report_id")?, of_kind("tracked", "dossier_id")?))
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

/// A row of `published_after`: a report's event when it has a reporter, else a dossier's.
fn published(row: &Row) -> rusqlite::Result<Published> {
    let about = match row.get_ref(6)? {
        ValueRef::Null => About::Dossier(dossier_event(row, 7)?),
        _ => About::Report { event: event_row(row)?, reporter: uuid(row, 6)? },
    };
    Ok(Published { about, actor: row.get(5)? })
}
