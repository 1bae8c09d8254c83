//! The live stream (`/api/v1/live`) over the browser's WebSocket.
//!
//! The subscription remembers the last sequence number it was given and reconnects with
//! `since=` that number, so a dropped connection (a phone changing networks, a server
//! restart) costs neither a gap nor a repeat: the server replays what was missed.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use phananh_shared::api::{Event, LiveMessage};
use phananh_shared::dossier::DossierEvent;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

/// The close code of a stream whose credential has ended (the server's `SESSION_ENDED_CODE`).
const CREDENTIAL_ENDED: u16 = 4401;

/// How long to wait before reconnecting, growing to the last value while the server stays away.
const RETRY_MS: [i32; 5] = [500, 1_000, 2_000, 5_000, 10_000];

/// An event of the stream: a report's or a dossier's.
pub enum Heard {
    Report(Event),
    Dossier(DossierEvent),
}

/// An open subscription; dropping it closes the stream for good.
pub struct Live {
    inner: Rc<Inner>,
}

struct Inner {
    url: String,
    /// The last sequence number seen; `None` until the first `caught_up` of a `latest` start.
    since: Cell<Option<u64>>,
    attempts: Cell<usize>,
    closed: Cell<bool>,
    socket: RefCell<Option<WebSocket>>,
    /// The handlers of the current socket, dropped with it when the next one replaces it.
    handlers: RefCell<Option<Handlers>>,
    on_heard: Box<dyn Fn(Heard)>,
    on_connected: Box<dyn Fn(bool)>,
}

struct Handlers {
    _message: Closure<dyn Fn(MessageEvent)>,
    _close: Closure<dyn Fn(CloseEvent)>,
}

impl Live {
    /// Subscribes to the reports' events of `scope` from after `since`, or (`None`) to what
    /// happens from now on. `on_event` gets each event once, in order; `on_connected` hears
    /// when the stream is up (caught up: a screen that loads its state itself reloads then)
    /// or down.
    pub fn subscribe(
        scope: &str,
        token: Option<&str>,
        since: Option<u64>,
        on_event: impl Fn(Event) + 'static,
        on_connected: impl Fn(bool) + 'static,
    ) -> Live {
        let on_heard = move |heard| {
            if let Heard::Report(event) = heard {
                on_event(event);
            }
        };
        Live::subscribe_all(scope, token, since, on_heard, on_connected)
    }

    /// As [`Live::subscribe`], hearing the dossiers' events of the scope too.
    pub fn subscribe_all(
        scope: &str,
        token: Option<&str>,
        since: Option<u64>,
        on_heard: impl Fn(Heard) + 'static,
        on_connected: impl Fn(bool) + 'static,
    ) -> Live {
        let origin = crate::api::origin();
        let ws_origin = origin.replacen("http", "ws", 1);
        let mut url = format!("{ws_origin}/api/v1/live?scope={}", js_sys::encode_uri_component(scope));
        if let Some(token) = token {
            url.push_str(&format!("&access_token={}", js_sys::encode_uri_component(token)));
        }
        let inner = Rc::new(Inner {
            url,
            since: Cell::new(since),
            attempts: Cell::new(0),
            closed: Cell::new(false),
            socket: RefCell::new(None),
            handlers: RefCell::new(None),
            on_heard: Box::new(on_heard),
            on_connected: Box::new(on_connected),
        });
        connect(&inner);
        Live { inner }
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.inner.closed.set(true);
        if let Some(socket) = self.inner.socket.borrow_mut().take() {
            socket.set_onclose(None);
            socket.set_onmessage(None);
            let _ = socket.close();
        }
    }
}

fn connect(inner: &Rc<Inner>) {
    if inner.closed.get() {
        return;
    }
    let since = inner.since.get().map_or_else(|| "latest".to_owned(), |seq| seq.to_string());
    let url = format!("{}&since={since}", inner.url);
    let Ok(socket) = WebSocket::new(&url) else {
        retry(inner);
        return;
    };
    let weak = Rc::downgrade(inner);
    let on_message = Closure::<dyn Fn(MessageEvent)>::new(move |message: MessageEvent| {
        let (Some(inner), Some(text)) = (weak.upgrade(), message.data().as_string()) else { return };
        match LiveMessage::from_json(&text) {
            Ok(LiveMessage::Event(event)) if Some(event.seq) > inner.since.get() => {
                inner.since.set(Some(event.seq));
                (inner.on_heard)(Heard::Report(event));
            }
            Ok(LiveMessage::Dossier(event)) if Some(event.seq) > inner.since.get() => {
                inner.since.set(Some(event.seq));
                (inner.on_heard)(Heard::Dossier(event));
            }
            Ok(LiveMessage::CaughtUp { seq }) => {
                inner.since.set(inner.since.get().max(Some(seq)));
                inner.attempts.set(0);
                (inner.on_connected)(true);
            }
            // The server closes the stream after this; the close handler reconnects.
            Ok(LiveMessage::Resume { seq }) => inner.since.set(inner.since.get().max(Some(seq))),
            Ok(LiveMessage::Event(_) | LiveMessage::Dossier(_)) | Err(_) => {}
        }
    });
    let weak = Rc::downgrade(inner);
    let on_close = Closure::<dyn Fn(CloseEvent)>::new(move |close: CloseEvent| {
        let Some(inner) = weak.upgrade() else { return };
        (inner.on_connected)(false);
        // The credential has ended (a staff session, or a device's identity moved away):
        // the same token would be refused, so the stream ends here; the screen asks what
        // became of it when it hears the stream is down.
        if close.code() == CREDENTIAL_ENDED {
            inner.closed.set(true);
        } else {
            retry(&inner);
        }
    });
    socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    *inner.socket.borrow_mut() = Some(socket);
    *inner.handlers.borrow_mut() = Some(Handlers { _message: on_message, _close: on_close });
}

fn retry(inner: &Rc<Inner>) {
    if inner.closed.get() {
        return;
    }
    let attempt = inner.attempts.get();
    inner.attempts.set(attempt + 1);
    let delay = RETRY_MS[attempt.min(RETRY_MS.len() - 1)];
    let weak = Rc::downgrade(inner);
    let again = Closure::once_into_js(move || {
        if let Some(inner) = weak.upgrade() {
            connect(&inner);
        }
    });
    if let Some(window) = web_sys::window() {
        let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(again.unchecked_ref(), delay);
    }
}
