//! Reports: filing (routed, deadlines set, recorded with its event in one transaction) and
//! reading them back with their timeline.

use chrono::{DateTime, Utc};
use phananh_shared::api::{Change, Following, ReportView};
use phananh_shared::report::NewReport;
use phananh_shared::sla::{Deadlines, SlaPolicy, WorkCalendar};
use phananh_shared::status::Status;
use phananh_shared::wards::{Match, WardIndex, outside_city};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::DomainError;
use crate::store::{Db, ReportRecord, Store, StoreError, Subject};
use crate::uploads;

mod actions;
mod budget;
mod followup;
mod query;

pub use actions::{act, act_in};
pub use budget::FilingBudget;
pub(crate) use budget::{check as check_budget, hourly_quota};
pub use followup::{cancel, comment, rate};

pub use crate::store::{Cursor, ListFilter};
pub(crate) use query::view;
pub use query::{Reader, by_reference, events, get, list, nearby, page, sees_staff_view, work};

/// Whether a filing made a new report or met one already stored with the same content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filed {
    Created,
    AlreadyThere,
}

/// A report checked, routed and given its deadlines, ready to be recorded.
pub struct Filing {
    device: Uuid,
    report: NewReport,
    received_at: DateTime<Utc>,
    deadlines: Deadlines,
    ward_code: String,
    ward_match: Match,
    distance_m: f64,
    ward_valid_from: chrono::NaiveDate,
}

/// Files `report` for `device`: validates it, routes it to its ward, sets its deadlines and
/// records it with its `filed` event, if `budget` allows `device` one more. Filing the same
/// report again (same id, same content, same device) returns the stored one; the same id with
/// anything else is a conflict.
pub async fn file(
    store: &Store,
    (wards, policy, budget): (&WardIndex, &SlaPolicy, &FilingBudget),
    device: Uuid,
    report: NewReport,
    received_at: DateTime<Utc>,
) -> Result<(Filed, ReportView), DomainError> {
    let filing = prepare_filing(wards, policy, device, report, received_at)?;
    let budget = budget.clone();
    store.change(move |db| record_filing(db, &budget, filing)).await
}

/// The part of filing that needs no database: validation, routing, deadlines.
pub fn prepare_filing(
    wards: &WardIndex,
    policy: &SlaPolicy,
    device: Uuid,
    report: NewReport,
    received_at: DateTime<Utc>,
) -> Result<Filing, DomainError> {
    report.validate()?;
    let (lon, lat) = (report.location.lon, report.location.lat);
    let found = wards.locate(lon, lat).ok_or_else(|| outside_city("location", lon, lat))?;
    let deadlines = policy.deadlines_at_filing(WorkCalendar::vietnam(), received_at, report.priority);
    Ok(Filing {
        device,
        ward_code: found.ward.code.clone(),
        ward_match: found.matched,
        distance_m: found.distance_m,
        ward_valid_from: wards.validity().from,
        report,
        received_at,
        deadlines,
    })
}

/// Records a prepared filing in the writer's transaction. A new report counts against its
/// device's `budget`; the same report sent again does not.
pub fn record_filing(
    db: &mut dyn Db,
    budget: &FilingBudget,
    filing: Filing,
) -> Result<(Filed, ReportView), DomainError> {
    let Filing { device, report, received_at, deadlines, ward_code, ward_match, distance_m, ward_valid_from } =
        filing;
    let reporter = format!("device:{device}");
    let photo_hashes = uploads::owned(db, &report.photos, &reporter, "photos")?;
    let content_hash = content_hash(&report, &photo_hashes);
    if let Some((owner, stored_hash)) = db.report_owner(report.id)? {
        if owner != device || stored_hash != content_hash {
            return Err(DomainError::conflict(
                "id",
                format!("report {} already exists with different content", report.id),
            ));
        }
        return Ok((Filed::AlreadyThere, view(db, report.id, &Reader::Device(device))?.expect("it exists")));
    }
    budget.take(device)?;
    db.insert_report(&ReportRecord {
        id: report.id,
        device,
        content_hash,
        category: report.category.code().to_owned(),
        priority: text(&report.priority),
        description: report.description.trim().to_owned(),
        lon: report.location.lon,
        lat: report.location.lat,
        accuracy_m: report.location.accuracy_m,
        ward_code: ward_code.clone(),
        ward_valid_from,
        ward_match: text(&ward_match),
        ward_distance_m: distance_m,
        status: Status::Submitted.code().to_owned(),
        received_at,
        deadline_ack: deadlines.acknowledge,
        deadline_handle: deadlines.handle,
    })?;
    let change = Change::Filed {
        status: Status::Submitted,
        category: report.category,
        priority: report.priority,
        deadlines,
    };
    db.attach_photos(report.id, &report.photos, "report")?;
    append_event(db, report.id, &ward_code, received_at, &reporter, &change)?;
    Ok((Filed::Created, view(db, report.id, &Reader::Device(device))?.expect("just inserted")))
}

/// `device` follows report `id` ("me too"): idempotent; the reporter already follows their
/// own report. `None` if there is no such report.
pub fn follow(
    db: &mut dyn Db,
    id: Uuid,
    device: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<Following>, DomainError> {
    let Some((reporter, _)) = db.report_owner(id)? else { return Ok(None) };
    if reporter == device {
        return Ok(Some(Following { followers: db.followers(id)? }));
    }
    let added = db.add_follower(id, device, now)?;
    let followers = db.followers(id)?;
    if added {
        let ward = db.report_ward(id)?.expect("the report is there");
        append_event(db, id, &ward, now, &format!("device:{device}"), &Change::Followed { followers })?;
    }
    Ok(Some(Following { followers }))
}

/// What makes two filings of one report the same: its content, with each photo counted by
/// its bytes rather than its upload id, so that a retried multipart filing (whose photos are
/// uploaded again, under new ids) is recognised as the same report.
fn content_hash(report: &NewReport, photo_hashes: &[String]) -> Vec<u8> {
    let without_photos = NewReport { photos: Vec::new(), ..report.clone() };
    let mut hash = Sha256::new();
    hash.update(serde_json::to_vec(&without_photos).expect("a report serialises"));
    for photo in photo_hashes {
        hash.update(photo.as_bytes());
    }
    hash.finalize().to_vec()
}

/// Records `change` as the newest event of `report`: its number.
pub(crate) fn append_event(
    db: &mut dyn Db,
    report: Uuid,
    ward_code: &str,
    at: DateTime<Utc>,
    actor: &str,
    change: &Change,
) -> Result<u64, StoreError> {
    let data = serde_json::to_value(change).expect("a change serialises");
    let seq = db.append_event(Subject::Report(report), ward_code, at, actor, &data)?;
    crate::dashboard::kept::keep_change(db, report, ward_code, at, change)?;
    Ok(seq)
}

/// The wire name of a snake_case enum, as stored.
pub(crate) fn text<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).expect("a unit enum variant")
}
