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
//! [`Store`] is the engine a server runs on, chosen at start: SQLite in the data directory,
//! or PostgreSQL when a database URL is given.

mod dashboard;
mod deadlines;
mod devices;
mod dossiers;
mod events;
mod figures;
pub mod moving;
mod open311;
mod photos;
pub mod postgres;
mod reports;
pub mod sqlite;
mod staff;
mod sync;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use tokio::sync::watch;

pub use dashboard::{CountedEvent, CountedReport, DashboardFacts, DossierFacts};
pub use deadlines::{Breach, Deadlines, Missed};
pub use devices::{Devices, Holder};
pub use dossiers::{DossierRecord, DossierState, DossierUpdate, Dossiers, TrackingFailures, TrackingState};
pub use events::{About, EventFilter, EventRecord, Events, Published, Subject};
pub use figures::{
    DayCounts, HandlingSamples, KeptFigures, KeptReport, LateReport, OpenCounts, OpenCountsAsked, WardDay,
};
pub use open311::{Open311Clients, Open311Requests, ReportContact};
pub use photos::{PhotoRecord, Photos};
pub use reports::{Cursor, ListFilter, Rating, ReportChange, ReportRecord, ReportState, Reports};
pub use sqlite::{DATABASE_FILE, is_unique_violation, stamp};
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
    + KeptFigures
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
        + KeptFigures
        + Open311Clients
        + Open311Requests
        + Photos
        + Reports
        + Staff
        + SyncOperations
{
}

/// The engine a server runs on.
#[derive(Clone)]
pub enum Store {
    Sqlite(sqlite::SqliteStore),
    /// Shared: a store is cloned for each task that uses it.
    Postgres(std::sync::Arc<postgres::Postgres>),
}

impl Store {
    /// The store of PostgreSQL's `database_url` if one is given, else of SQLite in the data
    /// directory `dir` (made if it is missing).
    pub async fn open(database_url: Option<&str>, dir: &Path) -> Result<Store, StoreError> {
        match database_url {
            Some(url) => Ok(Store::Postgres(std::sync::Arc::new(postgres::Postgres::connect(url).await?))),
            None => Store::open_in(dir),
        }
    }

    /// The SQLite store of the data directory `dir` (made if it is missing).
    pub fn open_in(dir: &Path) -> Result<Store, StoreError> {
        Ok(Store::Sqlite(sqlite::SqliteStore::open_in(dir)?))
    }

    /// The engine's name, for the log.
    pub fn engine(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "SQLite",
            Store::Postgres(_) => "PostgreSQL",
        }
    }

    /// Runs `change` in one transaction, all or nothing, and answers once it is committed.
    pub async fn change<T, E>(
        &self,
        change: impl FnOnce(&mut dyn Db) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        match self {
            Store::Sqlite(store) => store.change(change).await,
            Store::Postgres(store) => store.change(change).await,
        }
    }

    /// Runs `query` on one consistent snapshot, read-only.
    pub async fn query<T, E>(
        &self,
        query: impl FnOnce(&mut dyn Db) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        match self {
            Store::Sqlite(store) => store.query(query).await,
            Store::Postgres(store) => store.query(query).await,
        }
    }

    /// Changes after each commit that may have recorded events, whichever node made it:
    /// what the live stream waits on before it reads the events after its last.
    pub fn commits(&self) -> watch::Receiver<u64> {
        match self {
            Store::Sqlite(store) => store.commits(),
            Store::Postgres(store) => store.newest_event(),
        }
    }

    /// Waits until this node leads the work that lock `key` guards (such as
    /// [`postgres::SLA_WATCHER`]), which one node of a cluster does at a time. One process on
    /// SQLite is the only node there is: it leads at once, for good.
    pub async fn lead(&self, key: i64) -> Result<Lead, StoreError> {
        match self {
            Store::Sqlite(_) => Ok(Lead::Alone),
            Store::Postgres(store) => Ok(Lead::Cluster(store.lead(key).await?)),
        }
    }
}

/// Leading some work (see [`Store::lead`]).
pub enum Lead {
    /// The only node there is.
    Alone,
    Cluster(postgres::Leadership),
}

impl Lead {
    /// Waits until this node no longer leads: another node may have taken over.
    pub async fn lost(&mut self) {
        match self {
            Lead::Alone => std::future::pending().await,
            Lead::Cluster(leadership) => leadership.lost().await,
        }
    }
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

/// What a store's blocking task came to. A panic in it goes on unwinding; a task the runtime
/// cancelled because it is shutting down (a server stopping, say on a refused address, while
/// its watchers ask the store) is a store no longer there to answer, not a panic.
fn joined<T, E: From<StoreError>>(outcome: Result<Result<T, E>, tokio::task::JoinError>) -> Result<T, E> {
    match outcome {
        Ok(outcome) => outcome,
        Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
        Err(_) => Err(StoreError::Unavailable("the server is shutting down".into()).into()),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_store_task_the_runtime_cancelled_is_unavailable_not_a_panic() {
        let task = tokio::spawn(std::future::pending::<Result<(), StoreError>>());
        task.abort();
        let outcome: Result<(), StoreError> = joined(task.await);
        assert!(matches!(outcome, Err(StoreError::Unavailable(_))), "{outcome:?}");
    }
}
