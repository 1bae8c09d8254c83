//! What the reporter does after filing: rate the answer (closing the report, or reopening it
//! after a low rating within the window), add information, or withdraw the report.

use chrono::{DateTime, TimeDelta, Utc};
use phananh_shared::api::{
    CancelRequest, Change, CommentRequest, REOPEN_WINDOW_DAYS, RatingRequest, ReportView,
};
use phananh_shared::refusal::ErrorCode;
use phananh_shared::report::Priority;
use phananh_shared::sla::{SlaPolicy, WorkCalendar};
use phananh_shared::status::{Action, Status};
use phananh_shared::validation::FieldError;
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use super::append_event;
use super::query::{Reader, view};
use super::rows::{parsed, time, uuid};
use crate::http::error::ApiError;
use crate::store::stamp;

/// The report as its reporter acts on it.
struct Own {
    status: Status,
    ward: String,
    priority: Priority,
}

/// Loads report `id` for `device`: `None` if there is no such report, 403 if another device
/// filed it.
fn own(conn: &Connection, id: Uuid, device: Uuid) -> Result<Option<Own>, ApiError> {
    let found = conn
        .query_row(
            "SELECT device_id, status, ward_code, priority FROM reports WHERE id = ?1",
            [id.to_string()],
            |row| {
                Ok((
                    uuid(row, 0)?,
                    Own { status: parsed(row, 1)?, ward: row.get(2)?, priority: parsed(row, 3)? },
                ))
            },
        )
        .optional()?;
    match found {
        Some((reporter, own)) if reporter == device => Ok(Some(own)),
        Some(_) => Err(ApiError::forbidden("only the resident who filed a report can do this")),
        None => Ok(None),
    }
}

/// The reporter rates the answer to report `id`.
pub fn rate(
    tx: &Connection,
    policy: &SlaPolicy,
    device: Uuid,
    id: Uuid,
    rating: RatingRequest,
    now: DateTime<Utc>,
) -> Result<Option<ReportView>, ApiError> {
    rating.validate()?;
    let Some(report) = own(tx, id, device)? else { return Ok(None) };
    let action = if rating.reopen { Action::Reopen } else { Action::Close };
    if report.status != Status::Resolved {
        return Err(ApiError::transition(phananh_shared::status::TransitionError {
            from: report.status,
            action,
        }));
    }
    let status = report.status.apply(action).map_err(ApiError::transition)?;
    if rating.reopen {
        let resolved_at = tx.query_row(
            "SELECT at FROM events WHERE report_id = ?1 AND kind = 'resolved' ORDER BY seq DESC LIMIT 1",
            [id.to_string()],
            |row| time(row, 0),
        )?;
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
        tx.execute(
            "UPDATE reports SET status = ?1, deadline_handle = ?2, handle_overdue_at = NULL WHERE id = ?3",
            params![status.code(), stamp(handle), id.to_string()],
        )?;
    } else {
        tx.execute("UPDATE reports SET status = ?1 WHERE id = ?2", params![status.code(), id.to_string()])?;
    }
    let comment = rating.comment.as_deref().map(str::trim).map(str::to_owned);
    tx.execute(
        "INSERT INTO ratings (report_id, stars, comment, reopened, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id.to_string(), rating.stars, comment, rating.reopen, stamp(now)],
    )?;
    let change = Change::Rated { status, stars: rating.stars, comment };
    append_event(tx, id, &report.ward, now, &format!("device:{device}"), &change)?;
    Ok(Some(view(tx, id, &Reader::Device(device))?.expect("it exists")))
}

/// The reporter adds information to report `id`, while the ward still works on it or has
/// just answered.
pub fn comment(
    tx: &Connection,
    device: Uuid,
    id: Uuid,
    comment: CommentRequest,
    now: DateTime<Utc>,
) -> Result<Option<ReportView>, ApiError> {
    comment.validate()?;
    let Some(report) = own(tx, id, device)? else { return Ok(None) };
    if !report.status.takes_information() {
        return Err(ApiError::new(
            axum::http::StatusCode::CONFLICT,
            ErrorCode::ReportClosed,
            format!("the report is {}: file a new report instead", report.status.code()),
        ));
    }
    let change = Change::Commented { text: comment.text.trim().to_owned() };
    append_event(tx, id, &report.ward, now, &format!("device:{device}"), &change)?;
    Ok(Some(view(tx, id, &Reader::Device(device))?.expect("it exists")))
}

/// The reporter withdraws report `id` before the ward has answered it.
pub fn cancel(
    tx: &Connection,
    device: Uuid,
    id: Uuid,
    cancel: CancelRequest,
    now: DateTime<Utc>,
) -> Result<Option<ReportView>, ApiError> {
    cancel.validate()?;
    let Some(report) = own(tx, id, device)? else { return Ok(None) };
    let status = report.status.apply(Action::Cancel).map_err(ApiError::transition)?;
    tx.execute("UPDATE reports SET status = ?1 WHERE id = ?2", params![status.code(), id.to_string()])?;
    let reason = cancel.reason.as_deref().map(str::trim).map(str::to_owned);
    append_event(
        tx,
        id,
        &report.ward,
        now,
        &format!("device:{device}"),
        &Change::Cancelled { status, reason },
    )?;
    Ok(Some(view(tx, id, &Reader::Device(device))?.expect("it exists")))
}
