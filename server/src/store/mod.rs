//! Durable storage: SQLite in WAL mode, one writer, a small pool of readers.
//!
//! Every write goes through one dedicated thread that owns the only writing connection, so
//! concurrent requests queue in memory instead of meeting `SQLITE_BUSY`, and a change and the
//! event that records it commit in one transaction. Reads run on pooled connections, which in
//! WAL mode never wait for the writer.

mod migrations;

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction};
use tokio::sync::oneshot;

/// Why the store could not be opened or used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database connection pool: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("the database was written by a newer phananh (schema version {found}, this one knows {known})")]
    TooNew { found: i64, known: i64 },
    #[error("the database writer has stopped")]
    WriterGone,
}

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// The database of one server.
#[derive(Clone)]
pub struct Store {
    writer: mpsc::Sender<Job>,
    readers: r2d2::Pool<Readers>,
}

/// How long a reader waits on a lock before giving up (only a checkpoint can make it wait).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
const READERS: u32 = 8;

impl Store {
    /// Opens (creating if needed) the database at `path`, brings its schema up to date, and
    /// starts the writer thread.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let mut conn = Connection::open(path)?;
        configure(&conn)?;
        // Durable at every commit that returns: WAL with synchronous=NORMAL loses nothing on a
        // process crash (the WAL is already written); only a power cut can lose the last
        // commits, which is the documented trade for write throughput.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        migrations::apply(&mut conn)?;

        let (writer, jobs) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("db-writer".into())
            .spawn(move || {
                for job in jobs {
                    job(&mut conn);
                }
            })
            .expect("a thread can be spawned");
        let readers = r2d2::Pool::builder().max_size(READERS).build(Readers(path.to_owned()))?;
        Ok(Store { writer, readers })
    }

    /// Runs `change` in one transaction on the writer thread, committing if it returns `Ok`.
    pub async fn write<T, E>(
        &self,
        change: impl FnOnce(&Transaction) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let outcome = (|| {
                let tx = conn.transaction().map_err(StoreError::from)?;
                let value = change(&tx)?;
                tx.commit().map_err(StoreError::from)?;
                Ok(value)
            })();
            let _ = reply.send(outcome);
        });
        self.writer.send(job).map_err(|_| StoreError::WriterGone)?;
        answer.await.map_err(|_| StoreError::WriterGone)?
    }

    /// Runs `query` on a pooled read connection, off the async threads.
    pub async fn read<T, E>(
        &self,
        query: impl FnOnce(&Connection) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let readers = self.readers.clone();
        tokio::task::spawn_blocking(move || {
            let conn = readers.get().map_err(StoreError::from)?;
            query(&conn)
        })
        .await
        .expect("a read query does not panic")
    }
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
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
