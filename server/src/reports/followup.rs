//! What the reporter does after filing: rate the answer (closing the report, or reopening it
//! after a low rating within the window), add information, or withdraw the report.

use chrono::{DateTime, TimeDelta, Utc};
use phananh_shared::api::{
    CancelRequest, Change, CommentRequest, REOPEN_WINDOW_DAYS, RatingRequest, ReportView,
};
use phananh_shared::refusal::ErrorCode;
use phananh_shared::sla::{SlaPolicy, WorkCalendar};
use phananh_shared::status::{Action, Status};
use phananh_shared::validation::FieldError;
use uuid::Uuid;

use super::append_event;
use super::query::{Reader, view};
use crate::error::DomainError;
use crate::store::{Db, Rating, ReportChange, ReportState, StoreError};

/// Loads report `id` for `device`: `None` if there is no such report, 403 if another device
/// filed it.
fn own(db: &mut dyn Db, id: Uuid, device: Uuid) -> Result<Option<ReportState>, DomainError> {
    match db.report_state(id)? {
        Some(report) if report.device == device => Ok(Some(report)),
        Some(_) => Err(DomainError::forbidden("only the resident who filed a report can do this")),
        None => Ok(None),
    }
}

/// The reporter rates the answer to report `id`.
pub fn rate(
    db: &mut dyn Db,
    policy: &SlaPolicy,
    device: Uuid,
    id: Uuid,
    rating: RatingRequest,
    now: DateTime<Utc>,
) -> Result<Option<ReportView>, DomainError> {
    rating.validate()?;
    let Some(report) = own(db, id, device)? else { return Ok(None) };
    let action = if rating.reopen { Action::Reopen } else { Action::Close };
    if report.status != Status::Resolved {
        return Err(DomainError::transition(phananh_shared::status::TransitionError {
            from: report.status,
            action,
        }));
    }
    let status = report.status.apply(action).map_err(DomainError::transition)?;
    if rating.reopen {
        let Some(resolved_at) = db.resolved_at(id)? else {
            return Err(StoreError::Unreadable(format!("report {id} is resolved without an answer")).into());
        };
        let window_end = resolved_at + TimeDelta::days(REOPEN_WINDOW_DAYS);
        if now > window_end {
            return Err(FieldError::invalid(
                "reopen",
                format!("the {REOPEN_WINDOW_DAYS}-day window to reopen this report ended at {window_end}"),
            )
            .into());
        }
        // Back to the ward, with a fresh handling deadline.
        let handle = policy.handling_deadline(WorkCalendar::vietnam(), now, report.priority);
        db.change_report(id, &ReportChange::Reopened { status, handle })?;
    } else {
        db.change_report(id, &ReportChange::Status(status))?;
    }
    let comment = rating.comment.as_deref().map(str::trim).map(str::to_owned);
    let stored = Rating { stars: rating.stars, comment: comment.clone(), reopened: rating.reopen };
    db.add_rating(id, &stored, now)?;
    let change = Change::Rated { status, stars: rating.stars, comment };
    append_event(db, id, &report.ward, now, &format!("device:{device}"), &change)?;
    Ok(Some(view(db, id, &Reader::Device(device))?.expect("it exists")))
}

/// The reporter adds information to report `id`, while the ward still works on it or has
/// just answered.
pub fn comment(
    db: &mut dyn Db,
    device: Uuid,
    id: Uuid,
    comment: CommentRequest,
    now: DateTime<Utc>,
) -> Result<Option<ReportView>, DomainError> {
    comment.validate()?;
    let Some(report) = own(db, id, device)? else { return Ok(None) };
    if !report.status.takes_information() {
        return Err(DomainError::Conflict {
            code: ErrorCode::ReportClosed,
            message: format!("the report is {}: file a new report instead", report.status.code()),
            field: None,
        });
    }
    let change = Change::Commented { text: comment.text.trim().to_owned() };
    append_event(db, id, &report.ward, now, &format!("device:{device}"), &change)?;
    Ok(Some(view(db, id, &Reader::Device(device))?.expect("it exists")))
}

/// The reporter withdraws report `id` before the ward has answered it.
pub fn cancel(
    db: &mut dyn Db,
    device: Uuid,
    id: Uuid,
    cancel: CancelRequest,
    now: DateTime<Utc>,
) -> Result<Option<ReportView>, DomainError> {
    cancel.validate()?;
    let Some(report) = own(db, id, device)? else { return Ok(None) };
    let status = report.status.apply(Action::Cancel).map_err(DomainError::transition)?;
    db.change_report(id, &ReportChange::Status(status))?;
    let reason = cancel.reason.as_deref().map(str::trim).map(str::to_owned);
    append_event(
        db,
        id,
        &report.ward,
        now,
        &format!("device:{device}"),
        &Change::Cancelled { status, reason },
    )?;
    Ok(Some(view(db, id, &Reader::Device(device))?.expect("it exists")))
}
