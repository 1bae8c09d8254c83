//! The SLA watcher, driven by the server's manual clock: a deadline's breach is recorded the
//! moment it passes, not a minute earlier, and reaches the city's live stream at once.
//!
//! How "not a minute earlier" is shown without waiting for something not to happen: each
//! test has a second report whose deadline is one minute earlier. The watcher records every
//! deadline passed in one pass and one transaction, so once the earlier report's breach has
//! arrived, the later report's breach would have arrived with it had it been recorded.

use phananh_shared::api::{Change, Event, LiveMessage};
use phananh_tests::{HOAN_KIEM, LiveClient, ResidentDevice, StaffClient, TestServer, VAN_MIEU, report_at};
use reqwest::StatusCode;
use serde_json::{Value, json};

struct World {
    server: TestServer,
    _data: tempfile::TempDir,
    officer: StaffClient,
    city: StaffClient,
    resident: ResidentDevice,
    runtime: tokio::runtime::Runtime,
}

/// A server whose clock starts at `start` (Hà Nội time).
fn world(start: &str) -> World {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), &["--manual-clock", start]);
    let officer = StaffClient::create(&server, data.path(), "hoankiem", "ward", Some("00070"));
    let city = StaffClient::create(&server, data.path(), "thanhpho", "city", None);
    let resident = ResidentDevice::register(&server);
    World { server, _data: data, officer, city, resident, runtime: tokio::runtime::Runtime::new().unwrap() }
}

impl World {
    fn at(&self, now: &str) {
        assert_eq!(self.server.set_clock(now).status(), StatusCode::OK);
    }

    /// Files a noise report of `priority` in Hoàn Kiếm: its stored view.
    fn file(&self, priority: &str) -> Value {
        let mut report = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
        report["category"] = json!("noise");
        report["priority"] = json!(priority);
        let response = self.resident.file(&report).unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().unwrap()
    }

    fn act(&self, id: &Value, action: Value) -> Value {
        let response = self.officer.act(id.as_str().unwrap(), &action);
        assert_eq!(response.status(), StatusCode::OK);
        response.json().unwrap()
    }

    /// The kinds of report `id`'s events, as city staff read its timeline.
    fn kinds(&self, id: &Value) -> Vec<String> {
        let events: Vec<Value> =
            self.city.get(&format!("/api/v1/reports/{}/events", id.as_str().unwrap())).json().unwrap();
        events.iter().map(|e| e["kind"].as_str().unwrap().to_owned()).collect()
    }

    /// The city's live stream, caught up with everything so far.
    fn city_stream(&self) -> LiveClient {
        self.runtime.block_on(async {
            let mut live = LiveClient::open(&self.server, "city", 0, Some(&self.city.token)).await;
            live.until_caught_up().await;
            live
        })
    }

    fn next_event(&self, live: &mut LiveClient) -> Event {
        match self.runtime.block_on(live.next()) {
            LiveMessage::Event(event) => event,
            other => panic!("expected an event, got {other:?}"),
        }
    }
}

#[test]
fn a_report_filed_friday_at_16_30_is_ack_overdue_at_monday_16_30_and_not_a_minute_earlier() {
    // Friday 6 March 2026 in Hà Nội.
    let world = world("2026-03-06T16:29:00+07:00");
    let earlier = world.file("normal");
    let answered_in_time = world.file("normal");
    world.at("2026-03-06T16:30:00+07:00");
    let report = world.file("normal");
    assert_eq!(report["deadlines"]["acknowledge"], "2026-03-09T09:30:00Z", "Monday 16:30");
    let mut city = world.city_stream();

    world.at("2026-03-09T09:00:00+07:00");
    world.act(&answered_in_time["id"], json!({ "action": "acknowledge" }));
    assert_eq!(world.next_event(&mut city).report_id.to_string(), answered_in_time["id"].as_str().unwrap());

    world.at("2026-03-09T16:29:00+07:00");
    let breach = world.next_event(&mut city);
    assert_eq!(breach.report_id.to_string(), earlier["id"].as_str().unwrap());
    let deadline = "2026-03-09T09:29:00Z".parse().unwrap();
    assert_eq!(breach.change, Change::AckOverdue { deadline });
    assert_eq!((breach.at, breach.ward_code.as_str()), (deadline, "00070"), "dated at the deadline");
    assert_eq!(world.kinds(&report["id"]), ["filed"], "a minute early is not late");
    assert_eq!(world.kinds(&answered_in_time["id"]), ["filed", "acknowledged"]);

    world.at("2026-03-09T16:30:00+07:00");
    let breach = world.next_event(&mut city);
    assert_eq!(breach.report_id.to_string(), report["id"].as_str().unwrap());
    assert_eq!(breach.change, Change::AckOverdue { deadline: "2026-03-09T09:30:00Z".parse().unwrap() });
    // Recorded once, whatever the clock does next.
    world.at("2026-03-10T12:00:00+07:00");
    assert_eq!(world.kinds(&report["id"]), ["filed", "ack_overdue"]);
}

#[test]
fn an_urgent_report_is_handling_overdue_four_working_hours_after_acknowledgement() {
    // Monday 9 March 2026, 08:59: acknowledged at once, due by 13:59 (lunch not counted).
    let world = world("2026-03-09T08:59:00+07:00");
    let earlier = world.file("urgent");
    world.act(&earlier["id"], json!({ "action": "acknowledge" }));
    world.at("2026-03-09T09:00:00+07:00");
    let report = world.file("urgent");
    let acknowledged = world.act(&report["id"], json!({ "action": "acknowledge" }));
    assert_eq!(acknowledged["deadlines"]["handle"], "2026-03-09T07:00:00Z", "14:00 in Hà Nội");
    let resolved_in_time = world.file("urgent");
    world.act(&resolved_in_time["id"], json!({ "action": "acknowledge" }));
    world.act(
        &resolved_in_time["id"],
        json!({ "action": "resolve", "answer": "Đã xử lý ngay trong buổi sáng." }),
    );
    let mut city = world.city_stream();

    world.at("2026-03-09T13:59:00+07:00");
    let breach = world.next_event(&mut city);
    assert_eq!(breach.report_id.to_string(), earlier["id"].as_str().unwrap());
    assert_eq!(breach.change, Change::HandlingOverdue { deadline: "2026-03-09T06:59:00Z".parse().unwrap() });
    assert_eq!(world.kinds(&report["id"]), ["filed", "acknowledged"]);

    world.at("2026-03-09T14:00:00+07:00");
    let breach = world.next_event(&mut city);
    assert_eq!(breach.report_id.to_string(), report["id"].as_str().unwrap());
    assert_eq!(breach.change, Change::HandlingOverdue { deadline: "2026-03-09T07:00:00Z".parse().unwrap() });
    world.at("2026-03-20T09:00:00+07:00");
    assert_eq!(
        world.kinds(&resolved_in_time["id"]),
        ["filed", "acknowledged", "resolved"],
        "answered in time"
    );
}

#[test]
fn a_transfer_restarts_the_acknowledgement_clock_in_the_new_ward() {
    let world = world("2026-03-06T16:30:00+07:00");
    let stays = world.file("normal");
    let moves = world.file("normal");
    let van_mieu = world.server.ward_at(VAN_MIEU);
    world.at("2026-03-09T10:00:00+07:00");
    let transfer =
        json!({ "action": "transfer", "ward": van_mieu, "reason": "Địa điểm thuộc phường Văn Miếu." });
    let transferred = world.act(&moves["id"], transfer);
    // Monday 10:00 plus 8 working hours: Tuesday 10:00.
    assert_eq!(transferred["deadlines"]["acknowledge"], "2026-03-10T03:00:00Z");
    let mut city = world.city_stream();

    world.at("2026-03-09T16:30:00+07:00");
    let breach = world.next_event(&mut city);
    assert_eq!(breach.report_id.to_string(), stays["id"].as_str().unwrap());
    assert_eq!(world.kinds(&moves["id"]), ["filed", "transferred"], "the old deadline no longer counts");

    world.at("2026-03-10T10:00:00+07:00");
    let breach = world.next_event(&mut city);
    assert_eq!(breach.report_id.to_string(), moves["id"].as_str().unwrap());
    assert_eq!(
        (breach.ward_code, breach.change),
        (van_mieu, Change::AckOverdue { deadline: "2026-03-10T03:00:00Z".parse().unwrap() })
    );
}

#[test]
fn my_work_lists_an_officers_reports_nearest_running_deadline_first_and_marks_the_late_ones() {
    // Monday 9 March 2026 in Hà Nội.
    let world = world("2026-03-09T09:00:00+07:00");
    let first = world.file("normal");
    world.at("2026-03-09T09:30:00+07:00");
    let second = world.file("normal");
    let not_mine = world.file("normal");
    let urgent = world.file("urgent");
    for report in [&first, &second, &urgent] {
        // The officer takes them themselves (the ward has no lead here).
        world.act(&report["id"], json!({ "action": "assign", "officer": "hoankiem" }));
    }
    // Acknowledged at once, the urgent report's running deadline is its handling one: four
    // working hours, before the others' acknowledgement deadlines tomorrow.
    let urgent = world.act(&urgent["id"], json!({ "action": "acknowledge" }));
    let work = |now: &str| -> Vec<(String, String, bool)> {
        world.at(now);
        let items: Vec<Value> = world.officer.get("/api/v1/staff/me/work").json().unwrap();
        items
            .iter()
            .map(|item| {
                let id = item["report"]["id"].as_str().unwrap().to_owned();
                (id, item["due_at"].as_str().unwrap().to_owned(), item["late"].as_bool().unwrap())
            })
            .collect()
    };
    let id = |report: &Value| report["id"].as_str().unwrap().to_owned();
    let due = |report: &Value, deadline: &str| report["deadlines"][deadline].as_str().unwrap().to_owned();
    let expected = [
        (id(&urgent), due(&urgent, "handle"), false),
        (id(&first), due(&first, "acknowledge"), false),
        (id(&second), due(&second, "acknowledge"), false),
    ];
    assert_eq!(work("2026-03-09T09:31:00+07:00"), expected);
    assert!(expected[0].1 < expected[1].1 && expected[1].1 < expected[2].1, "{expected:?}");
    assert!(!work("2026-03-09T09:31:00+07:00").iter().any(|(listed, ..)| *listed == id(&not_mine)));

    // A minute past the urgent report's deadline, not yet the others'.
    let urgent_due: chrono::DateTime<chrono::Utc> = expected[0].1.parse().unwrap();
    let late = |minutes| (urgent_due + chrono::TimeDelta::minutes(minutes)).to_rfc3339();
    let listed = work(&late(1));
    assert_eq!(listed.iter().map(|(.., late)| *late).collect::<Vec<_>>(), [true, false, false]);
    // Answered, it leaves the list.
    world.act(&urgent["id"], json!({ "action": "resolve", "answer": "Đã nhắc nhở, tiếng ồn đã chấm dứt." }));
    assert_eq!(work(&late(2)).into_iter().map(|(id, ..)| id).collect::<Vec<_>>(), [id(&first), id(&second)]);
}
