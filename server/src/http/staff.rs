//! `POST /api/v1/staff/login` (a staff member signs in), `GET /api/v1/staff/me` (whose
//! token is this?) and `GET /api/v1/staff/me/work` (what is mine to answer?).

use std::sync::Arc;

use std::time::Instant;

use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::header::CACHE_CONTROL;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};

use super::AppState;
use super::auth::Staff;
use super::error::ApiError;
use super::limits::SignInBackoff;
use crate::staff::{self, LoginRequest, StaffView};
use phananh_shared::api::WorkItem;

/// Signs in, unless the account name has had too many wrong passwords lately (see
/// [`SignInBackoff`]): then a 429 with `Retry-After`, before the password is even checked.
pub async fn login(
    State(state): State<Arc<AppState>>,
    Extension(backoff): Extension<Arc<SignInBackoff>>,
    body: Result<Json<LoginRequest>, JsonRejection>,
) -> Response {
    let Json(request) = match body {
        Ok(body) => body,
        Err(rejection) => return ApiError::from(rejection).into_response(),
    };
    let account = SignInBackoff::account(&request.username);
    if let Err(refusal) = backoff.attempt(&account, Instant::now()) {
        return refusal.into_response();
    }
    match staff::login(&state.store, request).await {
        Ok(answer) => {
            backoff.succeeded(&account);
            // The answer carries a token: no cache keeps it.
            ([(CACHE_CONTROL, "no-store")], Json(answer)).into_response()
        }
        Err(error) => ApiError::from(error).into_response(),
    }
}

pub async fn me(
    State(state): State<Arc<AppState>>,
    Staff(member): Staff,
) -> Result<Json<StaffView>, ApiError> {
    Ok(Json(staff::view(&state.store, member).await?))
}

/// "Việc của tôi": the open reports assigned to the signed-in staff member, nearest deadline
/// first (none for city staff and administrators, who are not assigned reports).
pub async fn work(
    State(state): State<Arc<AppState>>,
    Staff(member): Staff,
) -> Result<Json<Vec<WorkItem>>, ApiError> {
    Ok(Json(crate::reports::work(&state.store, member.id, state.clock.now()).await?))
}

#[derive(Debug, serde::Deserialize)]
pub struct LogoutQuery {
    /// Every session of the account, not only this one.
    #[serde(default)]
    everywhere: bool,
}

/// How many sessions a sign-out ended.
#[derive(Debug, serde::Serialize)]
pub struct LoggedOut {
    sessions_ended: usize,
}

/// `POST /api/v1/staff/logout[?everywhere=true]`: ends this session, or every session of the
/// account; their live streams close at once (WebSocket close code 4401).
pub async fn logout(
    State(state): State<Arc<AppState>>,
    Staff(_): Staff,
    headers: axum::http::HeaderMap,
    query: Result<axum::extract::Query<LogoutQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<LoggedOut>, ApiError> {
    let axum::extract::Query(query) = query?;
    let token = super::auth::bearer(&headers)?.unwrap_or_default();
    let sessions_ended = staff::sign_out(&state.store, token, query.everywhere).await?;
    state.live.sessions_ended();
    Ok(Json(LoggedOut { sessions_ended }))
}
