//! The public transparency figures, shared: computed at most once per period asked for each
//! freshness interval, however many people ask, so that public traffic costs almost nothing.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use phananh_shared::api::WardRef;
use phananh_shared::dashboard::Transparency;
use tokio::sync::Mutex;

use super::{Period, transparency};
use crate::error::DomainError;
use crate::store::Store;

pub struct PublicFigures {
    fresh: Duration,
    /// One computation at a time: a crowd asking at once waits for the first, then shares
    /// its answer.
    computed: Mutex<Computed>,
}

/// By period: when computed, and what.
type Computed = BTreeMap<(NaiveDate, NaiveDate), (Instant, Arc<Transparency>)>;

impl PublicFigures {
    /// Figures that are recomputed once they are `fresh` old (never kept when zero).
    pub fn new(fresh: Duration) -> PublicFigures {
        PublicFigures { fresh, computed: Mutex::default() }
    }

    /// The figures of `wards` over `period`, and for how much longer they are fresh.
    pub async fn get(
        &self,
        store: &Store,
        wards: impl FnOnce() -> Vec<WardRef>,
        period: Period,
    ) -> Result<(Arc<Transparency>, Duration), DomainError> {
        let key = (period.from, period.to);
        let mut computed = self.computed.lock().await;
        if let Some((at, figures)) = computed.get(&key)
            && at.elapsed() < self.fresh
        {
            return Ok((Arc::clone(figures), self.fresh - at.elapsed()));
        }
        let figures = Arc::new(transparency(store, wards(), period).await?);
        // Periods nobody asked for lately are forgotten, so the map stays small.
        computed.retain(|_, (at, _)| at.elapsed() < self.fresh);
        if !self.fresh.is_zero() {
            computed.insert(key, (Instant::now(), Arc::clone(&figures)));
        }
        Ok((figures, self.fresh))
    }
}
