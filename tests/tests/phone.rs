//! The resident's page as a phone app (issue 21), in headless Chromium with its real service
//! worker: it opens with no server, keeps what the resident files (photos scaled on the
//! device) until the server is back, sends it once even with the tab closed, moves the old
//! `localStorage` outbox over, can be installed, says when the phone's storage is full, and
//! draws street tiles from a tile server on loopback, kept for offline use within a bound.
//!
//! An update is a second build of the page that differs in its build id: the test makes it
//! from the built app by giving the copy's worker another id, as a new release would.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use phananh_tests::browser::{
    ChromeDriver, PATIENCE, PHONE, SmallDisk, app_dist, click, fill_in_report, screenshot, wait_for,
    wait_for_text, wait_until, ward_in_the_middle,
};
use phananh_tests::phone_photo::{self, PHONE_CAMERA};
use phananh_tests::tiles::{Tile, TileServer};
use phananh_tests::{HOAN_KIEM, ResidentDevice, StaffClient, TestServer, VAN_MIEU};
use serde_json::{Value, json};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime")
}

/// Where a server lives: its data directory and address, kept when it is stopped and started
/// again, and its arguments (the built web app, and any others).
struct Site {
    data: tempfile::TempDir,
    addr: String,
    args: Vec<String>,
}

impl Site {
    fn new(extra: &[&str]) -> Site {
        let mut args = vec!["--app-dir".to_owned(), app_dist().to_str().expect("UTF-8").to_owned()];
        args.extend(extra.iter().map(|a| a.to_string()));
        Site {
            data: tempfile::tempdir().expect("a temporary directory"),
            addr: phananh_tests::free_address(),
            args,
        }
    }

    fn start(&self) -> TestServer {
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        TestServer::start_at(self.data.path(), &self.addr, &args)
    }

    fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A phone photo of 4000×3000 (about 4 MB, EXIF with GPS) in the site's directory.
    fn photo(&self, name: &str, shade: u8) -> PathBuf {
        let path = self.data.path().join(name);
        phone_photo::phone_photo(&path, PHONE_CAMERA.0, PHONE_CAMERA.1, shade);
        path
    }
}

/// Runs `script` (a function body; a promise it returns is awaited) on the page.
async fn js(client: &Client, script: &str, args: Vec<Value>) -> Value {
    client.execute(script, args).await.unwrap_or_else(|e| panic!("the page runs {script:?}: {e}"))
}

/// Waits until the app's worker (`/sw.js`, scope `/`) is active and controls the page: after
/// the first visit it has precached the build and claimed the page.
/// A phone that has visited the app once.
async fn phone_after_first_visit(driver: &ChromeDriver, site: &Site) -> Client {
    let resident = driver.session(PHONE).await;
    first_visit(&resident, site).await;
    resident
}

/// The resident's first visit: the app opens, draws the wards and its worker takes over.
async fn first_visit(client: &Client, site: &Site) {
    client.goto(&site.url("/")).await.expect("the app opens");
    wait_for(client, ".map svg path.ward").await;
    worker_in_control(client).await;
}

async fn worker_in_control(client: &Client) {
    let script = "return navigator.serviceWorker.getRegistration('/').then((r) => !!(r && r.active \
                  && r.active.state === 'activated' && r.active.scriptURL.endsWith('/sw.js') \
                  && navigator.serviceWorker.controller))";
    wait_until(client, "the service worker controls the page", script).await;
}

/// The outbox as the device keeps it (`phananhOutbox.list()`).
async fn outbox(client: &Client) -> Vec<Value> {
    let script =
        "return typeof phananhOutbox === 'object' && phananhOutbox.list().then((list) => ({ list }))";
    let kept = wait_until(client, "the page can read its outbox", script).await;
    kept["list"].as_array().cloned().expect("phananhOutbox.list() gives an array")
}

async fn send(client: &Client) {
    click(client, "form.report-form button[type=submit]").await;
}

/// The photos the file screen shows: bytes before, bytes after, and the sizes it says.
async fn picked_photos(client: &Client) -> Vec<(u64, u64, String)> {
    let mut picked = Vec::new();
    for item in client.find_all(Locator::Css(".thumbs li")).await.expect("the photos") {
        let bytes = |name: &'static str| {
            let item = item.clone();
            async move {
                let text = item.attr(name).await.expect("an attribute").unwrap_or_default();
                text.parse::<u64>().unwrap_or_else(|_| panic!("{name} is a number of bytes: {text:?}"))
            }
        };
        let shown = item.find(Locator::Css(".size")).await.expect("a size").text().await.expect("its text");
        picked.push((bytes("data-before").await, bytes("data-after").await, shown));
    }
    picked
}

/// Closes the tab the resident had open, as a phone's user swipes the app away (a blank tab is
/// opened first, so the browser stays), and gives the blank tab the focus.
async fn close_the_tab(client: &Client) {
    let blank = client.new_window(true).await.expect("a new tab");
    client.close_window().await.expect("the tab closes");
    client.switch_to_window(blank.handle).await.expect("the blank tab");
}

/// How many of `css` the page shows.
async fn count(client: &Client, css: &str) -> usize {
    client.find_all(Locator::Css(css)).await.expect("a query").len()
}

/// A report as it reached the server: read from its database and photo store, as an
/// administrator could, with the photos exactly as the device uploaded them.
#[derive(Debug)]
struct Arrived {
    id: String,
    device: String,
    description: String,
    photos: Vec<Vec<u8>>,
}

fn arrived(data: &Path) -> Vec<Arrived> {
    let db = rusqlite::Connection::open_with_flags(
        data.join("phananh.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("the server's database");
    let mut reports =
        db.prepare("SELECT id, device_id, description FROM reports ORDER BY received_at").unwrap();
    let mut photos = db
        .prepare(
            "SELECT p.sha256 FROM report_photos rp JOIN photos p ON p.id = rp.photo_id \
             WHERE rp.report_id = ?1 AND rp.role = 'report' ORDER BY rp.position",
        )
        .unwrap();
    let rows: Vec<(String, String, String)> = reports
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    rows.into_iter()
        .map(|(id, device, description)| {
            let hashes: Vec<String> =
                photos.query_map([&id], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap();
            let photos = hashes
                .iter()
                .map(|sha| {
                    let original = data.join("photos").join(&sha[..2]).join(&sha[2..]).join("original");
                    std::fs::read(&original).unwrap_or_else(|e| panic!("{}: {e}", original.display()))
                })
                .collect();
            Arrived { id: id.to_lowercase(), device: device.to_lowercase(), description, photos }
        })
        .collect()
}

/// Waits until the server holds `count` reports, and gives them.
fn wait_for_arrivals(site: &Site, count: usize) -> Vec<Arrived> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let reports = arrived(site.data.path());
        if reports.len() >= count {
            return reports;
        }
        assert!(
            Instant::now() < deadline,
            "{count} reports did not reach the server within {PATIENCE:?}: {reports:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The public list of reports, as anyone reads it.
fn public_reports(site: &Site) -> Vec<Value> {
    let page: Value = reqwest::blocking::get(site.url("/api/v1/reports?limit=100"))
        .and_then(|r| r.json())
        .expect("the public list");
    page["reports"].as_array().cloned().expect("a list")
}

/// A photo made fit for a phone: at most 2048 px on its longest side, the camera's shape
/// kept, no EXIF (so no GPS).
fn assert_fit_for_a_phone(photo: &[u8]) {
    let (width, height) = phone_photo::dimensions(photo);
    assert!(width.max(height) <= 2048, "{width}×{height}");
    let (w, h) = (f64::from(width), f64::from(height));
    assert!((w / h - 4.0 / 3.0).abs() < 0.01, "the 4:3 shape is kept: {width}×{height}");
    assert!(!phone_photo::has_exif(photo), "EXIF (with GPS) was sent");
}

#[test]
fn devtools_reach_the_browser_that_chromedriver_started() {
    let server = TestServer::start();
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let (client, cdp) = driver.session_with_devtools(PHONE).await;
        let url = server.url("/healthz");
        client.goto(&url).await.expect("the page opens");
        let targets = cdp.targets().await.expect("Target.getTargets");
        assert!(targets.iter().any(|t| t["type"] == "page" && t["url"] == url.as_str()), "{targets:#?}");
        let page = cdp.page_session(&url).await;
        let answer = cdp
            .must(
                Some(&page),
                "Runtime.evaluate",
                json!({ "expression": "location.pathname", "returnByValue": true }),
            )
            .await;
        assert_eq!(answer["result"]["value"], "/healthz");
        let refused = cdp.call(Some(&page), "Page.noSuchMethod", json!({})).await.expect_err("an error");
        assert!(refused.to_string().contains("Page.noSuchMethod"), "{refused}");
        client.close().await.expect("the browser closes");
    });
}

#[test]
fn after_one_visit_the_app_opens_with_the_server_stopped() {
    let site = Site::new(&[]);
    let server = site.start();
    let driver = ChromeDriver::start();
    let rt = runtime();
    let resident = rt.block_on(async {
        let resident = driver.session(PHONE).await;
        first_visit(&resident, &site).await;
        let caches = js(&resident, "return caches.keys()", vec![]).await;
        assert!(
            caches
                .as_array()
                .expect("names")
                .iter()
                .any(|c| c.as_str().is_some_and(|c| c.starts_with("phananh-app-"))),
            "the build is precached: {caches}"
        );
        resident
    });
    server.kill();
    rt.block_on(async {
        resident.refresh().await.expect("the page reloads");
        wait_for(&resident, "#category").await;
        wait_for(&resident, "#description").await;
        wait_for(&resident, ".map svg path.ward").await;
        click(&resident, ".map svg").await;
        let (_, ward) = ward_in_the_middle();
        let named = wait_for_text(&resident, "[data-testid=ward]", |t| t.contains("sẽ xử lý")).await;
        assert!(named.contains(&ward), "{named:?}");
        resident.close().await.expect("the browser closes");
    });
}

/// The map's drawn box (left, top, right, bottom) and the picked point's centre, in CSS pixels,
/// with the view's width in map units.
async fn map_and_pick(client: &Client) -> (Vec<f64>, Option<(f64, f64)>, f64) {
    const READ: &str = "const svg = document.querySelector('.map svg');
        const m = svg.getBoundingClientRect();
        const p = document.querySelector('.map svg circle.picked');
        const c = p && p.getBoundingClientRect();
        return [[m.left, m.top, m.right, m.bottom], c && [(c.left + c.right) / 2, (c.top + c.bottom) / 2],
                svg.viewBox.baseVal.width];";
    serde_json::from_value(js(client, READ, vec![]).await).expect("the map's geometry")
}

/// Issue 23: "Use my location" moves the map to the resident and zooms in there, says the
/// point's coordinates, and zooming in keeps the point in view.
#[test]
fn my_location_brings_the_map_to_me_and_zooming_keeps_me_in_view() {
    let site = Site::new(&[]);
    let _server = site.start();
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let (resident, cdp) = driver.session_with_devtools(PHONE).await;
        resident.goto(&site.url("/")).await.expect("the app opens");
        let page = cdp.page_session(&site.url("/")).await;
        cdp.must(
            None,
            "Browser.grantPermissions",
            json!({ "permissions": ["geolocation"], "origin": site.origin() }),
        )
        .await;
        let (lon, lat) = HOAN_KIEM;
        let here = json!({ "latitude": lat, "longitude": lon, "accuracy": 12 });
        cdp.must(Some(&page), "Emulation.setGeolocationOverride", here).await;
        wait_for(&resident, ".map svg path.ward").await;
        let (_, _, whole) = map_and_pick(&resident).await;

        click(&resident, "#locate").await;
        let shown = wait_for_text(&resident, "[data-testid=coordinates]", |t| !t.is_empty()).await;
        assert_eq!(shown, format!("{lat:.6}, {lon:.6}"));
        // Centred on the point and zoomed in to the street (the view moves there by itself).
        let deadline = Instant::now() + PATIENCE;
        let (map, pick, width) = loop {
            let (map, pick, width) = map_and_pick(&resident).await;
            if width < whole / 20.0 || Instant::now() > deadline {
                break (map, pick, width);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert!(width < whole / 20.0, "zoomed in: {width} of {whole} map units");
        let (x, y) = pick.expect("the point is drawn");
        let (cx, cy) = ((map[0] + map[2]) / 2.0, (map[1] + map[3]) / 2.0);
        assert!((x - cx).abs() < 10.0 && (y - cy).abs() < 10.0, "({x}, {y}) is the middle of {map:?}");
        // "+" zooms around the point, so it stays where it is.
        for _ in 0..3 {
            click(&resident, ".map-buttons button:first-child").await;
        }
        let (map, pick, closer) = map_and_pick(&resident).await;
        assert!(closer < width / 2.0, "zoomed in further: {closer} of {width}");
        let (x, y) = pick.expect("the point is drawn");
        assert!(x > map[0] && x < map[2] && y > map[1] && y < map[3], "({x}, {y}) is within {map:?}");
        js(&resident, "document.querySelector('.map').scrollIntoView()", vec![]).await;
        screenshot(&resident, "phone-my-location").await;
        resident.close().await.expect("the browser closes");
    });
}

/// Issue 23: "Nearby" is about where the resident is: the open reports around them, nearest
/// first, within the radius they choose, each with its photo and how far it is.
#[test]
fn nearby_lists_the_reports_around_me_nearest_first_within_the_radius_chosen() {
    let site = Site::new(&[]);
    let server = site.start();
    let (lon, lat) = HOAN_KIEM;
    // About 110 m and 440 m north of the resident, and Văn Miếu, 1.8 km west.
    let device = ResidentDevice::register(&server);
    let photo = device.upload_photo(phone_photo::phone_jpeg(640, 480, 90));
    assert_eq!(photo.status(), 201);
    let photo: Value = photo.json().expect("the photo's id");
    let mut near = phananh_tests::report_at(lon, lat + 0.001);
    near["photos"] = json!([photo["id"]]);
    near["description"] = "Cống gần nhất bị tắc, nước tràn ra đường.".into();
    let mut further = phananh_tests::report_at(lon, lat + 0.004);
    further["description"] = "Cống xa hơn một chút cũng bị tắc.".into();
    let mut far = phananh_tests::report_at(VAN_MIEU.0, VAN_MIEU.1);
    far["description"] = "Cống ở Văn Miếu, xa hơn một cây số.".into();
    for report in [&far, &further, &near] {
        assert_eq!(device.file(report).expect("the server answers").status(), 201);
    }
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let (resident, cdp) = driver.session_with_devtools(PHONE).await;
        resident.goto(&site.url("/nearby")).await.expect("the page opens");
        let page = cdp.page_session(&site.url("/")).await;
        cdp.must(None, "Browser.grantPermissions", json!({ "permissions": ["geolocation"], "origin": site.origin() }))
            .await;
        let here = json!({ "latitude": lat, "longitude": lon, "accuracy": 12 });
        cdp.must(Some(&page), "Emulation.setGeolocationOverride", here).await;
        // Nothing is listed before the resident says where.
        let asked = wait_for_text(&resident, "[data-testid=nearby]", |t| !t.is_empty()).await;
        assert!(asked.contains("chạm vào bản đồ"), "{asked:?}");
        assert_eq!(count(&resident, "[data-testid=nearby] li.card").await, 0);

        click(&resident, "#locate").await;
        let listed = wait_for_text(&resident, "[data-testid=nearby]", |t| t.contains("Cống xa hơn")).await;
        assert!(!listed.contains("Văn Miếu"), "beyond 500 m: {listed:?}");
        let order = listed.find("Cống gần nhất").expect("the nearest") < listed.find("Cống xa hơn").expect("the next");
        assert!(order, "nearest first: {listed:?}");
        let distances: Vec<String> = serde_json::from_value(
            js(&resident, "return [...document.querySelectorAll('[data-testid=nearby] .distance')].map(d => d.textContent)", vec![])
                .await,
        )
        .expect("the distances");
        assert_eq!(distances, ["111 m", "445 m"]);
        assert_eq!(count(&resident, "[data-testid=nearby] li.card img.thumb").await, 1, "the photo, small");

        // A wider radius reaches Văn Miếu, last.
        wait_for(&resident, "#radius").await.select_by_value("2000").await.expect("a radius");
        let wider = wait_for_text(&resident, "[data-testid=nearby]", |t| t.contains("Văn Miếu")).await;
        assert!(wider.find("Cống xa hơn") < wider.find("Văn Miếu"), "{wider:?}");
        screenshot(&resident, "phone-nearby").await;
        resident.close().await.expect("the browser closes");
    });
}

/// Issue 23: with the server away, "Mine" shows the last copy of each earlier report and says
/// it is a copy, and the file screen says the phone is offline before anything is queued.
#[test]
fn offline_my_reports_shows_the_kept_copies_and_the_file_screen_says_so_first() {
    let site = Site::new(&[]);
    let server = site.start();
    let description = "Đèn đường trước ngõ 15 tắt ba đêm nay, rất tối.";
    let driver = ChromeDriver::start();
    let rt = runtime();
    let resident = rt.block_on(async {
        let resident = phone_after_first_visit(&driver, &site).await;
        fill_in_report(&resident, "roads", description, &[]).await;
        send(&resident).await;
        wait_for(&resident, "[data-testid=my-reports] .badge[data-status=Submitted]").await;
        assert!(
            resident.find(Locator::Css("[data-testid=kept-copy]")).await.is_err(),
            "online: no copy note"
        );
        resident
    });
    server.kill();
    rt.block_on(async {
        resident.goto(&site.url("/")).await.expect("the app opens from its worker");
        wait_for(&resident, "#description").await;
        let banner =
            wait_for_text(&resident, "[data-testid=offline-banner]", |t| t.contains("Mất kết nối")).await;
        assert!(!banner.contains("chờ gửi"), "nothing is queued yet: {banner:?}");
        resident.goto(&site.url("/mine")).await.expect("the page opens");
        wait_for(&resident, "[data-testid=kept-copy]").await;
        let list = wait_for_text(&resident, "[data-testid=my-reports]", |t| !t.is_empty()).await;
        assert!(list.contains(description) && list.contains("PA-1"), "{list:?}");
        assert_eq!(count(&resident, "[data-testid=my-reports] li.card").await, 1);
        screenshot(&resident, "phone-offline-kept-copy").await;
        resident.close().await.expect("the browser closes");
    });
}

#[test]
fn a_report_filed_with_no_signal_survives_the_tab_and_goes_once_with_its_photos_scaled() {
    let site = Site::new(&[]);
    let server = site.start();
    let (ward_code, _) = ward_in_the_middle();
    let officer = StaffClient::create(&server, site.data.path(), "can-bo-phuong", "ward", Some(&ward_code));
    let photos: Vec<PathBuf> = (0..3).map(|i| site.photo(&format!("IMG_000{i}.jpg"), 40 + 60 * i)).collect();
    let sizes: Vec<u64> = photos.iter().map(|p| std::fs::metadata(p).expect("a photo").len()).collect();
    let description = "Cống trước số 12 bị tắc, nước tràn lên vỉa hè sau mưa.";
    let driver = ChromeDriver::start();
    let rt = runtime();
    let resident = rt.block_on(phone_after_first_visit(&driver, &site));
    server.kill();
    let op_id = rt.block_on(async {
        fill_in_report(&resident, "roads", description, &photos).await;
        let picked = picked_photos(&resident).await;
        assert_eq!(picked.len(), 3, "{picked:?}");
        for ((before, after, shown), size) in picked.iter().zip(&sizes) {
            assert_eq!(before, size, "the size before is the file's");
            assert!(after * 2 < *before, "scaled on the device: {before} → {after}");
            assert!(shown.contains('→') && shown.contains("MB"), "the sizes are shown: {shown:?}");
        }
        send(&resident).await;

        // Kept on the phone, with its three photos, each scaled.
        wait_for(&resident, "[data-testid=outbox] li.card").await;
        let kept = outbox(&resident).await;
        assert_eq!(kept.len(), 1, "{kept:#?}");
        assert_eq!(kept[0]["report"]["description"], description);
        let photos = kept[0]["photos"].as_array().expect("photos");
        assert_eq!(photos.len(), 3);
        for (photo, (_, after, _)) in photos.iter().zip(&picked) {
            assert_eq!(photo["size"].as_u64(), Some(*after), "{photo}");
        }
        let op_id = kept[0]["op_id"].as_str().expect("an op id").to_owned();

        // The tab is closed and the app opened again, still with no server.
        close_the_tab(&resident).await;
        resident.goto(&site.url("/mine")).await.expect("the app opens again");
        let card = format!("[data-testid=outbox] li.card[data-op='{op_id}']");
        wait_for(&resident, &card).await;
        wait_until(
            &resident,
            "the waiting report shows its three photos",
            &format!("return document.querySelectorAll(\"{card} img.thumb\").length === 3"),
        )
        .await;
        wait_for_text(&resident, &format!("{card} .waiting"), |t| !t.is_empty()).await;
        let banner =
            wait_for_text(&resident, "[data-testid=offline-banner]", |t| t.contains("1 phản ánh")).await;
        assert!(banner.contains("chờ gửi"), "{banner:?}");
        screenshot(&resident, "phone-offline-outbox").await;
        op_id
    });

    let server = site.start();
    rt.block_on(async {
        // "Gửi ngay", if the page has not sent it by itself already.
        js(&resident, "document.querySelector('[data-testid=send-now]')?.click()", vec![]).await;
        wait_for(&resident, "[data-testid=my-reports] .badge[data-status=Submitted]").await;
        let gone = format!("return document.querySelectorAll(\"[data-testid=outbox] li.card[data-op='{op_id}']\").length === 0");
        wait_until(&resident, "the outbox empties", &gone).await;
        assert_eq!(outbox(&resident).await, Vec::<Value>::new());
    });
    let reports = arrived(site.data.path());
    assert_eq!(reports.len(), 1, "sent exactly once: {reports:?}");
    assert_eq!(reports[0].description, description);
    assert_eq!(reports[0].photos.len(), 3, "with its three photos");
    for photo in &reports[0].photos {
        // As the phone sent them, and as the public sees them.
        assert_fit_for_a_phone(photo);
    }
    let public = public_reports(&site);
    assert_eq!(public.len(), 1, "{public:#?}");
    for id in public[0]["photos"].as_array().expect("photo ids") {
        let copy = reqwest::blocking::get(site.url(&format!("/api/v1/photos/{}", id.as_str().unwrap())))
            .and_then(|r| r.bytes())
            .expect("the public copy");
        assert_fit_for_a_phone(&copy);
    }

    // The ward acknowledges: the phone shows it without a reload.
    let acknowledged = officer.act(&reports[0].id, &json!({ "action": "acknowledge" }));
    assert_eq!(acknowledged.status(), reqwest::StatusCode::OK);
    rt.block_on(async {
        wait_for(&resident, "[data-testid=my-reports] .badge[data-status=Acknowledged]").await;
        resident.close().await.expect("the browser closes");
    });
    drop(server);
}

#[test]
fn the_worker_sends_a_queued_report_with_the_tab_closed() {
    let site = Site::new(&[]);
    let server = site.start();
    let description = "Đèn đường trước chợ hỏng ba ngày nay, tối om.";
    let driver = ChromeDriver::start();
    let rt = runtime();
    let (resident, cdp) = rt.block_on(async {
        let (resident, cdp) = driver.session_with_devtools(PHONE).await;
        first_visit(&resident, &site).await;
        (resident, cdp)
    });
    server.kill();
    rt.block_on(async {
        fill_in_report(&resident, "roads", description, &[]).await;
        send(&resident).await;
        wait_for(&resident, "[data-testid=outbox] li.card").await;
        assert_eq!(outbox(&resident).await.len(), 1);
        close_the_tab(&resident).await;
        let targets = cdp.targets().await.expect("the targets");
        assert!(
            !targets
                .iter()
                .any(|t| t["type"] == "page"
                    && t["url"].as_str().is_some_and(|u| u.starts_with(&site.origin()))),
            "no page of the app is open: {targets:#?}"
        );
    });
    let server = site.start();
    rt.block_on(async {
        let blank = cdp.page_session("about:blank").await;
        let registration = cdp.service_worker_registration(&blank, &site.origin()).await;
        cdp.dispatch_sync(&blank, &site.origin(), &registration, "outbox")
            .await
            .expect("the sync event is fired");
    });
    let reports = wait_for_arrivals(&site, 1);
    assert_eq!(reports[0].description, description);
    rt.block_on(async {
        resident.goto(&site.url("/mine")).await.expect("the app opens");
        wait_for(&resident, "[data-testid=my-reports] .badge[data-status=Submitted]").await;
        assert_eq!(count(&resident, "[data-testid=my-reports] li.card").await, 1);
        assert_eq!(outbox(&resident).await, Vec::<Value>::new(), "nothing waits");
        assert_eq!(count(&resident, "[data-testid=outbox] li.card").await, 0);
        resident.close().await.expect("the browser closes");
    });
    assert_eq!(arrived(site.data.path()).len(), 1, "sent once");
    drop(server);
}

#[test]
fn the_old_local_storage_outbox_moves_over_and_each_report_is_sent_once() {
    let site = Site::new(&[]);
    let server = site.start();
    let device = ResidentDevice::register(&server);
    let small = phone_photo::phone_jpeg(320, 240, 7);
    let first = phananh_tests::report_at(HOAN_KIEM.0, HOAN_KIEM.1);
    let second = phananh_tests::report_at(HOAN_KIEM.0 + 0.001, HOAN_KIEM.1);
    // Today's `Pending` (app/src/backend/http.rs), as `localStorage` keeps it.
    let pending = |report: &Value, photos: Value| {
        json!({
            "op_id": uuid::Uuid::now_v7(),
            "report": report,
            "photos": photos,
            "ward": null,
            "queued_at": "2025-09-01T08:30:00Z",
            "refused": null,
        })
    };
    use base64::Engine as _;
    let old_outbox = json!([
        pending(&first, json!([])),
        pending(
            &second,
            json!([{
                "name": "o-ga.jpg",
                "content_type": "image/jpeg",
                "data": base64::engine::general_purpose::STANDARD.encode(&small),
            }])
        ),
    ]);
    let identity = json!({ "device_id": device.id, "token": device.token });
    let driver = ChromeDriver::start();
    let rt = runtime();
    let resident = rt.block_on(async {
        let resident = driver.session(PHONE).await;
        // A page of the site with no app on it, to write the old version's storage.
        resident.goto(&site.url("/healthz")).await.expect("the page opens");
        js(
            &resident,
            "localStorage.setItem('phananh.device', arguments[0]); localStorage.setItem('phananh.outbox', arguments[1]);",
            vec![identity.to_string().into(), old_outbox.to_string().into()],
        )
        .await;
        resident.goto(&site.url("/")).await.expect("the new version opens");
        wait_for(&resident, ".map svg path.ward").await;
        resident
    });
    let reports = wait_for_arrivals(&site, 2);
    rt.block_on(async {
        resident.goto(&site.url("/mine")).await.expect("the app opens");
        wait_until(
            &resident,
            "both reports are listed as sent",
            "return document.querySelectorAll('[data-testid=my-reports] .badge[data-status=Submitted]').length === 2",
        )
        .await;
        assert_eq!(outbox(&resident).await, Vec::<Value>::new());
        let left = js(&resident, "return localStorage.getItem('phananh.outbox')", vec![]).await;
        assert_eq!(left, Value::Null, "the old outbox is gone from localStorage");
        resident.close().await.expect("the browser closes");
    });
    let reports_now = arrived(site.data.path());
    assert_eq!(reports_now.len(), 2, "each sent once: {reports_now:?}");
    let by_id = |report: &Value| {
        let id = report["id"].as_str().unwrap().to_lowercase();
        reports.iter().find(|r| r.id == id).unwrap_or_else(|| panic!("{id} reached the server"))
    };
    for report in [by_id(&first), by_id(&second)] {
        assert_eq!(report.device, device.id.to_lowercase(), "filed under the device it was queued on");
    }
    assert!(by_id(&first).photos.is_empty());
    assert_eq!(by_id(&second).photos.len(), 1, "with its photo");
    assert_eq!(phone_photo::dimensions(&by_id(&second).photos[0]), (320, 240));
    drop(server);
}

#[test]
fn the_app_is_installable_and_its_manifest_says_what_a_phone_needs() {
    let site = Site::new(&[]);
    let server = site.start();
    let http = reqwest::blocking::Client::new();
    let answer = http.get(site.url("/manifest.webmanifest")).send().expect("the manifest");
    assert_eq!(answer.status(), reqwest::StatusCode::OK);
    let content_type = answer.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("application/manifest+json"), "{content_type}");
    let manifest: Value = answer.json().expect("JSON");
    for field in ["name", "short_name"] {
        let text = manifest[field].as_str().unwrap_or_default();
        assert!(!text.is_empty() && !text.is_ascii(), "{field} is Vietnamese: {text:?}");
    }
    assert!(manifest["description"].as_str().is_some_and(|d| !d.is_empty()));
    assert_eq!(manifest["display"], "standalone");
    assert_eq!(manifest["start_url"], "/");
    assert_eq!(manifest["scope"], "/");
    for colour in ["theme_color", "background_color"] {
        assert!(manifest[colour].as_str().is_some_and(|c| c.starts_with('#')), "{colour}: {manifest}");
    }
    let icons = manifest["icons"].as_array().expect("icons");
    let mut png_sizes = BTreeSet::new();
    let mut maskable = false;
    for icon in icons {
        let src = icon["src"].as_str().expect("a src");
        let answer = http.get(site.url(src)).send().expect("the icon");
        assert_eq!(answer.status(), reqwest::StatusCode::OK, "{src}");
        let served = answer.headers()["content-type"].to_str().unwrap().to_owned();
        let bytes = answer.bytes().expect("its bytes");
        if icon["type"] == "image/png" {
            assert_eq!(served, "image/png", "{src}");
            let (w, h) = phone_photo::dimensions(&bytes);
            assert_eq!(
                icon["sizes"].as_str(),
                Some(format!("{w}x{h}").as_str()),
                "{src} is the size it says"
            );
            png_sizes.insert(w);
            maskable |= icon["purpose"].as_str().is_some_and(|p| p.split(' ').any(|p| p == "maskable"));
        }
    }
    assert!(png_sizes.contains(&192) && png_sizes.contains(&512), "{icons:#?}");
    assert!(maskable, "a maskable PNG icon: {icons:#?}");
    let page = http.get(site.url("/")).send().and_then(|r| r.text()).expect("the page");
    for tag in
        ["rel=\"manifest\"", "apple-touch-icon", "apple-mobile-web-app-status-bar-style", "theme-color"]
    {
        assert!(page.contains(tag), "the page's head has {tag}");
    }

    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let (resident, cdp) = driver.session_with_devtools(PHONE).await;
        first_visit(&resident, &site).await;
        let page = cdp.page_session(&site.url("/")).await;
        // Chromium fetches the manifest and its icons when asked: wait for its answer to settle.
        let deadline = Instant::now() + PATIENCE;
        loop {
            let errors = cdp.installability_errors(&page).await;
            if errors.is_empty() {
                break;
            }
            assert!(Instant::now() < deadline, "not installable: {errors:#?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        resident.close().await.expect("the browser closes");
    });
    drop(server);
}

#[test]
fn a_full_phone_is_told_at_filing_and_what_was_queued_stays() {
    let site = Site::new(&[]);
    let server = site.start();
    let photos: Vec<PathBuf> = (0..3).map(|i| site.photo(&format!("IMG_100{i}.jpg"), 10 + 70 * i)).collect();
    let disk = SmallDisk::mount(64);
    let driver = ChromeDriver::start();
    let rt = runtime();
    let resident = rt.block_on(async {
        let (resident, _cdp) = driver.session_with_devtools_on(PHONE, disk.path()).await;
        first_visit(&resident, &site).await;
        resident
    });
    // With no server, so the first report stays queued.
    server.kill();
    rt.block_on(async {
        fill_in_report(
            &resident,
            "roads",
            "Vỉa hè bị lấn chiếm làm quán, người đi bộ phải xuống lòng đường.",
            &[],
        )
        .await;
        send(&resident).await;
        wait_for(&resident, "[data-testid=outbox] li.card").await;
        let queued = outbox(&resident).await;
        assert_eq!(queued.len(), 1);

        // The phone's other things fill its disk to within 150 KB.
        disk.fill_leaving(150_000);

        // To the file screen within the app, as the resident would (a reload needs the disk).
        click(&resident, "header nav a[href='/']").await;
        let description = "Ổ gà lớn giữa ngã tư, ba ảnh chụp từ nhiều phía.";
        fill_in_report(&resident, "roads", description, &photos).await;
        send(&resident).await;
        let said = wait_for_text(&resident, "[data-testid=saved-error]", |t| !t.is_empty()).await;
        assert!(said.contains("bộ nhớ"), "the resident is told the storage is full: {said:?}");
        let typed = wait_for(&resident, "#description").await.prop("value").await.expect("its value");
        assert_eq!(typed.as_deref(), Some(description), "what the resident wrote is still there");
        let still = outbox(&resident).await;
        assert_eq!(still.len(), 1, "nothing was added, nothing lost: {still:#?}");
        assert_eq!(still[0]["op_id"], queued[0]["op_id"]);
        resident.close().await.expect("the browser closes");
    });
    drop(driver);
}

/// A second build of the app in a folder of its own: the built app with another build id
/// in its worker, which is what makes a browser install a new version.
fn second_build(dir: &Path) -> PathBuf {
    let build = dir.join("build-b");
    copy_dir(&app_dist(), &build);
    let worker = build.join("sw.js");
    let text = std::fs::read_to_string(&worker).expect("the built worker");
    let at = text.find("\"id\":\"").expect("the worker names its build") + 6;
    let old = &text[at..at + 16];
    let new: String = old.chars().rev().collect();
    assert_ne!(old, new, "another build id");
    std::fs::write(&worker, text.replacen(old, &new, 1)).expect("the second build's worker");
    // Its precompressed copies would be sent instead: the second build has none.
    let _ = std::fs::remove_file(build.join("sw.js.gz"));
    let _ = std::fs::remove_file(build.join("sw.js.br"));
    build
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("a folder");
    for entry in std::fs::read_dir(from).expect("the folder").map(|e| e.expect("an entry")) {
        let target = to.join(entry.file_name());
        if entry.file_type().expect("its type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("a copy");
        }
    }
}

/// The app's caches in the browser, by name.
async fn app_caches(client: &Client) -> Vec<String> {
    let names = js(
        client,
        "return caches.keys().then((keys) => keys.filter((k) => k.startsWith('phananh-app-')))",
        vec![],
    )
    .await;
    serde_json::from_value(names).expect("cache names")
}

#[test]
fn a_new_version_waits_for_the_residents_tap_and_keeps_the_outbox() {
    let mut site = Site::new(&[]);
    let server = site.start();
    let build_b = second_build(site.data.path());
    let driver = ChromeDriver::start();
    let rt = runtime();
    let resident = rt.block_on(phone_after_first_visit(&driver, &site));
    let first = rt.block_on(app_caches(&resident));
    assert_eq!(first.len(), 1, "one version kept: {first:?}");
    // The city deploys build B: the same server, restarted with the new files.
    server.kill();
    site.args[1] = build_b.to_str().expect("UTF-8").to_owned();
    let server = site.start();
    let queued = rt.block_on(async {
        // The page still runs A; the browser finds B when it checks the worker.
        resident.refresh().await.expect("the page reloads");
        let banner = wait_for_text(&resident, "[data-testid=update]", |t| t.contains("Có phiên bản mới")).await;
        assert!(banner.contains("Tải lại"), "the banner offers the reload: {banner:?}");
        assert!(app_caches(&resident).await.contains(&first[0]), "A still runs until the tap");
        screenshot(&resident, "phone-update-banner").await;
        // Offline again, the resident files a report before tapping.
        server.kill();
        wait_for(&resident, "header nav a[href='/']").await;
        click(&resident, "header nav a[href='/']").await;
        fill_in_report(&resident, "roads", "Đèn đường trước cổng trường tắt cả tuần nay.", &[]).await;
        send(&resident).await;
        wait_for(&resident, "[data-testid=outbox] li.card").await;
        let queued = outbox(&resident).await;
        assert_eq!(queued.len(), 1);
        js(&resident, "window.stillVersionA = true", vec![]).await;
        click(&resident, "[data-testid=update] button").await;
        wait_until(&resident, "the page reloaded into the new version", "return window.stillVersionA !== true && document.querySelector('#main') !== null").await;
        let now = wait_until(
            &resident,
            "only the new version's cache is left",
            &format!("return caches.keys().then((k) => k.filter((n) => n.startsWith('phananh-app-'))).then((k) => k.length === 1 && k[0] !== '{}' && k[0])", first[0]),
        )
        .await;
        assert_ne!(now, Value::String(first[0].clone()));
        assert!(count(&resident, "[data-testid=update]").await == 0, "no banner in the new version");
        let kept = outbox(&resident).await;
        assert_eq!(kept.len(), 1, "the outbox is intact: {kept:#?}");
        assert_eq!(kept[0]["op_id"], queued[0]["op_id"]);
        queued
    });
    let _server = site.start();
    let reports = wait_for_arrivals(&site, 1);
    assert_eq!(reports.len(), 1, "sent once");
    assert_eq!(reports[0].id, queued[0]["op_id"].as_str().expect("an id"));
    rt.block_on(async { resident.close().await.expect("the browser closes") });
}

#[test]
fn a_map_whose_boundaries_failed_to_load_comes_back_by_itself() {
    let site = Site::new(&[]);
    let _server = site.start();
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let (resident, cdp) = driver.session_with_devtools(PHONE).await;
        // The phone's first request for the boundaries is lost (a weak signal); the next ones
        // go through.
        resident.goto("about:blank").await.expect("a blank page");
        let page = cdp.page_session("about:blank").await;
        let boundaries = json!({ "patterns": [{ "urlPattern": "*/api/v1/wards.geojson*" }] });
        cdp.must(Some(&page), "Fetch.enable", boundaries).await;
        resident.goto(&site.url("/")).await.expect("the app opens");
        let deadline = Instant::now() + PATIENCE;
        let lost = cdp.wait_event(Some(&page), "Fetch.requestPaused", |_| true, deadline).await;
        let failed = json!({ "requestId": lost["requestId"], "errorReason": "ConnectionFailed" });
        cdp.must(Some(&page), "Fetch.failRequest", failed).await;
        cdp.must(Some(&page), "Fetch.disable", json!({})).await;
        wait_until(
            &resident,
            "the screen says the map did not load",
            "return document.querySelector('.report-form').innerText.includes('Không tải được bản đồ')",
        )
        .await;
        // No reload, no tap: the map tries again and draws the wards.
        wait_for(&resident, ".map svg path.ward").await;
        resident.close().await.expect("the browser closes");
    });
}

/// The attribution the test's tile server asks for.
const ATTRIBUTION: &str = "© Bản đồ thử nghiệm (test tiles)";

/// The tile holding (`lon`, `lat`) at zoom `z` (Web Mercator, as XYZ tile servers cut it).
fn tile_of((lon, lat): (f64, f64), z: u8) -> (u32, u32) {
    let n = f64::from(1u32 << z);
    let x = ((lon + 180.0) / 360.0 * n).floor() as u32;
    let y = ((1.0 - lat.to_radians().tan().asinh() / std::f64::consts::PI) / 2.0 * n).floor() as u32;
    (x, y)
}

fn parse_tile(text: &str) -> Tile {
    let mut parts = text.split('/');
    let mut next =
        || parts.next().and_then(|p| p.parse::<u32>().ok()).unwrap_or_else(|| panic!("z/x/y: {text:?}"));
    (next() as u8, next(), next())
}

/// The street tiles on the map now, once each has loaded (`.map svg image.tile`, told loaded
/// by the browser's resource timing: an answer with status 200, from the network or the worker).
async fn drawn_tiles(client: &Client) -> BTreeSet<Tile> {
    let script = "const tiles = [...document.querySelectorAll('.map svg image.tile')].map((el) => {
        const href = new URL(el.getAttribute('href') || el.getAttribute('xlink:href') || '', location.href).href;
        const entry = performance.getEntriesByName(href).pop();
        return { tile: el.dataset.tile, status: entry ? entry.responseStatus : 0 };
      });
      return tiles.length > 0 && tiles.every((t) => t.status === 200) && { tiles: tiles.map((t) => t.tile) };";
    let drawn = wait_until(client, "the street tiles on the map have loaded", script).await;
    drawn["tiles"].as_array().expect("tiles").iter().map(|t| parse_tile(t.as_str().expect("z/x/y"))).collect()
}

#[test]
fn street_tiles_are_drawn_under_the_wards_and_the_viewed_ones_show_offline() {
    let mut tiles = TileServer::start();
    let template = tiles.template();
    let site = Site::new(&["--map-tiles", &template, "--map-attribution", ATTRIBUTION]);
    let server = site.start();
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let (resident, cdp) = driver.session_with_devtools(PHONE).await;
        resident.goto(&site.url("/")).await.expect("the app opens");
        worker_in_control(&resident).await;
        // Loaded again under the worker, so every tile on screen goes through it.
        resident.refresh().await.expect("the page reloads");
        let first_view = drawn_tiles(&resident).await;
        let attribution = wait_for(&resident, "[data-testid=attribution]").await;
        assert!(attribution.is_displayed().await.expect("displayed?"), "the attribution is visible");
        assert!(attribution.text().await.expect("its text").contains(ATTRIBUTION));
        let requested: BTreeSet<Tile> = tiles.requests().into_iter().collect();
        assert!(first_view.is_subset(&requested), "{first_view:?} came from {requested:?}");
        assert!(requested.len() < 64, "only what is on screen, never an area in bulk: {requested:?}");

        // The pin in the middle sits on a tile drawn around it.
        click(&resident, ".map svg").await;
        wait_for_text(&resident, "[data-testid=ward]", |t| t.contains("sẽ xử lý")).await;
        let centre = phananh_tests::hanoi_wards().bounds().center();
        let drawn = drawn_tiles(&resident).await;
        assert!(
            drawn.iter().any(|&(z, x, y)| tile_of((centre.x, centre.y), z) == (x, y)),
            "the pin's tile is drawn: {drawn:?}"
        );

        // "Dùng vị trí của tôi" with a poor fix: the accuracy circle, and a word of warning.
        let page = cdp.page_session(&site.url("/")).await;
        cdp.grant_geolocation(&site.origin()).await.expect("geolocation granted");
        cdp.set_geolocation(&page, HOAN_KIEM.1, HOAN_KIEM.0, 80.0).await.expect("a position");
        click(&resident, "#locate").await;
        wait_for(&resident, ".map svg circle.accuracy").await;
        let poor = wait_for_text(&resident, "[data-testid=accuracy]", |t| !t.is_empty()).await;
        assert!(poor.contains("không chính xác"), "a poor fix is called so: {poor:?}");
        let here =
            phananh_tests::hanoi_wards().locate(HOAN_KIEM.0, HOAN_KIEM.1).expect("a ward").ward.name.clone();
        wait_for_text(&resident, "[data-testid=ward]", |t| t.contains(&here)).await;
        // At street zoom, the streets around the resident.
        let deadline = Instant::now() + PATIENCE;
        loop {
            let drawn = drawn_tiles(&resident).await;
            if drawn.iter().any(|&(z, x, y)| z >= 15 && tile_of(HOAN_KIEM, z) == (x, y)) {
                break;
            }
            assert!(Instant::now() < deadline, "no street-level tile around the position: {drawn:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        screenshot(&resident, "phone-street-map").await;
        // A good fix is not called poor.
        cdp.set_geolocation(&page, HOAN_KIEM.1, HOAN_KIEM.0, 6.0).await.expect("a position");
        click(&resident, "#locate").await;
        wait_for_text(&resident, "[data-testid=accuracy]", |t| {
            !t.is_empty() && !t.contains("không chính xác")
        })
        .await;

        // The tile server goes away: the tiles already seen come from the worker's cache.
        let viewed: BTreeSet<Tile> = tiles.requests().into_iter().collect();
        tiles.stop();
        // Not from the browser's HTTP cache either: only the worker's own copies are left.
        cdp.must(Some(&page), "Network.clearBrowserCache", json!({})).await;
        resident.refresh().await.expect("the page reloads");
        let offline = drawn_tiles(&resident).await;
        assert!(offline.is_subset(&viewed), "{offline:?} were viewed before: {viewed:?}");
        assert!(
            resident
                .find(Locator::Css("[data-testid=attribution]"))
                .await
                .expect("attribution")
                .is_displayed()
                .await
                .unwrap()
        );
        resident.close().await.expect("the browser closes");
    });
    drop(server);
}

#[test]
fn the_tile_cache_keeps_the_newest_tiles_within_its_bound() {
    const BOUND: usize = 5;
    let tiles = TileServer::start();
    let template = tiles.template();
    let site =
        Site::new(&["--map-tiles", &template, "--map-attribution", ATTRIBUTION, "--map-cache-tiles", "5"]);
    let server = site.start();
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let resident = driver.session(PHONE).await;
        resident.goto(&site.url("/")).await.expect("the app opens");
        worker_in_control(&resident).await;
        resident.refresh().await.expect("the page reloads");
        let older = drawn_tiles(&resident).await;
        let deepest = older.iter().map(|t| t.0).max().expect("tiles");
        // Zoomed in past the next tile level: new tiles, viewed after the first ones.
        for _ in 0..3 {
            click(&resident, ".map button[aria-label='Phóng to']").await;
        }
        let deadline = Instant::now() + PATIENCE;
        let newer = loop {
            let drawn = drawn_tiles(&resident).await;
            if drawn.iter().any(|t| t.0 > deepest) {
                break drawn.difference(&older).copied().collect::<BTreeSet<Tile>>();
            }
            assert!(Instant::now() < deadline, "zooming in drew no deeper tiles: {drawn:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        // TODO(app): ask for `phananhOutbox.tiles()` (the kept tiles' URLs, oldest first), so
        // this does not need to know the worker's store (IndexedDB "phananh", store "tiles",
        // keyed by URL).
        let script = "return phananhOutbox.run(['tiles'], 'readonly', \
                      (t) => phananhOutbox.request(t.objectStore('tiles').getAllKeys())).then((urls) => ({ urls }))";
        let kept = js(&resident, script, vec![]).await;
        let kept: BTreeSet<Tile> = kept["urls"]
            .as_array()
            .expect("URLs")
            .iter()
            .map(|url| {
                let url = url.as_str().expect("a URL");
                let prefix = template.split("{z}").next().expect("the template's start");
                parse_tile(url.strip_prefix(prefix).and_then(|t| t.strip_suffix(".png")).expect("a tile URL"))
            })
            .collect();
        let viewed: BTreeSet<Tile> = older.union(&newer).copied().collect();
        assert!(viewed.len() > BOUND, "the test views more tiles than the bound: {viewed:?}");
        assert_eq!(kept.len(), BOUND, "{kept:?}");
        assert!(kept.is_subset(&viewed), "{kept:?}");
        assert_eq!(
            kept.intersection(&newer).count(),
            BOUND.min(newer.len()),
            "the newest are kept, the oldest out first: kept {kept:?}, newer {newer:?}"
        );
        resident.close().await.expect("the browser closes");
    });
    drop(server);
}

#[test]
fn without_a_tile_server_the_map_asks_no_one_for_tiles() {
    let site = Site::new(&[]);
    let server = site.start();
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let (resident, cdp) = driver.session_with_devtools(PHONE).await;
        resident.goto(&site.url("/")).await.expect("the app opens");
        worker_in_control(&resident).await;
        let page = cdp.page_session(&site.url("/")).await;
        cdp.must(Some(&page), "Network.enable", json!({})).await;
        resident.refresh().await.expect("the page reloads");
        wait_for(&resident, ".map svg path.ward").await;
        wait_until(
            &resident,
            "the app has read its settings",
            "return performance.getEntriesByName(location.origin + '/api/v1/config').length > 0",
        )
        .await;
        click(&resident, ".map button[aria-label='Phóng to']").await;
        // The whole map in view, so the tap lands in its middle (WebDriver taps the middle
        // of the part in view).
        js(&resident, "document.querySelector('.map svg').scrollIntoView({ block: 'center' })", vec![]).await;
        click(&resident, ".map svg").await;
        wait_for_text(&resident, "[data-testid=ward]", |t| t.contains("sẽ xử lý")).await;
        assert_eq!(count(&resident, ".map svg image.tile").await, 0);
        let requests = cdp.drain_events(Some(&page), "Network.requestWillBeSent");
        assert!(!requests.is_empty(), "the page's requests were seen");
        let elsewhere: Vec<&str> = requests
            .iter()
            .filter_map(|r| r["request"]["url"].as_str())
            .filter(|url| {
                !url.starts_with(&site.origin()) && !url.starts_with("data:") && !url.starts_with("blob:")
            })
            .collect();
        assert!(elsewhere.is_empty(), "requests off the server: {elsewhere:?}");
        resident.close().await.expect("the browser closes");
    });
    drop(server);
}

/// Records each Content-Security-Policy violation a document of the tab sees, in the tab's
/// `sessionStorage` (kept across its navigations), from before the page's own scripts run:
/// DevTools adds it to every new document, and the page's policy does not apply to it.
const RECORD_CSP_VIOLATIONS: &str = "document.addEventListener('securitypolicyviolation', (e) => {
    try {
        const seen = JSON.parse(sessionStorage.getItem('csp-violations') || '[]');
        seen.push(`${e.effectiveDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
        sessionStorage.setItem('csp-violations', JSON.stringify(seen));
    } catch (_) {}
});";

/// A browser whose tab records CSP violations (see [`RECORD_CSP_VIOLATIONS`]) and whose
/// console DevTools keeps (`Log.entryAdded`): the client, DevTools and the tab's session.
async fn watched_for_csp(
    driver: &ChromeDriver,
    size: (u32, u32),
) -> (Client, phananh_tests::cdp::Cdp, String) {
    let (client, cdp) = driver.session_with_devtools(size).await;
    let tab = cdp.page_session("").await;
    cdp.must(Some(&tab), "Page.enable", json!({})).await;
    cdp.must(Some(&tab), "Page.addScriptToEvaluateOnNewDocument", json!({ "source": RECORD_CSP_VIOLATIONS }))
        .await;
    cdp.must(Some(&tab), "Log.enable", json!({})).await;
    (client, cdp, tab)
}

/// The violations the tab recorded, and the console's messages about the policy.
async fn csp_violations(client: &Client, cdp: &phananh_tests::cdp::Cdp, tab: &str) -> Vec<String> {
    let recorded = js(client, "return sessionStorage.getItem('csp-violations') || '[]'", vec![]).await;
    let mut found: Vec<String> = serde_json::from_str(recorded.as_str().expect("text")).expect("a list");
    let console = cdp.drain_events(Some(tab), "Log.entryAdded");
    found.extend(
        console
            .iter()
            .filter_map(|e| e["entry"]["text"].as_str())
            .filter(|t| t.contains("Content Security Policy"))
            .map(|t| format!("console: {t}")),
    );
    found
}

#[test]
fn the_app_runs_under_its_content_security_policy_through_the_main_paths() {
    let tiles = TileServer::start();
    let template = tiles.template();
    let site = Site::new(&["--map-tiles", &template, "--map-attribution", ATTRIBUTION]);
    let server = site.start();
    let (ward, _) = ward_in_the_middle();
    StaffClient::create(&server, site.data.path(), "can-bo-phuong", "ward", Some(&ward));
    let page = reqwest::blocking::get(site.url("/")).expect("the page");
    let policy = page.headers()["content-security-policy"].to_str().expect("text").to_owned();
    assert!(policy.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-"), "{policy}");
    let driver = ChromeDriver::start();
    let rt = runtime();
    let resident = rt.block_on(async {
        // The resident: the map over street tiles, the worker, a report filed, their list and
        // the report's page.
        let (resident, cdp, tab) = watched_for_csp(&driver, PHONE).await;
        first_visit(&resident, &site).await;
        resident.refresh().await.expect("the page reloads under its worker");
        wait_for(&resident, ".map svg path.ward").await;
        drawn_tiles(&resident).await;
        fill_in_report(&resident, "roads", "Ổ gà sâu giữa đường, xe máy đi qua dễ ngã, cần vá gấp.", &[])
            .await;
        send(&resident).await;
        wait_for(&resident, "[data-testid=my-reports] .badge[data-status=Submitted]").await;
        click(&resident, "[data-testid=my-reports] a").await;
        wait_for(&resident, "[data-testid=report]").await;
        assert_eq!(csp_violations(&resident, &cdp, &tab).await, Vec::<String>::new(), "resident");

        // The ward officer: signing in, the live inbox, the report, an action.
        let (officer, cdp, tab) = watched_for_csp(&driver, phananh_tests::browser::DESK).await;
        phananh_tests::browser::sign_in(
            &officer,
            &site.url("/staff"),
            "can-bo-phuong",
            phananh_tests::STAFF_PASSWORD.trim_end(),
        )
        .await;
        wait_for(&officer, "table[data-testid=inbox]").await;
        wait_for(&officer, ".live.on").await;
        click(&officer, "table[data-testid=inbox] tr a").await;
        wait_for(&officer, "[data-testid=staff-report] .badge[data-status=Submitted]").await;
        click(&officer, ".actions .buttons button").await;
        wait_for(&officer, "[data-testid=staff-report] .badge[data-status=Acknowledged]").await;
        assert_eq!(csp_violations(&officer, &cdp, &tab).await, Vec::<String>::new(), "ward officer");
        // The watch sees a violation when there is one: an image from a host the policy omits.
        js(
            &officer,
            "const i = new Image(); i.src = 'http://blocked.invalid/x.png'; document.body.append(i)",
            vec![],
        )
        .await;
        wait_until(
            &officer,
            "the violation is recorded",
            "return (sessionStorage.getItem('csp-violations') || '').includes('blocked.invalid')",
        )
        .await;
        officer.close().await.expect("the browser closes");
        resident
    });
    // The resident's page opens offline from its worker, under the same policy.
    server.kill();
    rt.block_on(async {
        resident.goto(&site.url("/")).await.expect("the page opens offline");
        wait_for(&resident, "#description").await;
        wait_for(&resident, ".map svg path.ward").await;
        let recorded = js(&resident, "return sessionStorage.getItem('csp-violations') || '[]'", vec![]).await;
        assert_eq!(recorded, "[]", "offline");
        resident.close().await.expect("the browser closes");
    });
}

/// Issue 22: a report over the device's filing budget is neither lost nor shown as refused:
/// it waits in the outbox, saying why in the resident's language, and goes later.
#[test]
fn a_report_over_the_filing_budget_waits_and_the_resident_is_told_why() {
    let site = Site::new(&["--filing-burst", "1", "--filing-rate-per-hour", "1"]);
    let _server = site.start();
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let resident = phone_after_first_visit(&driver, &site).await;
        fill_in_report(&resident, "roads", "Ổ gà lớn giữa đường trước số 12, xe máy dễ ngã.", &[]).await;
        send(&resident).await;
        wait_for_arrivals(&site, 1);
        resident.goto(&site.url("/")).await.expect("the app opens");
        fill_in_report(&resident, "roads", "Ổ gà thứ hai ở đầu ngõ 5, nước đọng cả tuần.", &[]).await;
        send(&resident).await;
        let told = wait_for_text(&resident, "[data-testid=outbox] li.card p.waiting", |t| {
            t.contains("sẽ tự gửi sau")
        })
        .await;
        assert!(told.contains("thiết bị đã gửi nhiều phản ánh"), "{told:?}");
        let kept = outbox(&resident).await;
        assert_eq!(
            (kept.len(), kept[0]["held"].as_bool(), kept[0]["refused"].as_str()),
            (1, Some(true), None)
        );
        assert_eq!(count(&resident, "[data-testid=outbox] li.card.refused").await, 0);
        resident.close().await.expect("the browser closes");
    });
    assert_eq!(arrived(site.data.path()).len(), 1, "the second waits on the phone");
}
