//! Short distances in metres on WGS84 longitude/latitude.
//!
//! The nearest-ward fallback only ever measures a few hundred metres, where a local
//! equirectangular projection is within a fraction of a percent of the geodesic distance and
//! costs a cosine instead of an iterative solution.

use geo::Coord;

/// Metres per degree of latitude on a sphere of the Earth's mean radius (6,371,008.8 m).
const METRES_PER_DEGREE: f64 = 6_371_008.8 * std::f64::consts::PI / 180.0;

/// The half-widths, in degrees of longitude and latitude, of a square of `metres` around a
/// point at latitude `lat`.
pub(crate) fn degrees_around(metres: f64, lat: f64) -> (f64, f64) {
    let dlat = metres / METRES_PER_DEGREE;
    let dlon = dlat / lat.to_radians().cos().max(1e-6);
    (dlon, dlat)
}

/// Distance in metres from `p` to the segment `a`–`b`.
pub(crate) fn to_segment(p: Coord, a: Coord, b: Coord) -> f64 {
    let kx = p.y.to_radians().cos() * METRES_PER_DEGREE;
    let (ax, ay) = ((a.x - p.x) * kx, (a.y - p.y) * METRES_PER_DEGREE);
    let (dx, dy) = ((b.x - a.x) * kx, (b.y - a.y) * METRES_PER_DEGREE);
    let len2 = dx * dx + dy * dy;
    // Where along the segment the point projects, clamped to its ends.
    let t = if len2 > 0.0 { (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0) } else { 0.0 };
    (ax + t * dx).hypot(ay + t * dy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thousandth_of_a_degree_of_latitude_is_about_111_metres() {
        let p = Coord { x: 105.85, y: 21.0 };
        let a = Coord { x: 105.84, y: 21.001 };
        let b = Coord { x: 105.86, y: 21.001 };
        let d = to_segment(p, a, b);
        assert!((d - 111.19).abs() < 0.05, "{d}");
    }

    #[test]
    fn beyond_an_end_the_distance_is_to_that_end() {
        let p = Coord { x: 105.85, y: 21.0 };
        let a = Coord { x: 105.851, y: 21.0 };
        let b = Coord { x: 105.86, y: 21.0 };
        // 0.001° of longitude at 21° N is about 103.8 m.
        let d = to_segment(p, a, b);
        assert!((d - 103.8).abs() < 0.1, "{d}");
    }

    #[test]
    fn degrees_around_is_wider_in_longitude_away_from_the_equator() {
        let (dlon, dlat) = degrees_around(200.0, 21.0);
        assert!((dlat - 0.0017987).abs() < 1e-6);
        assert!(dlon > dlat && (dlon * 21f64.to_radians().cos() - dlat).abs() < 1e-12);
    }
}
