//! [`Dossiers`] in PostgreSQL.

use chrono::{DateTime, Utc};
use phananh_shared::dossier::{DossierContact, DossierEvent, DossierStatus, DossierView};
use tokio_postgres::Row;
use uuid::Uuid;

use super::Pg;
use crate::store::{
    DossierRecord, DossierState, DossierUpdate, Dossiers, StoreError, TrackingFailures, TrackingState,
};

impl Dossiers for Pg<'_, '_> {
    fn dossier_code_taken(&mut self, code: &str) -> Result<bool, StoreError> {
        Ok(self.rows("SELECT EXISTS (SELECT 1 FROM dossiers WHERE code = $1)", &[&code])?[0].get(0))
    }

    fn insert_dossier(&mut self, d: &DossierRecord) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO dossiers (id, code, procedure, ward_code, applicant, phone, email, secret_hash,
                status, received_at, received_by, due_at, last_seq)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0)",
            &[
                &d.id,
                &d.code,
                &d.procedure,
                &d.ward,
                &d.contact.applicant,
                &d.contact.phone,
                &d.contact.email,
                &d.secret_hash,
                &d.status.code(),
                &d.received_at,
                &d.received_by,
                &d.due_at,
            ],
        )?;
        Ok(())
    }

    fn dossier_state(&mut self, code: &str) -> Result<Option<DossierState>, StoreError> {
        let found = self
            .row("SELECT id, ward_code, status, due_at, paused_at FROM dossiers WHERE code = $1", &[&code])?;
        found
            .map(|row| {
                Ok(DossierState {
                    id: row.get(0),
                    ward: row.get(1),
                    status: status(row.get(2))?,
                    due_at: row.get(3),
                    paused_at: row.get(4),
                })
            })
            .transpose()
    }

    fn change_dossier(&mut self, id: Uuid, change: &DossierUpdate) -> Result<(), StoreError> {
        match change {
            DossierUpdate::Status(status) => {
                self.execute("UPDATE dossiers SET status = $1 WHERE id = $2", &[&status.code(), &id])?
            }
            DossierUpdate::DocumentsRequested { status, at, missing } => self.execute(
                "UPDATE dossiers SET status = $1, paused_at = $2, missing = $3 WHERE id = $4",
                &[&status.code(), at, missing, &id],
            )?,
            DossierUpdate::DocumentsReceived { status, due_at } => self.execute(
                "UPDATE dossiers SET status = $1, paused_at = NULL, missing = NULL, due_at = $2, overdue_at = NULL
                 WHERE id = $3",
                &[&status.code(), due_at, &id],
            )?,
            DossierUpdate::Finished { status, at } => self.execute(
                "UPDATE dossiers SET status = $1, paused_at = NULL, missing = NULL, finished_at = $2 WHERE id = $3",
                &[&status.code(), at, &id],
            )?,
        };
        Ok(())
    }

    fn dossier_for_tracking(
        &mut self,
        code: &str,
        device: Uuid,
    ) -> Result<Option<TrackingState>, StoreError> {
        let found = self.row(
            "SELECT id, secret_hash, ward_code, track_failures, track_failures_since, tracking_locked_until,
                EXISTS (SELECT 1 FROM dossier_trackers t WHERE t.dossier_id = d.id AND t.device_id = $2)
             FROM dossiers d WHERE code = $1",
            &[&code, &device],
        )?;
        Ok(found.map(|row| TrackingState {
            id: row.get(0),
            secret_hash: row.get(1),
            ward: row.get(2),
            failures: row.get::<_, i32>(3).max(0) as u32,
            failures_since: row.get(4),
            locked_until: row.get(5),
            tracking: row.get(6),
        }))
    }

    fn count_tracking_failures(&mut self, id: Uuid, failures: &TrackingFailures) -> Result<(), StoreError> {
        match failures {
            TrackingFailures::Counted { failures, since } => self.execute(
                "UPDATE dossiers SET track_failures = $1, track_failures_since = $2 WHERE id = $3",
                &[&i32::try_from(*failures).unwrap_or(i32::MAX), since, &id],
            )?,
            TrackingFailures::Locked { until } => self.execute(
                "UPDATE dossiers SET track_failures = 0, track_failures_since = NULL, tracking_locked_until = $1
                 WHERE id = $2",
                &[until, &id],
            )?,
        };
        Ok(())
    }

    fn add_tracker(&mut self, id: Uuid, device: Uuid, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let added = self.execute(
            "INSERT INTO dossier_trackers (dossier_id, device_id, created_at) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
            &[&id, &device, &at],
        )?;
        Ok(added == 1)
    }

    fn dossier_view(&mut self, id: Uuid, desk: bool) -> Result<Option<DossierView>, StoreError> {
        let Some(row) = self.row(
            "SELECT id, code, procedure, ward_code, status, received_at, due_at, paused_at, missing,
                finished_at, last_seq, applicant, phone, email
             FROM dossiers WHERE id = $1",
            &[&id],
        )?
        else {
            return Ok(None);
        };
        let code: String = row.get(1);
        let history = self.rows(
            "SELECT seq, dossier_id, ward_code, at, data FROM events
             WHERE dossier_id = $1 AND (kind NOT IN ('tracked', 'tracking_locked') OR $2) ORDER BY seq",
            &[&id, &desk],
        )?;
        let history =
            history.iter().map(|event| dossier_event(event, code.clone())).collect::<Result<_, _>>()?;
        let contact = DossierContact { applicant: row.get(11), phone: row.get(12), email: row.get(13) };
        Ok(Some(DossierView {
            id: row.get(0),
            code,
            procedure: row.get(2),
            ward_code: row.get(3),
            status: status(row.get(4))?,
            received_at: row.get(5),
            due_at: row.get(6),
            paused_since: row.get(7),
            missing: row.get(8),
            finished_at: row.get(9),
            last_seq: row.get::<_, i64>(10) as u64,
            history,
            contact: desk.then_some(contact),
        }))
    }

    fn tracked_dossiers(&mut self, device: Uuid) -> Result<Vec<Uuid>, StoreError> {
        let rows = self.rows(
            "SELECT d.id FROM dossier_trackers t JOIN dossiers d ON d.id = t.dossier_id
             WHERE t.device_id = $1 ORDER BY d.received_at DESC",
            &[&device],
        )?;
        Ok(rows.iter().map(|row| row.get(0)).collect())
    }

    fn desk_dossiers(&mut self, ward: Option<&str>, limit: u32) -> Result<Vec<Uuid>, StoreError> {
        let rows = self.rows(
            "SELECT id FROM dossiers WHERE $1::text IS NULL OR ward_code = $1
             ORDER BY finished_at IS NOT NULL, CASE WHEN finished_at IS NULL THEN due_at END,
                      finished_at DESC
             LIMIT $2",
            &[&ward, &i64::from(limit)],
        )?;
        Ok(rows.iter().map(|row| row.get(0)).collect())
    }
}

/// A dossier's event from `seq, dossier_id, ward_code, at, data`, the dossier's code being
/// `code`.
pub(super) fn dossier_event(row: &Row, code: String) -> Result<DossierEvent, StoreError> {
    Ok(DossierEvent {
        seq: row.get::<_, i64>(0) as u64,
        dossier_id: row.get(1),
        code,
        ward_code: row.get(2),
        at: row.get(3),
        change: serde_json::from_value(row.get(4))
            .map_err(|error| StoreError::Unreadable(format!("a dossier's event: {error}")))?,
    })
}

pub(super) fn status(code: &str) -> Result<DossierStatus, StoreError> {
    DossierStatus::from_code(code).ok_or_else(|| StoreError::Unreadable(format!("dossier status {code:?}")))
}
