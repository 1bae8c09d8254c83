//! The SLA watcher: the moment a report's deadline passes, it records the breach as an
//! event (`ack_overdue` or `handling_overdue`), dated at the deadline itself, which the live
//! stream carries to the ward and escalates to the city. A dossier's due date passing while
//! the office still has it is a `dossier_overdue` event the same way; while the dossier
//! waits for documents its clock is paused, and it cannot become late.
//!
//! It sleeps on the server's clock until the earliest deadline not yet breached, so a test
//! moving a manual clock past a deadline sees the breach at once, and nothing earlier. New
//! deadlines arrive with the events that set them (filing, acknowledgement, transfer,
//! reopening, a dossier's receipt or the end of its wait for documents), so it never polls.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use phananh_shared::api::Change;
use phananh_shared::dossier::DossierChange;
use phananh_shared::status::Status;
use tokio::sync::broadcast::error::RecvError;

use crate::clock::Clock;
use crate::dossiers;
use crate::live::Hub;
use crate::reports::append_event;
use crate::store::postgres::SLA_WATCHER;
use crate::store::{About, Db, Missed, Store, StoreError};

/// Watches the deadlines until the hub closes, while this node leads the watch: one node of a
/// cluster at a time (on SQLite, the one process there is). A node that loses the lead (its
/// database session ended) waits to take it again; the node that takes over looks at every
/// deadline at once, so a breach is recorded on time even across the change.
pub async fn watch(store: Store, clock: Arc<dyn Clock>, hub: Hub) {
    loop {
        let mut lead = match store.lead(SLA_WATCHER).await {
            Ok(lead) => lead,
            Err(error) => {
                tracing::warn!(%error, "cannot ask to lead the deadline watch; asking again shortly");
                tokio::time::sleep(LEAD_RETRY).await;
                continue;
            }
        };
        tracing::info!("this node watches the deadlines");
        tokio::select! {
            () = watch_while_leading(&store, &clock, &hub) => return,
            () = lead.lost() => tracing::warn!("this node no longer leads the deadline watch"),
        }
    }
}

/// How long a node waits before asking again to lead when the database did not answer.
const LEAD_RETRY: std::time::Duration = std::time::Duration::from_secs(1);

/// Watches the deadlines until the hub closes.
async fn watch_while_leading(store: &Store, clock: &Arc<dyn Clock>, hub: &Hub) {
    let mut changes = hub.changes();
    let mut next = Some(DateTime::<Utc>::MIN_UTC);
    loop {
        if next.is_some_and(|next| next <= clock.now()) {
            let now = clock.now();
            match store.change(move |db| record_breaches(db, now)).await {
                Ok(0) => {}
                Ok(breaches) => tracing::info!(breaches, "deadlines passed"),
                Err(error) => tracing::error!(%error, "cannot record passed deadlines"),
            }
            next = match store.query(|db| db.next_deadline()).await {
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
                    if let Some(deadline) = new_deadline(&event.subject) {
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
fn new_deadline(subject: &About) -> Option<DateTime<Utc>> {
    match subject {
        About::Report { event, .. } => match &event.change {
            Change::Filed { deadlines, .. } | Change::Transferred { deadlines, .. } => {
                Some(deadlines.acknowledge)
            }
            Change::Acknowledged { deadlines, .. } => Some(deadlines.handle),
            Change::Rated { status: Status::Reopened, .. } => Some(DateTime::<Utc>::MIN_UTC),
            _ => None,
        },
        About::Dossier(event) => match &event.change {
            DossierChange::Received { due_at, .. } | DossierChange::DocumentsReceived { due_at, .. } => {
                Some(*due_at)
            }
            _ => None,
        },
    }
}

/// Records every deadline passed by `now` and not yet recorded, in deadline order; how many.
fn record_breaches(db: &mut dyn Db, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let mut breaches = db.passed_deadlines(now)?;
    breaches.sort_by_key(|breach| (breach.deadline, breach.missed, breach.id));
    let mut recorded = 0;
    for breach in &breaches {
        if !db.record_breach(breach)? {
            continue;
        }
        recorded += 1;
        let (at, ward) = (breach.deadline, breach.ward.as_str());
        match breach.missed {
            Missed::Acknowledgement => {
                append_event(db, breach.id, ward, at, "system", &Change::AckOverdue { deadline: at })?
            }
            Missed::Handling => {
                append_event(db, breach.id, ward, at, "system", &Change::HandlingOverdue { deadline: at })?
            }
            Missed::Dossier => dossiers::append_event(
                db,
                breach.id,
                ward,
                at,
                "system",
                &DossierChange::DossierOverdue { due_at: at },
            )?,
        };
    }
    Ok(recorded)
}
