//! The web app in a real browser: the server with a fresh database serves the built app, and
//! headless Chromium plays the people who use it: a resident on a phone, a ward officer and a
//! city official at their desks, each in a browser of their own.

use fantoccini::{Client, Locator};
use phananh_tests::browser::{
    self, ChromeDriver, DESK, PHONE, RESIDENT_PAGE_MAX_GZIPPED, app_dist, click, colour_at_centre,
    drawn_sizes, drawn_sizes_once, fill_in_report, page_download, page_width, screenshot, type_into,
    wait_for, wait_for_text, ward_in_the_middle,
};
use phananh_tests::{HOAN_KIEM, ResidentDevice, StaffClient, TestServer, report_at};

/// A photo as a phone would take it: a small JPEG.
fn photo(dir: &std::path::Path, name: &str, shade: u8) -> std::path::PathBuf {
    let image =
        image::RgbImage::from_fn(320, 240, |x, y| image::Rgb([shade, (x % 256) as u8, (y % 256) as u8]));
    let path = dir.join(name);
    image.save(&path).expect("the photo is written");
    path
}

/// A server on a fresh database in `data`, serving the built web app.
fn serving_the_app(data: &std::path::Path) -> TestServer {
    TestServer::start_in(data, &["--app-dir", app_dist().to_str().expect("UTF-8")])
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime")
}

/// Signs a test staff account in (they all have the test password).
async fn sign_in(browser: &Client, url: &str, username: &str) {
    browser::sign_in(browser, url, username, phananh_tests::STAFF_PASSWORD.trim_end()).await;
}

#[test]
fn a_report_goes_from_a_residents_phone_to_the_ward_and_back() {
    let data = tempfile::tempdir().expect("a temporary directory");
    let server = serving_the_app(data.path());
    let (ward_code, ward_name) = ward_in_the_middle();
    StaffClient::create(&server, data.path(), "can-bo-phuong", "ward", Some(&ward_code));
    StaffClient::create(&server, data.path(), "can-bo-thanh-pho", "city", None);
    let before = photo(data.path(), "before.jpg", 40);
    let after = photo(data.path(), "after.jpg", 200);
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let resident = driver.session(PHONE).await;
        let officer = driver.session(DESK).await;
        let city = driver.session(DESK).await;

        // The city official opens the dashboard first: the ward has nothing yet.
        sign_in(&city, &server.url("/city"), "can-bo-thanh-pho").await;
        let row = format!("tr[data-ward='{ward_code}']");
        wait_for_text(&city, &format!("{row} td:nth-child(2)"), |t| t == "0").await;

        // The ward officer signs in and watches the inbox, live.
        sign_in(&officer, &server.url("/staff"), "can-bo-phuong").await;
        wait_for(&officer, "table[data-testid=inbox]").await;
        wait_for(&officer, ".live.on").await;
        // An empty inbox says so in words, not as a table of headers alone.
        let none = wait_for_text(&officer, "[data-testid=inbox-empty]", |t| !t.is_empty()).await;
        assert_eq!(none, "Không có phản ánh nào đang chờ xử lý.");
        // Set on the page itself: a reload would lose it.
        officer.execute("window.stillTheSamePage = true", vec![]).await.expect("script runs");
        screenshot(&officer, "browser-officer-inbox-empty").await;

        // The resident files a report with a photo and a tap on the map.
        resident.goto(&server.url("/")).await.expect("the app opens");
        let description = "Ổ gà sâu giữa đường, xe máy đi qua dễ ngã, cần vá gấp.";
        let named = fill_in_report(&resident, "roads", description, &[before]).await;
        assert_eq!(named, format!("{ward_name} sẽ xử lý phản ánh này."), "named at once, offline");
        screenshot(&resident, "browser-resident-form").await;
        click(&resident, "form.report-form button[type=submit]").await;
        wait_for(&resident, "[data-testid=my-reports] .badge[data-status=Submitted]").await;
        screenshot(&resident, "browser-resident-sent").await;

        // It arrives in the officer's inbox without a reload, flagged as new.
        wait_for(&officer, "tr.fresh").await;
        assert!(officer.find(Locator::Css("[data-testid=inbox-empty]")).await.is_err(), "not empty now");
        wait_for_text(&officer, "[data-testid=new-count]", |t| t.starts_with('1')).await;
        let same =
            officer.execute("return window.stillTheSamePage === true", vec![]).await.expect("script runs");
        assert_eq!(same, serde_json::Value::Bool(true), "the inbox updated without a reload");
        screenshot(&officer, "browser-officer-inbox-new").await;

        // The officer acknowledges, starts and answers with an "after" photo.
        click(&officer, "tr.fresh a").await;
        wait_for(&officer, "[data-testid=staff-report] .badge[data-status=Submitted]").await;
        click(&officer, ".actions .buttons button").await;
        wait_for(&officer, "[data-testid=staff-report] .badge[data-status=Acknowledged]").await;
        click(&officer, ".actions .buttons button").await;
        wait_for(&officer, "[data-testid=staff-report] .badge[data-status=InProgress]").await;
        let answer = "Phường đã cho vá ổ gà ngày hôm nay; mặt đường đã phẳng, xe đi lại bình thường.";
        type_into(&officer, "#answer", answer).await;
        type_into(&officer, "#after-photos", after.to_str().expect("UTF-8")).await;
        wait_for(&officer, ".actions .thumbs img").await;
        click(&officer, "form.action button[type=submit]").await;
        wait_for(&officer, "[data-testid=staff-report] .badge[data-status=Resolved]").await;
        wait_for(&officer, ".timeline li.good img").await;
        screenshot(&officer, "browser-officer-resolved").await;

        // The resident's list shows "resolved" by itself; the resident rates the answer.
        wait_for(&resident, "[data-testid=my-reports] .badge[data-status=Resolved]").await;
        screenshot(&resident, "browser-resident-resolved").await;
        click(&resident, "[data-testid=my-reports] a").await;
        wait_for(&resident, ".timeline li.good img").await;
        wait_for(&resident, "form.rating input[name=stars][value='5']").await.click().await.expect("5 stars");
        click(&resident, "form.rating button[type=submit]").await;
        wait_for(&resident, "[data-testid=report] .badge[data-status=Closed]").await;
        screenshot(&resident, "browser-resident-rated").await;

        // The city dashboard, still open, shows the ward's figures changed.
        wait_for_text(&city, &format!("{row} td:nth-child(2)"), |t| t == "1").await;
        wait_for_text(&city, &format!("{row} td:nth-child(7)"), |t| t == "100,0 %").await;
        screenshot(&city, "browser-city-dashboard").await;

        for browser in [resident, officer, city] {
            browser.close().await.expect("the browser closes");
        }
    });
    drop(server);
}

#[test]
fn report_pins_are_drawn_around_the_city_and_on_the_officers_page_and_open_their_report() {
    let data = tempfile::tempdir().expect("a temporary directory");
    let server = serving_the_app(data.path());
    // Two reports near the middle of the map, where a tap on it picks, in the ward there.
    let (code, _) = ward_in_the_middle();
    StaffClient::create(&server, data.path(), "can-bo-phuong", "ward", Some(&code));
    let phone = ResidentDevice::register(&server);
    let middle = phananh_tests::hanoi_wards().bounds().center();
    let reports = [report_at(middle.x + 0.002, middle.y), report_at(middle.x - 0.001, middle.y + 0.002)];
    for report in &reports {
        assert_eq!(phone.file(report).expect("the server answers").status(), 201);
    }
    let first = reports[0]["id"].as_str().expect("an id");
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        // "Quanh đây", around a tap on the map: a pin for each report, drawn, not only in the
        // page's markup.
        let resident = driver.session(PHONE).await;
        resident.goto(&server.url("/nearby")).await.expect("the page opens");
        wait_for(&resident, ".map svg path.ward").await;
        click(&resident, ".map svg").await;
        // A finger's worth of pin, ring included, once the map knows its size on screen.
        let pins =
            drawn_sizes_once(&resident, ".map svg .pin", |pins| pins.len() == 2 && finger_sized(pins)).await;
        assert_eq!(pins.len(), 2, "{pins:?}");
        assert!(finger_sized(&pins), "pins drawn at {pins:?} px");
        screenshot(&resident, "browser-nearby-pins").await;
        // The first report's pin opens it, within the app.
        resident.execute("window.stillTheSamePage = true", vec![]).await.expect("script runs");
        click(&resident, &format!(".map svg a[href='/reports/{first}'] .pin")).await;
        wait_for(&resident, "[data-testid=report]").await;
        let url = resident.current_url().await.expect("a URL");
        assert_eq!(url.path(), format!("/reports/{first}"));
        let same =
            resident.execute("return window.stillTheSamePage === true", vec![]).await.expect("script runs");
        assert_eq!(same, serde_json::Value::Bool(true), "the pin opened the report without a reload");

        // The officer's page of the report marks where it is.
        let officer = driver.session(DESK).await;
        sign_in(&officer, &server.url("/staff"), "can-bo-phuong").await;
        wait_for(&officer, "table[data-testid=inbox]").await;
        officer.goto(&server.url(&format!("/staff/reports/{first}"))).await.expect("the page opens");
        let pin =
            drawn_sizes_once(&officer, ".map svg .pin", |pin| pin.len() == 1 && finger_sized(pin)).await;
        assert!(pin.len() == 1 && finger_sized(&pin), "the pin is drawn at {pin:?} px");
        // Zoomed in on the street, it is still a red pin (not hidden under its white ring).
        let [r, g, b] = colour_at_centre(&officer, ".map svg .pin").await;
        assert!(r > 150 && g < 100 && b < 100, "the pin's centre is rgb({r}, {g}, {b})");
        screenshot(&officer, "browser-officer-report-pin").await;

        for browser in [resident, officer] {
            browser.close().await.expect("the browser closes");
        }
    });
}

/// Whether every pin is drawn big enough for a finger to tap, its ring included.
fn finger_sized(pins: &[(f64, f64)]) -> bool {
    pins.iter().all(|&(w, h)| w >= 12.0 && h >= 12.0)
}

/// The `href`s of the header's menu, once it shows `expected` (it fills in as the page starts).
async fn menu(browser: &Client, expected: usize) -> Vec<String> {
    const LINKS: &str =
        "return [...document.querySelectorAll('header nav a')].map(a => a.getAttribute('href'))";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let links = browser.execute(LINKS, vec![]).await.expect("script runs");
        let links: Vec<String> = serde_json::from_value(links).expect("a list of links");
        if links.len() >= expected || std::time::Instant::now() > deadline {
            return links;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[test]
fn each_page_shows_its_own_peoples_menu() {
    let data = tempfile::tempdir().expect("a temporary directory");
    let server = serving_the_app(data.path());
    StaffClient::create(&server, data.path(), "can-bo-hoan-kiem", "ward", Some("00070"));
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        // A resident's menu has the resident's screens, and no staff sign-in.
        let resident = driver.session(PHONE).await;
        resident.goto(&server.url("/")).await.expect("the page opens");
        let links = menu(&resident, 5).await;
        assert_eq!(links, ["/", "/mine", "/dossiers", "/nearby", "/transparency"], "the resident's menu");

        // A signed-in officer's has the staff's screens and signing out, and no resident's.
        let officer = driver.session(PHONE).await;
        sign_in(&officer, &server.url("/staff"), "can-bo-hoan-kiem").await;
        wait_for(&officer, "table[data-testid=inbox]").await;
        let links = menu(&officer, 3).await;
        assert_eq!(links, ["/staff", "/staff/dossiers", "/city"], "the officer's menu");
        let dashboard = wait_for_text(&officer, "header nav a[href='/city']", |t| !t.is_empty()).await;
        assert_eq!(dashboard, "Số liệu phường", "a ward officer's dashboard is their ward's");
        wait_for(&officer, "header nav button.sign-out").await;
        assert_eq!(
            wait_for(&officer, "header a.brand").await.attr("href").await.expect("attr").as_deref(),
            Some("/staff")
        );
        screenshot(&officer, "browser-officer-menu-phone").await;
        for browser in [resident, officer] {
            browser.close().await.expect("the browser closes");
        }
    });
}

#[test]
fn the_officers_actions_are_buttons_of_their_own_size_at_phone_and_desk_widths() {
    let data = tempfile::tempdir().expect("a temporary directory");
    let server = serving_the_app(data.path());
    StaffClient::create(&server, data.path(), "can-bo-hoan-kiem", "ward", Some("00070"));
    let phone = ResidentDevice::register(&server);
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        for (size, name) in [(PHONE, "phone"), (DESK, "desk")] {
            let report = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
            let filed = tokio::task::block_in_place(|| phone.file(&report).expect("the server answers"));
            assert_eq!(filed.status(), 201);
            let officer = driver.session(size).await;
            sign_in(&officer, &server.url("/staff"), "can-bo-hoan-kiem").await;
            wait_for(&officer, "table[data-testid=inbox]").await;
            let page = server.url(&format!("/staff/reports/{}", report["id"].as_str().expect("an id")));
            officer.goto(&page).await.expect("the page opens");
            for status in ["Submitted", "Acknowledged"] {
                wait_for(&officer, &format!("[data-testid=staff-report] .badge[data-status={status}]")).await;
                // Acknowledge, or start; reject; transfer; mark duplicate.
                let buttons = drawn_sizes(&officer, ".actions button", 4).await;
                let width = f64::from(size.0);
                for (w, h) in &buttons {
                    assert!(*h <= 60.0 && *w < width, "{name}, {status}: a {w}×{h} px button in {buttons:?}");
                }
                let sideways = page_width(&officer).await;
                assert!(sideways <= width, "{name}, {status}: {sideways} px wide");
                screenshot(&officer, &format!("browser-officer-actions-{status}-{name}").to_lowercase())
                    .await;
                if status == "Submitted" {
                    click(&officer, ".actions .buttons button").await;
                }
            }
            officer.close().await.expect("the browser closes");
        }
    });
}

#[test]
fn a_ward_officers_dashboard_is_their_wards_says_what_is_counted_now_and_fits_a_phone() {
    let data = tempfile::tempdir().expect("a temporary directory");
    let server = serving_the_app(data.path());
    StaffClient::create(&server, data.path(), "can-bo-hoan-kiem", "ward", Some("00070"));
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let officer = driver.session(PHONE).await;
        sign_in(&officer, &server.url("/city"), "can-bo-hoan-kiem").await;
        // (The sign-in form's title first.)
        let title = wait_for_text(&officer, "main h1", |t| t != "Đăng nhập cán bộ").await;
        assert_eq!(title, "Số liệu phường — Phường Hoàn Kiếm");
        // Overdue and backlog are counted now, whatever the dates: the labels say so.
        for figure in ["overdue", "backlog"] {
            let label =
                wait_for_text(&officer, &format!("li[data-figure={figure}] .label"), |t| !t.is_empty()).await;
            assert!(label.contains("hiện nay"), "{figure}: {label:?}");
        }
        let received = wait_for_text(&officer, "li[data-figure=received] .label", |t| !t.is_empty()).await;
        assert!(!received.contains("Tiếp nhận"), "'received' is not 'acknowledged': {received:?}");
        // Nothing overdue is said in words, not shown as an empty table.
        let none = wait_for_text(&officer, "[data-testid=overdue-none]", |t| !t.is_empty()).await;
        assert_eq!(none, "Không có phản ánh nào quá hạn.");
        assert!(officer.find(Locator::Css("table[data-testid=overdue]")).await.is_err());
        // The map says what its colours mean, for the colouring chosen.
        let legend = wait_for_text(&officer, "[data-testid=legend]", |t| !t.is_empty()).await;
        assert!(
            legend.contains("0 %") && legend.contains("100 %") && legend.contains("chưa có số liệu"),
            "{legend:?}"
        );
        assert_eq!(drawn_sizes(&officer, "[data-testid=legend] .swatch", 4).await.len(), 4);
        wait_for(&officer, "#colouring").await.select_by_value("overdue").await.expect("a colouring");
        wait_for_text(&officer, "[data-testid=legend]", |t| !t.contains('%')).await;
        // Its tables scroll within themselves: the page does not scroll sideways.
        wait_for(&officer, "[data-testid=dossier-figures] table").await;
        let wide = page_width(&officer).await;
        assert!(wide <= f64::from(PHONE.0), "the page is {wide} px wide");
        screenshot(&officer, "browser-ward-dashboard-phone").await;
        officer.close().await.expect("the browser closes");
    });
}

#[test]
fn a_resident_adds_information_to_their_report_and_withdraws_it_from_its_screen() {
    let data = tempfile::tempdir().expect("a temporary directory");
    let server = serving_the_app(data.path());
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let resident = driver.session(PHONE).await;
        resident.goto(&server.url("/")).await.expect("the app opens");
        fill_in_report(&resident, "street_lighting", "Đèn đường trước ngõ 15 tắt ba đêm nay, rất tối.", &[])
            .await;
        click(&resident, "form.report-form button[type=submit]").await;
        click(&resident, "[data-testid=my-reports] .badge[data-status=Submitted]").await;
        click(&resident, "[data-testid=my-reports] a").await;
        wait_for(&resident, "[data-testid=report] .badge[data-status=Submitted]").await;

        // More information goes to the server and shows in the report's timeline (read back
        // from it).
        type_into(&resident, "#more-info", "Cột đèn số 7, cạnh cửa hàng tạp hoá.").await;
        click(&resident, "form.more-info button[type=submit]").await;
        wait_for_text(&resident, ".timeline", |t| t.contains("Bổ sung: Cột đèn số 7")).await;

        // Withdrawing takes a second step, and then the report is withdrawn for good: nothing
        // more can be added or withdrawn.
        click(&resident, "details.withdraw summary").await;
        type_into(&resident, "#withdraw-reason", "Đèn đã sáng lại.").await;
        screenshot(&resident, "browser-resident-withdraw").await;
        click(&resident, "details.withdraw button[type=submit]").await;
        wait_for(&resident, "[data-testid=report] .badge[data-status=Cancelled]").await;
        assert!(resident.find(Locator::Css("#more-info")).await.is_err(), "nothing more to add");
        assert!(resident.find(Locator::Css("details.withdraw")).await.is_err(), "nothing to withdraw");
        screenshot(&resident, "browser-resident-withdrawn").await;
        resident.close().await.expect("the browser closes");
    });
}

#[test]
fn a_resident_moves_their_reports_to_a_new_phone_with_a_one_time_code() {
    let data = tempfile::tempdir().expect("a temporary directory");
    let server = serving_the_app(data.path());
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        // The old phone files a report, then makes a code under "Của tôi".
        let old = driver.session(PHONE).await;
        old.goto(&server.url("/")).await.expect("the app opens");
        fill_in_report(&old, "drainage", "Cống trước số 12 bị tắc, nước tràn lên vỉa hè.", &[]).await;
        click(&old, "form.report-form button[type=submit]").await;
        wait_for_text(&old, "[data-testid=filed]", |t| t.starts_with("Đã gửi")).await;
        click(&old, "details.transfer summary").await;
        click(&old, "#make-transfer-code").await;
        let shown = wait_for_text(&old, "[data-testid=transfer-code]", |t| !t.is_empty()).await;
        let code = shown
            .split_whitespace()
            .find(|word| word.len() == 9 && word.as_bytes()[4] == b'-')
            .unwrap_or_else(|| panic!("a code ABCD-EFGH in {shown:?}"))
            .to_owned();
        assert!(
            shown.starts_with("Nhập mã này trên máy mới (dùng được đến ") && shown.ends_with(&code),
            "{shown:?}"
        );
        let scroll = "document.querySelector('details.transfer').scrollIntoView()";
        old.execute(scroll, vec![]).await.expect("script runs");
        screenshot(&old, "browser-transfer-code").await;

        // The new phone has nothing yet. A wrong code is said next to the field.
        let new = driver.session(PHONE).await;
        new.goto(&server.url("/mine")).await.expect("the app opens");
        wait_for_text(&new, "main", |t| t.contains("Bạn chưa gửi phản ánh nào")).await;
        click(&new, "details.transfer summary").await;
        type_into(&new, "#transfer-code", "AAAA-AAAA").await;
        click(&new, "form.claim button[type=submit]").await;
        let refused = said(&new, "#transfer-code-error").await;
        assert!(refused.starts_with("Mã không đúng, đã dùng hoặc đã hết hạn"), "{refused:?}");
        let invalid = new.find(Locator::Css("#transfer-code")).await.expect("the field");
        assert_eq!(invalid.attr("aria-invalid").await.expect("attr").as_deref(), Some("true"));

        // Typed as read aloud (small letters, no dash), the right code moves the report here.
        invalid.clear().await.expect("the field clears");
        type_into(&new, "#transfer-code", &code.replace('-', "").to_lowercase()).await;
        click(&new, "form.claim button[type=submit]").await;
        let moved = wait_for_text(&new, "[data-testid=claimed]", |t| !t.is_empty()).await;
        assert_eq!(moved, "Đã chuyển về máy này. Số phản ánh: 1");
        assert_eq!(wait_for_text(&new, "#transfer-code-error", |t| t.is_empty()).await, "");
        assert_eq!(wait_for_text(&new, "li.card [data-testid=reference]", |t| !t.is_empty()).await, "PA-1");
        screenshot(&new, "browser-transfer-claimed").await;
        // It is theirs on the new phone: they can add to it.
        click(&new, "[data-testid=my-reports] a").await;
        type_into(&new, "#more-info", "Tôi đã đổi điện thoại, vẫn theo dõi việc này.").await;
        click(&new, "form.more-info button[type=submit]").await;
        wait_for_text(&new, ".timeline", |t| t.contains("Bổ sung: Tôi đã đổi điện thoại")).await;

        // The old phone is no longer that device: its list empties, and a report filed on it
        // now is a new device's, sent all the same.
        old.goto(&server.url("/mine")).await.expect("the page opens");
        wait_for_text(&old, "main", |t| t.contains("Bạn chưa gửi phản ánh nào")).await;
        old.goto(&server.url("/")).await.expect("the app opens");
        fill_in_report(&old, "roads", "Ổ gà sâu giữa đường, xe máy đi qua dễ ngã, cần vá gấp.", &[]).await;
        click(&old, "form.report-form button[type=submit]").await;
        let filed =
            wait_for_text(&old, "[data-testid=filed]", |t| t.starts_with("Đã gửi phản ánh PA-")).await;
        assert!(filed.starts_with("Đã gửi phản ánh PA-2."), "{filed:?}");
        // The list is drawn after the answer is stored: wait for the new report to be in it.
        let list = wait_for_text(&old, "[data-testid=my-reports]", |t| t.contains("PA-2")).await;
        assert!(!list.contains("PA-1"), "only the report filed after the move: {list:?}");
        for browser in [old, new] {
            browser.close().await.expect("the browser closes");
        }
    });
}

#[test]
fn how_late_a_report_is_reads_in_the_screens_decimals_and_the_chart_names_its_top() {
    let data = tempfile::tempdir().expect("a temporary directory");
    // The server's clock is set by the test, from an hour ago: the report is in the period the
    // dashboard opens on, which the browser takes from its own clock.
    let (dist, start) = (app_dist(), (chrono::Utc::now() - chrono::TimeDelta::hours(1)).to_rfc3339());
    let server = TestServer::start_in(
        data.path(),
        &["--app-dir", dist.to_str().expect("UTF-8"), "--manual-clock", &start],
    );
    StaffClient::create(&server, data.path(), "thanh-pho", "city", None);
    let resident = ResidentDevice::register(&server);
    let filed: serde_json::Value = resident
        .file(&report_at(HOAN_KIEM.0, HOAN_KIEM.1))
        .expect("the server answers")
        .json()
        .expect("JSON");
    // Two minutes past the deadline to acknowledge it: late by less than a tenth of an hour.
    let due: chrono::DateTime<chrono::Utc> =
        filed["deadlines"]["acknowledge"].as_str().expect("a deadline").parse().expect("a time");
    let now = (due + chrono::TimeDelta::minutes(2)).to_rfc3339();
    assert_eq!(server.set_clock(&now).status().as_u16(), 200);
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let city = driver.session(DESK).await;
        sign_in(&city, &server.url("/city"), "thanh-pho").await;
        let late = "table[data-testid=overdue] tbody tr td:nth-child(4)";
        assert_eq!(
            wait_for_text(&city, late, |t| !t.is_empty()).await,
            "< 0,1",
            "not 0,0, and a decimal comma"
        );
        // One report in the period: the chart's top is 1, and it says so.
        assert_eq!(wait_for_text(&city, "[data-testid=chart-top]", |t| !t.is_empty()).await, "1");
        click(&city, "button.lang").await;
        assert_eq!(wait_for_text(&city, late, |t| t.contains('.')).await, "< 0.1");
        screenshot(&city, "browser-city-late-decimals").await;
        city.close().await.expect("the browser closes");
    });
}

/// The text of the error line `selector` once it says something.
async fn said(browser: &Client, selector: &str) -> String {
    wait_for_text(browser, selector, |t| !t.is_empty()).await
}

#[test]
fn the_servers_refusals_are_said_in_the_screens_language_next_to_their_field() {
    let data = tempfile::tempdir().expect("a temporary directory");
    let server = serving_the_app(data.path());
    let officer = StaffClient::create(&server, data.path(), "can-bo-hoan-kiem", "ward", Some("00070"));
    StaffClient::create(&server, data.path(), "thanh-pho", "city", None);
    let phone = ResidentDevice::register(&server);
    // A blocked drain: its answer needs an "after" photo.
    let report = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
    assert_eq!(phone.file(&report).expect("the server answers").status(), 201);
    let id = report["id"].as_str().expect("an id");
    assert_eq!(officer.act(id, &serde_json::json!({ "action": "acknowledge" })).status(), 200);
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let desk = driver.session(DESK).await;
        sign_in(&desk, &server.url("/staff"), "can-bo-hoan-kiem").await;
        wait_for(&desk, "table[data-testid=inbox]").await;
        desk.goto(&server.url(&format!("/staff/reports/{id}"))).await.expect("the page opens");
        wait_for(&desk, "[data-testid=staff-report] .badge[data-status=Acknowledged]").await;

        // Each refusal below is the server's (the app sends what was typed), said in
        // Vietnamese by its code and field, where the field is.
        click(&desk, ".actions .danger").await;
        assert_eq!(said(&desk, "#reason-error").await, "Hãy ghi lý do, ít nhất 10 ký tự.");
        // A template's blanks left as they are.
        wait_for(&desk, "#template option:nth-child(2)").await;
        let template = desk.find(Locator::Css("#template")).await.expect("the templates");
        template.select_by_index(1).await.expect("a template");
        click(&desk, "form.action button[type=submit]").await;
        assert_eq!(said(&desk, "#answer-error").await, "Hãy điền các chỗ […] của mẫu trước khi gửi.");
        // A full answer without the "after" photo the category needs.
        desk.find(Locator::Css("#answer")).await.expect("the answer").clear().await.expect("cleared");
        type_into(&desk, "#answer", "Phường đã thông cống trước số 12, nước đã rút hết.").await;
        click(&desk, "form.action button[type=submit]").await;
        assert_eq!(
            said(&desk, "#after-photos-error").await,
            "Hãy đính kèm ít nhất một ảnh chụp sau khi xử lý."
        );
        screenshot(&desk, "browser-refusals-officer").await;

        // A start after the end is said beside the dates, not shown as an empty dashboard;
        // a good period brings the figures back.
        let city = driver.session(PHONE).await;
        sign_in(&city, &server.url("/city"), "thanh-pho").await;
        wait_for(&city, "li[data-figure=received]").await;
        let from = wait_for(&city, "#from").await;
        city.execute(
            "arguments[0].value = '2026-12-31'; arguments[0].dispatchEvent(new Event('change'));",
            vec![serde_json::to_value(&from).expect("an element")],
        )
        .await
        .expect("the date is set");
        assert_eq!(said(&city, "#period-error").await, "Ngày bắt đầu phải trước hoặc trùng ngày kết thúc.");
        assert!(city.find(Locator::Css("li[data-figure=received]")).await.is_err(), "no figures");
        assert_eq!(
            city.find(Locator::Css("#from")).await.expect("from").attr("aria-invalid").await.expect("read"),
            Some("true".to_owned())
        );
        screenshot(&city, "browser-refusals-period-phone").await;
        city.execute(
            "arguments[0].value = '2026-01-01'; arguments[0].dispatchEvent(new Event('change'));",
            vec![serde_json::to_value(&from).expect("an element")],
        )
        .await
        .expect("the date is set");
        wait_for(&city, "li[data-figure=received]").await;
        assert_eq!(wait_for_text(&city, "#period-error", |t| t.is_empty()).await, "");
        for browser in [desk, city] {
            browser.close().await.expect("the browser closes");
        }
    });
}

#[test]
fn in_english_wards_have_their_english_names_on_every_screen_that_names_one() {
    let data = tempfile::tempdir().expect("a temporary directory");
    let server = serving_the_app(data.path());
    // The ward a tap in the middle of the map picks, and another to transfer to, by the
    // English names the boundary file gives them.
    let wards = phananh_tests::hanoi_wards();
    let english = |code: &str| wards.ward(code).and_then(|w| w.name_en.clone()).expect("an English name");
    let (code, _) = ward_in_the_middle();
    let other = if code == "00226" { "00070" } else { "00226" };
    let officer = StaffClient::create(&server, data.path(), "can-bo-phuong", "ward", Some(&code));
    StaffClient::create(&server, data.path(), "thanh-pho", "city", None);
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let resident = driver.session(PHONE).await;
        resident.goto(&server.url("/")).await.expect("the app opens");
        click(&resident, "button.lang").await;
        wait_for_text(&resident, "button.lang", |t| t == "Tiếng Việt").await;
        // The spot's ward, before filing.
        let description = "The drain outside number 12 is blocked and overflowing.";
        let handles = fill_in_report(&resident, "drainage", description, &[]).await;
        assert_eq!(handles, format!("{} will handle this report.", english(&code)));
        // The map's wards are named in English too.
        let titles: Vec<String> = serde_json::from_value(
            resident
                .execute("return [...document.querySelectorAll('.map svg path.ward title')].map(t => t.textContent)", vec![])
                .await
                .expect("the titles"),
        )
        .expect("a list");
        assert!(titles.contains(&english("00070")), "{:?}", &titles[..5]);
        assert!(!titles.iter().any(|t| t.starts_with("Phường ") || t.starts_with("Xã ")), "{:?}", &titles[..5]);

        // The report's card and its screen, after a transfer named by where it came from.
        click(&resident, "form.report-form button[type=submit]").await;
        let card = wait_for_text(&resident, "[data-testid=my-reports] li.card p.muted", |t| !t.is_empty()).await;
        assert!(card.starts_with(&format!("{} · ", english(&code))), "{card:?}");
        let id = wait_for(&resident, "[data-testid=my-reports] li.card").await.attr("data-report").await;
        let id = id.expect("read").expect("a report id");
        let moved = serde_json::json!({ "action": "transfer", "ward": other, "reason": "The drain belongs to the next ward." });
        assert_eq!(tokio::task::block_in_place(|| officer.act(&id, &moved).status()), 200);
        resident.goto(&server.url(&format!("/reports/{id}"))).await.expect("the report opens");
        let timeline = wait_for_text(&resident, ".timeline", |t| t.contains("Transferred")).await;
        let from = format!("Transferred from {}: The drain belongs", english(&code));
        assert!(timeline.contains(&from), "{timeline:?}");
        let header = wait_for_text(&resident, "[data-testid=report] p.muted", |t| !t.is_empty()).await;
        assert!(header.starts_with(&format!("{} · ", english(other))), "{header:?}");
        screenshot(&resident, "browser-english-ward-names-phone").await;

        // The city's ward table.
        let city = driver.session(DESK).await;
        city.goto(&server.url("/city")).await.expect("the dashboard opens");
        click(&city, "button.lang").await;
        sign_in(&city, &server.url("/city"), "thanh-pho").await;
        let row = wait_for_text(&city, &format!("tr[data-ward='{other}'] td:first-child"), |t| !t.is_empty()).await;
        assert_eq!(row, english(other));
        for browser in [resident, city] {
            browser.close().await.expect("the browser closes");
        }
    });
}

#[test]
fn a_report_is_known_by_its_short_reference_on_every_screen_and_found_by_it() {
    let data = tempfile::tempdir().expect("a temporary directory");
    let server = serving_the_app(data.path());
    let (code, _) = ward_in_the_middle();
    StaffClient::create(&server, data.path(), "can-bo-phuong", "ward", Some(&code));
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        // The resident files, and is told at once it was sent, with its reference.
        let resident = driver.session(PHONE).await;
        resident.goto(&server.url("/")).await.expect("the app opens");
        fill_in_report(&resident, "drainage", "Cống trước số 12 bị tắc, nước tràn lên vỉa hè.", &[]).await;
        click(&resident, "form.report-form button[type=submit]").await;
        let said = wait_for_text(&resident, "[data-testid=filed]", |t| t.starts_with("Đã gửi")).await;
        assert!(said.starts_with("Đã gửi phản ánh PA-1. ") && said.contains("sẽ xử lý"), "{said:?}");
        assert_eq!(
            wait_for_text(&resident, "li.card [data-testid=reference]", |t| !t.is_empty()).await,
            "PA-1"
        );
        screenshot(&resident, "browser-filed-with-reference-phone").await;
        click(&resident, "[data-testid=my-reports] li.card a").await;
        assert_eq!(
            wait_for_text(&resident, "[data-testid=report] [data-testid=reference]", |t| !t.is_empty()).await,
            "PA-1"
        );

        // A second resident files the same thing (through the API).
        let phone = tokio::task::block_in_place(|| ResidentDevice::register(&server));
        // In the same ward: the middle of the city's bounding box, where the map was tapped.
        let middle = phananh_tests::hanoi_wards().bounds().center();
        let again = report_at(middle.x, middle.y);
        assert_eq!(
            tokio::task::block_in_place(|| phone.file(&again).expect("the server answers").status()),
            201
        );

        // The officer finds a report by the reference a resident reads out, as they say it.
        let officer = driver.session(DESK).await;
        sign_in(&officer, &server.url("/staff"), "can-bo-phuong").await;
        wait_for_text(&officer, "table[data-testid=inbox]", |t| t.contains("PA-1") && t.contains("PA-2"))
            .await;
        for (typed, refused) in
            [("PA-99", "Không có phản ánh PA-99."), ("cống", "Mã phản ánh có dạng PA-1042.")]
        {
            type_into(&officer, "#find-reference", typed).await;
            click(&officer, "form.find button[type=submit]").await;
            assert_eq!(wait_for_text(&officer, "#find-error", |t| !t.is_empty()).await, refused);
            officer
                .find(Locator::Css("#find-reference"))
                .await
                .expect("the field")
                .clear()
                .await
                .expect("cleared");
        }
        type_into(&officer, "#find-reference", "pa 2").await;
        click(&officer, "form.find button[type=submit]").await;
        let id = again["id"].as_str().expect("an id");
        wait_for(&officer, "[data-testid=staff-report]").await;
        assert_eq!(officer.current_url().await.expect("a URL").path(), format!("/staff/reports/{id}"));
        assert_eq!(wait_for_text(&officer, "[data-testid=reference]", |t| !t.is_empty()).await, "PA-2");

        // ... and marks it a duplicate of the first by its reference; the timeline links to it.
        type_into(&officer, "#original", "PA-1").await;
        click(&officer, "#original + button").await;
        let timeline = wait_for_text(&officer, ".timeline", |t| t.contains("Trùng với")).await;
        assert!(timeline.contains("Trùng với một phản ánh đã có"), "{timeline:?}");
        click(&officer, ".timeline a[href^='/staff/reports/']").await;
        wait_for_text(&officer, "[data-testid=reference]", |t| t == "PA-1").await;
        screenshot(&officer, "browser-reference-officer").await;
        for browser in [resident, officer] {
            browser.close().await.expect("the browser closes");
        }
    });
}

#[test]
fn a_double_tap_on_send_files_one_report() {
    let data = tempfile::tempdir().expect("a temporary directory");
    let server = serving_the_app(data.path());
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let resident = driver.session(PHONE).await;
        resident.goto(&server.url("/")).await.expect("the app opens");
        fill_in_report(&resident, "roads", "Ổ gà sâu giữa đường, xe máy đi qua dễ ngã, cần vá gấp.", &[]).await;
        // Two taps before the first has left the screen: the form's report is made once, so
        // the second is the same report, not another.
        let taps = "const send = document.querySelector('form.report-form button[type=submit]'); send.click(); send.click();";
        resident.execute(taps, vec![]).await.expect("the taps");
        wait_for_text(&resident, "[data-testid=filed]", |t| t.starts_with("Đã gửi")).await;
        wait_for(&resident, "[data-testid=my-reports] .badge[data-status=Submitted]").await;
        assert!(resident.find(Locator::Css("[data-testid=outbox]")).await.is_err(), "nothing left to send");
        let page: serde_json::Value = tokio::task::block_in_place(|| {
            reqwest::blocking::get(server.url("/api/v1/reports")).expect("the list").json().expect("JSON")
        });
        assert_eq!(page["reports"].as_array().expect("a list").len(), 1, "{page}");
        resident.close().await.expect("the browser closes");
    });
}

#[test]
fn bad_input_is_explained_next_to_the_field() {
    let server = TestServer::start_with(&["--app-dir", app_dist().to_str().expect("UTF-8")]);
    let data = tempfile::tempdir().expect("a temporary directory");
    // Over the 10 MB a photo may have: refused on the phone, before anything is sent.
    let huge = data.path().join("huge.jpg");
    // Beyond what the phone opens to scale (any camera's photo is far smaller).
    std::fs::write(&huge, vec![0xFF_u8; 41 * 1024 * 1024]).expect("a large file");
    let not_a_photo = data.path().join("ghi-chu.jpg");
    std::fs::write(&not_a_photo, "không phải ảnh").expect("a file");
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let resident = driver.session(PHONE).await;
        resident.goto(&server.url("/")).await.expect("the app opens");
        wait_for(&resident, ".map svg").await;
        click(&resident, "form.report-form button[type=submit]").await;
        let category = wait_for_text(&resident, "#category-error", |t| !t.is_empty()).await;
        assert!(category.contains("Chọn loại"), "{category:?}");
        let description = wait_for_text(&resident, "#description-error", |t| !t.is_empty()).await;
        assert!(description.contains("mô tả"), "{description:?}");
        let location = wait_for_text(&resident, "#location-error", |t| !t.is_empty()).await;
        assert!(location.contains("Chọn vị trí"), "{location:?}");
        let invalid = resident
            .find(Locator::Css("#description"))
            .await
            .expect("field")
            .attr("aria-invalid")
            .await
            .expect("attr");
        assert_eq!(invalid.as_deref(), Some("true"));

        type_into(&resident, "#description", "Ngập").await;
        click(&resident, "form.report-form button[type=submit]").await;
        wait_for_text(&resident, "#description-error", |t| t.contains("10 ký tự")).await;

        type_into(&resident, "#photos", huge.to_str().expect("UTF-8")).await;
        let photo = wait_for_text(&resident, "#photos-error", |t| !t.is_empty()).await;
        assert!(
            photo.contains("huge.jpg") && photo.contains("quá lớn") && photo.contains("40 MB"),
            "{photo:?}"
        );
        type_into(&resident, "#photos", not_a_photo.to_str().expect("UTF-8")).await;
        let unread = wait_for_text(&resident, "#photos-error", |t| t.contains("ghi-chu.jpg")).await;
        assert!(unread.contains("không đọc được"), "{unread:?}");
        assert!(
            resident.find(Locator::Css(".thumbs img")).await.is_err(),
            "the oversize photo was not taken"
        );
        screenshot(&resident, "browser-bad-input").await;
        // Nothing was kept to send.
        assert!(resident.find(Locator::Css("[data-testid=outbox]")).await.is_err());
        resident.close().await.expect("the browser closes");
    });
    drop(server);
}

#[test]
fn a_report_filed_while_the_server_is_away_waits_on_the_phone_and_goes_when_it_is_back() {
    let data = tempfile::tempdir().expect("a temporary directory");
    let addr = phananh_tests::free_address();
    let dist = app_dist();
    let app = ["--app-dir", dist.to_str().expect("UTF-8")];
    let server = TestServer::start_at(data.path(), &addr, &app);
    let driver = ChromeDriver::start();
    let rt = runtime();
    let resident = rt.block_on(async {
        let resident = driver.session(PHONE).await;
        resident.goto(&server.url("/")).await.expect("the app opens");
        // The map (and the boundaries kept for offline use) is loaded while the server is up.
        wait_for(&resident, ".map svg path.ward").await;
        resident
    });
    server.kill();
    rt.block_on(async {
        let description = "Rác đổ trộm ở góc ngõ, bốc mùi cả tuần nay.";
        fill_in_report(&resident, "environment", description, &[]).await;
        click(&resident, "form.report-form button[type=submit]").await;
        // Kept first, then found unsendable: the banner says both.
        wait_for_text(&resident, "[data-testid=offline-banner]", |t| {
            t.contains("1 phản ánh đang chờ gửi") && t.contains("Mất kết nối")
        })
        .await;
        let waiting = wait_for_text(&resident, "[data-testid=outbox]", |t| t.contains("Đang chờ gửi")).await;
        assert!(waiting.contains(description), "{waiting:?}");
        // Said at once, before moving on: kept, and going by itself.
        let said = wait_for_text(&resident, "[data-testid=filed]", |t| !t.is_empty()).await;
        assert!(
            said.starts_with("Đã lưu phản ánh trên thiết bị") && said.contains("tự gửi khi có mạng"),
            "{said:?}"
        );
        screenshot(&resident, "browser-offline-outbox").await;
    });
    // The server comes back where it was; the phone sends by itself, once.
    let server = TestServer::start_at(data.path(), &addr, &app);
    rt.block_on(async {
        wait_for(&resident, "[data-testid=my-reports] .badge[data-status=Submitted]").await;
        wait_for_text(&resident, "main", |t| !t.contains("Đang chờ gửi")).await;
        // Once the server has it, the same line says so, with the reference it gave.
        let said = wait_for_text(&resident, "[data-testid=filed]", |t| t.starts_with("Đã gửi")).await;
        assert!(said.starts_with("Đã gửi phản ánh PA-1."), "{said:?}");
        assert!(
            resident.find(Locator::Css("[data-testid=offline-banner]")).await.is_err(),
            "the banner is gone"
        );
        resident.close().await.expect("the browser closes");
    });
    let page: serde_json::Value =
        reqwest::blocking::get(server.url("/api/v1/reports")).unwrap().json().unwrap();
    let reports = page["reports"].as_array().expect("a list");
    assert_eq!(reports.len(), 1, "sent exactly once: {page}");
    assert_eq!(reports[0]["category"], "environment");
}

#[test]
fn a_dossier_registered_at_the_desk_is_tracked_on_a_phone_which_hears_what_is_missing_live() {
    let data = tempfile::tempdir().expect("a temporary directory");
    let server = serving_the_app(data.path());
    StaffClient::create(&server, data.path(), "mot-cua-hoan-kiem", "ward", Some("00070"));
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let officer = driver.session(DESK).await;
        let resident = driver.session(PHONE).await;

        // The desk registers a temporary residence dossier and reads the receipt.
        sign_in(&officer, &server.url("/staff/dossiers"), "mot-cua-hoan-kiem").await;
        wait_for(&officer, "#dossier-procedure")
            .await
            .select_by_value("cu-tru-tam-tru")
            .await
            .expect("a procedure");
        type_into(&officer, "#dossier-applicant", "Trần Văn Bình").await;
        type_into(&officer, "#dossier-phone", "0912 345 678").await;
        click(&officer, "form.register button[type=submit]").await;
        let code = wait_for_text(&officer, "[data-testid=receipt-code]", |t| !t.is_empty()).await;
        let secret = wait_for_text(&officer, "[data-testid=receipt-secret]", |t| !t.is_empty()).await;
        assert_eq!(secret.len(), 9, "8 random characters, grouped by four: {secret:?}");
        assert!(!secret.contains("5678"), "nothing of the phone: {secret:?}");
        wait_for(&officer, &format!("[data-testid=desk-dossiers] li[data-dossier='{code}']")).await;
        screenshot(&officer, "browser-desk-registered").await;

        // The resident tracks it by code and secret on the phone.
        resident.goto(&server.url("/dossiers")).await.expect("the app opens");
        type_into(&resident, "#dossier-code", &code).await;
        type_into(&resident, "#dossier-secret", "0000").await;
        click(&resident, "form.track button[type=submit]").await;
        let refused = wait_for_text(&resident, "[data-testid=track-error]", |t| !t.is_empty()).await;
        assert_eq!(refused, "Không có hồ sơ nào với mã và mã bí mật này: hãy xem lại phiếu hẹn.");
        resident
            .find(Locator::Css("#dossier-secret"))
            .await
            .expect("the field")
            .clear()
            .await
            .expect("cleared");
        type_into(&resident, "#dossier-secret", &secret).await;
        click(&resident, "form.track button[type=submit]").await;
        let card = format!("[data-testid=my-dossiers] li[data-dossier='{code}']");
        wait_for(&resident, &format!("{card}[data-status=received]")).await;
        resident.execute("window.stillTheSamePage = true", vec![]).await.expect("script runs");

        // The desk asks for a missing document; the phone shows it without a reload.
        let missing = "Bản sao hợp đồng thuê nhà có công chứng";
        type_into(&officer, &format!("#words-{code}"), missing).await;
        click(&officer, &format!("li[data-dossier='{code}'] button[data-action=request_documents]")).await;
        let shown = wait_for_text(
            &resident,
            &format!("{card}[data-status=needs_documents] [data-testid=missing]"),
            |t| t.contains(missing),
        )
        .await;
        assert!(shown.contains("Cần bổ sung"), "{shown:?}");
        let same =
            resident.execute("return window.stillTheSamePage === true", vec![]).await.expect("script runs");
        assert_eq!(same, serde_json::Value::Bool(true), "heard live, without a reload");
        screenshot(&resident, "browser-resident-dossier-missing").await;
        screenshot(&officer, "browser-desk-needs-documents").await;
        resident.close().await.expect("the browser closes");
        officer.close().await.expect("the browser closes");
    });
}

/// A phone downloads the resident's page within the budget: the release build's script,
/// wasm and style, gzipped as the server sends them.
#[test]
fn a_residents_phone_downloads_at_most_400_kb_for_the_app() {
    let server = TestServer::start_with(&["--app-dir", app_dist().to_str().expect("UTF-8")]);
    let download = page_download(&server, "/");
    assert!(
        download.gzipped <= RESIDENT_PAGE_MAX_GZIPPED,
        "over {RESIDENT_PAGE_MAX_GZIPPED} B gzipped: {download:?}"
    );
    // Every current browser takes brotli, smaller still.
    assert!(download.brotli < download.gzipped, "{download:?}");
    assert!(download.gzipped * 2 < download.raw, "{download:?}");
}

/// The staff member's session in this browser: the token the page keeps.
async fn staff_token(browser: &Client) -> Option<String> {
    let script =
        "const saved = localStorage.getItem('phananh.staff'); return saved && JSON.parse(saved).token;";
    let token = browser.execute(script, vec![]).await.expect("script runs");
    token.as_str().map(str::to_owned)
}

#[test]
fn signing_out_on_the_staff_page_ends_the_session_on_the_server_and_an_ended_session_asks_to_sign_in() {
    let data = tempfile::tempdir().expect("a temporary directory");
    let server = serving_the_app(data.path());
    // Signed in over the API too: a second session of the same account.
    let elsewhere = StaffClient::create(&server, data.path(), "can-bo-phuong", "ward", Some("00070"));
    let driver = ChromeDriver::start();
    let status_of = |token: &str| {
        let me = reqwest::blocking::Client::new().get(server.url("/api/v1/staff/me")).bearer_auth(token);
        me.send().expect("the server answers").status().as_u16()
    };
    runtime().block_on(async {
        let officer = driver.session(DESK).await;
        sign_in(&officer, &server.url("/staff"), "can-bo-phuong").await;
        wait_for(&officer, ".live.on").await;

        // Signed out everywhere from elsewhere: the page's live stream is closed for its
        // ended session, and the page asks to sign in again.
        let everywhere = || elsewhere.post("/api/v1/staff/logout?everywhere=true", &serde_json::json!({}));
        assert_eq!(tokio::task::block_in_place(everywhere).status().as_u16(), 200);
        wait_for(&officer, "form.signin").await;
        assert_eq!(staff_token(&officer).await, None, "the browser forgot the ended session");

        // "Đăng xuất" ends the session on the server, not only in the browser.
        sign_in(&officer, &server.url("/staff"), "can-bo-phuong").await;
        wait_for(&officer, ".live.on").await;
        let token = staff_token(&officer).await.expect("signed in");
        assert_eq!(tokio::task::block_in_place(|| status_of(&token)), 200);
        click(&officer, "header button.sign-out").await;
        wait_for(&officer, "form.signin").await;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while tokio::task::block_in_place(|| status_of(&token)) != 401 {
            assert!(std::time::Instant::now() < deadline, "the token still works after Đăng xuất");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        officer.close().await.expect("the browser closes");
    });
}

/// The processes whose command line names `path` (a browser profile): Chromium passes its
/// profile to every process it starts.
fn processes_naming(path: &std::path::Path) -> Vec<String> {
    let needle = path.to_str().expect("a UTF-8 path");
    std::fs::read_dir("/proc")
        .expect("/proc is readable")
        .filter_map(|entry| std::fs::read(entry.ok()?.path().join("cmdline")).ok())
        .map(|cmdline| String::from_utf8_lossy(&cmdline).replace('\0', " "))
        .filter(|cmdline| cmdline.contains(needle))
        .collect()
}

#[test]
fn a_browser_ends_with_its_driver_even_when_a_failed_test_never_closed_its_session() {
    let driver = ChromeDriver::start();
    let profile = runtime().block_on(async {
        let (browser, profile) = driver.session_in_profile(PHONE).await;
        browser.goto("about:blank").await.expect("the browser opens a page");
        // As a test that panics: the session is never closed.
        std::mem::forget(browser);
        profile
    });
    assert!(!processes_naming(&profile).is_empty(), "the browser runs while its driver does");
    drop(driver);
    let deadline = std::time::Instant::now() + browser::PATIENCE;
    while !processes_naming(&profile).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the browser outlived its driver: {:?}",
            processes_naming(&profile)
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
