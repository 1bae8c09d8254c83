//! Where "now" comes from. Handlers ask the clock and pass the time down, so the domain code
//! never reads the system time itself: demo data can be filed in the past, and tests can
//! drive deadlines forward without waiting.

use chrono::{DateTime, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The system's clock: what the server uses.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
