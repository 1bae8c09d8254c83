//! Report endpoints: filing, reading one, and its timeline.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use phananh_shared::api::{Event, ReportView};
use phananh_shared::report::NewReport;
use phananh_shared::validation::FieldError;
use uuid::Uuid;

use super::AppState;
use super::auth::Device;
use super::error::ApiError;
use crate::reports::{self, Filed};

/// `POST /api/v1/reports`: 201 with the routed report, or 200 with the stored one when the
/// same report is filed again (a retry after a lost answer).
pub async fn file(
    State(state): State<Arc<AppState>>,
    Device(device): Device,
    body: Result<Json<NewReport>, JsonRejection>,
) -> Result<(StatusCode, Json<ReportView>), ApiError> {
    let Json(report) = body?;
    let (filed, view) = reports::file(&state.store, &state.wards, &state.policy, device, report).await?;
    let status = match filed {
        Filed::Created => StatusCode::CREATED,
        Filed::AlreadyThere => StatusCode::OK,
    };
    Ok((status, Json(view)))
}

/// `GET /api/v1/reports/{id}`: the full view for the device that filed it, else the public one.
pub async fn get(
    State(state): State<Arc<AppState>>,
    reader: Option<Device>,
    Path(id): Path<String>,
) -> Result<Json<ReportView>, ApiError> {
    let id = report_id(&id)?;
    let view = reports::get(&state.store, id, reader.map(|Device(d)| d)).await?;
    view.map(Json).ok_or_else(|| no_report(id))
}

/// `GET /api/v1/reports/{id}/events`: the report's timeline, oldest first.
pub async fn events(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<Vec<Event>>, ApiError> {
    let id = report_id(&id)?;
    reports::events(&state.store, id).await?.map(Json).ok_or_else(|| no_report(id))
}

fn report_id(text: &str) -> Result<Uuid, FieldError> {
    Uuid::parse_str(text)
        .map_err(|_| FieldError::invalid("id", format!("report id must be a UUID, got {text:?}")))
}

fn no_report(id: Uuid) -> ApiError {
    ApiError::not_found(format!("no report {id}"))
}
