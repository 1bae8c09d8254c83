//! Filing and reading reports over real HTTP: devices, idempotent filing, conflicts,
//! validation, public and full views, the event sequence, and a restart.

use std::sync::LazyLock;

use phananh_tests::{HOAN_KIEM, ResidentDevice, TestServer, report_at};
use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::{Value, json};

static SERVER: LazyLock<TestServer> = LazyLock::new(TestServer::start);

fn body(response: reqwest::blocking::Response) -> (StatusCode, Value) {
    let status = response.status();
    (status, response.json().expect("JSON body"))
}

#[test]
fn a_device_registers_and_gets_a_token_once() {
    let device = ResidentDevice::register(&SERVER);
    assert_eq!(device.token.len(), 64);
    let other = ResidentDevice::register(&SERVER);
    assert_ne!((device.id, device.token), (other.id, other.token));
}

#[test]
fn bad_device_details_are_refused_naming_the_field() {
    let client = Client::new();
    for (details, field) in [
        (json!({ "phone": "call me" }), "phone"),
        (json!({ "name": "x".repeat(101) }), "name"),
        (json!({ "nickname": "Lan" }), "nickname"),
    ] {
        let (status, body) = body(client.post(SERVER.url("/api/v1/devices")).json(&details).send().unwrap());
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{details}");
        assert_eq!(body["error"]["field"], field, "{body}");
    }
}

#[test]
fn a_report_is_routed_to_its_ward_with_deadlines() {
    let device = ResidentDevice::register(&SERVER);
    let report = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
    let (status, view) = body(device.file(&report).unwrap());
    assert_eq!(status, StatusCode::CREATED, "{view}");
    assert_eq!(view["id"], report["id"]);
    assert_eq!(view["ward"], json!({ "code": "00070", "name": "Phường Hoàn Kiếm" }));
    assert_eq!(view["ward_match"], "inside");
    assert_eq!(view["status"], "submitted");
    let received = view["received_at"].as_str().unwrap();
    let (ack, handle) =
        (view["deadlines"]["acknowledge"].as_str().unwrap(), view["deadlines"]["handle"].as_str().unwrap());
    assert!(received < ack && ack < handle, "{received} < {ack} < {handle}");
    assert!(view["seq"].as_u64().unwrap() >= 1);
    assert_eq!(view["reporter"]["device_id"], device.id.as_str(), "the reporter sees the full view");
}

#[test]
fn filing_the_same_report_again_returns_the_stored_one() {
    let device = ResidentDevice::register(&SERVER);
    let report = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
    let (first_status, first) = body(device.file(&report).unwrap());
    let (again_status, again) = body(device.file(&report).unwrap());
    assert_eq!((first_status, again_status), (StatusCode::CREATED, StatusCode::OK));
    assert_eq!(first, again, "the same stored report, not a second copy");
    let (_, events) = body(device.get(&format!("/api/v1/reports/{}/events", report["id"].as_str().unwrap())));
    assert_eq!(events.as_array().unwrap().len(), 1, "one filed event: {events}");
}

#[test]
fn the_same_id_with_other_content_or_from_another_device_is_a_conflict() {
    let device = ResidentDevice::register(&SERVER);
    let report = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
    assert_eq!(device.file(&report).unwrap().status(), StatusCode::CREATED);
    let mut changed = report.clone();
    changed["description"] = json!("Một nội dung khác hẳn, cùng mã báo cáo.");
    let (status, error) = body(device.file(&changed).unwrap());
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        (error["error"]["code"].as_str(), error["error"]["field"].as_str()),
        (Some("conflict"), Some("id"))
    );
    let stranger = ResidentDevice::register(&SERVER);
    assert_eq!(stranger.file(&report).unwrap().status(), StatusCode::CONFLICT);
}

#[test]
fn invalid_reports_are_refused_naming_the_field() {
    let device = ResidentDevice::register(&SERVER);
    let photos: Vec<String> = (0..6).map(|_| uuid::Uuid::now_v7().to_string()).collect();
    type Change = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(Change, &str, &str)> = vec![
        (Box::new(|r| r["description"] = json!("ngập")), "description", "too_short"),
        (Box::new(|r| r["description"] = json!("ệ".repeat(2001))), "description", "too_long"),
        (Box::new(move |r| r["photos"] = json!(photos)), "photos", "too_many"),
        (Box::new(|r| r["location"]["lat"] = json!(91.0)), "location.lat", "out_of_range"),
        (Box::new(|r| r["location"] = json!({ "lon": 106.076, "lat": 21.186 })), "location", "outside_city"),
        (Box::new(|r| r["category"] = json!("aliens")), "category", "invalid"),
        (Box::new(|r| r["descripton"] = json!("typo")), "descripton", "invalid"),
        (Box::new(|r| drop(r.as_object_mut().unwrap().remove("location"))), "location", "invalid"),
    ];
    for (change, field, code) in cases {
        let mut report = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
        change(&mut report);
        let (status, error) = body(device.file(&report).unwrap());
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {error}");
        assert_eq!(
            (error["error"]["field"].as_str(), error["error"]["code"].as_str()),
            (Some(field), Some(code)),
            "{error}"
        );
    }
    let response = Client::new()
        .post(SERVER.url("/api/v1/reports"))
        .bearer_auth(&device.token)
        .header("content-type", "application/json")
        .body("{ not json")
        .send()
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[test]
fn filing_needs_a_registered_device() {
    let report = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
    let client = Client::new();
    let anonymous = client.post(SERVER.url("/api/v1/reports")).json(&report).send().unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let forged =
        client.post(SERVER.url("/api/v1/reports")).bearer_auth("0".repeat(64)).json(&report).send().unwrap();
    let (status, error) = body(forged);
    assert_eq!((status, error["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthorized")));
}

#[test]
fn the_public_view_never_shows_who_filed_it() {
    let device = ResidentDevice::register(&SERVER);
    let report = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
    device.file(&report).unwrap();
    let path = format!("/api/v1/reports/{}", report["id"].as_str().unwrap());
    let anonymous = Client::new().get(SERVER.url(&path)).send().unwrap().text().unwrap();
    let neighbour = ResidentDevice::register(&SERVER).get(&path).text().unwrap();
    for public in [anonymous, neighbour] {
        let view: Value = serde_json::from_str(&public).unwrap();
        assert_eq!(view["id"], report["id"]);
        assert!(view.get("reporter").is_none(), "{public}");
        for private in [device.id.as_str(), "Nguyễn Thị Lan", "0912 345 678"] {
            assert!(!public.contains(private), "{private} leaked in {public}");
        }
    }
}

#[test]
fn unknown_and_malformed_report_ids() {
    let (status, error) = body(
        Client::new().get(SERVER.url(&format!("/api/v1/reports/{}", uuid::Uuid::now_v7()))).send().unwrap(),
    );
    assert_eq!((status, error["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    let (status, error) =
        body(Client::new().get(SERVER.url("/api/v1/reports/not-a-uuid/events")).send().unwrap());
    assert_eq!((status, error["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("id")));
}

#[test]
fn a_report_is_named_by_its_reference_wherever_its_id_is_taken() {
    let device = ResidentDevice::register(&SERVER);
    let report = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
    let (_, filed) = body(device.file(&report).unwrap());
    let reference = filed["reference"].as_str().expect("a reference").to_owned();
    let number = reference.strip_prefix("PA-").expect("shown as PA-<number>");
    // As people write it: the reference, its number alone, in small letters.
    for named in [reference.clone(), number.to_owned(), reference.to_lowercase(), format!("%23{number}")] {
        let (status, found) = body(device.get(&format!("/api/v1/reports/{named}")));
        assert_eq!((status, &found["id"]), (StatusCode::OK, &report["id"]), "{named}");
        let (status, events) = body(device.get(&format!("/api/v1/reports/{named}/events")));
        assert_eq!(
            (status, events[0]["report_id"].clone()),
            (StatusCode::OK, report["id"].clone()),
            "{named}"
        );
    }
    // The reporter adds to it by its reference.
    let added = device.post(
        &format!("/api/v1/reports/{reference}/comments"),
        &json!({ "text": "Cống ở cạnh cột điện số 7." }),
    );
    assert_eq!(added.status(), StatusCode::OK);
    let (status, error) = body(device.get("/api/v1/reports/PA-999999999"));
    assert_eq!((status, error["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    assert!(error["error"]["message"].as_str().unwrap().contains("PA-999999999"), "{error}");
}

#[test]
fn events_form_a_gap_free_sequence_under_concurrent_filing() {
    // A server of its own, so that every event on it is one of ours; it is read back with 60
    // requests without a token, as many as the default burst of an address. Each device files
    // 15, more than the default filing burst.
    let server = TestServer::start_with(&["--rate-burst", "1000000", "--filing-burst", "15"]);
    let (ids, mut references): (Vec<String>, Vec<u64>) = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    let device = ResidentDevice::register(&server);
                    (0..15)
                        .map(|_| {
                            let report = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
                            let (status, filed) = body(device.file(&report).unwrap());
                            assert_eq!(status, StatusCode::CREATED);
                            let reference = filed["reference"].as_str().expect("a reference");
                            let number = reference.strip_prefix("PA-").expect("PA-").parse::<u64>().unwrap();
                            (report["id"].as_str().unwrap().to_owned(), number)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap()).unzip()
    });
    // Each report has a reference of its own, and none is skipped.
    references.sort_unstable();
    assert_eq!(references, (1..=60).collect::<Vec<u64>>());
    let mut seqs: Vec<u64> = ids
        .iter()
        .flat_map(|id| {
            let events: Value = Client::new()
                .get(server.url(&format!("/api/v1/reports/{id}/events")))
                .send()
                .unwrap()
                .json()
                .unwrap();
            events.as_array().unwrap().iter().map(|e| e["seq"].as_u64().unwrap()).collect::<Vec<_>>()
        })
        .collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=60).collect::<Vec<u64>>());
}

#[test]
fn a_restart_keeps_every_report_and_event() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), &[]);
    let device = ResidentDevice::register(&server);
    let report = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
    let (_, before) = body(device.file(&report).unwrap());
    let path = format!("/api/v1/reports/{}", report["id"].as_str().unwrap());
    let (_, events_before) = body(device.get(&format!("{path}/events")));
    drop(server);

    let server = TestServer::start_in(data.path(), &[]);
    let device = device_on(&server, &device);
    let (status, after) = body(device.get(&path));
    assert_eq!((status, &after), (StatusCode::OK, &before));
    assert_eq!(body(device.get(&format!("{path}/events"))).1, events_before);
    assert_eq!(
        device.file(&report).unwrap().status(),
        StatusCode::OK,
        "still known: a retry is not a new report"
    );
}

/// The same device (same token) talking to another server process.
fn device_on(server: &TestServer, device: &ResidentDevice) -> ResidentDevice {
    ResidentDevice::with_token(server, &device.id, &device.token)
}
