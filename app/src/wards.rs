//! The wards, in the browser: the server's simplified boundaries, loaded once and kept for
//! offline use, as an index (which ward will handle this point?) and as SVG paths to draw.
//!
//! The index runs on the simplified outlines, so within a few metres of a boundary the app's
//! guess may name the neighbour; the server routes on the full boundaries and its answer is
//! the one the report keeps (and the one the app shows once the report is sent).

use std::fmt::Write as _;
use std::rc::Rc;

use chrono::NaiveDate;
use geo::{Coord, MultiPolygon};
use leptos::prelude::*;
use phananh_shared::api::WardRef;
use phananh_shared::wards::{Validity, Ward, WardIndex};

use crate::i18n::{Lang, use_lang};

/// How lon/lat become SVG units: an equirectangular projection scaled by the cosine of the
/// city's latitude, so a kilometre is as long across as up (a unit is about 111 m).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Projection {
    west: f64,
    north: f64,
    kx: f64,
}

pub const UNITS_PER_DEGREE: f64 = 1000.0;

impl Projection {
    pub fn point(&self, lon: f64, lat: f64) -> (f64, f64) {
        ((lon - self.west) * self.kx * UNITS_PER_DEGREE, (self.north - lat) * UNITS_PER_DEGREE)
    }

    pub fn lon_lat(&self, x: f64, y: f64) -> (f64, f64) {
        (x / UNITS_PER_DEGREE / self.kx + self.west, self.north - y / UNITS_PER_DEGREE)
    }
}

/// One ward, drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    pub ward: WardRef,
    pub path: String,
}

pub struct Wards {
    pub index: WardIndex,
    pub shapes: Vec<Shape>,
    pub projection: Projection,
    /// The whole city in SVG units: (width, height).
    pub size: (f64, f64),
}

impl Wards {
    fn from_geojson(text: &str) -> Result<Wards, String> {
        let since = NaiveDate::from_ymd_opt(2025, 7, 1).expect("a real date");
        let index = WardIndex::from_geojson(text, Validity::since(since)).map_err(|e| e.to_string())?;
        let bounds = index.bounds();
        let kx = ((bounds.min().y + bounds.max().y) / 2.0).to_radians().cos();
        let projection = Projection { west: bounds.min().x, north: bounds.max().y, kx };
        let size = projection.point(bounds.max().x, bounds.min().y);
        let shapes = index
            .shapes()
            .map(|(ward, shape)| Shape { ward: WardRef::from(ward), path: svg_path(&projection, shape) })
            .collect();
        Ok(Wards { index, shapes, projection, size })
    }

    /// The ward the offline index says will handle the point.
    pub fn locate(&self, lon: f64, lat: f64) -> Option<&Ward> {
        self.index.locate(lon, lat).map(|found| found.ward)
    }
}

/// A ward's rings as one SVG path, to a tenth of a unit (about 11 m).
fn svg_path(projection: &Projection, shape: &MultiPolygon) -> String {
    let mut path = String::new();
    let mut ring = |coords: &mut dyn Iterator<Item = &Coord>| {
        for (i, c) in coords.enumerate() {
            let (x, y) = projection.point(c.x, c.y);
            let _ = write!(path, "{}{:.1} {:.1}", if i == 0 { "M" } else { "L" }, x, y);
        }
        path.push('Z');
    };
    for polygon in shape {
        ring(&mut polygon.exterior().coords());
        for hole in polygon.interiors() {
            ring(&mut hole.coords());
        }
    }
    path
}

/// The wards, loading (from the backend: the server, a copy kept for offline use, or the
/// boundaries shipped with the desktop app).
pub type WardsResource = LocalResource<Result<Rc<Wards>, String>>;

/// How long a map that could not load its wards waits before trying again.
const RETRY: std::time::Duration = std::time::Duration::from_secs(5);

pub fn provide_wards() {
    let resource: WardsResource = LocalResource::new(|| async {
        let text = crate::backend::backend().wards_geojson().await.map_err(|e| e.to_string())?;
        Wards::from_geojson(&text).map(Rc::new)
    });
    // A load that failed (no signal and no copy kept yet, a server busy or restarting) is
    // tried again, so the map comes back by itself instead of staying empty until a reload.
    Effect::new(move |_| {
        if matches!(resource.get(), Some(Err(_))) {
            set_timeout(move || resource.refetch(), RETRY);
        }
    });
    provide_context(resource);
}

pub fn use_wards() -> WardsResource {
    expect_context::<WardsResource>()
}

/// A closure that names a ward in the language in force, for `view!` blocks (as `tr` picks a
/// text). Reports and figures carry the official Vietnamese name; in English the name is the
/// boundaries' English one, once they are loaded.
pub fn ward_names() -> impl Fn(&WardRef) -> String + Copy {
    let by_code = ward_names_by_code();
    move |ward| by_code(&ward.code).unwrap_or_else(|| ward.name.clone())
}

/// A closure that names the ward of a code in the language in force, once the boundaries are
/// loaded (an event names the ward a report came from by its code alone).
pub fn ward_names_by_code() -> impl Fn(&str) -> Option<String> + Copy {
    let (lang, wards) = (use_lang(), use_wards());
    move |code| {
        let lang = lang.get();
        let wards = wards.get()?.ok()?;
        let ward = wards.index.ward(code)?;
        Some(match (lang, &ward.name_en) {
            (Lang::En, Some(english)) => english.clone(),
            _ => ward.name.clone(),
        })
    }
}
