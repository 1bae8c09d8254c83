//! [`Devices`] in PostgreSQL.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Params, Pg};
use crate::store::{Devices, Holder, StoreError};

impl Devices for Pg<'_, '_> {
    fn add_device(
        &mut self,
        id: Uuid,
        token_hash: &[u8],
        name: Option<&str>,
        phone: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO devices (id, token_hash, name, phone, created_at) VALUES ($1, $2, $3, $4, $5)",
            &[&id, &token_hash, &name, &phone, &at],
        )?;
        Ok(())
    }

    fn token_holder(&mut self, token_hash: &[u8]) -> Result<Option<Holder>, StoreError> {
        let found = self.row(
            "SELECT d.id, EXISTS (SELECT 1 FROM open311_clients c WHERE c.device_id = d.id)
             FROM devices d WHERE d.token_hash = $1",
            &[&token_hash],
        )?;
        Ok(found.map(|row| if row.get(1) { Holder::Open311Client } else { Holder::Resident(row.get(0)) }))
    }

    fn set_token(&mut self, device: Uuid, token_hash: &[u8]) -> Result<(), StoreError> {
        self.execute("UPDATE devices SET token_hash = $1 WHERE id = $2", &[&token_hash, &device])?;
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
            "DELETE FROM transfer_codes WHERE device_id = $1 OR expires_at <= $2",
            &[&device, &now],
        )?;
        self.execute(
            "INSERT INTO transfer_codes (code_hash, device_id, expires_at) VALUES ($1, $2, $3)",
            &[&code_hash, &device, &expires_at],
        )?;
        Ok(())
    }

    fn spend_transfer_code(
        &mut self,
        code_hash: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Option<Uuid>, StoreError> {
        let spent = self.row(
            "DELETE FROM transfer_codes WHERE code_hash = $1 AND expires_at > $2 RETURNING device_id",
            &[&code_hash, &now],
        )?;
        Ok(spent.map(|row| row.get(0)))
    }

    fn merge_devices(&mut self, from: Uuid, into: Uuid) -> Result<(), StoreError> {
        let both: Params = &[&from, &into];
        self.execute("UPDATE reports SET device_id = $2 WHERE device_id = $1", both)?;
        self.execute("UPDATE sync_operations SET device_id = $2 WHERE device_id = $1", both)?;
        self.execute(
            "UPDATE photos SET uploaded_by = 'device:' || $2::uuid WHERE uploaded_by = 'device:' || $1::uuid",
            both,
        )?;
        // What it follows and tracks, once each: both devices may have said "me too" to one report.
        self.execute(
            "INSERT INTO followers (report_id, device_id, created_at)
             SELECT report_id, $2, created_at FROM followers WHERE device_id = $1
             ON CONFLICT DO NOTHING",
            both,
        )?;
        self.execute("DELETE FROM followers WHERE device_id = $1", &[&from])?;
        self.execute(
            "INSERT INTO dossier_trackers (dossier_id, device_id, created_at)
             SELECT dossier_id, $2, created_at FROM dossier_trackers WHERE device_id = $1
             ON CONFLICT DO NOTHING",
            both,
        )?;
        self.execute("DELETE FROM dossier_trackers WHERE device_id = $1", &[&from])?;
        self.execute("DELETE FROM transfer_codes WHERE device_id = $1", &[&from])?;
        self.execute("DELETE FROM devices WHERE id = $1", &[&from])?;
        Ok(())
    }

    fn reports_filed_by(&mut self, device: Uuid) -> Result<Vec<Uuid>, StoreError> {
        let rows =
            self.rows("SELECT id FROM reports WHERE device_id = $1 ORDER BY received_at, id", &[&device])?;
        Ok(rows.iter().map(|row| row.get(0)).collect())
    }

    fn reports_followed_by(&mut self, device: Uuid) -> Result<Vec<Uuid>, StoreError> {
        let rows = self.rows(
            "SELECT report_id FROM followers WHERE device_id = $1 ORDER BY created_at, report_id",
            &[&device],
        )?;
        Ok(rows.iter().map(|row| row.get(0)).collect())
    }
}
