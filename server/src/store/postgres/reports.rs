//! [`Reports`] in PostgreSQL.

use chrono::{DateTime, Utc};
use phananh_shared::api::{Event, ReportView, Reporter, WardRef};
use phananh_shared::report::{Location, Reference};
use phananh_shared::sla::Deadlines;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use super::{Pg, named};
use crate::store::{ListFilter, Rating, ReportChange, ReportRecord, ReportState, Reports, StoreError};

impl Reports for Pg<'_, '_> {
    fn insert_report(&mut self, r: &ReportRecord) -> Result<u64, StoreError> {
        // The next reference from the one row of `report_counter`: taken under the writers'
        // lock the change holds, so references follow the order reports are accepted in.
        let number: i64 = self
            .rows(
                "WITH next AS (UPDATE report_counter SET last = last + 1 RETURNING last)
                 INSERT INTO reports (id, device_id, content_hash, category, priority, description, lon, lat,
                    accuracy_m, ward_code, ward_valid_from, ward_match, ward_distance_m, status, received_at,
                    deadline_ack, deadline_handle, last_seq, number)
                 SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, 0, last
                 FROM next RETURNING number",
                &[
                    &r.id,
                    &r.device,
                    &r.content_hash,
                    &r.category,
                    &r.priority,
                    &r.description,
                    &r.lon,
                    &r.lat,
                    &r.accuracy_m,
                    &r.ward_code,
                    &r.ward_valid_from,
                    &r.ward_match,
                    &r.ward_distance_m,
                    &r.status,
                    &r.received_at,
                    &r.deadline_ack,
                    &r.deadline_handle,
                ],
            )?
            .first()
            .expect("the counter has its row")
            .get(0);
        Ok(number as u64)
    }

    fn report_owner(&mut self, id: Uuid) -> Result<Option<(Uuid, Vec<u8>)>, StoreError> {
        let found = self.row("SELECT device_id, content_hash FROM reports WHERE id = $1", &[&id])?;
        Ok(found.map(|row| (row.get(0), row.get(1))))
    }

    fn report_ward(&mut self, id: Uuid) -> Result<Option<String>, StoreError> {
        Ok(self.row("SELECT ward_code FROM reports WHERE id = $1", &[&id])?.map(|row| row.get(0)))
    }

    fn add_follower(&mut self, id: Uuid, device: Uuid, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let added = self.execute(
            "INSERT INTO followers (report_id, device_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[&id, &device, &at],
        )?;
        Ok(added == 1)
    }

    fn followers(&mut self, id: Uuid) -> Result<u64, StoreError> {
        let count: i64 = self.rows("SELECT COUNT(*) FROM followers WHERE report_id = $1", &[&id])?[0].get(0);
        Ok(count as u64)
    }

    fn report_view(&mut self, id: Uuid) -> Result<Option<ReportView>, StoreError> {
        self.row(&format!("{VIEW} WHERE r.id = $1"), &[&id])?.map(|row| view(&row)).transpose()
    }

    fn report_views(&mut self, filter: &ListFilter) -> Result<Vec<ReportView>, StoreError> {
        let mut sql = format!("{VIEW} WHERE true");
        let mut values: Vec<Box<dyn ToSql + Sync>> = Vec::new();
        // Adds `clause`, whose `$` marks stand for `new` in order, numbered as they come.
        let mut condition = |clause: &str, new: Vec<Box<dyn ToSql + Sync>>| {
            let mut parts = clause.split('$');
            sql.push_str(" AND ");
            sql.push_str(parts.next().unwrap_or_default());
            for (rest, value) in parts.zip(new) {
                values.push(value);
                sql.push_str(&format!("${}{rest}", values.len()));
            }
        };
        if !filter.ids.is_empty() {
            condition("r.id = ANY($)", vec![Box::new(filter.ids.clone())]);
        }
        if let Some(ward) = &filter.ward {
            condition("r.ward_code = $", vec![Box::new(ward.clone())]);
        }
        if let Some(officer) = filter.assigned_to {
            condition("r.assigned_to = $", vec![Box::new(officer)]);
        }
        if !filter.statuses.is_empty() {
            let codes: Vec<&'static str> = filter.statuses.iter().map(|s| s.code()).collect();
            condition("r.status = ANY($)", vec![Box::new(codes)]);
        }
        if !filter.categories.is_empty() {
            let codes: Vec<String> = filter.categories.iter().map(|c| c.code().to_owned()).collect();
            condition("r.category = ANY($)", vec![Box::new(codes)]);
        }
        if let Some([min_lon, min_lat, max_lon, max_lat]) = filter.bbox {
            condition(
                "r.lon BETWEEN $ AND $ AND r.lat BETWEEN $ AND $",
                vec![Box::new(min_lon), Box::new(max_lon), Box::new(min_lat), Box::new(max_lat)],
            );
        }
        if let Some(since) = filter.since {
            condition("r.received_at >= $", vec![Box::new(since)]);
        }
        if let Some(until) = filter.until {
            condition("r.received_at <= $", vec![Box::new(until)]);
        }
        if let Some(after) = &filter.after {
            condition(
                "(r.received_at, r.id) < ($, $)",
                vec![Box::new(after.received_at), Box::new(after.id)],
            );
        }
        let n = values.len();
        sql.push_str(&format!(" ORDER BY r.received_at DESC, r.id DESC LIMIT ${} OFFSET ${}", n + 1, n + 2));
        values.push(Box::new(i64::from(filter.limit)));
        values.push(Box::new(i64::from(filter.offset)));
        let params: Vec<&(dyn ToSql + Sync)> = values.iter().map(|value| value.as_ref()).collect();
        self.rows(&sql, &params)?.iter().map(view).collect()
    }

    fn report_by_number(&mut self, number: u64) -> Result<Option<Uuid>, StoreError> {
        let number = i64::try_from(number).unwrap_or(i64::MAX);
        Ok(self.row("SELECT id FROM reports WHERE number = $1", &[&number])?.map(|row| row.get(0)))
    }

    fn report_state(&mut self, id: Uuid) -> Result<Option<ReportState>, StoreError> {
        let found = self.row(
            "SELECT device_id, ward_code, status, category, priority, deadline_ack, deadline_handle,
                 assigned_to
             FROM reports WHERE id = $1",
            &[&id],
        )?;
        found
            .map(|row| {
                Ok(ReportState {
                    device: row.get(0),
                    ward: row.get(1),
                    status: named(row.get(2))?,
                    category: named(row.get(3))?,
                    priority: named(row.get(4))?,
                    deadlines: Deadlines { acknowledge: row.get(5), handle: row.get(6) },
                    assigned_to: row.get(7),
                })
            })
            .transpose()
    }

    fn change_report(&mut self, id: Uuid, change: &ReportChange) -> Result<(), StoreError> {
        match change {
            ReportChange::Status(status) => {
                self.execute("UPDATE reports SET status = $1 WHERE id = $2", &[&status.code(), &id])?
            }
            ReportChange::Acknowledged { status, at, handle } => self.execute(
                "UPDATE reports SET status = $1, acknowledged_at = $2, deadline_handle = $3, handle_overdue_at = NULL
                 WHERE id = $4",
                &[&status.code(), at, handle, &id],
            )?,
            ReportChange::Transferred { status, ward, valid_from, deadlines } => self.execute(
                "UPDATE reports SET status = $1, ward_code = $2, ward_valid_from = $3, acknowledged_at = NULL,
                    deadline_ack = $4, deadline_handle = $5, ack_overdue_at = NULL, handle_overdue_at = NULL,
                    assigned_to = NULL
                 WHERE id = $6",
                &[&status.code(), ward, valid_from, &deadlines.acknowledge, &deadlines.handle, &id],
            )?,
            ReportChange::MarkedDuplicate { status, original } => self.execute(
                "UPDATE reports SET status = $1, duplicate_of = $2 WHERE id = $3",
                &[&status.code(), original, &id],
            )?,
            ReportChange::Reopened { status, handle } => self.execute(
                "UPDATE reports SET status = $1, deadline_handle = $2, handle_overdue_at = NULL WHERE id = $3",
                &[&status.code(), handle, &id],
            )?,
            ReportChange::Assigned { officer } => {
                self.execute("UPDATE reports SET assigned_to = $1 WHERE id = $2", &[officer, &id])?
            }
        };
        Ok(())
    }

    fn add_rating(&mut self, id: Uuid, rating: &Rating, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO ratings (report_id, stars, comment, reopened, created_at) VALUES ($1, $2, $3, $4, $5)",
            &[&id, &i32::from(rating.stars), &rating.comment, &rating.reopened, &at],
        )?;
        Ok(())
    }

    fn follows(&mut self, id: Uuid, device: Uuid) -> Result<bool, StoreError> {
        let row = self.rows(
            "SELECT EXISTS (SELECT 1 FROM reports WHERE id = $1 AND device_id = $2)
                 OR EXISTS (SELECT 1 FROM followers WHERE report_id = $1 AND device_id = $2)",
            &[&id, &device],
        )?;
        Ok(row[0].get(0))
    }

    fn report_events(&mut self, id: Uuid, notes: bool, comments: bool) -> Result<Vec<Event>, StoreError> {
        let rows = self.rows(
            "SELECT seq, report_id, ward_code, at, data FROM events
             WHERE report_id = $1 AND (kind <> 'noted' OR $2) AND (kind <> 'commented' OR $3)
             ORDER BY seq",
            &[&id, &notes, &comments],
        )?;
        rows.iter().map(event).collect()
    }

    fn resolved_at(&mut self, id: Uuid) -> Result<Option<DateTime<Utc>>, StoreError> {
        let found = self.row(
            "SELECT at FROM events WHERE report_id = $1 AND kind = 'resolved' ORDER BY seq DESC LIMIT 1",
            &[&id],
        )?;
        Ok(found.map(|row| row.get(0)))
    }
}

/// A report's event from `seq, report_id, ward_code, at, data`.
pub(super) fn event(row: &Row) -> Result<Event, StoreError> {
    Ok(Event {
        seq: row.get::<_, i64>(0) as u64,
        report_id: row.get(1),
        ward_code: row.get(2),
        at: row.get(3),
        change: serde_json::from_value(row.get(4))
            .map_err(|error| StoreError::Unreadable(format!("an event: {error}")))?,
    })
}

/// The columns of a report view, in the order [`view`] reads them.
const VIEW: &str =
    "SELECT r.id, r.category, r.priority, r.description, r.lon, r.lat, r.accuracy_m, r.ward_code,
        w.name, r.ward_match, r.status, r.received_at, r.deadline_ack, r.deadline_handle, r.last_seq,
        (SELECT COUNT(*) FROM followers f WHERE f.report_id = r.id), r.device_id,
        COALESCE(c.name, d.name), COALESCE(c.phone, d.phone), c.email,
        ARRAY(SELECT photo_id FROM report_photos WHERE report_id = r.id AND role = 'report' ORDER BY position),
        ARRAY(SELECT photo_id FROM report_photos WHERE report_id = r.id AND role = 'after' ORDER BY position),
        r.number
    FROM reports r
    JOIN wards w ON w.code = r.ward_code AND w.valid_from = r.ward_valid_from
    JOIN devices d ON d.id = r.device_id
    LEFT JOIN report_contacts c ON c.report_id = r.id";

/// A report view from a row of [`VIEW`], with its reporter.
fn view(row: &Row) -> Result<ReportView, StoreError> {
    Ok(ReportView {
        id: row.get(0),
        reference: Some(Reference(row.get::<_, i64>(22) as u64)),
        category: named(row.get(1))?,
        priority: named(row.get(2))?,
        description: row.get(3),
        location: Location { lon: row.get(4), lat: row.get(5), accuracy_m: row.get(6) },
        ward: WardRef { code: row.get(7), name: row.get(8) },
        ward_match: named(row.get(9))?,
        status: named(row.get(10))?,
        received_at: row.get(11),
        deadlines: Deadlines { acknowledge: row.get(12), handle: row.get(13) },
        seq: row.get::<_, i64>(14) as u64,
        followers: row.get::<_, i64>(15) as u64,
        photos: row.get(20),
        after_photos: row.get(21),
        reporter: Some(Reporter {
            device_id: row.get(16),
            name: row.get(17),
            phone: row.get(18),
            email: row.get(19),
        }),
    })
}
