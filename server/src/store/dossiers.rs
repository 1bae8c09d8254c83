//! Dossiers as recorded: registered at a ward's desk, moved on by its staff, tracked by
//! residents with a code and a secret.

use chrono::{DateTime, Utc};
use phananh_shared::dossier::{DossierContact, DossierStatus, DossierView};
use uuid::Uuid;

use super::StoreError;

/// A new dossier, as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct DossierRecord {
    pub id: Uuid,
    /// `<ward>-<yymmdd>-<random>`, printed on the receipt.
    pub code: String,
    pub procedure: String,
    pub ward: String,
    pub contact: DossierContact,
    /// The secret handed over with the code, hashed with the dossier's id.
    pub secret_hash: Vec<u8>,
    pub status: DossierStatus,
    pub received_at: DateTime<Utc>,
    /// The staff member who registered it.
    pub received_by: i64,
    pub due_at: DateTime<Utc>,
}

/// What a dossier is now: what the desk's next action is decided on.
#[derive(Debug, Clone, PartialEq)]
pub struct DossierState {
    pub id: Uuid,
    pub ward: String,
    pub status: DossierStatus,
    pub due_at: DateTime<Utc>,
    /// Since when it waits for documents, if it does.
    pub paused_at: Option<DateTime<Utc>>,
}

/// A dossier as an attempt to track it finds it.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackingState {
    pub id: Uuid,
    pub secret_hash: Vec<u8>,
    pub ward: String,
    /// Wrong secrets counted since `failures_since`.
    pub failures: u32,
    pub failures_since: Option<DateTime<Utc>>,
    pub locked_until: Option<DateTime<Utc>>,
    /// Whether the device asking tracks it already.
    pub tracking: bool,
}

/// A change to a dossier's state, written with the event that records it.
#[derive(Debug, Clone, PartialEq)]
pub enum DossierUpdate {
    Status(DossierStatus),
    /// Waiting from `at` for what is `missing`.
    DocumentsRequested {
        status: DossierStatus,
        at: DateTime<Utc>,
        missing: String,
    },
    /// The documents came: nothing waits, and the due date moved to `due_at` (no breach
    /// recorded against it yet).
    DocumentsReceived {
        status: DossierStatus,
        due_at: DateTime<Utc>,
    },
    /// It left the desk's hands at `at` (completed or returned).
    Finished {
        status: DossierStatus,
        at: DateTime<Utc>,
    },
}

/// Wrong secrets counted against a dossier.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TrackingFailures {
    /// `failures` since `since`, within the budget.
    Counted { failures: u32, since: DateTime<Utc> },
    /// The budget is spent: locked until `until`, and counting starts again.
    Locked { until: DateTime<Utc> },
}

/// What a store keeps of dossiers.
pub trait Dossiers {
    /// Whether a dossier has `code`.
    fn dossier_code_taken(&mut self, code: &str) -> Result<bool, StoreError>;

    /// Records a new dossier (its events are recorded with [`super::Events`]).
    fn insert_dossier(&mut self, dossier: &DossierRecord) -> Result<(), StoreError>;

    /// What the dossier with `code` is now, if there is one.
    fn dossier_state(&mut self, code: &str) -> Result<Option<DossierState>, StoreError>;

    /// Changes dossier `id`'s state.
    fn change_dossier(&mut self, id: Uuid, change: &DossierUpdate) -> Result<(), StoreError>;

    /// The dossier with `code` as `device`'s attempt to track it finds it, if there is one.
    fn dossier_for_tracking(&mut self, code: &str, device: Uuid)
    -> Result<Option<TrackingState>, StoreError>;

    /// Records wrong secrets counted against dossier `id`.
    fn count_tracking_failures(&mut self, id: Uuid, failures: &TrackingFailures) -> Result<(), StoreError>;

    /// `device` tracks dossier `id` from `at`: `false` if it already did.
    fn add_tracker(&mut self, id: Uuid, device: Uuid, at: DateTime<Utc>) -> Result<bool, StoreError>;

    /// Dossier `id` with its history: the desk's view (`desk`: with the applicant's contact
    /// and every event) or a tracker's (no contact, no one's tracking).
    fn dossier_view(&mut self, id: Uuid, desk: bool) -> Result<Option<DossierView>, StoreError>;

    /// The dossiers `device` tracks, newest first.
    fn tracked_dossiers(&mut self, device: Uuid) -> Result<Vec<Uuid>, StoreError>;

    /// The desk's list of `ward`'s dossiers (every ward's when `None`): those still open
    /// first by due date, then the finished ones newest first, at most `limit`.
    fn desk_dossiers(&mut self, ward: Option<&str>, limit: u32) -> Result<Vec<Uuid>, StoreError>;
}
