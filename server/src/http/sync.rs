//! `POST /api/v1/sync/push` and `GET /api/v1/sync/pull`: the offline-first client's sync.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use phananh_shared::sync::{PullResponse, PushRequest, PushResponse};
use serde::Deserialize;

use super::AppState;
use super::auth::Device;
use super::client_address::ClientAddress;
use super::error::ApiError;
use super::limits::address_network;
use super::params;
use crate::dossiers::Attempter;
use crate::{live, sync};

/// The most events one pull returns, and how many when the client does not say.
const PULL_MAX: u32 = 1000;
const PULL_DEFAULT: u32 = 500;

pub async fn push(
    State(state): State<Arc<AppState>>,
    ClientAddress(client): ClientAddress,
    Device(device): Device,
    body: Result<Json<PushRequest>, JsonRejection>,
) -> Result<Json<PushResponse>, ApiError> {
    let Json(request) = body?;
    let attempters = [Attempter::Device(device), Attempter::Address(address_network(client))];
    Ok(Json(sync::push(&state, device, attempters, request).await?))
}

#[derive(Debug, Deserialize)]
pub struct PullQuery {
    cursor: Option<String>,
    limit: Option<String>,
}

pub async fn pull(
    State(state): State<Arc<AppState>>,
    Device(device): Device,
    query: Result<Query<PullQuery>, QueryRejection>,
) -> Result<Json<PullResponse>, ApiError> {
    let Query(query) = query?;
    let cursor = params::sequence("cursor", query.cursor.as_deref())?;
    let limit = params::count("limit", query.limit.as_deref(), 1, PULL_MAX, PULL_DEFAULT)?;
    Ok(Json(live::pull(&state.store, device, cursor, limit as usize).await?))
}
