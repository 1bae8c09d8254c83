//! `make screenshots`: the app's three main screens (a resident filing a report, a ward
//! officer's inbox, the city dashboard) on a phone (360×800) and a desk screen (1280×800),
//! over the demo data of `phananh-server seed-demo`, written to docs/screenshots/.

use std::path::Path;
use std::time::Duration;

use fantoccini::Client;
use phananh_tests::browser::{ChromeDriver, DESK, PHONE, app_dist, sign_in, type_into, wait_for};
use phananh_tests::{TestServer, run_server};

/// The demo accounts' password (`phananh-server seed-demo` prints it).
const DEMO_PASSWORD: &str = "demo-phananh-2025";

async fn save(browser: &Client, name: &str) {
    // Let the page settle (fonts, the last reload) before the picture.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots");
    std::fs::create_dir_all(&out).expect("docs/screenshots");
    let png = browser.screenshot().await.expect("a screenshot");
    std::fs::write(out.join(format!("{name}.png")), png).expect("written");
    println!("docs/screenshots/{name}.png");
}

fn main() {
    let data = tempfile::tempdir().expect("a temporary directory");
    let seeded = run_server(&["seed-demo", "--data-dir", data.path().to_str().expect("UTF-8")], "");
    assert!(seeded.status.success(), "{}", String::from_utf8_lossy(&seeded.stderr));
    let server = TestServer::start_in(data.path(), &["--app-dir", app_dist().to_str().expect("UTF-8")]);
    let driver = ChromeDriver::start();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async {
        for (size, label) in [(PHONE, "phone"), (DESK, "desk")] {
            let resident = driver.session(size).await;
            resident.goto(&server.url("/")).await.expect("the app opens");
            wait_for(&resident, ".map svg path.ward").await.click().await.expect("a tap on the map");
            wait_for(&resident, "#category").await.select_by_value("drainage").await.expect("a category");
            type_into(
                &resident,
                "#description",
                "Cống thoát nước trước số 12 bị tắc, mưa là ngập cả đoạn phố.",
            )
            .await;
            save(&resident, &format!("resident-{label}")).await;
            resident.close().await.expect("closed");

            let officer = driver.session(size).await;
            sign_in(&officer, &server.url("/staff"), "p00004", DEMO_PASSWORD).await;
            wait_for(&officer, "table[data-testid=inbox] tbody tr").await;
            save(&officer, &format!("ward-inbox-{label}")).await;
            officer.close().await.expect("closed");

            let city = driver.session(size).await;
            sign_in(&city, &server.url("/city"), "thanhpho", DEMO_PASSWORD).await;
            wait_for(&city, "table[data-testid=ward-table] tbody tr").await;
            save(&city, &format!("city-dashboard-{label}")).await;
            city.close().await.expect("closed");
        }
    });
}
