//! The offline client's push: each operation applied at most once, in the same transaction
//! as the record of its id and answer, so a push sent again gets the same answers.

use chrono::{DateTime, Utc};
use phananh_shared::sla::SlaPolicy;
use phananh_shared::sync::{Operation, OperationKind, OperationResult, Outcome, PushRequest, PushResponse};
use phananh_shared::wards::WardIndex;
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::http::error::ApiError;
use crate::reports::{self, Reader};
use crate::store::{Store, stamp};

/// Applies `request`'s operations for `device`, in order, one transaction each.
pub async fn push(
    store: &Store,
    wards: &WardIndex,
    policy: &SlaPolicy,
    device: Uuid,
    request: PushRequest,
    now: DateTime<Utc>,
) -> Result<PushResponse, ApiError> {
    request.validate()?;
    let mut results = Vec::with_capacity(request.operations.len());
    for operation in request.operations {
        let id = operation.id;
        let outcome = apply(store, wards, policy, device, operation, now).await?;
        results.push(OperationResult { id, outcome });
    }
    Ok(PushResponse { results })
}

/// Applies one operation, or answers as it was answered before. A refusal the client could
/// act on is recorded like an acceptance; a failure of ours is not, so a retry may succeed.
async fn apply(
    store: &Store,
    wards: &WardIndex,
    policy: &SlaPolicy,
    device: Uuid,
    operation: Operation,
    now: DateTime<Utc>,
) -> Result<Outcome, ApiError> {
    let Operation { id, change } = operation;
    let hash = Sha256::digest(serde_json::to_vec(&change).expect("an operation serialises")).to_vec();
    // Filing's checks and routing need no database.
    let filing = match &change {
        OperationKind::CreateReport { report } => {
            Some(reports::prepare_filing(wards, policy, device, report.clone(), now))
        }
        _ => None,
    };
    let policy = *policy;
    store
        .write(move |tx| {
            if let Some(answer) = answered(tx, id, device, &hash)? {
                return Ok(answer);
            }
            let report_id = change.report_id();
            tx.execute_batch("SAVEPOINT operation")?;
            let applied = match (change, filing) {
                (OperationKind::CreateReport { .. }, Some(filing)) => {
                    filing.and_then(|filing| reports::record_filing(tx, filing)).map(|(_, view)| Some(view))
                }
                (OperationKind::CreateReport { .. }, None) => {
                    unreachable!("a filing is prepared for every report")
                }
                (OperationKind::Comment { report_id, comment }, _) => {
                    reports::comment(tx, device, report_id, comment, now)
                }
                (OperationKind::Rate { report_id, rating }, _) => {
                    reports::rate(tx, &policy, device, report_id, rating, now)
                }
                (OperationKind::Cancel { report_id, cancel }, _) => {
                    reports::cancel(tx, device, report_id, cancel, now)
                }
                (OperationKind::Follow { report_id }, _) => reports::follow(tx, report_id, device, now)
                    .and_then(|followed| match followed {
                        Some(_) => Ok(reports::view(tx, report_id, &Reader::Device(device))?),
                        None => Ok(None),
                    }),
            };
            let outcome = match applied {
                Ok(Some(report)) => {
                    tx.execute_batch("RELEASE operation")?;
                    Outcome::Accepted { report: Box::new(report) }
                }
                Ok(None) => {
                    tx.execute_batch("ROLLBACK TO operation; RELEASE operation")?;
                    refusal(&ApiError::not_found(format!("no report {report_id}")).on("report_id"))
                }
                Err(error) if error.is_client_error() => {
                    tx.execute_batch("ROLLBACK TO operation; RELEASE operation")?;
                    refusal(&error)
                }
                Err(error) => return Err(error),
            };
            tx.execute(
                "INSERT INTO sync_operations (id, device_id, request_hash, answer, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    id.to_string(),
                    device.to_string(),
                    hash,
                    serde_json::to_string(&outcome).expect("an outcome serialises"),
                    stamp(now)
                ],
            )?;
            Ok(outcome)
        })
        .await
}

/// The answer already given to operation `id`: the same one if `device` sends the same
/// operation again; a refusal (not recorded) if the id is another device's or came with
/// other content.
fn answered(tx: &Connection, id: Uuid, device: Uuid, hash: &[u8]) -> Result<Option<Outcome>, ApiError> {
    let stored: Option<(String, Vec<u8>, String)> = tx
        .query_row(
            "SELECT device_id, request_hash, answer FROM sync_operations WHERE id = ?1",
            [id.to_string()],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()?;
    let Some((owner, stored_hash, answer)) = stored else { return Ok(None) };
    if owner != device.to_string() || stored_hash != hash {
        let conflict =
            ApiError::conflict("id", format!("operation {id} was already sent with other content"));
        return Ok(Some(refusal(&conflict)));
    }
    Ok(Some(serde_json::from_str(&answer).map_err(ApiError::internal)?))
}

fn refusal(error: &ApiError) -> Outcome {
    let (code, message, field) = error.parts();
    Outcome::Refused { code: code.to_owned(), message: message.to_owned(), field: field.map(str::to_owned) }
}
