//! [`Dossiers`] in SQLite.

use chrono::{DateTime, Utc};
use phananh_shared::dossier::{DossierContact, DossierEvent, DossierStatus, DossierView};
use rusqlite::{OptionalExtension, Row, params};
use uuid::Uuid;

use super::rows::{conversion, time};
use super::{Sqlite, stamp, uuid};
use crate::store::{
    DossierRecord, DossierState, DossierUpdate, Dossiers, StoreError, TrackingFailures, TrackingState,
};

impl Dossiers for Sqlite<'_> {
    fn dossier_code_taken(&mut self, code: &str) -> Result<bool, StoreError> {
        Ok(self
            .query_row("SELECT EXISTS (SELECT 1 FROM dossiers WHERE code = ?1)", [code], |row| row.get(0))?)
    }

    fn insert_dossier(&mut self, d: &DossierRecord) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO dossiers (id, code, procedure, ward_code, applicant, phone, email, secret_hash,
                status, received_at, received_by, due_at, last_seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 0)",
            params![
                d.id.to_string(),
                d.code,
                d.procedure,
                d.ward,
                d.contact.applicant,
                d.contact.phone,
                d.contact.email,
                d.secret_hash,
                d.status.code(),
                stamp(d.received_at),
                d.received_by,
                stamp(d.due_at),
            ],
        )?;
        Ok(())
    }

    fn dossier_state(&mut self, code: &str) -> Result<Option<DossierState>, StoreError> {
        Ok(self
            .query_row(
                "SELECT id, ward_code, status, due_at, paused_at FROM dossiers WHERE code = ?1",
                [code],
                |row| {
                    Ok(DossierState {
                        id: uuid(row, 0)?,
                        ward: row.get(1)?,
                        status: status(row, 2)?,
                        due_at: time(row, 3)?,
                        paused_at: optional_time(row, 4)?,
                    })
                },
            )
            .optional()?)
    }

    fn change_dossier(&mut self, id: Uuid, change: &DossierUpdate) -> Result<(), StoreError> {
        let id = id.to_string();
        match change {
            DossierUpdate::Status(status) => {
                self.execute("UPDATE dossiers SET status = ?1 WHERE id = ?2", params![status.code(), id])?
            }
            DossierUpdate::DocumentsRequested { status, at, missing } => self.execute(
                "UPDATE dossiers SET status = ?1, paused_at = ?2, missing = ?3 WHERE id = ?4",
                params![status.code(), stamp(*at), missing, id],
            )?,
            DossierUpdate::DocumentsReceived { status, due_at } => self.execute(
                "UPDATE dossiers SET status = ?1, paused_at = NULL, missing = NULL, due_at = ?2, overdue_at = NULL
                 WHERE id = ?3",
                params![status.code(), stamp(*due_at), id],
            )?,
            DossierUpdate::Finished { status, at } => self.execute(
                "UPDATE dossiers SET status = ?1, paused_at = NULL, missing = NULL, finished_at = ?2 WHERE id = ?3",
                params![status.code(), stamp(*at), id],
            )?,
        };
        Ok(())
    }

    fn dossier_for_tracking(
        &mut self,
        code: &str,
        device: Uuid,
    ) -> Result<Option<TrackingState>, StoreError> {
        Ok(self.query_row(
                "SELECT id, secret_hash, ward_code, track_failures, track_failures_since, tracking_locked_until,
                    EXISTS (SELECT 1 FROM dossier_trackers t WHERE t.dossier_id = d.id AND t.device_id = ?2)
                 FROM dossiers d WHERE code = ?1",
                params![code, device.to_string()],
                |row| {
                    Ok(TrackingState {
                        id: uuid(row, 0)?,
                        secret_hash: row.get(1)?,
                        ward: row.get(2)?,
                        failures: row.get(3)?,
                        failures_since: optional_time(row, 4)?,
                        locked_until: optional_time(row, 5)?,
                        tracking: row.get(6)?,
                    })
                },
            )
            .optional()?)
    }

    fn count_tracking_failures(&mut self, id: Uuid, failures: &TrackingFailures) -> Result<(), StoreError> {
        match failures {
            TrackingFailures::Counted { failures, since } => self.execute(
                "UPDATE dossiers SET track_failures = ?1, track_failures_since = ?2 WHERE id = ?3",
                params![failures, stamp(*since), id.to_string()],
            )?,
            TrackingFailures::Locked { until } => self.execute(
                "UPDATE dossiers SET track_failures = 0, track_failures_since = NULL, tracking_locked_until = ?1
                 WHERE id = ?2",
                params![stamp(*until), id.to_string()],
            )?,
        };
        Ok(())
    }

    fn add_tracker(&mut self, id: Uuid, device: Uuid, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let added = self.execute(
            "INSERT INTO dossier_trackers (dossier_id, device_id, created_at) VALUES (?1, ?2, ?3)
             ON CONFLICT DO NOTHING",
            params![id.to_string(), device.to_string(), stamp(at)],
        )?;
        Ok(added == 1)
    }

    fn dossier_view(&mut self, id: Uuid, desk: bool) -> Result<Option<DossierView>, StoreError> {
        let found = self
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
        let mut query = self.0.prepare_cached(
            "SELECT e.seq, e.dossier_id, e.ward_code, e.at, e.data, d.code FROM events e
             JOIN dossiers d ON d.id = e.dossier_id
             WHERE e.dossier_id = ?1 AND (e.kind NOT IN ('tracked', 'tracking_locked') OR ?2) ORDER BY e.seq",
        )?;
        view.history = query
            .query_map(params![id.to_string(), desk], |row| dossier_event(row, 5))?
            .collect::<Result<_, _>>()?;
        Ok(Some(view))
    }

    fn tracked_dossiers(&mut self, device: Uuid) -> Result<Vec<Uuid>, StoreError> {
        let mut query = self.0.prepare_cached(
            "SELECT d.id FROM dossier_trackers t JOIN dossiers d ON d.id = t.dossier_id
             WHERE t.device_id = ?1 ORDER BY d.received_at DESC",
        )?;
        let ids = query.query_map([device.to_string()], |row| uuid(row, 0))?.collect::<Result<_, _>>()?;
        Ok(ids)
    }

    fn desk_dossiers(&mut self, ward: Option<&str>, limit: u32) -> Result<Vec<Uuid>, StoreError> {
        let mut query = self.0.prepare_cached(
            "SELECT id FROM dossiers WHERE ?1 IS NULL OR ward_code = ?1
             ORDER BY finished_at IS NOT NULL, CASE WHEN finished_at IS NULL THEN due_at END,
                      finished_at DESC
             LIMIT ?2",
        )?;
        let ids = query.query_map(params![ward, limit], |row| uuid(row, 0))?.collect::<Result<_, _>>()?;
        Ok(ids)
    }
}

/// A dossier's event from the columns `seq, dossier_id, ward_code, at, data` (as a report's
/// event is read) and the dossier's code at `code_column`.
pub(crate) fn dossier_event(row: &Row, code_column: usize) -> rusqlite::Result<DossierEvent> {
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
