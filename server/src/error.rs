//! What the domain answers when it will not, or cannot, do what was asked.
//!
//! The domain (reports, dossiers, devices, staff, sync, live streams, uploads, Open311 forms)
//! says *why* in these terms and nothing of HTTP; [`crate::http::error`] alone turns them into
//! statuses and bodies. Sync's push turns the same refusals into per-operation answers.

use std::time::Duration;

use phananh_shared::refusal::ErrorCode;
use phananh_shared::validation::FieldError;

use crate::photos::PhotoError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// No such thing, or none the asker may know of.
    #[error("{message}")]
    NotFound { message: String, field: Option<&'static str> },
    /// Who asks is not known: no token, an unknown or expired one, a wrong password.
    #[error("{0}")]
    Unauthenticated(String),
    /// Known, but not allowed to do this (another ward's report, say).
    #[error("{0}")]
    Forbidden(String),
    /// Input the client can fix, naming the field.
    #[error(transparent)]
    Invalid(#[from] FieldError),
    /// A move the status machine (a report's or a dossier's) does not allow from where it is.
    #[error("{0}")]
    Transition(String),
    /// Clashes with what is stored: an operation id reused for other content (`Conflict`),
    /// a comment on a closed report (`ReportClosed`).
    #[error("{message}")]
    Conflict { code: ErrorCode, message: String, field: Option<&'static str> },
    /// Too much, too soon: a budget spent, a cap reached, a dossier locked. The same request
    /// succeeds after `retry_after` when that is known.
    #[error("{message}")]
    Limited { code: ErrorCode, message: String, field: Option<&'static str>, retry_after: Option<Duration> },
    /// Not now, through no fault of the asker: every photo decoder is busy, say. The same
    /// request succeeds after `retry_after`.
    #[error("{message}")]
    Busy { message: String, retry_after: Duration },
    /// A photo the intake will not take (or failed to store: then ours).
    #[error(transparent)]
    Photo(#[from] PhotoError),
    /// The store failed: out of reach for now, or broken.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A failure of ours that is not the store's (a kept answer that no longer reads).
    #[error("{0}")]
    Internal(String),
}

impl DomainError {
    pub fn not_found(message: impl Into<String>) -> DomainError {
        DomainError::NotFound { message: message.into(), field: None }
    }

    /// Not found, naming the request field that named it.
    pub fn not_found_on(field: &'static str, message: impl Into<String>) -> DomainError {
        DomainError::NotFound { message: message.into(), field: Some(field) }
    }

    /// A move refused by a status machine, in the machine's words.
    pub fn transition(refused: impl std::fmt::Display) -> DomainError {
        DomainError::Transition(refused.to_string())
    }

    /// The request clashes with what is stored (an id reused for different content), naming
    /// the field.
    pub fn conflict(field: &'static str, message: impl Into<String>) -> DomainError {
        DomainError::Conflict { code: ErrorCode::Conflict, message: message.into(), field: Some(field) }
    }

    pub fn unauthenticated(message: impl Into<String>) -> DomainError {
        DomainError::Unauthenticated(message.into())
    }

    pub fn forbidden(message: impl Into<String>) -> DomainError {
        DomainError::Forbidden(message.into())
    }

    /// A refusal the asker caused and can act on, as opposed to a failure of ours or a "not
    /// now" that is nobody's fault.
    pub fn is_refusal(&self) -> bool {
        match self {
            DomainError::Photo(error) => error.is_client_error(),
            DomainError::Busy { .. } | DomainError::Store(_) | DomainError::Internal(_) => false,
            _ => true,
        }
    }

    /// The wire code a client branches on.
    pub fn code(&self) -> ErrorCode {
        match self {
            DomainError::NotFound { .. } => ErrorCode::NotFound,
            DomainError::Unauthenticated(_) => ErrorCode::Unauthorized,
            DomainError::Forbidden(_) => ErrorCode::Forbidden,
            DomainError::Invalid(error) => error.code,
            DomainError::Transition(_) => ErrorCode::InvalidTransition,
            DomainError::Conflict { code, .. } | DomainError::Limited { code, .. } => *code,
            DomainError::Photo(error) if error.is_client_error() => ErrorCode::InvalidPhoto,
            DomainError::Busy { .. } | DomainError::Store(StoreError::Unavailable(_)) => ErrorCode::Busy,
            DomainError::Photo(_) | DomainError::Store(_) | DomainError::Internal(_) => ErrorCode::Internal,
        }
    }

    /// The request field at fault, when one is.
    pub fn field(&self) -> Option<&str> {
        match self {
            DomainError::NotFound { field, .. }
            | DomainError::Conflict { field, .. }
            | DomainError::Limited { field, .. } => *field,
            DomainError::Invalid(error) => Some(&error.field),
            DomainError::Transition(_) => Some("action"),
            DomainError::Photo(error) if error.is_client_error() => Some("photo"),
            _ => None,
        }
    }
}
