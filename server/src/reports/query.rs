//! Reading reports: one report as its reader may see it, lists, nearby open reports, and a
//! report's timeline.

use chrono::{DateTime, Utc};
use geo::{Distance, Haversine, Point};
use phananh_shared::api::{Event, NearbyReport, ReportPage, ReportView, Reporter, WardRef};
use phananh_shared::report::{Category, Location, Reference};
use phananh_shared::sla::Deadlines;
use phananh_shared::status::Status;
use phananh_shared::wards::Match;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};
use uuid::Uuid;

use super::rows::{conversion, parsed, time, uuid};
use crate::http::error::ApiError;
use crate::store::{Store, stamp};

/// Who is reading, which decides between the full and the public view of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reader {
    Public,
    /// A resident's device: the full view of its own reports.
    Device(Uuid),
    /// Staff member `id`: the full view of the reports of `ward` (every ward's when `None`,
    /// for the city).
    Staff {
        id: i64,
        ward: Option<String>,
    },
}

impl Reader {
    /// Whether this reader sees the full view of a report filed by `device` in `ward`.
    pub fn sees_all_of(&self, device: Uuid, ward: &str) -> bool {
        match self {
            Reader::Public => false,
            Reader::Device(reader) => *reader == device,
            Reader::Staff { ward: None, .. } => true,
            Reader::Staff { ward: Some(own), .. } => own == ward,
        }
    }
}

/// The report `id` as `reader` may see it: in full for the device that filed it and the
/// ward's (or the city's) staff, otherwise the public view (no reporter identity or contact
/// details).
pub async fn get(store: &Store, id: Uuid, reader: Reader) -> Result<Option<ReportView>, ApiError> {
    store.read(move |conn| Ok::<_, ApiError>(view(conn, id, &reader)?)).await
}

/// The report's events, oldest first, as `reader` may see them (staff notes only for those
/// who see the staff view, residents' comments only for them, the reporter and followers);
/// `None` if there is no such report.
pub async fn events(store: &Store, id: Uuid, reader: Reader) -> Result<Option<Vec<Event>>, ApiError> {
    store
        .read(move |conn| {
            let Some(staff) = sees_staff_view(conn, id, &reader)? else { return Ok(None) };
            let residents = staff || sees_comments(conn, id, &reader)?;
            let mut query = conn.prepare(
                "SELECT seq, report_id, ward_code, at, data FROM events
                 WHERE report_id = ?1 AND (kind <> 'noted' OR ?2) AND (kind <> 'commented' OR ?3)
                 ORDER BY seq",
            )?;
            let mut events = query
                .query_map(params![id.to_string(), staff, residents], event)?
                .collect::<Result<Vec<_>, _>>()?;
            if !residents {
                for event in &mut events {
                    if let Some(change) = event.change.without_residents_words() {
                        event.change = change;
                    }
                }
            }
            Ok(Some(events))
        })
        .await
}

/// Whether `reader` sees residents' comments on report `id` (an existing one): staff, its
/// reporter and its followers.
fn sees_comments(conn: &Connection, id: Uuid, reader: &Reader) -> rusqlite::Result<bool> {
    let device = match reader {
        Reader::Public => return Ok(false),
        Reader::Staff { .. } => return Ok(true),
        Reader::Device(device) => device.to_string(),
    };
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM reports WHERE id = ?1 AND device_id = ?2)
             OR EXISTS (SELECT 1 FROM followers WHERE report_id = ?1 AND device_id = ?2)",
        params![id.to_string(), device],
        |row| row.get(0),
    )
}

/// Whether `reader` sees report `id`'s staff view (its staff notes): its ward's staff and the
/// city's. `None` if there is no such report.
pub fn sees_staff_view(conn: &Connection, id: Uuid, reader: &Reader) -> rusqlite::Result<Option<bool>> {
    conn.query_row("SELECT device_id, ward_code FROM reports WHERE id = ?1", [id.to_string()], |row| {
        let staff = matches!(reader, Reader::Staff { .. });
        Ok(staff && reader.sees_all_of(uuid(row, 0)?, &row.get::<_, String>(1)?))
    })
    .optional()
}

/// The id of the report with `reference`, if there is one.
pub async fn by_reference(store: &Store, reference: Reference) -> Result<Option<Uuid>, ApiError> {
    let number = i64::try_from(reference.0).unwrap_or(i64::MAX);
    store
        .read(move |conn| {
            let id = conn
                .query_row("SELECT id FROM reports WHERE number = ?1", [number], |row| uuid(row, 0))
                .optional()?;
            Ok::<_, ApiError>(id)
        })
        .await
}

/// The columns of a report view, in the order [`view_row`] reads them.
const VIEW: &str =
    "SELECT r.id, r.category, r.priority, r.description, r.lon, r.lat, r.accuracy_m, r.ward_code,
        w.name, r.ward_match, r.status, r.received_at, r.deadline_ack, r.deadline_handle, r.last_seq,
        (SELECT COUNT(*) FROM followers f WHERE f.report_id = r.id), r.device_id,
        COALESCE(c.name, d.name), COALESCE(c.phone, d.phone), c.email,
        (SELECT group_concat(photo_id) FROM (SELECT photo_id FROM report_photos
            WHERE report_id = r.id AND role = 'report' ORDER BY position)),
        (SELECT group_concat(photo_id) FROM (SELECT photo_id FROM report_photos
            WHERE report_id = r.id AND role = 'after' ORDER BY position)),
        r.number
    FROM reports r
    JOIN wards w ON w.code = r.ward_code AND w.valid_from = r.ward_valid_from
    JOIN devices d ON d.id = r.device_id
    LEFT JOIN report_contacts c ON c.report_id = r.id";

/// Which reports a list shows, newest first.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// These reports only; any when empty.
    pub ids: Vec<Uuid>,
    pub ward: Option<String>,
    /// Any of these statuses; all when empty.
    pub statuses: Vec<Status>,
    /// Any of these categories; all when empty.
    pub categories: Vec<Category>,
    /// `[min_lon, min_lat, max_lon, max_lat]`.
    pub bbox: Option<[f64; 4]>,
    /// Received at or after.
    pub since: Option<DateTime<Utc>>,
    /// Received at or before.
    pub until: Option<DateTime<Utc>>,
    pub limit: u32,
    /// Continue after this position.
    pub after: Option<Cursor>,
    /// Skip this many (for page-numbered lists; `after` is cheaper for long ones).
    pub offset: u32,
}

/// A position in a list: the last report shown, by its receipt time and id (ties on the time
/// are broken by id, so no report is skipped or shown twice between pages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    received_at: String,
    id: Uuid,
}

impl Cursor {
    /// Reads a cursor as [`Cursor::to_string`] wrote it.
    pub fn parse(text: &str) -> Option<Cursor> {
        let (time, id) = text.split_once('~')?;
        let received_at = stamp(DateTime::parse_from_rfc3339(time).ok()?.with_timezone(&Utc));
        Some(Cursor { received_at, id: Uuid::parse_str(id).ok()? })
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}~{}", self.received_at, self.id)
    }
}

/// A page of public views matching `filter`.
pub async fn list(store: &Store, filter: ListFilter) -> Result<ReportPage, ApiError> {
    store.read(move |conn| Ok::<_, ApiError>(page(conn, &filter)?)).await
}

/// [`list`], inside a read the caller holds.
pub fn page(conn: &Connection, filter: &ListFilter) -> rusqlite::Result<ReportPage> {
    let mut sql = format!("{VIEW} WHERE 1 = 1");
    let mut values: Vec<Value> = Vec::new();
    let mut condition = |clause: &str, new: Vec<Value>| {
        sql.push_str(" AND ");
        sql.push_str(clause);
        values.extend(new);
    };
    let marks = |n: usize| vec!["?"; n].join(", ");
    if !filter.ids.is_empty() {
        condition(
            &format!("r.id IN ({})", marks(filter.ids.len())),
            filter.ids.iter().map(|id| id.to_string().into()).collect(),
        );
    }
    if let Some(ward) = &filter.ward {
        condition("r.ward_code = ?", vec![ward.clone().into()]);
    }
    if !filter.statuses.is_empty() {
        condition(
            &format!("r.status IN ({})", marks(filter.statuses.len())),
            filter.statuses.iter().map(|s| s.code().to_owned().into()).collect(),
        );
    }
    if !filter.categories.is_empty() {
        condition(
            &format!("r.category IN ({})", marks(filter.categories.len())),
            filter.categories.iter().map(|c| c.code().to_owned().into()).collect(),
        );
    }
    if let Some([min_lon, min_lat, max_lon, max_lat]) = filter.bbox {
        condition(
            "r.lon BETWEEN ? AND ? AND r.lat BETWEEN ? AND ?",
            vec![min_lon.into(), max_lon.into(), min_lat.into(), max_lat.into()],
        );
    }
    if let Some(since) = filter.since {
        condition("r.received_at >= ?", vec![stamp(since).into()]);
    }
    if let Some(until) = filter.until {
        condition("r.received_at <= ?", vec![stamp(until).into()]);
    }
    if let Some(after) = &filter.after {
        condition(
            "(r.received_at, r.id) < (?, ?)",
            vec![after.received_at.clone().into(), after.id.to_string().into()],
        );
    }
    // One more than asked: whether it exists says whether there is a next page.
    sql.push_str(" ORDER BY r.received_at DESC, r.id DESC LIMIT ? OFFSET ?");
    values.push(i64::from(filter.limit + 1).into());
    values.push(i64::from(filter.offset).into());
    let mut query = conn.prepare(&sql)?;
    let mut reports = query
        .query_map(params_from_iter(values), |row| view_row(row, &Reader::Public))?
        .collect::<Result<Vec<_>, _>>()?;
    let next_cursor = if reports.len() > filter.limit as usize {
        reports.truncate(filter.limit as usize);
        reports.last().map(|last| Cursor { received_at: stamp(last.received_at), id: last.id }.to_string())
    } else {
        None
    };
    Ok(ReportPage { reports, next_cursor })
}

/// How many reports `nearby` returns at most.
const NEARBY_MAX: usize = 20;

/// Open reports within `radius_m` of (`lon`, `lat`), nearest first (public views).
pub async fn nearby(
    store: &Store,
    lon: f64,
    lat: f64,
    radius_m: f64,
    category: Option<Category>,
) -> Result<Vec<NearbyReport>, ApiError> {
    store
        .read(move |conn| {
            // A box in degrees around the point narrows the search; the exact distance decides.
            let dlat = radius_m / 111_000.0;
            let dlon = dlat / lat.to_radians().cos().max(0.01);
            let open: Vec<Status> = Status::ALL.into_iter().filter(|s| s.is_open()).collect();
            let marks = vec!["?"; open.len()].join(", ");
            let mut values: Vec<Value> =
                vec![(lat - dlat).into(), (lat + dlat).into(), (lon - dlon).into(), (lon + dlon).into()];
            values.extend(open.iter().map(|s| Value::from(s.code().to_owned())));
            let mut sql = format!(
                "{VIEW} WHERE r.lat BETWEEN ? AND ? AND r.lon BETWEEN ? AND ? AND r.status IN ({marks})"
            );
            if let Some(category) = category {
                sql.push_str(" AND r.category = ?");
                values.push(category.code().to_owned().into());
            }
            let here = Point::new(lon, lat);
            let mut query = conn.prepare(&sql)?;
            let mut near: Vec<NearbyReport> = query
                .query_map(params_from_iter(values), |row| view_row(row, &Reader::Public))?
                .map(|view| {
                    view.map(|report| {
                        let at = Point::new(report.location.lon, report.location.lat);
                        NearbyReport {
                            distance_m: (Haversine.distance(here, at) * 10.0).round() / 10.0,
                            report,
                        }
                    })
                })
                .filter(|near| near.as_ref().map_or(true, |n| n.distance_m <= radius_m))
                .collect::<Result<_, _>>()?;
            near.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m));
            near.truncate(NEARBY_MAX);
            Ok(near)
        })
        .await
}

pub(crate) fn view(conn: &Connection, id: Uuid, reader: &Reader) -> rusqlite::Result<Option<ReportView>> {
    conn.query_row(&format!("{VIEW} WHERE r.id = ?1"), [id.to_string()], |row| view_row(row, reader))
        .optional()
}

/// A report view from a row of [`VIEW`]; the reporter is filled in only for a reader who sees
/// the full report.
fn view_row(row: &Row, reader: &Reader) -> rusqlite::Result<ReportView> {
    let device_id = uuid(row, 16)?;
    let ward: String = row.get(7)?;
    let reporter = if reader.sees_all_of(device_id, &ward) {
        Some(Reporter { device_id, name: row.get(17)?, phone: row.get(18)?, email: row.get(19)? })
    } else {
        None
    };
    Ok(ReportView {
        id: uuid(row, 0)?,
        reference: row.get::<_, Option<i64>>(22)?.map(|number| Reference(number as u64)),
        category: parsed(row, 1)?,
        priority: parsed(row, 2)?,
        description: row.get(3)?,
        location: Location { lon: row.get(4)?, lat: row.get(5)?, accuracy_m: row.get(6)? },
        ward: WardRef { code: row.get(7)?, name: row.get(8)? },
        ward_match: parsed::<Match>(row, 9)?,
        status: parsed(row, 10)?,
        received_at: time(row, 11)?,
        deadlines: Deadlines { acknowledge: time(row, 12)?, handle: time(row, 13)? },
        seq: row.get::<_, i64>(14)? as u64,
        followers: row.get::<_, i64>(15)? as u64,
        photos: uuids(row, 20)?,
        after_photos: uuids(row, 21)?,
        reporter,
    })
}

/// A comma-separated list of UUIDs (SQLite's `group_concat`), empty when NULL.
fn uuids(row: &Row, column: usize) -> rusqlite::Result<Vec<Uuid>> {
    let list: Option<String> = row.get(column)?;
    list.iter()
        .flat_map(|list| list.split(','))
        .map(|id| Uuid::parse_str(id).map_err(|e| conversion(column, e)))
        .collect()
}

pub(crate) fn event(row: &Row) -> rusqlite::Result<Event> {
    let data: String = row.get(4)?;
    Ok(Event {
        seq: row.get::<_, i64>(0)? as u64,
        report_id: uuid(row, 1)?,
        ward_code: row.get(2)?,
        at: time(row, 3)?,
        change: serde_json::from_str(&data).map_err(|e| conversion(4, e))?,
    })
}
