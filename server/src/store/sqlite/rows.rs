//! Reading SQLite's values back: UUIDs, times and snake_case enums kept as text.

use chrono::{DateTime, Utc};
use rusqlite::Row;
use uuid::Uuid;

/// A stored wire name read back as its enum.
pub(crate) fn parsed<T: serde::de::DeserializeOwned>(row: &Row, column: usize) -> rusqlite::Result<T> {
    let text: String = row.get(column)?;
    serde_json::from_value(serde_json::Value::String(text)).map_err(|e| conversion(column, e))
}

pub(crate) fn uuid(row: &Row, column: usize) -> rusqlite::Result<Uuid> {
    let text: String = row.get(column)?;
    Uuid::parse_str(&text).map_err(|e| conversion(column, e))
}

pub(crate) fn time(row: &Row, column: usize) -> rusqlite::Result<DateTime<Utc>> {
    let text: String = row.get(column)?;
    DateTime::parse_from_rfc3339(&text).map(|t| t.with_timezone(&Utc)).map_err(|e| conversion(column, e))
}

pub(crate) fn conversion(
    column: usize,
    error: impl std::error::Error + Send + Sync + 'static,
) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, Box::new(error))
}
