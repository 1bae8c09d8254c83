//! The desktop app's backend: the native side's engine keeps the outbox in its own SQLite
//! database, syncs in the background and listens on the live stream; this side asks it
//! through commands and hears from it through events.

use std::rc::Rc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use leptos::prelude::*;

use phananh_shared::api::{Event, RatingRequest, ReportView, TransferCode};
use phananh_shared::device::{Connection, DeviceStatus};
use phananh_shared::dossier::{DossierView, TrackDossier};
use phananh_shared::sync::QueuedReport;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::{Backend, Filing, SyncState, Task};
use crate::api::ApiError;
use crate::desktop;

/// The engine's cached report: only the parts the screens read.
#[derive(Deserialize)]
struct LocalReport {
    view: Option<ReportView>,
}

pub struct NativeBackend {
    state: SyncState,
}

impl NativeBackend {
    /// The backend, listening to the native side's events from now on.
    pub fn new() -> Rc<NativeBackend> {
        let backend = Rc::new(NativeBackend { state: SyncState::new(true) });
        let state = backend.state;
        desktop::listen("connection", move |connection: Connection| state.online.set(connection.online));
        desktop::listen("reports-changed", move |status: DeviceStatus| {
            show(state, &status);
            leptos::task::spawn_local(refresh_outbox(state));
        });
        // Before the app mounts (and Leptos's executor with it): the browser's own.
        wasm_bindgen_futures::spawn_local(async move {
            if let Ok(status) = desktop::call::<DeviceStatus>("sync_status", json!({})).await {
                show(state, &status);
                refresh_outbox(state).await;
            }
        });
        backend
    }
}

fn show(state: SyncState, status: &DeviceStatus) {
    if let Some(online) = status.online {
        state.online.set(online);
    }
    state.last_sync.set(status.sync.last_synced);
    state.bump();
}

async fn refresh_outbox(state: SyncState) {
    if let Ok(queued) = desktop::call::<Vec<QueuedReport>>("outbox", json!({})).await {
        state.pending.set(queued);
    }
}

impl Backend for Rc<NativeBackend> {
    fn file_report(&self, filing: Filing) -> Task<Result<(), ApiError>> {
        let state = self.state;
        Box::pin(async move {
            let mut photos = Vec::with_capacity(filing.photos.len());
            for photo in &filing.photos {
                photos.push(BASE64.encode(photo.bytes().await));
            }
            let _: serde_json::Value =
                desktop::call("file_report", json!({ "report": filing.report, "photos": photos })).await?;
            refresh_outbox(state).await;
            Ok(())
        })
    }

    fn my_reports(&self) -> Task<Result<Vec<ReportView>, ApiError>> {
        Box::pin(async {
            let reports: Vec<LocalReport> = desktop::call("reports", json!({})).await?;
            Ok(reports.into_iter().filter_map(|r| r.view).collect())
        })
    }

    fn report(&self, id: Uuid) -> Task<Result<ReportView, ApiError>> {
        Box::pin(async move { desktop::call("report", json!({ "id": id })).await })
    }

    fn timeline(&self, id: Uuid) -> Task<Result<Vec<Event>, ApiError>> {
        Box::pin(async move { desktop::call("timeline", json!({ "id": id })).await })
    }

    fn rate(&self, id: Uuid, rating: RatingRequest) -> Task<Result<(), ApiError>> {
        Box::pin(async move { desktop::call("rate", json!({ "id": id, "rating": rating })).await })
    }

    fn add_information(&self, id: Uuid, text: String) -> Task<Result<(), ApiError>> {
        Box::pin(async move { desktop::call("add_information", json!({ "id": id, "text": text })).await })
    }

    fn withdraw(&self, id: Uuid, reason: Option<String>) -> Task<Result<(), ApiError>> {
        Box::pin(async move { desktop::call("withdraw", json!({ "id": id, "reason": reason })).await })
    }

    fn follow(&self, id: Uuid) -> Task<Result<(), ApiError>> {
        Box::pin(async move { desktop::call("follow", json!({ "id": id })).await })
    }

    fn track_dossier(&self, track: TrackDossier) -> Task<Result<(), ApiError>> {
        let state = self.state;
        Box::pin(async move {
            desktop::call::<()>("track_dossier", json!({ "code": track.code, "secret": track.secret }))
                .await?;
            state.bump();
            Ok(())
        })
    }

    fn my_dossiers(&self) -> Task<Result<Vec<DossierView>, ApiError>> {
        Box::pin(async { desktop::call("dossiers", json!({})).await })
    }

    fn wards_geojson(&self) -> Task<Result<String, ApiError>> {
        Box::pin(async { desktop::call("wards", json!({})).await })
    }

    fn transfer_code(&self) -> Task<Result<TransferCode, ApiError>> {
        Box::pin(async { desktop::call("transfer_code", json!({})).await })
    }

    fn claim(&self, code: String) -> Task<Result<usize, ApiError>> {
        let state = self.state;
        Box::pin(async move {
            let moved = desktop::call("claim", json!({ "code": code })).await?;
            state.bump();
            Ok(moved)
        })
    }

    fn sync(&self) -> Task<()> {
        let state = self.state;
        Box::pin(async move {
            if let Ok(status) = desktop::call::<DeviceStatus>("sync_now", json!({})).await {
                show(state, &status);
                refresh_outbox(state).await;
            }
        })
    }

    fn state(&self) -> SyncState {
        self.state
    }
}
