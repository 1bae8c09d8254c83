//! `POST /api/v1/staff/login` (a staff member signs in) and `GET /api/v1/staff/me` (whose
//! token is this?).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::header::CACHE_CONTROL;

use super::AppState;
use super::auth::Staff;
use super::error::ApiError;
use crate::staff::{self, LoginAnswer, LoginRequest, StaffView};

pub async fn login(
    State(state): State<Arc<AppState>>,
    body: Result<Json<LoginRequest>, JsonRejection>,
) -> Result<([(axum::http::HeaderName, &'static str); 1], Json<LoginAnswer>), ApiError> {
    let Json(request) = body?;
    let answer = staff::login(&state.store, request).await?;
    // The answer carries a token: no cache keeps it.
    Ok(([(CACHE_CONTROL, "no-store")], Json(answer)))
}

pub async fn me(
    State(state): State<Arc<AppState>>,
    Staff(member): Staff,
) -> Result<Json<StaffView>, ApiError> {
    Ok(Json(staff::view(&state.store, member).await?))
}
