//! Several boundary sets side by side, each in force for its own period.
//!
//! Boundaries change: Hà Nội's 579 commune-level units became 126 on 1 July 2025. A report
//! filed before a change keeps the ward it was routed to, and re-routing an old report (or
//! reading old statistics) must use the boundaries of its date.

use chrono::NaiveDate;

use super::{Located, WardIndex};

/// Why a list of boundary sets cannot be used together.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum BoundariesError {
    #[error("no boundary set given")]
    Empty,
    #[error("the boundary set valid from {later} starts before the one valid from {earlier} ends")]
    Overlap { earlier: NaiveDate, later: NaiveDate },
}

/// Boundary sets whose periods do not overlap, oldest first.
#[derive(Debug)]
pub struct Boundaries {
    sets: Vec<WardIndex>,
}

impl Boundaries {
    pub fn new(mut sets: Vec<WardIndex>) -> Result<Boundaries, BoundariesError> {
        sets.sort_by_key(|set| set.validity().from);
        for pair in sets.windows(2) {
            let (earlier, later) = (pair[0].validity(), pair[1].validity());
            if earlier.until.is_none_or(|until| until > later.from) {
                return Err(BoundariesError::Overlap { earlier: earlier.from, later: later.from });
            }
        }
        if sets.is_empty() {
            return Err(BoundariesError::Empty);
        }
        Ok(Boundaries { sets })
    }

    /// The set in force on `date`, if any.
    pub fn on(&self, date: NaiveDate) -> Option<&WardIndex> {
        self.sets.iter().find(|set| set.validity().contains(date))
    }

    /// The newest set.
    pub fn latest(&self) -> &WardIndex {
        self.sets.last().expect("never empty")
    }

    /// The ward responsible for a point on `date`, by the boundaries in force that day.
    pub fn locate_on(&self, date: NaiveDate, lon: f64, lat: f64) -> Option<Located<'_>> {
        self.on(date)?.locate(lon, lat)
    }
}
