//! Uploaded photos: stored on disk by [`crate::photos`], recorded here with who uploaded
//! them, and attached to reports (a resident's photos when filing, staff's "after" photos
//! when resolving).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use tokio::sync::Semaphore;
use uuid::Uuid;

use crate::http::error::ApiError;
use crate::photos::{PhotoError, PhotoSize, PhotoStore, StoredPhoto};
use crate::store::{Store, stamp};

pub use phananh_shared::api::Uploaded;

/// Photos on disk and the limit on how many are decoded at once: decoding the largest
/// accepted image takes about 150 MB, so two at a time keep a burst of uploads from
/// exhausting memory.
#[derive(Clone)]
pub struct Uploads {
    files: PhotoStore,
    decoding: Arc<Semaphore>,
}

impl Uploads {
    pub fn new(files: PhotoStore) -> Uploads {
        Uploads { files, decoding: Arc::new(Semaphore::new(2)) }
    }

    /// Checks, stores and records `bytes` uploaded by `uploader` (`device:<id>` or
    /// `staff:<id>`) at `now`.
    pub async fn upload(
        &self,
        store: &Store,
        uploader: String,
        bytes: Vec<u8>,
        now: DateTime<Utc>,
    ) -> Result<Uploaded, ApiError> {
        let permit = self.decoding.acquire().await.expect("the semaphore is never closed");
        let files = self.files.clone();
        let stored: StoredPhoto = tokio::task::spawn_blocking(move || files.ingest(&bytes))
            .await
            .expect("photo intake does not panic")
            .map_err(refusal)?;
        drop(permit);
        let id = Uuid::now_v7();
        let answer = Uploaded { id, width: stored.width, height: stored.height };
        store
            .write(move |tx| {
                tx.execute(
                    "INSERT INTO photos (id, sha256, kind, width, height, bytes, uploaded_by, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![
                        id.to_string(),
                        stored.sha256,
                        stored.kind.as_str(),
                        stored.width,
                        stored.height,
                        stored.bytes as i64,
                        uploader,
                        stamp(now)
                    ],
                )?;
                Ok::<_, ApiError>(())
            })
            .await?;
        Ok(answer)
    }

    /// The public (EXIF-free) copy or the thumbnail of photo `id`, as JPEG bytes.
    pub async fn read(&self, store: &Store, id: Uuid, size: PhotoSize) -> Result<Option<Vec<u8>>, ApiError> {
        let sha256: Option<String> = store
            .read(move |conn| {
                Ok::<_, ApiError>(
                    conn.query_row("SELECT sha256 FROM photos WHERE id = ?1", [id.to_string()], |row| {
                        row.get(0)
                    })
                    .optional()?,
                )
            })
            .await?;
        let Some(sha256) = sha256 else { return Ok(None) };
        let files = self.files.clone();
        let read = tokio::task::spawn_blocking(move || files.read(&sha256, size))
            .await
            .expect("reading does not panic");
        Ok(read.map_err(ApiError::internal)?.map(|(bytes, _)| bytes))
    }
}

/// Checks that each of `photos` was uploaded by `uploader` (`device:<id>` exactly, or
/// `staff:` for any staff member) and answers their contents' sha256, in order. `field` names
/// the request field in the error.
pub fn owned(tx: &Connection, photos: &[Uuid], uploader: &str, field: &str) -> Result<Vec<String>, ApiError> {
    let mut hashes = Vec::with_capacity(photos.len());
    for (position, photo) in photos.iter().enumerate() {
        let found: Option<(String, String)> = tx
            .query_row("SELECT uploaded_by, sha256 FROM photos WHERE id = ?1", [photo.to_string()], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .optional()?;
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

/// Attaches `photos` (checked with [`owned`]) to `report` in the given role, in order.
pub fn attach(tx: &Connection, report: Uuid, photos: &[Uuid], role: &str) -> rusqlite::Result<()> {
    for (position, photo) in photos.iter().enumerate() {
        tx.execute(
            "INSERT INTO report_photos (report_id, photo_id, role, position) VALUES (?1, ?2, ?3, ?4)",
            params![report.to_string(), photo.to_string(), role, position as i64],
        )?;
    }
    Ok(())
}

/// An upload the intake refused, as the client should hear it.
fn refusal(error: PhotoError) -> ApiError {
    use axum::http::StatusCode;
    let status = match &error {
        PhotoError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        PhotoError::NotAnImage => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        PhotoError::Undecodable(_) | PhotoError::TooManyPixels { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        PhotoError::Io(_) => return ApiError::internal(error),
    };
    ApiError::new(status, "invalid_photo", error.to_string()).on("photo")
}
