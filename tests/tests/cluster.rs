//! Several nodes, one PostgreSQL database (issue 24): each node is a `phananh-server serve`
//! of its own, with a data directory of its own, on the database of a throwaway cluster
//! started here. Clients are spread over the nodes by hand, as a load balancer would.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use phananh_shared::api::LiveMessage;
use phananh_tests::postgres::Postgres as Cluster;
use phananh_tests::{HOAN_KIEM, LiveClient, ResidentDevice, StaffClient, TestServer, engine, report_at};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The cluster this file's tests share, each on a database of its own.
fn cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    CLUSTER.get_or_init(|| Cluster::start(&["fsync=off", "max_connections=200"]))
}

/// Nodes on one new database, each with its data directory (kept as long as the nodes).
struct Nodes {
    nodes: Vec<TestServer>,
    dirs: Vec<tempfile::TempDir>,
}

impl Nodes {
    fn start(count: usize, args: &[&str]) -> Nodes {
        let url = cluster().new_database();
        let dirs: Vec<_> = (0..count).map(|_| tempfile::tempdir().unwrap()).collect();
        let nodes = dirs
            .iter()
            .map(|dir| {
                engine::use_database(dir.path(), &url);
                TestServer::start_in(dir.path(), args)
            })
            .collect();
        Nodes { nodes, dirs }
    }

    /// A staff account made once for the cluster, signed in on `node`.
    fn staff(&self, node: usize, username: &str, role: &str, ward: Option<&str>) -> StaffClient {
        StaffClient::create(&self.nodes[node], self.dirs[node].path(), username, role, ward)
    }
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
    let cluster = Nodes::start(3, &[]);
    let (a, b, c) = (&cluster.nodes[0], &cluster.nodes[1], &cluster.nodes[2]);
    let officer = cluster.staff(1, "hoankiem", "ward", Some("00070"));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut inbox = rt
        .block_on(LiveClient::connect(&b.url(""), "ward:00070", "latest", Some(&officer.token)))
        .expect("the ward's stream opens on node B");

    let resident = ResidentDevice::register(a);
    let filed = resident.file(&report_at(HOAN_KIEM.0, HOAN_KIEM.1)).unwrap();
    assert_eq!(filed.status(), StatusCode::CREATED, "filed on node A");
    let id = filed.json::<Value>().unwrap()["id"].as_str().unwrap().to_owned();
    assert_eq!(rt.block_on(next_event(&mut inbox)), ("filed".to_owned(), id.clone()), "live on node B");

    let on_c = ResidentDevice::with_token(c, &resident.id, &resident.token);
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
    let cluster = Nodes::start(3, &["--manual-clock", start]);
    drop(cluster.staff(0, "thanhpho", "city", None));
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
