//! One node at a time: work that must run on exactly one node of the cluster (the SLA
//! watcher) runs while that node holds a PostgreSQL advisory lock, taken by a connection of
//! its own, outside the pool. The database releases the lock when that connection's session
//! ends, however it ends: the node stopping, dying (its sockets close with it) or the
//! database restarting; a network silently cut is noticed only when TCP gives up on the
//! connection. A node waiting for the lock then takes it at once, and the node that lost it
//! hears so from [`Leadership::lost`].

use tokio::task::JoinHandle;
use tokio_postgres::{Client, Config, NoTls};

use super::StoreError;

/// The name the leader's connection gives the database (`pg_stat_activity`).
pub const APPLICATION_NAME: &str = "phananh-leader";

/// The advisory lock of leading the SLA watcher: "phananh" and 2, as one number.
pub const SLA_WATCHER: i64 = 0x7068_616e_616e_6802;

/// Holding the lock: for as long as this lives and its connection does.
pub struct Leadership {
    /// Kept so the session, and with it the lock, lasts as long as this.
    _client: Client,
    connection: JoinHandle<()>,
    /// Whether the connection is known to have ended.
    ended: bool,
}

impl Leadership {
    /// Waits (as long as it takes) until lock `key` is this node's.
    pub(super) async fn take(mut config: Config, key: i64) -> Result<Leadership, StoreError> {
        config.application_name(APPLICATION_NAME);
        let (client, connection) = config.connect(NoTls).await?;
        let connection = tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::warn!(%error, "the leader's database connection ended");
            }
        });
        client.execute("SELECT pg_advisory_lock($1)", &[&key]).await?;
        Ok(Leadership { _client: client, connection, ended: false })
    }

    /// Waits until the lock is lost (its connection ended): another node may have it now.
    pub async fn lost(&mut self) {
        if !self.ended {
            let _ = (&mut self.connection).await;
            self.ended = true;
        }
    }
}

impl Drop for Leadership {
    fn drop(&mut self) {
        // Ends the session at once, and the lock with it.
        self.connection.abort();
    }
}
