//! The offline-first client engine against the real server: reports filed with no server at
//! all arrive exactly once when it comes up, with the server's ward and deadlines cached.

use std::collections::BTreeSet;

use phananh_shared::client::ClientError;
use phananh_shared::report::NewReport;
use phananh_shared::status::Status;
use phananh_tests::{
    HOAN_KIEM, NO_RATE_LIMITS, StaffClient, TestDevice, TestServer, free_address, noise_report,
    point_in_a_ward, report_at,
};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

/// `n` reports at random points inside the city (each in a ward, by the offline index).
fn reports_in_the_city(n: usize, seed: u64) -> Vec<NewReport> {
    let mut rng = StdRng::seed_from_u64(seed);
    std::iter::repeat_with(|| point_in_a_ward(&mut rng))
        .take(n)
        .map(|(lon, lat)| serde_json::from_value(report_at(lon, lat)).unwrap())
        .collect()
}

/// Every report id the server lists, page by page.
fn server_report_ids(server: &TestServer) -> Vec<String> {
    let (mut ids, mut cursor) = (Vec::new(), None::<String>);
    loop {
        let query = cursor.map_or(String::new(), |c| format!("&cursor={c}"));
        let page: Value = reqwest::blocking::get(server.url(&format!("/api/v1/reports?limit=200{query}")))
            .unwrap()
            .json()
            .unwrap();
        ids.extend(page["reports"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return ids,
        }
    }
}

#[test]
fn a_thousand_reports_filed_with_the_server_down_arrive_exactly_once_when_it_comes_up() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let address = free_address();
    let engine = TestDevice::open(&format!("http://{address}"));

    let filed: Vec<_> = reports_in_the_city(1000, 7)
        .into_iter()
        .map(|report| runtime.block_on(engine.file_report(report)).unwrap())
        .collect();
    assert!(
        filed.iter().all(|r| r.waiting && r.view.is_none() && r.local_ward.is_some()),
        "saved, with an offline ward"
    );
    let offline = runtime.block_on(engine.sync_once());
    assert!(matches!(offline, Err(ClientError::Offline(_))), "{offline:?}");
    let status = runtime.block_on(engine.status()).unwrap();
    assert_eq!((status.waiting, status.last_synced), (1000, None));

    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_at(data.path(), &address, NO_RATE_LIMITS);
    runtime.block_on(engine.sync_once()).unwrap();

    let status = runtime.block_on(engine.status()).unwrap();
    assert_eq!((status.waiting, status.refused.len()), (0, 0));
    assert!(status.last_synced.is_some());
    let cached = runtime.block_on(engine.reports()).unwrap();
    assert_eq!(cached.len(), 1000);
    for report in &cached {
        let view = report.view.as_ref().expect("the server's view is cached");
        assert!(!report.waiting);
        assert_eq!(Some(&view.ward), report.local_ward.as_ref(), "the server routed it where the device did");
        assert_eq!(view.status, Status::Submitted);
        assert!(
            view.deadlines.acknowledge > view.received_at
                && view.deadlines.handle > view.deadlines.acknowledge
        );
    }
    let on_server = server_report_ids(&server);
    assert_eq!(on_server.len(), 1000, "each report once");
    let local: BTreeSet<String> = filed.iter().map(|r| r.id.to_string()).collect();
    assert_eq!(on_server.into_iter().collect::<BTreeSet<_>>(), local);

    // Syncing again sends nothing and files nothing twice.
    runtime.block_on(engine.sync_once()).unwrap();
    assert_eq!(server_report_ids(&server).len(), 1000);
}

#[test]
fn the_cache_follows_the_ward_and_refusals_stay_visible_with_their_reason() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), &[]);
    let officer = StaffClient::create(&server, data.path(), "hoankiem", "ward", Some("00070"));
    let engine = TestDevice::open(&server.url(""));

    let report = noise_report(HOAN_KIEM.0, HOAN_KIEM.1);
    let id = runtime.block_on(engine.file_report(report)).unwrap().id;
    runtime.block_on(engine.sync_once()).unwrap();
    let answer = json!({ "action": "resolve", "answer": "Đã nhắc nhở, quán đã tắt loa." });
    for action in [json!({ "action": "acknowledge" }), answer] {
        assert_eq!(officer.act(&id.to_string(), &action).status(), reqwest::StatusCode::OK);
    }
    runtime.block_on(engine.sync_once()).unwrap();
    let cached = runtime.block_on(engine.reports()).unwrap();
    assert_eq!(
        cached[0].view.as_ref().unwrap().status,
        Status::Resolved,
        "the ward's answer reached the cache"
    );

    // Another resident follows it; its owner withdraws a new one before the ward sees it.
    let neighbour = TestDevice::open(&server.url(""));
    runtime.block_on(neighbour.follow(id)).unwrap();
    runtime.block_on(neighbour.sync_once()).unwrap();
    let followed = runtime.block_on(neighbour.reports()).unwrap();
    assert_eq!(followed[0].view.as_ref().map(|v| (v.id, v.followers)), Some((id, 1)));
    let second = runtime.block_on(engine.file_report(noise_report(HOAN_KIEM.0, HOAN_KIEM.1))).unwrap().id;
    runtime.block_on(engine.cancel(second, Some("Đã tự hết.".into()))).unwrap();
    runtime.block_on(engine.sync_once()).unwrap();
    let cached = runtime.block_on(engine.reports()).unwrap();
    let withdrawn = cached.iter().find(|r| r.id == second).unwrap();
    assert_eq!(withdrawn.view.as_ref().unwrap().status, Status::Cancelled);

    // Commenting on a report nobody has is refused; the refusal stays, with its reason.
    runtime.block_on(engine.comment(uuid::Uuid::now_v7(), "Còn tiếp diễn không?".into())).unwrap();
    runtime.block_on(engine.sync_once()).unwrap();
    let status = runtime.block_on(engine.status()).unwrap();
    assert_eq!(status.waiting, 0);
    assert_eq!(status.refused.len(), 1);
    assert_eq!(
        (status.refused[0].code.as_str(), status.refused[0].field.as_deref()),
        ("not_found", Some("report_id"))
    );
}

#[test]
fn a_running_engine_sends_at_once_and_hears_the_wards_answer_live() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), &[]);
    let officer = StaffClient::create(&server, data.path(), "hoankiem", "ward", Some("00070"));
    let engine = TestDevice::open(&server.url(""));
    // A timer that never fires in this test: only the queue and the live stream wake it.
    let hour = std::time::Duration::from_secs(3600);
    runtime.spawn({
        let engine = engine.engine.clone();
        async move { engine.run(hour, hour).await }
    });
    let status_of = |id: uuid::Uuid| {
        let reports = runtime.block_on(engine.reports()).unwrap();
        reports.into_iter().find(|r| r.id == id).and_then(|r| r.view).map(|v| v.status)
    };
    let wait_for = |id, status| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while status_of(id) != Some(status) {
            assert!(std::time::Instant::now() < deadline, "{id} never became {status} on the device");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    };

    let report = noise_report(HOAN_KIEM.0, HOAN_KIEM.1);
    let id = runtime.block_on(engine.file_report(report)).unwrap().id;
    wait_for(id, Status::Submitted);
    assert_eq!(
        officer.act(&id.to_string(), &json!({ "action": "acknowledge" })).status(),
        reqwest::StatusCode::OK
    );
    wait_for(id, Status::Acknowledged);
}

#[test]
fn photos_taken_offline_are_uploaded_before_their_report_and_a_refused_one_is_shown() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let address = free_address();
    let engine = TestDevice::open(&format!("http://{address}"));
    let photo = {
        let picture =
            image::RgbImage::from_fn(320, 240, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 60]));
        let mut jpeg = Vec::new();
        picture.write_to(&mut std::io::Cursor::new(&mut jpeg), image::ImageFormat::Jpeg).unwrap();
        jpeg
    };
    let report = noise_report(HOAN_KIEM.0, HOAN_KIEM.1);
    let filed = runtime
        .block_on(engine.file_report_with_photos(report, vec![photo, b"not a picture".to_vec()]))
        .unwrap();
    let too_many = noise_report(HOAN_KIEM.0, HOAN_KIEM.1);
    let six = runtime.block_on(engine.file_report_with_photos(too_many, vec![vec![0xFF; 10]; 6]));
    assert!(matches!(six, Err(ClientError::Invalid(ref e)) if e.field == "photos"), "{six:?}");

    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_at(data.path(), &address, &[]);
    runtime.block_on(engine.sync_once()).unwrap();
    runtime.block_on(engine.sync_once()).unwrap();
    let view = runtime.block_on(engine.reports()).unwrap()[0].view.clone().expect("sent");
    assert_eq!(view.photos.len(), 1, "the picture, not the other file");
    let public = reqwest::blocking::get(server.url(&format!("/api/v1/photos/{}", view.photos[0]))).unwrap();
    assert_eq!(public.status(), reqwest::StatusCode::OK);
    let status = runtime.block_on(engine.status()).unwrap();
    assert_eq!(status.refused.len(), 1);
    assert_eq!(status.refused[0].field.as_deref(), Some("photos[1]"));
    assert_eq!(server_report_ids(&server), [filed.id.to_string()]);
}
