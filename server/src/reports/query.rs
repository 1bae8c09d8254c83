//! Reading reports: one report as its reader may see it, lists, nearby open reports, an
//! officer's own work, and a report's timeline.

use chrono::{DateTime, Utc};
use geo::{Distance, Haversine, Point};
use phananh_shared::api::{Event, NearbyReport, ReportPage, ReportView, WorkItem};
use phananh_shared::report::{Category, Reference};
use phananh_shared::status::Status;
use uuid::Uuid;

use crate::error::DomainError;
use crate::store::{Cursor, Db, ListFilter, Store, StoreError};

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

    /// `report` as this reader may see it: without its reporter's identity and contact
    /// details unless the reader sees the full report.
    fn shown(&self, mut report: ReportView) -> ReportView {
        let full =
            report.reporter.as_ref().is_some_and(|by| self.sees_all_of(by.device_id, &report.ward.code));
        if !full {
            report.reporter = None;
        }
        report
    }
}

/// The report `id` as `reader` may see it: in full for the device that filed it and the
/// ward's (or the city's) staff, otherwise the public view (no reporter identity or contact
/// details).
pub async fn get(store: &Store, id: Uuid, reader: Reader) -> Result<Option<ReportView>, DomainError> {
    Ok(store.query(move |db| view(db, id, &reader)).await?)
}

/// [`get`], inside a transaction the caller holds.
pub(crate) fn view(db: &mut dyn Db, id: Uuid, reader: &Reader) -> Result<Option<ReportView>, StoreError> {
    Ok(db.report_view(id)?.map(|report| reader.shown(report)))
}

/// The report's events, oldest first, as `reader` may see them (staff notes only for those
/// who see the staff view, residents' comments only for them, the reporter and followers);
/// `None` if there is no such report.
pub async fn events(store: &Store, id: Uuid, reader: Reader) -> Result<Option<Vec<Event>>, DomainError> {
    let timeline = store.query(move |db| {
        let Some(staff) = sees_staff_view(db, id, &reader)? else { return Ok(None) };
        let residents = staff
            || match reader {
                Reader::Public => false,
                Reader::Staff { .. } => true,
                Reader::Device(device) => db.follows(id, device)?,
            };
        let mut events = db.report_events(id, staff, residents)?;
        if !staff {
            // Only staff see who holds a report; only residents see residents' words.
            for event in &mut events {
                let words = (!residents).then(|| event.change.without_residents_words()).flatten();
                if let Some(change) = words.or_else(|| event.change.without_officers()) {
                    event.change = change;
                }
            }
        }
        Ok::<_, StoreError>(Some(events))
    });
    Ok(timeline.await?)
}

/// Whether `reader` sees report `id`'s staff view (its staff notes): its ward's staff and the
/// city's. `None` if there is no such report.
pub fn sees_staff_view(db: &mut dyn Db, id: Uuid, reader: &Reader) -> Result<Option<bool>, StoreError> {
    let Some(report) = db.report_state(id)? else { return Ok(None) };
    Ok(Some(matches!(reader, Reader::Staff { .. }) && reader.sees_all_of(report.device, &report.ward)))
}

/// The id of the report with `reference`, if there is one.
pub async fn by_reference(store: &Store, reference: Reference) -> Result<Option<Uuid>, DomainError> {
    Ok(store.query(move |db| db.report_by_number(reference.0)).await?)
}

/// A page of public views matching `filter`.
pub async fn list(store: &Store, filter: ListFilter) -> Result<ReportPage, DomainError> {
    Ok(store.query(move |db| page(db, &filter)).await?)
}

/// [`list`], inside a transaction the caller holds.
pub fn page(db: &mut dyn Db, filter: &ListFilter) -> Result<ReportPage, StoreError> {
    // One more than asked: whether it exists says whether there is a next page.
    let mut reports =
        db.report_views(&ListFilter { limit: filter.limit.saturating_add(1), ..filter.clone() })?;
    let next_cursor = if reports.len() > filter.limit as usize {
        reports.truncate(filter.limit as usize);
        reports.last().map(|last| Cursor { received_at: last.received_at, id: last.id }.to_string())
    } else {
        None
    };
    let reports = reports.into_iter().map(|report| Reader::Public.shown(report)).collect();
    Ok(ReportPage { reports, next_cursor })
}

/// "Việc của tôi": the open reports assigned to the staff member `officer`, nearest running
/// deadline first, each late or not at `now`. Staff views: the officer answers the reporter.
pub async fn work(store: &Store, officer: i64, now: DateTime<Utc>) -> Result<Vec<WorkItem>, DomainError> {
    let assigned = ListFilter {
        assigned_to: Some(officer),
        statuses: Status::ALL.into_iter().filter(|s| s.is_open()).collect(),
        limit: u32::MAX,
        ..ListFilter::default()
    };
    let reports = store.query(move |db| db.report_views(&assigned)).await?;
    let mut work: Vec<WorkItem> = reports
        .into_iter()
        .map(|report| {
            let due_at = report.running_deadline();
            WorkItem { report, due_at, late: due_at <= now }
        })
        .collect();
    work.sort_by_key(|item| (item.due_at, item.report.id));
    Ok(work)
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
) -> Result<Vec<NearbyReport>, DomainError> {
    // A box in degrees around the point narrows the search; the exact distance decides.
    let dlat = radius_m / 111_000.0;
    let dlon = dlat / lat.to_radians().cos().max(0.01);
    let around = ListFilter {
        statuses: Status::ALL.into_iter().filter(|s| s.is_open()).collect(),
        categories: category.into_iter().collect(),
        bbox: Some([lon - dlon, lat - dlat, lon + dlon, lat + dlat]),
        limit: u32::MAX,
        ..ListFilter::default()
    };
    let candidates = store.query(move |db| db.report_views(&around)).await?;
    let here = Point::new(lon, lat);
    let mut near: Vec<NearbyReport> = candidates
        .into_iter()
        .map(|report| {
            let at = Point::new(report.location.lon, report.location.lat);
            let distance_m = (Haversine.distance(here, at) * 10.0).round() / 10.0;
            NearbyReport { distance_m, report: Reader::Public.shown(report) }
        })
        .filter(|near| near.distance_m <= radius_m)
        .collect();
    near.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m));
    near.truncate(NEARBY_MAX);
    Ok(near)
}
