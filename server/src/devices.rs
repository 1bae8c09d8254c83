//! Residents' devices: registration and recognising a device by its token.

use chrono::Utc;
use phananh_shared::api::{DeviceCreated, NewDevice};
use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

use crate::http::error::ApiError;
use crate::store::{Store, stamp};
use crate::tokens;

/// Registers a device and returns its identity and token (the only time the token is seen).
pub async fn register(store: &Store, device: NewDevice) -> Result<DeviceCreated, ApiError> {
    device.validate()?;
    let device_id = Uuid::now_v7();
    let (token, token_hash) = tokens::issue();
    store
        .write(move |tx| {
            tx.execute(
                "INSERT INTO devices (id, token_hash, name, phone, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    device_id.to_string(),
                    token_hash,
                    device.name.as_deref().map(str::trim),
                    device.phone.as_deref().map(str::trim),
                    stamp(Utc::now())
                ],
            )?;
            Ok::<_, ApiError>(())
        })
        .await?;
    Ok(DeviceCreated { device_id, token })
}

/// Who holds a device token: a resident's device, or an Open311 client, whose key is its
/// device's token but which only the Open311 API takes (see [`crate::open311::clients`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    Resident(Uuid),
    Open311Client,
}

/// Who holds `token`, if anyone.
pub async fn recognise(store: &Store, token: &str) -> Result<Option<Holder>, ApiError> {
    let token_hash = tokens::hash(token);
    store
        .read(move |conn| {
            let found: Option<(String, bool)> = conn
                .query_row(
                    "SELECT d.id, EXISTS (SELECT 1 FROM open311_clients c WHERE c.device_id = d.id)
                     FROM devices d WHERE d.token_hash = ?1",
                    [token_hash],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()?;
            Ok(found.map(|(id, client)| match client {
                true => Holder::Open311Client,
                false => Holder::Resident(Uuid::parse_str(&id).expect("device ids are stored as UUIDs")),
            }))
        })
        .await
}
