//! [`Reports`] in SQLite.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

use super::{Sqlite, stamp, uuid};
use crate::store::{ReportRecord, Reports, StoreError};

impl Reports for Sqlite<'_> {
    fn insert_report(&mut self, r: &ReportRecord) -> Result<u64, StoreError> {
        let number: i64 = self.0.query_row(
            "INSERT INTO reports (id, device_id, content_hash, category, priority, description, lon, lat,
                accuracy_m, ward_code, ward_valid_from, ward_match, ward_distance_m, status, received_at,
                deadline_ack, deadline_handle, last_seq, number)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, 0,
                -- The next reference: the one writer numbers reports in the order it accepts them.
                COALESCE((SELECT MAX(number) FROM reports), 0) + 1)
             RETURNING number",
            params![
                r.id.to_string(),
                r.device.to_string(),
                r.content_hash,
                r.category,
                r.priority,
                r.description,
                r.lon,
                r.lat,
                r.accuracy_m,
                r.ward_code,
                r.ward_valid_from.to_string(),
                r.ward_match,
                r.ward_distance_m,
                r.status,
                stamp(r.received_at),
                stamp(r.deadline_ack),
                stamp(r.deadline_handle),
            ],
            |row| row.get(0),
        )?;
        Ok(number as u64)
    }

    fn report_owner(&mut self, id: Uuid) -> Result<Option<(Uuid, Vec<u8>)>, StoreError> {
        Ok(self
            .0
            .query_row("SELECT device_id, content_hash FROM reports WHERE id = ?1", [id.to_string()], |row| {
                Ok((uuid(row, 0)?, row.get(1)?))
            })
            .optional()?)
    }

    fn report_ward(&mut self, id: Uuid) -> Result<Option<String>, StoreError> {
        Ok(self
            .0
            .query_row("SELECT ward_code FROM reports WHERE id = ?1", [id.to_string()], |row| row.get(0))
            .optional()?)
    }

    fn add_follower(&mut self, id: Uuid, device: Uuid, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let added = self.0.execute(
            "INSERT INTO followers (report_id, device_id, created_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
            params![id.to_string(), device.to_string(), stamp(at)],
        )?;
        Ok(added == 1)
    }

    fn followers(&mut self, id: Uuid) -> Result<u64, StoreError> {
        let count: i64 = self.0.query_row(
            "SELECT COUNT(*) FROM followers WHERE report_id = ?1",
            [id.to_string()],
            |row| row.get(0),
        )?;
        Ok(count as u64)
    }
}
