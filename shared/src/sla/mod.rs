//! The SLA clock: deadlines counted in working time on the office calendar of Hà Nội.
//!
//! A resident is told when a report is due, and the city holds wards to it, so both must agree
//! on what "8 working hours" means: office hours in Asia/Ho_Chi_Minh (Monday–Friday 08:00–12:00
//! and 13:00–17:00), minus public servants' days off, plus make-up Saturdays.
//!
//! - [`calendar`]: the calendar ([`WorkCalendar`]) and working-time arithmetic on it. The days
//!   off are data (`holidays_vn.toml`, 2025–2027), embedded in the crate.
//! - [`policy`]: how much working time each step may take ([`SlaPolicy`], defaults in
//!   `policy.toml`) and the [`Deadlines`] that follow.
//!
//! Pure computation (no clock, no I/O), so the browser app shows the same deadline offline as
//! the server will set.

pub mod calendar;
pub mod policy;

pub use calendar::{
    CalendarEntry, CalendarError, DayKind, UTC_OFFSET, WORKING_DAY, WorkCalendar, to_local, to_utc,
};
pub use policy::{Deadlines, PolicyError, SlaPolicy};
