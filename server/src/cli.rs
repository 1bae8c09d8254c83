//! The command line: `serve` runs the server, `locate` answers "which ward?" from the shell,
//! `create-staff` makes a staff account.

use std::net::SocketAddr;
use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};

use crate::staff::Role;

/// The 2025 Hà Nội boundaries in the reference data folder beside the repository.
pub const DEFAULT_WARDS_FILE: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/hanoi_wards_2025.geojson");

#[derive(Debug, Parser)]
#[command(name = "phananh-server", version, about = "Citizen feedback for Hà Nội: the server")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server.
    Serve(ServeArgs),
    /// Print the ward holding a point, or (with --batch) the ward code of each `lon,lat` line
    /// read from stdin.
    Locate(LocateArgs),
    /// Make a staff account. The password is the first line of stdin (at least 10
    /// characters).
    CreateStaff(CreateStaffArgs),
}

/// Which ward boundaries to load, and from when they are in force.
#[derive(Debug, Args)]
pub struct WardsArgs {
    /// GeoJSON FeatureCollection of the wards (Polygon/MultiPolygon with code, name, kind).
    #[arg(long, env = "PHANANH_WARDS", default_value = DEFAULT_WARDS_FILE)]
    pub wards: PathBuf,
    /// The first day the boundaries are in force (Hà Nội's 126 units: 1 July 2025).
    #[arg(long, env = "PHANANH_WARDS_VALID_FROM", default_value = "2025-07-01")]
    pub wards_valid_from: NaiveDate,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (the chosen address is printed).
    #[arg(long, env = "PHANANH_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Directory for the database and stored photos (created if missing).
    #[arg(long, env = "PHANANH_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    #[command(flatten)]
    pub wards: WardsArgs,
}

#[derive(Debug, Args)]
pub struct LocateArgs {
    /// Longitude, WGS84 degrees.
    #[arg(long, allow_negative_numbers = true, required_unless_present = "batch", conflicts_with = "batch")]
    pub lon: Option<f64>,
    /// Latitude, WGS84 degrees.
    #[arg(long, allow_negative_numbers = true, required_unless_present = "batch", conflicts_with = "batch")]
    pub lat: Option<f64>,
    /// Read `lon,lat` lines from stdin; write one ward code per line (empty when outside).
    #[arg(long)]
    pub batch: bool,
    #[command(flatten)]
    pub wards: WardsArgs,
}

/// Where the database and stored photos are.
#[derive(Debug, Args)]
pub struct DataDirArgs {
    /// Directory for the database and stored photos (created if missing).
    #[arg(long, env = "PHANANH_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct CreateStaffArgs {
    /// The sign-in name: 3 to 32 letters, digits, `.`, `_` or `-`; case is ignored.
    #[arg(long)]
    pub username: String,
    /// `ward` (one ward's officer), `city` (every ward) or `admin`.
    #[arg(long)]
    pub role: Role,
    /// The code of the ward a ward officer acts for (only with `--role ward`).
    #[arg(long)]
    pub ward: Option<String>,
    #[command(flatten)]
    pub data: DataDirArgs,
    #[command(flatten)]
    pub wards: WardsArgs,
}
