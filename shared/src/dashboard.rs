//! The city dashboard and the public transparency figures, as they go over the wire.
//!
//! Definitions (the server computes them; the app only shows them):
//! - A report counts in the period it was received in (Hà Nội dates, both ends included),
//!   in the ward that holds it now.
//! - Acknowledged on time: the ward's first answer (acknowledge, reject, mark duplicate)
//!   came by the acknowledgement deadline (after a transfer, the new ward's). Counted over
//!   the reports whose answer came or whose deadline has passed.
//! - Resolved on time: resolved by the handling deadline. Counted over the reports resolved
//!   or past their handling deadline; rejected and duplicate reports are not counted.
//! - Handling time: working hours from receipt to (the last) resolution; the median is the
//!   middle value (the mean of the two middle ones for an even count), p90 the nearest-rank
//!   90th percentile.
//! - Satisfaction: the share of residents' ratings of 4 or 5 stars (the city's SIPAS-style
//!   index).
//! - Overdue now, backlog and backlog age are about today, whatever the period: the open
//!   reports, their age in working days, and those past a deadline with how late they are
//!   in working hours.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::WardRef;
use crate::dossier::DossierStatus;
use crate::report::Reference;
use crate::status::Status;
use crate::validation::{ErrorCode, FieldError};

/// The longest period one dashboard covers, in days (both ends included): a year, leap or not.
pub const LONGEST_PERIOD_DAYS: i64 = 366;

/// Checks a period asked for, `from` and `to` both included. Both refusals name `from`: the
/// start after the end (`out_of_range`), or a period longer than [`LONGEST_PERIOD_DAYS`]
/// (`too_long`). The app checks before it asks; the server checks what it is asked.
pub fn check_period(from: NaiveDate, to: NaiveDate) -> Result<(), FieldError> {
    if from > to {
        return Err(FieldError::new(
            "from",
            ErrorCode::OutOfRange,
            format!("from ({from}) is after to ({to})"),
        ));
    }
    if (to - from).num_days() >= LONGEST_PERIOD_DAYS {
        let message = format!("a period covers at most {LONGEST_PERIOD_DAYS} days");
        return Err(FieldError::new("from", ErrorCode::TooLong, message));
    }
    Ok(())
}

/// How many overdue reports a [`Dashboard`] lists: a country's backlog of late reports is
/// counted, not sent whole with each refresh of the screen.
pub const OVERDUE_LISTED: usize = 100;

/// `GET /api/v1/dashboard`: figures for the city (city staff) or one ward.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub now: DateTime<Utc>,
    /// The city's figures, or the ward's when the dashboard is of one ward.
    pub total: Figures,
    /// Every ward's figures, by ward code (one ward for a ward officer).
    pub wards: Vec<WardFigures>,
    /// Open reports past a deadline, the latest first: the [`OVERDUE_LISTED`] latest, for
    /// a screen to show; `total.overdue_now` counts them all.
    pub overdue: Vec<OverdueReport>,
    /// Each day of the period.
    pub days: Vec<Day>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    pub received: u64,
    /// Percent, one decimal; `None` when no acknowledgement was due yet.
    pub acknowledged_on_time_pct: Option<f64>,
    pub acknowledgements_due: u64,
    pub resolved_on_time_pct: Option<f64>,
    pub resolutions_due: u64,
    pub resolved: u64,
    pub handling_hours_median: Option<f64>,
    pub handling_hours_p90: Option<f64>,
    pub satisfaction_pct: Option<f64>,
    pub ratings: u64,
    pub overdue_now: u64,
    pub backlog: u64,
    pub backlog_age: BacklogAge,
}

/// Open reports by age in working days.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BacklogAge {
    pub under_1_day: u64,
    pub from_1_to_3_days: u64,
    pub from_3_to_5_days: u64,
    pub from_5_to_10_days: u64,
    pub over_10_days: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WardFigures {
    pub ward: WardRef,
    #[serde(flatten)]
    pub figures: Figures,
}

/// Which deadline a report has missed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Missed {
    Acknowledge,
    Handle,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverdueReport {
    pub report_id: Uuid,
    /// Its short reference (`PA-1042`), for a phone call to the ward.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<Reference>,
    pub ward: WardRef,
    pub status: Status,
    pub missed: Missed,
    pub deadline: DateTime<Utc>,
    /// Working hours since the deadline, one decimal.
    pub late_hours: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Day {
    pub date: NaiveDate,
    pub received: u64,
    pub resolved: u64,
    /// Open reports at the end of the day.
    pub backlog: u64,
}

/// `GET /api/v1/transparency`: what the public sees of each ward (no report, no person).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transparency {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub wards: Vec<PublicWardFigures>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicWardFigures {
    pub ward: WardRef,
    pub received: u64,
    pub acknowledged_on_time_pct: Option<f64>,
    pub resolved_on_time_pct: Option<f64>,
    pub satisfaction_pct: Option<f64>,
    pub ratings: u64,
}

impl PublicWardFigures {
    pub fn of(ward: &WardFigures) -> PublicWardFigures {
        let f = &ward.figures;
        PublicWardFigures {
            ward: ward.ward.clone(),
            received: f.received,
            acknowledged_on_time_pct: f.acknowledged_on_time_pct,
            resolved_on_time_pct: f.resolved_on_time_pct,
            satisfaction_pct: f.satisfaction_pct,
            ratings: f.ratings,
        }
    }
}

/// `GET /api/v1/dashboard/dossiers`: the desks' processing times against the law, for the
/// city (city staff) or one ward.
///
/// Definitions:
/// - A dossier counts in the period it was received in (Hà Nội dates, both ends included).
/// - Finished: done, or returned with a reason (an answer either way). On time: finished by
///   its due date, which moves later by each wait for documents.
/// - Due: finished, or still open and late now. On-time % is on time over due.
/// - Late now: open, its clock running and its due date passed; or waiting for documents
///   after having become late (the wait stops the clock, it does not undo the lateness).
///   How late is in working hours, to now or to the start of the wait.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DossierDashboard {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub now: DateTime<Utc>,
    pub total: DossierFigures,
    /// The wards with dossiers to count, by ward code.
    pub wards: Vec<WardDossierFigures>,
    /// The procedures with dossiers to count, in the catalogue's order.
    pub procedures: Vec<ProcedureDossierFigures>,
    /// Open dossiers late now, the latest first.
    pub overdue: Vec<OverdueDossier>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DossierFigures {
    pub received: u64,
    pub finished: u64,
    pub due: u64,
    pub on_time: u64,
    pub on_time_pct: Option<f64>,
    /// Open now, whenever received.
    pub open: u64,
    pub waiting_for_documents: u64,
    pub overdue_now: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WardDossierFigures {
    pub ward: WardRef,
    #[serde(flatten)]
    pub figures: DossierFigures,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcedureDossierFigures {
    pub procedure: String,
    pub name_vi: String,
    pub name_en: String,
    #[serde(flatten)]
    pub figures: DossierFigures,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverdueDossier {
    pub code: String,
    pub procedure: String,
    pub ward: WardRef,
    pub status: DossierStatus,
    pub due_at: DateTime<Utc>,
    /// Working hours past the due date, one decimal.
    pub late_hours: f64,
}
