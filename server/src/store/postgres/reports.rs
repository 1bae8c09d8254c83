//! [`Reports`] in PostgreSQL.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Pg;
use crate::store::{ReportRecord, Reports, StoreError};

impl Reports for Pg<'_, '_> {
    fn insert_report(&mut self, r: &ReportRecord) -> Result<u64, StoreError> {
        // The next reference from the one row of `report_counter`: taken under the writers'
        // lock the change holds, so references follow the order reports are accepted in.
        let number: i64 = self
            .rows(
                "WITH next AS (UPDATE report_counter SET last = last + 1 RETURNING last)
                 INSERT INTO reports (id, device_id, content_hash, category, priority, description, lon, lat,
                    accuracy_m, ward_code, ward_valid_from, ward_match, ward_distance_m, status, received_at,
                    deadline_ack, deadline_handle, last_seq, number)
                 SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, 0, last
                 FROM next RETURNING number",
                &[
                    &r.id,
                    &r.device,
                    &r.content_hash,
                    &r.category,
                    &r.priority,
                    &r.description,
                    &r.lon,
                    &r.lat,
                    &r.accuracy_m,
                    &r.ward_code,
                    &r.ward_valid_from,
                    &r.ward_match,
                    &r.ward_distance_m,
                    &r.status,
                    &r.received_at,
                    &r.deadline_ack,
                    &r.deadline_handle,
                ],
            )?
            .first()
            .expect("the counter has its row")
            .get(0);
        Ok(number as u64)
    }

    fn report_owner(&mut self, id: Uuid) -> Result<Option<(Uuid, Vec<u8>)>, StoreError> {
        let found = self.row("SELECT device_id, content_hash FROM reports WHERE id = $1", &[&id])?;
        Ok(found.map(|row| (row.get(0), row.get(1))))
    }

    fn report_ward(&mut self, id: Uuid) -> Result<Option<String>, StoreError> {
        Ok(self.row("SELECT ward_code FROM reports WHERE id = $1", &[&id])?.map(|row| row.get(0)))
    }

    fn add_follower(&mut self, id: Uuid, device: Uuid, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let added = self.execute(
            "INSERT INTO followers (report_id, device_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[&id, &device, &at],
        )?;
        Ok(added == 1)
    }

    fn followers(&mut self, id: Uuid) -> Result<u64, StoreError> {
        let count: i64 = self.rows("SELECT COUNT(*) FROM followers WHERE report_id = $1", &[&id])?[0].get(0);
        Ok(count as u64)
    }
}
