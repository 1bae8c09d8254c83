//! What an app shows about the device it runs on, and what the desktop app's window and its
//! native side say to each other: the settings, the device's identity, the sync status and the
//! connection. Plain types, so the browser build and the native engine share them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An operation the server refused, as the resident is told.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Refusal {
    pub code: String,
    pub message: String,
    pub field: Option<String>,
}

/// What the app shows about syncing: "3 reports waiting to send", "last synced 2 min ago",
/// and the refused items with their reasons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncStatus {
    pub waiting: u64,
    pub last_synced: Option<DateTime<Utc>>,
    pub refused: Vec<Refusal>,
}

/// [`SyncStatus`] and whether the server was reached the last time it was tried (`None`
/// until it has been tried).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceStatus {
    pub online: Option<bool>,
    #[serde(flatten)]
    pub sync: SyncStatus,
}

/// The connection, when it comes or goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    pub online: bool,
}

/// The desktop app's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// The server's base URL (`http://host:port`).
    pub server: String,
    /// `vi` or `en`.
    pub lang: String,
    /// Whether the resident has been through the first-run screen and agreed to start;
    /// until then nothing is sent anywhere.
    pub started: bool,
}

/// Who this device is to the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// The id the server gave the device; `None` until the server has been reached once.
    pub device_id: Option<Uuid>,
}
