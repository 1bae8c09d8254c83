//! Open311 clients: each files as a device of its own, whose token is the client's API key.

use chrono::{DateTime, Utc};
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
