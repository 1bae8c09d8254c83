//! The schema, as numbered migrations applied in order at start.
//!
//! SQLite's `user_version` records how many have been applied. Migrations are only ever
//! appended: a database made by any earlier version is brought up to date, and one made by a
//! newer version is refused rather than misread.

use rusqlite::Connection;

use super::StoreError;

const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_reports.sql"),
    include_str!("migrations/0002_staff.sql"),
    include_str!("migrations/0003_followers_and_workflow.sql"),
    include_str!("migrations/0004_photos.sql"),
    include_str!("migrations/0005_ratings.sql"),
    include_str!("migrations/0006_overdue.sql"),
    include_str!("migrations/0007_sync.sql"),
    include_str!("migrations/0008_open311.sql"),
    include_str!("migrations/0009_dossiers.sql"),
];

pub(super) fn apply(conn: &mut Connection) -> Result<(), StoreError> {
    let known = MIGRATIONS.len() as i64;
    let found: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if found > known {
        return Err(StoreError::TooNew { found, known });
    }
    for (number, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", number as i64 + 1)?;
        tx.commit()?;
        tracing::info!(version = number + 1, "database schema migrated");
    }
    Ok(())
}
