//! Public-service dossiers over HTTP: the desk registers and moves them on, residents track
//! them by code and secret, the clock pauses while documents are missing, and a tracker that
//! was away gets every change when it comes back.

use phananh_shared::api::LiveMessage;
use phananh_shared::dossier::{DossierChange, DossierEvent, DossierStatus};
use phananh_tests::{LiveClient, NO_RATE_LIMITS, ResidentDevice, StaffClient, TestDevice, TestServer};
use reqwest::StatusCode;
use serde_json::{Value, json};

struct Desk {
    server: TestServer,
    _data: tempfile::TempDir,
    officer: StaffClient,
    city: StaffClient,
}

/// A server (with `args`) and the staff of Hoàn Kiếm's desk and of the city.
fn desk(args: &[&str]) -> Desk {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), args);
    let officer = StaffClient::create(&server, data.path(), "hoankiem", "ward", Some("00070"));
    let city = StaffClient::create(&server, data.path(), "thanhpho", "city", None);
    Desk { server, _data: data, officer, city }
}

impl Desk {
    /// Registers a dossier for `procedure` with the given phone: the answer (dossier and secret).
    fn register(&self, procedure: &str, phone: Option<&str>) -> Value {
        let body = json!({ "procedure": procedure, "applicant": "Nguyễn Thị Mai", "phone": phone,
                           "email": phone.is_none().then_some("mai@example.vn") });
        let response = self.officer.post("/api/v1/dossiers", &body);
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().unwrap()
    }

    fn act(&self, code: &str, action: Value) -> reqwest::blocking::Response {
        self.officer.post(&format!("/api/v1/dossiers/{code}/actions"), &action)
    }

    fn acted(&self, code: &str, action: Value) -> Value {
        let response = self.act(code, action);
        assert_eq!(response.status(), StatusCode::OK);
        response.json().unwrap()
    }

    fn kinds(&self, code: &str) -> Vec<String> {
        let view: Value = self.city.get(&format!("/api/v1/dossiers/{code}")).json().unwrap();
        view["history"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap().to_owned()).collect()
    }
}

fn track(resident: &ResidentDevice, code: &str, secret: &str) -> reqwest::blocking::Response {
    resident.post("/api/v1/dossiers/track", &json!({ "code": code, "secret": secret }))
}

#[test]
fn the_desk_registers_a_dossier_and_its_resident_tracks_it_by_code_and_secret() {
    let desk = desk(&["--manual-clock", "2026-03-12T10:00:00+07:00"]); // a Thursday
    let registered = desk.register("cu-tru-tam-tru", Some("0912 345 678"));
    let dossier = &registered["dossier"];
    let code = dossier["code"].as_str().unwrap();
    assert!(code.starts_with("00070-260312-"), "the ward and the day, then a random end: {code}");
    let secret = registered["secret"].as_str().unwrap();
    assert!(!secret.contains("5678"), "nothing of the phone: {secret}");
    assert_eq!(dossier["due_at"], "2026-03-17T03:00:00Z", "3 working days: Tuesday 10:00");
    assert_eq!(dossier["contact"]["phone"], "0912 345 678");

    let resident = ResidentDevice::register(&desk.server);
    // As a resident may type it: small letters, no dash.
    let typed = secret.replace('-', "").to_lowercase();
    let tracked = track(&resident, code, &typed);
    assert_eq!(tracked.status(), StatusCode::OK);
    let tracked: Value = tracked.json().unwrap();
    assert_eq!((tracked["code"].as_str(), tracked["status"].as_str()), (Some(code), Some("received")));
    assert!(tracked.get("contact").is_none(), "the applicant's details stay at the desk: {tracked}");
    assert!(!tracked.to_string().contains("0912") && !tracked.to_string().contains("Mai"));
    assert_eq!(track(&resident, code, secret).status(), StatusCode::OK, "tracking again is no change");
    let mine: Vec<Value> = resident.get("/api/v1/dossiers/tracked").json().unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(desk.kinds(code), ["received", "tracked"], "tracked once");

    let procedures: Value =
        reqwest::blocking::get(desk.server.url("/api/v1/procedures")).unwrap().json().unwrap();
    let count = procedures["procedure"].as_array().unwrap().iter().filter(|p| p["essential"] == true).count();
    assert_eq!(count, 25);
}

#[test]
fn a_wrong_code_and_a_wrong_secret_reveal_nothing_and_guessing_is_rate_limited() {
    let mut args = NO_RATE_LIMITS.to_vec();
    args.extend(["--track-burst", "4", "--track-rate-per-hour", "1"]);
    let desk = desk(&args);
    let registered = desk.register("ho-chieu", Some("0987654321"));
    let code = registered["dossier"]["code"].as_str().unwrap().to_owned();
    let secret = registered["secret"].as_str().unwrap();
    let resident = ResidentDevice::register(&desk.server);
    let wrong_secret = track(&resident, &code, "0000-0000");
    let wrong_code = track(&resident, "00070-260312-ZZZZZZ", secret);
    assert_eq!((wrong_secret.status(), wrong_code.status()), (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND));
    let (a, b) = (wrong_secret.text().unwrap(), wrong_code.text().unwrap());
    assert_eq!(a, b, "the same answer for a wrong code as for a wrong secret");
    assert!(!a.contains(&code));
    assert_eq!(track(&resident, &code, secret).status(), StatusCode::OK);
    assert_eq!(track(&resident, &code, secret).status(), StatusCode::OK);
    let limited = track(&resident, &code, secret);
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS, "the fifth attempt in a burst of four");
    assert_eq!(limited.json::<Value>().unwrap()["error"]["code"], "rate_limited");
    // A fresh device on the same network shares the address's budget.
    let another = ResidentDevice::register(&desk.server);
    assert_eq!(track(&another, &code, secret).status(), StatusCode::TOO_MANY_REQUESTS);
    let bad = another.post("/api/v1/dossiers/track", &json!({ "code": "", "secret": "1" }));
    assert_eq!(
        bad.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "bad input is refused before any guess counts"
    );
}

#[test]
fn the_desk_acts_only_on_its_own_wards_dossiers_and_bad_input_names_its_field() {
    let desk = desk(&[]);
    let code = desk.register("cu-tru-thuong-tru", Some("0912345678"))["dossier"]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = StaffClient::create(&desk.server, desk._data.path(), "badinh", "ward", Some("00004"));
    let path = format!("/api/v1/dossiers/{code}/actions");
    assert_eq!(other.post(&path, &json!({ "action": "start" })).status(), StatusCode::FORBIDDEN);
    assert_eq!(other.get(&format!("/api/v1/dossiers/{code}")).status(), StatusCode::FORBIDDEN);
    assert_eq!(other.get("/api/v1/dossiers?ward=00070").status(), StatusCode::FORBIDDEN);
    let theirs: Vec<Value> = other.get("/api/v1/dossiers").json().unwrap();
    assert!(theirs.is_empty(), "Ba Đình's desk lists only Ba Đình's dossiers");
    let all: Vec<Value> = desk.city.get("/api/v1/dossiers").json().unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(desk.city.post("/api/v1/dossiers", &json!({})).status(), StatusCode::UNPROCESSABLE_ENTITY);

    let field = |response: reqwest::blocking::Response| {
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        response.json::<Value>().unwrap()["error"]["field"].as_str().unwrap().to_owned()
    };
    let register = |body: Value| desk.officer.post("/api/v1/dossiers", &body);
    assert_eq!(
        field(register(json!({ "procedure": "xin-cap-sao-hoa", "applicant": "An", "phone": "0912345678" }))),
        "procedure"
    );
    assert_eq!(field(register(json!({ "procedure": "ho-chieu", "applicant": "An" }))), "phone");
    assert_eq!(
        field(register(json!({ "procedure": "ho-chieu", "applicant": "", "phone": "0912345678" }))),
        "applicant"
    );
    assert_eq!(field(desk.act(&code, json!({ "action": "request_documents", "missing": "" }))), "missing");
    assert_eq!(field(desk.act(&code, json!({ "action": "return", "reason": " " }))), "reason");
    assert_eq!(desk.act(&code, json!({ "action": "fly" })).status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(desk.act("00070-000000-0000", json!({ "action": "start" })).status(), StatusCode::NOT_FOUND);

    desk.acted(&code, json!({ "action": "complete", "delivery": "pickup" }));
    let again = desk.act(&code, json!({ "action": "start" }));
    assert_eq!(again.status(), StatusCode::CONFLICT, "a finished dossier does not move");
    assert_eq!(again.json::<Value>().unwrap()["error"]["code"], "invalid_transition");
}

#[test]
fn the_wait_for_missing_documents_pauses_the_clock_and_the_due_date_moves_by_it() {
    // Thursday 12 March 2026, 10:00: a temporary residence dossier (3 working days) is due
    // Tuesday 10:00. Its twin, registered a minute earlier and never paused, shows when the
    // watcher has looked: both are judged in the same pass.
    let desk = desk(&["--manual-clock", "2026-03-12T09:59:00+07:00"]);
    let twin =
        desk.register("cu-tru-tam-tru", Some("0900000001"))["dossier"]["code"].as_str().unwrap().to_owned();
    desk.server.set_clock("2026-03-12T10:00:00+07:00");
    let code =
        desk.register("cu-tru-tam-tru", Some("0900000002"))["dossier"]["code"].as_str().unwrap().to_owned();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut city = runtime.block_on(async {
        let mut live = LiveClient::open(&desk.server, "city", 0, Some(&desk.city.token)).await;
        live.until_caught_up().await;
        live
    });
    let mut next_dossier_event = || match runtime.block_on(city.next()) {
        LiveMessage::Dossier(event) => event,
        other => panic!("a dossier's event, got {other:?}"),
    };

    desk.server.set_clock("2026-03-16T10:00:00+07:00"); // Monday: 8 working hours left
    let paused =
        desk.acted(&code, json!({ "action": "request_documents", "missing": "Bản sao hợp đồng thuê nhà" }));
    assert_eq!(
        (paused["status"].as_str(), paused["missing"].as_str()),
        (Some("needs_documents"), Some("Bản sao hợp đồng thuê nhà"))
    );
    assert_eq!(next_dossier_event().change.status(), Some(DossierStatus::NeedsDocuments));

    desk.server.set_clock("2026-03-17T11:00:00+07:00"); // an hour past the first due date
    let late = next_dossier_event();
    assert_eq!(
        (late.code.as_str(), &late.change),
        (twin.as_str(), &DossierChange::DossierOverdue { due_at: "2026-03-17T02:59:00Z".parse().unwrap() })
    );
    assert_eq!(desk.kinds(&code), ["received", "documents_requested"], "paused: not late");

    desk.server.set_clock("2026-03-18T14:00:00+07:00"); // Wednesday: the documents arrive
    let resumed = desk.acted(&code, json!({ "action": "documents_received" }));
    assert_eq!(resumed["due_at"], "2026-03-19T07:00:00Z", "the 8 hours left count from now: Thursday 14:00");
    assert_eq!(resumed["status"], "processing");
    assert!(resumed["missing"].is_null() && resumed["paused_since"].is_null());
    assert!(matches!(next_dossier_event().change, DossierChange::DocumentsReceived { .. }));

    desk.server.set_clock("2026-03-19T13:59:00+07:00");
    desk.server.set_clock("2026-03-19T14:00:00+07:00");
    let overdue: DossierEvent = next_dossier_event();
    assert_eq!(overdue.code, code);
    assert_eq!(
        overdue.change,
        DossierChange::DossierOverdue { due_at: "2026-03-19T07:00:00Z".parse().unwrap() }
    );
    assert_eq!(
        overdue.at,
        "2026-03-19T07:00:00Z".parse::<chrono::DateTime<chrono::Utc>>().unwrap(),
        "dated at the due date"
    );
}

#[test]
fn a_tracker_that_was_away_gets_every_change_after_it_comes_back_and_nobody_else_does() {
    let desk = desk(&[]);
    let registered = desk.register("dien-cap-moi", Some("0911222333"));
    let code = registered["dossier"]["code"].as_str().unwrap().to_owned();
    let resident = ResidentDevice::register(&desk.server);
    let stranger = ResidentDevice::register(&desk.server);
    let secret = registered["secret"].as_str().unwrap();
    let tracked: Value = track(&resident, &code, secret).json().unwrap();
    let seen = tracked["last_seq"].as_u64().unwrap();
    // Another device tracks it too: that is the desk's to know, not this resident's.
    let neighbour = ResidentDevice::register(&desk.server);
    assert_eq!(track(&neighbour, &code, secret).status(), StatusCode::OK);

    // The resident is offline while the desk works.
    desk.acted(&code, json!({ "action": "start" }));
    desk.acted(&code, json!({ "action": "request_documents", "missing": "Giấy tờ chứng minh chỗ ở" }));

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (kinds, seqs) = runtime.block_on(async {
        let mut live = LiveClient::open(&desk.server, "device", seen, Some(&resident.token)).await;
        let (mut kinds, mut seqs) = (Vec::new(), Vec::new());
        loop {
            match live.next().await {
                LiveMessage::Dossier(event) => {
                    kinds.push(
                        serde_json::to_value(&event.change).unwrap()["kind"].as_str().unwrap().to_owned(),
                    );
                    seqs.push(event.seq);
                }
                LiveMessage::CaughtUp { .. } => return (kinds, seqs),
                other => panic!("unexpected {other:?}"),
            }
        }
    });
    assert_eq!(kinds, ["processing_started", "documents_requested"]);
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));

    let pulled: Value = resident.get(&format!("/api/v1/sync/pull?cursor={seen}")).json().unwrap();
    let pulled_kinds: Vec<&str> =
        pulled["dossier_events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(pulled_kinds, ["processing_started", "documents_requested"]);
    assert_eq!(pulled["dossier_events"][1]["missing"], "Giấy tờ chứng minh chỗ ở");

    let nothing: Value = stranger.get("/api/v1/sync/pull?cursor=0").json().unwrap();
    assert_eq!(nothing["dossier_events"], json!([]), "a device that did not track it hears nothing");
}

#[test]
fn a_device_tracks_a_dossier_through_sync_and_keeps_reading_it_with_the_server_gone() {
    let mut args = NO_RATE_LIMITS.to_vec();
    args.extend(["--track-burst", "3", "--track-rate-per-hour", "1"]);
    let desk = desk(&args);
    let registered = desk.register("ho-tich-ket-hon", Some("0904 111 222"));
    let code = registered["dossier"]["code"].as_str().unwrap().to_owned();
    let secret = registered["secret"].as_str().unwrap().to_owned();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let device = TestDevice::open(&desk.server.url(""));

    runtime.block_on(device.track_dossier(code.clone(), "0000".into())).unwrap();
    runtime.block_on(device.track_dossier(code.clone(), secret.clone())).unwrap();
    runtime.block_on(device.sync_once()).unwrap();
    let dossiers = runtime.block_on(device.dossiers()).unwrap();
    assert_eq!(dossiers.len(), 1);
    assert_eq!((dossiers[0].code.as_str(), dossiers[0].status), (code.as_str(), DossierStatus::Received));
    let status = runtime.block_on(device.status()).unwrap();
    assert_eq!(status.waiting, 0);
    assert_eq!(status.refused.len(), 1, "the wrong secret stays visible with its reason");
    assert_eq!(status.refused[0].code, "not_found");

    desk.acted(&code, json!({ "action": "start" }));
    desk.acted(
        &code,
        json!({ "action": "request_documents", "missing": "Giấy xác nhận tình trạng hôn nhân" }),
    );
    runtime.block_on(device.sync_once()).unwrap();

    // The third attempt of a burst of three goes; the fourth waits in the outbox.
    runtime.block_on(device.track_dossier(code.clone(), secret.clone())).unwrap();
    runtime.block_on(device.sync_once()).unwrap();
    runtime.block_on(device.track_dossier(code.clone(), secret.clone())).unwrap();
    assert!(runtime.block_on(device.sync_once()).is_err(), "the budget is spent: the push is refused");
    assert_eq!(runtime.block_on(device.status()).unwrap().waiting, 1, "not lost: waiting to be sent again");

    desk.server.kill();
    let offline = runtime.block_on(device.dossiers()).unwrap();
    assert_eq!(offline.len(), 1);
    let dossier = &offline[0];
    assert_eq!(dossier.status, DossierStatus::NeedsDocuments);
    assert_eq!(dossier.missing.as_deref(), Some("Giấy xác nhận tình trạng hôn nhân"));
    assert_eq!(
        dossier.due_at.to_rfc3339(),
        registered["dossier"]["due_at"].as_str().unwrap().replace('Z', "+00:00")
    );
    let kinds: Vec<String> = dossier
        .history
        .iter()
        .map(|event| serde_json::to_value(&event.change).unwrap()["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        kinds,
        ["received", "processing_started", "documents_requested"],
        "no tracking in the resident's history"
    );
}

#[test]
fn the_dossier_dashboard_counts_each_desk_for_the_city_and_only_its_own_for_a_ward() {
    let desk = desk(&["--manual-clock", "2026-03-12T10:00:00+07:00"]);
    let code =
        desk.register("cu-tru-tam-tru", Some("0900000003"))["dossier"]["code"].as_str().unwrap().to_owned();
    desk.register("ho-chieu", Some("0900000004"));
    desk.acted(&code, json!({ "action": "complete", "delivery": "sent" }));
    let other = StaffClient::create(&desk.server, desk._data.path(), "badinh", "ward", Some("00004"));

    let city: Value =
        desk.city.get("/api/v1/dashboard/dossiers?from=2026-03-01&to=2026-03-31").json().unwrap();
    assert_eq!((city["total"]["received"].as_u64(), city["total"]["on_time"].as_u64()), (Some(2), Some(1)));
    assert_eq!(city["total"]["on_time_pct"], 100.0, "one finished, on time; the other not due yet");
    assert_eq!(city["wards"].as_array().unwrap().len(), 1, "only the desks with dossiers");
    assert_eq!(city["wards"][0]["ward"]["code"], "00070");
    let procedures: Vec<&str> =
        city["procedures"].as_array().unwrap().iter().map(|p| p["procedure"].as_str().unwrap()).collect();
    assert_eq!(procedures, ["cu-tru-tam-tru", "ho-chieu"]);

    let own: Value = other.get("/api/v1/dashboard/dossiers").json().unwrap();
    assert_eq!(own["total"]["received"], 0, "Ba Đình's desk sees Ba Đình's figures");
    assert_eq!(other.get("/api/v1/dashboard/dossiers?ward=00070").status(), StatusCode::FORBIDDEN);
    let public = reqwest::blocking::get(desk.server.url("/api/v1/dashboard/dossiers")).unwrap();
    assert_eq!(public.status(), StatusCode::UNAUTHORIZED);
}
