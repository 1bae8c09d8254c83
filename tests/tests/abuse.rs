//! What an attacker would try first: text that means something to SQL, in every kind of text
//! field and filter; photo ids that try to climb out of the photo store; broken and oversized
//! bodies on every endpoint that takes one. Text must come back as it was written, filters
//! must refuse or match nothing, no file but a photo may ever be served, and a bad body gets
//! a 4xx with an error the client can read, never a 5xx, with the server carrying on.

use phananh_tests::{
    HOAN_KIEM, NO_RATE_LIMITS, ResidentDevice, StaffClient, TestServer, create_api_key, report_at,
};
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

#[test]
fn broken_and_oversized_bodies_get_a_readable_4xx_on_every_endpoint() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), NO_RATE_LIMITS);
    let officer = StaffClient::create(&server, data.path(), "hoankiem", "ward", Some("00070"));
    let resident = ResidentDevice::register(&server);
    let key = create_api_key(data.path(), "Ứng dụng thử nghiệm");
    let report = file_with(&resident, "xe máy nổ máy cả đêm");
    let client = reqwest::blocking::Client::new();

    // Each endpoint that reads a body (`follow` reads none), and whose token it takes.
    let (device, staff) = (Some(resident.token.as_str()), Some(officer.token.as_str()));
    let json_endpoints = [
        ("/api/v1/devices", None),
        ("/api/v1/staff/login", None),
        ("/api/v1/reports", device),
        (&*format!("/api/v1/reports/{report}/rating"), device),
        (&*format!("/api/v1/reports/{report}/comments"), device),
        (&*format!("/api/v1/reports/{report}/cancel"), device),
        (&*format!("/api/v1/reports/{report}/actions"), staff),
        ("/api/v1/sync/push", device),
        ("/api/v1/dossiers", staff),
        ("/api/v1/dossiers/00070-261203-0001/actions", staff),
        ("/api/v1/dossiers/track", device),
    ];
    // Far over the 64 KiB a JSON body may have (and the 2 MiB of a sync push): refused
    // while the client is still sending, and heard refused all the same.
    let oversized = format!("{{\"text\":\"{}\"}}", "ồ".repeat(1 << 20));
    let broken: [(&str, Vec<u8>); 6] = [
        ("truncated", b"{\"text\": \"a".to_vec()),
        ("not an object", b"[1, 2, 3]".to_vec()),
        ("wrong types", br#"{"text": 5, "stars": "five", "action": [], "operations": {}}"#.to_vec()),
        ("not UTF-8", vec![b'{', b'"', 0xff, 0xfe, b'"', b':', b'1', b'}']),
        ("empty", Vec::new()),
        ("3 MB", oversized.into_bytes()),
    ];
    let readable = |what: &str, response: reqwest::blocking::Response| {
        let status = response.status();
        let body = response.text().unwrap();
        assert!(status.is_client_error(), "{what}: {status} {body}");
        let error: Value = serde_json::from_str(&body).unwrap_or_else(|_| panic!("{what}: not JSON: {body}"));
        // Ours: {"error": {"code", …}}; Open311's: [{"code", "description"}].
        let code = if error["error"].is_object() { &error["error"]["code"] } else { &error[0]["code"] };
        assert!(code.is_string() || code.is_u64(), "{what}: no error code in {error}");
    };
    for (path, token) in json_endpoints {
        for (kind, body) in &broken {
            let mut request =
                client.post(server.url(path)).header("content-type", "application/json").body(body.clone());
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let what = format!("{path}, {kind}");
            readable(&what, request.send().unwrap_or_else(|e| panic!("{what}: no answer: {e}")));
        }
    }
    // A photo is judged by its bytes, up to its own limit.
    for (kind, body) in [("not an image", b"GIF89a, or so it says".to_vec()), ("25 MB", vec![0xff; 25 << 20])]
    {
        let request = client.post(server.url("/api/v1/photos")).bearer_auth(&resident.token).body(body);
        readable(&format!("photo, {kind}"), request.send().unwrap());
    }
    // Open311 takes forms: broken escapes, a missing key, a form far over 64 KiB.
    let url = server.url("/open311/v2/requests.json");
    let form = "application/x-www-form-urlencoded";
    for (kind, body) in [
        ("broken escapes", format!("api_key={key}&service_code=%ZZ&lat=%&long=21")),
        ("no key", "service_code=noise&lat=21.03&long=105.85".to_owned()),
        ("3 MB", format!("api_key={key}&description={}", "x".repeat(3 << 20))),
    ] {
        readable(
            &format!("open311, {kind}"),
            client.post(&url).header("content-type", form).body(body).send().unwrap(),
        );
    }

    // And the server carries on as if nothing happened.
    let health: Value = reqwest::blocking::get(server.url("/healthz")).unwrap().json().unwrap();
    assert_eq!(health["status"], json!("ok"));
    file_with(&resident, "vẫn gửi được như thường");
}

/// A request refused before its body was read (too large, no token) has the rest of its body
/// read before the answer goes: the client, still sending, hears the refusal instead of a
/// reset, and the same connection carries its next request. Over one raw connection, so that
/// no client library's retry on a fresh connection can hide a closed one.
#[test]
fn a_refused_body_is_heard_refused_and_the_connection_carries_on() {
    use std::io::{BufRead, BufReader, Read, Write};

    let (server, _data, resident, _officer) = world();
    let mut stream = std::net::TcpStream::connect(server.url("").trim_start_matches("http://")).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut exchange = |method: &str, path: &str, token: Option<&str>, body: &[u8]| -> (u16, Value) {
        let auth = token.map(|t| format!("authorization: Bearer {t}\r\n")).unwrap_or_default();
        let head = format!(
            "{method} {path} HTTP/1.1\r\nhost: phananh\r\n{auth}content-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body).unwrap_or_else(|e| panic!("{path}: the server stopped reading the body: {e}"));
        let mut status_line = String::new();
        reader.read_line(&mut status_line).unwrap();
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{path}: no answer"));
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap();
            }
        }
        let mut answer = vec![0; length];
        reader.read_exact(&mut answer).unwrap();
        (status, serde_json::from_slice(&answer).unwrap_or(Value::Null))
    };
    let token = Some(resident.token.as_str());
    let (status, error) = exchange("POST", "/api/v1/reports", token, &vec![b' '; 3 << 20]);
    assert_eq!((status, &error["error"]["code"]), (413, &json!("too_large")));
    let (status, error) = exchange("POST", "/api/v1/photos", token, &vec![0xff; 25 << 20]);
    assert_eq!((status, &error["error"]["field"]), (413, &json!("photo")));
    let (status, error) = exchange("POST", "/api/v1/sync/push", None, &vec![b' '; 1 << 20]);
    assert_eq!((status, &error["error"]["code"]), (401, &json!("unauthorized")));
    let (status, health) = exchange("GET", "/healthz", None, b"");
    assert_eq!((status, &health["status"]), (200, &json!("ok")), "the connection carries on");
}
