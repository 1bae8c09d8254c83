//! The sync engine through a faulty link: twenty devices file and comment while city staff
//! move the reports on, with well over a quarter of the exchanges broken (refused, dropped
//! before or after the server saw them, cut short, delayed). At the end the server holds every
//! operation exactly once, each device's cache is the server's view of its reports, and the
//! operation the server refused is still on the device with its reason.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use phananh_shared::client::Engine;
use phananh_tests::{
    Faults, FaultyProxy, NO_RATE_LIMITS, StaffClient, TestDevice, TestServer, noise_report, point_in_a_ward,
};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

const DEVICES: usize = 20;
const REPORTS_EACH: usize = 10;

/// Syncs until a sync succeeds with nothing left to send (the link breaks often).
async fn sync_through(engine: &Engine) {
    for _ in 0..500 {
        if engine.sync_once().await.is_ok() && engine.status().await.unwrap().waiting == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("500 syncs in a row failed");
}

#[test]
fn twenty_devices_through_a_faulty_link_end_with_every_operation_once_and_the_servers_view() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), NO_RATE_LIMITS);
    let city = StaffClient::create(&server, data.path(), "thanhpho", "city", None);
    let proxy =
        FaultyProxy::start(server.url("").trim_start_matches("http://"), Faults { seed: 2025, share: 0.45 });
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let engines: Vec<TestDevice> = (0..DEVICES).map(|_| TestDevice::open(&proxy.url())).collect();

    // Staff answer what arrives, straight to the server, while the devices work.
    let devices_done = AtomicBool::new(false);
    let commented: Vec<Vec<Uuid>> = std::thread::scope(|threads| {
        threads.spawn(|| {
            while !devices_done.load(Ordering::Relaxed) {
                move_reports_on(&city);
                // A pace, not a wait for anything: staff look at their inbox now and then.
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        let commented = runtime.block_on(async {
            let tasks = engines.iter().enumerate().map(|(n, engine)| {
                let engine = engine.engine.clone();
                tokio::spawn(async move { use_device(&engine, n as u64).await })
            });
            let mut commented = Vec::new();
            for task in tasks.collect::<Vec<_>>() {
                commented.push(task.await.unwrap());
            }
            commented
        });
        devices_done.store(true, Ordering::Relaxed);
        commented
    });
    move_reports_on(&city);
    for engine in &engines {
        runtime.block_on(sync_through(engine));
        // Once more, for the staff's last changes.
        runtime.block_on(sync_through(engine));
    }

    let (exchanges, broken) =
        (proxy.counts.exchanges.load(Ordering::Relaxed), proxy.counts.broken.load(Ordering::Relaxed));
    assert!(broken * 10 >= exchanges * 3, "only {broken} of {exchanges} exchanges were broken");

    let mut everyone = std::collections::BTreeSet::new();
    for (engine, commented) in engines.iter().zip(&commented) {
        let (_, token) = runtime.block_on(engine.credentials()).unwrap().expect("registered");
        let direct = reqwest::blocking::Client::new();
        let reports = runtime.block_on(engine.reports()).unwrap();
        assert_eq!(reports.len(), REPORTS_EACH);
        for report in &reports {
            assert!(everyone.insert(report.id), "two devices with one report id");
            let on_server: Value = direct
                .get(server.url(&format!("/api/v1/reports/{}", report.id)))
                .bearer_auth(&token)
                .send()
                .unwrap()
                .json()
                .unwrap();
            let cached = serde_json::to_value(report.view.as_ref().expect("the server's view")).unwrap();
            assert_eq!(cached, on_server, "the device's cache is the server's view");
            let events: Vec<Value> =
                city.get(&format!("/api/v1/reports/{}/events", report.id)).json().unwrap();
            let comments = events.iter().filter(|e| e["kind"] == "commented").count();
            assert_eq!(comments, usize::from(commented.contains(&report.id)), "each comment once");
        }
        let status = runtime.block_on(engine.status()).unwrap();
        assert_eq!(status.waiting, 0);
        assert_eq!(status.refused.len(), 1, "the refused comment is still shown");
        assert_eq!(status.refused[0].code, "not_found");
    }
    let page: Value =
        reqwest::blocking::get(server.url("/api/v1/reports?limit=200")).unwrap().json().unwrap();
    assert_eq!(page["reports"].as_array().unwrap().len(), DEVICES * REPORTS_EACH, "every report once");
    assert!(page["next_cursor"].is_null());
}

/// One resident: files reports, comments on every other one, and once on a report that
/// does not exist, syncing now and then over the bad link; the reports commented on.
async fn use_device(engine: &Engine, seed: u64) -> Vec<Uuid> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut commented = Vec::new();
    let mut filed = 0;
    while filed < REPORTS_EACH {
        let (lon, lat) = point_in_a_ward(&mut rng);
        let id = engine.file_report(noise_report(lon, lat)).await.unwrap().id;
        if filed % 2 == 0 {
            engine.comment(id, "Tiếng ồn kéo dài đến nửa đêm.".into()).await.unwrap();
            commented.push(id);
        }
        filed += 1;
        if rng.random_bool(0.3) {
            let _ = engine.sync_once().await;
        }
    }
    engine.comment(Uuid::now_v7(), "Báo cáo này có ở đâu không?".into()).await.unwrap();
    sync_through(engine).await;
    commented
}

/// City staff acknowledge what was filed and resolve what they acknowledged.
fn move_reports_on(city: &StaffClient) {
    for (status, action) in [
        ("acknowledged", json!({ "action": "resolve", "answer": "Đã nhắc nhở, tiếng ồn đã chấm dứt." })),
        ("submitted", json!({ "action": "acknowledge" })),
    ] {
        let page: Value = city.get(&format!("/api/v1/reports?status={status}&limit=50")).json().unwrap();
        for report in page["reports"].as_array().unwrap() {
            let response = city.act(report["id"].as_str().unwrap(), &action);
            assert!(
                matches!(response.status(), StatusCode::OK | StatusCode::CONFLICT),
                "{}",
                response.status()
            );
        }
    }
}
