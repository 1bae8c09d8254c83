//! Residents' devices: registration and recognising a device by its token.

use chrono::{DateTime, TimeDelta, Utc};
use phananh_shared::api::{Claimed, DeviceCreated, NewDevice, TransferCode};
use uuid::Uuid;

use crate::error::DomainError;
pub use crate::store::Holder;
use crate::store::Store;
use crate::tokens;

/// Registers a device and returns its identity and token (the only time the token is seen).
pub async fn register(store: &Store, device: NewDevice) -> Result<DeviceCreated, DomainError> {
    device.validate()?;
    let device_id = Uuid::now_v7();
    let (token, token_hash) = tokens::issue();
    let now = Utc::now();
    store
        .change(move |db| {
            let (name, phone) =
                (device.name.as_deref().map(str::trim), device.phone.as_deref().map(str::trim));
            db.add_device(device_id, &token_hash, name, phone, now)
        })
        .await?;
    Ok(DeviceCreated { device_id, token })
}

/// Who holds `token`, if anyone.
pub async fn recognise(store: &Store, token: &str) -> Result<Option<Holder>, DomainError> {
    let token_hash = tokens::hash(token);
    Ok(store.query(move |db| db.token_holder(&token_hash)).await?)
}

/// Whether a device's token (by its hash) still works: a transfer code moves it away.
pub async fn in_force(store: &Store, token_hash: Vec<u8>) -> Result<bool, DomainError> {
    Ok(store.query(move |db| db.token_holder(&token_hash)).await?.is_some())
}

/// How long a transfer code may be used: long enough to pick up the other phone and type it.
pub const TRANSFER_CODE_MINUTES: i64 = 10;

/// A new one-time code for moving `device`'s identity to another device; it replaces any
/// code the device had. Codes are the dossier secrets' kind: 8 unambiguous characters (40
/// bits) from the operating system's random source, read however they are typed.
pub async fn transfer_code(
    store: &Store,
    device: Uuid,
    now: DateTime<Utc>,
) -> Result<TransferCode, DomainError> {
    let code = crate::dossiers::secrets::new_secret();
    let code_hash = tokens::hash(&crate::dossiers::secrets::normalise(&code));
    let expires_at = now + TimeDelta::minutes(TRANSFER_CODE_MINUTES);
    store.change(move |db| db.put_transfer_code(device, &code_hash, now, expires_at)).await?;
    Ok(TransferCode { code, expires_at })
}

/// Moves the identity whose code `typed` is to the device that typed it: a new token for
/// it (the old one stops working at once) and the code spent. An unknown, used or expired
/// code is one and the same refusal. A `claimer` that is a device already (it filed or
/// followed reports, tracked dossiers, uploaded photos or queued operations as itself) brings
/// all of that into the identity it takes, so nothing it had is left behind under a token it
/// no longer keeps.
pub async fn claim(
    store: &Store,
    typed: &str,
    claimer: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Claimed, DomainError> {
    let code_hash = tokens::hash(&crate::dossiers::secrets::normalise(typed));
    let (token, token_hash) = tokens::issue();
    store
        .change(move |db| {
            let Some(device) = db.spend_transfer_code(&code_hash, now)? else {
                return Err(DomainError::not_found_on(
                    "code",
                    "no device has this transfer code; it may have expired or been used",
                ));
            };
            if let Some(claimer) = claimer.filter(|id| *id != device) {
                db.merge_devices(claimer, device)?;
            }
            db.set_token(device, &token_hash)?;
            let (filed, following) = (db.reports_filed_by(device)?, db.reports_followed_by(device)?);
            Ok(Claimed { device: DeviceCreated { device_id: device, token }, filed, following })
        })
        .await
}
