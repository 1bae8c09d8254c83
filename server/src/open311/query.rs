//! What the Open311 answers read and write beyond a report's own view: its latest change and
//! the media link it was filed with; the feed of status changes; a filing's contact details.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use phananh_shared::api::{Change, Event, ReportView};
use uuid::Uuid;

use super::form::{Page, RequestFilter, Window};
use crate::reports::{self, ListFilter};
use crate::store::{Db, StoreError};

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
pub fn requests(db: &mut dyn Db, filter: &RequestFilter) -> Result<Vec<(ReportView, Extras)>, StoreError> {
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
    let views = reports::page(db, &list)?.reports;
    let ids: Vec<Uuid> = views.iter().map(|view| view.id).collect();
    let mut extras = extras(db, &ids)?;
    Ok(views
        .into_iter()
        .map(|view| {
            let extras = extras.remove(&view.id).expect("a listed report has events");
            (view, extras)
        })
        .collect())
}

fn extras(db: &mut dyn Db, ids: &[Uuid]) -> Result<HashMap<Uuid, Extras>, StoreError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut found: HashMap<Uuid, Extras> = db
        .media_urls(ids)?
        .into_iter()
        .map(|(id, media_url)| {
            (id, Extras { updated_at: DateTime::<Utc>::MIN_UTC, latest_change: None, media_url })
        })
        .collect();
    for event in db.public_events_of(ids)? {
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
pub fn updates(db: &mut dyn Db, window: Window, page: Page) -> Result<Vec<Event>, StoreError> {
    db.events_dated((window.start, window.end), &STATUS_CHANGES, page.size, page.offset)
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
            Change::Assigned { officer: None, reason: None },
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
