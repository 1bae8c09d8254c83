//! The offline client's push: each operation applied at most once, in the same transaction
//! as the record of its id and answer, so a push sent again gets the same answers.

use phananh_shared::api::ReportView;
use phananh_shared::refusal::ErrorCode;
use phananh_shared::sync::{Operation, OperationKind, OperationResult, Outcome, PushRequest, PushResponse};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::dossiers::{self, Attempter};
use crate::error::DomainError;
use crate::http::AppState;
use crate::reports::{self, Reader};
use crate::store::{Db, SyncAnswer};

/// Applies `request`'s operations for `device`, in order, one transaction each. Tracking a
/// dossier counts against `attempters`' budget, as on its own route; once that is spent the
/// push is refused with a 429 and its remaining operations wait for the client's retry. Each
/// new report counts against the device's filing budget; one over it is refused on its own
/// (`filing_limited`, not recorded, so the client sends it again later).
pub async fn push(
    state: &AppState,
    device: Uuid,
    attempters: [Attempter; 2],
    request: PushRequest,
) -> Result<PushResponse, DomainError> {
    request.validate()?;
    let mut results = Vec::with_capacity(request.operations.len());
    for operation in request.operations {
        let id = operation.id;
        let outcome = apply(state, device, attempters, operation).await?;
        results.push(OperationResult { id, outcome });
    }
    Ok(PushResponse { results })
}

/// Applies one operation, or answers as it was answered before. A refusal the client could
/// act on is recorded like an acceptance; a failure of ours is not, so a retry may succeed.
async fn apply(
    state: &AppState,
    device: Uuid,
    attempters: [Attempter; 2],
    operation: Operation,
) -> Result<Outcome, DomainError> {
    let Operation { id, change } = operation;
    let now = state.clock.now();
    let hash = Sha256::digest(serde_json::to_vec(&change).expect("an operation serialises")).to_vec();
    // Filing's checks and routing need no database.
    let filing = match &change {
        OperationKind::CreateReport { report } => {
            Some(reports::prepare_filing(&state.wards, &state.policy, device, report.clone(), now))
        }
        _ => None,
    };
    let (policy, attempts, filings) = (state.policy, state.dossier_attempts.clone(), state.filings.clone());
    state
        .store
        .change(move |db| {
            if let Some(answer) = answered(db, id, device, &hash)? {
                return Ok(answer);
            }
            let subject = change.subject();
            db.begin_operation()?;
            let applied = match (change, filing) {
                (OperationKind::CreateReport { .. }, Some(filing)) => filing
                    .and_then(|filing| reports::record_filing(db, &filings, filing))
                    .map(|(_, view)| Some(accepted(view))),
                (OperationKind::CreateReport { .. }, None) => {
                    unreachable!("a filing is prepared for every report")
                }
                (OperationKind::Comment { report_id, comment }, _) => {
                    reports::comment(db, device, report_id, comment, now).map(|view| view.map(accepted))
                }
                (OperationKind::Rate { report_id, rating }, _) => {
                    reports::rate(db, &policy, device, report_id, rating, now).map(|view| view.map(accepted))
                }
                (OperationKind::Cancel { report_id, cancel }, _) => {
                    reports::cancel(db, device, report_id, cancel, now).map(|view| view.map(accepted))
                }
                (OperationKind::Follow { report_id }, _) => reports::follow(db, report_id, device, now)
                    .and_then(|followed| match followed {
                        Some(_) => Ok(reports::view(db, report_id, &Reader::Device(device))?.map(accepted)),
                        None => Ok(None),
                    }),
                (OperationKind::TrackDossier { track }, _) => {
                    // Bad input is not a guess; a spent budget is not an answer to keep.
                    track.validate()?;
                    attempts.take(&attempters)?;
                    // A refusal here is kept with what it wrote: a wrong secret stays counted.
                    Ok(Some(match dossiers::track(db, attempts.per_dossier, device, &track, now)? {
                        Ok(dossier) => Outcome::Tracked { dossier: Box::new(dossier) },
                        Err(refused) => refusal(&refused),
                    }))
                }
            };
            let outcome = match applied {
                Ok(Some(outcome)) => {
                    db.keep_operation()?;
                    outcome
                }
                Ok(None) => {
                    db.undo_operation()?;
                    refusal(&DomainError::not_found_on("report_id", format!("no report {subject}")))
                }
                // A spent filing budget is "not now", not an answer to keep: the same operation
                // sent later is filed.
                Err(error) if error.code() == ErrorCode::FilingLimited => {
                    db.undo_operation()?;
                    return Ok(refusal(&error));
                }
                Err(error) if error.is_refusal() => {
                    db.undo_operation()?;
                    refusal(&error)
                }
                Err(error) => return Err(error),
            };
            let answer = SyncAnswer {
                device,
                request_hash: hash,
                answer: serde_json::to_string(&outcome).expect("an outcome serialises"),
            };
            db.record_sync_answer(id, &answer, now)?;
            Ok(outcome)
        })
        .await
}

fn accepted(report: ReportView) -> Outcome {
    Outcome::Accepted { report: Box::new(report) }
}

/// The answer already given to operation `id`: the same one if `device` sends the same
/// operation again; a refusal (not recorded) if the id is another device's or came with
/// other content.
fn answered(db: &mut dyn Db, id: Uuid, device: Uuid, hash: &[u8]) -> Result<Option<Outcome>, DomainError> {
    let Some(stored) = db.sync_answer(id)? else { return Ok(None) };
    if stored.device != device || stored.request_hash != hash {
        let conflict =
            DomainError::conflict("id", format!("operation {id} was already sent with other content"));
        return Ok(Some(refusal(&conflict)));
    }
    let kept = serde_json::from_str(&stored.answer);
    Ok(Some(
        kept.map_err(|error| DomainError::Internal(format!("a kept sync answer does not read: {error}")))?,
    ))
}

fn refusal(error: &DomainError) -> Outcome {
    Outcome::Refused {
        code: error.code().code().to_owned(),
        message: error.to_string(),
        field: error.field().map(str::to_owned),
    }
}
