//! The harness for phananh's end-to-end tests and benchmarks: it builds the real server
//! binary, starts it on a free port with a temporary data directory, and stops it when the
//! test ends, so tests talk to the server exactly as apps and scripts do.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::Duration;

/// How long a server may take to load its boundaries and start listening.
const START_DEADLINE: Duration = Duration::from_secs(60);

/// The `phananh-server` binary, built once per test process in the profile the tests use.
pub fn server_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let build = escargot::CargoBuild::new().package("phananh-server").bin("phananh-server");
        let build = if cfg!(debug_assertions) { build } else { build.release() };
        build
            .run()
            .expect("phananh-server builds (run `cargo build -p phananh-server` for the compiler errors)")
            .path()
            .to_owned()
    })
}

/// A file of the reference data folder beside the repository (`../shared/data`), or of
/// `PHANANH_REFERENCE_DATA` when set.
pub fn reference_file(name: &str) -> PathBuf {
    let dir = std::env::var_os("PHANANH_REFERENCE_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data").into());
    dir.join(name)
}

/// A running `phananh-server serve`, killed on drop.
pub struct TestServer {
    child: Child,
    base: String,
    data_dir: tempfile::TempDir,
}

impl TestServer {
    /// Starts a server with the Hà Nội boundaries on a free loopback port.
    pub fn start() -> TestServer {
        TestServer::start_with(&[])
    }

    /// Starts a server with extra command-line arguments.
    pub fn start_with(args: &[&str]) -> TestServer {
        let data_dir = tempfile::tempdir().expect("a temporary directory");
        // The server's log goes to a file, not a pipe nobody drains (a full pipe would stall
        // the server mid-test); a failed start shows it.
        let log_path = data_dir.path().join("server.log");
        let log = std::fs::File::create(&log_path).expect("a log file");
        let mut child = Command::new(server_binary())
            .arg("serve")
            .args(["--addr", "127.0.0.1:0"])
            .arg("--data-dir")
            .arg(data_dir.path())
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
        match rx.recv_timeout(START_DEADLINE) {
            Ok(base) => TestServer { child, base, data_dir },
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                panic!("the server exited or did not listen within {START_DEADLINE:?}; its log:\n{log}");
            }
        }
    }

    /// The absolute URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
