//! Dossier secrets that cannot be guessed (issue 22): random secrets and codes, and a budget
//! of wrong secrets per dossier that holds against many addresses and fresh devices, tells
//! the desk, and leaves the rightful tracker alone.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use phananh_shared::api::LiveMessage;
use phananh_shared::dossier::DossierChange;
use phananh_tests::{LiveClient, NO_RATE_LIMITS, ResidentDevice, StaffClient, TestServer};
use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::{Value, json};

/// Crockford's base32: digits and capitals without I, L, O and U.
const ALPHABET: &str = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

fn register(officer: &StaffClient) -> (String, String) {
    let body = json!({ "procedure": "ho-chieu", "applicant": "Nguyễn Thị Mai", "phone": "0912 345 678" });
    let response = officer.post("/api/v1/dossiers", &body);
    assert_eq!(response.status(), StatusCode::CREATED);
    let registered: Value = response.json().unwrap();
    let field = |v: &Value| v.as_str().unwrap().to_owned();
    (field(&registered["dossier"]["code"]), field(&registered["secret"]))
}

/// A client whose requests come from `127.0.0.<n>`, with a device registered from there.
fn device_at(server: &TestServer, n: u8) -> (Client, String) {
    let client = Client::builder().local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, n))).build().unwrap();
    let created: Value =
        client.post(server.url("/api/v1/devices")).json(&json!({})).send().unwrap().json().unwrap();
    (client, created["token"].as_str().unwrap().to_owned())
}

fn track(
    server: &TestServer,
    (client, token): &(Client, String),
    code: &str,
    secret: &str,
) -> reqwest::blocking::Response {
    client
        .post(server.url("/api/v1/dossiers/track"))
        .bearer_auth(token)
        .json(&json!({ "code": code, "secret": secret }))
        .send()
        .unwrap()
}

#[test]
fn a_wrong_secret_run_from_many_addresses_is_stopped_by_the_dossiers_budget_and_the_desk_is_told() {
    let data = tempfile::tempdir().unwrap();
    let mut args = NO_RATE_LIMITS.to_vec();
    args.extend(["--dossier-wrong-secrets", "5", "--dossier-lock-minutes", "60"]);
    let server = TestServer::start_in(data.path(), &args);
    let officer = StaffClient::create(&server, data.path(), "hoankiem", "ward", Some("00070"));
    let (code, secret) = register(&officer);
    // The applicant's phone tracks it before anyone guesses.
    let rightful = ResidentDevice::register(&server);
    let tracked: Value =
        rightful.post("/api/v1/dossiers/track", &json!({ "code": code, "secret": secret })).json().unwrap();
    let seen = tracked["last_seq"].as_u64().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut desk_live = runtime.block_on(LiveClient::open(&server, "ward:00070", seen, Some(&officer.token)));

    // Eight addresses, a fresh device each, three guesses each: within every device's and
    // every address's own budget (10 at once), so only the dossier's budget can stop them.
    let mut answers = Vec::new();
    for n in 2..10 {
        let guesser = device_at(&server, n);
        for guess in 0..3 {
            let response = track(&server, &guesser, &code, &format!("{n:04}-{guess:04}"));
            let retry =
                response.headers().get("retry-after").map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
            let body: Value = response.json().unwrap();
            answers.push((body["error"]["code"].as_str().unwrap().to_owned(), retry, body));
        }
    }
    let codes: Vec<&str> = answers.iter().map(|(code, _, _)| code.as_str()).collect();
    assert_eq!(codes[..5], ["not_found"; 5], "five wrong secrets are answered as wrong");
    assert!(codes[5..].iter().all(|c| *c == "dossier_locked"), "then the dossier is locked: {codes:?}");
    let (_, retry, locked) = &answers[5];
    assert!(retry.is_some_and(|s| (3500..=3600).contains(&s)), "Retry-After: the hour's lock, {retry:?}");
    assert_eq!(locked["error"]["field"], "code");
    assert!(locked["error"]["message"].as_str().unwrap().contains(&code), "{locked}");

    // Even the right secret from a new device waits for the lock to end.
    let late = device_at(&server, 20);
    let refused = track(&server, &late, &code, &secret);
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.json::<Value>().unwrap()["error"]["code"], "dossier_locked");

    // The desk hears it live and sees it in the dossier's history.
    let heard = runtime.block_on(async {
        loop {
            match desk_live.next_within(Duration::from_secs(5)).await.expect("the desk hears of the lock") {
                LiveMessage::Dossier(event) => {
                    if let DossierChange::TrackingLocked { failures, .. } = event.change {
                        break failures;
                    }
                }
                _ => continue,
            }
        }
    });
    assert_eq!(heard, 5);
    let view: Value = officer.get(&format!("/api/v1/dossiers/{code}")).json().unwrap();
    let locks: Vec<&Value> =
        view["history"].as_array().unwrap().iter().filter(|e| e["kind"] == "tracking_locked").collect();
    assert_eq!(locks.len(), 1, "locked once: {view}");
    assert_eq!(locks[0]["failures"], 5);

    // The rightful tracker is not affected: it tracks again, and hears the desk's work.
    let again = rightful.post("/api/v1/dossiers/track", &json!({ "code": code, "secret": secret }));
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(
        officer.post(&format!("/api/v1/dossiers/{code}/actions"), &json!({ "action": "start" })).status(),
        StatusCode::OK
    );
    let pulled: Value = rightful.get(&format!("/api/v1/sync/pull?cursor={seen}")).json().unwrap();
    let kinds: Vec<&str> =
        pulled["dossier_events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["processing_started"], "the tracker gets the update, not the desk's alert");
    let mine: Vec<Value> = rightful.get("/api/v1/dossiers/tracked").json().unwrap();
    assert_eq!(mine[0]["status"], "processing");
    assert!(!mine[0].to_string().contains("tracking_locked"));
}

#[test]
fn secrets_are_eight_random_unambiguous_characters_and_codes_do_not_reveal_their_neighbours() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), NO_RATE_LIMITS);
    let officer = StaffClient::create(&server, data.path(), "hoankiem", "ward", Some("00070"));
    let registered: Vec<(String, String)> = (0..40).map(|_| register(&officer)).collect();

    let secrets: HashSet<&str> = registered.iter().map(|(_, s)| s.as_str()).collect();
    assert_eq!(secrets.len(), registered.len(), "no two secrets alike");
    for secret in &secrets {
        let characters = secret.replace('-', "");
        assert_eq!(characters.len(), 8, "{secret}");
        assert!(characters.chars().all(|c| ALPHABET.contains(c)), "{secret}");
        assert!(!secret.contains("5678"), "nothing of the phone: {secret}");
    }

    let tails: Vec<&str> = registered.iter().map(|(code, _)| code.rsplit('-').next().unwrap()).collect();
    let prefix = |code: &str| code[..code.rfind('-').unwrap()].to_owned();
    assert!(registered.iter().all(|(code, _)| prefix(code) == prefix(&registered[0].0)), "one ward, one day");
    assert!(prefix(&registered[0].0).starts_with("00070-"));
    assert_eq!(tails.iter().collect::<HashSet<_>>().len(), tails.len(), "no two codes alike");
    assert!(tails.iter().all(|t| t.len() == 6 && t.chars().all(|c| ALPHABET.contains(c))), "{tails:?}");
    // Consecutive registrations differ all along their random part (about 5.8 of 6 places
    // on average), not by one in the last place as serials do.
    let differing: usize = tails
        .windows(2)
        .map(|pair| pair[0].chars().zip(pair[1].chars()).filter(|(a, b)| a != b).count())
        .sum();
    assert!(differing > 4 * (tails.len() - 1), "neighbouring codes share little: {tails:?}");
}
