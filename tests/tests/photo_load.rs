//! Photo uploads under load (issue 22): one device's heavy uploads cannot starve another
//! device's, a full set of decoders answers 503 at once, and a decompression bomb is refused
//! from its header without waiting for a decoder.

use std::io::Cursor;
use std::sync::{Arc, Barrier, mpsc};
use std::time::{Duration, Instant};

use image::{ImageFormat, Rgb, RgbImage};
use phananh_tests::{NO_RATE_LIMITS, ResidentDevice, TestServer};
use reqwest::StatusCode;
use serde_json::Value;

/// A PNG of `width` × `height` pixels of one colour: a few hundred kilobytes at most that
/// take a second or more of CPU to decode at phone-photo sizes. `shade` makes each distinct
/// (the server stores the same bytes once and does not decode them again).
fn png(width: u32, height: u32, shade: u8) -> Vec<u8> {
    let mut bytes = Vec::new();
    RgbImage::from_pixel(width, height, Rgb([shade, 120, 200]))
        .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
        .unwrap();
    bytes
}

struct Answer {
    status: StatusCode,
    retry_after: Option<u64>,
    body: Value,
    took: Duration,
}

fn upload(server: &TestServer, token: &str, bytes: Vec<u8>) -> Answer {
    let start = Instant::now();
    let response = reqwest::blocking::Client::new()
        .post(server.url("/api/v1/photos"))
        .bearer_auth(token)
        .header("content-type", "image/png")
        .body(bytes)
        .timeout(Duration::from_secs(60))
        .send()
        .unwrap();
    let (status, took) = (response.status(), start.elapsed());
    let retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap().parse().unwrap());
    Answer { status, retry_after, body: response.json().unwrap(), took }
}

#[test]
fn eight_heavy_uploads_from_one_device_leave_another_devices_small_upload_and_a_bomb_answered_at_once() {
    let server = Arc::new(TestServer::start_with(NO_RATE_LIMITS));
    let heavy = png(7000, 7000, 1);
    println!("a heavy upload: 7000 × 7000 pixels in {} bytes", heavy.len());
    let hog = ResidentDevice::register(&server);
    let start = Arc::new(Barrier::new(8));
    let (answered, answers) = mpsc::channel();
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (server, token, heavy, start, answered) =
                (Arc::clone(&server), hog.token.clone(), heavy.clone(), Arc::clone(&start), answered.clone());
            std::thread::spawn(move || {
                start.wait();
                answered.send(upload(&server, &token, heavy)).unwrap();
            })
        })
        .collect();
    // One of the eight is taken up; the other seven are refused while it is in flight.
    let refused: Vec<Answer> =
        (0..7).map(|_| answers.recv_timeout(Duration::from_secs(30)).unwrap()).collect();
    for answer in &refused {
        assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS, "{}", answer.body);
        assert_eq!(answer.body["error"]["code"], "upload_in_flight");
        assert_eq!(answer.retry_after, Some(1));
    }

    // Meanwhile another device's small photo is answered at once.
    let neighbour = ResidentDevice::register(&server);
    let small = upload(&server, &neighbour.token, png(40, 30, 2));
    assert_eq!(small.status, StatusCode::CREATED, "{}", small.body);
    assert!(small.took < Duration::from_secs(1), "the small upload took {:?}", small.took);

    // And a decompression bomb (8000 × 8000 = 64 MP of one colour) is refused from its header.
    let bomb = png(8000, 8000, 3);
    let refused_bomb = upload(&server, &neighbour.token, bomb);
    assert_eq!(refused_bomb.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused_bomb.body);
    assert_eq!(refused_bomb.body["error"]["field"], "photo");
    let message = refused_bomb.body["error"]["message"].as_str().unwrap();
    assert!(message.contains("8000") && message.contains("50000000"), "{message}");
    assert!(refused_bomb.took < Duration::from_millis(500), "the bomb took {:?}", refused_bomb.took);

    let taken = answers.recv_timeout(Duration::from_secs(60)).unwrap();
    assert_eq!(taken.status, StatusCode::CREATED, "the one in flight is stored: {}", taken.body);
    threads.into_iter().for_each(|t| t.join().unwrap());
    println!("heavy upload {:?}; small {:?}; bomb {:?}", taken.took, small.took, refused_bomb.took);
}

#[test]
fn when_every_decoder_is_busy_an_upload_is_answered_503_with_retry_after_at_once() {
    let decoders = 2;
    let mut args = NO_RATE_LIMITS.to_vec();
    args.extend(["--photo-decoders", "2"]);
    let server = Arc::new(TestServer::start_with(&args));
    let uploads = decoders + 2;
    let images: Vec<Vec<u8>> = (0..uploads).map(|n| png(7000, 7000, 10 + n as u8)).collect();
    let start = Arc::new(Barrier::new(uploads));
    let threads: Vec<_> = images
        .into_iter()
        .map(|heavy| {
            let device = ResidentDevice::register(&server);
            let (server, start) = (Arc::clone(&server), Arc::clone(&start));
            std::thread::spawn(move || {
                start.wait();
                upload(&server, &device.token, heavy)
            })
        })
        .collect();
    let answers: Vec<Answer> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let busy: Vec<&Answer> = answers.iter().filter(|a| a.status == StatusCode::SERVICE_UNAVAILABLE).collect();
    let stored = answers.iter().filter(|a| a.status == StatusCode::CREATED).count();
    assert!(!busy.is_empty() && stored >= 1, "{:?}", answers.iter().map(|a| a.status).collect::<Vec<_>>());
    assert_eq!(busy.len() + stored, uploads);
    for answer in busy {
        assert_eq!(answer.body["error"]["code"], "busy");
        assert_eq!(answer.retry_after, Some(2));
        assert!(answer.took < Duration::from_secs(1), "refused at once, not queued: {:?}", answer.took);
    }
}

#[test]
fn photos_never_attached_to_a_report_are_removed_after_the_grace_period() {
    let data = tempfile::tempdir().unwrap();
    let server_on = |day: &str| {
        let mut args = NO_RATE_LIMITS.to_vec();
        args.extend(["--manual-clock", day, "--unattached-photo-hours", "48"]);
        TestServer::start_in(data.path(), &args)
    };
    let photo = |server: &TestServer, id: &str| {
        reqwest::blocking::get(server.url(&format!("/api/v1/photos/{id}"))).unwrap().status()
    };
    let stored_files =
        || walk(&data.path().join("photos")).iter().filter(|p| p.ends_with("original")).count();

    let server = server_on("2026-03-02T09:00:00+07:00");
    let device = ResidentDevice::register(&server);
    let uploaded =
        |shade| upload(&server, &device.token, png(64, 48, shade)).body["id"].as_str().unwrap().to_owned();
    let (kept, forgotten) = (uploaded(50), uploaded(51));
    let mut report = phananh_tests::report_at(phananh_tests::HOAN_KIEM.0, phananh_tests::HOAN_KIEM.1);
    report["photos"] = serde_json::json!([kept]);
    assert_eq!(device.file(&report).unwrap().status(), StatusCode::CREATED);
    assert_eq!(stored_files(), 2);
    server.kill();

    // Restarted a day later: both are kept (the sweep runs at start, then hourly).
    let server = server_on("2026-03-03T09:00:00+07:00");
    assert_eq!((photo(&server, &kept), photo(&server, &forgotten)), (StatusCode::OK, StatusCode::OK));
    server.kill();

    // Three days later: the unattached one is gone, files and all; the report's stays.
    let server = server_on("2026-03-05T09:00:00+07:00");
    let deadline = Instant::now() + Duration::from_secs(10);
    while photo(&server, &forgotten) != StatusCode::NOT_FOUND {
        assert!(Instant::now() < deadline, "the unattached photo is removed at start");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(photo(&server, &kept), StatusCode::OK);
    assert_eq!(stored_files(), 1);
}

/// Every file under `dir`, recursively.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
