//! Request and response bodies of the HTTP API, beyond the domain types themselves: what a
//! device sends to register, and what the server answers about reports and their events.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::report::{Category, Location, Priority};
use crate::sla::Deadlines;
use crate::status::Status;
use crate::validation::{FieldError, check_text};
use crate::wards::Match;

/// The longest contact name accepted.
pub const CONTACT_NAME_MAX_CHARS: usize = 100;

/// `POST /api/v1/devices`: a resident's device registers, optionally with contact details so
/// the ward can call back. They are never shown publicly.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewDevice {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
}

impl NewDevice {
    pub fn validate(&self) -> Result<(), FieldError> {
        if let Some(name) = &self.name {
            check_text("name", name, 1, CONTACT_NAME_MAX_CHARS)?;
        }
        if let Some(phone) = &self.phone {
            // Vietnamese numbers: 10 digits from 0, or +84 and 9; allow spaces, dots and dashes.
            let digits = phone.chars().filter(char::is_ascii_digit).count();
            let allowed = phone.chars().all(|c| c.is_ascii_digit() || " +.-".contains(c));
            if !allowed || !(8..=15).contains(&digits) {
                return Err(FieldError::invalid(
                    "phone",
                    format!("phone must be 8 to 15 digits, got {phone:?}"),
                ));
            }
        }
        Ok(())
    }
}

/// The answer to `POST /api/v1/devices`. The token is shown once: the device keeps it and
/// sends it as `Authorization: Bearer <token>`; the server keeps only its hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceCreated {
    pub device_id: Uuid,
    pub token: String,
}

/// A ward as a report names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WardRef {
    pub code: String,
    pub name: String,
}

/// Who filed a report: only in the full view (the reporter and the ward's staff).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reporter {
    pub device_id: Uuid,
    pub name: Option<String>,
    pub phone: Option<String>,
}

/// A report as the server answers about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportView {
    pub id: Uuid,
    pub category: Category,
    pub priority: Priority,
    pub description: String,
    pub location: Location,
    pub ward: WardRef,
    /// `nearest` when the location was in no ward but close to this one.
    pub ward_match: Match,
    pub status: Status,
    pub received_at: DateTime<Utc>,
    pub deadlines: Deadlines,
    /// The sequence number of the newest event about this report.
    pub seq: u64,
    /// Absent from the public view.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporter: Option<Reporter>,
}

/// One change to a report, in the global order of all changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Gap-free across the whole server: a client that has seen `seq` has seen every event
    /// before it (in its scope).
    pub seq: u64,
    pub report_id: Uuid,
    pub ward_code: String,
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub change: Change,
}

/// What changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// The report was received and routed.
    Filed { status: Status, category: Category, priority: Priority, deadlines: Deadlines },
}
