//! `POST /api/v1/devices`: a resident's device registers.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use phananh_shared::api::{DeviceCreated, NewDevice};

use super::AppState;
use super::error::ApiError;
use crate::devices;

pub async fn register(
    State(state): State<Arc<AppState>>,
    body: Result<Json<NewDevice>, JsonRejection>,
) -> Result<(StatusCode, Json<DeviceCreated>), ApiError> {
    let Json(device) = body?;
    let created = devices::register(&state.store, device).await?;
    Ok((StatusCode::CREATED, Json(created)))
}
