//! What each fuzz target does with an input, and what must hold whatever the input is.
//!
//! The request targets send the input, as the body of a real request, through the server's
//! own router (built by `phananh_server::serve::app`, on a temporary database, with the Hà
//! Nội boundaries) in this process, so that libFuzzer sees the server's code it reaches. For
//! every input:
//!
//! - the answer is never a 5xx, and a refusal is a 4xx with an error a client can read;
//! - what was accepted can be read back (a filed report is there);
//! - a sync batch sent twice is answered the same and applied once.
//!
//! The boundary target imports the input as a ward boundary file: it may be refused, but
//! never panics, and an index it builds answers lookups. A panic or a failed check is the
//! fuzzer's crash. `make fuzz` runs each target for a bounded time; the inputs in
//! `fuzz/seeds` and `fuzz/regressions` are replayed by this crate's tests.

use std::net::SocketAddr;
use std::sync::OnceLock;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode, header};
use clap::Parser;
use phananh_server::cli::{Cli, Command};
use phananh_shared::wards::{Validity, WardIndex};
use serde_json::Value;
use tower::ServiceExt;

/// A fuzz target: its name is its binary's under `fuzz_targets/` and its folder's in `seeds/`
/// and `regressions/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `POST /api/v1/reports` with a JSON body.
    ReportJson,
    /// `POST /api/v1/reports` with a `multipart/form-data` body (the report and its photos).
    ReportForm,
    /// `POST /open311/v2/requests.json`, a form with a valid API key and then the input.
    Open311Form,
    /// `POST /api/v1/sync/push`, a device's batch of operations.
    SyncPush,
    /// A ward boundary file, as `serve --wards` imports it.
    WardsGeojson,
}

/// Whether an input was accepted (filed, applied, imported) or refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    Yes,
    No,
}

impl From<bool> for Accepted {
    fn from(accepted: bool) -> Accepted {
        if accepted { Accepted::Yes } else { Accepted::No }
    }
}

/// The multipart boundary the form target's content type names.
pub const BOUNDARY: &str = "phananh-fuzz";

impl Target {
    pub const ALL: [Target; 5] =
        [Target::ReportJson, Target::ReportForm, Target::Open311Form, Target::SyncPush, Target::WardsGeojson];

    pub fn name(self) -> &'static str {
        match self {
            Target::ReportJson => "report_json",
            Target::ReportForm => "report_form",
            Target::Open311Form => "open311_form",
            Target::SyncPush => "sync_push",
            Target::WardsGeojson => "wards_geojson",
        }
    }

    /// Runs `input` through the target and tells whether it was accepted; panics if anything
    /// that must hold does not.
    pub fn check(self, input: &[u8]) -> Accepted {
        let server = Server::get();
        match self {
            Target::ReportJson => server.file_report("application/json", input),
            Target::ReportForm => {
                server.file_report(&format!("multipart/form-data; boundary={BOUNDARY}"), input)
            }
            Target::Open311Form => server.file_open311(input),
            Target::SyncPush => server.push(input),
            Target::WardsGeojson => import_wards(input),
        }
    }
}

/// Imports `input` as a boundary file; an index it builds must answer lookups everywhere in
/// and around its bounds.
fn import_wards(input: &[u8]) -> Accepted {
    let Ok(text) = std::str::from_utf8(input) else { return Accepted::No };
    let from = chrono::NaiveDate::from_ymd_opt(2025, 7, 1).expect("a date");
    let Ok(index) = WardIndex::from_geojson(text, Validity::since(from)) else { return Accepted::No };
    let bounds = index.bounds();
    let (min, max) = (bounds.min(), bounds.max());
    for step in 0..=4 {
        let t = f64::from(step) / 4.0;
        let (lon, lat) = (min.x + (max.x - min.x) * t, min.y + (max.y - min.y) * t);
        if let Some(located) = index.locate(lon, lat) {
            assert!(index.ward(&located.ward.code).is_some(), "a located ward is one of the index's");
        }
    }
    Accepted::Yes
}

/// One server for the whole fuzzing process, on a temporary data directory, with a
/// registered device and an Open311 API key.
struct Server {
    runtime: tokio::runtime::Runtime,
    router: Router,
    device_token: String,
    api_key: String,
    _data: tempfile::TempDir,
}

/// Every rate limit out of the way: the fuzzer sends thousands of requests a second from one
/// device and address, and a 429 would stop it from reaching anything else. The sync target's
/// dossier tracking has a limit of its own.
const NO_TRACKING_LIMIT: [&str; 4] = ["--track-rate-per-hour", "1000000", "--track-burst", "1000000"];

impl Server {
    fn get() -> &'static Server {
        static SERVER: OnceLock<Server> = OnceLock::new();
        SERVER.get_or_init(Server::start)
    }

    fn start() -> Server {
        let data = tempfile::tempdir().expect("a temporary directory");
        let data_dir = data.path().to_str().expect("a UTF-8 path");
        let limits = phananh_tests::NO_RATE_LIMITS.iter().copied().chain(NO_TRACKING_LIMIT);
        let cli =
            Cli::parse_from(["phananh-server", "serve", "--data-dir", data_dir].into_iter().chain(limits));
        let Command::Serve(args) = cli.command else { unreachable!("parsed as serve") };
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        let (router, api_key) = runtime.block_on(async {
            let store =
                phananh_server::store::Store::open_in(&args.data.data_dir).expect("the database opens");
            let key = phananh_server::open311::clients::create(&store, "fuzz").await.expect("a key");
            (phananh_server::serve::app(&args).await.expect("the server starts"), key)
        });
        let mut server = Server { runtime, router, device_token: String::new(), api_key, _data: data };
        let (status, device) =
            server.send(Method::POST, "/api/v1/devices", "application/json", b"{}".to_vec());
        assert_eq!(status, StatusCode::CREATED, "a device registers");
        server.device_token = device["token"].as_str().expect("a token").to_owned();
        server
    }

    /// Sends a request as the device and returns its answer, checked to be no 5xx and, if a
    /// 4xx, to carry a readable error.
    fn send(&self, method: Method, path: &str, content_type: &str, body: Vec<u8>) -> (StatusCode, Value) {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            // As every HTTP/1.1 client sends it: Open311 builds its links only for a known host.
            .header(header::HOST, "localhost")
            .header(header::CONTENT_TYPE, content_type)
            .header(header::AUTHORIZATION, format!("Bearer {}", self.device_token))
            .body(Body::from(body))
            .expect("a request");
        request.extensions_mut().insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 50_000))));
        let (status, bytes) = self.runtime.block_on(async {
            let response = self.router.clone().oneshot(request).await.expect("the router is infallible");
            let status = response.status();
            let bytes =
                axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("the body is read");
            (status, bytes)
        });
        let text = String::from_utf8_lossy(&bytes);
        assert!(!status.is_server_error(), "{path}: {status} {text}");
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if status.is_client_error() {
            let readable = body["error"]["message"].is_string() || body[0]["description"].is_string();
            assert!(readable, "{path}: {status} without a readable error: {text}");
        }
        (status, body)
    }

    fn get_json(&self, path: &str) -> (StatusCode, Value) {
        self.send(Method::GET, path, "application/json", Vec::new())
    }

    /// Files a report; one that is filed is there to read.
    fn file_report(&self, content_type: &str, input: &[u8]) -> Accepted {
        let (status, report) = self.send(Method::POST, "/api/v1/reports", content_type, input.to_vec());
        if status.is_success() {
            self.report_is_there(&report);
        }
        status.is_success().into()
    }

    fn report_is_there(&self, report: &Value) {
        let id = report["id"].as_str().expect("an accepted report has its id");
        let (status, stored) = self.get_json(&format!("/api/v1/reports/{id}"));
        assert_eq!(status, StatusCode::OK, "accepted report {id} can be read");
        assert_eq!(stored["description"], report["description"], "report {id} is kept as accepted");
    }

    fn file_open311(&self, input: &[u8]) -> Accepted {
        let mut form = format!("api_key={}&", self.api_key).into_bytes();
        form.extend_from_slice(input);
        let path = "/open311/v2/requests.json";
        let (status, answer) = self.send(Method::POST, path, "application/x-www-form-urlencoded", form);
        if status.is_success() {
            let id = answer[0]["service_request_id"].as_str().expect("a filed request has its id");
            let (status, _) = self.get_json(&format!("/open311/v2/requests/{id}.json"));
            assert_eq!(status, StatusCode::OK, "filed request {id} can be read");
        }
        status.is_success().into()
    }

    /// Pushes a batch twice: the same answer both times, and each accepted report is there.
    fn push(&self, input: &[u8]) -> Accepted {
        let push = || self.send(Method::POST, "/api/v1/sync/push", "application/json", input.to_vec());
        let (status, first) = push();
        let (again, second) = push();
        assert_eq!(status, again, "a batch sent again is answered the same");
        if !status.is_success() {
            return Accepted::No;
        }
        let outcomes = |answer: &Value| -> Vec<(Value, Value)> {
            let results = answer["results"].as_array().expect("results");
            results.iter().map(|r| (r["id"].clone(), r["outcome"].clone())).collect()
        };
        assert_eq!(outcomes(&first), outcomes(&second), "a batch sent again is answered the same");
        for result in first["results"].as_array().expect("results") {
            if result["outcome"] == "accepted" {
                self.report_is_there(&result["report"]);
            }
        }
        first["results"].as_array().expect("results").iter().any(|r| r["outcome"] != "refused").into()
    }
}
