//! The sync protocol's record of operations applied: each operation's id with the answer it
//! was given, so that the same operation sent again gets the same answer and is applied once.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::StoreError;

/// An operation's answer, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncAnswer {
    pub device: Uuid,
    /// SHA-256 of the operation as sent: tells a retry from another operation under its id.
    pub request_hash: Vec<u8>,
    /// The answer, in JSON, as it was given.
    pub answer: String,
}

/// What a store keeps of sync operations.
pub trait SyncOperations {
    /// The answer recorded for operation `id`, if it was applied.
    fn sync_answer(&mut self, id: Uuid) -> Result<Option<SyncAnswer>, StoreError>;

    /// Records the answer to operation `id`, applied at `at` (once: an id is one operation's).
    fn record_sync_answer(
        &mut self,
        id: Uuid,
        answer: &SyncAnswer,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Starts applying one operation within the transaction (a savepoint), so that a refused
    /// operation can be undone on its own and its refusal still recorded.
    fn begin_operation(&mut self) -> Result<(), StoreError>;

    /// Keeps what the operation begun last wrote.
    fn keep_operation(&mut self) -> Result<(), StoreError>;

    /// Undoes what the operation begun last wrote (even after a failed statement), and goes on
    /// with the transaction.
    fn undo_operation(&mut self) -> Result<(), StoreError>;
}
