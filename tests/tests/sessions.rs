//! A staff member's live stream lasts as long as their session: signing out (this session or
//! every one of the account), the session expiring and the account being disabled each close
//! it with code 4401 within one heartbeat, and no staff note reaches it after.

use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use phananh_shared::api::{Change, LiveMessage};
use phananh_tests::{
    HOAN_KIEM, LiveClient, ResidentDevice, STAFF_PASSWORD, StaffClient, TestServer, engine, report_at,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The server pings live subscribers, and checks their sessions, this often.
const HEARTBEAT: Duration = Duration::from_secs(2);
/// What a loaded test machine may add to a heartbeat before a close arrives.
const MARGIN: Duration = Duration::from_secs(1);
/// The close code of a stream whose session ended.
const SESSION_ENDED: u16 = 4401;

struct World {
    server: TestServer,
    data: tempfile::TempDir,
    officer: StaffClient,
    city: StaffClient,
    report: String,
}

fn world() -> World {
    let data = tempfile::tempdir().unwrap();
    let heartbeat = HEARTBEAT.as_secs().to_string();
    let server = TestServer::start_in(data.path(), &["--live-heartbeat-seconds", &heartbeat]);
    let officer = StaffClient::create(&server, data.path(), "hoankiem", "ward", Some("00070"));
    let city = StaffClient::create(&server, data.path(), "thanhpho", "city", None);
    let resident = ResidentDevice::register(&server);
    let report = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
    assert_eq!(resident.file(&report).unwrap().status(), StatusCode::CREATED);
    let report = report["id"].as_str().unwrap().to_owned();
    World { server, data, officer, city, report }
}

impl World {
    /// A staff note on the report, by city staff, whose session goes on.
    fn note(&self, text: &str) {
        assert_eq!(
            self.city.act(&self.report, &json!({ "action": "note", "text": text })).status(),
            StatusCode::OK
        );
    }

    /// Hoàn Kiếm's stream for `token`, caught up.
    fn stream(&self, rt: &tokio::runtime::Runtime, token: &str) -> LiveClient {
        rt.block_on(async {
            let mut stream = LiveClient::open(&self.server, "ward:00070", "latest", Some(token)).await;
            assert!(matches!(stream.next().await, LiveMessage::CaughtUp { .. }));
            stream
        })
    }

    /// Signs `username` in once more: the new session's token.
    fn sign_in(&self, username: &str) -> String {
        let answer: Value = reqwest::blocking::Client::new()
            .post(self.server.url("/api/v1/staff/login"))
            .json(&json!({ "username": username, "password": STAFF_PASSWORD.trim_end() }))
            .send()
            .unwrap()
            .json()
            .unwrap();
        answer["token"].as_str().expect("signed in").to_owned()
    }

    fn logout(&self, token: &str, query: &str) -> reqwest::blocking::Response {
        reqwest::blocking::Client::new()
            .post(self.server.url(&format!("/api/v1/staff/logout{query}")))
            .bearer_auth(token)
            .send()
            .unwrap()
    }

    fn me(&self, token: &str) -> StatusCode {
        let url = self.server.url("/api/v1/staff/me");
        reqwest::blocking::Client::new().get(url).bearer_auth(token).send().unwrap().status()
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

fn notes(messages: &[LiveMessage]) -> usize {
    let noted =
        |m: &&LiveMessage| matches!(m, LiveMessage::Event(e) if matches!(e.change, Change::Noted { .. }));
    messages.iter().filter(noted).count()
}

/// Waits for `stream` to close; asserts it closed for the session within `within`, and
/// returns what it sent before.
fn closed_for_the_session(
    rt: &tokio::runtime::Runtime,
    stream: &mut LiveClient,
    within: Duration,
) -> Vec<LiveMessage> {
    let started = Instant::now();
    let (messages, code) = rt.block_on(stream.until_closed(within + MARGIN));
    assert_eq!(code, Some(SESSION_ENDED), "closed after {:?}", started.elapsed());
    messages
}

#[test]
fn signing_out_ends_the_session_and_closes_its_streams_at_once() {
    let (world, rt) = (world(), runtime());
    let token = world.officer.token.clone();
    let mut stream = world.stream(&rt, &token);
    // The same session's event stream, for a client without WebSockets.
    let events = reqwest::blocking::Client::new()
        .get(world.server.url("/api/v1/live?scope=ward:00070&since=latest"))
        .bearer_auth(&token)
        .header("accept", "text/event-stream")
        .send()
        .unwrap();
    assert_eq!(events.status(), StatusCode::OK);
    let sse = std::thread::spawn(move || {
        // The event names and data lines, until the stream ends.
        let lines = BufReader::new(events).lines().map_while(Result::ok);
        lines.filter(|line| line.starts_with("event:") || line.starts_with("data:")).collect::<Vec<_>>()
    });
    world.note("Trước khi đăng xuất.");

    let answer = world.logout(&token, "");
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(answer.json::<Value>().unwrap(), json!({ "sessions_ended": 1 }));
    world.note("Sau khi đăng xuất: không ai ở phiên cũ được thấy.");

    let before = closed_for_the_session(&rt, &mut stream, Duration::ZERO);
    assert_eq!(notes(&before), 1, "the note before the sign-out only: {before:?}");
    let lines = sse.join().unwrap();
    let ended = lines.iter().position(|line| line == "event: ended").expect("an `ended` event");
    let error: Value = serde_json::from_str(lines[ended + 1].trim_start_matches("data:").trim()).unwrap();
    assert_eq!(error["error"]["code"], "session_ended");
    assert_eq!(ended + 2, lines.len(), "the last event: {lines:?}");
    assert_eq!(lines.iter().filter(|line| line.contains("\"noted\"")).count(), 1, "{lines:?}");

    assert_eq!(world.me(&token), StatusCode::UNAUTHORIZED);
    assert_eq!(world.logout(&token, "").status(), StatusCode::UNAUTHORIZED, "already signed out");
    let refused =
        rt.block_on(LiveClient::connect(&world.server.url(""), "ward:00070", "latest", Some(&token)));
    assert_eq!(refused.err().map(|r| r.status), Some(401));
}

#[test]
fn signing_out_everywhere_ends_every_session_of_the_account_and_no_other() {
    let (world, rt) = (world(), runtime());
    let (first, second) = (world.officer.token.clone(), world.sign_in("hoankiem"));
    let (mut on_first, mut on_second) = (world.stream(&rt, &first), world.stream(&rt, &second));
    let mut city = world.stream(&rt, &world.city.token);

    let answer = world.logout(&second, "?everywhere=true");
    assert_eq!(answer.json::<Value>().unwrap(), json!({ "sessions_ended": 2 }));
    world.note("Sau khi đăng xuất mọi nơi.");
    for stream in [&mut on_first, &mut on_second] {
        let before = closed_for_the_session(&rt, stream, Duration::ZERO);
        assert_eq!(notes(&before), 0, "{before:?}");
    }
    assert_eq!((world.me(&first), world.me(&second)), (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED));
    // City staff's session goes on, stream and all.
    assert_eq!(world.me(&world.city.token), StatusCode::OK);
    assert!(
        matches!(rt.block_on(city.next()), LiveMessage::Event(e) if matches!(e.change, Change::Noted { .. }))
    );
    // Signing in again works.
    let again = world.sign_in("hoankiem");
    assert_eq!(world.me(&again), StatusCode::OK);
}

#[test]
fn a_session_that_expires_closes_its_stream_and_gets_no_note_after() {
    let (world, rt) = (world(), runtime());
    let token = world.officer.token.clone();
    // The session ends in 3 s (sessions last 12 hours: its end is brought forward in the
    // database, as time passing would).
    let expiry = chrono::Utc::now() + chrono::TimeDelta::seconds(3);
    let stamp = expiry.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let update = format!(
        "UPDATE sessions SET expires_at = '{stamp}' WHERE staff_id = (SELECT id FROM staff WHERE username = 'hoankiem')"
    );
    assert_eq!(engine::execute(world.data.path(), &update), 1);
    let mut stream = world.stream(&rt, &token);
    world.note("Trong phiên.");

    let wait = (expiry - chrono::Utc::now()).to_std().unwrap_or_default();
    std::thread::sleep(wait);
    // At once after the expiry, before any heartbeat could have told the stream.
    world.note("Sau khi hết phiên.");
    let before = closed_for_the_session(&rt, &mut stream, HEARTBEAT);
    assert_eq!(notes(&before), 1, "the note made in the session only: {before:?}");
    assert_eq!(world.me(&token), StatusCode::UNAUTHORIZED);
}

#[test]
fn disabling_the_account_closes_its_stream_within_a_heartbeat() {
    let (world, rt) = (world(), runtime());
    let token = world.officer.token.clone();
    let mut stream = world.stream(&rt, &token);
    let data_dir = world.data.path().to_str().unwrap();
    let disabled =
        phananh_tests::run_server(&["disable-staff", "--username", "HoanKiem", "--data-dir", data_dir], "");
    assert!(disabled.status.success(), "{}", String::from_utf8_lossy(&disabled.stderr));
    assert_eq!(
        String::from_utf8_lossy(&disabled.stdout).trim(),
        "disabled staff \"hoankiem\"; 1 session(s) ended"
    );

    closed_for_the_session(&rt, &mut stream, HEARTBEAT);
    world.note("Sau khi khoá tài khoản.");
    assert_eq!(world.me(&token), StatusCode::UNAUTHORIZED);
    let login = reqwest::blocking::Client::new()
        .post(world.server.url("/api/v1/staff/login"))
        .json(&json!({ "username": "hoankiem", "password": STAFF_PASSWORD.trim_end() }))
        .send()
        .unwrap();
    assert_eq!(login.status(), StatusCode::UNAUTHORIZED, "a disabled account cannot sign in");
    let refused =
        rt.block_on(LiveClient::connect(&world.server.url(""), "ward:00070", "latest", Some(&token)));
    assert_eq!(refused.err().map(|r| r.status), Some(401));

    let unknown =
        phananh_tests::run_server(&["disable-staff", "--username", "nobody", "--data-dir", data_dir], "");
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no staff account \"nobody\""));
}
