//! Issue 23: a resident moves "Mine" to another device without an account, with a one-time
//! code shown on the old device and typed on the new one.

use phananh_tests::{HOAN_KIEM, ResidentDevice, TestServer, report_at};
use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::{Value, json};

fn claim(server: &TestServer, code: &str) -> (StatusCode, Value) {
    let response =
        Client::new().post(server.url("/api/v1/devices/claim")).json(&json!({ "code": code })).send();
    let response = response.expect("the server answers");
    (response.status(), response.json().expect("JSON"))
}

#[test]
fn a_transfer_code_moves_the_devices_reports_to_the_device_it_is_typed_on_once() {
    let server = TestServer::start_with(&["--manual-clock", "2026-03-09T09:00:00+07:00"]);
    let old = ResidentDevice::register(&server);
    let mine = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
    assert_eq!(old.file(&mine).expect("the server answers").status(), StatusCode::CREATED);
    let neighbour = ResidentDevice::register(&server);
    let theirs = report_at(HOAN_KIEM.0 + 0.001, HOAN_KIEM.1);
    assert_eq!(neighbour.file(&theirs).expect("the server answers").status(), StatusCode::CREATED);
    let me_too = old.post(&format!("/api/v1/reports/{}/follow", theirs["id"].as_str().unwrap()), &json!({}));
    assert!(me_too.status().is_success(), "{}", me_too.status());

    // The old phone shows a code, readable aloud, for ten minutes.
    let shown = old.post("/api/v1/devices/transfer", &json!({}));
    assert_eq!(shown.status(), StatusCode::CREATED);
    assert_eq!(shown.headers()["cache-control"], "no-store");
    let shown: Value = shown.json().expect("JSON");
    let code = shown["code"].as_str().expect("a code").to_owned();
    assert!(code.len() == 9 && code.as_bytes()[4] == b'-', "ABCD-EFGH: {code}");
    assert_eq!(shown["expires_at"], "2026-03-09T02:10:00Z");

    // The new phone types it as it reads it (small letters, no dash) and becomes that device.
    let (status, claimed) = claim(&server, &code.replace('-', "").to_lowercase());
    assert_eq!(status, StatusCode::OK, "{claimed}");
    assert_eq!(claimed["device"]["device_id"].as_str(), Some(old.id.as_str()));
    assert_eq!(claimed["filed"], json!([mine["id"]]));
    assert_eq!(claimed["following"], json!([theirs["id"]]));
    let new =
        ResidentDevice::with_token(&server, &old.id, claimed["device"]["token"].as_str().expect("a token"));
    let path = format!("/api/v1/reports/{}", mine["id"].as_str().unwrap());
    let full: Value = new.get(&path).json().expect("JSON");
    assert!(full.get("reporter").is_some(), "the reporter's own view: {full}");
    let added = new.post(&format!("{path}/comments"), &json!({ "text": "Tôi đã đổi điện thoại." }));
    assert_eq!(added.status(), StatusCode::OK);

    // The old phone's token no longer works, and the code is spent.
    assert_eq!(old.get(&path).json::<Value>().expect("JSON").get("reporter"), None);
    assert_eq!(old.post("/api/v1/devices/transfer", &json!({})).status(), StatusCode::UNAUTHORIZED);
    let (status, again) = claim(&server, &code);
    assert_eq!((status, again["error"]["field"].as_str()), (StatusCode::NOT_FOUND, Some("code")));
}

#[test]
fn an_expired_or_replaced_code_moves_nothing() {
    let server = TestServer::start_with(&["--manual-clock", "2026-03-09T09:00:00+07:00"]);
    let device = ResidentDevice::register(&server);
    let code = |device: &ResidentDevice| -> String {
        let shown: Value = device.post("/api/v1/devices/transfer", &json!({})).json().expect("JSON");
        shown["code"].as_str().expect("a code").to_owned()
    };
    // A new code replaces the one before.
    let first = code(&device);
    let second = code(&device);
    assert_eq!(claim(&server, &first).0, StatusCode::NOT_FOUND);
    // Ten minutes on, the second has expired.
    assert_eq!(server.set_clock("2026-03-09T09:10:00+07:00").status(), StatusCode::OK);
    assert_eq!(claim(&server, &second).0, StatusCode::NOT_FOUND);
    // A malformed request names what is wrong, and nothing is guessed from it.
    let (status, refused) = claim(&server, "");
    assert_eq!((status, refused["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    let device_still = device.post("/api/v1/devices/transfer", &json!({}));
    assert_eq!(device_still.status(), StatusCode::CREATED, "the device keeps its identity");
}
