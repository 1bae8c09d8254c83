//! A small Chrome DevTools Protocol client, for what WebDriver cannot do: fire a service
//! worker's `sync` event, ask whether the page is installable, shrink the storage quota, grant
//! and fake a location. It talks to the Chromium that chromedriver started, over the browser's
//! DevTools WebSocket, whose port Chromium writes into its profile (`DevToolsActivePort`).
//!
//! Calls are answered by id; events are kept in arrival order until a [`Cdp::wait_event`] takes
//! them, so an event that comes between a call and the wait for it is not missed.

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::stream::SplitSink;
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::{Notify, oneshot};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a call, or Chromium writing its DevTools port, may take.
pub const CDP_PATIENCE: Duration = Duration::from_secs(20);

/// Events kept before the oldest are dropped: far more than any test waits through.
const KEPT_EVENTS: usize = 10_000;

/// Why a DevTools call failed.
#[derive(Debug, Clone, PartialEq)]
pub enum CdpError {
    /// Chromium answered with an error object.
    Protocol { method: String, code: i64, message: String, data: Option<String> },
    /// No answer within [`CDP_PATIENCE`].
    Timeout { method: String },
    /// The WebSocket is closed (the browser went away).
    Closed { method: String },
}

impl std::fmt::Display for CdpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CdpError::Protocol { method, code, message, data } => {
                write!(f, "{method} failed: {message} ({code})")?;
                match data {
                    Some(data) => write!(f, ": {data}"),
                    None => Ok(()),
                }
            }
            CdpError::Timeout { method } => write!(f, "{method}: no answer within {CDP_PATIENCE:?}"),
            CdpError::Closed { method } => write!(f, "{method}: the DevTools connection is closed"),
        }
    }
}

impl std::error::Error for CdpError {}

/// An event Chromium sent: its method, its parameters, and the session it came on (`None`
/// for the browser's own).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub session: Option<String>,
    pub method: String,
    pub params: Value,
}

/// What one message from Chromium is.
#[derive(Debug, PartialEq)]
enum Incoming {
    Answer { id: u64, result: Result<Value, (i64, String, Option<String>)> },
    Event(Event),
}

fn read_message(text: &str) -> Option<Incoming> {
    let message: Value = serde_json::from_str(text).ok()?;
    if let Some(id) = message.get("id").and_then(Value::as_u64) {
        let result = match message.get("error") {
            Some(error) => Err((
                error["code"].as_i64().unwrap_or_default(),
                error["message"].as_str().unwrap_or("(no message)").to_owned(),
                error.get("data").map(|d| d.as_str().map_or_else(|| d.to_string(), str::to_owned)),
            )),
            None => Ok(message.get("result").cloned().unwrap_or(json!({}))),
        };
        return Some(Incoming::Answer { id, result });
    }
    Some(Incoming::Event(Event {
        session: message.get("sessionId").and_then(Value::as_str).map(str::to_owned),
        method: message.get("method")?.as_str()?.to_owned(),
        params: message.get("params").cloned().unwrap_or(json!({})),
    }))
}

/// `DevToolsActivePort`: the port on the first line, the browser's WebSocket path on the second.
fn read_active_port(text: &str) -> Option<(u16, String)> {
    let mut lines = text.lines();
    let port = lines.next()?.trim().parse().ok()?;
    let path = lines.next()?.trim();
    path.starts_with('/').then(|| (port, path.to_owned()))
}

type Answer = Result<Value, (i64, String, Option<String>)>;

#[derive(Default)]
struct Shared {
    waiting: Mutex<HashMap<u64, oneshot::Sender<Answer>>>,
    events: Mutex<VecDeque<Event>>,
    arrived: Notify,
    closed: std::sync::atomic::AtomicBool,
}

type Sink = SplitSink<WebSocketStream<MaybeTlsStream<TcpStream>>, Message>;

/// A DevTools connection to one browser. Made inside the tokio runtime the test uses; its
/// reader runs there until the `Cdp` is dropped.
pub struct Cdp {
    sink: tokio::sync::Mutex<Sink>,
    next_id: AtomicU64,
    shared: Arc<Shared>,
    reader: tokio::task::JoinHandle<()>,
}

impl Drop for Cdp {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl Cdp {
    /// Connects to the browser whose profile is `profile`, once Chromium has written its
    /// DevTools port there (it panics past [`CDP_PATIENCE`]).
    pub async fn connect(profile: &Path) -> Cdp {
        let file = profile.join("DevToolsActivePort");
        let deadline = Instant::now() + CDP_PATIENCE;
        let (port, path) = loop {
            if let Some(found) = std::fs::read_to_string(&file).ok().as_deref().and_then(read_active_port) {
                break found;
            }
            assert!(
                Instant::now() < deadline,
                "Chromium wrote no {} within {CDP_PATIENCE:?}",
                file.display()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        Cdp::connect_to(&format!("ws://127.0.0.1:{port}{path}")).await
    }

    /// Connects to a DevTools WebSocket at `url`.
    pub async fn connect_to(url: &str) -> Cdp {
        let (socket, _) = tokio_tungstenite::connect_async(url)
            .await
            .unwrap_or_else(|e| panic!("the DevTools WebSocket {url} opens: {e}"));
        let (sink, mut stream) = socket.split();
        let shared = Arc::new(Shared::default());
        let reading = Arc::clone(&shared);
        let reader = tokio::spawn(async move {
            while let Some(Ok(message)) = stream.next().await {
                let Message::Text(text) = message else { continue };
                match read_message(text.as_str()) {
                    Some(Incoming::Answer { id, result }) => {
                        if let Some(waiter) = reading.waiting.lock().expect("not poisoned").remove(&id) {
                            let _ = waiter.send(result);
                        }
                    }
                    Some(Incoming::Event(event)) => {
                        let mut events = reading.events.lock().expect("not poisoned");
                        if events.len() == KEPT_EVENTS {
                            events.pop_front();
                        }
                        events.push_back(event);
                        drop(events);
                        reading.arrived.notify_waiters();
                    }
                    None => {}
                }
            }
            reading.closed.store(true, Ordering::SeqCst);
            // Whoever waits for an answer hears that none will come.
            reading.waiting.lock().expect("not poisoned").clear();
            reading.arrived.notify_waiters();
        });
        Cdp { sink: tokio::sync::Mutex::new(sink), next_id: AtomicU64::new(1), shared, reader }
    }

    /// Calls `method` with `params`, on the browser (`session` `None`) or on an attached
    /// target's session; its result, or the error Chromium gave.
    pub async fn call(&self, session: Option<&str>, method: &str, params: Value) -> Result<Value, CdpError> {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let mut message = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = session {
            message["sessionId"] = session.into();
        }
        let (tx, rx) = oneshot::channel();
        self.shared.waiting.lock().expect("not poisoned").insert(id, tx);
        let closed = || CdpError::Closed { method: method.to_owned() };
        if self.shared.closed.load(Ordering::SeqCst) {
            return Err(closed());
        }
        self.sink.lock().await.send(Message::Text(message.to_string().into())).await.map_err(|_| closed())?;
        match tokio::time::timeout(CDP_PATIENCE, rx).await {
            Ok(Ok(Ok(result))) => Ok(result),
            Ok(Ok(Err((code, message, data)))) => {
                Err(CdpError::Protocol { method: method.to_owned(), code, message, data })
            }
            Ok(Err(_)) => Err(closed()),
            Err(_) => {
                self.shared.waiting.lock().expect("not poisoned").remove(&id);
                Err(CdpError::Timeout { method: method.to_owned() })
            }
        }
    }

    /// As [`Cdp::call`], for a call that must work: it panics with Chromium's message.
    pub async fn must(&self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.call(session, method, params).await.unwrap_or_else(|e| panic!("{e}"))
    }

    /// Every target of the browser (`Target.getTargets`): pages, service workers, …
    pub async fn targets(&self) -> Result<Vec<Value>, CdpError> {
        let answer = self.call(None, "Target.getTargets", json!({})).await?;
        Ok(answer["targetInfos"].as_array().cloned().unwrap_or_default())
    }

    /// Attaches to target `target_id` (flattened: its calls go over this connection with a
    /// session id), and gives the session id.
    pub async fn attach(&self, target_id: &str) -> Result<String, CdpError> {
        let answer = self
            .call(None, "Target.attachToTarget", json!({ "targetId": target_id, "flatten": true }))
            .await?;
        Ok(answer["sessionId"].as_str().expect("Target.attachToTarget gives a sessionId").to_owned())
    }

    /// A session on the first target of type `kind` ("page", "service_worker") whose URL
    /// starts with `url_prefix`, once there is one (it panics at `deadline`).
    pub async fn target_session(&self, kind: &str, url_prefix: &str, deadline: Instant) -> String {
        loop {
            let targets = self.targets().await.unwrap_or_else(|e| panic!("{e}"));
            let found = targets.iter().find(|t| {
                t["type"] == kind && t["url"].as_str().is_some_and(|url| url.starts_with(url_prefix))
            });
            if let Some(target) = found {
                let id = target["targetId"].as_str().expect("a targetId");
                return self.attach(id).await.unwrap_or_else(|e| panic!("{e}"));
            }
            assert!(
                Instant::now() < deadline,
                "no {kind} target at {url_prefix}… came; the browser has {targets:#?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A session on the page whose URL starts with `url_prefix`.
    pub async fn page_session(&self, url_prefix: &str) -> String {
        self.target_session("page", url_prefix, Instant::now() + CDP_PATIENCE).await
    }

    /// Takes the first event kept (or coming before `deadline`) on `session` (`None`: the
    /// browser's) named `method` whose parameters satisfy `matches`. It panics at the deadline.
    pub async fn wait_event(
        &self,
        session: Option<&str>,
        method: &str,
        mut matches: impl FnMut(&Value) -> bool,
        deadline: Instant,
    ) -> Value {
        let taken = self.take_event(
            |e| e.session.as_deref() == session && e.method == method && matches(&e.params),
            deadline,
        );
        match taken.await {
            Some(event) => event.params,
            None => panic!("no {method} event as expected on session {session:?} by the deadline"),
        }
    }

    /// Takes the first event kept or coming before `deadline` that satisfies `wanted`.
    pub async fn take_event(
        &self,
        mut wanted: impl FnMut(&Event) -> bool,
        deadline: Instant,
    ) -> Option<Event> {
        let deadline = tokio::time::Instant::from_std(deadline);
        loop {
            // Registered before looking, so an event that comes meanwhile wakes this wait.
            let arrived = self.shared.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            {
                let mut events = self.shared.events.lock().expect("not poisoned");
                if let Some(at) = events.iter().position(&mut wanted) {
                    return events.remove(at);
                }
            }
            if self.shared.closed.load(Ordering::SeqCst) {
                return None;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                return None;
            }
        }
    }

    /// Takes every event kept now on `session` named `method` (their parameters, in order).
    pub fn drain_events(&self, session: Option<&str>, method: &str) -> Vec<Value> {
        let mut events = self.shared.events.lock().expect("not poisoned");
        let (taken, kept) = std::mem::take(&mut *events)
            .into_iter()
            .partition::<VecDeque<_>, _>(|e| e.session.as_deref() == session && e.method == method);
        *events = kept;
        taken.into_iter().map(|e| e.params).collect()
    }

    /// The registration id of the service worker whose scope is `origin`'s root, once a
    /// version of it is activated (`ServiceWorker.enable` on the page session `session`, which
    /// reports every registration of the browser's profile).
    pub async fn service_worker_registration(&self, session: &str, origin: &str) -> String {
        let scope = format!("{}/", origin.trim_end_matches('/'));
        // Enabled afresh so that Chromium reports the registrations it knows now.
        let _ = self.call(Some(session), "ServiceWorker.disable", json!({})).await;
        self.must(Some(session), "ServiceWorker.enable", json!({})).await;
        let deadline = Instant::now() + CDP_PATIENCE;
        let mut scopes: HashMap<String, String> = HashMap::new();
        let mut activated: Vec<String> = Vec::new();
        loop {
            let event = self
                .take_event(
                    |e| {
                        e.session.as_deref() == Some(session)
                            && matches!(
                                e.method.as_str(),
                                "ServiceWorker.workerRegistrationUpdated" | "ServiceWorker.workerVersionUpdated"
                            )
                    },
                    deadline,
                )
                .await
                .unwrap_or_else(|| {
                    panic!("no activated service worker for {scope} within {CDP_PATIENCE:?} (registrations seen: {scopes:?})")
                });
            for registration in event.params["registrations"].as_array().into_iter().flatten() {
                let id = registration["registrationId"].as_str().unwrap_or_default().to_owned();
                if registration["isDeleted"] == true {
                    scopes.remove(&id);
                } else {
                    scopes.insert(id, registration["scopeURL"].as_str().unwrap_or_default().to_owned());
                }
            }
            for version in event.params["versions"].as_array().into_iter().flatten() {
                if version["status"] == "activated" {
                    activated.push(version["registrationId"].as_str().unwrap_or_default().to_owned());
                }
            }
            if let Some((id, _)) = scopes.iter().find(|(id, s)| **s == scope && activated.contains(id)) {
                return id.clone();
            }
        }
    }

    /// Fires the service worker's Background Sync event `tag` (not the last chance: the worker
    /// may fail and be retried), as the browser does when the signal comes back.
    pub async fn dispatch_sync(
        &self,
        session: &str,
        origin: &str,
        registration_id: &str,
        tag: &str,
    ) -> Result<(), CdpError> {
        let params = json!({
            "origin": origin.trim_end_matches('/'),
            "registrationId": registration_id,
            "tag": tag,
            "lastChance": false,
        });
        self.call(Some(session), "ServiceWorker.dispatchSyncEvent", params).await.map(|_| ())
    }

    /// Why Chromium would not offer to install the page on `session` (empty: installable).
    pub async fn installability_errors(&self, session: &str) -> Vec<Value> {
        let answer = self.must(Some(session), "Page.getInstallabilityErrors", json!({})).await;
        answer["installabilityErrors"].as_array().cloned().unwrap_or_default()
    }

    /// Makes `origin`'s storage quota `bytes`, as on a phone whose disk is nearly full (sent on
    /// `session`, a page's, or the browser's with `None`).
    pub async fn override_quota(
        &self,
        session: Option<&str>,
        origin: &str,
        bytes: u64,
    ) -> Result<(), CdpError> {
        let params = json!({ "origin": origin.trim_end_matches('/'), "quotaSize": bytes });
        self.call(session, "Storage.overrideQuotaForOrigin", params).await.map(|_| ())
    }

    /// Lets `origin` read the location without asking.
    pub async fn grant_geolocation(&self, origin: &str) -> Result<(), CdpError> {
        let params = json!({ "origin": origin.trim_end_matches('/'), "permissions": ["geolocation"] });
        self.call(None, "Browser.grantPermissions", params).await.map(|_| ())
    }

    /// Makes the page on `session` find itself at (`lat`, `lon`), `accuracy` metres.
    pub async fn set_geolocation(
        &self,
        session: &str,
        lat: f64,
        lon: f64,
        accuracy: f64,
    ) -> Result<(), CdpError> {
        let params = json!({ "latitude": lat, "longitude": lon, "accuracy": accuracy });
        self.call(Some(session), "Emulation.setGeolocationOverride", params).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    #[test]
    fn the_devtools_port_file_is_read_as_chromium_writes_it() {
        let text = "38741\n/devtools/browser/0f6d3c1e-2f4b-4c8e-9a55-3c1d9d6f2b10\n";
        assert_eq!(
            read_active_port(text),
            Some((38741, "/devtools/browser/0f6d3c1e-2f4b-4c8e-9a55-3c1d9d6f2b10".into()))
        );
        // Half written, or not yet: not read.
        assert_eq!(read_active_port("38741\n"), None);
        assert_eq!(read_active_port(""), None);
        assert_eq!(read_active_port("port\n/devtools/browser/x\n"), None);
    }

    #[test]
    fn answers_errors_and_events_are_told_apart() {
        assert_eq!(
            read_message(r#"{"id":7,"result":{"targetInfos":[]}}"#),
            Some(Incoming::Answer { id: 7, result: Ok(json!({"targetInfos": []})) })
        );
        assert_eq!(
            read_message(r#"{"id":8,"error":{"code":-32601,"message":"'Nope.nope' wasn't found"}}"#),
            Some(Incoming::Answer { id: 8, result: Err((-32601, "'Nope.nope' wasn't found".into(), None)) })
        );
        assert_eq!(
            read_message(r#"{"method":"Page.loadEventFired","params":{"timestamp":1.5},"sessionId":"S1"}"#),
            Some(Incoming::Event(Event {
                session: Some("S1".into()),
                method: "Page.loadEventFired".into(),
                params: json!({"timestamp": 1.5}),
            }))
        );
        assert_eq!(read_message("not json"), None);
    }

    #[test]
    fn an_error_says_what_chromium_said() {
        let error = CdpError::Protocol {
            method: "Storage.overrideQuotaForOrigin".into(),
            code: -32602,
            message: "Invalid parameters".into(),
            data: Some("Failed to deserialize params.quotaSize".into()),
        };
        let shown = error.to_string();
        assert!(
            shown.contains("Storage.overrideQuotaForOrigin") && shown.contains("Invalid parameters"),
            "{shown}"
        );
        assert!(shown.contains("quotaSize"), "{shown}");
    }

    /// A fake browser on loopback: it answers `Target.getTargets` with two pages and
    /// `Target.attachToTarget` with a session, refuses any other method, and sends an event
    /// before it answers `Page.enable` (as Chromium may).
    async fn fake_browser() -> (tempfile::TempDir, tokio::task::JoinHandle<Vec<Value>>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let profile = tempfile::tempdir().unwrap();
        std::fs::write(
            profile.path().join("DevToolsActivePort"),
            format!("{port}\n/devtools/browser/fake\n"),
        )
        .unwrap();
        let browser = tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let mut socket = tokio_tungstenite::accept_async(stream).await.unwrap();
            let mut heard = Vec::new();
            while let Some(Ok(Message::Text(text))) = socket.next().await {
                let call: Value = serde_json::from_str(text.as_str()).unwrap();
                heard.push(call.clone());
                let id = call["id"].clone();
                let answers = match call["method"].as_str().unwrap() {
                    "Target.getTargets" => vec![json!({ "id": id, "result": { "targetInfos": [
                        { "targetId": "T1", "type": "page", "url": "about:blank" },
                        { "targetId": "T2", "type": "page", "url": "http://127.0.0.1:9/healthz" },
                    ] } })],
                    "Target.attachToTarget" => {
                        vec![
                            json!({ "id": id, "result": { "sessionId": format!("S-{}", call["params"]["targetId"].as_str().unwrap()) } }),
                        ]
                    }
                    "Page.enable" => vec![
                        json!({ "method": "Page.frameNavigated", "sessionId": call["sessionId"], "params": { "n": 1 } }),
                        json!({ "method": "Page.frameNavigated", "sessionId": call["sessionId"], "params": { "n": 2 } }),
                        json!({ "id": id, "result": {} }),
                    ],
                    method => vec![
                        json!({ "id": id, "error": { "code": -32601, "message": format!("'{method}' wasn't found") } }),
                    ],
                };
                for answer in answers {
                    socket.send(Message::Text(answer.to_string().into())).await.unwrap();
                }
            }
            heard
        });
        (profile, browser)
    }

    #[tokio::test]
    async fn calls_are_answered_and_events_kept_until_waited_for() {
        let (profile, browser) = fake_browser().await;
        let cdp = Cdp::connect(profile.path()).await;
        let targets = cdp.targets().await.unwrap();
        assert_eq!(targets.len(), 2);
        let session = cdp.page_session("http://127.0.0.1:9/").await;
        assert_eq!(session, "S-T2");

        // The events came before the answer, and before anyone waited for them.
        cdp.call(Some(&session), "Page.enable", json!({})).await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        let second = cdp.wait_event(Some(&session), "Page.frameNavigated", |p| p["n"] == 2, deadline).await;
        assert_eq!(second["n"], 2);
        let first = cdp.wait_event(Some(&session), "Page.frameNavigated", |_| true, deadline).await;
        assert_eq!(first["n"], 1, "the one not taken is still there");
        // Both taken; another on another session would not do.
        let soon = Instant::now() + Duration::from_millis(200);
        assert!(cdp.take_event(|e| e.method == "Page.frameNavigated", soon).await.is_none());

        match cdp.call(None, "Nope.nope", json!({})).await {
            Err(CdpError::Protocol { code, message, .. }) => {
                assert_eq!(code, -32601);
                assert!(message.contains("Nope.nope"), "{message}");
            }
            other => panic!("an error object, not {other:?}"),
        }
        drop(cdp);
        let heard = browser.await.unwrap();
        let methods: Vec<&str> = heard.iter().map(|c| c["method"].as_str().unwrap()).collect();
        assert_eq!(
            methods,
            ["Target.getTargets", "Target.getTargets", "Target.attachToTarget", "Page.enable", "Nope.nope"]
        );
        assert_eq!(heard[2]["params"], json!({ "targetId": "T2", "flatten": true }));
        assert_eq!(heard[3]["sessionId"], "S-T2", "a session's call carries its id");
        assert!(heard[0].get("sessionId").is_none(), "a browser call carries none");
    }
}
