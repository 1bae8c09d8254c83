//! Hearing of other nodes' commits: a connection of its own, outside the pool, listens on
//! [`EVENTS_CHANNEL`] and reads the newest event number whenever it is told of one, and every
//! [`POLL`] in any case. The events table is the truth and the notification only a hint: a
//! notification lost, or sent while the connection was down, costs at most one [`POLL`] of
//! delay, never an event. A lost connection is made again, [`RECONNECT`] apart, for as long
//! as anyone watches.

use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio_postgres::{AsyncMessage, Config, NoTls};

use super::EVENTS_CHANNEL;

/// How often the newest event is read without being told of one.
const POLL: Duration = Duration::from_secs(1);

/// How long to wait before connecting again after losing the connection.
const RECONNECT: Duration = Duration::from_millis(500);

/// The name the listener's connection gives the database (`pg_stat_activity`).
pub const APPLICATION_NAME: &str = "phananh-listener";

/// Listens until every receiver of `newest` is dropped, keeping it at the newest committed
/// event's number.
pub(super) async fn listen(mut config: Config, newest: watch::Sender<u64>) {
    config.application_name(APPLICATION_NAME);
    loop {
        tokio::select! {
            () = newest.closed() => return,
            ended = listen_once(&config, &newest) => {
                if let Err(error) = ended {
                    tracing::warn!(%error, "the database listener lost its connection; connecting again");
                }
            }
        }
        tokio::select! {
            () = newest.closed() => return,
            () = tokio::time::sleep(RECONNECT) => {}
        }
    }
}

/// One connection's life: listens and reads until the connection fails.
async fn listen_once(config: &Config, newest: &watch::Sender<u64>) -> Result<(), tokio_postgres::Error> {
    let (client, mut connection) = config.connect(NoTls).await?;
    // The connection's messages, notifications among them, are read by a task of their own;
    // it ends, and with it the channel, when the connection does.
    let (told, mut hints) = mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        loop {
            match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                Some(Ok(AsyncMessage::Notification(_))) => {
                    let _ = told.send(());
                }
                Some(Ok(_)) => {}
                Some(Err(error)) => return Err(error),
                None => return Ok(()),
            }
        }
    });
    let listening = async {
        client.batch_execute(&format!("LISTEN {EVENTS_CHANNEL}")).await?;
        loop {
            // Read first: whatever was committed while this connection was being made counts.
            let last: i64 = client.query_one("SELECT last FROM event_counter", &[]).await?.get(0);
            newest.send_if_modified(|known| {
                let moved = last as u64 > *known;
                *known = (*known).max(last as u64);
                moved
            });
            tokio::select! {
                hint = hints.recv() => if hint.is_none() { return Ok(()) },
                () = tokio::time::sleep(POLL) => {}
            }
            // One read answers every hint that came meanwhile: a burst of commits costs one.
            while hints.try_recv().is_ok() {}
        }
    };
    let ended = listening.await;
    driver.abort();
    ended
}
