//! The engine the end-to-end tests' servers run on: SQLite in their data directory (the
//! default), or PostgreSQL with `PHANANH_TEST_ENGINE=postgres`: then one throwaway cluster
//! serves the test process, and each data directory gets a database of its own, which its
//! server and every command run on that directory use (a restarted server finds its data).

use std::path::Path;
use std::sync::OnceLock;

use crate::postgres::Postgres;

/// The variable that chooses the engine: `sqlite` (or unset) or `postgres`.
pub const ENGINE_VARIABLE: &str = "PHANANH_TEST_ENGINE";

/// The cluster of the test process, started when the first data directory asks for it.
static CLUSTER: OnceLock<Postgres> = OnceLock::new();

/// The file in a data directory that names its PostgreSQL database.
const DATABASE_URL_FILE: &str = "database-url";

/// Whether the tests run on PostgreSQL.
pub fn on_postgres() -> bool {
    match std::env::var(ENGINE_VARIABLE).as_deref() {
        Ok("postgres") => true,
        Ok("sqlite") | Ok("") | Err(_) => false,
        Ok(other) => panic!("{ENGINE_VARIABLE}={other}: it is sqlite or postgres"),
    }
}

/// The PostgreSQL database of `data_dir`: the one it was given (see [`use_database`]), or
/// when the tests run on PostgreSQL one of its own, made the first time it is asked for.
pub fn database_url(data_dir: &Path) -> Option<String> {
    let file = data_dir.join(DATABASE_URL_FILE);
    if let Ok(url) = std::fs::read_to_string(&file) {
        return Some(url);
    }
    if !on_postgres() {
        return None;
    }
    let url = CLUSTER.get_or_init(|| Postgres::start(&["fsync=off", "max_connections=400"])).new_database();
    std::fs::create_dir_all(data_dir).expect("the data directory can be made");
    std::fs::write(&file, &url).expect("the database's URL is kept with its data directory");
    Some(url)
}

/// Runs the change `sql` (an `UPDATE`, `DELETE` or `INSERT` both engines read alike) on the
/// database of `data_dir`, as a hand edit would, for tests that bring about what time passing
/// would: how many rows it changed.
pub fn execute(data_dir: &Path, sql: &str) -> usize {
    match database_url(data_dir) {
        Some(url) => {
            let (_, name) = url.rsplit_once('/').expect("a database URL ends with its name");
            let cluster = CLUSTER.get().expect("the cluster of this database");
            let counted = cluster
                .psql(name, &format!("WITH changed AS ({sql} RETURNING 1) SELECT count(*) FROM changed;"));
            counted.trim().parse().expect("psql prints the count")
        }
        None => {
            let db = rusqlite::Connection::open(data_dir.join("phananh.db")).expect("the server's database");
            db.busy_timeout(std::time::Duration::from_secs(5)).expect("a busy timeout");
            db.execute(sql, []).expect("the edit runs")
        }
    }
}

/// Gives `data_dir` the database at `url`: its server and every command run on it use that
/// database (the nodes of a cluster, each with a data directory of its own).
pub fn use_database(data_dir: &Path, url: &str) {
    std::fs::write(data_dir.join(DATABASE_URL_FILE), url)
        .expect("the database's URL is kept with its data directory");
}

/// The nodes of a cluster: servers on one database, each with a data directory of its own
/// (kept as long as the nodes).
pub struct Nodes {
    pub nodes: Vec<crate::TestServer>,
    pub dirs: Vec<tempfile::TempDir>,
}

impl Nodes {
    /// Starts `count` nodes on the database at `url`, with the servers' arguments `args`.
    pub fn start(url: &str, count: usize, args: &[&str]) -> Nodes {
        let dirs: Vec<_> = (0..count).map(|_| tempfile::tempdir().expect("a data directory")).collect();
        let nodes = dirs
            .iter()
            .map(|dir| {
                use_database(dir.path(), url);
                crate::TestServer::start_in(dir.path(), args)
            })
            .collect();
        Nodes { nodes, dirs }
    }

    /// The nodes, as the servers they are.
    pub fn servers(&self) -> Vec<&crate::TestServer> {
        self.nodes.iter().collect()
    }
}
