//! `GET /api/v1/live?scope=…&since=SEQ|latest`: the live stream, as a WebSocket or, for simple
//! clients, as server-sent events (`Accept: text/event-stream`; `Last-Event-ID` resumes).
//!
//! Browsers cannot set headers on either, so the token may also come as `access_token` in
//! the query (the request log records paths only, never queries). Each message is a JSON
//! [`LiveMessage`](phananh_shared::api::LiveMessage).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade, close_code};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::http::header::{ACCEPT, HeaderMap};
use axum::response::sse::{self, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use phananh_shared::validation::FieldError;
use serde::Deserialize;
use tokio::sync::Mutex;
use tokio::task::JoinHandle;
use uuid::Uuid;

use super::AppState;
use super::auth::{bearer, reader};
use super::error::ApiError;
use super::params;
use crate::live::{Next, Scope, Subscription};
use crate::reports::{Reader, sees_staff_view};

/// `since=latest`: no replay, only the changes from now on (the `caught_up` message gives the
/// cursor to reconnect with). For screens that load the current state over HTTP first.
const LATEST: &str = "latest";

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
    headers: HeaderMap,
    query: Result<Query<LiveQuery>, QueryRejection>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
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
    let subscription = Subscription::start(&state.live, scope, since).await?;
    if sse {
        return Ok(event_stream(subscription, state.heartbeat).into_response());
    }
    let upgrade = upgrade.map_err(|rejection| {
        ApiError::new(
            StatusCode::UPGRADE_REQUIRED,
            "upgrade_required",
            format!("{}: open a WebSocket, or ask for text/event-stream", rejection.body_text()),
        )
    })?;
    let heartbeat = state.heartbeat;
    Ok(upgrade
        // An idle subscriber holds little: small buffers, grown only while a message passes.
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .on_upgrade(move |socket| stream_to_socket(socket, subscription, heartbeat)))
}

/// Whether `reader` gets report `id`'s staff view; 404 if there is no such report.
async fn report_staff_view(state: &AppState, id: Uuid, reader: &Reader) -> Result<bool, ApiError> {
    let reader = reader.clone();
    let seen = state.store.read(move |conn| Ok::<_, ApiError>(sees_staff_view(conn, id, &reader)?)).await?;
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
async fn stream_to_socket(socket: WebSocket, subscription: Subscription, heartbeat: Duration) {
    let (sink, stream) = socket.split();
    let sink = Arc::new(Mutex::new(sink));
    let mut sender = tokio::spawn(send_events(Arc::clone(&sink), subscription));
    watch_client(stream, &sink, heartbeat, &mut sender).await;
    sender.abort();
}

/// Sends each message of the subscription until it ends or the client cannot take one.
async fn send_events(sink: Arc<Sink>, mut subscription: Subscription) {
    loop {
        let next = subscription.next().await;
        let mut sink = sink.lock().await;
        match next {
            Ok(Next::Message(message, _)) => {
                if send(&mut sink, Message::Text(text(message))).await.is_err() {
                    return;
                }
            }
            Ok(Next::Resume(message)) => {
                if send(&mut sink, Message::Text(text(message))).await.is_ok() {
                    let reason = "fell behind: reconnect with since=<seq of the resume message>";
                    let close = CloseFrame { code: close_code::AGAIN, reason: reason.into() };
                    let _ = send(&mut sink, Message::Close(Some(close))).await;
                }
                return;
            }
            Err(error) => {
                tracing::error!(%error, "live stream stopped");
                let close = CloseFrame { code: close_code::ERROR, reason: "server error".into() };
                let _ = send(&mut sink, Message::Close(Some(close))).await;
                return;
            }
        }
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

/// The subscription as server-sent events: each event's `id` is its sequence number, so a
/// browser's `EventSource` resumes after a drop by itself; comments keep the line alive.
fn event_stream(
    subscription: Subscription,
    heartbeat: Duration,
) -> Sse<impl futures_util::Stream<Item = Result<sse::Event, Infallible>>> {
    let events = futures_util::stream::unfold(Some(subscription), |subscription| async move {
        let mut subscription = subscription?;
        match subscription.next().await {
            Ok(Next::Message(message, seq)) => {
                let event = match seq {
                    Some(seq) => sse::Event::default().id(seq.to_string()),
                    None => sse::Event::default(),
                };
                Some((Ok(event.data(text(message).as_str())), Some(subscription)))
            }
            // The last message: the stream ends after it.
            Ok(Next::Resume(message)) => Some((Ok(sse::Event::default().data(text(message).as_str())), None)),
            Err(error) => {
                tracing::error!(%error, "live stream stopped");
                None
            }
        }
    });
    Sse::new(events).keep_alive(KeepAlive::new().interval(heartbeat))
}
