//! [`Events`] in PostgreSQL: numbered from the one row of `event_counter`, whose lock the
//! change already holds (see the schema for why that is gap-free and in commit order).

use chrono::{DateTime, Utc};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use super::Pg;
use super::dossiers::dossier_event;
use super::reports::event;
use crate::store::{About, EventFilter, EventRecord, Events, Published, StoreError, Subject};

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

    fn published_after(
        &mut self,
        (after, until): (u64, u64),
        filter: &EventFilter,
        limit: u32,
    ) -> Result<Vec<Published>, StoreError> {
        let (condition, key): (&str, Box<dyn ToSql + Sync>) = match filter {
            EventFilter::All => ("$3::text IS NULL", Box::new(None::<String>)),
            EventFilter::Device(id) => (
                "e.report_id IN (SELECT id FROM reports WHERE device_id = $3)
                 OR e.report_id IN (SELECT report_id FROM followers WHERE device_id = $3)
                 OR e.dossier_id IN (SELECT dossier_id FROM dossier_trackers WHERE device_id = $3)",
                Box::new(*id),
            ),
            EventFilter::Ward(code) => (
                "e.ward_code = $3 OR (e.kind = 'transferred' AND e.data->>'from_ward' = $3)",
                Box::new(code.clone()),
            ),
            EventFilter::Report(id) => ("e.report_id = $3", Box::new(*id)),
        };
        let until = i64::try_from(until).unwrap_or(i64::MAX);
        let rows = self.rows(
            &format!(
                "SELECT e.seq, COALESCE(e.report_id, e.dossier_id), e.ward_code, e.at, e.data, e.actor,
                    r.device_id, d.code
                 FROM events e LEFT JOIN reports r ON r.id = e.report_id LEFT JOIN dossiers d ON d.id = e.dossier_id
                 WHERE e.seq > $1 AND e.seq <= $2 AND ({condition}) ORDER BY e.seq LIMIT $4"
            ),
            &[&(after as i64), &until, key.as_ref(), &i64::from(limit)],
        )?;
        rows.iter().map(published).collect()
    }

    fn followed_and_tracked(&mut self, device: Uuid, seq: u64) -> Result<(Vec<Uuid>, Vec<Uuid>), StoreError> {
        let actor = format!("device:{device}");
        let rows = self.rows(
            "SELECT report_id, dossier_id FROM events
             WHERE kind IN ('followed', 'tracked') AND actor = $1 AND seq <= $2 ORDER BY seq",
            &[&actor, &(seq as i64)],
        )?;
        let (mut followed, mut tracked) = (Vec::new(), Vec::new());
        for row in rows {
            match (row.get::<_, Option<Uuid>>(0), row.get::<_, Option<Uuid>>(1)) {
                (Some(report), _) => followed.push(report),
                (None, Some(dossier)) => tracked.push(dossier),
                (None, None) => unreachable!("an event is about a report or a dossier"),
            }
        }
        Ok((followed, tracked))
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

/// A row of `published_after`: a report's event when it has a reporter, else a dossier's.
fn published(row: &Row) -> Result<Published, StoreError> {
    let about = match row.get::<_, Option<Uuid>>(6) {
        Some(reporter) => About::Report { event: event(row)?, reporter },
        None => About::Dossier(dossier_event(row, row.get(7))?),
    };
    Ok(Published { about, actor: row.get(5) })
}
