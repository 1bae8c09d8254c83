//! Residents' devices: their tokens (by hash), and the one-time codes that move a device's
//! identity to another device.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::StoreError;

/// Who holds a device token: a resident's device, or an Open311 client, whose key is its
/// device's token but which only the Open311 API takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    Resident(Uuid),
    Open311Client,
}

/// What a store keeps of devices.
pub trait Devices {
    /// Records a new device; its name and phone are what its resident chose to give.
    fn add_device(
        &mut self,
        id: Uuid,
        token_hash: &[u8],
        name: Option<&str>,
        phone: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Who holds the token whose hash is `token_hash`, if anyone.
    fn token_holder(&mut self, token_hash: &[u8]) -> Result<Option<Holder>, StoreError>;

    /// Gives `device` a new token: the old one stops working.
    fn set_token(&mut self, device: Uuid, token_hash: &[u8]) -> Result<(), StoreError>;

    /// Makes `code_hash` the transfer code of `device` until `expires_at`, in place of any it
    /// had, and forgets every code expired by `now`.
    fn put_transfer_code(
        &mut self,
        device: Uuid,
        code_hash: &[u8],
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Spends the transfer code `code_hash` if it is still good at `now`: the device it
    /// moves. A spent code is gone.
    fn spend_transfer_code(
        &mut self,
        code_hash: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Option<Uuid>, StoreError>;

    /// Moves what device `from` holds to device `into`: its reports, what it follows and
    /// tracks (once each), its photos and its applied sync operations; then `from` is no
    /// more, and its token with it.
    fn merge_devices(&mut self, from: Uuid, into: Uuid) -> Result<(), StoreError>;

    /// The reports `device` filed, oldest first.
    fn reports_filed_by(&mut self, device: Uuid) -> Result<Vec<Uuid>, StoreError>;

    /// The reports `device` follows ("me too"), in the order it said so.
    fn reports_followed_by(&mut self, device: Uuid) -> Result<Vec<Uuid>, StoreError>;
}
