//! Reports: filing (routed, deadlines set, recorded with its event in one transaction) and
//! reading them back with their timeline.

use chrono::{DateTime, Utc};
use phananh_shared::api::{Change, Event, ReportView, Reporter, WardRef};
use phananh_shared::report::NewReport;
use phananh_shared::sla::{Deadlines, SlaPolicy, WorkCalendar};
use phananh_shared::status::Status;
use phananh_shared::wards::{Match, WardIndex, outside_city};
use rusqlite::{Connection, OptionalExtension, Row, params};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::http::error::ApiError;
use crate::store::Store;

/// Whether a filing made a new report or met one already stored with the same content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filed {
    Created,
    AlreadyThere,
}

/// Files `report` for `device`: validates it, routes it to its ward, sets its deadlines and
/// records it with its `filed` event. Filing the same report again (same id, same content,
/// same device) returns the stored one; the same id with anything else is a conflict.
pub async fn file(
    store: &Store,
    wards: &WardIndex,
    policy: &SlaPolicy,
    device: Uuid,
    report: NewReport,
) -> Result<(Filed, ReportView), ApiError> {
    report.validate()?;
    let (lon, lat) = (report.location.lon, report.location.lat);
    let found = wards.locate(lon, lat).ok_or_else(|| outside_city("location", lon, lat))?;
    let content_hash = Sha256::digest(serde_json::to_vec(&report).expect("a report serialises")).to_vec();
    let received_at = Utc::now();
    let deadlines = policy.deadlines_at_filing(WorkCalendar::vietnam(), received_at, report.priority);
    let (ward_code, ward_match, distance_m) = (found.ward.code.clone(), found.matched, found.distance_m);
    let ward_valid_from = wards.validity().from;

    store
        .write(move |tx| {
            if let Some((owner, stored_hash)) = existing(tx, report.id)? {
                if owner != device || stored_hash != content_hash {
                    return Err(ApiError::conflict(
                        "id",
                        format!("report {} already exists with different content", report.id),
                    ));
                }
                return Ok((Filed::AlreadyThere, view(tx, report.id, Some(device))?.expect("it exists")));
            }
            tx.execute(
                "INSERT INTO reports (id, device_id, content_hash, category, priority, description, lon, lat,
                    accuracy_m, ward_code, ward_valid_from, ward_match, ward_distance_m, status, received_at,
                    deadline_ack, deadline_handle, last_seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, 0)",
                params![
                    report.id.to_string(),
                    device.to_string(),
                    content_hash,
                    report.category.code(),
                    text(&report.priority),
                    report.description.trim(),
                    lon,
                    lat,
                    report.location.accuracy_m,
                    ward_code,
                    ward_valid_from.to_string(),
                    text(&ward_match),
                    distance_m,
                    Status::Submitted.code(),
                    received_at.to_rfc3339(),
                    deadlines.acknowledge.to_rfc3339(),
                    deadlines.handle.to_rfc3339(),
                ],
            )?;
            let change = Change::Filed {
                status: Status::Submitted,
                category: report.category,
                priority: report.priority,
                deadlines,
            };
            append_event(tx, report.id, &ward_code, received_at, &format!("device:{device}"), &change)?;
            Ok((Filed::Created, view(tx, report.id, Some(device))?.expect("just inserted")))
        })
        .await
}

/// The report `id` as `reader` may see it: in full for the device that filed it, otherwise
/// the public view (no reporter identity or contact details).
pub async fn get(store: &Store, id: Uuid, reader: Option<Uuid>) -> Result<Option<ReportView>, ApiError> {
    store.read(move |conn| Ok::<_, ApiError>(view(conn, id, reader)?)).await
}

/// The report's events, oldest first; `None` if there is no such report.
pub async fn events(store: &Store, id: Uuid) -> Result<Option<Vec<Event>>, ApiError> {
    store
        .read(move |conn| {
            if existing(conn, id)?.is_none() {
                return Ok(None);
            }
            let mut query = conn.prepare(
                "SELECT seq, report_id, ward_code, at, data FROM events WHERE report_id = ?1 ORDER BY seq",
            )?;
            let events = query.query_map([id.to_string()], event)?.collect::<Result<Vec<_>, _>>()?;
            Ok(Some(events))
        })
        .await
}

fn existing(conn: &Connection, id: Uuid) -> rusqlite::Result<Option<(Uuid, Vec<u8>)>> {
    conn.query_row("SELECT device_id, content_hash FROM reports WHERE id = ?1", [id.to_string()], |row| {
        Ok((uuid(row, 0)?, row.get(1)?))
    })
    .optional()
}

fn append_event(
    tx: &Connection,
    report: Uuid,
    ward_code: &str,
    at: DateTime<Utc>,
    actor: &str,
    change: &Change,
) -> rusqlite::Result<u64> {
    let data = serde_json::to_string(change).expect("a change serialises");
    let kind =
        serde_json::to_value(change).expect("a change serialises")["kind"].as_str().unwrap_or("").to_owned();
    tx.execute(
        "INSERT INTO events (report_id, ward_code, kind, at, actor, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![report.to_string(), ward_code, kind, at.to_rfc3339(), actor, data],
    )?;
    let seq = tx.last_insert_rowid();
    tx.execute("UPDATE reports SET last_seq = ?1 WHERE id = ?2", params![seq, report.to_string()])?;
    Ok(seq as u64)
}

fn view(conn: &Connection, id: Uuid, reader: Option<Uuid>) -> rusqlite::Result<Option<ReportView>> {
    conn.query_row(
        "SELECT r.id, r.category, r.priority, r.description, r.lon, r.lat, r.accuracy_m, r.ward_code, w.name,
                r.ward_match, r.status, r.received_at, r.deadline_ack, r.deadline_handle, r.last_seq,
                r.device_id, d.name, d.phone
         FROM reports r
         JOIN wards w ON w.code = r.ward_code AND w.valid_from = r.ward_valid_from
         JOIN devices d ON d.id = r.device_id
         WHERE r.id = ?1",
        [id.to_string()],
        |row| {
            let device_id = uuid(row, 15)?;
            let reporter = (reader == Some(device_id)).then(|| -> rusqlite::Result<Reporter> {
                Ok(Reporter { device_id, name: row.get(16)?, phone: row.get(17)? })
            });
            Ok(ReportView {
                id: uuid(row, 0)?,
                category: parsed(row, 1)?,
                priority: parsed(row, 2)?,
                description: row.get(3)?,
                location: phananh_shared::report::Location {
                    lon: row.get(4)?,
                    lat: row.get(5)?,
                    accuracy_m: row.get(6)?,
                },
                ward: WardRef { code: row.get(7)?, name: row.get(8)? },
                ward_match: parsed::<Match>(row, 9)?,
                status: parsed(row, 10)?,
                received_at: time(row, 11)?,
                deadlines: Deadlines { acknowledge: time(row, 12)?, handle: time(row, 13)? },
                seq: row.get::<_, i64>(14)? as u64,
                reporter: reporter.transpose()?,
            })
        },
    )
    .optional()
}

fn event(row: &Row) -> rusqlite::Result<Event> {
    let data: String = row.get(4)?;
    Ok(Event {
        seq: row.get::<_, i64>(0)? as u64,
        report_id: uuid(row, 1)?,
        ward_code: row.get(2)?,
        at: time(row, 3)?,
        change: serde_json::from_str(&data).map_err(|e| conversion(4, e))?,
    })
}

/// The wire name of a snake_case enum, as stored.
fn text<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).expect("a unit enum variant")
}

/// A stored wire name read back as its enum.
fn parsed<T: serde::de::DeserializeOwned>(row: &Row, column: usize) -> rusqlite::Result<T> {
    let text: String = row.get(column)?;
    serde_json::from_value(serde_json::Value::String(text)).map_err(|e| conversion(column, e))
}

fn uuid(row: &Row, column: usize) -> rusqlite::Result<Uuid> {
    let text: String = row.get(column)?;
    Uuid::parse_str(&text).map_err(|e| conversion(column, e))
}

fn time(row: &Row, column: usize) -> rusqlite::Result<DateTime<Utc>> {
    let text: String = row.get(column)?;
    DateTime::parse_from_rfc3339(&text).map(|t| t.with_timezone(&Utc)).map_err(|e| conversion(column, e))
}

fn conversion(column: usize, error: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, Box::new(error))
}
