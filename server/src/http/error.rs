//! The one place errors become HTTP responses.
//!
//! Every refusal has the same shape, `{ "error": { "code", "message", "field" } }`, so an app
//! can show `message` next to the input named by `field`, and programs can branch on `code`.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use phananh_shared::refusal::ErrorCode;
use phananh_shared::validation::FieldError;
use serde::Serialize;

use crate::error::DomainError;
use crate::photos::PhotoError;
use crate::store::StoreError;

/// A refusal: an HTTP status and the error body.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorBody,
    /// Seconds after which the same request may succeed, sent as `Retry-After`.
    retry_after: Option<u64>,
}

#[derive(Debug, Serialize)]
struct ErrorBody {
    code: ErrorCode,
    message: String,
    /// The request field at fault, or null when the request as a whole is.
    field: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError { status, body: ErrorBody { code, message: message.into(), field: None }, retry_after: None }
    }

    /// Says when to try again: `Retry-After`, in whole seconds (at least 1).
    pub fn retry_after(mut self, wait: std::time::Duration) -> ApiError {
        self.retry_after = Some(wait.as_secs_f64().ceil().max(1.0) as u64);
        self
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized, message)
    }

    /// Signed in, but not allowed to do this (another ward's report, say).
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, message)
    }

    /// Names the request field at fault.
    pub fn on(mut self, field: &str) -> ApiError {
        self.body.field = Some(field.to_owned());
        self
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The error's code, message and field, as the body carries them.
    pub fn parts(&self) -> (ErrorCode, &str, Option<&str>) {
        (self.body.code, &self.body.message, self.body.field.as_deref())
    }

    /// A failure of ours, not the client's: logged in full, answered without details.
    pub fn internal(error: impl std::fmt::Display) -> ApiError {
        tracing::error!(%error, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            "the server failed; the request can be retried",
        )
    }
}

/// The domain's refusals and failures, each with its status. A failure of ours is logged in
/// full and answered without details.
impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> ApiError {
        let status = match &error {
            DomainError::NotFound { .. } => StatusCode::NOT_FOUND,
            DomainError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            DomainError::Forbidden(_) => StatusCode::FORBIDDEN,
            DomainError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            DomainError::Transition(_) | DomainError::Conflict { .. } => StatusCode::CONFLICT,
            DomainError::Limited { .. } => StatusCode::TOO_MANY_REQUESTS,
            DomainError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            DomainError::Photo(PhotoError::TooLarge { .. }) => StatusCode::PAYLOAD_TOO_LARGE,
            DomainError::Photo(PhotoError::NotAnImage) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            DomainError::Photo(PhotoError::Undecodable(_) | PhotoError::TooManyPixels { .. }) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            DomainError::Store(failure) => return store_failure(failure),
            DomainError::Photo(PhotoError::Io(_)) | DomainError::Internal(_) => {
                return ApiError::internal(&error);
            }
        };
        let retry_after = match &error {
            DomainError::Limited { retry_after, .. } => *retry_after,
            DomainError::Busy { retry_after, .. } => Some(*retry_after),
            _ => None,
        };
        let refusal = ApiError::new(status, error.code(), error.to_string());
        let refusal = match error.field() {
            Some(field) => refusal.on(field),
            None => refusal,
        };
        match retry_after {
            Some(wait) => refusal.retry_after(wait),
            None => refusal,
        }
    }
}

/// A database that cannot be reached now (restarting, say) is a 503 the client retries;
/// any other store failure is ours.
impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        store_failure(&error)
    }
}

fn store_failure(error: &StoreError) -> ApiError {
    match error {
        StoreError::Unavailable(_) => {
            tracing::warn!(%error, "answered 503");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Busy,
                "the database is unavailable; retry shortly",
            )
            .retry_after(std::time::Duration::from_secs(2))
        }
        error => ApiError::internal(error),
    }
}

/// A JSON body that is not JSON (400), not the expected shape (422, naming the field when
/// the parser knows it), or larger than a JSON body may be (413).
impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> ApiError {
        let message = rejection.body_text();
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            let (json, push) = (super::limits::JSON_BODY_LIMIT / 1024, super::limits::PUSH_BODY_LIMIT / 1024);
            return ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::TooLarge,
                format!(
                    "the request body is too large: a JSON body may have {json} KiB, a sync push {push} KiB"
                ),
            );
        }
        match rejection {
            JsonRejection::JsonDataError(error) => {
                let field = std::iter::successors(std::error::Error::source(&error), |e| e.source())
                    .find_map(|e| e.downcast_ref::<serde_path_to_error::Error<serde_json::Error>>())
                    .map(|e| e.path().to_string())
                    .filter(|path| path != ".")
                    .or_else(|| backticked(&message));
                let error = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::Invalid, message);
                match field {
                    Some(field) => error.on(&field),
                    None => error,
                }
            }
            JsonRejection::MissingJsonContentType(_) => {
                ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, ErrorCode::UnsupportedMediaType, message)
            }
            _ => ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::BadJson, message),
        }
    }
}

/// The field serde names in "missing field `x`" or "unknown field `x`".
fn backticked(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let end = start + message[start..].find('`')?;
    Some(message[start..end].to_owned())
}

/// Invalid input the client can fix: 422, naming the field.
impl From<FieldError> for ApiError {
    fn from(error: FieldError) -> ApiError {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            body: ErrorBody { code: error.code, message: error.message, field: Some(error.field) },
            retry_after: None,
        }
    }
}

/// A query string that cannot even be decoded (bad percent-encoding, say).
impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::BadQuery, rejection.body_text())
    }
}

/// A path whose parameter cannot be read (not UTF-8 once percent-decoded): 400. A route
/// without the parameter its handler reads is our mistake.
impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> ApiError {
        match rejection.status() {
            status if status.is_client_error() => {
                ApiError::new(status, ErrorCode::BadPath, rejection.body_text())
            }
            _ => ApiError::internal(rejection.body_text()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        #[derive(Serialize)]
        struct Envelope {
            error: ErrorBody,
        }
        let mut response = (self.status, Json(Envelope { error: self.body })).into_response();
        if let Some(wait) = self.retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, wait.into());
        }
        response
    }
}

/// For paths that match no route.
pub async fn no_route() -> ApiError {
    ApiError::not_found("no such endpoint")
}

/// For a known path asked with a method it does not serve.
pub async fn wrong_method() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
        "this endpoint does not take that method",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_out_of_reach_is_a_503_to_retry_and_any_other_store_failure_a_500() {
        let unavailable =
            ApiError::from(StoreError::Unavailable("connection refused".into())).into_response();
        assert_eq!(unavailable.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(unavailable.headers()[axum::http::header::RETRY_AFTER], "2");
        let ours = ApiError::from(StoreError::WriterGone);
        assert_eq!((ours.status(), ours.parts().0), (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal));
    }

    #[test]
    fn each_domain_refusal_has_its_status_code_and_field_and_a_failure_of_ours_tells_nothing() {
        let wait = std::time::Duration::from_millis(1500);
        let cases = [
            (DomainError::not_found_on("code", "no such code"), 404, ErrorCode::NotFound, Some("code")),
            (DomainError::unauthenticated("sign in"), 401, ErrorCode::Unauthorized, None),
            (DomainError::forbidden("not your ward"), 403, ErrorCode::Forbidden, None),
            (
                DomainError::Invalid(FieldError::new("text", ErrorCode::TooShort, "too short")),
                422,
                ErrorCode::TooShort,
                Some("text"),
            ),
            (
                DomainError::transition("resolved cannot be resolved"),
                409,
                ErrorCode::InvalidTransition,
                Some("action"),
            ),
            (
                DomainError::Conflict {
                    code: ErrorCode::ReportClosed,
                    message: "closed".into(),
                    field: None,
                },
                409,
                ErrorCode::ReportClosed,
                None,
            ),
            (
                DomainError::Limited {
                    code: ErrorCode::DossierLocked,
                    message: "locked".into(),
                    field: Some("code"),
                    retry_after: Some(wait),
                },
                429,
                ErrorCode::DossierLocked,
                Some("code"),
            ),
            (DomainError::Busy { message: "busy".into(), retry_after: wait }, 503, ErrorCode::Busy, None),
            (DomainError::Photo(PhotoError::NotAnImage), 415, ErrorCode::InvalidPhoto, Some("photo")),
            (
                DomainError::Photo(PhotoError::TooLarge { max: 1, got: 2 }),
                413,
                ErrorCode::InvalidPhoto,
                Some("photo"),
            ),
        ];
        for (error, status, code, field) in cases {
            let message = error.to_string();
            let answer = ApiError::from(error);
            assert_eq!((answer.status().as_u16(), answer.parts()), (status, (code, message.as_str(), field)));
        }
        let limited =
            ApiError::from(DomainError::Busy { message: "busy".into(), retry_after: wait }).into_response();
        assert_eq!(limited.headers()[axum::http::header::RETRY_AFTER], "2", "1.5 s rounded up");
        for ours in [
            DomainError::Photo(PhotoError::Io(std::io::Error::other("disk full at /srv/photos"))),
            DomainError::Internal("a kept answer does not read".into()),
            DomainError::Store(StoreError::WriterGone),
        ] {
            let answer = ApiError::from(ours);
            assert_eq!(
                (answer.status(), answer.parts().0),
                (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal)
            );
            assert!(!answer.parts().1.contains("disk") && !answer.parts().1.contains("kept"), "no details");
        }
    }
}
