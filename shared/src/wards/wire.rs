//! What the API says about wards: the types the server sends and the apps read.

use serde::{Deserialize, Serialize};

use super::{Located, Match, NEAREST_WARD_MAX_M, Validity, Ward, WardIndex};
use crate::validation::{ErrorCode, FieldError};

/// `GET /api/v1/wards`: every ward of the boundary set in force, by code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WardList {
    pub validity: Validity,
    pub wards: Vec<Ward>,
}

impl From<&WardIndex> for WardList {
    fn from(index: &WardIndex) -> WardList {
        WardList { validity: index.validity(), wards: index.wards().to_vec() }
    }
}

/// `GET /api/v1/wards/locate`: the ward that will handle a point, and how it was matched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WardMatch {
    #[serde(flatten)]
    pub ward: Ward,
    #[serde(rename = "match")]
    pub matched: Match,
    /// Metres from the ward: 0 inside, up to [`NEAREST_WARD_MAX_M`] for a `nearest` match.
    pub distance_m: f64,
}

impl From<Located<'_>> for WardMatch {
    fn from(found: Located<'_>) -> WardMatch {
        // Centimetres are noise at this scale.
        let distance_m = (found.distance_m * 10.0).round() / 10.0;
        WardMatch { ward: found.ward.clone(), matched: found.matched, distance_m }
    }
}

/// The refusal for a point that no ward handles, naming `field` (the location the client sent).
pub fn outside_city(field: &str, lon: f64, lat: f64) -> FieldError {
    FieldError::new(
        field,
        ErrorCode::OutsideCity,
        format!("({lon}, {lat}) is not in any ward of the city, nor within {NEAREST_WARD_MAX_M} m of one"),
    )
}
