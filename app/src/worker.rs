//! The resident page's service worker (`pwa/sw.js`), from the page: it is registered at
//! start, and when a new version of the app has installed beside the running one, the page
//! says so and switches only when the resident taps "reload" (the waiting worker then takes
//! over and the page reloads into the new version, whose files all come from its own
//! cache). Until then the page keeps running the version it started with.

use std::cell::Cell;

use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast as _, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{ServiceWorkerContainer, ServiceWorkerRegistration, ServiceWorkerState};

/// A new version waiting for the resident's tap.
#[derive(Clone, Copy)]
pub struct Update {
    pub waiting: RwSignal<bool>,
    registration: StoredValue<Option<ServiceWorkerRegistration>, LocalStorage>,
}

impl Update {
    /// Hands the page to the waiting version; the page reloads once it has taken over.
    pub fn apply(&self) {
        ASKED.with(|asked| asked.set(true));
        let waiting =
            self.registration.with_value(|r| r.as_ref().and_then(ServiceWorkerRegistration::waiting));
        match waiting {
            Some(worker) => {
                let _ = worker.post_message(&JsValue::from_str("skip-waiting"));
            }
            // Gone meanwhile (another tab took it): a plain reload gets the current version.
            None => {
                let _ = window().location().reload();
            }
        }
    }
}

thread_local! {
    // Only a takeover the resident asked for reloads the page: the first visit's worker
    // also takes control (clients.claim), and must not reload the page under the resident.
    static ASKED: Cell<bool> = const { Cell::new(false) };
}

fn container() -> Option<ServiceWorkerContainer> {
    let navigator = web_sys::window()?.navigator();
    // Absent outside a secure context (plain http to another host) and in some private modes.
    js_sys::Reflect::has(&navigator, &"serviceWorker".into()).ok()?.then(|| navigator.service_worker())
}

/// Registers the worker; the returned [`Update`] turns `waiting` on when a new version is
/// ready.
pub fn register() -> Update {
    let update = Update { waiting: RwSignal::new(false), registration: StoredValue::new_local(None) };
    let Some(container) = container() else { return update };
    let reload = Closure::<dyn Fn()>::new(|| {
        if ASKED.with(Cell::get) {
            let _ = window().location().reload();
        }
    });
    container.set_oncontrollerchange(Some(reload.as_ref().unchecked_ref()));
    reload.forget(); // for the page's lifetime
    let registering = container.register("/sw.js");
    wasm_bindgen_futures::spawn_local(async move {
        let Ok(registration) = JsFuture::from(registering).await else { return };
        let registration: ServiceWorkerRegistration = registration.unchecked_into();
        let controlled = container.controller().is_some();
        if controlled && registration.waiting().is_some() {
            update.waiting.set(true);
        }
        let found = {
            let registration = registration.clone();
            Closure::<dyn Fn()>::new(move || {
                let Some(installing) = registration.installing() else { return };
                let watched = installing.clone();
                let installed = Closure::<dyn Fn()>::new(move || {
                    // A worker installed while another controls the page is a new version.
                    if watched.state() == ServiceWorkerState::Installed && container_controls() {
                        update.waiting.set(true);
                    }
                });
                installing.set_onstatechange(Some(installed.as_ref().unchecked_ref()));
                installed.forget();
            })
        };
        registration.set_onupdatefound(Some(found.as_ref().unchecked_ref()));
        found.forget();
        // An installed app may stay open for days: look for a new version whenever the
        // resident comes back to it.
        let check = {
            let registration = registration.clone();
            Closure::<dyn Fn()>::new(move || {
                if !document().hidden() {
                    let _ = registration.update();
                }
            })
        };
        let _ =
            document().add_event_listener_with_callback("visibilitychange", check.as_ref().unchecked_ref());
        check.forget();
        update.registration.set_value(Some(registration));
    });
    update
}

fn container_controls() -> bool {
    container().and_then(|c| c.controller()).is_some()
}
