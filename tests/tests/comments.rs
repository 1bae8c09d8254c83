//! Residents' comments (issue 22, item 13): a resident types a phone number into a comment
//! without thinking of who reads it, so comments are for the report's reporter, its
//! followers and staff, not for anonymous readers, other residents or Open311.

use phananh_tests::{HOAN_KIEM, ResidentDevice, StaffClient, TestServer, report_at};
use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::json;

const COMMENT: &str = "Gọi tôi theo số 0987 654 321 nếu cần vào nhà xem.";

#[test]
fn comments_are_for_the_reporter_followers_and_staff_only() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), &[]);
    let officer = StaffClient::create(&server, data.path(), "hoankiem", "ward", Some("00070"));
    let other = StaffClient::create(&server, data.path(), "badinh", "ward", Some("00004"));
    let (reporter, follower, stranger) = (
        ResidentDevice::register(&server),
        ResidentDevice::register(&server),
        ResidentDevice::register(&server),
    );
    let report = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
    assert_eq!(reporter.file(&report).unwrap().status(), StatusCode::CREATED);
    let id = report["id"].as_str().unwrap();
    assert_eq!(follower.post(&format!("/api/v1/reports/{id}/follow"), &json!({})).status(), StatusCode::OK);
    let commented = reporter.post(&format!("/api/v1/reports/{id}/comments"), &json!({ "text": COMMENT }));
    assert_eq!(commented.status(), StatusCode::OK);

    let events = format!("/api/v1/reports/{id}/events");
    let shows = |response: reqwest::blocking::Response| {
        assert_eq!(response.status(), StatusCode::OK);
        response.text().unwrap().contains("0987 654 321")
    };
    assert!(shows(reporter.get(&events)), "the reporter");
    assert!(shows(follower.get(&events)), "a follower");
    assert!(shows(officer.get(&events)), "the ward's officer");
    assert!(shows(other.get(&events)), "another ward's officer: staff");
    assert!(!shows(stranger.get(&events)), "another resident");
    let http = Client::new();
    assert!(!shows(http.get(server.url(&events)).send().unwrap()), "an anonymous reader");
    for path in [format!("/api/v1/reports/{id}"), "/api/v1/reports?ward=00070".to_owned()] {
        assert!(!shows(http.get(server.url(&path)).send().unwrap()), "{path}");
    }
    for path in ["requests.json", "servicerequestupdates.json"] {
        let open311 = http.get(server.url(&format!("/open311/v2/{path}"))).send().unwrap();
        assert!(!shows(open311), "Open311 {path}");
    }
}
