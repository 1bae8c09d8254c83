//! What the resident's screens ask of the system, behind one small interface.
//!
//! In a browser the [`http::HttpBackend`] answers: it keeps the device's identity and an
//! outbox of reports in IndexedDB (see [`crate::device_store`]) and sends them with the sync
//! protocol, so a report filed with no signal is kept and sent exactly once when the
//! connection is back, by the page or, with the page closed, by its service worker. In the desktop app
//! the [`native::NativeBackend`] answers: the native side's engine keeps the outbox in its
//! own SQLite database and syncs in the background. Staff and city screens are online by
//! nature and call the HTTP API directly.

pub mod http;
pub mod native;

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use phananh_shared::api::{Event, RatingRequest, ReportView, TransferCode, WardRef};
use phananh_shared::dossier::{DossierView, TrackDossier};
use phananh_shared::report::NewReport;
use phananh_shared::sync::QueuedReport;
use uuid::Uuid;

use crate::api::ApiError;
use crate::photos::Photo;

pub type Task<T> = Pin<Box<dyn Future<Output = T>>>;

/// A report as the resident filed it on the form.
#[derive(Debug, Clone, PartialEq)]
pub struct Filing {
    pub report: NewReport,
    pub photos: Vec<Photo>,
    /// The ward the offline index says will handle it.
    pub ward: Option<WardRef>,
}

/// The outbox and the connection, as the screens show them.
#[derive(Debug, Clone, Copy)]
pub struct SyncState {
    /// New reports not accepted by the server yet: waiting, or refused with the reason.
    pub pending: RwSignal<Vec<QueuedReport>>,
    pub online: RwSignal<bool>,
    pub last_sync: RwSignal<Option<DateTime<Utc>>>,
    /// Bumped whenever one of the resident's reports changed (live, or after a send).
    pub changed: RwSignal<u64>,
}

impl SyncState {
    pub fn new(online: bool) -> SyncState {
        SyncState {
            pending: RwSignal::new(Vec::new()),
            online: RwSignal::new(online),
            last_sync: RwSignal::new(None),
            changed: RwSignal::new(0),
        }
    }

    pub fn bump(&self) {
        self.changed.update(|n| *n += 1);
    }
}

/// The resident's side of the system.
pub trait Backend {
    /// Keeps the report on the device and starts sending it; fails only if the device
    /// could not keep it.
    fn file_report(&self, filing: Filing) -> Task<Result<(), ApiError>>;
    /// The reports this device filed or follows that the server has accepted.
    fn my_reports(&self) -> Task<Result<Vec<ReportView>, ApiError>>;
    /// One report; the resident's own in full.
    fn report(&self, id: Uuid) -> Task<Result<ReportView, ApiError>>;
    /// A report's public timeline.
    fn timeline(&self, id: Uuid) -> Task<Result<Vec<Event>, ApiError>>;
    fn rate(&self, id: Uuid, rating: RatingRequest) -> Task<Result<(), ApiError>>;
    /// The reporter adds information to their report.
    fn add_information(&self, id: Uuid, text: String) -> Task<Result<(), ApiError>>;
    /// The reporter withdraws their report before the ward has answered, saying why or not.
    fn withdraw(&self, id: Uuid, reason: Option<String>) -> Task<Result<(), ApiError>>;
    /// "Me too": follow a report someone else filed instead of filing it again.
    fn follow(&self, id: Uuid) -> Task<Result<(), ApiError>>;
    /// Starts to track a dossier by its code and the secret on the desk's receipt.
    fn track_dossier(&self, track: TrackDossier) -> Task<Result<(), ApiError>>;
    /// The dossiers this device tracks, with their history; the last copy when offline.
    fn my_dossiers(&self) -> Task<Result<Vec<DossierView>, ApiError>>;
    /// The ward boundaries, as GeoJSON: the map and the offline index.
    fn wards_geojson(&self) -> Task<Result<String, ApiError>>;
    /// A one-time code that moves this device's identity to the device it is typed on.
    fn transfer_code(&self) -> Task<Result<TransferCode, ApiError>>;
    /// Becomes the device whose transfer `code` this is; gives how many reports it filed
    /// and follows.
    fn claim(&self, code: String) -> Task<Result<usize, ApiError>>;
    /// Sends what is waiting, if the server can be reached.
    fn sync(&self) -> Task<()>;
    fn state(&self) -> SyncState;
}

thread_local! {
    // The app runs on the browser's one thread; the backend lives as long as the page.
    static BACKEND: RefCell<Option<Rc<dyn Backend>>> = const { RefCell::new(None) };
}

pub fn install(backend: Rc<dyn Backend>) {
    BACKEND.with(|b| *b.borrow_mut() = Some(backend));
}

pub fn backend() -> Rc<dyn Backend> {
    BACKEND.with(|b| b.borrow().clone()).expect("the backend is installed before the app mounts")
}
