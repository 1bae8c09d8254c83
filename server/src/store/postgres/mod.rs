//! The engine for several nodes: one PostgreSQL database that every server node shares.
//!
//! Connections come from a pool (deadpool-postgres over tokio-postgres). A change is the
//! domain's synchronous code, as for SQLite: it runs on one of the runtime's blocking
//! threads, which awaits each statement of its pooled connection in turn. The async threads
//! never wait on the database, and the domain's decisions are written once for both engines.
//!
//! Writers take turns across the whole cluster, as SQLite's one writer makes them take turns
//! in one process: each change first locks the one row of `event_counter` and holds it to
//! its commit. So a change sees everything committed before it and nothing half-done (it
//! runs at read committed, each statement seeing the latest commits), and the events it
//! records are numbered in commit order without gaps (see the schema). Reads run at
//! repeatable read, read-only: one snapshot per query, which never waits for writers.

mod dashboard;
mod deadlines;
mod devices;
mod dossiers;
mod events;
mod figures;
mod leader;
mod listener;
mod migrations;
mod open311;
mod photo_parts;
mod photos;
mod reports;
mod staff;
mod sync;

pub use events::EVENTS_CHANNEL;
pub use leader::{APPLICATION_NAME as LEADER_NAME, Leadership, SLA_WATCHER};
pub use listener::APPLICATION_NAME as LISTENER_NAME;

use std::cell::Cell;
use std::time::Duration;

use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime};
use tokio::runtime::Handle;
use tokio::sync::watch;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{IsolationLevel, NoTls, Row};

use super::{Db, StoreError};

/// Connections one node keeps open at most.
const CONNECTIONS: usize = 16;

/// How long a request waits for a connection (every one busy, or the database restarting)
/// before it is answered "unavailable, retry".
const WAIT_FOR_CONNECTION: Duration = Duration::from_secs(5);

/// How long a change may leave its transaction idle before the database ends it: a change
/// runs its statements back to back, so only a node that stopped leaves one idle that long.
pub const STALLED_CHANGE: Duration = Duration::from_secs(10);

/// How long a connection may be silent before TCP asks whether the other end is still there.
const KEEPALIVE: Duration = Duration::from_secs(10);

/// The database of a cluster of nodes.
#[derive(Clone)]
pub struct Postgres {
    config: tokio_postgres::Config,
    pool: Pool,
    /// The newest committed event's number, from whichever node committed it.
    newest: watch::Receiver<u64>,
}

impl Postgres {
    /// Connects to the database at `url` (`postgres://user@host:port/name`) and brings its
    /// schema up to date.
    pub async fn connect(url: &str) -> Result<Postgres, StoreError> {
        let mut config: tokio_postgres::Config = url.parse().map_err(StoreError::DatabaseUrl)?;
        // A node that stops in the middle of a change (frozen, or cut off the network) holds
        // the writers' turn: the database ends a transaction left idle this long, which frees
        // it, and TCP keepalives tell it of a node gone without a word.
        let options = format!(
            "{} -c idle_in_transaction_session_timeout={}",
            config.get_options().unwrap_or_default(),
            STALLED_CHANGE.as_millis()
        );
        config
            .options(options.trim_start())
            .keepalives(true)
            .keepalives_idle(KEEPALIVE)
            .keepalives_interval(KEEPALIVE / 2)
            .keepalives_retries(3);
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig { recycling_method: RecyclingMethod::Fast },
        );
        let pool = Pool::builder(manager)
            .max_size(CONNECTIONS)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(WAIT_FOR_CONNECTION))
            .create_timeout(Some(WAIT_FOR_CONNECTION))
            .build()
            .expect("a pool with a runtime builds");
        let mut client = pool.get().await?;
        migrations::apply(&mut client).await?;
        let (told, newest) = watch::channel(0);
        tokio::spawn(listener::listen(config.clone(), told));
        Ok(Postgres { config, pool, newest })
    }

    /// Waits until this node holds advisory lock `key` (such as [`SLA_WATCHER`]), which one
    /// node of the cluster holds at a time: the work it guards is this node's until
    /// [`Leadership::lost`] says otherwise.
    pub async fn lead(&self, key: i64) -> Result<Leadership, StoreError> {
        Leadership::take(self.config.clone(), key).await
    }

    /// The newest committed event's number, committed on this node or any other: it changes
    /// after each commit that records events (what the live stream waits on).
    pub fn newest_event(&self) -> watch::Receiver<u64> {
        self.newest.clone()
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
        let pool = self.pool.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            let rt = Handle::current();
            let mut client = rt.block_on(pool.get()).map_err(StoreError::from)?;
            // Read committed whatever the database's default: each statement sees the latest
            // commits, so after waiting for its turn a change sees the one before it.
            let begin = client.build_transaction().isolation_level(IsolationLevel::ReadCommitted);
            let tx = rt.block_on(begin.start()).map_err(StoreError::from)?;
            // The writers' turn (see the module's comment).
            rt.block_on(tx.execute("SELECT last FROM event_counter FOR UPDATE", &[]))
                .map_err(StoreError::from)?;
            let mut pg = Pg { tx: &tx, rt: &rt, failed: Cell::new(false) };
            let outcome = change(&mut pg);
            match outcome {
                // A statement that failed has ended the transaction in PostgreSQL: committing
                // would store nothing and still answer `Ok`. A change that went on after a
                // store error is a change that did not happen.
                Ok(_) if pg.failed.get() => {
                    let _ = rt.block_on(tx.rollback());
                    Err(StoreError::CommitFailed.into())
                }
                Ok(value) => {
                    rt.block_on(tx.commit()).map_err(StoreError::from)?;
                    Ok(value)
                }
                Err(error) => {
                    // Dropping the transaction rolls it back, with the connection's next use
                    // if it cannot now; either way nothing of it is stored.
                    let _ = rt.block_on(tx.rollback());
                    Err(error)
                }
            }
        })
        .await;
        super::joined(outcome)
    }

    /// Runs `query` on one snapshot of the database, read-only.
    pub async fn query<T, E>(
        &self,
        query: impl FnOnce(&mut dyn Db) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let pool = self.pool.clone();
        let answer = tokio::task::spawn_blocking(move || {
            let rt = Handle::current();
            let mut client = rt.block_on(pool.get()).map_err(StoreError::from)?;
            let snapshot =
                client.build_transaction().isolation_level(IsolationLevel::RepeatableRead).read_only(true);
            let tx = rt.block_on(snapshot.start()).map_err(StoreError::from)?;
            let answer = query(&mut Pg { tx: &tx, rt: &rt, failed: Cell::new(false) })?;
            rt.block_on(tx.commit()).map_err(StoreError::from)?;
            Ok(answer)
        })
        .await;
        super::joined(answer)
    }
}

/// One transaction of PostgreSQL, answering the store's traits; each statement is prepared
/// once per connection and awaited on the blocking thread the transaction runs on.
struct Pg<'t, 'c> {
    tx: &'t deadpool_postgres::Transaction<'c>,
    rt: &'t Handle,
    /// Whether a statement has failed, which ends a PostgreSQL transaction.
    failed: Cell<bool>,
}

type Params<'p> = &'p [&'p (dyn ToSql + Sync)];

impl Pg<'_, '_> {
    /// Runs `sql`; how many rows it changed.
    fn execute(&self, sql: &str, params: Params) -> Result<u64, StoreError> {
        self.noted(self.rt.block_on(async {
            let statement = self.tx.prepare_cached(sql).await?;
            self.tx.execute(&statement, params).await
        }))
    }

    /// Runs `sql`, statements without parameters (transaction control).
    fn batch(&self, sql: &str) -> Result<(), StoreError> {
        self.noted(self.rt.block_on(self.tx.batch_execute(sql)))
    }

    /// `outcome`, noting a failure (see [`Pg::failed`]).
    fn noted<T>(&self, outcome: Result<T, tokio_postgres::Error>) -> Result<T, StoreError> {
        outcome.map_err(|error| {
            self.failed.set(true);
            StoreError::from(error)
        })
    }

    /// The rows `sql` answers.
    fn rows(&self, sql: &str, params: Params) -> Result<Vec<Row>, StoreError> {
        self.noted(self.rt.block_on(async {
            let statement = self.tx.prepare_cached(sql).await?;
            self.tx.query(&statement, params).await
        }))
    }

    /// The row `sql` answers, if any (at most one).
    fn row(&self, sql: &str, params: Params) -> Result<Option<Row>, StoreError> {
        self.noted(self.rt.block_on(async {
            let statement = self.tx.prepare_cached(sql).await?;
            self.tx.query_opt(&statement, params).await
        }))
    }
}

/// A stored wire name (of a status, a category, …) read back as its enum.
fn named<T: serde::de::DeserializeOwned>(name: &str) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(name.to_owned()))
        .map_err(|error| StoreError::Unreadable(format!("{name:?}: {error}")))
}

/// A lost connection (closed, or failing to read or write) and a database shutting down,
/// starting up or full of connections are "unavailable": the request may be retried
/// shortly. Anything else (what the database refused, a value that does not convert) is an
/// error of ours.
impl From<tokio_postgres::Error> for StoreError {
    fn from(error: tokio_postgres::Error) -> StoreError {
        let io = std::error::Error::source(&error).is_some_and(|source| source.is::<std::io::Error>());
        let transient = error.is_closed()
            || io
            || error.code().is_some_and(|code| {
                let class = &code.code()[..2];
                // 08: connection exception; 57: operator intervention (shutdown, restart).
                class == "08" || class == "57" || *code == SqlState::TOO_MANY_CONNECTIONS
            });
        match transient {
            true => StoreError::Unavailable(error.to_string()),
            false => StoreError::Postgres(error),
        }
    }
}

impl From<PoolError> for StoreError {
    fn from(error: PoolError) -> StoreError {
        match error {
            PoolError::Backend(error) => error.into(),
            other => StoreError::Unavailable(other.to_string()),
        }
    }
}
