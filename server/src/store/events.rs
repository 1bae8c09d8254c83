//! Events: what happened to each report and dossier, in one sequence that every reader walks
//! in order (the live stream, sync's pull, the timelines).
//!
//! Both engines number events gap-free and in commit order: a reader that has seen event `n`
//! has every event before `n` to read too, so "everything after my last" misses nothing.
//! SQLite has one writer; PostgreSQL's writers take turns on one counter row (see its schema).

use chrono::{DateTime, Utc};
use phananh_shared::api::Event;
use phananh_shared::dossier::DossierEvent;
use uuid::Uuid;

use super::StoreError;

/// What an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subject {
    Report(Uuid),
    Dossier(Uuid),
}

/// An event as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord {
    pub seq: u64,
    pub subject: Subject,
    pub ward_code: String,
    pub kind: String,
    pub at: DateTime<Utc>,
    /// `device:<id>`, `staff:<id>` or `system`.
    pub actor: String,
    pub data: serde_json::Value,
}

/// A committed event read back whole, as the live stream and sync's pull send it.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    pub about: About,
    /// Who made the change: `device:<id>`, `staff:<id>` or `system`.
    pub actor: String,
}

/// What a published event is about.
#[derive(Debug, Clone, PartialEq)]
pub enum About {
    /// A report's event, and the device that filed the report.
    Report {
        event: Event,
        reporter: Uuid,
    },
    Dossier(DossierEvent),
}

impl About {
    pub fn seq(&self) -> u64 {
        match self {
            About::Report { event, .. } => event.seq,
            About::Dossier(event) => event.seq,
        }
    }
}

/// Which events a reader may want: every event it may be shown, and perhaps a few more (the
/// reader decides on each), so that a device's replay does not read the whole city's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventFilter {
    All,
    /// About the reports `device` filed or follows and the dossiers it tracks.
    Device(Uuid),
    /// About `ward`'s reports and dossiers, and the transfers of reports away from it.
    Ward(String),
    Report(Uuid),
}

/// What a store keeps of events.
pub trait Events {
    /// Records an event about `subject` (whose `kind` is `data`'s) with the next number of
    /// the sequence, and makes it the subject's newest: its number.
    fn append_event(
        &mut self,
        subject: Subject,
        ward_code: &str,
        at: DateTime<Utc>,
        actor: &str,
        data: &serde_json::Value,
    ) -> Result<u64, StoreError>;

    /// The number of the newest event committed (0 before the first).
    fn newest_event(&mut self) -> Result<u64, StoreError>;

    /// Up to `limit` events after number `after`, oldest first.
    fn events_after(&mut self, after: u64, limit: usize) -> Result<Vec<EventRecord>, StoreError>;

    /// Up to `limit` events numbered within `numbers` (after the first, up to the second)
    /// that `filter` picks,
    /// oldest first, whole.
    fn published_after(
        &mut self,
        numbers: (u64, u64),
        filter: &EventFilter,
        limit: u32,
    ) -> Result<Vec<Published>, StoreError>;

    /// The reports `device` had followed and the dossiers it had tracked by event `seq`.
    fn followed_and_tracked(&mut self, device: Uuid, seq: u64) -> Result<(Vec<Uuid>, Vec<Uuid>), StoreError>;
}
