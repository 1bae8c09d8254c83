//! Photo endpoints: upload (a resident's before filing, staff's before resolving), and the
//! public copies.

use phananh_shared::refusal::ErrorCode;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use phananh_shared::validation::FieldError;
use serde::Deserialize;
use uuid::Uuid;

use super::AppState;
use super::auth::Viewer;
use super::error::ApiError;
use super::params::{self, Segment};
use crate::photos::PhotoSize;
use crate::reports::Reader;
use crate::uploads::Uploaded;

/// `POST /api/v1/photos`: the image file as the request body (JPEG, PNG or WebP, told by its
/// bytes); 201 with the photo's id.
pub async fn upload(
    State(state): State<Arc<AppState>>,
    Viewer(reader): Viewer,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Uploaded>), ApiError> {
    let uploader = match reader {
        Reader::Device(id) => format!("device:{id}"),
        Reader::Staff { id, .. } => format!("staff:{id}"),
        Reader::Public => {
            return Err(ApiError::unauthorized("register the device or sign in to upload photos"));
        }
    };
    let body = body.map_err(|rejection| {
        ApiError::new(rejection.status(), ErrorCode::InvalidPhoto, rejection.body_text()).on("photo")
    })?;
    let uploaded = state.uploads.upload(&state.store, uploader, body.to_vec(), state.clock.now()).await?;
    Ok((StatusCode::CREATED, Json(uploaded)))
}

#[derive(Debug, Deserialize)]
pub struct PhotoQuery {
    size: Option<String>,
}

/// `GET /api/v1/photos/{id}?size=thumb`: the public copy (no EXIF, no GPS) or its thumbnail.
pub async fn get(
    State(state): State<Arc<AppState>>,
    Segment(id): Segment,
    query: Result<Query<PhotoQuery>, QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Query(query) = query?;
    let id = Uuid::parse_str(&id)
        .map_err(|_| FieldError::invalid("id", format!("photo id must be a UUID, got {id:?}")))?;
    let size = match query.size.as_deref().map(|s| params::choice::<Size>("size", s)).transpose()? {
        Some(Size::Thumb) => PhotoSize::Thumb,
        Some(Size::Public) | None => PhotoSize::Public,
    };
    let bytes = state
        .uploads
        .read(&state.store, id, size)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no photo {id}")))?;
    // A photo id always names the same bytes.
    Ok((
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        bytes,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Size {
    Public,
    Thumb,
}
