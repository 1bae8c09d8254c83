//! The phananh server: the HTTP API residents' apps and ward and city staff talk to, ward
//! routing on the city's boundaries, and the command line that runs and maintains it.
//!
//! Data flows one way: request → [`http`] (parse, validate, answer) → domain rules and ward
//! index (`phananh_shared`) → [`store`] → response. The domain refuses in its own terms,
//! [`error::DomainError`], and the store fails with [`store::StoreError`]; both become
//! responses in one place, [`http::error`].

pub mod cli;
pub mod clock;
pub mod connections;
pub mod dashboard;
pub mod devices;
pub mod display;
pub mod dossiers;
pub mod error;
pub mod http;
pub mod live;
pub mod locate;
pub mod open311;
pub mod overdue;
pub mod photos;
pub mod reports;
pub mod seed;
pub mod serve;
pub mod staff;
pub mod store;
pub mod sync;
pub mod tokens;
pub mod uploads;
pub mod wards_file;
