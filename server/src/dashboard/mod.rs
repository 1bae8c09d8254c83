//! The city dashboard and the public transparency figures. They are kept as reports change
//! ([`kept`]), so that a dashboard costs in proportion to what it shows; [`recomputed`] works
//! them out again from every report's history ([`crate::store::DashboardFacts`]), with the
//! same arithmetic ([`figures`]), to check them. The desks' dossiers have figures of their
//! own, in [`dossiers`].

pub mod dossiers;
mod figures;
pub mod kept;
mod public;

use phananh_shared::api::WardRef;
use phananh_shared::dashboard::{Dashboard, PublicWardFigures, Transparency};
use phananh_shared::sla::WorkCalendar;
use phananh_shared::status::Status;

pub use figures::Period;
use figures::{Computed, ReportFacts, Step, compute};
pub use public::PublicFigures;

use crate::error::DomainError;
use crate::store::{CountedEvent, CountedReport, Db, Store, StoreError};

/// The dashboard of `wards` (every ward for the city, or one) over `period`, from the kept
/// figures.
pub async fn dashboard(
    store: &Store,
    wards: Vec<WardRef>,
    one_ward: bool,
    period: Period,
) -> Result<Dashboard, DomainError> {
    assemble(store, wards, one_ward, period, move |db, ward, wards| {
        kept::figures(db, ward, wards, period, WorkCalendar::vietnam())
    })
    .await
}

/// The same dashboard as [`dashboard`], worked out from the history of every report that
/// counts: what the kept figures must equal.
pub async fn recomputed(
    store: &Store,
    wards: Vec<WardRef>,
    one_ward: bool,
    period: Period,
) -> Result<Dashboard, DomainError> {
    assemble(store, wards, one_ward, period, move |db, ward, wards| {
        Ok(compute(&load(db, ward, period)?, wards, period, WorkCalendar::vietnam()))
    })
    .await
}

/// The dashboard whose figures `figures` works out of one read of the store.
async fn assemble(
    store: &Store,
    wards: Vec<WardRef>,
    one_ward: bool,
    period: Period,
    figures: impl FnOnce(&mut dyn Db, Option<&str>, &[WardRef]) -> Result<Computed, StoreError> + Send + 'static,
) -> Result<Dashboard, DomainError> {
    let ward = one_ward.then(|| wards[0].code.clone());
    let (total, wards, overdue, days) = store.query(move |db| figures(db, ward.as_deref(), &wards)).await?;
    Ok(Dashboard { from: period.from, to: period.to, now: period.now, total, wards, overdue, days })
}

/// What the public sees of every ward over `period`.
pub async fn transparency(
    store: &Store,
    wards: Vec<WardRef>,
    period: Period,
) -> Result<Transparency, DomainError> {
    let dashboard = dashboard(store, wards, false, period).await?;
    Ok(Transparency {
        from: period.from,
        to: period.to,
        wards: dashboard.wards.iter().map(PublicWardFigures::of).collect(),
    })
}

/// The facts of the reports of `ward` (or every ward) that count for `period`: the changes
/// that move a figure, in order, and the ratings.
fn load(db: &mut dyn Db, ward: Option<&str>, period: Period) -> Result<Vec<ReportFacts>, StoreError> {
    Ok(db.counted_reports(ward, period.instants())?.into_iter().map(facts_of).collect())
}

/// `report` as the figures read it: the changes that move a figure, in order.
fn facts_of(report: CountedReport) -> ReportFacts {
    ReportFacts {
        id: report.id,
        reference: report.reference,
        ward: report.ward,
        status: report.status,
        received_at: report.received_at,
        deadline_ack: report.deadline_ack,
        deadline_handle: report.deadline_handle,
        steps: report.events.iter().filter_map(|event| Some((event.at, step(event)?))).collect(),
        stars: report.stars,
    }
}

/// The figures' step `event` is, if it moves a figure.
fn step(event: &CountedEvent) -> Option<Step> {
    Some(match event.kind.as_str() {
        "acknowledged" => Step::Acknowledged,
        "resolved" => Step::Resolved,
        "rejected" | "marked_duplicate" => Step::Dismissed,
        "transferred" => Step::Transferred,
        "cancelled" => Step::Cancelled,
        "rated" if event.status.as_deref() == Some(Status::Reopened.code()) => Step::Reopened,
        _ => return None,
    })
}
