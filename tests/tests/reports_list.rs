//! Lists, nearby search and "me too": reading reports the way the app's map and the
//! "already reported" prompt do.

use phananh_tests::{HOAN_KIEM, ResidentDevice, TestServer, VAN_MIEU, report_at};
use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::{Value, json};

fn get(server: &TestServer, path: &str) -> (StatusCode, Value) {
    let response = Client::new().get(server.url(path)).send().unwrap();
    (response.status(), response.json().unwrap())
}

/// Files a report of `category` at `at`; returns its id.
fn file(device: &ResidentDevice, at: (f64, f64), category: &str) -> String {
    let mut report = report_at(at.0, at.1);
    report["category"] = json!(category);
    assert_eq!(device.file(&report).unwrap().status(), StatusCode::CREATED);
    report["id"].as_str().unwrap().to_owned()
}

fn ids(page: &Value) -> Vec<String> {
    page["reports"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn a_list_pages_through_every_report_newest_first_without_repeats() {
    let server = TestServer::start();
    let device = ResidentDevice::register(&server);
    let filed: Vec<String> = (0..7).map(|_| file(&device, HOAN_KIEM, "drainage")).collect();
    let mut seen = Vec::new();
    let mut path = "/api/v1/reports?limit=3".to_owned();
    loop {
        let (status, page) = get(&server, &path);
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(page["reports"].as_array().unwrap().len() <= 3);
        for report in page["reports"].as_array().unwrap() {
            assert!(report.get("reporter").is_none(), "lists are public views");
        }
        seen.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/reports?limit=3&cursor={cursor}"),
            None => break,
        }
    }
    let newest_first: Vec<String> = filed.into_iter().rev().collect();
    assert_eq!(seen, newest_first);
}

#[test]
fn filters_narrow_the_list() {
    let server = TestServer::start();
    let device = ResidentDevice::register(&server);
    let drain = file(&device, HOAN_KIEM, "drainage");
    let light = file(&device, HOAN_KIEM, "street_lighting");
    let temple = file(&device, VAN_MIEU, "drainage");
    let list = |query: &str| ids(&get(&server, &format!("/api/v1/reports?{query}")).1);
    assert_eq!(list("ward=00070"), [light.clone(), drain.clone()]);
    assert_eq!(list("category=drainage"), [temple.clone(), drain.clone()]);
    assert_eq!(list("status=submitted,acknowledged").len(), 3);
    assert!(list("status=closed").is_empty());
    assert_eq!(list("bbox=105.83,21.02,105.84,21.04"), [temple]);
    assert!(list("since=2999-01-01T00:00:00Z").is_empty());
    assert_eq!(list("since=2025-01-01T00:00:00Z").len(), 3);
}

#[test]
fn bad_list_parameters_are_422_naming_the_parameter() {
    let server = TestServer::start();
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=ten", "limit"),
        ("status=lost", "status"),
        ("category=aliens", "category"),
        ("bbox=1,2,3", "bbox"),
        ("bbox=106,21,105,22", "bbox"),
        ("since=yesterday", "since"),
        ("cursor=garbage", "cursor"),
    ] {
        let (status, body) = get(&server, &format!("/api/v1/reports?{query}"));
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
        assert_eq!(body["error"]["field"], field, "{query}: {body}");
    }
}

#[test]
fn nearby_finds_open_reports_at_the_same_spot_nearest_first() {
    let server = TestServer::start();
    let device = ResidentDevice::register(&server);
    let here = file(&device, HOAN_KIEM, "drainage");
    file(&device, VAN_MIEU, "drainage");
    // 0.0005° of latitude is about 55 m.
    let (status, near) =
        get(&server, &format!("/api/v1/reports/nearby?lon={}&lat={}", HOAN_KIEM.0, HOAN_KIEM.1 + 0.0005));
    assert_eq!(status, StatusCode::OK, "{near}");
    let near = near.as_array().unwrap();
    assert_eq!(near.len(), 1, "Văn Miếu is 1.8 km away: {near:?}");
    assert_eq!(near[0]["id"], here.as_str());
    let distance = near[0]["distance_m"].as_f64().unwrap();
    assert!((distance - 55.6).abs() < 1.0, "{distance}");
    assert!(near[0].get("reporter").is_none());

    let (_, other_kind) = get(
        &server,
        &format!("/api/v1/reports/nearby?lon={}&lat={}&category=noise", HOAN_KIEM.0, HOAN_KIEM.1),
    );
    assert_eq!(other_kind, json!([]));
    let (_, wide) = get(
        &server,
        &format!("/api/v1/reports/nearby?lon={}&lat={}&radius_m=2000", HOAN_KIEM.0, HOAN_KIEM.1),
    );
    let distances: Vec<f64> =
        wide.as_array().unwrap().iter().map(|r| r["distance_m"].as_f64().unwrap()).collect();
    assert_eq!(distances.len(), 2);
    assert!(distances[0] <= distances[1], "nearest first: {distances:?}");
    let (status, body) = get(&server, "/api/v1/reports/nearby?lon=105.85&lat=21.03&radius_m=5000");
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("radius_m"))
    );
}

#[test]
fn me_too_counts_each_other_resident_once() {
    let server = TestServer::start();
    let reporter = ResidentDevice::register(&server);
    let id = file(&reporter, HOAN_KIEM, "drainage");
    let follow = |device: &ResidentDevice| {
        let response = Client::new()
            .post(server.url(&format!("/api/v1/reports/{id}/follow")))
            .bearer_auth(&device.token)
            .send()
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.json::<Value>().unwrap()["followers"].as_u64().unwrap()
    };
    let neighbour = ResidentDevice::register(&server);
    assert_eq!(follow(&neighbour), 1);
    assert_eq!(follow(&neighbour), 1, "twice is still once");
    assert_eq!(follow(&reporter), 1, "the reporter already follows their own report");
    assert_eq!(follow(&ResidentDevice::register(&server)), 2);
    let (_, view) = get(&server, &format!("/api/v1/reports/{id}"));
    assert_eq!(view["followers"], 2);
    let (_, events) = get(&server, &format!("/api/v1/reports/{id}/events"));
    let kinds: Vec<&str> = events.as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["filed", "followed", "followed"]);

    let anonymous = Client::new().post(server.url(&format!("/api/v1/reports/{id}/follow"))).send().unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let unknown = Client::new()
        .post(server.url(&format!("/api/v1/reports/{}/follow", uuid::Uuid::now_v7())))
        .bearer_auth(&neighbour.token)
        .send()
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}
