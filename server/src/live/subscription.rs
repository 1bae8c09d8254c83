//! One subscriber's stream: the events it missed, read from the database, then the hub's
//! broadcast, in sequence order with none twice.

use std::collections::VecDeque;
use std::sync::Arc;

use axum::body::Bytes;
use phananh_shared::api::LiveMessage;
use tokio::sync::broadcast;

use super::{BATCH, Hub, LiveEvent, Scope, SubscriberCount, events_after, position};
use crate::error::DomainError;
use crate::store::StoreError;

/// What to send next.
#[derive(Debug)]
pub enum Next {
    /// A message (JSON) to send, and the sequence number of the event it carries, if any.
    Message(Bytes, Option<u64>),
    /// The subscriber fell behind the broadcast: send this message (`resume` with its
    /// sequence number) and close.
    Resume(Bytes),
}

pub struct Subscription {
    hub: Hub,
    scope: Scope,
    events: broadcast::Receiver<Arc<LiveEvent>>,
    /// Every event up to here has been sent or is not in the scope.
    cursor: u64,
    /// While replaying: the newest event committed when the subscription began (it may not
    /// have been published yet; the broadcast's copy of it is then dropped as a repeat).
    replay_until: Option<u64>,
    ready: VecDeque<(Bytes, u64)>,
    _counted: SubscriberCount,
}

impl Subscription {
    /// Starts a subscription to `scope` after sequence number `since`, or (`None`) after the
    /// newest committed event: for a client that loads the current state itself and wants
    /// to hear of changes from then on.
    pub async fn start(hub: &Hub, scope: Scope, since: Option<u64>) -> Result<Subscription, DomainError> {
        let events = hub.changes();
        let (newest, since, scope) = hub.store().query(move |db| position(db, scope, since, "since")).await?;
        Ok(Subscription {
            hub: hub.clone(),
            scope,
            events,
            cursor: since,
            replay_until: Some(newest),
            ready: VecDeque::new(),
            _counted: hub.count_subscriber(),
        })
    }

    /// The next message for the subscriber. Cancel-safe: nothing is lost if the future is
    /// dropped before it resolves.
    pub async fn next(&mut self) -> Result<Next, StoreError> {
        loop {
            if let Some((message, seq)) = self.ready.pop_front() {
                return Ok(Next::Message(message, Some(seq)));
            }
            if let Some(until) = self.replay_until {
                if self.cursor >= until {
                    self.replay_until = None;
                    return Ok(Next::Message(message(&LiveMessage::CaughtUp { seq: self.cursor }), None));
                }
                let (after, scope) = (self.cursor, self.scope.clone());
                let batch = self.hub.store().query(move |db| events_after(db, after, until, &scope)).await?;
                // A short batch is the end of the replay: what follows comes from the broadcast.
                self.cursor = match batch.last() {
                    Some(last) if batch.len() == BATCH as usize => last.seq(),
                    _ => until,
                };
                for event in &batch {
                    if let Some(view) = self.scope.admit(event) {
                        self.ready.push_back((view.clone(), event.seq()));
                    }
                }
                continue;
            }
            match self.events.recv().await {
                Ok(event) if event.seq() <= self.cursor => {}
                Ok(event) => {
                    self.cursor = event.seq();
                    if let Some(view) = self.scope.admit(&event) {
                        return Ok(Next::Message(view.clone(), Some(event.seq())));
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    return Ok(Next::Resume(message(&LiveMessage::Resume { seq: self.cursor })));
                }
                Err(broadcast::error::RecvError::Closed) => return Err(StoreError::WriterGone),
            }
        }
    }
}

fn message(message: &LiveMessage) -> Bytes {
    Bytes::from(serde_json::to_vec(message).expect("a message serialises"))
}
