//! Open311 clients and their API keys: `phananh-server create-api-key` issues one, and a
//! filing's `api_key` is recognised here.
//!
//! A client files reports as a device of its own: its key is that device's token (random,
//! shown once, stored only as its hash, see [`crate::tokens`]). So everything a device's
//! reports have (idempotent filing, "me too", photos, rate limits by token) holds for a
//! client's, and its reports name the client as their reporter. What makes a device token an
//! API key is its row in `open311_clients`: a resident's device token is not one.

use std::io::Write;
use std::process::ExitCode;

use chrono::Utc;
use phananh_shared::validation::check_text;
use rusqlite::params;
use uuid::Uuid;

use crate::cli::CreateApiKeyArgs;
use crate::http::error::ApiError;
use crate::store::{Store, StoreError, is_unique_violation, stamp};
use crate::tokens;

/// The longest client name.
const NAME_MAX_CHARS: usize = 100;

/// Why a key could not be issued.
#[derive(Debug, thiserror::Error)]
pub enum CreateApiKeyError {
    #[error("the client name must be 1 to {NAME_MAX_CHARS} characters")]
    BadName,
    #[error("an API key for {0:?} exists already; client names are unique")]
    DuplicateName(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
}

/// Issues a key for the client `name`: its device and the key (the only time it is seen).
pub async fn create(store: &Store, name: &str) -> Result<String, CreateApiKeyError> {
    let name = name.trim().to_owned();
    check_text("name", &name, 1, NAME_MAX_CHARS).map_err(|_| CreateApiKeyError::BadName)?;
    let (key, key_hash) = tokens::issue();
    let device = Uuid::now_v7().to_string();
    store
        .write(move |tx| {
            let now = stamp(Utc::now());
            tx.execute(
                "INSERT INTO devices (id, token_hash, name, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![device, key_hash, name, now],
            )?;
            let inserted = tx.execute(
                "INSERT INTO open311_clients (device_id, name, created_at) VALUES (?1, ?2, ?3)",
                params![device, name, now],
            );
            match inserted {
                Ok(_) => Ok(()),
                Err(error) if is_unique_violation(&error) => Err(CreateApiKeyError::DuplicateName(name)),
                Err(error) => Err(error.into()),
            }
        })
        .await?;
    Ok(key)
}

/// The device of the client holding `key`, if it is an API key.
pub async fn recognise(store: &Store, key: &str) -> Result<Option<Uuid>, ApiError> {
    let key_hash = tokens::hash(key);
    store
        .read(move |conn| {
            let mut query = conn.prepare_cached(
                "SELECT d.id FROM devices d JOIN open311_clients c ON c.device_id = d.id
                 WHERE d.token_hash = ?1",
            )?;
            let mut rows = query.query_map([key_hash], |row| crate::reports::rows::uuid(row, 0))?;
            Ok(rows.next().transpose()?)
        })
        .await
}

/// `phananh-server create-api-key --name NAME`: prints the key alone on stdout, for scripts.
pub fn run_create(args: CreateApiKeyArgs) -> Result<ExitCode, CreateApiKeyError> {
    let store = Store::open_in(&args.data.data_dir)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let key = runtime.block_on(create(&store, &args.name))?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{key}")?;
    stdout.flush()?;
    eprintln!("API key issued for {:?}; it is shown only now", args.name.trim());
    Ok(ExitCode::SUCCESS)
}
