//! [`Devices`] in SQLite.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

use super::{Sqlite, stamp, uuid};
use crate::store::{Devices, Holder, StoreError};

impl Devices for Sqlite<'_> {
    fn add_device(
        &mut self,
        id: Uuid,
        token_hash: &[u8],
        name: Option<&str>,
        phone: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO devices (id, token_hash, name, phone, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id.to_string(), token_hash, name, phone, stamp(at)],
        )?;
        Ok(())
    }

    fn token_holder(&mut self, token_hash: &[u8]) -> Result<Option<Holder>, StoreError> {
        let found = self
            .query_row(
                "SELECT d.id, EXISTS (SELECT 1 FROM open311_clients c WHERE c.device_id = d.id)
                 FROM devices d WHERE d.token_hash = ?1",
                [token_hash],
                |row| Ok((uuid(row, 0)?, row.get(1)?)),
            )
            .optional()?;
        Ok(found.map(|(id, client)| if client { Holder::Open311Client } else { Holder::Resident(id) }))
    }

    fn set_token(&mut self, device: Uuid, token_hash: &[u8]) -> Result<(), StoreError> {
        self.execute(
            "UPDATE devices SET token_hash = ?1 WHERE id = ?2",
            params![token_hash, device.to_string()],
        )?;
        Ok(())
    }

    fn put_transfer_code(
        &mut self,
        device: Uuid,
        code_hash: &[u8],
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM transfer_codes WHERE device_id = ?1 OR expires_at <= ?2",
            params![device.to_string(), stamp(now)],
        )?;
        self.execute(
            "INSERT INTO transfer_codes (code_hash, device_id, expires_at) VALUES (?1, ?2, ?3)",
            params![code_hash, device.to_string(), stamp(expires_at)],
        )?;
        Ok(())
    }

    fn spend_transfer_code(
        &mut self,
        code_hash: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Option<Uuid>, StoreError> {
        Ok(self
            .query_row(
                "DELETE FROM transfer_codes WHERE code_hash = ?1 AND expires_at > ?2 RETURNING device_id",
                params![code_hash, stamp(now)],
                |row| uuid(row, 0),
            )
            .optional()?)
    }

    fn merge_devices(&mut self, from: Uuid, into: Uuid) -> Result<(), StoreError> {
        let (from, into) = (from.to_string(), into.to_string());
        let tx = self.0;
        tx.execute("UPDATE reports SET device_id = ?2 WHERE device_id = ?1", params![from, into])?;
        tx.execute("UPDATE sync_operations SET device_id = ?2 WHERE device_id = ?1", params![from, into])?;
        tx.execute(
            "UPDATE photos SET uploaded_by = 'device:' || ?2 WHERE uploaded_by = 'device:' || ?1",
            params![from, into],
        )?;
        // What it follows and tracks, once each: both devices may have said "me too" to one report.
        tx.execute(
            "INSERT OR IGNORE INTO followers (report_id, device_id, created_at)
             SELECT report_id, ?2, created_at FROM followers WHERE device_id = ?1",
            params![from, into],
        )?;
        tx.execute("DELETE FROM followers WHERE device_id = ?1", [&from])?;
        tx.execute(
            "INSERT OR IGNORE INTO dossier_trackers (dossier_id, device_id, created_at)
             SELECT dossier_id, ?2, created_at FROM dossier_trackers WHERE device_id = ?1",
            params![from, into],
        )?;
        tx.execute("DELETE FROM dossier_trackers WHERE device_id = ?1", [&from])?;
        tx.execute("DELETE FROM transfer_codes WHERE device_id = ?1", [&from])?;
        tx.execute("DELETE FROM devices WHERE id = ?1", [&from])?;
        Ok(())
    }

    fn reports_filed_by(&mut self, device: Uuid) -> Result<Vec<Uuid>, StoreError> {
        self.uuids("SELECT id FROM reports WHERE device_id = ?1 ORDER BY received_at, id", device)
    }

    fn reports_followed_by(&mut self, device: Uuid) -> Result<Vec<Uuid>, StoreError> {
        self.uuids(
            "SELECT report_id FROM followers WHERE device_id = ?1 ORDER BY created_at, report_id",
            device,
        )
    }
}

impl Sqlite<'_> {
    /// The ids `sql` selects for `device`.
    fn uuids(&self, sql: &str, device: Uuid) -> Result<Vec<Uuid>, StoreError> {
        let mut query = self.0.prepare_cached(sql)?;
        let ids = query.query_map([device.to_string()], |row| uuid(row, 0))?;
        Ok(ids.collect::<Result<_, _>>()?)
    }
}
