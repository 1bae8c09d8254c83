//! The part of GeoJSON that a ward boundary file is: a FeatureCollection of features with
//! string properties and a geometry, read with serde straight into what the importer checks.
//!
//! The browser reads every boundary file it draws with this, so it keeps to serde's derived
//! readers and two small visitors: a general GeoJSON model (any geometry, any property value
//! as a JSON value) would weigh about as much again in the app's download. What this does
//! not model it skips unread (`bbox`, `id`, foreign members, other properties) or hands to
//! the importer as a value it refuses with a reason (another geometry type, a non-string
//! property, a position of the wrong depth).

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

#[derive(Deserialize)]
pub(super) struct FeatureCollection {
    #[serde(rename = "type")]
    pub kind: String,
    /// Absent reads as none, so that a single Feature is refused for its type first.
    #[serde(default)]
    pub features: Vec<Feature>,
}

#[derive(Deserialize)]
pub(super) struct Feature {
    /// `Feature`; anything else (a bare geometry in the list) is refused by the importer.
    #[serde(rename = "type")]
    pub kind: String,
    /// `null` and a missing object read as no properties.
    #[serde(default, deserialize_with = "or_default")]
    pub properties: Properties,
    #[serde(default)]
    pub geometry: Option<Geometry>,
}

/// The properties a ward has; any of them may be absent or not a string.
#[derive(Default, Deserialize)]
#[serde(default)]
pub(super) struct Properties {
    pub code: Text,
    pub name: Text,
    pub name_en: Text,
    pub kind: Text,
}

impl Properties {
    pub fn get(&self, key: &str) -> Option<&str> {
        let text = match key {
            "code" => &self.code,
            "name" => &self.name,
            "name_en" => &self.name_en,
            "kind" => &self.kind,
            _ => return None,
        };
        text.0.as_deref()
    }
}

#[derive(Deserialize)]
pub(super) struct Geometry {
    #[serde(rename = "type")]
    pub kind: String,
    /// Absent for a GeometryCollection (which has `geometries` instead).
    #[serde(default)]
    pub coordinates: Coordinates,
}

/// A property's value if it is a string; any other JSON value reads as `None`, so that the
/// importer can say which property is wrong rather than where the parser stopped.
#[derive(Debug, Default)]
pub(super) struct Text(pub Option<String>);

/// GeoJSON `coordinates`: numbers in arrays nested as deep as the geometry type says (a
/// position, a ring of positions, a polygon of rings...).
#[derive(Debug, PartialEq)]
pub(super) enum Coordinates {
    Number(f64),
    List(Vec<Coordinates>),
}

impl Default for Coordinates {
    fn default() -> Coordinates {
        Coordinates::List(Vec::new())
    }
}

fn or_default<'de, D: Deserializer<'de>, T: Default + Deserialize<'de>>(d: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Text, D::Error> {
        d.deserialize_any(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Text, E> {
        Ok(Text(Some(s.to_owned())))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Text, E> {
        Ok(Text(None))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Text, E> {
        Ok(Text(None))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Text, E> {
        Ok(Text(None))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Text, E> {
        Ok(Text(None))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Text, E> {
        Ok(Text(None))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Text, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Text(None))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Text, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Text(None))
    }
}

impl<'de> Deserialize<'de> for Coordinates {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Coordinates, D::Error> {
        d.deserialize_any(CoordinatesVisitor)
    }
}

struct CoordinatesVisitor;

impl<'de> Visitor<'de> for CoordinatesVisitor {
    type Value = Coordinates;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("numbers in nested arrays")
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Coordinates, E> {
        Ok(Coordinates::Number(n))
    }

    // Integers are exact in f64 up to 2^53, far beyond any coordinate.
    #[allow(clippy::cast_precision_loss)]
    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Coordinates, E> {
        Ok(Coordinates::Number(n as f64))
    }

    #[allow(clippy::cast_precision_loss)]
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Coordinates, E> {
        Ok(Coordinates::Number(n as f64))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Coordinates, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Coordinates::List(items))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_that_are_not_strings_read_as_absent_and_others_are_skipped() {
        let feature: Feature = serde_json::from_str(
            r#"{"type":"Feature","id":7,"properties":{"code":70,"name":"Phường Thử","kind":["phuong"],
                "area_km2":{"value":1.5},"name_en":null},"geometry":null,"bbox":[1,2,3,4]}"#,
        )
        .unwrap();
        assert_eq!(feature.properties.get("code"), None);
        assert_eq!(feature.properties.get("name"), Some("Phường Thử"));
        assert_eq!(feature.properties.get("kind"), None);
        assert_eq!(feature.properties.get("name_en"), None);
        assert!(feature.geometry.is_none());
        let bare: Feature = serde_json::from_str(r#"{"type":"Feature","properties":null}"#).unwrap();
        assert_eq!(bare.kind, "Feature");
        assert_eq!(bare.properties.get("code"), None);
    }

    #[test]
    fn coordinates_keep_their_nesting_and_integers() {
        let geometry: Geometry =
            serde_json::from_str(r#"{"type":"Polygon","coordinates":[[[1,2.5],[-3,4e1]]]}"#).unwrap();
        let position = |x, y| Coordinates::List(vec![Coordinates::Number(x), Coordinates::Number(y)]);
        assert_eq!(geometry.kind, "Polygon");
        assert_eq!(
            geometry.coordinates,
            Coordinates::List(vec![Coordinates::List(vec![position(1.0, 2.5), position(-3.0, 40.0)])])
        );
        let Err(err) = serde_json::from_str::<Geometry>(r#"{"type":"Polygon","coordinates":[["a"]]}"#) else {
            panic!("a string among the coordinates is read");
        };
        assert!(err.to_string().contains("numbers in nested arrays"), "{err}");
    }
}
