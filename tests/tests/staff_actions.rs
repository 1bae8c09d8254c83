//! The staff workflow over HTTP: every action from every status, by the ward's own officer,
//! by another ward's officer and by city staff; what each action does; and privacy.

use phananh_tests::{HOAN_KIEM, ResidentDevice, StaffClient, TestServer, report_at};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Phường Ba Đình, the other ward in these tests.
const BA_DINH: &str = "00004";

struct World {
    server: TestServer,
    _data: tempfile::TempDir,
    resident: ResidentDevice,
    own: StaffClient,
    other: StaffClient,
    city: StaffClient,
}

fn world() -> World {
    let data = tempfile::tempdir().unwrap();
    // The table test files and acts on over a hundred reports in a few seconds, from one
    // device and three staff tokens: more than the rate limits and the filing budget allow.
    let limits = ["--rate-burst", "1000000", "--address-burst", "1000000", "--filing-burst", "1000000"];
    let server = TestServer::start_in(data.path(), &limits);
    let own = StaffClient::create(&server, data.path(), "hoankiem", "ward", Some("00070"));
    let other = StaffClient::create(&server, data.path(), "badinh", "ward", Some(BA_DINH));
    let city = StaffClient::create(&server, data.path(), "thanhpho", "city", None);
    let resident = ResidentDevice::register(&server);
    World { server, _data: data, resident, own, other, city }
}

/// A new noise report in Phường Hoàn Kiếm (noise needs no "after" photo to resolve).
fn new_report(world: &World) -> String {
    let mut report = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
    report["category"] = json!("noise");
    assert_eq!(world.resident.file(&report).unwrap().status(), StatusCode::CREATED);
    report["id"].as_str().unwrap().to_owned()
}

fn action(name: &str, other_report: &str) -> Value {
    match name {
        "acknowledge" | "start" => json!({ "action": name }),
        "resolve" => {
            json!({ "action": "resolve", "answer": "Đã nhắc nhở cơ sở karaoke, tiếng ồn đã chấm dứt." })
        }
        "reject" => {
            json!({ "action": "reject", "reason": "Không thuộc thẩm quyền của phường, đã hướng dẫn người dân." })
        }
        "transfer" => {
            json!({ "action": "transfer", "ward": BA_DINH, "reason": "Địa điểm thuộc phường Ba Đình." })
        }
        "mark_duplicate" => json!({ "action": "mark_duplicate", "original": other_report }),
        "note" => json!({ "action": "note", "text": "Đã gọi điện cho tổ trưởng dân phố." }),
        other => panic!("unknown action {other}"),
    }
}

const ACTIONS: [&str; 7] =
    ["acknowledge", "start", "resolve", "reject", "transfer", "mark_duplicate", "note"];

#[test]
fn every_action_from_every_status_by_every_role() {
    let world = world();
    let original = new_report(&world);
    // (status, the actions that lead there, the actions allowed from it)
    let table: [(&str, &[&str], &[&str]); 6] = [
        ("submitted", &[], &["acknowledge", "reject", "transfer", "mark_duplicate", "note"]),
        (
            "acknowledged",
            &["acknowledge"],
            &["start", "resolve", "reject", "transfer", "mark_duplicate", "note"],
        ),
        ("in_progress", &["acknowledge", "start"], &["resolve", "reject", "transfer", "note"]),
        ("resolved", &["acknowledge", "resolve"], &["note"]),
        ("rejected", &["reject"], &["note"]),
        ("duplicate", &["mark_duplicate"], &["note"]),
    ];
    for (status, path, allowed) in table {
        for name in ACTIONS {
            for (role, staff) in
                [("own ward", &world.own), ("other ward", &world.other), ("city", &world.city)]
            {
                let id = new_report(&world);
                for step in path {
                    assert_eq!(world.city.act(&id, &action(step, &original)).status(), StatusCode::OK);
                }
                let response = staff.act(&id, &action(name, &original));
                let got = response.status();
                let body: Value = response.json().unwrap();
                let expected = match (role, allowed.contains(&name)) {
                    ("other ward", _) => StatusCode::FORBIDDEN,
                    (_, true) => StatusCode::OK,
                    (_, false) => StatusCode::CONFLICT,
                };
                assert_eq!(got, expected, "{role} {name} on a {status} report: {body}");
                if expected == StatusCode::CONFLICT {
                    assert_eq!(body["error"]["code"], "invalid_transition");
                }
            }
        }
    }
}

#[test]
fn acknowledging_restarts_the_handling_clock_and_transfer_the_acknowledgement_clock() {
    let world = world();
    let id = new_report(&world);
    let filed: Value = world.own.get(&format!("/api/v1/reports/{id}")).json().unwrap();
    let acknowledged: Value = world.own.act(&id, &json!({ "action": "acknowledge" })).json().unwrap();
    assert_eq!(acknowledged["status"], "acknowledged");
    assert_eq!(acknowledged["deadlines"]["acknowledge"], filed["deadlines"]["acknowledge"]);
    assert!(acknowledged["deadlines"]["handle"].as_str() <= filed["deadlines"]["handle"].as_str());
    let transferred: Value = world.own.act(&id, &action("transfer", "")).json().unwrap();
    assert_eq!(transferred["status"], "submitted");
    assert_eq!(transferred["ward"]["code"], BA_DINH);
    assert!(transferred["deadlines"]["acknowledge"].as_str() >= filed["deadlines"]["acknowledge"].as_str());
    // Now Ba Đình's, not Hoàn Kiếm's.
    assert_eq!(world.own.act(&id, &json!({ "action": "acknowledge" })).status(), StatusCode::FORBIDDEN);
    assert_eq!(world.other.act(&id, &json!({ "action": "acknowledge" })).status(), StatusCode::OK);
}

#[test]
fn bad_action_bodies_are_refused_naming_the_field() {
    let world = world();
    let id = new_report(&world);
    world.own.act(&id, &json!({ "action": "acknowledge" }));
    let mut drainage = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
    drainage["category"] = json!("drainage");
    world.resident.file(&drainage).unwrap();
    let drain = drainage["id"].as_str().unwrap();
    world.own.act(drain, &json!({ "action": "acknowledge" }));
    for (report, body, field) in [
        (id.as_str(), json!({ "action": "resolve", "answer": "xong" }), "answer"),
        (drain, json!({ "action": "resolve", "answer": "Đã nạo vét cống, nước đã rút." }), "after_photos"),
        (id.as_str(), json!({ "action": "reject", "reason": "" }), "reason"),
        (
            id.as_str(),
            json!({ "action": "transfer", "ward": "99999", "reason": "Không thuộc phường." }),
            "ward",
        ),
        (
            id.as_str(),
            json!({ "action": "transfer", "ward": "00070", "reason": "Vẫn là phường này." }),
            "ward",
        ),
        (id.as_str(), json!({ "action": "mark_duplicate", "original": id }), "original"),
        (id.as_str(), json!({ "action": "fly" }), "action"),
    ] {
        let response = world.own.act(report, &body);
        let status = response.status();
        let error: Value = response.json().unwrap();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {error}");
        assert_eq!(error["error"]["field"], field, "{body}: {error}");
    }
    let anonymous = reqwest::blocking::Client::new()
        .post(world.server.url(&format!("/api/v1/reports/{id}/actions")))
        .json(&json!({ "action": "start" }))
        .send()
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let resident_token = reqwest::blocking::Client::new()
        .post(world.server.url(&format!("/api/v1/reports/{id}/actions")))
        .bearer_auth(&world.resident.token)
        .json(&json!({ "action": "start" }))
        .send()
        .unwrap();
    assert_eq!(resident_token.status(), StatusCode::UNAUTHORIZED, "a device is not staff");
}

#[test]
fn staff_see_their_wards_reporters_and_notes_others_do_not() {
    let world = world();
    let id = new_report(&world);
    world.own.act(&id, &action("note", ""));
    let path = format!("/api/v1/reports/{id}");
    let own: Value = world.own.get(&path).json().unwrap();
    assert_eq!(own["reporter"]["phone"], "0912 345 678");
    let city: Value = world.city.get(&path).json().unwrap();
    assert_eq!(city["reporter"]["device_id"], world.resident.id.as_str());
    let other = world.other.get(&path).text().unwrap();
    assert!(!other.contains("0912 345 678") && !other.contains("reporter"), "{other}");

    let note = "tổ trưởng dân phố";
    let timeline = |text: String| text.contains(note);
    assert!(timeline(world.own.get(&format!("{path}/events")).text().unwrap()));
    assert!(!timeline(world.other.get(&format!("{path}/events")).text().unwrap()));
    assert!(!timeline(world.resident.get(&format!("{path}/events")).text().unwrap()));
    let public =
        reqwest::blocking::Client::new().get(world.server.url(&format!("{path}/events"))).send().unwrap();
    assert!(!timeline(public.text().unwrap()));
}

#[test]
fn answer_templates_are_offered_and_their_blanks_must_be_filled() {
    let world = world();
    let (status, templates) = {
        let response = world.own.get("/api/v1/answer-templates?category=noise");
        (response.status(), response.json::<Value>().unwrap())
    };
    assert_eq!(status, StatusCode::OK);
    let templates = templates.as_array().unwrap();
    assert_eq!(templates[0]["category"], "noise", "the category's own template first");
    let text = templates[0]["text_vi"].as_str().unwrap();
    assert!(text.contains('['), "a template has blanks to fill: {text}");

    let id = new_report(&world);
    world.own.act(&id, &json!({ "action": "acknowledge" }));
    let unfilled = world.own.act(&id, &json!({ "action": "resolve", "answer": text }));
    assert_eq!(unfilled.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unfilled.json::<Value>().unwrap()["error"]["field"], "answer");
    let filled = text.replace("[ngày]", "20/11").replace(['[', ']'], "");
    assert_eq!(
        world.own.act(&id, &json!({ "action": "resolve", "answer": filled })).status(),
        StatusCode::OK
    );
    let bad = world.own.get("/api/v1/answer-templates?category=aliens");
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[test]
fn a_ward_lead_assigns_each_report_to_one_officer_who_alone_handles_it_until_a_transfer() {
    let world = world();
    let data = world._data.path();
    let lead = StaffClient::create(&world.server, data, "lanhdao", "ward_lead", Some("00070"));
    let colleague = StaffClient::create(&world.server, data, "hoankiem2", "ward", Some("00070"));
    StaffClient::create(&world.server, data, "nghiviec", "ward", Some("00070"));
    let data_dir = data.to_str().unwrap();
    let disabled =
        phananh_tests::run_server(&["disable-staff", "--username", "nghiviec", "--data-dir", data_dir], "");
    assert!(disabled.status.success(), "{}", String::from_utf8_lossy(&disabled.stderr));
    let id = new_report(&world);
    let ok = |response: reqwest::blocking::Response| {
        let status = response.status();
        let body = response.text().unwrap();
        assert_eq!(status, StatusCode::OK, "{body}");
    };
    let refused = |response: reqwest::blocking::Response, expected: StatusCode, field: Option<&str>| {
        let status = response.status();
        let error: Value = response.json().unwrap();
        assert_eq!(status, expected, "{error}");
        if let Some(field) = field {
            assert_eq!(error["error"]["field"], field, "{error}");
        }
    };
    let assign = |officer: &str| json!({ "action": "assign", "officer": officer });
    let reassign = |officer: &str| json!({ "action": "assign", "officer": officer, "reason": "Cán bộ được giao nghỉ phép." });

    // Only an active officer or lead of the report's own ward can hold it.
    for nobody in ["badinh", "thanhpho", "nghiviec", "khongai", " "] {
        refused(lead.act(&id, &assign(nobody)), StatusCode::UNPROCESSABLE_ENTITY, Some("officer"));
    }
    // An officer who may not assign learns nothing of which accounts exist.
    for anyone in ["hoankiem", "khongai"] {
        refused(colleague.act(&id, &assign(anyone)), StatusCode::FORBIDDEN, None);
    }
    ok(lead.act(&id, &assign("HoanKiem")));
    let work = |staff: &StaffClient| -> Vec<String> {
        let items: Vec<Value> = staff.get("/api/v1/staff/me/work").json().unwrap();
        items.iter().map(|item| item["report"]["id"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(work(&world.own), [id.as_str()]);
    assert!(work(&colleague).is_empty() && work(&lead).is_empty());

    // Assigned: its officer acts, another officer of the ward reads it but does not.
    refused(colleague.act(&id, &json!({ "action": "acknowledge" })), StatusCode::FORBIDDEN, None);
    refused(colleague.act(&id, &assign("hoankiem2")), StatusCode::FORBIDDEN, None);
    assert_eq!(colleague.get(&format!("/api/v1/reports/{id}")).status(), StatusCode::OK);
    ok(world.own.act(&id, &json!({ "action": "acknowledge" })));
    // Giving it to someone else takes the lead, and a reason.
    refused(world.own.act(&id, &reassign("hoankiem2")), StatusCode::FORBIDDEN, None);
    refused(lead.act(&id, &assign("hoankiem2")), StatusCode::UNPROCESSABLE_ENTITY, Some("reason"));
    refused(lead.act(&id, &reassign("hoankiem")), StatusCode::UNPROCESSABLE_ENTITY, Some("officer"));
    ok(lead.act(&id, &reassign("hoankiem2")));
    refused(world.own.act(&id, &json!({ "action": "start" })), StatusCode::FORBIDDEN, None);
    ok(colleague.act(&id, &json!({ "action": "start" })));
    assert_eq!((work(&world.own), work(&colleague)), (vec![], vec![id.clone()]));
    // City staff oversee every ward: they give it back (as to a ward without a lead).
    ok(world.city.act(&id, &reassign("hoankiem")));
    assert_eq!((work(&world.own), work(&colleague)), (vec![id.clone()], vec![]));

    // Staff see who and why; the reporter and the public see that the ward assigned it.
    let assigned = |events: Vec<Value>| -> Vec<Value> {
        events
            .into_iter()
            .filter(|e| e["kind"] == "assigned")
            .map(|e| json!([e["officer"]["username"], e["reason"]]))
            .collect()
    };
    let path = format!("/api/v1/reports/{id}/events");
    assert_eq!(
        assigned(lead.get(&path).json().unwrap()),
        [
            json!(["hoankiem", null]),
            json!(["hoankiem2", "Cán bộ được giao nghỉ phép."]),
            json!(["hoankiem", "Cán bộ được giao nghỉ phép."])
        ]
    );
    let public = reqwest::blocking::Client::new().get(world.server.url(&path)).send().unwrap();
    for events in [world.resident.get(&path).json().unwrap(), public.json().unwrap()] {
        assert_eq!(assigned(events), [json!([null, null]), json!([null, null]), json!([null, null])]);
    }

    // A transfer gives it to the new ward unassigned: its officers take it from there.
    let transfer =
        json!({ "action": "transfer", "ward": BA_DINH, "reason": "Địa điểm thuộc phường Ba Đình." });
    ok(lead.act(&id, &transfer));
    assert!(work(&world.own).is_empty());
    ok(world.other.act(&id, &assign("badinh")));
    assert_eq!(work(&world.other), [id.as_str()]);

    // Only an open report is assigned.
    let closed = new_report(&world);
    ok(world.own.act(&closed, &action("reject", "")));
    refused(lead.act(&closed, &assign("hoankiem")), StatusCode::CONFLICT, Some("action"));
}
