//! `GET /api/v1/config`: what the apps are told when they open (the street map's tiles).

use std::sync::Arc;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use phananh_shared::api::AppConfig;

/// `no-cache`: an app that opens online asks again, so a city that changes its tile server
/// (or its attribution) reaches every device at its next start; offline, the app uses the
/// answer it kept.
pub async fn get(Extension(config): Extension<Arc<AppConfig>>) -> Response {
    ([(header::CACHE_CONTROL, "no-cache")], Json(&*config)).into_response()
}
