//! Loading the ward boundaries the server routes with.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use phananh_shared::wards::{ImportError, Validity, WardIndex};

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
