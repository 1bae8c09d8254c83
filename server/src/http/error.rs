//! The one place errors become HTTP responses.
//!
//! Every refusal has the same shape, `{ "error": { "code", "message", "field" } }`, so an app
//! can show `message` next to the input named by `field`, and programs can branch on `code`.

use std::borrow::Cow;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use phananh_shared::validation::FieldError;
use serde::Serialize;

/// A refusal: an HTTP status and the error body.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorBody,
}

#[derive(Debug, Serialize)]
struct ErrorBody {
    code: Cow<'static, str>,
    message: String,
    /// The request field at fault, or null when the request as a whole is.
    field: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, body: ErrorBody { code: code.into(), message: message.into(), field: None } }
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }
}

/// Invalid input the client can fix: 422, naming the field.
impl From<FieldError> for ApiError {
    fn from(error: FieldError) -> ApiError {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            body: ErrorBody {
                code: error.code.code().into(),
                message: error.message,
                field: Some(error.field),
            },
        }
    }
}

/// A query string that cannot even be decoded (bad percent-encoding, say).
impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_query", rejection.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(code = %self.body.code, message = %self.body.message, "request failed");
        }
        #[derive(Serialize)]
        struct Envelope {
            error: ErrorBody,
        }
        (self.status, Json(Envelope { error: self.body })).into_response()
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
        "method_not_allowed",
        "this endpoint does not take that method",
    )
}
