//! Routing on the real 2025 Hà Nội boundaries (126 units), from the reference data folder
//! beside the repository (`../shared/data`, or `PHANANH_REFERENCE_DATA`).

use std::sync::LazyLock;

use chrono::NaiveDate;
use geo::{Contains, Coord, CoordsIter, InteriorPoint, Intersects, Point};
use phananh_shared::wards::{Boundaries, Match, NEAREST_WARD_MAX_M, Validity, WardIndex};
use rand::{RngExt, SeedableRng, rngs::StdRng};

fn reference_file(name: &str) -> std::path::PathBuf {
    let dir = std::env::var_os("PHANANH_REFERENCE_DATA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data").into());
    dir.join(name)
}

fn july_2025() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 7, 1).unwrap()
}

static HANOI: LazyLock<WardIndex> = LazyLock::new(|| {
    let path = reference_file("hanoi_wards_2025.geojson");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    WardIndex::from_geojson(&text, Validity::since(july_2025())).expect("the 2025 set imports")
});

fn located_code(lon: f64, lat: f64) -> Option<String> {
    HANOI.locate(lon, lat).map(|l| l.ward.code.clone())
}

#[test]
fn the_2025_set_has_126_units_51_phuong_and_75_xa() {
    let wards = HANOI.wards();
    assert_eq!(wards.len(), 126);
    let phuong = wards.iter().filter(|w| w.kind.as_str() == "phuong").count();
    assert_eq!((phuong, wards.len() - phuong), (51, 75));
    // The names file beside the boundaries lists the same codes and names.
    let csv = std::fs::read_to_string(reference_file("hanoi_wards_2025_names.csv")).unwrap();
    for line in csv.lines().skip(1) {
        let mut fields = line.split(',');
        let (code, name) = (fields.next().unwrap(), fields.next().unwrap());
        assert_eq!(HANOI.ward(code).map(|w| w.name.as_str()), Some(name), "{code}");
    }
}

#[test]
fn a_point_inside_every_ward_locates_to_that_ward() {
    let mut right = 0;
    for (ward, shape) in HANOI.shapes() {
        let inside = shape.interior_point().expect("non-empty");
        let located = HANOI.locate(inside.x(), inside.y()).expect("inside the city");
        assert_eq!(located.ward.code, ward.code, "{}", ward.name);
        assert_eq!(located.matched, Match::Inside);
        right += 1;
    }
    assert_eq!(right, 126);
}

#[test]
fn the_landmarks_locate_as_the_reference_data_says() {
    // (place, lat, lon, expected ward name) from ../shared/data/README.md.
    let landmarks = [
        ("Hồ Hoàn Kiếm", 21.0288, 105.8525, "Phường Hoàn Kiếm"),
        ("Lăng Chủ tịch Hồ Chí Minh", 21.0368, 105.8346, "Phường Ba Đình"),
        ("Văn Miếu", 21.0293, 105.8355, "Phường Văn Miếu - Quốc Tử Giám"),
        ("Sân vận động Mỹ Đình", 21.0205, 105.7639, "Phường Từ Liêm"),
        ("Hà Đông (Quang Trung street)", 20.9714, 105.7788, "Phường Hà Đông"),
        ("Sân bay Nội Bài terminal", 21.2187, 105.8042, "Xã Nội Bài"),
        ("Thành cổ Sơn Tây", 21.1407, 105.5046, "Phường Sơn Tây"),
        ("Chùa Hương", 20.6184, 105.7468, "Xã Hương Sơn"),
        ("Hồ Tây, open water", 21.056, 105.819, "Phường Tây Hồ"),
    ];
    for (place, lat, lon, expected) in landmarks {
        let located = HANOI.locate(lon, lat).unwrap_or_else(|| panic!("{place}: no ward"));
        assert_eq!(located.ward.name, expected, "{place}");
        assert_eq!(located.matched, Match::Inside, "{place}");
    }
    assert_eq!(HANOI.ward("00070").unwrap().name, "Phường Hoàn Kiếm");
    assert_eq!(located_code(105.8525, 21.0288).as_deref(), Some("00070"));
}

#[test]
fn points_outside_the_city_have_no_ward() {
    let bounds = HANOI.bounds();
    let (min, max) = (bounds.min(), bounds.max());
    let outside = [
        ("Bắc Ninh city", 106.076, 21.186),
        ("0, 0", 0.0, 0.0),
        ("Hải Phòng, Nhà hát Lớn", 106.6823, 20.8580),
        ("south-west corner of the city's bounding box", min.x, min.y),
        ("south-east corner", max.x, min.y),
        ("north-west corner", min.x, max.y),
        ("north-east corner", max.x, max.y),
        ("not a number", f64::NAN, 21.0),
    ];
    for (place, lon, lat) in outside {
        assert_eq!(located_code(lon, lat), None, "{place}");
    }
}

#[test]
fn a_vertex_shared_by_two_wards_goes_to_the_lower_code_every_time() {
    // Find vertices that appear in the rings of two different wards.
    let mut seen: std::collections::HashMap<(u64, u64), String> = std::collections::HashMap::new();
    let mut shared = Vec::new();
    for (ward, shape) in HANOI.shapes() {
        for c in shape.iter().flat_map(|p| p.exterior().0.iter()) {
            let key = (c.x.to_bits(), c.y.to_bits());
            match seen.get(&key) {
                Some(other) if other != &ward.code => shared.push((*c, other.clone(), ward.code.clone())),
                Some(_) => {}
                None => {
                    seen.insert(key, ward.code.clone());
                }
            }
        }
    }
    assert!(shared.len() > 1000, "neighbouring wards share vertices: {}", shared.len());
    for (c, first, second) in shared.iter().step_by(37) {
        let located = HANOI.locate(c.x, c.y).expect("a shared vertex is in the city");
        // The vertex may be shared by a third ward too; it is never given to a higher code
        // than either of the two found here.
        assert!(located.ward.code <= *first.min(second), "{c:?}: {} vs {first}/{second}", located.ward.code);
        assert_eq!(located.matched, Match::Inside);
        assert_eq!(HANOI.locate(c.x, c.y).unwrap().ward.code, located.ward.code, "same answer twice");
    }
}

/// The westernmost vertex of the city, and its ward: nothing lies farther west.
fn westernmost() -> (Coord, String) {
    HANOI
        .shapes()
        .flat_map(|(ward, shape)| {
            shape.exterior_coords_iter().map(|c| (c, ward.code.clone())).collect::<Vec<_>>()
        })
        .min_by(|a, b| a.0.x.total_cmp(&b.0.x))
        .unwrap()
}

#[test]
fn a_point_just_outside_the_edge_goes_to_the_nearest_ward_with_its_distance() {
    let (edge, ward) = westernmost();
    let metres_per_degree_lon = 111_195.0 * edge.y.to_radians().cos();
    let near = HANOI.locate(edge.x - 100.0 / metres_per_degree_lon, edge.y).expect("within 200 m");
    assert_eq!(near.matched, Match::Nearest);
    assert!((near.distance_m - 100.0).abs() < 1.0, "{}", near.distance_m);
    assert_eq!(near.ward.code, ward);
    let far = edge.x - (NEAREST_WARD_MAX_M + 50.0) / metres_per_degree_lon;
    assert_eq!(located_code(far, edge.y), None, "250 m outside the city is outside");
}

#[test]
fn the_index_agrees_with_a_plain_polygon_test_on_random_points() {
    let bounds = HANOI.bounds();
    let mut rng = StdRng::seed_from_u64(2025);
    let shapes: Vec<_> = HANOI.shapes().collect();
    let (mut inside, mut outside) = (0, 0);
    for _ in 0..50_000 {
        let p = Point::new(
            rng.random_range(bounds.min().x..bounds.max().x),
            rng.random_range(bounds.min().y..bounds.max().y),
        );
        let expected = shapes.iter().find(|(_, shape)| shape.contains(&p)).map(|(w, _)| w.code.clone());
        let located = HANOI.locate(p.x(), p.y());
        match (&expected, located) {
            (Some(code), Some(l)) => {
                assert_eq!(&l.ward.code, code, "{p:?}");
                assert_eq!(l.matched, Match::Inside);
                inside += 1;
            }
            (None, None) => outside += 1,
            (None, Some(l)) => {
                // Only the fallback may answer for a point in no ward, and only near an edge.
                assert_eq!(l.matched, Match::Nearest, "{p:?}");
                assert!(l.distance_m <= NEAREST_WARD_MAX_M);
                assert!(!shapes.iter().any(|(_, s)| s.intersects(&p)));
            }
            (Some(code), None) => panic!("{p:?} is in {code} but was not located"),
        }
    }
    assert!(inside > 10_000 && outside > 10_000, "both cases exercised: {inside} / {outside}");
}

#[test]
fn a_point_in_a_cell_that_only_a_neighbours_long_edge_reaches_is_found() {
    // Found by the benchmark's cross-check: the grid cell holding this point was listed for
    // a neighbour (whose long edge's bounding box covers it) but not for the ward around it.
    assert_eq!(located_code(105.3504039416607, 21.226214495407003).as_deref(), Some("09664"));
}

#[test]
fn an_older_boundary_set_answers_for_dates_before_the_2025_reform() {
    // A synthetic pre-reform set: two units split at 105.85° E, valid until 30 June 2025.
    let unit = |code: &str, name: &str, west: f64, east: f64| {
        format!(
            r#"{{"type":"Feature","properties":{{"code":"{code}","name":"{name}","kind":"phuong"}},
               "geometry":{{"type":"Polygon","coordinates":[[[{west},21.0],[{east},21.0],[{east},21.06],[{west},21.06],[{west},21.0]]]}}}}"#
        )
    };
    let older = format!(
        r#"{{"type":"FeatureCollection","features":[{},{}]}}"#,
        unit("00037", "Phường Hàng Trống (cũ)", 105.80, 105.85),
        unit("00040", "Phường Hàng Bạc (cũ)", 105.85, 105.90)
    );
    let from = NaiveDate::from_ymd_opt(2008, 8, 1).unwrap();
    let older = WardIndex::from_geojson(&older, Validity { from, until: Some(july_2025()) }).unwrap();
    let text = std::fs::read_to_string(reference_file("hanoi_wards_2025.geojson")).unwrap();
    let current = WardIndex::from_geojson(&text, Validity::since(july_2025())).unwrap();
    let boundaries = Boundaries::new(vec![current, older]).unwrap();

    let (lon, lat) = (105.8525, 21.0288); // Hồ Hoàn Kiếm
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    assert_eq!(boundaries.locate_on(day(2025, 6, 30), lon, lat).unwrap().ward.code, "00040");
    assert_eq!(boundaries.locate_on(day(2025, 7, 1), lon, lat).unwrap().ward.code, "00070");
    assert!(boundaries.locate_on(day(2000, 1, 1), lon, lat).is_none(), "before any set");
    assert_eq!(boundaries.latest().validity().from, july_2025());
}

#[test]
fn boundary_sets_with_overlapping_periods_are_refused() {
    let square = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"1","name":"A","kind":"xa"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}]}"#;
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let a = WardIndex::from_geojson(square, Validity { from: day(2020, 1, 1), until: Some(day(2025, 8, 1)) })
        .unwrap();
    let b = WardIndex::from_geojson(square, Validity::since(day(2025, 7, 1))).unwrap();
    let err = Boundaries::new(vec![a, b]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the boundary set valid from 2025-07-01 starts before the one valid from 2020-01-01 ends"
    );
}
