//! The browser's backend: the HTTP API, with the device token and the outbox of reports in
//! `localStorage`, sent with the sync protocol (photos first) whenever the server can be
//! reached.

use std::cell::RefCell;
use std::rc::Rc;

use chrono::{DateTime, Utc};
use futures_util::FutureExt as _;
use futures_util::future::Shared;
use leptos::prelude::*;
use phananh_shared::api::{DeviceCreated, Event, NewDevice, RatingRequest, ReportView, Uploaded, WardRef};
use phananh_shared::dossier::{DossierView, TrackDossier};
use phananh_shared::report::NewReport;
use phananh_shared::sync::{Operation, OperationKind, Outcome, PushRequest, PushResponse, QueuedReport};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Backend, Filing, Photo, SyncState, Task};
use crate::api::{self, ApiError};
use crate::live::{Heard, Live};
use crate::{clock, storage};

/// A report waiting to be sent, or refused by the server (and kept, with the reason, so
/// nothing the resident wrote disappears), as `localStorage` keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Pending {
    /// The sync operation's id: the same on every retry, so the server applies it once.
    pub op_id: Uuid,
    /// The report; photo ids are added as each photo is uploaded.
    pub report: NewReport,
    /// Photos not uploaded yet.
    pub photos: Vec<Photo>,
    /// The ward the offline index says will handle it.
    pub ward: Option<WardRef>,
    pub queued_at: DateTime<Utc>,
    pub refused: Option<String>,
}

impl Pending {
    fn queued(&self) -> QueuedReport {
        QueuedReport {
            op_id: self.op_id,
            report: self.report.clone(),
            ward: self.ward.clone(),
            queued_at: self.queued_at,
            photos_waiting: self.photos.len(),
            refused: self.refused.clone(),
        }
    }
}

const DEVICE_KEY: &str = "phananh.device";
const OUTBOX_KEY: &str = "phananh.outbox";
const MINE_KEY: &str = "phananh.mine";
const FOLLOWING_KEY: &str = "phananh.following";
const WARDS_KEY: &str = "phananh.wards";
const DOSSIERS_KEY: &str = "phananh.dossiers";
/// The last event of the device's stream seen, to reconnect from.
const SEQ_KEY: &str = "phananh.device_seq";
/// How often the outbox is retried while it holds reports and the server is away: often
/// enough that a report goes soon after the signal is back, rarely enough to cost nothing.
const RETRY_MS: i32 = 5_000;

/// The browser backend: the HTTP API, with the outbox in `localStorage`.
pub struct HttpBackend {
    state: SyncState,
    /// The outbox as kept; `state.pending` shows it.
    outbox: RefCell<Vec<Pending>>,
    /// One send at a time: a second would push the same operations again (harmless, but
    /// wasteful on a phone's data).
    sending: RefCell<bool>,
    live: RefCell<Option<Live>>,
}

impl HttpBackend {
    pub fn new() -> Rc<HttpBackend> {
        let online = web_sys::window().map(|w| w.navigator().on_line()).unwrap_or(true);
        let outbox: Vec<Pending> = storage::get(OUTBOX_KEY).unwrap_or_default();
        let state = SyncState::new(online);
        state.pending.set(outbox.iter().map(Pending::queued).collect());
        let backend = Rc::new(HttpBackend {
            state,
            outbox: RefCell::new(outbox),
            sending: RefCell::new(false),
            live: RefCell::new(None),
        });
        backend.watch_connection();
        backend
    }

    /// Sends the outbox when the browser says it is back online, and retries on a timer.
    fn watch_connection(self: &Rc<Self>) {
        let Some(window) = web_sys::window() else { return };
        let state = self.state;
        let on_offline = wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || state.online.set(false));
        window.set_onoffline(Some(wasm_bindgen::JsCast::unchecked_ref(on_offline.as_ref())));
        on_offline.forget(); // for the page's lifetime
        let this = Rc::downgrade(self);
        let on_online = wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || {
            if let Some(this) = this.upgrade() {
                leptos::task::spawn_local(this.sync());
            }
        });
        window.set_ononline(Some(wasm_bindgen::JsCast::unchecked_ref(on_online.as_ref())));
        on_online.forget();
        let this = Rc::downgrade(self);
        let tick = wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || {
            if let Some(this) = this.upgrade()
                && this.outbox.borrow().iter().any(|p| p.refused.is_none())
            {
                leptos::task::spawn_local(this.sync());
            }
        });
        let _ = window.set_interval_with_callback_and_timeout_and_arguments_0(
            wasm_bindgen::JsCast::unchecked_ref(tick.as_ref()),
            RETRY_MS,
        );
        tick.forget();
    }

    fn save_outbox(&self, pending: Vec<Pending>) -> Result<(), String> {
        let kept = storage::set(OUTBOX_KEY, &pending);
        self.state.pending.set(pending.iter().map(Pending::queued).collect());
        *self.outbox.borrow_mut() = pending;
        if kept { Ok(()) } else { Err("this browser's storage is full".into()) }
    }

    /// Opens the device's live stream once the device has a token: the resident's reports
    /// then change on screen as the ward acts.
    fn listen(self: &Rc<Self>, token: &str) {
        if self.live.borrow().is_some() {
            return;
        }
        let state = self.state;
        let since = storage::get::<u64>(SEQ_KEY);
        let live = Live::subscribe_all(
            "device",
            Some(token),
            since,
            move |heard| {
                let seq = match heard {
                    Heard::Report(event) => event.seq,
                    Heard::Dossier(event) => event.seq,
                };
                storage::set(SEQ_KEY, &seq);
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

    async fn send_all(self: Rc<Self>) {
        let Ok(token) = device_token().await else {
            self.state.online.set(false);
            return;
        };
        self.listen(&token);
        let waiting: Vec<Pending> =
            self.outbox.borrow().iter().filter(|p| p.refused.is_none()).cloned().collect();
        for mut pending in waiting {
            match self.send_one(&token, &mut pending).await {
                Ok(outcome) => self.settle(pending, outcome),
                Err(error) if error.is_offline() => {
                    self.state.online.set(false);
                    let _ = self.replace(pending);
                    return;
                }
                Err(error) => {
                    pending.refused = Some(error.to_string());
                    let _ = self.replace(pending);
                }
            }
        }
        self.state.online.set(true);
        self.state.last_sync.set(Some(clock::now()));
    }

    /// Uploads the photos still on the device, then pushes the report.
    async fn send_one(&self, token: &str, pending: &mut Pending) -> Result<Outcome, ApiError> {
        while let Some(photo) = pending.photos.first() {
            let uploaded: Uploaded =
                api::post_bytes("/api/v1/photos", Some(token), photo.bytes(), &photo.content_type)
                    .await
                    .map_err(|e| match e {
                        ApiError::Refused { status, code, message, .. } => ApiError::Refused {
                            status,
                            code,
                            message: format!("{}: {message}", pending.photos[0].name),
                            field: Some("photos".into()),
                        },
                        offline => offline,
                    })?;
            pending.report.photos.push(uploaded.id);
            pending.photos.remove(0);
            // Kept at once: a retry must not upload this photo a second time.
            let _ = self.replace(pending.clone());
        }
        let request = PushRequest {
            operations: vec![Operation {
                id: pending.op_id,
                change: OperationKind::CreateReport { report: pending.report.clone() },
            }],
        };
        let mut answer: PushResponse = api::post("/api/v1/sync/push", Some(token), &request).await?;
        Ok(answer.results.pop().map(|r| r.outcome).unwrap_or(Outcome::Refused {
            code: "empty".into(),
            message: "the server gave no answer for this report".into(),
            field: None,
        }))
    }

    fn settle(&self, mut pending: Pending, outcome: Outcome) {
        match outcome {
            Outcome::Accepted { report } => {
                let mut mine: Vec<Uuid> = storage::get(MINE_KEY).unwrap_or_default();
                if !mine.contains(&report.id) {
                    mine.insert(0, report.id);
                    storage::set(MINE_KEY, &mine);
                }
                let rest =
                    self.outbox.borrow().iter().filter(|p| p.op_id != pending.op_id).cloned().collect();
                let _ = self.save_outbox(rest);
                self.state.bump();
            }
            Outcome::Refused { message, .. } => {
                pending.refused = Some(message);
                let _ = self.replace(pending);
            }
            // This outbox holds only new reports; tracking a dossier has its own request.
            Outcome::Tracked { .. } => {}
        }
    }

    fn replace(&self, pending: Pending) -> Result<(), String> {
        let mut all = self.outbox.borrow().clone();
        match all.iter_mut().find(|p| p.op_id == pending.op_id) {
            Some(slot) => *slot = pending,
            None => all.push(pending),
        }
        self.save_outbox(all)
    }
}

type Registration = Shared<Task<Result<String, ApiError>>>;

thread_local! {
    // The registration under way, shared by every caller that needs the token meanwhile:
    // two registrations would leave the reports filed under one device and the token of
    // the other kept.
    static REGISTERING: RefCell<Option<Registration>> = const { RefCell::new(None) };
}

/// The device's token, registering the device the first time it is needed.
pub async fn device_token() -> Result<String, ApiError> {
    if let Some(device) = storage::get::<DeviceCreated>(DEVICE_KEY) {
        return Ok(device.token);
    }
    let registering = REGISTERING.with(|r| r.borrow_mut().get_or_insert_with(|| register().shared()).clone());
    let token = registering.await;
    // Done, or failed (offline): the next call looks again, or tries again.
    REGISTERING.with(|r| r.borrow_mut().take());
    token
}

fn register() -> Task<Result<String, ApiError>> {
    Box::pin(async {
        let created: DeviceCreated = api::post("/api/v1/devices", None, &NewDevice::default()).await?;
        storage::set(DEVICE_KEY, &created);
        Ok(created.token)
    })
}

impl Backend for Rc<HttpBackend> {
    fn file_report(&self, filing: Filing) -> Task<Result<(), ApiError>> {
        let pending = Pending {
            op_id: Uuid::now_v7(),
            report: filing.report,
            photos: filing.photos,
            ward: filing.ward,
            queued_at: clock::now(),
            refused: None,
        };
        let kept = self.replace(pending);
        if kept.is_ok() {
            leptos::task::spawn_local(self.sync());
        }
        Box::pin(async move {
            kept.map_err(|problem| ApiError::Refused {
                status: 507,
                code: "storage".into(),
                message: problem,
                field: None,
            })
        })
    }

    fn my_reports(&self) -> Task<Result<Vec<ReportView>, ApiError>> {
        Box::pin(async move {
            let token = device_token().await?;
            let mut ids: Vec<Uuid> = storage::get(MINE_KEY).unwrap_or_default();
            ids.extend(storage::get::<Vec<Uuid>>(FOLLOWING_KEY).unwrap_or_default());
            let mut reports = Vec::with_capacity(ids.len());
            for id in ids {
                reports.push(api::get::<ReportView>(&format!("/api/v1/reports/{id}"), Some(&token)).await?);
            }
            Ok(reports)
        })
    }

    fn report(&self, id: Uuid) -> Task<Result<ReportView, ApiError>> {
        Box::pin(async move {
            let token = device_token().await.ok();
            api::get(&format!("/api/v1/reports/{id}"), token.as_deref()).await
        })
    }

    fn timeline(&self, id: Uuid) -> Task<Result<Vec<Event>, ApiError>> {
        Box::pin(async move {
            let token = device_token().await.ok();
            api::get(&format!("/api/v1/reports/{id}/events"), token.as_deref()).await
        })
    }

    fn rate(&self, id: Uuid, rating: RatingRequest) -> Task<Result<(), ApiError>> {
        let state = self.state;
        Box::pin(async move {
            let token = device_token().await?;
            let _: ReportView =
                api::post(&format!("/api/v1/reports/{id}/rating"), Some(&token), &rating).await?;
            state.bump();
            Ok(())
        })
    }

    fn follow(&self, id: Uuid) -> Task<Result<(), ApiError>> {
        let state = self.state;
        Box::pin(async move {
            let token = device_token().await?;
            let _: phananh_shared::api::Following =
                api::post(&format!("/api/v1/reports/{id}/follow"), Some(&token), &serde_json::json!({}))
                    .await?;
            let mut following: Vec<Uuid> = storage::get(FOLLOWING_KEY).unwrap_or_default();
            if !following.contains(&id) {
                following.push(id);
                storage::set(FOLLOWING_KEY, &following);
            }
            state.bump();
            Ok(())
        })
    }

    /// From the server, or the copy kept at the last visit when it cannot be reached.
    /// Online only in a browser: the server must check the secret (the desktop app queues it).
    fn track_dossier(&self, track: TrackDossier) -> Task<Result<(), ApiError>> {
        let this = Rc::clone(self);
        Box::pin(async move {
            let token = device_token().await?;
            let _: DossierView = api::post("/api/v1/dossiers/track", Some(&token), &track).await?;
            // The dossier's changes come on the device's stream from now on.
            this.listen(&token);
            this.state.bump();
            Ok(())
        })
    }

    fn my_dossiers(&self) -> Task<Result<Vec<DossierView>, ApiError>> {
        Box::pin(async {
            let fetched = async {
                let token = device_token().await?;
                api::get::<Vec<DossierView>>("/api/v1/dossiers/tracked", Some(&token)).await
            };
            match fetched.await {
                Ok(dossiers) => {
                    storage::set(DOSSIERS_KEY, &dossiers);
                    Ok(dossiers)
                }
                Err(error) if error.is_offline() => storage::get(DOSSIERS_KEY).ok_or(error),
                Err(error) => Err(error),
            }
        })
    }

    fn wards_geojson(&self) -> Task<Result<String, ApiError>> {
        Box::pin(async {
            match api::get_text("/api/v1/wards.geojson", None).await {
                Ok(text) => {
                    storage::set(WARDS_KEY, &text);
                    Ok(text)
                }
                Err(error) => storage::get::<String>(WARDS_KEY).ok_or(error),
            }
        })
    }

    fn sync(&self) -> Task<()> {
        let this = Rc::clone(self);
        Box::pin(async move {
            if this.sending.replace(true) {
                return;
            }
            Rc::clone(&this).send_all().await;
            this.sending.replace(false);
        })
    }

    fn state(&self) -> SyncState {
        self.state
    }
}
