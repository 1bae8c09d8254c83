//! A throwaway PostgreSQL cluster (Debian's packages) for tests and benchmarks: made by
//! `initdb` in a temporary directory under `target/`, its server a child of the test
//! process on a free loopback port, ended when dropped or when the test process exits.
//! Run as root, the server runs as the `postgres` user, as it insists.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::reaper;

/// How long the server may take to accept connections after it is started.
const START_DEADLINE: Duration = Duration::from_secs(60);

/// A PostgreSQL cluster and its running server.
pub struct Postgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    /// The `postgres` user's uid and gid, when the tests run as root.
    user: Option<(u32, u32)>,
    settings: Vec<String>,
    server: Mutex<Option<Child>>,
}

impl Postgres {
    /// A new cluster with its server started, tuned with `settings` (`name=value`, as
    /// `postgres -c` takes them). Panics, saying how to install it, if PostgreSQL is missing.
    pub fn start(settings: &[&str]) -> Postgres {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()
            .and_then(|versions| {
                versions
                    .filter_map(|v| Some(v.ok()?.path().join("bin")))
                    .find(|bin| bin.join("initdb").exists())
            })
            .expect("PostgreSQL is installed (`make test` installs Debian's postgresql-15)");
        let under = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/tmp");
        std::fs::create_dir_all(&under).expect("target/tmp can be made");
        let dir =
            tempfile::Builder::new().prefix("postgres-").tempdir_in(&under).expect("a temporary directory");
        let user = postgres_user();
        if let Some((uid, gid)) = user {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))
                .expect("the cluster's directory is given to postgres");
        }
        let port = crate::free_address().rsplit_once(':').expect("host:port").1.parse().expect("a port");
        let settings = settings.iter().map(|s| s.to_string()).collect();
        let cluster = Postgres { dir, bin, port, user, settings, server: Mutex::new(None) };
        let data = cluster.data();
        let output = cluster
            .command("initdb")
            .args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync", "-D"])
            .arg(&data)
            .output()
            .expect("initdb runs");
        assert!(output.status.success(), "initdb: {}", String::from_utf8_lossy(&output.stderr));
        cluster.start_server();
        cluster
    }

    /// The URL of a new, empty database of this cluster.
    pub fn new_database(&self) -> String {
        static NUMBER: AtomicU32 = AtomicU32::new(0);
        let name = format!("phananh_{}", NUMBER.fetch_add(1, Ordering::Relaxed));
        self.psql("postgres", &format!("CREATE DATABASE {name};"));
        self.url(&name)
    }

    /// The URL of the database `name`.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Runs `sql` (which may copy data in from the script itself) in the database `name`
    /// through psql, stopping at the first error; what it printed (unaligned, tuples only).
    pub fn psql(&self, name: &str, sql: &str) -> String {
        static SCRIPT: AtomicU32 = AtomicU32::new(0);
        let script = self.dir.path().join(format!("script-{}.sql", SCRIPT.fetch_add(1, Ordering::Relaxed)));
        std::fs::write(&script, sql).expect("the script is written");
        let output = Command::new(self.bin.join("psql"))
            .args(["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-U", "postgres"])
            .args(["-p", &self.port.to_string(), "-d", name, "-f"])
            .arg(&script)
            .output()
            .expect("psql runs");
        let _ = std::fs::remove_file(&script);
        assert!(output.status.success(), "psql: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).expect("psql prints UTF-8")
    }

    /// Restarts the server as `pg_ctl restart -m fast` would: the connections of every
    /// client are ended, the server stops cleanly and starts again on the same port.
    pub fn restart(&self) {
        self.stop_server(libc::SIGINT);
        self.start_server();
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// One of the cluster's programs, to run as `postgres` when we are root.
    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(self.bin.join(program));
        if let Some((uid, gid)) = self.user {
            use std::os::unix::process::CommandExt;
            command.uid(uid).gid(gid);
        }
        command.current_dir(self.dir.path());
        command
    }

    fn start_server(&self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("server.log"))
            .expect("the server's log opens");
        let mut command = self.command("postgres");
        command.arg("-D").arg(self.data()).args(["-p", &self.port.to_string(), "-k"]).arg(self.dir.path());
        for setting in
            ["listen_addresses=127.0.0.1"].iter().copied().chain(self.settings.iter().map(String::as_str))
        {
            command.args(["-c", setting]);
        }
        let child = command
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("the log is shared"))
            .stderr(log)
            .spawn()
            .expect("postgres starts");
        reaper::register_ending(child.id(), libc::SIGQUIT, Some(self.dir.path().to_owned()));
        *self.server.lock().unwrap_or_else(PoisonError::into_inner) = Some(child);
        let deadline = Instant::now() + START_DEADLINE;
        while !self.ready() {
            let exited = match self.server.lock().unwrap_or_else(PoisonError::into_inner).as_mut() {
                Some(child) => child.try_wait().expect("the server can be asked").is_some(),
                None => true,
            };
            assert!(!exited, "PostgreSQL ended as it started: {}", self.log());
            assert!(Instant::now() < deadline, "PostgreSQL did not start: {}", self.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Ends the server with `signal` (SIGINT: fast shutdown; SIGQUIT: immediate) and waits.
    fn stop_server(&self, signal: libc::c_int) {
        if let Some(mut child) = self.server.lock().unwrap_or_else(PoisonError::into_inner).take() {
            reaper::forget(child.id());
            // SAFETY: kill(2) on our child, not yet reaped, so its pid is still its own.
            unsafe { libc::kill(child.id() as libc::pid_t, signal) };
            child.wait().expect("postgres ends");
        }
    }

    /// Whether the server accepts connections (`pg_isready`).
    fn ready(&self) -> bool {
        Command::new(self.bin.join("pg_isready"))
            .args(["-q", "-h", "127.0.0.1", "-p", &self.port.to_string()])
            .status()
            .is_ok_and(|status| status.success())
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop_server(libc::SIGQUIT);
    }
}

/// The `postgres` user's uid and gid if we are root (PostgreSQL refuses to run as root).
fn postgres_user() -> Option<(u32, u32)> {
    // SAFETY: getuid(2) cannot fail; getpwnam(3) returns null or a pointer to a static entry,
    // read at once, before anything else could call it again.
    unsafe {
        if libc::getuid() != 0 {
            return None;
        }
        let entry = libc::getpwnam(c"postgres".as_ptr());
        assert!(!entry.is_null(), "the `postgres` user exists (Debian's postgresql package makes it)");
        Some(((*entry).pw_uid, (*entry).pw_gid))
    }
}
