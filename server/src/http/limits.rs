//! Request limits: how fast a client may call, and how large a JSON body may be.
//!
//! Rates are GCRA buckets (`tower_governor` over `governor`), kept in memory per key:
//! - every request: per device or staff token (hashed; the limiter does not look it up), or
//!   per client address when it carries no token;
//! - every request: per client address whatever its token, a roomier ceiling, so that tokens
//!   made up to get a fresh bucket each time still meet a limit;
//! - `POST /api/v1/staff/login` and `POST /api/v1/devices`: stricter, per client address;
//! - sign-ins per account name, whatever the address: after a few wrong passwords each further
//!   attempt waits longer ([`SignInBackoff`]), whether or not the account exists.
//!
//! The client address is the one [`super::client_address`] found (behind trusted proxies,
//! the client's, not the proxy's).
//!
//! A request over a limit gets `429 { "error": { "code": "rate_limited", … } }` and a
//! `Retry-After` header with the seconds after which the same request is let through.

use phananh_shared::refusal::ErrorCode;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::header::{AUTHORIZATION, RETRY_AFTER};
use axum::http::{HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use governor::middleware::NoOpMiddleware;
use sha2::{Digest, Sha256};
use tower_governor::GovernorError;
use tower_governor::GovernorLayer;
use tower_governor::governor::GovernorConfigBuilder;
use tower_governor::key_extractor::KeyExtractor;

use super::client_address::ClientAddress;
use super::error::ApiError;
use crate::cli::RateLimits;

/// The largest JSON request body. A report is a few KB (photos are uploaded on their own, to
/// a route with a limit of its own); anything near this is not a real client's.
pub const JSON_BODY_LIMIT: usize = 64 * 1024;

/// The largest sync push: a full batch of reports at their longest.
pub const PUSH_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// How often buckets that have refilled completely are forgotten, so that the memory the
/// limiters hold follows the clients of the last minutes, not every client ever seen.
const FORGET_EVERY: Duration = Duration::from_secs(60);

/// The longest refill period a rate can ask for (a rate is a positive number, which may be
/// tiny); the limiter counts in 64-bit nanoseconds.
const LONGEST_PERIOD: Duration = Duration::from_secs(365 * 24 * 3600);

type Limiter<K> = GovernorLayer<K, NoOpMiddleware, Body>;

/// The rate-limiting layers of the router, made from the server's settings.
pub struct Limits {
    per_client: Limiter<ByClient>,
    per_address: Limiter<ByAddress>,
    login: Limiter<ByAddress>,
    registration: Limiter<ByAddress>,
    sign_in: Arc<SignInBackoff>,
}

impl Limits {
    /// Makes the limiters and, on the current Tokio runtime, a task that forgets idle clients
    /// (it ends when the limiters are dropped).
    pub fn new(settings: &RateLimits) -> Limits {
        let mut forget = Vec::new();
        let per_second = Duration::from_secs(1);
        let per_minute = Duration::from_secs(60);
        let limits = Limits {
            per_client: limiter(
                ByClient,
                period(per_second, settings.rate_per_second),
                settings.rate_burst,
                "too many requests from this device or network address",
                &mut forget,
            ),
            per_address: limiter(
                ByAddress,
                period(per_second, settings.address_rate_per_second),
                settings.address_burst,
                "too many requests from this network address",
                &mut forget,
            ),
            login: limiter(
                ByAddress,
                period(per_minute, settings.login_rate_per_minute),
                settings.login_burst,
                "too many sign-in attempts from this network address",
                &mut forget,
            ),
            registration: limiter(
                ByAddress,
                period(per_minute, settings.register_rate_per_minute),
                settings.register_burst,
                "too many devices registered from this network address",
                &mut forget,
            ),
            sign_in: Arc::new(SignInBackoff::new(Duration::from_secs(settings.login_backoff_seconds))),
        };
        let sign_in = Arc::downgrade(&limits.sign_in);
        forget.push(Box::new(move || {
            let Some(sign_in) = sign_in.upgrade() else { return false };
            sign_in.forget_idle(Instant::now());
            true
        }));
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(forget_idle_clients(forget));
        }
        limits
    }

    /// Every request, per device or staff token, or per address without a token.
    pub fn per_client(&self) -> Limiter<ByClient> {
        self.per_client.clone()
    }

    /// Every request, per client address, whatever token it carries.
    pub fn per_address(&self) -> Limiter<ByAddress> {
        self.per_address.clone()
    }

    /// Staff sign-in, per client address.
    pub fn login(&self) -> Limiter<ByAddress> {
        self.login.clone()
    }

    /// Device registration, per client address.
    pub fn registration(&self) -> Limiter<ByAddress> {
        self.registration.clone()
    }

    /// Sign-in failures per account name.
    pub fn sign_in(&self) -> Arc<SignInBackoff> {
        Arc::clone(&self.sign_in)
    }
}

/// A sign-in refused because its account name must wait: a 429 with `Retry-After`.
#[derive(Debug)]
pub struct BackedOff {
    retry: u64,
}

impl IntoResponse for BackedOff {
    fn into_response(self) -> Response {
        too_many("too many wrong passwords for this account name; wait before signing in again", self.retry)
    }
}

/// Sign-ins an account name may try before it must wait between tries.
const FREE_FAILURES: u32 = 5;
/// The longest wait: each try past the free ones doubles it, up to this.
const LONGEST_WAIT: Duration = Duration::from_secs(15 * 60);

/// Sign-in failures per account name (trimmed, lower case, as accounts are looked up),
/// independent of the address: behind one proxy, or from many addresses, password guessing
/// against one account slows down without locking anyone else out. Names that match no
/// account count the same, so the answers do not tell which accounts exist.
///
/// A try is counted when it starts, before its password is checked, so guesses sent all at
/// once meet the wait like guesses sent one after another; a right password clears the
/// count. A try refused for waiting does not count, so nobody can lengthen another's wait
/// past what their own wrong passwords earn.
#[derive(Debug)]
pub struct SignInBackoff {
    accounts: Mutex<HashMap<String, Failures>>,
    /// The wait after the free tries; it doubles with each try past them.
    first_wait: Duration,
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
}

impl SignInBackoff {
    pub fn new(first_wait: Duration) -> SignInBackoff {
        SignInBackoff { accounts: Mutex::default(), first_wait }
    }

    /// The name a sign-in counts against.
    pub fn account(username: &str) -> String {
        username.trim().to_lowercase()
    }

    /// Starts a try for `account` at `now`, counted as a failure until [`Self::succeeded`]
    /// says otherwise; refused while the account must wait.
    pub fn attempt(&self, account: &str, now: Instant) -> Result<(), BackedOff> {
        let mut accounts = self.accounts.lock().expect("the back-off never panics holding its lock");
        let failures = accounts.entry(account.to_owned()).or_insert(Failures { count: 0, last: now });
        let allowed = self.next_allowed(*failures);
        if allowed > now {
            return Err(BackedOff { retry: (allowed - now).as_secs() + 1 });
        }
        *failures = Failures { count: failures.count.saturating_add(1), last: now };
        Ok(())
    }

    /// A successful sign-in starts the account afresh.
    pub fn succeeded(&self, account: &str) {
        self.accounts.lock().expect("the back-off never panics holding its lock").remove(account);
    }

    /// When the next try may start.
    fn next_allowed(&self, failures: Failures) -> Instant {
        match failures.count.checked_sub(FREE_FAILURES) {
            None => failures.last,
            Some(past) => {
                failures.last + LONGEST_WAIT.min(self.first_wait.saturating_mul(2u32.saturating_pow(past)))
            }
        }
    }

    /// Forgets the names whose last failure is older than the longest wait.
    fn forget_idle(&self, now: Instant) {
        let mut accounts = self.accounts.lock().expect("the back-off never panics holding its lock");
        accounts.retain(|_, failures| now.duration_since(failures.last) < LONGEST_WAIT);
        accounts.shrink_to_fit();
    }
}

/// One bucket per key of `key`, refilling one request each `period`, holding `burst`.
fn limiter<K>(
    key: K,
    period: Duration,
    burst: u32,
    refusal: &'static str,
    forget: &mut Vec<Box<dyn Fn() -> bool + Send>>,
) -> Limiter<K>
where
    K: KeyExtractor + Send + Sync + 'static,
    K::Key: Send + Sync + 'static,
{
    let config = GovernorConfigBuilder::default()
        .key_extractor(key)
        .period(period)
        .burst_size(burst)
        .finish()
        .expect("the period is at least 1 ns and the burst at least 1");
    let limiter = Arc::downgrade(config.limiter());
    forget.push(Box::new(move || {
        // Forgets the keys whose buckets are full again; false once the limiter is gone.
        let Some(limiter) = limiter.upgrade() else { return false };
        limiter.retain_recent();
        limiter.shrink_to_fit();
        true
    }));
    GovernorLayer::new(config).error_handler(move |error| refuse(refusal, error))
}

async fn forget_idle_clients(limiters: Vec<Box<dyn Fn() -> bool + Send>>) {
    let mut every = tokio::time::interval(FORGET_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    every.tick().await;
    loop {
        every.tick().await;
        // `&` rather than `&&`: every limiter is swept, even after one is found gone.
        if !limiters.iter().fold(true, |alive, forget| forget() & alive) {
            return;
        }
    }
}

/// The time one request of `rate` per `unit` takes to refill, within what the limiter counts.
fn period(unit: Duration, rate: f64) -> Duration {
    Duration::try_from_secs_f64(unit.as_secs_f64() / rate)
        .unwrap_or(LONGEST_PERIOD)
        .clamp(Duration::from_nanos(1), LONGEST_PERIOD)
}

/// The 429 answer, in the API's error shape, with `Retry-After`.
fn refuse(refusal: &str, error: GovernorError) -> Response {
    match error {
        // `wait_time` is the wait rounded down to whole seconds; one more is always enough.
        GovernorError::TooManyRequests { wait_time, .. } => too_many(refusal, wait_time + 1),
        GovernorError::UnableToExtractKey => {
            ApiError::internal("no client address for the rate limiter: serve with connect info")
                .into_response()
        }
        other => ApiError::internal(other).into_response(),
    }
}

/// A 429 saying `refusal`, to be tried again after `retry` seconds.
fn too_many(refusal: &str, retry: u64) -> Response {
    let message = format!("{refusal}; retry in {retry} s");
    let mut response =
        ApiError::new(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited, message).into_response();
    response.headers_mut().insert(RETRY_AFTER, HeaderValue::from(retry));
    response
}

/// Who a request counts against: its bearer token when it has one (a device or a staff
/// session; not checked here, a wrong one gets its 401 from the handler), else its address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Client {
    /// The first half of the token's SHA-256: the limiter keeps no tokens in memory.
    Token([u8; 16]),
    Address(IpAddr),
}

#[derive(Debug, Clone, Copy)]
pub struct ByClient;

impl KeyExtractor for ByClient {
    type Key = Client;

    fn extract<T>(&self, request: &Request<T>) -> Result<Client, GovernorError> {
        match bearer(request) {
            Some(token) => {
                let digest = Sha256::digest(token.as_bytes());
                let mut key = [0; 16];
                key.copy_from_slice(&digest[..16]);
                Ok(Client::Token(key))
            }
            None => ByAddress.extract(request).map(Client::Address),
        }
    }
}

/// The client's address; an IPv6 client by its /64, which is one subscriber's network (a
/// single machine may use any address in it).
#[derive(Debug, Clone, Copy)]
pub struct ByAddress;

impl KeyExtractor for ByAddress {
    type Key = IpAddr;

    fn extract<T>(&self, request: &Request<T>) -> Result<IpAddr, GovernorError> {
        let ClientAddress(client) =
            request.extensions().get::<ClientAddress>().ok_or(GovernorError::UnableToExtractKey)?;
        Ok(address_network(*client))
    }
}

/// The network a peer counts as (see [`address_network`]).
pub fn network(peer: SocketAddr) -> IpAddr {
    address_network(peer.ip())
}

/// The network a client counts as: its IPv4 address, or its IPv6 /64.
pub fn address_network(client: IpAddr) -> IpAddr {
    match client.to_canonical() {
        IpAddr::V6(address) => IpAddr::V6(Ipv6Addr::from_bits(address.to_bits() & (u128::MAX << 64))),
        address @ IpAddr::V4(_) => address,
    }
}

/// The token of an `Authorization: Bearer …` header, when there is a non-empty one (the same
/// reading as the auth extractors').
fn bearer<T>(request: &Request<T>) -> Option<&str> {
    let token = request.headers().get(AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ")?.trim();
    (!token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(peer: &str, authorization: Option<&str>) -> Request<()> {
        let mut request = Request::builder();
        if let Some(value) = authorization {
            request = request.header(AUTHORIZATION, value);
        }
        let mut request = request.body(()).unwrap();
        request.extensions_mut().insert(ClientAddress(peer.parse::<SocketAddr>().unwrap().ip()));
        request
    }

    #[test]
    fn a_request_with_a_token_counts_against_the_token_else_the_address() {
        let a = ByClient.extract(&request("10.0.0.1:5000", Some("Bearer aaaa"))).unwrap();
        let a_elsewhere = ByClient.extract(&request("10.0.0.2:6000", Some("Bearer aaaa"))).unwrap();
        let b = ByClient.extract(&request("10.0.0.1:5000", Some("Bearer bbbb"))).unwrap();
        assert_eq!(a, a_elsewhere, "the same device from another address");
        assert_ne!(a, b);
        assert!(matches!(a, Client::Token(_)));
        for authorization in [None, Some("Bearer "), Some("Basic aaaa")] {
            assert_eq!(
                ByClient.extract(&request("10.0.0.1:5000", authorization)).unwrap(),
                Client::Address("10.0.0.1".parse().unwrap()),
                "{authorization:?}"
            );
        }
    }

    #[test]
    fn addresses_are_the_peer_ipv4_or_its_ipv6_slash_64() {
        let address = |peer| ByAddress.extract(&request(peer, Some("Bearer aaaa"))).unwrap();
        assert_eq!(address("192.0.2.7:1"), "192.0.2.7".parse::<IpAddr>().unwrap());
        assert_eq!(address("[::ffff:192.0.2.7]:1"), "192.0.2.7".parse::<IpAddr>().unwrap());
        assert_eq!(address("[2001:db8:1:2:aaaa::1]:1"), "2001:db8:1:2::".parse::<IpAddr>().unwrap());
        assert_eq!(address("[2001:db8:1:2:bbbb::9]:1"), address("[2001:db8:1:2:aaaa::1]:1"));
        assert_ne!(address("[2001:db8:1:3::1]:1"), address("[2001:db8:1:2::1]:1"));
    }

    #[test]
    fn sign_ins_wait_longer_after_each_try_past_the_free_ones() {
        let backoff = SignInBackoff::new(Duration::from_secs(1));
        let start = Instant::now();
        for _ in 0..FREE_FAILURES {
            assert!(backoff.attempt("lan", start).is_ok());
        }
        assert!(backoff.attempt("minh", start).is_ok(), "another account is not affected");
        assert_eq!(backoff.attempt("lan", start).unwrap_err().retry, 2, "1 s, rounded up");
        let mut now = start;
        for extra in 0..20 {
            let wait = Duration::from_secs(1 << extra).min(LONGEST_WAIT);
            assert!(backoff.attempt("lan", now + wait - Duration::from_millis(1)).is_err(), "{extra}");
            now += wait;
            assert!(backoff.attempt("lan", now).is_ok(), "{extra}");
        }
        // Tries refused while waiting do not lengthen the wait.
        let refused = backoff.attempt("lan", now).unwrap_err().into_response();
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(refused.headers()[RETRY_AFTER], (LONGEST_WAIT.as_secs() + 1).to_string().as_str());
        (0..100).for_each(|_| assert!(backoff.attempt("lan", now).is_err()));
        assert!(backoff.attempt("lan", now + LONGEST_WAIT).is_ok());
        backoff.forget_idle(now + 2 * LONGEST_WAIT);
        assert!(
            backoff.accounts.lock().unwrap().keys().all(|name| name != "lan"),
            "forgotten after the longest wait"
        );
        backoff.succeeded("minh");
        assert!(backoff.accounts.lock().unwrap().is_empty());
    }

    #[test]
    fn without_a_client_address_there_is_no_key() {
        let request = Request::builder().body(()).unwrap();
        assert!(matches!(ByAddress.extract(&request), Err(GovernorError::UnableToExtractKey)));
    }

    #[test]
    fn rates_become_refill_periods_within_bounds() {
        let second = Duration::from_secs(1);
        assert_eq!(period(second, 10.0), Duration::from_millis(100));
        assert_eq!(period(Duration::from_secs(60), 6.0), Duration::from_secs(10));
        assert_eq!(period(second, 1e12), Duration::from_nanos(1));
        assert_eq!(period(second, 1e-300), LONGEST_PERIOD);
    }

    #[test]
    fn a_refusal_is_a_json_429_with_retry_after_rounded_up() {
        let response = refuse("too many", GovernorError::TooManyRequests { wait_time: 0, headers: None });
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[RETRY_AFTER], "1");
    }
}
