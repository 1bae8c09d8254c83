//! How much working time a ward has for each step of a report, and the deadlines that follow.
//!
//! The limits live in one file, `policy.toml`, shipped with the crate; the server may load an
//! override with [`SlaPolicy::from_toml`]. The clock runs on a [`WorkCalendar`].

use std::sync::LazyLock;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::calendar::{WORKING_DAY, WorkCalendar};
use crate::report::Priority;
use crate::shipped::shipped;

/// Largest accepted values: a year of working time. Larger ones are typos, and would only make
/// deadlines nobody can act on.
const MAX_HOURS: u32 = 2000;
const MAX_DAYS: u32 = 250;

/// The working time allowed for each step, counted on the office calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaPolicy {
    /// From receipt to acknowledgement (tiếp nhận).
    pub acknowledge: TimeDelta,
    /// From acknowledgement to handled, for urgent reports.
    pub urgent_handling: TimeDelta,
    /// From acknowledgement to handled, for normal reports.
    pub normal_handling: TimeDelta,
    /// From acknowledgement to handled, for complex reports.
    pub complex_handling: TimeDelta,
}

/// The deadlines of one report, shown to the resident and watched by the city.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Deadlines {
    /// When the ward must have acknowledged the report.
    pub acknowledge: DateTime<Utc>,
    /// When the ward must have handled it. Before acknowledgement this is provisional (counted
    /// from the acknowledge deadline); [`SlaPolicy::handling_deadline`] recomputes it from the
    /// real acknowledgement.
    pub handle: DateTime<Utc>,
}

/// Why a policy file was refused.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// Not TOML, a value that is not a whole number, or a key the policy does not know.
    #[cfg(feature = "toml")]
    #[error("SLA policy file: {0}")]
    Toml(#[from] toml::de::Error),
    /// Only the shipped file must name every key; override files fall back to it.
    #[error("SLA policy file: `{key}` is missing")]
    Missing { key: &'static str },
    #[error("SLA policy file: `{key}` = {value} is out of range: it must be from 1 to {max}")]
    OutOfRange { key: &'static str, value: u32, max: u32 },
}

/// The file's keys, in plain units so a city official can read and edit it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    acknowledge_working_hours: Option<u32>,
    urgent_handling_working_hours: Option<u32>,
    normal_handling_working_days: Option<u32>,
    complex_handling_working_days: Option<u32>,
}

/// The shipped defaults (`policy.toml`; see the file for where each value comes from).
static SHIPPED: LazyLock<SlaPolicy> = LazyLock::new(|| {
    SlaPolicy::from_file(shipped!("policy"), None).expect("the shipped policy.toml is valid (tested)")
});

impl Default for SlaPolicy {
    /// The limits of the shipped `policy.toml`, the one place the defaults are written.
    fn default() -> Self {
        *SHIPPED
    }
}

impl SlaPolicy {
    /// Reads an override file in the format of `policy.toml`, so a city can set its own limits
    /// without a rebuild. Keys left out keep the shipped defaults, so a file can change one
    /// limit; an unknown key is an error, so a misspelt key cannot silently keep the default.
    /// Every value must be a whole number from 1 up to a year of working time.
    #[cfg(feature = "toml")]
    pub fn from_toml(text: &str) -> Result<SlaPolicy, PolicyError> {
        SlaPolicy::from_file(toml::from_str(text)?, Some(&SHIPPED))
    }

    fn from_file(file: PolicyFile, fallback: Option<&SlaPolicy>) -> Result<SlaPolicy, PolicyError> {
        let hour = TimeDelta::hours(1);
        Ok(SlaPolicy {
            acknowledge: limit(
                "acknowledge_working_hours",
                file.acknowledge_working_hours,
                (hour, MAX_HOURS),
                fallback.map(|p| p.acknowledge),
            )?,
            urgent_handling: limit(
                "urgent_handling_working_hours",
                file.urgent_handling_working_hours,
                (hour, MAX_HOURS),
                fallback.map(|p| p.urgent_handling),
            )?,
            normal_handling: limit(
                "normal_handling_working_days",
                file.normal_handling_working_days,
                (WORKING_DAY, MAX_DAYS),
                fallback.map(|p| p.normal_handling),
            )?,
            complex_handling: limit(
                "complex_handling_working_days",
                file.complex_handling_working_days,
                (WORKING_DAY, MAX_DAYS),
                fallback.map(|p| p.complex_handling),
            )?,
        })
    }

    /// The working time allowed from acknowledgement to handled, for a report's priority.
    pub fn handling_limit(&self, priority: Priority) -> TimeDelta {
        match priority {
            Priority::Normal => self.normal_handling,
            Priority::Urgent => self.urgent_handling,
            Priority::Complex => self.complex_handling,
        }
    }

    /// The deadlines of a report just received: acknowledge within the acknowledge limit, and
    /// a provisional handling deadline counted from that acknowledge deadline (the latest the
    /// handling clock can start), so the resident sees a date at once.
    pub fn deadlines_at_filing(
        &self,
        cal: &WorkCalendar,
        received_at: DateTime<Utc>,
        priority: Priority,
    ) -> Deadlines {
        let acknowledge = cal.add_working_time(received_at, self.acknowledge);
        Deadlines { acknowledge, handle: self.handling_deadline(cal, acknowledge, priority) }
    }

    /// The handling deadline once the report is acknowledged: the handling limit counted from
    /// the real acknowledgement, which replaces the provisional one.
    pub fn handling_deadline(
        &self,
        cal: &WorkCalendar,
        acknowledged_at: DateTime<Utc>,
        priority: Priority,
    ) -> DateTime<Utc> {
        cal.add_working_time(acknowledged_at, self.handling_limit(priority))
    }
}

/// One limit from the file: its value in `unit`s if given and in range, else the fallback.
fn limit(
    key: &'static str,
    value: Option<u32>,
    (unit, max): (TimeDelta, u32),
    fallback: Option<TimeDelta>,
) -> Result<TimeDelta, PolicyError> {
    match (value, fallback) {
        // `max` keeps the product far inside i32 and TimeDelta.
        (Some(v), _) if (1..=max).contains(&v) => Ok(unit * v as i32),
        (Some(value), _) => Err(PolicyError::OutOfRange { key, value, max }),
        (None, Some(default)) => Ok(default),
        (None, None) => Err(PolicyError::Missing { key }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    /// An instant given in Hà Nội local time (UTC+7).
    fn vn(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        let local = NaiveDate::from_ymd_opt(y, mo, d).unwrap().and_hms_opt(h, mi, 0).unwrap();
        (local - TimeDelta::hours(7)).and_utc()
    }

    fn cal() -> &'static WorkCalendar {
        WorkCalendar::vietnam()
    }

    #[test]
    fn defaults_come_from_the_shipped_file() {
        let p = SlaPolicy::default();
        assert_eq!(p.acknowledge, TimeDelta::hours(8));
        assert_eq!(p.urgent_handling, TimeDelta::hours(4));
        assert_eq!(p.normal_handling, TimeDelta::hours(5 * 8));
        assert_eq!(p.complex_handling, TimeDelta::hours(15 * 8));
        assert_eq!(p.handling_limit(Priority::Urgent), TimeDelta::hours(4));
        assert_eq!(p.handling_limit(Priority::Normal), TimeDelta::hours(40));
        assert_eq!(p.handling_limit(Priority::Complex), TimeDelta::hours(120));
        // The embedded copy is the file, which names every key.
        let file = toml::from_str(include_str!("policy.toml")).expect("policy.toml is valid");
        assert_eq!(SlaPolicy::from_file(file, None).unwrap(), p);
    }

    #[test]
    fn report_filed_friday_afternoon_must_be_acknowledged_monday_afternoon() {
        let d = SlaPolicy::default().deadlines_at_filing(cal(), vn(2025, 11, 14, 16, 30), Priority::Normal);
        assert_eq!(d.acknowledge, vn(2025, 11, 17, 16, 30));
        // Provisional: five working days from the acknowledge deadline.
        assert_eq!(d.handle, vn(2025, 11, 24, 16, 30));
    }

    #[test]
    fn report_filed_during_tet_must_be_acknowledged_by_the_first_working_day_evening() {
        let d = SlaPolicy::default().deadlines_at_filing(cal(), vn(2026, 2, 17, 10, 0), Priority::Urgent);
        assert_eq!(d.acknowledge, vn(2026, 2, 23, 17, 0));
        // Urgent: 4 working hours from 17:00 Monday is Tuesday 12:00.
        assert_eq!(d.handle, vn(2026, 2, 24, 12, 0));
    }

    #[test]
    fn handling_deadline_is_recomputed_from_the_real_acknowledgement() {
        let p = SlaPolicy::default();
        let at_filing = p.deadlines_at_filing(cal(), vn(2025, 11, 14, 16, 30), Priority::Normal);
        let acknowledged = vn(2025, 11, 17, 9, 0);
        let handle = p.handling_deadline(cal(), acknowledged, Priority::Normal);
        assert_eq!(handle, vn(2025, 11, 24, 9, 0));
        assert!(handle < at_filing.handle, "acknowledging early brings the deadline forward");
    }

    #[test]
    fn urgent_report_is_due_four_working_hours_after_acknowledgement_across_lunch() {
        let due = SlaPolicy::default().handling_deadline(cal(), vn(2025, 11, 17, 10, 30), Priority::Urgent);
        assert_eq!(due, vn(2025, 11, 17, 15, 30));
    }

    #[test]
    fn normal_report_is_due_in_five_working_days_across_a_weekend_and_national_day() {
        // Acknowledged Tuesday 26 August 2025, 10:00. Working days: Tue (7h from 10:00), Wed,
        // Thu, Fri; then Sat 30 Aug – Tue 2 Sep are off (weekend and Quốc khánh); Wed 3 Sep;
        // and the remaining hour of the five days on Thursday 4 September.
        let due = SlaPolicy::default().handling_deadline(cal(), vn(2025, 8, 26, 10, 0), Priority::Normal);
        assert_eq!(due, vn(2025, 9, 4, 10, 0));
    }

    #[test]
    fn complex_report_is_due_in_fifteen_working_days_across_tet() {
        // Acknowledged Monday 9 February 2026, 9:00: 5 working days that week, Tết from
        // Saturday 14 to Sunday 22 February, 10 more working days, and 9:00 on the 16th
        // working day, Monday 9 March.
        let due = SlaPolicy::default().handling_deadline(cal(), vn(2026, 2, 9, 9, 0), Priority::Complex);
        assert_eq!(due, vn(2026, 3, 9, 9, 0));
        assert_eq!(cal().working_time_between(vn(2026, 2, 9, 9, 0), due), TimeDelta::hours(120));
    }

    #[test]
    fn override_file_changes_only_the_keys_it_names() {
        let p = SlaPolicy::from_toml("normal_handling_working_days = 10\n").unwrap();
        assert_eq!(p.normal_handling, TimeDelta::hours(80));
        assert_eq!(
            SlaPolicy { normal_handling: SlaPolicy::default().normal_handling, ..p },
            SlaPolicy::default()
        );
        assert_eq!(SlaPolicy::from_toml("").unwrap(), SlaPolicy::default());
    }

    #[test]
    fn bad_policy_files_are_refused_with_clear_errors() {
        let msg = SlaPolicy::from_toml("normal_handling_days = 3\n").unwrap_err().to_string();
        assert!(msg.contains("normal_handling_days"), "{msg}");

        let err = SlaPolicy::from_toml("acknowledge_working_hours = 0\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "SLA policy file: `acknowledge_working_hours` = 0 is out of range: it must be from 1 to 2000"
        );

        let msg = SlaPolicy::from_toml("urgent_handling_working_hours = 2.5\n").unwrap_err().to_string();
        assert!(msg.contains("urgent_handling_working_hours") || msg.contains("line 1"), "{msg}");

        let msg = SlaPolicy::from_toml("acknowledge_working_hours = \n").unwrap_err().to_string();
        assert!(msg.starts_with("SLA policy file: "), "{msg}");

        assert!(matches!(
            SlaPolicy::from_file(toml::from_str("acknowledge_working_hours = 8\n").unwrap(), None),
            Err(PolicyError::Missing { key: "urgent_handling_working_hours" })
        ));
    }

    #[test]
    fn deadlines_travel_as_rfc3339_utc() {
        let d = SlaPolicy::default().deadlines_at_filing(cal(), vn(2025, 11, 14, 16, 30), Priority::Normal);
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(json, r#"{"acknowledge":"2025-11-17T09:30:00Z","handle":"2025-11-24T09:30:00Z"}"#);
        assert_eq!(serde_json::from_str::<Deadlines>(&json).unwrap(), d);
    }
}
