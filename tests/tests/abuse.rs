//! What an attacker would try first: text that means something to SQL, in every kind of text
//! field and filter, and photo ids that try to climb out of the photo store. Text must come
//! back as it was written, filters must refuse or match nothing, and no file but a photo
//! may ever be served.

use phananh_tests::{HOAN_KIEM, ResidentDevice, StaffClient, TestServer, report_at};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Strings that would change a query if they were spliced into its SQL.
const HOSTILE: [&str; 5] = [
    "Robert'); DROP TABLE reports;--",
    "' OR '1'='1",
    "\"; DELETE FROM events WHERE 1=1; --",
    "100% _khớp_ mọi thứ \\ và ' ngoặc",
    "1; UPDATE staff SET role = 'admin'",
];

fn world() -> (TestServer, tempfile::TempDir, ResidentDevice, StaffClient) {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), &[]);
    let officer = StaffClient::create(&server, data.path(), "hoankiem", "ward", Some("00070"));
    let resident = ResidentDevice::register(&server);
    (server, data, resident, officer)
}

fn file_with(resident: &ResidentDevice, description: &str) -> String {
    let mut report = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
    report["category"] = json!("noise");
    report["description"] = json!(format!("Tiếng ồn sau 22 giờ: {description}"));
    assert_eq!(resident.file(&report).unwrap().status(), StatusCode::CREATED);
    report["id"].as_str().unwrap().to_owned()
}

#[test]
fn text_that_means_something_to_sql_is_kept_as_text_everywhere() {
    let (server, _data, resident, officer) = world();
    let ids: Vec<String> = HOSTILE.iter().map(|text| file_with(&resident, text)).collect();
    for (id, text) in ids.iter().zip(HOSTILE) {
        let comment = resident.post(&format!("/api/v1/reports/{id}/comments"), &json!({ "text": text }));
        assert_eq!(comment.status(), StatusCode::OK, "{text}");
        let note = officer.act(id, &json!({ "action": "note", "text": format!("Ghi chú: {text}") }));
        assert_eq!(note.status(), StatusCode::OK, "{text}");
        let reason = format!("Không thuộc thẩm quyền: {text}");
        assert_eq!(
            officer.act(id, &json!({ "action": "reject", "reason": reason })).status(),
            StatusCode::OK
        );

        let report: Value = officer.get(&format!("/api/v1/reports/{id}")).json().unwrap();
        assert_eq!(report["description"], json!(format!("Tiếng ồn sau 22 giờ: {text}")));
        let timeline = officer.get(&format!("/api/v1/reports/{id}/events")).text().unwrap();
        for written in [text.to_owned(), format!("Ghi chú: {text}"), reason] {
            let quoted = serde_json::to_string(&written).unwrap();
            assert!(timeline.contains(quoted.trim_matches('"')), "{written:?} kept in the timeline");
        }
    }
    // Filters: a refusal naming the parameter, or nothing matched; never every report.
    for text in HOSTILE {
        for parameter in ["ward", "status", "category", "since", "cursor", "bbox"] {
            let url =
                reqwest::Url::parse_with_params(&server.url("/api/v1/reports"), [(parameter, text)]).unwrap();
            let response = reqwest::blocking::get(url).unwrap();
            let status = response.status();
            let body: Value = response.json().unwrap();
            if status.is_client_error() {
                assert_eq!(body["error"]["field"], json!(parameter), "{parameter}={text}: {body}");
            } else {
                assert_eq!(status, StatusCode::OK, "{parameter}={text}");
                assert_eq!(body["reports"], json!([]), "{parameter}={text} matched reports");
            }
        }
    }
    // Every table is still there and whole.
    let all: Value = reqwest::blocking::get(server.url("/api/v1/reports?status=rejected&limit=100"))
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(all["reports"].as_array().unwrap().len(), HOSTILE.len());
    let me: Value = officer.get("/api/v1/staff/me").json().unwrap();
    assert_eq!(me["role"], json!("ward"));
}

#[test]
fn photo_ids_cannot_reach_any_other_file() {
    let (_server, data, resident, _officer) = world();
    let database = data.path().join("phananh.db");
    assert!(database.exists(), "the database the attempts aim at");
    for id in [
        "..%2Fphananh.db",
        "..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "%2e%2e%2fphananh.db",
        "%252e%252e%252fphananh.db",
        "....%2F%2Fphananh.db",
        "..%5Cphananh.db",
        "%00",
        "phananh.db",
        "00000000-0000-0000-0000-000000000000%2F..%2F..%2Fphananh.db",
    ] {
        for size in ["", "?size=thumb"] {
            let response = resident.get(&format!("/api/v1/photos/{id}{size}"));
            let status = response.status();
            assert!(
                status == StatusCode::NOT_FOUND || status == StatusCode::UNPROCESSABLE_ENTITY,
                "{id}{size}: {status}"
            );
            let body = response.bytes().unwrap();
            let error: Value = serde_json::from_slice(&body).unwrap_or_else(|_| panic!("{id}: a JSON error"));
            assert!(error["error"]["code"].is_string(), "{id}: {error}");
            assert!(!body.windows(6).any(|w| w == b"SQLite" || w == b"root:x"), "{id} leaked a file");
        }
    }
}
