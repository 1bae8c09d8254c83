//! The phananh web app: one Leptos (client-side) codebase for residents, ward staff and city
//! staff, built as two pages so that a resident's phone downloads only the resident's
//! screens: the resident's (`src/main.rs`, served on `/` and wrapped by the desktop shell)
//! and the staff's (`src/bin/phananh-staff.rs`, on `/staff…` and `/city`). Each binary only
//! names its [`shell::Bundle`]; the other's screens are not linked into it.
//!
//! - [`shell`]: the page frame, each page's routes and the offline banner.
//! - [`pages`]: one module per screen.
//! - [`backend`]: the resident's side of the system behind one interface (HTTP with an
//!   outbox in a browser; the native engine in the desktop shell, reached through
//!   [`desktop`]).
//! - [`api`], [`live`], [`session`]: the server's HTTP API, its live stream, staff sign-in.
//! - [`map`], [`wards`]: the ward map drawn from the server's boundaries, and the offline index.
//! - [`i18n`], [`clock`], [`storage`], [`errors`]: texts in two languages, times and
//!   deadlines, `localStorage`, field errors as people read them.

mod api;
mod backend;
mod clock;
mod desktop;
mod errors;
mod i18n;
mod live;
mod map;
mod pages;
mod photos;
mod session;
pub mod shell;
mod storage;
mod wards;

/// The moment the first screen is in the page, for `make bench` to read from the
/// browser's performance timeline (the time since the navigation began).
pub const FIRST_RENDER_MARK: &str = "phananh-first-render";

/// Starts the page of `bundle`.
pub fn start(bundle: shell::Bundle) {
    if desktop::available() {
        // The desktop app: its settings (server, language, first run) come from the native
        // side before the first screen.
        wasm_bindgen_futures::spawn_local(async move {
            let settings: Option<phananh_shared::device::Settings> =
                desktop::call("settings", serde_json::json!({})).await.ok();
            if let Some(settings) = &settings {
                api::use_server(&settings.server);
                i18n::remember(&settings.lang);
            }
            backend::install(std::rc::Rc::new(backend::native::NativeBackend::new()));
            mount(settings, bundle);
            let _ = desktop::call::<()>("shown", serde_json::json!({})).await;
        });
    } else {
        backend::install(std::rc::Rc::new(backend::http::HttpBackend::new()));
        mount(None, bundle);
    }
}

fn mount(desktop: Option<phananh_shared::device::Settings>, bundle: shell::Bundle) {
    leptos::mount::mount_to_body(
        move || leptos::view! { <shell::App desktop=desktop.clone() bundle=bundle/> },
    );
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.mark(FIRST_RENDER_MARK);
    }
}
