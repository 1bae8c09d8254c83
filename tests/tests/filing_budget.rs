//! The filing budget (issue 22): each device may file so many reports, counted per report
//! through every channel (a sync push of many, the report form, an Open311 key), each one
//! over refused on its own with a reason the app can say, and sent again later it is filed.

use std::time::{Duration, Instant};

use phananh_tests::{
    HOAN_KIEM, NO_RATE_LIMITS, ResidentDevice, TestDevice, TestServer, create_api_key,
    noise_report as engine_report, report_at,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

/// Every request limit out of the way, and the filing budget as given.
fn budget(burst: &'static str, per_hour: &'static str) -> Vec<&'static str> {
    let others = NO_RATE_LIMITS.chunks(2).filter(|flag| !flag[0].starts_with("--filing-")).flatten();
    others.copied().chain(["--filing-burst", burst, "--filing-rate-per-hour", per_hour]).collect()
}

fn noise_report() -> Value {
    let mut report = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
    report["category"] = json!("noise");
    report
}

fn create() -> Value {
    json!({ "id": Uuid::now_v7(), "op": "create_report", "report": noise_report() })
}

fn push(device: &ResidentDevice, operations: &[Value]) -> Vec<Value> {
    let response = device.post("/api/v1/sync/push", &json!({ "operations": operations }));
    assert_eq!(response.status(), StatusCode::OK);
    response.json::<Value>().unwrap()["results"].as_array().unwrap().clone()
}

/// How many of `operations`' reports the server holds.
fn stored(device: &ResidentDevice, operations: &[Value]) -> usize {
    let found = |op: &Value| {
        device.get(&format!("/api/v1/reports/{}", op["report"]["id"].as_str().unwrap())).status()
    };
    operations.iter().filter(|op| found(op) == StatusCode::OK).count()
}

#[test]
fn a_push_of_a_hundred_reports_files_the_budget_and_refuses_the_rest_each_with_its_reason() {
    let server = TestServer::start_with(&budget("10", "20"));
    let device = ResidentDevice::register(&server);
    let operations: Vec<Value> = (0..100).map(|_| create()).collect();
    let results = push(&device, &operations);
    assert_eq!(results.len(), 100, "an answer for every operation");
    let accepted = results.iter().filter(|r| r["outcome"] == "accepted").count();
    assert_eq!(accepted, 10, "the burst of ten is filed");
    assert!(results[..10].iter().all(|r| r["outcome"] == "accepted"), "the first ten, in order");
    for refused in &results[10..] {
        assert_eq!(refused["outcome"], "refused", "{refused}");
        assert_eq!(refused["code"], "filing_limited", "{refused}");
        assert!(refused["message"].as_str().unwrap().contains("20 an hour"), "{refused}");
    }
    assert_eq!(stored(&device, &operations[..10]), 10, "the accepted ones are really stored");
    assert_eq!(stored(&device, &operations[10..]), 0, "and only they");

    // The same push again: the ten are answered as before and do not count again; the
    // refused ones were not recorded as answers, so they are tried (and refused) again.
    let again = push(&device, &operations);
    assert_eq!(again[..10], results[..10]);
    assert!(again[10..].iter().all(|r| r["code"] == "filing_limited"));
    assert_eq!(stored(&device, &operations), 10);
}

#[test]
fn the_report_form_sync_and_open311_draw_on_one_budget_per_device_and_a_refused_report_goes_later() {
    let data = tempfile::tempdir().unwrap();
    // Three at once, then one a second: a refused report goes through a moment later.
    let server = TestServer::start_in(data.path(), &budget("3", "3600"));
    let device = ResidentDevice::register(&server);
    assert_eq!(device.file(&noise_report()).unwrap().status(), StatusCode::CREATED);
    assert_eq!(device.file(&noise_report()).unwrap().status(), StatusCode::CREATED);
    let pushed = create();
    assert_eq!(push(&device, std::slice::from_ref(&pushed))[0]["outcome"], "accepted");
    let form = device.file(&noise_report()).unwrap();
    assert_eq!(form.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(form.headers().contains_key("retry-after"));
    assert_eq!(form.json::<Value>().unwrap()["error"]["code"], "filing_limited");
    let late = create();
    assert_eq!(push(&device, std::slice::from_ref(&late))[0]["code"], "filing_limited");
    // Sending an accepted report again does not count.
    assert_eq!(push(&device, std::slice::from_ref(&pushed))[0]["outcome"], "accepted");

    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let answer = &push(&device, std::slice::from_ref(&late))[0];
        if answer["outcome"] == "accepted" {
            break;
        }
        assert_eq!(answer["code"], "filing_limited");
        assert!(Instant::now() < deadline, "the refused report is filed once the budget refills");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(stored(&device, &[pushed, late]), 2);

    // An Open311 key files as a device of its own, with a budget of its own.
    let key = create_api_key(data.path(), "Ứng dụng thử nghiệm");
    let form = [
        ("api_key", key.as_str()),
        ("service_code", "noise"),
        ("lat", "21.0288"),
        ("long", "105.8525"),
        ("description", "Quán karaoke hát to sau 23 giờ mỗi đêm."),
    ];
    let http = reqwest::blocking::Client::new();
    let statuses: Vec<StatusCode> = (0..4)
        .map(|_| http.post(server.url("/open311/v2/requests.json")).form(&form).send().unwrap().status())
        .collect();
    assert_eq!(statuses[..3], [StatusCode::CREATED; 3]);
    assert_eq!(statuses[3], StatusCode::TOO_MANY_REQUESTS, "the key's fourth at once is over its budget");
}

#[test]
fn the_device_engine_keeps_a_report_over_the_budget_queued_and_sends_it_when_the_budget_refills() {
    let server = TestServer::start_with(&budget("2", "3600"));
    let device = TestDevice::open(&server.url(""));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for _ in 0..3 {
        runtime.block_on(device.file_report(engine_report(HOAN_KIEM.0, HOAN_KIEM.1))).unwrap();
    }
    runtime.block_on(device.sync_once()).unwrap();
    let status = runtime.block_on(device.status()).unwrap();
    assert_eq!((status.waiting, status.refused.len()), (1, 0), "held back, not refused: {status:?}");

    let deadline = Instant::now() + Duration::from_secs(5);
    while runtime.block_on(device.status()).unwrap().waiting > 0 {
        assert!(Instant::now() < deadline, "the held report is sent once the budget refills");
        std::thread::sleep(Duration::from_millis(300));
        runtime.block_on(device.sync_once()).unwrap();
    }
    assert!(runtime.block_on(device.status()).unwrap().refused.is_empty());
}
