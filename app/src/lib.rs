//! The phananh web app: one Leptos (client-side) codebase for residents, ward staff and city
//! staff, built as three pages so that each downloads only its own screens: the resident's
//! (`src/main.rs`, served on `/`), the staff's (`src/bin/phananh-staff.rs`, on `/staff…` and
//! `/city`) and the desktop app's (`src/bin/phananh-desktop.rs`, the resident's screens
//! around the native engine, wrapped by the desktop shell). Each binary only names how it
//! starts; the others' screens are not linked into it.
//!
//! - [`shell`]: the page frame, each page's routes and the offline banner.
//! - [`pages`]: one module per screen.
//! - [`backend`]: the resident's side of the system behind one interface (HTTP with an
//!   outbox in a browser; the native engine in the desktop shell, reached through
//!   [`desktop`]).
//! - [`api`], [`live`], [`session`]: the server's HTTP API, its live stream, staff sign-in.
//! - [`map`], [`wards`], [`tiles`]: the ward map drawn from the server's boundaries over the
//!   city's street tiles, and the offline index.
//! - [`device_store`], [`worker`]: the resident's device data in IndexedDB (shared with the
//!   service worker), and the service worker that opens the page offline and updates it.
//! - [`i18n`], [`clock`], [`storage`], [`errors`]: texts in two languages, times and
//!   deadlines, `localStorage` (the language, the staff session), field errors as people
//!   read them.

mod api;
mod backend;
mod clock;
mod desktop;
mod device_store;
mod errors;
mod i18n;
mod live;
mod map;
mod pages;
mod photos;
mod position;
mod session;
pub mod shell;
mod storage;
mod tiles;
mod wards;
mod worker;

use std::rc::Rc;

use leptos::prelude::*;
use phananh_shared::device::Settings;
use serde_json::json;

/// The moment the first screen is in the page, for `make bench` to read from the
/// browser's performance timeline (the time since the navigation began).
pub const FIRST_RENDER_MARK: &str = "phananh-first-render";

/// Starts the page of `bundle` in a browser. The resident's is the phone app: it keeps the
/// device's data and opens offline through its service worker; the staff's is online.
pub fn start(bundle: shell::Bundle) {
    let resident = !bundle.is_staff();
    backend::install(Rc::new(backend::http::HttpBackend::new(resident)));
    let update = resident.then(worker::register);
    mount(move || {
        if let Some(update) = update {
            provide_context(update);
        }
        view! { <shell::App bundle/> }
    });
}

/// Starts the desktop app's page: its settings (server, language, first run) come from the
/// native side before the first screen.
pub fn start_desktop() {
    wasm_bindgen_futures::spawn_local(async {
        match desktop::call::<Settings>("settings", json!({})).await {
            Ok(settings) => {
                api::use_server(&settings.server);
                i18n::remember(&settings.lang);
                backend::install(Rc::new(backend::native::NativeBackend::new()));
                mount(move || view! { <pages::device::DesktopApp settings/> });
            }
            // The native side did not answer: nothing can work without it, so say so (in both
            // languages: the language is one of the settings) and offer to try again.
            Err(e) => mount(move || {
                let reload = |_| {
                    let _ = web_sys::window().map(|w| w.location().reload());
                };
                view! {
                    <main id="main">
                        <p class="error" role="alert">
                            {format!("Ứng dụng không đọc được cài đặt của máy. / The app could not read its settings. ({e})")}
                        </p>
                        <button type="button" on:click=reload>"Thử lại / Try again"</button>
                    </main>
                }
            }),
        }
        let _ = desktop::call::<()>("shown", json!({})).await;
    });
}

fn mount<V: IntoView + 'static>(app: impl FnOnce() -> V + 'static) {
    leptos::mount::mount_to_body(app);
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.mark(FIRST_RENDER_MARK);
    }
}
