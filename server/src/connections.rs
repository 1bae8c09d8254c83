//! Accepting connections: each is served by hyper with a deadline for its request headers,
//! and a client address holds at most so many open at once.
//!
//! `axum::serve` sets neither: a connection that sent nothing stayed open for good, and a
//! thousand of them from one address took every open file the process had, so that nobody
//! else could connect. Here an idle or trickling connection is closed when its headers do not
//! arrive in time (hyper's header timer runs from when the connection waits for a request,
//! so it bounds an idle kept-alive connection too), a connection past the per-address cap is
//! closed as soon as it is accepted, and the whole stays below the open-file limit.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use ipnet::IpNet;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

use crate::http::network;

/// Open files kept for what is not a connection: the database and its journal, photos being
/// written, the log, the boundaries file.
const RESERVED_FILES: u64 = 128;

/// How often, at most, the refusals of one address (or of the whole server) are logged.
const TELL_EVERY: Duration = Duration::from_secs(60);

/// How the connections are served.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Time for a request's headers, from when the connection waits for them.
    pub header_read_timeout: Duration,
    /// Connections open at once from one address.
    pub per_address: usize,
    /// Addresses the per-address cap does not apply to: the trusted reverse proxies, which
    /// carry many clients' connections.
    pub proxies: Vec<IpNet>,
    /// Connections open at once in all: what the open-file limit leaves.
    pub total: usize,
}

impl Settings {
    /// The connections that fit in `open_files` (the limit in force), after the files the
    /// server needs for itself.
    pub fn total_for(open_files: u64) -> usize {
        usize::try_from(open_files.saturating_sub(RESERVED_FILES).max(1)).unwrap_or(usize::MAX)
    }
}

/// Raises the soft open-file limit to the hard limit, where the hard limit allows, and
/// returns the limit in force (logged, so an operator sees what the server runs with).
pub fn raise_open_file_limit() -> u64 {
    let before = rlimit::getrlimit(rlimit::Resource::NOFILE).map(|(soft, _)| soft).ok();
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => {
            tracing::info!(open_files = limit, before, "open-file limit");
            limit
        }
        Err(error) => {
            let limit = before.unwrap_or(1024);
            tracing::warn!(%error, open_files = limit, "cannot raise the open-file limit");
            limit
        }
    }
}

/// Serves `app` on the connections of `listener` until `shutdown` resolves, then lets the
/// requests in flight finish. Each request carries the peer's address as a
/// `ConnectInfo<SocketAddr>`, which the rate limits count by.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    settings: Settings,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let header_read_timeout = settings.header_read_timeout;
    let open = Arc::new(Open::new(settings));
    // Connections hold a receiver of `stop` each and drop it when they end: `stop.closed()`
    // is every connection gone.
    let (stop, stopping) = watch::channel(false);
    let mut shutdown = pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    accept_error(&error).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Over a cap: dropped here, closed before anything is read from it.
        let Some(counted) = open.admit(peer) else { continue };
        // Live messages are small writes, each wanted at once: without TCP_NODELAY, one
        // written while the last is unacknowledged waits for the peer's delayed ACK (up to
        // 40 ms on Linux).
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "cannot set TCP_NODELAY on a connection");
        }
        let place = Place { _counted: Arc::new(counted) };
        let held = place.clone();
        let service = app.clone().map_request(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            request.extensions_mut().insert(held.clone());
            request.map(Body::new)
        });
        let mut stopping = stopping.clone();
        tokio::spawn(async move {
            let _place = place;
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(TokioTimer::new()).header_read_timeout(header_read_timeout);
            let connection = http
                .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
                .with_upgrades();
            let mut connection = pin!(connection);
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(error) = result {
                        tracing::trace!(%error, "connection ended with an error");
                    }
                    return;
                }
                _ = stopping.wait_for(|stop| *stop) => {}
            }
            // Shutting down: the request in flight is answered, the connection then closed.
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        });
    }
    drop(listener);
    drop(stopping);
    let _ = stop.send(true);
    stop.closed().await;
    Ok(())
}

/// An error accepting a connection. The usual one under load is running out of open files
/// (the caps are meant to keep that from happening): wait a moment for some to close.
async fn accept_error(error: &io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(error.kind(), ConnectionAborted | ConnectionRefused | ConnectionReset) {
        return;
    }
    tracing::error!(%error, "cannot accept a connection");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// The connections open now, by address.
struct Open {
    settings: Settings,
    state: Mutex<OpenState>,
}

#[derive(Default)]
struct OpenState {
    total: usize,
    by_address: HashMap<IpAddr, Count>,
    /// Refusals for the total since they were last logged, and when that was.
    refused_total: Refusals,
}

#[derive(Default)]
struct Count {
    open: usize,
    refused: Refusals,
}

/// Refusals not yet logged, and when the last line about them was written.
#[derive(Default)]
struct Refusals {
    unlogged: u64,
    logged_at: Option<Instant>,
}

impl Refusals {
    /// Counts one; true when it is time to log them (the first, then at most every
    /// [`TELL_EVERY`]), with the count since the last line in `unlogged`.
    fn count(&mut self) -> bool {
        self.unlogged += 1;
        let due = self.logged_at.is_none_or(|at| at.elapsed() >= TELL_EVERY);
        if due {
            self.logged_at = Some(Instant::now());
        }
        due
    }
}

impl Open {
    fn new(settings: Settings) -> Open {
        Open { settings, state: Mutex::default() }
    }

    /// Counts a connection from `peer` until the guard is dropped, or `None` when it would
    /// pass a cap.
    fn admit(self: &Arc<Open>, peer: SocketAddr) -> Option<Counted> {
        let address = network(peer);
        let mut state = self.state.lock().expect("the connection counts are never poisoned");
        if state.total >= self.settings.total {
            if state.refused_total.count() {
                let refused = std::mem::take(&mut state.refused_total.unlogged);
                tracing::warn!(
                    limit = self.settings.total,
                    refused,
                    "connections refused: as many are open as the open-file limit allows"
                );
            }
            return None;
        }
        let ip = peer.ip().to_canonical();
        if self.settings.proxies.iter().any(|proxy| proxy.contains(&ip)) {
            state.total += 1;
            return Some(Counted { open: Arc::clone(self), address: None });
        }
        let count = state.by_address.entry(address).or_default();
        if count.open >= self.settings.per_address {
            if count.refused.count() {
                let refused = std::mem::take(&mut count.refused.unlogged);
                tracing::warn!(
                    %address,
                    limit = self.settings.per_address,
                    refused,
                    "connections refused: too many open from one address (--max-connections-per-address)"
                );
            }
            return None;
        }
        count.open += 1;
        state.total += 1;
        Some(Counted { open: Arc::clone(self), address: Some(address) })
    }
}

/// A connection's place among the counted ones, carried by each of its requests. hyper's
/// part of a connection ends when a handler takes it over (a WebSocket), so such a handler
/// keeps the place for as long as it holds the socket: an open WebSocket counts against the
/// caps like any other connection.
#[derive(Clone)]
pub struct Place {
    _counted: Arc<Counted>,
}

/// One open connection, counted until dropped.
struct Counted {
    open: Arc<Open>,
    /// Its address, unless it is a trusted proxy's (counted in the total only).
    address: Option<IpAddr>,
}

impl Drop for Counted {
    fn drop(&mut self) {
        let mut state = self.open.state.lock().expect("the connection counts are never poisoned");
        state.total -= 1;
        let Some(address) = self.address else { return };
        if let Some(count) = state.by_address.get_mut(&address) {
            count.open -= 1;
            if count.open == 0 {
                state.by_address.remove(&address);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(per_address: usize, total: usize) -> Arc<Open> {
        let proxies = vec!["10.9.0.0/16".parse().unwrap()];
        Arc::new(Open::new(Settings {
            header_read_timeout: Duration::from_secs(1),
            per_address,
            proxies,
            total,
        }))
    }

    fn peer(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_address_holds_at_most_its_cap_and_gets_room_back_as_connections_close() {
        let open = open(2, 100);
        let first = open.admit(peer("10.0.0.1:1")).unwrap();
        let _second = open.admit(peer("10.0.0.1:2")).unwrap();
        assert!(open.admit(peer("10.0.0.1:3")).is_none(), "a third from the same address");
        assert!(open.admit(peer("10.0.0.2:1")).is_some(), "another address is not affected");
        drop(first);
        assert!(open.admit(peer("10.0.0.1:4")).is_some(), "room again once one closed");
        let proxied: Vec<_> = (0..5).map(|port| open.admit(peer(&format!("10.9.0.1:{port}")))).collect();
        assert!(proxied.iter().all(Option::is_some), "a trusted proxy carries many clients");
    }

    #[test]
    fn an_ipv6_client_counts_by_its_slash_64() {
        let open = open(1, 100);
        let _one = open.admit(peer("[2001:db8:1:2::1]:1")).unwrap();
        assert!(open.admit(peer("[2001:db8:1:2::ffff]:1")).is_none());
        assert!(open.admit(peer("[2001:db8:1:3::1]:1")).is_some());
    }

    #[test]
    fn the_total_stays_within_what_the_open_files_allow_and_addresses_are_forgotten() {
        let open = open(10, 2);
        let a = open.admit(peer("10.0.0.1:1")).unwrap();
        let b = open.admit(peer("10.0.0.2:1")).unwrap();
        assert!(open.admit(peer("10.0.0.3:1")).is_none());
        drop((a, b));
        let state = open.state.lock().unwrap();
        assert_eq!((state.total, state.by_address.len()), (0, 0));
        assert_eq!(Settings::total_for(1024), 896);
        assert_eq!(Settings::total_for(10), 1);
    }

    #[test]
    fn refusals_are_logged_once_then_at_most_every_minute() {
        let mut refusals = Refusals::default();
        assert!(refusals.count());
        assert!(!(0..1000).any(|_| refusals.count()), "a flood is not a line per connection");
        assert_eq!(refusals.unlogged, 1001);
    }
}
