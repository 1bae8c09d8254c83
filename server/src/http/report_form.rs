//! The body of `POST /api/v1/reports`: the report as JSON, or a `multipart/form-data` form
//! with the report as JSON (part `report`) and its photos (parts `photo`, one file each), so
//! a phone can send everything in one request.

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{StatusCode, header};
use phananh_shared::refusal::ErrorCode;
use phananh_shared::report::{MAX_PHOTOS, NewReport};
use phananh_shared::validation::FieldError;

use super::error::ApiError;
use super::limits::JSON_BODY_LIMIT;

/// The largest filing body: the report and as many photos as it may carry, each at the
/// largest a photo may be.
pub const FORM_LIMIT: usize = JSON_BODY_LIMIT + MAX_PHOTOS * super::PHOTO_PART;

/// A report as filed, with the photo files sent along with it (none for a JSON body).
pub struct ReportForm {
    pub report: NewReport,
    pub photos: Vec<Bytes>,
}

impl<S: Send + Sync> FromRequest<S> for ReportForm {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<ReportForm, ApiError> {
        let multipart = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("multipart/form-data"));
        if multipart {
            let form = Multipart::from_request(request, state)
                .await
                .map_err(|rejection| bad_form(rejection.status(), rejection.body_text()))?;
            return read_form(form).await;
        }
        // The route lets photo-sized bodies through for forms; a JSON body keeps its own cap.
        let request = request.map(|body| Body::new(http_body_util::Limited::new(body, JSON_BODY_LIMIT)));
        let Json(report) = Json::<NewReport>::from_request(request, state).await?;
        Ok(ReportForm { report, photos: Vec::new() })
    }
}

/// Reads the form's parts. A part in error does not end the reading: the rest of the form
/// is read (and dropped) first, so the client, still sending, hears the refusal instead of a
/// connection reset. The body limit bounds what that costs.
async fn read_form(mut form: Multipart) -> Result<ReportForm, ApiError> {
    let mut report = None;
    let mut photos = Vec::new();
    let mut refusal: Option<ApiError> = None;
    while let Some(part) = form.next_field().await.map_err(|e| bad_form(e.status(), e.body_text()))? {
        let name = part.name().unwrap_or_default().to_owned();
        let bytes = part.bytes().await.map_err(|e| bad_form(e.status(), e.body_text()))?;
        if refusal.is_some() {
            continue;
        }
        match name.as_str() {
            "report" if report.is_some() => {
                refusal =
                    Some(FieldError::invalid("report", "the form has more than one report part").into());
            }
            "report" if bytes.len() > JSON_BODY_LIMIT => {
                let limit = JSON_BODY_LIMIT / 1024;
                let message = format!("the report part is larger than the {limit} KiB it may have");
                refusal = Some(
                    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::TooLarge, message).on("report"),
                );
            }
            "report" => match Json::<NewReport>::from_bytes(&bytes) {
                Ok(Json(parsed)) => report = Some(parsed),
                Err(rejection) => refusal = Some(rejection.into()),
            },
            "photo" if photos.len() == MAX_PHOTOS => {
                refusal = Some(FieldError::too_many("photos", MAX_PHOTOS, MAX_PHOTOS + 1).into());
            }
            "photo" => photos.push(bytes),
            _ => {
                let message = format!(
                    "unexpected form part {name:?}: a filing has a \"report\" part and \"photo\" parts"
                );
                refusal = Some(FieldError::invalid(name.clone(), message).into());
            }
        }
    }
    if let Some(refusal) = refusal {
        return Err(refusal);
    }
    let report = report.ok_or_else(|| FieldError::required("report"))?;
    Ok(ReportForm { report, photos })
}

/// A form that cannot be read: malformed (400) or larger than a filing may be (413).
fn bad_form(status: StatusCode, message: String) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        let limit = FORM_LIMIT / (1024 * 1024);
        return ApiError::new(
            status,
            ErrorCode::TooLarge,
            format!("the form is larger than the {limit} MiB a report with {MAX_PHOTOS} photos may have"),
        );
    }
    ApiError::new(status, ErrorCode::BadForm, message)
}
