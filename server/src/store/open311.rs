//! Open311: its clients, each filing as a device of its own whose token is the client's API
//! key, what their requests come with beyond a report, and the feeds it reads.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use phananh_shared::api::Event;
use uuid::Uuid;

use super::StoreError;

/// What a store keeps of Open311 clients.
pub trait Open311Clients {
    /// Makes `device` (added already) the client `name`; `false` if that name is taken.
    fn add_open311_client(&mut self, device: Uuid, name: &str, at: DateTime<Utc>)
    -> Result<bool, StoreError>;

    /// The device of the client whose API key hashes to `key_hash`, if any.
    fn open311_client(&mut self, key_hash: &[u8]) -> Result<Option<Uuid>, StoreError>;
}

/// The contact details an Open311 request came with: private, like a resident's own.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportContact {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl ReportContact {
    pub fn is_empty(&self) -> bool {
        *self == ReportContact::default()
    }
}

/// What Open311 keeps of reports beyond what the app files, and the feeds it reads.
pub trait Open311Requests {
    /// Records what an Open311 filing of report `id` came with.
    fn add_request_details(
        &mut self,
        id: Uuid,
        contact: &ReportContact,
        media_url: Option<&str>,
    ) -> Result<(), StoreError>;

    /// The media links of reports `ids`, for those that exist (`None` for one filed without).
    fn media_urls(&mut self, ids: &[Uuid]) -> Result<HashMap<Uuid, Option<String>>, StoreError>;

    /// The events of reports `ids` but their staff notes, in sequence order.
    fn public_events_of(&mut self, ids: &[Uuid]) -> Result<Vec<Event>, StoreError>;

    /// The events of `kinds` dated within `dated` (from, to; both included), in sequence order:
    /// at most `limit`, after skipping `offset`.
    fn events_dated(
        &mut self,
        dated: (DateTime<Utc>, DateTime<Utc>),
        kinds: &[&str],
        limit: u32,
        offset: u32,
    ) -> Result<Vec<Event>, StoreError>;
}
