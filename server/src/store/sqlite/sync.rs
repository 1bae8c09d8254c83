//! [`SyncOperations`] in SQLite.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

use super::{Sqlite, stamp, uuid};
use crate::store::{StoreError, SyncAnswer, SyncOperations};

impl SyncOperations for Sqlite<'_> {
    fn sync_answer(&mut self, id: Uuid) -> Result<Option<SyncAnswer>, StoreError> {
        Ok(self
            .query_row(
                "SELECT device_id, request_hash, answer FROM sync_operations WHERE id = ?1",
                [id.to_string()],
                |row| {
                    Ok(SyncAnswer { device: uuid(row, 0)?, request_hash: row.get(1)?, answer: row.get(2)? })
                },
            )
            .optional()?)
    }

    fn record_sync_answer(
        &mut self,
        id: Uuid,
        answer: &SyncAnswer,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO sync_operations (id, device_id, request_hash, answer, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id.to_string(), answer.device.to_string(), answer.request_hash, answer.answer, stamp(at)],
        )?;
        Ok(())
    }

    fn begin_operation(&mut self) -> Result<(), StoreError> {
        Ok(self.0.execute_batch("SAVEPOINT operation")?)
    }

    fn keep_operation(&mut self) -> Result<(), StoreError> {
        Ok(self.0.execute_batch("RELEASE operation")?)
    }

    fn undo_operation(&mut self) -> Result<(), StoreError> {
        Ok(self.0.execute_batch("ROLLBACK TO operation; RELEASE operation")?)
    }
}
