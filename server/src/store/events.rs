//! Events: what happened to each report and dossier, in one sequence that every reader walks
//! in order (the live stream, sync's pull, the timelines).
//!
//! Both engines number events gap-free and in commit order: a reader that has seen event `n`
//! has every event before `n` to read too, so "everything after my last" misses nothing.
//! SQLite has one writer; PostgreSQL's writers take turns on one counter row (see its schema).

use chrono::{DateTime, Utc};
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
}
