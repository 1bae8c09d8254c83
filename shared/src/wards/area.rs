//! One ward's area, prepared for fast point-in-polygon tests.
//!
//! A crossing-number test has to look at every edge that the horizontal line through the point
//! meets. Sorting the edges into horizontal bands of the ward's bounding box means a test
//! reads one band: a handful of edges instead of the ward's thousands (Xã Nội Bài has 4,521).

use geo::line_intersection::{LineIntersection, line_intersection};
use geo::{BoundingRect, Coord, Line, MultiPolygon, Rect};

/// Where a point lies relative to an area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Inside,
    /// Exactly on an edge or vertex.
    Boundary,
    Outside,
}

/// Average number of edges per band: small enough that a test reads few edges, large enough
/// that an edge rarely spans several bands (which would copy it into each).
const EDGES_PER_BAND: usize = 4;
const MAX_BANDS: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct Edge {
    a: Coord,
    b: Coord,
}

#[derive(Debug, Clone)]
pub(crate) struct Area {
    bbox: Rect,
    /// Bands per degree of latitude.
    band_scale: f64,
    /// `edges[band_starts[i]..band_starts[i + 1]]` are the edges that reach band `i`.
    band_starts: Vec<u32>,
    edges: Vec<Edge>,
}

impl Area {
    /// Prepares a non-empty shape (the importer refuses empty ones).
    pub(crate) fn new(shape: &MultiPolygon) -> Area {
        let bbox = shape.bounding_rect().expect("the importer refuses empty shapes");
        let edges: Vec<Edge> = shape
            .iter()
            .flat_map(|polygon| std::iter::once(polygon.exterior()).chain(polygon.interiors()))
            .flat_map(|ring| ring.lines())
            .map(|line| Edge { a: line.start, b: line.end })
            .collect();
        let bands = (edges.len() / EDGES_PER_BAND).clamp(1, MAX_BANDS);
        let band_scale = if bbox.height() > 0.0 { bands as f64 / bbox.height() } else { 0.0 };
        let mut area = Area { bbox, band_scale, band_starts: vec![0; bands + 1], edges: Vec::new() };

        // Counting sort of (band, edge) pairs: count, prefix-sum, place.
        let span = |e: &Edge| area.band(e.a.y.min(e.b.y))..=area.band(e.a.y.max(e.b.y));
        let mut counts = vec![0u32; bands];
        for e in &edges {
            span(e).for_each(|band| counts[band] += 1);
        }
        let mut starts = vec![0u32; bands + 1];
        for band in 0..bands {
            starts[band + 1] = starts[band] + counts[band];
        }
        let mut placed = vec![Edge { a: Coord::zero(), b: Coord::zero() }; starts[bands] as usize];
        let mut next = starts.clone();
        for e in &edges {
            for band in span(e) {
                placed[next[band] as usize] = *e;
                next[band] += 1;
            }
        }
        area.band_starts = starts;
        area.edges = placed;
        area
    }

    pub(crate) fn bbox(&self) -> Rect {
        self.bbox
    }

    /// The band holding latitude `y`. Monotone in `y`, so an edge spanning `y0..=y1` is filed
    /// under every band a point between them can fall in.
    fn band(&self, y: f64) -> usize {
        // Float-to-int casts saturate: points below the box land in band 0.
        let band = ((y - self.bbox.min().y) * self.band_scale) as usize;
        band.min(self.band_starts.len() - 2)
    }

    /// Whether `p` is inside, on the boundary of, or outside the area (even-odd rule, so holes
    /// and separate parts are respected).
    pub(crate) fn side(&self, p: Coord) -> Side {
        let (min, max) = (self.bbox.min(), self.bbox.max());
        if !(p.x >= min.x && p.x <= max.x && p.y >= min.y && p.y <= max.y) {
            return Side::Outside;
        }
        let band = self.band(p.y);
        let edges = &self.edges[self.band_starts[band] as usize..self.band_starts[band + 1] as usize];
        let mut inside = false;
        for &Edge { a, b } in edges {
            // An edge entirely above or below the point can neither hold it nor cross its ray.
            if (a.y > p.y && b.y > p.y) || (a.y < p.y && b.y < p.y) {
                continue;
            }
            // > 0 when p is left of the directed edge a→b.
            let cross = (b.x - a.x) * (p.y - a.y) - (p.x - a.x) * (b.y - a.y);
            if cross == 0.0 && p.x >= a.x.min(b.x) && p.x <= a.x.max(b.x) {
                return Side::Boundary;
            }
            // Half-open rule (one end strictly above the point's height) so a ray through a
            // vertex counts it once. The ray towards +x meets the edge when the point is left
            // of an upward edge or right of a downward one.
            if (a.y > p.y) != (b.y > p.y) && (cross > 0.0) == (b.y > a.y) {
                inside = !inside;
            }
        }
        if inside { Side::Inside } else { Side::Outside }
    }

    /// A point where two edges cross, or where two edges run along each other, if there is
    /// one: such a boundary does not say which side is inside. Edges meeting at a vertex are
    /// fine. Only edges of the same band can meet, so this is a few comparisons per edge
    /// (a general-purpose validity check compares far more pairs and took over a second on
    /// the 2025 Hà Nội set).
    pub(crate) fn crossing(&self) -> Option<Coord> {
        self.band_starts.windows(2).find_map(|band| {
            let edges = &self.edges[band[0] as usize..band[1] as usize];
            edges.iter().enumerate().find_map(|(i, e)| {
                edges[i + 1..].iter().find_map(|f| {
                    let (e, f) = (Line::new(e.a, e.b), Line::new(f.a, f.b));
                    match line_intersection(e, f)? {
                        LineIntersection::SinglePoint { intersection, is_proper: true } => Some(intersection),
                        LineIntersection::Collinear { intersection }
                            if intersection.start != intersection.end =>
                        {
                            Some(intersection.start)
                        }
                        _ => None,
                    }
                })
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Contains, Intersects, Point, polygon};
    use rand::{RngExt, SeedableRng, rngs::StdRng};

    fn square_with_hole() -> MultiPolygon {
        MultiPolygon::new(vec![polygon!(
            exterior: [(x: 0., y: 0.), (x: 10., y: 0.), (x: 10., y: 10.), (x: 0., y: 10.), (x: 0., y: 0.)],
            interiors: [[(x: 4., y: 4.), (x: 6., y: 4.), (x: 6., y: 6.), (x: 4., y: 6.), (x: 4., y: 4.)]],
        )])
    }

    #[test]
    fn holes_are_outside_and_edges_are_boundary() {
        let area = Area::new(&square_with_hole());
        assert_eq!(area.side(Coord { x: 1., y: 1. }), Side::Inside);
        assert_eq!(area.side(Coord { x: 5., y: 5. }), Side::Outside, "in the hole");
        assert_eq!(area.side(Coord { x: 11., y: 5. }), Side::Outside);
        assert_eq!(area.side(Coord { x: 10., y: 5. }), Side::Boundary, "outer edge");
        assert_eq!(area.side(Coord { x: 5., y: 4. }), Side::Boundary, "horizontal hole edge");
        assert_eq!(area.side(Coord { x: 0., y: 10. }), Side::Boundary, "corner");
        // A ray through the hole's corner must count its two edges once.
        assert_eq!(area.side(Coord { x: 2., y: 6. }), Side::Inside);
        assert_eq!(area.side(Coord { x: 2., y: 4. }), Side::Inside);
    }

    #[test]
    fn crossing_finds_a_bowtie_and_a_spike_but_not_a_clean_shape() {
        assert_eq!(Area::new(&square_with_hole()).crossing(), None);
        let bowtie = polygon![(x: 0., y: 0.), (x: 2., y: 2.), (x: 2., y: 0.), (x: 0., y: 2.)];
        assert_eq!(Area::new(&bowtie.into()).crossing(), Some(Coord { x: 1., y: 1. }));
        let spike = polygon![(x: 0., y: 0.), (x: 4., y: 0.), (x: 4., y: 4.), (x: 4., y: 6.), (x: 4., y: 2.), (x: 0., y: 4.)];
        assert!(Area::new(&spike.into()).crossing().is_some());
    }

    #[test]
    fn agrees_with_geo_on_a_many_sided_shape() {
        // A star with 400 spikes: many bands, many edges per band, vertices at every height.
        let ring: Vec<(f64, f64)> = (0..=800)
            .map(|i| {
                let t = i as f64 / 800.0 * std::f64::consts::TAU;
                let r = if i % 2 == 0 { 1.0 } else { 0.6 };
                (r * t.cos(), r * t.sin())
            })
            .collect();
        let shape = MultiPolygon::new(vec![geo::Polygon::new(ring.into(), vec![])]);
        let area = Area::new(&shape);
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..20_000 {
            let p = Coord { x: rng.random_range(-1.1..1.1), y: rng.random_range(-1.1..1.1) };
            let expected = if shape.contains(&Point(p)) {
                Side::Inside
            } else if shape.intersects(&Point(p)) {
                Side::Boundary
            } else {
                Side::Outside
            };
            assert_eq!(area.side(p), expected, "at {p:?}");
        }
    }
}
