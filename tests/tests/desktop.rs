//! The desktop app end to end, under Xvfb with tauri-driver and WebKitWebDriver: a resident
//! files a report with the server down, the app is killed and started again, the server
//! comes up, and the report goes, is answered and shows "resolved" without the resident
//! doing anything.

use fantoccini::{Client, Locator};
use phananh_tests::browser::{click, screenshot, type_into, wait_for, wait_for_text, ward_in_the_middle};
use phananh_tests::desktop::TauriDriver;
use phananh_tests::{StaffClient, TestServer, free_address};
use serde_json::json;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime")
}

/// The resident's list of reports, opened from the navigation (as a person would).
async fn open_my_reports(app: &Client) {
    click(app, "nav a[href='/mine']").await;
    wait_for(app, "h1").await;
}

#[test]
fn a_report_filed_offline_survives_a_kill_syncs_by_itself_and_shows_resolved_live() {
    let address = free_address();
    let data = tempfile::tempdir().expect("a temporary directory");
    let (ward_code, ward_name) = ward_in_the_middle();
    let driver = TauriDriver::start(&format!("http://{address}"));
    let runtime = runtime();
    let app = runtime.block_on(async {
        // First launch: the welcome screen says what is shared; the resident starts.
        let app = driver.launch().await;
        wait_for(&app, "[data-testid=welcome]").await;
        screenshot(&app, "desktop-welcome").await;
        click(&app, "[data-testid=welcome] button[type=submit]").await;

        // With the server down, the resident files a report; the app names the ward from the
        // boundaries it ships with, keeps the report and says it waits.
        wait_for(&app, "#category").await.select_by_value("noise").await.expect("a category");
        type_into(&app, "#description", "Quán karaoke mở loa rất to sau 23 giờ, cả khu phố không ngủ được.")
            .await;
        wait_for(&app, ".map svg path.ward").await;
        click(&app, ".map svg").await;
        let named = wait_for_text(&app, "[data-testid=ward]", |t| t.contains(&ward_name)).await;
        assert!(named.contains(&ward_name), "{named}");
        click(&app, "form.report-form button[type=submit]").await;
        wait_for(&app, "[data-testid=outbox] .waiting").await;
        wait_for_text(&app, "[data-testid=offline-banner]", |t| t.contains("1 phản ánh đang chờ gửi")).await;
        screenshot(&app, "desktop-queued").await;

        // Killed with the report still queued, then started again: it is still there.
        driver.kill_app();
        // The dead app's session is ended, or the driver (one session at a time) may refuse
        // the next one with "Maximum number of active sessions" (seen once in make test).
        let _ = app.close().await;
        let app = driver.launch().await;
        open_my_reports(&app).await;
        wait_for(&app, "[data-testid=outbox] .waiting").await;
        let waiting = app.find_all(Locator::Css("[data-testid=outbox] li")).await.expect("the outbox");
        assert_eq!(waiting.len(), 1, "one report, kept once");
        app
    });

    // The server comes up; nobody touches the app; the report goes.
    let server = TestServer::start_at(data.path(), &address, &[]);
    let id = runtime.block_on(async {
        wait_for(&app, "[data-testid=my-reports] .badge[data-status=Submitted]").await;
        assert!(
            app.find(Locator::Css("[data-testid=outbox]")).await.is_err(),
            "the outbox is empty once the server has the report"
        );
        let card = wait_for(&app, "[data-testid=my-reports] li[data-report]").await;
        card.attr("data-report").await.expect("an attribute").expect("the report's id")
    });

    // A ward officer answers it through the API; the app shows it resolved, live.
    let officer = StaffClient::create(&server, data.path(), "can-bo-phuong", "ward", Some(&ward_code));
    for action in [
        json!({ "action": "acknowledge" }),
        json!({ "action": "resolve", "answer": "Phường đã làm việc với chủ quán; loa đã tắt sau 22 giờ." }),
    ] {
        assert_eq!(officer.act(&id, &action).status(), reqwest::StatusCode::OK);
    }
    let received: serde_json::Value =
        reqwest::blocking::get(server.url(&format!("/api/v1/reports/{id}/events"))).unwrap().json().unwrap();
    let filed = received.as_array().unwrap().iter().filter(|e| e["kind"] == "filed").count();
    assert_eq!(filed, 1, "the report arrived exactly once");
    runtime.block_on(async {
        wait_for(&app, "[data-testid=my-reports] .badge[data-status=Resolved]").await;
        screenshot(&app, "desktop-resolved").await;
        app.close().await.expect("the app closes");
    });
}
