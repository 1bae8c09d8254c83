//! How often one device, or one network address, may try a dossier's code and secret:
//! tracking has a budget of its own, on the HTTP route and in sync pushes alike, counted for
//! every attempt, right or wrong. Many devices and addresses together are held by each
//! dossier's budget of wrong secrets ([`FailureBudget`], kept with the dossier).

use phananh_shared::refusal::ErrorCode;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use governor::{DefaultKeyedRateLimiter, RateLimiter};
use uuid::Uuid;

use crate::error::DomainError;

/// Who an attempt counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Attempter {
    Device(Uuid),
    Address(IpAddr),
}

/// How many wrong secrets a dossier takes, from anyone, before it locks.
#[derive(Debug, Clone, Copy)]
pub struct FailureBudget {
    /// Wrong secrets within `period` that lock the dossier.
    pub failures: u32,
    /// How long wrong secrets are counted together, and how long a lock lasts.
    pub period: Duration,
}

/// The tracking attempts' buckets (a handle: clones share them), and each dossier's budget.
#[derive(Clone)]
pub struct Attempts {
    limiter: Arc<DefaultKeyedRateLimiter<Attempter>>,
    pub per_dossier: FailureBudget,
}

impl Attempts {
    /// `per_hour` attempts an hour, sustained, for each device and each address; `burst` at
    /// once; and `per_dossier` wrong secrets for each dossier.
    pub fn new(per_hour: f64, burst: u32, per_dossier: FailureBudget) -> Attempts {
        let quota = crate::reports::hourly_quota(per_hour, burst);
        Attempts { limiter: Arc::new(RateLimiter::keyed(quota)), per_dossier }
    }

    /// Counts one attempt against each of `attempters`; a 429 if any has used its budget.
    pub fn take(&self, attempters: &[Attempter]) -> Result<(), DomainError> {
        for attempter in attempters {
            crate::reports::check_budget(&self.limiter, attempter, ErrorCode::RateLimited, |wait| {
                format!("too many attempts to track a dossier; retry in {} s", wait.as_secs())
            })?;
        }
        Ok(())
    }

    /// Forgets the buckets that have refilled.
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
    }
}
