//! The HTTP API: routes, shared state, and the middleware every request passes through.

mod auth;
mod client_address;
mod config;
mod dashboard;
mod devices;
mod dossiers;
pub mod error;
mod headers;
mod health;
mod limits;
mod live;
mod open311;
mod params;
mod photos;
mod report_form;
mod reports;
mod staff;
mod sync;
mod test_clock;
mod unread;
mod wards;
mod web_app;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use phananh_shared::api::AppConfig;
use phananh_shared::sla::SlaPolicy;
use phananh_shared::wards::WardIndex;
use tokio::sync::OnceCell;
use tower_http::LatencyUnit;
use tower_http::ServiceBuilderExt;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{Any, CorsLayer};
use tower_http::request_id::MakeRequestUuid;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::cli::{Open311Args, RateLimits};
use crate::clock::{Clock, ManualClock, SystemClock};
use crate::dashboard::PublicFigures;
use crate::display;
use crate::dossiers::Attempts;
use crate::live::Hub;
use crate::reports::FilingBudget;
use crate::store::Store;
use crate::uploads::Uploads;
pub use limits::network;
pub use web_app::WebApp;

/// What one photo may take of a request: the 10 MB a photo may have and room for a part's
/// headers.
const PHOTO_PART: usize = crate::photos::MAX_PHOTO_BYTES + 64 * 1024;

/// The largest photo upload body that is read: twice what a photo may have. A photo that is
/// too large is read whole and refused by the intake with its size named; a body past this is
/// refused as it arrives, and [`unread`] reads the rest before the 413 goes.
const UPLOAD_LIMIT: usize = 2 * crate::photos::MAX_PHOTO_BYTES;

/// What every handler can read. Immutable after start, so it is shared without locks.
pub struct AppState {
    pub clock: Arc<dyn Clock>,
    /// The same clock when tests drive it (`serve --manual-clock`); `None` in service.
    manual_clock: Option<Arc<ManualClock>>,
    pub store: Store,
    pub uploads: Uploads,
    pub wards: Arc<WardIndex>,
    pub policy: SlaPolicy,
    /// The live stream's source, and how often its subscribers are pinged.
    pub live: Hub,
    pub heartbeat: Duration,
    /// Tracking attempts on dossiers, per device and per address.
    pub dossier_attempts: Attempts,
    /// Each device's budget of new reports, whatever channel carries them.
    pub filings: FilingBudget,
    /// `GET /api/v1/transparency`, shared by every request for a few seconds.
    pub public_figures: PublicFigures,
    /// `GET /api/v1/wards.geojson`, built once: it never changes while the server runs.
    wards_geojson: OnceCell<Bytes>,
}

impl AppState {
    /// The state of a server: `live` is the live stream's hub with the interval of its pings.
    pub fn new(
        (store, public_figures): (Store, PublicFigures),
        uploads: Uploads,
        wards: WardIndex,
        policy: SlaPolicy,
        manual_clock: Option<Arc<ManualClock>>,
        (live, heartbeat): (Hub, Duration),
        (dossier_attempts, filings): (Attempts, FilingBudget),
    ) -> Arc<AppState> {
        let clock: Arc<dyn Clock> = match &manual_clock {
            Some(manual) => Arc::clone(manual) as Arc<dyn Clock>,
            None => Arc::new(SystemClock),
        };
        Arc::new(AppState {
            clock,
            manual_clock,
            live,
            heartbeat,
            dossier_attempts,
            filings,
            store,
            uploads,
            wards: Arc::new(wards),
            policy,
            public_figures,
            wards_geojson: OnceCell::new(),
        })
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

/// Pages from any origin may call the API: the desktop app's page is its own
/// (`tauri://localhost`), and a city portal may embed the public figures. Safe because no
/// call is authorised by a cookie: every credential is a bearer token the page must hold.
fn cors() -> CorsLayer {
    use axum::http::{Method, header};
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST, Method::PUT])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::HeaderName::from_static("x-api-key"),
        ])
        .expose_headers([header::HeaderName::from_static("x-request-id")])
        .max_age(Duration::from_secs(24 * 3600))
}

/// The API and the web app, as the operator configured them: `config` is what
/// `GET /api/v1/config` tells the apps.
pub fn router(
    state: Arc<AppState>,
    rate_limits: &RateLimits,
    open311: &Open311Args,
    app: WebApp,
    config: AppConfig,
) -> Router {
    let limits = limits::Limits::new(rate_limits);
    let public_url = open311.public_url.as_deref();
    let csp = headers::Csp::new(public_url, config.map.as_ref().map(|map| map.tiles.as_str()));
    let https = public_url.is_some_and(|url| url.starts_with("https://"));
    let middleware = tower::ServiceBuilder::new()
        .set_x_request_id(MakeRequestUuid)
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_response(DefaultOnResponse::new().level(Level::INFO).latency_unit(LatencyUnit::Micros)),
        )
        .propagate_x_request_id()
        .layer(cors())
        .layer(CompressionLayer::new());
    let routes = match state.manual_clock {
        Some(_) => Router::new().route("/api/v1/test/clock", put(test_clock::set)),
        None => Router::new(),
    };
    let router = routes
        .route("/healthz", get(health::check))
        .route("/api/v1/config", get(config::get).layer(axum::Extension(Arc::new(config))))
        .route("/api/v1/wards", get(wards::list))
        .route("/api/v1/wards.geojson", get(wards::geojson))
        .route("/api/v1/wards/locate", get(wards::locate))
        .route("/api/v1/devices", post(devices::register).layer(limits.registration()))
        .route("/api/v1/devices/transfer", post(devices::transfer))
        // A code typed is a guess to budget, as a registration is.
        .route("/api/v1/devices/claim", post(devices::claim).layer(limits.registration()))
        .route(
            "/api/v1/staff/login",
            post(staff::login).layer(limits.login()).route_layer(axum::Extension(limits.sign_in())),
        )
        .route("/api/v1/staff/logout", post(staff::logout))
        .route("/api/v1/staff/me", get(staff::me))
        .route("/api/v1/staff/me/work", get(staff::work))
        .route(
            "/api/v1/reports",
            post(reports::file).layer(DefaultBodyLimit::max(report_form::FORM_LIMIT)).get(reports::list),
        )
        .route("/api/v1/reports/nearby", get(reports::nearby))
        .route("/api/v1/reports/{id}/follow", post(reports::follow))
        .route("/api/v1/reports/{id}", get(reports::get))
        .route("/api/v1/reports/{id}/events", get(reports::events))
        .route("/api/v1/reports/{id}/actions", post(reports::act))
        .route("/api/v1/reports/{id}/rating", post(reports::rate))
        .route("/api/v1/reports/{id}/comments", post(reports::comment))
        .route("/api/v1/reports/{id}/cancel", post(reports::cancel))
        .route("/api/v1/answer-templates", get(reports::templates))
        .route("/api/v1/procedures", get(dossiers::procedures))
        .route("/api/v1/dossiers", post(dossiers::register).get(dossiers::desk))
        .route("/api/v1/dossiers/track", post(dossiers::track))
        .route("/api/v1/dossiers/tracked", get(dossiers::tracked))
        .route("/api/v1/dossiers/{code}", get(dossiers::get))
        .route("/api/v1/dossiers/{code}/actions", post(dossiers::act))
        .route("/api/v1/photos", post(photos::upload).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)))
        .route("/api/v1/photos/{id}", get(photos::get))
        .route("/api/v1/live", get(live::live))
        .route("/api/v1/sync/push", post(sync::push).layer(DefaultBodyLimit::max(limits::PUSH_BODY_LIMIT)))
        .route("/api/v1/sync/pull", get(sync::pull))
        .route("/api/v1/dashboard", get(dashboard::dashboard))
        .route("/api/v1/dashboard/dossiers", get(dashboard::dossiers))
        .route("/api/v1/transparency", get(dashboard::transparency))
        .nest("/open311/v2", open311::routes(open311.clone()))
        .fallback(web_app::serve)
        .method_not_allowed_fallback(error::wrong_method)
        .layer(axum::Extension(Arc::new(app.with_csp(csp.clone()))))
        .layer(DefaultBodyLimit::max(limits::JSON_BODY_LIMIT))
        .layer(limits.per_client())
        .layer(limits.per_address())
        .layer(axum::middleware::from_fn_with_state(
            client_address::TrustedProxies::new(&rate_limits.trusted_proxies),
            client_address::resolve,
        ))
        .layer(middleware)
        .layer(axum::middleware::from_fn(unread::read_after_refusal))
        .with_state(state);
    headers::secure(router, &csp, https)
}

/// The span every request's log lines carry: its method, path and request id, so one
/// request's lines can be found among many (and matched with what the client saw).
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
    tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
}
