//! Durable storage behind one boundary, answered by two engines.
//!
//! The domain asks for what it needs through one trait per aggregate ([`Devices`], [`Events`], [`Reports`], …), all
//! gathered in [`Db`]: a change runs as one transaction against a `&mut dyn Db`, whichever
//! engine answers it.
//!
//! - [`sqlite`]: the embedded default, one process, one file in the data directory.
//! - [`postgres`]: one database shared by several interchangeable server nodes.
//!
//! A change is synchronous code: the domain's decisions read what they need and write what
//! they decide in one transaction, written once for both engines. SQLite runs it on its one
//! writer thread; PostgreSQL on a blocking thread of the runtime that awaits each statement
//! of its pooled connection (see [`postgres`]).
//!
//! The move to this boundary is under way (issue 24): aggregates not yet behind it still
//! write SQLite's SQL through [`sqlite::Store::write`] and [`sqlite::Store::read`], and ask
//! the traits of those that are within the same transaction through [`sqlite::Sqlite`].

mod dashboard;
mod deadlines;
mod devices;
mod dossiers;
mod events;
mod open311;
mod photos;
pub mod postgres;
mod reports;
pub mod sqlite;
mod staff;
mod sync;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

pub use dashboard::{CountedEvent, CountedReport, DashboardFacts, DossierFacts};
pub use deadlines::{Breach, Deadlines, Missed};
pub use devices::{Devices, Holder};
pub use dossiers::{DossierRecord, DossierState, DossierUpdate, Dossiers, TrackingFailures, TrackingState};
pub use events::{About, EventFilter, EventRecord, Events, Published, Subject};
pub use open311::{Open311Clients, Open311Requests, ReportContact};
pub use photos::{PhotoRecord, Photos};
pub use reports::{Cursor, ListFilter, Rating, ReportChange, ReportRecord, ReportState, Reports};
pub use sqlite::{DATABASE_FILE, Store, is_unique_violation, stamp};
pub use staff::{Account, Staff, WardRecord};
pub use sync::{SyncAnswer, SyncOperations};

/// Everything the domain may ask of a store, in one transaction. A change that meets a
/// store error gives it back (`?`): on PostgreSQL a failed statement ends the transaction,
/// and a change that goes on regardless is refused rather than committed.
pub trait Db:
    DashboardFacts
    + Deadlines
    + Devices
    + Dossiers
    + Events
    + Open311Clients
    + Open311Requests
    + Photos
    + Reports
    + Staff
    + SyncOperations
{
}

impl<T> Db for T where
    T: DashboardFacts
        + Deadlines
        + Devices
        + Dossiers
        + Events
        + Open311Clients
        + Open311Requests
        + Photos
        + Reports
        + Staff
        + SyncOperations
{
}

/// Why the store could not be opened or used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the data directory {}: {source}", path.display())]
    DataDir { path: std::path::PathBuf, source: std::io::Error },
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database connection pool: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("database: {0}")]
    Postgres(tokio_postgres::Error),
    #[error("the database URL: {0}")]
    DatabaseUrl(tokio_postgres::Error),
    /// The database cannot be reached now (down, restarting, every connection busy): the
    /// request can be retried shortly.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// A stored value this version cannot read (a role it does not know, say).
    #[error("a stored value cannot be read: {0}")]
    Unreadable(String),
    #[error("the database was written by a newer phananh (schema version {found}, this one knows {known})")]
    TooNew { found: i64, known: i64 },
    #[error("the database writer has stopped")]
    WriterGone,
    #[error("the change could not be committed")]
    CommitFailed,
}

/// Takes from `path` (if it exists) every permission beyond `mode`, logging when it had more.
pub fn tighten(path: &Path, mode: u32) -> std::io::Result<()> {
    let had = match std::fs::metadata(path) {
        Ok(metadata) => metadata.permissions().mode() & 0o777,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error),
    };
    if had & !mode != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(had & mode))?;
        tracing::warn!(path = %path.display(), was = format!("{had:o}"), now = format!("{:o}", had & mode), "made private: only the server's user may read it");
    }
    Ok(())
}
