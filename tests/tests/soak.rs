//! The load-and-fault soak: residents file over HTTP, devices sync through a faulty link,
//! city staff move reports on and live subscribers follow the city's stream, all at once,
//! while the server is SIGKILLed and restarted three times. At the end:
//!
//! - no accepted operation is lost: every report, comment and staff action the server
//!   acknowledged is there;
//! - none is applied twice: each report is filed once, each comment and action recorded once,
//!   a report retried after a lost answer is the same report;
//! - every live subscriber saw exactly the server's events, in order, without gap or repeat,
//!   across the restarts.
//!
//! A round lasts `PHANANH_SOAK_ROUND_SECONDS` (8 by default; four rounds, so about a minute
//! in all, with the checks) and ends only once the round has seen new work acknowledged, so
//! that every kill lands under load. 150 s rounds make the ten-minute soak.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use phananh_shared::api::LiveMessage;
use phananh_shared::client::Engine;
use phananh_tests::{
    Faults, FaultyProxy, HOAN_KIEM, LiveClient, NO_RATE_LIMITS, ResidentDevice, StaffClient, TestDevice,
    TestServer, free_address, noise_report, point_in_a_ward, report_at,
};
use rand::SeedableRng;
use rand::rngs::StdRng;
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

const KILLS: usize = 3;
const FILERS: usize = 4;
const DEVICES: usize = 6;
const SUBSCRIBERS: usize = 8;
/// How long all the checks at the end may take to see the system settle.
const SETTLE: Duration = Duration::from_secs(120);

fn round_length() -> Duration {
    let seconds = std::env::var("PHANANH_SOAK_ROUND_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(8);
    Duration::from_secs(seconds)
}

/// What the clients were told, as they were told it.
#[derive(Default)]
struct Ledger {
    /// Reports filed over HTTP: (filer, report) acknowledged with a 201 or 200.
    acknowledged: Mutex<Vec<(usize, Value)>>,
    /// How many of those were answered only when sent again, their first answer lost to a kill.
    retried: AtomicUsize,
    /// The report each filer had in hand when the soak stopped, to be sent once more.
    unanswered: Mutex<Vec<(usize, Value)>>,
    /// Staff actions answered 200: (report id, event kind it records).
    actions: Mutex<Vec<(String, &'static str)>>,
    /// Comments each device made on each report.
    comments: Mutex<HashMap<Uuid, usize>>,
}

impl Ledger {
    fn filed(&self) -> usize {
        self.acknowledged.lock().unwrap().len()
    }

    fn acted(&self) -> usize {
        self.actions.lock().unwrap().len()
    }
}

#[test]
fn filing_syncing_acting_and_following_through_three_sigkills_loses_nothing_and_repeats_nothing() {
    let data = tempfile::tempdir().unwrap();
    // One address for the whole soak: the clients reconnect to it after each restart.
    let address = free_address();
    let start = || TestServer::start_at(data.path(), &address, NO_RATE_LIMITS);
    let mut server = start();
    let base = server.url("");
    let city = StaffClient::create(&server, data.path(), "thanhpho", "city", None);
    let filers: Vec<ResidentDevice> = (0..FILERS).map(|_| ResidentDevice::register(&server)).collect();
    let proxy = FaultyProxy::start(&address, Faults { seed: 1010, share: 0.2 });
    let devices: Vec<TestDevice> = (0..DEVICES).map(|_| TestDevice::open(&proxy.url())).collect();
    let runtime = tokio::runtime::Runtime::new().unwrap();

    let ledger = Ledger::default();
    let (stop, seen) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicUsize::new(0)));
    let subscribers: Vec<_> = (0..SUBSCRIBERS)
        .map(|_| {
            let (last, until) = tokio::sync::oneshot::channel();
            (last, runtime.spawn(follow_city(base.clone(), city.token.clone(), Arc::clone(&seen), until)))
        })
        .collect();
    // The last server comes out of the scope, serving, for the checks.
    let server = std::thread::scope(|threads| {
        for (n, filer) in filers.iter().enumerate() {
            let (ledger, stop) = (&ledger, &stop);
            threads.spawn(move || file_until(filer, n, ledger, stop));
        }
        threads.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                move_reports_on(&base, &city.token, &ledger);
            }
        });
        // Should the soak fail here, the clients stop too, and the failure is reported
        // instead of the scope waiting for them for ever.
        let _stop_on_failure = StopOnDrop(&stop);
        let device_tasks: Vec<_> = devices
            .iter()
            .enumerate()
            .map(|(n, device)| runtime.spawn(use_device(device.engine.clone(), n as u64, Arc::clone(&stop))))
            .collect();

        for round in 0..=KILLS {
            let (filed, acted, followed) = (ledger.filed(), ledger.acted(), seen.load(Ordering::Relaxed));
            let started = Instant::now();
            let deadline = started + round_length() + SETTLE;
            while started.elapsed() < round_length()
                || ledger.filed() == filed
                || ledger.acted() == acted
                || seen.load(Ordering::Relaxed) == followed
            {
                assert!(Instant::now() < deadline, "round {round}: no new work acknowledged under load");
                std::thread::sleep(Duration::from_millis(50));
            }
            if round < KILLS {
                server.kill();
                server = start();
            }
        }
        stop.store(true, Ordering::Relaxed);
        for task in device_tasks {
            let comments = runtime.block_on(task).unwrap();
            ledger.comments.lock().unwrap().extend(comments);
        }
        server
    });

    // Everything sent again that never got its answer, as the apps would.
    let unanswered = std::mem::take(&mut *ledger.unanswered.lock().unwrap());
    for (n, report) in &unanswered {
        let answer =
            filers[*n].file(report).unwrap_or_else(|e| panic!("{e}; the server's log:\n{}", server.log()));
        assert!(matches!(answer.status(), StatusCode::CREATED | StatusCode::OK), "{}", answer.status());
    }
    for device in &devices {
        runtime.block_on(sync_until_sent(&device.engine));
    }

    // The server's whole event log, as a new subscriber of the city's stream reads it.
    let truth = runtime.block_on(events_since_start(&base, &city.token));
    let last = truth.last().map_or(0, |(seq, _)| *seq);
    let mut events_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (_, event) in &truth {
        let report = event["report_id"].as_str().unwrap_or_default().to_owned();
        events_of.entry(report).or_default().push(event["kind"].as_str().unwrap_or_default().to_owned());
    }
    let count = |report: &str, kind: &str| {
        events_of.get(report).map_or(0, |kinds| kinds.iter().filter(|k| *k == kind).count())
    };

    // Every report filed over HTTP is there once, acknowledged or sent again.
    let acknowledged = ledger.acknowledged.lock().unwrap();
    for (_, report) in acknowledged.iter().chain(&unanswered) {
        let id = report["id"].as_str().unwrap();
        assert_eq!(count(id, "filed"), 1, "report {id} filed once");
    }
    // Every device's report is there once, in the device's cache as the server has it, with
    // each comment once.
    let comments = ledger.comments.lock().unwrap();
    let mut device_reports = 0;
    for device in &devices {
        let status = runtime.block_on(device.status()).unwrap();
        assert_eq!((status.waiting, status.refused.len()), (0, 0), "every operation sent and accepted");
        for report in runtime.block_on(device.reports()).unwrap() {
            let id = report.id.to_string();
            assert_eq!(count(&id, "filed"), 1, "device report {id} filed once");
            assert_eq!(
                count(&id, "commented"),
                comments.get(&report.id).copied().unwrap_or(0),
                "{id}'s comments once"
            );
            let on_server: Value = city.get(&format!("/api/v1/reports/{id}")).json().unwrap();
            let cached = report.view.expect("the server's view");
            assert_eq!(on_server["status"], json!(cached.status), "the device knows {id}'s status");
            device_reports += 1;
        }
    }
    // Nothing else was filed: no report twice under two ids.
    let filed_on_server = events_of.values().filter(|kinds| kinds.iter().any(|k| k == "filed")).count();
    assert_eq!(filed_on_server, acknowledged.len() + unanswered.len() + device_reports);
    // Every staff action answered 200 is recorded, once.
    for (id, kind) in ledger.actions.lock().unwrap().iter() {
        assert_eq!(count(id, kind), 1, "{kind} on {id} recorded once");
    }

    // Every subscriber saw the server's events, in order, no gap, no repeat.
    runtime.block_on(async {
        for (tell_last, subscriber) in subscribers {
            tell_last.send(last).unwrap();
            let followed =
                tokio::time::timeout(SETTLE, subscriber).await.expect("a subscriber catches up").unwrap();
            assert_eq!(followed.len(), truth.len(), "a subscriber saw every event once");
            assert!(followed == truth, "a subscriber saw the server's events in the server's order");
        }
    });
    let (exchanges, broken) =
        (proxy.counts.exchanges.load(Ordering::Relaxed), proxy.counts.broken.load(Ordering::Relaxed));
    eprintln!(
        "soak: {KILLS} kills; {} reports filed over HTTP ({} answered only when sent again), {device_reports} by \
         {DEVICES} devices through {exchanges} exchanges ({broken} broken), {} staff actions, {} events followed by \
         {SUBSCRIBERS} subscribers",
        acknowledged.len() + unanswered.len(),
        ledger.retried.load(Ordering::Relaxed),
        ledger.acted(),
        truth.len(),
    );
    assert!(!acknowledged.is_empty() && ledger.acted() > 0 && device_reports > 0 && broken > 0);
}

/// Sets the flag when dropped, even by a panic.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// A noise report at Hoàn Kiếm lake: staff resolve noise without an "after" photo.
fn noise_at_the_lake() -> Value {
    let mut report = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
    report["category"] = json!("noise");
    report
}

/// Files reports as fast as the server takes them; one without an answer is sent again until
/// it gets one, as the app would (so it is never filed twice under two ids).
fn file_until(filer: &ResidentDevice, n: usize, ledger: &Ledger, stop: &AtomicBool) {
    let mut report = noise_at_the_lake();
    let mut tries = 0;
    while !stop.load(Ordering::Relaxed) {
        tries += 1;
        match filer.file(&report) {
            Ok(answer) => {
                assert!(
                    matches!(answer.status(), StatusCode::CREATED | StatusCode::OK),
                    "{}",
                    answer.status()
                );
                ledger.acknowledged.lock().unwrap().push((n, report));
                if tries > 1 {
                    ledger.retried.fetch_add(1, Ordering::Relaxed);
                }
                (report, tries) = (noise_at_the_lake(), 0);
            }
            // The server is down: the app's next try, a moment later.
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    // The report in hand may have been filed by the server before it died without an answer;
    // sending it again is what an app would do, and the check at the end then finds it once.
    ledger.unanswered.lock().unwrap().push((n, report));
}

/// City staff acknowledge new reports and resolve acknowledged ones; each 200 is recorded.
/// Requests that get no answer (the server is down) are simply not recorded.
fn move_reports_on(base: &str, token: &str, ledger: &Ledger) {
    let client = reqwest::blocking::Client::new();
    let steps: [(&str, Value, &'static str); 2] = [
        (
            "acknowledged",
            json!({ "action": "resolve", "answer": "Đã nhắc nhở, tiếng ồn đã chấm dứt." }),
            "resolved",
        ),
        ("submitted", json!({ "action": "acknowledge" }), "acknowledged"),
    ];
    for (status, action, kind) in steps {
        let url = format!("{base}/api/v1/reports?status={status}&limit=20");
        let Ok(page) = client.get(url).bearer_auth(token).send().and_then(|r| r.json::<Value>()) else {
            std::thread::sleep(Duration::from_millis(20));
            return;
        };
        for report in page["reports"].as_array().into_iter().flatten() {
            let id = report["id"].as_str().unwrap();
            let url = format!("{base}/api/v1/reports/{id}/actions");
            let Ok(answer) = client.post(url).bearer_auth(token).json(&action).send() else { return };
            match answer.status() {
                StatusCode::OK => ledger.actions.lock().unwrap().push((id.to_owned(), kind)),
                // Done already: its answer was lost to a kill, and the action is in the log.
                StatusCode::CONFLICT => {}
                other => panic!("{kind} on {id}: {other}"),
            }
        }
    }
}

/// A resident's device: files noise reports around the city, comments on every other one,
/// syncs now and then over the faulty link; the comments made on each report.
async fn use_device(engine: Engine, seed: u64, stop: Arc<AtomicBool>) -> HashMap<Uuid, usize> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut comments = HashMap::new();
    let mut filed = 0_u32;
    while !stop.load(Ordering::Relaxed) {
        let (lon, lat) = point_in_a_ward(&mut rng);
        let id = engine.file_report(noise_report(lon, lat)).await.unwrap().id;
        if filed.is_multiple_of(2) {
            engine.comment(id, "Tiếng ồn kéo dài đến nửa đêm.".into()).await.unwrap();
            *comments.entry(id).or_default() += 1;
        }
        filed += 1;
        let _ = engine.sync_once().await;
    }
    comments
}

/// Syncs until nothing is left to send; the link and the server may still fail a few times.
async fn sync_until_sent(engine: &Engine) {
    let deadline = Instant::now() + SETTLE;
    while !(engine.sync_once().await.is_ok() && engine.status().await.unwrap().waiting == 0) {
        assert!(Instant::now() < deadline, "a device could not send its outbox in {SETTLE:?}");
    }
}

/// An event of the city's stream: its sequence number and its body, as sent.
type Seen = Vec<(u64, Value)>;

/// Follows the city's stream from the start, reconnecting after each break with the last
/// sequence number it saw, until it has seen the soak's last event (sent on `until` at the
/// end); the events it saw. Events must come in order: a repeat or a step back fails.
async fn follow_city(
    base: String,
    token: String,
    seen_count: Arc<AtomicUsize>,
    mut until: tokio::sync::oneshot::Receiver<u64>,
) -> Seen {
    let mut seen: Seen = Vec::new();
    let mut last: Option<u64> = None;
    let last_seen = |seen: &Seen| seen.last().map_or(0, |(seq, _)| *seq);
    loop {
        last = last.or_else(|| until.try_recv().ok());
        if last.is_some_and(|last| last_seen(&seen) >= last) {
            return seen;
        }
        let Ok(mut stream) = LiveClient::connect(&base, "city", last_seen(&seen), Some(&token)).await else {
            // The server is restarting: the app's next try, a moment later.
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        loop {
            let (seq, body) = match stream.next_within(Duration::from_millis(500)).await {
                Some(message @ (LiveMessage::Event(_) | LiveMessage::Dossier(_))) => numbered(&message),
                Some(LiveMessage::CaughtUp { .. }) => continue,
                // Told to resume, closed by a kill, or quiet for a while: reconnect.
                Some(LiveMessage::Resume { .. }) | None => break,
            };
            let before = last_seen(&seen);
            assert!(seq > before, "event {seq} came after {before}: a repeat or a step back");
            seen.push((seq, body));
            seen_count.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// A report's or a dossier's event: its sequence number and its body, as sent.
fn numbered(message: &LiveMessage) -> (u64, Value) {
    let seq = match message {
        LiveMessage::Event(event) => event.seq,
        LiveMessage::Dossier(event) => event.seq,
        other => panic!("not an event: {other:?}"),
    };
    (seq, serde_json::to_value(message).unwrap())
}

/// Every event so far, read by a new subscriber from the start.
async fn events_since_start(base: &str, token: &str) -> Seen {
    let mut stream = LiveClient::connect(base, "city", 0, Some(token)).await.expect("the live stream opens");
    let mut events = Vec::new();
    loop {
        match stream.next().await {
            message @ (LiveMessage::Event(_) | LiveMessage::Dossier(_)) => events.push(numbered(&message)),
            LiveMessage::CaughtUp { .. } => return events,
            LiveMessage::Resume { seq } => panic!("told to resume at {seq} while reading from the start"),
        }
    }
}
