//! Request and response bodies of the HTTP API, beyond the domain types themselves: what a
//! device sends to register, and what the server answers about reports and their events.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::answers::AnswerTemplate;
use crate::dossier::DossierEvent;
use crate::report::{Category, Location, Priority, Reference};
use crate::sla::Deadlines;
use crate::status::{Action, Status};
use crate::validation::{FieldError, check_phone, check_text};
use crate::wards::Match;

/// The longest contact name accepted.
pub const CONTACT_NAME_MAX_CHARS: usize = 100;

/// `POST /api/v1/devices`: a resident's device registers, optionally with contact details so
/// the ward can call back. They are never shown publicly.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewDevice {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
}

impl NewDevice {
    pub fn validate(&self) -> Result<(), FieldError> {
        if let Some(name) = &self.name {
            check_text("name", name, 1, CONTACT_NAME_MAX_CHARS)?;
        }
        match &self.phone {
            Some(phone) => check_phone("phone", phone),
            None => Ok(()),
        }
    }
}

/// The answer to `POST /api/v1/devices`. The token is shown once: the device keeps it and
/// sends it as `Authorization: Bearer <token>`; the server keeps only its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceCreated {
    pub device_id: Uuid,
    pub token: String,
}

/// `POST /api/v1/devices/transfer`: a one-time code that moves this device's identity (the
/// reports it filed and follows, the dossiers it tracks) to another device, typed there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferCode {
    /// Eight unambiguous characters, shown `ABCD-EFGH`.
    pub code: String,
    pub expires_at: DateTime<Utc>,
}

/// `POST /api/v1/devices/claim`: the new device gives the code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimRequest {
    pub code: String,
}

/// The identity moved: its id with a new token (the old device's token stops working), and
/// the reports it filed and follows, for the new device's lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claimed {
    pub device: DeviceCreated,
    pub filed: Vec<Uuid>,
    pub following: Vec<Uuid>,
}

/// A ward as a report names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WardRef {
    pub code: String,
    pub name: String,
}

impl From<&crate::wards::Ward> for WardRef {
    fn from(ward: &crate::wards::Ward) -> WardRef {
        WardRef { code: ward.code.clone(), name: ward.name.clone() }
    }
}

/// Who filed a report: only in the full view (the reporter and the ward's staff). The
/// contact details are the device's, or those the report came with (an Open311 filing's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reporter {
    pub device_id: Uuid,
    pub name: Option<String>,
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// A report as the server answers about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportView {
    pub id: Uuid,
    /// The short reference people use (`PA-1042`); absent from a copy kept before there
    /// were references.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<Reference>,
    pub category: Category,
    pub priority: Priority,
    pub description: String,
    pub location: Location,
    pub ward: WardRef,
    /// `nearest` when the location was in no ward but close to this one.
    pub ward_match: Match,
    pub status: Status,
    pub received_at: DateTime<Utc>,
    pub deadlines: Deadlines,
    /// The sequence number of the newest event about this report.
    pub seq: u64,
    /// Other residents who said "me too".
    pub followers: u64,
    /// The resident's photos (`GET /api/v1/photos/{id}`).
    pub photos: Vec<Uuid>,
    /// The ward's "after" photos, with the answer.
    pub after_photos: Vec<Uuid>,
    /// Absent from the public view.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporter: Option<Reporter>,
}

impl ReportView {
    /// The deadline that runs now for an open report: acknowledgement until the ward
    /// acknowledges it, handling from then.
    pub fn running_deadline(&self) -> DateTime<Utc> {
        if self.status == Status::Submitted { self.deadlines.acknowledge } else { self.deadlines.handle }
    }
}

/// `GET /api/v1/staff/me/work` ("Việc của tôi"): an open report assigned to the signed-in
/// officer, nearest deadline first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkItem {
    pub report: ReportView,
    /// The deadline that runs now ([`ReportView::running_deadline`]).
    pub due_at: DateTime<Utc>,
    /// Past it already.
    pub late: bool,
}

/// `GET /api/v1/reports`: a page of public report views, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportPage {
    pub reports: Vec<ReportView>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// `GET /api/v1/reports/nearby`: an open report near a point, so the app can offer "this is
/// already reported: follow it instead".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NearbyReport {
    #[serde(flatten)]
    pub report: ReportView,
    pub distance_m: f64,
}

/// `POST /api/v1/reports/{id}/follow`: how many residents follow the report now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Following {
    pub followers: u64,
}

/// The longest answer, reason or note staff may write.
pub const STAFF_TEXT_MAX_CHARS: usize = 4000;
/// The shortest answer or reason: "Đã xử lý" alone is the vague answer residents complain of.
pub const STAFF_TEXT_MIN_CHARS: usize = 10;

/// `POST /api/v1/reports/{id}/actions`: what ward or city staff do with a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum ActionRequest {
    /// "We have it": starts the handling clock.
    Acknowledge,
    /// Work has started.
    Start,
    /// The answer to the resident, with "after" photos (required for field categories).
    Resolve {
        answer: String,
        #[serde(default)]
        after_photos: Vec<Uuid>,
    },
    /// Not something the ward will act on, and why.
    Reject { reason: String },
    /// Misrouted: hand it to another ward, which starts its own acknowledgement clock.
    Transfer { ward: String, reason: String },
    /// Already reported: the original carries on, this one stops.
    MarkDuplicate { original: Uuid },
    /// A note for staff only: never shown to the resident or the public.
    Note { text: String },
    /// Gives the report to one officer of its ward (by username), who answers for it: the
    /// ward's leads and city staff assign any officer, an officer may take an unassigned
    /// report themselves. Giving it to someone else once assigned needs a reason.
    Assign {
        officer: String,
        #[serde(default)]
        reason: Option<String>,
    },
}

impl ActionRequest {
    /// The state-machine action this request is; `None` for a note or an assignment, which
    /// change no status.
    pub fn action(&self) -> Option<Action> {
        Some(match self {
            ActionRequest::Acknowledge => Action::Acknowledge,
            ActionRequest::Start => Action::Start,
            ActionRequest::Resolve { .. } => Action::Resolve,
            ActionRequest::Reject { .. } => Action::Reject,
            ActionRequest::Transfer { .. } => Action::Transfer,
            ActionRequest::MarkDuplicate { .. } => Action::MarkDuplicate,
            ActionRequest::Note { .. } | ActionRequest::Assign { .. } => return None,
        })
    }

    /// Checks the texts the request carries.
    pub fn validate(&self) -> Result<(), FieldError> {
        match self {
            ActionRequest::Resolve { answer, .. } => {
                check_text("answer", answer, STAFF_TEXT_MIN_CHARS, STAFF_TEXT_MAX_CHARS)?;
                if AnswerTemplate::has_blanks(answer) {
                    return Err(FieldError::invalid(
                        "answer",
                        "fill in the [...] blanks of the template first",
                    ));
                }
                Ok(())
            }
            ActionRequest::Reject { reason } | ActionRequest::Transfer { reason, .. } => {
                check_text("reason", reason, STAFF_TEXT_MIN_CHARS, STAFF_TEXT_MAX_CHARS)
            }
            ActionRequest::Note { text } => check_text("text", text, 1, STAFF_TEXT_MAX_CHARS),
            ActionRequest::Assign { officer, reason } => {
                check_text("officer", officer, 1, USERNAME_MAX_CHARS)?;
                match reason {
                    Some(reason) => check_text("reason", reason, STAFF_TEXT_MIN_CHARS, STAFF_TEXT_MAX_CHARS),
                    None => Ok(()),
                }
            }
            ActionRequest::Acknowledge | ActionRequest::Start | ActionRequest::MarkDuplicate { .. } => Ok(()),
        }
    }
}

/// How long after an answer its reporter may reject it and reopen the report.
pub const REOPEN_WINDOW_DAYS: i64 = 7;
/// The highest rating that can reopen a report: only a clearly bad answer sends it back.
pub const REOPEN_MAX_STARS: u8 = 2;
/// The longest comment or rating remark a resident may write.
pub const RESIDENT_TEXT_MAX_CHARS: usize = 2000;

/// `POST /api/v1/reports/{id}/rating`: the reporter rates the ward's answer (1–5 stars). A
/// rating closes the report, unless a low one asks to reopen it within the window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RatingRequest {
    pub stars: u8,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub reopen: bool,
}

impl RatingRequest {
    pub fn validate(&self) -> Result<(), FieldError> {
        if !(1..=5).contains(&self.stars) {
            return Err(FieldError::out_of_range("stars", 1.0, 5.0, f64::from(self.stars)));
        }
        if let Some(comment) = &self.comment {
            check_text("comment", comment, 1, RESIDENT_TEXT_MAX_CHARS)?;
        }
        if self.reopen && self.stars > REOPEN_MAX_STARS {
            return Err(FieldError::invalid(
                "reopen",
                format!("only a rating of {REOPEN_MAX_STARS} stars or fewer can reopen a report"),
            ));
        }
        Ok(())
    }
}

/// `POST /api/v1/reports/{id}/comments`: more information from the reporter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommentRequest {
    pub text: String,
}

impl CommentRequest {
    pub fn validate(&self) -> Result<(), FieldError> {
        check_text("text", &self.text, 1, RESIDENT_TEXT_MAX_CHARS)
    }
}

/// `POST /api/v1/reports/{id}/cancel`: the reporter withdraws a report the ward has not
/// answered yet, optionally saying why.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    #[serde(default)]
    pub reason: Option<String>,
}

impl CancelRequest {
    pub fn validate(&self) -> Result<(), FieldError> {
        match &self.reason {
            Some(reason) => check_text("reason", reason, 1, RESIDENT_TEXT_MAX_CHARS),
            None => Ok(()),
        }
    }
}

/// One change to a report, in the global order of all changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "EventFields")]
pub struct Event {
    /// Gap-free across the whole server: a client that has seen `seq` has seen every event
    /// before it (in its scope).
    pub seq: u64,
    pub report_id: Uuid,
    pub ward_code: String,
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub change: Change,
}

/// What changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", try_from = "EventFields")]
pub enum Change {
    /// The report was received and routed.
    Filed {
        status: Status,
        category: Category,
        priority: Priority,
        deadlines: Deadlines,
    },
    /// Another resident said "me too".
    Followed {
        followers: u64,
    },
    /// The ward took it on; the handling deadline now counts from here.
    Acknowledged {
        status: Status,
        deadlines: Deadlines,
    },
    Started {
        status: Status,
    },
    Resolved {
        status: Status,
        answer: String,
        after_photos: Vec<Uuid>,
    },
    Rejected {
        status: Status,
        reason: String,
    },
    /// Handed to another ward (`ward_code` of the event is the new ward).
    Transferred {
        status: Status,
        from_ward: String,
        reason: String,
        deadlines: Deadlines,
    },
    MarkedDuplicate {
        status: Status,
        original: Uuid,
    },
    /// A staff note: only the ward's and the city's staff see it.
    Noted {
        text: String,
    },
    /// The reporter rated the answer; the report is closed, or reopened after a low rating.
    Rated {
        status: Status,
        stars: u8,
        comment: Option<String>,
    },
    /// More information from the reporter.
    Commented {
        text: String,
    },
    /// The reporter withdrew the report.
    Cancelled {
        status: Status,
        reason: Option<String>,
    },
    /// Nobody acknowledged the report by its deadline: escalated to the city. The event is
    /// dated at the deadline itself, the moment the report became late.
    AckOverdue {
        deadline: DateTime<Utc>,
    },
    /// The report was not resolved by its handling deadline: escalated to the city.
    HandlingOverdue {
        deadline: DateTime<Utc>,
    },
    /// The ward gave the report to one of its officers. Staff see who and why; residents and
    /// the public see only that the ward has assigned it (both fields null).
    Assigned {
        officer: Option<Officer>,
        reason: Option<String>,
    },
}

/// A ward officer named on a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Officer {
    pub id: i64,
    pub username: String,
}

/// An [`Event`], or a [`Change`] alone, as read: the event's own fields (absent from a
/// change alone), the `kind` and every variant's fields (see [`crate::tagged`]).
#[derive(Deserialize)]
struct EventFields {
    seq: Option<u64>,
    report_id: Option<Uuid>,
    ward_code: Option<String>,
    at: Option<DateTime<Utc>>,
    kind: String,
    status: Option<Status>,
    category: Option<Category>,
    priority: Option<Priority>,
    deadlines: Option<Deadlines>,
    followers: Option<u64>,
    answer: Option<String>,
    after_photos: Option<Vec<Uuid>>,
    reason: Option<String>,
    from_ward: Option<String>,
    original: Option<Uuid>,
    text: Option<String>,
    stars: Option<u8>,
    comment: Option<String>,
    deadline: Option<DateTime<Utc>>,
    officer: Option<Officer>,
}

impl TryFrom<EventFields> for Event {
    type Error = String;

    fn try_from(mut f: EventFields) -> Result<Event, String> {
        use crate::tagged::required as r;
        Ok(Event {
            seq: r(f.seq.take(), "seq")?,
            report_id: r(f.report_id.take(), "report_id")?,
            ward_code: r(f.ward_code.take(), "ward_code")?,
            at: r(f.at.take(), "at")?,
            change: Change::try_from(f)?,
        })
    }
}

impl TryFrom<EventFields> for Change {
    type Error = String;

    fn try_from(f: EventFields) -> Result<Change, String> {
        use crate::tagged::required as r;
        let status = || r(f.status, "status");
        let deadlines = || r(f.deadlines, "deadlines");
        Ok(match f.kind.as_str() {
            "filed" => Change::Filed {
                status: status()?,
                category: r(f.category, "category")?,
                priority: r(f.priority, "priority")?,
                deadlines: deadlines()?,
            },
            "followed" => Change::Followed { followers: r(f.followers, "followers")? },
            "acknowledged" => Change::Acknowledged { status: status()?, deadlines: deadlines()? },
            "started" => Change::Started { status: status()? },
            "resolved" => Change::Resolved {
                status: status()?,
                answer: r(f.answer, "answer")?,
                after_photos: r(f.after_photos, "after_photos")?,
            },
            "rejected" => Change::Rejected { status: status()?, reason: r(f.reason, "reason")? },
            "transferred" => Change::Transferred {
                status: status()?,
                from_ward: r(f.from_ward, "from_ward")?,
                reason: r(f.reason, "reason")?,
                deadlines: deadlines()?,
            },
            "marked_duplicate" => {
                Change::MarkedDuplicate { status: status()?, original: r(f.original, "original")? }
            }
            "noted" => Change::Noted { text: r(f.text, "text")? },
            "rated" => Change::Rated { status: status()?, stars: r(f.stars, "stars")?, comment: f.comment },
            "commented" => Change::Commented { text: r(f.text, "text")? },
            "cancelled" => Change::Cancelled { status: status()?, reason: f.reason },
            "ack_overdue" => Change::AckOverdue { deadline: r(f.deadline, "deadline")? },
            "handling_overdue" => Change::HandlingOverdue { deadline: r(f.deadline, "deadline")? },
            "assigned" => Change::Assigned { officer: f.officer, reason: f.reason },
            kind => return Err(crate::tagged::unknown(kind)),
        })
    }
}

impl Change {
    /// Whether only staff may see this change (everyone else gets the report's timeline
    /// without it).
    pub const fn is_staff_only(&self) -> bool {
        matches!(self, Change::Noted { .. })
    }

    /// Whether this is a resident's comment, which the report's reporter, its followers and
    /// staff see, and the public does not: residents type phone numbers and names into them.
    pub const fn is_residents_only(&self) -> bool {
        matches!(self, Change::Commented { .. })
    }

    /// The change as the public sees it when it carries a resident's own words besides its
    /// facts: a rating's remark and a withdrawal's reason are left out, for the same reason
    /// as comments are, while the stars and the status stay public. `None` when the change
    /// carries no such words (the public sees it whole, or, for a comment, not at all).
    pub fn without_residents_words(&self) -> Option<Change> {
        match self {
            Change::Rated { status, stars, comment: Some(_) } => {
                Some(Change::Rated { status: *status, stars: *stars, comment: None })
            }
            Change::Cancelled { status, reason: Some(_) } => {
                Some(Change::Cancelled { status: *status, reason: None })
            }
            _ => None,
        }
    }

    /// The change as residents and the public see it when it names staff: an assignment
    /// without its officer and reason. `None` when the change names no one.
    pub fn without_officers(&self) -> Option<Change> {
        match self {
            Change::Assigned { officer, reason } if officer.is_some() || reason.is_some() => {
                Some(Change::Assigned { officer: None, reason: None })
            }
            _ => None,
        }
    }
}

/// One message of the live stream (`GET /api/v1/live`), as JSON with a `type` field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveMessage {
    /// An event of the subscribed scope; its `seq` is the cursor to reconnect with.
    Event(Event),
    /// A change to a dossier of the scope (one the device tracks, or the ward's); its `seq`
    /// is in the same order as the reports' events.
    Dossier(DossierEvent),
    /// Every committed event up to `seq` has been sent (those of the scope): from here on
    /// events arrive as they happen. A client may reconnect with `since=seq` even if no event
    /// of its scope came.
    CaughtUp { seq: u64 },
    /// The client fell too far behind; the server closes the stream. Reconnect with
    /// `since=seq` to get the rest without a gap.
    Resume { seq: u64 },
}

impl LiveMessage {
    /// Reads one message of the stream: what `serde_json::from_str` reads, without serde's
    /// buffering of an internally tagged enum (see the `tagged` module). The `type` is read
    /// first, then the text again as the message it names. The apps read the stream with this.
    pub fn from_json(text: &str) -> serde_json::Result<LiveMessage> {
        #[derive(Deserialize)]
        struct Tag {
            #[serde(rename = "type")]
            kind: String,
        }
        #[derive(Deserialize)]
        struct Seq {
            seq: u64,
        }
        let seq = || serde_json::from_str::<Seq>(text).map(|s| s.seq);
        Ok(match serde_json::from_str::<Tag>(text)?.kind.as_str() {
            "event" => LiveMessage::Event(serde_json::from_str(text)?),
            "dossier" => LiveMessage::Dossier(serde_json::from_str(text)?),
            "caught_up" => LiveMessage::CaughtUp { seq: seq()? },
            "resume" => LiveMessage::Resume { seq: seq()? },
            other => return Err(serde::de::Error::unknown_variant(other, LIVE_MESSAGE_TYPES)),
        })
    }
}

const LIVE_MESSAGE_TYPES: &[&str] = &["event", "dossier", "caught_up", "resume"];

impl NearbyReport {
    /// Reads the answer of `GET /api/v1/reports/nearby`: what `serde_json::from_str` reads,
    /// without serde's buffering of a flattened field (see the `tagged` module). The list is
    /// read once as reports and once as their distances.
    pub fn list_from_json(text: &str) -> serde_json::Result<Vec<NearbyReport>> {
        #[derive(Deserialize)]
        struct Distance {
            distance_m: f64,
        }
        let reports: Vec<ReportView> = serde_json::from_str(text)?;
        let distances: Vec<Distance> = serde_json::from_str(text)?;
        Ok(reports
            .into_iter()
            .zip(distances)
            .map(|(report, d)| NearbyReport { report, distance_m: d.distance_m })
            .collect())
    }
}

/// The public's results page, `/transparency`: the ward figures and their map, for anyone.
pub const RESULTS_PAGE: &str = "/transparency";

/// The web app's pages in the staff's bundle: `/staff`, everything under it, `/city`, and the
/// public's results page ([`RESULTS_PAGE`]), which shares the city dashboard's figures and map
/// colours. The web app is two pages, each its own bundle, so a resident's phone does not
/// download these screens (the results page alone is 8 kB of it, gzipped): the server answers
/// these paths with the staff bundle's page and every other page path with the resident's,
/// and the app's links between the two load the other page.
pub fn in_staff_bundle(path: &str) -> bool {
    ["/staff", "/city", RESULTS_PAGE]
        .iter()
        .any(|page| path.strip_prefix(page).is_some_and(|rest| rest.is_empty() || rest.starts_with('/')))
}

/// A report as the server would answer about it, for the wire types' tests.
#[cfg(test)]
pub(crate) fn sample_report(n: u128) -> ReportView {
    let at: DateTime<Utc> = "2026-03-09T09:30:00Z".parse().unwrap();
    ReportView {
        id: Uuid::from_u128(n),
        reference: Some(Reference(n as u64 + 1)),
        category: Category::Roads,
        priority: Priority::Normal,
        description: format!("report {n}"),
        location: Location { lon: 105.85, lat: 21.03, accuracy_m: Some(8.0) },
        ward: WardRef { code: "00070".into(), name: "Phường Hoàn Kiếm".into() },
        ward_match: Match::Inside,
        status: Status::Submitted,
        received_at: at,
        deadlines: Deadlines { acknowledge: at, handle: at },
        seq: 3,
        followers: 1,
        photos: vec![Uuid::from_u128(n + 100)],
        after_photos: Vec::new(),
        reporter: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_staff_bundle_has_the_staff_and_city_paths_and_the_public_results() {
        for path in ["/staff", "/staff/reports/x", "/staff/dossiers", "/city", "/city/", "/transparency"] {
            assert!(in_staff_bundle(path), "{path}");
        }
        for path in ["/", "/mine", "/reports/x", "/staffing", "/cityscape", "/transparency-x"] {
            assert!(!in_staff_bundle(path), "{path}");
        }
    }

    #[test]
    fn every_change_reads_back_from_its_json_and_a_broken_one_is_refused() {
        let at: DateTime<Utc> = "2026-03-09T09:30:00Z".parse().unwrap();
        let deadlines = Deadlines { acknowledge: at, handle: at };
        let status = Status::Acknowledged;
        let changes = [
            Change::Filed { status, category: Category::Roads, priority: Priority::Urgent, deadlines },
            Change::Followed { followers: 3 },
            Change::Acknowledged { status, deadlines },
            Change::Started { status },
            Change::Resolved { status, answer: "done".into(), after_photos: vec![Uuid::from_u128(1)] },
            Change::Rejected { status, reason: "not ours".into() },
            Change::Transferred { status, from_ward: "00070".into(), reason: "theirs".into(), deadlines },
            Change::MarkedDuplicate { status, original: Uuid::from_u128(2) },
            Change::Noted { text: "note".into() },
            Change::Rated { status, stars: 2, comment: Some("slow".into()) },
            Change::Rated { status, stars: 5, comment: None },
            Change::Commented { text: "more".into() },
            Change::Cancelled { status, reason: None },
            Change::AckOverdue { deadline: at },
            Change::HandlingOverdue { deadline: at },
            Change::Assigned {
                officer: Some(Officer { id: 3, username: "hoankiem".into() }),
                reason: Some("on leave".into()),
            },
            Change::Assigned { officer: None, reason: None },
        ];
        // Each variant's place in `Change`; without a wildcard, a new variant does not
        // compile until it is given one, and the check below wants it in the list.
        let variant = |change: &Change| match change {
            Change::Filed { .. } => 0,
            Change::Followed { .. } => 1,
            Change::Acknowledged { .. } => 2,
            Change::Started { .. } => 3,
            Change::Resolved { .. } => 4,
            Change::Rejected { .. } => 5,
            Change::Transferred { .. } => 6,
            Change::MarkedDuplicate { .. } => 7,
            Change::Noted { .. } => 8,
            Change::Rated { .. } => 9,
            Change::Commented { .. } => 10,
            Change::Cancelled { .. } => 11,
            Change::AckOverdue { .. } => 12,
            Change::HandlingOverdue { .. } => 13,
            Change::Assigned { .. } => 14,
        };
        crate::tagged::assert_every_variant_reads_back(&changes, variant, 15);
        let missing = serde_json::from_str::<Change>(r#"{"kind":"started"}"#).unwrap_err();
        assert!(missing.to_string().contains("missing field `status`"), "{missing}");
        let unknown = serde_json::from_str::<Change>(r#"{"kind":"vanished"}"#).unwrap_err();
        assert!(unknown.to_string().contains("unknown variant `vanished`"), "{unknown}");
    }

    #[test]
    fn the_live_stream_reader_reads_what_serde_reads() {
        let at: DateTime<Utc> = "2026-03-09T09:30:00Z".parse().unwrap();
        let dossier = DossierEvent {
            seq: 8,
            dossier_id: Uuid::from_u128(5),
            code: "HS-1".into(),
            ward_code: "00070".into(),
            at,
            change: crate::dossier::DossierChange::Tracked,
        };
        let messages = [
            LiveMessage::Event(Event {
                seq: 7,
                report_id: Uuid::from_u128(1),
                ward_code: "00070".into(),
                at,
                change: Change::Rated { status: Status::Closed, stars: 4, comment: Some("ok".into()) },
            }),
            LiveMessage::Dossier(dossier),
            LiveMessage::CaughtUp { seq: 9 },
            LiveMessage::Resume { seq: 10 },
        ];
        for message in messages {
            let json = serde_json::to_string(&message).unwrap();
            assert_eq!(LiveMessage::from_json(&json).unwrap(), message, "{json}");
            assert_eq!(serde_json::from_str::<LiveMessage>(&json).unwrap(), message, "{json}");
        }
        // The type need not come first.
        let last = r#"{"seq":11,"type":"caught_up"}"#;
        assert_eq!(LiveMessage::from_json(last).unwrap(), LiveMessage::CaughtUp { seq: 11 });
        let unknown = LiveMessage::from_json(r#"{"type":"gossip","seq":1}"#).unwrap_err();
        assert!(unknown.to_string().contains("unknown variant `gossip`"), "{unknown}");
        assert!(
            LiveMessage::from_json(r#"{"type":"event","seq":1}"#).is_err(),
            "an event without its fields"
        );
    }

    #[test]
    fn the_nearby_reader_reads_what_serde_reads() {
        let near = vec![
            NearbyReport { report: sample_report(1), distance_m: 12.5 },
            NearbyReport { report: sample_report(2), distance_m: 140.0 },
        ];
        let json = serde_json::to_string(&near).unwrap();
        assert_eq!(NearbyReport::list_from_json(&json).unwrap(), near);
        assert_eq!(serde_json::from_str::<Vec<NearbyReport>>(&json).unwrap(), near);
        assert_eq!(NearbyReport::list_from_json("[]").unwrap(), Vec::new());
        let no_distance = serde_json::to_string(&[sample_report(3)]).unwrap();
        assert!(NearbyReport::list_from_json(&no_distance).is_err());
    }

    #[test]
    fn a_live_event_is_one_flat_object_that_reads_back() {
        let event = Event {
            seq: 42,
            report_id: Uuid::from_u128(7),
            ward_code: "00070".into(),
            at: "2026-03-09T09:30:00Z".parse().unwrap(),
            change: Change::AckOverdue { deadline: "2026-03-09T09:30:00Z".parse().unwrap() },
        };
        let message = LiveMessage::Event(event);
        let json = serde_json::to_value(&message).unwrap();
        assert_eq!(json["type"], "event");
        assert_eq!((json["seq"].as_u64(), json["kind"].as_str()), (Some(42), Some("ack_overdue")));
        assert_eq!(serde_json::from_value::<LiveMessage>(json).unwrap(), message);
        let resume = serde_json::to_string(&LiveMessage::Resume { seq: 9 }).unwrap();
        assert_eq!(resume, r#"{"type":"resume","seq":9}"#);
    }
}

// Staff accounts and sign-in.

/// The longest staff username.
pub const USERNAME_MAX_CHARS: usize = 32;

/// What a staff member may do, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A ward officer: acts on, and reads the private details of, one ward's reports; once a
    /// report is assigned, only its own officer (and the ward's leads and city staff) act on it.
    Ward,
    /// A ward lead (lãnh đạo phường/xã): what an officer does in their ward, on every report
    /// of it, and assigns each report to an officer.
    WardLead,
    /// City staff: every ward.
    City,
    /// An administrator: every ward, and the accounts.
    Admin,
}

impl Role {
    /// The role as stored and sent: `ward`, `ward_lead`, `city` or `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Ward => "ward",
            Role::WardLead => "ward_lead",
            Role::City => "city",
            Role::Admin => "admin",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is none of `ward`, `ward_lead`, `city`, `admin`.
#[derive(Debug, thiserror::Error)]
#[error("unknown role {0:?}: the roles are ward, ward_lead, city and admin")]
pub struct UnknownRole(pub String);

impl std::str::FromStr for Role {
    type Err = UnknownRole;

    fn from_str(text: &str) -> Result<Role, UnknownRole> {
        match text {
            "ward" => Ok(Role::Ward),
            "ward_lead" => Ok(Role::WardLead),
            "city" => Ok(Role::City),
            "admin" => Ok(Role::Admin),
            other => Err(UnknownRole(other.to_owned())),
        }
    }
}

/// `POST /api/v1/staff/login`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// Never prints the password (requests end up in logs and panics).
impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest").field("username", &self.username).field("password", &"…").finish()
    }
}

/// The answer to a successful sign-in. The token is shown once: the app sends it as
/// `Authorization: Bearer <token>` until `expires_at`, then signs in again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoginAnswer {
    pub token: String,
    pub staff: StaffView,
    pub expires_at: DateTime<Utc>,
}

/// A staff member as the API shows them (`GET /api/v1/staff/me`, and in a sign-in's answer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffView {
    pub id: i64,
    pub username: String,
    pub role: Role,
    /// A ward officer's or lead's ward; null for city staff and administrators.
    pub ward: Option<WardRef>,
}

/// The answer to a photo upload (`POST /api/v1/photos`): the id to name it by in a report or
/// an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Uploaded {
    pub id: Uuid,
    pub width: u32,
    pub height: u32,
}

// The app's configuration.

/// `GET /api/v1/config`: what the city's server tells its apps at start, as the operator set
/// it (`phananh-server serve --map-…`). The app asks again each time it opens online; its
/// service worker keeps the last answer for when it opens offline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppConfig {
    /// The street map drawn under the ward outlines; `None` when the city configured no tile
    /// server: the app then draws the wards alone and asks no one for tiles.
    pub map: Option<MapTiles>,
}

/// A raster XYZ tile layer (256 px tiles in Web Mercator, `z/x/y` as OpenStreetMap numbers
/// them), from the city's own tile server or a provider it has an agreement with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapTiles {
    /// An absolute http(s) URL template with `{z}`, `{x}` and `{y}`:
    /// `https://tile.example.vn/{z}/{x}/{y}.png`.
    pub tiles: String,
    /// The text the map must show while its tiles are on screen ("© OpenStreetMap
    /// contributors"): tile providers' terms ask for it. Plain text, not HTML.
    pub attribution: String,
    /// The deepest zoom level the tile server has; the app does not zoom its tiles past it.
    pub max_zoom: u8,
    /// How many tiles a device keeps for offline use, at most: the tiles the resident viewed,
    /// the longest kept dropped first. The app never fetches tiles ahead.
    pub cache_tiles: u32,
}

impl MapTiles {
    /// The address of tile (`z`, `x`, `y`): the template with its placeholders filled in.
    pub fn tile_url(&self, z: u8, x: u32, y: u32) -> String {
        self.tiles
            .replace("{z}", &z.to_string())
            .replace("{x}", &x.to_string())
            .replace("{y}", &y.to_string())
    }
}

#[cfg(test)]
mod config_tests {
    use super::*;

    fn osm_like() -> MapTiles {
        MapTiles {
            tiles: "https://tile.example.vn/{z}/{x}/{y}.png".into(),
            attribution: "© OpenStreetMap contributors".into(),
            max_zoom: 19,
            cache_tiles: 2000,
        }
    }

    #[test]
    fn the_config_reads_back_as_the_server_writes_it() {
        let with_map = AppConfig { map: Some(osm_like()) };
        let text = serde_json::to_string(&with_map).unwrap();
        assert_eq!(
            text,
            r#"{"map":{"tiles":"https://tile.example.vn/{z}/{x}/{y}.png","attribution":"© OpenStreetMap contributors","max_zoom":19,"cache_tiles":2000}}"#
        );
        assert_eq!(serde_json::from_str::<AppConfig>(&text).unwrap(), with_map);
        let without = AppConfig { map: None };
        assert_eq!(serde_json::to_string(&without).unwrap(), r#"{"map":null}"#);
        assert_eq!(serde_json::from_str::<AppConfig>(r#"{"map":null}"#).unwrap(), without);
    }

    #[test]
    fn a_tile_address_fills_the_template() {
        // Hoàn Kiếm lake at zoom 15.
        assert_eq!(osm_like().tile_url(15, 26018, 14424), "https://tile.example.vn/15/26018/14424.png");
        let query =
            MapTiles { tiles: "https://maps.example.vn/t?z={z}&x={x}&y={y}&key=abc".into(), ..osm_like() };
        assert_eq!(query.tile_url(3, 6, 3), "https://maps.example.vn/t?z=3&x=6&y=3&key=abc");
    }
}
