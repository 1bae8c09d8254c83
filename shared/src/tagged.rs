//! Reading the wire's internally tagged enums (a `kind` or `outcome` field beside the
//! variant's own fields) and the structs that flatten them (an event's `seq`, `at`... beside
//! its change) through one flat struct per enum: the enclosing struct's fields and the tag,
//! then every variant's fields, each optional; then the variant the tag names, with the
//! fields it needs.
//!
//! serde reads an internally tagged enum, and a struct with a `flatten`ed field, by first
//! buffering the whole object in its own `Content` tree, then reading each variant from the
//! tree: the buffering code and a second copy of every reader involved. In the web app that
//! was about 35 KB of the resident's download, gzipped. A flat struct's derived reader reads
//! the same JSON in one pass; the types' `Serialize` stays derived, so what is written does
//! not change. Unknown fields are ignored, as the derive does. Two answers whose shape
//! admits no flat struct are read in two passes over the text instead
//! ([`LiveMessage::from_json`](crate::api::LiveMessage::from_json),
//! [`NearbyReport::list_from_json`](crate::api::NearbyReport::list_from_json)).
//!
//! Each enum's tests read back every variant, and list them with an exhaustive `match`, so
//! that a new variant cannot be added without its reading being tested.

/// A field the variant needs, or serde's own "missing field" message.
pub(crate) fn required<T>(value: Option<T>, field: &'static str) -> Result<T, String> {
    value.ok_or_else(|| format!("missing field `{field}`"))
}

/// A tag no variant has, in serde's words.
pub(crate) fn unknown(tag: &str) -> String {
    format!("unknown variant `{tag}`")
}

/// For each enum's tests: `values` hold every variant of it, in order by the number
/// `variant` gives each (an exhaustive `match`, `count` of them), and each reads back from the
/// JSON its `Serialize` writes.
#[cfg(test)]
pub(crate) fn assert_every_variant_reads_back<T>(values: &[T], variant: impl Fn(&T) -> usize, count: usize)
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let mut variants: Vec<usize> = values.iter().map(variant).collect();
    variants.dedup();
    assert_eq!(variants, (0..count).collect::<Vec<_>>(), "every variant, in order");
    for value in values {
        let json = serde_json::to_string(value).unwrap();
        assert_eq!(&serde_json::from_str::<T>(&json).unwrap(), value, "{json}");
    }
}
