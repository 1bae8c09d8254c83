//! The life of a report: its statuses, the actions that move it, and the only moves allowed.
//!
//! ```text
//! submitted ──acknowledge──> acknowledged ──start──> in_progress ──resolve──> resolved ──close──> closed
//!                            acknowledged ──resolve──> resolved        (a quick fix)
//! resolved, closed ──reopen──> reopened ──start──> in_progress   reopened ──resolve──> resolved
//! submitted, acknowledged, in_progress ──reject──> rejected             (final)
//! submitted, acknowledged ──mark_duplicate──> duplicate                 (final)
//! submitted, acknowledged, in_progress, reopened ──transfer──> submitted (at another ward)
//! submitted, acknowledged, in_progress, reopened ──cancel──> cancelled  (by its resident; final)
//! ```
//!
//! The rules live here so the server (which refuses any other move) and the app (which shows
//! only the buttons that can work) cannot disagree. What a move needs besides the current
//! status is the server's to check, because it needs data or the clock: a reason to reject, an
//! answer text and, for [field categories](crate::report::Category::needs_after_photo), an
//! "after" photo to resolve, the original's id for a duplicate, the target ward for a transfer,
//! and the window within which a resident may reopen.

use serde::{Deserialize, Serialize};

/// Where a report stands.
///
/// There is no `transferred` status: a transfer hands the report to another ward, where it
/// starts again as `submitted` (the event records the move). Likewise `duplicate` is a status
/// and the id of the original is data the server keeps beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Filed by a resident, waiting for the ward to take it.
    Submitted,
    /// The ward has taken it; its handling deadline runs.
    Acknowledged,
    /// Someone is working on it.
    InProgress,
    /// The ward has answered; the resident may accept it (close) or disagree (reopen).
    Resolved,
    /// Done. Still reopenable, within the window.
    Closed,
    /// Not the ward's business or not a real problem; a reason was given. Final.
    Rejected,
    /// Already reported; the original carries on. Final.
    Duplicate,
    /// The resident disagreed with the answer; the ward must answer again.
    Reopened,
    /// Withdrawn by the resident who filed it before the ward answered (fixed by itself,
    /// filed by mistake). Final.
    Cancelled,
}

/// What staff or the resident do to a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Acknowledge,
    Start,
    Resolve,
    Reject,
    Transfer,
    MarkDuplicate,
    Close,
    Reopen,
    Cancel,
}

/// A move the state machine does not allow. Its message says what to do instead, so the server
/// can show it unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot {} a report that is {}: {}", .action.phrase(), .from.phrase(), hint(*.from, *.action))]
pub struct TransitionError {
    pub from: Status,
    pub action: Action,
}

impl Status {
    pub const ALL: [Status; 9] = [
        Status::Submitted,
        Status::Acknowledged,
        Status::InProgress,
        Status::Resolved,
        Status::Closed,
        Status::Rejected,
        Status::Duplicate,
        Status::Reopened,
        Status::Cancelled,
    ];

    /// The status `action` moves a report to, or why it cannot.
    pub fn apply(self, action: Action) -> Result<Status, TransitionError> {
        use Action as A;
        use Status as S;
        match (self, action) {
            (S::Submitted, A::Acknowledge) => Ok(S::Acknowledged),
            (S::Acknowledged | S::Reopened, A::Start) => Ok(S::InProgress),
            (S::Acknowledged | S::InProgress | S::Reopened, A::Resolve) => Ok(S::Resolved),
            (S::Submitted | S::Acknowledged | S::InProgress, A::Reject) => Ok(S::Rejected),
            (S::Submitted | S::Acknowledged | S::InProgress | S::Reopened, A::Transfer) => Ok(S::Submitted),
            (S::Submitted | S::Acknowledged, A::MarkDuplicate) => Ok(S::Duplicate),
            (S::Resolved, A::Close) => Ok(S::Closed),
            (S::Resolved | S::Closed, A::Reopen) => Ok(S::Reopened),
            (S::Submitted | S::Acknowledged | S::InProgress | S::Reopened, A::Cancel) => Ok(S::Cancelled),
            (from, action) => Err(TransitionError { from, action }),
        }
    }

    /// The actions that can be applied now, in [`Action::ALL`] order: the buttons to show.
    pub fn allowed_actions(self) -> Vec<Action> {
        Action::ALL.into_iter().filter(|&action| self.apply(action).is_ok()).collect()
    }

    /// Whether the report still waits on the ward: it counts in the ward's backlog and its
    /// deadlines run. A resolved report waits on the resident instead.
    pub const fn is_open(self) -> bool {
        matches!(self, Status::Submitted | Status::Acknowledged | Status::InProgress | Status::Reopened)
    }

    /// Whether its reporter may still add information: while the ward works on it, or has
    /// just answered (a closed or refused report takes a new report instead).
    pub const fn takes_information(self) -> bool {
        self.is_open() || matches!(self, Status::Resolved)
    }

    /// The wire name, as serialised.
    pub const fn code(self) -> &'static str {
        match self {
            Status::Submitted => "submitted",
            Status::Acknowledged => "acknowledged",
            Status::InProgress => "in_progress",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
            Status::Rejected => "rejected",
            Status::Duplicate => "duplicate",
            Status::Reopened => "reopened",
            Status::Cancelled => "cancelled",
        }
    }

    /// The name residents and staff see.
    pub const fn name_vi(self) -> &'static str {
        match self {
            Status::Submitted => "Chờ tiếp nhận",
            Status::Acknowledged => "Đã tiếp nhận",
            Status::InProgress => "Đang xử lý",
            Status::Resolved => "Đã xử lý",
            Status::Closed => "Đã đóng",
            Status::Rejected => "Từ chối",
            Status::Duplicate => "Trùng lặp",
            Status::Reopened => "Mở lại",
            Status::Cancelled => "Đã hủy",
        }
    }

    pub const fn name_en(self) -> &'static str {
        match self {
            Status::Submitted => "Submitted",
            Status::Acknowledged => "Acknowledged",
            Status::InProgress => "In progress",
            Status::Resolved => "Resolved",
            Status::Closed => "Closed",
            Status::Rejected => "Rejected",
            Status::Duplicate => "Duplicate",
            Status::Reopened => "Reopened",
            Status::Cancelled => "Cancelled",
        }
    }

    /// Completes "a report that is …".
    const fn phrase(self) -> &'static str {
        match self {
            Status::InProgress => "in progress",
            Status::Duplicate => "a duplicate",
            other => other.code(),
        }
    }
}

impl Action {
    pub const ALL: [Action; 9] = [
        Action::Acknowledge,
        Action::Start,
        Action::Resolve,
        Action::Reject,
        Action::Transfer,
        Action::MarkDuplicate,
        Action::Close,
        Action::Reopen,
        Action::Cancel,
    ];

    /// The wire name, as serialised.
    pub const fn code(self) -> &'static str {
        match self {
            Action::Acknowledge => "acknowledge",
            Action::Start => "start",
            Action::Resolve => "resolve",
            Action::Reject => "reject",
            Action::Transfer => "transfer",
            Action::MarkDuplicate => "mark_duplicate",
            Action::Close => "close",
            Action::Reopen => "reopen",
            Action::Cancel => "cancel",
        }
    }

    /// Completes "cannot … a report".
    const fn phrase(self) -> &'static str {
        match self {
            Action::Start => "start work on",
            Action::MarkDuplicate => "mark as a duplicate",
            other => other.code(),
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// What to do instead of a refused move. Every refused pair has its own hint (a test checks
/// none falls through to the last arm).
fn hint(from: Status, action: Action) -> &'static str {
    use Action as A;
    use Status as S;
    match (from, action) {
        (S::Rejected | S::Duplicate | S::Cancelled, _) => "it is final",
        (S::Resolved | S::Closed, A::Cancel) => "the ward has answered: rate the answer, or reopen it",
        (S::Closed, _) => "a closed report can only be reopened",
        (S::Acknowledged, A::Acknowledge) => "it is already acknowledged",
        (S::InProgress, A::Start) => "work has already started",
        (S::Resolved, A::Resolve) => "it is already resolved",
        (S::Reopened, A::Reopen) => "it is already reopened",
        (S::Submitted, A::Start | A::Resolve) => "acknowledge it first",
        (_, A::Close) => "only a resolved report can be closed",
        (_, A::Reopen) => "only a resolved or closed report can be reopened",
        (_, A::Acknowledge) => "it has already been acknowledged",
        (S::Resolved, _) => "it is already resolved; only the resident can reopen it",
        (S::InProgress | S::Reopened, A::MarkDuplicate) => {
            "only a report not yet worked on can be marked as a duplicate"
        }
        (S::Reopened, A::Reject) => "a reopened report needs a new answer: start or resolve it",
        _ => "that move is not allowed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;

    const NO: Option<Status> = None;

    /// The whole state machine, written out by hand: one row per status, one column per action
    /// in `Action::ALL` order; `NO` is a refused move.
    #[rustfmt::skip]
    const TABLE: [(Status, [Option<Status>; 9]); 9] = [
        //              acknowledge         start             resolve         reject          transfer         mark_duplicate   close         reopen          cancel
        (Submitted,    [Some(Acknowledged), NO,               NO,             Some(Rejected), Some(Submitted), Some(Duplicate), NO,           NO,             Some(Cancelled)]),
        (Acknowledged, [NO,                 Some(InProgress), Some(Resolved), Some(Rejected), Some(Submitted), Some(Duplicate), NO,           NO,             Some(Cancelled)]),
        (InProgress,   [NO,                 NO,               Some(Resolved), Some(Rejected), Some(Submitted), NO,              NO,           NO,             Some(Cancelled)]),
        (Resolved,     [NO,                 NO,               NO,             NO,             NO,              NO,              Some(Closed), Some(Reopened), NO]),
        (Closed,       [NO,                 NO,               NO,             NO,             NO,              NO,              NO,           Some(Reopened), NO]),
        (Rejected,     [NO,                 NO,               NO,             NO,             NO,              NO,              NO,           NO,             NO]),
        (Duplicate,    [NO,                 NO,               NO,             NO,             NO,              NO,              NO,           NO,             NO]),
        (Reopened,     [NO,                 Some(InProgress), Some(Resolved), NO,             Some(Submitted), NO,              NO,           NO,             Some(Cancelled)]),
        (Cancelled,    [NO,                 NO,               NO,             NO,             NO,              NO,              NO,           NO,             NO]),
    ];

    #[test]
    fn apply_matches_the_table_for_every_status_and_action() {
        assert_eq!(TABLE.map(|(status, _)| status), Status::ALL);
        for (from, row) in TABLE {
            for (action, expected) in Action::ALL.into_iter().zip(row) {
                let got = from.apply(action);
                match expected {
                    Some(to) => assert_eq!(got, Ok(to), "{from} --{action}-->"),
                    None => assert_eq!(got, Err(TransitionError { from, action }), "{from} --{action}-->"),
                }
            }
        }
    }

    #[test]
    fn exactly_these_moves_between_statuses_are_possible() {
        let expected = [
            (Submitted, Submitted), // transfer: starts again at the other ward
            (Submitted, Acknowledged),
            (Submitted, Rejected),
            (Submitted, Duplicate),
            (Acknowledged, Submitted),
            (Acknowledged, InProgress),
            (Acknowledged, Resolved),
            (Acknowledged, Rejected),
            (Acknowledged, Duplicate),
            (InProgress, Submitted),
            (InProgress, Resolved),
            (InProgress, Rejected),
            (Resolved, Closed),
            (Resolved, Reopened),
            (Closed, Reopened),
            (Reopened, Submitted),
            (Reopened, InProgress),
            (Reopened, Resolved),
            (Submitted, Cancelled),
            (Acknowledged, Cancelled),
            (InProgress, Cancelled),
            (Reopened, Cancelled),
        ];
        for from in Status::ALL {
            for to in Status::ALL {
                let possible = Action::ALL.into_iter().any(|action| from.apply(action) == Ok(to));
                assert_eq!(possible, expected.contains(&(from, to)), "{from} -> {to}");
            }
        }
    }

    #[test]
    fn allowed_actions_are_the_ones_apply_accepts() {
        use Action::*;
        assert_eq!(Submitted.allowed_actions(), [Acknowledge, Reject, Transfer, MarkDuplicate, Cancel]);
        assert_eq!(Acknowledged.allowed_actions(), [Start, Resolve, Reject, Transfer, MarkDuplicate, Cancel]);
        assert_eq!(InProgress.allowed_actions(), [Resolve, Reject, Transfer, Cancel]);
        assert_eq!(Resolved.allowed_actions(), [Close, Reopen]);
        assert_eq!(Closed.allowed_actions(), [Reopen]);
        assert_eq!(Rejected.allowed_actions(), []);
        assert_eq!(Duplicate.allowed_actions(), []);
        assert_eq!(Reopened.allowed_actions(), [Start, Resolve, Transfer, Cancel]);
        assert_eq!(Cancelled.allowed_actions(), []);
    }

    #[test]
    fn open_statuses_are_those_waiting_on_the_ward() {
        let open: Vec<_> = Status::ALL.into_iter().filter(|s| s.is_open()).collect();
        assert_eq!(open, [Submitted, Acknowledged, InProgress, Reopened]);
    }

    #[test]
    fn every_status_is_reachable_from_submitted() {
        let mut reached = vec![Submitted];
        let mut i = 0;
        while let Some(&from) = reached.get(i) {
            for action in Action::ALL {
                if let Ok(to) = from.apply(action)
                    && !reached.contains(&to)
                {
                    reached.push(to);
                }
            }
            i += 1;
        }
        assert_eq!(reached.len(), Status::ALL.len(), "{reached:?}");
    }

    #[test]
    fn transition_error_says_what_to_do() {
        let error = Submitted.apply(Action::Resolve).unwrap_err();
        assert_eq!(error.to_string(), "cannot resolve a report that is submitted: acknowledge it first");
        assert_eq!(
            InProgress.apply(Action::MarkDuplicate).unwrap_err().to_string(),
            "cannot mark as a duplicate a report that is in progress: \
             only a report not yet worked on can be marked as a duplicate"
        );
        assert_eq!(
            Duplicate.apply(Action::Reopen).unwrap_err().to_string(),
            "cannot reopen a report that is a duplicate: it is final"
        );
        assert_eq!(
            Closed.apply(Action::Start).unwrap_err().to_string(),
            "cannot start work on a report that is closed: a closed report can only be reopened"
        );
    }

    #[test]
    fn every_refused_move_has_a_specific_hint() {
        for from in Status::ALL {
            for action in Action::ALL {
                if from.apply(action).is_err() {
                    assert_ne!(hint(from, action), "that move is not allowed", "{from} --{action}-->");
                }
            }
        }
    }

    #[test]
    fn statuses_have_stable_wire_names() {
        let names = [
            "submitted",
            "acknowledged",
            "in_progress",
            "resolved",
            "closed",
            "rejected",
            "duplicate",
            "reopened",
            "cancelled",
        ];
        for (status, name) in Status::ALL.into_iter().zip(names) {
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{name}\""));
            assert_eq!(serde_json::from_str::<Status>(&json).unwrap(), status);
            assert_eq!((status.code(), status.to_string().as_str()), (name, name));
        }
        assert!(serde_json::from_str::<Status>("\"transferred\"").is_err());
    }

    #[test]
    fn actions_have_stable_wire_names() {
        let names = [
            "acknowledge",
            "start",
            "resolve",
            "reject",
            "transfer",
            "mark_duplicate",
            "close",
            "reopen",
            "cancel",
        ];
        for (action, name) in Action::ALL.into_iter().zip(names) {
            let json = serde_json::to_string(&action).unwrap();
            assert_eq!(json, format!("\"{name}\""));
            assert_eq!(serde_json::from_str::<Action>(&json).unwrap(), action);
            assert_eq!((action.code(), action.to_string().as_str()), (name, name));
        }
    }
}
