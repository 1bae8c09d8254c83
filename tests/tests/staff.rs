//! Staff accounts over the real binary: `create-staff` with the password on stdin, signing in,
//! `GET /api/v1/staff/me`, refusals that tell nothing about which usernames exist, and staff
//! and device tokens never taken for one another.

use std::path::Path;
use std::process::Output;
use std::sync::LazyLock;

use phananh_tests::{HOAN_KIEM, ResidentDevice, STAFF_PASSWORD, TestServer, report_at, run_server};
use reqwest::StatusCode;
use reqwest::blocking::{Client, Response};
use serde_json::{Value, json};

/// One server for the whole file, on a data directory the tests make accounts in. The tests
/// sign in dozens of times from one address: more than the sign-in limit allows.
static SERVER: LazyLock<TestServer> = LazyLock::new(|| {
    TestServer::start_with(&["--login-burst", "1000000", "--login-rate-per-minute", "1000000"])
});

fn dir() -> &'static Path {
    SERVER.data_dir()
}

fn url(path: &str) -> String {
    SERVER.url(path)
}

/// `phananh-server create-staff` with `args` (and the data dir), `stdin` piped in.
fn run_create(data_dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut all = vec!["create-staff", "--data-dir", data_dir.to_str().unwrap()];
    all.extend_from_slice(args);
    run_server(&all, stdin)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn created(username: &str, role: &str, ward: Option<&str>) -> String {
    let mut args = vec!["--username", username, "--role", role];
    args.extend(ward.map(|ward| ["--ward", ward]).into_iter().flatten());
    let out = run_create(dir(), &args, STAFF_PASSWORD);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}

fn login(username: &str, password: &str) -> Response {
    Client::new()
        .post(url("/api/v1/staff/login"))
        .json(&json!({ "username": username, "password": password }))
        .send()
        .unwrap()
}

/// Signs in with the test password: the answer's body.
fn signed_in(username: &str) -> Value {
    let response = login(username, STAFF_PASSWORD.trim_end());
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.json().unwrap()
}

fn me(token: Option<&str>) -> (StatusCode, Value) {
    let request = Client::new().get(url("/api/v1/staff/me"));
    let request = match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    };
    let response = request.send().unwrap();
    (response.status(), response.json().unwrap())
}

#[test]
fn a_ward_officer_is_created_signs_in_and_the_token_names_their_ward() {
    let line = created("hoankiem", "ward", Some("00070"));
    assert_eq!(line, "created ward staff \"hoankiem\" for 00070 Phường Hoàn Kiếm\n");

    let before = chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now());
    let answer = signed_in("hoankiem");
    let token = answer["token"].as_str().unwrap();
    assert!(token.len() == 64 && token.chars().all(|c| c.is_ascii_hexdigit()), "{token}");
    let staff = &answer["staff"];
    assert!(staff["id"].as_i64().is_some(), "{answer}");
    assert_eq!(staff["username"], "hoankiem");
    assert_eq!(staff["role"], "ward");
    assert_eq!(staff["ward"], json!({ "code": "00070", "name": "Phường Hoàn Kiếm" }));
    let expires: chrono::DateTime<chrono::Utc> = answer["expires_at"].as_str().unwrap().parse().unwrap();
    let hours = (expires - before).num_minutes() as f64 / 60.0;
    assert!((11.9..=12.1).contains(&hours), "a session lasts 12 hours, this one {hours}");

    let (status, view) = me(Some(token));
    assert_eq!(status, StatusCode::OK);
    assert_eq!(&view, staff, "`me` answers the token's owner");

    let other = signed_in("hoankiem");
    assert_ne!(other["token"], answer["token"], "each sign-in is a session of its own");
    assert_eq!(me(Some(token)).0, StatusCode::OK, "the first session goes on");
}

#[test]
fn city_staff_and_administrators_have_no_ward_and_usernames_ignore_case() {
    assert_eq!(created("Thanh.Pho", "city", None), "created city staff \"thanh.pho\"\n");
    assert_eq!(created("quantri", "admin", None), "created admin staff \"quantri\"\n");
    let city = signed_in("THANH.PHO");
    let staff = &city["staff"];
    assert_eq!(
        (staff["username"].as_str(), staff["role"].as_str()),
        (Some("thanh.pho"), Some("city")),
        "{city}"
    );
    assert_eq!(staff["ward"], Value::Null, "{city}");
    let (status, view) = me(Some(signed_in("quantri")["token"].as_str().unwrap()));
    assert_eq!((status, view["role"].as_str(), &view["ward"]), (StatusCode::OK, Some("admin"), &Value::Null));
}

#[test]
fn a_wrong_password_and_an_unknown_username_get_the_same_refusal() {
    created("badinh", "ward", Some("00004"));
    let wrong = login("badinh", "not-the-password-at-all");
    let unknown = login("nobody-here", STAFF_PASSWORD.trim_end());
    let (wrong_status, unknown_status) = (wrong.status(), unknown.status());
    let (wrong, unknown) = (wrong.text().unwrap(), unknown.text().unwrap());
    assert_eq!((wrong_status, unknown_status), (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED));
    assert_eq!(wrong, unknown, "nothing tells which usernames exist");
    let body: Value = serde_json::from_str(&wrong).unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
    assert!(!wrong.contains("badinh") && !unknown.contains("nobody"), "{wrong}");

    let (status, error) = {
        let response = Client::new()
            .post(url("/api/v1/staff/login"))
            .json(&json!({ "username": "badinh", "password": "x", "remember": true }))
            .send()
            .unwrap();
        (response.status(), response.json::<Value>().unwrap())
    };
    assert_eq!(
        (status, error["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("remember"))
    );
}

#[test]
fn me_needs_a_staff_token_in_force() {
    let (status, error) = me(None);
    assert_eq!((status, error["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthorized")));
    assert_eq!(me(Some(&"0".repeat(64))).0, StatusCode::UNAUTHORIZED);
    assert_eq!(me(Some("not a token")).0, StatusCode::UNAUTHORIZED);
}

#[test]
fn a_device_token_is_not_a_staff_token_nor_the_other_way_round() {
    let device = ResidentDevice::register(&SERVER);
    let (status, error) = me(Some(&device.token));
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{error}");

    created("hangbai", "ward", Some("00070"));
    let staff_token = signed_in("hangbai")["token"].as_str().unwrap().to_owned();
    let filed = Client::new()
        .post(url("/api/v1/reports"))
        .bearer_auth(&staff_token)
        .json(&report_at(HOAN_KIEM.0, HOAN_KIEM.1))
        .send()
        .unwrap();
    assert_eq!(filed.status(), StatusCode::UNAUTHORIZED, "a staff member is not a resident's device");
    assert_eq!(device.file(&report_at(HOAN_KIEM.0, HOAN_KIEM.1)).unwrap().status(), StatusCode::CREATED);
}

/// Each mistake `create-staff` can meet: it exits 1 naming the problem, makes nothing, and
/// never panics.
#[test]
fn create_staff_refuses_mistakes_with_a_message_and_exit_1() {
    created("trungtam", "city", None);
    let password = STAFF_PASSWORD;
    let cases: [(&[&str], &str, &str); 9] = [
        (&["--username", "trungtam", "--role", "city"], password, "already exists"),
        (&["--username", "TrungTam", "--role", "admin"], password, "already exists"),
        (&["--username", "xa-ma", "--role", "ward", "--ward", "99999"], password, "no ward \"99999\""),
        (&["--username", "vo-phuong", "--role", "ward"], password, "needs --ward"),
        (&["--username", "lanhdao-vo-phuong", "--role", "ward_lead"], password, "needs --ward"),
        (&["--username", "thanhpho2", "--role", "city", "--ward", "00070"], password, "do not give --ward"),
        (&["--username", "ngan", "--role", "city"], "ngắn\n", "at least 10 characters; it has 4"),
        (&["--username", "rong", "--role", "city"], "", "at least 10 characters; it has 0"),
        (
            &["--username", "co dau cach", "--role", "city"],
            password,
            "username \"co dau cach\" is not usable",
        ),
    ];
    for (args, stdin, expected) in cases {
        let out = run_create(dir(), args, stdin);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: expected {expected:?} in {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(out.stdout.is_empty(), "{args:?} printed {}", text(&out.stdout));
    }
    for never_made in ["xa-ma", "vo-phuong", "lanhdao-vo-phuong", "thanhpho2", "ngan", "rong"] {
        assert_eq!(login(never_made, STAFF_PASSWORD.trim_end()).status(), StatusCode::UNAUTHORIZED);
        assert_eq!(login(never_made, "ngắn").status(), StatusCode::UNAUTHORIZED);
    }
}

/// An account made before the server first ran on a data directory works once it runs, and
/// sessions survive a restart.
#[test]
fn accounts_made_on_a_new_data_dir_serve_after_start_and_restart() {
    let data = tempfile::tempdir().unwrap();
    let fresh = data.path().join("new");
    let out = run_create(&fresh, &["--username", "dau-tien", "--role", "admin"], STAFF_PASSWORD);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let server = TestServer::start_in(&fresh, &[]);
    let response = Client::new()
        .post(server.url("/api/v1/staff/login"))
        .json(&json!({ "username": "dau-tien", "password": STAFF_PASSWORD.trim_end() }))
        .send()
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let token = response.json::<Value>().unwrap()["token"].as_str().unwrap().to_owned();
    server.kill();
    let server = TestServer::start_in(&fresh, &[]);
    let again = Client::new().get(server.url("/api/v1/staff/me")).bearer_auth(&token).send().unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.json::<Value>().unwrap()["username"], "dau-tien");
}
