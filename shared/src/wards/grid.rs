//! A uniform grid over a rectangle of longitude/latitude.

use geo::{Coord, Rect};

/// Maps points and rectangles to cells of a `nx` × `ny` grid, row by row.
#[derive(Debug, Clone)]
pub(crate) struct Grid {
    min: Coord,
    /// Cells per degree along x and y.
    scale: Coord,
    nx: usize,
    ny: usize,
}

impl Grid {
    /// A grid over `extent` with cells of about `cell_deg` degrees, at most `max_side` per side.
    pub(crate) fn new(extent: Rect, cell_deg: f64, max_side: usize) -> Grid {
        let side = |len: f64| ((len / cell_deg).ceil() as usize).clamp(1, max_side);
        let (nx, ny) = (side(extent.width()), side(extent.height()));
        let scale = |n: usize, len: f64| if len > 0.0 { n as f64 / len } else { 0.0 };
        Grid {
            min: extent.min(),
            scale: Coord { x: scale(nx, extent.width()), y: scale(ny, extent.height()) },
            nx,
            ny,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.nx * self.ny
    }

    /// The cell holding `p`, or `None` outside the grid (or for NaN).
    pub(crate) fn cell_of(&self, p: Coord) -> Option<usize> {
        let fx = (p.x - self.min.x) * self.scale.x;
        let fy = (p.y - self.min.y) * self.scale.y;
        if fx >= 0.0 && fy >= 0.0 && fx < self.nx as f64 && fy < self.ny as f64 {
            Some(fy as usize * self.nx + fx as usize)
        } else {
            None
        }
    }

    /// Every cell that `rect` overlaps (clamped to the grid). Uses the same arithmetic as
    /// [`Grid::cell_of`], so a point inside `rect` is always in one of these cells.
    pub(crate) fn cells_overlapping(&self, rect: Rect) -> impl Iterator<Item = usize> + '_ {
        let column = |x: f64| (((x - self.min.x) * self.scale.x) as usize).min(self.nx - 1);
        let row = |y: f64| (((y - self.min.y) * self.scale.y) as usize).min(self.ny - 1);
        let (x0, x1) = (column(rect.min().x), column(rect.max().x));
        let (y0, y1) = (row(rect.min().y), row(rect.max().y));
        (y0..=y1).flat_map(move |y| (x0..=x1).map(move |x| y * self.nx + x))
    }

    /// The centre of cell `cell`.
    pub(crate) fn centre(&self, cell: usize) -> Coord {
        let (x, y) = ((cell % self.nx) as f64 + 0.5, (cell / self.nx) as f64 + 0.5);
        Coord { x: self.min.x + x / self.scale.x, y: self.min.y + y / self.scale.y }
    }
}
