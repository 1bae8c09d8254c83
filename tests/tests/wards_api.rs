//! The ward endpoints over real HTTP, against the server binary with the Hà Nội boundaries.

use std::sync::LazyLock;

use phananh_shared::wards::{Match, WardList, WardMatch};
use phananh_tests::TestServer;
use reqwest::StatusCode;
use reqwest::blocking::{Client, Response};
use serde_json::Value;

/// One server for this file's tests: they only read.
static SERVER: LazyLock<TestServer> = LazyLock::new(TestServer::start);

fn get(path: &str) -> Response {
    Client::new().get(SERVER.url(path)).send().expect("the server answers")
}

/// A refusal's status, and its error object.
fn refusal(path: &str) -> (StatusCode, Value) {
    let response = get(path);
    let status = response.status();
    let body: Value = response.json().expect("errors are JSON");
    (status, body["error"].clone())
}

#[test]
fn healthz_says_ok_with_the_ward_count() {
    let body: Value = get("/healthz").json().unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["wards"], 126);
}

#[test]
fn the_ward_list_has_the_126_units_of_2025_by_code() {
    let response = get("/api/v1/wards");
    assert_eq!(response.status(), StatusCode::OK);
    let list: WardList = response.json().unwrap();
    assert_eq!(list.wards.len(), 126);
    assert_eq!(list.validity.from.to_string(), "2025-07-01");
    assert!(list.wards.windows(2).all(|w| w[0].code < w[1].code), "sorted by code");
    let hoan_kiem = list.wards.iter().find(|w| w.code == "00070").unwrap();
    assert_eq!(hoan_kiem.name, "Phường Hoàn Kiếm");
    assert_eq!(hoan_kiem.kind.as_str(), "phuong");
}

#[test]
fn landmarks_locate_over_http() {
    let cases = [
        (105.8525, 21.0288, "00070", "Phường Hoàn Kiếm"),
        (105.8346, 21.0368, "00004", "Phường Ba Đình"),
        (105.8042, 21.2187, "", "Xã Nội Bài"),
        (105.7468, 20.6184, "", "Xã Hương Sơn"),
    ];
    for (lon, lat, code, name) in cases {
        let response = get(&format!("/api/v1/wards/locate?lon={lon}&lat={lat}"));
        assert_eq!(response.status(), StatusCode::OK, "{name}");
        let found: WardMatch = response.json().unwrap();
        assert_eq!(found.ward.name, name);
        assert!(code.is_empty() || found.ward.code == code, "{name}: {}", found.ward.code);
        assert_eq!((found.matched, found.distance_m), (Match::Inside, 0.0));
    }
}

#[test]
fn the_wire_format_of_a_match_is_as_documented() {
    let body: Value = get("/api/v1/wards/locate?lon=105.8525&lat=21.0288").json().unwrap();
    assert_eq!(body["code"], "00070");
    assert_eq!(body["name"], "Phường Hoàn Kiếm");
    assert_eq!(body["kind"], "phuong");
    assert_eq!(body["match"], "inside");
}

#[test]
fn a_point_outside_the_city_is_a_422_naming_the_location() {
    for (lon, lat) in [(106.076, 21.186), (0.0, 0.0), (106.6823, 20.858)] {
        let (status, error) = refusal(&format!("/api/v1/wards/locate?lon={lon}&lat={lat}"));
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(error["code"], "outside_city");
        assert_eq!(error["field"], "location");
        assert!(error["message"].as_str().unwrap().contains("not in any ward"), "{error}");
    }
}

#[test]
fn bad_numbers_are_a_422_naming_the_parameter() {
    let cases = [
        ("lon=abc&lat=21", "lon", "not_a_number"),
        ("lon=105.85&lat=", "lat", "required"),
        ("lon=105.85", "lat", "required"),
        ("lat=21", "lon", "required"),
        ("lon=NaN&lat=21", "lon", "not_a_number"),
        ("lon=105.85&lat=inf", "lat", "not_a_number"),
        ("lon=200&lat=21", "lon", "out_of_range"),
        ("lon=105.85&lat=-91", "lat", "out_of_range"),
        ("lon=1e400&lat=21", "lon", "not_a_number"),
    ];
    for (query, field, code) in cases {
        let (status, error) = refusal(&format!("/api/v1/wards/locate?{query}"));
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert_eq!((error["field"].as_str(), error["code"].as_str()), (Some(field), Some(code)), "{query}");
        assert!(error["message"].as_str().unwrap().contains(field), "{query}: {error}");
    }
}

#[test]
fn the_boundaries_for_drawing_are_simplified_geojson_with_the_tolerance_stated() {
    let response = get("/api/v1/wards.geojson");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/geo+json");
    let bytes = response.bytes().unwrap();
    let full = std::fs::metadata(phananh_tests::reference_file("hanoi_wards_2025.geojson")).unwrap().len();
    assert!((bytes.len() as u64) < full / 2, "{} bytes vs {full} for routing", bytes.len());
    let collection: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(collection["type"], "FeatureCollection");
    assert_eq!(collection["simplification"]["tolerance_deg2"], 2e-8);
    let features = collection["features"].as_array().unwrap();
    assert_eq!(features.len(), 126);
    for feature in features {
        assert_eq!(feature["geometry"]["type"], "MultiPolygon");
        assert!(feature["properties"]["code"].is_string() && feature["properties"]["name"].is_string());
    }
    // Parsed back, it is still a usable set of ward shapes.
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let validity = phananh_shared::wards::Validity::since(chrono_date());
    let simplified = phananh_shared::wards::WardIndex::from_geojson(&text, validity).expect("valid shapes");
    assert_eq!(simplified.locate(105.8525, 21.0288).unwrap().ward.code, "00070");
}

fn chrono_date() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2025, 7, 1).unwrap()
}

#[test]
fn the_boundaries_are_sent_gzipped_to_clients_that_accept_it() {
    let response = Client::builder()
        .no_gzip()
        .build()
        .unwrap()
        .get(SERVER.url("/api/v1/wards.geojson"))
        .header("accept-encoding", "gzip")
        .send()
        .unwrap();
    assert_eq!(response.headers()["content-encoding"], "gzip");
    assert!(response.bytes().unwrap().len() < 400_000);
}

#[test]
fn unknown_paths_and_methods_get_json_errors() {
    let (status, error) = refusal("/api/v1/nothing-here");
    assert_eq!((status, error["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    let response = Client::new().delete(SERVER.url("/api/v1/wards")).send().unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    let body: Value = response.json().unwrap();
    assert_eq!(body["error"]["code"], "method_not_allowed");
}

#[test]
fn every_response_carries_a_request_id() {
    let response = get("/healthz");
    let id = response.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(id.len(), 36, "a UUID: {id}");
}
