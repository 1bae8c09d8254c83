//! The browser's backend: the HTTP API, with the device's identity, its outbox and the
//! views it keeps offline in IndexedDB ([`device_store`]). The outbox is sent with the sync
//! protocol (photos first, then the report, each under its operation's id, so a retry is
//! applied once) as soon as the server can be reached: at start, when the browser says it
//! is online, when the page becomes visible, on a timer backing off with jitter while the
//! server stays away, on the resident's "Send now", and, with the page closed, from the
//! service worker's Background Sync. `navigator.onLine` is only ever a hint to try.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use phananh_shared::api::{
    CancelRequest, ClaimRequest, Claimed, CommentRequest, DeviceCreated, Event, RatingRequest, ReportView,
    TransferCode, WardRef,
};
use phananh_shared::dossier::{DossierView, TrackDossier};
use phananh_shared::report::NewReport;
use serde::Serialize;
use uuid::Uuid;
use wasm_bindgen::JsCast as _;
use wasm_bindgen::closure::Closure;

use super::{Backend, Filing, SyncState, Task};
use crate::api::{self, ApiError};
use crate::clock;
use crate::device_store::{self, StoreError};
use crate::live::{Heard, Live};

/// Keys of the device store.
const IDENTITY: &str = "identity";
const MINE: &str = "mine";
const FOLLOWING: &str = "following";
const REPORTS: &str = "reports";
const DOSSIERS: &str = "dossiers";
/// The last event of the device's stream seen, to reconnect from.
const CURSOR: &str = "cursor";

/// The first retry after a failed send, and the longest wait between two: soon after the
/// signal is back, and nothing spent while it stays away.
const RETRY_FIRST_MS: f64 = 5_000.0;
const RETRY_MAX_MS: f64 = 300_000.0;

/// An outbox record as the device store keeps it (its photos are added beside it).
#[derive(Serialize)]
struct Record {
    /// The report's own id: a form makes it once, so filing the same form twice keeps one
    /// record and the server one report.
    op_id: Uuid,
    report: NewReport,
    ward: Option<WardRef>,
    queued_at: DateTime<Utc>,
}

/// The browser backend: the HTTP API, with the device's data in IndexedDB.
pub struct HttpBackend {
    state: SyncState,
    /// One send from this page at a time (the store's lock orders it with the worker's).
    sending: Cell<bool>,
    /// Sends in a row that found the server away: the retry timer's backoff.
    failures: Cell<u32>,
    retry: Cell<Option<i32>>,
    live: RefCell<Option<Live>>,
}

impl HttpBackend {
    /// The resident tells the server something about their report `id` (`what`: its rating,
    /// more information, its withdrawal); their reports are read again once it is taken.
    ///
    /// The body is made into JSON first, so one sending serves every kind of body: the phone
    /// downloads it once.
    fn tell(&self, id: Uuid, what: &'static str, body: &impl Serialize) -> Task<Result<(), ApiError>> {
        let state = self.state;
        let body = api::json(body);
        Box::pin(async move {
            let token = device_store::token().await?;
            let _: ReportView =
                api::post_json(&format!("/api/v1/reports/{id}/{what}"), Some(&token), body?).await?;
            state.bump();
            Ok(())
        })
    }

    /// The backend; with `device`, the resident's device: its store, its outbox sent
    /// whenever possible, its live stream. The staff's page only reads the API.
    pub fn new(device: bool) -> Rc<HttpBackend> {
        let online = web_sys::window().is_none_or(|w| w.navigator().on_line());
        let backend = Rc::new(HttpBackend {
            state: SyncState::new(online),
            sending: Cell::new(false),
            failures: Cell::new(0),
            retry: Cell::new(None),
            live: RefCell::new(None),
        });
        if !device {
            return backend;
        }
        let weak = Rc::downgrade(&backend);
        device_store::on_change(move || {
            if let Some(this) = weak.upgrade() {
                wasm_bindgen_futures::spawn_local(async move { this.refresh().await });
            }
        });
        backend.watch_connection();
        let this = Rc::clone(&backend);
        // Before the app mounts (and Leptos's executor with it): the browser's own.
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(problem) = device_store::migrate().await {
                web_sys::console::warn_1(&format!("the previous version's data stays put: {problem}").into());
            }
            // Whether the server answers, said before anything is filed (the outbox's sending
            // says so only when there is something to send).
            if api::get_text("/healthz", None).await.is_err_and(|e| e.is_offline()) {
                this.state.online.set(false);
            }
            if let Some(device) = device_store::get::<DeviceCreated>(IDENTITY).await {
                this.listen(&device.token).await;
            }
            this.refresh().await;
            this.sync().await;
        });
        backend
    }

    /// Tries to send when the browser says it is online or the page comes back into view.
    fn watch_connection(self: &Rc<Self>) {
        let Some(window) = web_sys::window() else { return };
        let state = self.state;
        let on_offline = Closure::<dyn Fn()>::new(move || state.online.set(false));
        window.set_onoffline(Some(on_offline.as_ref().unchecked_ref()));
        on_offline.forget(); // for the page's lifetime
        let on_online = self.trigger();
        window.set_ononline(Some(on_online.as_ref().unchecked_ref()));
        on_online.forget();
        let on_visible = self.trigger();
        if let Some(document) = window.document() {
            let _ = document
                .add_event_listener_with_callback("visibilitychange", on_visible.as_ref().unchecked_ref());
        }
        on_visible.forget();
    }

    /// A callback that sends the outbox when the page is visible.
    fn trigger(self: &Rc<Self>) -> Closure<dyn Fn()> {
        let weak = Rc::downgrade(self);
        Closure::new(move || {
            let visible = web_sys::window().and_then(|w| w.document()).is_none_or(|d| !d.hidden());
            if let Some(this) = weak.upgrade().filter(|_| visible) {
                leptos::task::spawn_local(this.sync());
            }
        })
    }

    /// The outbox as stored now, on the screen.
    async fn refresh(&self) {
        let queued = device_store::queued().await;
        let sent = self
            .state
            .pending
            .with_untracked(|before| before.iter().any(|p| !queued.iter().any(|q| q.op_id == p.op_id)));
        self.state.pending.set(queued);
        if sent {
            self.state.bump();
        }
    }

    /// `fetched` with the device's `token`, or nothing if the server no longer takes the token:
    /// the identity moved to another device, and this one starts again as a new device.
    async fn unless_moved_away<T: Default>(
        &self,
        token: &str,
        fetched: Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        match fetched {
            Err(ApiError::Refused { status: 401, .. }) => {
                device_store::moved_away(token).await;
                self.live.borrow_mut().take();
                Ok(T::default())
            }
            other => other,
        }
    }

    /// Sends the outbox once; on failure tries again later, backing off.
    async fn send(self: Rc<Self>) {
        if self.sending.replace(true) {
            return;
        }
        if let Some(timer) = self.retry.take() {
            let _ = web_sys::window().map(|w| w.clear_timeout_with_handle(timer));
        }
        let waiting = self.state.pending.with_untracked(|p| p.iter().any(|p| p.refused.is_none()));
        let sent = device_store::send().await;
        self.sending.set(false);
        self.refresh().await;
        if sent {
            self.failures.set(0);
            if waiting {
                self.state.online.set(true);
                self.state.last_sync.set(Some(clock::now()));
            }
            if let Some(device) = device_store::get::<DeviceCreated>(IDENTITY).await {
                self.listen(&device.token).await;
            }
        } else {
            self.state.online.set(false);
            self.failures.set(self.failures.get() + 1);
            self.retry_later();
        }
    }

    /// Sends again after a wait that doubles with each failure, up to five minutes, with a
    /// fifth either way so that phones behind one mast do not all come back at once.
    fn retry_later(self: &Rc<Self>) {
        let Some(window) = web_sys::window() else { return };
        let backoff = RETRY_FIRST_MS * f64::from(1u32 << self.failures.get().clamp(1, 10).saturating_sub(1));
        let wait = backoff.min(RETRY_MAX_MS) * (0.8 + 0.4 * js_sys::Math::random());
        let weak: Weak<Self> = Rc::downgrade(self);
        let again = Closure::once_into_js(move || {
            if let Some(this) = weak.upgrade() {
                this.retry.set(None);
                leptos::task::spawn_local(this.send());
            }
        });
        if let Ok(timer) =
            window.set_timeout_with_callback_and_timeout_and_arguments_0(again.unchecked_ref(), wait as i32)
        {
            self.retry.set(Some(timer));
        }
    }

    /// Opens the device's live stream once the device has a token: the resident's reports
    /// then change on screen as the ward acts.
    async fn listen(&self, token: &str) {
        if self.live.borrow().is_some() {
            return;
        }
        let since = device_store::get::<u64>(CURSOR).await;
        if self.live.borrow().is_some() {
            return;
        }
        let state = self.state;
        let live = Live::subscribe_all(
            "device",
            Some(token),
            since,
            move |heard| {
                let seq = match heard {
                    Heard::Report(event) => event.seq,
                    Heard::Dossier(event) => event.seq,
                };
                wasm_bindgen_futures::spawn_local(async move {
                    let _ = device_store::set(CURSOR, &seq).await;
                });
                state.bump();
            },
            move |up| {
                if up {
                    state.online.set(true);
                    // Whatever changed while the stream was down is in the views reloaded now.
                    state.bump();
                }
            },
        );
        *self.live.borrow_mut() = Some(live);
    }
}

/// What the screens show when the device could not keep a report.
fn not_kept(problem: StoreError) -> ApiError {
    let code = match problem {
        StoreError::Full => "storage_full",
        StoreError::Failed(_) => "storage",
    };
    ApiError::Refused { status: 507, code: code.into(), message: problem.to_string(), field: None }
}

/// The resident's reports as kept: the server's answers as they came (so the download
/// carries no writer of `ReportView`).
fn read_reports(texts: &[String]) -> Vec<ReportView> {
    texts.iter().filter_map(|text| serde_json::from_str(text).ok()).collect()
}

/// The answer from the server, kept under `key`; the kept copy when the server cannot be
/// reached.
///
/// Either way the screens learn whether the server answered (`online`): a list shown from the
/// copy says so.
async fn kept_when_offline<T>(
    online: RwSignal<bool>,
    key: &str,
    fetched: Result<T, ApiError>,
) -> Result<T, ApiError>
where
    T: Serialize + serde::de::DeserializeOwned,
{
    match fetched {
        Ok(value) => {
            online.set(true);
            let _ = device_store::set(key, &value).await;
            Ok(value)
        }
        Err(error) if error.is_offline() => {
            online.set(false);
            device_store::get(key).await.ok_or(error)
        }
        Err(error) => Err(error),
    }
}

impl Backend for Rc<HttpBackend> {
    fn file_report(&self, filing: Filing) -> Task<Result<(), ApiError>> {
        let this = Rc::clone(self);
        Box::pin(async move {
            let record = Record {
                op_id: filing.report.id,
                report: filing.report,
                ward: filing.ward,
                queued_at: clock::now(),
            };
            device_store::queue(&record, &filing.photos).await.map_err(not_kept)?;
            this.refresh().await;
            leptos::task::spawn_local(Rc::clone(&this).send());
            Ok(())
        })
    }

    fn my_reports(&self) -> Task<Result<Vec<ReportView>, ApiError>> {
        let this = Rc::clone(self);
        Box::pin(async move {
            let token = device_store::token().await?;
            let fetched = async {
                let mut ids: Vec<Uuid> = device_store::get(MINE).await.unwrap_or_default();
                ids.extend(device_store::get::<Vec<Uuid>>(FOLLOWING).await.unwrap_or_default());
                let mut reports = Vec::with_capacity(ids.len());
                for id in ids {
                    reports.push(api::get_text(&format!("/api/v1/reports/{id}"), Some(&token)).await?);
                }
                Ok(reports)
            };
            let fetched = this.unless_moved_away(&token, fetched.await).await;
            let texts = kept_when_offline(this.state.online, REPORTS, fetched).await?;
            Ok(read_reports(&texts))
        })
    }

    fn report(&self, id: Uuid) -> Task<Result<ReportView, ApiError>> {
        Box::pin(async move {
            let token = device_store::get::<DeviceCreated>(IDENTITY).await.map(|d| d.token);
            match api::get(&format!("/api/v1/reports/{id}"), token.as_deref()).await {
                Err(error) if error.is_offline() => {
                    let kept: Vec<String> = device_store::get(REPORTS).await.unwrap_or_default();
                    read_reports(&kept).into_iter().find(|r| r.id == id).ok_or(error)
                }
                answer => answer,
            }
        })
    }

    fn timeline(&self, id: Uuid) -> Task<Result<Vec<Event>, ApiError>> {
        Box::pin(async move {
            let token = device_store::get::<DeviceCreated>(IDENTITY).await.map(|d| d.token);
            api::get(&format!("/api/v1/reports/{id}/events"), token.as_deref()).await
        })
    }

    fn rate(&self, id: Uuid, rating: RatingRequest) -> Task<Result<(), ApiError>> {
        self.tell(id, "rating", &rating)
    }

    fn add_information(&self, id: Uuid, text: String) -> Task<Result<(), ApiError>> {
        self.tell(id, "comments", &CommentRequest { text })
    }

    fn withdraw(&self, id: Uuid, reason: Option<String>) -> Task<Result<(), ApiError>> {
        self.tell(id, "cancel", &CancelRequest { reason })
    }

    fn follow(&self, id: Uuid) -> Task<Result<(), ApiError>> {
        let state = self.state;
        Box::pin(async move {
            let token = device_store::token().await?;
            let _: phananh_shared::api::Following =
                api::post(&format!("/api/v1/reports/{id}/follow"), Some(&token), &serde_json::json!({}))
                    .await?;
            let mut following: Vec<Uuid> = device_store::get(FOLLOWING).await.unwrap_or_default();
            if !following.contains(&id) {
                following.push(id);
                let _ = device_store::set(FOLLOWING, &following).await;
            }
            state.bump();
            Ok(())
        })
    }

    /// Online only in a browser: the server must check the secret (the desktop app queues it).
    fn track_dossier(&self, track: TrackDossier) -> Task<Result<(), ApiError>> {
        let this = Rc::clone(self);
        Box::pin(async move {
            let token = device_store::token().await?;
            let _: DossierView = api::post("/api/v1/dossiers/track", Some(&token), &track).await?;
            // The dossier's changes come on the device's stream from now on.
            this.listen(&token).await;
            this.state.bump();
            Ok(())
        })
    }

    /// From the server, or the copy kept at the last visit when it cannot be reached.
    fn my_dossiers(&self) -> Task<Result<Vec<DossierView>, ApiError>> {
        let this = Rc::clone(self);
        Box::pin(async move {
            let token = device_store::token().await?;
            let fetched = api::get::<Vec<DossierView>>("/api/v1/dossiers/tracked", Some(&token)).await;
            let fetched = this.unless_moved_away(&token, fetched).await;
            kept_when_offline(this.state.online, DOSSIERS, fetched).await
        })
    }

    /// The service worker keeps the last copy for offline starts.
    fn wards_geojson(&self) -> Task<Result<String, ApiError>> {
        Box::pin(async { api::get_text("/api/v1/wards.geojson", None).await })
    }

    fn transfer_code(&self) -> Task<Result<TransferCode, ApiError>> {
        Box::pin(async {
            let token = device_store::token().await?;
            api::post("/api/v1/devices/transfer", Some(&token), &serde_json::json!({})).await
        })
    }

    /// The claimed identity replaces this device's, and the server brings what this device
    /// had into it (its token says which device it was).
    fn claim(&self, code: String) -> Task<Result<usize, ApiError>> {
        let this = Rc::clone(self);
        Box::pin(async move {
            let own = device_store::get::<DeviceCreated>(IDENTITY).await.map(|d| d.token);
            let claimed: Claimed =
                api::post("/api/v1/devices/claim", own.as_deref(), &ClaimRequest { code }).await?;
            device_store::set(IDENTITY, &claimed.device).await.map_err(not_kept)?;
            for (key, moved) in [(MINE, &claimed.filed), (FOLLOWING, &claimed.following)] {
                let mut ids: Vec<Uuid> = device_store::get(key).await.unwrap_or_default();
                ids.retain(|id| !moved.contains(id));
                ids.extend(moved);
                device_store::set(key, &ids).await.map_err(not_kept)?;
            }
            // The stream of the identity this device had gives way to the claimed one's.
            this.live.borrow_mut().take();
            this.listen(&claimed.device.token).await;
            this.state.bump();
            Ok(claimed.filed.len() + claimed.following.len())
        })
    }

    fn sync(&self) -> Task<()> {
        let this = Rc::clone(self);
        this.failures.set(0);
        Box::pin(this.send())
    }

    fn state(&self) -> SyncState {
        self.state
    }
}
