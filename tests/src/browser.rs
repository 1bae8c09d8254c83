//! Headless Chromium for the browser tests and benchmarks: one `chromedriver` (Debian's
//! chromium-driver) on a free port, and a WebDriver session per person at the screen size
//! they would use.

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

/// How long a person would wait for something to show up before calling it broken.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// A phone (the resident) and a desk screen (staff).
pub const PHONE: (u32, u32) = (360, 800);
pub const DESK: (u32, u32) = (1280, 800);

/// The built web app the server serves (trunk's output, made by `make test`).
pub fn app_dist() -> PathBuf {
    let dist = Path::new(env!("CARGO_MANIFEST_DIR")).join("../app/dist");
    assert!(
        dist.join("index.html").is_file(),
        "the web app is not built at {}: `make test` builds it (trunk build --release in app/)",
        dist.display()
    );
    dist
}

/// The most a resident's phone may download for the app's page, gzipped (issue 6's target).
pub const RESIDENT_PAGE_MAX_GZIPPED: usize = 400_000;

/// What a browser downloads for a page: the script, wasm and style files it names, in bytes.
#[derive(Debug, Clone, Copy)]
pub struct Download {
    pub raw: usize,
    /// As the server sends it to a browser that takes gzip only.
    pub gzipped: usize,
    /// As the server sends it to one that takes brotli (every current browser).
    pub brotli: usize,
}

/// What a browser downloads for the page at `page_path`.
pub fn page_download(server: &crate::TestServer, page_path: &str) -> Download {
    let http = reqwest::blocking::Client::builder().no_gzip().build().expect("a client");
    let page = http.get(server.url(page_path)).send().and_then(|r| r.text()).expect("the page");
    // The page names each file more than once (preload, then load), its attributes quoted or
    // not (a minified page leaves the quotes out).
    let assets: std::collections::BTreeSet<&str> = page
        .split(['"', '\'', ' ', '=', '<', '>'])
        .filter(|part| [".wasm", ".js", ".css"].iter().any(|e| part.ends_with(e)))
        .collect();
    assert!(assets.iter().any(|a| a.ends_with(".wasm")), "the page loads a wasm module: {page}");
    let size = |encoding: &str| -> usize {
        assets
            .iter()
            .map(|asset| {
                let response = http
                    .get(server.url(asset))
                    .header("accept-encoding", encoding)
                    .send()
                    .expect("the asset");
                assert!(response.status().is_success(), "{asset}: {}", response.status());
                response.bytes().expect("its bytes").len()
            })
            .sum()
    };
    Download { raw: size("identity"), gzipped: size("gzip"), brotli: size("br") }
}

/// A running chromedriver, stopped on drop with every browser it started, even those of a
/// test that panicked before closing its session.
pub struct ChromeDriver {
    child: Child,
    pub url: String,
    profiles: tempfile::TempDir,
}

impl ChromeDriver {
    pub fn start() -> ChromeDriver {
        let binary = std::env::var("PHANANH_CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let port = crate::free_address().rsplit(':').next().expect("a port").to_owned();
        // A process group of its own, which the Chromium it starts joins: the drop ends them
        // all (killing chromedriver alone leaves its browsers running).
        let child = Command::new(&binary)
            .process_group(0)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("{binary} starts (Debian package chromium-driver; `make test` installs it): {e}")
            });
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + PATIENCE;
        while reqwest::blocking::get(format!("{url}/status")).map_or(true, |r| !r.status().is_success()) {
            assert!(Instant::now() < deadline, "chromedriver did not answer on {url} within {PATIENCE:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
        ChromeDriver { child, url, profiles: tempfile::tempdir().expect("a temporary directory") }
    }

    /// A new browser (its own profile: its own storage, like another person's phone) whose
    /// page is `size` CSS pixels (emulated, so a phone's 360 px is 360 px: a headless
    /// window cannot be made that narrow).
    pub async fn session(&self, size: (u32, u32)) -> Client {
        self.session_in_profile(size).await.0
    }

    /// As [`ChromeDriver::session`], with a DevTools connection to the same browser (see
    /// [`crate::cdp`]), for what WebDriver cannot do.
    pub async fn session_with_devtools(&self, size: (u32, u32)) -> (Client, crate::cdp::Cdp) {
        let (client, profile) = self.session_in_profile(size).await;
        (client, crate::cdp::Cdp::connect(&profile).await)
    }

    /// As [`ChromeDriver::session`], and the browser's profile directory (where Chromium
    /// writes `DevToolsActivePort`).
    pub async fn session_in_profile(&self, size: (u32, u32)) -> (Client, PathBuf) {
        let profile = tempfile::tempdir_in(self.profiles.path()).expect("a profile directory").keep();
        (self.session_on(size, &profile).await, profile)
    }

    /// As [`ChromeDriver::session_with_devtools`], with the browser's profile in `profile`
    /// (a [`SmallDisk`], for a phone whose storage is all but full).
    pub async fn session_with_devtools_on(
        &self,
        size: (u32, u32),
        profile: &Path,
    ) -> (Client, crate::cdp::Cdp) {
        let client = self.session_on(size, profile).await;
        (client, crate::cdp::Cdp::connect(profile).await)
    }

    async fn session_on(&self, (width, height): (u32, u32), profile: &Path) -> Client {
        let chromium = std::env::var("PHANANH_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let options = serde_json::json!({
            "binary": chromium,
            "mobileEmulation": {
                "deviceMetrics": { "width": width, "height": height, "pixelRatio": 1.0, "mobile": width < 600, "touch": false },
            },
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--lang=vi",
                format!("--window-size={width},{height}"),
                format!("--user-data-dir={}", profile.display()),
            ],
        });
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), "chrome".into());
        capabilities.insert("goog:chromeOptions".into(), options);
        ClientBuilder::rustls()
            .expect("TLS roots")
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .expect("chromedriver opens a Chromium session")
    }
}

/// A small disk of its own for a browser profile (a tmpfs, mounted for the test and
/// unmounted on drop), which a test fills as a phone's photos and other apps fill its
/// storage: the browser then fails to write as on a full phone. (Chromium's own
/// `Storage.overrideQuotaForOrigin` is accepted but not applied by the version this runs,
/// 156, and a site's quota does not follow the size of a small disk.)
pub struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    pub fn mount(megabytes: u32) -> SmallDisk {
        let dir = tempfile::tempdir().expect("a mount point");
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(dir.path())
            .status()
            .expect("mount runs");
        assert!(
            status.success(),
            "a {megabytes} MB tmpfs is mounted at {} (the tests run as root)",
            dir.path().display()
        );
        SmallDisk { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Fills the disk with a file of its own until `bytes` are left free.
    pub fn fill_leaving(&self, bytes: u64) {
        use std::io::Write as _;
        let path = self.dir.path().join("other-things");
        let mut filler = std::fs::File::create(&path).expect("a file on the small disk");
        let chunk = vec![0x5au8; 64 * 1024];
        let mut written = 0u64;
        // Until the disk refuses (tmpfs counts pages, so fill first, then give back).
        while filler.write_all(&chunk).is_ok() {
            written += chunk.len() as u64;
        }
        let _ = filler.flush();
        filler.set_len(written.saturating_sub(bytes)).expect("the filler is cut back");
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("--lazy").arg(self.dir.path()).status();
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        if let Ok(group) = libc::pid_t::try_from(self.child.id()) {
            // SAFETY: kill(2) on the process group this driver's child leads; the child is
            // not yet reaped, so the group's number is still ours.
            unsafe { libc::kill(-group, libc::SIGKILL) };
        }
        let _ = self.child.wait();
    }
}

/// Where screenshots go: `target/screenshots/`, kept as the run's artifacts.
pub fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    std::fs::create_dir_all(&dir).expect("the screenshot directory can be made");
    dir
}

/// Saves what `client` shows now as `target/screenshots/<name>.png`.
pub async fn screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.expect("a screenshot");
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).expect("the screenshot is saved");
}

/// The element `css` names, once it is on the page.
pub async fn wait_for(client: &Client, css: &str) -> fantoccini::elements::Element {
    match client.wait().at_most(PATIENCE).for_element(Locator::Css(css)).await {
        Ok(element) => element,
        Err(error) => {
            let url = client.current_url().await.map(|u| u.to_string()).unwrap_or_default();
            panic!("{css} did not appear on {url} within {PATIENCE:?}: {error}")
        }
    }
}

/// Waits until the text of `css` satisfies `ready`, and gives it.
pub async fn wait_for_text(client: &Client, css: &str, ready: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + PATIENCE;
    let mut last = String::new();
    while Instant::now() < deadline {
        if let Ok(element) = client.find(Locator::Css(css)).await
            && let Ok(text) = element.text().await
        {
            if ready(&text) {
                return text;
            }
            last = text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css} never showed the expected text within {PATIENCE:?}; it last said {last:?}")
}

/// Waits until `script` gives something other than `false`, `null`, `0` or `""` (an error
/// counts as "not yet"), and gives it.
pub async fn wait_until(client: &Client, what: &str, script: &str) -> serde_json::Value {
    use serde_json::Value;
    let deadline = Instant::now() + PATIENCE;
    let mut last;
    loop {
        match client.execute(script, vec![]).await {
            Ok(value) if !matches!(&value, Value::Null | Value::Bool(false)) && value != 0 && value != "" => {
                return value;
            }
            Ok(value) => last = value.to_string(),
            Err(error) => last = error.to_string(),
        }
        assert!(Instant::now() < deadline, "{what}: not within {PATIENCE:?}; last {last}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The drawn size (width, height in CSS pixels) of each element `css` names, once there are
/// at least `count` of them: what the eye sees, where the DOM alone could hold an element
/// that draws nothing.
pub async fn drawn_sizes(client: &Client, css: &str, count: usize) -> Vec<(f64, f64)> {
    let sizes = drawn_sizes_once(client, css, |sizes| sizes.len() >= count).await;
    assert!(sizes.len() >= count, "{count} of {css} did not appear within {PATIENCE:?}: {sizes:?}");
    sizes
}

/// The drawn sizes of the elements `css` names once `settled` holds of them, or as they are
/// drawn after waiting [`PATIENCE`] for it, for the caller to assert on: an element can be
/// drawn before its size settles (a map's pins, before the map knows its own size).
pub async fn drawn_sizes_once(
    client: &Client,
    css: &str,
    settled: impl Fn(&[(f64, f64)]) -> bool,
) -> Vec<(f64, f64)> {
    const SIZES: &str = "return [...document.querySelectorAll(arguments[0])]
        .map(e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; })";
    let deadline = Instant::now() + PATIENCE;
    loop {
        let sizes = client.execute(SIZES, vec![css.into()]).await.expect("script runs");
        let sizes: Vec<(f64, f64)> = serde_json::from_value(sizes).expect("pairs of numbers");
        if settled(&sizes) || Instant::now() > deadline {
            return sizes;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The colour (RGB) drawn at the centre of the first element `css` names, as the screen
/// shows it: an element can have a size and still be hidden under its own outline.
pub async fn colour_at_centre(client: &Client, css: &str) -> [u8; 3] {
    const CENTRE: &str = "const r = document.querySelector(arguments[0]).getBoundingClientRect();
        return [(r.left + r.width / 2) * devicePixelRatio, (r.top + r.height / 2) * devicePixelRatio]";
    wait_for(client, css).await;
    let centre = client.execute(CENTRE, vec![css.into()]).await.expect("script runs");
    let (x, y): (f64, f64) = serde_json::from_value(centre).expect("a point");
    let png = client.screenshot().await.expect("a screenshot");
    let shot = image::load_from_memory(&png).expect("a PNG").to_rgb8();
    shot.get_pixel(x as u32, y as u32).0
}

/// How wide the page is, in CSS pixels: wider than the window, it scrolls sideways.
pub async fn page_width(client: &Client) -> f64 {
    let width = client.execute("return document.documentElement.scrollWidth", vec![]).await.expect("runs");
    width.as_f64().expect("a number")
}

/// Types `text` into the field `css` names.
pub async fn type_into(client: &Client, css: &str, text: &str) {
    let field = wait_for(client, css).await;
    field.send_keys(text).await.unwrap_or_else(|e| panic!("cannot type into {css}: {e}"));
}

/// Clicks what `css` names, once it is on the page.
pub async fn click(client: &Client, css: &str) {
    let element = wait_for(client, css).await;
    element.click().await.unwrap_or_else(|e| panic!("cannot click {css}: {e}"));
}

/// Signs in on the form at `url` (the staff and city pages show it to a stranger).
pub async fn sign_in(client: &Client, url: &str, username: &str, password: &str) {
    client.goto(url).await.expect("the page opens");
    type_into(client, "#username", username).await;
    type_into(client, "#password", password).await;
    click(client, "form.signin button[type=submit]").await;
}

/// The ward the app will name for a tap in the middle of the city map (the map opens on
/// the whole city, and a click lands in the middle of it): its code and name.
pub fn ward_in_the_middle() -> (String, String) {
    let wards = crate::hanoi_wards();
    let centre = wards.bounds().center();
    let ward =
        wards.locate(centre.x, centre.y).expect("the middle of Hà Nội's bounding box is in a ward").ward;
    (ward.code.clone(), ward.name.clone())
}

/// Fills in the file screen as a resident would: a `category`, a `description`, the photos
/// at `photos` (waiting until each is made fit for a phone) and a tap in the middle of the
/// map. Gives what the screen then says of the ward that will handle it, once it names the
/// ward in the middle (in the screen's language).
pub async fn fill_in_report(
    client: &Client,
    category: &str,
    description: &str,
    photos: &[PathBuf],
) -> String {
    wait_for(client, "#category").await.select_by_value(category).await.expect("a category");
    type_into(client, "#description", description).await;
    if !photos.is_empty() {
        let paths: Vec<&str> = photos.iter().map(|p| p.to_str().expect("UTF-8")).collect();
        type_into(client, "#photos", &paths.join("\n")).await;
        let ready = format!(
            "return document.querySelectorAll('.thumbs li[data-after] img').length === {}",
            photos.len()
        );
        wait_until(client, "every photo is made fit for a phone", &ready).await;
    }
    wait_for(client, ".map svg path.ward").await;
    click(client, ".map svg").await;
    let (code, _) = ward_in_the_middle();
    let wards = crate::hanoi_wards();
    let ward = wards.ward(&code).expect("the ward in the middle");
    let names = [Some(&ward.name), ward.name_en.as_ref()];
    wait_for_text(client, "[data-testid=ward]", |said| {
        names.iter().flatten().any(|name| said.contains(name.as_str()))
    })
    .await
}
