//! The PostgreSQL schema, as numbered migrations applied in order at start.
//!
//! The one row of `schema_version` records how many have been applied. As for SQLite,
//! migrations are only ever appended, and a database made by a newer version is refused.
//! Nodes starting together take turns (an advisory lock held by the migrating
//! transaction): the first brings the schema up to date, the others find it done. PostgreSQL
//! changes its schema in transactions, so a migration that fails leaves nothing behind.

use deadpool_postgres::Client;

use super::StoreError;

const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_schema.sql"),
    include_str!("migrations/0002_kept_figures.sql"),
    include_str!("migrations/0003_ward_leads_and_assignment.sql"),
];

/// The advisory lock of migrating: "phananh" and 1, as one number.
const MIGRATING: i64 = 0x7068_616e_616e_6801;

pub(super) async fn apply(client: &mut Client) -> Result<(), StoreError> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATING]).await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_version (
             one     boolean PRIMARY KEY DEFAULT true CHECK (one),
             version integer NOT NULL
         )",
    )
    .await?;
    let found: i64 = tx
        .query_opt("SELECT version FROM schema_version", &[])
        .await?
        .map_or(0, |row| row.get::<_, i32>(0).into());
    let known = MIGRATIONS.len() as i64;
    if found > known {
        return Err(StoreError::TooNew { found, known });
    }
    for (number, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        tx.batch_execute(sql).await?;
        tracing::info!(version = number + 1, "database schema migrated");
    }
    if found < known {
        let version = known as i32;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES ($1) ON CONFLICT (one) DO UPDATE SET version = $1",
            &[&version],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
