//! The built web app (`app/dist`, made by trunk) on every path the API does not own.
//!
//! A page path (`/mine`, `/reports/…`) gets `index.html`, so the app's own router decides
//! what to show and a reload or a shared link works; the staff's pages (`/staff…`, `/city`)
//! get the staff's own page, `staff/index.html`, so residents never download those screens
//! (without it, `index.html`); a path under the API's prefixes keeps the API's JSON 404.
//! `index.html` is never cached (it names the current build's files); the build's files
//! carry a hash in their names and are cached for a year. `make app` leaves each wasm, JS and
//! CSS file compressed beside it (`.br`, and `.gz` by zopfli): those are sent to a browser
//! that takes them, so a phone downloads the smallest form and the server does not compress
//! the app's largest files again for every request (the rest goes through the compression
//! layer as every answer does).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Extension;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use phananh_shared::api::is_staff_page;
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

use super::error::no_route;

/// Paths that belong to the API: an unknown one there is an API error, not a page.
const API_PREFIXES: [&str; 3] = ["/api/", "/open311/", "/healthz"];

/// The web app's directory, if it was built.
#[derive(Debug, Clone)]
pub struct WebApp {
    dir: Option<PathBuf>,
}

impl WebApp {
    /// The app in `dir`; without its `index.html` (not built yet) only the API is served.
    pub fn new(dir: &Path) -> WebApp {
        if dir.join("index.html").is_file() {
            WebApp { dir: Some(dir.to_owned()) }
        } else {
            tracing::warn!(dir = %dir.display(), "the web app is not built there (`make run` builds it): serving the API only");
            WebApp { dir: None }
        }
    }
}

pub async fn serve(Extension(app): Extension<Arc<WebApp>>, request: Request) -> Response {
    let path = request.uri().path();
    let Some(dir) = app.dir.as_deref().filter(|_| !API_PREFIXES.iter().any(|p| path.starts_with(p))) else {
        return no_route().await.into_response();
    };
    // A file has a dot in its last segment; anything else is one of the app's pages.
    let page = !path.rsplit('/').next().unwrap_or_default().contains('.');
    let answer = if page {
        let staff = dir.join("staff/index.html");
        let html = if is_staff_page(path) && staff.is_file() { staff } else { dir.join("index.html") };
        ServeFile::new(html).oneshot(request).await
    } else {
        ServeDir::new(dir).precompressed_br().precompressed_gzip().oneshot(request).await
    };
    let mut response = match answer {
        Ok(response) => response.into_response(),
        Err(infallible) => match infallible {},
    };
    let cache = if page { "no-cache" } else { "public, max-age=31536000, immutable" };
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}
