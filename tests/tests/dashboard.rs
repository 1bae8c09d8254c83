//! The city dashboard and the transparency figures over HTTP, on reports filed and answered
//! at known times with the manual clock. (The arithmetic itself is checked against a larger
//! hand-worked fixture in the server's unit tests.)

use phananh_tests::{HOAN_KIEM, ResidentDevice, StaffClient, TestServer, VAN_MIEU, report_at};
use reqwest::StatusCode;
use serde_json::{Value, json};

struct World {
    server: TestServer,
    _data: tempfile::TempDir,
    hoan_kiem: StaffClient,
    van_mieu: String,
    city: StaffClient,
    resident: ResidentDevice,
}

/// Monday 2 March 2026, 08:00 in Hà Nội: three reports, two in Hoàn Kiếm (one answered in
/// six working hours and rated 5, one never acknowledged) and one in Văn Miếu
/// (acknowledged); then the clock moves to Wednesday 10:00.
fn world() -> World {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), &["--manual-clock", "2026-03-02T08:00:00+07:00"]);
    let van_mieu = server.ward_at(VAN_MIEU);
    let hoan_kiem = StaffClient::create(&server, data.path(), "hoankiem", "ward", Some("00070"));
    let van_mieu_officer = StaffClient::create(&server, data.path(), "vanmieu", "ward", Some(&van_mieu));
    let city = StaffClient::create(&server, data.path(), "thanhpho", "city", None);
    let resident = ResidentDevice::register(&server);
    let file = |(lon, lat): (f64, f64)| {
        let mut report = report_at(lon, lat);
        report["category"] = json!("noise");
        assert_eq!(resident.file(&report).unwrap().status(), StatusCode::CREATED);
        report["id"].as_str().unwrap().to_owned()
    };
    let (answered, _ignored, elsewhere) = (file(HOAN_KIEM), file(HOAN_KIEM), file(VAN_MIEU));
    let clock = |now: &str| assert_eq!(server.set_clock(now).status(), StatusCode::OK);
    clock("2026-03-02T09:00:00+07:00");
    assert_eq!(hoan_kiem.act(&answered, &json!({ "action": "acknowledge" })).status(), StatusCode::OK);
    assert_eq!(
        van_mieu_officer.act(&elsewhere, &json!({ "action": "acknowledge" })).status(),
        StatusCode::OK
    );
    clock("2026-03-02T15:00:00+07:00");
    let answer = json!({ "action": "resolve", "answer": "Đã nhắc nhở, quán đã giảm âm lượng." });
    assert_eq!(hoan_kiem.act(&answered, &answer).status(), StatusCode::OK);
    let rating = resident.post(&format!("/api/v1/reports/{answered}/rating"), &json!({ "stars": 5 }));
    assert_eq!(rating.status(), StatusCode::OK);
    clock("2026-03-04T10:00:00+07:00");
    World { server, _data: data, hoan_kiem, van_mieu, city, resident }
}

const PERIOD: &str = "from=2026-03-02&to=2026-03-04";

fn ward<'a>(dashboard: &'a Value, code: &str) -> &'a Value {
    dashboard["wards"].as_array().unwrap().iter().find(|w| w["ward"]["code"] == code).unwrap()
}

#[test]
fn city_staff_see_every_ward_the_overdue_list_and_each_day() {
    let world = world();
    let response = world.city.get(&format!("/api/v1/dashboard?{PERIOD}"));
    assert_eq!(response.status(), StatusCode::OK);
    let dashboard: Value = response.json().unwrap();
    assert_eq!(dashboard["wards"].as_array().unwrap().len(), 126, "every ward, those without reports too");
    assert_eq!(dashboard["total"]["received"], 3);
    let hoan_kiem = ward(&dashboard, "00070");
    assert_eq!(hoan_kiem["received"], 2);
    assert_eq!(hoan_kiem["acknowledged_on_time_pct"], 50.0, "one in time, one never");
    assert_eq!(hoan_kiem["resolved"], 1);
    assert_eq!(hoan_kiem["handling_hours_median"], 6.0, "08:00–12:00 and 13:00–15:00");
    assert_eq!(
        (hoan_kiem["satisfaction_pct"].as_f64(), hoan_kiem["ratings"].as_u64()),
        (Some(100.0), Some(1))
    );
    assert_eq!((hoan_kiem["overdue_now"].as_u64(), hoan_kiem["backlog"].as_u64()), (Some(1), Some(1)));
    let van_mieu = ward(&dashboard, &world.van_mieu);
    assert_eq!((van_mieu["received"].as_u64(), van_mieu["overdue_now"].as_u64()), (Some(1), Some(0)));

    // Due Monday 17:00 (8 working hours); by Wednesday 10:00 late 8 + 2 working hours.
    let overdue = dashboard["overdue"].as_array().unwrap();
    assert_eq!(overdue.len(), 1);
    assert_eq!(
        (overdue[0]["missed"].as_str(), overdue[0]["late_hours"].as_f64()),
        (Some("acknowledge"), Some(10.0))
    );
    let days: Vec<(u64, u64, u64)> = dashboard["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (d["received"].as_u64().unwrap(), d["resolved"].as_u64().unwrap(), d["backlog"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(days, [(3, 1, 2), (0, 0, 2), (0, 0, 2)]);
}

#[test]
fn a_ward_officer_sees_their_own_ward_only() {
    let world = world();
    let dashboard: Value = world.hoan_kiem.get(&format!("/api/v1/dashboard?{PERIOD}")).json().unwrap();
    let wards = dashboard["wards"].as_array().unwrap();
    assert_eq!(wards.len(), 1);
    assert_eq!(wards[0]["ward"]["code"], "00070");
    assert_eq!(
        (dashboard["total"]["received"].as_u64(), dashboard["total"]["backlog"].as_u64()),
        (Some(2), Some(1))
    );
    let other = world.hoan_kiem.get(&format!("/api/v1/dashboard?{PERIOD}&ward={}", world.van_mieu));
    assert_eq!(other.status(), StatusCode::FORBIDDEN);
    assert_eq!(world.resident.get("/api/v1/dashboard").status(), StatusCode::UNAUTHORIZED);
    let one: Value =
        world.city.get(&format!("/api/v1/dashboard?{PERIOD}&ward={}", world.van_mieu)).json().unwrap();
    assert_eq!(one["wards"].as_array().unwrap().len(), 1, "city staff may look at one ward");
}

#[test]
fn bad_periods_are_refused_naming_the_field_with_a_code_of_their_own() {
    let world = world();
    // The app says each in the resident's language by its code and field, so the start after
    // the end and a period over a year must not share one.
    for (query, field, code) in [
        ("from=2026-03-05&to=2026-03-01", "from", "out_of_range"),
        ("from=2025-01-01&to=2026-03-01", "from", "too_long"),
        ("from=yesterday", "from", "invalid"),
        ("to=2026-02-30", "to", "invalid"),
        ("format=xlsx", "format", "invalid"),
        ("ward=99999", "ward", "invalid"),
    ] {
        let response = world.city.get(&format!("/api/v1/dashboard?{query}"));
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        let error = &response.json::<Value>().unwrap()["error"];
        assert_eq!((&error["field"], &error["code"]), (&field.into(), &code.into()), "{query}");
    }
    // A year of 366 days, both ends included, is one period.
    let leap_year = world.city.get("/api/v1/dashboard?from=2024-01-01&to=2024-12-31");
    assert_eq!(leap_year.status(), StatusCode::OK);
}

#[test]
fn the_csv_export_has_the_same_rows_for_a_spreadsheet() {
    let world = world();
    let response = world.city.get(&format!("/api/v1/dashboard?{PERIOD}&format=csv"));
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
    let text = response.text().unwrap();
    let text = text.strip_prefix('\u{feff}').expect("a byte-order mark, for spreadsheet programs");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1 + 1 + 126, "a header, the city, every ward");
    assert!(lines[0].starts_with("ward_code,ward_name,received,acknowledged_on_time_pct,"), "{}", lines[0]);
    assert!(lines[1].starts_with(",Toàn thành phố,3,"), "{}", lines[1]);
    let hoan_kiem = lines.iter().find(|l| l.starts_with("00070,")).unwrap();
    assert!(hoan_kiem.starts_with("00070,Phường Hoàn Kiếm,2,50.0,2,"), "{hoan_kiem}");
}

#[test]
fn the_csv_exports_column_names_are_in_the_language_asked() {
    let world = world();
    let first_lines = |lang: &str| {
        let response = world.city.get(&format!("/api/v1/dashboard?{PERIOD}&format=csv&lang={lang}"));
        assert_eq!(response.status(), StatusCode::OK, "lang={lang}");
        let text = response.text().unwrap();
        text.trim_start_matches('\u{feff}').lines().take(2).map(str::to_owned).collect::<Vec<_>>()
    };
    let vi = first_lines("vi");
    assert!(vi[0].starts_with("Mã phường,Phường,Nhận được,Tiếp nhận đúng hạn (%),"), "{}", vi[0]);
    assert!(vi[1].starts_with(",Toàn thành phố,3,"), "{}", vi[1]);
    let en = first_lines("en");
    assert!(en[0].starts_with("Ward code,Ward,Received,Acknowledged on time (%),"), "{}", en[0]);
    assert!(en[1].starts_with(",Whole city,3,"), "{}", en[1]);

    let refused = world.city.get(&format!("/api/v1/dashboard?{PERIOD}&format=csv&lang=fr"));
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = refused.json().unwrap();
    assert_eq!(body["error"]["field"], "lang", "{body}");
}

#[test]
fn the_transparency_figures_are_public_and_personal_data_free() {
    let world = world();
    let response =
        reqwest::blocking::get(world.server.url(&format!("/api/v1/transparency?{PERIOD}"))).unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().unwrap();
    for private in ["0912", "Nguyễn", "reporter", "overdue", "report_id", "device"] {
        assert!(!text.contains(private), "{private} in the public figures");
    }
    let figures: Value = serde_json::from_str(&text).unwrap();
    let hoan_kiem = ward(&figures, "00070");
    assert_eq!(hoan_kiem["received"], 2);
    assert_eq!(hoan_kiem["acknowledged_on_time_pct"], 50.0);
    assert_eq!(hoan_kiem["satisfaction_pct"], 100.0);
}

/// The public page is computed once for everyone for as long as the operator says, and says
/// so to browsers and proxies; 0 computes it for every request.
#[test]
fn the_transparency_figures_are_shared_for_the_seconds_the_operator_sets() {
    for (seconds, shared) in [("3600", true), ("0", false)] {
        let server = TestServer::start_with(&[
            "--manual-clock",
            "2026-03-02T08:00:00+07:00",
            "--public-figures-seconds",
            seconds,
        ]);
        let resident = ResidentDevice::register(&server);
        let file = || {
            assert_eq!(
                resident.file(&report_at(HOAN_KIEM.0, HOAN_KIEM.1)).unwrap().status(),
                StatusCode::CREATED
            )
        };
        let received = |period: &str| {
            let response =
                reqwest::blocking::get(server.url(&format!("/api/v1/transparency?{period}"))).unwrap();
            let cache = response.headers()["cache-control"].to_str().unwrap().to_owned();
            let figures: Value = response.json().unwrap();
            (ward(&figures, "00070")["received"].as_u64().unwrap(), cache)
        };
        file();
        let (first, cache) = received(PERIOD);
        assert_eq!((first, cache.as_str()), (1, format!("public, max-age={seconds}").as_str()));
        file();
        let (again, cache) = received(PERIOD);
        let max_age: u64 = cache.strip_prefix("public, max-age=").unwrap().parse().unwrap();
        if shared {
            assert_eq!(again, 1, "the figures computed a moment ago, for everyone");
            assert!((3500..=3600).contains(&max_age), "fresh for what is left of the hour: {cache}");
            assert_eq!(
                received("from=2026-03-01&to=2026-03-04").0,
                2,
                "another period is computed for itself"
            );
        } else {
            assert_eq!((again, max_age), (2, 0), "computed for each request");
        }
    }
}
