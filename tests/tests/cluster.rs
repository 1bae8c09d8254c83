//! Several nodes, one PostgreSQL database (issue 24): each node is a `phananh-server serve`
//! of its own, with a data directory of its own, on the database of a throwaway cluster
//! started here. Clients are spread over the nodes by hand, as a load balancer would.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use phananh_shared::api::LiveMessage;
use phananh_tests::engine::Nodes;
use phananh_tests::postgres::Postgres as Cluster;
use phananh_tests::{
    HOAN_KIEM, LiveClient, ResidentDevice, StaffClient, TestServer, engine, report_at, run_server,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The cluster this file's tests share, each on a database of its own.
fn cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    CLUSTER.get_or_init(|| Cluster::start(&["fsync=off", "max_connections=200"]))
}

/// Nodes on one new database of the shared cluster.
fn start_nodes(count: usize, args: &[&str]) -> Nodes {
    Nodes::start(&cluster().new_database(), count, args)
}

/// A staff account made once for the cluster, signed in on `node`.
fn staff(cluster: &Nodes, node: usize, username: &str, role: &str, ward: Option<&str>) -> StaffClient {
    StaffClient::create(&cluster.nodes[node], cluster.dirs[node].path(), username, role, ward)
}

/// Waits up to 15 s for `stream`'s next event; its kind and report.
async fn next_event(stream: &mut LiveClient) -> (String, String) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let wait = deadline.saturating_duration_since(Instant::now());
        match stream.next_within(wait).await {
            Some(LiveMessage::Event(event)) => {
                let json = serde_json::to_value(&event).unwrap();
                return (json["kind"].as_str().unwrap().to_owned(), event.report_id.to_string());
            }
            Some(_) => continue,
            None => panic!("no event within 15 s"),
        }
    }
}

#[test]
fn a_report_filed_on_one_node_is_live_on_another_readable_on_a_third_and_its_answer_syncs_through_it() {
    let cluster = start_nodes(3, &[]);
    let (a, b, c) = (&cluster.nodes[0], &cluster.nodes[1], &cluster.nodes[2]);
    let officer = staff(&cluster, 1, "hoankiem", "ward", Some("00070"));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut inbox = rt
        .block_on(LiveClient::connect(&b.url(""), "ward:00070", "latest", Some(&officer.token)))
        .expect("the ward's stream opens on node B");

    // A photo uploaded on node C, the report that shows it filed on node A.
    let resident = ResidentDevice::register(a);
    let on_c = ResidentDevice::with_token(c, &resident.id, &resident.token);
    let uploaded = on_c.upload_photo(phananh_tests::small_jpeg());
    assert_eq!(uploaded.status(), StatusCode::CREATED, "uploaded on node C");
    let photo = uploaded.json::<Value>().unwrap()["id"].clone();
    let mut report = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
    report["photos"] = json!([photo]);
    let filed = resident.file(&report).unwrap();
    assert_eq!(filed.status(), StatusCode::CREATED, "filed on node A with node C's upload");
    let id = filed.json::<Value>().unwrap()["id"].as_str().unwrap().to_owned();
    assert_eq!(rt.block_on(next_event(&mut inbox)), ("filed".to_owned(), id.clone()), "live on node B");
    let thumb =
        reqwest::blocking::get(b.url(&format!("/api/v1/photos/{}?size=thumb", photo.as_str().unwrap())))
            .unwrap();
    assert_eq!(thumb.status(), StatusCode::OK, "node B serves it");
    assert_eq!(thumb.headers()["content-type"], "image/jpeg");

    let read = on_c.get(&format!("/api/v1/reports/{id}"));
    assert_eq!(read.status(), StatusCode::OK, "node C knows the device's token and the report");
    assert_eq!(read.json::<Value>().unwrap()["status"], "submitted");

    assert_eq!(officer.act(&id, &json!({ "action": "acknowledge" })).status(), StatusCode::OK, "acted on B");
    assert_eq!(rt.block_on(next_event(&mut inbox)), ("acknowledged".to_owned(), id.clone()));
    let pulled: Value = on_c.get("/api/v1/sync/pull?cursor=0").json().unwrap();
    let kinds: Vec<&str> =
        pulled["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["filed", "acknowledged"], "the device syncing through node C sees the answer");
    let on_a: Value = resident.get(&format!("/api/v1/reports/{id}")).json().unwrap();
    assert_eq!(on_a["status"], "acknowledged", "and so does node A");
}

#[test]
fn when_the_node_watching_the_deadlines_is_killed_another_records_the_next_breach_on_time_once() {
    // Monday 2 March 2026, 08:00 in Hà Nội; every node's clock stands there until it is moved.
    let start = "2026-03-02T01:00:00Z";
    let cluster = start_nodes(3, &["--manual-clock", start]);
    drop(staff(&cluster, 0, "thanhpho", "city", None));
    let resident = ResidentDevice::register(&cluster.nodes[0]);
    let mut noise = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
    noise["category"] = json!("noise");
    let filed: Value = resident.file(&noise).unwrap().json().unwrap();
    let (id, deadline) = (filed["id"].as_str().unwrap(), filed["deadlines"]["acknowledge"].clone());

    // The node that leads the watch says so; the others wait for the lead.
    let watching = |node: &TestServer| node.log().contains("this node watches the deadlines");
    let leader = wait_for(|| cluster.nodes.iter().position(watching), "a node leads the deadline watch");
    assert_eq!(cluster.nodes.iter().filter(|node| watching(node)).count(), 1, "one node leads");
    let Nodes { mut nodes, dirs: _dirs } = cluster;
    nodes.remove(leader).kill();
    let taken = wait_for(|| nodes.iter().position(watching), "another node takes the lead");

    // Past the deadline on every node left: the new leader records the breach, at the
    // deadline, once.
    for node in &nodes {
        assert_eq!(node.set_clock("2026-03-03T10:00:00Z").status(), StatusCode::OK);
    }
    let reader = StaffClient::sign_in(&nodes[1 - taken], "thanhpho");
    let overdue = wait_for(
        || {
            let events: Vec<Value> = reader.get(&format!("/api/v1/reports/{id}/events")).json().unwrap();
            let overdue: Vec<Value> = events.into_iter().filter(|e| e["kind"] == "ack_overdue").collect();
            (!overdue.is_empty()).then_some(overdue)
        },
        "the breach is recorded",
    );
    assert_eq!(overdue.len(), 1, "{overdue:?}");
    assert_eq!(overdue[0]["deadline"], deadline, "recorded for the deadline, on time");
    assert_eq!(overdue[0]["at"], deadline);
}

/// Polls `found` until it finds something, at most 20 s.
fn wait_for<T>(mut found: impl FnMut() -> Option<T>, what: &str) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(it) = found() {
            return it;
        }
        assert!(Instant::now() < deadline, "{what}: not within 20 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Reports each device files in the load tests.
const FILINGS: usize = 20;

/// A client that carries on with the next node when its node fails: `nodes` are the nodes'
/// base URLs; it starts on `first`.
struct Failover {
    nodes: Vec<String>,
    at: usize,
    token: String,
    client: reqwest::blocking::Client,
}

impl Failover {
    fn new(nodes: &[String], first: usize, token: &str) -> Failover {
        let client = reqwest::blocking::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
        Failover { nodes: nodes.to_vec(), at: first, token: token.to_owned(), client }
    }

    /// Posts `body` to `path` until a node answers other than "unavailable": that answer.
    /// A node that does not answer, or answers 5xx, is left for the next.
    fn post(&mut self, path: &str, body: &Value) -> (StatusCode, Value) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let url = format!("{}{path}", self.nodes[self.at]);
            match self.client.post(&url).bearer_auth(&self.token).json(body).send() {
                Ok(answer) if !answer.status().is_server_error() => {
                    let status = answer.status();
                    return (status, answer.json().unwrap_or(Value::Null));
                }
                _ => self.at = (self.at + 1) % self.nodes.len(),
            }
            assert!(Instant::now() < deadline, "no node answered {path} within 60 s");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Files [`FILINGS`] reports through the sync protocol, each operation sent again (to the
/// same node or another) until one answers it, telling `filed` of each and counting it in
/// `progress`: the ids of the reports accepted.
fn file_through(mut client: Failover, filed: &Sender<String>, progress: &AtomicUsize) -> Vec<String> {
    let mut accepted = Vec::new();
    for _ in 0..FILINGS {
        let operation = json!({ "id": uuid::Uuid::now_v7(), "op": "create_report", "report": report_at(HOAN_KIEM.0, HOAN_KIEM.1) });
        let (status, answer) = client.post("/api/v1/sync/push", &json!({ "operations": [operation] }));
        assert_eq!(status, StatusCode::OK, "{answer}");
        let outcome = &answer["results"][0];
        assert_eq!(outcome["outcome"], "accepted", "{answer}");
        let id = outcome["report"]["id"].as_str().unwrap().to_owned();
        filed.send(id.clone()).unwrap();
        progress.fetch_add(1, Ordering::Relaxed);
        accepted.push(id);
    }
    accepted
}

/// Follows the city's stream on `nodes[first]` from the start until it has seen `count`
/// events, moving to the next node with its last number when its node goes: every event's
/// number and kind, in the order received.
async fn follow(nodes: Vec<String>, first: usize, token: String, count: usize) -> Vec<(u64, String, String)> {
    let (mut at, mut seen): (usize, Vec<(u64, String, String)>) = (first, Vec::new());
    let deadline = Instant::now() + Duration::from_secs(90);
    while seen.len() < count {
        assert!(Instant::now() < deadline, "saw {} of {count} events within 90 s", seen.len());
        let since = seen.last().map_or(0, |(seq, _, _)| *seq);
        let Ok(mut stream) = LiveClient::connect(&nodes[at], "city", since, Some(&token)).await else {
            at = (at + 1) % nodes.len();
            continue;
        };
        while seen.len() < count {
            match stream.next_within(Duration::from_secs(10)).await {
                Some(LiveMessage::Event(event)) => {
                    let kind = serde_json::to_value(&event).unwrap()["kind"].as_str().unwrap().to_owned();
                    seen.push((event.seq, kind, event.report_id.to_string()));
                }
                Some(_) => {}
                // The node went: carry on with the next from the last number seen.
                None => {
                    at = (at + 1) % nodes.len();
                    break;
                }
            }
        }
    }
    seen
}

#[test]
fn a_node_killed_under_load_loses_nothing_acknowledged_and_every_subscriber_sees_every_event_in_order() {
    let cluster = start_nodes(3, phananh_tests::NO_RATE_LIMITS);
    let officer = staff(&cluster, 1, "hoankiem", "ward", Some("00070"));
    drop(staff(&cluster, 2, "thanhpho", "city", None));
    let urls: Vec<String> = cluster.nodes.iter().map(|node| node.url("")).collect();
    let devices: Vec<ResidentDevice> = (0..3).map(|n| ResidentDevice::register(&cluster.nodes[n])).collect();
    // Every report is filed and acknowledged once: two events each, numbered 1 to this.
    let events = 2 * FILINGS * devices.len();

    let rt = tokio::runtime::Runtime::new().unwrap();
    let subscribers: Vec<_> = (0..3)
        .map(|n| {
            let token = StaffClient::sign_in(&cluster.nodes[n], "thanhpho").token;
            rt.spawn(follow(urls.clone(), n, token, events))
        })
        .collect();

    let (filed, to_acknowledge) = std::sync::mpsc::channel();
    let progress = Arc::new(AtomicUsize::new(0));
    let filers: Vec<_> = devices
        .iter()
        .enumerate()
        .map(|(n, device)| {
            let (client, filed) = (Failover::new(&urls, n, &device.token), filed.clone());
            let progress = Arc::clone(&progress);
            std::thread::spawn(move || file_through(client, &filed, &progress))
        })
        .collect();
    drop(filed);
    let mut staff = Failover::new(&urls, 1, &officer.token);
    let acknowledging = std::thread::spawn(move || {
        let mut acknowledged = Vec::new();
        for id in to_acknowledge {
            // Acknowledged already means an answer lost with its node: done all the same.
            let (status, answer) =
                staff.post(&format!("/api/v1/reports/{id}/actions"), &json!({ "action": "acknowledge" }));
            assert!(status == StatusCode::OK || status == StatusCode::CONFLICT, "{status}: {answer}");
            acknowledged.push(id);
        }
        acknowledged
    });

    // Node A goes down, as a crash would, once a third of the work is done.
    let Nodes { mut nodes, dirs: _dirs } = cluster;
    wait_for(|| (progress.load(Ordering::Relaxed) >= FILINGS).then_some(()), "a third of the filings");
    nodes.remove(0).kill();

    let mut accepted: Vec<String> = filers.into_iter().flat_map(|filer| filer.join().unwrap()).collect();
    let mut acknowledged = acknowledging.join().unwrap();
    let seen: Vec<Vec<(u64, String, String)>> =
        subscribers.into_iter().map(|s| rt.block_on(s).unwrap()).collect();

    accepted.sort();
    acknowledged.sort();
    assert_eq!(accepted.len(), FILINGS * 3);
    assert_eq!(acknowledged, accepted, "every report filed was acknowledged");
    for (n, seen) in seen.iter().enumerate() {
        let numbers: Vec<u64> = seen.iter().map(|(seq, _, _)| *seq).collect();
        assert_eq!(
            numbers,
            (1..=events as u64).collect::<Vec<_>>(),
            "subscriber {n}: every event, in order, no gap"
        );
        for kind in ["filed", "acknowledged"] {
            let mut ids: Vec<&str> =
                seen.iter().filter(|(_, k, _)| k == kind).map(|(_, _, id)| id.as_str()).collect();
            ids.sort();
            assert_eq!(
                ids,
                accepted.iter().map(String::as_str).collect::<Vec<_>>(),
                "subscriber {n}: each report {kind} once"
            );
        }
    }
}

#[test]
fn while_the_database_restarts_nodes_answer_503_to_retry_and_come_back_by_themselves_losing_nothing() {
    // A cluster of its own: restarting the shared one would fail the other tests' requests.
    let database = Cluster::start(&["fsync=off"]);
    let Nodes { nodes, dirs: _dirs } =
        Nodes::start(&database.new_database(), 2, phananh_tests::NO_RATE_LIMITS);
    let device = ResidentDevice::register(&nodes[0]);
    let client = reqwest::blocking::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    // Filings go on until FILINGS more were taken after the database came back.
    let restarted = std::sync::atomic::AtomicBool::new(false);
    let (accepted, refusals) = std::thread::scope(|scope| {
        let filer = scope.spawn(|| {
            let (mut accepted, mut refusals, mut after) = (Vec::new(), Vec::new(), 0);
            while after < FILINGS {
                let operation = json!({ "id": uuid::Uuid::now_v7(), "op": "create_report", "report": report_at(HOAN_KIEM.0, HOAN_KIEM.1) });
                let body = json!({ "operations": [operation] });
                let deadline = Instant::now() + Duration::from_secs(60);
                loop {
                    let url = nodes[accepted.len() % 2].url("/api/v1/sync/push");
                    let answer = client.post(url).bearer_auth(&device.token).json(&body).send().unwrap();
                    let status = answer.status();
                    if status == StatusCode::OK {
                        let answer: Value = answer.json().unwrap();
                        assert_eq!(answer["results"][0]["outcome"], "accepted", "{answer}");
                        accepted.push(answer["results"][0]["report"]["id"].as_str().unwrap().to_owned());
                        break;
                    }
                    let retry = answer.headers().get("retry-after").map(|value| value.to_str().unwrap().to_owned());
                    refusals.push((status, retry, answer.text().unwrap()));
                    assert!(Instant::now() < deadline, "no node took the filing within 60 s: {refusals:?}");
                    std::thread::sleep(Duration::from_millis(20));
                }
                if restarted.load(Ordering::Relaxed) {
                    after += 1;
                }
            }
            (accepted, refusals)
        });
        wait_for(|| (device_filed(&nodes[1], &device) >= FILINGS).then_some(()), "filings under way");
        database.restart();
        restarted.store(true, Ordering::Relaxed);
        filer.join().unwrap()
    });

    assert!(accepted.len() >= 2 * FILINGS, "filings went on after the restart");
    assert!(!refusals.is_empty(), "the database's restart was under load: some request met it");
    assert!(
        refusals
            .iter()
            .all(|(status, retry, _)| *status == StatusCode::SERVICE_UNAVAILABLE
                && retry.as_deref() == Some("2")),
        "while the database was away, only 503s to retry: {refusals:?}"
    );
    for id in &accepted {
        for node in &nodes {
            assert_eq!(device_get(node, &device, id), StatusCode::OK, "report {id} is on every node");
        }
    }
}

/// How many reports `device` has filed, as `node` says.
fn device_filed(node: &TestServer, device: &ResidentDevice) -> usize {
    let on = ResidentDevice::with_token(node, &device.id, &device.token);
    match on.get("/api/v1/sync/pull?cursor=0&limit=1000").json::<Value>() {
        Ok(pulled) => pulled["events"].as_array().map_or(0, Vec::len),
        Err(_) => 0,
    }
}

fn device_get(node: &TestServer, device: &ResidentDevice, id: &str) -> StatusCode {
    ResidentDevice::with_token(node, &device.id, &device.token).get(&format!("/api/v1/reports/{id}")).status()
}

#[test]
fn migrate_to_postgres_moves_a_seeded_city_whole_and_a_node_then_serves_the_same_reports_timelines_and_figures()
 {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap();
    let seeded = run_server(&["seed-demo", "--reports", "80", "--data-dir", dir], "");
    assert!(seeded.status.success(), "{}", String::from_utf8_lossy(&seeded.stderr));
    // A photo, so that the photos move too.
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let before = TestServer::start_in(data.path(), &["--manual-clock", &now]);
    let resident = ResidentDevice::register(&before);
    let uploaded: Value = resident.upload_photo(phananh_tests::small_jpeg()).json().unwrap();
    let mut report = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
    report["photos"] = json!([uploaded["id"]]);
    assert_eq!(resident.file(&report).unwrap().status(), StatusCode::CREATED);
    drop(before);

    let url = cluster().new_database();
    let moved = run_server(&["migrate-to-postgres", "--data-dir", dir, "--database-url", &url], "");
    let printed = String::from_utf8_lossy(&moved.stdout);
    assert!(moved.status.success(), "{printed}{}", String::from_utf8_lossy(&moved.stderr));
    let reports = printed.lines().find(|line| line.starts_with("reports ")).expect("the reports' line");
    assert!(
        reports.contains(" 81 rows in SQLite ")
            && reports.contains(" 81 in PostgreSQL")
            && reports.ends_with("checksum same"),
        "{printed}"
    );
    assert!(
        printed.lines().filter(|line| line.contains("checksum")).all(|line| line.ends_with("checksum same")),
        "{printed}"
    );
    assert!(
        printed.contains("photo files") && printed.contains("1 moved, each read back the same"),
        "{printed}"
    );
    let again = run_server(&["migrate-to-postgres", "--data-dir", dir, "--database-url", &url], "");
    assert!(!again.status.success(), "a second move into the same database is refused");
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("not empty"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );

    // The same city on both engines, their clocks at the same instant.
    let on_sqlite = TestServer::start_in(data.path(), &["--manual-clock", &now]);
    let node_dir = tempfile::tempdir().unwrap();
    engine::use_database(node_dir.path(), &url);
    let on_postgres = TestServer::start_in(node_dir.path(), &["--manual-clock", &now]);
    let city = |server: &TestServer| {
        let login: Value = reqwest::blocking::Client::new()
            .post(server.url("/api/v1/staff/login"))
            .json(&json!({ "username": "thanhpho", "password": "demo-phananh-2025" }))
            .send()
            .unwrap()
            .json()
            .unwrap();
        login["token"].as_str().unwrap().to_owned()
    };
    let tokens = (city(&on_sqlite), city(&on_postgres));
    let read = |server: &TestServer, token: &str, path: &str| -> Value {
        let answer =
            reqwest::blocking::Client::new().get(server.url(path)).bearer_auth(token).send().unwrap();
        assert_eq!(answer.status(), StatusCode::OK, "{path}");
        answer.json().unwrap()
    };
    let both = |path: &str| (read(&on_sqlite, &tokens.0, path), read(&on_postgres, &tokens.1, path));

    let (list, moved_list) = both("/api/v1/reports?limit=200");
    assert_eq!(list["reports"].as_array().unwrap().len(), 81);
    assert_eq!(list, moved_list, "the same reports");
    for report in list["reports"].as_array().unwrap().iter().step_by(7) {
        let path = format!("/api/v1/reports/{}/events", report["id"].as_str().unwrap());
        let (timeline, moved_timeline) = both(&path);
        assert_eq!(timeline, moved_timeline, "the same timeline");
    }
    let (figures, moved_figures) = both("/api/v1/dashboard");
    assert_eq!(figures, moved_figures, "the same dashboard figures");
    assert_eq!(both("/api/v1/transparency").0, both("/api/v1/transparency").1);
    let photo = format!("/api/v1/photos/{}?size=thumb", uploaded["id"].as_str().unwrap());
    let thumb = |server: &TestServer| reqwest::blocking::get(server.url(&photo)).unwrap().bytes().unwrap();
    assert_eq!(thumb(&on_sqlite), thumb(&on_postgres), "the same photo");

    // And the city goes on: the next report's reference follows the last one moved.
    let next: Value = ResidentDevice::with_token(&on_postgres, &resident.id, &resident.token)
        .file(&report_at(HOAN_KIEM.0, HOAN_KIEM.1))
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(next["reference"], "PA-82", "{next}");
}
