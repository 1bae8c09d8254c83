//! Moving a city from one server on SQLite to a cluster on PostgreSQL: every table copied
//! row by row into an empty database, each value converted to the column's PostgreSQL type,
//! the counters set where the copy left them, and the photos' parts moved from the folder
//! into the database. It ends by reading every table back from PostgreSQL and comparing its
//! row count and a checksum with SQLite's.
//!
//! The checksum of a table is the SHA-256 of its rows' own hashes, sorted: independent of
//! the order either engine returns rows in, and of how each stores a value (a time is hashed
//! as the instant it is, not as SQLite's text).

use std::process::ExitCode;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use rusqlite::types::Value as Stored;
use sha2::{Digest, Sha256};
use tokio_postgres::NoTls;
use tokio_postgres::types::{ToSql, Type};
use uuid::Uuid;

use super::StoreError;
use super::postgres::Postgres;
use crate::photos::{PhotoPart, PhotoStore};

/// The tables, parents before children (the order rows may be inserted in).
const TABLES: &[&str] = &[
    "wards",
    "devices",
    "staff",
    "sessions",
    "transfer_codes",
    "open311_clients",
    "reports",
    "kept_reports",
    "report_contacts",
    "followers",
    "ratings",
    "ward_days",
    "handling_samples",
    "photos",
    "report_photos",
    "dossiers",
    "dossier_trackers",
    "events",
    "sync_operations",
];

/// What the move found, table by table: rows in SQLite, rows read back from PostgreSQL, and
/// whether the checksums agree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    pub tables: Vec<(String, u64, u64, bool)>,
    /// Photos whose parts were moved, and whether every one reads back the same.
    pub photos: (u64, bool),
}

impl Moved {
    /// Whether everything arrived as it left.
    pub fn is_whole(&self) -> bool {
        self.tables.iter().all(|(_, from, to, same)| from == to && *same) && self.photos.1
    }
}

/// Why the move did not happen.
#[derive(Debug, thiserror::Error)]
pub enum MoveError {
    #[error("there is no database in {}", .0.display())]
    NoDatabase(std::path::PathBuf),
    #[error(
        "the PostgreSQL database is not empty (table {0} has rows): a city is moved into an empty database"
    )]
    NotEmpty(String),
    #[error("{table}.{column}: a stored value PostgreSQL's {pg_type} cannot take: {value}")]
    Unconvertible { table: String, column: String, pg_type: String, value: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the photos: {0}")]
    Photos(#[from] std::io::Error),
    #[error("the runtime: {0}")]
    Runtime(std::io::Error),
}

impl From<rusqlite::Error> for MoveError {
    fn from(error: rusqlite::Error) -> MoveError {
        MoveError::Store(error.into())
    }
}

impl From<tokio_postgres::Error> for MoveError {
    fn from(error: tokio_postgres::Error) -> MoveError {
        MoveError::Store(error.into())
    }
}

/// Moves the SQLite database `sqlite` and the photos of `photos` into the empty PostgreSQL
/// database at `url` (its schema made first).
pub async fn move_to_postgres(
    sqlite: &rusqlite::Connection,
    photos: &PhotoStore,
    url: &str,
) -> Result<Moved, MoveError> {
    let database = Postgres::connect(url).await?;
    let config: tokio_postgres::Config = url.parse().map_err(StoreError::DatabaseUrl)?;
    let (mut client, connection) = config.connect(NoTls).await?;
    let connection = tokio::spawn(connection);
    for table in TABLES {
        let found = client.query_one(&format!("SELECT EXISTS (SELECT 1 FROM {table})"), &[]).await?;
        if found.get(0) {
            return Err(MoveError::NotEmpty((*table).to_owned()));
        }
    }

    // One read of SQLite, one transaction of PostgreSQL: all of it or nothing.
    sqlite.execute_batch("BEGIN")?;
    let tx = client.transaction().await?;
    let mut sums = Vec::new();
    for table in TABLES {
        let columns = columns(&tx, table).await?;
        let names = columns.iter().map(|(name, _)| name.as_str()).collect::<Vec<_>>().join(", ");
        let marks = (1..=columns.len()).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ");
        let insert = tx.prepare(&format!("INSERT INTO {table} ({names}) VALUES ({marks})")).await?;
        let mut query = sqlite.prepare(&format!("SELECT {names} FROM {table}"))?;
        let mut rows = query.query([])?;
        let mut hashes = Vec::new();
        while let Some(row) = rows.next()? {
            let mut values = Vec::with_capacity(columns.len());
            for (n, (column, pg_type)) in columns.iter().enumerate() {
                let value =
                    convert(row.get::<_, Stored>(n)?, pg_type).ok_or_else(|| MoveError::Unconvertible {
                        table: (*table).to_owned(),
                        column: column.clone(),
                        pg_type: pg_type.to_string(),
                        value: format!("{:?}", row.get::<_, Stored>(n)),
                    })?;
                values.push(value);
            }
            hashes.push(row_hash(&values));
            let params: Vec<&(dyn ToSql + Sync)> = values.iter().map(Value::as_sql).collect();
            tx.execute(&insert, &params).await?;
        }
        sums.push(((*table).to_owned(), hashes));
    }
    sqlite.execute_batch("COMMIT")?;
    // The counters go on from where the copy left them, as do the generated ids.
    tx.batch_execute(
        "UPDATE event_counter SET last = (SELECT COALESCE(MAX(seq), 0) FROM events);
         UPDATE report_counter SET last = (SELECT COALESCE(MAX(number), 0) FROM reports);
         SELECT setval(pg_get_serial_sequence('staff', 'id'), COALESCE((SELECT MAX(id) FROM staff), 0) + 1, false);
         SELECT setval(pg_get_serial_sequence('ratings', 'id'), COALESCE((SELECT MAX(id) FROM ratings), 0) + 1, false);",
    )
    .await?;
    tx.commit().await?;

    let mut tables = Vec::new();
    for (table, hashes) in sums {
        let columns = columns(&client, &table).await?;
        let names = columns.iter().map(|(name, _)| name.as_str()).collect::<Vec<_>>().join(", ");
        let mut back = Vec::new();
        for row in client.query(&format!("SELECT {names} FROM {table}"), &[]).await? {
            let values: Vec<Value> =
                columns.iter().enumerate().map(|(n, (_, t))| read_back(&row, n, t)).collect();
            back.push(row_hash(&values));
        }
        tables.push((table, hashes.len() as u64, back.len() as u64, checksum(hashes) == checksum(back)));
    }
    drop(client);
    let _ = connection.await;
    let photos = move_photos(sqlite, photos, database).await?;
    Ok(Moved { tables, photos })
}

/// Moves the parts of every photo the database names from the folder into PostgreSQL: how
/// many, and whether each reads back the same.
async fn move_photos(
    sqlite: &rusqlite::Connection,
    folder: &PhotoStore,
    database: Postgres,
) -> Result<(u64, bool), MoveError> {
    let mut query = sqlite.prepare("SELECT DISTINCT sha256 FROM photos")?;
    let hashes = query.query_map([], |row| row.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
    let folder = folder.clone();
    let moved = tokio::task::spawn_blocking(move || {
        let (mut moved, mut same) = (0, true);
        let parts = [PhotoPart::Original, PhotoPart::Public, PhotoPart::Thumb, PhotoPart::Meta];
        for sha256 in hashes {
            let read = parts.map(|part| folder.part(&sha256, part));
            let [Ok(Some(original)), Ok(Some(public)), Ok(Some(thumb)), Ok(Some(meta))] = read else {
                tracing::warn!(photo = %sha256, "a photo the database names has no files: not moved");
                same = false;
                continue;
            };
            database.put_photo(&sha256, [&original, &public, &thumb, &meta])?;
            let back = parts.map(|part| database.photo_part(&sha256, part).ok().flatten());
            same &= back == [original, public, thumb, meta].map(Some);
            moved += 1;
        }
        Ok::<_, StoreError>((moved, same))
    });
    Ok(moved.await.expect("moving photos does not panic")?)
}

/// The columns of `table` in PostgreSQL, in order, with their types.
async fn columns(
    client: &impl tokio_postgres::GenericClient,
    table: &str,
) -> Result<Vec<(String, Type)>, MoveError> {
    let statement = client.prepare(&format!("SELECT * FROM {table} LIMIT 0")).await?;
    Ok(statement.columns().iter().map(|c| (c.name().to_owned(), c.type_().clone())).collect())
}

/// A value as PostgreSQL takes it.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Text(Option<String>),
    Int(Option<i64>),
    Int4(Option<i32>),
    Real(Option<f64>),
    Bool(Option<bool>),
    Uuid(Option<Uuid>),
    Time(Option<DateTime<Utc>>),
    Date(Option<NaiveDate>),
    Bytes(Option<Vec<u8>>),
    Json(Option<serde_json::Value>),
}

impl Value {
    fn as_sql(&self) -> &(dyn ToSql + Sync) {
        match self {
            Value::Text(v) => v,
            Value::Int(v) => v,
            Value::Int4(v) => v,
            Value::Real(v) => v,
            Value::Bool(v) => v,
            Value::Uuid(v) => v,
            Value::Time(v) => v,
            Value::Date(v) => v,
            Value::Bytes(v) => v,
            Value::Json(v) => v,
        }
    }

    /// The value written the same whichever engine it was read from.
    fn canonical(&self) -> String {
        fn or_null<T>(value: &Option<T>, show: impl Fn(&T) -> String) -> String {
            value.as_ref().map_or_else(|| "NULL".to_owned(), show)
        }
        match self {
            Value::Text(v) => or_null(v, |s| format!("{s:?}")),
            Value::Int(v) => or_null(v, i64::to_string),
            Value::Int4(v) => or_null(v, i32::to_string),
            Value::Real(v) => or_null(v, |f| format!("{:x}", f.to_bits())),
            Value::Bool(v) => or_null(v, bool::to_string),
            Value::Uuid(v) => or_null(v, Uuid::to_string),
            Value::Time(v) => or_null(v, |t| t.to_rfc3339_opts(SecondsFormat::Micros, true)),
            Value::Date(v) => or_null(v, NaiveDate::to_string),
            Value::Bytes(v) => or_null(v, |b| b.iter().map(|x| format!("{x:02x}")).collect()),
            Value::Json(v) => or_null(v, sorted_json),
        }
    }
}

/// `stored` (SQLite's) as column type `pg_type` takes it, or `None` if it cannot.
fn convert(stored: Stored, pg_type: &Type) -> Option<Value> {
    let text = |stored: &Stored| match stored {
        Stored::Text(text) => Some(text.clone()),
        _ => None,
    };
    let null = matches!(stored, Stored::Null);
    macro_rules! nullable {
        ($variant:ident, $convert:expr) => {
            if null { Some(Value::$variant(None)) } else { $convert.map(|v| Value::$variant(Some(v))) }
        };
    }
    match *pg_type {
        Type::TEXT | Type::VARCHAR => nullable!(Text, text(&stored)),
        Type::INT8 => nullable!(
            Int,
            match stored {
                Stored::Integer(i) => Some(i),
                _ => None,
            }
        ),
        Type::INT4 => nullable!(
            Int4,
            match stored {
                Stored::Integer(i) => i32::try_from(i).ok(),
                _ => None,
            }
        ),
        Type::FLOAT8 => nullable!(
            Real,
            match stored {
                Stored::Real(f) => Some(f),
                Stored::Integer(i) => Some(i as f64),
                _ => None,
            }
        ),
        Type::BOOL => nullable!(
            Bool,
            match stored {
                Stored::Integer(i) => Some(i != 0),
                _ => None,
            }
        ),
        Type::UUID => nullable!(Uuid, text(&stored).and_then(|t| Uuid::parse_str(&t).ok())),
        Type::TIMESTAMPTZ => nullable!(
            Time,
            text(&stored).and_then(|t| DateTime::parse_from_rfc3339(&t).ok()).map(|t| t.with_timezone(&Utc))
        ),
        Type::DATE => nullable!(Date, text(&stored).and_then(|t| t.parse().ok())),
        Type::BYTEA => nullable!(
            Bytes,
            match stored {
                Stored::Blob(b) => Some(b),
                _ => None,
            }
        ),
        Type::JSONB | Type::JSON => {
            nullable!(Json, text(&stored).and_then(|t| serde_json::from_str(&t).ok()))
        }
        _ => None,
    }
}

/// Column `n` of `row` (PostgreSQL's), of type `pg_type`.
fn read_back(row: &tokio_postgres::Row, n: usize, pg_type: &Type) -> Value {
    match *pg_type {
        Type::INT8 => Value::Int(row.get(n)),
        Type::INT4 => Value::Int4(row.get(n)),
        Type::FLOAT8 => Value::Real(row.get(n)),
        Type::BOOL => Value::Bool(row.get(n)),
        Type::UUID => Value::Uuid(row.get(n)),
        Type::TIMESTAMPTZ => Value::Time(row.get(n)),
        Type::DATE => Value::Date(row.get(n)),
        Type::BYTEA => Value::Bytes(row.get(n)),
        Type::JSONB | Type::JSON => Value::Json(row.get(n)),
        _ => Value::Text(row.get(n)),
    }
}

/// `json` with every object's keys in order: jsonb keeps them in an order of its own.
fn sorted_json(json: &serde_json::Value) -> String {
    match json {
        serde_json::Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let fields: Vec<String> =
                keys.into_iter().map(|key| format!("{key:?}:{}", sorted_json(&map[key]))).collect();
            format!("{{{}}}", fields.join(","))
        }
        serde_json::Value::Array(items) => {
            format!("[{}]", items.iter().map(sorted_json).collect::<Vec<_>>().join(","))
        }
        other => other.to_string(),
    }
}

fn row_hash(values: &[Value]) -> [u8; 32] {
    let mut hash = Sha256::new();
    for value in values {
        hash.update(value.canonical().as_bytes());
        hash.update([0]);
    }
    hash.finalize().into()
}

/// The table's checksum: its rows' hashes, sorted, hashed.
fn checksum(mut rows: Vec<[u8; 32]>) -> [u8; 32] {
    rows.sort_unstable();
    let mut hash = Sha256::new();
    for row in rows {
        hash.update(row);
    }
    hash.finalize().into()
}

/// `phananh-server migrate-to-postgres`: moves the data directory's database and photos
/// into the empty PostgreSQL database, then prints what it compared, table by table.
pub fn run(args: crate::cli::MoveArgs) -> Result<ExitCode, MoveError> {
    if !args.data_dir.join(super::DATABASE_FILE).exists() {
        return Err(MoveError::NoDatabase(args.data_dir));
    }
    // The SQLite database as this version writes it (migrated if it is older).
    drop(super::sqlite::SqliteStore::open_in(&args.data_dir)?);
    let sqlite = rusqlite::Connection::open_with_flags(
        args.data_dir.join(super::DATABASE_FILE),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?;
    let photos = PhotoStore::open(args.data_dir.join(crate::serve::PHOTOS_DIR))?;
    let runtime = tokio::runtime::Runtime::new().map_err(MoveError::Runtime)?;
    let moved = runtime.block_on(move_to_postgres(&sqlite, &photos, &args.database_url))?;
    for (table, from, to, same) in &moved.tables {
        let checksum = if *same { "same" } else { "DIFFERENT" };
        println!("{table:<17} {from:>9} rows in SQLite {to:>9} in PostgreSQL   checksum {checksum}");
    }
    let (photos, same) = moved.photos;
    println!(
        "{:<17} {photos:>9} moved, {}",
        "photo files",
        if same { "each read back the same" } else { "NOT ALL READ BACK THE SAME" }
    );
    Ok(if moved.is_whole() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
