//! Ward boundaries simplified for drawing.
//!
//! The routing boundaries have 133,037 vertices (3 MB); a map on a phone needs far fewer.
//! Each ward is simplified on its own with Visvalingam–Whyatt in its topology-preserving form
//! (no ring may come to cross itself or another, which a plain Ramer–Douglas–Peucker pass did
//! on the 2025 set); neighbouring wards' shared edges may then differ slightly: fine for
//! drawing and for the app's offline guess of the ward, never for the routing that counts
//! (the server routes on the full boundaries, and the report keeps the server's answer).

use geo::{MapCoords, MultiPolygon, SimplifyVwPreserve};
use geojson::{Feature, FeatureCollection, Geometry, JsonObject};
use phananh_shared::wards::WardIndex;
use serde_json::json;

/// The area, in square degrees, of the smallest triangle a vertex must make with its
/// neighbours to be kept: 2e-8 deg² is about 230 m², e.g. an 11 m bump on a 40 m stretch,
/// under a pixel at the zoom that shows a whole ward.
pub const TOLERANCE_DEG2: f64 = 2e-8;

/// The FeatureCollection served at `/api/v1/wards.geojson`, as bytes.
pub fn wards_geojson(index: &WardIndex) -> Vec<u8> {
    let features = index.shapes().map(|(ward, shape)| {
        let mut properties = JsonObject::new();
        properties.insert("code".into(), json!(ward.code));
        properties.insert("name".into(), json!(ward.name));
        properties.insert("name_en".into(), json!(ward.name_en));
        properties.insert("kind".into(), json!(ward.kind));
        Feature {
            id: Some(geojson::feature::Id::String(ward.code.clone())),
            geometry: Some(Geometry::from(&simplified(shape))),
            properties: Some(properties),
            ..Feature::default()
        }
    });
    let mut collection: FeatureCollection = features.collect();
    let mut about = JsonObject::new();
    about.insert(
        "simplification".into(),
        json!({
            "method": "Visvalingam-Whyatt, topology-preserving, each ward on its own",
            "tolerance_deg2": TOLERANCE_DEG2,
            "use": "drawing only; route with /api/v1/wards/locate",
        }),
    );
    about.insert("validity".into(), json!(index.validity()));
    collection.foreign_members = Some(about);
    serde_json::to_vec(&collection).expect("GeoJSON of finite numbers serialises")
}

/// The shape simplified, with coordinates rounded to 6 decimals (about 0.1 m).
fn simplified(shape: &MultiPolygon) -> MultiPolygon {
    let round = |v: f64| (v * 1e6).round() / 1e6;
    shape.simplify_vw_preserve(TOLERANCE_DEG2).map_coords(|c| geo::Coord { x: round(c.x), y: round(c.y) })
}
