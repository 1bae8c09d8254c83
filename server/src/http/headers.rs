//! Headers every answer carries, for the browser's protection and for caches.
//!
//! - A Content-Security-Policy the web app runs under: its own scripts and WebAssembly, the
//!   street map's tile server for images (and for the service worker's fetches of them), the
//!   API and its live stream; no plugins, no `<base>`, no framing by another site. Pages get
//!   the hashes of their inline scripts too (trunk writes one that starts the app), computed
//!   from the page as it is served, so a new build needs no restart.
//! - `X-Content-Type-Options: nosniff`, `Referrer-Policy: strict-origin-when-cross-origin`, a
//!   `Permissions-Policy` giving geolocation and the camera to this site only, and HSTS when
//!   the public address is https.
//! - On the API's answers: `Vary: Authorization`, since many depend on who asks (a report in
//!   full or in public, a dossier, a device's events, a ward's lists), and `Cache-Control:
//!   no-store` unless the handler said how its answer may be kept (the boundaries, photos: the
//!   same for everyone).

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};
use tower_http::set_header::SetResponseHeaderLayer;

/// Paths whose answers depend on who asks, or may.
const API_PREFIXES: [&str; 2] = ["/api/", "/open311/"];

/// The Content-Security-Policy, less the hashes of a page's inline scripts.
#[derive(Debug, Clone)]
pub struct Csp {
    /// Sources added to `img-src` and `connect-src`: the tile server's origin.
    tiles: Option<String>,
    /// Added to `connect-src`: the live stream's `ws(s)://` origin, when the public address
    /// is known (without it, `'self'` covers it in CSP Level 3 browsers).
    live: Option<String>,
}

impl Csp {
    /// The policy for a server at `public_url` (if configured) showing tiles from the URL
    /// template `tiles` (if configured).
    pub fn new(public_url: Option<&str>, tiles: Option<&str>) -> Csp {
        let origin = |url: &str| {
            let uri = url.parse::<axum::http::Uri>().ok()?;
            Some((uri.scheme_str()?.to_owned(), uri.authority()?.to_string()))
        };
        // A template's placeholders come after its host (checked at start), so the part
        // before them parses as a URL.
        let tiles = tiles.and_then(|t| origin(&t.replace(['{', '}'], ""))).map(|(s, a)| format!("{s}://{a}"));
        let live = public_url.and_then(origin).map(|(scheme, authority)| {
            format!("{}://{authority}", if scheme == "https" { "wss" } else { "ws" })
        });
        Csp { tiles, live }
    }

    /// The header for an answer whose inline scripts are `scripts` (none but a page's).
    pub fn header(&self, scripts: &[String]) -> HeaderValue {
        let tiles = self.tiles.as_deref().map(|t| format!(" {t}")).unwrap_or_default();
        let live = self.live.as_deref().map(|l| format!(" {l}")).unwrap_or_default();
        let hashes: String = scripts.iter().map(|hash| format!(" '{hash}'")).collect();
        let policy = format!(
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; object-src 'none'; \
             base-uri 'none'; frame-ancestors 'none'; img-src 'self' blob: data:{tiles}; \
             connect-src 'self'{live}{tiles}; worker-src 'self'; manifest-src 'self'"
        );
        HeaderValue::try_from(policy).expect("the policy is made of header-safe text")
    }
}

/// The CSP hash sources (`sha256-…`) of the inline scripts of `html` (those without `src`).
pub fn inline_script_hashes(html: &str) -> Vec<String> {
    let mut hashes = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let Some(tag_end) = rest[start..].find('>').map(|end| start + end + 1) else { break };
        let Some(close) = rest[tag_end..].find("</script>").map(|end| tag_end + end) else { break };
        if !rest[start..tag_end].contains("src=") {
            hashes.push(format!("sha256-{}", BASE64.encode(Sha256::digest(&rest[tag_end..close]))));
        }
        rest = &rest[close..];
    }
    hashes
}

/// `router` with the headers every answer carries; `csp` for answers that do not set their
/// own (pages set theirs with their scripts' hashes), HSTS when `https`.
pub fn secure(router: Router, csp: &Csp, https: bool) -> Router {
    let constant = |name: &'static str, value: &'static str| {
        SetResponseHeaderLayer::overriding(HeaderName::from_static(name), HeaderValue::from_static(value))
    };
    let router = router
        .layer(axum::middleware::from_fn(private_answers))
        .layer(SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, csp.header(&[])))
        .layer(constant("x-content-type-options", "nosniff"))
        .layer(constant("referrer-policy", "strict-origin-when-cross-origin"))
        .layer(constant("permissions-policy", "geolocation=(self), camera=(self), microphone=()"));
    match https {
        // A year, the usual; not for subdomains, which the city may serve otherwise.
        true => router.layer(constant("strict-transport-security", "max-age=31536000")),
        false => router,
    }
}

/// The API's answers: `Vary: Authorization`, and `no-store` unless the handler set how its
/// answer may be kept.
async fn private_answers(request: Request, next: Next) -> Response {
    let api = API_PREFIXES.iter().any(|prefix| request.uri().path().starts_with(prefix));
    let mut response = next.run(request).await;
    if api {
        let headers = response.headers_mut();
        headers.append(header::VARY, HeaderValue::from_static("authorization"));
        if !headers.contains_key(header::CACHE_CONTROL) {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_scripts_are_hashed_and_scripts_with_src_are_not() {
        let html = "<script src=\"/outbox.js\"></script>\n<script type=\"module\">\nimport init from '/a.js';\n</script>";
        let hash = BASE64.encode(Sha256::digest("\nimport init from '/a.js';\n"));
        assert_eq!(inline_script_hashes(html), [format!("sha256-{hash}")]);
        assert!(inline_script_hashes("<p>no script</p><script").is_empty());
    }

    #[test]
    fn the_policy_names_the_tile_server_and_the_live_stream() {
        let csp =
            Csp::new(Some("https://phananh.example.vn"), Some("https://tile.example.vn/{z}/{x}/{y}.png"));
        let header = csp.header(&["sha256-abc".to_owned()]);
        let header = header.to_str().unwrap();
        assert!(header.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-abc';"), "{header}");
        assert!(header.contains("img-src 'self' blob: data: https://tile.example.vn;"), "{header}");
        assert!(
            header.contains("connect-src 'self' wss://phananh.example.vn https://tile.example.vn;"),
            "{header}"
        );
        let plain = Csp::new(None, None).header(&[]);
        assert!(
            plain.to_str().unwrap().contains("img-src 'self' blob: data:; connect-src 'self';"),
            "{plain:?}"
        );
    }
}
