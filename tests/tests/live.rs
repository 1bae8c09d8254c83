//! The live stream: what each scope sees, who may open which, resuming without a gap, and
//! the second transport (server-sent events).

use std::io::{BufRead, BufReader};
use std::time::Duration;

use phananh_shared::api::{Change, LiveMessage};
use phananh_tests::{
    HOAN_KIEM, LiveClient, NO_RATE_LIMITS, ResidentDevice, StaffClient, TestServer, VAN_MIEU, report_at,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

struct World {
    server: TestServer,
    _data: tempfile::TempDir,
    hoan_kiem: StaffClient,
    van_mieu: StaffClient,
    van_mieu_ward: String,
    city: StaffClient,
    resident: ResidentDevice,
}

fn world(args: &[&str]) -> World {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), args);
    let hoan_kiem = StaffClient::create(&server, data.path(), "hoankiem", "ward", Some("00070"));
    let van_mieu_ward = server.ward_at(VAN_MIEU);
    let van_mieu = StaffClient::create(&server, data.path(), "vanmieu", "ward", Some(&van_mieu_ward));
    let city = StaffClient::create(&server, data.path(), "thanhpho", "city", None);
    let resident = ResidentDevice::register(&server);
    World { server, _data: data, hoan_kiem, van_mieu, van_mieu_ward, city, resident }
}

/// Files a noise report at `at` for `resident`: its id.
fn file(resident: &ResidentDevice, (lon, lat): (f64, f64)) -> String {
    let mut report = report_at(lon, lat);
    report["category"] = json!("noise");
    assert_eq!(resident.file(&report).unwrap().status(), StatusCode::CREATED);
    report["id"].as_str().unwrap().to_owned()
}

fn event_of(message: LiveMessage) -> phananh_shared::api::Event {
    match message {
        LiveMessage::Event(event) => event,
        other => panic!("expected an event, got {other:?}"),
    }
}

/// A runtime for the live clients; the tests' HTTP calls are blocking, outside it.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

#[test]
fn a_new_report_reaches_its_ward_its_reporter_and_the_city_and_no_other_ward() {
    let (world, rt) = (world(&[]), runtime());
    let server = &world.server;
    let other_scope = format!("ward:{}", world.van_mieu_ward);
    let (mut ward, mut other_ward, mut city, mut device) = rt.block_on(async {
        (
            LiveClient::open(server, "ward:00070", 0, Some(&world.hoan_kiem.token)).await,
            LiveClient::open(server, &other_scope, 0, Some(&world.van_mieu.token)).await,
            LiveClient::open(server, "city", 0, Some(&world.city.token)).await,
            LiveClient::open(server, "device", 0, Some(&world.resident.token)).await,
        )
    });
    for client in [&mut ward, &mut other_ward, &mut city, &mut device] {
        assert_eq!(rt.block_on(client.next()), LiveMessage::CaughtUp { seq: 0 });
    }

    let id = file(&world.resident, HOAN_KIEM);
    let filed = event_of(rt.block_on(ward.next()));
    assert_eq!((filed.report_id.to_string(), filed.seq), (id.clone(), 1));
    assert!(matches!(filed.change, Change::Filed { .. }));
    assert_eq!(event_of(rt.block_on(city.next())), filed);
    assert_eq!(event_of(rt.block_on(device.next())), filed);

    let officer = &world.hoan_kiem;
    let note = json!({ "action": "note", "text": "Gọi chủ quán karaoke." });
    assert_eq!(officer.act(&id, &note).status(), StatusCode::OK);
    assert_eq!(officer.act(&id, &json!({ "action": "acknowledge" })).status(), StatusCode::OK);
    let noted = event_of(rt.block_on(ward.next()));
    assert!(matches!(noted.change, Change::Noted { .. }), "staff see their notes live");
    assert_eq!(event_of(rt.block_on(city.next())), noted);
    let acknowledged = event_of(rt.block_on(device.next()));
    assert!(
        matches!(acknowledged.change, Change::Acknowledged { .. }),
        "the resident never sees a staff note"
    );
    assert_eq!(acknowledged.seq, noted.seq + 1);

    // The other ward's first message is its own report, not Hoàn Kiếm's three events.
    let theirs = file(&world.resident, VAN_MIEU);
    assert_eq!(event_of(rt.block_on(other_ward.next())).report_id.to_string(), theirs);
}

#[test]
fn reconnecting_with_the_last_sequence_number_misses_nothing_and_repeats_nothing() {
    let (world, rt) = (world(&[]), runtime());
    let (server, token) = (&world.server, Some(world.city.token.as_str()));
    let mut city = rt.block_on(LiveClient::open(server, "city", 0, token));
    assert_eq!(rt.block_on(city.next()), LiveMessage::CaughtUp { seq: 0 });
    let first = file(&world.resident, HOAN_KIEM);
    let seen = event_of(rt.block_on(city.next()));
    assert_eq!(seen.report_id.to_string(), first);
    rt.block_on(city.close());

    // While nobody listens: three more reports.
    let missed: Vec<String> = (0..3).map(|_| file(&world.resident, HOAN_KIEM)).collect();
    let mut again = rt.block_on(LiveClient::open(server, "city", seen.seq, token));
    let (replayed, caught_up) = rt.block_on(again.until_caught_up());
    let ids: Vec<String> = replayed.iter().map(|e| e.report_id.to_string()).collect();
    assert_eq!(ids, missed);
    assert_eq!(replayed.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![2, 3, 4]);
    assert_eq!(caught_up, 4);
    // And from there on, live: the next event is the fifth, once.
    let fifth = file(&world.resident, HOAN_KIEM);
    let live = event_of(rt.block_on(again.next()));
    assert_eq!((live.seq, live.report_id.to_string()), (5, fifth));
}

#[test]
fn since_latest_replays_nothing_and_then_streams_what_happens() {
    let (world, rt) = (world(&[]), runtime());
    let (server, token) = (&world.server, Some(world.city.token.as_str()));
    for _ in 0..3 {
        file(&world.resident, HOAN_KIEM);
    }
    // A screen that has just loaded the current state: only what happens from now on.
    let mut city = rt.block_on(LiveClient::open(server, "city", "latest", token));
    assert_eq!(rt.block_on(city.next()), LiveMessage::CaughtUp { seq: 3 });
    let fourth = file(&world.resident, HOAN_KIEM);
    let live = event_of(rt.block_on(city.next()));
    assert_eq!((live.seq, live.report_id.to_string()), (4, fourth));
}

#[test]
fn nobody_opens_a_scope_they_may_not_see() {
    let (world, rt) = (world(&[]), runtime());
    let base = world.server.url("");
    let id = file(&world.resident, HOAN_KIEM);
    let refused = |scope: &str, since: u64, token: Option<&str>| match rt
        .block_on(LiveClient::connect(&base, scope, since, token))
    {
        Ok(_) => panic!("{scope} was opened"),
        Err(refused) => (refused.status, refused.body["error"]["field"].as_str().map(str::to_owned)),
    };
    let officer = Some(world.hoan_kiem.token.as_str());
    assert_eq!(refused("ward:00004", 0, officer).0, 403, "another ward");
    assert_eq!(refused("city", 0, officer).0, 403);
    assert_eq!(refused("ward:00070", 0, Some(&world.resident.token)).0, 401);
    assert_eq!(refused("city", 0, None).0, 401);
    assert_eq!(refused("device", 0, None).0, 401);
    assert_eq!(refused("device", 0, Some("not-a-token")).0, 401);
    assert_eq!(refused("everything", 0, officer), (422, Some("scope".into())));
    assert_eq!(refused("report:42", 0, None), (422, Some("scope".into())));
    assert_eq!(refused("city", 99, Some(&world.city.token)), (422, Some("since".into())));
    assert_eq!(refused(&format!("report:{}", uuid::Uuid::now_v7()), 0, None).0, 404);

    // Anyone may follow one report, without its staff notes; its ward's staff see them.
    let note = json!({ "action": "note", "text": "Nội bộ." });
    assert_eq!(world.hoan_kiem.act(&id, &note).status(), StatusCode::OK);
    let scope = format!("report:{id}");
    let events_seen_by = |token: Option<&str>| {
        rt.block_on(async {
            let mut client = LiveClient::open(&world.server, &scope, 0, token).await;
            client.until_caught_up().await.0.len()
        })
    };
    assert_eq!(events_seen_by(None), 1, "the filing, not the note");
    assert_eq!(events_seen_by(Some(&world.hoan_kiem.token)), 2);
    assert_eq!(events_seen_by(Some(&world.van_mieu.token)), 1, "another ward's staff get the public view");
    assert_eq!(events_seen_by(Some(&world.city.token)), 2);
}

#[test]
fn server_sent_events_carry_the_same_messages_and_resume_from_last_event_id() {
    let world = world(&[]);
    let first = file(&world.resident, HOAN_KIEM);
    let second = file(&world.resident, HOAN_KIEM);
    let open = |last_event_id: Option<&str>| {
        let request = reqwest::blocking::Client::new()
            .get(world.server.url("/api/v1/live?scope=device"))
            .bearer_auth(&world.resident.token)
            .header("accept", "text/event-stream");
        let request = match last_event_id {
            Some(id) => request.header("last-event-id", id),
            None => request,
        };
        let response = request.send().unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
        BufReader::new(response)
    };
    // Reads events (`id:` and `data:` lines, ended by a blank line) until `caught_up`.
    let read = |stream: &mut BufReader<reqwest::blocking::Response>| {
        let mut messages = Vec::new();
        let (mut id, mut data) = (None, String::new());
        for line in stream.lines() {
            let line = line.unwrap();
            if let Some(value) = line.strip_prefix("id:") {
                id = Some(value.trim().to_owned());
            } else if let Some(value) = line.strip_prefix("data:") {
                data.push_str(value.trim());
            } else if line.is_empty() && !data.is_empty() {
                let message: LiveMessage = serde_json::from_str(&std::mem::take(&mut data)).unwrap();
                let done = matches!(message, LiveMessage::CaughtUp { .. });
                messages.push((id.take(), message));
                if done {
                    break;
                }
            }
        }
        messages
    };
    let all = read(&mut open(None));
    assert_eq!(all.len(), 3);
    let (first_id, LiveMessage::Event(event)) = &all[0] else { panic!("an event first: {all:?}") };
    assert_eq!((event.report_id.to_string(), first_id.as_deref()), (first, Some("1")));
    let rest = read(&mut open(first_id.as_deref()));
    let LiveMessage::Event(event) = &rest[0].1 else { panic!("an event: {rest:?}") };
    assert_eq!((rest.len(), event.report_id.to_string()), (2, second));
}

#[test]
fn a_subscriber_that_stops_answering_pings_is_disconnected() {
    let (world, rt) = (world(&["--live-heartbeat-seconds", "1"]), runtime());
    let subscribers = || {
        let health: Value = reqwest::blocking::get(world.server.url("/healthz")).unwrap().json().unwrap();
        health["live_subscribers"].as_u64().unwrap()
    };
    // Connected, then never read from again: no pong ever goes back.
    let _silent = rt.block_on(LiveClient::open(&world.server, "city", 0, Some(&world.city.token)));
    assert_eq!(subscribers(), 1);
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while subscribers() > 0 {
        assert!(std::time::Instant::now() < deadline, "still connected after 15 heartbeats");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_subscriber_too_slow_to_keep_up_is_told_to_resume_and_holds_up_nobody() {
    let mut args = vec!["--live-backlog", "128"];
    args.extend_from_slice(NO_RATE_LIMITS);
    let (world, rt) = (world(&args), runtime());
    let (base, token) = (world.server.url(""), Some(world.city.token.as_str()));
    let id = file(&world.resident, HOAN_KIEM);
    // A slow link: a 4 KiB receive buffer, and nothing read while 800 long notes (12 KB
    // each, 9.6 MB in all: twice what the kernel buffers on the way) are written.
    let mut slow = rt.block_on(LiveClient::connect_with(&base, "city", 0, token, Some(4096))).unwrap();
    let brisk = rt.spawn({
        let (base, token) = (base.clone(), world.city.token.clone());
        async move {
            let mut brisk = LiveClient::connect(&base, "city", 0, Some(&token)).await.unwrap();
            let mut seqs = Vec::new();
            while seqs.len() < 801 {
                match brisk.next().await {
                    LiveMessage::Event(event) => seqs.push(event.seq),
                    LiveMessage::CaughtUp { .. } => {}
                    LiveMessage::Resume { seq } => panic!("the brisk subscriber was told to resume at {seq}"),
                    LiveMessage::Dossier(event) => panic!("no dossier was registered: {event:?}"),
                }
            }
            seqs
        }
    });
    let note = json!({ "action": "note", "text": "ồ".repeat(4000) });
    std::thread::scope(|threads| {
        for _ in 0..4 {
            threads.spawn(|| {
                for _ in 0..200 {
                    assert_eq!(world.hoan_kiem.act(&id, &note).status(), StatusCode::OK);
                }
            });
        }
    });
    let everything: Vec<u64> = (1..=801).collect();
    assert_eq!(rt.block_on(brisk).unwrap(), everything, "the brisk subscriber got everything, in order");

    // The slow one gets what fitted on the way, then `resume`, then the stream ends.
    let mut got = Vec::new();
    let resume = loop {
        match rt.block_on(slow.next()) {
            LiveMessage::Event(event) => got.push(event.seq),
            LiveMessage::CaughtUp { .. } => {}
            LiveMessage::Resume { seq } => break seq,
            LiveMessage::Dossier(event) => panic!("no dossier was registered: {event:?}"),
        }
    };
    assert!(got.len() < 801, "the slow subscriber was never told to resume");
    assert_eq!(resume, got.last().copied().unwrap_or(0));
    assert_eq!(rt.block_on(slow.next_within(Duration::from_secs(10))), None, "closed after resume");
    let mut again = rt.block_on(LiveClient::open(&world.server, "city", resume, token));
    got.extend(rt.block_on(again.until_caught_up()).0.iter().map(|e| e.seq));
    assert_eq!(got, everything, "resuming fills the gap exactly");
}
