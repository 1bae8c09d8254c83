//! Reports as recorded: what was filed, where it was routed, its deadlines and its state,
//! read back as views, lists and timelines.

use chrono::{DateTime, NaiveDate, Utc};
use phananh_shared::api::{Event, ReportView};
use phananh_shared::report::{Category, Priority};
use phananh_shared::sla::Deadlines;
use phananh_shared::status::Status;
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

/// What a store keeps of reports: filing, reading back, changing their state.
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

    /// Report `id` in full, with its reporter (the domain decides who may see what).
    fn report_view(&mut self, id: Uuid) -> Result<Option<ReportView>, StoreError>;

    /// The reports `filter` picks, newest first: at most `filter.limit` after skipping
    /// `filter.offset`, each in full with its reporter.
    fn report_views(&mut self, filter: &ListFilter) -> Result<Vec<ReportView>, StoreError>;

    /// The id of the report numbered `number` (its reference), if there is one.
    fn report_by_number(&mut self, number: u64) -> Result<Option<Uuid>, StoreError>;

    /// What report `id` is now, if there is such a report.
    fn report_state(&mut self, id: Uuid) -> Result<Option<ReportState>, StoreError>;

    /// Changes report `id`'s state (its event is recorded with [`super::Events`]).
    fn change_report(&mut self, id: Uuid, change: &ReportChange) -> Result<(), StoreError>;

    /// Records the reporter's rating of report `id`'s answer.
    fn add_rating(&mut self, id: Uuid, rating: &Rating, at: DateTime<Utc>) -> Result<(), StoreError>;

    /// Whether `device` filed or follows report `id`.
    fn follows(&mut self, id: Uuid, device: Uuid) -> Result<bool, StoreError>;

    /// Report `id`'s events, oldest first: its staff notes only with `notes`, residents'
    /// comments only with `comments`.
    fn report_events(&mut self, id: Uuid, notes: bool, comments: bool) -> Result<Vec<Event>, StoreError>;

    /// When report `id` was last answered (its newest `resolved` event), if it was.
    fn resolved_at(&mut self, id: Uuid) -> Result<Option<DateTime<Utc>>, StoreError>;
}

/// What a report is now: what the domain decides its next step on.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportState {
    /// The device that filed it.
    pub device: Uuid,
    pub ward: String,
    pub status: Status,
    pub category: Category,
    pub priority: Priority,
    pub deadlines: Deadlines,
    /// The staff member (an officer of its ward) it is assigned to, if the ward assigned it.
    pub assigned_to: Option<i64>,
}

/// A change to a report's state, written with the event that records it.
#[derive(Debug, Clone, PartialEq)]
pub enum ReportChange {
    /// Only its status.
    Status(Status),
    /// Acknowledged at `at`, with its handling deadline from then.
    Acknowledged {
        status: Status,
        at: DateTime<Utc>,
        handle: DateTime<Utc>,
    },
    /// Handed to `ward` (of the boundaries in force from `valid_from`), whose clocks start
    /// again: not acknowledged, no breach recorded, assigned to no one.
    Transferred {
        status: Status,
        ward: String,
        valid_from: NaiveDate,
        deadlines: Deadlines,
    },
    MarkedDuplicate {
        status: Status,
        original: Uuid,
    },
    /// Back to the ward after a low rating, with a new handling deadline.
    Reopened {
        status: Status,
        handle: DateTime<Utc>,
    },
    /// Given to the staff member `officer`.
    Assigned {
        officer: i64,
    },
}

/// A reporter's rating of the answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Rating {
    pub stars: u8,
    pub comment: Option<String>,
    pub reopened: bool,
}

/// Which reports a list shows, newest first.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// These reports only; any when empty.
    pub ids: Vec<Uuid>,
    pub ward: Option<String>,
    /// Assigned to this staff member.
    pub assigned_to: Option<i64>,
    /// Any of these statuses; all when empty.
    pub statuses: Vec<Status>,
    /// Any of these categories; all when empty.
    pub categories: Vec<Category>,
    /// `[min_lon, min_lat, max_lon, max_lat]`.
    pub bbox: Option<[f64; 4]>,
    /// Received at or after.
    pub since: Option<DateTime<Utc>>,
    /// Received at or before.
    pub until: Option<DateTime<Utc>>,
    pub limit: u32,
    /// Continue after this position.
    pub after: Option<Cursor>,
    /// Skip this many (for page-numbered lists; `after` is cheaper for long ones).
    pub offset: u32,
}

/// A position in a list: the last report shown, by its receipt time and id (ties on the time
/// are broken by id, so no report is skipped or shown twice between pages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub received_at: DateTime<Utc>,
    pub id: Uuid,
}

impl Cursor {
    /// Reads a cursor as [`Cursor::to_string`] wrote it.
    pub fn parse(text: &str) -> Option<Cursor> {
        let (time, id) = text.split_once('~')?;
        let received_at = DateTime::parse_from_rfc3339(time).ok()?.with_timezone(&Utc);
        Some(Cursor { received_at, id: Uuid::parse_str(id).ok()? })
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}~{}", super::stamp(self.received_at), self.id)
    }
}
