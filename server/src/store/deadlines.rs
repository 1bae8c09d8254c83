//! The deadlines the SLA watcher keeps: a report's to acknowledge and to answer, a dossier's
//! due date, each breach recorded once (the deadline it was for, on the report or dossier).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::StoreError;

/// Which deadline passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Missed {
    Acknowledgement,
    Handling,
    Dossier,
}

/// A deadline passed and not yet recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breach {
    pub deadline: DateTime<Utc>,
    /// The report's or the dossier's id.
    pub id: Uuid,
    pub ward: String,
    pub missed: Missed,
}

/// Waiting on the ward to acknowledge.
pub(super) const AWAITING_ACK: &str = "status = 'submitted' AND ack_overdue_at IS NULL";
/// Waiting on the ward to resolve (the statuses of `Status::is_open`).
pub(super) const AWAITING_ANSWER: &str =
    "status IN ('submitted', 'acknowledged', 'in_progress', 'reopened') AND handle_overdue_at IS NULL";
/// A dossier the office still has, its clock running (`DossierStatus::clock_runs`).
pub(super) const DOSSIER_RUNNING: &str = "status IN ('received', 'processing') AND overdue_at IS NULL";

/// Where each kind of breach is recorded: the table, the deadline's column, what must hold
/// while the deadline runs, and the column that records its breach.
pub(super) fn columns(missed: Missed) -> (&'static str, &'static str, &'static str, &'static str) {
    match missed {
        Missed::Acknowledgement => ("reports", "deadline_ack", AWAITING_ACK, "ack_overdue_at"),
        Missed::Handling => ("reports", "deadline_handle", AWAITING_ANSWER, "handle_overdue_at"),
        Missed::Dossier => ("dossiers", "due_at", DOSSIER_RUNNING, "overdue_at"),
    }
}

/// What a store keeps of deadlines.
pub trait Deadlines {
    /// Every deadline passed by `now` whose breach is not recorded, in no particular order.
    fn passed_deadlines(&mut self, now: DateTime<Utc>) -> Result<Vec<Breach>, StoreError>;

    /// Records `breach`: `false` if it was recorded already, or its deadline is no longer the
    /// one in force (a transfer or a reopening set another), so it is recorded once, whoever
    /// else tries, and never against a deadline that replaced it.
    fn record_breach(&mut self, breach: &Breach) -> Result<bool, StoreError>;

    /// The earliest deadline whose breach is not recorded, of a report or dossier still running.
    fn next_deadline(&mut self) -> Result<Option<DateTime<Utc>>, StoreError>;
}
