//! The desktop app under test: a virtual screen (Xvfb), `tauri-driver` on a free port (it
//! starts Debian's WebKitWebDriver, which launches the app), and a WebDriver session per
//! launch of the app.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};

use crate::browser::PATIENCE;

/// The desktop app's binary, built by `make test` (its workspace test build makes it, since the
/// desktop crate has integration tests of its own).
pub fn desktop_binary() -> PathBuf {
    let binary = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/debug/phananh-desktop");
    assert!(binary.is_file(), "{} is not built: `make test` builds it", binary.display());
    binary.canonicalize().expect("an absolute path")
}

/// A virtual X screen, stopped on drop.
pub struct Xvfb {
    child: Child,
    pub display: String,
}

impl Xvfb {
    pub fn start() -> Xvfb {
        let number = (100..200)
            .find(|n| !Path::new(&format!("/tmp/.X{n}-lock")).exists())
            .expect("a free display number");
        let display = format!(":{number}");
        let child = Command::new("Xvfb")
            .args([display.as_str(), "-screen", "0", "1280x900x24", "-nolisten", "tcp"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb starts (Debian package xvfb; `make test` installs it)");
        let socket = format!("/tmp/.X11-unix/X{number}");
        wait_until(|| Path::new(&socket).exists(), "Xvfb's socket");
        Xvfb { child, display }
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `tauri-driver`, with the app's environment (its own folders, the server's address),
/// stopped on drop with everything it launched.
pub struct TauriDriver {
    child: Child,
    url: String,
    _screen: Xvfb,
    /// The app's data and config folders (`XDG_DATA_HOME`, `XDG_CONFIG_HOME`).
    pub home: tempfile::TempDir,
}

impl TauriDriver {
    /// Starts the driver for an app that will talk to `server` (it need not be up).
    pub fn start(server: &str) -> TauriDriver {
        let screen = Xvfb::start();
        let home = tempfile::tempdir().expect("a temporary directory");
        let (port, native_port) = (free_port(), free_port());
        let child = Command::new("tauri-driver")
            .args(["--port", &port, "--native-port", &native_port])
            .env("DISPLAY", &screen.display)
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("PHANANH_SERVER", server)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tauri-driver starts (`cargo install tauri-driver`; `make test` installs it)");
        let url = format!("http://127.0.0.1:{port}");
        // tauri-driver listens before the WebKitWebDriver it starts does, and a session asked
        // for in between is cut off: both must be up.
        for (port, what) in [(&port, "tauri-driver"), (&native_port, "WebKitWebDriver")] {
            wait_until(|| std::net::TcpStream::connect(format!("127.0.0.1:{port}")).is_ok(), what);
        }
        TauriDriver { child, url, _screen: screen, home }
    }

    /// Launches the app and connects to its window.
    pub async fn launch(&self) -> Client {
        let capabilities = serde_json::json!({
            "browserName": "wry",
            "tauri:options": { "application": desktop_binary() },
        });
        let serde_json::Value::Object(capabilities) = capabilities else { unreachable!("an object") };
        ClientBuilder::rustls()
            .expect("TLS roots")
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .expect("tauri-driver launches the desktop app")
    }

    /// Kills the running app as a crash or a power cut would (SIGKILL, no goodbye): the
    /// app's processes are the ones whose environment names this driver's folders.
    pub fn kill_app(&self) {
        let marker = format!("XDG_DATA_HOME={}", self.home.path().join("data").display());
        let binary = desktop_binary();
        let mut killed = 0;
        for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
            let path = entry.path();
            let is_app = std::fs::read_link(path.join("exe")).is_ok_and(|exe| exe == binary);
            let ours = std::fs::read(path.join("environ"))
                .is_ok_and(|env| env.split(|b| *b == 0).any(|var| var == marker.as_bytes()));
            if is_app && ours {
                let pid = entry.file_name().to_string_lossy().into_owned();
                let status = Command::new("kill").args(["-KILL", &pid]).status().expect("kill runs");
                assert!(status.success(), "kill -KILL {pid}");
                killed += 1;
            }
        }
        assert_eq!(killed, 1, "exactly one desktop app was running");
    }
}

impl Drop for TauriDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> String {
    crate::free_address().rsplit(':').next().expect("a port").to_owned()
}

fn wait_until(ready: impl Fn() -> bool, what: &str) {
    let deadline = Instant::now() + PATIENCE;
    while !ready() {
        assert!(Instant::now() < deadline, "{what} was not ready within {PATIENCE:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}
