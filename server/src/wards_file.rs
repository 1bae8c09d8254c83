//! The ward boundaries the server routes with: loaded from their file, recorded in the database.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use phananh_shared::wards::{ImportError, Validity, WardIndex};

use crate::store::{Store, StoreError, WardRecord};

/// Why the boundaries could not be loaded: the server refuses to start without them.
#[derive(Debug, thiserror::Error)]
pub enum WardsFileError {
    #[error("cannot read the ward boundaries {}: {source} (set --wards or PHANANH_WARDS)", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("the ward boundaries {} are not usable: {source}", path.display())]
    Import { path: PathBuf, source: ImportError },
}

/// Reads and indexes the boundaries in `path`, in force from `valid_from`.
pub fn load(path: &Path, valid_from: NaiveDate) -> Result<WardIndex, WardsFileError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| WardsFileError::Read { path: path.to_owned(), source })?;
    let index = WardIndex::from_geojson(&text, Validity::since(valid_from))
        .map_err(|source| WardsFileError::Import { path: path.to_owned(), source })?;
    tracing::info!(path = %path.display(), wards = index.wards().len(), %valid_from, "ward boundaries loaded");
    Ok(index)
}

/// Records `wards` (the boundary set in force) so reports can refer to the ward they were
/// routed to; a set already recorded is left as it is.
pub async fn record(store: &Store, wards: &WardIndex) -> Result<(), StoreError> {
    let validity = wards.validity();
    let records: Vec<_> = wards
        .wards()
        .iter()
        .map(|w| WardRecord {
            code: w.code.clone(),
            name: w.name.clone(),
            name_en: w.name_en.clone(),
            kind: w.kind.as_str(),
        })
        .collect();
    store.change(move |db| db.record_wards(validity.from, validity.until, &records)).await
}
