//! Dossiers: a ward's one-stop desk registers them and moves them on; residents track them by
//! code and secret. Every change is an event in the same sequence as the reports', so the
//! live stream, sync and the SLA watcher carry dossiers as they carry reports.

mod attempts;
pub(crate) mod rows;
pub(crate) mod secrets;

use chrono::{DateTime, Utc};
use phananh_shared::dossier::{
    Catalogue, DossierActionRequest, DossierChange, DossierContact, DossierStatus, DossierView, NewDossier,
    RegisteredDossier, TrackDossier, resumed_due,
};
use phananh_shared::refusal::ErrorCode;
use phananh_shared::sla::{WorkCalendar, to_local};
use phananh_shared::validation::FieldError;
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

pub use attempts::{Attempter, Attempts, FailureBudget};
pub(crate) use rows::event as event_row;
use rows::{SecretHash, optional_time, view};

use crate::http::error::ApiError;
use crate::staff::StaffMember;
use crate::store::sqlite::Sqlite;
use crate::store::{Events, Store, StoreError, Subject, stamp};

/// What a tracker hears for a wrong code and for a wrong secret alike: nothing tells a guesser
/// which of the two was wrong.
const NOT_FOUND: &str = "no dossier has this code and secret: check both against the desk's receipt";

/// Registers `new` at `staff`'s ward desk, received `now`. The answer carries the secret to
/// hand over with the code: 8 random characters (see [`secrets`]), never shown again.
pub async fn register(
    store: &Store,
    staff: StaffMember,
    new: NewDossier,
    now: DateTime<Utc>,
) -> Result<RegisteredDossier, ApiError> {
    new.validate()?;
    let procedure = Catalogue::shipped().get(new.procedure.trim()).ok_or_else(|| {
        FieldError::invalid(
            "procedure",
            format!("{:?} is not in the procedure catalogue (GET /api/v1/procedures)", new.procedure),
        )
    })?;
    let ward = staff
        .ward_code
        .clone()
        .ok_or_else(|| ApiError::forbidden("dossiers are registered at a ward's desk, by its staff"))?;
    let due_at = procedure.due_at(WorkCalendar::vietnam(), now);
    let (procedure, id) = (procedure.code.clone(), Uuid::now_v7());
    let secret = secrets::new_secret();
    let contact = DossierContact {
        applicant: new.applicant.trim().to_owned(),
        phone: given(new.phone),
        email: given(new.email),
    };
    let hash = secrets::hash(id, &secret);
    store
        .write(move |tx| {
            let code = next_code(tx, &ward, now)?;
            tx.execute(
                "INSERT INTO dossiers (id, code, procedure, ward_code, applicant, phone, email, secret_hash,
                    status, received_at, received_by, due_at, last_seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 0)",
                params![
                    id.to_string(),
                    code,
                    procedure,
                    ward,
                    contact.applicant,
                    contact.phone,
                    contact.email,
                    hash.0,
                    DossierStatus::Received.code(),
                    stamp(now),
                    staff.id,
                    stamp(due_at),
                ],
            )?;
            let change = DossierChange::Received { status: DossierStatus::Received, procedure, due_at };
            append_event(tx, id, &ward, now, &format!("staff:{}", staff.id), &change)?;
            let dossier = view(tx, id, true)?.expect("just inserted");
            Ok(RegisteredDossier { dossier, secret })
        })
        .await
}

/// Applies the desk's `request` to dossier `code`; the dossier as it is now, or `None` if
/// there is no such dossier. Ward staff act on their own ward's dossiers only.
pub async fn act(
    store: &Store,
    staff: StaffMember,
    code: String,
    request: DossierActionRequest,
    now: DateTime<Utc>,
) -> Result<Option<DossierView>, ApiError> {
    request.validate()?;
    store
        .write(move |tx| {
            let Some(current) = rows::current(tx, &code)? else { return Ok(None) };
            if !staff.can_act_in(&current.ward) {
                return Err(ApiError::forbidden(format!(
                    "dossier {code} is at the desk of ward {}; you act for ward {}",
                    current.ward,
                    staff.ward_code.as_deref().unwrap_or("-")
                )));
            }
            let status = current.status.apply(request.action()).map_err(ApiError::transition)?;
            let id = current.id.to_string();
            tx.execute("UPDATE dossiers SET status = ?1 WHERE id = ?2", params![status.code(), id])?;
            let change = match request {
                DossierActionRequest::Start => DossierChange::ProcessingStarted { status },
                DossierActionRequest::RequestDocuments { missing } => {
                    let missing = missing.trim().to_owned();
                    tx.execute(
                        "UPDATE dossiers SET paused_at = ?1, missing = ?2 WHERE id = ?3",
                        params![stamp(now), missing, id],
                    )?;
                    DossierChange::DocumentsRequested { status, missing }
                }
                DossierActionRequest::DocumentsReceived => {
                    let paused_at = current.paused_at.unwrap_or(now);
                    let due_at = resumed_due(WorkCalendar::vietnam(), current.due_at, paused_at, now);
                    tx.execute(
                        "UPDATE dossiers SET paused_at = NULL, missing = NULL, due_at = ?1, overdue_at = NULL
                         WHERE id = ?2",
                        params![stamp(due_at), id],
                    )?;
                    DossierChange::DocumentsReceived { status, due_at }
                }
                DossierActionRequest::Complete { delivery, note } => {
                    finish(tx, &id, now)?;
                    let note = note.map(|note| note.trim().to_owned()).filter(|note| !note.is_empty());
                    DossierChange::Completed { status, delivery, note }
                }
                DossierActionRequest::Return { reason } => {
                    finish(tx, &id, now)?;
                    DossierChange::Returned { status, reason: reason.trim().to_owned() }
                }
            };
            append_event(tx, current.id, &current.ward, now, &format!("staff:{}", staff.id), &change)?;
            Ok(view(tx, current.id, true)?)
        })
        .await
}

/// `device` starts to track the dossier `request` names, if its secret is right; the
/// dossier as a tracker sees it. Tracking again is no change. A wrong code and a wrong secret
/// get the same 404; a wrong secret counts against the dossier's `budget`, and the one that
/// spends it locks the dossier for the budget's period and tells the desk (an event). While
/// it is locked, only devices that already track it may track it again (a 429 for others).
///
/// The outer error is a failure of the store; the inner answer is the tracker's, and what it
/// wrote (a wrong secret counted) is to be kept even when it is a refusal.
pub fn track(
    tx: &Connection,
    budget: FailureBudget,
    device: Uuid,
    request: &TrackDossier,
    now: DateTime<Utc>,
) -> Result<Result<DossierView, ApiError>, ApiError> {
    request.validate()?;
    let code = request.code.trim().to_ascii_uppercase();
    let found = tx
        .query_row(
            "SELECT id, secret_hash, ward_code, track_failures, track_failures_since, tracking_locked_until,
                EXISTS (SELECT 1 FROM dossier_trackers t WHERE t.dossier_id = d.id AND t.device_id = ?2)
             FROM dossiers d WHERE code = ?1",
            params![code, device.to_string()],
            |row| {
                Ok(Found {
                    id: rows::uuid(row, 0)?,
                    stored: SecretHash(row.get(1)?),
                    ward: row.get(2)?,
                    failures: row.get(3)?,
                    failures_since: optional_time(row, 4)?,
                    locked_until: optional_time(row, 5)?,
                    tracking: row.get(6)?,
                })
            },
        )
        .optional()?;
    let Some(found) = found else {
        // An unknown code is checked against a made-up dossier, so both refusals take as long.
        let _ = secrets::hash(Uuid::nil(), &request.secret);
        return Ok(Err(ApiError::not_found(NOT_FOUND)));
    };
    let id = found.id;
    if let Some(until) = found.locked_until.filter(|until| *until > now && !found.tracking) {
        let wait = (until - now).to_std().unwrap_or_default();
        let minutes = wait.as_secs().div_ceil(60);
        return Ok(Err(ApiError::new(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::DossierLocked,
            format!(
                "dossier {code} is locked against tracking for {minutes} min after too many wrong \
                 secrets; try again then, or ask the desk that registered it"
            ),
        )
        .on("code")
        .retry_after(wait)));
    }
    if !secrets::hash(id, &request.secret).matches(&found.stored) {
        count_failure(tx, budget, &found, now)?;
        return Ok(Err(ApiError::not_found(NOT_FOUND)));
    }
    let added = tx.execute(
        "INSERT OR IGNORE INTO dossier_trackers (dossier_id, device_id, created_at) VALUES (?1, ?2, ?3)",
        params![id.to_string(), device.to_string(), stamp(now)],
    )?;
    if added > 0 {
        append_event(tx, id, &found.ward, now, &format!("device:{device}"), &DossierChange::Tracked)?;
    }
    Ok(Ok(view(tx, id, false)?.expect("found above")))
}

/// A dossier as a tracking attempt finds it.
struct Found {
    id: Uuid,
    stored: SecretHash,
    ward: String,
    failures: u32,
    failures_since: Option<DateTime<Utc>>,
    locked_until: Option<DateTime<Utc>>,
    /// Whether the device asking tracks it already.
    tracking: bool,
}

/// Counts a wrong secret against `found`: wrong secrets within one budget period add up; the
/// one that spends the budget locks the dossier for a period and tells the desk.
fn count_failure(
    tx: &Connection,
    budget: FailureBudget,
    found: &Found,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let period = chrono::Duration::from_std(budget.period).unwrap_or(chrono::Duration::MAX);
    let (failures, since) = match found.failures_since {
        Some(since) if now < since + period => (found.failures + 1, since),
        _ => (1, now),
    };
    let id = found.id.to_string();
    if failures < budget.failures {
        tx.execute(
            "UPDATE dossiers SET track_failures = ?1, track_failures_since = ?2 WHERE id = ?3",
            params![failures, stamp(since), id],
        )?;
        return Ok(());
    }
    let until = now + period;
    tx.execute(
        "UPDATE dossiers SET track_failures = 0, track_failures_since = NULL, tracking_locked_until = ?1
         WHERE id = ?2",
        params![stamp(until), id],
    )?;
    tracing::warn!(dossier = %found.id, failures, %until, "dossier tracking locked after wrong secrets");
    append_event(
        tx,
        found.id,
        &found.ward,
        now,
        "system",
        &DossierChange::TrackingLocked { until, failures },
    )?;
    Ok(())
}

/// The dossiers `device` tracks, newest first, as a tracker sees them.
pub async fn tracked(store: &Store, device: Uuid) -> Result<Vec<DossierView>, ApiError> {
    store
        .read(move |conn| {
            let mut query = conn.prepare(
                "SELECT d.id FROM dossier_trackers t JOIN dossiers d ON d.id = t.dossier_id
                 WHERE t.device_id = ?1 ORDER BY d.received_at DESC",
            )?;
            let ids = query.query_map([device.to_string()], |row| rows::uuid(row, 0))?;
            let mut views = Vec::new();
            for id in ids {
                views.extend(view(conn, id?, false)?);
            }
            Ok(views)
        })
        .await
}

/// The desk's list: the dossiers of `ward` (a ward officer's own; any for city staff), those
/// still open first by due date, then the finished ones newest first, up to 500.
pub async fn desk(
    store: &Store,
    staff: StaffMember,
    ward: Option<String>,
) -> Result<Vec<DossierView>, ApiError> {
    let ward = match (ward, staff.ward_code.clone()) {
        (Some(asked), Some(own)) if asked != own => {
            return Err(ApiError::forbidden(format!("you are staff of ward {own}, not of ward {asked}")));
        }
        (asked, own) => asked.or(own),
    };
    store
        .read(move |conn| {
            let mut query = conn.prepare(
                "SELECT id FROM dossiers WHERE ?1 IS NULL OR ward_code = ?1
                 ORDER BY finished_at IS NOT NULL, CASE WHEN finished_at IS NULL THEN due_at END,
                          finished_at DESC
                 LIMIT 500",
            )?;
            let ids = query.query_map([ward], |row| rows::uuid(row, 0))?;
            let mut views = Vec::new();
            for id in ids {
                views.extend(view(conn, id?, true)?);
            }
            Ok(views)
        })
        .await
}

/// Dossier `code` in the desk's view, for its ward's staff and the city's.
pub async fn get(store: &Store, staff: StaffMember, code: String) -> Result<Option<DossierView>, ApiError> {
    store
        .read(move |conn| {
            let Some(current) = rows::current(conn, &code)? else { return Ok(None) };
            if !staff.can_act_in(&current.ward) {
                return Err(ApiError::forbidden(format!(
                    "dossier {code} is at the desk of ward {}",
                    current.ward
                )));
            }
            Ok(view(conn, current.id, true)?)
        })
        .await
}

/// Records that dossier `id` left the desk's hands `now`: nothing waits any more.
fn finish(tx: &Connection, id: &str, now: DateTime<Utc>) -> rusqlite::Result<usize> {
    tx.execute(
        "UPDATE dossiers SET paused_at = NULL, missing = NULL, finished_at = ?1 WHERE id = ?2",
        params![stamp(now), id],
    )
}

/// A new dossier's code at `ward` on the local day of `now`: `<ward>-<yymmdd>-<random>`, the
/// random end drawn again in the unlikely case that the day's codes already have it.
fn next_code(tx: &Connection, ward: &str, now: DateTime<Utc>) -> rusqlite::Result<String> {
    let prefix = format!("{ward}-{}-", to_local(now).format("%y%m%d"));
    loop {
        let code = format!("{prefix}{}", secrets::new_code_tail());
        let taken: bool =
            tx.query_row("SELECT EXISTS (SELECT 1 FROM dossiers WHERE code = ?1)", [&code], |row| {
                row.get(0)
            })?;
        if !taken {
            return Ok(code);
        }
    }
}

fn given(value: Option<String>) -> Option<String> {
    value.map(|value| value.trim().to_owned()).filter(|value| !value.is_empty())
}

/// Appends a dossier's event and marks it the dossier's newest.
pub(crate) fn append_event(
    tx: &Connection,
    dossier: Uuid,
    ward_code: &str,
    at: DateTime<Utc>,
    actor: &str,
    change: &DossierChange,
) -> Result<u64, StoreError> {
    let data = serde_json::to_value(change).expect("a change serialises");
    Sqlite(tx).append_event(Subject::Dossier(dossier), ward_code, at, actor, &data)
}
