//! Ward endpoints: the list, the boundaries for drawing, and "which ward handles this point".

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use phananh_shared::wards::{WardList, WardMatch, outside_city};
use serde::Deserialize;

use super::AppState;
use super::error::ApiError;
use super::params;

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

/// Query parameters as text: [`params`] parses them.
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
    let lon = params::number("lon", query.lon.as_deref(), -180.0, 180.0)?;
    let lat = params::number("lat", query.lat.as_deref(), -90.0, 90.0)?;
    let found = state.wards.locate(lon, lat).ok_or_else(|| outside_city("location", lon, lat))?;
    Ok(Json(found.into()))
}
