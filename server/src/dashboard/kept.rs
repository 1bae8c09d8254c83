//! The figures kept as reports change, so that a dashboard costs in proportion to the wards
//! and days it shows (and the reports open now), not to the reports ever filed.
//!
//! Everything a figure counts about a report is settled by its own history, except what
//! depends on "now": whether an unanswered or unresolved open report is past its deadline,
//! and the backlog's age. The settled part is what the report *contributes*: counters under
//! the ward holding it and a day (received, answered, resolved, rated; the day each open
//! spell starts and ends, for the backlog at each day's end), and its handling time as a
//! counted sample. Each change of a report recomputes its contribution from its history and
//! adds the difference, in the change's own transaction ([`keep`]). A dashboard then adds
//! the counters of its wards and days, and reads the open reports for the rest
//! ([`figures`]): the same [`Tally`] and arithmetic as the computation from the raw events
//! ([`super::recomputed`]), which the tests compare it with.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, SubsecRound, TimeDelta, Utc};
use phananh_shared::api::{Change, WardRef};
use phananh_shared::dashboard::{Day, OVERDUE_LISTED};
use phananh_shared::sla::{WORKING_DAY, WorkCalendar, to_local};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::figures::{
    Computed, Period, ReportFacts, Step, Tally, cancelled, first_answer, missed_deadline, open_spells,
    overdue_report, resolution, tallied, tenths,
};
use crate::store::{
    DayCounts, Db, HandlingSamples, KeptReport, LateReport, OpenCountsAsked, StoreError, WardDay,
};

/// What one report adds to the kept figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Contribution {
    days: Vec<WardDay>,
    samples: Vec<HandlingSamples>,
    answered: bool,
}

/// Keeps the figures up to date with `change`, just recorded about report `id` of `ward`
/// at `at`. A new report's contribution is known without reading it back (filing is the
/// busiest change); a change that only informs (a comment, a note, a "me too", a breach
/// recorded) moves no figure.
pub fn keep_change(
    db: &mut dyn Db,
    id: Uuid,
    ward: &str,
    at: DateTime<Utc>,
    change: &Change,
) -> Result<(), StoreError> {
    match change {
        Change::Filed { status, deadlines, .. } => {
            let filed = ReportFacts {
                id,
                reference: None,
                ward: ward.to_owned(),
                status: *status,
                // As the stores keep it, to the microsecond.
                received_at: at.trunc_subsecs(6),
                deadline_ack: deadlines.acknowledge,
                deadline_handle: deadlines.handle,
                steps: Vec::new(),
                stars: Vec::new(),
            };
            record(db, id, &Contribution::default(), &contribution(&filed, WorkCalendar::vietnam()))
        }
        change if moves_figures(change) => keep(db, id),
        _ => Ok(()),
    }
}

fn moves_figures(change: &Change) -> bool {
    !matches!(
        change,
        Change::Followed { .. }
            | Change::Noted { .. }
            | Change::Commented { .. }
            | Change::AckOverdue { .. }
            | Change::HandlingOverdue { .. }
            | Change::Assigned { .. }
    )
}

/// Brings the kept figures up to date with report `id` as it stands in this transaction.
/// Taking the report's lock first, so two changes of one report (or a node filling history
/// beside a change) add their differences one after the other.
pub fn keep(db: &mut dyn Db, id: Uuid) -> Result<(), StoreError> {
    let kept = db.lock_kept_report(id)?;
    let old: Contribution = match &kept {
        Some(json) => serde_json::from_str(json)
            .map_err(|error| StoreError::Unreadable(format!("report {id}'s kept figures: {error}")))?,
        None => Contribution::default(),
    };
    let Some(facts) = db.report_facts(id)? else { return Ok(()) };
    let new = contribution(&super::facts_of(facts), WorkCalendar::vietnam());
    if kept.is_some() && new == old {
        return Ok(());
    }
    record(db, id, &old, &new)
}

/// Records that report `id` now adds `new` to the figures instead of `old`.
fn record(db: &mut dyn Db, id: Uuid, old: &Contribution, new: &Contribution) -> Result<(), StoreError> {
    let (days, samples) = difference(old, new);
    let json = serde_json::to_string(new).expect("a contribution serialises");
    db.keep_report(&KeptReport {
        id,
        answered: new.answered,
        contribution: &json,
        days: &days,
        samples: &samples,
    })
}

/// How many reports [`keep_history`] takes per transaction.
const HISTORY_BATCH: u32 = 500;

/// Keeps the figures of every report filed before they were kept (a database from before
/// issue 25), a batch per transaction: how many. Run at start; safe beside other nodes doing
/// the same, since [`keep`] of a report already kept changes nothing.
pub async fn keep_history(store: &crate::store::Store) -> Result<usize, StoreError> {
    let (mut kept, mut after) = (0, None);
    loop {
        let batch = store
            .change(move |db| {
                let ids = db.reports_not_kept(after, HISTORY_BATCH)?;
                for &id in &ids {
                    keep(db, id)?;
                }
                Ok::<_, StoreError>(ids)
            })
            .await?;
        kept += batch.len();
        match batch.last() {
            Some(&last) if batch.len() == HISTORY_BATCH as usize => after = Some(last),
            _ => return Ok(kept),
        }
    }
}

/// What `report` adds, as its history settles it.
fn contribution(report: &ReportFacts, calendar: &WorkCalendar) -> Contribution {
    let mut days: BTreeMap<NaiveDate, DayCounts> = BTreeMap::new();
    let received_on = to_local(report.received_at).date();
    let on_receipt = days.entry(received_on).or_default();
    on_receipt.received = 1;
    let answered = first_answer(report);
    match (answered, cancelled(report)) {
        (Some(at), _) => {
            on_receipt.acks_due = 1;
            on_receipt.acks_on_time = i64::from(at <= report.deadline_ack);
        }
        // Withdrawn unanswered: late if its deadline passed first. Unanswered and not
        // withdrawn, a report is open (each way out of "submitted" is an answer or a
        // withdrawal): its deadline is for today's figures.
        (None, Some(cancelled)) => on_receipt.acks_due = i64::from(report.deadline_ack < cancelled),
        (None, None) => {}
    }
    let mut samples = Vec::new();
    if let Some(at) = resolution(report) {
        on_receipt.resolutions_due = 1;
        on_receipt.resolutions_on_time = i64::from(at <= report.deadline_handle);
        samples.push(HandlingSamples {
            ward: report.ward.clone(),
            day: received_on,
            tenths: tenths(calendar.working_time_between(report.received_at, at)),
            count: 1,
        });
    }
    on_receipt.ratings = report.stars.len() as i64;
    on_receipt.satisfied = report.stars.iter().filter(|&&stars| stars >= 4).count() as i64;
    for (at, step) in &report.steps {
        if *step == Step::Resolved {
            days.entry(to_local(*at).date()).or_default().resolved += 1;
        }
    }
    for (opened, closed) in open_spells(report) {
        days.entry(day_ending_at_or_after(opened)).or_default().backlog_change += 1;
        if let Some(closed) = closed {
            days.entry(day_ending_at_or_after(closed)).or_default().backlog_change -= 1;
        }
    }
    let days = days
        .into_iter()
        .filter(|(_, counts)| *counts != DayCounts::default())
        .map(|(day, counts)| WardDay { ward: report.ward.clone(), day, counts })
        .collect();
    Contribution { days, samples, answered: answered.is_some() }
}

/// The first day whose end (the next midnight in Hà Nội) is at or after `at`: the first day
/// a report opened at `at` is counted open at the end of, and the first one a report closed
/// at `at` no longer is.
fn day_ending_at_or_after(at: DateTime<Utc>) -> NaiveDate {
    let local = to_local(at);
    if local.time() == chrono::NaiveTime::MIN { local.date() - TimeDelta::days(1) } else { local.date() }
}

/// What takes the kept figures from `old` to `new`.
fn difference(old: &Contribution, new: &Contribution) -> (Vec<WardDay>, Vec<HandlingSamples>) {
    let mut days: BTreeMap<(&str, NaiveDate), DayCounts> = BTreeMap::new();
    for (sign, contribution) in [(-1, old), (1, new)] {
        for WardDay { ward, day, counts } in &contribution.days {
            days.entry((ward, *day)).or_default().add(counts, sign);
        }
    }
    let mut samples: BTreeMap<(&str, NaiveDate, u32), i64> = BTreeMap::new();
    for (sign, contribution) in [(-1, old), (1, new)] {
        for sample in &contribution.samples {
            *samples.entry((&sample.ward, sample.day, sample.tenths)).or_default() += sign * sample.count;
        }
    }
    let days = days
        .into_iter()
        .filter(|(_, counts)| *counts != DayCounts::default())
        .map(|((ward, day), counts)| WardDay { ward: ward.to_owned(), day, counts })
        .collect();
    let samples = samples
        .into_iter()
        .filter(|(_, count)| *count != 0)
        .map(|((ward, day, tenths), count)| HandlingSamples { ward: ward.to_owned(), day, tenths, count })
        .collect();
    (days, samples)
}

impl DayCounts {
    fn add(&mut self, other: &DayCounts, sign: i64) {
        self.received += sign * other.received;
        self.acks_due += sign * other.acks_due;
        self.acks_on_time += sign * other.acks_on_time;
        self.resolutions_due += sign * other.resolutions_due;
        self.resolutions_on_time += sign * other.resolutions_on_time;
        self.ratings += sign * other.ratings;
        self.satisfied += sign * other.satisfied;
        self.resolved += sign * other.resolved;
        self.backlog_change += sign * other.backlog_change;
    }
}

/// The dashboard's figures of `ward` (every ward when `None`), for `wards` in their order,
/// from the kept counters and the open reports.
pub fn figures(
    db: &mut dyn Db,
    ward: Option<&str>,
    wards: &[WardRef],
    period: Period,
    calendar: &WorkCalendar,
) -> Result<Computed, StoreError> {
    let span = (period.from, period.to);
    let dates: Vec<NaiveDate> = period.from.iter_days().take_while(|d| *d <= period.to).collect();
    let mut days: Vec<Day> =
        dates.iter().map(|&date| Day { date, received: 0, resolved: 0, backlog: 0 }).collect();
    let mut backlog_changes = vec![0; dates.len()];
    let mut total = Tally::default();
    let mut by_ward: BTreeMap<&str, Tally> =
        wards.iter().map(|w| (w.code.as_str(), Tally::default())).collect();
    let ward_days = db.ward_days(ward, span)?;
    for WardDay { ward, day, counts } in &ward_days {
        let i = dates.binary_search(day).expect("a day of the period");
        days[i].received += counts.received as u64;
        days[i].resolved += counts.resolved as u64;
        backlog_changes[i] += counts.backlog_change;
        for tally in [&mut total, by_ward.entry(ward).or_default()] {
            tally.settle(counts);
        }
    }
    let mut backlog: i64 = db.backlog_before(ward, period.from)?.iter().map(|(_, n)| n).sum();
    for (day, change) in days.iter_mut().zip(backlog_changes) {
        backlog += change;
        day.backlog = backlog as u64;
    }
    let samples = db.handling_samples(ward, span)?;
    for (ward, tenths, count) in &samples {
        for tally in [&mut total, by_ward.entry(ward).or_default()] {
            *tally.handling_tenths.entry(*tenths).or_default() += count;
        }
    }
    let asked = OpenCountsAsked {
        now: period.now,
        received: period.instants(),
        age_bounds: [1, 3, 5, 10]
            .map(|days| latest_start(period.now, calendar, |working| working >= WORKING_DAY * days)),
    };
    let open = db.open_counts(ward, &asked)?;
    for counts in &open {
        for tally in [&mut total, by_ward.entry(&counts.ward).or_default()] {
            // Open, so neither resolved nor withdrawn: due once its deadlines pass.
            tally.acks_due += counts.acks_due;
            tally.resolutions_due += counts.resolutions_due;
            tally.backlog += counts.backlog;
            tally.overdue_now += counts.overdue;
            let [under_1, to_3, to_5, to_10, over_10] = counts.by_age;
            let ages = &mut tally.backlog_age;
            ages.under_1_day += under_1;
            ages.from_1_to_3_days += to_3;
            ages.from_3_to_5_days += to_5;
            ages.from_5_to_10_days += to_10;
            ages.over_10_days += over_10;
        }
    }
    let names: BTreeMap<&str, &WardRef> = wards.iter().map(|w| (w.code.as_str(), w)).collect();
    let late = listed_late(db, ward, period.now, calendar)?;
    let mut overdue: Vec<_> =
        late.iter().filter_map(|report| overdue_report(&names, report, period.now, calendar)).collect();
    let (total, wards) = tallied(total, by_ward, wards, &mut overdue);
    Ok((total, wards, overdue, days))
}

impl Tally {
    /// Adds what a ward's day settled about the reports received that day.
    fn settle(&mut self, counts: &DayCounts) {
        self.received += counts.received as u64;
        self.acks_due += counts.acks_due as u64;
        self.acks_on_time += counts.acks_on_time as u64;
        self.resolutions_due += counts.resolutions_due as u64;
        self.resolutions_on_time += counts.resolutions_on_time as u64;
        self.ratings += counts.ratings as u64;
        self.satisfied += counts.satisfied as u64;
    }
}

/// The open reports that can head the overdue list: the first [`OVERDUE_LISTED`] to miss a
/// deadline, and every other as late in working hours as the last of them, since the list
/// puts those in the order of their ids. The rest are later, so counted and not listed.
fn listed_late(
    db: &mut dyn Db,
    ward: Option<&str>,
    now: DateTime<Utc>,
    calendar: &WorkCalendar,
) -> Result<Vec<LateReport>, StoreError> {
    let missed = |report: &LateReport| missed_deadline(report, now).map(|(_, at)| at);
    let mut first = db.late_reports(ward, now, now, Some(OVERDUE_LISTED as u32))?;
    first.sort_by_key(|report| (missed(report), report.id));
    let Some(last) = first.get(OVERDUE_LISTED - 1).and_then(missed) else { return Ok(first) };
    let late = tenths(calendar.working_time_between(last, now));
    let missed_by = latest_start(now, calendar, |working| tenths(working) >= late);
    db.late_reports(ward, now, missed_by, None)
}

/// The latest moment from which the working time to `now` is `enough` (as it is from any
/// earlier one, the test being one that more working time passes). Working time to `now`
/// only shrinks as the start moves later, so a binary search over microseconds (the stored
/// precision) finds it.
fn latest_start(
    now: DateTime<Utc>,
    calendar: &WorkCalendar,
    enough: impl Fn(TimeDelta) -> bool,
) -> DateTime<Utc> {
    let old_enough = |micros: i64| {
        let at = DateTime::from_timestamp_micros(micros).expect("within chrono's range");
        enough(calendar.working_time_between(at, now))
    };
    let mut early = (now - TimeDelta::days(30)).timestamp_micros();
    while !old_enough(early) {
        early -= TimeDelta::days(30).num_microseconds().expect("30 days in microseconds");
    }
    let mut late = now.timestamp_micros();
    while late - early > 1 {
        let middle = early + (late - early) / 2;
        if old_enough(middle) { early = middle } else { late = middle }
    }
    DateTime::from_timestamp_micros(early).expect("within chrono's range")
}
