//! The sync protocol over HTTP: a push applies each operation at most once and answers a
//! retried push the same way; a pull pages through the device's events.

use phananh_tests::{HOAN_KIEM, ResidentDevice, StaffClient, TestServer, report_at};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

fn push(device: &ResidentDevice, operations: &[Value]) -> (StatusCode, Value) {
    let response = device.post("/api/v1/sync/push", &json!({ "operations": operations }));
    (response.status(), response.json().unwrap())
}

fn create(report: &Value) -> Value {
    json!({ "id": Uuid::now_v7(), "op": "create_report", "report": report })
}

fn noise_report() -> Value {
    let mut report = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
    report["category"] = json!("noise");
    report
}

#[test]
fn a_push_applies_each_operation_once_and_a_retry_gets_the_same_answers() {
    let server = TestServer::start();
    let device = ResidentDevice::register(&server);
    let good = noise_report();
    let mut vague = noise_report();
    vague["description"] = json!("ồn");
    let far_away = report_at(106.6297, 10.8231); // Hồ Chí Minh City
    let batch = [create(&good), create(&vague), create(&far_away)];

    let (status, first) = push(&device, &batch);
    assert_eq!(status, StatusCode::OK);
    let results = first["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(
        (results[0]["id"].clone(), results[0]["outcome"].as_str()),
        (batch[0]["id"].clone(), Some("accepted"))
    );
    let report = &results[0]["report"];
    assert_eq!((report["id"].clone(), report["ward"]["code"].as_str()), (good["id"].clone(), Some("00070")));
    assert_eq!(report["status"], "submitted");
    assert!(report["deadlines"]["acknowledge"].is_string() && report["seq"].as_u64() == Some(1));
    assert_eq!(
        (results[1]["outcome"].as_str(), results[1]["field"].as_str()),
        (Some("refused"), Some("description"))
    );
    assert_eq!(
        (results[2]["outcome"].as_str(), results[2]["field"].as_str()),
        (Some("refused"), Some("location"))
    );

    // The answers were lost; the client sends the same batch again.
    let (status, again) = push(&device, &batch);
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again, first, "a retried push gets identical answers");
    let pulled: Value = device.get("/api/v1/sync/pull").json().unwrap();
    assert_eq!(pulled["events"].as_array().unwrap().len(), 1, "one report, filed once");

    // The same operation id with other content is refused, and changes nothing.
    let mut reused = create(&noise_report());
    reused["id"] = batch[0]["id"].clone();
    let (_, clash) = push(&device, &[reused]);
    assert_eq!(
        (clash["results"][0]["outcome"].as_str(), clash["results"][0]["code"].as_str()),
        (Some("refused"), Some("conflict"))
    );
    let stranger = ResidentDevice::register(&server);
    let (_, theirs) = push(&stranger, &batch[..1]);
    assert_eq!(theirs["results"][0]["code"], "conflict", "another device's operation id");
    let pulled: Value = device.get("/api/v1/sync/pull").json().unwrap();
    assert_eq!(pulled["events"].as_array().unwrap().len(), 1);
}

#[test]
fn comments_ratings_and_follows_go_through_the_push_too() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), &[]);
    let officer = StaffClient::create(&server, data.path(), "hoankiem", "ward", Some("00070"));
    let device = ResidentDevice::register(&server);
    let neighbour = ResidentDevice::register(&server);
    let report = noise_report();
    let id = report["id"].as_str().unwrap();
    assert_eq!(push(&device, &[create(&report)]).1["results"][0]["outcome"], "accepted");

    let follow = json!({ "id": Uuid::now_v7(), "op": "follow", "report_id": id });
    let (_, followed) = push(&neighbour, std::slice::from_ref(&follow));
    assert_eq!(followed["results"][0]["report"]["followers"], 1);
    assert!(followed["results"][0]["report"]["reporter"].is_null(), "a follower gets the public view");
    assert_eq!(push(&neighbour, &[follow]).1, followed);

    let comment = json!({ "id": Uuid::now_v7(), "op": "comment", "report_id": id, "comment": { "text": "Tiếng ồn kéo dài đến 1 giờ sáng." } });
    assert_eq!(push(&device, &[comment]).1["results"][0]["outcome"], "accepted");
    for action in [
        json!({ "action": "acknowledge" }),
        json!({ "action": "resolve", "answer": "Đã nhắc nhở chủ quán." }),
    ] {
        assert_eq!(officer.act(id, &action).status(), StatusCode::OK);
    }
    let rate = json!({ "id": Uuid::now_v7(), "op": "rate", "report_id": id, "rating": { "stars": 5 } });
    let (_, rated) = push(&device, &[rate]);
    assert_eq!(rated["results"][0]["report"]["status"], "closed");

    let nowhere = json!({ "id": Uuid::now_v7(), "op": "comment", "report_id": Uuid::now_v7(), "comment": { "text": "Còn không?" } });
    let (_, refused) = push(&device, &[nowhere]);
    let result = &refused["results"][0];
    assert_eq!((result["code"].as_str(), result["field"].as_str()), (Some("not_found"), Some("report_id")));
    let not_theirs = json!({ "id": Uuid::now_v7(), "op": "rate", "report_id": id, "rating": { "stars": 1 } });
    assert_eq!(push(&neighbour, &[not_theirs]).1["results"][0]["code"], "forbidden");
}

#[test]
fn a_pull_pages_through_the_devices_events_from_a_cursor() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), &[]);
    let officer = StaffClient::create(&server, data.path(), "hoankiem", "ward", Some("00070"));
    let device = ResidentDevice::register(&server);
    let other = ResidentDevice::register(&server);
    let mine: Vec<Value> = (0..3).map(|_| noise_report()).collect();
    let operations: Vec<Value> = mine.iter().map(create).collect();
    push(&device, &operations);
    push(&other, &[create(&noise_report())]);
    let id = mine[0]["id"].as_str().unwrap();
    assert_eq!(officer.act(id, &json!({ "action": "note", "text": "Nội bộ." })).status(), StatusCode::OK);
    assert_eq!(officer.act(id, &json!({ "action": "acknowledge" })).status(), StatusCode::OK);

    let all: Value = device.get("/api/v1/sync/pull?cursor=0").json().unwrap();
    let seqs: Vec<u64> =
        all["events"].as_array().unwrap().iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(
        seqs,
        [1, 2, 3, 6],
        "its three filings and the acknowledgement; not the other's, not the note"
    );
    assert_eq!((all["next_cursor"].as_u64(), all["more"].as_bool()), (Some(6), Some(false)));

    let mut cursor = 0;
    let mut paged = Vec::new();
    loop {
        let page: Value = device.get(&format!("/api/v1/sync/pull?cursor={cursor}&limit=1")).json().unwrap();
        paged.extend(page["events"].as_array().unwrap().iter().map(|e| e["seq"].as_u64().unwrap()));
        cursor = page["next_cursor"].as_u64().unwrap();
        if !page["more"].as_bool().unwrap() {
            break;
        }
    }
    assert_eq!(paged, seqs, "page by page, the same events");
    let nothing_new: Value = device.get("/api/v1/sync/pull?cursor=6").json().unwrap();
    assert_eq!(nothing_new["events"], json!([]));
}

#[test]
fn bad_pushes_and_pulls_are_refused_naming_the_field() {
    let server = TestServer::start();
    let device = ResidentDevice::register(&server);
    let refused = |response: reqwest::blocking::Response| {
        let status = response.status();
        (status, response.json::<Value>().unwrap()["error"]["field"].as_str().map(str::to_owned))
    };
    let many: Vec<Value> = (0..101).map(|_| create(&noise_report())).collect();
    assert_eq!(
        refused(device.post("/api/v1/sync/push", &json!({ "operations": many }))),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("operations".into()))
    );
    assert_eq!(
        refused(device.post("/api/v1/sync/push", &json!({ "operations": [] }))),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("operations".into()))
    );
    let unknown = json!({ "operations": [{ "id": Uuid::now_v7(), "op": "teleport" }] });
    assert_eq!(device.post("/api/v1/sync/push", &unknown).status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused(device.get("/api/v1/sync/pull?cursor=99")),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("cursor".into()))
    );
    assert_eq!(
        refused(device.get("/api/v1/sync/pull?cursor=abc")),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("cursor".into()))
    );
    assert_eq!(
        refused(device.get("/api/v1/sync/pull?limit=0")),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("limit".into()))
    );
    let anonymous = reqwest::blocking::get(server.url("/api/v1/sync/pull")).unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}
