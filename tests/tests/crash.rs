//! A crash under load loses nothing that was acknowledged: the server is killed with SIGKILL
//! while 8 clients file reports as fast as they can; after a restart every report that got a
//! 201 or 200 is there, exactly once.

use std::sync::{Condvar, Mutex};
use std::time::Duration;

use phananh_tests::{HOAN_KIEM, NO_RATE_LIMITS, ResidentDevice, TestServer, report_at};
use reqwest::StatusCode;
use serde_json::Value;

const CLIENTS: usize = 8;
/// Kill once this many reports have been acknowledged, so the kill lands mid-stream.
const ACKNOWLEDGED_BEFORE_KILL: usize = 300;

#[test]
fn sigkill_while_filing_loses_no_acknowledged_report() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), NO_RATE_LIMITS);
    let devices: Vec<ResidentDevice> = (0..CLIENTS).map(|_| ResidentDevice::register(&server)).collect();
    let acknowledged = Mutex::new(Vec::<(usize, Value)>::new());
    let progress = Condvar::new();

    std::thread::scope(|scope| {
        for (n, device) in devices.iter().enumerate() {
            let (acknowledged, progress) = (&acknowledged, &progress);
            scope.spawn(move || {
                loop {
                    let report = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
                    // Any failure to get an answer means the server is gone: stop.
                    let Ok(response) = device.file(&report) else { break };
                    match response.status() {
                        StatusCode::CREATED | StatusCode::OK => {
                            acknowledged.lock().unwrap().push((n, report));
                            progress.notify_all();
                        }
                        other => panic!("unexpected answer {other}"),
                    }
                }
            });
        }
        let guard = acknowledged.lock().unwrap();
        let (guard, timeout) = progress
            .wait_timeout_while(guard, Duration::from_secs(120), |acked| {
                acked.len() < ACKNOWLEDGED_BEFORE_KILL
            })
            .unwrap();
        assert!(!timeout.timed_out(), "only {} reports acknowledged in 2 minutes", guard.len());
        drop(guard);
        server.kill();
    });

    let acknowledged = acknowledged.into_inner().unwrap();
    assert!(acknowledged.len() >= ACKNOWLEDGED_BEFORE_KILL);
    let server = TestServer::start_in(data.path(), NO_RATE_LIMITS);
    let devices: Vec<ResidentDevice> =
        devices.iter().map(|d| ResidentDevice::with_token(&server, &d.id, &d.token)).collect();
    for (n, report) in &acknowledged {
        let id = report["id"].as_str().unwrap();
        let device = &devices[*n];
        let stored = device.get(&format!("/api/v1/reports/{id}"));
        assert_eq!(stored.status(), StatusCode::OK, "report {id} was acknowledged, then lost");
        let events: Value = device.get(&format!("/api/v1/reports/{id}/events")).json().unwrap();
        assert_eq!(events.as_array().unwrap().len(), 1, "filed exactly once: {events}");
        assert_eq!(device.file(report).unwrap().status(), StatusCode::OK, "a retry finds it, not a new copy");
    }
}
