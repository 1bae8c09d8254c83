//! The dashboard's arithmetic, on facts already read from the database: pure, so that the
//! figures can be checked against ones worked out by hand. The definitions are in
//! [`phananh_shared::dashboard`].

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use phananh_shared::api::WardRef;
use phananh_shared::dashboard::{
    BacklogAge, Day, Figures, Missed, OVERDUE_LISTED, OverdueReport, WardFigures,
};
use phananh_shared::report::Reference;
use phananh_shared::sla::{WORKING_DAY, WorkCalendar, to_local, to_utc};
use phananh_shared::status::Status;
use uuid::Uuid;

use crate::store::LateReport;

/// What the figures need to know of one report.
#[derive(Debug, Clone)]
pub struct ReportFacts {
    pub id: Uuid,
    pub reference: Option<Reference>,
    pub ward: String,
    pub status: Status,
    pub received_at: DateTime<Utc>,
    pub deadline_ack: DateTime<Utc>,
    pub deadline_handle: DateTime<Utc>,
    /// The changes that count, oldest first.
    pub steps: Vec<(DateTime<Utc>, Step)>,
    /// The residents' ratings of its answers.
    pub stars: Vec<u8>,
}

/// A change that moves a figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Acknowledged,
    Resolved,
    /// Rejected or marked a duplicate: an answer that also ends the report.
    Dismissed,
    Transferred,
    Reopened,
    /// Withdrawn by its resident: it ends the report without being an answer.
    Cancelled,
}

/// The period, both ends included, and the moment "now" of the figures about today.
#[derive(Debug, Clone, Copy)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub now: DateTime<Utc>,
}

impl Period {
    /// The period as instants: from the first day's midnight in Hà Nội to the midnight
    /// after the last day (excluded).
    pub fn instants(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        let midnight = |date: NaiveDate| to_utc(date.and_hms_opt(0, 0, 0).expect("midnight"));
        (midnight(self.from), midnight(self.to) + TimeDelta::days(1))
    }
}

/// Everything a dashboard shows: the total, each ward's figures, the overdue list and the days.
pub type Computed = (Figures, Vec<WardFigures>, Vec<OverdueReport>, Vec<Day>);

/// Everything a dashboard shows, from `facts`: the total, each of `wards` (in their order),
/// the overdue list and the days.
pub fn compute(
    facts: &[ReportFacts],
    wards: &[WardRef],
    period: Period,
    calendar: &WorkCalendar,
) -> Computed {
    let names: BTreeMap<&str, &WardRef> = wards.iter().map(|w| (w.code.as_str(), w)).collect();
    let mut total = Tally::default();
    let mut by_ward: BTreeMap<&str, Tally> =
        wards.iter().map(|w| (w.code.as_str(), Tally::default())).collect();
    let mut overdue = Vec::new();
    for report in facts {
        let tally = by_ward.entry(report.ward.as_str()).or_default();
        for tally in [&mut total, tally] {
            tally.count(report, period, calendar);
        }
        overdue.extend(overdue_report(&names, &report.today(), period.now, calendar));
    }
    let (total, wards) = tallied(total, by_ward, wards, &mut overdue);
    (total, wards, overdue, days(facts, period))
}

/// The figures of `total` and of each of `wards` (in their order) from their tallies, and the
/// overdue list put in order, the latest first, and cut to its first [`OVERDUE_LISTED`].
pub(super) fn tallied(
    total: Tally,
    by_ward: BTreeMap<&str, Tally>,
    wards: &[WardRef],
    overdue: &mut Vec<OverdueReport>,
) -> (Figures, Vec<WardFigures>) {
    overdue.sort_by(|a, b| b.late_hours.total_cmp(&a.late_hours).then(a.report_id.cmp(&b.report_id)));
    overdue.truncate(OVERDUE_LISTED);
    let wards = wards
        .iter()
        .map(|ward| WardFigures { ward: ward.clone(), figures: by_ward[ward.code.as_str()].figures() })
        .collect();
    (total.figures(), wards)
}

impl ReportFacts {
    /// What the figures about today need of it.
    fn today(&self) -> LateReport {
        LateReport {
            id: self.id,
            reference: self.reference,
            ward: self.ward.clone(),
            status: self.status,
            received_at: self.received_at,
            deadline_ack: self.deadline_ack,
            deadline_handle: self.deadline_handle,
        }
    }
}

/// `report` on the overdue list, if it has missed a deadline by `now`, with its ward named
/// from `names`.
pub(super) fn overdue_report(
    names: &BTreeMap<&str, &WardRef>,
    report: &LateReport,
    now: DateTime<Utc>,
    calendar: &WorkCalendar,
) -> Option<OverdueReport> {
    let (missed, deadline) = missed_deadline(report, now)?;
    let ward = names
        .get(report.ward.as_str())
        .map_or_else(|| WardRef { code: report.ward.clone(), name: report.ward.clone() }, |w| (*w).clone());
    Some(OverdueReport {
        report_id: report.id,
        reference: report.reference,
        ward,
        status: report.status,
        missed,
        deadline,
        late_hours: hours(calendar.working_time_between(deadline, now)),
    })
}

/// The running counts behind one [`Figures`].
#[derive(Debug, Default)]
pub(super) struct Tally {
    pub received: u64,
    pub acks_due: u64,
    pub acks_on_time: u64,
    pub resolutions_due: u64,
    pub resolutions_on_time: u64,
    /// How many reports took each handling time, in tenths of a working hour (the figures'
    /// precision): a period's median costs its distinct times, not its reports.
    pub handling_tenths: BTreeMap<u32, u64>,
    pub ratings: u64,
    /// Ratings of 4 or 5 stars.
    pub satisfied: u64,
    pub overdue_now: u64,
    pub backlog: u64,
    pub backlog_age: BacklogAge,
}

impl Tally {
    fn count(&mut self, report: &ReportFacts, period: Period, calendar: &WorkCalendar) {
        let received_on = to_local(report.received_at).date();
        if (period.from..=period.to).contains(&received_on) {
            self.received += 1;
            // A report withdrawn before its deadline was never late.
            let cancelled = cancelled(report);
            match first_answer(report) {
                Some(at) => {
                    self.acks_due += 1;
                    self.acks_on_time += u64::from(at <= report.deadline_ack);
                }
                None if report.deadline_ack < cancelled.unwrap_or(period.now) => self.acks_due += 1,
                None => {}
            }
            match resolution(report) {
                Some(at) => {
                    self.resolutions_due += 1;
                    self.resolutions_on_time += u64::from(at <= report.deadline_handle);
                    *self
                        .handling_tenths
                        .entry(tenths(calendar.working_time_between(report.received_at, at)))
                        .or_default() += 1;
                }
                None if report.status.is_open() && report.deadline_handle < period.now => {
                    self.resolutions_due += 1
                }
                None => {}
            }
            self.ratings += report.stars.len() as u64;
            self.satisfied += report.stars.iter().filter(|&&stars| stars >= 4).count() as u64;
        }
        self.count_today(&report.today(), period.now, calendar);
    }

    /// Counts `report` in the backlog, its age and the overdue, if it is open.
    fn count_today(&mut self, report: &LateReport, now: DateTime<Utc>, calendar: &WorkCalendar) {
        if report.status.is_open() {
            self.backlog += 1;
            self.overdue_now += u64::from(missed_deadline(report, now).is_some());
            let age = calendar.working_time_between(report.received_at, now);
            let bucket = &mut self.backlog_age;
            let counter = match age {
                age if age < WORKING_DAY => &mut bucket.under_1_day,
                age if age < WORKING_DAY * 3 => &mut bucket.from_1_to_3_days,
                age if age < WORKING_DAY * 5 => &mut bucket.from_3_to_5_days,
                age if age < WORKING_DAY * 10 => &mut bucket.from_5_to_10_days,
                _ => &mut bucket.over_10_days,
            };
            *counter += 1;
        }
    }

    fn figures(&self) -> Figures {
        let resolved = self.handling_tenths.values().sum();
        Figures {
            received: self.received,
            acknowledged_on_time_pct: percent(self.acks_on_time, self.acks_due),
            acknowledgements_due: self.acks_due,
            resolved_on_time_pct: percent(self.resolutions_on_time, self.resolutions_due),
            resolutions_due: self.resolutions_due,
            resolved,
            handling_hours_median: median(&self.handling_tenths, resolved),
            handling_hours_p90: p90(&self.handling_tenths, resolved),
            satisfaction_pct: percent(self.satisfied, self.ratings),
            ratings: self.ratings,
            overdue_now: self.overdue_now,
            backlog: self.backlog,
            backlog_age: self.backlog_age,
        }
    }
}

/// When the ward holding the report first answered it (since the last transfer): an
/// acknowledgement, a resolution, or a dismissal.
pub(super) fn first_answer(report: &ReportFacts) -> Option<DateTime<Utc>> {
    let since_transfer =
        report.steps.iter().rposition(|(_, step)| *step == Step::Transferred).map_or(0, |i| i + 1);
    report.steps[since_transfer..]
        .iter()
        .find(|(_, step)| matches!(step, Step::Acknowledged | Step::Resolved | Step::Dismissed))
        .map(|(at, _)| *at)
}

/// When the report was withdrawn by its resident, if it was.
pub(super) fn cancelled(report: &ReportFacts) -> Option<DateTime<Utc>> {
    report.steps.iter().find(|(_, step)| *step == Step::Cancelled).map(|(at, _)| *at)
}

/// When the report was resolved, if it stands resolved (or closed after its resolution).
pub(super) fn resolution(report: &ReportFacts) -> Option<DateTime<Utc>> {
    if !matches!(report.status, Status::Resolved | Status::Closed) {
        return None;
    }
    report.steps.iter().rev().find(|(_, step)| *step == Step::Resolved).map(|(at, _)| *at)
}

/// The deadline an open report has missed, if any: the acknowledgement one while it waits
/// for an answer, else the handling one.
pub(super) fn missed_deadline(report: &LateReport, now: DateTime<Utc>) -> Option<(Missed, DateTime<Utc>)> {
    if !report.status.is_open() {
        return None;
    }
    if report.status == Status::Submitted && report.deadline_ack < now {
        Some((Missed::Acknowledge, report.deadline_ack))
    } else if report.deadline_handle < now {
        Some((Missed::Handle, report.deadline_handle))
    } else {
        None
    }
}

/// Received, resolved and backlog for each day of the period.
fn days(facts: &[ReportFacts], period: Period) -> Vec<Day> {
    let dates: Vec<NaiveDate> = period.from.iter_days().take_while(|d| *d <= period.to).collect();
    // The end of each day, when the backlog is counted.
    let ends: Vec<DateTime<Utc>> = dates
        .iter()
        .map(|d| to_utc((*d + TimeDelta::days(1)).and_hms_opt(0, 0, 0).expect("midnight")))
        .collect();
    let index = |at: DateTime<Utc>| dates.binary_search(&to_local(at).date()).ok();
    let mut days: Vec<Day> =
        dates.iter().map(|&date| Day { date, received: 0, resolved: 0, backlog: 0 }).collect();
    for report in facts {
        if let Some(i) = index(report.received_at) {
            days[i].received += 1;
        }
        for (at, step) in &report.steps {
            if let (Step::Resolved, Some(i)) = (step, index(*at)) {
                days[i].resolved += 1;
            }
        }
        for (opened, closed) in open_spells(report) {
            for (day, end) in days.iter_mut().zip(&ends) {
                if opened <= *end && closed.is_none_or(|closed| *end < closed) {
                    day.backlog += 1;
                }
            }
        }
    }
    days
}

/// The spells during which the report was open: from receipt (or a reopening) to its
/// resolution or dismissal, the last one open-ended if it is open now.
pub(super) fn open_spells(report: &ReportFacts) -> Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> {
    let mut spells = Vec::new();
    let mut opened = Some(report.received_at);
    for (at, step) in &report.steps {
        match step {
            Step::Resolved | Step::Dismissed | Step::Cancelled => {
                if let Some(start) = opened.take() {
                    spells.push((start, Some(*at)));
                }
            }
            Step::Reopened => opened = opened.or(Some(*at)),
            Step::Acknowledged | Step::Transferred => {}
        }
    }
    spells.extend(opened.map(|start| (start, None)));
    spells
}

pub(super) fn hours(time: TimeDelta) -> f64 {
    one_decimal(time.num_seconds() as f64 / 3600.0)
}

/// [`hours`] in tenths.
pub(super) fn tenths(time: TimeDelta) -> u32 {
    (hours(time) * 10.0).round() as u32
}

fn one_decimal(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

pub(super) fn percent(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| one_decimal(100.0 * part as f64 / whole as f64))
}

/// The middle one of the `n` hours `tenths` counts; the mean of the two middle ones for an
/// even count.
fn median(tenths: &BTreeMap<u32, u64>, n: u64) -> Option<f64> {
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(nth(tenths, n / 2)),
        _ => Some(one_decimal((nth(tenths, n / 2 - 1) + nth(tenths, n / 2)) / 2.0)),
    }
}

/// The nearest-rank 90th percentile of the `n` hours `tenths` counts: the smallest one with
/// at least 90% of them at or below it.
fn p90(tenths: &BTreeMap<u32, u64>, n: u64) -> Option<f64> {
    let rank = (n * 9).div_ceil(10);
    (rank > 0).then(|| nth(tenths, rank - 1))
}

/// The hours at `rank` (from 0) of those `tenths` counts, in order.
fn nth(tenths: &BTreeMap<u32, u64>, rank: u64) -> f64 {
    let mut below = 0;
    let (value, _) = tenths
        .iter()
        .find(|&(_, &count)| {
            below += count;
            rank < below
        })
        .expect("a rank within the count");
    f64::from(*value) / 10.0
}

#[cfg(test)]
mod tests {
    //! A fixture of 19 reports in two wards over Monday 2 to Friday 6 March 2026 (no
    //! holidays), seen on Monday 9 March at 10:00, with every figure worked out by hand in
    //! the comments (working hours: 08:00–12:00 and 13:00–17:00).

    use super::*;
    use Step::*;

    fn t(local: &str) -> DateTime<Utc> {
        to_utc(chrono::NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M").unwrap())
    }

    fn report(
        n: u128,
        ward: &str,
        status: Status,
        received: String,
        (ack, handle): (String, String),
        steps: Vec<(String, Step)>,
        stars: &[u8],
    ) -> ReportFacts {
        ReportFacts {
            id: Uuid::from_u128(n),
            reference: None,
            ward: ward.into(),
            status,
            received_at: t(&received),
            deadline_ack: t(&ack),
            deadline_handle: t(&handle),
            steps: steps.iter().map(|(at, step)| (t(at), *step)).collect(),
            stars: stars.to_vec(),
        }
    }

    fn fixture() -> Vec<ReportFacts> {
        let (mon, tue, wed, thu, fri, mon2) =
            ("2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05", "2026-03-06", "2026-03-09");
        let at = |day: &str, time: &str| format!("{day} {time}");
        vec![
            // Acknowledged on time, resolved on time after 6 h (08–12, 13–15), rated 5.
            report(
                1,
                "A",
                Status::Closed,
                at(mon, "08:00"),
                (at(mon, "17:00"), at(fri, "17:00")),
                vec![(at(mon, "09:00"), Acknowledged), (at(mon, "15:00"), Resolved)],
                &[5],
            ),
            // Acknowledged late; resolved on time after 11 h (8 on Monday, 3 on Tuesday).
            report(
                2,
                "A",
                Status::Resolved,
                at(mon, "08:00"),
                (at(mon, "17:00"), at(fri, "17:00")),
                vec![(at(tue, "09:00"), Acknowledged), (at(tue, "11:00"), Resolved)],
                &[],
            ),
            // Acknowledged on time; resolved late after 16 h; rated 2.
            report(
                3,
                "A",
                Status::Closed,
                at(tue, "08:00"),
                (at(tue, "17:00"), at(wed, "17:00")),
                vec![(at(tue, "08:30"), Acknowledged), (at(thu, "08:00"), Resolved)],
                &[2],
            ),
            // Rejected within the hour: answered on time, and never counted as resolved.
            report(
                4,
                "A",
                Status::Rejected,
                at(tue, "13:00"),
                (at(wed, "13:00"), at(fri, "17:00")),
                vec![(at(tue, "14:00"), Dismissed)],
                &[],
            ),
            // Never acknowledged: late since Wednesday 17:00, 18 h by now (Thu, Fri, 2 h Mon);
            // 26 h old (3.25 days).
            report(
                5,
                "A",
                Status::Submitted,
                at(wed, "08:00"),
                (at(wed, "17:00"), "2026-03-13 17:00".into()),
                vec![],
                &[],
            ),
            // In progress past its handling deadline of Friday 12:00: 6 h late (13–17, 08–10).
            report(
                6,
                "A",
                Status::InProgress,
                at(wed, "08:00"),
                (at(wed, "17:00"), at(fri, "12:00")),
                vec![(at(wed, "10:00"), Acknowledged)],
                &[],
            ),
            // Acknowledged by ward B in time, transferred to A, which acknowledged late: late.
            // 11 h old.
            report(
                7,
                "A",
                Status::Acknowledged,
                at(thu, "16:00"),
                (at(fri, "17:00"), "2026-03-13 17:00".into()),
                vec![
                    (at(thu, "16:30"), Acknowledged),
                    (at(fri, "09:00"), Transferred),
                    (at(mon2, "09:00"), Acknowledged),
                ],
                &[],
            ),
            // Not yet due to be acknowledged; 3 h old.
            report(
                8,
                "A",
                Status::Submitted,
                at(fri, "16:00"),
                (at(mon2, "15:00"), "2026-03-16 17:00".into()),
                vec![],
                &[],
            ),
            // Resolved in time, reopened after a 1-star rating, resolved again in time on
            // Wednesday 11:00 after 17 h in all (6 Mon, 8 Tue, 3 Wed); rated 1, then 4.
            report(
                9,
                "A",
                Status::Closed,
                at(mon, "10:00"),
                (at(tue, "10:00"), at(wed, "17:00")),
                vec![
                    (at(mon, "11:00"), Acknowledged),
                    (at(mon, "16:00"), Resolved),
                    (at(tue, "09:00"), Reopened),
                    (at(wed, "11:00"), Resolved),
                ],
                &[1, 4],
            ),
            // Received on Saturday, after the period: only in today's backlog (2 h old).
            report(
                10,
                "A",
                Status::Submitted,
                "2026-03-07 09:00".into(),
                (at(mon2, "17:00"), "2026-03-16 17:00".into()),
                vec![],
                &[],
            ),
            // Received before the period, still in progress, handling due Thursday 17:00:
            // 10 h late; 49 h old (7 + 40 + 2), 6.1 days.
            report(
                11,
                "A",
                Status::InProgress,
                "2026-02-27 09:00".into(),
                ("2026-02-27 17:00".into(), at(thu, "17:00")),
                vec![("2026-02-27 10:00".into(), Acknowledged)],
                &[],
            ),
            // Received before the period, resolved on Tuesday: in Monday's backlog and
            // Tuesday's resolutions only.
            report(
                12,
                "A",
                Status::Resolved,
                "2026-02-27 09:00".into(),
                ("2026-02-27 17:00".into(), at(fri, "17:00")),
                vec![("2026-02-27 10:00".into(), Acknowledged), (at(tue, "10:00"), Resolved)],
                &[],
            ),
            // Ward B. On time throughout, 3 h; rated 4.
            report(
                13,
                "B",
                Status::Closed,
                at(mon, "09:00"),
                (at(mon, "17:00"), at(fri, "17:00")),
                vec![(at(mon, "09:30"), Acknowledged), (at(mon, "12:00"), Resolved)],
                &[4],
            ),
            // A duplicate, marked within the hour.
            report(
                14,
                "B",
                Status::Duplicate,
                at(mon, "09:00"),
                (at(mon, "17:00"), at(fri, "17:00")),
                vec![(at(mon, "10:00"), Dismissed)],
                &[],
            ),
            // On time throughout, 6.5 h (3 + 3.5).
            report(
                15,
                "B",
                Status::Resolved,
                at(tue, "09:00"),
                (at(tue, "17:00"), at(fri, "17:00")),
                vec![(at(tue, "16:00"), Acknowledged), (at(tue, "16:30"), Resolved)],
                &[],
            ),
            // In progress, due next week; 17 h old.
            report(
                16,
                "B",
                Status::InProgress,
                at(thu, "09:00"),
                (at(thu, "17:00"), "2026-03-12 17:00".into()),
                vec![(at(thu, "09:05"), Acknowledged)],
                &[],
            ),
            // Late at both, 9 h (8 Fri, 1 Mon); rated 5.
            report(
                17,
                "B",
                Status::Closed,
                at(fri, "08:00"),
                (at(fri, "16:00"), at(mon2, "08:30")),
                vec![(at(fri, "17:30"), Acknowledged), (at(mon2, "09:00"), Resolved)],
                &[5],
            ),
            // Withdrawn by its resident within the hour: received, never due.
            report(
                19,
                "B",
                Status::Cancelled,
                at(thu, "09:00"),
                (at(thu, "17:00"), "2026-03-12 17:00".into()),
                vec![(at(thu, "10:00"), Cancelled)],
                &[],
            ),
            // Never acknowledged: 18 h late, 26 h old.
            report(
                18,
                "B",
                Status::Submitted,
                at(wed, "08:00"),
                (at(wed, "17:00"), "2026-03-11 17:00".into()),
                vec![],
                &[],
            ),
        ]
    }

    fn computed() -> (Figures, Vec<WardFigures>, Vec<OverdueReport>, Vec<Day>) {
        let wards = ["A", "B"].map(|code| WardRef { code: code.into(), name: format!("Phường {code}") });
        let period = Period {
            from: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 3, 6).unwrap(),
            now: t("2026-03-09 10:00"),
        };
        compute(&fixture(), &wards, period, WorkCalendar::vietnam())
    }

    fn ages(
        under_1_day: u64,
        from_1_to_3_days: u64,
        from_3_to_5_days: u64,
        from_5_to_10_days: u64,
    ) -> BacklogAge {
        BacklogAge { under_1_day, from_1_to_3_days, from_3_to_5_days, from_5_to_10_days, over_10_days: 0 }
    }

    #[test]
    fn ward_a_figures() {
        let (_, wards, _, _) = computed();
        assert_eq!(
            wards[0].figures,
            Figures {
                received: 9,                          // 1–9; 10 came on Saturday, 11 and 12 before the period
                acknowledged_on_time_pct: Some(62.5), // 1, 3, 4, 6, 9 of 1–7 and 9 (8 not yet due)
                acknowledgements_due: 8,
                resolved_on_time_pct: Some(60.0), // 1, 2, 9 of 1, 2, 3, 6, 9
                resolutions_due: 5,
                resolved: 4,
                handling_hours_median: Some(13.5), // 6, 11 | 16, 17
                handling_hours_p90: Some(17.0),    // rank ⌈3.6⌉ = 4
                satisfaction_pct: Some(50.0),      // 5, 2, 1, 4
                ratings: 4,
                overdue_now: 3,                // 5, 6, 11
                backlog: 6,                    // 5, 6, 7, 8, 10, 11
                backlog_age: ages(2, 1, 2, 1), // 8 and 10; 7; 5 and 6; 11
            }
        );
    }

    #[test]
    fn ward_b_figures() {
        let (_, wards, _, _) = computed();
        assert_eq!(
            wards[1].figures,
            Figures {
                received: 7,                          // 19 was withdrawn before it was due: in no ratio
                acknowledged_on_time_pct: Some(66.7), // all but 17 and 18
                acknowledgements_due: 6,
                resolved_on_time_pct: Some(66.7), // 13 and 15 of 13, 15, 17
                resolutions_due: 3,
                resolved: 3,
                handling_hours_median: Some(6.5), // 3, 6.5, 9
                handling_hours_p90: Some(9.0),
                satisfaction_pct: Some(100.0),
                ratings: 2,
                overdue_now: 1,
                backlog: 2,
                backlog_age: ages(0, 1, 1, 0),
            }
        );
    }

    #[test]
    fn city_total() {
        let (total, _, _, _) = computed();
        assert_eq!(
            total,
            Figures {
                received: 16,
                acknowledged_on_time_pct: Some(64.3), // 9 of 14
                acknowledgements_due: 14,
                resolved_on_time_pct: Some(62.5), // 5 of 8
                resolutions_due: 8,
                resolved: 7,
                handling_hours_median: Some(9.0), // 3, 6, 6.5, 9, 11, 16, 17
                handling_hours_p90: Some(17.0),   // rank ⌈6.3⌉ = 7
                satisfaction_pct: Some(66.7),     // 4 of 6
                ratings: 6,
                overdue_now: 4,
                backlog: 8,
                backlog_age: ages(2, 2, 3, 1),
            }
        );
    }

    #[test]
    fn the_overdue_list_is_latest_first_with_working_hours_late() {
        let (_, _, overdue, _) = computed();
        let list: Vec<(u128, Missed, f64)> =
            overdue.iter().map(|o| (o.report_id.as_u128(), o.missed, o.late_hours)).collect();
        assert_eq!(
            list,
            [
                (5, Missed::Acknowledge, 18.0),
                (18, Missed::Acknowledge, 18.0),
                (11, Missed::Handle, 10.0),
                (6, Missed::Handle, 6.0),
            ]
        );
        assert_eq!(overdue[1].ward, WardRef { code: "B".into(), name: "Phường B".into() });
    }

    #[test]
    fn each_day_received_resolved_and_backlog_at_its_end() {
        let (_, _, _, days) = computed();
        let rows: Vec<(u32, u64, u64, u64)> = days
            .iter()
            .map(|d| (chrono::Datelike::day(&d.date), d.received, d.resolved, d.backlog))
            .collect();
        assert_eq!(
            rows,
            [
                (2, 5, 3, 3), // resolved 1, 9, 13; open at midnight 2, 11, 12
                (3, 3, 3, 3), // resolved 2, 12, 15; open 3, 9 (reopened), 11
                (4, 3, 1, 5), // resolved 9 again; open 3, 5, 6, 11, 18
                (5, 3, 1, 6), // resolved 3; open 5, 6, 7, 11, 16, 18 (19 came and went)
                (6, 2, 0, 8), // open 5, 6, 7, 8, 11, 16, 17, 18
            ]
        );
    }
}
