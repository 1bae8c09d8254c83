//! Who is asking: a resident's device, recognised by its bearer token.

use std::sync::Arc;

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use uuid::Uuid;

use super::AppState;
use super::error::ApiError;
use crate::devices;

/// The device making the request. Required: a request without a valid token is a 401.
#[derive(Debug, Clone, Copy)]
pub struct Device(pub Uuid);

impl FromRequestParts<Arc<AppState>> for Device {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Device, ApiError> {
        let token = bearer(parts)?.ok_or_else(|| {
            ApiError::unauthorized(
                "register the device first and send its token as `Authorization: Bearer <token>`",
            )
        })?;
        recognise(state, token).await
    }
}

/// As an `Option<Device>`: absent without a token (a public reader), but a token that is
/// sent must be valid, so a device with a lost registration hears about it.
impl OptionalFromRequestParts<Arc<AppState>> for Device {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Option<Device>, ApiError> {
        match bearer(parts)? {
            Some(token) => recognise(state, token).await.map(Some),
            None => Ok(None),
        }
    }
}

async fn recognise(state: &AppState, token: &str) -> Result<Device, ApiError> {
    devices::recognise(&state.store, token)
        .await?
        .map(Device)
        .ok_or_else(|| ApiError::unauthorized("this device token is not known; register the device again"))
}

/// The token of an `Authorization: Bearer …` header, if there is one.
fn bearer(parts: &Parts) -> Result<Option<&str>, ApiError> {
    let Some(value) = parts.headers.get(AUTHORIZATION) else { return Ok(None) };
    value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|token| Some(token.trim()))
        .ok_or_else(|| ApiError::unauthorized("the Authorization header must be `Bearer <token>`"))
}
