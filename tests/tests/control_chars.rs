//! Control characters (issue 22, item 7): XML 1.0 cannot carry C0 controls other than tab,
//! CR and LF, nor U+FFFE/U+FFFF, so one in a description once stopped the Open311 XML feed
//! parsing for every consumer. Every text a client sends is refused with them, naming the
//! field, and the XML writer replaces them whatever the database holds.

use phananh_tests::{HOAN_KIEM, ResidentDevice, StaffClient, TestServer, create_api_key, report_at};
use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::{Value, json};

/// The texts that broke the feed (U+0001, U+000B, U+001B) and the noncharacter U+FFFF.
const BAD: [&str; 4] = ["\u{1}", "\u{B}", "\u{1B}[31m", "\u{FFFF}"];

/// A text long enough for any field, with `bad` in the middle.
fn with(bad: &str) -> String {
    format!("Cống trước số 12 bị tắc{bad}, nước tràn lên vỉa hè.")
}

/// The 422's field, after checking the refusal's shape.
fn refused_field(response: reqwest::blocking::Response) -> String {
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = response.json().unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("control character U+"), "{body}");
    body["error"]["field"].as_str().unwrap().to_owned()
}

#[test]
fn the_api_refuses_control_characters_naming_the_field() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), &[]);
    let officer = StaffClient::create(&server, data.path(), "hoankiem", "ward", Some("00070"));
    let resident = ResidentDevice::register(&server);
    let mut report = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
    let filed = resident.file(&report).unwrap();
    assert_eq!(filed.status(), StatusCode::CREATED);
    let id = report["id"].as_str().unwrap().to_owned();
    let http = Client::new();

    for bad in BAD {
        let device = http.post(server.url("/api/v1/devices")).json(&json!({ "name": format!("Lan{bad}") }));
        assert_eq!(refused_field(device.send().unwrap()), "name", "{bad:?}");

        report["id"] = json!(uuid::Uuid::now_v7());
        report["description"] = json!(with(bad));
        assert_eq!(refused_field(resident.file(&report).unwrap()), "description", "{bad:?}");

        let comment = resident.post(&format!("/api/v1/reports/{id}/comments"), &json!({ "text": with(bad) }));
        assert_eq!(refused_field(comment), "text", "{bad:?}");

        let note = officer.act(&id, &json!({ "action": "note", "text": with(bad) }));
        assert_eq!(refused_field(note), "text", "{bad:?}");
    }
    // Tab, line breaks and any other character pass.
    let comment = with("\t\r\n\u{7F}");
    let answer = resident.post(&format!("/api/v1/reports/{id}/comments"), &json!({ "text": comment }));
    assert_eq!(answer.status(), StatusCode::OK);

    // An Open311 filing: every parameter, used or not, in the spec's error format.
    let key = create_api_key(data.path(), "Ứng dụng thử nghiệm");
    for (field, value) in [
        ("description", with("\u{1}")),
        ("first_name", "Lan\u{1B}".to_owned()),
        ("address_string", "Số 12\u{B} Hàng Bài".to_owned()),
    ] {
        let mut form = vec![
            ("api_key", key.clone()),
            ("service_code", "noise".to_owned()),
            ("lat", "21.0288".to_owned()),
            ("long", "105.8525".to_owned()),
            ("description", with("")),
        ];
        form.retain(|(name, _)| *name != field);
        form.push((field, value));
        let answer = http.post(server.url("/open311/v2/requests.xml")).form(&form).send().unwrap();
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
        let text = answer.text().unwrap();
        let document = roxmltree::Document::parse(&text).expect("the refusal is well-formed XML");
        let description = document.descendants().find(|n| n.has_tag_name("description")).unwrap();
        let description = description.text().unwrap();
        assert!(description.starts_with(field) && description.contains("control character"), "{text}");
    }
}

#[test]
fn the_open311_xml_feed_parses_whatever_the_database_holds() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), &[]);
    let officer = StaffClient::create(&server, data.path(), "hoankiem", "ward", Some("00070"));
    let resident = ResidentDevice::register(&server);
    let mut report = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
    report["category"] = json!("noise"); // answered without an "after" photo
    assert_eq!(resident.file(&report).unwrap().status(), StatusCode::CREATED);
    let id = report["id"].as_str().unwrap();
    for action in
        [json!({ "action": "acknowledge" }), json!({ "action": "resolve", "answer": "Đã nạo vét cống." })]
    {
        assert_eq!(officer.act(id, &action).status(), StatusCode::OK);
    }

    // Rows written before the check, or by hand: control characters straight into the database.
    let db = rusqlite::Connection::open(data.path().join("phananh.db")).unwrap();
    db.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
    let description = "Cống\u{1} trước\u{B} số 12\u{1B}[31m bị tắc\u{FFFE}\u{FFFF}, nước\ttràn.";
    db.execute("UPDATE reports SET description = ?1 WHERE id = ?2", [description, id]).unwrap();
    // Events are append-only: the trigger is dropped for this test's sake, as a hand edit would.
    db.execute_batch("DROP TRIGGER events_are_never_rewritten").unwrap();
    let rewritten = db
        .execute(
            r"UPDATE events SET data = replace(data, 'Đã nạo vét', 'Đã\u0001 nạo\u001bvét') WHERE report_id = ?1 AND instr(data, 'Đã nạo vét') > 0",
            [id],
        )
        .unwrap();
    assert_eq!(rewritten, 1, "the answer's event");

    let http = Client::new();
    for path in ["requests.xml", &format!("requests/{id}.xml"), "servicerequestupdates.xml"] {
        let answer = http.get(server.url(&format!("/open311/v2/{path}"))).send().unwrap();
        assert_eq!(answer.status(), StatusCode::OK, "{path}");
        let text = answer.text().unwrap();
        let document = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{path}: {e}\n{text}"));
        let texts: String = document.descendants().filter_map(|n| n.text()).collect();
        assert!(texts.contains('\u{FFFD}'), "{path}: the characters are replaced, not dropped unseen");
        assert!(!texts.contains(|c: char| !phananh_shared::validation::is_text_char(c)), "{path}");
    }
    let requests = http.get(server.url("/open311/v2/requests.xml")).send().unwrap().text().unwrap();
    assert!(
        requests.contains("Cống\u{FFFD} trước\u{FFFD} số 12\u{FFFD}[31m bị tắc\u{FFFD}\u{FFFD}, nước\ttràn.")
    );
}
