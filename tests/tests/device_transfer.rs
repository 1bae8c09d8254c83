//! Issue 23: a resident moves "Mine" to another device without an account, with a one-time
//! code shown on the old device and typed on the new one.

use std::time::Duration;

use phananh_shared::api::LiveMessage;
use phananh_shared::client::ClientError;
use phananh_tests::{
    HOAN_KIEM, LiveClient, ResidentDevice, StaffClient, TestDevice, TestServer, report_at, small_jpeg,
};
use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::{Value, json};

/// Types `code` on a device that has never registered.
fn claim(server: &TestServer, code: &str) -> (StatusCode, Value) {
    claim_as(server, code, None)
}

/// Types `code` on a device with `token` (one that has registered), or none.
fn claim_as(server: &TestServer, code: &str, token: Option<&str>) -> (StatusCode, Value) {
    let mut request = Client::new().post(server.url("/api/v1/devices/claim")).json(&json!({ "code": code }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().expect("the server answers");
    (response.status(), response.json().expect("JSON"))
}

/// A report `device` files `east` degrees east of Hồ Hoàn Kiếm.
fn filed(device: &ResidentDevice, east: f64) -> Value {
    let report = report_at(HOAN_KIEM.0 + east, HOAN_KIEM.1);
    assert_eq!(device.file(&report).expect("the server answers").status(), StatusCode::CREATED);
    report
}

/// `device` says "me too" about `report`.
fn follow(device: &ResidentDevice, report: &Value) {
    let me_too =
        device.post(&format!("/api/v1/reports/{}/follow", report["id"].as_str().unwrap()), &json!({}));
    assert!(me_too.status().is_success(), "{}", me_too.status());
}

#[test]
fn a_transfer_code_moves_the_devices_reports_to_the_device_it_is_typed_on_once() {
    let server = TestServer::start_with(&["--manual-clock", "2026-03-09T09:00:00+07:00"]);
    let old = ResidentDevice::register(&server);
    let mine = filed(&old, 0.0);
    let theirs = filed(&ResidentDevice::register(&server), 0.001);
    follow(&old, &theirs);

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
    assert_eq!(old.get(&path).status(), StatusCode::UNAUTHORIZED);
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
    // An empty code is one more wrong code.
    let (status, refused) = claim(&server, "");
    assert_eq!((status, refused["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    let device_still = device.post("/api/v1/devices/transfer", &json!({}));
    assert_eq!(device_still.status(), StatusCode::CREATED, "the device keeps its identity");
}

/// The device stream of `token`, caught up.
async fn caught_up(server: &TestServer, token: &str) -> LiveClient {
    let mut stream = LiveClient::open(server, "device", "latest", Some(token)).await;
    assert!(matches!(stream.next().await, LiveMessage::CaughtUp { .. }));
    stream
}

#[test]
fn the_old_devices_live_stream_ends_when_its_identity_moves_and_the_new_one_hears_its_reports() {
    // A heartbeat far longer than the test: the stream must end when the code is used, not
    // at the next check.
    let server = TestServer::start_with(&["--live-heartbeat-seconds", "600"]);
    let old = ResidentDevice::register(&server);
    let report = filed(&old, 0.0);
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let mut stream = rt.block_on(caught_up(&server, &old.token));
    // Another resident's stream, open all along.
    let bystander = ResidentDevice::register(&server);
    let mut theirs = rt.block_on(caught_up(&server, &bystander.token));
    let shown: Value = old.post("/api/v1/devices/transfer", &json!({})).json().expect("JSON");
    let (status, claimed) = claim(&server, shown["code"].as_str().expect("a code"));
    assert_eq!(status, StatusCode::OK, "{claimed}");
    let (_, code) = rt.block_on(stream.until_closed(Duration::from_secs(5)));
    assert_eq!(code, Some(4401), "closed as a credential that has ended");
    // The claim ended no one else's: the bystander's stream still hears its own report.
    let own = filed(&bystander, 0.002);
    let heard = rt.block_on(theirs.next());
    assert!(
        matches!(&heard, LiveMessage::Event(e) if e.report_id.to_string() == own["id"].as_str().unwrap()),
        "{heard:?}"
    );
    // Opened again with its old token, it is refused.
    let again = rt.block_on(LiveClient::connect(&server.url(""), "device", "latest", Some(&old.token)));
    assert_eq!(again.err().map(|refused| refused.status), Some(401));
    // The new device hears what happens to the report from now on.
    let token = claimed["device"]["token"].as_str().expect("a token");
    rt.block_on(async {
        let mut stream = LiveClient::open(&server, "device", 0, Some(token)).await;
        let first = stream.next().await;
        assert!(
            matches!(&first, LiveMessage::Event(e) if e.report_id.to_string() == report["id"].as_str().unwrap()),
            "{first:?}"
        );
    });
}

#[test]
fn guessing_codes_from_one_address_is_cut_off_after_a_few_tries() {
    let server = TestServer::start_with(&["--register-burst", "5", "--register-rate-per-minute", "1"]);
    for attempt in 0..5 {
        assert_eq!(claim(&server, "AAAA-AAAA").0, StatusCode::NOT_FOUND, "attempt {attempt}");
    }
    let response =
        Client::new().post(server.url("/api/v1/devices/claim")).json(&json!({ "code": "AAAA-AAAB" })).send();
    let response = response.expect("the server answers");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"), "says when to try again");
}

#[test]
fn the_desktop_app_takes_over_a_phones_reports_and_dossiers_and_can_hand_them_on() {
    let data = tempfile::tempdir().expect("a temporary directory");
    let server = TestServer::start_in(data.path(), &[]);
    let officer = StaffClient::create(&server, data.path(), "hoankiem", "ward", Some("00070"));
    // The phone: a report, and a dossier it tracks.
    let phone = ResidentDevice::register(&server);
    let report = filed(&phone, 0.0);
    let body =
        json!({ "procedure": "ho-tich-khai-sinh", "applicant": "Nguyễn Thị Mai", "phone": "0912345678" });
    let registered: Value = officer.post("/api/v1/dossiers", &body).json().expect("JSON");
    let dossier = registered["dossier"]["code"].as_str().expect("a dossier code");
    let track = json!({ "code": dossier, "secret": registered["secret"] });
    assert_eq!(phone.post("/api/v1/dossiers/track", &track).status(), StatusCode::OK);

    // The desktop app has a report of its own already: it comes along.
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let desktop = TestDevice::open(&server.url(""));
    let own: phananh_shared::report::NewReport =
        serde_json::from_value(report_at(HOAN_KIEM.0 + 0.001, HOAN_KIEM.1)).expect("a report");
    runtime.block_on(desktop.file_report(own.clone())).expect("kept");
    runtime.block_on(desktop.sync_once()).expect("sent");

    let shown: Value = phone.post("/api/v1/devices/transfer", &json!({})).json().expect("JSON");
    let code = shown["code"].as_str().expect("a code").replace('-', "").to_lowercase();
    assert_eq!(runtime.block_on(desktop.claim(&code)).expect("claimed"), 2, "the phone's report and its own");
    let (id, _) = runtime.block_on(desktop.credentials()).expect("kept").expect("an identity");
    assert_eq!(id.to_string(), phone.id, "the desktop is the phone's device now");
    let known: Vec<String> = runtime
        .block_on(desktop.reports())
        .expect("kept")
        .iter()
        .filter(|r| r.view.is_some())
        .map(|r| r.id.to_string())
        .collect();
    assert!(known.contains(&report["id"].as_str().unwrap().to_owned()), "the phone's report: {known:?}");
    assert!(known.contains(&own.id.to_string()), "and its own: {known:?}");
    let dossiers = runtime.block_on(desktop.dossiers()).expect("kept");
    assert_eq!(dossiers.iter().map(|d| d.code.as_str()).collect::<Vec<_>>(), [dossier]);
    let phone_report = uuid::Uuid::parse_str(report["id"].as_str().unwrap()).expect("an id");
    runtime.block_on(desktop.comment(phone_report, "Tôi theo dõi từ máy tính.".into())).expect("queued");
    runtime.block_on(desktop.sync_once()).expect("sent");
    runtime.block_on(desktop.comment(own.id, "Vẫn còn tắc.".into())).expect("queued");
    runtime.block_on(desktop.sync_once()).expect("sent");
    assert!(
        runtime.block_on(desktop.status()).expect("kept").refused.is_empty(),
        "both taken as the reporter's"
    );
    assert_eq!(phone.get("/api/v1/dossiers/tracked").status(), StatusCode::UNAUTHORIZED);

    // And on again, to a phone typing the desktop's code.
    let code = runtime.block_on(desktop.transfer_code()).expect("a code").code;
    let (status, claimed) = claim(&server, &code);
    assert_eq!(status, StatusCode::OK, "{claimed}");
    assert_eq!(claimed["device"]["device_id"].as_str(), Some(phone.id.as_str()));
}

#[test]
fn a_device_that_claims_brings_its_reports_follows_and_photos_into_the_identity_it_takes() {
    let server = TestServer::start();
    let old = ResidentDevice::register(&server);
    let first = filed(&old, 0.0);
    let theirs = filed(&ResidentDevice::register(&server), 0.002);
    // The new phone has been used already: a report, a "me too", a photo not yet sent with one.
    let new = ResidentDevice::register(&server);
    let second = filed(&new, 0.001);
    follow(&new, &theirs);
    let photo: Value = new.upload_photo(small_jpeg()).json().expect("JSON");

    let shown: Value = old.post("/api/v1/devices/transfer", &json!({})).json().expect("JSON");
    let (status, claimed) = claim_as(&server, shown["code"].as_str().expect("a code"), Some(&new.token));
    assert_eq!(status, StatusCode::OK, "{claimed}");
    assert_eq!(claimed["filed"], json!([first["id"], second["id"]]), "{claimed}");
    assert_eq!(claimed["following"], json!([theirs["id"]]));
    let merged =
        ResidentDevice::with_token(&server, &old.id, claimed["device"]["token"].as_str().expect("a token"));
    let mut third = report_at(HOAN_KIEM.0 + 0.003, HOAN_KIEM.1);
    third["photos"] = json!([photo["id"]]);
    let filed = merged.file(&third).expect("the server answers");
    assert_eq!(filed.status(), StatusCode::CREATED, "the photo it uploaded before is still its own");
    // Neither phone's earlier token works now.
    assert_eq!(new.get("/api/v1/dossiers/tracked").status(), StatusCode::UNAUTHORIZED);
    assert_eq!(old.get("/api/v1/dossiers/tracked").status(), StatusCode::UNAUTHORIZED);
}

#[test]
fn a_desktop_app_whose_code_was_used_elsewhere_starts_again_as_a_new_device_keeping_its_queue() {
    let server = TestServer::start();
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let desktop = TestDevice::open(&server.url(""));
    let report = |east: f64| -> phananh_shared::report::NewReport {
        serde_json::from_value(report_at(HOAN_KIEM.0 + east, HOAN_KIEM.1)).expect("a report")
    };
    let (sent, queued) = (report(0.0), report(0.001));
    runtime.block_on(desktop.file_report(sent.clone())).expect("kept");
    runtime.block_on(desktop.sync_once()).expect("sent");
    let (old_id, _) = runtime.block_on(desktop.credentials()).expect("kept").expect("registered");

    // A phone takes the desktop's identity; the desktop files one more before it next syncs.
    let code = runtime.block_on(desktop.transfer_code()).expect("a code").code;
    let (status, claimed) = claim(&server, &code);
    assert_eq!(status, StatusCode::OK, "{claimed}");
    runtime.block_on(desktop.file_report(queued.clone())).expect("kept");
    let refused = runtime.block_on(desktop.sync_once());
    assert!(matches!(refused, Err(ClientError::Server { status: 401, .. })), "{refused:?}");
    assert_eq!(
        runtime.block_on(desktop.credentials()).expect("kept"),
        None,
        "the moved identity is forgotten"
    );
    let left: Vec<_> = runtime.block_on(desktop.reports()).expect("kept").iter().map(|r| r.id).collect();
    assert_eq!(left, [queued.id], "only what is still queued here");

    // The next sync registers a new device, which files what was queued.
    runtime.block_on(desktop.sync_once()).expect("sent");
    let (new_id, _) = runtime.block_on(desktop.credentials()).expect("kept").expect("registered");
    assert_ne!(new_id, old_id);
    let reports = runtime.block_on(desktop.reports()).expect("kept");
    assert!(reports.iter().all(|r| r.id == queued.id && r.view.is_some() && !r.waiting), "{reports:?}");
    let phone = ResidentDevice::with_token(
        &server,
        &old_id.to_string(),
        claimed["device"]["token"].as_str().unwrap(),
    );
    let theirs: Value = phone.get(&format!("/api/v1/reports/{}", sent.id)).json().expect("JSON");
    assert!(theirs.get("reporter").is_some(), "the report sent before is the phone's: {theirs}");
}
