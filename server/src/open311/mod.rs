//! Open311 GeoReport v2 (wiki.open311.org/GeoReport_v2), the open standard for civic issue
//! reporting, so that existing Open311 clients, aggregators and researchers can read and file
//! phananh reports.
//!
//! Mapping. A service is one of our categories ([`catalogue`]); a service request is a report,
//! its `service_request_id` the report's id. Our statuses map to the spec's two: a report is
//! `open` while it waits on the ward (submitted, acknowledged, in progress, reopened) and
//! `closed` otherwise (answered, closed, rejected, duplicate, withdrawn); `status_notes`
//! carries our own status and the ward's answer or reason. `agency_responsible` is the ward,
//! `expected_datetime` the handling deadline, `media_url` the resident's first photo (the copy
//! without EXIF) or the link an Open311 client filed with. Times are W3C date-times in Hà
//! Nội's UTC+07:00.
//!
//! Extensions: `page`/`page_size` on `GET requests`; FixMyStreet's `GET
//! servicerequestupdates`, each status change with FixMyStreet's extended status names; and an
//! `Idempotency-Key` header on `POST requests`, so a client that retries after a lost answer
//! files one report (see [`report_id`]).

pub mod catalogue;
pub mod clients;
pub mod form;
pub mod query;
pub mod wire;
pub mod xml;

use chrono::{DateTime, FixedOffset, Utc};
use phananh_shared::api::{Change, Event, ReportView};
use phananh_shared::sla::{UTC_OFFSET, to_local};
use phananh_shared::status::Status;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use self::query::Extras;
use self::wire::{Discovery, Endpoint, RequestUpdate, ServiceRequest};

/// When this API's description last changed: the discovery document's `changeset`.
const CHANGESET: &str = "2026-12-01T00:00:00+07:00";

/// A time as the spec writes it (W3C, with its zone), in Hà Nội time.
pub fn w3(time: DateTime<Utc>) -> String {
    let seconds = i32::try_from(UTC_OFFSET.num_seconds()).expect("an offset of hours");
    let hanoi = FixedOffset::east_opt(seconds).expect("the city's offset is a valid one");
    time.with_timezone(&hanoi).format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// `GET discovery.{fmt}`, for the API at `base` (`…/open311/v2`).
pub fn discovery(base: &str) -> Discovery {
    Discovery {
        changeset: CHANGESET.to_owned(),
        contact: "Phản ánh hiện trường: the city's phananh administrators".to_owned(),
        key_service: "API keys for filing are issued by the city's phananh administrators \
                      (phananh-server create-api-key); reading needs none"
            .to_owned(),
        endpoints: vec![Endpoint {
            specification: "http://wiki.open311.org/GeoReport_v2",
            url: base.to_owned(),
            changeset: CHANGESET.to_owned(),
            kind: "production",
            formats: ["text/xml", "application/json"],
        }],
    }
}

/// The id of a report filed with `Idempotency-Key: key` by the client `device`: the same for
/// every retry, different for every client and key. A UUIDv8 (custom) from a SHA-256, since it
/// is derived rather than made at random or from the clock.
pub fn report_id(device: Uuid, key: &str) -> Uuid {
    let mut hash = Sha256::new();
    hash.update(device.as_bytes());
    hash.update(key.as_bytes());
    let digest = hash.finalize();
    let bytes: [u8; 16] = digest[..16].try_into().expect("a SHA-256 has 32 bytes");
    Uuid::new_v8(bytes)
}

/// What a client is told when its report is filed: which ward handles it, and by when.
pub fn notice(view: &ReportView) -> String {
    let local = |t| to_local(t).format("%H:%M %d/%m/%Y");
    let (ack, handle) = (view.deadlines.acknowledge, view.deadlines.handle);
    format!(
        "{ward} tiếp nhận trước {} và xử lý trước {} (giờ Hà Nội). / {ward} will acknowledge it by {} \
         and handle it by {} (Hà Nội time).",
        local(ack),
        local(handle),
        local(ack),
        local(handle),
        ward = view.ward.name,
    )
}

/// The spec's two statuses.
fn open_or_closed(status: Status) -> &'static str {
    if status.is_open() { "open" } else { "closed" }
}

/// A report as `GET requests` shows it; `photo_url` makes a photo id a public link.
pub fn service_request(
    view: ReportView,
    extras: Extras,
    photo_url: impl Fn(Uuid) -> String,
) -> ServiceRequest {
    let status_notes = match extras.latest_change.as_ref().and_then(said) {
        Some(text) => format!("{} ({}): {text}", view.status.name_vi(), view.status.code()),
        None => format!("{} ({})", view.status.name_vi(), view.status.code()),
    };
    ServiceRequest {
        service_request_id: view.id.to_string(),
        status: open_or_closed(view.status),
        status_notes,
        service_name: view.category.name_vi(),
        service_code: view.category.code(),
        service_notice: notice(&view),
        agency_responsible: view.ward.name,
        requested_datetime: w3(view.received_at),
        updated_datetime: w3(extras.updated_at),
        expected_datetime: w3(view.deadlines.handle),
        address: None,
        address_id: None,
        zipcode: None,
        lat: view.location.lat,
        long: view.location.lon,
        media_url: view.photos.first().map(|&photo| photo_url(photo)).or(extras.media_url),
        description: view.description,
    }
}

/// The text a change carries for the public: the ward's answer or reason. Never the
/// resident's own words (a rating's remark, a withdrawal's reason): Open311 answers anyone.
fn said(change: &Change) -> Option<String> {
    match change {
        Change::Resolved { answer, .. } => Some(answer.clone()),
        Change::Rejected { reason, .. } | Change::Transferred { reason, .. } => Some(reason.clone()),
        Change::MarkedDuplicate { original, .. } => Some(format!("trùng với / duplicate of {original}")),
        _ => None,
    }
}

/// The status a change moved its report to, and FixMyStreet's name for the move; `None` for
/// changes that move no status (a comment, a "me too", a breach of a deadline).
pub fn moved(change: &Change) -> Option<(Status, &'static str)> {
    Some(match change {
        Change::Acknowledged { status, .. } => (*status, "investigating"),
        Change::Started { status } => (*status, "in_progress"),
        Change::Resolved { status, .. } => (*status, "fixed"),
        Change::Rejected { status, .. } => (*status, "no_further_action"),
        Change::Transferred { status, .. } => (*status, "internal_referral"),
        Change::MarkedDuplicate { status, .. } => (*status, "duplicate"),
        Change::Rated { status: Status::Reopened, .. } => (Status::Reopened, "reopen"),
        Change::Rated { status, .. } => (*status, "closed"),
        Change::Cancelled { status, .. } => (*status, "cancelled"),
        Change::Filed { .. }
        | Change::Followed { .. }
        | Change::Noted { .. }
        | Change::Commented { .. }
        | Change::AckOverdue { .. }
        | Change::HandlingOverdue { .. }
        | Change::Assigned { .. } => return None,
    })
}

/// A status change as FixMyStreet's `servicerequestupdates` shows it; `None` for other events.
pub fn update(event: &Event, photo_url: impl Fn(Uuid) -> String) -> Option<RequestUpdate> {
    let (status, fms_status) = moved(&event.change)?;
    let after_photo = match &event.change {
        Change::Resolved { after_photos, .. } => after_photos.first().map(|&photo| photo_url(photo)),
        _ => None,
    };
    Some(RequestUpdate {
        update_id: event.seq.to_string(),
        service_request_id: event.report_id.to_string(),
        status: fms_status,
        updated_datetime: w3(event.at),
        description: said(&event.change).unwrap_or_else(|| status.name_vi().to_owned()),
        media_url: after_photo.unwrap_or_default(),
        external_status_code: status.code(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_in_hanoi_time_with_the_zone() {
        assert_eq!(w3("2026-12-04T09:30:00Z".parse().unwrap()), "2026-12-04T16:30:00+07:00");
    }

    #[test]
    fn an_idempotency_key_names_one_report_per_client() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        assert_eq!(report_id(a, "retry-me"), report_id(a, "retry-me"));
        assert_ne!(report_id(a, "retry-me"), report_id(a, "another"));
        assert_ne!(report_id(a, "retry-me"), report_id(b, "retry-me"));
        assert_eq!(report_id(a, "retry-me").get_version_num(), 8);
    }

    #[test]
    fn only_status_changes_are_updates_and_each_has_a_fixmystreet_name() {
        let deadline = Utc::now();
        assert_eq!(moved(&Change::AckOverdue { deadline }), None);
        assert_eq!(moved(&Change::Commented { text: "thêm".into() }), None);
        let resolved =
            Change::Resolved {
                status: Status::Resolved, answer: "Đã nạo vét".into(), after_photos: vec![]
            };
        assert_eq!(moved(&resolved), Some((Status::Resolved, "fixed")));
        let reopened = Change::Rated { status: Status::Reopened, stars: 1, comment: None };
        assert_eq!(moved(&reopened), Some((Status::Reopened, "reopen")));
        let closed = Change::Rated { status: Status::Closed, stars: 5, comment: None };
        assert_eq!(moved(&closed), Some((Status::Closed, "closed")));
    }
}
