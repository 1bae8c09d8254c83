//! Residents' devices: registration and recognising a device by its token.

use chrono::{DateTime, TimeDelta, Utc};
use phananh_shared::api::{Claimed, DeviceCreated, NewDevice, TransferCode};
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

/// Whether a device's token (by its hash) still works: a transfer code moves it away.
pub async fn in_force(store: &Store, token_hash: Vec<u8>) -> Result<bool, ApiError> {
    store
        .read(move |conn| {
            Ok(conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM devices WHERE token_hash = ?1)",
                [token_hash],
                |row| row.get(0),
            )?)
        })
        .await
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
) -> Result<TransferCode, ApiError> {
    let code = crate::dossiers::secrets::new_secret();
    let code_hash = tokens::hash(&crate::dossiers::secrets::normalise(&code));
    let expires_at = now + TimeDelta::minutes(TRANSFER_CODE_MINUTES);
    store
        .write(move |tx| {
            tx.execute(
                "DELETE FROM transfer_codes WHERE device_id = ?1 OR expires_at <= ?2",
                params![device.to_string(), stamp(now)],
            )?;
            tx.execute(
                "INSERT INTO transfer_codes (code_hash, device_id, expires_at) VALUES (?1, ?2, ?3)",
                params![code_hash, device.to_string(), stamp(expires_at)],
            )?;
            Ok::<_, ApiError>(())
        })
        .await?;
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
) -> Result<Claimed, ApiError> {
    let code_hash = tokens::hash(&crate::dossiers::secrets::normalise(typed));
    let (token, token_hash) = tokens::issue();
    store
        .write(move |tx| {
            let device: Option<String> = tx
                .query_row(
                    "DELETE FROM transfer_codes WHERE code_hash = ?1 AND expires_at > ?2 RETURNING device_id",
                    params![code_hash, stamp(now)],
                    |row| row.get(0),
                )
                .optional()?;
            let Some(device) = device else {
                return Err(ApiError::not_found(
                    "no device has this transfer code; it may have expired or been used",
                )
                .on("code"));
            };
            if let Some(claimer) = claimer.map(|id| id.to_string()).filter(|id| *id != device) {
                merge(tx, &claimer, &device)?;
            }
            tx.execute("UPDATE devices SET token_hash = ?1 WHERE id = ?2", params![token_hash, device])?;
            let ids = |sql: &str| -> rusqlite::Result<Vec<Uuid>> {
                let mut query = tx.prepare(sql)?;
                let ids = query.query_map([&device], |row| row.get::<_, String>(0))?;
                ids.map(|id| id.map(|id| Uuid::parse_str(&id).expect("report ids are stored as UUIDs")))
                    .collect()
            };
            let filed = ids("SELECT id FROM reports WHERE device_id = ?1 ORDER BY received_at")?;
            let following = ids("SELECT report_id FROM followers WHERE device_id = ?1")?;
            let device_id = Uuid::parse_str(&device).expect("device ids are stored as UUIDs");
            Ok(Claimed { device: DeviceCreated { device_id, token }, filed, following })
        })
        .await
}

/// Moves what device `from` holds to device `into`: its reports, what it follows and tracks
/// (once each), its photos and its applied operations (so a retried push is still known);
/// then `from` is no more.
fn merge(tx: &rusqlite::Connection, from: &str, into: &str) -> rusqlite::Result<()> {
    tx.execute("UPDATE reports SET device_id = ?2 WHERE device_id = ?1", params![from, into])?;
    tx.execute("UPDATE sync_operations SET device_id = ?2 WHERE device_id = ?1", params![from, into])?;
    tx.execute(
        "UPDATE photos SET uploaded_by = 'device:' || ?2 WHERE uploaded_by = 'device:' || ?1",
        params![from, into],
    )?;
    // What it follows and tracks, once each: both devices may have said "me too" to one report.
    for (table, key) in [("followers", "report_id"), ("dossier_trackers", "dossier_id")] {
        tx.execute(
            &format!(
                "INSERT OR IGNORE INTO {table} ({key}, device_id, created_at)
                 SELECT {key}, ?2, created_at FROM {table} WHERE device_id = ?1"
            ),
            params![from, into],
        )?;
        tx.execute(&format!("DELETE FROM {table} WHERE device_id = ?1"), [from])?;
    }
    tx.execute("DELETE FROM transfer_codes WHERE device_id = ?1", [from])?;
    // Nothing is left under it, and its token is not kept anywhere any more.
    tx.execute("DELETE FROM devices WHERE id = ?1", [from])?;
    Ok(())
}
