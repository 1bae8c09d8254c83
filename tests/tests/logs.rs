//! Structured logs: with `--log-format json` every request is logged as one JSON line that
//! carries its request id, method, path, status and latency.

use std::time::{Duration, Instant};

use phananh_tests::TestServer;
use reqwest::blocking::Client;
use serde_json::Value;

#[test]
fn a_request_is_logged_as_json_with_its_request_id() {
    let server = TestServer::start_with(&["--log-format", "json"]);
    let response = Client::new()
        .get(server.url("/api/v1/wards"))
        .header("x-request-id", "trace-me-4711")
        .send()
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "trace-me-4711", "the id the client sent comes back");
    let deadline = Instant::now() + Duration::from_secs(10);
    let line = loop {
        let log = server.log();
        if let Some(line) =
            log.lines().find(|l| l.contains("trace-me-4711") && l.contains("finished processing request"))
        {
            break line.to_owned();
        }
        assert!(Instant::now() < deadline, "no JSON log line for the request:\n{log}");
        // Poll the log file until the line appears or the deadline passes.
        std::thread::sleep(Duration::from_millis(10));
    };
    let entry: Value = serde_json::from_str(&line).expect("one JSON object per line");
    assert_eq!(entry["span"]["request_id"], "trace-me-4711");
    assert_eq!(entry["span"]["method"], "GET");
    assert_eq!(entry["span"]["path"], "/api/v1/wards");
    assert_eq!(entry["fields"]["status"], 200);
    assert!(entry["fields"]["latency"].is_string() || entry["fields"]["latency"].is_number(), "{entry}");
}
