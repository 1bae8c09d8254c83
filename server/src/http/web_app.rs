//! The built web app (`app/dist`, made by trunk) on every path the API does not own.
//!
//! A page path (`/mine`, `/reports/…`) gets `index.html`, so the app's own router decides
//! what to show and a reload or a shared link works; the staff's pages (`/staff…`, `/city`)
//! get the staff's own page, `staff/index.html`, so residents never download those screens
//! (without it, `index.html`); a path under the API's prefixes keeps the API's JSON 404.
//! `index.html` is never cached (it names the current build's files); the build's hashed
//! files (trunk's: a hash in the name) are cached for a year, and every other file (the
//! service worker `/sw.js`, the manifest, the icons, scripts copied as they are) is asked for
//! again each time (`no-cache`: revalidated by its date), so an update never waits behind a
//! cached copy. Content types go by extension (the manifest is `application/manifest+json`).
//! `make app` leaves each wasm, JS and CSS file compressed beside it (`.br`, and `.gz` by
//! zopfli): those are sent to a browser that takes them, so a phone downloads the smallest
//! form and the server does not compress the app's largest files again for every request
//! (the rest goes through the compression layer as every answer does). A page carries the
//! Content-Security-Policy with the hashes of its own inline scripts (see [`super::headers`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Extension;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use phananh_shared::api::in_staff_bundle;
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

use super::error::no_route;
use super::headers::{Csp, inline_script_hashes};

/// Paths that belong to the API: an unknown one there is an API error, not a page.
const API_PREFIXES: [&str; 3] = ["/api/", "/open311/", "/healthz"];

/// The web app's directory, if it was built.
#[derive(Debug, Clone)]
pub struct WebApp {
    dir: Option<PathBuf>,
    csp: Csp,
}

impl WebApp {
    /// The app in `dir`; without its `index.html` (not built yet) only the API is served.
    pub fn new(dir: &Path) -> WebApp {
        let csp = Csp::new(None, None);
        if dir.join("index.html").is_file() {
            WebApp { dir: Some(dir.to_owned()), csp }
        } else {
            tracing::warn!(dir = %dir.display(), "the web app is not built there (`make run` builds it): serving the API only");
            WebApp { dir: None, csp }
        }
    }

    /// The app under the policy `csp`.
    pub fn with_csp(self, csp: Csp) -> WebApp {
        WebApp { csp, ..self }
    }
}

pub async fn serve(Extension(app): Extension<Arc<WebApp>>, request: Request) -> Response {
    let path = request.uri().path();
    let Some(dir) = app.dir.as_deref().filter(|_| !API_PREFIXES.iter().any(|p| path.starts_with(p))) else {
        return no_route().await.into_response();
    };
    // A file has a dot in its last segment; anything else is one of the app's pages.
    let page = !path.rsplit('/').next().unwrap_or_default().contains('.');
    let hashed = !page && is_hashed(path);
    let answer = if page {
        let staff = dir.join("staff/index.html");
        let html = if in_staff_bundle(path) && staff.is_file() { staff } else { dir.join("index.html") };
        let scripts = tokio::fs::read_to_string(&html).await.map(|page| inline_script_hashes(&page));
        let served = ServeFile::new(html).oneshot(request).await;
        served.map(|mut response| {
            let csp = app.csp.header(scripts.as_deref().unwrap_or_default());
            response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, csp);
            response
        })
    } else {
        ServeDir::new(dir).precompressed_br().precompressed_gzip().oneshot(request).await
    };
    let mut response = match answer {
        Ok(response) => response.into_response(),
        Err(infallible) => match infallible {},
    };
    // A missing file is not cached for good: the next build may have it.
    let found = response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED;
    let cache = if hashed && found { "public, max-age=31536000, immutable" } else { "no-cache" };
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

/// Whether the file at `path` is named by its content, as trunk names the build's files: a
/// hash of at least 8 hex digits after the name's last `-`, right before the extension
/// (`style-0123abcd.css`, `phananh-app-8d7c9c3a1f2b4e5d.js`) or before wasm-bindgen's `_bg`
/// (`phananh-app-8d7c9c3a1f2b4e5d_bg.wasm`). A new build names such files anew, so they may
/// be cached for good; any other file keeps its name across builds.
fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    let Some((stem, _extension)) = name.rsplit_once('.') else { return false };
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-')
        .is_some_and(|(_, hash)| hash.len() >= 8 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::is_hashed;

    #[test]
    fn only_trunks_hashed_names_count_as_hashed() {
        for hashed in [
            "/phananh-app-8d7c9c3a1f2b4e5d_bg.wasm",
            "/phananh-app-8d7c9c3a1f2b4e5d.js",
            "/style-0123abcd.css",
            "/staff/phananh-staff-4567CDEF.js",
        ] {
            assert!(is_hashed(hashed), "{hashed}");
        }
        for named in [
            "/sw.js",
            "/outbox.js",
            "/manifest.webmanifest",
            "/icons/icon-192.png",
            "/index.html",
            "/phananh-app-ffff.js",
            "/phananh-app-0123abcg.js",
            "/phananh-app-0123abcd",
            "/phananh-app-0123abcd.js.map",
            "/0123abcd.js",
        ] {
            assert!(!is_hashed(named), "{named}");
        }
    }
}
