//! The phananh web app: one Leptos (client-side) codebase for residents, ward staff and city
//! staff, served by the server on `/` and wrapped by the desktop shell.
//!
//! - [`shell`]: the page frame, the routes and the offline banner.
//! - [`pages`]: one module per screen.
//! - [`backend`]: the resident's side of the system behind one interface (HTTP with an
//!   outbox in a browser; the native engine in the desktop shell).
//! - [`api`], [`live`], [`session`]: the server's HTTP API, its live stream, staff sign-in.
//! - [`map`], [`wards`]: the ward map drawn from the server's boundaries, and the offline index.
//! - [`i18n`], [`clock`], [`storage`], [`errors`]: texts in two languages, times and
//!   deadlines, `localStorage`, field errors as people read them.

mod api;
mod backend;
mod clock;
mod errors;
mod i18n;
mod live;
mod map;
mod pages;
mod photos;
mod session;
mod shell;
mod storage;
mod wards;

/// The moment the first screen is in the page, for `make bench` to read from the
/// browser's performance timeline (the time since the navigation began).
pub const FIRST_RENDER_MARK: &str = "phananh-first-render";

fn main() {
    backend::install(std::rc::Rc::new(backend::HttpBackend::new()));
    leptos::mount::mount_to_body(shell::App);
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.mark(FIRST_RENDER_MARK);
    }
}
