//! Uploaded photos as recorded: who uploaded them, their contents' hash (their files are the
//! photo store's, by that hash), and the reports they are attached to.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::StoreError;

/// An upload, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoRecord {
    pub id: Uuid,
    /// SHA-256 of the original's bytes, in lowercase hex: where its files are.
    pub sha256: String,
    /// `jpeg`, `png` or `webp`, of the original.
    pub kind: &'static str,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
    /// `device:<id>` or `staff:<id>`.
    pub uploaded_by: String,
    pub at: DateTime<Utc>,
}

/// What a store keeps of photos.
pub trait Photos {
    fn add_photo(&mut self, photo: &PhotoRecord) -> Result<(), StoreError>;

    /// Who uploaded photo `id` and its contents' hash, if there is such an upload.
    fn photo(&mut self, id: Uuid) -> Result<Option<(String, String)>, StoreError>;

    /// Attaches `photos` to `report` in `role` (`report` or `after`), in their order.
    fn attach_photos(&mut self, report: Uuid, photos: &[Uuid], role: &str) -> Result<(), StoreError>;

    /// Removes the uploads made before `cutoff` that no report uses: how many were removed,
    /// and the hashes that no upload has any more (whose files may go).
    fn purge_unattached(&mut self, cutoff: DateTime<Utc>) -> Result<(usize, Vec<String>), StoreError>;
}
