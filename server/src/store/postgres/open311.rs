//! [`Open311Clients`] in PostgreSQL.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Pg;
use crate::store::{Open311Clients, StoreError};

impl Open311Clients for Pg<'_, '_> {
    fn add_open311_client(
        &mut self,
        device: Uuid,
        name: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let added = self.execute(
            "INSERT INTO open311_clients (device_id, name, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO NOTHING",
            &[&device, &name, &at],
        )?;
        Ok(added == 1)
    }

    fn open311_client(&mut self, key_hash: &[u8]) -> Result<Option<Uuid>, StoreError> {
        let found = self.row(
            "SELECT d.id FROM devices d JOIN open311_clients c ON c.device_id = d.id WHERE d.token_hash = $1",
            &[&key_hash],
        )?;
        Ok(found.map(|row| row.get(0)))
    }
}
