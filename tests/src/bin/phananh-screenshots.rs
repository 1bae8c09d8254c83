//! `make screenshots`: the app's main screens (a resident filing a report, a ward officer's
//! inbox, the city dashboard, the public results, moving "Mine" to another device) on a phone
//! (360×800) and a desk screen (1280×800),
//! and the phone app's offline outbox, street map and update banner (issue 21), over the
//! demo data of `phananh-server seed-demo`, written to docs/screenshots/.

use std::path::Path;
use std::time::Duration;

use fantoccini::Client;
use phananh_tests::browser::{
    ChromeDriver, DESK, PATIENCE, PHONE, app_dist, click, sign_in, type_into, wait_for, wait_for_text,
};
use phananh_tests::phone_photo;
use phananh_tests::tiles::TileServer;
use phananh_tests::{HOAN_KIEM, TestServer, free_address, run_server};

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

            // The public results, from the resident's menu (a page of the staff's bundle).
            let public = driver.session(size).await;
            public.goto(&server.url("/transparency")).await.expect("the page opens");
            wait_for(&public, "table[data-testid=transparency] tbody tr").await;
            save(&public, &format!("results-{label}")).await;

            // "Của tôi" moving to another device: the code made on the old one.
            public.goto(&server.url("/mine")).await.expect("the page opens");
            click(&public, "details.transfer summary").await;
            click(&public, "#make-transfer-code").await;
            wait_for_text(&public, ".transfer .code", |code| code.len() == 9).await;
            let scroll = "document.querySelector('details.transfer').scrollIntoView()";
            public.execute(scroll, vec![]).await.expect("script runs");
            save(&public, &format!("transfer-{label}")).await;
            public.close().await.expect("closed");
        }
    });
    drop(server);
    runtime.block_on(phone_app(&driver, data.path()));
}

/// The phone app (issue 21) at 360×800, each against a server on the demo data directory
/// (started and stopped as the picture needs): a report waiting in the outbox with the server
/// stopped, the street map after "Dùng vị trí của tôi", and the banner of a new version.
async fn phone_app(driver: &ChromeDriver, data: &Path) {
    let builds = tempfile::tempdir().expect("a temporary directory");
    // Copies of the built app, so a rebuild of app/dist meanwhile changes nothing here; the
    // second differs from the first only in its build id, as a new version would.
    let first = builds.path().join("first");
    let second = builds.path().join("second");
    copy_built_app(&first);
    copy_dir(&first, &second).expect("a second copy");
    let worker = std::fs::read_to_string(second.join("sw.js")).expect("sw.js");
    std::fs::write(second.join("sw.js"), with_another_build_id(&worker)).expect("sw.js written");
    // `make app` wrote it compressed beside it too, and the server would send those first.
    for compressed in ["sw.js.gz", "sw.js.br"] {
        let _ = std::fs::remove_file(second.join(compressed));
    }
    let app = |dir: &Path| dir.to_str().expect("UTF-8").to_owned();
    let photos = tempfile::tempdir().expect("a temporary directory");

    // A report filed with the server stopped, waiting on /mine with its photo.
    let address = free_address();
    let server = TestServer::start_at(data, &address, &["--app-dir", &app(&first)]);
    let origin = server.url("");
    let resident = driver.session(PHONE).await;
    resident.goto(&format!("{origin}/")).await.expect("the app opens");
    wait_for(&resident, ".map svg path.ward").await;
    worker_in_control(&resident).await;
    server.kill();
    wait_for(&resident, "#category").await.select_by_value("drainage").await.expect("a category");
    type_into(&resident, "#description", "Cống trước số 12 bị tắc, nước tràn lên vỉa hè sau mưa.").await;
    let photo = photos.path().join("IMG_0001.jpg");
    let (width, height) = phone_photo::PHONE_CAMERA;
    phone_photo::phone_photo(&photo, width, height, 90);
    type_into(&resident, "#photos", photo.to_str().expect("UTF-8")).await;
    wait_js(
        &resident,
        "the photo is made fit for a phone",
        "return document.querySelectorAll('.thumbs li[data-after] img').length === 1",
    )
    .await;
    wait_for(&resident, ".map svg path.ward").await;
    click(&resident, ".map svg").await;
    wait_for_text(&resident, "[data-testid=ward]", |t| t.contains("sẽ xử lý")).await;
    click(&resident, "form.report-form button[type=submit]").await;
    wait_for(&resident, "[data-testid=outbox] li.card").await;
    resident.goto(&format!("{origin}/mine")).await.expect("the outbox");
    wait_for(&resident, "[data-testid=outbox] li.card img.thumb").await;
    wait_for_text(&resident, "[data-testid=offline-banner]", |t| {
        t.contains("Mất kết nối") && t.contains("1 phản ánh đang chờ gửi")
    })
    .await;
    save(&resident, "phone-offline-outbox").await;
    resident.close().await.expect("closed");

    // The street map under the wards, at the resident's position in Hoàn Kiếm.
    let tiles = TileServer::start();
    let address = free_address();
    let server = TestServer::start_at(
        data,
        &address,
        &[
            "--app-dir",
            &app(&first),
            "--map-tiles",
            &tiles.template(),
            "--map-attribution",
            "© Bản đồ thử nghiệm (ô lưới có số z/x/y)",
        ],
    );
    let origin = server.url("");
    let (resident, cdp) = driver.session_with_devtools(PHONE).await;
    resident.goto(&format!("{origin}/")).await.expect("the app opens");
    wait_for(&resident, ".map svg path.ward").await;
    let page = cdp.page_session(&origin).await;
    cdp.grant_geolocation(&origin).await.expect("geolocation granted");
    cdp.set_geolocation(&page, HOAN_KIEM.1, HOAN_KIEM.0, 25.0).await.expect("a position");
    click(&resident, "#locate").await;
    wait_for(&resident, ".map svg circle.accuracy").await;
    let here =
        phananh_tests::hanoi_wards().locate(HOAN_KIEM.0, HOAN_KIEM.1).expect("a ward").ward.name.clone();
    wait_for_text(&resident, "[data-testid=ward]", |t| t.contains(&here)).await;
    wait_js(
        &resident,
        "street tiles around the position",
        "const tiles = [...document.querySelectorAll('.map svg image.tile')];
         return tiles.length > 0 && tiles.every((el) => {
           const entry = performance.getEntriesByName(new URL(el.getAttribute('href') || el.getAttribute('xlink:href') || '', location.href).href).pop();
           return entry && entry.responseStatus === 200;
         }) && tiles.some((el) => Number(el.dataset.tile.split('/')[0]) >= 15);",
    )
    .await;
    resident
        .execute("document.querySelector('.map').scrollIntoView({ block: 'center' })", vec![])
        .await
        .expect("the map in view");
    save(&resident, "phone-street-map").await;
    resident.close().await.expect("closed");
    drop(cdp);
    drop(server);
    drop(tiles);

    // A new version: the server comes back with the second build on the same address.
    let address = free_address();
    let server = TestServer::start_at(data, &address, &["--app-dir", &app(&first)]);
    let origin = server.url("");
    let resident = driver.session(PHONE).await;
    resident.goto(&format!("{origin}/")).await.expect("the app opens");
    wait_for(&resident, ".map svg path.ward").await;
    worker_in_control(&resident).await;
    server.kill();
    let server = TestServer::start_at(data, &address, &["--app-dir", &app(&second)]);
    resident.refresh().await.expect("the page reloads");
    wait_for_text(&resident, "[data-testid=update]", |t| t.contains("Có phiên bản mới")).await;
    save(&resident, "phone-update").await;
    resident.close().await.expect("closed");
    drop(server);
}

/// `sw.js` with its build id (`"id":"<16 hex>"` in `const BUILD = {...}`) changed.
fn with_another_build_id(worker: &str) -> String {
    let start = worker.find("const BUILD = {\"id\":\"").expect("the worker names its build")
        + "const BUILD = {\"id\":\"".len();
    let id = &worker[start..start + 16];
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "a 16-hex-digit build id: {id}");
    let other: String = id.chars().rev().collect();
    let other = if other == id { "0123456789abcdef".to_owned() } else { other };
    format!("{}{other}{}", &worker[..start], &worker[start + 16..])
}

/// A whole copy of the built app (`app/dist`) at `to`: every file its worker precaches is
/// there (a rebuild empties `app/dist` first, so a copy taken then is tried again).
fn copy_built_app(to: &Path) {
    let deadline = std::time::Instant::now() + Duration::from_secs(900);
    loop {
        let _ = std::fs::remove_dir_all(to);
        if copy_dir(&app_dist(), to).is_ok() && app_is_whole(to) {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "app/dist did not hold a whole build for 15 minutes");
        eprintln!("app/dist is being rebuilt; waiting");
        std::thread::sleep(Duration::from_secs(10));
    }
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// Every file the worker's build lists is in `dir`.
fn app_is_whole(dir: &Path) -> bool {
    let Ok(worker) = std::fs::read_to_string(dir.join("sw.js")) else { return false };
    let Some(start) = worker.find("const BUILD = ") else { return false };
    let mut values = serde_json::Deserializer::from_str(&worker[start + "const BUILD = ".len()..])
        .into_iter::<serde_json::Value>();
    let Some(Ok(build)) = values.next() else { return false };
    let Some(files) = build["files"].as_array() else { return false };
    !files.is_empty()
        && files.iter().all(|file| {
            let url = file["url"].as_str().unwrap_or("/");
            dir.join(if url == "/" { "index.html" } else { url.trim_start_matches('/') }).is_file()
        })
}

/// Waits until `script` gives something other than `false` or `null` (an error counts as
/// "not yet"), within [`PATIENCE`] (a minute for the slow ones).
async fn wait_js(client: &Client, what: &str, script: &str) -> serde_json::Value {
    let deadline = std::time::Instant::now() + PATIENCE * 3;
    loop {
        let last = match client.execute(script, vec![]).await {
            Ok(value) if !matches!(value, serde_json::Value::Null | serde_json::Value::Bool(false)) => {
                return value;
            }
            Ok(value) => value.to_string(),
            Err(error) => error.to_string(),
        };
        assert!(std::time::Instant::now() < deadline, "{what}: not in time; last {last}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Until the app's worker is active and controls the page (its precache done).
async fn worker_in_control(client: &Client) {
    let script = "return navigator.serviceWorker.getRegistration('/').then((r) => !!(r && r.active \
                  && r.active.state === 'activated' && r.active.scriptURL.endsWith('/sw.js') \
                  && navigator.serviceWorker.controller))";
    wait_js(client, "the service worker controls the page", script).await;
}
