//! The device's own database: the outbox of operations not yet answered, the reports the
//! resident filed or follows as the server last showed them, refused operations with their
//! reason, and the sync cursor. SQLite in WAL mode; every change is one transaction, so a
//! crash at any point leaves either the state before it or the state after it.

use std::path::Path;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use crate::api::{Event, ReportView, WardRef};
use crate::dossier::{DossierEvent, DossierView};
use crate::sync::{Operation, OperationKind, Outcome, QueuedReport};

use super::{ClientError, LocalReport, Refusal};

/// Keys of the `meta` table: the device's identity, the pull cursor, the last sync.
pub const DEVICE_ID: &str = "device_id";
pub const TOKEN: &str = "token";
pub const CURSOR: &str = "cursor";
pub const LAST_SYNCED: &str = "last_synced";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- Operations waiting for the server's answer, in the order the resident made them.
-- `report_id` is what the operation is about: a report's id, or `dossier:<code>`.
CREATE TABLE IF NOT EXISTS outbox (
    position  INTEGER PRIMARY KEY AUTOINCREMENT,
    id        TEXT NOT NULL UNIQUE,
    report_id TEXT NOT NULL,
    operation TEXT NOT NULL          -- JSON, as pushed
);
-- Each report's queued and refused operations, counted for every report listed.
CREATE INDEX IF NOT EXISTS outbox_report ON outbox (report_id);
-- The resident's reports and those they follow: the server's view once it has answered,
-- else what the device knows (the ward from its offline index).
CREATE TABLE IF NOT EXISTS reports (
    id          TEXT PRIMARY KEY,
    filed_at    TEXT NOT NULL,
    local_ward  TEXT,                -- JSON WardRef, from the offline index
    view        TEXT                 -- JSON ReportView, from the server
);
-- Photos taken with a report, kept until the server has them; `server_id` is the id the
-- upload got ('' for a photo the server refused).
CREATE TABLE IF NOT EXISTS photos (
    report_id TEXT NOT NULL,
    position  INTEGER NOT NULL,
    bytes     BLOB NOT NULL,
    server_id TEXT,
    PRIMARY KEY (report_id, position)
);
-- Operations the server refused: kept, with the reason, until the resident dismisses them.
CREATE TABLE IF NOT EXISTS refused (
    id        TEXT PRIMARY KEY,
    report_id TEXT NOT NULL,
    operation TEXT NOT NULL,
    code      TEXT NOT NULL,
    message   TEXT NOT NULL,
    field     TEXT
);
CREATE INDEX IF NOT EXISTS refused_report ON refused (report_id);
-- The public timeline of each report the device knows, as the server last gave it: what the
-- resident reads about a report while offline.
CREATE TABLE IF NOT EXISTS timelines (
    report_id TEXT PRIMARY KEY,
    events    TEXT NOT NULL          -- JSON [Event]
);
-- The dossiers the resident tracks, as the server showed them and as the events pulled
-- since have moved them: read offline, history and due date included.
CREATE TABLE IF NOT EXISTS dossiers (
    id        TEXT PRIMARY KEY,
    tracked_at TEXT NOT NULL,
    view      TEXT NOT NULL          -- JSON DossierView
);
";

/// The device's database.
pub struct Local {
    conn: Connection,
}

impl Local {
    pub fn open(path: &Path) -> Result<Local, ClientError> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // Every transaction that returns is on disk: the resident was told "saved".
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(SCHEMA)?;
        Ok(Local { conn })
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>, ClientError> {
        Ok(self.conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional()?)
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), ClientError> {
        self.conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)", params![key, value])?;
        Ok(())
    }

    /// Queues `operation`; for a new report, also caches it with its offline ward. One
    /// transaction: either both are saved or neither.
    pub fn queue(
        &mut self,
        operation: &Operation,
        new_report: Option<(Uuid, Option<&WardRef>)>,
        photos: &[Vec<u8>],
        now: DateTime<Utc>,
    ) -> Result<(), ClientError> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO outbox (id, report_id, operation) VALUES (?1, ?2, ?3)",
            params![
                operation.id.to_string(),
                operation.change.subject(),
                serde_json::to_string(operation).expect("an operation serialises")
            ],
        )?;
        for (position, bytes) in photos.iter().enumerate() {
            tx.execute(
                "INSERT INTO photos (report_id, position, bytes) VALUES (?1, ?2, ?3)",
                params![operation.change.subject(), position as i64, bytes],
            )?;
        }
        if let Some((id, ward)) = new_report {
            tx.execute(
                "INSERT OR IGNORE INTO reports (id, filed_at, local_ward) VALUES (?1, ?2, ?3)",
                params![
                    id.to_string(),
                    now.to_rfc3339(),
                    ward.map(|w| serde_json::to_string(w).expect("serialises"))
                ],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The photos of report `id` not yet uploaded, with their positions.
    pub fn pending_photos(&self, id: Uuid) -> Result<Vec<(i64, Vec<u8>)>, ClientError> {
        let mut query = self.conn.prepare(
            "SELECT position, bytes FROM photos WHERE report_id = ?1 AND server_id IS NULL ORDER BY position",
        )?;
        let rows = query.query_map([id.to_string()], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records what became of a photo's upload: the server's id, or its refusal (kept with
    /// the report's other refusals, under the operation's id and the photo's position).
    pub fn photo_sent(
        &mut self,
        operation: &Operation,
        position: i64,
        sent: Result<Uuid, Refusal>,
    ) -> Result<(), ClientError> {
        let report = operation.change.subject();
        let tx = self.conn.transaction()?;
        let server_id = sent.as_ref().map_or(String::new(), Uuid::to_string);
        tx.execute(
            "UPDATE photos SET server_id = ?1 WHERE report_id = ?2 AND position = ?3",
            params![server_id, report, position],
        )?;
        if let Err(refusal) = sent {
            tx.execute(
                "INSERT OR REPLACE INTO refused (id, report_id, operation, code, message, field)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    format!("{}/photo{position}", operation.id),
                    report,
                    serde_json::to_string(operation).expect("an operation serialises"),
                    refusal.code,
                    refusal.message,
                    format!("photos[{position}]")
                ],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The server's ids of report `id`'s uploaded photos, in order.
    pub fn uploaded_photos(&self, id: Uuid) -> Result<Vec<Uuid>, ClientError> {
        let mut query = self.conn.prepare(
            "SELECT server_id FROM photos WHERE report_id = ?1 AND server_id <> '' ORDER BY position",
        )?;
        let rows = query.query_map([id.to_string()], |row| row.get::<_, String>(0))?;
        rows.map(|id| Uuid::parse_str(&id?).map_err(|e| ClientError::Corrupt(e.to_string()))).collect()
    }

    /// Replaces a queued operation (a report whose photos now have the server's ids). Done
    /// before the operation is first pushed, so every push of it is the same.
    pub fn rewrite(&self, operation: &Operation) -> Result<(), ClientError> {
        self.conn.execute(
            "UPDATE outbox SET operation = ?1 WHERE id = ?2",
            params![
                serde_json::to_string(operation).expect("an operation serialises"),
                operation.id.to_string()
            ],
        )?;
        Ok(())
    }

    /// Up to `limit` queued operations, oldest first.
    pub fn outbox(&self, limit: usize) -> Result<Vec<Operation>, ClientError> {
        let mut query = self.conn.prepare("SELECT operation FROM outbox ORDER BY position LIMIT ?1")?;
        let rows = query.query_map([limit as i64], |row| row.get::<_, String>(0))?;
        rows.map(|text| Ok(serde_json::from_str(&text?)?)).collect()
    }

    pub fn waiting(&self) -> Result<u64, ClientError> {
        Ok(self.conn.query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get::<_, i64>(0))? as u64)
    }

    /// Stores the server's answer to `operation` and only then takes it out of the outbox,
    /// in one transaction.
    pub fn answered(&mut self, operation: &Operation, outcome: &Outcome) -> Result<(), ClientError> {
        let tx = self.conn.transaction()?;
        match outcome {
            Outcome::Accepted { report } => store_view(&tx, report)?,
            Outcome::Tracked { dossier } => store_dossier(&tx, dossier)?,
            Outcome::Refused { code, message, field } => {
                tx.execute(
                    "INSERT OR REPLACE INTO refused (id, report_id, operation, code, message, field)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        operation.id.to_string(),
                        operation.change.subject(),
                        serde_json::to_string(operation).expect("an operation serialises"),
                        code,
                        message,
                        field
                    ],
                )?;
            }
        }
        tx.execute("DELETE FROM outbox WHERE id = ?1", [operation.id.to_string()])?;
        tx.commit()?;
        Ok(())
    }

    /// The sequence number of the cached view of report `id`, if there is one.
    pub fn view_seq(&self, id: Uuid) -> Result<Option<u64>, ClientError> {
        let seq: Option<Option<i64>> = self
            .conn
            .query_row(
                "SELECT json_extract(view, '$.seq') FROM reports WHERE id = ?1",
                [id.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        Ok(seq.flatten().map(|seq| seq as u64))
    }

    /// Caches the server's view of a report (after a pull).
    pub fn store_view(&self, view: &ReportView) -> Result<(), ClientError> {
        store_view(&self.conn, view)
    }

    /// Sets several `meta` keys in one transaction: all of them or none.
    pub fn set_metas(&mut self, meta: &[(&str, &str)]) -> Result<(), ClientError> {
        let tx = self.conn.transaction()?;
        for (key, value) in meta {
            tx.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)", params![key, value])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Forgets the identity whose token is `token` (it moved to another device with a transfer
    /// code), with its id and cursor and what it knew: the reports, timelines, refusals and
    /// dossiers that are not about something still queued here. What is queued stays, to be
    /// sent as the new device this one registers as next. Nothing changes if the device holds
    /// another token by now. One transaction.
    pub fn forget_identity(&mut self, token: &str) -> Result<(), ClientError> {
        let tx = self.conn.transaction()?;
        let held: Option<String> =
            tx.query_row("SELECT value FROM meta WHERE key = ?1", [TOKEN], |r| r.get(0)).optional()?;
        if held.as_deref() != Some(token) {
            return Ok(());
        }
        for key in [DEVICE_ID, TOKEN, CURSOR] {
            tx.execute("DELETE FROM meta WHERE key = ?1", [key])?;
        }
        for table in ["reports WHERE id", "timelines WHERE report_id", "refused WHERE report_id"] {
            tx.execute(&format!("DELETE FROM {table} NOT IN (SELECT report_id FROM outbox)"), [])?;
        }
        tx.execute("DELETE FROM dossiers", [])?;
        tx.commit()?;
        Ok(())
    }

    /// Caches a tracked dossier's view (unless a newer one is there already).
    pub fn store_dossier(&self, view: &DossierView) -> Result<(), ClientError> {
        store_dossier(&self.conn, view)
    }

    /// The reports this device knows of, newest first.
    pub fn reports(&self) -> Result<Vec<LocalReport>, ClientError> {
        self.reports_where("", [])
    }

    /// Report `id`, if this device knows it.
    pub fn report(&self, id: Uuid) -> Result<Option<LocalReport>, ClientError> {
        Ok(self.reports_where("WHERE r.id = ?1", [id.to_string()])?.pop())
    }

    fn reports_where(
        &self,
        filter: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<LocalReport>, ClientError> {
        let mut query = self.conn.prepare_cached(&format!(
            "SELECT r.id, r.local_ward, r.view,
                    (SELECT COUNT(*) FROM outbox o WHERE o.report_id = r.id),
                    (SELECT json_object('code', f.code, 'message', f.message, 'field', f.field)
                       FROM refused f WHERE f.report_id = r.id ORDER BY f.rowid DESC LIMIT 1)
             FROM reports r {filter} ORDER BY r.filed_at DESC, r.id DESC"
        ))?;
        let rows = query.query_map(params, |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, Option<String>>(1)?,
                row.get::<_, Option<String>>(2)?,
                row.get::<_, i64>(3)?,
                row.get::<_, Option<String>>(4)?,
            ))
        })?;
        rows.map(|row| {
            let (id, ward, view, queued, refusal) = row?;
            Ok(LocalReport {
                id: Uuid::parse_str(&id).map_err(|e| ClientError::Corrupt(e.to_string()))?,
                local_ward: ward.map(|w| serde_json::from_str(&w)).transpose()?,
                view: view.map(|v| serde_json::from_str(&v)).transpose()?,
                waiting: queued > 0,
                refusal: refusal.map(|r| serde_json::from_str::<Refusal>(&r)).transpose()?,
            })
        })
        .collect()
    }

    /// The new reports the server has not accepted: queued, or refused with the reason,
    /// oldest first.
    pub fn queued_reports(&self) -> Result<Vec<QueuedReport>, ClientError> {
        let mut query = self.conn.prepare(
            "SELECT q.id, q.operation, q.code, q.message, q.field, r.local_ward, r.filed_at,
                    (SELECT COUNT(*) FROM photos p WHERE p.report_id = q.report_id AND p.server_id IS NULL)
             FROM (SELECT id, report_id, operation, NULL AS code, NULL AS message, NULL AS field, 0 AS refused,
                          position FROM outbox
                   UNION ALL
                   SELECT id, report_id, operation, code, message, field, 1, rowid FROM refused
                    WHERE id NOT LIKE '%/photo%') q
             JOIN reports r ON r.id = q.report_id
             ORDER BY q.refused, q.position",
        )?;
        let rows = query.query_map([], |row| {
            let refused = match (row.get::<_, Option<String>>(2)?, row.get::<_, Option<String>>(3)?) {
                (Some(code), Some(message)) => Some(Refusal { code, message, field: row.get(4)? }),
                _ => None,
            };
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                refused,
                row.get::<_, Option<String>>(5)?,
                row.get::<_, String>(6)?,
                row.get::<_, i64>(7)?,
            ))
        })?;
        let mut queued = Vec::new();
        for row in rows {
            let (id, operation, refused, ward, filed_at, photos) = row?;
            let operation: Operation = serde_json::from_str(&operation)?;
            let OperationKind::CreateReport { report } = operation.change else { continue };
            queued.push(QueuedReport {
                held: false,
                op_id: Uuid::parse_str(&id).map_err(|e| ClientError::Corrupt(e.to_string()))?,
                report,
                ward: ward.map(|w| serde_json::from_str(&w)).transpose()?,
                queued_at: filed_at
                    .parse()
                    .map_err(|e: chrono::ParseError| ClientError::Corrupt(e.to_string()))?,
                photos_waiting: photos as usize,
                refused,
                // The desktop's photos stay on the native side until they are sent.
                thumbnails: Vec::new(),
            });
        }
        Ok(queued)
    }

    pub fn store_timeline(&self, id: Uuid, events: &[Event]) -> Result<(), ClientError> {
        self.conn.execute(
            "INSERT OR REPLACE INTO timelines (report_id, events) VALUES (?1, ?2)",
            params![id.to_string(), serde_json::to_string(events).expect("events serialise")],
        )?;
        Ok(())
    }

    pub fn timeline(&self, id: Uuid) -> Result<Option<Vec<Event>>, ClientError> {
        let text: Option<String> = self
            .conn
            .query_row("SELECT events FROM timelines WHERE report_id = ?1", [id.to_string()], |r| r.get(0))
            .optional()?;
        Ok(text.map(|t| serde_json::from_str(&t)).transpose()?)
    }

    /// The dossiers the device tracks, newest tracked first.
    pub fn dossiers(&self) -> Result<Vec<DossierView>, ClientError> {
        let mut query = self.conn.prepare("SELECT view FROM dossiers ORDER BY tracked_at DESC, id")?;
        let rows = query.query_map([], |row| row.get::<_, String>(0))?;
        rows.map(|text| Ok(serde_json::from_str(&text?)?)).collect()
    }

    /// Moves a tracked dossier's cached view on by `event`; whether it changed it.
    pub fn apply_dossier_event(&self, event: &DossierEvent) -> Result<bool, ClientError> {
        let text: Option<String> = self
            .conn
            .query_row("SELECT view FROM dossiers WHERE id = ?1", [event.dossier_id.to_string()], |r| {
                r.get(0)
            })
            .optional()?;
        let Some(text) = text else { return Ok(false) };
        let mut view: DossierView = serde_json::from_str(&text)?;
        if event.seq <= view.last_seq {
            return Ok(false);
        }
        view.apply(event);
        store_dossier(&self.conn, &view)?;
        Ok(true)
    }

    /// Refused operations, with their reasons.
    pub fn refused(&self) -> Result<Vec<Refusal>, ClientError> {
        let mut query = self.conn.prepare("SELECT code, message, field FROM refused ORDER BY rowid")?;
        let rows = query.query_map([], |row| {
            Ok(Refusal { code: row.get(0)?, message: row.get(1)?, field: row.get(2)? })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// Caches a tracked dossier's `view` unless a newer one is there already.
fn store_dossier(conn: &Connection, view: &DossierView) -> Result<(), ClientError> {
    conn.execute(
        "INSERT INTO dossiers (id, tracked_at, view) VALUES (?1, ?2, ?3)
         ON CONFLICT (id) DO UPDATE SET view = excluded.view
         WHERE json_extract(dossiers.view, '$.last_seq') <= json_extract(excluded.view, '$.last_seq')",
        params![
            view.id.to_string(),
            Utc::now().to_rfc3339(),
            serde_json::to_string(view).expect("serialises")
        ],
    )?;
    Ok(())
}

/// Caches `view` unless a newer one (by its sequence number) is there already: answers and
/// pulls may arrive in either order.
fn store_view(conn: &Connection, view: &ReportView) -> Result<(), ClientError> {
    conn.execute(
        "INSERT INTO reports (id, filed_at, view) VALUES (?1, ?2, ?3)
         ON CONFLICT (id) DO UPDATE SET view = excluded.view
         WHERE reports.view IS NULL OR json_extract(reports.view, '$.seq') <= json_extract(excluded.view, '$.seq')",
        params![view.id.to_string(), view.received_at.to_rfc3339(), serde_json::to_string(view).expect("serialises")],
    )?;
    Ok(())
}
