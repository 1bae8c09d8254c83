//! How often one device, or one network address, may try a dossier's code and secret. A
//! four-digit secret holds only against few guesses, so tracking has a budget of its own,
//! on the HTTP route and in sync pushes alike, counted for every attempt, right or wrong.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use uuid::Uuid;

use crate::http::error::ApiError;

/// Who an attempt counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Attempter {
    Device(Uuid),
    Address(IpAddr),
}

/// The tracking attempts' buckets (a handle: clones share them).
#[derive(Clone)]
pub struct Attempts {
    limiter: Arc<DefaultKeyedRateLimiter<Attempter>>,
}

impl Attempts {
    /// `per_hour` attempts an hour, sustained, for each device and each address; `burst` at once.
    pub fn new(per_hour: f64, burst: u32) -> Attempts {
        let period = Duration::try_from_secs_f64(3600.0 / per_hour).unwrap_or(Duration::from_secs(3600));
        let quota = Quota::with_period(period.max(Duration::from_nanos(1)))
            .expect("a period of at least 1 ns")
            .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN));
        Attempts { limiter: Arc::new(RateLimiter::keyed(quota)) }
    }

    /// Counts one attempt against each of `attempters`; a 429 if any has used its budget.
    pub fn take(&self, attempters: &[Attempter]) -> Result<(), ApiError> {
        for attempter in attempters {
            if let Err(not_until) = self.limiter.check_key(attempter) {
                let wait = not_until.wait_time_from(DefaultClock::default().now()).as_secs() + 1;
                return Err(ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    format!("too many attempts to track a dossier; retry in {wait} s"),
                ));
            }
        }
        Ok(())
    }

    /// Forgets the buckets that have refilled.
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
    }
}
