//! [`Reports`] in SQLite.

use chrono::{DateTime, Utc};
use phananh_shared::api::{Event, ReportView, Reporter, WardRef};
use phananh_shared::report::{Location, Reference};
use phananh_shared::sla::Deadlines;
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, Row, params, params_from_iter};
use uuid::Uuid;

use super::rows::{conversion, parsed, time};
use super::{Sqlite, stamp, uuid};
use crate::store::{ListFilter, Rating, ReportChange, ReportRecord, ReportState, Reports, StoreError};

impl Reports for Sqlite<'_> {
    fn insert_report(&mut self, r: &ReportRecord) -> Result<u64, StoreError> {
        // The next reference: the one writer numbers reports in the order it accepts them.
        // Read first, not by `RETURNING`: SQLite runs `RETURNING` as a trigger, and a
        // statement with a trigger copies every page it changes to a statement journal (a
        // temporary file), which was a sixth of a busy writer's time.
        let number: i64 =
            self.query_row("SELECT COALESCE(MAX(number), 0) + 1 FROM reports", [], |row| row.get(0))?;
        self.execute(
            "INSERT INTO reports (id, device_id, content_hash, category, priority, description, lon, lat,
                accuracy_m, ward_code, ward_valid_from, ward_match, ward_distance_m, status, received_at,
                deadline_ack, deadline_handle, last_seq, number)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, 0, ?18)",
            params![
                r.id.to_string(),
                r.device.to_string(),
                r.content_hash,
                r.category,
                r.priority,
                r.description,
                r.lon,
                r.lat,
                r.accuracy_m,
                r.ward_code,
                r.ward_valid_from.to_string(),
                r.ward_match,
                r.ward_distance_m,
                r.status,
                stamp(r.received_at),
                stamp(r.deadline_ack),
                stamp(r.deadline_handle),
                number,
            ],
        )?;
        Ok(number as u64)
    }

    fn report_owner(&mut self, id: Uuid) -> Result<Option<(Uuid, Vec<u8>)>, StoreError> {
        Ok(self
            .query_row("SELECT device_id, content_hash FROM reports WHERE id = ?1", [id.to_string()], |row| {
                Ok((uuid(row, 0)?, row.get(1)?))
            })
            .optional()?)
    }

    fn report_ward(&mut self, id: Uuid) -> Result<Option<String>, StoreError> {
        Ok(self
            .query_row("SELECT ward_code FROM reports WHERE id = ?1", [id.to_string()], |row| row.get(0))
            .optional()?)
    }

    fn add_follower(&mut self, id: Uuid, device: Uuid, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let added = self.execute(
            "INSERT INTO followers (report_id, device_id, created_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
            params![id.to_string(), device.to_string(), stamp(at)],
        )?;
        Ok(added == 1)
    }

    fn followers(&mut self, id: Uuid) -> Result<u64, StoreError> {
        let count: i64 =
            self.query_row("SELECT COUNT(*) FROM followers WHERE report_id = ?1", [id.to_string()], |row| {
                row.get(0)
            })?;
        Ok(count as u64)
    }

    fn report_view(&mut self, id: Uuid) -> Result<Option<ReportView>, StoreError> {
        Ok(self.query_row(&format!("{VIEW} WHERE r.id = ?1"), [id.to_string()], view_row).optional()?)
    }

    fn report_views(&mut self, filter: &ListFilter) -> Result<Vec<ReportView>, StoreError> {
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
        if let Some(officer) = filter.assigned_to {
            condition("r.assigned_to = ?", vec![officer.into()]);
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
            // Stored times compare as text in time order (see `stamp`).
            condition(
                "(r.received_at, r.id) < (?, ?)",
                vec![stamp(after.received_at).into(), after.id.to_string().into()],
            );
        }
        sql.push_str(" ORDER BY r.received_at DESC, r.id DESC LIMIT ? OFFSET ?");
        values.push(i64::from(filter.limit).into());
        values.push(i64::from(filter.offset).into());
        let mut query = self.0.prepare_cached(&sql)?;
        let views = query.query_map(params_from_iter(values), view_row)?.collect::<Result<_, _>>()?;
        Ok(views)
    }

    fn report_by_number(&mut self, number: u64) -> Result<Option<Uuid>, StoreError> {
        let number = i64::try_from(number).unwrap_or(i64::MAX);
        Ok(self
            .query_row("SELECT id FROM reports WHERE number = ?1", [number], |row| uuid(row, 0))
            .optional()?)
    }

    fn report_state(&mut self, id: Uuid) -> Result<Option<ReportState>, StoreError> {
        Ok(self
            .query_row(
                "SELECT device_id, ward_code, status, category, priority, deadline_ack, deadline_handle,
                     assigned_to
                 FROM reports WHERE id = ?1",
                [id.to_string()],
                |row| {
                    Ok(ReportState {
                        device: uuid(row, 0)?,
                        ward: row.get(1)?,
                        status: parsed(row, 2)?,
                        category: parsed(row, 3)?,
                        priority: parsed(row, 4)?,
                        deadlines: Deadlines { acknowledge: time(row, 5)?, handle: time(row, 6)? },
                        assigned_to: row.get(7)?,
                    })
                },
            )
            .optional()?)
    }

    fn change_report(&mut self, id: Uuid, change: &ReportChange) -> Result<(), StoreError> {
        let id = id.to_string();
        match change {
            ReportChange::Status(status) => {
                self.execute("UPDATE reports SET status = ?1 WHERE id = ?2", params![status.code(), id])?
            }
            ReportChange::Acknowledged { status, at, handle } => self.execute(
                "UPDATE reports SET status = ?1, acknowledged_at = ?2, deadline_handle = ?3, handle_overdue_at = NULL
                 WHERE id = ?4",
                params![status.code(), stamp(*at), stamp(*handle), id],
            )?,
            ReportChange::Transferred { status, ward, valid_from, deadlines } => self.execute(
                "UPDATE reports SET status = ?1, ward_code = ?2, ward_valid_from = ?3, acknowledged_at = NULL,
                    deadline_ack = ?4, deadline_handle = ?5, ack_overdue_at = NULL, handle_overdue_at = NULL,
                    assigned_to = NULL
                 WHERE id = ?6",
                params![
                    status.code(),
                    ward,
                    valid_from.to_string(),
                    stamp(deadlines.acknowledge),
                    stamp(deadlines.handle),
                    id
                ],
            )?,
            ReportChange::MarkedDuplicate { status, original } => self.execute(
                "UPDATE reports SET status = ?1, duplicate_of = ?2 WHERE id = ?3",
                params![status.code(), original.to_string(), id],
            )?,
            ReportChange::Reopened { status, handle } => self.execute(
                "UPDATE reports SET status = ?1, deadline_handle = ?2, handle_overdue_at = NULL WHERE id = ?3",
                params![status.code(), stamp(*handle), id],
            )?,
            ReportChange::Assigned { officer } => {
                self.execute("UPDATE reports SET assigned_to = ?1 WHERE id = ?2", params![officer, id])?
            }
        };
        Ok(())
    }

    fn add_rating(&mut self, id: Uuid, rating: &Rating, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO ratings (report_id, stars, comment, reopened, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id.to_string(), rating.stars, rating.comment, rating.reopened, stamp(at)],
        )?;
        Ok(())
    }

    fn follows(&mut self, id: Uuid, device: Uuid) -> Result<bool, StoreError> {
        Ok(self.query_row(
            "SELECT EXISTS (SELECT 1 FROM reports WHERE id = ?1 AND device_id = ?2)
                 OR EXISTS (SELECT 1 FROM followers WHERE report_id = ?1 AND device_id = ?2)",
            params![id.to_string(), device.to_string()],
            |row| row.get(0),
        )?)
    }

    fn report_events(&mut self, id: Uuid, notes: bool, comments: bool) -> Result<Vec<Event>, StoreError> {
        let mut query = self.0.prepare_cached(
            "SELECT seq, report_id, ward_code, at, data FROM events
             WHERE report_id = ?1 AND (kind <> 'noted' OR ?2) AND (kind <> 'commented' OR ?3)
             ORDER BY seq",
        )?;
        let events = query
            .query_map(params![id.to_string(), notes, comments], event_row)?
            .collect::<Result<_, _>>()?;
        Ok(events)
    }

    fn resolved_at(&mut self, id: Uuid) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(self
            .query_row(
                "SELECT at FROM events WHERE report_id = ?1 AND kind = 'resolved' ORDER BY seq DESC LIMIT 1",
                [id.to_string()],
                |row| time(row, 0),
            )
            .optional()?)
    }
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

/// A report view from a row of [`VIEW`], with its reporter.
fn view_row(row: &Row) -> rusqlite::Result<ReportView> {
    Ok(ReportView {
        id: uuid(row, 0)?,
        reference: row.get::<_, Option<i64>>(22)?.map(|number| Reference(number as u64)),
        category: parsed(row, 1)?,
        priority: parsed(row, 2)?,
        description: row.get(3)?,
        location: Location { lon: row.get(4)?, lat: row.get(5)?, accuracy_m: row.get(6)? },
        ward: WardRef { code: row.get(7)?, name: row.get(8)? },
        ward_match: parsed(row, 9)?,
        status: parsed(row, 10)?,
        received_at: time(row, 11)?,
        deadlines: Deadlines { acknowledge: time(row, 12)?, handle: time(row, 13)? },
        seq: row.get::<_, i64>(14)? as u64,
        followers: row.get::<_, i64>(15)? as u64,
        photos: uuids(row, 20)?,
        after_photos: uuids(row, 21)?,
        reporter: Some(Reporter {
            device_id: uuid(row, 16)?,
            name: row.get(17)?,
            phone: row.get(18)?,
            email: row.get(19)?,
        }),
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

/// A report's event from `seq, report_id, ward_code, at, data`.
pub(crate) fn event_row(row: &Row) -> rusqlite::Result<Event> {
    let data: String = row.get(4)?;
    Ok(Event {
        seq: row.get::<_, i64>(0)? as u64,
        report_id: uuid(row, 1)?,
        ward_code: row.get(2)?,
        at: time(row, 3)?,
        change: serde_json::from_str(&data).map_err(|e| conversion(4, e))?,
    })
}
