//! Reports as recorded: what was filed, where it was routed, its deadlines and its state.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::StoreError;

/// A new report, checked and routed, as recorded. Enumerations are in their wire names.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRecord {
    pub id: Uuid,
    pub device: Uuid,
    /// What tells a retry of this filing from a different report under the same id.
    pub content_hash: Vec<u8>,
    pub category: String,
    pub priority: String,
    pub description: String,
    pub lon: f64,
    pub lat: f64,
    pub accuracy_m: Option<f64>,
    pub ward_code: String,
    pub ward_valid_from: NaiveDate,
    /// `inside` or `nearest`.
    pub ward_match: String,
    pub ward_distance_m: f64,
    pub status: String,
    pub received_at: DateTime<Utc>,
    pub deadline_ack: DateTime<Utc>,
    pub deadline_handle: DateTime<Utc>,
}

/// What a store keeps of reports.
pub trait Reports {
    /// Records a new report with the next reference number (numbers follow the order reports
    /// are accepted in): its number. Its events are recorded with [`super::Events`].
    fn insert_report(&mut self, report: &ReportRecord) -> Result<u64, StoreError>;

    /// Who filed report `id` and its content hash, if there is such a report.
    fn report_owner(&mut self, id: Uuid) -> Result<Option<(Uuid, Vec<u8>)>, StoreError>;

    /// The ward report `id` is with now, if there is such a report.
    fn report_ward(&mut self, id: Uuid) -> Result<Option<String>, StoreError>;

    /// `device` follows report `id` ("me too") from `at`: `false` if it already did.
    fn add_follower(&mut self, id: Uuid, device: Uuid, at: DateTime<Utc>) -> Result<bool, StoreError>;

    /// How many devices follow report `id`.
    fn followers(&mut self, id: Uuid) -> Result<u64, StoreError>;
}
