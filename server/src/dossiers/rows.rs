//! Reading dossiers back: the current facts an action needs, a view, and events.

use chrono::{DateTime, Utc};
use phananh_shared::dossier::{DossierContact, DossierEvent, DossierStatus, DossierView};
use rusqlite::{Connection, OptionalExtension, Row, params};
use uuid::Uuid;

pub(crate) use crate::reports::rows::{conversion, time, uuid};

/// A stored secret's hash.
pub struct SecretHash(pub Vec<u8>);

impl SecretHash {
    /// Equal hashes, compared in time that does not depend on where they differ.
    pub fn matches(&self, other: &SecretHash) -> bool {
        self.0.len() == other.0.len()
            && self.0.iter().zip(&other.0).fold(0, |diff, (a, b)| diff | (a ^ b)) == 0
    }
}

/// What an action needs to know before it acts.
pub struct Current {
    pub id: Uuid,
    pub ward: String,
    pub status: DossierStatus,
    pub due_at: DateTime<Utc>,
    pub paused_at: Option<DateTime<Utc>>,
}

pub fn current(conn: &Connection, code: &str) -> rusqlite::Result<Option<Current>> {
    conn.query_row(
        "SELECT id, ward_code, status, due_at, paused_at FROM dossiers WHERE code = ?1",
        [code.trim()],
        |row| {
            Ok(Current {
                id: uuid(row, 0)?,
                ward: row.get(1)?,
                status: status(row, 2)?,
                due_at: time(row, 3)?,
                paused_at: optional_time(row, 4)?,
            })
        },
    )
    .optional()
}

/// The dossier `id` with its history: the desk's view (`desk`: with the applicant's contact
/// and every event) or a tracker's (no contact, no other devices' tracking).
pub fn view(conn: &Connection, id: Uuid, desk: bool) -> rusqlite::Result<Option<DossierView>> {
    let found = conn
        .query_row(
            "SELECT id, code, procedure, ward_code, status, received_at, due_at, paused_at, missing,
                finished_at, last_seq, applicant, phone, email
             FROM dossiers WHERE id = ?1",
            [id.to_string()],
            |row| {
                let contact =
                    DossierContact { applicant: row.get(11)?, phone: row.get(12)?, email: row.get(13)? };
                Ok(DossierView {
                    id: uuid(row, 0)?,
                    code: row.get(1)?,
                    procedure: row.get(2)?,
                    ward_code: row.get(3)?,
                    status: status(row, 4)?,
                    received_at: time(row, 5)?,
                    due_at: time(row, 6)?,
                    paused_since: optional_time(row, 7)?,
                    missing: row.get(8)?,
                    finished_at: optional_time(row, 9)?,
                    last_seq: row.get::<_, i64>(10)? as u64,
                    history: Vec::new(),
                    contact: desk.then_some(contact),
                })
            },
        )
        .optional()?;
    let Some(mut view) = found else { return Ok(None) };
    let mut query = conn.prepare_cached(
        "SELECT e.seq, e.dossier_id, e.ward_code, e.at, e.data, d.code FROM events e
         JOIN dossiers d ON d.id = e.dossier_id
         WHERE e.dossier_id = ?1 AND (e.kind NOT IN ('tracked', 'tracking_locked') OR ?2) ORDER BY e.seq",
    )?;
    view.history =
        query.query_map(params![id.to_string(), desk], |row| event(row, 5))?.collect::<Result<_, _>>()?;
    Ok(Some(view))
}

/// An event from the columns `seq, dossier_id, ward_code, at, data` (as a report's event is
/// read) and the dossier's code at `code_column`.
pub fn event(row: &Row, code_column: usize) -> rusqlite::Result<DossierEvent> {
    let data: String = row.get(4)?;
    Ok(DossierEvent {
        seq: row.get::<_, i64>(0)? as u64,
        dossier_id: uuid(row, 1)?,
        code: row.get(code_column)?,
        ward_code: row.get(2)?,
        at: time(row, 3)?,
        change: serde_json::from_str(&data).map_err(|e| conversion(4, e))?,
    })
}

pub(crate) fn status(row: &Row, column: usize) -> rusqlite::Result<DossierStatus> {
    let code: String = row.get(column)?;
    DossierStatus::from_code(&code).ok_or_else(|| conversion(column, UnknownStatus(code)))
}

pub(crate) fn optional_time(row: &Row, column: usize) -> rusqlite::Result<Option<DateTime<Utc>>> {
    match row.get_ref(column)? {
        rusqlite::types::ValueRef::Null => Ok(None),
        _ => time(row, column).map(Some),
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown dossier status {0:?}")]
struct UnknownStatus(String);
