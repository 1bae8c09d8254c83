//! The HTTP API: routes, shared state, and the middleware every request passes through.

pub mod error;
mod health;
mod wards;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::routing::get;
use phananh_shared::wards::WardIndex;
use tokio::sync::OnceCell;
use tower_http::ServiceBuilderExt;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::MakeRequestUuid;
use tower_http::trace::TraceLayer;

use crate::display;

/// What every handler can read. Immutable after start, so it is shared without locks.
pub struct AppState {
    pub wards: Arc<WardIndex>,
    /// `GET /api/v1/wards.geojson`, built once: it never changes while the server runs.
    wards_geojson: OnceCell<Bytes>,
}

impl AppState {
    pub fn new(wards: WardIndex) -> Arc<AppState> {
        Arc::new(AppState { wards: Arc::new(wards), wards_geojson: OnceCell::new() })
    }

    /// The simplified boundaries. Simplifying takes a noticeable moment (0.3 s for Hà Nội in
    /// a release build), so it runs off the request threads, once, whoever asks first; the
    /// server asks right after it starts listening so that nobody waits in practice.
    pub async fn wards_geojson(&self) -> Bytes {
        let build = || async {
            let wards = Arc::clone(&self.wards);
            tokio::task::spawn_blocking(move || Bytes::from(display::wards_geojson(&wards)))
                .await
                .expect("simplifying valid boundaries does not panic")
        };
        self.wards_geojson.get_or_init(build).await.clone()
    }
}

pub fn router(state: Arc<AppState>) -> Router {
    let middleware = tower::ServiceBuilder::new()
        .set_x_request_id(MakeRequestUuid)
        .layer(TraceLayer::new_for_http())
        .propagate_x_request_id()
        .layer(CompressionLayer::new());
    Router::new()
        .route("/healthz", get(health::check))
        .route("/api/v1/wards", get(wards::list))
        .route("/api/v1/wards.geojson", get(wards::geojson))
        .route("/api/v1/wards/locate", get(wards::locate))
        .fallback(error::no_route)
        .method_not_allowed_fallback(error::wrong_method)
        .layer(middleware)
        .with_state(state)
}
