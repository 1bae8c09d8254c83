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
    let out = run_server(&["seed-demo", "--reports", "150", "--data-dir", dir], "");
    let printed = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(printed.contains("150 reports") && printed.contains("thanhpho"), "{printed}");

    let server = TestServer::start_in(data.path(), &[]);
    let page: Value =
        Client::new().get(server.url("/api/v1/reports?limit=200")).send().unwrap().json().unwrap();
    let reports = page["reports"].as_array().unwrap();
    assert_eq!(reports.len(), 150);
    let statuses: BTreeSet<&str> = reports.iter().map(|r| r["status"].as_str().unwrap()).collect();
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
        assert!(statuses.contains(status), "no {status} report among {statuses:?}");
    }
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
/// refuses a span of none, naming the flag.
#[test]
fn seed_demo_spreads_its_reports_over_the_days_asked() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap();
    let refused = run_server(&["seed-demo", "--reports", "10", "--days", "0", "--data-dir", dir], "");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--days"), "names the flag");

    let out = run_server(&["seed-demo", "--reports", "60", "--days", "400", "--data-dir", dir], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("over the last 400 days"));
    let server = TestServer::start_in(data.path(), &[]);
    let page: Value =
        Client::new().get(server.url("/api/v1/reports?limit=200")).send().unwrap().json().unwrap();
    let received: Vec<chrono::DateTime<chrono::Utc>> = page["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["received_at"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(received.len(), 60);
    let now = chrono::Utc::now();
    let oldest = received.iter().min().unwrap();
    assert!(now - *oldest > chrono::TimeDelta::days(300), "the oldest is from {oldest}");
    assert!(received.iter().all(|at| now - *at <= chrono::TimeDelta::days(400)), "none before 400 days");
}
