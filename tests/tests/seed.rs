//! `phananh-server seed-demo`: a database to try the screens on, with every status and the
//! printed demo accounts working.

use std::collections::BTreeSet;

use phananh_tests::{TestServer, run_server};
use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::{Value, json};

#[test]
fn seed_demo_fills_every_status_over_sixty_days_and_its_accounts_sign_in() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap();
    let out = run_server(&["seed-demo", "--reports", "400", "--data-dir", dir], "");
    let printed = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(printed.contains("400 reports") && printed.contains("thanhpho"), "{printed}");

    let server = TestServer::start_in(data.path(), &[]);
    for status in [
        "submitted",
        "acknowledged",
        "in_progress",
        "resolved",
        "closed",
        "rejected",
        "duplicate",
        "reopened",
    ] {
        assert_eq!(listed(&server, &format!("status={status}&limit=1")).len(), 1, "no {status} report");
    }
    let reports = listed(&server, "limit=200");
    assert_eq!(reports.len(), 200);
    let times: Vec<&str> = reports.iter().map(|r| r["received_at"].as_str().unwrap()).collect();
    let (newest, oldest) = (times.first().unwrap(), times.last().unwrap());
    assert!(oldest[..10] < newest[..10], "spread over days: {oldest} .. {newest}");
    let wards: BTreeSet<&str> = reports.iter().map(|r| r["ward"]["code"].as_str().unwrap()).collect();
    assert!(wards.len() > 50, "spread over the city: {} wards", wards.len());

    for username in ["thanhpho", "p00070"] {
        let login = Client::new()
            .post(server.url("/api/v1/staff/login"))
            .json(&json!({ "username": username, "password": "demo-phananh-2025" }))
            .send()
            .unwrap();
        assert_eq!(login.status(), StatusCode::OK, "{username}");
    }
}

/// A long history at a city's pace: `--days` spreads the reports over that many days, and
/// refuses a span of none, naming the flag. The wards keep up, reopened reports included: what
/// is still open is the last weeks' work, so a longer history adds closed reports, not backlog
/// (the dashboard benchmark's curve over history depends on it).
#[test]
fn seed_demo_spreads_its_reports_over_the_days_asked_and_leaves_only_recent_ones_open() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap();
    let refused = run_server(&["seed-demo", "--reports", "10", "--days", "0", "--data-dir", dir], "");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--days"), "names the flag");

    let out = run_server(&["seed-demo", "--reports", "200", "--days", "400", "--data-dir", dir], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("over the last 400 days"));
    let server = TestServer::start_in(data.path(), &[]);
    let received = |query: &str| -> Vec<chrono::DateTime<chrono::Utc>> {
        let reports = listed(&server, query);
        reports.iter().map(|r| r["received_at"].as_str().unwrap().parse().unwrap()).collect()
    };
    let all = received("limit=200");
    assert_eq!(all.len(), 200);
    let now = chrono::Utc::now();
    let oldest = all.iter().min().unwrap();
    assert!(now - *oldest > chrono::TimeDelta::days(300), "the oldest is from {oldest}");
    assert!(all.iter().all(|at| now - *at <= chrono::TimeDelta::days(400)), "none before 400 days");

    let open = received("status=submitted,acknowledged,in_progress,reopened&limit=200");
    assert!(!open.is_empty(), "the last days' reports are still being handled");
    let oldest_open = open.iter().min().unwrap();
    assert!(now - *oldest_open < chrono::TimeDelta::days(60), "an open report from {oldest_open}");
}

/// The public list's reports for `query` (`GET /api/v1/reports?{query}`).
fn listed(server: &TestServer, query: &str) -> Vec<Value> {
    let page: Value =
        Client::new().get(server.url(&format!("/api/v1/reports?{query}"))).send().unwrap().json().unwrap();
    page["reports"].as_array().unwrap().clone()
}
