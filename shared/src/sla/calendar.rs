//! The office calendar that deadlines are counted on.
//!
//! Working time is the time a ward office is open: Monday to Friday, 08:00–12:00 and 13:00–17:00
//! local time, minus the days off the Government sets for public servants, plus the Saturdays
//! they work in exchange for a swapped day off (ngày làm bù). Those days are data, not code
//! (`holidays_vn.toml`), because most of them move every year: Tết and Giỗ Tổ follow the lunar
//! calendar, and the Government swaps working days around holidays case by case.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::LazyLock;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc, Weekday};
use serde::{Deserialize, Serialize};

use crate::shipped::shipped;

/// Asia/Ho_Chi_Minh as a fixed offset. The whole of Vietnam has kept UTC+7, with no daylight
/// saving time, since 1975, so this is exact for every date the calendar handles, and no time
/// zone database is needed (none would be available in the browser build anyway).
pub const UTC_OFFSET: TimeDelta = TimeDelta::hours(7);

/// Office hours, local time: the morning and the afternoon period, lunch break between.
const PERIODS: [(NaiveTime, NaiveTime); 2] = [(hm(8, 0), hm(12, 0)), (hm(13, 0), hm(17, 0))];

const fn hm(hour: u32, minute: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(hour, minute, 0).expect("a valid time of day")
}

/// One working day is 8 working hours: limits written in days are converted with this.
pub const WORKING_DAY: TimeDelta = TimeDelta::hours(8);

/// What a dated entry of the calendar is; everything but `MakeupWorkday` is a day off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// A statutory day off (Labour Code 2019 art. 112(1)); may fall on a weekend.
    Holiday,
    /// A weekday off because a statutory day fell on a weekend (art. 111(3)).
    Compensatory,
    /// A weekday off swapped with a make-up Saturday, to join a holiday to a weekend.
    Bridge,
    /// A weekend day worked in exchange for a bridge day.
    MakeupWorkday,
}

impl fmt::Display for DayKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DayKind::Holiday => "holiday",
            DayKind::Compensatory => "compensatory",
            DayKind::Bridge => "bridge",
            DayKind::MakeupWorkday => "makeup_workday",
        })
    }
}

/// One dated entry of the calendar: kept whole so screens can say why a deadline moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CalendarEntry {
    pub date: NaiveDate,
    pub kind: DayKind,
    pub name_vi: String,
    pub name_en: String,
    /// The document that set the day, or "projected …" where it was not yet published.
    pub source: String,
}

/// Why a calendar file was refused. Each message names the offending entry.
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    /// Not TOML, a missing or unknown field, an unknown `kind`, or an impossible date such as
    /// 2025-02-30 (the TOML parser's message gives the line).
    #[cfg(feature = "toml")]
    #[error("calendar file: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("calendar entry \"{name}\": date {value} must be a plain date such as 2025-01-01")]
    NotADate { name: String, value: String },
    #[error("calendar entry {date} \"{name}\": {date} is outside the years the file covers ({years})")]
    YearNotCovered { date: NaiveDate, name: String, years: String },
    #[error("calendar date {date} is listed twice: \"{first}\" and \"{second}\"")]
    Duplicate { date: NaiveDate, first: String, second: String },
    #[error(
        "calendar entry {date} \"{name}\": a {kind} day must fall on {expected}, but {date} is a {weekday}"
    )]
    WrongWeekday { date: NaiveDate, name: String, kind: DayKind, weekday: Weekday, expected: &'static str },
}

/// The office calendar: which dates are working days, and working time between instants.
#[derive(Debug, Clone)]
pub struct WorkCalendar {
    /// Years the data covers completely.
    years: BTreeSet<i32>,
    /// Sorted by date, one entry per date, so lookups are a binary search.
    entries: Vec<CalendarEntry>,
}

/// A calendar file; `D` is how it writes a date (see [`FileDate`]).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarFile<D> {
    years: Vec<i32>,
    #[serde(default = "Vec::new")]
    day: Vec<EntryFile<D>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryFile<D> {
    date: D,
    kind: DayKind,
    name_vi: String,
    name_en: String,
    source: String,
}

impl WorkCalendar {
    /// The calendar of Vietnam's public servants shipped with the crate (`holidays_vn.toml`,
    /// 2025–2027; see the file's own comments for its sources), read once.
    pub fn vietnam() -> &'static WorkCalendar {
        static VIETNAM: LazyLock<WorkCalendar> = LazyLock::new(|| {
            let file: CalendarFile<NaiveDate> = shipped!("holidays_vn");
            WorkCalendar::from_file(file).expect("the shipped holidays_vn.toml is valid (tested)")
        });
        &VIETNAM
    }

    /// Reads a calendar in the format of `holidays_vn.toml`, so another city's or a corrected
    /// calendar can be loaded. Refuses bad dates, dates listed twice, unknown kinds, dates
    /// outside `years`, and days off or make-up days on the wrong side of the week.
    #[cfg(feature = "toml")]
    pub fn from_toml(text: &str) -> Result<WorkCalendar, CalendarError> {
        WorkCalendar::from_file(toml::from_str::<CalendarFile<toml::value::Datetime>>(text)?)
    }

    fn from_file<D: FileDate>(file: CalendarFile<D>) -> Result<WorkCalendar, CalendarError> {
        let years: BTreeSet<i32> = file.years.into_iter().collect();
        let mut entries = Vec::with_capacity(file.day.len());
        for raw in file.day {
            let date = raw.date.plain_date().ok_or_else(|| CalendarError::NotADate {
                name: raw.name_en.clone(),
                value: raw.date.to_string(),
            })?;
            if !years.contains(&date.year()) {
                let years = years.iter().map(i32::to_string).collect::<Vec<_>>().join(", ");
                return Err(CalendarError::YearNotCovered { date, name: raw.name_en, years });
            }
            // A day off swapped or given in lieu replaces a working day, and a make-up day
            // replaces a weekend day; anything else is a typo in the date.
            let weekend = is_weekend(date);
            let expected = match raw.kind {
                DayKind::Compensatory | DayKind::Bridge if weekend => Some("a weekday"),
                DayKind::MakeupWorkday if !weekend => Some("a Saturday or Sunday"),
                _ => None,
            };
            if let Some(expected) = expected {
                return Err(CalendarError::WrongWeekday {
                    date,
                    name: raw.name_en,
                    kind: raw.kind,
                    weekday: date.weekday(),
                    expected,
                });
            }
            entries.push(CalendarEntry {
                date,
                kind: raw.kind,
                name_vi: raw.name_vi,
                name_en: raw.name_en,
                source: raw.source,
            });
        }
        entries.sort_by_key(|e| e.date);
        if let Some(pair) = entries.windows(2).find(|w| w[0].date == w[1].date) {
            return Err(CalendarError::Duplicate {
                date: pair[0].date,
                first: pair[0].name_en.clone(),
                second: pair[1].name_en.clone(),
            });
        }
        Ok(WorkCalendar { years, entries })
    }

    /// The dated entries (days off and make-up days), in date order: for screens that explain
    /// a deadline, and for checking the data.
    pub fn entries(&self) -> &[CalendarEntry] {
        &self.entries
    }

    /// Whether the office is open on `date`: a listed entry decides; otherwise Monday–Friday.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        match self.entries.binary_search_by_key(&date, |e| e.date) {
            Ok(i) => self.entries[i].kind == DayKind::MakeupWorkday,
            Err(_) => !is_weekend(date),
        }
    }

    /// Whether the data covers `date`'s year. Outside it only weekends are days off, so a
    /// deadline there may be early by the holidays the file does not know yet: callers can
    /// warn, and the file must be extended before those years come.
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.years.contains(&date.year())
    }

    /// The deadline: the instant when `duration` of working time has passed since `start`.
    ///
    /// A start outside office hours (lunch, evening, weekend, holiday) starts counting at the
    /// next working period. A deadline that lands exactly on the end of a period stays there
    /// (12:00 or 17:00, not 13:00 or 08:00 the next day): it is the same amount of working time
    /// and the earlier, truthful instant. A zero or negative duration returns `start` unchanged:
    /// nothing is owed, so nothing waits for the office to open.
    pub fn add_working_time(&self, start: DateTime<Utc>, duration: TimeDelta) -> DateTime<Utc> {
        if duration <= TimeDelta::zero() {
            return start;
        }
        let mut left = duration;
        let mut t = to_local(start);
        // One turn per working period: a 15-day limit takes about 30 turns.
        loop {
            let (from, until) = self.period_at_or_after(t);
            let available = until - from;
            if left <= available {
                return to_utc(from + left);
            }
            left -= available;
            t = until;
        }
    }

    /// The working time between two instants: how much of a limit has been used, or how late
    /// a step was. Negative if `b` is before `a`.
    pub fn working_time_between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> TimeDelta {
        if b < a {
            return -self.working_time_between(b, a);
        }
        let end = to_local(b);
        let mut t = to_local(a);
        let mut total = TimeDelta::zero();
        loop {
            let (from, until) = self.period_at_or_after(t);
            if from >= end {
                return total;
            }
            total += until.min(end) - from;
            t = until;
        }
    }

    /// The working period in progress at local time `t`, or else the next one, as
    /// `(max(t, period start), period end)`. Periods are half-open: at 12:00 the morning is
    /// over and the answer is the afternoon.
    fn period_at_or_after(&self, t: NaiveDateTime) -> (NaiveDateTime, NaiveDateTime) {
        let mut date = t.date();
        loop {
            if self.is_working_day(date) {
                for (start, end) in PERIODS {
                    let end = date.and_time(end);
                    if t < end {
                        return (t.max(date.and_time(start)), end);
                    }
                }
            }
            // Every week outside the listed days has working days, so this ends within days.
            date = date.succ_opt().expect("dates stay far inside chrono's range");
        }
    }
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// A date as a calendar file writes it: a TOML date in a TOML file, or a plain date in the
/// shipped file as `build.rs` embeds it.
trait FileDate: fmt::Display {
    /// The date, if it is a plain date (no time, no offset).
    fn plain_date(&self) -> Option<NaiveDate>;
}

#[cfg(feature = "toml")]
impl FileDate for toml::value::Datetime {
    fn plain_date(&self) -> Option<NaiveDate> {
        match self {
            toml::value::Datetime { date: Some(d), time: None, offset: None } => {
                NaiveDate::from_ymd_opt(d.year.into(), d.month.into(), d.day.into())
            }
            _ => None,
        }
    }
}

impl FileDate for NaiveDate {
    fn plain_date(&self) -> Option<NaiveDate> {
        Some(*self)
    }
}

/// `t` on Hà Nội's clocks.
pub fn to_local(t: DateTime<Utc>) -> NaiveDateTime {
    t.naive_utc() + UTC_OFFSET
}

/// The moment Hà Nội's clocks show `local`.
pub fn to_utc(local: NaiveDateTime) -> DateTime<Utc> {
    (local - UTC_OFFSET).and_utc()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{RngExt, SeedableRng};

    /// An instant given in Hà Nội local time.
    fn vn(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        to_utc(NaiveDate::from_ymd_opt(y, mo, d).unwrap().and_hms_opt(h, mi, 0).unwrap())
    }

    fn date(y: i32, mo: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, mo, d).unwrap()
    }

    fn cal() -> &'static WorkCalendar {
        WorkCalendar::vietnam()
    }

    #[test]
    fn local_time_is_utc_plus_seven() {
        assert_eq!(vn(2025, 11, 14, 16, 30).to_rfc3339(), "2025-11-14T09:30:00+00:00");
    }

    #[test]
    fn friday_afternoon_report_is_due_monday_afternoon() {
        let due = cal().add_working_time(vn(2025, 11, 14, 16, 30), TimeDelta::hours(8));
        assert_eq!(due, vn(2025, 11, 17, 16, 30));
    }

    #[test]
    fn report_filed_during_tet_2026_is_due_the_monday_after() {
        let due = cal().add_working_time(vn(2026, 2, 17, 10, 0), TimeDelta::hours(8));
        assert_eq!(due, vn(2026, 2, 23, 17, 0));
    }

    #[test]
    fn report_filed_at_lunch_starts_counting_at_13() {
        // Tuesday 12:30: the clock starts at 13:00, so 8 hours end at Wednesday 12:00 (the end
        // of the morning period; it does not roll on to 13:00).
        let filed = vn(2025, 11, 18, 12, 30);
        assert_eq!(cal().add_working_time(filed, TimeDelta::hours(8)), vn(2025, 11, 19, 12, 0));
        assert_eq!(cal().add_working_time(filed, TimeDelta::minutes(1)), vn(2025, 11, 18, 13, 1));
    }

    #[test]
    fn start_outside_office_hours_counts_from_the_next_period() {
        let hour = TimeDelta::hours(1);
        // Evening, early morning, weekend, and a holiday (Giỗ Tổ, Monday 7 April 2025).
        assert_eq!(cal().add_working_time(vn(2025, 11, 17, 19, 0), hour), vn(2025, 11, 18, 9, 0));
        assert_eq!(cal().add_working_time(vn(2025, 11, 18, 6, 0), hour), vn(2025, 11, 18, 9, 0));
        assert_eq!(cal().add_working_time(vn(2025, 11, 15, 10, 0), hour), vn(2025, 11, 17, 9, 0));
        assert_eq!(cal().add_working_time(vn(2025, 4, 5, 10, 0), hour), vn(2025, 4, 8, 9, 0));
    }

    #[test]
    fn makeup_saturday_counts_as_working_time() {
        assert!(cal().is_working_day(date(2026, 1, 10)));
        assert!(cal().is_working_day(date(2025, 4, 26)));
        assert!(!cal().is_working_day(date(2026, 1, 2)), "the bridge day it pays for is off");
        // A report on Friday 9 January 2026 at 16:00 runs on into the make-up Saturday.
        let due = cal().add_working_time(vn(2026, 1, 9, 16, 0), TimeDelta::hours(8));
        assert_eq!(due, vn(2026, 1, 10, 16, 0));
        assert!(!cal().is_working_day(date(2026, 1, 17)), "an ordinary Saturday is not");
    }

    #[test]
    fn deadline_ending_at_the_end_of_a_period_stays_there() {
        let monday_8 = vn(2025, 11, 17, 8, 0);
        assert_eq!(cal().add_working_time(monday_8, TimeDelta::hours(8)), vn(2025, 11, 17, 17, 0));
        assert_eq!(cal().add_working_time(monday_8, TimeDelta::hours(4)), vn(2025, 11, 17, 12, 0));
        // Starting at 17:00 sharp, nothing is left that day.
        assert_eq!(
            cal().add_working_time(vn(2025, 11, 17, 17, 0), TimeDelta::hours(1)),
            vn(2025, 11, 18, 9, 0)
        );
    }

    #[test]
    fn zero_duration_returns_start_unchanged() {
        for start in [vn(2025, 11, 17, 10, 0), vn(2025, 11, 17, 12, 30), vn(2025, 11, 15, 22, 0)] {
            assert_eq!(cal().add_working_time(start, TimeDelta::zero()), start);
            assert_eq!(cal().working_time_between(start, start), TimeDelta::zero());
        }
    }

    #[test]
    fn durations_are_working_time_not_calendar_time() {
        // 16 working hours from Thursday 8:00 are two office days (Friday 17:00), not 16 hours
        // of the clock (Friday 0:00); from Friday 8:00 before Tết 2025 they jump the nine days
        // off (Saturday 25 January to Sunday 2 February) to Monday 3 February.
        let due = cal().add_working_time(vn(2025, 1, 23, 8, 0), TimeDelta::hours(16));
        assert_eq!(due, vn(2025, 1, 24, 17, 0));
        let due = cal().add_working_time(vn(2025, 1, 24, 8, 0), TimeDelta::hours(16));
        assert_eq!(due, vn(2025, 2, 3, 17, 0));
    }

    #[test]
    fn working_time_between_counts_only_office_hours() {
        let c = cal();
        assert_eq!(
            c.working_time_between(vn(2025, 11, 17, 11, 0), vn(2025, 11, 17, 14, 0)),
            TimeDelta::hours(2)
        );
        assert_eq!(
            c.working_time_between(vn(2025, 11, 14, 16, 30), vn(2025, 11, 17, 8, 30)),
            TimeDelta::hours(1)
        );
        assert_eq!(
            c.working_time_between(vn(2025, 11, 17, 12, 10), vn(2025, 11, 17, 12, 50)),
            TimeDelta::zero()
        );
        // Negative when b is before a.
        assert_eq!(
            c.working_time_between(vn(2025, 11, 17, 14, 0), vn(2025, 11, 17, 11, 0)),
            TimeDelta::hours(-2)
        );
    }

    #[test]
    fn working_time_between_is_the_inverse_of_add_working_time() {
        let c = cal();
        let mut rng = StdRng::seed_from_u64(20250101);
        let first = vn(2024, 12, 1, 0, 0).timestamp();
        let last = vn(2028, 1, 31, 0, 0).timestamp();
        for _ in 0..3000 {
            let start = DateTime::from_timestamp(rng.random_range(first..last), 0).unwrap();
            let d = TimeDelta::seconds(rng.random_range(0..=200 * 3600));
            let due = c.add_working_time(start, d);
            assert!(due >= start);
            assert_eq!(c.working_time_between(start, due), d, "start {start}, duration {d}");
            assert_eq!(c.working_time_between(due, start), -d, "start {start}, duration {d}");

            // And the other way round: the working time between any two instants, added to the
            // first, reaches the second or the end of the working period before it.
            let other = DateTime::from_timestamp(rng.random_range(first..last), 0).unwrap();
            let (a, b) = (start.min(other), start.max(other));
            let between = c.working_time_between(a, b);
            let reached = c.add_working_time(a, between);
            assert!(reached <= b, "{a} + {between} = {reached} > {b}");
            assert_eq!(c.working_time_between(reached, b), TimeDelta::zero());
        }
    }

    #[test]
    fn long_durations_walk_period_by_period() {
        // A year of working time: about 500 periods, still instant. From the first working
        // instant of 2025, 250 working days end on the 250th working day of the covered years.
        let working_days: Vec<NaiveDate> = date(2025, 1, 1)
            .iter_days()
            .take_while(|d| d.year() <= 2027)
            .filter(|d| cal().is_working_day(*d))
            .collect();
        let start = vn(2025, 1, 2, 8, 0);
        assert_eq!(working_days[0], date(2025, 1, 2));
        let due = cal().add_working_time(start, WORKING_DAY * 250);
        assert_eq!(due, to_utc(working_days[249].and_time(hm(17, 0))));
    }

    #[test]
    fn the_embedded_calendar_is_the_toml_file() {
        let file =
            WorkCalendar::from_toml(include_str!("holidays_vn.toml")).expect("holidays_vn.toml is valid");
        assert_eq!((&file.years, file.entries()), (&cal().years, cal().entries()));
    }

    #[test]
    fn shipped_calendar_parses_and_covers_2025_to_2027() {
        let c = cal();
        for year in [2025, 2026, 2027] {
            assert!(c.covers(date(year, 6, 1)), "{year}");
            assert!(c.entries().iter().any(|e| e.date.year() == year), "{year}");
        }
        assert!(!c.covers(date(2024, 12, 31)));
        assert!(!c.covers(date(2028, 1, 3)));
        // Outside the data only weekends are days off.
        assert!(c.is_working_day(date(2028, 1, 3)));
        assert!(!c.is_working_day(date(2028, 1, 8)));
        for e in c.entries() {
            assert!(!e.name_vi.is_empty() && !e.name_en.is_empty() && !e.source.is_empty(), "{e:?}");
        }
    }

    #[test]
    fn shipped_calendar_lists_every_weekday_off_and_makeup_day() {
        // The weekdays off for public servants, stated once more by hand: a date added, lost or
        // mistyped in the data file shows up here.
        let expected_off = [
            // 2025: New Year; Tết Ất Tỵ; Giỗ Tổ; 30/4, 1/5 and the swapped Friday; Quốc khánh.
            (2025, 1, 1),
            (2025, 1, 27),
            (2025, 1, 28),
            (2025, 1, 29),
            (2025, 1, 30),
            (2025, 1, 31),
            (2025, 4, 7),
            (2025, 4, 30),
            (2025, 5, 1),
            (2025, 5, 2),
            (2025, 9, 1),
            (2025, 9, 2),
            // 2026: New Year and the swapped Friday; Tết Bính Ngọ; Giỗ Tổ (in lieu of Sunday);
            // 30/4, 1/5; Quốc khánh and the swapped Monday.
            (2026, 1, 1),
            (2026, 1, 2),
            (2026, 2, 16),
            (2026, 2, 17),
            (2026, 2, 18),
            (2026, 2, 19),
            (2026, 2, 20),
            (2026, 4, 27),
            (2026, 4, 30),
            (2026, 5, 1),
            (2026, 8, 31),
            (2026, 9, 1),
            (2026, 9, 2),
            // 2027 (partly projected): New Year; Tết Đinh Mùi with two days in lieu of the
            // weekend; Giỗ Tổ; 30/4 and 1/5 in lieu of Saturday; Quốc khánh.
            (2027, 1, 1),
            (2027, 2, 4),
            (2027, 2, 5),
            (2027, 2, 8),
            (2027, 2, 9),
            (2027, 2, 10),
            (2027, 4, 16),
            (2027, 4, 30),
            (2027, 5, 3),
            (2027, 9, 2),
            (2027, 9, 3),
        ];
        let expected_off: BTreeSet<NaiveDate> = expected_off.iter().map(|&(y, m, d)| date(y, m, d)).collect();
        let weekdays_off: BTreeSet<NaiveDate> = date(2025, 1, 1)
            .iter_days()
            .take_while(|d| d.year() <= 2027)
            .filter(|d| !is_weekend(*d) && !cal().is_working_day(*d))
            .collect();
        assert_eq!(weekdays_off, expected_off);

        let makeup: BTreeSet<NaiveDate> = date(2025, 1, 1)
            .iter_days()
            .take_while(|d| d.year() <= 2027)
            .filter(|d| is_weekend(*d) && cal().is_working_day(*d))
            .collect();
        assert_eq!(makeup, BTreeSet::from([date(2025, 4, 26), date(2026, 1, 10), date(2026, 8, 22)]));
    }

    #[test]
    fn lunar_holidays_fall_on_the_computed_dates() {
        // Tết (1/1 lunar) and Giỗ Tổ (10/3 lunar), computed for UTC+7 and cross-checked.
        let holiday =
            |d: NaiveDate| cal().entries().iter().find(|e| e.date == d).map(|e| (e.kind, e.name_en.as_str()));
        for d in [date(2025, 1, 29), date(2026, 2, 17), date(2027, 2, 6)] {
            assert_eq!(holiday(d), Some((DayKind::Holiday, "Lunar New Year's Day")), "{d}");
        }
        for d in [date(2025, 4, 7), date(2026, 4, 26), date(2027, 4, 16)] {
            assert_eq!(holiday(d), Some((DayKind::Holiday, "Hùng Kings' Commemoration Day")), "{d}");
        }
    }

    const ENTRY: &str = "kind = \"holiday\"\nname_vi = \"x\"\nname_en = \"Test day\"\nsource = \"test\"\n";

    fn parse_err(text: &str) -> String {
        WorkCalendar::from_toml(text).expect_err("must be refused").to_string()
    }

    #[test]
    fn bad_calendar_files_are_refused_with_clear_errors() {
        let msg = parse_err("years = [2025\n");
        assert!(msg.starts_with("calendar file: "), "{msg}");

        let msg = parse_err(&format!("years = [2025]\n[[day]]\ndate = 2025-02-30\n{ENTRY}"));
        assert!(msg.contains("invalid date"), "{msg}");
        assert!(msg.contains("line 3"), "{msg}");

        let msg = parse_err(&format!("years = [2025]\n[[day]]\ndate = \"first of May\"\n{ENTRY}"));
        assert!(msg.contains("line 3"), "{msg}");

        let msg = parse_err(&format!("years = [2025]\n[[day]]\ndate = 2025-05-01T08:00:00\n{ENTRY}"));
        assert_eq!(
            msg,
            "calendar entry \"Test day\": date 2025-05-01T08:00:00 must be a plain date such as 2025-01-01"
        );

        let text = "years = [2025]\n[[day]]\ndate = 2025-05-01\nkind = \"holidy\"\nname_vi = \"x\"\nname_en = \"y\"\nsource = \"z\"\n";
        let msg = parse_err(text);
        assert!(msg.contains("holidy") && msg.contains("line 4"), "{msg}");

        let msg = parse_err(&format!(
            "years = [2025]\n[[day]]\ndate = 2025-05-01\n{ENTRY}[[day]]\ndate = 2025-05-01\n{ENTRY}"
        ));
        assert_eq!(msg, "calendar date 2025-05-01 is listed twice: \"Test day\" and \"Test day\"");

        let msg = parse_err(&format!("years = [2025]\n[[day]]\ndate = 2026-05-01\n{ENTRY}"));
        assert_eq!(
            msg,
            "calendar entry 2026-05-01 \"Test day\": 2026-05-01 is outside the years the file covers (2025)"
        );

        let text = "years = [2025]\n[[day]]\ndate = 2025-04-25\nkind = \"makeup_workday\"\nname_vi = \"x\"\nname_en = \"Make-up\"\nsource = \"z\"\n";
        assert_eq!(
            parse_err(text),
            "calendar entry 2025-04-25 \"Make-up\": a makeup_workday day must fall on a Saturday or Sunday, but 2025-04-25 is a Fri"
        );

        let msg = parse_err(
            "years = [2025]\n[[day]]\ndate = 2025-05-01\nkind = \"holiday\"\nname_vi = \"x\"\nname_en = \"y\"\n",
        );
        assert!(msg.contains("source"), "{msg}");
    }

    #[test]
    fn a_valid_custom_calendar_is_used() {
        let c =
            WorkCalendar::from_toml(&format!("years = [2030]\n[[day]]\ndate = 2030-01-01\n{ENTRY}")).unwrap();
        assert!(!c.is_working_day(date(2030, 1, 1)));
        assert!(c.is_working_day(date(2030, 1, 2)));
        assert!(c.covers(date(2030, 12, 31)) && !c.covers(date(2025, 1, 1)));
    }
}
