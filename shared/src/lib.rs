//! The contract between the phananh server and its clients, and the rules of the domain.
//!
//! Everything here is pure: no I/O, no clock, no threads, so the same code runs on the server
//! (authoritative) and in the browser app compiled to wasm32 (to tell a resident, offline,
//! which ward will handle a report and when it is due).
//!
//! - [`refusal`]: every code a refusal carries, and what it says to a person.
//! - [`report`]: categories, priorities, a new report and its validation.
//! - [`api`]: the other request and response bodies: devices, report views, events.
//! - [`answers`]: the answer templates ward staff start from.
//! - `client` (feature `client`): the offline-first client engine.
//! - [`dashboard`]: the city dashboard and the public transparency figures.
//! - [`device`]: the device's settings, identity and sync status, as apps show them.
//! - [`dossier`]: public-service dossiers, their procedures and the status residents track.
//! - [`status`]: the report status state machine.
//! - [`validation`]: the field error every validation returns.
//! - [`sla`]: the office calendar of Hà Nội and the deadlines computed on it.
//! - [`sync`]: the offline-first client's push and pull.
//! - [`wards`]: ward boundaries and the point-in-polygon index that routes a report.

pub mod answers;
pub mod api;
#[cfg(feature = "client")]
pub mod client;
pub mod dashboard;
pub mod device;
pub mod dossier;
pub mod refusal;
pub mod report;
mod shipped;
pub mod sla;
pub mod status;
pub mod sync;
mod tagged;
pub mod validation;
pub mod wards;
