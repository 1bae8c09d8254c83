//! The resident's settings, kept on the device as a small JSON file in the app's config
//! folder: which server to talk to, the language, and whether the first-run screen has been
//! seen (until then nothing is sent anywhere).

use std::io::Write as _;
use std::path::{Path, PathBuf};

pub use phananh_shared::device::Settings;

use crate::error::CommandError;

/// The city's server, unless the resident or the environment (`PHANANH_SERVER`) says
/// otherwise.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:8080";

/// The settings of a first run.
pub fn first_run() -> Settings {
    let server = std::env::var("PHANANH_SERVER").unwrap_or_else(|_| DEFAULT_SERVER.to_owned());
    Settings { server, lang: "vi".into(), started: false }
}

/// Checks what the resident typed; the server address loses a trailing slash.
pub fn checked(mut settings: Settings) -> Result<Settings, CommandError> {
    let typed = settings.server.trim();
    let Some((scheme, rest)) = typed.split_once("://").filter(|(s, _)| matches!(*s, "http" | "https")) else {
        return Err(CommandError::field("server", "the server address starts with http:// or https://"));
    };
    let rest = rest.trim_end_matches('/');
    if rest.is_empty() || rest.contains(char::is_whitespace) {
        return Err(CommandError::field("server", "the server address needs a host name, with no spaces"));
    }
    settings.server = format!("{scheme}://{rest}");
    if !matches!(settings.lang.as_str(), "vi" | "en") {
        return Err(CommandError::field("lang", "the language is vi or en"));
    }
    Ok(settings)
}

/// Where the settings are kept.
pub struct SettingsFile {
    path: PathBuf,
}

impl SettingsFile {
    pub fn new(folder: &Path) -> SettingsFile {
        SettingsFile { path: folder.join("settings.json") }
    }

    /// The saved settings, or the defaults on a first run (or if the file cannot be read:
    /// the resident then sees the first-run screen again rather than a broken app).
    pub fn load(&self) -> Settings {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|error| {
                tracing::warn!(path = %self.path.display(), %error, "unreadable settings; starting afresh");
                first_run()
            }),
            Err(_) => first_run(),
        }
    }

    /// Saves the settings whole or not at all: written beside, flushed, then renamed over.
    pub fn save(&self, settings: &Settings) -> std::io::Result<()> {
        if let Some(folder) = self.path.parent() {
            std::fs::create_dir_all(folder)?;
        }
        let partial = self.path.with_extension("json.partial");
        let mut file = std::fs::File::create(&partial)?;
        file.write_all(&serde_json::to_vec_pretty(settings).expect("settings serialise"))?;
        file.sync_all()?;
        std::fs::rename(&partial, &self.path)
    }
}
