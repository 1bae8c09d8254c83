//! Residents' comments (issue 22, item 13): a resident types a phone number into a comment
//! without thinking of who reads it, so comments are for the report's reporter, its
//! followers and staff, not for anonymous readers, other residents or Open311.

use phananh_shared::api::LiveMessage;
use phananh_tests::{HOAN_KIEM, LiveClient, ResidentDevice, StaffClient, TestServer, report_at};
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

/// A withdrawal's reason is the resident's own words too: the public sees that the report
/// was withdrawn, not why, in the timeline, on the live stream and in Open311.
#[test]
fn a_withdrawals_reason_is_for_the_reporter_and_staff_only() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), &[]);
    let officer = StaffClient::create(&server, data.path(), "hoankiem", "ward", Some("00070"));
    let reporter = ResidentDevice::register(&server);
    let report = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
    assert_eq!(reporter.file(&report).unwrap().status(), StatusCode::CREATED);
    let id = report["id"].as_str().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut public_stream = rt.block_on(LiveClient::open(&server, &format!("report:{id}"), "latest", None));
    let reason = format!("Đã tự xử lý. {COMMENT}");
    let cancelled = reporter.post(&format!("/api/v1/reports/{id}/cancel"), &json!({ "reason": reason }));
    assert_eq!(cancelled.status(), StatusCode::OK);

    let events = format!("/api/v1/reports/{id}/events");
    let timeline = |response: reqwest::blocking::Response| {
        assert_eq!(response.status(), StatusCode::OK);
        response.text().unwrap()
    };
    assert!(timeline(reporter.get(&events)).contains("0987 654 321"), "the reporter");
    assert!(timeline(officer.get(&events)).contains("0987 654 321"), "the ward's officer");
    let http = Client::new();
    let public = timeline(http.get(server.url(&events)).send().unwrap());
    assert!(
        public.contains("cancelled") && !public.contains("0987 654 321"),
        "an anonymous reader: {public}"
    );
    let live = loop {
        match rt.block_on(public_stream.next_within(std::time::Duration::from_secs(10))) {
            Some(message @ LiveMessage::Event(_)) => break serde_json::to_string(&message).unwrap(),
            Some(_) => continue,
            None => panic!("no withdrawal on the public live stream"),
        }
    };
    assert!(live.contains("cancelled") && !live.contains("0987 654 321"), "the public live stream: {live}");
    let updates = timeline(http.get(server.url("/open311/v2/servicerequestupdates.json")).send().unwrap());
    assert!(updates.contains("cancelled") && !updates.contains("0987 654 321"), "Open311: {updates}");
}
