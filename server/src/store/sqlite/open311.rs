//! [`Open311Clients`] in SQLite.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

use super::{Sqlite, stamp, uuid};
use crate::store::{Open311Clients, StoreError};

impl Open311Clients for Sqlite<'_> {
    fn add_open311_client(
        &mut self,
        device: Uuid,
        name: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let added = self.0.execute(
            "INSERT INTO open311_clients (device_id, name, created_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO NOTHING",
            params![device.to_string(), name, stamp(at)],
        )?;
        Ok(added == 1)
    }

    fn open311_client(&mut self, key_hash: &[u8]) -> Result<Option<Uuid>, StoreError> {
        Ok(self
            .0
            .query_row(
                "SELECT d.id FROM devices d JOIN open311_clients c ON c.device_id = d.id WHERE d.token_hash = ?1",
                [key_hash],
                |row| uuid(row, 0),
            )
            .optional()?)
    }
}
