//! What staff do with a report: each action checked against who may act on it and against
//! the status state machine, then applied with its event in one transaction.

use chrono::{DateTime, Utc};
use phananh_shared::api::{ActionRequest, Change, Officer, ReportView};
use phananh_shared::sla::{SlaPolicy, WorkCalendar};
use phananh_shared::validation::FieldError;
use phananh_shared::wards::WardIndex;
use uuid::Uuid;

use super::append_event;
use super::query::{Reader, view};
use crate::error::DomainError;
use crate::staff::StaffMember;
use crate::store::{Db, ReportChange, ReportState, Store};
use crate::uploads;

/// Applies `request` by `staff` to report `id`; the report as it is now, or `None` if there
/// is no such report. Ward staff act only on their ward's reports (403 otherwise); a move the
/// state machine does not allow is a 409 saying what to do instead.
pub async fn act(
    store: &Store,
    wards: &WardIndex,
    policy: &SlaPolicy,
    staff: StaffMember,
    id: Uuid,
    request: ActionRequest,
    now: DateTime<Utc>,
) -> Result<Option<ReportView>, DomainError> {
    check(&request, wards)?;
    let (policy, wards_from) = (*policy, wards.validity().from);
    store
        .change(move |db| {
            if !apply(db, (&policy, wards_from), &staff, id, request, now)? {
                return Ok(None);
            }
            let reader = Reader::Staff { id: staff.id, ward: staff.ward_code.clone() };
            Ok(view(db, id, &reader)?)
        })
        .await
}

/// [`act`] within a change already running, without reading the report back: for a change
/// that does many things at once (seeding a city's worth of reports). Whether there is
/// such a report.
pub fn act_in(
    db: &mut dyn Db,
    wards: &WardIndex,
    policy: &SlaPolicy,
    staff: &StaffMember,
    id: Uuid,
    request: ActionRequest,
    now: DateTime<Utc>,
) -> Result<bool, DomainError> {
    check(&request, wards)?;
    apply(db, (policy, wards.validity().from), staff, id, request, now)
}

/// What can be checked of `request` before the store is asked.
fn check(request: &ActionRequest, wards: &WardIndex) -> Result<(), DomainError> {
    request.validate()?;
    if let ActionRequest::Transfer { ward, .. } = request
        && wards.ward(ward).is_none()
    {
        return Err(FieldError::invalid(
            "ward",
            format!("there is no ward {ward:?} in the boundaries in force"),
        )
        .into());
    }
    Ok(())
}

/// Gives open report `id` (as `current`) to the officer named `username`, as `staff` asks:
/// the change to record. The ward's leads (and city staff and administrators) assign any
/// active officer or lead of the ward; an officer takes an unassigned report themselves;
/// giving it to someone else once assigned needs a reason.
fn assign(
    db: &mut dyn Db,
    staff: &StaffMember,
    id: Uuid,
    current: &ReportState,
    username: &str,
    reason: Option<String>,
) -> Result<Change, DomainError> {
    if !current.status.is_open() {
        return Err(DomainError::conflict(
            "action",
            format!("report {id} is {}: only an open report is assigned", current.status.code()),
        ));
    }
    let username = username.trim().to_lowercase();
    // Who may is decided before the name is looked up, so that an answer does not tell
    // someone who may not assign which accounts exist.
    let takes_it_themselves = current.assigned_to.is_none() && username == staff.username;
    if !staff.assigns_in(&current.ward) && !takes_it_themselves {
        return Err(DomainError::forbidden(format!(
            "the leads of ward {} and city staff assign its reports; an officer may take an unassigned one themselves",
            current.ward
        )));
    }
    let officer = db
        .account(&username)?
        .filter(|account| !account.disabled && account.member.ward_code.as_deref() == Some(&current.ward))
        .ok_or_else(|| {
            FieldError::invalid(
                "officer",
                format!("{username:?} is not an active officer of ward {}", current.ward),
            )
        })?
        .member;
    if current.assigned_to == Some(officer.id) {
        return Err(FieldError::invalid(
            "officer",
            format!("report {id} is already assigned to {username:?}"),
        )
        .into());
    }
    if current.assigned_to.is_some() && reason.is_none() {
        return Err(FieldError::required("reason").into());
    }
    db.change_report(id, &ReportChange::Assigned { officer: officer.id })?;
    Ok(Change::Assigned {
        officer: Some(Officer { id: officer.id, username: officer.username }),
        reason: reason.map(|reason| reason.trim().to_owned()),
    })
}

/// [`act`], once the request is checked, in the store's transaction: whether there is such a
/// report.
fn apply(
    db: &mut dyn Db,
    (policy, wards_from): (&SlaPolicy, chrono::NaiveDate),
    staff: &StaffMember,
    id: Uuid,
    request: ActionRequest,
    now: DateTime<Utc>,
) -> Result<bool, DomainError> {
    let Some(current) = db.report_state(id)? else { return Ok(false) };
    if !staff.can_act_in(&current.ward) {
        return Err(DomainError::forbidden(format!(
            "report {id} belongs to ward {}; you act for ward {}",
            current.ward,
            staff.ward_code.as_deref().unwrap_or("-")
        )));
    }
    if !staff.may_handle(&current.ward, current.assigned_to) {
        return Err(DomainError::forbidden(format!(
            "report {id} is assigned to another officer of ward {}: its officer, the ward's leads and city staff act on it",
            current.ward
        )));
    }
    let status = match request.action() {
        Some(action) => current.status.apply(action).map_err(DomainError::transition)?,
        None => current.status,
    };
    let calendar = WorkCalendar::vietnam();
    let (ward, change) = match request {
        ActionRequest::Acknowledge => {
            let mut deadlines = current.deadlines;
            deadlines.handle = policy.handling_deadline(calendar, now, current.priority);
            db.change_report(id, &ReportChange::Acknowledged { status, at: now, handle: deadlines.handle })?;
            (current.ward, Change::Acknowledged { status, deadlines })
        }
        ActionRequest::Start => {
            db.change_report(id, &ReportChange::Status(status))?;
            (current.ward, Change::Started { status })
        }
        ActionRequest::Resolve { answer, after_photos } => {
            if current.category.needs_after_photo() && after_photos.is_empty() {
                return Err(FieldError::required("after_photos").into());
            }
            db.change_report(id, &ReportChange::Status(status))?;
            uploads::owned(db, &after_photos, "staff:", "after_photos")?;
            db.attach_photos(id, &after_photos, "after")?;
            (current.ward, Change::Resolved { status, answer: answer.trim().to_owned(), after_photos })
        }
        ActionRequest::Reject { reason } => {
            db.change_report(id, &ReportChange::Status(status))?;
            (current.ward, Change::Rejected { status, reason: reason.trim().to_owned() })
        }
        ActionRequest::Transfer { ward, reason } => {
            if ward == current.ward {
                return Err(FieldError::invalid("ward", "the report is already in that ward").into());
            }
            // The new ward's own acknowledgement clock starts now.
            let deadlines = policy.deadlines_at_filing(calendar, now, current.priority);
            let transferred =
                ReportChange::Transferred { status, ward: ward.clone(), valid_from: wards_from, deadlines };
            db.change_report(id, &transferred)?;
            let reason = reason.trim().to_owned();
            (ward, Change::Transferred { status, from_ward: current.ward, reason, deadlines })
        }
        ActionRequest::MarkDuplicate { original } => {
            if original == id || db.report_state(original)?.is_none() {
                return Err(
                    FieldError::invalid("original", format!("{original} is not another report")).into()
                );
            }
            db.change_report(id, &ReportChange::MarkedDuplicate { status, original })?;
            (current.ward, Change::MarkedDuplicate { status, original })
        }
        ActionRequest::Note { text } => (current.ward, Change::Noted { text: text.trim().to_owned() }),
        ActionRequest::Assign { officer, reason } => {
            let change = assign(db, staff, id, &current, &officer, reason)?;
            (current.ward, change)
        }
    };
    append_event(db, id, &ward, now, &format!("staff:{}", staff.id), &change)?;
    Ok(true)
}
