//! The embedded engine: SQLite in WAL mode, one writer, a small pool of readers.
//!
//! Every write goes through one dedicated thread that owns the only writing connection, so
//! concurrent requests queue in memory instead of meeting `SQLITE_BUSY`, and a change and the
//! event that records it commit together. Reads run on pooled connections, which in WAL mode
//! never wait for the writer.
//!
//! Group commit: the writer takes every change waiting in its queue (up to [`MAX_BATCH`]),
//! runs each in its own savepoint inside one transaction, commits once, and only then answers
//! them all. Under load that spreads one commit over many requests; alone, a change commits
//! by itself at once. A change that fails rolls back its savepoint and nothing else.

mod dashboard;
mod deadlines;
mod devices;
mod dossiers;
mod events;
mod figures;
mod migrations;
mod open311;
mod photos;
mod reports;
mod rows;
mod staff;
mod sync;

pub(crate) use dossiers::{dossier_event, optional_time, status as dossier_status};
pub(crate) use reports::event_row;

use std::os::unix::fs::DirBuilderExt;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OpenFlags, Transaction};
use tokio::sync::{oneshot, watch};

use super::{Db, StoreError, tighten};
use rows::uuid;

/// A change to run inside the writer's transaction; it returns how to answer its caller once
/// the transaction has committed (`Ok`) or failed (`Err`).
type Job = Box<dyn FnOnce(&mut Transaction) -> Reply + Send>;
type Reply = Box<dyn FnOnce(Result<(), &StoreError>) + Send>;

/// The database's file in a data directory.
pub const DATABASE_FILE: &str = "phananh.db";

/// The most changes one commit carries.
const MAX_BATCH: usize = 256;

/// The database of one server.
#[derive(Clone)]
pub struct SqliteStore {
    writer: mpsc::Sender<Job>,
    readers: r2d2::Pool<Readers>,
    /// How many transactions have committed since the store opened: it changes only after a
    /// commit, so whoever watches it reads committed data (the live stream's source).
    commits: watch::Receiver<u64>,
}

/// How long a reader waits on a lock before giving up (only a checkpoint can make it wait).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
const READERS: u32 = 8;
/// The writer's page cache, 64 MiB (SQLite's `cache_size` in KiB when negative; its default
/// is 2 MiB): every change updates the newest pages of a dozen indexes, and at a few hundred
/// thousand reports those no longer fit in 2 MiB, so inserts read their pages back from the
/// operating system again and again.
const WRITER_CACHE: i64 = -64 * 1024;

impl SqliteStore {
    /// Opens the database of the data directory `dir`, making the directory if it is missing.
    ///
    /// The directory holds residents' phone numbers, secrets' hashes and original photos: it
    /// is made readable by the server's user alone (0700), and from here on this process
    /// creates files for that user alone (umask 077), so the database, SQLite's -wal and -shm
    /// files and every photo are 0600 whoever creates them. A directory or database left more
    /// open by an older version is tightened, and the change logged.
    pub fn open_in(dir: &Path) -> Result<SqliteStore, StoreError> {
        let data_dir = |source| StoreError::DataDir { path: dir.to_owned(), source };
        rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(data_dir)?;
        tighten(dir, 0o700).map_err(data_dir)?;
        for file in [DATABASE_FILE, "phananh.db-wal", "phananh.db-shm"] {
            tighten(&dir.join(file), 0o600).map_err(data_dir)?;
        }
        SqliteStore::open(&dir.join(DATABASE_FILE))
    }

    /// Opens (creating if needed) the database at `path`, brings its schema up to date, and
    /// starts the writer thread.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let mut conn = Connection::open(path)?;
        configure(&conn)?;
        // Durable at every commit that returns: WAL with synchronous=NORMAL loses nothing on a
        // process crash (the WAL is already written); only a power cut can lose the last
        // commits, which is the documented trade for write throughput.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "cache_size", WRITER_CACHE)?;
        migrations::apply(&mut conn)?;

        let (writer, jobs) = mpsc::channel::<Job>();
        let (committed, commits) = watch::channel(0);
        std::thread::Builder::new()
            .name("db-writer".into())
            .spawn(move || {
                while let Ok(first) = jobs.recv() {
                    let batch = std::iter::once(first).chain(jobs.try_iter().take(MAX_BATCH - 1));
                    if commit_batch(&mut conn, batch) {
                        committed.send_modify(|count| *count += 1);
                    }
                }
            })
            .expect("a thread can be spawned");
        let readers = r2d2::Pool::builder().max_size(READERS).build(Readers(path.to_owned()))?;
        Ok(SqliteStore { writer, readers, commits })
    }

    /// Changes after every commit: what the live stream waits on.
    pub fn commits(&self) -> watch::Receiver<u64> {
        self.commits.clone()
    }

    /// Runs `change` on the writer thread, all or nothing, and answers once it is committed:
    /// an `Ok` answer means the change is in the database.
    async fn write<T, E>(
        &self,
        change: impl FnOnce(&Connection) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel::<Result<T, E>>();
        let job: Job = Box::new(move |tx| {
            let outcome = match tx.savepoint() {
                Ok(mut savepoint) => {
                    let outcome = change(&savepoint);
                    let ended = if outcome.is_ok() { savepoint.commit() } else { savepoint.rollback() };
                    match ended {
                        Ok(()) => outcome,
                        Err(error) => Err(StoreError::from(error).into()),
                    }
                }
                Err(error) => Err(StoreError::from(error).into()),
            };
            Box::new(move |committed: Result<(), &StoreError>| {
                let outcome = match committed {
                    Ok(()) => outcome,
                    // Nothing of the batch is stored: the change must not be reported done.
                    Err(_) => Err(StoreError::CommitFailed.into()),
                };
                let _ = reply.send(outcome);
            })
        });
        self.writer.send(job).map_err(|_| StoreError::WriterGone)?;
        answer.await.map_err(|_| StoreError::WriterGone)?
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
        self.write(move |conn| change(&mut Sqlite(conn))).await
    }

    /// Runs `query` on a pooled read connection, off the async threads: what it reads is
    /// one consistent snapshot.
    pub async fn query<T, E>(
        &self,
        query: impl FnOnce(&mut dyn Db) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        self.read(move |conn| {
            // One read transaction: every statement of it reads the same snapshot.
            conn.execute_batch("BEGIN").map_err(StoreError::from)?;
            let answer = query(&mut Sqlite(conn));
            conn.execute_batch("COMMIT").map_err(StoreError::from)?;
            answer
        })
        .await
    }

    /// Runs `query` on a pooled read connection, off the async threads.
    async fn read<T, E>(
        &self,
        query: impl FnOnce(&Connection) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let readers = self.readers.clone();
        let answer = tokio::task::spawn_blocking(move || {
            let conn = readers.get().map_err(StoreError::from)?;
            query(&conn)
        })
        .await;
        super::joined(answer)
    }
}

/// Runs `jobs` in one transaction and answers each after the commit; whether it committed.
fn commit_batch(conn: &mut Connection, jobs: impl Iterator<Item = Job>) -> bool {
    let mut tx = match conn.transaction() {
        Ok(tx) => tx,
        Err(error) => {
            let error = StoreError::from(error);
            tracing::error!(%error, "cannot begin a write transaction");
            jobs.for_each(|job| drop(job));
            return false;
        }
    };
    let replies: Vec<Reply> = jobs.map(|job| job(&mut tx)).collect();
    let committed = tx.commit().map_err(StoreError::from);
    if let Err(error) = &committed {
        tracing::error!(%error, changes = replies.len(), "a write transaction failed to commit");
    }
    for reply in replies {
        reply(committed.as_ref().map(|_| ()));
    }
    committed.is_ok()
}

/// Whether `error` is a UNIQUE constraint refusing a row: a name or key already taken.
pub fn is_unique_violation(error: &rusqlite::Error) -> bool {
    matches!(error, rusqlite::Error::SqliteFailure(e, _) if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE)
}

/// A time as stored: RFC 3339 in UTC with microseconds, always the same width, so that the
/// text order of stored times is their time order (lists and cursors compare them as text).
pub fn stamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// One transaction (or read snapshot) of SQLite, answering the store's traits.
struct Sqlite<'c>(&'c Connection);

impl Sqlite<'_> {
    /// Runs `sql` with `params`, as `Connection::execute` does but from the connection's
    /// cache of prepared statements: parsing SQL again took a third of a filing's time.
    fn execute(&self, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<usize> {
        self.0.prepare_cached(sql)?.execute(params)
    }

    /// The one row of `sql` with `params`, made by `row`, from the cache as [`Sqlite::execute`].
    fn query_row<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        row: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        self.0.prepare_cached(sql)?.query_row(params, row)
    }
}

/// The statements a connection keeps prepared: more than the store has (rusqlite keeps 16).
const STATEMENT_CACHE: usize = 256;

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    // One plan per statement whatever its parameters: without it, a kept statement whose
    // plan might depend on a parameter's value is prepared again each time it is bound.
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(BUSY_TIMEOUT)
}

/// Opens read-only connections for the pool.
#[derive(Debug)]
struct Readers(std::path::PathBuf);

impl r2d2::ManageConnection for Readers {
    type Connection = Connection;
    type Error = rusqlite::Error;

    fn connect(&self) -> rusqlite::Result<Connection> {
        let conn = Connection::open_with_flags(
            &self.0,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
        )?;
        configure(&conn)?;
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut Connection) -> rusqlite::Result<()> {
        conn.execute_batch("")
    }

    fn has_broken(&self, _: &mut Connection) -> bool {
        false
    }
}
