//! `POST /api/v1/devices`: a resident's device registers; `…/transfer` and `…/claim` move its
//! identity to another device with a one-time code.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderMap, StatusCode};
use phananh_shared::api::{ClaimRequest, Claimed, DeviceCreated, NewDevice, TransferCode};

use super::AppState;
use super::auth::{Device, bearer};
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
/// A device that sends its own token brings what it has into the identity it takes; one
/// whose token is unknown (moved away itself) claims as a new device.
pub async fn claim(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Json<ClaimRequest>, JsonRejection>,
) -> Result<([(axum::http::HeaderName, &'static str); 1], Json<Claimed>), ApiError> {
    let Json(request) = body?;
    let claimer = match bearer(&headers)? {
        Some(token) => match devices::recognise(&state.store, token).await? {
            Some(devices::Holder::Resident(id)) => Some(id),
            _ => None,
        },
        None => None,
    };
    let claimed = devices::claim(&state.store, &request.code, claimer, state.clock.now()).await?;
    // The old device's live streams end: its token no longer works; nor does the claimer's
    // own, merged into it.
    for ended in claimer.into_iter().chain([claimed.device.device_id]) {
        state.live.device_ended(ended);
    }
    Ok(([(CACHE_CONTROL, "no-store")], Json(claimed)))
}
