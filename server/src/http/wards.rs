//! Ward endpoints: the list, the boundaries for drawing, and "which ward handles this point".

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use phananh_shared::validation::{ErrorCode, FieldError, check_number};
use phananh_shared::wards::{WardList, WardMatch, outside_city};
use serde::Deserialize;

use super::AppState;
use super::error::ApiError;

/// `GET /api/v1/wards`
pub async fn list(State(state): State<Arc<AppState>>) -> Json<WardList> {
    Json(WardList::from(&*state.wards))
}

/// `GET /api/v1/wards.geojson`: simplified boundaries, for maps only.
pub async fn geojson(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/geo+json"), (header::CACHE_CONTROL, "public, max-age=3600")],
        state.wards_geojson().await,
    )
}

/// Query parameters are taken as text so that a bad number is refused with our error (naming
/// the parameter), not the framework's.
#[derive(Debug, Deserialize)]
pub struct LocateQuery {
    lon: Option<String>,
    lat: Option<String>,
}

/// `GET /api/v1/wards/locate?lon=..&lat=..`
pub async fn locate(
    State(state): State<Arc<AppState>>,
    query: Result<Query<LocateQuery>, QueryRejection>,
) -> Result<Json<WardMatch>, ApiError> {
    let Query(query) = query?;
    let lon = coordinate("lon", query.lon.as_deref(), 180.0)?;
    let lat = coordinate("lat", query.lat.as_deref(), 90.0)?;
    let found = state.wards.locate(lon, lat).ok_or_else(|| outside_city("location", lon, lat))?;
    Ok(Json(found.into()))
}

/// A longitude or latitude parameter: present, a finite number, within ±`limit`.
fn coordinate(field: &str, raw: Option<&str>, limit: f64) -> Result<f64, FieldError> {
    let raw = raw.map(str::trim).filter(|s| !s.is_empty()).ok_or_else(|| FieldError::required(field))?;
    let value: f64 = raw.parse().map_err(|_| {
        FieldError::new(
            field,
            ErrorCode::NotANumber,
            format!("{field} must be a number in degrees, got {raw:?}"),
        )
    })?;
    check_number(field, value, -limit, limit)?;
    Ok(value)
}
