//! A TCP proxy that stands between a client and the server and breaks exchanges on a seeded
//! random schedule, as a flaky mobile link would: connections refused, requests dropped
//! before they reach the server, answers lost after the server applied the request, answers
//! cut short, and delays. It also counts the bytes that pass each way.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;

/// What happens to one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Passed through untouched.
    None,
    /// Closed as soon as it is accepted.
    Refuse,
    /// The request's first bytes are read and dropped; the server never sees it.
    DropRequest,
    /// The request reaches the server; the connection closes as the answer comes back.
    DropAnswer,
    /// Half of the answer's first bytes reach the client, then the connection closes.
    TruncateAnswer,
    /// Passed through after a pause.
    Delay(Duration),
}

impl Fault {
    /// Whether the exchange fails (a delay does not).
    pub fn breaks(self) -> bool {
        !matches!(self, Fault::None | Fault::Delay(_))
    }
}

/// The schedule: a seed, and the share of connections given a fault (chosen evenly among the
/// five kinds, so four fifths of them break).
#[derive(Debug, Clone, Copy)]
pub struct Faults {
    pub seed: u64,
    pub share: f64,
}

impl Faults {
    /// No faults: a byte-counting pass-through.
    pub const NONE: Faults = Faults { seed: 0, share: 0.0 };
}

/// What passed through the proxy.
#[derive(Debug, Default)]
pub struct Counts {
    /// Requests and their answers: a new exchange starts when the client sends after the
    /// server has answered (HTTP/1.1 clients do not pipeline).
    pub exchanges: AtomicU64,
    pub broken: AtomicU64,
    pub bytes_up: AtomicU64,
    pub bytes_down: AtomicU64,
}

/// A running proxy, stopped on drop.
pub struct FaultyProxy {
    pub addr: String,
    pub counts: Arc<Counts>,
    schedule: Arc<Schedule>,
    runtime: Option<tokio::runtime::Runtime>,
}

/// The seeded choice of fault for each exchange.
struct Schedule {
    rng: Mutex<StdRng>,
    /// The share of exchanges given a fault, as `f64` bits (it can change while running).
    share: AtomicU64,
    counts: Arc<Counts>,
}

impl Schedule {
    async fn next(&self) -> Fault {
        let mut rng = self.rng.lock().await;
        let share = f64::from_bits(self.share.load(Ordering::Relaxed));
        let fault = if rng.random_bool(share) {
            match rng.random_range(0..5) {
                0 => Fault::Refuse,
                1 => Fault::DropRequest,
                2 => Fault::DropAnswer,
                3 => Fault::TruncateAnswer,
                _ => Fault::Delay(Duration::from_millis(rng.random_range(20..300))),
            }
        } else {
            Fault::None
        };
        self.counts.exchanges.fetch_add(1, Ordering::Relaxed);
        self.counts.broken.fetch_add(u64::from(fault.breaks()), Ordering::Relaxed);
        fault
    }
}

impl FaultyProxy {
    /// Listens on a free loopback port and forwards to `target` (`host:port`).
    pub fn start(target: &str, faults: Faults) -> FaultyProxy {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).expect("a free port");
        let addr = listener.local_addr().expect("bound").to_string();
        let counts = Arc::new(Counts::default());
        let schedule = Arc::new(Schedule {
            rng: Mutex::new(StdRng::seed_from_u64(faults.seed)),
            share: AtomicU64::new(faults.share.to_bits()),
            counts: Arc::clone(&counts),
        });
        let shared = Arc::clone(&schedule);
        let target = target.to_owned();
        runtime.spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(relay(client, target.clone(), Arc::clone(&schedule)));
            }
        });
        FaultyProxy { addr, counts, schedule: shared, runtime: Some(runtime) }
    }

    /// Changes the share of exchanges given a fault from now on (1.0: the link is down).
    pub fn set_share(&self, share: f64) {
        self.schedule.share.store(share.to_bits(), Ordering::Relaxed);
    }

    /// `http://` and the proxy's address.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for FaultyProxy {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Carries one connection to `target`, each exchange on it given its fault by `schedule`.
async fn relay(mut client: TcpStream, target: String, schedule: Arc<Schedule>) {
    let Ok(mut server) = TcpStream::connect(&target).await else { return };
    let counts = Arc::clone(&schedule.counts);
    let (mut from_client, mut from_server) = (vec![0u8; 16 * 1024], vec![0u8; 16 * 1024]);
    // The fault of the exchange under way, `None` between exchanges.
    let mut exchange: Option<Fault> = None;
    let mut answering = false;
    loop {
        tokio::select! {
            read = client.read(&mut from_client) => {
                let Ok(n @ 1..) = read else { return };
                if exchange.is_none() || answering {
                    answering = false;
                    let fault = schedule.next().await;
                    match fault {
                        Fault::Refuse | Fault::DropRequest => return,
                        Fault::Delay(pause) => tokio::time::sleep(pause).await,
                        Fault::None | Fault::DropAnswer | Fault::TruncateAnswer => {}
                    }
                    exchange = Some(fault);
                }
                counts.bytes_up.fetch_add(n as u64, Ordering::Relaxed);
                if server.write_all(&from_client[..n]).await.is_err() {
                    return;
                }
            }
            read = server.read(&mut from_server) => {
                let Ok(n @ 1..) = read else { return };
                let first = !answering;
                answering = true;
                let passed = match (exchange, first) {
                    (Some(Fault::DropAnswer), true) => return,
                    (Some(Fault::TruncateAnswer), true) => n / 2,
                    _ => n,
                };
                counts.bytes_down.fetch_add(passed as u64, Ordering::Relaxed);
                if client.write_all(&from_server[..passed]).await.is_err() || passed < n {
                    return;
                }
            }
        }
    }
}
