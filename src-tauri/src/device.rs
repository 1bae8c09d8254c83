//! The device's side of the app: the ward index shipped with it, the settings, and the
//! client engine (its SQLite database in the app's data folder) with the background tasks
//! that keep it in sync and tell the window what changed.
//!
//! Nothing runs and nothing is sent until the resident has been through the first-run screen;
//! from then on the engine starts at every launch. Each server gets its own database (a
//! device is registered with one server; its outbox belongs to that server).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use phananh_shared::client::{Engine, Pulse};
use phananh_shared::device::{Connection, DeviceStatus};
use phananh_shared::wards::{Validity, WardIndex};
use tauri::async_runtime::JoinHandle;
use tauri::{AppHandle, Emitter, Runtime};

use crate::error::CommandError;
use crate::settings::{self, Settings, SettingsFile};

/// Syncs at least this often while the live stream is quiet.
const SYNC_INTERVAL: Duration = Duration::from_secs(60);
/// While the server cannot be reached, tries again at most this far apart: a report goes
/// within seconds of the connection coming back.
const MAX_BACKOFF: Duration = Duration::from_secs(8);

/// The window's events.
pub const CONNECTION_EVENT: &str = "connection";
pub const REPORTS_EVENT: &str = "reports-changed";

/// The folders and files the app uses on this machine.
#[derive(Debug, Clone)]
pub struct Places {
    /// The device databases.
    pub data: PathBuf,
    /// `settings.json`.
    pub config: PathBuf,
    /// The ward boundaries shipped with the app (simplified for drawing, as the server's
    /// `/api/v1/wards.geojson`), so a report filed on a first launch with no signal still
    /// names its ward.
    pub wards: PathBuf,
}

pub struct Device {
    places: Places,
    wards_geojson: Arc<str>,
    wards: Arc<WardIndex>,
    settings_file: SettingsFile,
    settings: Mutex<Settings>,
    running: Mutex<Option<Running>>,
}

struct Running {
    server: String,
    engine: Engine,
    tasks: [JoinHandle<()>; 2],
}

impl Drop for Running {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Device {
    /// Reads the ward boundaries and the settings; starts nothing.
    pub fn open(places: Places) -> Result<Device, String> {
        let text = std::fs::read_to_string(&places.wards)
            .map_err(|e| format!("the ward boundaries {}: {e}", places.wards.display()))?;
        let since = chrono::NaiveDate::from_ymd_opt(2025, 7, 1).expect("a real date");
        let wards = WardIndex::from_geojson(&text, Validity::since(since)).map_err(|e| e.to_string())?;
        let settings_file = SettingsFile::new(&places.config);
        let settings = settings_file.load();
        Ok(Device {
            places,
            wards_geojson: text.into(),
            wards: Arc::new(wards),
            settings_file,
            settings: Mutex::new(settings),
            running: Mutex::new(None),
        })
    }

    pub fn wards_geojson(&self) -> Arc<str> {
        Arc::clone(&self.wards_geojson)
    }

    pub fn settings(&self) -> Settings {
        self.settings.lock().expect("settings lock").clone()
    }

    /// Saves `settings` (checked), and starts or restarts the engine if the resident has
    /// started the app.
    pub fn apply<R: Runtime>(
        &self,
        app: &AppHandle<R>,
        settings: Settings,
    ) -> Result<Settings, CommandError> {
        let settings = settings::checked(settings)?;
        self.settings_file.save(&settings)?;
        *self.settings.lock().expect("settings lock") = settings.clone();
        if settings.started {
            self.start(app)?;
        }
        Ok(settings)
    }

    /// The running engine, started now if the resident has been through the first run and
    /// it is not running yet.
    pub fn engine<R: Runtime>(&self, app: &AppHandle<R>) -> Result<Engine, CommandError> {
        if let Some(running) = self.running.lock().expect("engine lock").as_ref() {
            return Ok(running.engine.clone());
        }
        if !self.settings().started {
            return Err(CommandError::not_started());
        }
        self.start(app)
    }

    /// Starts the engine for the server in the settings, with its sync loop and the task
    /// that tells the window what changed; a running engine for another server is stopped
    /// first. Needs a Tokio runtime (Tauri's).
    pub fn start<R: Runtime>(&self, app: &AppHandle<R>) -> Result<Engine, CommandError> {
        let server = self.settings().server;
        let mut running = self.running.lock().expect("engine lock");
        if let Some(current) = running.as_ref().filter(|r| r.server == server) {
            return Ok(current.engine.clone());
        }
        *running = None;
        std::fs::create_dir_all(&self.places.data)?;
        let engine =
            Engine::open(&self.places.data.join(database_name(&server)), &server, Arc::clone(&self.wards))?;
        let sync = {
            let engine = engine.clone();
            tauri::async_runtime::spawn(async move { engine.run(SYNC_INTERVAL, MAX_BACKOFF).await })
        };
        let tell = tauri::async_runtime::spawn(tell_window(app.clone(), engine.clone()));
        tracing::info!(%server, "engine started");
        *running = Some(Running { server, engine: engine.clone(), tasks: [sync, tell] });
        Ok(engine)
    }

    pub async fn status<R: Runtime>(&self, app: &AppHandle<R>) -> Result<DeviceStatus, CommandError> {
        let engine = self.engine(app)?;
        let online = engine.watch().borrow().online;
        Ok(DeviceStatus { online, sync: engine.status().await? })
    }
}

/// One database file per server, named after it.
fn database_name(server: &str) -> String {
    let host: String = server
        .split_once("://")
        .map_or(server, |(_, rest)| rest)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' })
        .collect();
    format!("device-{host}.sqlite3")
}

/// Emits [`CONNECTION_EVENT`] when the server is reached or lost and [`REPORTS_EVENT`]
/// (with the sync status) when the device's reports, tracked dossiers or outbox change.
async fn tell_window<R: Runtime>(app: AppHandle<R>, engine: Engine) {
    let mut pulses = engine.watch();
    let mut last = Pulse::default();
    loop {
        let now = *pulses.borrow_and_update();
        if now.online != last.online
            && let Some(online) = now.online
        {
            let _ = app.emit(CONNECTION_EVENT, Connection { online });
        }
        if now.changes != last.changes
            && let Ok(sync) = engine.status().await
        {
            let _ = app.emit(REPORTS_EVENT, DeviceStatus { online: now.online, sync });
        }
        last = now;
        if pulses.changed().await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::database_name;

    #[test]
    fn each_server_has_its_own_database() {
        assert_eq!(database_name("http://127.0.0.1:8080"), "device-127.0.0.1_8080.sqlite3");
        assert_eq!(database_name("https://phananh.hanoi.gov.vn"), "device-phananh.hanoi.gov.vn.sqlite3");
        assert_ne!(database_name("http://a:1/../x"), database_name("http://a:1"));
        assert!(!database_name("http://a/../../etc").contains('/'));
    }
}
