//! The dashboards' figures, kept up to date as reports change: counters per ward per day,
//! the handling times as counted samples, and what each report adds to them. The domain
//! works out what a report adds ([`crate::dashboard`]); the store adds it up and reads it back.

use chrono::{DateTime, NaiveDate, Utc};
use phananh_shared::report::Reference;
use phananh_shared::status::Status;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{CountedReport, StoreError};

/// What is counted for one ward on one day. Which day a counter is kept under depends on
/// the counter: the day received for most, the day of the resolution for `resolved`, and for
/// `backlog_change` the day at whose end a report became open (+1) or stopped being (−1).
/// Signed: a change to a report is kept as what it takes away and what it adds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayCounts {
    pub received: i64,
    /// Acknowledgements that came (on time or not), or that a withdrawal made due.
    pub acks_due: i64,
    pub acks_on_time: i64,
    /// Resolutions that stand.
    pub resolutions_due: i64,
    pub resolutions_on_time: i64,
    pub ratings: i64,
    /// Ratings of 4 or 5 stars.
    pub satisfied: i64,
    pub resolved: i64,
    pub backlog_change: i64,
}

impl DayCounts {
    /// The counts in the order the stores keep their columns.
    pub fn from_columns(
        [
            received,
            acks_due,
            acks_on_time,
            resolutions_due,
            resolutions_on_time,
            ratings,
            satisfied,
            resolved,
            backlog_change,
        ]: [i64; 9],
    ) -> DayCounts {
        DayCounts {
            received,
            acks_due,
            acks_on_time,
            resolutions_due,
            resolutions_on_time,
            ratings,
            satisfied,
            resolved,
            backlog_change,
        }
    }
}

/// A ward's counts for a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WardDay {
    pub ward: String,
    pub day: NaiveDate,
    pub counts: DayCounts,
}

/// How many handling times of `tenths` of a working hour a ward has for reports received on
/// a day (a change to it, when written).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandlingSamples {
    pub ward: String,
    pub day: NaiveDate,
    pub tenths: u32,
    pub count: i64,
}

/// What report `id` adds to the kept figures, and the deltas that bring them to it.
#[derive(Debug, Clone, PartialEq)]
pub struct KeptReport<'a> {
    pub id: Uuid,
    /// Whether the ward holding it has answered it (since its last transfer).
    pub answered: bool,
    /// What it adds, as the domain reads it back next time.
    pub contribution: &'a str,
    pub days: &'a [WardDay],
    pub samples: &'a [HandlingSamples],
}

/// An open report past a deadline, as the overdue list shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct LateReport {
    pub id: Uuid,
    pub reference: Option<Reference>,
    pub ward: String,
    pub status: Status,
    pub received_at: DateTime<Utc>,
    pub deadline_ack: DateTime<Utc>,
    pub deadline_handle: DateTime<Utc>,
}

/// What is said of a ward's open reports at one moment ("now"), counted by the store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenCounts {
    pub ward: String,
    pub backlog: u64,
    /// Past a deadline: the acknowledgement one while it waits for an answer, else the
    /// handling one.
    pub overdue: u64,
    /// By when received, against the four bounds asked (newest first): after the first,
    /// between the first and the second, …, at or before the fourth.
    pub by_age: [u64; 5],
    /// Received in the period asked, unanswered and past the acknowledgement deadline.
    pub acks_due: u64,
    /// Received in the period asked and past the handling deadline.
    pub resolutions_due: u64,
}

/// The moment and the bounds [`KeptFigures::open_counts`] counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenCountsAsked {
    pub now: DateTime<Utc>,
    /// The period's instants: from the first (included) to the second (excluded).
    pub received: (DateTime<Utc>, DateTime<Utc>),
    /// Received after each of these, newest first: the ages' bounds.
    pub age_bounds: [DateTime<Utc>; 4],
}

pub trait KeptFigures {
    /// Locks report `id` against any other change of its kept figures until this transaction
    /// ends, and gives what it adds to them now (as written by [`KeptFigures::keep_report`]),
    /// `None` if nothing yet.
    fn lock_kept_report(&mut self, id: Uuid) -> Result<Option<String>, StoreError>;

    /// Report `id` with its events and ratings, as the figures read it.
    fn report_facts(&mut self, id: Uuid) -> Result<Option<CountedReport>, StoreError>;

    /// Records what `report` adds now and adds its deltas to the counters.
    fn keep_report(&mut self, report: &KeptReport) -> Result<(), StoreError>;

    /// The counters of `ward` (every ward when `None`) for each day from `days.0` to `days.1`,
    /// both included, by ward and day.
    fn ward_days(
        &mut self,
        ward: Option<&str>,
        days: (NaiveDate, NaiveDate),
    ) -> Result<Vec<WardDay>, StoreError>;

    /// Each ward's backlog at the end of the day before `day`: its backlog changes until then.
    fn backlog_before(
        &mut self,
        ward: Option<&str>,
        day: NaiveDate,
    ) -> Result<Vec<(String, i64)>, StoreError>;

    /// The handling times of the reports received from `days.0` to `days.1`: by ward, tenths
    /// of an hour and how many, a ward's tenth possibly in several rows (the caller adds
    /// them up, as it adds the wards up anyway).
    fn handling_samples(
        &mut self,
        ward: Option<&str>,
        days: (NaiveDate, NaiveDate),
    ) -> Result<Vec<(String, u32, u64)>, StoreError>;

    /// The open reports of `ward` (every ward's when `None`), counted by ward as `asked` says.
    fn open_counts(
        &mut self,
        ward: Option<&str>,
        asked: &OpenCountsAsked,
    ) -> Result<Vec<OpenCounts>, StoreError>;

    /// The open reports of `ward` (every ward's when `None`) that missed a deadline before
    /// `now` and at or before `missed_by`, found by the deadlines' indexes: up to `limit` of
    /// those waiting for an answer past their acknowledgement deadline, the first to miss it
    /// first, and as many answered ones past their handling deadline, alike.
    fn late_reports(
        &mut self,
        ward: Option<&str>,
        now: DateTime<Utc>,
        missed_by: DateTime<Utc>,
        limit: Option<u32>,
    ) -> Result<Vec<LateReport>, StoreError>;

    /// Up to `limit` reports after `after` (in the order of their ids) whose figures are not
    /// kept yet: those filed before the figures were. Locked as [`KeptFigures::lock_kept_report`]
    /// locks, all at once; one that another change holds is left to that change, which keeps
    /// its figures itself.
    fn reports_not_kept(&mut self, after: Option<Uuid>, limit: u32) -> Result<Vec<Uuid>, StoreError>;
}
