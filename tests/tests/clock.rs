//! The test clock (`serve --manual-clock`): only there when asked for, and never going back.

use phananh_tests::{HOAN_KIEM, ResidentDevice, TestServer, report_at};
use reqwest::StatusCode;
use serde_json::Value;

#[test]
fn a_server_in_service_has_no_test_clock() {
    let server = TestServer::start();
    assert_eq!(server.set_clock("2030-01-01T00:00:00Z").status(), StatusCode::NOT_FOUND);
}

#[test]
fn the_manual_clock_dates_what_happens_and_does_not_go_back() {
    let server = TestServer::start_with(&["--manual-clock", "2026-03-06T16:30:00+07:00"]);
    let resident = ResidentDevice::register(&server);
    let filed: Value = resident.file(&report_at(HOAN_KIEM.0, HOAN_KIEM.1)).unwrap().json().unwrap();
    assert_eq!(filed["received_at"], "2026-03-06T09:30:00Z");
    // Friday 16:30 in Hà Nội: acknowledged by Monday 16:30 (8 working hours).
    assert_eq!(filed["deadlines"]["acknowledge"], "2026-03-09T09:30:00Z");

    let back = server.set_clock("2026-03-06T16:29:00+07:00");
    assert_eq!(back.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(back.json::<Value>().unwrap()["error"]["field"], "now");
    let malformed = server.set_clock("next Monday");
    assert_eq!(malformed.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(server.set_clock("2026-03-09T08:00:00+07:00").status(), StatusCode::OK);
}
