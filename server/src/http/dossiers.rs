//! Dossier endpoints: the procedure catalogue, the ward desk's registrations and actions, and
//! residents' tracking by code and secret.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use phananh_shared::dossier::{
    Catalogue, DossierActionRequest, DossierView, NewDossier, RegisteredDossier, TrackDossier,
};
use serde::Deserialize;

use super::AppState;
use super::auth::{Device, Staff};
use super::client_address::ClientAddress;
use super::error::ApiError;
use super::limits::address_network;
use super::params::Segment;
use crate::dossiers::{self, Attempter};

/// `GET /api/v1/procedures`: the procedures a dossier can be for, with their limits.
pub async fn procedures() -> Json<&'static Catalogue> {
    Json(Catalogue::shipped())
}

/// `POST /api/v1/dossiers` (ward staff): 201 with the dossier and the secret for the receipt.
pub async fn register(
    State(state): State<Arc<AppState>>,
    Staff(staff): Staff,
    body: Result<Json<NewDossier>, JsonRejection>,
) -> Result<(StatusCode, Json<RegisteredDossier>), ApiError> {
    let Json(new) = body?;
    let registered = dossiers::register(&state.store, staff, new, state.clock.now()).await?;
    Ok((StatusCode::CREATED, Json(registered)))
}

#[derive(Debug, Deserialize)]
pub struct DeskQuery {
    ward: Option<String>,
}

/// `GET /api/v1/dossiers?ward=` (staff): the desk's dossiers, open ones first by due date.
pub async fn desk(
    State(state): State<Arc<AppState>>,
    Staff(staff): Staff,
    query: Result<Query<DeskQuery>, QueryRejection>,
) -> Result<Json<Vec<DossierView>>, ApiError> {
    let Query(query) = query?;
    Ok(Json(dossiers::desk(&state.store, staff, query.ward).await?))
}

/// `GET /api/v1/dossiers/{code}` (staff): one dossier with its applicant and history.
pub async fn get(
    State(state): State<Arc<AppState>>,
    Staff(staff): Staff,
    Segment(code): Segment,
) -> Result<Json<DossierView>, ApiError> {
    let found = dossiers::get(&state.store, staff, code.clone()).await?;
    found.map(Json).ok_or_else(|| no_dossier(&code))
}

/// `POST /api/v1/dossiers/{code}/actions` (staff): start, request documents, documents
/// received, complete, return.
pub async fn act(
    State(state): State<Arc<AppState>>,
    Staff(staff): Staff,
    Segment(code): Segment,
    body: Result<Json<DossierActionRequest>, JsonRejection>,
) -> Result<Json<DossierView>, ApiError> {
    let Json(request) = body?;
    let acted = dossiers::act(&state.store, staff, code.clone(), request, state.clock.now()).await?;
    acted.map(Json).ok_or_else(|| no_dossier(&code))
}

/// `POST /api/v1/dossiers/track` (a resident's device): the dossier, saved to the device's
/// scope, if the code and secret match; the same 404 if either is wrong; a 429
/// `dossier_locked` with `Retry-After` while too many wrong secrets lock the dossier.
pub async fn track(
    State(state): State<Arc<AppState>>,
    ClientAddress(client): ClientAddress,
    Device(device): Device,
    body: Result<Json<TrackDossier>, JsonRejection>,
) -> Result<Json<DossierView>, ApiError> {
    let Json(request) = body?;
    // Bad input is not a guess: it is refused before it counts.
    request.validate()?;
    state.dossier_attempts.take(&[Attempter::Device(device), Attempter::Address(address_network(client))])?;
    let now = state.clock.now();
    let budget = state.dossier_attempts.per_dossier;
    let tracked = state.store.change(move |db| dossiers::track(db, budget, device, &request, now)).await?;
    Ok(Json(tracked?))
}

/// `GET /api/v1/dossiers/tracked` (a resident's device): the dossiers it tracks.
pub async fn tracked(
    State(state): State<Arc<AppState>>,
    Device(device): Device,
) -> Result<Json<Vec<DossierView>>, ApiError> {
    Ok(Json(dossiers::tracked(&state.store, device).await?))
}

fn no_dossier(code: &str) -> ApiError {
    ApiError::not_found(format!("no dossier {code}"))
}
