//! What the window can ask of the native side (`invoke`). Each command is a thin call into
//! [`Device`] or its engine; every failure leaves as a [`CommandError`].

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use phananh_shared::api::{Event, RatingRequest, ReportView, TransferCode};
use phananh_shared::client::LocalReport;
use phananh_shared::device::{DeviceStatus, Identity};
use phananh_shared::dossier::DossierView;
use phananh_shared::report::NewReport;
use phananh_shared::sync::QueuedReport;
use tauri::{AppHandle, Runtime, State};
use uuid::Uuid;

use crate::device::Device;
use crate::error::CommandError;
use crate::settings::Settings;

type Answer<T> = Result<T, CommandError>;

#[tauri::command]
pub fn settings(device: State<'_, Device>) -> Settings {
    device.settings()
}

#[tauri::command]
pub fn save_settings<R: Runtime>(
    app: AppHandle<R>,
    device: State<'_, Device>,
    settings: Settings,
) -> Answer<Settings> {
    let started = device.settings().started;
    device.apply(&app, Settings { started, ..settings })
}

/// The first-run screen's "start": saves the settings, opens the device's database, starts
/// syncing, and registers the device with the server now if it can be reached.
#[tauri::command]
pub async fn begin<R: Runtime>(
    app: AppHandle<R>,
    device: State<'_, Device>,
    settings: Settings,
) -> Answer<Identity> {
    let engine = {
        device.apply(&app, Settings { started: true, ..settings })?;
        device.engine(&app)?
    };
    if let Err(error) = engine.register().await {
        tracing::info!(%error, "not registered yet; the engine will at its next sync");
    }
    Ok(Identity { device_id: engine.credentials().await?.map(|(id, _)| id) })
}

#[tauri::command]
pub async fn identity<R: Runtime>(app: AppHandle<R>, device: State<'_, Device>) -> Answer<Identity> {
    let engine = device.engine(&app)?;
    Ok(Identity { device_id: engine.credentials().await?.map(|(id, _)| id) })
}

/// The ward boundaries shipped with the app, as GeoJSON, for the map and the offline index.
#[tauri::command]
pub fn wards(device: State<'_, Device>) -> Arc<str> {
    device.wards_geojson()
}

/// Files a report on the device (photos as base64 files) and returns at once.
#[tauri::command]
pub async fn file_report<R: Runtime>(
    app: AppHandle<R>,
    device: State<'_, Device>,
    report: NewReport,
    photos: Vec<String>,
) -> Answer<LocalReport> {
    let photos = photos
        .iter()
        .enumerate()
        .map(|(i, data)| {
            BASE64.decode(data).map_err(|_| CommandError::field(&format!("photos[{i}]"), "not a file"))
        })
        .collect::<Answer<Vec<_>>>()?;
    Ok(device.engine(&app)?.file_report_with_photos(report, photos).await?)
}

/// The reports the device filed or follows, newest first, as last synced.
#[tauri::command]
pub async fn reports<R: Runtime>(app: AppHandle<R>, device: State<'_, Device>) -> Answer<Vec<LocalReport>> {
    Ok(device.engine(&app)?.reports().await?)
}

/// The new reports not yet accepted by the server: waiting, or refused with the reason.
#[tauri::command]
pub async fn outbox<R: Runtime>(app: AppHandle<R>, device: State<'_, Device>) -> Answer<Vec<QueuedReport>> {
    Ok(device.engine(&app)?.queued_reports().await?)
}

#[tauri::command]
pub async fn report<R: Runtime>(
    app: AppHandle<R>,
    device: State<'_, Device>,
    id: Uuid,
) -> Answer<ReportView> {
    Ok(device.engine(&app)?.report(id).await?)
}

#[tauri::command]
pub async fn timeline<R: Runtime>(
    app: AppHandle<R>,
    device: State<'_, Device>,
    id: Uuid,
) -> Answer<Vec<Event>> {
    Ok(device.engine(&app)?.timeline(id).await?)
}

#[tauri::command]
pub async fn rate<R: Runtime>(
    app: AppHandle<R>,
    device: State<'_, Device>,
    id: Uuid,
    rating: RatingRequest,
) -> Answer<()> {
    Ok(device.engine(&app)?.rate(id, rating).await?)
}

/// Queues more information from the resident about their report `id`.
#[tauri::command]
pub async fn add_information<R: Runtime>(
    app: AppHandle<R>,
    device: State<'_, Device>,
    id: Uuid,
    text: String,
) -> Answer<()> {
    Ok(device.engine(&app)?.comment(id, text).await?)
}

/// Queues the resident's withdrawal of their report `id`, with their reason if they gave one.
#[tauri::command]
pub async fn withdraw<R: Runtime>(
    app: AppHandle<R>,
    device: State<'_, Device>,
    id: Uuid,
    reason: Option<String>,
) -> Answer<()> {
    Ok(device.engine(&app)?.cancel(id, reason).await?)
}

/// A one-time code that moves this device's identity to the device it is typed on.
#[tauri::command]
pub async fn transfer_code<R: Runtime>(app: AppHandle<R>, device: State<'_, Device>) -> Answer<TransferCode> {
    Ok(device.engine(&app)?.transfer_code().await?)
}

/// Becomes the device whose transfer `code` this is; how many reports moved.
#[tauri::command]
pub async fn claim<R: Runtime>(app: AppHandle<R>, device: State<'_, Device>, code: String) -> Answer<usize> {
    Ok(device.engine(&app)?.claim(&code).await?)
}

#[tauri::command]
pub async fn follow<R: Runtime>(app: AppHandle<R>, device: State<'_, Device>, id: Uuid) -> Answer<()> {
    Ok(device.engine(&app)?.follow(id).await?)
}

/// Queues tracking the dossier `code` with the `secret` from the desk's receipt; the server
/// checks them when the device next syncs (at once, when online).
#[tauri::command]
pub async fn track_dossier<R: Runtime>(
    app: AppHandle<R>,
    device: State<'_, Device>,
    code: String,
    secret: String,
) -> Answer<()> {
    Ok(device.engine(&app)?.track_dossier(code, secret).await?)
}

/// The dossiers the device tracks, as last synced.
#[tauri::command]
pub async fn dossiers<R: Runtime>(app: AppHandle<R>, device: State<'_, Device>) -> Answer<Vec<DossierView>> {
    Ok(device.engine(&app)?.dossiers().await?)
}

/// Syncs now (the resident pressed "send now"); the status after it, sent or not.
#[tauri::command]
pub async fn sync_now<R: Runtime>(app: AppHandle<R>, device: State<'_, Device>) -> Answer<DeviceStatus> {
    if let Err(error) = device.engine(&app)?.sync_once().await {
        tracing::info!(%error, "sync");
    }
    device.status(&app).await
}

#[tauri::command]
pub async fn sync_status<R: Runtime>(app: AppHandle<R>, device: State<'_, Device>) -> Answer<DeviceStatus> {
    device.status(&app).await
}

/// The window has drawn its first screen: logged with the time since launch.
#[tauri::command]
pub fn shown() {
    tracing::info!(after_ms = crate::STARTED.elapsed().as_millis() as u64, "first screen shown");
}
