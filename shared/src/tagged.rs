//! Reading the wire's internally tagged enums (a `kind` or `outcome` field beside the
//! variant's own fields) through one flat struct per enum: the tag and every variant's fields,
//! each optional, then the variant the tag names, with the fields it needs.
//!
//! serde's derive reads such an enum with a deserializer per variant, each inlined with its
//! fields' own: for the report events' `Change`, the dossiers' `DossierChange` and the sync
//! answers' `Outcome` that was about 60 KB of the web app's wasm. One struct's deserializer
//! per enum reads the same JSON (the enums' `Serialize` stays derived, so what is written
//! does not change) for a fraction of that. Unknown fields are ignored, as the derive does.
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
