//! [`Photos`] in PostgreSQL.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Pg;
use crate::store::{PhotoRecord, Photos, StoreError};

impl Photos for Pg<'_, '_> {
    fn add_photo(&mut self, photo: &PhotoRecord) -> Result<(), StoreError> {
        let (width, height, bytes) = (photo.width as i32, photo.height as i32, photo.bytes as i64);
        self.execute(
            "INSERT INTO photos (id, sha256, kind, width, height, bytes, uploaded_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[&photo.id, &photo.sha256, &photo.kind, &width, &height, &bytes, &photo.uploaded_by, &photo.at],
        )?;
        Ok(())
    }

    fn photo(&mut self, id: Uuid) -> Result<Option<(String, String)>, StoreError> {
        let found = self.row("SELECT uploaded_by, sha256 FROM photos WHERE id = $1", &[&id])?;
        Ok(found.map(|row| (row.get(0), row.get(1))))
    }

    fn attach_photos(&mut self, report: Uuid, photos: &[Uuid], role: &str) -> Result<(), StoreError> {
        // After those the report has in its role, once: a reopened report answered again may
        // show the first answer's "after" photo again beside new ones.
        for photo in photos {
            self.execute(
                "INSERT INTO report_photos (report_id, photo_id, role, position)
                 SELECT $1, $2::uuid, $3, COALESCE(MAX(position) + 1, 0) FROM report_photos
                 WHERE report_id = $1 AND role = $3
                 ON CONFLICT (report_id, photo_id) DO NOTHING",
                &[&report, photo, &role],
            )?;
        }
        Ok(())
    }

    fn purge_unattached(&mut self, cutoff: DateTime<Utc>) -> Result<(usize, Vec<String>), StoreError> {
        let removed = self.rows(
            "DELETE FROM photos WHERE created_at < $1 AND id NOT IN (SELECT photo_id FROM report_photos)
             RETURNING sha256",
            &[&cutoff],
        )?;
        let hashes: Vec<String> = removed.iter().map(|row| row.get(0)).collect();
        let gone = self.rows(
            "SELECT DISTINCT h FROM unnest($1::text[]) AS h
             WHERE NOT EXISTS (SELECT 1 FROM photos WHERE sha256 = h) ORDER BY h",
            &[&hashes],
        )?;
        Ok((removed.len(), gone.iter().map(|row| row.get(0)).collect()))
    }
}
