//! The harness for phananh's end-to-end tests and benchmarks: it builds the real server
//! binary, starts it on a free port with a temporary data directory, and stops it when the
//! test ends, so tests talk to the server exactly as apps and scripts do.

#[cfg(feature = "browser")]
pub mod browser;
pub mod cdp;
#[cfg(feature = "browser")]
pub mod desktop;
pub mod engine;
mod live;
pub mod phone_photo;
pub mod postgres;
mod proxy;
mod reaper;
mod staff;
pub mod tiles;

pub use live::{LiveClient, Refused};
pub use proxy::{Counts, Fault, Faults, FaultyProxy};
pub use staff::{STAFF_PASSWORD, StaffClient, create_staff};

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::Duration;

/// How long a server may take to load its boundaries and start listening.
const START_DEADLINE: Duration = Duration::from_secs(60);

/// The `phananh-server` binary: the one named by `PHANANH_SERVER_BIN` (`make test` builds it
/// in the same cargo run as the tests, with the same features, so nothing is compiled twice),
/// or else built here once per test process in the profile the tests use.
pub fn server_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        if let Some(built) = std::env::var_os("PHANANH_SERVER_BIN") {
            return PathBuf::from(built);
        }
        let build = escargot::CargoBuild::new().package("phananh-server").bin("phananh-server");
        let build = if cfg!(debug_assertions) { build } else { build.release() };
        build
            .run()
            .expect("phananh-server builds (run `cargo build -p phananh-server` for the compiler errors)")
            .path()
            .to_owned()
    })
}

/// Runs `phananh-server` with `args`, `stdin` piped in, and waits for it.
pub fn run_server(args: &[&str], stdin: &str) -> std::process::Output {
    use std::io::Write;
    let data_dir = args.iter().skip_while(|arg| **arg != "--data-dir").nth(1);
    let database_url = data_dir.and_then(|dir| engine::database_url(Path::new(dir)));
    let mut child = Command::new(server_binary())
        .args(args)
        .envs(database_url.map(|url| ("PHANANH_DATABASE_URL", url)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the server binary starts");
    child.stdin.take().expect("piped").write_all(stdin.as_bytes()).expect("stdin is open");
    child.wait_with_output().expect("it ends")
}

/// A file of the reference data folder beside the repository (`../shared/data`), or of
/// `PHANANH_REFERENCE_DATA` when set.
pub fn reference_file(name: &str) -> PathBuf {
    let dir = std::env::var_os("PHANANH_REFERENCE_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data").into());
    dir.join(name)
}

/// Server arguments that raise every rate limit out of the way, for tests and benchmarks
/// whose clients file as fast as they can from one address (the limiter stays in the request
/// path, so its cost is still measured), and the caps on connections and live streams, for
/// those that open thousands from one address.
pub const NO_RATE_LIMITS: &[&str] = &[
    "--max-connections-per-address",
    "1000000",
    "--max-streams-per-address",
    "1000000",
    "--max-streams-per-device",
    "1000000",
    "--max-streams-per-session",
    "1000000",
    "--rate-per-second",
    "1000000",
    "--rate-burst",
    "1000000",
    "--address-rate-per-second",
    "1000000",
    "--address-burst",
    "1000000",
    "--register-rate-per-minute",
    "1000000",
    "--register-burst",
    "1000000",
    "--filing-rate-per-hour",
    "1000000",
    "--filing-burst",
    "1000000",
];

/// Issues an Open311 API key for client `name` with `phananh-server create-api-key`, as an
/// administrator would, on the data directory of a (running or stopped) server.
pub fn create_api_key(data_dir: &Path, name: &str) -> String {
    let data_dir = data_dir.to_str().expect("a UTF-8 path");
    let issued = run_server(&["create-api-key", "--name", name, "--data-dir", data_dir], "");
    assert!(issued.status.success(), "{}", String::from_utf8_lossy(&issued.stderr));
    String::from_utf8(issued.stdout).expect("UTF-8").trim().to_owned()
}

/// A loopback address with a port nobody listens on now, for a server to start on later.
pub fn free_address() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("bound").to_string()
}

/// A random point of the city drawn from `rng`: uniform in the boundaries' bounding box,
/// drawn again until it is in a ward (by the offline index).
pub fn point_in_a_ward(rng: &mut rand::rngs::StdRng) -> (f64, f64) {
    use rand::RngExt;
    let wards = hanoi_wards();
    let bounds = wards.bounds();
    loop {
        let point = (
            rng.random_range(bounds.min().x..bounds.max().x),
            rng.random_range(bounds.min().y..bounds.max().y),
        );
        if wards.locate(point.0, point.1).is_some() {
            return point;
        }
    }
}

/// The 2025 Hà Nội ward index, loaded once per test process: what a device carries offline.
pub fn hanoi_wards() -> std::sync::Arc<phananh_shared::wards::WardIndex> {
    static WARDS: OnceLock<std::sync::Arc<phananh_shared::wards::WardIndex>> = OnceLock::new();
    WARDS
        .get_or_init(|| {
            let text = std::fs::read_to_string(reference_file("hanoi_wards_2025.geojson"))
                .expect("the reference data");
            let validity = phananh_shared::wards::Validity::since(
                chrono::NaiveDate::from_ymd_opt(2025, 7, 1).expect("a date"),
            );
            std::sync::Arc::new(
                phananh_shared::wards::WardIndex::from_geojson(&text, validity).expect("valid boundaries"),
            )
        })
        .clone()
}

/// A running `phananh-server serve`, killed on drop.
pub struct TestServer {
    child: Child,
    base: String,
    log: PathBuf,
    data_dir: PathBuf,
    /// Kept so the directory lives as long as the server, when the server made it.
    _temporary: Option<tempfile::TempDir>,
}

impl TestServer {
    /// Starts a server with the Hà Nội boundaries on a free loopback port, with a new data
    /// directory of its own.
    pub fn start() -> TestServer {
        TestServer::start_with(&[])
    }

    /// Starts a server with extra command-line arguments.
    pub fn start_with(args: &[&str]) -> TestServer {
        let temporary = tempfile::tempdir().expect("a temporary directory");
        let data_dir = temporary.path().to_owned();
        TestServer::spawn(&data_dir, "127.0.0.1:0", args, Some(temporary))
    }

    /// Starts a server on an existing data directory (to restart one).
    pub fn start_in(data_dir: &Path, args: &[&str]) -> TestServer {
        TestServer::start_at(data_dir, "127.0.0.1:0", args)
    }

    /// Starts a server listening on `addr` (see [`free_address`]): for clients that were
    /// told where the server is before it came up.
    pub fn start_at(data_dir: &Path, addr: &str, args: &[&str]) -> TestServer {
        TestServer::spawn(data_dir, addr, args, None)
    }

    /// Starts a server on `data_dir`, which is `temporary` when the server owns it.
    fn spawn(data_dir: &Path, addr: &str, args: &[&str], temporary: Option<tempfile::TempDir>) -> TestServer {
        // The server's log goes to a file, not a pipe nobody drains (a full pipe would stall
        // the server mid-test); a failed start shows it.
        let log_path = data_dir.join("server.log");
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&log_path).expect("a log file");
        let database_url = engine::database_url(data_dir);
        let mut child = Command::new(server_binary())
            .arg("serve")
            .args(["--addr", addr])
            .arg("--data-dir")
            .arg(data_dir)
            .envs(database_url.map(|url| ("PHANANH_DATABASE_URL", url)))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("the server binary starts");
        // The server prints its address on stdout once it listens; read it on a thread so a
        // server that hangs fails the test at the deadline instead of blocking it.
        let stdout = child.stdout.take().expect("piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("listening on ") {
                    let _ = tx.send(addr.to_owned());
                }
            }
        });
        reaper::register(child.id(), temporary.as_ref().map(|dir| dir.path().to_owned()));
        match rx.recv_timeout(START_DEADLINE) {
            Ok(base) => TestServer {
                child,
                base,
                log: log_path,
                data_dir: data_dir.to_owned(),
                _temporary: temporary,
            },
            Err(_) => {
                let _ = child.kill();
                reaper::forget(child.id());
                let _ = child.wait();
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                panic!("the server exited or did not listen within {START_DEADLINE:?}; its log:\n{log}");
            }
        }
    }

    /// The server's data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The absolute URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Moves the clock of a server started with `--manual-clock` to `now` (RFC 3339).
    pub fn set_clock(&self, now: &str) -> reqwest::blocking::Response {
        reqwest::blocking::Client::new()
            .put(self.url("/api/v1/test/clock"))
            .json(&serde_json::json!({ "now": now }))
            .send()
            .expect("the server answers")
    }

    /// The server's process id (to read its memory use, say).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The code of the ward holding (`lon`, `lat`), as the server locates it.
    pub fn ward_at(&self, (lon, lat): (f64, f64)) -> String {
        let url = self.url(&format!("/api/v1/wards/locate?lon={lon}&lat={lat}"));
        let found: serde_json::Value =
            reqwest::blocking::get(url).and_then(|r| r.json()).expect("the server locates the point");
        found["code"].as_str().expect("a ward code").to_owned()
    }

    /// What the server has logged so far (its stderr).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Kills the server with SIGKILL, as a crash or a power cut would, and waits for it.
    pub fn kill(mut self) {
        self.child.kill().expect("the server can be killed");
        reaper::forget(self.child.id());
        self.child.wait().expect("the server is reaped");
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        reaper::forget(self.child.id());
        let _ = self.child.wait();
    }
}

/// A client that talks to a test server as a resident's device: registered, with its token.
pub struct ResidentDevice {
    pub id: String,
    pub token: String,
    client: reqwest::blocking::Client,
    base: String,
}

impl ResidentDevice {
    /// Registers a new device (with a name and phone, to check they never leak).
    pub fn register(server: &TestServer) -> ResidentDevice {
        let client = reqwest::blocking::Client::new();
        let response = client
            .post(server.url("/api/v1/devices"))
            .json(&serde_json::json!({ "name": "Nguyễn Thị Lan", "phone": "0912 345 678" }))
            .send()
            .expect("the server answers");
        assert_eq!(response.status(), reqwest::StatusCode::CREATED);
        let created: serde_json::Value = response.json().expect("JSON");
        ResidentDevice {
            id: created["device_id"].as_str().expect("an id").to_owned(),
            token: created["token"].as_str().expect("a token").to_owned(),
            client,
            base: server.url(""),
        }
    }

    /// A device already registered (on this server or on an earlier run of it).
    pub fn with_token(server: &TestServer, id: &str, token: &str) -> ResidentDevice {
        ResidentDevice {
            id: id.to_owned(),
            token: token.to_owned(),
            client: reqwest::blocking::Client::new(),
            base: server.url(""),
        }
    }

    /// Files `report` (a JSON body): the answer as sent by the server.
    pub fn file(&self, report: &serde_json::Value) -> reqwest::Result<reqwest::blocking::Response> {
        self.client.post(format!("{}/api/v1/reports", self.base)).bearer_auth(&self.token).json(report).send()
    }

    /// Uploads `photo` (an image's bytes) with this device's token: the server's answer.
    pub fn upload_photo(&self, photo: Vec<u8>) -> reqwest::blocking::Response {
        self.client
            .post(format!("{}/api/v1/photos", self.base))
            .bearer_auth(&self.token)
            .body(photo)
            .send()
            .expect("the server answers")
    }

    /// POSTs `body` (JSON) to `path` with this device's token.
    pub fn post(&self, path: &str, body: &serde_json::Value) -> reqwest::blocking::Response {
        self.client
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .expect("the server answers")
    }

    /// GETs `path` with this device's token.
    pub fn get(&self, path: &str) -> reqwest::blocking::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .expect("the server answers")
    }
}

/// Landmarks whose wards the tests know: Hoàn Kiếm lake (ward 00070, Phường Hoàn Kiếm) and
/// the Temple of Literature (Văn Miếu, in a neighbouring ward).
pub const HOAN_KIEM: (f64, f64) = (105.8525, 21.0288);
pub const VAN_MIEU: (f64, f64) = (105.8355, 21.0293);

/// A resident's device running the client engine, with a database of its own that is
/// removed with it. It derefs to the [`Engine`](phananh_shared::client::Engine).
pub struct TestDevice {
    pub engine: phananh_shared::client::Engine,
    _dir: tempfile::TempDir,
}

impl TestDevice {
    /// A new device that talks to `server` (`http://host:port`), carrying the Hà Nội wards.
    pub fn open(server: &str) -> TestDevice {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let engine =
            phananh_shared::client::Engine::open(&dir.path().join("device.db"), server, hanoi_wards())
                .expect("the device database opens");
        TestDevice { engine, _dir: dir }
    }
}

impl std::ops::Deref for TestDevice {
    type Target = phananh_shared::client::Engine;

    fn deref(&self) -> &Self::Target {
        &self.engine
    }
}

/// A noise report (resolved without an "after" photo) at (`lon`, `lat`), as the engine takes
/// it.
pub fn noise_report(lon: f64, lat: f64) -> phananh_shared::report::NewReport {
    let mut report: phananh_shared::report::NewReport =
        serde_json::from_value(report_at(lon, lat)).expect("a valid report");
    report.category = phananh_shared::report::Category::Noise;
    report
}

/// A small JPEG (64×48), as a phone's camera gives a photo, for uploads.
pub fn small_jpeg() -> Vec<u8> {
    let picture = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([(x * 4) as u8, (y * 5) as u8, 90]));
    let mut bytes = Vec::new();
    picture
        .write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Jpeg)
        .expect("a JPEG encodes");
    bytes
}

/// A valid new report at (`lon`, `lat`) with a fresh id.
pub fn report_at(lon: f64, lat: f64) -> serde_json::Value {
    serde_json::json!({
        "id": uuid::Uuid::now_v7(),
        "category": "drainage",
        "priority": "normal",
        "description": "Cống trước số 12 bị tắc, nước tràn lên vỉa hè.",
        "location": { "lon": lon, "lat": lat, "accuracy_m": 8.0 },
    })
}
