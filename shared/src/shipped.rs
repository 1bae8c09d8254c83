//! The data files shipped inside the crate, as `build.rs` embeds them: each TOML file read at
//! build time and kept as JSON, so the browser build needs no TOML parser. The TOML loaders
//! (`from_toml`, feature `toml`, on by default) read files in the same format at run time,
//! and the tests check that both readings of each shipped file agree.

use serde::de::DeserializeOwned;

/// The shipped file `$name` (`holidays_vn`, `policy`, `answers` or `procedures`), read.
macro_rules! shipped {
    ($name:literal) => {
        $crate::shipped::read(include_str!(concat!(env!("OUT_DIR"), "/", $name, ".json")), $name)
    };
}
pub(crate) use shipped;

pub(crate) fn read<T: DeserializeOwned>(json: &str, name: &str) -> T {
    serde_json::from_str(json)
        .unwrap_or_else(|e| panic!("the shipped {name}.toml does not fit its type: {e}"))
}
