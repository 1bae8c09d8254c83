//! The server serves the built web app beside the API: pages get `index.html` (the app's
//! router picks the screen, so a reload or a shared link works), the build's files are
//! cached, and the API's unknown paths stay JSON errors.

use phananh_tests::TestServer;
use reqwest::StatusCode;
use reqwest::blocking::get;
use reqwest::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, VARY};

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
    for path in ["/staff", "/staff/reports/01900000-0000-7000-8000-000000000001", "/staff/dossiers", "/city"]
    {
        assert!(page(path).contains("Cán bộ"), "{path}");
    }
    for path in ["/", "/mine", "/transparency", "/staffing"] {
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
