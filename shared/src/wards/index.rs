//! The ward index: which ward holds a point.
//!
//! Routing must be cheap enough to run for every report and for bulk re-routing (a million
//! points a second on one core), and must give the same answer on the server and in the app.
//! A uniform grid over the city answers most points from one array read:
//!
//! - a cell that no ward edge touches lies wholly in one ward, or wholly outside all of them,
//!   so its answer is stored;
//! - a cell that edges touch lists the wards they belong to, and only those are tested, each
//!   with its banded point-in-polygon test ([`Area`]);
//! - a point in no ward falls back to the nearest ward edge within [`NEAREST_WARD_MAX_M`],
//!   found in an R-tree of all edges; cells farther than that from every edge skip even this.

use geo::{BoundingRect, Coord, Line, MultiPolygon, Point, Rect};
use rstar::{AABB, RTree, primitives::GeomWithData};
use serde::{Deserialize, Serialize};

use super::area::{Area, Side};
use super::grid::Grid;
use super::{NEAREST_WARD_MAX_M, Validity, Ward, metres};

/// Grid cells are about 0.0025° (≈ 270 m) on a side, at most 2048 per side: for Hà Nội
/// about 300 × 330 cells, of which nine in ten are decided without any polygon test.
const CELL_DEG: f64 = 0.0025;
const MAX_GRID_SIDE: usize = 2048;

/// How a point was matched to its ward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Match {
    /// Inside the ward, or on its boundary.
    Inside,
    /// In no ward, but within [`NEAREST_WARD_MAX_M`] of this one.
    Nearest,
}

/// The answer to "which ward handles this point".
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Located<'a> {
    pub ward: &'a Ward,
    pub matched: Match,
    /// Metres from the ward: 0 when inside.
    pub distance_m: f64,
}

/// What a grid cell already knows about the points in it.
#[derive(Debug, Clone, Copy)]
enum Cell {
    /// Outside every ward and farther than the fallback distance from all of them.
    Outside,
    /// Outside every ward, but some ward edge is near enough for the fallback.
    Near,
    /// Wholly inside one ward.
    Within(u16),
    /// Edges cross the cell: test the wards `candidates[start..start + len]`, then fall back.
    Check { start: u32, len: u32 },
}

/// One set of ward boundaries, valid for a period, indexed for `locate`.
pub struct WardIndex {
    validity: Validity,
    /// Sorted by code, so "the lowest code" and "the lowest index" are the same tie-break.
    wards: Vec<Ward>,
    shapes: Vec<MultiPolygon>,
    areas: Vec<Area>,
    grid: Grid,
    cells: Vec<Cell>,
    candidates: Vec<u16>,
    edges: RTree<GeomWithData<Line, u16>>,
}

impl WardIndex {
    /// Indexes wards with their shapes and prepared areas (checked by the importer: non-empty,
    /// no crossing edges, at most `u16::MAX` of them, codes unique).
    pub(crate) fn build(validity: Validity, mut wards: Vec<(Ward, MultiPolygon, Area)>) -> WardIndex {
        wards.sort_by(|a, b| a.0.code.cmp(&b.0.code));
        let (mut codes, mut shapes, mut areas) = (Vec::new(), Vec::new(), Vec::new());
        for (ward, shape, area) in wards {
            codes.push(ward);
            shapes.push(shape);
            areas.push(area);
        }
        let wards = codes;

        let edges: Vec<GeomWithData<Line, u16>> = shapes
            .iter()
            .enumerate()
            .flat_map(|(w, shape)| {
                shape
                    .iter()
                    .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                    .flat_map(|ring| ring.lines())
                    .map(move |line| GeomWithData::new(line, w as u16))
            })
            .collect();

        let extent = shapes
            .iter()
            .filter_map(|shape| shape.bounding_rect())
            .reduce(union)
            .expect("the importer refuses an empty set");
        let widest_lat = extent.min().y.abs().max(extent.max().y.abs());
        let (dlon, dlat) = metres::degrees_around(NEAREST_WARD_MAX_M, widest_lat);
        let margin = Coord { x: dlon, y: dlat };
        let grid =
            Grid::new(Rect::new(extent.min() - margin, extent.max() + margin), CELL_DEG, MAX_GRID_SIDE);

        // Which wards' edges touch each cell, and which cells lie within the fallback distance
        // of an edge. Edges are visited ward by ward, so a repeat is always the last entry.
        let mut touching: Vec<Vec<u16>> = vec![Vec::new(); grid.len()];
        let mut near = vec![false; grid.len()];
        for edge in &edges {
            let bounds = edge.geom().bounding_rect();
            for cell in grid.cells_overlapping(bounds) {
                if touching[cell].last() != Some(&edge.data) {
                    touching[cell].push(edge.data);
                }
            }
            let (dlon, dlat) = metres::degrees_around(NEAREST_WARD_MAX_M, bounds.center().y);
            let reach = Coord { x: dlon, y: dlat };
            for cell in grid.cells_overlapping(Rect::new(bounds.min() - reach, bounds.max() + reach)) {
                near[cell] = true;
            }
        }

        let mut candidates = Vec::new();
        let cells = touching
            .iter_mut()
            .enumerate()
            .map(|(cell, wards)| {
                // The first ward, other than those listed, that holds the cell's centre.
                let centre = grid.centre(cell);
                let holder = |listed: &[u16]| {
                    (0..areas.len())
                        .find(|&w| !listed.contains(&(w as u16)) && areas[w].side(centre) == Side::Inside)
                };
                if !wards.is_empty() {
                    // Cells are marked by each edge's bounding box, so a long diagonal edge
                    // lists its ward in cells it never enters. A ward whose edges miss the
                    // cell but which holds its centre covers the whole cell, and answers
                    // wherever the listed wards do not.
                    if let Some(w) = holder(wards) {
                        wards.push(w as u16);
                    }
                    wards.sort_unstable();
                    wards.dedup();
                    let start = candidates.len() as u32;
                    candidates.extend_from_slice(wards);
                    return Cell::Check { start, len: wards.len() as u32 };
                }
                // No edge crosses the cell, so its centre speaks for all of it.
                match holder(&[]) {
                    Some(w) => Cell::Within(w as u16),
                    None if near[cell] => Cell::Near,
                    None => Cell::Outside,
                }
            })
            .collect();

        WardIndex { validity, wards, shapes, areas, grid, cells, candidates, edges: RTree::bulk_load(edges) }
    }

    /// The ward responsible for the point (`lon`, `lat`), WGS84 degrees.
    ///
    /// - Inside a ward (or on its boundary): that ward, [`Match::Inside`]. A point on the
    ///   boundary shared by two wards goes to the one with the lowest code, so the answer is
    ///   the same on every machine and in every run.
    /// - In no ward but within [`NEAREST_WARD_MAX_M`] of one: the nearest, [`Match::Nearest`],
    ///   with the distance.
    /// - Otherwise (outside the city, or not a number): `None`.
    pub fn locate(&self, lon: f64, lat: f64) -> Option<Located<'_>> {
        let p = Coord { x: lon, y: lat };
        let found = match self.cells[self.grid.cell_of(p)?] {
            Cell::Outside => None,
            Cell::Within(w) => Some((w, Match::Inside, 0.0)),
            Cell::Near => self.nearest(p),
            Cell::Check { start, len } => {
                let wards = &self.candidates[start as usize..(start + len) as usize];
                self.containing(p, wards).or_else(|| self.nearest(p))
            }
        };
        found.map(|(w, matched, distance_m)| Located { ward: &self.wards[w as usize], matched, distance_m })
    }

    /// The first of `wards` (ascending) that holds `p` inside; failing that, the first whose
    /// boundary `p` is on.
    fn containing(&self, p: Coord, wards: &[u16]) -> Option<(u16, Match, f64)> {
        let mut on_boundary = None;
        for &w in wards {
            match self.areas[w as usize].side(p) {
                Side::Inside => return Some((w, Match::Inside, 0.0)),
                Side::Boundary => {
                    on_boundary.get_or_insert(w);
                }
                Side::Outside => {}
            }
        }
        on_boundary.map(|w| (w, Match::Inside, 0.0))
    }

    /// The ward with the nearest edge within [`NEAREST_WARD_MAX_M`] (lowest code on a tie).
    fn nearest(&self, p: Coord) -> Option<(u16, Match, f64)> {
        let (dlon, dlat) = metres::degrees_around(NEAREST_WARD_MAX_M, p.y);
        let around =
            AABB::from_corners(Point::new(p.x - dlon, p.y - dlat), Point::new(p.x + dlon, p.y + dlat));
        self.edges
            .locate_in_envelope_intersecting(&around)
            .map(|edge| (edge.data, metres::to_segment(p, edge.geom().start, edge.geom().end)))
            .filter(|&(_, d)| d <= NEAREST_WARD_MAX_M)
            .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)))
            .map(|(w, d)| (w, Match::Nearest, d))
    }

    /// The period these boundaries are in force.
    pub fn validity(&self) -> Validity {
        self.validity
    }

    /// All wards, by code.
    pub fn wards(&self) -> &[Ward] {
        &self.wards
    }

    /// The ward with this code.
    pub fn ward(&self, code: &str) -> Option<&Ward> {
        self.position(code).map(|i| &self.wards[i])
    }

    /// Each ward with its boundary, by code.
    pub fn shapes(&self) -> impl Iterator<Item = (&Ward, &MultiPolygon)> {
        self.wards.iter().zip(&self.shapes)
    }

    /// The bounding box of all wards.
    pub fn bounds(&self) -> Rect {
        self.areas.iter().map(Area::bbox).reduce(union).expect("never empty")
    }

    fn position(&self, code: &str) -> Option<usize> {
        self.wards.binary_search_by(|w| w.code.as_str().cmp(code)).ok()
    }
}

/// The smallest rectangle holding both.
fn union(a: Rect, b: Rect) -> Rect {
    let min = Coord { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) };
    let max = Coord { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) };
    Rect::new(min, max)
}

impl std::fmt::Debug for WardIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WardIndex")
            .field("validity", &self.validity)
            .field("wards", &self.wards.len())
            .field("grid_cells", &self.cells.len())
            .finish_non_exhaustive()
    }
}
