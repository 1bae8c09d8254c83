//! The SLA watcher: the moment a report's deadline passes, it records the breach as an
//! event (`ack_overdue` or `handling_overdue`), dated at the deadline itself, which the live
//! stream carries to the ward and escalates to the city.
//!
//! It sleeps on the server's clock until the earliest deadline not yet breached, so a test
//! moving a manual clock past a deadline sees the breach at once, and nothing earlier. New
//! deadlines arrive with the events that set them (filing, acknowledgement, transfer,
//! reopening), so it never polls.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use phananh_shared::api::Change;
use phananh_shared::status::Status;
use rusqlite::{Connection, params};
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

use crate::clock::Clock;
use crate::live::Hub;
use crate::reports::append_event;
use crate::reports::rows::{time, uuid};
use crate::store::{Store, StoreError, stamp};

/// Waiting on the ward to acknowledge.
const AWAITING_ACK: &str = "status = 'submitted' AND ack_overdue_at IS NULL";
/// Waiting on the ward to resolve (the statuses of [`Status::is_open`]).
const AWAITING_ANSWER: &str =
    "status IN ('submitted', 'acknowledged', 'in_progress', 'reopened') AND handle_overdue_at IS NULL";

/// Watches the deadlines until the hub closes.
pub async fn watch(store: Store, clock: Arc<dyn Clock>, hub: Hub) {
    let mut changes = hub.changes();
    let mut next = Some(DateTime::<Utc>::MIN_UTC);
    loop {
        if next.is_some_and(|next| next <= clock.now()) {
            let now = clock.now();
            match store.write(move |tx| record_breaches(tx, now)).await {
                Ok(0) => {}
                Ok(breaches) => tracing::info!(breaches, "deadlines passed"),
                Err(error) => tracing::error!(%error, "cannot record passed deadlines"),
            }
            next = match store.read(next_deadline).await {
                Ok(next) => next,
                Err(error) => {
                    tracing::error!(%error, "cannot read the next deadline; looking again in a minute");
                    Some(clock.now() + chrono::TimeDelta::minutes(1))
                }
            };
        }
        let sleep = async {
            match next {
                Some(at) => clock.sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = sleep => {}
            change = changes.recv() => match change {
                Ok(event) => {
                    if let Some(deadline) = new_deadline(&event.event.change) {
                        next = Some(next.map_or(deadline, |next| next.min(deadline)));
                    }
                }
                // Missed some: look again at what is due.
                Err(RecvError::Lagged(_)) => next = Some(DateTime::<Utc>::MIN_UTC),
                Err(RecvError::Closed) => return,
            },
        }
    }
}

/// The earliest deadline a change sets, if it sets one. A reopening sets a handling deadline
/// its event does not carry: it asks for a look at once, which reads it.
fn new_deadline(change: &Change) -> Option<DateTime<Utc>> {
    match change {
        Change::Filed { deadlines, .. } | Change::Transferred { deadlines, .. } => {
            Some(deadlines.acknowledge)
        }
        Change::Acknowledged { deadlines, .. } => Some(deadlines.handle),
        Change::Rated { status: Status::Reopened, .. } => Some(DateTime::<Utc>::MIN_UTC),
        _ => None,
    }
}

/// A deadline passed and not yet recorded.
struct Breach {
    deadline: DateTime<Utc>,
    report: Uuid,
    ward: String,
    /// The acknowledgement deadline, else the handling one.
    ack: bool,
}

/// Records every deadline passed by `now` and not yet recorded, in deadline order; how many.
fn record_breaches(tx: &Connection, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let due = |waiting: &str, column: &str| -> rusqlite::Result<Vec<Breach>> {
        let sql = format!("SELECT {column}, id, ward_code FROM reports WHERE {waiting} AND {column} <= ?1");
        let mut query = tx.prepare(&sql)?;
        let ack = column == "deadline_ack";
        let rows = query.query_map([stamp(now)], |row| {
            Ok(Breach { deadline: time(row, 0)?, report: uuid(row, 1)?, ward: row.get(2)?, ack })
        })?;
        rows.collect()
    };
    let mut breaches = due(AWAITING_ACK, "deadline_ack")?;
    breaches.extend(due(AWAITING_ANSWER, "deadline_handle")?);
    breaches.sort_by_key(|breach| (breach.deadline, !breach.ack, breach.report));
    for breach in &breaches {
        let (change, column) = if breach.ack {
            (Change::AckOverdue { deadline: breach.deadline }, "ack_overdue_at")
        } else {
            (Change::HandlingOverdue { deadline: breach.deadline }, "handle_overdue_at")
        };
        tx.execute(
            &format!("UPDATE reports SET {column} = ?1 WHERE id = ?2"),
            params![stamp(breach.deadline), breach.report.to_string()],
        )?;
        append_event(tx, breach.report, &breach.ward, breach.deadline, "system", &change)?;
    }
    Ok(breaches.len())
}

/// The earliest deadline not yet breached of a report still waiting on its ward.
fn next_deadline(conn: &Connection) -> Result<Option<DateTime<Utc>>, StoreError> {
    let sql = format!(
        "SELECT MIN(next) FROM (SELECT MIN(deadline_ack) AS next FROM reports WHERE {AWAITING_ACK}
         UNION ALL SELECT MIN(deadline_handle) FROM reports WHERE {AWAITING_ANSWER})"
    );
    let next = conn.query_row(&sql, [], |row| match row.get_ref(0)? {
        rusqlite::types::ValueRef::Null => Ok(None),
        _ => time(row, 0).map(Some),
    })?;
    Ok(next)
}
