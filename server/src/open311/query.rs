//! What the Open311 answers read and write beyond a report's own view: its latest change and
//! the media link it was filed with; the feed of status changes; a filing's contact details.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use phananh_shared::api::{Change, Event, ReportView};
use rusqlite::types::Value;
use rusqlite::{Connection, params, params_from_iter};
use uuid::Uuid;

use super::form::{Contact, Page, RequestFilter, Window};
use crate::reports::rows::uuid;
use crate::reports::{self, ListFilter};
use crate::store::sqlite::{Sqlite, event_row};
use crate::store::{StoreError, stamp};

/// What a service request shows besides the report's public view.
#[derive(Debug, Clone)]
pub struct Extras {
    /// The time of the report's newest public event.
    pub updated_at: DateTime<Utc>,
    /// Its newest public change that moved its status, if any has.
    pub latest_change: Option<Change>,
    /// The link to media it was filed with, if any.
    pub media_url: Option<String>,
}

/// The reports `filter` asks for, newest first, with their extras, in one read.
pub fn requests(conn: &Connection, filter: &RequestFilter) -> Result<Vec<(ReportView, Extras)>, StoreError> {
    let list = ListFilter {
        ids: filter.ids.clone(),
        statuses: filter.statuses.clone(),
        categories: filter.categories.clone(),
        since: filter.window.map(|window| window.start),
        until: filter.window.map(|window| window.end),
        limit: filter.page.size,
        offset: filter.page.offset,
        ..ListFilter::default()
    };
    let views = reports::page(&mut Sqlite(conn), &list)?.reports;
    let mut extras = extras(conn, views.iter().map(|view| view.id))?;
    Ok(views
        .into_iter()
        .map(|view| {
            let extras = extras.remove(&view.id).expect("a listed report has events");
            (view, extras)
        })
        .collect())
}

fn extras(conn: &Connection, ids: impl Iterator<Item = Uuid>) -> rusqlite::Result<HashMap<Uuid, Extras>> {
    let ids: Vec<Value> = ids.map(|id| Value::from(id.to_string())).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let marks = vec!["?"; ids.len()].join(", ");
    let mut found = HashMap::new();
    let mut media = conn.prepare(&format!("SELECT id, media_url FROM reports WHERE id IN ({marks})"))?;
    let mut rows = media.query(params_from_iter(&ids))?;
    while let Some(row) = rows.next()? {
        let extras =
            Extras { updated_at: DateTime::<Utc>::MIN_UTC, latest_change: None, media_url: row.get(1)? };
        found.insert(uuid(row, 0)?, extras);
    }
    let mut events = conn.prepare(&format!(
        "SELECT seq, report_id, ward_code, at, data FROM events
         WHERE report_id IN ({marks}) AND kind <> 'noted' ORDER BY seq"
    ))?;
    for event in events.query_map(params_from_iter(&ids), event_row)? {
        let event = event?;
        let extras = found.get_mut(&event.report_id).expect("an event's report exists");
        extras.updated_at = extras.updated_at.max(event.at);
        if super::moved(&event.change).is_some() {
            extras.latest_change = Some(event.change);
        }
    }
    Ok(found)
}

/// The kinds of the events that move a report's status: those [`super::moved`] names.
const STATUS_CHANGES: [&str; 8] = [
    "acknowledged",
    "started",
    "resolved",
    "rejected",
    "transferred",
    "marked_duplicate",
    "rated",
    "cancelled",
];

/// The status changes dated within `window`, oldest first, a page at a time.
pub fn updates(conn: &Connection, window: Window, page: Page) -> rusqlite::Result<Vec<Event>> {
    let kinds = STATUS_CHANGES.map(|kind| format!("'{kind}'")).join(", ");
    let mut query = conn.prepare(&format!(
        "SELECT seq, report_id, ward_code, at, data FROM events
         WHERE at BETWEEN ?1 AND ?2 AND kind IN ({kinds})
         ORDER BY seq LIMIT ?3 OFFSET ?4"
    ))?;
    let rows = query
        .query_map(params![stamp(window.start), stamp(window.end), page.size, page.offset], event_row)?;
    rows.collect()
}

/// Records what an Open311 filing came with, in the filing's transaction.
pub fn record(
    tx: &Connection,
    report: Uuid,
    contact: &Contact,
    media_url: Option<&str>,
) -> rusqlite::Result<()> {
    if !contact.is_empty() {
        tx.execute(
            "INSERT INTO report_contacts (report_id, name, email, phone) VALUES (?1, ?2, ?3, ?4)",
            params![report.to_string(), contact.name, contact.email, contact.phone],
        )?;
    }
    if let Some(url) = media_url {
        tx.execute("UPDATE reports SET media_url = ?1 WHERE id = ?2", params![url, report.to_string()])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use phananh_shared::report::{Category, Priority};
    use phananh_shared::sla::Deadlines;
    use phananh_shared::status::Status;

    use super::*;

    /// The feed's SQL and [`super::super::moved`] must agree on what a status change is.
    #[test]
    fn the_feed_selects_exactly_the_changes_that_move_a_status() {
        let now = Utc::now();
        let deadlines = Deadlines { acknowledge: now, handle: now };
        let status = Status::Submitted;
        let every_kind = [
            Change::Filed { status, category: Category::Roads, priority: Priority::Normal, deadlines },
            Change::Followed { followers: 1 },
            Change::Acknowledged { status, deadlines },
            Change::Started { status },
            Change::Resolved { status, answer: String::new(), after_photos: vec![] },
            Change::Rejected { status, reason: String::new() },
            Change::Transferred { status, from_ward: String::new(), reason: String::new(), deadlines },
            Change::MarkedDuplicate { status, original: Uuid::nil() },
            Change::Noted { text: String::new() },
            Change::Rated { status, stars: 5, comment: None },
            Change::Commented { text: String::new() },
            Change::Cancelled { status, reason: None },
            Change::AckOverdue { deadline: now },
            Change::HandlingOverdue { deadline: now },
        ];
        for change in every_kind {
            let kind = serde_json::to_value(&change).unwrap()["kind"].as_str().unwrap().to_owned();
            assert_eq!(
                super::super::moved(&change).is_some(),
                STATUS_CHANGES.contains(&kind.as_str()),
                "{kind}"
            );
        }
    }
}
