//! Request limits over real HTTP: rate limits per device token and per client address (429
//! with the JSON error and `Retry-After`), the stricter limits on signing in and registering
//! devices, and the cap on JSON bodies (413). Each test starts a server of its own with the
//! limits it needs, so no test uses up another's buckets; limits the test must not see refill
//! are set to refill once in a thousand seconds.

use std::time::{Duration, Instant};

use phananh_tests::{HOAN_KIEM, ResidentDevice, TestServer, report_at};
use reqwest::StatusCode;
use reqwest::blocking::{Client, RequestBuilder, Response};
use serde_json::{Value, json};

/// One request per 1,000 s: no refill within a test.
const NO_REFILL: &str = "0.001";

/// The refusal of a request over a limit: its `Retry-After` seconds and its error body.
fn rate_limited(response: Response) -> (u64, Value) {
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("x-request-id"), "refusals are traced like any answer");
    let retry_after = response.headers()["retry-after"].to_str().unwrap().parse::<u64>().unwrap();
    let body: Value = response.json().expect("a JSON error");
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");
    assert_eq!(body["error"]["field"], Value::Null, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains(&format!("retry in {retry_after} s")), "{message}");
    assert!(retry_after >= 1, "{retry_after}");
    (retry_after, body)
}

fn send(request: RequestBuilder) -> Response {
    request.send().expect("the server answers")
}

#[test]
fn past_the_burst_an_address_gets_429_with_the_json_error_and_retry_after() {
    let server = TestServer::start_with(&["--rate-burst", "5", "--rate-per-second", NO_REFILL]);
    let client = Client::new();
    for n in 1..=5 {
        assert_eq!(send(client.get(server.url("/api/v1/wards"))).status(), StatusCode::OK, "request {n}");
    }
    let (retry_after, body) = rate_limited(send(client.get(server.url("/api/v1/wards"))));
    assert!(retry_after > 900, "one request per 1,000 s: {retry_after}");
    assert!(body["error"]["message"].as_str().unwrap().starts_with("too many requests"), "{body}");
    // Every route counts, unknown ones too: a scan meets the same limit.
    rate_limited(send(client.get(server.url("/no/such/path"))));
}

#[test]
fn one_device_over_its_limit_throttles_neither_another_device_nor_its_address() {
    let server = TestServer::start_with(&["--rate-burst", "5", "--rate-per-second", NO_REFILL]);
    // Two registrations: two of the address's five requests.
    let (first, second) = (ResidentDevice::register(&server), ResidentDevice::register(&server));
    for n in 1..=5 {
        assert_eq!(first.get("/api/v1/reports?limit=1").status(), StatusCode::OK, "request {n}");
    }
    let (_, body) = rate_limited(first.get("/api/v1/reports?limit=1"));
    assert!(body["error"]["message"].as_str().unwrap().contains("this device"), "{body}");
    assert_eq!(
        first.file(&report_at(HOAN_KIEM.0, HOAN_KIEM.1)).unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );

    let filed = second.file(&report_at(HOAN_KIEM.0, HOAN_KIEM.1)).unwrap();
    assert_eq!(filed.status(), StatusCode::CREATED, "another device on the same address is not throttled");
    let public = send(Client::new().get(server.url("/api/v1/reports?limit=1")));
    assert_eq!(public.status(), StatusCode::OK, "nor are requests without a token from that address");
}

#[test]
fn made_up_tokens_still_meet_the_limit_of_their_address() {
    let server = TestServer::start_with(&["--address-burst", "8", "--address-rate-per-second", NO_REFILL]);
    let client = Client::new();
    // A new token for every request: each gets a bucket of its own, but not a new address.
    let with_token =
        |n: usize| send(client.get(server.url("/api/v1/wards")).bearer_auth(format!("{n:064x}")));
    for n in 0..8 {
        assert_eq!(with_token(n).status(), StatusCode::OK, "request {n}");
    }
    let (_, body) = rate_limited(with_token(8));
    assert!(body["error"]["message"].as_str().unwrap().contains("this network address"), "{body}");
}

#[test]
fn sign_in_is_limited_more_strictly_than_other_calls_by_default() {
    let server = TestServer::start();
    let client = Client::new();
    // Each attempt names another account, so that only the address's limit is met (one
    // account's own back-off is tests/tests/proxy.rs's).
    let attempt = |n: u32| {
        send(
            client
                .post(server.url("/api/v1/staff/login"))
                .json(&json!({ "username": format!("khong-co-ai-{n}"), "password": "doan-mat-khau-sai" })),
        )
    };
    // Default: 10 at once, then one every 10 s: the 11th and 12th attempts, made in well
    // under 10 s, cannot both get through.
    for n in 1..=10 {
        assert_eq!(attempt(n).status(), StatusCode::UNAUTHORIZED, "attempt {n}");
    }
    let (eleventh, twelfth) = (attempt(11), attempt(12));
    let refused = if eleventh.status() == StatusCode::TOO_MANY_REQUESTS { eleventh } else { twelfth };
    let (retry_after, body) = rate_limited(refused);
    assert!((1..=10).contains(&retry_after), "one attempt every 10 s: {retry_after}");
    assert!(body["error"]["message"].as_str().unwrap().contains("sign-in attempts"), "{body}");

    // The same address's other calls go on (their burst is 60).
    for n in 1..=20 {
        assert_eq!(send(client.get(server.url("/api/v1/wards"))).status(), StatusCode::OK, "call {n}");
    }
}

#[test]
fn device_registration_is_limited_per_address() {
    let server = TestServer::start_with(&["--register-burst", "3", "--register-rate-per-minute", NO_REFILL]);
    let devices: Vec<ResidentDevice> = (0..3).map(|_| ResidentDevice::register(&server)).collect();
    let register = || send(Client::new().post(server.url("/api/v1/devices")).json(&json!({})));
    let (_, body) = rate_limited(register());
    assert!(body["error"]["message"].as_str().unwrap().contains("devices registered"), "{body}");
    // Registered devices carry on as before.
    assert_eq!(devices[2].file(&report_at(HOAN_KIEM.0, HOAN_KIEM.1)).unwrap().status(), StatusCode::CREATED);
}

#[test]
fn a_throttled_client_gets_through_again_within_retry_after() {
    // Two at once, then one every 50 ms.
    let server = TestServer::start_with(&["--rate-burst", "2", "--rate-per-second", "20"]);
    let client = Client::new();
    let wards = || send(client.get(server.url("/api/v1/wards")));
    let refused = loop {
        // Over the burst within a few requests (the loop also survives a slow machine
        // refilling the bucket between two of them).
        let response = wards();
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            break response;
        }
        assert_eq!(response.status(), StatusCode::OK);
    };
    let refused_at = Instant::now();
    let (retry_after, _) = rate_limited(refused);
    assert_eq!(retry_after, 1, "a 50 ms wait, rounded up to a whole second");
    // Refused requests use nothing up: polling finds the bucket refilled.
    let deadline = refused_at + Duration::from_secs(retry_after);
    loop {
        let status = wards().status();
        if status == StatusCode::OK {
            break;
        }
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert!(Instant::now() < deadline, "still refused after Retry-After ({retry_after} s)");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_json_body_over_64_kib_is_refused_with_413_and_normal_requests_go_on() {
    let server = TestServer::start();
    let device = ResidentDevice::register(&server);
    let client = Client::new();
    let mut oversize = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
    oversize["description"] = json!("Cống tắc. ".repeat(10 * 1024));
    assert!(serde_json::to_vec(&oversize).unwrap().len() > 100 * 1024);

    for request in [
        client.post(server.url("/api/v1/reports")).bearer_auth(&device.token).json(&oversize),
        client.post(server.url("/api/v1/devices")).json(&json!({ "name": "x".repeat(100 * 1024) })),
    ] {
        let response = send(request);
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let body: Value = response.json().expect("a JSON error");
        assert_eq!(body["error"]["code"], "too_large", "{body}");
        assert_eq!(body["error"]["field"], Value::Null, "the body as a whole: {body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("64 KiB"), "{body}");
    }

    // Just under the cap, the body is read and judged by its content.
    let mut long = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
    long["description"] = json!("x".repeat(60 * 1024));
    let response = device.file(&long).unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(response.json::<Value>().unwrap()["error"]["field"], "description");

    // Photo uploads keep their own, larger limit: 100 KB that is no image is judged by its bytes.
    let upload =
        client.post(server.url("/api/v1/photos")).bearer_auth(&device.token).body(vec![b'x'; 100 * 1024]);
    let response = send(upload);
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(response.json::<Value>().unwrap()["error"]["code"], "invalid_photo");

    let filed = device.file(&report_at(HOAN_KIEM.0, HOAN_KIEM.1)).unwrap();
    assert_eq!(filed.status(), StatusCode::CREATED, "a normal report after the refusals");
}

#[test]
fn limits_must_be_positive() {
    for (flag, value) in [
        ("--rate-burst", "0"),
        ("--rate-per-second", "0"),
        ("--login-rate-per-minute", "-1"),
        ("--address-rate-per-second", "inf"),
    ] {
        let data = tempfile::tempdir().unwrap();
        // Boundaries that do not exist: a server that took the value would still not start.
        let args = ["serve", "--addr", "127.0.0.1:0", "--wards", "/nonexistent/wards.geojson", "--data-dir"];
        let mut args: Vec<&str> = args.to_vec();
        let setting = format!("{flag}={value}");
        args.extend([data.path().to_str().unwrap(), &setting]);
        let out = phananh_tests::run_server(&args, "");
        assert_eq!(out.status.code(), Some(2), "{flag} {value}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.contains(flag), "{stderr}");
    }
}
