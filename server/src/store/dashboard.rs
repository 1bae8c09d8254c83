//! The facts the dashboards compute their figures from: the reports and dossiers that count
//! for a period, read in a few queries.

use chrono::{DateTime, Utc};
use phananh_shared::dossier::DossierStatus;
use phananh_shared::report::Reference;
use phananh_shared::status::Status;
use uuid::Uuid;

use super::StoreError;

/// A report that counts for a period's figures, with what happened to it.
#[derive(Debug, Clone, PartialEq)]
pub struct CountedReport {
    pub id: Uuid,
    pub reference: Option<Reference>,
    pub ward: String,
    pub status: Status,
    pub received_at: DateTime<Utc>,
    pub deadline_ack: DateTime<Utc>,
    pub deadline_handle: DateTime<Utc>,
    /// Its events, oldest first.
    pub events: Vec<CountedEvent>,
    /// The residents' ratings of its answers.
    pub stars: Vec<u8>,
}

/// An event of a counted report: its kind, when, and the status it moved the report to.
#[derive(Debug, Clone, PartialEq)]
pub struct CountedEvent {
    pub kind: String,
    pub at: DateTime<Utc>,
    pub status: Option<String>,
}

/// One dossier, as the figures need it.
#[derive(Debug, Clone, PartialEq)]
pub struct DossierFacts {
    pub code: String,
    pub procedure: String,
    pub ward: String,
    pub status: DossierStatus,
    pub received_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub paused_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// What a store gives the dashboards.
pub trait DashboardFacts {
    /// The reports of `ward` (every ward's when `None`) that count for the period from
    /// `period.0` to `period.1` (excluded): those received by its end and changed since its
    /// start, and those open now (a report whose last change came before the period and that
    /// is not open has nothing to add). By its end, not before: one received at the very
    /// instant the period ends (midnight) is open at the end of its last day.
    fn counted_reports(
        &mut self,
        ward: Option<&str>,
        period: (DateTime<Utc>, DateTime<Utc>),
    ) -> Result<Vec<CountedReport>, StoreError>;

    /// The dossiers of `ward` (every ward's when `None`) received in the period, or open now.
    fn counted_dossiers(
        &mut self,
        ward: Option<&str>,
        period: (DateTime<Utc>, DateTime<Utc>),
    ) -> Result<Vec<DossierFacts>, StoreError>;
}
