//! Rate limits behind a reverse proxy (issue 22, item 8): with `--trusted-proxy`, clients
//! count by the address the proxy forwards, so one client's bad sign-ins lock out nobody
//! else; sign-ins also back off per account, from any address; without the flag the
//! forwarding headers are ignored, so a client cannot choose the address it counts as.

use phananh_tests::{STAFF_PASSWORD, TestServer, create_staff};
use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::{Value, json};

/// A sign-in as `username`, through the proxy for `client` (an `X-Forwarded-For` header).
fn sign_in(server: &TestServer, client: &str, username: &str, password: &str) -> (StatusCode, Value) {
    let answer = Client::new()
        .post(server.url("/api/v1/staff/login"))
        .header("x-forwarded-for", client)
        .json(&json!({ "username": username, "password": password }))
        .send()
        .unwrap();
    let status = answer.status();
    if status == StatusCode::TOO_MANY_REQUESTS {
        assert!(answer.headers().contains_key("retry-after"));
    }
    (status, answer.json().unwrap())
}

fn start(args: &[&str]) -> (TestServer, tempfile::TempDir) {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), args);
    for (username, ward) in [("hoankiem", "00070"), ("badinh", "00004")] {
        assert!(create_staff(data.path(), username, "ward", Some(ward)).status.success());
    }
    (server, data)
}

/// Ten wrong passwords for `username`, all at once, each from its own client of the proxy
/// (`network`.1 to .10): the statuses, in order.
fn ten_guesses_at_once(server: &TestServer, network: &str, username: &str) -> Vec<StatusCode> {
    let mut statuses: Vec<StatusCode> = std::thread::scope(|scope| {
        let guesses: Vec<_> = (1..=10)
            .map(|i| {
                scope.spawn(move || sign_in(server, &format!("{network}.{i}"), username, "sai-mật-khẩu").0)
            })
            .collect();
        guesses.into_iter().map(|guess| guess.join().unwrap()).collect()
    });
    statuses.sort();
    statuses
}

#[test]
fn behind_a_trusted_proxy_one_accounts_bad_sign_ins_lock_out_no_other() {
    // The first wait after the free tries is long enough that no test timing can reach it.
    let (server, _data) = start(&["--trusted-proxy", "127.0.0.1", "--login-backoff-seconds", "600"]);
    let password = STAFF_PASSWORD.trim_end();
    // Ten wrong passwords for one account, sent at once from ten clients of the city's proxy:
    // five are tried, the others wait.
    let statuses = ten_guesses_at_once(&server, "198.51.100", "hoankiem");
    assert_eq!(statuses[..5], [StatusCode::UNAUTHORIZED; 5], "{statuses:?}");
    assert_eq!(statuses[5..], [StatusCode::TOO_MANY_REQUESTS; 5], "the account backs off: {statuses:?}");
    // That account waits, even with its password and from another address…
    let (status, body) = sign_in(&server, "203.0.113.9", "hoankiem", password);
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("account"), "{body}");
    // …another account signs in through the same proxy…
    assert_eq!(sign_in(&server, "198.51.100.200", "badinh", password).0, StatusCode::OK);
    // …and a name that is no account answers the same, so none is revealed.
    assert_eq!(ten_guesses_at_once(&server, "192.0.2", "khongtontai"), statuses);
    // The per-address limit still counts each client: one client's eleventh try is refused
    // for its address (10 a burst), whatever account it names.
    let client = "198.51.100.77";
    for i in 0..10 {
        assert_ne!(
            sign_in(&server, client, &format!("ten-{i}"), "x").0,
            StatusCode::TOO_MANY_REQUESTS,
            "{i}"
        );
    }
    let (status, body) = sign_in(&server, client, "ten-moi", "x");
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(body["error"]["message"].as_str().unwrap().contains("network address"), "{body}");
}

#[test]
fn without_trusted_proxies_forwarded_headers_are_ignored() {
    let (server, _data) = start(&[]);
    // Ten clients that name themselves: all are the one peer, 127.0.0.1, to the limit.
    for i in 1..=10 {
        let (status, _) = sign_in(&server, &format!("198.51.100.{i}"), &format!("ten-{i}"), "x");
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{i}");
    }
    let (status, body) = sign_in(&server, "198.51.100.99", "badinh", STAFF_PASSWORD.trim_end());
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("network address"), "{body}");
    let forwarded = Client::new()
        .post(server.url("/api/v1/staff/login"))
        .header("forwarded", "for=192.0.2.60")
        .json(&json!({ "username": "badinh", "password": "x" }))
        .send()
        .unwrap();
    assert_eq!(forwarded.status(), StatusCode::TOO_MANY_REQUESTS, "Forwarded is ignored too");
}
