//! Ward boundaries, and the index that routes a point to the ward responsible for it.
//!
//! A report is handled by the commune-level unit (phường, xã) that contains its location, so
//! routing is a point-in-polygon question asked for every report, on the server (the answer
//! that counts) and in the app (to tell a resident, offline, who will handle it).
//!
//! - [`import`](WardIndex::from_geojson): a GeoJSON FeatureCollection of Polygon/MultiPolygon
//!   features with `code`, `name` and `kind` properties, checked feature by feature.
//! - [`WardIndex`]: one boundary set, valid for a period; `locate(lon, lat)`.
//! - [`Boundaries`]: several dated sets side by side (Hà Nội went from 579 to 126 units on
//!   1 July 2025; a report keeps the ward it was routed to on its date).

mod area;
mod boundaries;
mod features;
mod grid;
mod import;
mod index;
mod metres;
mod wire;

pub use boundaries::{Boundaries, BoundariesError};
pub use import::ImportError;
pub use index::{Located, Match, WardIndex};
pub use wire::{WardList, WardMatch, outside_city};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// How far outside every ward a point may be and still be routed to the nearest one.
///
/// Boundary files leave slivers along rivers and the city's outer edge (the 2025 Hà Nội set and
/// the city's official outline differ by up to ~950 m on the Red River); a resident standing on
/// an embankment just past the drawn edge still has a ward. 200 m catches digitising error
/// without pulling in points that are really in the next province.
pub const NEAREST_WARD_MAX_M: f64 = 200.0;

/// A commune-level administrative unit: the unit that receives and answers reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ward {
    /// Official code (the statistics office's code, e.g. `"00070"`). Codes, not names, identify
    /// wards: names differ between sources in where the tone mark sits ("Hòa" / "Hoà").
    pub code: String,
    /// Official Vietnamese name, e.g. `"Phường Hoàn Kiếm"`.
    pub name: String,
    /// English name, where the boundary file gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_en: Option<String>,
    pub kind: WardKind,
}

/// The kind of commune-level unit, as the 2025 reform names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WardKind {
    /// Phường: an urban ward.
    Phuong,
    /// Xã: a rural commune.
    Xa,
    /// Đặc khu: a special zone (island districts elsewhere in Vietnam since 2025).
    DacKhu,
}

impl WardKind {
    /// The wire name, as in the boundary files and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            WardKind::Phuong => "phuong",
            WardKind::Xa => "xa",
            WardKind::DacKhu => "dac_khu",
        }
    }
}

/// The days a boundary set is in force: from `from` (inclusive) until `until` (exclusive;
/// `None` while it is the current set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validity {
    pub from: NaiveDate,
    pub until: Option<NaiveDate>,
}

impl Validity {
    /// Valid from `from` on, with no end yet.
    pub fn since(from: NaiveDate) -> Validity {
        Validity { from, until: None }
    }

    pub fn contains(&self, date: NaiveDate) -> bool {
        date >= self.from && self.until.is_none_or(|until| date < until)
    }
}
