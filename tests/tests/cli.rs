//! The command line: `locate` (one point and batch) and `serve`'s start-up errors.

use std::io::Write;

use phananh_tests::run_server;
use serde_json::Value;

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[test]
fn locate_prints_one_json_line() {
    let out = run_server(&["locate", "--lon", "105.8525", "--lat", "21.0288"], "");
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 1);
    let found: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!((found["code"].as_str(), found["match"].as_str()), (Some("00070"), Some("inside")));
}

#[test]
fn locate_outside_the_city_prints_the_error_and_fails() {
    let out = run_server(&["locate", "--lon", "106.076", "--lat", "21.186"], "");
    assert_eq!(out.status.code(), Some(3));
    let answer: Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    assert_eq!(answer["error"]["code"], "outside_city");
}

#[test]
fn batch_answers_one_line_per_point_with_empty_lines_outside() {
    let input = "105.8525,21.0288\n0,0\n 105.8346 , 21.0368 \n106.076,21.186\n105.7468,20.6184\n";
    let out = run_server(&["locate", "--batch"], input);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<String> = text(&out.stdout).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(&lines[..4], ["00070", "", "00004", ""]);
    assert!(!lines[4].is_empty(), "Chùa Hương is in Xã Hương Sơn");
}

#[test]
fn batch_stops_at_a_bad_line_and_names_it() {
    let out = run_server(&["locate", "--batch"], "105.8525,21.0288\n105.8525;21.0288\n105.8346,21.0368\n");
    assert!(!out.status.success());
    assert_eq!(text(&out.stdout), "00070\n", "answers before the bad line are kept");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("line 2: no comma"), "{stderr}");
    let out = run_server(&["locate", "--batch"], "105.85,north\n");
    assert!(text(&out.stderr).contains("line 1: latitude is not a number"));
}

/// `serve` with these arguments must refuse to start with a message containing `expected`.
fn refuses_to_start(args: &[&str], expected: &str) {
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().join("data");
    let mut full = vec!["serve", "--data-dir", data_dir.to_str().unwrap()];
    if !args.contains(&"--addr") {
        full.extend(["--addr", "127.0.0.1:0"]);
    }
    full.extend_from_slice(args);
    let out = run_server(&full, "");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(expected), "expected {expected:?} in:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

fn file_with(text: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    file
}

#[test]
fn serve_refuses_a_missing_wards_file_clearly() {
    refuses_to_start(
        &["--wards", "/nonexistent/wards.geojson"],
        "cannot read the ward boundaries /nonexistent/wards.geojson",
    );
}

#[test]
fn serve_refuses_malformed_geojson_clearly() {
    let file = file_with(r#"{"type":"FeatureCollection","features":[{"type":"Feature""#);
    refuses_to_start(&["--wards", file.path().to_str().unwrap()], "not a GeoJSON FeatureCollection");
    let file = file_with(
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"A","kind":"xa"},
           "geometry":{"type":"Polygon","coordinates":[[[105,21],[106,21],[106,22],[105,21]]]}}]}"#,
    );
    refuses_to_start(
        &["--wards", file.path().to_str().unwrap()],
        "feature 0 (A): property `code` is missing",
    );
    let file = file_with(r#"{"type":"FeatureCollection","features":[]}"#);
    refuses_to_start(&["--wards", file.path().to_str().unwrap()], "has no features");
}

#[test]
fn serve_refuses_an_address_in_use_and_an_unusable_data_dir() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    refuses_to_start(&["--addr", &addr], &format!("cannot listen on {addr}"));
    let not_a_dir = file_with("");
    let out = run_server(
        &["serve", "--addr", "127.0.0.1:0", "--data-dir", &format!("{}/sub", not_a_dir.path().display())],
        "",
    );
    assert!(text(&out.stderr).contains("cannot create the data directory"), "{}", text(&out.stderr));
}
