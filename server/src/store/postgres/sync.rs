//! [`SyncOperations`] in PostgreSQL.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Pg;
use crate::store::{StoreError, SyncAnswer, SyncOperations};

impl SyncOperations for Pg<'_, '_> {
    fn sync_answer(&mut self, id: Uuid) -> Result<Option<SyncAnswer>, StoreError> {
        let found =
            self.row("SELECT device_id, request_hash, answer FROM sync_operations WHERE id = $1", &[&id])?;
        Ok(found.map(|row| SyncAnswer { device: row.get(0), request_hash: row.get(1), answer: row.get(2) }))
    }

    fn record_sync_answer(
        &mut self,
        id: Uuid,
        answer: &SyncAnswer,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO sync_operations (id, device_id, request_hash, answer, created_at) VALUES ($1, $2, $3, $4, $5)",
            &[&id, &answer.device, &answer.request_hash, &answer.answer, &at],
        )?;
        Ok(())
    }

    fn begin_operation(&mut self) -> Result<(), StoreError> {
        self.batch("SAVEPOINT operation")
    }

    fn keep_operation(&mut self) -> Result<(), StoreError> {
        self.batch("RELEASE SAVEPOINT operation")
    }

    fn undo_operation(&mut self) -> Result<(), StoreError> {
        self.batch("ROLLBACK TO SAVEPOINT operation; RELEASE SAVEPOINT operation")?;
        // A statement that failed within the operation is undone with it: the transaction
        // goes on whole.
        self.failed.set(false);
        Ok(())
    }
}
