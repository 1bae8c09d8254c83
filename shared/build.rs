//! The data files shipped inside the crate (holidays, SLA policy, answer templates, procedure
//! catalogue) are TOML, the one source people edit. This reads each at build time and writes
//! it to `OUT_DIR` as JSON, which the crate embeds: the web app then reads them with the JSON
//! parser it has anyway, instead of carrying a TOML parser (about 80 KB of every phone's
//! download) for four files it cannot change. A TOML date becomes its text ("2025-01-01").
//! Whether the data is valid is still the crate's own rules, checked when it is read.

use std::path::Path;

const FILES: [&str; 4] =
    ["src/sla/holidays_vn.toml", "src/sla/policy.toml", "src/answers.toml", "src/dossier/procedures.toml"];

fn main() {
    let out = std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR");
    for file in FILES {
        println!("cargo::rerun-if-changed={file}");
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{file}: {e}"));
        let table: toml::Table = toml::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        let json = serde_json::to_string(&to_json(toml::Value::Table(table))).expect("JSON values print");
        let name = Path::new(file).with_extension("json");
        let name = name.file_name().expect("a file name");
        std::fs::write(Path::new(&out).join(name), json).unwrap_or_else(|e| panic!("{file}: {e}"));
    }
}

fn to_json(value: toml::Value) -> serde_json::Value {
    use serde_json::Value as Json;
    match value {
        toml::Value::String(text) => Json::String(text),
        toml::Value::Integer(n) => Json::from(n),
        toml::Value::Float(x) => Json::from(x),
        toml::Value::Boolean(b) => Json::Bool(b),
        toml::Value::Datetime(d) => Json::String(d.to_string()),
        toml::Value::Array(items) => Json::Array(items.into_iter().map(to_json).collect()),
        toml::Value::Table(table) => Json::Object(table.into_iter().map(|(k, v)| (k, to_json(v))).collect()),
    }
}
