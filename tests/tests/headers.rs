//! Headers on every answer (issue 22, item 10), links built only for known hosts (item 12),
//! and a path that is not UTF-8 answered in the API's error shape (item 14).

use phananh_tests::phone_photo::phone_jpeg;
use phananh_tests::{HOAN_KIEM, ResidentDevice, StaffClient, TestServer, create_api_key, report_at};
use reqwest::StatusCode;
use reqwest::blocking::{Client, RequestBuilder, Response};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

/// The headers every answer carries, whatever it is.
fn assert_secured(what: &str, headers: &HeaderMap) {
    let header = |name: &str| {
        headers.get(name).unwrap_or_else(|| panic!("{what}: no {name}")).to_str().unwrap().to_owned()
    };
    let csp = header("content-security-policy");
    for directive in [
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "img-src 'self' blob: data:",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
    ] {
        assert!(csp.contains(directive), "{what}: {directive} not in {csp}");
    }
    assert_eq!(header("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(header("referrer-policy"), "strict-origin-when-cross-origin", "{what}");
    assert_eq!(header("permissions-policy"), "geolocation=(self), camera=(self), microphone=()", "{what}");
}

/// An answer that depends on who asks: kept by no cache, and never given to another asker.
fn assert_private(what: &str, headers: &HeaderMap) {
    assert_eq!(headers["cache-control"], "no-store", "{what}");
    let vary: Vec<String> =
        headers.get_all("vary").iter().map(|v| v.to_str().unwrap().to_ascii_lowercase()).collect();
    assert!(vary.iter().any(|v| v.contains("authorization")), "{what}: Vary {vary:?}");
}

#[test]
fn every_answer_carries_the_security_headers_and_private_ones_are_not_cached() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), &[]);
    let officer = StaffClient::create(&server, data.path(), "hoankiem", "ward", Some("00070"));
    let resident = ResidentDevice::register(&server);
    let report = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
    assert_eq!(resident.file(&report).unwrap().status(), StatusCode::CREATED);
    let id = report["id"].as_str().unwrap();
    let http = Client::new();
    let url = |path: &str| server.url(path);
    let as_resident = |request: RequestBuilder| request.bearer_auth(&resident.token);
    let as_officer = |request: RequestBuilder| request.bearer_auth(&officer.token);

    // (what, request, status, whether the answer depends on who asks)
    let table: Vec<(&str, RequestBuilder, StatusCode, bool)> = vec![
        ("health", http.get(url("/healthz")), StatusCode::OK, false),
        ("wards", http.get(url("/api/v1/wards")), StatusCode::OK, false),
        ("report, public", http.get(url(&format!("/api/v1/reports/{id}"))), StatusCode::OK, true),
        (
            "report, reporter",
            as_resident(http.get(url(&format!("/api/v1/reports/{id}")))),
            StatusCode::OK,
            true,
        ),
        (
            "report, officer",
            as_officer(http.get(url(&format!("/api/v1/reports/{id}")))),
            StatusCode::OK,
            true,
        ),
        (
            "timeline",
            as_officer(http.get(url(&format!("/api/v1/reports/{id}/events")))),
            StatusCode::OK,
            true,
        ),
        ("report list", http.get(url("/api/v1/reports?ward=00070")), StatusCode::OK, true),
        ("sync pull", as_resident(http.get(url("/api/v1/sync/pull"))), StatusCode::OK, true),
        ("staff me", as_officer(http.get(url("/api/v1/staff/me"))), StatusCode::OK, true),
        ("dossier desk", as_officer(http.get(url("/api/v1/dossiers?ward=00070"))), StatusCode::OK, true),
        ("dashboard", as_officer(http.get(url("/api/v1/dashboard?ward=00070"))), StatusCode::OK, true),
        ("tracked dossiers", as_resident(http.get(url("/api/v1/dossiers/tracked"))), StatusCode::OK, true),
        ("no token", http.get(url("/api/v1/sync/pull")), StatusCode::UNAUTHORIZED, true),
        (
            "no such report",
            http.get(url(&format!("/api/v1/reports/{}", uuid::Uuid::now_v7()))),
            StatusCode::NOT_FOUND,
            true,
        ),
        ("no route", http.get(url("/api/v1/nowhere")), StatusCode::NOT_FOUND, true),
        ("wrong method", http.delete(url("/api/v1/wards")), StatusCode::METHOD_NOT_ALLOWED, true),
        (
            "bad JSON",
            http.post(url("/api/v1/devices")).header("content-type", "application/json").body("{"),
            StatusCode::BAD_REQUEST,
            true,
        ),
        ("Open311 XML", http.get(url("/open311/v2/requests.xml")), StatusCode::OK, true),
        ("Open311 error", http.get(url("/open311/v2/nothing.xml")), StatusCode::NOT_FOUND, true),
        ("resident's page", http.get(url("/")), StatusCode::OK, false),
        ("staff's page", http.get(url("/staff")), StatusCode::OK, false),
        ("service worker", http.get(url("/sw.js")), StatusCode::OK, false),
        ("manifest", http.get(url("/manifest.webmanifest")), StatusCode::OK, false),
        ("missing file", http.get(url("/missing.js")), StatusCode::NOT_FOUND, false),
    ];
    for (what, request, status, private) in table {
        let response = request.send().unwrap();
        assert_eq!(response.status(), status, "{what}");
        assert_secured(what, response.headers());
        assert!(response.headers().get("strict-transport-security").is_none(), "{what}: no HSTS over http");
        if private {
            assert_private(what, response.headers());
        }
    }
    // Pages let their own inline script run (trunk's starter), by its hash.
    let page = http.get(url("/")).send().unwrap();
    assert!(page.headers()["content-security-policy"].to_str().unwrap().contains("'sha256-"));
    // A rate limit's refusal too.
    let limited = TestServer::start_with(&["--rate-burst", "1", "--rate-per-second", "0.001"]);
    let answers: Vec<Response> =
        (0..2).map(|_| http.get(limited.url("/api/v1/wards")).send().unwrap()).collect();
    assert_eq!(answers[1].status(), StatusCode::TOO_MANY_REQUESTS);
    assert_secured("429", answers[1].headers());
    assert_private("429", answers[1].headers());
}

#[test]
fn https_public_addresses_get_hsts_and_their_live_stream_in_the_policy() {
    let tiles = ["--map-tiles", "https://tile.example.vn/{z}/{x}/{y}.png", "--map-attribution", "© OSM"];
    let server =
        TestServer::start_with(&[&["--public-url", "https://phananh.example.vn"][..], &tiles].concat());
    for path in ["/healthz", "/", "/api/v1/config"] {
        let response = Client::new().get(server.url(path)).send().unwrap();
        assert_eq!(response.headers()["strict-transport-security"], "max-age=31536000", "{path}");
        let csp = response.headers()["content-security-policy"].to_str().unwrap().to_owned();
        assert!(csp.contains("connect-src 'self' wss://phananh.example.vn https://tile.example.vn"), "{csp}");
        assert!(csp.contains("img-src 'self' blob: data: https://tile.example.vn"), "{csp}");
    }
}

#[test]
fn links_are_built_only_for_loopback_allowed_hosts_or_the_public_url() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), &["--allowed-host", "phananh.lan"]);
    let key = create_api_key(data.path(), "Ứng dụng thử nghiệm");
    let http = Client::new();
    let resident = ResidentDevice::register(&server);
    let mut report = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
    let photo = resident.upload_photo(phone_jpeg(64, 48, 90));
    assert_eq!(photo.status(), StatusCode::CREATED);
    report["photos"] = json!([photo.json::<Value>().unwrap()["id"]]);
    assert_eq!(resident.file(&report).unwrap().status(), StatusCode::CREATED);
    let id = report["id"].as_str().unwrap();
    let form = [
        ("api_key", key.as_str()),
        ("service_code", "noise"),
        ("lat", "21.0288"),
        ("long", "105.8525"),
        ("description", "Quán karaoke hát to sau 23 giờ."),
    ];

    let paths = [
        "discovery.json",
        "requests.json",
        "requests.xml",
        &format!("requests/{id}.json"),
        "servicerequestupdates.json",
    ];
    for host in ["evil.example", "evil.example:8080", "phananh.lan.evil.example"] {
        let ask = |request: RequestBuilder| request.header("host", host).send().unwrap();
        for path in paths {
            let answer = ask(http.get(server.url(&format!("/open311/v2/{path}"))));
            assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "{host} {path}");
            let text = answer.text().unwrap();
            assert!(!text.contains("evil"), "{host} {path}: {text}");
            assert!(text.contains("--public-url"), "{text}");
        }
        for path in ["/api/v1/reports?ward=00070", &format!("/api/v1/reports/{id}"), "/api/v1/config", "/"] {
            let text = ask(http.get(server.url(path))).text().unwrap();
            assert!(!text.contains("evil"), "{host} {path}");
        }
        let filed = ask(http.post(server.url("/open311/v2/requests.json")).form(&form));
        assert_eq!(filed.status(), StatusCode::CREATED, "filing builds no link");
        assert!(!filed.text().unwrap().contains("evil"));
    }
    // Loopback, and the allowed host (with its port), get their links.
    for (host, base) in
        [(None, server.url("")), (Some("phananh.lan:8080"), "http://phananh.lan:8080".to_owned())]
    {
        let mut request = http.get(server.url(&format!("/open311/v2/requests/{id}.json")));
        if let Some(host) = host {
            request = request.header("host", host);
        }
        let found: Value = request.send().unwrap().json().unwrap();
        let media = found[0]["media_url"].as_str().unwrap();
        assert!(media.starts_with(&format!("{base}/api/v1/photos/")), "{media}");
    }
}

#[test]
fn a_path_that_is_not_utf8_is_refused_in_the_api_error_shape() {
    let server = TestServer::start();
    for path in ["/api/v1/reports/%FF", "/api/v1/reports/%C3%28/events", "/api/v1/photos/%80"] {
        let answer = Client::new().get(server.url(path)).send().unwrap();
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "{path}");
        assert!(answer.headers()["content-type"].to_str().unwrap().starts_with("application/json"), "{path}");
        let body: Value = answer.json().unwrap();
        assert_eq!(body["error"]["code"], "bad_path", "{path}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("UTF-8"), "{body}");
    }
}
