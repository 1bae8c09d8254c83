//! The reporter's follow-up: rating the answer (closing, or reopening after a low rating)
//! and adding information.

use phananh_tests::{HOAN_KIEM, ResidentDevice, StaffClient, TestServer, report_at};
use reqwest::StatusCode;
use reqwest::blocking::{Client, Response};
use serde_json::{Value, json};

struct World {
    server: TestServer,
    _data: tempfile::TempDir,
    resident: ResidentDevice,
    officer: StaffClient,
}

fn world() -> World {
    world_with(&[])
}

fn world_with(args: &[&str]) -> World {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), args);
    let officer = StaffClient::create(&server, data.path(), "hoankiem", "ward", Some("00070"));
    let resident = ResidentDevice::register(&server);
    World { server, _data: data, resident, officer }
}

/// A noise report (no "after" photo needed) filed by the resident and answered by the ward.
fn answered(world: &World) -> String {
    let mut report = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
    report["category"] = json!("noise");
    assert_eq!(world.resident.file(&report).unwrap().status(), StatusCode::CREATED);
    let id = report["id"].as_str().unwrap().to_owned();
    for action in [
        json!({ "action": "acknowledge" }),
        json!({ "action": "resolve", "answer": "Đã nhắc nhở, tiếng ồn đã chấm dứt." }),
    ] {
        assert_eq!(world.officer.act(&id, &action).status(), StatusCode::OK);
    }
    id
}

fn post(world: &World, token: &str, path: &str, body: Value) -> Response {
    Client::new().post(world.server.url(path)).bearer_auth(token).json(&body).send().unwrap()
}

fn rate(world: &World, id: &str, body: Value) -> Response {
    post(world, &world.resident.token, &format!("/api/v1/reports/{id}/rating"), body)
}

#[test]
fn a_good_rating_closes_the_report_once() {
    let world = world();
    let id = answered(&world);
    let response = rate(&world, &id, json!({ "stars": 5, "comment": "Cảm ơn phường!" }));
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.json::<Value>().unwrap()["status"], "closed");
    let again = rate(&world, &id, json!({ "stars": 4 }));
    assert_eq!(again.status(), StatusCode::CONFLICT, "an answer is rated once");
    let events: Value = world.resident.get(&format!("/api/v1/reports/{id}/events")).json().unwrap();
    let last = events.as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["kind"].as_str(), last["stars"].as_u64()), (Some("rated"), Some(5)));
}

#[test]
fn a_low_rating_can_reopen_and_the_ward_answers_again() {
    let world = world();
    let id = answered(&world);
    let response = rate(&world, &id, json!({ "stars": 1, "comment": "Vẫn còn ồn mỗi tối.", "reopen": true }));
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.json::<Value>().unwrap()["status"], "reopened");
    assert_eq!(world.officer.act(&id, &json!({ "action": "start" })).status(), StatusCode::OK);
    let resolve = json!({ "action": "resolve", "answer": "Đã lập biên bản xử phạt cơ sở karaoke." });
    assert_eq!(world.officer.act(&id, &resolve).status(), StatusCode::OK);
    let second = rate(&world, &id, json!({ "stars": 4 }));
    assert_eq!(second.status(), StatusCode::OK, "the new answer can be rated");
    assert_eq!(second.json::<Value>().unwrap()["status"], "closed");
}

#[test]
fn ratings_are_checked() {
    let world = world();
    let id = answered(&world);
    for (body, field) in [
        (json!({ "stars": 0 }), "stars"),
        (json!({ "stars": 6 }), "stars"),
        (json!({ "stars": 4, "reopen": true }), "reopen"),
        (json!({ "stars": 3, "comment": "" }), "comment"),
        (json!({ "stars": 3, "mood": "ok" }), "mood"),
    ] {
        let response = rate(&world, &id, body.clone());
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(response.json::<Value>().unwrap()["error"]["field"], field, "{body}");
    }
    let neighbour = ResidentDevice::register(&world.server);
    let path = format!("/api/v1/reports/{id}/rating");
    assert_eq!(post(&world, &neighbour.token, &path, json!({ "stars": 1 })).status(), StatusCode::FORBIDDEN);
    assert_eq!(
        post(&world, &world.officer.token, &path, json!({ "stars": 5 })).status(),
        StatusCode::UNAUTHORIZED
    );

    let mut fresh = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
    fresh["category"] = json!("noise");
    world.resident.file(&fresh).unwrap();
    let early = rate(&world, fresh["id"].as_str().unwrap(), json!({ "stars": 5 }));
    assert_eq!(early.status(), StatusCode::CONFLICT, "nothing to rate before an answer");
}

#[test]
fn the_reporter_adds_information_while_the_report_is_open() {
    let world = world();
    let report = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
    world.resident.file(&report).unwrap();
    let id = report["id"].as_str().unwrap();
    let path = format!("/api/v1/reports/{id}/comments");
    let text = "Nước lại tràn lên vỉa hè sau cơn mưa chiều nay.";
    assert_eq!(post(&world, &world.resident.token, &path, json!({ "text": text })).status(), StatusCode::OK);
    let events = world.resident.get(&format!("/api/v1/reports/{id}/events")).text().unwrap();
    assert!(events.contains(text), "{events}");
    let empty = post(&world, &world.resident.token, &path, json!({ "text": "  " }));
    assert_eq!(empty.json::<Value>().unwrap()["error"]["field"], "text");
    let neighbour = ResidentDevice::register(&world.server);
    assert_eq!(
        post(&world, &neighbour.token, &path, json!({ "text": text })).status(),
        StatusCode::FORBIDDEN
    );

    let closed = answered(&world);
    rate(&world, &closed, json!({ "stars": 5 }));
    let late = post(
        &world,
        &world.resident.token,
        &format!("/api/v1/reports/{closed}/comments"),
        json!({ "text": text }),
    );
    assert_eq!(late.status(), StatusCode::CONFLICT);
}

#[test]
fn a_low_rating_reopens_only_within_seven_days_of_the_answer() {
    // Answered on Monday 2 March 2026, 09:00 in Hà Nội.
    let world = world_with(&["--manual-clock", "2026-03-02T09:00:00+07:00"]);
    let (early, late) = (answered(&world), answered(&world));
    let reopen = json!({ "stars": 1, "comment": "Vẫn ồn.", "reopen": true });

    assert_eq!(world.server.set_clock("2026-03-09T08:59:00+07:00").status(), StatusCode::OK);
    let response = rate(&world, &early, reopen.clone());
    assert_eq!(response.status(), StatusCode::OK, "a minute inside the window");
    assert_eq!(response.json::<Value>().unwrap()["status"], "reopened");

    assert_eq!(world.server.set_clock("2026-03-09T09:01:00+07:00").status(), StatusCode::OK);
    let refused = rate(&world, &late, reopen);
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "a minute after the window");
    assert_eq!(refused.json::<Value>().unwrap()["error"]["field"], "reopen");
    let closed = rate(&world, &late, json!({ "stars": 1, "comment": "Vẫn ồn." }));
    assert_eq!(closed.json::<Value>().unwrap()["status"], "closed", "a low rating is still recorded");
}

#[test]
fn a_resident_withdraws_a_report_the_ward_has_not_answered() {
    let world = world();
    let mut report = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
    report["category"] = json!("noise");
    world.resident.file(&report).unwrap();
    let id = report["id"].as_str().unwrap();
    let cancel =
        |token: &str, body: Value| post(&world, token, &format!("/api/v1/reports/{id}/cancel"), body);

    let stranger = ResidentDevice::register(&world.server);
    assert_eq!(cancel(&stranger.token, json!({})).status(), StatusCode::FORBIDDEN);
    let rambling = cancel(&world.resident.token, json!({ "reason": "x".repeat(3000) }));
    assert_eq!(rambling.json::<Value>().unwrap()["error"]["field"], "reason");
    let response = cancel(&world.resident.token, json!({ "reason": "Quán đã tự tắt loa." }));
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.json::<Value>().unwrap()["status"], "cancelled");
    assert_eq!(cancel(&world.resident.token, json!({})).status(), StatusCode::CONFLICT, "it is final");
    assert_eq!(world.officer.act(id, &json!({ "action": "acknowledge" })).status(), StatusCode::CONFLICT);
    let events: Value = world.resident.get(&format!("/api/v1/reports/{id}/events")).json().unwrap();
    let last = events.as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["kind"].as_str(), last["reason"].as_str()),
        (Some("cancelled"), Some("Quán đã tự tắt loa."))
    );

    let answered = answered(&world);
    let late = post(&world, &world.resident.token, &format!("/api/v1/reports/{answered}/cancel"), json!({}));
    assert_eq!(late.status(), StatusCode::CONFLICT);
    assert!(late.json::<Value>().unwrap()["error"]["message"].as_str().unwrap().contains("rate the answer"));
}
