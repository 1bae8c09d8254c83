//! The phananh desktop app: the web app's desktop page (`app/`, built into
//! `app/dist-desktop`) in a Tauri 2 window, with what a browser tab cannot give it. The
//! native side owns a durable outbox (the `shared` client engine's SQLite database in the
//! app's data folder), syncs in the background from launch, and listens on the live stream; the window asks through
//! [`commands`] and hears back through events ([`device::CONNECTION_EVENT`],
//! [`device::REPORTS_EVENT`]).
//!
//! - [`device`]: the engine's lifecycle, the shipped ward boundaries, the window's events.
//! - [`settings`]: the server address, the language, the first run.
//! - [`commands`]: the window's calls; [`error`]: how they fail.

pub mod commands;
pub mod device;
pub mod error;
pub mod settings;

use std::sync::LazyLock;
use std::time::Instant;

use tauri::path::BaseDirectory;
use tauri::{Manager, Runtime};

use device::{Device, Places};

/// When the process started, for the log line that says how long the first screen took.
pub static STARTED: LazyLock<Instant> = LazyLock::new(Instant::now);

/// The app: its commands, and its device state for `places` (found from the platform's
/// folders when `None`; the tests pass their own). The engine starts at launch if the
/// resident has been through the first run.
pub fn app<R: Runtime>(
    builder: tauri::Builder<R>,
    places: Option<Places>,
) -> Result<tauri::Builder<R>, String> {
    let builder = match places {
        Some(places) => builder.manage(Device::open(places)?),
        None => builder,
    };
    Ok(builder
        .invoke_handler(tauri::generate_handler![
            commands::settings,
            commands::save_settings,
            commands::begin,
            commands::identity,
            commands::wards,
            commands::file_report,
            commands::reports,
            commands::outbox,
            commands::track_dossier,
            commands::dossiers,
            commands::report,
            commands::timeline,
            commands::rate,
            commands::add_information,
            commands::withdraw,
            commands::follow,
            commands::transfer_code,
            commands::claim,
            commands::sync_now,
            commands::sync_status,
            commands::shown,
        ])
        .setup(|app| {
            if app.try_state::<Device>().is_none() {
                let places = Places {
                    data: app.path().app_data_dir()?,
                    config: app.path().app_config_dir()?,
                    wards: app.path().resolve("wards.geojson", BaseDirectory::Resource)?,
                };
                tracing::info!(data = %places.data.display(), "device folders");
                app.manage(Device::open(places)?);
            }
            let device = app.state::<Device>();
            if device.settings().started {
                device.engine(app.handle())?;
            }
            Ok(())
        }))
}

/// Runs the desktop app until its window is closed.
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    LazyLock::force(&STARTED);
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,phananh_desktop=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    app(tauri::Builder::default(), None)
        .expect("the device state")
        .run(tauri::generate_context!())
        .expect("the desktop app runs");
}
