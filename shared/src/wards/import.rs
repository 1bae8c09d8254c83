//! Reading ward boundaries from GeoJSON, with errors that say which feature is wrong and why.
//!
//! A city's IT staff load boundary files from many sources; a file that is subtly wrong
//! (a ring that crosses itself, a projected CRS, a missing code) would route reports to the
//! wrong ward without anyone noticing, so every feature is checked before anything is indexed.

use geo::{Coord, CoordsIter, LineString, MultiPolygon, Polygon};

use super::area::Area;
use super::features::{Coordinates, Feature, FeatureCollection};
use super::{Validity, Ward, WardIndex, WardKind};

/// Why a boundary file was refused.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ImportError {
    #[error("not a GeoJSON FeatureCollection: {0}")]
    Json(String),
    #[error("the FeatureCollection has no features")]
    Empty,
    #[error("feature {index} ({label}): {problem}")]
    Feature { index: usize, label: String, problem: FeatureProblem },
    #[error("ward code {code} is used by features {first} and {second}")]
    DuplicateCode { code: String, first: usize, second: usize },
    #[error("{0} wards in one set; at most 65535 are supported")]
    TooMany(usize),
}

/// What is wrong with one feature.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FeatureProblem {
    #[error("it is a {0}, not a Feature")]
    NotAFeature(String),
    #[error("property `{0}` is missing or not a non-empty string")]
    MissingProperty(&'static str),
    #[error("kind `{0}` is not one of phuong, xa, dac_khu")]
    UnknownKind(String),
    #[error("it has no geometry")]
    NoGeometry,
    #[error("its geometry is a {0}, not a Polygon or MultiPolygon")]
    NotPolygonal(String),
    #[error("its geometry has no rings")]
    EmptyGeometry,
    #[error("a position has {0} numbers; a position is a longitude and a latitude (and an optional height)")]
    ShortPosition(usize),
    #[error("coordinate ({0}, {1}) is not WGS84 longitude/latitude")]
    NotLonLat(f64, f64),
    #[error("a ring has fewer than 3 distinct points")]
    TooFewPoints,
    #[error("its boundary crosses or overlaps itself at ({0}, {1})")]
    Crossing(f64, f64),
    #[error(
        "its coordinates are not nested as its type says: a position is an array of numbers, a ring an array of positions, a Polygon an array of rings, a MultiPolygon an array of Polygons"
    )]
    Nesting,
}

impl WardIndex {
    /// Reads a GeoJSON FeatureCollection of wards (Polygon or MultiPolygon features with string
    /// properties `code`, `name`, `kind`, and optionally `name_en`) valid for `validity`, and
    /// indexes it.
    pub fn from_geojson(text: &str, validity: Validity) -> Result<WardIndex, ImportError> {
        let collection: FeatureCollection =
            serde_json::from_str(text).map_err(|e| ImportError::Json(e.to_string()))?;
        if collection.kind != "FeatureCollection" {
            return Err(ImportError::Json(format!("its type is `{}`", collection.kind)));
        }
        if collection.features.is_empty() {
            return Err(ImportError::Empty);
        }
        if collection.features.len() > usize::from(u16::MAX) {
            return Err(ImportError::TooMany(collection.features.len()));
        }
        let mut wards: Vec<(Ward, MultiPolygon, Area)> = Vec::with_capacity(collection.features.len());
        let mut first_use = std::collections::HashMap::new();
        for (index, feature) in collection.features.iter().enumerate() {
            let fail = |problem| ImportError::Feature { index, label: label(feature), problem };
            if feature.kind != "Feature" {
                return Err(fail(FeatureProblem::NotAFeature(feature.kind.clone())));
            }
            let ward = ward(feature).map_err(fail)?;
            let (shape, area) = shape(feature).map_err(fail)?;
            if let Some(&first) = first_use.get(&ward.code) {
                return Err(ImportError::DuplicateCode { code: ward.code, first, second: index });
            }
            first_use.insert(ward.code.clone(), index);
            wards.push((ward, shape, area));
        }
        Ok(WardIndex::build(validity, wards))
    }
}

/// How a feature is named in errors: its code or name if it has one.
fn label(feature: &Feature) -> String {
    ["code", "name"].iter().find_map(|key| feature.properties.get(key)).unwrap_or("no code").to_owned()
}

fn ward(feature: &Feature) -> Result<Ward, FeatureProblem> {
    let text = |key: &'static str| {
        feature
            .properties
            .get(key)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or(FeatureProblem::MissingProperty(key))
    };
    let kind = match text("kind")? {
        "phuong" => WardKind::Phuong,
        "xa" => WardKind::Xa,
        "dac_khu" => WardKind::DacKhu,
        other => return Err(FeatureProblem::UnknownKind(other.to_owned())),
    };
    Ok(Ward {
        code: text("code")?.to_owned(),
        name: text("name")?.to_owned(),
        name_en: text("name_en").ok().map(str::to_owned),
        kind,
    })
}

fn shape(feature: &Feature) -> Result<(MultiPolygon, Area), FeatureProblem> {
    let geometry = feature.geometry.as_ref().ok_or(FeatureProblem::NoGeometry)?;
    let polygons = match geometry.kind.as_str() {
        "Polygon" => vec![polygon(&geometry.coordinates)?],
        "MultiPolygon" => list(&geometry.coordinates)?.iter().map(polygon).collect::<Result<_, _>>()?,
        other => return Err(FeatureProblem::NotPolygonal(other.to_owned())),
    };
    let shape = MultiPolygon::new(polygons);
    if shape.0.is_empty() {
        return Err(FeatureProblem::EmptyGeometry);
    }
    // Rings are closed on conversion: a triangle has 4 coordinates.
    if shape.iter().flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors())).any(|r| r.0.len() < 4) {
        return Err(FeatureProblem::TooFewPoints);
    }
    if let Some(c) = shape.coords_iter().find(|c| !is_lon_lat(*c)) {
        return Err(FeatureProblem::NotLonLat(c.x, c.y));
    }
    let area = Area::new(&shape);
    if let Some(c) = area.crossing() {
        return Err(FeatureProblem::Crossing(c.x, c.y));
    }
    Ok((shape, area))
}

/// A Polygon's rings (the first the outline, the others holes), closed as geo closes them.
fn polygon(coordinates: &Coordinates) -> Result<Polygon, FeatureProblem> {
    let mut rings = Vec::new();
    for ring in list(coordinates)? {
        let mut coords = Vec::new();
        for position in list(ring)? {
            match list(position)? {
                [x, y, ..] => coords.push(Coord { x: number(x)?, y: number(y)? }),
                // A list where a number belongs is nested too deep, not short.
                [Coordinates::List(_)] => return Err(FeatureProblem::Nesting),
                short => return Err(FeatureProblem::ShortPosition(short.len())),
            }
        }
        rings.push(LineString::new(coords));
    }
    let mut rings = rings.into_iter();
    let exterior = rings.next().ok_or(FeatureProblem::EmptyGeometry)?;
    Ok(Polygon::new(exterior, rings.collect()))
}

fn list(coordinates: &Coordinates) -> Result<&[Coordinates], FeatureProblem> {
    match coordinates {
        Coordinates::List(items) => Ok(items),
        Coordinates::Number(_) => Err(FeatureProblem::Nesting),
    }
}

fn number(coordinates: &Coordinates) -> Result<f64, FeatureProblem> {
    match coordinates {
        Coordinates::Number(n) => Ok(*n),
        Coordinates::List(_) => Err(FeatureProblem::Nesting),
    }
}

fn is_lon_lat(c: Coord) -> bool {
    (-180.0..=180.0).contains(&c.x) && (-90.0..=90.0).contains(&c.y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn validity() -> Validity {
        Validity::since(NaiveDate::from_ymd_opt(2025, 7, 1).unwrap())
    }

    fn collection(features: &[String]) -> String {
        format!(r#"{{"type":"FeatureCollection","features":[{}]}}"#, features.join(","))
    }

    fn feature(properties: &str, geometry: &str) -> String {
        format!(r#"{{"type":"Feature","properties":{properties},"geometry":{geometry}}}"#)
    }

    const SQUARE: &str = r#"{"type":"Polygon","coordinates":[[[105.8,21.0],[105.81,21.0],[105.81,21.01],[105.8,21.01],[105.8,21.0]]]}"#;
    const WARD: &str = r#"{"code":"00001","name":"Phường Thử","kind":"phuong"}"#;

    fn import(text: &str) -> Result<WardIndex, ImportError> {
        WardIndex::from_geojson(text, validity())
    }

    fn problem(text: &str) -> FeatureProblem {
        match import(text) {
            Err(ImportError::Feature { problem, .. }) => problem,
            other => panic!("expected a feature error, got {other:?}"),
        }
    }

    #[test]
    fn a_valid_polygon_feature_is_indexed() {
        let index = import(&collection(&[feature(WARD, SQUARE)])).unwrap();
        assert_eq!(index.wards().len(), 1);
        assert_eq!(index.locate(105.805, 21.005).unwrap().ward.name, "Phường Thử");
        assert_eq!(index.validity(), validity());
    }

    #[test]
    fn malformed_json_is_refused_with_the_position() {
        let err = import(r#"{"type":"FeatureCollection","features":[{"type":"Feat"#).unwrap_err();
        assert!(matches!(&err, ImportError::Json(m) if m.contains("line 1")), "{err}");
    }

    #[test]
    fn a_collection_holds_features_and_nothing_else() {
        assert_eq!(import(r#"{"type":"FeatureCollection"}"#).unwrap_err(), ImportError::Empty);
        let bare_geometry = collection(&[SQUARE.to_owned()]);
        assert_eq!(problem(&bare_geometry), FeatureProblem::NotAFeature("Polygon".into()));
    }

    #[test]
    fn a_single_feature_is_not_a_collection() {
        let err = import(&feature(WARD, SQUARE)).unwrap_err();
        assert_eq!(err.to_string(), "not a GeoJSON FeatureCollection: its type is `Feature`");
    }

    #[test]
    fn an_empty_collection_is_refused() {
        assert_eq!(import(&collection(&[])).unwrap_err(), ImportError::Empty);
        assert_eq!(ImportError::Empty.to_string(), "the FeatureCollection has no features");
    }

    #[test]
    fn a_feature_without_code_is_refused_and_named() {
        let text = collection(&[feature(r#"{"name":"Phường Thử","kind":"phuong"}"#, SQUARE)]);
        let err = import(&text).unwrap_err();
        assert_eq!(
            err.to_string(),
            "feature 0 (Phường Thử): property `code` is missing or not a non-empty string"
        );
        assert_eq!(
            problem(&collection(&[feature(r#"{"code":70,"name":"X","kind":"xa"}"#, SQUARE)])),
            FeatureProblem::MissingProperty("code"),
            "a numeric code loses its leading zeros"
        );
    }

    #[test]
    fn an_unknown_kind_is_refused() {
        let text = collection(&[feature(r#"{"code":"1","name":"X","kind":"quan"}"#, SQUARE)]);
        assert_eq!(problem(&text), FeatureProblem::UnknownKind("quan".into()));
    }

    #[test]
    fn a_self_intersecting_ring_is_refused() {
        let bowtie = r#"{"type":"Polygon","coordinates":[[[105.8,21.0],[105.81,21.01],[105.81,21.0],[105.8,21.01],[105.8,21.0]]]}"#;
        let err = import(&collection(&[feature(WARD, bowtie)])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "feature 0 (00001): its boundary crosses or overlaps itself at (105.805, 21.005)"
        );
    }

    #[test]
    fn points_lines_and_missing_geometry_are_refused() {
        let point = r#"{"type":"Point","coordinates":[105.8,21.0]}"#;
        assert_eq!(
            problem(&collection(&[feature(WARD, point)])),
            FeatureProblem::NotPolygonal("Point".into())
        );
        assert_eq!(problem(&collection(&[feature(WARD, "null")])), FeatureProblem::NoGeometry);
        let empty = r#"{"type":"MultiPolygon","coordinates":[]}"#;
        assert_eq!(problem(&collection(&[feature(WARD, empty)])), FeatureProblem::EmptyGeometry);
        let line = r#"{"type":"Polygon","coordinates":[[[105.8,21.0],[105.81,21.0]]]}"#;
        assert_eq!(problem(&collection(&[feature(WARD, line)])), FeatureProblem::TooFewPoints);
    }

    #[test]
    fn coordinates_nested_unlike_their_type_are_refused() {
        let flat =
            r#"{"type":"Polygon","coordinates":[[105.8,21.0],[105.81,21.0],[105.81,21.01],[105.8,21.0]]}"#;
        assert_eq!(problem(&collection(&[feature(WARD, flat)])), FeatureProblem::Nesting);
        let polygon_as_multi = SQUARE.replace(r#""Polygon""#, r#""MultiPolygon""#);
        assert_eq!(problem(&collection(&[feature(WARD, &polygon_as_multi)])), FeatureProblem::Nesting);
        let multi_as_polygon = SQUARE.replace("[[[", "[[[[").replace("]]]", "]]]]");
        assert_eq!(problem(&collection(&[feature(WARD, &multi_as_polygon)])), FeatureProblem::Nesting);
        let no_rings = r#"{"type":"Polygon","coordinates":[]}"#;
        assert_eq!(problem(&collection(&[feature(WARD, no_rings)])), FeatureProblem::EmptyGeometry);
    }

    #[test]
    fn a_multipolygon_with_a_hole_is_indexed_with_the_hole() {
        let ring = |x0: f64, y0: f64, side: f64| {
            let corners = [(x0, y0), (x0 + side, y0), (x0 + side, y0 + side), (x0, y0 + side), (x0, y0)];
            let positions: Vec<String> = corners.iter().map(|(x, y)| format!("[{x},{y}]")).collect();
            format!("[{}]", positions.join(","))
        };
        let outer = ring(105.8, 21.0, 0.01);
        let hole = ring(105.801, 21.001, 0.008);
        let island = ring(105.9, 21.1, 0.01);
        let geometry = format!(r#"{{"type":"MultiPolygon","coordinates":[[{outer},{hole}],[{island}]]}}"#);
        let index = import(&collection(&[feature(WARD, &geometry)])).unwrap();
        assert_eq!(index.locate(105.8005, 21.0005).unwrap().ward.code, "00001");
        assert_eq!(index.locate(105.905, 21.105).unwrap().ward.code, "00001", "the second polygon");
        // The hole's middle is 400 m from its edges: farther than the nearest-ward fallback.
        assert!(index.locate(105.805, 21.005).is_none(), "the hole is not the ward's");
    }

    #[test]
    fn a_position_without_a_latitude_is_refused() {
        for (short, numbers) in [("[1.0]", 1), ("[]", 0)] {
            let ring = format!("[[105.8,21.0],[105.81,21.0],[105.81,21.01],{short},[105.8,21.0]]");
            let polygon = format!(r#"{{"type":"Polygon","coordinates":[{ring}]}}"#);
            let multi = format!(r#"{{"type":"MultiPolygon","coordinates":[[{ring}]]}}"#);
            for geometry in [polygon, multi] {
                let text = collection(&[feature(WARD, &geometry)]);
                assert_eq!(problem(&text), FeatureProblem::ShortPosition(numbers), "{geometry}");
            }
        }
    }

    #[test]
    fn projected_coordinates_are_refused() {
        // The same square in VN-2000 / UTM metres, a common mistake.
        let utm = r#"{"type":"Polygon","coordinates":[[[585000,2322000],[586000,2322000],[586000,2323000],[585000,2322000]]]}"#;
        assert_eq!(
            problem(&collection(&[feature(WARD, utm)])),
            FeatureProblem::NotLonLat(585000.0, 2322000.0)
        );
    }

    #[test]
    fn a_code_used_twice_is_refused() {
        let err = import(&collection(&[feature(WARD, SQUARE), feature(WARD, SQUARE)])).unwrap_err();
        assert_eq!(err, ImportError::DuplicateCode { code: "00001".into(), first: 0, second: 1 });
    }
}
