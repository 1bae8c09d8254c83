//! The server serves the built web app beside the API: pages get `index.html` (the app's
//! router picks the screen, so a reload or a shared link works), the build's hashed files are
//! cached for good and the installable app's own files (service worker, manifest, icons) are
//! asked for again, and the API's unknown paths stay JSON errors.

use phananh_tests::TestServer;
use reqwest::StatusCode;
use reqwest::blocking::get;
use reqwest::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, IF_MODIFIED_SINCE, LAST_MODIFIED, VARY,
};

/// A stand-in for trunk's output: an index page and one hashed script.
fn built_app() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), "<!DOCTYPE html><title>Phản ánh</title>").unwrap();
    std::fs::write(dir.path().join("phananh-app-0123abcd.js"), "export default 1;").unwrap();
    dir
}

fn header(response: &reqwest::blocking::Response, name: reqwest::header::HeaderName) -> String {
    response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

#[test]
fn pages_get_the_app_files_are_cached_and_the_api_keeps_its_errors() {
    let app = built_app();
    let server = TestServer::start_with(&["--app-dir", app.path().to_str().unwrap()]);
    for page in ["/", "/mine", "/reports/01900000-0000-7000-8000-000000000001", "/staff"] {
        let response = get(server.url(page)).unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{page}");
        assert!(header(&response, CONTENT_TYPE).starts_with("text/html"), "{page}");
        assert_eq!(header(&response, CACHE_CONTROL), "no-cache", "{page}: the page names the current build");
        assert!(response.text().unwrap().contains("Phản ánh"), "{page}");
    }
    let script = get(server.url("/phananh-app-0123abcd.js")).unwrap();
    assert_eq!(script.status(), StatusCode::OK);
    assert!(header(&script, CACHE_CONTROL).contains("immutable"));
    assert_eq!(get(server.url("/phananh-app-ffff.js")).unwrap().status(), StatusCode::NOT_FOUND);

    let unknown = get(server.url("/api/v1/nothing-here")).unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let body: serde_json::Value = unknown.json().unwrap();
    assert_eq!(body["error"]["code"], "not_found");
    // Path tricks do not leave the app's directory.
    assert_eq!(get(server.url("/..%2f..%2fetc%2fpasswd.txt")).unwrap().status(), StatusCode::NOT_FOUND);
}

/// The build's files go out in the compressed form the browser takes, made once by the build
/// (`make app` leaves `.br` and `.gz` beside each), and as they are to one that takes neither.
#[test]
fn a_browser_gets_the_builds_files_precompressed_in_the_form_it_takes() {
    let app = built_app();
    let script = app.path().join("phananh-app-0123abcd.js");
    std::fs::write(script.with_extension("js.br"), "brotli's bytes").unwrap();
    std::fs::write(script.with_extension("js.gz"), "zopfli's bytes").unwrap();
    let server = TestServer::start_with(&["--app-dir", app.path().to_str().unwrap()]);
    let http = reqwest::blocking::Client::builder().no_gzip().build().unwrap();
    for (accepts, encoding, body) in [
        ("gzip, deflate, br", "br", "brotli's bytes"),
        ("gzip", "gzip", "zopfli's bytes"),
        ("identity", "", "export default 1;"),
    ] {
        let response =
            http.get(server.url("/phananh-app-0123abcd.js")).header(ACCEPT_ENCODING, accepts).send().unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{accepts}");
        assert_eq!(header(&response, CONTENT_ENCODING), encoding, "{accepts}");
        assert!(header(&response, CONTENT_TYPE).starts_with("text/javascript"), "{accepts}");
        // A cache between keeps one copy per encoding, for a year.
        assert_eq!(header(&response, VARY).to_ascii_lowercase(), "accept-encoding", "{accepts}");
        assert!(header(&response, CACHE_CONTROL).contains("immutable"), "{accepts}");
        assert_eq!(response.text().unwrap(), body, "{accepts}");
    }
}

/// The staff's screens are a page of their own (`staff/` in the build): the staff's paths get
/// it, every other page path the resident's.
#[test]
fn the_staff_paths_get_the_staff_page() {
    let app = built_app();
    std::fs::create_dir(app.path().join("staff")).unwrap();
    std::fs::write(app.path().join("staff/index.html"), "<!DOCTYPE html><title>Cán bộ</title>").unwrap();
    std::fs::write(app.path().join("staff/phananh-staff-4567cdef.js"), "export default 2;").unwrap();
    let server = TestServer::start_with(&["--app-dir", app.path().to_str().unwrap()]);
    let page = |path: &str| get(server.url(path)).unwrap().text().unwrap();
    // The public's results page shares the city's figures, so it is in the staff's bundle.
    for path in [
        "/staff",
        "/staff/reports/01900000-0000-7000-8000-000000000001",
        "/staff/dossiers",
        "/city",
        "/transparency",
    ] {
        assert!(page(path).contains("Cán bộ"), "{path}");
    }
    for path in ["/", "/mine", "/nearby", "/staffing"] {
        assert!(page(path).contains("Phản ánh"), "{path}");
    }
    assert_eq!(page("/staff/phananh-staff-4567cdef.js"), "export default 2;");
}

#[test]
fn without_a_built_app_the_api_still_serves_and_says_so() {
    let empty = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(&["--app-dir", empty.path().to_str().unwrap()]);
    let home = get(server.url("/")).unwrap();
    assert_eq!(home.status(), StatusCode::NOT_FOUND);
    assert_eq!(get(server.url("/healthz")).unwrap().status(), StatusCode::OK);
    assert!(server.log().contains("the web app is not built"), "{}", server.log());
}

/// The desktop app's page has its own origin (`tauri://localhost`): the browser engine asks
/// before each cross-origin call with a bearer token, and the server must say yes.
#[test]
fn pages_from_another_origin_may_call_the_api_with_a_token() {
    let server = TestServer::start();
    let client = reqwest::blocking::Client::new();
    let preflight = client
        .request(reqwest::Method::OPTIONS, server.url("/api/v1/sync/push"))
        .header("origin", "tauri://localhost")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "authorization, content-type")
        .send()
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(header(&preflight, reqwest::header::ACCESS_CONTROL_ALLOW_ORIGIN), "*");
    let allowed = header(&preflight, reqwest::header::ACCESS_CONTROL_ALLOW_HEADERS).to_lowercase();
    assert!(allowed.contains("authorization") && allowed.contains("content-type"), "{allowed}");
    assert!(header(&preflight, reqwest::header::ACCESS_CONTROL_ALLOW_METHODS).contains("POST"));
    // No cookie is ever a credential, so credentials are not allowed across origins.
    assert!(preflight.headers().get(reqwest::header::ACCESS_CONTROL_ALLOW_CREDENTIALS).is_none());

    let wards = client.get(server.url("/api/v1/wards")).header("origin", "tauri://localhost").send().unwrap();
    assert_eq!(wards.status(), StatusCode::OK);
    assert_eq!(header(&wards, reqwest::header::ACCESS_CONTROL_ALLOW_ORIGIN), "*");
}

/// The installable app as a build leaves it: trunk's hashed files, and the files that keep
/// their names from build to build (the service worker, the outbox script it imports, the
/// manifest, the icons).
fn installable_app() -> tempfile::TempDir {
    let app = built_app();
    let files: [(&str, &[u8]); 8] = [
        ("sw.js", b"self.addEventListener('install', () => self.skipWaiting());"),
        ("outbox.js", b"export const OUTBOX = 'outbox';"),
        (
            "manifest.webmanifest",
            r#"{"name":"Phản ánh Hà Nội","start_url":"/","display":"standalone"}"#.as_bytes(),
        ),
        ("icons/icon-192.png", b"\x89PNG\r\n\x1a\n"),
        ("icons/icon.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
        ("phananh-app-8d7c9c3a1f2b4e5d_bg.wasm", b"\0asm\x01\0\0\0"),
        ("phananh-app-8d7c9c3a1f2b4e5d.js", b"export default 3;"),
        ("style-0123abcd.css", b"body { margin: 0 }"),
    ];
    std::fs::create_dir(app.path().join("icons")).unwrap();
    for (name, bytes) in files {
        std::fs::write(app.path().join(name), bytes).unwrap();
    }
    app
}

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// A file whose name a new build keeps must not be cached for a year, or a phone would run
/// last year's service worker and manifest; trunk's hashed files are new names in each build
/// and stay cached for good. Each goes out with the type a browser uses it by (a service
/// worker script that is not JavaScript is refused at registration).
#[test]
fn the_installable_apps_own_files_are_revalidated_and_only_hashed_files_are_immutable() {
    let app = installable_app();
    let server = TestServer::start_with(&["--app-dir", app.path().to_str().unwrap()]);
    for (path, content_type, cache) in [
        ("/sw.js", "text/javascript", "no-cache"),
        ("/outbox.js", "text/javascript", "no-cache"),
        ("/manifest.webmanifest", "application/manifest+json", "no-cache"),
        ("/icons/icon-192.png", "image/png", "no-cache"),
        ("/icons/icon.svg", "image/svg+xml", "no-cache"),
        ("/index.html", "text/html", "no-cache"),
        ("/phananh-app-8d7c9c3a1f2b4e5d_bg.wasm", "application/wasm", IMMUTABLE),
        ("/phananh-app-8d7c9c3a1f2b4e5d.js", "text/javascript", IMMUTABLE),
        ("/style-0123abcd.css", "text/css", IMMUTABLE),
    ] {
        let response = get(server.url(path)).unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(
            header(&response, CONTENT_TYPE).starts_with(content_type),
            "{path}: {:?}",
            response.headers()
        );
        assert_eq!(header(&response, CACHE_CONTROL), cache, "{path}");
        // No scope header: the worker's scope is `/`, where its script is.
        assert!(response.headers().get("service-worker-allowed").is_none(), "{path}");
        let on_disk = std::fs::read(app.path().join(&path[1..])).unwrap();
        assert_eq!(response.bytes().unwrap(), on_disk, "{path}");
    }
    // A hashed name that is not there (yet) is not cached for good either.
    let missing = get(server.url("/phananh-app-00000000deadbeef.js")).unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(header(&missing, CACHE_CONTROL), "no-cache");
}

/// `no-cache` costs a phone a short question, not the file: the worker is sent again only
/// when a new build has changed it, and then the phone gets the new one at once.
#[test]
fn a_revalidated_service_worker_is_sent_again_only_when_a_new_build_changed_it() {
    let app = installable_app();
    let server = TestServer::start_with(&["--app-dir", app.path().to_str().unwrap()]);
    let http = reqwest::blocking::Client::new();
    let first = http.get(server.url("/sw.js")).send().unwrap();
    let last_modified = header(&first, LAST_MODIFIED);
    assert!(!last_modified.is_empty(), "{:?}", first.headers());
    let again = http.get(server.url("/sw.js")).header(IF_MODIFIED_SINCE, &last_modified).send().unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header(&again, CACHE_CONTROL), "no-cache");

    // A new build: another worker, written later.
    let worker = app.path().join("sw.js");
    std::fs::write(&worker, "// build 2").unwrap();
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(10);
    std::fs::File::options().write(true).open(&worker).unwrap().set_modified(later).unwrap();
    let updated = http.get(server.url("/sw.js")).header(IF_MODIFIED_SINCE, &last_modified).send().unwrap();
    assert_eq!(updated.status(), StatusCode::OK);
    assert_eq!(header(&updated, CACHE_CONTROL), "no-cache");
    assert_eq!(updated.text().unwrap(), "// build 2");
}
