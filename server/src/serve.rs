//! `phananh-server serve`: load the boundaries, bind, serve until told to stop.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use tower_http::timeout::RequestBodyTimeoutLayer;

use crate::cli::{MissingAttribution, ServeArgs};
use crate::clock::ManualClock;
use crate::connections;
use crate::dashboard::PublicFigures;
use crate::dossiers::{Attempts, FailureBudget};
use crate::http::{AppState, WebApp, router};
use crate::live::{Hub, StreamCaps};
use crate::overdue;
use crate::photos::PhotoStore;
use crate::reports::FilingBudget;
use crate::store::{Store, StoreError};
use crate::uploads::{UploadBudget, Uploads};
use crate::wards_file::{self, WardsFileError};
use phananh_shared::api::AppConfig;
use phananh_shared::sla::SlaPolicy;

/// Uploaded photos, in the data directory.
pub const PHOTOS_DIR: &str = "photos";

/// Where `store`'s photos are kept: with the reports in a cluster's database (every node
/// reads every photo), else in the data directory's folder for photos (made private).
pub fn photos_of(store: &Store, data_dir: &std::path::Path) -> std::io::Result<PhotoStore> {
    match store {
        Store::Postgres(database) => Ok(PhotoStore::in_database(Arc::clone(database))),
        Store::Sqlite(_) => {
            let folder = data_dir.join(PHOTOS_DIR);
            crate::store::tighten(&folder, 0o700)?;
            PhotoStore::open(folder)
        }
    }
}

/// Why the server could not start (or stopped abnormally).
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Map(#[from] MissingAttribution),
    #[error(transparent)]
    Wards(#[from] WardsFileError),
    #[error("cannot create the data directory {}: {source}", path.display())]
    DataDir { path: PathBuf, source: std::io::Error },
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: std::net::SocketAddr, source: std::io::Error },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("server I/O: {0}")]
    Io(#[from] std::io::Error),
}

pub fn run(args: ServeArgs) -> Result<ExitCode, ServeError> {
    let open_files = connections::raise_open_file_limit();
    let limits = &args.connections;
    let settings = connections::Settings {
        header_read_timeout: Duration::from_secs(limits.header_read_timeout_seconds.into()),
        per_address: limits.max_connections_per_address as usize,
        proxies: args.limits.trusted_proxies.clone(),
        total: connections::Settings::total_for(open_files),
    };
    tokio::runtime::Runtime::new()?.block_on(async {
        let app = app(&args).await?;
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .map_err(|source| ServeError::Bind { addr: args.addr, source })?;
        let addr = listener.local_addr()?;
        // On stdout, so whoever started the server (a script, a test) learns the port.
        let mut stdout = std::io::stdout();
        writeln!(stdout, "listening on http://{addr}")?;
        stdout.flush()?;
        tracing::info!(%addr, data_dir = %args.data.data_dir.display(), connections = settings.total, "serving");
        connections::serve(listener, app, settings, shutdown_signal()).await?;
        tracing::info!("stopped");
        Ok(ExitCode::SUCCESS)
    })
}

/// The server as `args` describe it, ready to take requests: boundaries loaded and recorded,
/// database open, live hub and background work started (on the current tokio runtime).
/// Requests need the client's address as a `ConnectInfo<SocketAddr>` extension, which
/// [`run`] gives them; the fuzzing harness calls this to send requests without a socket.
pub async fn app(args: &ServeArgs) -> Result<axum::Router, ServeError> {
    // First: a configuration mistake is told before the boundaries take their time to load.
    let config = AppConfig { map: args.map.tiles()? };
    match &config.map {
        Some(map) => tracing::info!(tiles = %map.tiles, max_zoom = map.max_zoom, "street map tiles"),
        None => tracing::info!("no street map tiles (--map-tiles): the app draws the wards alone"),
    }
    let wards = wards_file::load(&args.wards.wards, args.wards.wards_valid_from)?;
    let store = args.data.store().await?;
    tracing::info!(engine = store.engine(), "the database is open");
    let kept = crate::dashboard::kept::keep_history(&store).await?;
    if kept > 0 {
        tracing::info!(reports = kept, "the dashboards' figures are now kept for the reports filed before");
    }
    let photos = photos_of(&store, &args.data.data_dir)
        .map_err(|source| ServeError::DataDir { path: args.data.data_dir.join(PHOTOS_DIR), source })?;
    let manual_clock = args.manual_clock.map(|start| Arc::new(ManualClock::new(start)));
    let caps = StreamCaps {
        per_address: args.connections.max_streams_per_address as usize,
        per_device: args.connections.max_streams_per_device as usize,
        per_session: args.connections.max_streams_per_session as usize,
    };
    let (hub, publisher) = Hub::start(store.clone(), args.live_backlog as usize, caps).await?;
    tokio::spawn(publisher);
    let heartbeat = Duration::from_secs(args.live_heartbeat_seconds.into());
    let budget = UploadBudget { per_hour: args.limits.upload_rate_per_hour, burst: args.limits.upload_burst };
    let decoders = args.limits.photo_decoders.map_or_else(crate::uploads::default_decoders, usize::from);
    let uploads = Uploads::new(photos, budget, decoders);
    let per_dossier = FailureBudget {
        failures: args.limits.dossier_wrong_secrets,
        period: Duration::from_secs(u64::from(args.limits.dossier_lock_minutes) * 60),
    };
    let attempts = Attempts::new(args.limits.track_rate_per_hour, args.limits.track_burst, per_dossier);
    let filings = FilingBudget::new(args.limits.filing_rate_per_hour, args.limits.filing_burst);
    let state = AppState::new(
        (store, PublicFigures::new(Duration::from_secs(args.public_figures_seconds.into()))),
        uploads,
        wards,
        SlaPolicy::default(),
        manual_clock,
        (hub, heartbeat),
        (attempts, filings),
    );
    tokio::spawn(forget_idle_attempts(Arc::clone(&state)));
    let grace = TimeDelta::hours(args.unattached_photo_hours.into());
    tokio::spawn(purge_unattached_photos(Arc::clone(&state), grace));
    tokio::spawn(overdue::watch(state.store.clone(), Arc::clone(&state.clock), state.live.clone()));
    wards_file::record(&state.store, &state.wards).await?;
    let warm = Arc::clone(&state);
    tokio::spawn(async move { warm.wards_geojson().await });
    let body_timeout = Duration::from_secs(args.connections.body_read_timeout_seconds.into());
    Ok(router(state, &args.limits, &args.open311, WebApp::new(&args.app_dir), config)
        // A body that stops arriving ends its request (and its connection) instead of
        // holding both for good.
        .layer(RequestBodyTimeoutLayer::new(body_timeout)))
}

/// Forgets, every ten minutes, the tracking, filing and upload buckets that have refilled, so
/// that what they hold follows the last hour's attempts, not every device ever seen.
async fn forget_idle_attempts(state: Arc<AppState>) {
    let mut every = tokio::time::interval(Duration::from_secs(600));
    loop {
        every.tick().await;
        state.dossier_attempts.forget_idle();
        state.filings.forget_idle();
        state.uploads.forget_idle();
    }
}

/// Removes, every hour, the photos uploaded more than `grace` ago that no report uses.
async fn purge_unattached_photos(state: Arc<AppState>, grace: TimeDelta) {
    let mut every = tokio::time::interval(Duration::from_secs(3600));
    loop {
        every.tick().await;
        match state.uploads.purge_unattached(&state.store, state.clock.now() - grace).await {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "unattached photos removed"),
            Err(error) => tracing::warn!(?error, "could not remove unattached photos"),
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM, so requests in flight finish before exit.
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}
