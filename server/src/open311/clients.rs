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
use uuid::Uuid;

use crate::cli::CreateApiKeyArgs;
use crate::error::DomainError;
use crate::store::{Store, StoreError};
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
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
}

/// Issues a key for the client `name`: its device and the key (the only time it is seen).
pub async fn create(store: &Store, name: &str) -> Result<String, CreateApiKeyError> {
    let name = name.trim().to_owned();
    check_text("name", &name, 1, NAME_MAX_CHARS).map_err(|_| CreateApiKeyError::BadName)?;
    let (key, key_hash) = tokens::issue();
    let device = Uuid::now_v7();
    let now = Utc::now();
    store
        .change(move |db| {
            db.add_device(device, &key_hash, Some(&name), None, now)?;
            match db.add_open311_client(device, &name, now)? {
                true => Ok(()),
                false => Err(CreateApiKeyError::DuplicateName(name)),
            }
        })
        .await?;
    Ok(key)
}

/// The device of the client holding `key`, if it is an API key.
pub async fn recognise(store: &Store, key: &str) -> Result<Option<Uuid>, DomainError> {
    let key_hash = tokens::hash(key);
    Ok(store.query(move |db| db.open311_client(&key_hash)).await?)
}

/// `phananh-server create-api-key --name NAME`: prints the key alone on stdout, for scripts.
pub fn run_create(args: CreateApiKeyArgs) -> Result<ExitCode, CreateApiKeyError> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let key = runtime.block_on(async { create(&args.data.store().await?, &args.name).await })?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{key}")?;
    stdout.flush()?;
    eprintln!("API key issued for {:?}; it is shown only now", args.name.trim());
    Ok(ExitCode::SUCCESS)
}
