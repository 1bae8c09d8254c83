//! The live stream under churn: 200 subscribers across every kind of scope, dropping and
//! reconnecting at random while residents and four wards' staff make over a thousand
//! changes. Afterwards each subscriber must hold exactly the events of its scope, in order,
//! none missing, none twice, none it may not see. The expected events are worked out from
//! the reports' timelines as city staff read them over plain HTTP, and the scope rules as
//! the design states them.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use phananh_shared::api::{Change, Event, LiveMessage};
use phananh_tests::{
    HOAN_KIEM, LiveClient, NO_RATE_LIMITS, ResidentDevice, StaffClient, TestServer, VAN_MIEU, report_at,
};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::sync::watch;

/// Four wards' landmarks: Hoàn Kiếm lake, Văn Miếu, West Lake, Times City.
const PLACES: [(f64, f64); 4] = [HOAN_KIEM, VAN_MIEU, (105.8190, 21.0580), (105.8680, 20.9950)];
const DEVICES: usize = 20;
const REPORTS: usize = 250;
/// Reports that exist before the subscribers start, so some can subscribe to one report.
const FIRST_REPORTS: usize = 40;

#[derive(Clone, Debug)]
enum Scope {
    Ward(usize),
    City,
    Device(usize),
    Report(usize),
}

struct Filed {
    id: String,
    device: usize,
    ward: usize,
}

#[test]
fn two_hundred_subscribers_get_exactly_their_scopes_events_through_random_reconnects() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), NO_RATE_LIMITS);
    let wards: Vec<String> = PLACES.iter().map(|&place| server.ward_at(place)).collect();
    let officers: Vec<StaffClient> = wards
        .iter()
        .enumerate()
        .map(|(i, code)| StaffClient::create(&server, data.path(), &format!("phuong{i}"), "ward", Some(code)))
        .collect();
    let city = StaffClient::create(&server, data.path(), "thanhpho", "city", None);
    let devices: Vec<ResidentDevice> = (0..DEVICES).map(|_| ResidentDevice::register(&server)).collect();
    let mut reports: Vec<Filed> = (0..FIRST_REPORTS).map(|i| file(&devices, i)).collect();

    let mut scopes: Vec<Scope> = Vec::new();
    scopes.extend((0..40).map(|i| Scope::Ward(i % wards.len())));
    scopes.extend((0..20).map(|_| Scope::City));
    scopes.extend((0..100).map(|i| Scope::Device(i % DEVICES)));
    scopes.extend((0..40).map(Scope::Report));
    assert_eq!(scopes.len(), 200);

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (stop, stopped) = watch::channel(None::<u64>);
    let subscribers: Vec<_> = scopes
        .iter()
        .enumerate()
        .map(|(n, scope)| {
            let (name, token) = match scope {
                Scope::Ward(w) => (format!("ward:{}", wards[*w]), Some(officers[*w].token.clone())),
                Scope::City => ("city".to_owned(), Some(city.token.clone())),
                Scope::Device(d) => ("device".to_owned(), Some(devices[*d].token.clone())),
                Scope::Report(r) => (format!("report:{}", reports[*r].id), None),
            };
            runtime.spawn(subscribe(server.url(""), name, token, n as u64, stopped.clone()))
        })
        .collect();

    // The changes: the rest of the reports, a "me too" on every tenth from another device,
    // and each report taken through its life by its ward (every eighth transferred first).
    reports.extend((FIRST_REPORTS..REPORTS).map(|i| file(&devices, i)));
    let reports = reports;
    let changes = std::thread::scope(|threads| {
        let workers: Vec<_> = (0..8)
            .map(|worker| {
                let (reports, officers, devices, wards) = (&reports, &officers, &devices, &wards);
                threads.spawn(move || {
                    let mut changes = 0;
                    for (i, report) in reports.iter().enumerate().filter(|(i, _)| i % 8 == worker) {
                        changes += work_through(i, report, officers, devices, wards);
                    }
                    changes
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).sum::<usize>()
    });
    assert!(changes >= 1000, "{changes} status changes");

    // Every event, as city staff read the timelines over HTTP.
    let mut log: Vec<Event> = reports
        .iter()
        .flat_map(|report| {
            let events: Vec<Event> =
                city.get(&format!("/api/v1/reports/{}/events", report.id)).json().unwrap();
            events
        })
        .collect();
    log.sort_by_key(|e| e.seq);
    let newest = log.last().unwrap().seq;
    assert_eq!(log.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=newest).collect::<Vec<_>>(), "gap-free");
    stop.send(Some(newest)).unwrap();

    let reporter: HashMap<String, usize> = reports.iter().map(|r| (r.id.clone(), r.device)).collect();
    // Each followed report has one follower (see `work_through`): the device that followed.
    let follows: HashMap<String, (usize, u64)> = log
        .iter()
        .filter(|e| matches!(e.change, Change::Followed { .. }))
        .map(|e| {
            let i = reports.iter().position(|r| r.id == e.report_id.to_string()).unwrap();
            (e.report_id.to_string(), (follower_of(reports[i].device), e.seq))
        })
        .collect();
    let by_seq: BTreeMap<u64, &Event> = log.iter().map(|e| (e.seq, e)).collect();
    let mut reconnects = 0;
    for (scope, subscriber) in scopes.iter().zip(subscribers) {
        let (got, times) = runtime.block_on(subscriber).unwrap();
        reconnects += times;
        let expected: Vec<u64> = log
            .iter()
            .filter(|e| {
                let report = e.report_id.to_string();
                let staff_only = matches!(e.change, Change::Noted { .. });
                match scope {
                    Scope::Ward(w) => {
                        let away = matches!(&e.change, Change::Transferred { from_ward, .. } if *from_ward == wards[*w]);
                        e.ward_code == wards[*w] || away
                    }
                    Scope::City => true,
                    Scope::Device(d) => {
                        let follows = follows.get(&report).is_some_and(|&(by, from)| by == *d && e.seq >= from);
                        !staff_only && (reporter[&report] == *d || follows)
                    }
                    Scope::Report(r) => !staff_only && report == reports[*r].id,
                }
            })
            .map(|e| e.seq)
            .collect();
        let got_seqs: Vec<u64> = got.iter().map(|e| e.seq).collect();
        assert_eq!(got_seqs, expected, "{scope:?}");

        for event in &got {
            assert_eq!(event, by_seq[&event.seq], "{scope:?} got an event unlike the timeline's");
        }
    }
    assert!(reconnects >= 200, "only {reconnects} reconnects: the churn did not happen");
}

/// Files report `i` (noise, so no "after" photo is needed) from one of the devices.
fn file(devices: &[ResidentDevice], i: usize) -> Filed {
    let (device, ward) = (i % DEVICES, i % PLACES.len());
    let mut report = report_at(PLACES[ward].0, PLACES[ward].1);
    report["category"] = json!("noise");
    assert_eq!(devices[device].file(&report).unwrap().status(), StatusCode::CREATED);
    Filed { id: report["id"].as_str().unwrap().to_owned(), device, ward }
}

/// The one device that says "me too" about a report `device` filed.
fn follower_of(device: usize) -> usize {
    (device + 1) % DEVICES
}

/// Takes report `i` through its life; how many changes that made.
fn work_through(
    i: usize,
    report: &Filed,
    officers: &[StaffClient],
    devices: &[ResidentDevice],
    wards: &[String],
) -> usize {
    let mut changes = 0;
    let mut ward = report.ward;
    let mut act = |ward: usize, action: Value| {
        let response = officers[ward].act(&report.id, &action);
        assert_eq!(response.status(), StatusCode::OK, "{action}: {}", response.text().unwrap());
        changes += 1;
    };
    if i.is_multiple_of(10) {
        let follower = &devices[follower_of(report.device)];
        let response = follower.post(&format!("/api/v1/reports/{}/follow", report.id), &json!({}));
        assert_eq!(response.status(), StatusCode::OK);
    }
    if i.is_multiple_of(8) {
        let to = (ward + 1) % wards.len();
        act(
            ward,
            json!({ "action": "transfer", "ward": wards[to], "reason": "Địa điểm thuộc phường bên cạnh." }),
        );
        ward = to;
    }
    act(ward, json!({ "action": "acknowledge" }));
    act(ward, json!({ "action": "note", "text": "Đã giao tổ dân phố kiểm tra." }));
    act(ward, json!({ "action": "start" }));
    act(ward, json!({ "action": "resolve", "answer": "Đã xử lý, tiếng ồn đã chấm dứt." }));
    changes
}

/// One subscriber: connects, reads, and drops the connection at random moments (one message
/// in 25), reconnecting after the last event it got, until told the newest sequence number;
/// then it catches up a last time. The events it got, and how often it reconnected.
async fn subscribe(
    base: String,
    scope: String,
    token: Option<String>,
    seed: u64,
    mut stop: watch::Receiver<Option<u64>>,
) -> (Vec<Event>, usize) {
    let mut rng = StdRng::seed_from_u64(seed);
    let (mut got, mut cursor, mut reconnects) = (Vec::<Event>::new(), 0, 0);
    loop {
        let newest = *stop.borrow_and_update();
        let mut live = match LiveClient::connect(&base, &scope, cursor, token.as_deref()).await {
            Ok(live) => live,
            Err(refused) => panic!("{scope}: {refused:?}"),
        };
        loop {
            let message = tokio::select! {
                message = live.next_within(Duration::from_secs(30)) => message,
                _ = stop.changed(), if newest.is_none() => break,
            };
            match message.unwrap_or_else(|| panic!("{scope}: the stream ended")) {
                LiveMessage::Event(event) => {
                    assert!(event.seq > cursor, "{scope}: {} again after {cursor}", event.seq);
                    cursor = event.seq;
                    got.push(event);
                }
                LiveMessage::CaughtUp { seq } => {
                    assert!(seq >= cursor, "{scope}: caught up at {seq} after {cursor}");
                    cursor = seq;
                    if newest.is_some_and(|newest| seq >= newest) {
                        return (got, reconnects);
                    }
                }
                LiveMessage::Resume { seq } => {
                    cursor = seq;
                    break;
                }
                LiveMessage::Dossier(event) => panic!("{scope}: no dossier was registered: {event:?}"),
            }
            if newest.is_none() && rng.random_range(0..25) == 0 {
                break;
            }
        }
        live.close().await;
        reconnects += 1;
    }
}
