//! A device killed with SIGKILL in the middle of syncing, then started again: every report
//! it queued reaches the server exactly once.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use phananh_tests::{NO_RATE_LIMITS, TestServer};
use serde_json::Value;

const REPORTS: usize = 500;

fn device(db: &Path, server: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_phananh-device"));
    command.arg("--db").arg(db).args(["--server", server]);
    command
}

/// What the device's own database holds: the operations waiting, and the reports it filed.
fn on_device(db: &Path) -> (usize, BTreeSet<String>) {
    let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let waiting: i64 = conn.query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get(0)).unwrap();
    let mut query = conn.prepare("SELECT id FROM reports").unwrap();
    let ids = query.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap();
    (waiting as usize, ids)
}

fn server_report_ids(server: &TestServer) -> Vec<String> {
    let (mut ids, mut cursor) = (Vec::new(), String::new());
    loop {
        let url = server.url(&format!("/api/v1/reports?limit=200{cursor}"));
        let page: Value = reqwest::blocking::get(url).unwrap().json().unwrap();
        ids.extend(page["reports"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return ids,
        }
    }
}

#[test]
fn a_device_killed_mid_sync_loses_nothing_and_sends_nothing_twice() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), NO_RATE_LIMITS);
    let device_dir = tempfile::tempdir().unwrap();
    let db = device_dir.path().join("device.db");
    let filed =
        device(&db, &server.url("")).args(["file", "--count", &REPORTS.to_string()]).status().unwrap();
    assert!(filed.success());
    assert_eq!(on_device(&db).0, REPORTS);

    let mut syncing = device(&db, &server.url("")).arg("sync").spawn().unwrap();
    // Killed once the first answers are stored and before the last are.
    let deadline = Instant::now() + Duration::from_secs(120);
    while on_device(&db).0 == REPORTS && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    syncing.kill().unwrap();
    syncing.wait().unwrap();
    let waiting_at_kill = on_device(&db).0;
    assert!(waiting_at_kill < REPORTS, "the device sent nothing in 120 s");
    assert!(waiting_at_kill > 0, "killed too late: the sync had finished");

    let finished = device(&db, &server.url("")).arg("sync").status().unwrap();
    assert!(finished.success());
    let (waiting, local) = on_device(&db);
    assert_eq!(waiting, 0);
    let on_server = server_report_ids(&server);
    assert_eq!(on_server.len(), REPORTS, "each report once");
    assert_eq!(on_server.into_iter().collect::<BTreeSet<_>>(), local);
}
