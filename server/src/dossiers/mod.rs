//! Dossiers: a ward's one-stop desk registers them and moves them on; residents track them by
//! code and secret. Every change is an event in the same sequence as the reports', so the
//! live stream, sync and the SLA watcher carry dossiers as they carry reports.

mod attempts;
pub(crate) mod secrets;

use chrono::{DateTime, Utc};
use phananh_shared::dossier::{
    Catalogue, DossierActionRequest, DossierChange, DossierContact, DossierStatus, DossierView, NewDossier,
    RegisteredDossier, TrackDossier, resumed_due,
};
use phananh_shared::refusal::ErrorCode;
use phananh_shared::sla::{WorkCalendar, to_local};
use phananh_shared::validation::FieldError;
use uuid::Uuid;

pub use attempts::{Attempter, Attempts, FailureBudget};
use secrets::SecretHash;

use crate::error::DomainError;
use crate::staff::StaffMember;
use crate::store::{
    Db, DossierRecord, DossierUpdate, Store, StoreError, Subject, TrackingFailures, TrackingState,
};

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
) -> Result<RegisteredDossier, DomainError> {
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
        .ok_or_else(|| DomainError::forbidden("dossiers are registered at a ward's desk, by its staff"))?;
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
        .change(move |db| {
            let code = next_code(db, &ward, now)?;
            db.insert_dossier(&DossierRecord {
                id,
                code,
                procedure: procedure.clone(),
                ward: ward.clone(),
                contact,
                secret_hash: hash.0,
                status: DossierStatus::Received,
                received_at: now,
                received_by: staff.id,
                due_at,
            })?;
            let change = DossierChange::Received { status: DossierStatus::Received, procedure, due_at };
            append_event(db, id, &ward, now, &format!("staff:{}", staff.id), &change)?;
            let dossier = db.dossier_view(id, true)?.expect("just inserted");
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
) -> Result<Option<DossierView>, DomainError> {
    request.validate()?;
    store
        .change(move |db| {
            let Some(current) = db.dossier_state(code.trim())? else { return Ok(None) };
            if !staff.can_act_in(&current.ward) {
                return Err(DomainError::forbidden(format!(
                    "dossier {code} is at the desk of ward {}; you act for ward {}",
                    current.ward,
                    staff.ward_code.as_deref().unwrap_or("-")
                )));
            }
            let status = current.status.apply(request.action()).map_err(DomainError::transition)?;
            let (update, change) = match request {
                DossierActionRequest::Start => {
                    (DossierUpdate::Status(status), DossierChange::ProcessingStarted { status })
                }
                DossierActionRequest::RequestDocuments { missing } => {
                    let missing = missing.trim().to_owned();
                    let update =
                        DossierUpdate::DocumentsRequested { status, at: now, missing: missing.clone() };
                    (update, DossierChange::DocumentsRequested { status, missing })
                }
                DossierActionRequest::DocumentsReceived => {
                    let paused_at = current.paused_at.unwrap_or(now);
                    let due_at = resumed_due(WorkCalendar::vietnam(), current.due_at, paused_at, now);
                    (
                        DossierUpdate::DocumentsReceived { status, due_at },
                        DossierChange::DocumentsReceived { status, due_at },
                    )
                }
                DossierActionRequest::Complete { delivery, note } => {
                    let note = note.map(|note| note.trim().to_owned()).filter(|note| !note.is_empty());
                    (
                        DossierUpdate::Finished { status, at: now },
                        DossierChange::Completed { status, delivery, note },
                    )
                }
                DossierActionRequest::Return { reason } => {
                    let reason = reason.trim().to_owned();
                    (DossierUpdate::Finished { status, at: now }, DossierChange::Returned { status, reason })
                }
            };
            db.change_dossier(current.id, &update)?;
            append_event(db, current.id, &current.ward, now, &format!("staff:{}", staff.id), &change)?;
            Ok(db.dossier_view(current.id, true)?)
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
    db: &mut dyn Db,
    budget: FailureBudget,
    device: Uuid,
    request: &TrackDossier,
    now: DateTime<Utc>,
) -> Result<Result<DossierView, DomainError>, DomainError> {
    request.validate()?;
    let code = request.code.trim().to_ascii_uppercase();
    let found = db.dossier_for_tracking(&code, device)?;
    let Some(found) = found else {
        // An unknown code is checked against a made-up dossier, so both refusals take as long.
        let _ = secrets::hash(Uuid::nil(), &request.secret);
        return Ok(Err(DomainError::not_found(NOT_FOUND)));
    };
    let id = found.id;
    if let Some(until) = found.locked_until.filter(|until| *until > now && !found.tracking) {
        let wait = (until - now).to_std().unwrap_or_default();
        let minutes = wait.as_secs().div_ceil(60);
        return Ok(Err(DomainError::Limited {
            code: ErrorCode::DossierLocked,
            message: format!(
                "dossier {code} is locked against tracking for {minutes} min after too many wrong \
                 secrets; try again then, or ask the desk that registered it"
            ),
            field: Some("code"),
            retry_after: Some(wait),
        }));
    }
    if !secrets::hash(id, &request.secret).matches(&SecretHash(found.secret_hash.clone())) {
        count_failure(db, budget, &found, now)?;
        return Ok(Err(DomainError::not_found(NOT_FOUND)));
    }
    if db.add_tracker(id, device, now)? {
        append_event(db, id, &found.ward, now, &format!("device:{device}"), &DossierChange::Tracked)?;
    }
    Ok(Ok(db.dossier_view(id, false)?.expect("found above")))
}

/// Counts a wrong secret against `found`: wrong secrets within one budget period add up; the
/// one that spends the budget locks the dossier for a period and tells the desk.
fn count_failure(
    db: &mut dyn Db,
    budget: FailureBudget,
    found: &TrackingState,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let period = chrono::Duration::from_std(budget.period).unwrap_or(chrono::Duration::MAX);
    let (failures, since) = match found.failures_since {
        Some(since) if now < since + period => (found.failures + 1, since),
        _ => (1, now),
    };
    if failures < budget.failures {
        return db.count_tracking_failures(found.id, &TrackingFailures::Counted { failures, since });
    }
    let until = now + period;
    db.count_tracking_failures(found.id, &TrackingFailures::Locked { until })?;
    tracing::warn!(dossier = %found.id, failures, %until, "dossier tracking locked after wrong secrets");
    append_event(
        db,
        found.id,
        &found.ward,
        now,
        "system",
        &DossierChange::TrackingLocked { until, failures },
    )?;
    Ok(())
}

/// The dossiers `device` tracks, newest first, as a tracker sees them.
pub async fn tracked(store: &Store, device: Uuid) -> Result<Vec<DossierView>, DomainError> {
    let views = store.query(move |db| {
        let ids = db.tracked_dossiers(device)?;
        ids.into_iter().filter_map(|id| db.dossier_view(id, false).transpose()).collect::<Result<_, _>>()
    });
    Ok(views.await?)
}

/// How many dossiers the desk's list shows at most.
const DESK_LIST_MAX: u32 = 500;

/// The desk's list: the dossiers of `ward` (a ward officer's own; any for city staff), those
/// still open first by due date, then the finished ones newest first, up to [`DESK_LIST_MAX`].
pub async fn desk(
    store: &Store,
    staff: StaffMember,
    ward: Option<String>,
) -> Result<Vec<DossierView>, DomainError> {
    let ward = match (ward, staff.ward_code.clone()) {
        (Some(asked), Some(own)) if asked != own => {
            return Err(DomainError::forbidden(format!("you are staff of ward {own}, not of ward {asked}")));
        }
        (asked, own) => asked.or(own),
    };
    let views = store.query(move |db| {
        let ids = db.desk_dossiers(ward.as_deref(), DESK_LIST_MAX)?;
        ids.into_iter().filter_map(|id| db.dossier_view(id, true).transpose()).collect::<Result<_, _>>()
    });
    Ok(views.await?)
}

/// Dossier `code` in the desk's view, for its ward's staff and the city's.
pub async fn get(
    store: &Store,
    staff: StaffMember,
    code: String,
) -> Result<Option<DossierView>, DomainError> {
    store
        .query(move |db| {
            let Some(current) = db.dossier_state(code.trim())? else { return Ok(None) };
            if !staff.can_act_in(&current.ward) {
                return Err(DomainError::forbidden(format!(
                    "dossier {code} is at the desk of ward {}",
                    current.ward
                )));
            }
            Ok(db.dossier_view(current.id, true)?)
        })
        .await
}

/// A new dossier's code at `ward` on the local day of `now`: `<ward>-<yymmdd>-<random>`, the
/// random end drawn again in the unlikely case that the day's codes already have it.
fn next_code(db: &mut dyn Db, ward: &str, now: DateTime<Utc>) -> Result<String, StoreError> {
    let prefix = format!("{ward}-{}-", to_local(now).format("%y%m%d"));
    loop {
        let code = format!("{prefix}{}", secrets::new_code_tail());
        if !db.dossier_code_taken(&code)? {
            return Ok(code);
        }
    }
}

fn given(value: Option<String>) -> Option<String> {
    value.map(|value| value.trim().to_owned()).filter(|value| !value.is_empty())
}

/// Appends a dossier's event and marks it the dossier's newest.
pub(crate) fn append_event(
    db: &mut dyn Db,
    dossier: Uuid,
    ward_code: &str,
    at: DateTime<Utc>,
    actor: &str,
    change: &DossierChange,
) -> Result<u64, StoreError> {
    let data = serde_json::to_value(change).expect("a change serialises");
    db.append_event(Subject::Dossier(dossier), ward_code, at, actor, &data)
}
