//! Where "now" comes from. Handlers ask the clock and pass the time down, so the domain code
//! never reads the system time itself: demo data can be filed in the past, and tests can
//! drive deadlines forward without waiting.

use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

/// A source of the current time, and a way to wait for a moment of it.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;

    /// Resolves once [`Clock::now`] has reached `at` (at once if it already has).
    fn sleep_until(&self, at: DateTime<Utc>) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// The system's clock: what the server uses.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

/// The longest single sleep: a deadline days away is approached in steps, so that a change
/// of the wall clock (an NTP correction) delays it by at most this much.
const LONGEST_SLEEP: std::time::Duration = std::time::Duration::from_secs(60);

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn sleep_until(&self, at: DateTime<Utc>) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            while let Ok(left) = (at - self.now()).to_std() {
                if left.is_zero() {
                    break;
                }
                tokio::time::sleep(left.min(LONGEST_SLEEP)).await;
            }
        })
    }
}

/// A clock that stands still until it is set: for tests, which move it to the moment a
/// deadline passes instead of waiting for it (`serve --manual-clock`).
#[derive(Debug)]
pub struct ManualClock {
    now: watch::Sender<DateTime<Utc>>,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> ManualClock {
        ManualClock { now: watch::Sender::new(start) }
    }

    /// Moves the clock to `to`, waking whoever waits for a moment up to it. Time does not go
    /// back: deadlines already passed stay passed.
    pub fn set(&self, to: DateTime<Utc>) -> Result<(), DateTime<Utc>> {
        let mut refused = None;
        self.now.send_if_modified(|now| {
            if to < *now {
                refused = Some(*now);
                return false;
            }
            let moved = to != *now;
            *now = to;
            moved
        });
        refused.map_or(Ok(()), Err)
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.borrow()
    }

    fn sleep_until(&self, at: DateTime<Utc>) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        let mut now = self.now.subscribe();
        Box::pin(async move {
            // The sender lives as long as `self`, which outlives this future.
            let _ = now.wait_for(|now| *now >= at).await;
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::TimeDelta;

    use super::*;

    fn start() -> DateTime<Utc> {
        "2026-03-06T09:30:00Z".parse().unwrap()
    }

    #[tokio::test]
    async fn a_manual_clock_wakes_sleepers_when_set_past_their_moment_and_not_before() {
        let clock = std::sync::Arc::new(ManualClock::new(start()));
        let at = start() + TimeDelta::hours(3);
        let sleeper = {
            let clock = std::sync::Arc::clone(&clock);
            tokio::spawn(async move { clock.sleep_until(at).await })
        };
        clock.set(at - TimeDelta::minutes(1)).unwrap();
        tokio::task::yield_now().await;
        assert!(!sleeper.is_finished(), "a minute early is too early");
        clock.set(at).unwrap();
        tokio::time::timeout(Duration::from_secs(10), sleeper).await.expect("woken").unwrap();
    }

    #[tokio::test]
    async fn a_manual_clock_does_not_go_back() {
        let clock = ManualClock::new(start());
        assert_eq!(clock.set(start() - TimeDelta::seconds(1)), Err(start()));
        assert_eq!(clock.now(), start());
        clock.sleep_until(start()).await;
    }

    #[tokio::test]
    async fn the_system_clock_wakes_after_a_moment_in_the_near_future() {
        let clock = SystemClock;
        let at = clock.now() + TimeDelta::milliseconds(30);
        tokio::time::timeout(Duration::from_secs(10), clock.sleep_until(at)).await.expect("woken");
        assert!(clock.now() >= at);
    }
}
