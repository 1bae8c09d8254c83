//! `GET /api/v1/config`: the street map the resident's app draws under the ward outlines, as
//! the city's operator configures it with `serve --map-…` (or `PHANANH_MAP_…`). There is no
//! default tile server: without one the app is told to draw the wards alone. A configuration
//! that would break the map, or its provider's terms, stops the server at start with the flag
//! named.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use phananh_shared::api::{AppConfig, MapTiles};
use phananh_tests::{TestServer, server_binary};
use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE};
use serde_json::{Value, json};

const TILES: &str = "https://tile.example.vn/{z}/{x}/{y}.png";
const ATTRIBUTION: &str = "© OpenStreetMap contributors";

/// The configuration at `base`, checked to be an answer apps revalidate each time, as both
/// the JSON it is and the shared type the app reads it into.
fn config(base: &str) -> (Value, AppConfig) {
    let response = reqwest::blocking::get(format!("{base}/api/v1/config")).unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let header =
        |name| response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert_eq!(header(CACHE_CONTROL), "no-cache");
    assert!(header(CONTENT_TYPE).starts_with("application/json"), "{}", header(CONTENT_TYPE));
    let json: Value = response.json().unwrap();
    (json.clone(), serde_json::from_value(json).unwrap())
}

#[test]
fn without_a_tile_server_the_app_is_told_to_draw_the_wards_alone() {
    let server = TestServer::start();
    let (json, config) = config(&server.url(""));
    assert_eq!(json, json!({ "map": null }));
    assert_eq!(config, AppConfig { map: None });
    assert!(server.log().contains("no street map tiles"), "{}", server.log());
}

#[test]
fn the_configured_tile_server_reaches_the_app_with_its_attribution_and_limits() {
    let server = TestServer::start_with(&[
        "--map-tiles",
        TILES,
        "--map-attribution",
        ATTRIBUTION,
        "--map-max-zoom",
        "18",
        "--map-cache-tiles",
        "500",
    ]);
    let (json, config) = config(&server.url(""));
    assert_eq!(
        json,
        json!({ "map": { "tiles": TILES, "attribution": ATTRIBUTION, "max_zoom": 18, "cache_tiles": 500 } })
    );
    let map = config.map.unwrap();
    assert_eq!(map.tile_url(15, 26018, 14424), "https://tile.example.vn/15/26018/14424.png");

    // The public API takes it from any page, as the rest of the public API.
    let cross_origin = reqwest::blocking::Client::new()
        .get(server.url("/api/v1/config"))
        .header("origin", "tauri://localhost")
        .send()
        .unwrap();
    assert_eq!(cross_origin.headers()["access-control-allow-origin"], "*");
}

#[test]
fn a_tile_server_alone_gets_the_default_zoom_and_cache() {
    let server = TestServer::start_with(&["--map-tiles", TILES, "--map-attribution", ATTRIBUTION]);
    let expected =
        MapTiles { tiles: TILES.into(), attribution: ATTRIBUTION.into(), max_zoom: 19, cache_tiles: 2000 };
    assert_eq!(config(&server.url("")).1, AppConfig { map: Some(expected) });
}

/// A server started the way a service manager starts it: configured by the environment.
struct EnvServer {
    child: Child,
    base: String,
    _data: tempfile::TempDir,
}

impl EnvServer {
    fn start(env: &[(&str, &str)]) -> EnvServer {
        let data = tempfile::tempdir().unwrap();
        let mut child = Command::new(server_binary())
            .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
            .arg(data.path())
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // The server prints one line on stdout, once it listens; none if it stops first.
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let base = line.trim().strip_prefix("listening on ").expect("the server listens").to_owned();
        EnvServer { child, base, _data: data }
    }
}

impl Drop for EnvServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_environment_configures_the_map_as_the_flags_do() {
    let server = EnvServer::start(&[
        ("PHANANH_MAP_TILES", TILES),
        ("PHANANH_MAP_ATTRIBUTION", ATTRIBUTION),
        ("PHANANH_MAP_MAX_ZOOM", "17"),
        ("PHANANH_MAP_CACHE_TILES", "10000"),
    ]);
    let (json, _) = config(&server.base);
    assert_eq!(
        json,
        json!({ "map": { "tiles": TILES, "attribution": ATTRIBUTION, "max_zoom": 17, "cache_tiles": 10000 } })
    );
    // An environment file that leaves the variable empty means no tile server.
    let unset = EnvServer::start(&[("PHANANH_MAP_TILES", ""), ("PHANANH_MAP_ATTRIBUTION", "")]);
    assert_eq!(config(&unset.base).0, json!({ "map": null }));
}

/// `serve` with `args` and `env`, which must refuse to start: its output once it stopped
/// (killed after a minute if it did not, so that a server that wrongly starts fails the test
/// instead of hanging it).
fn refused(args: &[&str], env: &[(&str, &str)]) -> Output {
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(server_binary())
        .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(data.path())
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!stdout.contains("listening on"), "{args:?} {env:?}: the server started\n{stderr}");
    assert!(!out.status.success(), "{args:?} {env:?}\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    out
}

/// `serve` with `args` must refuse to start with a message containing each of `expected`.
fn refuses(args: &[&str], expected: &[&str]) {
    let stderr = String::from_utf8(refused(args, &[]).stderr).unwrap();
    for part in expected {
        assert!(stderr.contains(part), "{args:?}: expected {part:?} in\n{stderr}");
    }
}

#[test]
fn a_tile_template_that_is_not_an_http_url_with_z_x_and_y_is_refused_naming_the_flag() {
    for (template, why) in [
        ("https://tile.example.vn/{z}/{x}.png", "has no {y}"),
        ("tile.example.vn/{z}/{x}/{y}.png", "expected an http(s) URL template"),
        ("ftp://tile.example.vn/{z}/{x}/{y}.png", "expected an http(s) URL template"),
        ("https://{s}.tile.example.vn/{z}/{x}/{y}.png", "a placeholder other than {z}, {x} and {y}"),
    ] {
        refuses(&["--map-tiles", template, "--map-attribution", ATTRIBUTION], &["--map-tiles", why]);
    }
}

/// A tile provider's terms ask that its attribution be visible on the map: tiles without it
/// do not start, whether set by flag or by environment.
#[test]
fn tiles_without_an_attribution_are_refused() {
    refuses(&["--map-tiles", TILES], &["--map-tiles", "needs --map-attribution", "PHANANH_MAP_ATTRIBUTION"]);
    let out = refused(&[], &[("PHANANH_MAP_TILES", TILES)]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("PHANANH_MAP_TILES") && stderr.contains("--map-attribution"), "{stderr}");
    refuses(&["--map-tiles", TILES, "--map-attribution", "  "], &["needs --map-attribution"]);
    refuses(
        &["--map-tiles", TILES, "--map-attribution", "© <a href=\"https://osm.org/copyright\">OSM</a>"],
        &["--map-attribution", "not HTML"],
    );
}

#[test]
fn a_zoom_or_cache_size_out_of_range_is_refused_naming_the_flag() {
    let with = |flag, value| vec!["--map-tiles", TILES, "--map-attribution", ATTRIBUTION, flag, value];
    for (flag, value) in [
        ("--map-max-zoom", "0"),
        ("--map-max-zoom", "23"),
        ("--map-cache-tiles", "0"),
        ("--map-cache-tiles", "100001"),
    ] {
        refuses(&with(flag, value), &[flag, value]);
    }
    let out = refused(&[], &[("PHANANH_MAP_MAX_ZOOM", "30")]);
    assert!(String::from_utf8(out.stderr).unwrap().contains("--map-max-zoom"));
}
