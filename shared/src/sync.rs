//! The sync protocol: how an offline-first client sends what the resident did while offline
//! (`POST /api/v1/sync/push`) and catches up with what happened meanwhile
//! (`GET /api/v1/sync/pull`).
//!
//! Every operation carries an id the client made when the resident acted. The server applies
//! each id at most once and keeps its answer, so a batch sent again after a lost answer gets
//! the same answers, operation by operation, and changes nothing.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::{CancelRequest, CommentRequest, Event, RatingRequest, ReportView, WardRef};
use crate::dossier::{DossierEvent, DossierView, TrackDossier};
use crate::report::NewReport;
use crate::validation::FieldError;

/// The most operations one push carries: a phone back online after a week of filing sends
/// its outbox in a few batches, each answered quickly.
pub const MAX_BATCH: usize = 100;

/// `POST /api/v1/sync/push`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    pub operations: Vec<Operation>,
}

impl PushRequest {
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.operations.is_empty() {
            return Err(FieldError::required("operations"));
        }
        if self.operations.len() > MAX_BATCH {
            return Err(FieldError::too_many("operations", MAX_BATCH, self.operations.len()));
        }
        Ok(())
    }
}

/// One thing the resident did, with the id the client gave it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Operation {
    pub id: Uuid,
    #[serde(flatten)]
    pub change: OperationKind,
}

/// What an operation does. Photos are uploaded first (`POST /api/v1/photos`) and named in the
/// report, so a report is never half-sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum OperationKind {
    CreateReport {
        report: NewReport,
    },
    Comment {
        report_id: Uuid,
        comment: CommentRequest,
    },
    Rate {
        report_id: Uuid,
        rating: RatingRequest,
    },
    Follow {
        report_id: Uuid,
    },
    Cancel {
        report_id: Uuid,
        cancel: CancelRequest,
    },
    /// Start to track a dossier by its code and the secret from the desk's receipt.
    TrackDossier {
        track: TrackDossier,
    },
}

impl OperationKind {
    /// What the operation is about, as the device keys its outbox: the report's id, or
    /// `dossier:<code>`.
    pub fn subject(&self) -> String {
        match self {
            OperationKind::CreateReport { report } => report.id.to_string(),
            OperationKind::Comment { report_id, .. }
            | OperationKind::Rate { report_id, .. }
            | OperationKind::Follow { report_id }
            | OperationKind::Cancel { report_id, .. } => report_id.to_string(),
            OperationKind::TrackDossier { track } => format!("dossier:{}", track.code.trim()),
        }
    }
}

/// The answers to a push, one per operation, in its order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushResponse {
    pub results: Vec<OperationResult>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "OutcomeFields")]
pub struct OperationResult {
    pub id: Uuid,
    #[serde(flatten)]
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case", try_from = "OutcomeFields")]
pub enum Outcome {
    /// Applied: the report as the server now has it (ward, deadlines, status, sequence).
    Accepted { report: Box<ReportView> },
    /// The dossier's code and secret matched: the dossier as its tracker sees it.
    Tracked { dossier: Box<DossierView> },
    /// Not applied, for a reason the resident can read; sending it again changes nothing.
    Refused { code: String, message: String, field: Option<String> },
}

/// An [`OperationResult`], or an [`Outcome`] alone, as read: the operation's `id` (absent
/// from an outcome alone), the `outcome` and every variant's fields (see [`crate::tagged`]).
#[derive(Deserialize)]
struct OutcomeFields {
    id: Option<Uuid>,
    outcome: String,
    report: Option<Box<ReportView>>,
    dossier: Option<Box<DossierView>>,
    code: Option<String>,
    message: Option<String>,
    field: Option<String>,
}

impl TryFrom<OutcomeFields> for OperationResult {
    type Error = String;

    fn try_from(mut f: OutcomeFields) -> Result<OperationResult, String> {
        Ok(OperationResult {
            id: crate::tagged::required(f.id.take(), "id")?,
            outcome: Outcome::try_from(f)?,
        })
    }
}

impl TryFrom<OutcomeFields> for Outcome {
    type Error = String;

    fn try_from(f: OutcomeFields) -> Result<Outcome, String> {
        use crate::tagged::required as r;
        Ok(match f.outcome.as_str() {
            "accepted" => Outcome::Accepted { report: r(f.report, "report")? },
            "tracked" => Outcome::Tracked { dossier: r(f.dossier, "dossier")? },
            "refused" => Outcome::Refused {
                code: r(f.code, "code")?,
                message: r(f.message, "message")?,
                field: f.field,
            },
            outcome => return Err(crate::tagged::unknown(outcome)),
        })
    }
}

/// `GET /api/v1/sync/pull?cursor=&limit=`: the device's events after `cursor`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullResponse {
    pub events: Vec<Event>,
    /// The changes to the dossiers the device tracks, in the same sequence.
    #[serde(default)]
    pub dossier_events: Vec<DossierEvent>,
    /// Pull from here next time (every event up to it has been seen or is not the device's).
    pub next_cursor: u64,
    /// Whether more events are waiting after `next_cursor`.
    pub more: bool,
}

/// A report the device holds that the server has not accepted yet: waiting to be sent, or
/// refused (kept with the reason, so nothing the resident wrote disappears). What an app's
/// outbox shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueuedReport {
    /// The sync operation's id: the same on every retry, so the server applies it once.
    pub op_id: Uuid,
    pub report: NewReport,
    /// The ward the device's offline index says will handle it.
    pub ward: Option<WardRef>,
    pub queued_at: DateTime<Utc>,
    /// Photos still on the device, not uploaded yet.
    pub photos_waiting: usize,
    /// Why the server refused it, if it did: its code and field, for the app to say in the
    /// resident's language.
    pub refused: Option<crate::device::Refusal>,
    /// Held back by the server's filing budget (see [`ErrorCode::FilingLimited`](crate::refusal::ErrorCode::FilingLimited)): it goes later.
    #[serde(default)]
    pub held: bool,
    /// Where the device can show the photos still waiting (object URLs in a browser); empty
    /// where it cannot.
    #[serde(default)]
    pub thumbnails: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_reads_back_from_its_json_and_a_broken_one_is_refused() {
        let at: DateTime<Utc> = "2026-03-09T09:30:00Z".parse().unwrap();
        let dossier = DossierView {
            id: Uuid::from_u128(5),
            code: "HS-1".into(),
            procedure: "khai-sinh".into(),
            ward_code: "00070".into(),
            status: crate::dossier::DossierStatus::Processing,
            received_at: at,
            due_at: at,
            paused_since: None,
            missing: None,
            finished_at: None,
            last_seq: 8,
            history: Vec::new(),
            contact: None,
        };
        let outcomes = [
            Outcome::Accepted { report: Box::new(crate::api::sample_report(1)) },
            Outcome::Tracked { dossier: Box::new(dossier) },
            Outcome::Refused {
                code: "invalid".into(),
                message: "too short".into(),
                field: Some("description".into()),
            },
            Outcome::Refused { code: "invalid".into(), message: "too short".into(), field: None },
        ];
        // Each variant's place in `Outcome`; without a wildcard, a new variant does not
        // compile until it is given one, and the check below wants it in the list.
        let variant = |outcome: &Outcome| match outcome {
            Outcome::Accepted { .. } => 0,
            Outcome::Tracked { .. } => 1,
            Outcome::Refused { .. } => 2,
        };
        // The server keeps an answer's outcome alone, and reads it back for a retry.
        crate::tagged::assert_every_variant_reads_back(&outcomes, variant, 3);
        for (n, outcome) in outcomes.into_iter().enumerate() {
            let result = OperationResult { id: Uuid::from_u128(n as u128), outcome };
            let json = serde_json::to_string(&result).unwrap();
            assert_eq!(serde_json::from_str::<OperationResult>(&json).unwrap(), result, "{json}");
        }
        let refused = OperationResult {
            id: Uuid::from_u128(1),
            outcome: Outcome::Refused { code: "invalid".into(), message: "too short".into(), field: None },
        };
        assert_eq!(
            serde_json::to_string(&refused).unwrap(),
            r#"{"id":"00000000-0000-0000-0000-000000000001","outcome":"refused","code":"invalid","message":"too short","field":null}"#
        );
        let missing = serde_json::from_str::<Outcome>(r#"{"outcome":"accepted"}"#).unwrap_err();
        assert!(missing.to_string().contains("missing field `report`"), "{missing}");
        let no_id =
            serde_json::from_str::<OperationResult>(r#"{"outcome":"refused","code":"x","message":"y"}"#);
        assert!(no_id.unwrap_err().to_string().contains("missing field `id`"));
        assert!(serde_json::from_str::<Outcome>(r#"{"outcome":"maybe"}"#).is_err());
    }
}
