//! The desktop app's commands, run through Tauri's mock runtime (no display): what the
//! window can ask, and what it hears back.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use phananh_desktop::device::{CONNECTION_EVENT, Places, REPORTS_EVENT};

use phananh_tests::{StaffClient, TestServer, free_address, reference_file, report_at};
use serde_json::{Value, json};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder, mock_context, noop_assets};
use tauri::webview::InvokeRequest;
use tauri::{Listener, WebviewWindow, WebviewWindowBuilder};

/// Hồ Hoàn Kiếm, in Phường Hoàn Kiếm (00070).
const HOAN_KIEM: (f64, f64) = (105.8525, 21.0288);
const DEADLINE: Duration = Duration::from_secs(30);

struct Desktop {
    _app: tauri::App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
    heard: Arc<Mutex<Vec<(String, Value)>>>,
}

impl Desktop {
    /// The app on the device folders under `dir`, as launched.
    fn launch(dir: &Path) -> Desktop {
        let places = Places {
            data: dir.join("data"),
            config: dir.join("config"),
            wards: reference_file("hanoi_wards_2025_display.geojson"),
        };
        let app = phananh_desktop::app(mock_builder(), Some(places))
            .expect("the device state")
            .build(mock_context(noop_assets()))
            .expect("the app builds");
        let heard = Arc::new(Mutex::new(Vec::new()));
        for name in [CONNECTION_EVENT, REPORTS_EVENT] {
            let heard = Arc::clone(&heard);
            app.listen_any(name, move |event| {
                let payload = serde_json::from_str(event.payload()).unwrap_or(Value::Null);
                heard.lock().unwrap().push((name.to_owned(), payload));
            });
        }
        let window = WebviewWindowBuilder::new(&app, "main", Default::default()).build().expect("a window");
        Desktop { _app: app, window, heard }
    }

    fn invoke(&self, command: &str, args: Value) -> Result<Value, Value> {
        let request = InvokeRequest {
            cmd: command.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        };
        get_ipc_response(&self.window, request).map(|body| body.deserialize::<Value>().unwrap())
    }

    fn ok(&self, command: &str, args: Value) -> Value {
        self.invoke(command, args).unwrap_or_else(|e| panic!("{command}: {e}"))
    }

    /// Asks `command` until `done` holds of its answer, or fails at the deadline.
    fn until(&self, command: &str, done: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        loop {
            let answer = self.ok(command, json!({}));
            if done(&answer) {
                return answer;
            }
            assert!(start.elapsed() < DEADLINE, "{command} never got there: {answer}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn heard(&self, name: &str) -> Vec<Value> {
        self.heard.lock().unwrap().iter().filter(|(n, _)| n == name).map(|(_, p)| p.clone()).collect()
    }
}

fn settings(server: &str) -> Value {
    json!({ "settings": { "server": server, "lang": "en", "started": false } })
}

fn jpeg() -> String {
    base64::engine::general_purpose::STANDARD.encode(phananh_tests::small_jpeg())
}

#[test]
fn nothing_is_kept_or_sent_before_the_first_run_and_an_offline_report_outlives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let nowhere = format!("http://{}", free_address());
    let desktop = Desktop::launch(dir.path());
    assert_eq!(desktop.ok("settings", json!({}))["started"], false);
    let early =
        desktop.invoke("file_report", json!({ "report": report_at(HOAN_KIEM.0, HOAN_KIEM.1), "photos": [] }));
    assert_eq!(early.unwrap_err()["code"], "not_started");
    assert!(!dir.path().join("data").exists(), "no database before the resident starts");

    let identity = desktop.ok("begin", settings(&format!("{nowhere}/")));
    assert_eq!(identity["device_id"], Value::Null, "the server is not there to give an id");
    let report = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
    let filed = desktop.ok("file_report", json!({ "report": report, "photos": [jpeg()] }));
    assert_eq!(filed["waiting"], true);
    assert_eq!(filed["local_ward"]["code"], "00070", "the ward from the boundaries shipped with the app");
    let outbox = desktop.ok("outbox", json!({}));
    assert_eq!(outbox.as_array().unwrap().len(), 1);
    assert_eq!(outbox[0]["report"]["id"], report["id"]);
    assert_eq!(outbox[0]["photos_waiting"], 1);
    let status = desktop.until("sync_status", |s| s["online"] == false);
    assert_eq!(status["waiting"], 1);
    assert!(desktop.heard(CONNECTION_EVENT).contains(&json!({ "online": false })));
    drop(desktop);

    let again = Desktop::launch(dir.path());
    let kept = again.ok("settings", json!({}));
    assert_eq!(kept, json!({ "server": nowhere, "lang": "en", "started": true }));
    let outbox = again.ok("outbox", json!({}));
    assert_eq!(outbox.as_array().unwrap().len(), 1, "{outbox}");
    assert_eq!(outbox[0]["report"]["id"], report["id"]);
    assert_eq!(outbox[0]["photos_waiting"], 1);
}

#[test]
fn bad_input_is_refused_naming_the_field_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let desktop = Desktop::launch(dir.path());
    let nowhere = format!("http://{}", free_address());
    for (server, why) in [("ftp://city.example", "http"), ("http://", "host"), ("http://a b", "spaces")] {
        let refused = desktop.invoke("begin", settings(server)).unwrap_err();
        assert_eq!(refused["field"], "server", "{server}");
        assert!(refused["message"].as_str().unwrap().contains(why), "{refused}");
    }
    let refused =
        desktop.invoke("begin", json!({ "settings": { "server": nowhere, "lang": "fr", "started": true } }));
    assert_eq!(refused.unwrap_err()["field"], "lang");
    assert_eq!(desktop.ok("settings", json!({}))["started"], false, "nothing refused was kept");
    assert!(!dir.path().join("config/settings.json").exists());

    desktop.ok("begin", settings(&nowhere));
    let mut report = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
    report["description"] = json!("");
    let refused = desktop.invoke("file_report", json!({ "report": report, "photos": [] })).unwrap_err();
    assert_eq!(refused["field"], "description");
    let refused = desktop
        .invoke(
            "file_report",
            json!({ "report": report_at(HOAN_KIEM.0, HOAN_KIEM.1), "photos": ["not base64!"] }),
        )
        .unwrap_err();
    assert_eq!(refused["field"], "photos[0]");
    let six = vec![jpeg(); 6];
    let refused = desktop
        .invoke("file_report", json!({ "report": report_at(HOAN_KIEM.0, HOAN_KIEM.1), "photos": six }))
        .unwrap_err();
    assert_eq!(refused["field"], "photos");
    let refused = desktop.invoke("save_settings", settings("city.example")).unwrap_err();
    assert_eq!(refused["field"], "server");
    assert_eq!(desktop.ok("settings", json!({}))["server"], nowhere);
    assert_eq!(desktop.ok("outbox", json!({})), json!([]), "no refused filing was queued");
}

#[test]
fn a_report_syncs_in_the_background_and_its_changes_reach_the_window() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), &[]);
    let officer = StaffClient::create(&server, data.path(), "hoankiem", "ward", Some("00070"));
    let dir = tempfile::tempdir().unwrap();
    let desktop = Desktop::launch(dir.path());
    let identity = desktop.ok("begin", settings(&server.url("")));
    assert!(identity["device_id"].is_string(), "registered at the first run: {identity}");
    assert_eq!(desktop.ok("identity", json!({})), identity);

    let report = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
    let id = report["id"].as_str().unwrap().to_owned();
    desktop.ok("file_report", json!({ "report": report, "photos": [jpeg()] }));
    let reports = desktop.until("reports", |r| r[0]["view"]["status"] == "submitted");
    assert_eq!(reports[0]["view"]["ward"]["code"], "00070");
    assert_eq!(reports[0]["view"]["photos"].as_array().unwrap().len(), 1, "the photo went with it");
    assert_eq!(desktop.ok("outbox", json!({})), json!([]));
    assert!(desktop.heard(CONNECTION_EVENT).contains(&json!({ "online": true })));

    let heard_before = desktop.heard(REPORTS_EVENT).len();
    assert_eq!(officer.act(&id, &json!({ "action": "acknowledge" })).status(), 200);
    // No call from the window: the native side hears it on the live stream and syncs.
    let start = Instant::now();
    while desktop.heard(REPORTS_EVENT).len() == heard_before {
        assert!(start.elapsed() < DEADLINE, "the window was never told");
        std::thread::sleep(Duration::from_millis(20));
    }
    let reports = desktop.until("reports", |r| r[0]["view"]["status"] == "acknowledged");
    assert_eq!(reports[0]["waiting"], false);
    let view = desktop.ok("report", json!({ "id": id }));
    assert_eq!(view["status"], "acknowledged");
    let timeline = desktop.ok("timeline", json!({ "id": id }));
    let kinds: Vec<&str> = timeline.as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert!(kinds.starts_with(&["filed"]) && kinds.len() >= 2, "{kinds:?}");

    // With the server gone, the report and its timeline are still there to read.
    server.kill();
    assert_eq!(desktop.ok("report", json!({ "id": id }))["status"], "acknowledged");
    assert_eq!(desktop.ok("timeline", json!({ "id": id })), timeline);
}

#[test]
fn a_dossier_tracked_in_the_desktop_app_follows_the_desk_without_the_window_asking() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), &[]);
    let officer = StaffClient::create(&server, data.path(), "hoankiem", "ward", Some("00070"));
    let registered: Value = officer
        .post(
            "/api/v1/dossiers",
            &json!({ "procedure": "ho-tich-khai-sinh", "applicant": "Lê Thu", "phone": "0987 000 123" }),
        )
        .json()
        .unwrap();
    let code = registered["dossier"]["code"].as_str().unwrap().to_owned();
    let secret = registered["secret"].as_str().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let desktop = Desktop::launch(dir.path());
    desktop.ok("begin", settings(&server.url("")));

    let refused = desktop.invoke("track_dossier", json!({ "code": " ", "secret": secret })).unwrap_err();
    assert_eq!(refused["field"], "code");
    desktop.ok("track_dossier", json!({ "code": code, "secret": secret }));
    let dossiers = desktop.until("dossiers", |d| d[0]["status"] == "received");
    assert_eq!(dossiers[0]["code"], code.as_str());
    assert!(dossiers[0].get("contact").is_none(), "the applicant's details stay at the desk");

    let path = format!("/api/v1/dossiers/{code}/actions");
    let asked = officer.post(&path, &json!({ "action": "request_documents", "missing": "Giấy chứng sinh" }));
    assert_eq!(asked.status(), 200);
    let dossiers = desktop.until("dossiers", |d| d[0]["status"] == "needs_documents");
    assert_eq!(dossiers[0]["missing"], "Giấy chứng sinh");
}

#[test]
fn a_phones_reports_move_to_the_desktop_app_with_the_phones_transfer_code() {
    let server = TestServer::start();
    let phone = phananh_tests::ResidentDevice::register(&server);
    let report = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
    assert_eq!(phone.file(&report).unwrap().status(), 201);
    let shown: Value = phone.post("/api/v1/devices/transfer", &json!({})).json().unwrap();

    let dir = tempfile::tempdir().unwrap();
    let desktop = Desktop::launch(dir.path());
    desktop.ok("begin", settings(&server.url("")));
    let wrong = desktop.invoke("claim", json!({ "code": "AAAA-AAAA" })).unwrap_err();
    assert_eq!((&wrong["code"], &wrong["field"]), (&json!("not_found"), &json!("code")), "{wrong}");
    let heard_before = desktop.heard(REPORTS_EVENT).len();
    assert_eq!(desktop.ok("claim", json!({ "code": shown["code"] })), 1);
    assert_eq!(desktop.ok("identity", json!({}))["device_id"].as_str(), Some(phone.id.as_str()));
    let reports =
        desktop.until("reports", |r| r.as_array().is_some_and(|r| r.iter().any(|r| r["id"] == report["id"])));
    let moved = reports.as_array().unwrap().iter().find(|r| r["id"] == report["id"]).unwrap();
    assert_eq!(moved["view"]["ward"]["code"], "00070", "with the server's view");
    // The reports are stored before the window is told of them: wait for the telling.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while desktop.heard(REPORTS_EVENT).len() <= heard_before && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(desktop.heard(REPORTS_EVENT).len() > heard_before, "the window is told");

    // The desktop app can hand them on in turn.
    let code = desktop.ok("transfer_code", json!({}));
    let code = code["code"].as_str().expect("a code");
    assert!(code.len() == 9 && code.as_bytes()[4] == b'-', "ABCD-EFGH: {code}");
}
