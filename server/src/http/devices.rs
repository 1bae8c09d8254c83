//! `POST /api/v1/devices`: a resident's device registers; `…/transfer` and `…/claim` move its
//! identity to another device with a one-time code.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::http::header::CACHE_CONTROL;
use phananh_shared::api::{ClaimRequest, Claimed, DeviceCreated, NewDevice, TransferCode};

use super::AppState;
use super::auth::Device;
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

/// `POST /api/v1/devices/transfer`: a one-time code, shown on this device, that moves its
/// identity to the device it is typed on.
pub async fn transfer(
    State(state): State<Arc<AppState>>,
    Device(device): Device,
) -> Result<(StatusCode, [(axum::http::HeaderName, &'static str); 1], Json<TransferCode>), ApiError> {
    let code = devices::transfer_code(&state.store, device, state.clock.now()).await?;
    Ok((StatusCode::CREATED, [(CACHE_CONTROL, "no-store")], Json(code)))
}

/// `POST /api/v1/devices/claim`: the device that types the code becomes the identity it
/// names, with a new token.
pub async fn claim(
    State(state): State<Arc<AppState>>,
    body: Result<Json<ClaimRequest>, JsonRejection>,
) -> Result<([(axum::http::HeaderName, &'static str); 1], Json<Claimed>), ApiError> {
    let Json(request) = body?;
    let claimed = devices::claim(&state.store, &request.code, state.clock.now()).await?;
    Ok(([(CACHE_CONTROL, "no-store")], Json(claimed)))
}
