//! The offline-first client engine (feature `client`): what the desktop app runs, and what
//! the tests drive as residents' devices.
//!
//! Everything the resident does is written to the device's own database first
//! ([`Engine::file_report`] returns as soon as the report is saved, with the ward from the
//! offline index); [`Engine::sync_once`] then pushes the outbox in batches and pulls what
//! happened after the cursor. An operation leaves the outbox only in the transaction that
//! stores its answer, and the server applies each operation id at most once, so a crash or a
//! lost answer at any point ends with every operation applied exactly once. [`Engine::run`]
//! keeps syncing, with exponential backoff and jitter while the server cannot be reached.

mod local;
mod remote;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, Notify, watch};
use uuid::Uuid;

pub use crate::device::{Refusal, SyncStatus};

use crate::api::{
    CancelRequest, CommentRequest, Event, NewDevice, RatingRequest, ReportView, TransferCode, WardRef,
};
use crate::dossier::{DossierView, TrackDossier};
use crate::refusal::ErrorCode;
use crate::report::{MAX_PHOTO_BYTES, MAX_PHOTOS, NewReport};
use crate::sync::{MAX_BATCH, Operation, OperationKind, Outcome, QueuedReport};
use crate::validation::FieldError;
use crate::wards::WardIndex;

use local::{CURSOR, DEVICE_ID, LAST_SYNCED, Local, TOKEN};
use remote::Remote;

/// Why the engine could not do something.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error("the device's database: {0}")]
    Database(#[from] rusqlite::Error),
    #[error("the device's database holds something unreadable: {0}")]
    Corrupt(String),
    #[error("cannot reach the server: {0}")]
    Offline(#[from] reqwest::Error),
    #[error("the server answered {status}: {body}")]
    Server { status: u16, body: String },
}

impl From<serde_json::Error> for ClientError {
    fn from(error: serde_json::Error) -> ClientError {
        ClientError::Corrupt(error.to_string())
    }
}

/// A report as the device knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocalReport {
    pub id: Uuid,
    /// The ward the offline index chose when the report was filed on this device.
    pub local_ward: Option<WardRef>,
    /// The server's view, once it has one (ward, status, deadlines).
    pub view: Option<ReportView>,
    /// Whether an operation on it is still waiting to be sent.
    pub waiting: bool,
    /// Why the server refused the last refused operation on it, if it did.
    pub refusal: Option<Refusal>,
}

/// What an app watches to know when to look again: whether the last sync reached the server,
/// and a count bumped whenever the device's reports or outbox changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pulse {
    /// `None` until the first sync has been tried.
    pub online: Option<bool>,
    pub changes: u64,
}

/// A refusal as the server's error body gives it (`{"error": {"code", "message", "field"}}`).
pub fn refusal(body: &str) -> Refusal {
    #[derive(Deserialize)]
    struct Envelope {
        error: Refusal,
    }
    serde_json::from_str::<Envelope>(body).map(|e| e.error).unwrap_or_else(|_| Refusal {
        code: "refused".into(),
        message: body.to_owned(),
        field: None,
    })
}

/// One device's engine: its database, its server, its ward index.
#[derive(Clone)]
pub struct Engine {
    local: Arc<Mutex<Local>>,
    remote: Remote,
    wards: Arc<WardIndex>,
    /// Woken when something is queued, so the sync loop sends it at once.
    queued: Arc<Notify>,
    /// One sync at a time.
    syncing: Arc<Mutex<()>>,
    registering: Arc<Mutex<()>>,
    pulse: Arc<watch::Sender<Pulse>>,
}

impl Engine {
    /// Opens (creating if needed) the device database at `path`, for the server at `server`
    /// (`http://host:port`).
    pub fn open(path: &Path, server: &str, wards: Arc<WardIndex>) -> Result<Engine, ClientError> {
        Ok(Engine {
            local: Arc::new(Mutex::new(Local::open(path)?)),
            remote: Remote::new(server),
            wards,
            queued: Arc::new(Notify::new()),
            syncing: Arc::new(Mutex::new(())),
            registering: Arc::new(Mutex::new(())),
            pulse: Arc::new(watch::Sender::new(Pulse::default())),
        })
    }

    /// Files `report` on the device: checked, given its ward by the offline index, saved and
    /// queued. Returns at once, online or not.
    pub async fn file_report(&self, report: NewReport) -> Result<LocalReport, ClientError> {
        self.file_report_with_photos(report, Vec::new()).await
    }

    /// As [`Engine::file_report`], with photos (JPEG, PNG or WebP files) kept on the device
    /// until they are uploaded, just before the report is sent.
    pub async fn file_report_with_photos(
        &self,
        report: NewReport,
        photos: Vec<Vec<u8>>,
    ) -> Result<LocalReport, ClientError> {
        report.validate()?;
        let count = report.photos.len() + photos.len();
        if count > MAX_PHOTOS {
            return Err(FieldError::too_many("photos", MAX_PHOTOS, count).into());
        }
        if let Some(large) = photos.iter().position(|photo| photo.len() > MAX_PHOTO_BYTES) {
            let message = format!("photos[{large}] is larger than {} MB", MAX_PHOTO_BYTES / (1024 * 1024));
            return Err(FieldError::invalid(format!("photos[{large}]"), message).into());
        }
        let ward = self
            .wards
            .locate(report.location.lon, report.location.lat)
            .map(|found| WardRef::from(found.ward));
        let id = report.id;
        let operation = Operation { id: Uuid::now_v7(), change: OperationKind::CreateReport { report } };
        self.queue(operation, Some((id, ward)), &photos).await?;
        Ok(self.local.lock().await.report(id)?.expect("just saved"))
    }

    /// Adds information to a report, to be sent with the next sync.
    pub async fn comment(&self, report_id: Uuid, text: String) -> Result<(), ClientError> {
        let comment = CommentRequest { text };
        comment.validate()?;
        self.queue(
            Operation { id: Uuid::now_v7(), change: OperationKind::Comment { report_id, comment } },
            None,
            &[],
        )
        .await
    }

    /// Rates the answer to a report, to be sent with the next sync.
    pub async fn rate(&self, report_id: Uuid, rating: RatingRequest) -> Result<(), ClientError> {
        rating.validate()?;
        self.queue(
            Operation { id: Uuid::now_v7(), change: OperationKind::Rate { report_id, rating } },
            None,
            &[],
        )
        .await
    }

    /// Says "me too" about another resident's report, to be sent with the next sync; the
    /// report is cached and followed from then on.
    pub async fn follow(&self, report_id: Uuid) -> Result<(), ClientError> {
        let operation = Operation { id: Uuid::now_v7(), change: OperationKind::Follow { report_id } };
        self.queue(operation, Some((report_id, None)), &[]).await
    }

    /// Withdraws one of the resident's reports the ward has not answered, to be sent with the
    /// next sync.
    pub async fn cancel(&self, report_id: Uuid, reason: Option<String>) -> Result<(), ClientError> {
        let cancel = CancelRequest { reason };
        cancel.validate()?;
        let operation = Operation { id: Uuid::now_v7(), change: OperationKind::Cancel { report_id, cancel } };
        self.queue(operation, None, &[]).await
    }

    /// Starts to track the dossier with `code`, given the `secret` from the desk's receipt:
    /// queued like every operation; once the server has matched them, the dossier is in
    /// [`Engine::dossiers`], and a wrong code or secret is in the refusals.
    pub async fn track_dossier(&self, code: String, secret: String) -> Result<(), ClientError> {
        let track = TrackDossier { code: code.trim().to_owned(), secret: secret.trim().to_owned() };
        track.validate()?;
        let operation = Operation { id: Uuid::now_v7(), change: OperationKind::TrackDossier { track } };
        self.queue(operation, None, &[]).await
    }

    /// The dossiers the device tracks, as last synced: readable offline.
    pub async fn dossiers(&self) -> Result<Vec<DossierView>, ClientError> {
        self.local.lock().await.dossiers()
    }

    async fn queue(
        &self,
        operation: Operation,
        new_report: Option<(Uuid, Option<WardRef>)>,
        photos: &[Vec<u8>],
    ) -> Result<(), ClientError> {
        let new_report = new_report.as_ref().map(|(id, ward)| (*id, ward.as_ref()));
        self.local.lock().await.queue(&operation, new_report, photos, Utc::now())?;
        self.pulse.send_modify(|p| p.changes += 1);
        self.queued.notify_one();
        Ok(())
    }

    /// Tells the receiver when the device's reports change or the server is reached or lost.
    pub fn watch(&self) -> watch::Receiver<Pulse> {
        self.pulse.subscribe()
    }

    /// The new reports the server has not accepted yet, oldest first, the refused ones last.
    pub async fn queued_reports(&self) -> Result<Vec<QueuedReport>, ClientError> {
        self.local.lock().await.queued_reports()
    }

    /// Report `id` as the server has it now, if it can be reached, else as last seen (for a
    /// report the device knows). A report the device knows is cached afresh.
    pub async fn report(&self, id: Uuid) -> Result<ReportView, ClientError> {
        let fetched = async { self.remote.report(&self.token().await?, id).await };
        match fetched.await {
            Ok(view) => {
                let local = self.local.lock().await;
                if local.view_seq(id)?.is_some() {
                    local.store_view(&view)?;
                }
                Ok(view)
            }
            Err(error) => self.cached(id).await?.ok_or(error),
        }
    }

    async fn cached(&self, id: Uuid) -> Result<Option<ReportView>, ClientError> {
        Ok(self.local.lock().await.report(id)?.and_then(|r| r.view))
    }

    /// Report `id`'s public timeline from the server, kept for reading offline; the kept one
    /// when the server cannot be reached.
    pub async fn timeline(&self, id: Uuid) -> Result<Vec<Event>, ClientError> {
        let fetched = async { self.remote.timeline(&self.token().await?, id).await };
        match fetched.await {
            Ok(events) => {
                self.local.lock().await.store_timeline(id, &events)?;
                Ok(events)
            }
            Err(error) => self.local.lock().await.timeline(id)?.ok_or(error),
        }
    }

    /// The reports the device knows, newest first.
    pub async fn reports(&self) -> Result<Vec<LocalReport>, ClientError> {
        self.local.lock().await.reports()
    }

    pub async fn status(&self) -> Result<SyncStatus, ClientError> {
        let local = self.local.lock().await;
        let last_synced = local
            .meta(LAST_SYNCED)?
            .map(|t| t.parse())
            .transpose()
            .map_err(|e: chrono::ParseError| ClientError::Corrupt(e.to_string()))?;
        Ok(SyncStatus { waiting: local.waiting()?, last_synced, refused: local.refused()? })
    }

    /// The device's id and token, once it has registered with the server (for calls the
    /// engine does not make itself, such as uploading a photo).
    pub async fn credentials(&self) -> Result<Option<(Uuid, String)>, ClientError> {
        let local = self.local.lock().await;
        let (Some(id), Some(token)) = (local.meta(DEVICE_ID)?, local.meta(TOKEN)?) else { return Ok(None) };
        let id = Uuid::parse_str(&id).map_err(|e| ClientError::Corrupt(e.to_string()))?;
        Ok(Some((id, token)))
    }

    /// Registers the device with the server if it has not been yet; its token.
    async fn token(&self) -> Result<String, ClientError> {
        // One registration at a time: callers racing at the first run (the window's first
        // call and the background sync) must end with the one device, not one each.
        let _one_at_a_time = self.registering.lock().await;
        if let Some(token) = self.local.lock().await.meta(TOKEN)? {
            return Ok(token);
        }
        let created = self.remote.register(&NewDevice::default()).await?;
        let local = self.local.lock().await;
        local.set_meta(DEVICE_ID, &created.device_id.to_string())?;
        local.set_meta(TOKEN, &created.token)?;
        Ok(created.token)
    }

    /// A one-time code that moves this device's identity to the device it is typed on
    /// (registering this one first if it has not been yet).
    pub async fn transfer_code(&self) -> Result<TransferCode, ClientError> {
        self.remote.transfer_code(&self.token().await?).await
    }

    /// Becomes the device whose transfer `code` this is, bringing into it what this device
    /// had on the server: its id and token replace this device's at once (the code is spent),
    /// and the sync cursor goes back to the start, so the next pull brings every report of
    /// the merged device; the dossiers it tracks are fetched. What is queued here is sent as
    /// the claimed device. Gives how many reports it filed and follows.
    pub async fn claim(&self, code: &str) -> Result<usize, ClientError> {
        let claimed = {
            // No sync may be under way as the old identity while it is replaced: one would
            // write its pull cursor over the reset below, and the claimed device's earlier
            // reports would never be pulled. Same order as a sync takes them.
            let _not_syncing = self.syncing.lock().await;
            let _one_at_a_time = self.registering.lock().await;
            let own = self.local.lock().await.meta(TOKEN)?;
            let claimed = self.remote.claim(code, own.as_deref()).await?;
            let device_id = claimed.device.device_id.to_string();
            let meta =
                [(DEVICE_ID, device_id.as_str()), (TOKEN, claimed.device.token.as_str()), (CURSOR, "0")];
            self.local.lock().await.set_metas(&meta)?;
            claimed
        };
        for dossier in self.remote.tracked_dossiers(&claimed.device.token).await? {
            self.local.lock().await.store_dossier(&dossier)?;
        }
        self.sync_once().await?;
        Ok(claimed.filed.len() + claimed.following.len())
    }

    /// Registers the device with the server now, if it can be reached (the engine would
    /// otherwise do so at its first sync); the device's id.
    pub async fn register(&self) -> Result<Uuid, ClientError> {
        self.token().await?;
        self.credentials()
            .await?
            .map(|(id, _)| id)
            .ok_or_else(|| ClientError::Corrupt("no device id kept".into()))
    }

    /// Pushes the whole outbox, in batches, then pulls every event after the cursor and
    /// refreshes the reports they touch. Fails (leaving everything queued that was not
    /// answered) if the server cannot be reached.
    pub async fn sync_once(&self) -> Result<(), ClientError> {
        let result = self.sync_all().await;
        let reached =
            !matches!(result, Err(ClientError::Offline(_) | ClientError::Server { status: 500.., .. }));
        self.pulse.send_if_modified(|pulse| {
            let before = *pulse;
            pulse.online = Some(reached);
            if matches!(result, Ok(true)) {
                pulse.changes += 1;
            }
            *pulse != before
        });
        result.map(|_changed| ())
    }

    /// [`Engine::sync_once`]; whether any report or the outbox changed. A 401 means the
    /// device's identity moved to another device with a transfer code: the engine forgets it
    /// (keeping what is queued) and registers afresh at the next sync.
    async fn sync_all(&self) -> Result<bool, ClientError> {
        let _one_at_a_time = self.syncing.lock().await;
        let token = self.token().await?;
        let result = self.sync_as(&token).await;
        if matches!(result, Err(ClientError::Server { status: 401, .. })) {
            self.local.lock().await.forget_identity(&token)?;
            self.pulse.send_modify(|p| p.changes += 1);
        }
        result
    }

    async fn sync_as(&self, token: &str) -> Result<bool, ClientError> {
        let mut changed = false;
        loop {
            let mut batch = self.local.lock().await.outbox(MAX_BATCH)?;
            if batch.is_empty() {
                break;
            }
            for operation in &mut batch {
                self.upload_photos(token, operation).await?;
            }
            let answers = self.remote.push(token, &batch).await?;
            let mut local = self.local.lock().await;
            let mut held = false;
            for (operation, answer) in batch.iter().zip(&answers.results) {
                if answer.id != operation.id {
                    return Err(ClientError::Corrupt(format!(
                        "answer for {} where {} was sent",
                        answer.id, operation.id
                    )));
                }
                // Over the filing budget: the report stays queued for a later sync.
                if matches!(&answer.outcome, Outcome::Refused { code, .. } if code == ErrorCode::FilingLimited.code())
                {
                    held = true;
                    continue;
                }
                local.answered(operation, &answer.outcome)?;
                changed = true;
            }
            if held {
                break;
            }
        }
        let mut cursor: u64 = self
            .local
            .lock()
            .await
            .meta(CURSOR)?
            .map_or(Ok(0), |c| c.parse())
            .map_err(|e: std::num::ParseIntError| ClientError::Corrupt(e.to_string()))?;
        loop {
            let page = self.remote.pull(token, cursor).await?;
            // The newest event of each report the page touches: a report whose cached view is
            // at least that new (the push's answer, say) needs no second look.
            let mut newest: std::collections::BTreeMap<Uuid, u64> = std::collections::BTreeMap::new();
            for event in &page.events {
                newest.insert(event.report_id, event.seq);
            }
            for (id, seq) in newest {
                if self.local.lock().await.view_seq(id)?.is_some_and(|cached| cached >= seq) {
                    continue;
                }
                let view = self.remote.report(token, id).await?;
                self.local.lock().await.store_view(&view)?;
                changed = true;
            }
            for event in &page.dossier_events {
                changed |= self.local.lock().await.apply_dossier_event(event)?;
            }
            cursor = page.next_cursor;
            self.local.lock().await.set_meta(CURSOR, &cursor.to_string())?;
            if !page.more {
                break;
            }
        }
        self.local.lock().await.set_meta(LAST_SYNCED, &Utc::now().to_rfc3339())?;
        Ok(changed)
    }

    /// Uploads the photos kept for a new report and names them in it, before it is first
    /// sent; a photo the server refuses is left out, and its refusal kept for the resident.
    async fn upload_photos(&self, token: &str, operation: &mut Operation) -> Result<(), ClientError> {
        let OperationKind::CreateReport { report } = &mut operation.change else { return Ok(()) };
        let id = report.id;
        let pending = self.local.lock().await.pending_photos(id)?;
        for (position, bytes) in pending {
            let sent = match self.remote.upload_photo(token, bytes).await {
                Ok(server_id) => Ok(server_id),
                Err(ClientError::Server { status: 400..=499, body }) => Err(refusal(&body)),
                Err(error) => return Err(error),
            };
            self.local.lock().await.photo_sent(operation, position, sent)?;
        }
        let uploaded = self.local.lock().await.uploaded_photos(id)?;
        let OperationKind::CreateReport { report } = &mut operation.change else {
            unreachable!("matched above")
        };
        let before = report.photos.len();
        for photo in uploaded {
            if !report.photos.contains(&photo) {
                report.photos.push(photo);
            }
        }
        if report.photos.len() != before {
            self.local.lock().await.rewrite(operation)?;
        }
        Ok(())
    }

    /// Syncs for as long as it runs: at once, whenever something is queued, when the live
    /// stream says something happened to the device's reports, and every `interval`
    /// otherwise; after a failure, again after a delay that doubles up to `max_backoff`, with
    /// jitter so that many devices coming back online do not all call at the same moment.
    pub async fn run(&self, interval: Duration, max_backoff: Duration) {
        let mut backoff = Duration::from_millis(250);
        loop {
            let (wait, online) = match self.sync_once().await {
                Ok(()) => {
                    backoff = Duration::from_millis(250);
                    (interval, true)
                }
                Err(_) => {
                    let jittered = backoff.mul_f64(rand::random_range(0.5..1.5));
                    backoff = (backoff * 2).min(max_backoff);
                    (jittered, false)
                }
            };
            let live = async {
                let local = self.local.lock().await;
                let (token, cursor) = (local.meta(TOKEN), local.meta(CURSOR));
                drop(local);
                match (token, cursor) {
                    (Ok(Some(token)), Ok(cursor)) => {
                        let since = cursor.and_then(|c| c.parse().ok()).unwrap_or(0);
                        self.remote.next_live_event(&token, since).await
                    }
                    _ => std::future::pending().await,
                }
            };
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = self.queued.notified() => {}
                () = live, if online => {}
            }
        }
    }
}
