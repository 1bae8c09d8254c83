//! `GET /api/v1/live?scope=…&since=SEQ|latest`: the live stream, as a WebSocket or, for simple
//! clients, as server-sent events (`Accept: text/event-stream`; `Last-Event-ID` resumes).
//!
//! Browsers cannot set headers on either, so the token may also come as `access_token` in
//! the query (the request log records paths only, never queries). Each message is a JSON
//! [`LiveMessage`](phananh_shared::api::LiveMessage).

use phananh_shared::refusal::ErrorCode;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade, close_code};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::http::header::{ACCEPT, HeaderMap};
use axum::response::sse::{self, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use phananh_shared::validation::FieldError;
use serde::Deserialize;
use tokio::sync::{Mutex, broadcast, watch};
use tokio::task::JoinHandle;
use uuid::Uuid;

use super::AppState;
use super::auth::{bearer, reader, session_ended};
use super::client_address::ClientAddress;
use super::error::ApiError;
use super::{network, params};
use crate::connections;
use crate::live::{Holder, Next, Scope, StreamPermit, Subscription};
use crate::reports::{Reader, sees_staff_view};
use crate::store::Store;
use crate::{devices, staff, tokens};

/// `since=latest`: no replay, only the changes from now on (the `caught_up` message gives the
/// cursor to reconnect with). For screens that load the current state over HTTP first.
const LATEST: &str = "latest";

/// The WebSocket close code of a stream whose credential has ended (a staff session: sign in
/// again; a device's token, moved to another device): a code of the 4000s, which are the
/// application's; 4401 after HTTP's 401.
pub const SESSION_ENDED_CODE: u16 = 4401;

/// How long one message may take to reach a client before it counts as gone.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Deserialize)]
pub struct LiveQuery {
    scope: Option<String>,
    since: Option<String>,
    access_token: Option<String>,
}

pub async fn live(
    State(state): State<Arc<AppState>>,
    ClientAddress(client): ClientAddress,
    headers: HeaderMap,
    query: Result<Query<LiveQuery>, QueryRejection>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    place: Option<Extension<connections::Place>>,
) -> Result<Response, ApiError> {
    let Query(query) = query?;
    let token = match bearer(&headers)? {
        Some(token) => Some(token.to_owned()),
        None => query.access_token.clone(),
    };
    let reader = reader(&state, token.as_deref()).await?;
    let scope_text = query.scope.as_deref().ok_or_else(|| FieldError::required("scope"))?;
    let mut scope = Scope::parse(scope_text, &reader)?;
    if let Scope::Report { id, staff } = &mut scope {
        *staff = report_staff_view(&state, *id, &reader).await?;
    }
    let sse = accepts_event_stream(&headers);
    let since = match headers.get("last-event-id").filter(|_| sse) {
        Some(last) => last.to_str().ok().map(str::to_owned),
        None => query.since.clone(),
    };
    let since = match since.as_deref() {
        Some(LATEST) => None,
        other => Some(params::sequence("since", other)?),
    };
    // The client's own cap is named first when both are reached.
    let mut holders = Vec::with_capacity(2);
    let mut authority = Authority::open(&state);
    match (&reader, token) {
        (Reader::Device(id), Some(token)) => {
            holders.push(Holder::Device(*id));
            let (id, token_hash, ended) = (*id, tokens::hash(&token), state.live.device_endings());
            authority.credential = Some(Credential::Device { id, token_hash, ended });
        }
        (Reader::Staff { .. }, Some(token)) => {
            let token_hash = tokens::hash(&token);
            holders.push(Holder::Session(token_hash.clone()));
            // The session may have ended since `reader` saw it: such a stream is refused, never
            // opened with nothing to check it against.
            let until =
                staff::in_force_until(&state.store, token_hash.clone()).await?.ok_or_else(session_ended)?;
            authority.credential = Some(Credential::Staff { token_hash, until });
        }
        _ => {}
    }
    holders.push(Holder::Address(network(SocketAddr::new(client, 0))));
    let permit =
        state.live.admit(holders).map_err(|refused| ApiError::from(refused).retry_after(state.heartbeat))?;
    let subscription = Subscription::start(&state.live, scope, since).await?;
    let stream = Stream { subscription, authority, _permit: permit };
    if sse {
        return Ok(event_stream(stream, state.heartbeat).into_response());
    }
    let upgrade = upgrade.map_err(|rejection| {
        ApiError::new(
            StatusCode::UPGRADE_REQUIRED,
            ErrorCode::UpgradeRequired,
            format!("{}: open a WebSocket, or ask for text/event-stream", rejection.body_text()),
        )
    })?;
    let heartbeat = state.heartbeat;
    Ok(upgrade
        // An idle subscriber holds little: small buffers, grown only while a message passes.
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .on_upgrade(move |socket| async move {
            let _place = place;
            stream_to_socket(socket, stream, heartbeat).await
        }))
}

/// An open stream: the subscription, what allows it, and its place among the client's.
struct Stream {
    subscription: Subscription,
    authority: Authority,
    _permit: StreamPermit,
}

/// What keeps a stream open. A staff member's ends with their session (expired, signed out,
/// the account disabled) and is checked again on every heartbeat, whenever a sign-out ends
/// sessions on this server, and before each message once the session's time is up. A
/// device's ends when its identity moves to another device (a transfer code used on this
/// server), checked only when that device's token ends: nothing else ends a device's token.
/// The public's has nothing to end.
struct Authority {
    store: Store,
    credential: Option<Credential>,
    /// Sign-outs on this server (see [`Hub::sessions_ended`](crate::live::Hub)).
    endings: watch::Receiver<u64>,
    checks: tokio::time::Interval,
}

enum Credential {
    Staff {
        token_hash: Vec<u8>,
        /// When the session expires, as last read.
        until: DateTime<Utc>,
    },
    Device {
        id: Uuid,
        token_hash: Vec<u8>,
        /// Devices whose tokens end (see [`Hub::device_ended`](crate::live::Hub)).
        ended: broadcast::Receiver<Uuid>,
    },
}

/// Why a stream stops before its subscription does.
enum Stop {
    /// The staff session ended: the client must sign in again.
    SessionEnded,
    /// The device's identity moved to another device: this one's token no longer works.
    DeviceMoved,
    /// The credential could not be checked.
    Failed,
}

impl Authority {
    /// An authority that nothing ends (set `credential` for a staff member's or a device's).
    fn open(state: &AppState) -> Authority {
        let start = tokio::time::Instant::now() + state.heartbeat;
        let mut checks = tokio::time::interval_at(start, state.heartbeat);
        checks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Authority {
            store: state.store.clone(),
            credential: None,
            endings: state.live.session_endings(),
            checks,
        }
    }

    /// Resolves when the credential must be checked again (never, without one): a staff
    /// session at its expiry, each heartbeat and when sessions end on this server; a device's
    /// when its own token ends, or when it fell too far behind the endings to know. Cancel-safe.
    async fn due(&mut self) {
        match &mut self.credential {
            None => std::future::pending().await,
            Some(Credential::Staff { until, .. }) => {
                let expiry = (*until - Utc::now()).to_std().unwrap_or_default();
                tokio::select! {
                    () = tokio::time::sleep(expiry) => {}
                    _ = self.checks.tick() => {}
                    Ok(()) = self.endings.changed() => {}
                }
            }
            Some(Credential::Device { id, ended, .. }) => loop {
                match ended.recv().await {
                    Ok(device) if device == *id => return,
                    Ok(_) => {}
                    Err(broadcast::error::RecvError::Lagged(_)) => return,
                    Err(broadcast::error::RecvError::Closed) => std::future::pending().await,
                }
            },
        }
    }

    /// Whether the stream may go on: read from the database when `recheck`, or for a staff
    /// session when its time is up or sessions ended since the last check; else at no cost.
    async fn check(&mut self, recheck: bool) -> Result<(), Stop> {
        let Some(credential) = &mut self.credential else { return Ok(()) };
        let staff = matches!(credential, Credential::Staff { .. });
        let ended = staff && self.endings.has_changed().unwrap_or(false);
        let expired = matches!(credential, Credential::Staff { until, .. } if Utc::now() >= *until);
        if !(recheck || ended || expired) {
            return Ok(());
        }
        if staff {
            self.endings.mark_unchanged();
        }
        let checked = match credential {
            Credential::Staff { token_hash, until } => {
                staff::in_force_until(&self.store, token_hash.clone()).await.map(|found| match found {
                    Some(later) => {
                        *until = later;
                        Ok(())
                    }
                    None => Err(Stop::SessionEnded),
                })
            }
            Credential::Device { token_hash, .. } => devices::in_force(&self.store, token_hash.clone())
                .await
                .map(|found| if found { Ok(()) } else { Err(Stop::DeviceMoved) }),
        };
        checked.unwrap_or_else(|error| {
            tracing::error!(?error, "cannot check a live stream's credential");
            Err(Stop::Failed)
        })
    }
}

impl Stream {
    /// The next message to send, or why the stream stops.
    async fn next(&mut self) -> Result<Next, Stop> {
        loop {
            tokio::select! {
                next = self.subscription.next() => {
                    let next = next.map_err(|error| {
                        tracing::error!(%error, "live stream stopped");
                        Stop::Failed
                    })?;
                    self.authority.check(false).await?;
                    return Ok(next);
                }
                () = self.authority.due() => self.authority.check(true).await?,
            }
        }
    }
}

/// What a client is told when its session has ended.
const SESSION_ENDED: &str =
    "the staff session has ended (signed out, expired, or the account disabled); sign in again";

impl Stop {
    /// What the client is told when its credential has ended: the error code, and why.
    fn says(&self) -> (ErrorCode, &'static str) {
        match self {
            Stop::SessionEnded => (ErrorCode::SessionEnded, SESSION_ENDED),
            Stop::DeviceMoved => (
                ErrorCode::Unauthorized,
                "this device's reports have moved to another device with a transfer code",
            ),
            Stop::Failed => (ErrorCode::Internal, "server error"),
        }
    }
}

/// Whether `reader` gets report `id`'s staff view; 404 if there is no such report.
async fn report_staff_view(state: &AppState, id: Uuid, reader: &Reader) -> Result<bool, ApiError> {
    let reader = reader.clone();
    let seen = state.store.query(move |db| sees_staff_view(db, id, &reader)).await?;
    seen.ok_or_else(|| ApiError::not_found(format!("no report {id}")))
}

fn accepts_event_stream(headers: &HeaderMap) -> bool {
    headers.get(ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/event-stream"))
}

/// The WebSocket's sending half, shared by the task sending events and the one pinging.
type Sink = Mutex<SplitSink<WebSocket, Message>>;

/// Sends the subscription down a WebSocket, pinging every `heartbeat`; a client that has not
/// answered since the last ping, or cannot take a message within [`SEND_TIMEOUT`], is gone.
///
/// Two tasks, so that each wakes only for its own work: one sends events as they come, the
/// other watches the client (its pongs, its close) and keeps the heartbeat. With one task
/// selecting over all three, every event also polled the socket's read half and the timer
/// again, for each of ten thousand idle subscribers.
async fn stream_to_socket(socket: WebSocket, stream: Stream, heartbeat: Duration) {
    let (sink, client) = socket.split();
    let sink = Arc::new(Mutex::new(sink));
    let mut sender = tokio::spawn(send_events(Arc::clone(&sink), stream));
    watch_client(client, &sink, heartbeat, &mut sender).await;
    sender.abort();
}

/// Sends each message of the stream until it ends or the client cannot take one.
async fn send_events(sink: Arc<Sink>, mut stream: Stream) {
    loop {
        let next = stream.next().await;
        let mut sink = sink.lock().await;
        let close = match next {
            Ok(Next::Message(message, _)) => {
                if send(&mut sink, Message::Text(text(message))).await.is_err() {
                    return;
                }
                continue;
            }
            Ok(Next::Resume(message)) => {
                if send(&mut sink, Message::Text(text(message))).await.is_err() {
                    return;
                }
                let reason = "fell behind: reconnect with since=<seq of the resume message>";
                CloseFrame { code: close_code::AGAIN, reason: reason.into() }
            }
            Err(Stop::Failed) => CloseFrame { code: close_code::ERROR, reason: "server error".into() },
            Err(ended) => CloseFrame { code: SESSION_ENDED_CODE, reason: ended.says().1.into() },
        };
        let _ = send(&mut sink, Message::Close(Some(close))).await;
        return;
    }
}

/// Reads what the client says and pings it every `heartbeat`, until it closes, stops
/// answering, or the `sender` has finished.
async fn watch_client(
    mut stream: SplitStream<WebSocket>,
    sink: &Sink,
    heartbeat: Duration,
    sender: &mut JoinHandle<()>,
) {
    let mut ticks = tokio::time::interval(heartbeat);
    ticks.tick().await;
    let mut alive = true;
    loop {
        tokio::select! {
            _ = &mut *sender => return,
            incoming = stream.next() => match incoming {
                // Clients have nothing to say; any frame (a pong, mostly) shows they are there.
                Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                Some(Ok(_)) => alive = true,
            },
            _ = ticks.tick() => match sink.try_lock() {
                // Busy sending an event: that send's own timeout judges the client this time.
                Err(_) => {}
                Ok(mut sink) => {
                    if !alive {
                        tracing::debug!("live subscriber did not answer the last ping");
                        return;
                    }
                    alive = false;
                    if send(&mut sink, Message::Ping(Bytes::new())).await.is_err() {
                        return;
                    }
                }
            },
        }
    }
}

async fn send(sink: &mut SplitSink<WebSocket, Message>, message: Message) -> Result<(), ()> {
    match tokio::time::timeout(SEND_TIMEOUT, sink.send(message)).await {
        Ok(Ok(())) => Ok(()),
        _ => Err(()),
    }
}

fn text(json: Bytes) -> Utf8Bytes {
    Utf8Bytes::try_from(json).expect("JSON is UTF-8")
}

/// The stream as server-sent events: each event's `id` is its sequence number, so a
/// browser's `EventSource` resumes after a drop by itself; comments keep the line alive. When
/// the staff session ends, an `ended` event (the API's error shape, code `session_ended`) is
/// the last.
fn event_stream(
    stream: Stream,
    heartbeat: Duration,
) -> Sse<impl futures_util::Stream<Item = Result<sse::Event, Infallible>>> {
    let events = futures_util::stream::unfold(Some(stream), |stream| async move {
        let mut stream = stream?;
        match stream.next().await {
            Ok(Next::Message(message, seq)) => {
                let event = match seq {
                    Some(seq) => sse::Event::default().id(seq.to_string()),
                    None => sse::Event::default(),
                };
                Some((Ok(event.data(text(message).as_str())), Some(stream)))
            }
            // The last message: the stream ends after it.
            Ok(Next::Resume(message)) => Some((Ok(sse::Event::default().data(text(message).as_str())), None)),
            Err(Stop::Failed) => None,
            Err(ended) => {
                let (code, message) = ended.says();
                let error =
                    serde_json::json!({ "error": { "code": code, "message": message, "field": null } });
                Some((Ok(sse::Event::default().event("ended").data(error.to_string())), None))
            }
        }
    });
    Sse::new(events).keep_alive(KeepAlive::new().interval(heartbeat))
}
