//! The procedure catalogue: which administrative procedures a dossier can be for, and the
//! working days the law gives each. The data is `procedures.toml`, embedded in the crate.

use std::sync::LazyLock;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::shipped::shipped;
use crate::sla::{WORKING_DAY, WorkCalendar};

/// Who decides a procedure's dossiers (the ward's desk receives them all).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// The ward's People's Committee or police.
    Commune,
    /// A city department or the city police.
    Province,
    /// A service body: Social Insurance, EVN, the tax office.
    Agency,
}

/// One administrative procedure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Procedure {
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    /// The statutory processing time, in working days from receipt.
    pub working_days: u32,
    pub level: Level,
    /// One of the 25 essential public services of Đề án 06.
    pub essential: bool,
    /// The provision the processing time comes from.
    pub source: String,
}

impl Procedure {
    /// When a dossier received at `received_at` is due, the clock never paused.
    pub fn due_at(&self, calendar: &WorkCalendar, received_at: DateTime<Utc>) -> DateTime<Utc> {
        calendar.add_working_time(received_at, WORKING_DAY * self.working_days as i32)
    }
}

/// Every procedure, in the file's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalogue {
    #[serde(rename = "procedure")]
    procedures: Vec<Procedure>,
}

/// Why a catalogue file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[cfg(feature = "toml")]
    #[error("the procedure catalogue is not valid TOML: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("procedure {code:?} appears twice in the catalogue")]
    Repeated { code: String },
    #[error("procedure {code:?} has a processing time of {days} working days; it must be 1 to 90")]
    Days { code: String, days: u32 },
}

static SHIPPED: LazyLock<Catalogue> = LazyLock::new(|| {
    Catalogue::checked(shipped!("procedures")).expect("the shipped catalogue is valid (tested)")
});

impl Catalogue {
    /// The catalogue shipped with phananh.
    pub fn shipped() -> &'static Catalogue {
        &SHIPPED
    }

    /// A catalogue from a file's text, checked: codes unique, limits in range.
    #[cfg(feature = "toml")]
    pub fn from_toml(text: &str) -> Result<Catalogue, CatalogueError> {
        Catalogue::checked(toml::from_str(text)?)
    }

    fn checked(catalogue: Catalogue) -> Result<Catalogue, CatalogueError> {
        let mut seen = std::collections::HashSet::new();
        for procedure in &catalogue.procedures {
            if !seen.insert(procedure.code.as_str()) {
                return Err(CatalogueError::Repeated { code: procedure.code.clone() });
            }
            if !(1..=90).contains(&procedure.working_days) {
                let (code, days) = (procedure.code.clone(), procedure.working_days);
                return Err(CatalogueError::Days { code, days });
            }
        }
        Ok(catalogue)
    }

    pub fn procedures(&self) -> &[Procedure] {
        &self.procedures
    }

    pub fn get(&self, code: &str) -> Option<&Procedure> {
        self.procedures.iter().find(|procedure| procedure.code == code)
    }
}

/// The due date once a pause for missing documents ends at `resumed_at`: the working time
/// that was left when the clock paused at `paused_at` counts again from `resumed_at`. A
/// dossier already late when it paused stays as late as it was: its due date is unchanged.
pub fn resumed_due(
    calendar: &WorkCalendar,
    due_at: DateTime<Utc>,
    paused_at: DateTime<Utc>,
    resumed_at: DateTime<Utc>,
) -> DateTime<Utc> {
    let left = calendar.working_time_between(paused_at, due_at);
    if left <= TimeDelta::zero() {
        return due_at;
    }
    calendar.add_working_time(resumed_at, left)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn vn(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        let local = NaiveDate::from_ymd_opt(y, mo, d).unwrap().and_hms_opt(h, mi, 0).unwrap();
        (local - TimeDelta::hours(7)).and_utc()
    }

    #[test]
    fn the_shipped_catalogue_has_the_25_essential_services_each_with_its_source() {
        let catalogue = Catalogue::shipped();
        let essential: Vec<_> = catalogue.procedures().iter().filter(|p| p.essential).collect();
        assert_eq!(essential.len(), 25);
        for procedure in catalogue.procedures() {
            assert!(!procedure.source.trim().is_empty(), "{} has no source", procedure.code);
            assert!(!procedure.name_vi.is_empty() && !procedure.name_en.is_empty());
        }
        let residence = catalogue.get("cu-tru-thuong-tru").unwrap();
        assert_eq!((residence.working_days, residence.level), (7, Level::Commune));
    }

    #[test]
    fn the_embedded_catalogue_is_the_toml_file() {
        let file = Catalogue::from_toml(include_str!("procedures.toml")).expect("procedures.toml is valid");
        assert_eq!(&file, Catalogue::shipped());
    }

    #[test]
    fn a_catalogue_with_a_repeated_code_or_an_absurd_limit_is_refused() {
        let entry = |code: &str, days: u32| {
            format!(
                "[[procedure]]\ncode = \"{code}\"\nname_vi = \"x\"\nname_en = \"x\"\nworking_days = {days}\n\
                 level = \"commune\"\nessential = false\nsource = \"s\"\n"
            )
        };
        let twice = format!("{}{}", entry("a", 3), entry("a", 4));
        assert!(matches!(Catalogue::from_toml(&twice), Err(CatalogueError::Repeated { .. })));
        assert!(matches!(Catalogue::from_toml(&entry("b", 0)), Err(CatalogueError::Days { .. })));
        assert_eq!(Catalogue::from_toml(&entry("c", 90)).unwrap().procedures().len(), 1);
    }

    #[test]
    fn a_dossier_is_due_its_working_days_after_receipt_skipping_the_weekend() {
        let residence = Catalogue::shipped().get("cu-tru-tam-tru").unwrap(); // 3 working days
        // Thursday 10:00 + 3 working days = Tuesday 10:00.
        assert_eq!(residence.due_at(WorkCalendar::vietnam(), vn(2026, 3, 12, 10, 0)), vn(2026, 3, 17, 10, 0));
    }

    #[test]
    fn the_wait_for_documents_is_added_to_the_due_date() {
        let cal = WorkCalendar::vietnam();
        // Due Tuesday 10:00; paused Monday 10:00 (8 working hours left); resumed Wednesday
        // 14:00: the 8 hours count from then, to Thursday 14:00.
        let due = resumed_due(cal, vn(2026, 3, 17, 10, 0), vn(2026, 3, 16, 10, 0), vn(2026, 3, 18, 14, 0));
        assert_eq!(due, vn(2026, 3, 19, 14, 0));
        // Already late when paused: as late as before.
        let late = resumed_due(cal, vn(2026, 3, 17, 10, 0), vn(2026, 3, 18, 9, 0), vn(2026, 3, 19, 9, 0));
        assert_eq!(late, vn(2026, 3, 17, 10, 0));
    }
}
