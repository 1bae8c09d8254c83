//! Public-service dossiers (hồ sơ thủ tục hành chính): what a ward's one-stop desk records
//! about a resident's application, and what the resident may see of it.
//!
//! ```text
//! received ──start──> processing ──complete──> done            (final)
//! received, processing ──request_documents──> needs_documents  (the clock pauses)
//! needs_documents ──documents_received──> processing           (the clock runs again)
//! received, processing, needs_documents ──return──> returned   (final; a reason is given)
//! received ──complete──> done                                  (settled at the desk)
//! ```
//!
//! A resident tracks a dossier by its code and a secret printed on the desk's receipt (eight
//! random characters; dossiers registered before issue 22 keep the last four digits of the
//! phone, or a six-digit PIN), never by anything that would let a stranger find someone
//! else's. A few wrong secrets lock a dossier's tracking for a while, and the desk is told.
//! The contact details are the desk's, for notices; they are never part of what a
//! resident's device receives.
//!
//! - [`catalogue`]: the procedures and their statutory processing times.

pub mod catalogue;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::validation::{FieldError, check_email, check_phone, check_text};

pub use catalogue::{Catalogue, CatalogueError, Level, Procedure, resumed_due};

/// Where a dossier stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DossierStatus {
    /// At the desk, not yet taken up.
    Received,
    Processing,
    /// Waiting on the resident for documents; the processing clock is paused.
    NeedsDocuments,
    /// The result is ready for pickup or has been sent. Final.
    Done,
    /// Returned or refused, with a reason. Final.
    Returned,
}

/// What the desk does to a dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DossierAction {
    Start,
    RequestDocuments,
    DocumentsReceived,
    Complete,
    Return,
}

/// A move the dossier state machine does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot {} a dossier that is {}", .action.code(), .from.code())]
pub struct DossierTransitionError {
    pub from: DossierStatus,
    pub action: DossierAction,
}

impl DossierStatus {
    pub const ALL: [DossierStatus; 5] = [
        DossierStatus::Received,
        DossierStatus::Processing,
        DossierStatus::NeedsDocuments,
        DossierStatus::Done,
        DossierStatus::Returned,
    ];

    /// The status `action` moves a dossier to, or why it cannot.
    pub fn apply(self, action: DossierAction) -> Result<DossierStatus, DossierTransitionError> {
        use DossierAction as A;
        use DossierStatus as S;
        match (self, action) {
            (S::Received, A::Start) => Ok(S::Processing),
            (S::Received | S::Processing, A::RequestDocuments) => Ok(S::NeedsDocuments),
            (S::NeedsDocuments, A::DocumentsReceived) => Ok(S::Processing),
            (S::Received | S::Processing, A::Complete) => Ok(S::Done),
            (S::Received | S::Processing | S::NeedsDocuments, A::Return) => Ok(S::Returned),
            (from, action) => Err(DossierTransitionError { from, action }),
        }
    }

    /// The actions that can be applied now: the desk's buttons.
    pub fn allowed_actions(self) -> Vec<DossierAction> {
        DossierAction::ALL.into_iter().filter(|&action| self.apply(action).is_ok()).collect()
    }

    /// Whether the processing clock runs: the dossier waits on the office, not the resident.
    pub const fn clock_runs(self) -> bool {
        matches!(self, DossierStatus::Received | DossierStatus::Processing)
    }

    pub const fn is_final(self) -> bool {
        matches!(self, DossierStatus::Done | DossierStatus::Returned)
    }

    /// The wire name, as serialised.
    pub const fn code(self) -> &'static str {
        match self {
            DossierStatus::Received => "received",
            DossierStatus::Processing => "processing",
            DossierStatus::NeedsDocuments => "needs_documents",
            DossierStatus::Done => "done",
            DossierStatus::Returned => "returned",
        }
    }

    /// The status named `code`, as stored.
    pub fn from_code(code: &str) -> Option<DossierStatus> {
        DossierStatus::ALL.into_iter().find(|status| status.code() == code)
    }
}

impl DossierAction {
    pub const ALL: [DossierAction; 5] = [
        DossierAction::Start,
        DossierAction::RequestDocuments,
        DossierAction::DocumentsReceived,
        DossierAction::Complete,
        DossierAction::Return,
    ];

    pub const fn code(self) -> &'static str {
        match self {
            DossierAction::Start => "start",
            DossierAction::RequestDocuments => "request_documents",
            DossierAction::DocumentsReceived => "documents_received",
            DossierAction::Complete => "complete",
            DossierAction::Return => "return",
        }
    }
}

/// How a finished dossier's result reaches the resident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// Ready at the desk.
    Pickup,
    /// Sent by post or electronically.
    Sent,
}

/// The longest free text on a dossier (missing documents, a reason, a note).
pub const MAX_DOSSIER_TEXT: usize = 1000;

/// A dossier the desk registers (`POST /api/v1/dossiers`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewDossier {
    /// A code of the [procedure catalogue](Catalogue).
    pub procedure: String,
    /// The applicant's name, as on the application.
    pub applicant: String,
    /// For notices and, by its last four digits, the resident's tracking secret.
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

impl NewDossier {
    /// Checks the fields the desk typed; the server checks the procedure against its
    /// catalogue. A dossier needs a way to reach the applicant: a phone or an e-mail.
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.procedure.trim().is_empty() {
            return Err(FieldError::required("procedure"));
        }
        check_text("applicant", &self.applicant, 1, 200)?;
        let given = |value: &Option<String>| value.as_deref().is_some_and(|v| !v.trim().is_empty());
        match (given(&self.phone), given(&self.email)) {
            (false, false) => return Err(FieldError::required("phone")),
            (phone, email) => {
                if phone {
                    check_phone("phone", self.phone.as_deref().unwrap_or_default())?;
                }
                if email {
                    check_email("email", self.email.as_deref().unwrap_or_default())?;
                }
            }
        }
        Ok(())
    }
}

/// What the desk does (`POST /api/v1/dossiers/{code}/actions`), as JSON with an `action`
/// field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum DossierActionRequest {
    Start,
    /// The resident must bring more: `missing` says what, in words they will read.
    RequestDocuments {
        missing: String,
    },
    DocumentsReceived,
    Complete {
        delivery: Delivery,
        #[serde(default)]
        note: Option<String>,
    },
    Return {
        reason: String,
    },
}

impl DossierActionRequest {
    pub fn action(&self) -> DossierAction {
        match self {
            DossierActionRequest::Start => DossierAction::Start,
            DossierActionRequest::RequestDocuments { .. } => DossierAction::RequestDocuments,
            DossierActionRequest::DocumentsReceived => DossierAction::DocumentsReceived,
            DossierActionRequest::Complete { .. } => DossierAction::Complete,
            DossierActionRequest::Return { .. } => DossierAction::Return,
        }
    }

    pub fn validate(&self) -> Result<(), FieldError> {
        match self {
            DossierActionRequest::RequestDocuments { missing } => {
                check_text("missing", missing, 3, MAX_DOSSIER_TEXT)
            }
            DossierActionRequest::Return { reason } => check_text("reason", reason, 3, MAX_DOSSIER_TEXT),
            DossierActionRequest::Complete { note: Some(note), .. } => {
                check_text("note", note, 0, MAX_DOSSIER_TEXT)
            }
            _ => Ok(()),
        }
    }
}

/// A resident's request to track a dossier (`POST /api/v1/dossiers/track`, or a sync
/// operation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackDossier {
    pub code: String,
    pub secret: String,
}

impl TrackDossier {
    pub fn validate(&self) -> Result<(), FieldError> {
        check_text("code", &self.code, 1, 64)?;
        check_text("secret", &self.secret, 1, 32)
    }
}

/// One change to a dossier, in the global order of all changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "DossierEventFields")]
pub struct DossierEvent {
    pub seq: u64,
    pub dossier_id: Uuid,
    pub code: String,
    pub ward_code: String,
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub change: DossierChange,
}

/// What changed about a dossier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", try_from = "DossierEventFields")]
pub enum DossierChange {
    /// Registered at the desk.
    Received {
        status: DossierStatus,
        procedure: String,
        due_at: DateTime<Utc>,
    },
    ProcessingStarted {
        status: DossierStatus,
    },
    /// The clock paused until the resident brings what is missing.
    DocumentsRequested {
        status: DossierStatus,
        missing: String,
    },
    /// The clock runs again, to the later due date.
    DocumentsReceived {
        status: DossierStatus,
        due_at: DateTime<Utc>,
    },
    Completed {
        status: DossierStatus,
        delivery: Delivery,
        note: Option<String>,
    },
    Returned {
        status: DossierStatus,
        reason: String,
    },
    /// A resident's device started to track it.
    Tracked,
    /// The due date passed while the office still had it. Dated at the due date.
    DossierOverdue {
        due_at: DateTime<Utc>,
    },
    /// `failures` wrong secrets came in a short while: nobody new may start to track it
    /// until `until` (who tracks it already goes on). For the desk only.
    TrackingLocked {
        until: DateTime<Utc>,
        failures: u32,
    },
}

/// A [`DossierEvent`], or a [`DossierChange`] alone, as read: the event's own fields
/// (absent from a change alone), the `kind` and every variant's fields (see
/// [`crate::tagged`]).
#[derive(Deserialize)]
struct DossierEventFields {
    seq: Option<u64>,
    dossier_id: Option<Uuid>,
    code: Option<String>,
    ward_code: Option<String>,
    at: Option<DateTime<Utc>>,
    kind: String,
    status: Option<DossierStatus>,
    procedure: Option<String>,
    due_at: Option<DateTime<Utc>>,
    missing: Option<String>,
    delivery: Option<Delivery>,
    note: Option<String>,
    reason: Option<String>,
    until: Option<DateTime<Utc>>,
    failures: Option<u32>,
}

impl TryFrom<DossierEventFields> for DossierEvent {
    type Error = String;

    fn try_from(mut f: DossierEventFields) -> Result<DossierEvent, String> {
        use crate::tagged::required as r;
        Ok(DossierEvent {
            seq: r(f.seq.take(), "seq")?,
            dossier_id: r(f.dossier_id.take(), "dossier_id")?,
            code: r(f.code.take(), "code")?,
            ward_code: r(f.ward_code.take(), "ward_code")?,
            at: r(f.at.take(), "at")?,
            change: DossierChange::try_from(f)?,
        })
    }
}

impl TryFrom<DossierEventFields> for DossierChange {
    type Error = String;

    fn try_from(f: DossierEventFields) -> Result<DossierChange, String> {
        use crate::tagged::required as r;
        let status = || r(f.status, "status");
        Ok(match f.kind.as_str() {
            "received" => DossierChange::Received {
                status: status()?,
                procedure: r(f.procedure, "procedure")?,
                due_at: r(f.due_at, "due_at")?,
            },
            "processing_started" => DossierChange::ProcessingStarted { status: status()? },
            "documents_requested" => {
                DossierChange::DocumentsRequested { status: status()?, missing: r(f.missing, "missing")? }
            }
            "documents_received" => {
                DossierChange::DocumentsReceived { status: status()?, due_at: r(f.due_at, "due_at")? }
            }
            "completed" => DossierChange::Completed {
                status: status()?,
                delivery: r(f.delivery, "delivery")?,
                note: f.note,
            },
            "returned" => DossierChange::Returned { status: status()?, reason: r(f.reason, "reason")? },
            "tracked" => DossierChange::Tracked,
            "dossier_overdue" => DossierChange::DossierOverdue { due_at: r(f.due_at, "due_at")? },
            "tracking_locked" => DossierChange::TrackingLocked {
                until: r(f.until, "until")?,
                failures: r(f.failures, "failures")?,
            },
            kind => return Err(crate::tagged::unknown(kind)),
        })
    }
}

impl DossierChange {
    /// The status this change leaves the dossier in, if it moves it.
    pub fn status(&self) -> Option<DossierStatus> {
        match self {
            DossierChange::Received { status, .. }
            | DossierChange::ProcessingStarted { status }
            | DossierChange::DocumentsRequested { status, .. }
            | DossierChange::DocumentsReceived { status, .. }
            | DossierChange::Completed { status, .. }
            | DossierChange::Returned { status, .. } => Some(*status),
            DossierChange::Tracked
            | DossierChange::DossierOverdue { .. }
            | DossierChange::TrackingLocked { .. } => None,
        }
    }

    /// Whether only the desk hears of it: which devices track a dossier, and who tried to.
    pub fn is_desk_only(&self) -> bool {
        matches!(self, DossierChange::Tracked | DossierChange::TrackingLocked { .. })
    }
}

/// A dossier as its tracker (and, with `contact`, the desk) sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DossierView {
    pub id: Uuid,
    pub code: String,
    pub procedure: String,
    pub ward_code: String,
    pub status: DossierStatus,
    pub received_at: DateTime<Utc>,
    /// When the result is due; later by each wait for documents.
    pub due_at: DateTime<Utc>,
    /// While waiting for documents: since when, and what is missing.
    pub paused_since: Option<DateTime<Utc>>,
    pub missing: Option<String>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The newest event about it: a client's cursor for this dossier.
    pub last_seq: u64,
    pub history: Vec<DossierEvent>,
    /// The applicant and how to reach them: for the desk only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<DossierContact>,
}

/// The applicant's details, as the desk took them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DossierContact {
    pub applicant: String,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// The answer to a registration: the dossier, and the secret to hand to the applicant with
/// the code (on the receipt), which is never shown again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegisteredDossier {
    pub dossier: DossierView,
    pub secret: String,
}

impl DossierView {
    /// `event` applied to the view, as a client that caches it does. Events come in order;
    /// one the view already holds (at or before its `last_seq`) is skipped.
    pub fn apply(&mut self, event: &DossierEvent) {
        if event.seq <= self.last_seq {
            return;
        }
        if let Some(status) = event.change.status() {
            self.status = status;
        }
        match &event.change {
            DossierChange::DocumentsRequested { missing, .. } => {
                self.paused_since = Some(event.at);
                self.missing = Some(missing.clone());
            }
            DossierChange::DocumentsReceived { due_at, .. } => {
                self.due_at = *due_at;
                self.paused_since = None;
                self.missing = None;
            }
            DossierChange::Completed { .. } | DossierChange::Returned { .. } => {
                self.finished_at = Some(event.at);
                self.paused_since = None;
            }
            _ => {}
        }
        self.last_seq = event.seq;
        self.history.push(event.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dossier_change_reads_back_from_its_json_and_a_broken_one_is_refused() {
        let at: DateTime<Utc> = "2026-03-09T09:30:00Z".parse().unwrap();
        let status = DossierStatus::Processing;
        let changes = [
            DossierChange::Received { status, procedure: "khai-sinh".into(), due_at: at },
            DossierChange::ProcessingStarted { status },
            DossierChange::DocumentsRequested { status, missing: "a photo".into() },
            DossierChange::DocumentsReceived { status, due_at: at },
            DossierChange::Completed { status, delivery: Delivery::Pickup, note: Some("desk 3".into()) },
            DossierChange::Completed { status, delivery: Delivery::Sent, note: None },
            DossierChange::Returned { status, reason: "wrong office".into() },
            DossierChange::Tracked,
            DossierChange::DossierOverdue { due_at: at },
            DossierChange::TrackingLocked { until: at, failures: 5 },
        ];
        // Each variant's place in `DossierChange`; without a wildcard, a new variant does not
        // compile until it is given one, and the check below wants it in the list.
        let variant = |change: &DossierChange| match change {
            DossierChange::Received { .. } => 0,
            DossierChange::ProcessingStarted { .. } => 1,
            DossierChange::DocumentsRequested { .. } => 2,
            DossierChange::DocumentsReceived { .. } => 3,
            DossierChange::Completed { .. } => 4,
            DossierChange::Returned { .. } => 5,
            DossierChange::Tracked => 6,
            DossierChange::DossierOverdue { .. } => 7,
            DossierChange::TrackingLocked { .. } => 8,
        };
        crate::tagged::assert_every_variant_reads_back(&changes, variant, 9);
        let missing = serde_json::from_str::<DossierChange>(r#"{"kind":"returned","status":"returned"}"#);
        assert!(missing.unwrap_err().to_string().contains("missing field `reason`"));
        assert!(serde_json::from_str::<DossierChange>(r#"{"kind":"lost"}"#).is_err());
    }

    #[test]
    fn every_pair_of_status_and_action_is_allowed_only_as_drawn() {
        use DossierAction as A;
        use DossierStatus as S;
        let allowed = [
            (S::Received, A::Start, S::Processing),
            (S::Received, A::RequestDocuments, S::NeedsDocuments),
            (S::Processing, A::RequestDocuments, S::NeedsDocuments),
            (S::NeedsDocuments, A::DocumentsReceived, S::Processing),
            (S::Received, A::Complete, S::Done),
            (S::Processing, A::Complete, S::Done),
            (S::Received, A::Return, S::Returned),
            (S::Processing, A::Return, S::Returned),
            (S::NeedsDocuments, A::Return, S::Returned),
        ];
        for from in S::ALL {
            for action in A::ALL {
                let expected =
                    allowed.iter().find(|(f, a, _)| *f == from && *a == action).map(|(_, _, to)| *to);
                assert_eq!(from.apply(action).ok(), expected, "{from:?} + {action:?}");
            }
        }
        assert!(S::Done.allowed_actions().is_empty() && S::Returned.allowed_actions().is_empty());
        assert_eq!(S::from_code("needs_documents"), Some(S::NeedsDocuments));
        assert!(!S::NeedsDocuments.clock_runs() && S::Processing.clock_runs());
    }

    #[test]
    fn a_registration_needs_a_way_to_reach_the_applicant() {
        let mut dossier = NewDossier {
            procedure: "ho-tich-khai-sinh".into(),
            applicant: "Nguyễn Văn An".into(),
            phone: None,
            email: None,
        };
        assert_eq!(dossier.validate().unwrap_err().field, "phone");
        dossier.email = Some("an@example".into());
        assert_eq!(dossier.validate().unwrap_err().field, "email");
        dossier.email = Some("an@example.vn".into());
        assert!(dossier.validate().is_ok());
        dossier.phone = Some("09x".into());
        assert_eq!(dossier.validate().unwrap_err().field, "phone");
    }

    #[test]
    fn an_event_is_one_flat_object_with_its_kind() {
        let event = DossierEvent {
            seq: 3,
            dossier_id: Uuid::from_u128(1),
            code: "00070-261202-0001".into(),
            ward_code: "00070".into(),
            at: "2026-12-02T03:00:00Z".parse().unwrap(),
            change: DossierChange::DocumentsRequested {
                status: DossierStatus::NeedsDocuments,
                missing: "Bản sao CCCD".into(),
            },
        };
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["kind"], "documents_requested");
        assert_eq!(json["missing"], "Bản sao CCCD");
        assert_eq!(serde_json::from_value::<DossierEvent>(json).unwrap(), event);
    }
}
