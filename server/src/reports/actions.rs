//! What staff do with a report: each action checked against who may act on it and against
//! the status state machine, then applied with its event in one transaction.

use chrono::{DateTime, Utc};
use phananh_shared::api::{ActionRequest, Change, ReportView};
use phananh_shared::report::{Category, Priority};
use phananh_shared::sla::{SlaPolicy, WorkCalendar};
use phananh_shared::status::Status;
use phananh_shared::validation::FieldError;
use phananh_shared::wards::WardIndex;
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use super::append_event;
use super::query::{Reader, view};
use super::rows::parsed;
use crate::http::error::ApiError;
use crate::staff::StaffMember;
use crate::store::sqlite::Sqlite;
use crate::store::{Photos, Store, stamp};
use crate::uploads;

/// What the action needs to know about the report before it acts.
struct Current {
    status: Status,
    ward: String,
    category: Category,
    priority: Priority,
}

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
) -> Result<Option<ReportView>, ApiError> {
    request.validate()?;
    if let ActionRequest::Transfer { ward, .. } = &request
        && wards.ward(ward).is_none()
    {
        return Err(FieldError::invalid(
            "ward",
            format!("there is no ward {ward:?} in the boundaries in force"),
        )
        .into());
    }
    let (policy, wards_from) = (*policy, wards.validity().from.to_string());
    store
        .write(move |tx| {
            let Some(current) = current(tx, id)? else { return Ok(None) };
            if !staff.can_act_in(&current.ward) {
                return Err(ApiError::forbidden(format!(
                    "report {id} belongs to ward {}; you act for ward {}",
                    current.ward,
                    staff.ward_code.as_deref().unwrap_or("-")
                )));
            }
            let status = match request.action() {
                Some(action) => current.status.apply(action).map_err(ApiError::transition)?,
                None => current.status,
            };
            let calendar = WorkCalendar::vietnam();
            let actor = format!("staff:{}", staff.id);
            let (ward, change) = match request {
                ActionRequest::Acknowledge => {
                    let mut deadlines = deadlines(tx, id)?;
                    deadlines.handle = policy.handling_deadline(calendar, now, current.priority);
                    tx.execute(
                        "UPDATE reports SET status = ?1, acknowledged_at = ?2, deadline_handle = ?3, handle_overdue_at = NULL
                         WHERE id = ?4",
                        params![status.code(), stamp(now), stamp(deadlines.handle), id.to_string()],
                    )?;
                    (current.ward, Change::Acknowledged { status, deadlines })
                }
                ActionRequest::Start => {
                    set_status(tx, id, status)?;
                    (current.ward, Change::Started { status })
                }
                ActionRequest::Resolve { answer, after_photos } => {
                    if current.category.needs_after_photo() && after_photos.is_empty() {
                        return Err(FieldError::required("after_photos").into());
                    }
                    set_status(tx, id, status)?;
                    uploads::owned(&mut Sqlite(tx), &after_photos, "staff:", "after_photos")?;
                    Sqlite(tx).attach_photos(id, &after_photos, "after")?;
                    (current.ward, Change::Resolved { status, answer: answer.trim().to_owned(), after_photos })
                }
                ActionRequest::Reject { reason } => {
                    set_status(tx, id, status)?;
                    (current.ward, Change::Rejected { status, reason: reason.trim().to_owned() })
                }
                ActionRequest::Transfer { ward, reason } => {
                    if ward == current.ward {
                        return Err(FieldError::invalid("ward", "the report is already in that ward").into());
                    }
                    // The new ward's own acknowledgement clock starts now.
                    let deadlines = policy.deadlines_at_filing(calendar, now, current.priority);
                    tx.execute(
                        "UPDATE reports SET status = ?1, ward_code = ?2, ward_valid_from = ?3, acknowledged_at = NULL,
                            deadline_ack = ?4, deadline_handle = ?5, ack_overdue_at = NULL, handle_overdue_at = NULL
                         WHERE id = ?6",
                        params![
                            status.code(),
                            ward,
                            wards_from,
                            stamp(deadlines.acknowledge),
                            stamp(deadlines.handle),
                            id.to_string()
                        ],
                    )?;
                    let reason = reason.trim().to_owned();
                    (ward, Change::Transferred { status, from_ward: current.ward, reason, deadlines })
                }
                ActionRequest::MarkDuplicate { original } => {
                    let original_status: Option<String> = tx
                        .query_row("SELECT status FROM reports WHERE id = ?1", [original.to_string()], |r| r.get(0))
                        .optional()?;
                    if original == id || original_status.is_none() {
                        return Err(FieldError::invalid("original", format!("{original} is not another report")).into());
                    }
                    tx.execute(
                        "UPDATE reports SET status = ?1, duplicate_of = ?2 WHERE id = ?3",
                        params![status.code(), original.to_string(), id.to_string()],
                    )?;
                    (current.ward, Change::MarkedDuplicate { status, original })
                }
                ActionRequest::Note { text } => (current.ward, Change::Noted { text: text.trim().to_owned() }),
            };
            append_event(tx, id, &ward, now, &actor, &change)?;
            Ok(view(tx, id, &Reader::Staff { id: staff.id, ward: staff.ward_code.clone() })?)
        })
        .await
}

fn current(conn: &Connection, id: Uuid) -> rusqlite::Result<Option<Current>> {
    conn.query_row(
        "SELECT status, ward_code, category, priority FROM reports WHERE id = ?1",
        [id.to_string()],
        |row| {
            Ok(Current {
                status: parsed(row, 0)?,
                ward: row.get(1)?,
                category: parsed(row, 2)?,
                priority: parsed(row, 3)?,
            })
        },
    )
    .optional()
}

fn deadlines(conn: &Connection, id: Uuid) -> rusqlite::Result<phananh_shared::sla::Deadlines> {
    conn.query_row(
        "SELECT deadline_ack, deadline_handle FROM reports WHERE id = ?1",
        [id.to_string()],
        |row| {
            Ok(phananh_shared::sla::Deadlines {
                acknowledge: super::rows::time(row, 0)?,
                handle: super::rows::time(row, 1)?,
            })
        },
    )
}

fn set_status(conn: &Connection, id: Uuid, status: Status) -> rusqlite::Result<()> {
    conn.execute("UPDATE reports SET status = ?1 WHERE id = ?2", params![status.code(), id.to_string()])
        .map(drop)
}
