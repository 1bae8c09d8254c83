//! Uploaded photos: stored on disk by [`crate::photos`], recorded here with who uploaded
//! them, and attached to reports (a resident's photos when filing, staff's "after" photos
//! when resolving).
//!
//! Decoding a photo is the costliest thing a client can ask for (a 48 KB PNG of 7000 × 7000
//! pixels takes over a second of CPU), so no one uploader may take the decoders from the
//! others: each uploader has one upload in flight at a time and a budget of uploads an hour,
//! decoding runs on the blocking pool in as many slots as there are cores, and an upload that
//! finds every slot taken is answered 503 with `Retry-After` at once instead of queueing.
//! Photos uploaded but never attached to a report are removed after a grace period.

use phananh_shared::refusal::ErrorCode;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use governor::{DefaultKeyedRateLimiter, RateLimiter};
use tokio::sync::Semaphore;
use uuid::Uuid;

use crate::error::DomainError;
use crate::photos::{self, PhotoError, PhotoSize, PhotoStore, StoredPhoto};
use crate::store::{Db, PhotoRecord, Store};

pub use phananh_shared::api::Uploaded;

/// When to try again after finding every decoding slot taken: about one large photo's work.
const BUSY_RETRY: Duration = Duration::from_secs(2);

/// Photos on disk, the decoding slots, and each uploader's upload in flight and budget.
#[derive(Clone)]
pub struct Uploads {
    files: PhotoStore,
    decoding: Arc<Semaphore>,
    in_flight: Arc<Mutex<HashSet<String>>>,
    budget: Arc<DefaultKeyedRateLimiter<String>>,
}

/// How many uploads each uploader may make: `per_hour` sustained, `burst` at once.
#[derive(Debug, Clone, Copy)]
pub struct UploadBudget {
    pub per_hour: f64,
    pub burst: u32,
}

impl UploadBudget {
    /// No budget, for seeding demo data.
    pub const UNLIMITED: UploadBudget = UploadBudget { per_hour: f64::INFINITY, burst: u32::MAX };
}

/// Photos decoded at once unless the operator says otherwise: one per core, since each decode
/// is one core's work, but at most 8, since each takes up to about 150 MB for the largest
/// photo accepted (1.2 GB at most in all, on a machine of any size).
pub fn default_decoders() -> usize {
    std::thread::available_parallelism().map_or(2, usize::from).min(8)
}

impl Uploads {
    /// Uploads into `files`, each uploader within `budget`, `decoders` photos decoded at once.
    pub fn new(files: PhotoStore, budget: UploadBudget, decoders: usize) -> Uploads {
        Uploads {
            files,
            decoding: Arc::new(Semaphore::new(decoders)),
            in_flight: Arc::default(),
            budget: Arc::new(RateLimiter::keyed(crate::reports::hourly_quota(budget.per_hour, budget.burst))),
        }
    }

    /// Checks, stores and records `bytes` uploaded by `uploader` (`device:<id>` or
    /// `staff:<id>`) at `now`.
    pub async fn upload(
        &self,
        store: &Store,
        uploader: String,
        bytes: Vec<u8>,
        now: DateTime<Utc>,
    ) -> Result<Uploaded, DomainError> {
        // Refused before anything else: a bomb costs nothing, and is no upload in flight.
        photos::check_header(&bytes)?;
        let in_flight = InFlight::start(&self.in_flight, &uploader)?;
        let permit = Arc::clone(&self.decoding).try_acquire_owned().map_err(|_| DomainError::Busy {
            message: "every photo decoder is busy; send the photo again in a moment".into(),
            retry_after: BUSY_RETRY,
        })?;
        // Spent only by an upload that is decoded: one told "busy" costs the sender nothing.
        crate::reports::check_budget(&self.budget, &uploader, ErrorCode::RateLimited, |wait| {
            format!("too many photo uploads; retry in {} s", wait.as_secs())
        })?;
        let files = self.files.clone();
        let stored: StoredPhoto = tokio::task::spawn_blocking(move || {
            // Held by the decoding itself: a sender that hangs up frees neither its decoder
            // nor its place in flight until the work it started is done.
            let (_permit, _in_flight) = (permit, in_flight);
            files.ingest(&bytes)
        })
        .await
        .expect("photo intake does not panic")?;
        let id = Uuid::now_v7();
        let answer = Uploaded { id, width: stored.width, height: stored.height };
        let files = self.files.clone();
        store
            .change(move |db| {
                // The same bytes' files, found stored by the intake, may have been purged since.
                if files.stored(&stored.sha256).map_err(PhotoError::Io)?.is_none() {
                    return Err(DomainError::Busy {
                        message: "the photo was being cleaned up; send it again".into(),
                        retry_after: Duration::from_secs(1),
                    });
                }
                let record = PhotoRecord {
                    id,
                    sha256: stored.sha256,
                    kind: stored.kind.as_str(),
                    width: stored.width,
                    height: stored.height,
                    bytes: stored.bytes as u64,
                    uploaded_by: uploader,
                    at: now,
                };
                db.add_photo(&record)?;
                Ok::<_, DomainError>(())
            })
            .await?;
        Ok(answer)
    }

    /// Forgets the upload budgets that have refilled.
    pub fn forget_idle(&self) {
        self.budget.retain_recent();
    }

    /// Removes the photos uploaded before `cutoff` that no report uses, and the files of those
    /// no other upload shares; how many uploads were removed. Runs as a change, and changes
    /// take turns (on either engine), so no upload is recorded meanwhile (an upload of the
    /// same bytes checks that its files are still there).
    pub async fn purge_unattached(&self, store: &Store, cutoff: DateTime<Utc>) -> Result<usize, DomainError> {
        let files = self.files.clone();
        store
            .change(move |db| {
                let (removed, gone) = db.purge_unattached(cutoff)?;
                for sha256 in gone {
                    if let Err(error) = files.remove(&sha256) {
                        tracing::warn!(%error, photo = %sha256, "could not remove an unattached photo's files");
                    }
                }
                Ok::<_, DomainError>(removed)
            })
            .await
    }

    /// The public (EXIF-free) copy or the thumbnail of photo `id`, as JPEG bytes.
    pub async fn read(
        &self,
        store: &Store,
        id: Uuid,
        size: PhotoSize,
    ) -> Result<Option<Vec<u8>>, DomainError> {
        let sha256 = store.query(move |db| db.photo(id)).await?.map(|(_, sha256)| sha256);
        let Some(sha256) = sha256 else { return Ok(None) };
        let files = self.files.clone();
        let read = tokio::task::spawn_blocking(move || files.read(&sha256, size))
            .await
            .expect("reading does not panic");
        Ok(read.map_err(PhotoError::Io)?.map(|(bytes, _)| bytes))
    }
}

/// Checks that each of `photos` was uploaded by `uploader` (`device:<id>` exactly, or
/// `staff:` for any staff member) and answers their contents' sha256, in order. `field` names
/// the request field in the error.
pub fn owned(
    db: &mut dyn Db,
    photos: &[Uuid],
    uploader: &str,
    field: &str,
) -> Result<Vec<String>, DomainError> {
    let mut hashes = Vec::with_capacity(photos.len());
    for (position, photo) in photos.iter().enumerate() {
        let found = db.photo(*photo)?;
        let theirs =
            |by: &str| if uploader.ends_with(':') { by.starts_with(uploader) } else { by == uploader };
        match found {
            Some((by, sha256)) if theirs(&by) => hashes.push(sha256),
            _ => {
                return Err(phananh_shared::validation::FieldError::invalid(
                    field,
                    format!("{field}[{position}] ({photo}) is not a photo you uploaded"),
                )
                .into());
            }
        }
    }
    Ok(hashes)
}

/// `uploader`'s one upload in flight, for as long as this lives.
struct InFlight {
    set: Arc<Mutex<HashSet<String>>>,
    uploader: String,
}

impl InFlight {
    /// Marks `uploader`'s upload in flight; a 429 if one already is.
    fn start(set: &Arc<Mutex<HashSet<String>>>, uploader: &str) -> Result<InFlight, DomainError> {
        if !set.lock().expect("never poisoned").insert(uploader.to_owned()) {
            return Err(DomainError::Limited {
                code: ErrorCode::UploadInFlight,
                message: "another photo from you is being processed; send the next when it is answered"
                    .into(),
                field: None,
                retry_after: Some(Duration::from_secs(1)),
            });
        }
        Ok(InFlight { set: Arc::clone(set), uploader: uploader.to_owned() })
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.set.lock().expect("never poisoned").remove(&self.uploader);
    }
}
