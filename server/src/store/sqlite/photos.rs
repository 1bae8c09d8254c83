//! [`Photos`] in SQLite.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

use super::{Sqlite, stamp};
use crate::store::{PhotoRecord, Photos, StoreError};

impl Photos for Sqlite<'_> {
    fn add_photo(&mut self, photo: &PhotoRecord) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO photos (id, sha256, kind, width, height, bytes, uploaded_by, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                photo.id.to_string(),
                photo.sha256,
                photo.kind,
                photo.width,
                photo.height,
                photo.bytes as i64,
                photo.uploaded_by,
                stamp(photo.at)
            ],
        )?;
        Ok(())
    }

    fn photo(&mut self, id: Uuid) -> Result<Option<(String, String)>, StoreError> {
        Ok(self
            .query_row("SELECT uploaded_by, sha256 FROM photos WHERE id = ?1", [id.to_string()], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .optional()?)
    }

    fn attach_photos(&mut self, report: Uuid, photos: &[Uuid], role: &str) -> Result<(), StoreError> {
        // After those the report has in its role, once: a reopened report answered again may
        // show the first answer's "after" photo again beside new ones.
        for photo in photos {
            self.execute(
                "INSERT INTO report_photos (report_id, photo_id, role, position)
                 SELECT ?1, ?2, ?3, COALESCE(MAX(position) + 1, 0) FROM report_photos
                 WHERE report_id = ?1 AND role = ?3
                 ON CONFLICT (report_id, photo_id) DO NOTHING",
                params![report.to_string(), photo.to_string(), role],
            )?;
        }
        Ok(())
    }

    fn purge_unattached(&mut self, cutoff: DateTime<Utc>) -> Result<(usize, Vec<String>), StoreError> {
        let removed: Vec<String> = self
            .0
            .prepare_cached(
                "DELETE FROM photos WHERE created_at < ?1 AND id NOT IN (SELECT photo_id FROM report_photos)
                 RETURNING sha256",
            )?
            .query_map([stamp(cutoff)], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        let mut gone = Vec::new();
        for sha256 in removed.iter().collect::<std::collections::BTreeSet<_>>() {
            let shared: bool =
                self.query_row("SELECT EXISTS (SELECT 1 FROM photos WHERE sha256 = ?1)", [sha256], |row| {
                    row.get(0)
                })?;
            if !shared {
                gone.push(sha256.clone());
            }
        }
        Ok((removed.len(), gone))
    }
}
