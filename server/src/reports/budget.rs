//! How many reports one device may file: counted per report, whatever carried it (the report
//! form, a sync push of many operations, an Open311 key, which files as a device of its own),
//! so that request limits, which count requests, cannot be dodged by batching.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use uuid::Uuid;

use crate::error::DomainError;

use phananh_shared::refusal::ErrorCode;

/// Each device's bucket of filings (a handle: clones share them).
#[derive(Clone)]
pub struct FilingBudget {
    /// `None`: no budget (the demo data's made-up residents).
    limiter: Option<Arc<DefaultKeyedRateLimiter<Uuid>>>,
    per_hour: f64,
}

impl FilingBudget {
    /// `per_hour` reports an hour, sustained, for each device; `burst` at once.
    pub fn new(per_hour: f64, burst: u32) -> FilingBudget {
        FilingBudget { limiter: Some(Arc::new(RateLimiter::keyed(hourly_quota(per_hour, burst)))), per_hour }
    }

    /// No budget at all, for seeding demo data.
    pub fn unlimited() -> FilingBudget {
        FilingBudget { limiter: None, per_hour: f64::INFINITY }
    }

    /// Counts one new report against `device`; a 429 `filing_limited` if its budget is spent.
    pub fn take(&self, device: Uuid) -> Result<(), DomainError> {
        let Some(limiter) = &self.limiter else { return Ok(()) };
        check(limiter, &device, ErrorCode::FilingLimited, |wait| {
            format!(
                "this device has filed as many reports as it may for now ({} an hour); send this one in {} min",
                self.per_hour,
                wait.as_secs().div_ceil(60)
            )
        })
    }

    /// Forgets the buckets that have refilled.
    pub fn forget_idle(&self) {
        if let Some(limiter) = &self.limiter {
            limiter.retain_recent();
        }
    }
}

/// Counts one against `key`'s bucket in `limiter`; when it is empty, a 429 `code` whose
/// message `says` how long to wait, with `Retry-After`.
pub(crate) fn check<K: Clone + Eq + std::hash::Hash>(
    limiter: &DefaultKeyedRateLimiter<K>,
    key: &K,
    code: ErrorCode,
    says: impl FnOnce(Duration) -> String,
) -> Result<(), DomainError> {
    limiter.check_key(key).map_err(|not_until| {
        // The wait rounded down to the nanosecond: one more second is always enough.
        let wait = not_until.wait_time_from(DefaultClock::default().now()) + Duration::from_secs(1);
        DomainError::Limited { code, message: says(wait), field: None, retry_after: Some(wait) }
    })
}

/// A bucket of `burst` that refills at `per_hour` an hour (a budget counted in hours, as
/// filings and dossier tracking attempts are).
pub(crate) fn hourly_quota(per_hour: f64, burst: u32) -> Quota {
    let period = Duration::try_from_secs_f64(3600.0 / per_hour).unwrap_or(Duration::from_secs(3600));
    Quota::with_period(period.max(Duration::from_nanos(1)))
        .expect("a period of at least 1 ns")
        .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN))
}
