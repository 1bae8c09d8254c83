//! The street map under the ward outlines: raster XYZ tiles from the tile server the city
//! configured (`GET /api/v1/config`; none configured, no tile is ever requested). The map
//! draws the tiles covering its view at the zoom level whose pixels match the screen's,
//! each placed by projecting its corners, so the streets line up with the wards and the pin.
//! The service worker keeps the tiles the resident looked at for offline use; nothing is
//! fetched but what the view shows.

use js_sys::Math;
use leptos::prelude::*;
use phananh_shared::api::{AppConfig, MapTiles};

use crate::wards::{Projection, UNITS_PER_DEGREE};

/// Metres in one map unit (a thousandth of a degree of latitude).
const METRES_PER_UNIT: f64 = 111_320.0 / UNITS_PER_DEGREE;
/// Metres per pixel of a zoom-0 tile at the equator.
const ZOOM_0_METRES_PER_PX: f64 = 156_543.03;
/// Tiles drawn at most at once: a desk screen's view needs about twenty.
const MAX_TILES: usize = 64;

/// The server's map settings, once loaded; `None` without tiles.
pub type TileSettings = LocalResource<Option<MapTiles>>;

pub fn provide_tiles() {
    let settings: TileSettings = LocalResource::new(|| async {
        crate::api::get::<AppConfig>("/api/v1/config", None).await.ok().and_then(|c| c.map)
    });
    provide_context(settings);
}

/// The map's tile settings, if the city configured a tile server and they are loaded.
pub fn use_tiles() -> Signal<Option<MapTiles>> {
    let settings = use_context::<TileSettings>();
    Signal::derive(move || settings.and_then(|s| s.get()).flatten())
}

/// Metres on the ground per map unit.
pub fn metres(units: f64) -> f64 {
    units * METRES_PER_UNIT
}

pub fn units(metres: f64) -> f64 {
    metres / METRES_PER_UNIT
}

/// One tile, placed in map units.
#[derive(Debug, Clone, PartialEq)]
pub struct Tile {
    pub z: u8,
    pub x: u32,
    pub y: u32,
    pub url: String,
    pub left: f64,
    pub top: f64,
    pub width: f64,
    pub height: f64,
}

// Web Mercator, with the browser's own Math: Rust's `ln`, `tan`, `sinh` and `atan` would
// each bring their software implementation into every phone's download.
const PI: f64 = std::f64::consts::PI;

impl Tile {
    /// The tile as an SVG `<image>`.
    pub fn svg(&self) -> String {
        let Tile { z, x, y, url, left, top, width, height } = self;
        let href = url.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;");
        format!(
            r#"<image class="tile" data-tile="{z}/{x}/{y}" href="{href}" x="{left:.4}" y="{top:.4}" width="{width:.4}" height="{height:.4}" preserveAspectRatio="none" crossorigin="anonymous"/>"#
        )
    }
}

fn lon_to_x(lon: f64, n: f64) -> f64 {
    (lon + 180.0) / 360.0 * n
}

fn lat_to_y(lat: f64, n: f64) -> f64 {
    let phi = lat.to_radians();
    (1.0 - Math::log(Math::tan(phi) + 1.0 / Math::cos(phi)) / PI) / 2.0 * n
}

fn x_to_lon(x: f64, n: f64) -> f64 {
    x / n * 360.0 - 180.0
}

fn y_to_lat(y: f64, n: f64) -> f64 {
    Math::atan(Math::sinh(PI * (1.0 - 2.0 * y / n))).to_degrees()
}

/// The tiles covering the map area from `(left, top)` to `(right, bottom)` (map units), at
/// the zoom level that gives about `units_per_px` per screen pixel.
pub fn covering(
    settings: &MapTiles,
    projection: Projection,
    (left, top, right, bottom): (f64, f64, f64, f64),
    units_per_px: f64,
) -> Vec<Tile> {
    let (west, north) = projection.lon_lat(left, top);
    let (east, south) = projection.lon_lat(right, bottom);
    let latitude = (north + south) / 2.0;
    let wanted = ZOOM_0_METRES_PER_PX * Math::cos(latitude.to_radians()) / metres(units_per_px);
    let z = Math::round(Math::log2(wanted)).clamp(0.0, f64::from(settings.max_zoom)) as u8;
    let n = f64::from(1u32 << z);
    let last = n as u32 - 1;
    let (x0, x1) = (lon_to_x(west, n).floor() as u32, (lon_to_x(east, n).floor() as u32).min(last));
    let (y0, y1) = (lat_to_y(north, n).floor() as u32, (lat_to_y(south, n).floor() as u32).min(last));
    let count = (x1.saturating_sub(x0) as usize + 1) * (y1.saturating_sub(y0) as usize + 1);
    if count > MAX_TILES {
        return Vec::new();
    }
    let mut tiles = Vec::with_capacity(count);
    for y in y0..=y1 {
        for x in x0..=x1 {
            let (nw_x, nw_y) = projection.point(x_to_lon(f64::from(x), n), y_to_lat(f64::from(y), n));
            let (se_x, se_y) = projection.point(x_to_lon(f64::from(x + 1), n), y_to_lat(f64::from(y + 1), n));
            let url = settings
                .tiles
                .replace("{z}", &z.to_string())
                .replace("{x}", &x.to_string())
                .replace("{y}", &y.to_string());
            tiles.push(Tile { z, x, y, url, left: nw_x, top: nw_y, width: se_x - nw_x, height: se_y - nw_y });
        }
    }
    tiles
}
