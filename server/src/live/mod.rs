//! The live stream: every committed event, published once to every subscriber whose scope
//! it belongs to.
//!
//! The [`Hub`] follows the store: after each commit it reads the new events from the
//! database (so nothing is published that is not committed) and broadcasts them in sequence
//! order, each serialised once per view (staff's, everyone else's). A [`Subscription`]
//! replays what a client missed from the database up to the newest committed event, then
//! takes the broadcast; since it subscribes before it reads how far the database has got,
//! every event reaches it one way or the other, and the sequence numbers drop the ones that
//! came both ways.

mod caps;
mod scope;
mod subscription;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::Bytes;
use phananh_shared::api::{Event, LiveMessage};
use phananh_shared::sync::PullResponse;
use phananh_shared::validation::FieldError;
use tokio::sync::{broadcast, watch};
use uuid::Uuid;

pub use caps::{Holder, StreamCaps, StreamPermit};
pub use scope::Scope;
pub use subscription::{Next, Subscription};

use crate::error::DomainError;
use crate::store::{About, Db, Published, Store, StoreError};

/// How many events one database read takes, publishing or replaying.
const BATCH: u32 = 1000;

/// A committed event with what decides who may see it, and its two views as sent.
#[derive(Debug)]
pub struct LiveEvent {
    pub subject: About,
    /// Who made the change: `device:<id>`, `staff:<id>` or `system`.
    pub actor: String,
    /// The message as staff of the ward and the city see it.
    staff_view: Bytes,
    /// The message as the report's reporter and followers (or a dossier's trackers) see it;
    /// `None` for a staff-only change.
    residents_view: Option<Bytes>,
    /// The message as anyone else sees it; `None` also for a resident's comment.
    public_view: Option<Bytes>,
}

/// What the public view of an event is, beside the residents'.
enum Public {
    Hidden,
    Apart(Bytes),
    AsResidents,
}

impl LiveEvent {
    fn new(Published { about: subject, actor }: Published) -> LiveEvent {
        let serialise =
            |message: &LiveMessage| Bytes::from(serde_json::to_vec(message).expect("a message serialises"));
        let (message, staff_only, residents, public) = match &subject {
            About::Report { event, .. } => {
                // Residents see that the ward assigned the report, not to whom.
                let residents = event
                    .change
                    .without_officers()
                    .map(|change| serialise(&LiveMessage::Event(Event { change, ..event.clone() })));
                // The public gets no comment, and a rating or a withdrawal without the
                // resident's words.
                let public = match event.change.without_residents_words() {
                    _ if event.change.is_residents_only() => Public::Hidden,
                    Some(change) => {
                        Public::Apart(serialise(&LiveMessage::Event(Event { change, ..event.clone() })))
                    }
                    None => Public::AsResidents,
                };
                (LiveMessage::Event(event.clone()), event.change.is_staff_only(), residents, public)
            }
            // Which devices track a dossier, and that someone guessed at its secret, are the
            // desk's to know, not a tracker's.
            About::Dossier(event) => {
                (LiveMessage::Dossier(event.clone()), event.change.is_desk_only(), None, Public::AsResidents)
            }
        };
        let staff_view = serialise(&message);
        let residents_view = (!staff_only).then(|| residents.unwrap_or_else(|| staff_view.clone()));
        let public_view = match public {
            Public::Hidden => None,
            Public::Apart(view) => residents_view.as_ref().map(|_| view),
            Public::AsResidents => residents_view.clone(),
        };
        LiveEvent { subject, actor, staff_view, residents_view, public_view }
    }

    pub fn seq(&self) -> u64 {
        self.subject.seq()
    }

    /// The ward whose staff see the event.
    fn ward_code(&self) -> &str {
        match &self.subject {
            About::Report { event, .. } => &event.ward_code,
            About::Dossier(event) => &event.ward_code,
        }
    }
}

/// The broadcast of committed events, and how far it has got.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<HubInner>,
}

struct HubInner {
    sender: broadcast::Sender<Arc<LiveEvent>>,
    store: Store,
    /// Subscriptions alive now (not counting the server's own watchers).
    subscribers: AtomicUsize,
    /// The streams open, by who holds them, against their caps.
    streams: Arc<caps::OpenStreams>,
    /// Bumped whenever staff sessions end on this server (a sign-out), so that their streams
    /// check at once whether they still may run.
    sessions_ended: watch::Sender<u64>,
    /// The devices whose tokens ended on this server (a transfer code used): only their
    /// streams check, so a claim costs no read for every other device's stream.
    devices_ended: broadcast::Sender<Uuid>,
}

/// How many ended devices a stream may fall behind on before it checks its own anyway.
const DEVICES_ENDED_BACKLOG: usize = 64;

impl Hub {
    /// A hub for `store`, publishing from after the newest event already stored, and the
    /// task that keeps it publishing (spawn it on the server's runtime). The broadcast holds
    /// `backlog` events for subscribers slow to take them; one that falls further behind is
    /// told to resume from its last sequence number; `caps` bounds the streams a client holds.
    pub async fn start(
        store: Store,
        backlog: usize,
        caps: StreamCaps,
    ) -> Result<(Hub, impl Future<Output = ()>), StoreError> {
        let newest = store.query(|db| db.newest_event()).await?;
        let (sender, _) = broadcast::channel(backlog);
        let hub = Hub {
            inner: Arc::new(HubInner {
                sender,
                store,
                subscribers: AtomicUsize::new(0),
                streams: Arc::new(caps::OpenStreams::new(caps)),
                sessions_ended: watch::Sender::new(0),
                devices_ended: broadcast::channel(DEVICES_ENDED_BACKLOG).0,
            }),
        };
        let publisher = hub.clone().publish(newest);
        Ok((hub, publisher))
    }

    /// Publishes the events after `after` as they are committed, until the store closes.
    async fn publish(self, mut after: u64) {
        let mut commits = self.inner.store.commits();
        loop {
            let read =
                self.inner.store.query(move |db| events_after(db, after, u64::MAX, &Scope::City)).await;
            match read {
                Ok(events) if !events.is_empty() => {
                    for event in events {
                        after = event.seq();
                        // No receiver is no error: nobody is listening right now.
                        let _ = self.inner.sender.send(Arc::new(event));
                    }
                    continue;
                }
                Ok(_) => {}
                Err(error) => tracing::error!(%error, "cannot read new events to publish"),
            }
            if commits.changed().await.is_err() {
                return;
            }
        }
    }

    /// Counts a subscription from now until the guard is dropped.
    fn count_subscriber(&self) -> SubscriberCount {
        self.inner.subscribers.fetch_add(1, Ordering::Relaxed);
        SubscriberCount(Arc::clone(&self.inner))
    }

    /// Every event published from now on. A subscriber takes this before it reads the newest
    /// committed event from the database, so every later event reaches it here.
    pub fn changes(&self) -> broadcast::Receiver<Arc<LiveEvent>> {
        self.inner.sender.subscribe()
    }

    /// How many subscribers are connected.
    pub fn subscribers(&self) -> usize {
        self.inner.subscribers.load(Ordering::Relaxed)
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Counts a stream against each of its `holders`' caps, or refuses it (429).
    pub fn admit(&self, holders: Vec<Holder>) -> Result<StreamPermit, DomainError> {
        self.inner.streams.admit(holders)
    }

    /// Tells the open streams that staff sessions have ended (signed out).
    pub fn sessions_ended(&self) {
        self.inner.sessions_ended.send_modify(|ended| *ended += 1);
    }

    /// Changes each time staff sessions end (see [`Hub::sessions_ended`]).
    pub fn session_endings(&self) -> watch::Receiver<u64> {
        self.inner.sessions_ended.subscribe()
    }

    /// Tells the open streams of `device` that its token has ended (its identity moved to
    /// another device, or it merged into one).
    pub fn device_ended(&self, device: Uuid) {
        // No receiver (no device stream open) is no one to tell.
        let _ = self.inner.devices_ended.send(device);
    }

    /// The devices whose tokens end from now on (see [`Hub::device_ended`]).
    pub fn device_endings(&self) -> broadcast::Receiver<Uuid> {
        self.inner.devices_ended.subscribe()
    }
}

/// One counted subscription; dropping it uncounts it.
struct SubscriberCount(Arc<HubInner>);

impl Drop for SubscriberCount {
    fn drop(&mut self) {
        self.0.subscribers.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Up to `limit` events of `device`'s scope after `cursor`, as the offline client's pull
/// takes them, with the cursor to pull from next.
pub async fn pull(
    store: &Store,
    device: Uuid,
    cursor: u64,
    limit: usize,
) -> Result<PullResponse, DomainError> {
    let scope = Scope::Device { id: device, following: Default::default(), tracking: Default::default() };
    store
        .query(move |db| {
            let (newest, _, mut scope) = position(db, scope, Some(cursor), "cursor")?;
            let mut pulled = PullResponse {
                events: Vec::new(),
                dossier_events: Vec::new(),
                next_cursor: cursor,
                more: false,
            };
            let count = |pulled: &PullResponse| pulled.events.len() + pulled.dossier_events.len();
            while pulled.next_cursor < newest && count(&pulled) < limit {
                let batch = events_after(db, pulled.next_cursor, newest, &scope)?;
                let full = batch.len() == BATCH as usize;
                for event in batch {
                    pulled.next_cursor = event.seq();
                    if scope.admit(&event).is_some() {
                        match event.subject {
                            About::Report { event, .. } => pulled.events.push(event),
                            About::Dossier(event) => pulled.dossier_events.push(event),
                        }
                        if count(&pulled) == limit {
                            break;
                        }
                    }
                }
                if !full && count(&pulled) < limit {
                    pulled.next_cursor = newest;
                }
            }
            pulled.more = pulled.next_cursor < newest;
            Ok(pulled)
        })
        .await
}

/// The newest committed sequence number, the cursor to start from (`since`, or the newest
/// when `since` is `None`: only what happens from now on), and `scope` as it stands there.
/// `since` must not be past the newest (`field` names the parameter that gave it).
fn position(
    db: &mut dyn Db,
    scope: Scope,
    since: Option<u64>,
    field: &str,
) -> Result<(u64, u64, Scope), DomainError> {
    let newest = db.newest_event()?;
    let since = since.unwrap_or(newest);
    if since > newest {
        let message = format!(
            "{field}={since} is after the newest event ({newest}): it is not a cursor of this server"
        );
        return Err(FieldError::invalid(field, message).into());
    }
    Ok((newest, since, scope.at(db, since)?))
}

/// Up to [`BATCH`] committed events after `after` and up to `until` that `scope` may hold (a
/// superset: the scope decides on each), oldest first.
fn events_after(
    db: &mut dyn Db,
    after: u64,
    until: u64,
    scope: &Scope,
) -> Result<Vec<LiveEvent>, StoreError> {
    let published = db.published_after((after, until), &scope.prefilter(), BATCH)?;
    Ok(published.into_iter().map(LiveEvent::new).collect())
}
