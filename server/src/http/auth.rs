//! Who is asking: a resident's device or a signed-in staff member, each recognised by its
//! bearer token. A request carries one token; device tokens are looked up in `devices`, staff
//! tokens in `sessions`, so neither is ever taken for the other.

use phananh_shared::refusal::ErrorCode;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use uuid::Uuid;

use super::AppState;
use super::error::ApiError;
use crate::devices::{self, Holder};
use crate::reports::Reader;
use crate::staff::{self, Session, StaffMember};

/// The device making the request. Required: a request without a valid token is a 401.
#[derive(Debug, Clone, Copy)]
pub struct Device(pub Uuid);

impl FromRequestParts<Arc<AppState>> for Device {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Device, ApiError> {
        let token = bearer(&parts.headers)?.ok_or_else(|| {
            ApiError::unauthorized(
                "register the device first and send its token as `Authorization: Bearer <token>`",
            )
        })?;
        recognise(state, token).await
    }
}

/// The resident's device holding `token`. An Open311 API key is a device token too, but it
/// may do only what the Open311 API does: here it is refused by name.
async fn recognise(state: &AppState, token: &str) -> Result<Device, ApiError> {
    match devices::recognise(&state.store, token).await? {
        Some(Holder::Resident(id)) => Ok(Device(id)),
        Some(Holder::Open311Client) => Err(open311_key()),
        None => Err(ApiError::unauthorized("this device token is not known; register the device again")),
    }
}

/// The refusal of an Open311 API key sent where a device or staff token is expected.
fn open311_key() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        ErrorCode::Open311Key,
        "an Open311 API key is taken only by /open311/v2, as its api_key; it is not a device or staff token",
    )
}

/// The signed-in staff member making the request. Required: a request without a token, or
/// with a token that is not of a session in force, is a 401.
#[derive(Debug, Clone)]
pub struct Staff(pub StaffMember);

impl FromRequestParts<Arc<AppState>> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Staff, ApiError> {
        let token = bearer(&parts.headers)?.ok_or_else(|| {
            ApiError::unauthorized(
                "sign in at /api/v1/staff/login and send the token as `Authorization: Bearer <token>`",
            )
        })?;
        match staff::session(&state.store, token).await? {
            Some(Session::Active(member)) => Ok(Staff(member)),
            Some(Session::Ended) => Err(session_ended()),
            None => match devices::recognise(&state.store, token).await? {
                Some(Holder::Open311Client) => Err(open311_key()),
                _ => Err(ApiError::unauthorized("this is not a staff token; sign in at /api/v1/staff/login")),
            },
        }
    }
}

/// Whoever is reading, for endpoints that show more to the right reader: the public (no
/// token), a resident's device, or signed-in staff. A token that is neither is a 401.
#[derive(Debug, Clone)]
pub struct Viewer(pub Reader);

impl FromRequestParts<Arc<AppState>> for Viewer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Viewer, ApiError> {
        reader(state, bearer(&parts.headers)?).await.map(Viewer)
    }
}

/// Who carries `token`: signed-in staff, a resident's device, or (no token) the public. A
/// token that is neither is a 401; so is a staff token whose session has ended.
pub async fn reader(state: &AppState, token: Option<&str>) -> Result<Reader, ApiError> {
    let Some(token) = token else { return Ok(Reader::Public) };
    match staff::session(&state.store, token).await? {
        Some(Session::Active(member)) => Ok(Reader::Staff { id: member.id, ward: member.ward_code }),
        Some(Session::Ended) => Err(session_ended()),
        None => recognise(state, token).await.map(|Device(id)| Reader::Device(id)),
    }
}

pub(super) fn session_ended() -> ApiError {
    ApiError::unauthorized("this staff session has expired or the account is disabled; sign in again")
}

/// The token of an `Authorization: Bearer …` header, if there is one.
pub fn bearer(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    let Some(value) = headers.get(AUTHORIZATION) else { return Ok(None) };
    value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|token| Some(token.trim()))
        .ok_or_else(|| ApiError::unauthorized("the Authorization header must be `Bearer <token>`"))
}
