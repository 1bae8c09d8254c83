//! The command line: `serve` runs the server, `locate` answers "which ward?" from the shell,
//! `create-staff` makes a staff account and `disable-staff` closes one.

use std::net::SocketAddr;
use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};

use phananh_shared::api::MapTiles;

use crate::staff::Role;
use crate::store::{Store, StoreError};

/// The 2025 Hà Nội boundaries in the reference data folder beside the repository.
pub const DEFAULT_WARDS_FILE: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/hanoi_wards_2025.geojson");

/// The web app as `make run` builds it.
pub const DEFAULT_APP_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../app/dist");

#[derive(Debug, Parser)]
#[command(name = "phananh-server", version, about = "Citizen feedback for Hà Nội: the server")]
pub struct Cli {
    /// Log lines as text (for people) or JSON (for a log collector), on stderr.
    #[arg(long, global = true, env = "PHANANH_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server.
    Serve(Box<ServeArgs>),
    /// Print the ward holding a point, or (with --batch) the ward code of each `lon,lat` line
    /// read from stdin.
    Locate(LocateArgs),
    /// Make a staff account. The password is the first line of stdin (at least 10
    /// characters).
    CreateStaff(CreateStaffArgs),
    /// Close a staff account: it can no longer sign in, its sessions end, and a running
    /// server closes their live streams at their next heartbeat.
    DisableStaff(DisableStaffArgs),
    /// Issue an Open311 API key for a client program (printed on stdout, shown only once).
    CreateApiKey(CreateApiKeyArgs),
    /// Fill the database with realistic demo reports over the last 60 days, in every status,
    /// with demo staff accounts (printed) for every ward.
    SeedDemo(SeedArgs),
    /// Move a server's SQLite database and photos into an empty PostgreSQL database, for a
    /// cluster of nodes; ends by comparing every table's rows and checksum.
    MigrateToPostgres(MoveArgs),
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
    #[command(flatten)]
    pub data: DataDirArgs,
    #[command(flatten)]
    pub wards: WardsArgs,
    /// The built web app to serve on `/` (trunk's output); without it only the API is served.
    #[arg(long, env = "PHANANH_APP_DIR", default_value = DEFAULT_APP_DIR)]
    pub app_dir: PathBuf,
    #[command(flatten)]
    pub limits: RateLimits,
    #[command(flatten)]
    pub connections: ConnectionLimits,
    /// Seconds between pings to each live subscriber; one that has not answered a ping by
    /// the next is disconnected.
    #[arg(long, env = "PHANANH_LIVE_HEARTBEAT_SECONDS", default_value_t = 20, value_parser = clap::value_parser!(u16).range(1..))]
    pub live_heartbeat_seconds: u16,
    /// How many events the live stream holds for subscribers slow to take them; one that
    /// falls further behind is told to resume from its last sequence number.
    #[arg(long, env = "PHANANH_LIVE_BACKLOG", default_value_t = 4096, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub live_backlog: u32,
    /// Hours an uploaded photo may wait to be attached to a report (a phone's outbox uploads
    /// its photos just before sending the report); after that an hourly sweep removes it.
    #[arg(long, env = "PHANANH_UNATTACHED_PHOTO_HOURS", default_value_t = 72, value_parser = clap::value_parser!(u32).range(1..))]
    pub unattached_photo_hours: u32,
    /// Seconds the public transparency figures are served from one computation (for each
    /// period asked) before they are computed again; browsers and proxies are told to keep
    /// them as long. 0: computed for every request.
    #[arg(long, env = "PHANANH_PUBLIC_FIGURES_SECONDS", default_value_t = 5, value_parser = clap::value_parser!(u16))]
    pub public_figures_seconds: u16,
    /// For tests: the clock stands still at this time (RFC 3339) and moves only when
    /// `PUT /api/v1/test/clock` sets it, so deadlines can be passed without waiting. That
    /// endpoint exists only with this option.
    #[arg(long, value_name = "TIME")]
    pub manual_clock: Option<chrono::DateTime<chrono::Utc>>,
    #[command(flatten)]
    pub open311: Open311Args,
    #[command(flatten)]
    pub map: MapArgs,
}

/// The Open311 GeoReport v2 API (`/open311/v2`).
#[derive(Debug, Clone, Args)]
pub struct Open311Args {
    /// The jurisdiction this server serves: a `jurisdiction_id` other than this is refused.
    #[arg(long, env = "PHANANH_OPEN311_JURISDICTION", default_value = "hanoi.gov.vn")]
    pub open311_jurisdiction: String,
    /// The server's public address (`https://phananh.example.vn`), for the absolute links
    /// Open311 answers carry (photos, discovery), and to send HSTS when it is https. Without
    /// it, links use the request's `Host` if it is loopback or an `--allowed-host`.
    #[arg(long, env = "PHANANH_PUBLIC_URL", value_parser = public_url)]
    pub public_url: Option<String>,
    /// Without `--public-url`: a host name (as clients send it in `Host`, without the port;
    /// repeatable, or comma-separated in the variable) links may be built for besides
    /// loopback. A request for any other host gets no links but a 400, so that a forged
    /// `Host` cannot point Open311 clients elsewhere. Serving the public, set `--public-url`.
    #[arg(long = "allowed-host", env = "PHANANH_ALLOWED_HOSTS", value_name = "HOST", value_delimiter = ',', value_parser = allowed_host)]
    pub allowed_hosts: Vec<String>,
}

/// A host name as `Host` carries it, in lower case.
fn allowed_host(text: &str) -> Result<String, String> {
    let host = text.trim().to_ascii_lowercase();
    match host.parse::<axum::http::uri::Authority>() {
        Ok(authority) if authority.port().is_none() && !host.is_empty() && !host.contains('@') => Ok(host),
        _ => Err(format!("expected a host name such as phananh.example.vn, without a port; got {text:?}")),
    }
}

/// An absolute http(s) URL, kept without its trailing slash.
fn public_url(text: &str) -> Result<String, String> {
    match text.parse::<axum::http::Uri>() {
        Ok(uri) if matches!(uri.scheme_str(), Some("http" | "https")) && uri.authority().is_some() => {
            Ok(text.trim_end_matches('/').to_owned())
        }
        _ => {
            Err(format!("expected an absolute http(s) URL such as https://phananh.example.vn, got {text:?}"))
        }
    }
}

/// The street map under the ward outlines in the resident's app, as `GET /api/v1/config`
/// tells it. There is no default tile server: without `--map-tiles` the app draws the wards
/// alone and asks no one for tiles. Public tile servers are not for a city's residents at
/// large (OpenStreetMap's tile usage policy forbids heavy use of its servers): a city runs its
/// own, or uses a provider it has an agreement with.
#[derive(Debug, Clone, Args)]
pub struct MapArgs {
    /// The tile server: an absolute http(s) URL template with `{z}`, `{x}` and `{y}`
    /// (`https://tile.example.vn/{z}/{x}/{y}.png`) for raster XYZ tiles in Web Mercator. Every
    /// device sees it: a key in it is public. Empty is none, as unset.
    #[arg(long, env = "PHANANH_MAP_TILES", value_name = "URL", value_parser = tile_template)]
    pub map_tiles: Option<String>,
    /// What the map must show while its tiles are on screen, as the tile provider's terms ask
    /// ("© OpenStreetMap contributors"): plain text, required with `--map-tiles`.
    #[arg(long, env = "PHANANH_MAP_ATTRIBUTION", value_name = "TEXT", value_parser = attribution)]
    pub map_attribution: Option<String>,
    /// The deepest zoom level the tile server has (OpenStreetMap's standard layer: 19); the
    /// app does not ask for tiles past it.
    #[arg(long, env = "PHANANH_MAP_MAX_ZOOM", value_name = "LEVEL", default_value_t = 19, value_parser = clap::value_parser!(u8).range(1..=22))]
    pub map_max_zoom: u8,
    /// How many tiles a device keeps for offline use: those the resident viewed, the longest
    /// kept dropped first. A city tile is 10 to 30 KB, so 2,000 take 20 to 60 MB
    /// of a phone's storage, and 100,000 is more than a browser lets a page keep.
    #[arg(long, env = "PHANANH_MAP_CACHE_TILES", value_name = "TILES", default_value_t = 2000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub map_cache_tiles: u32,
}

impl MapArgs {
    /// The tile layer the apps are told about, or `None` without `--map-tiles`.
    pub fn tiles(&self) -> Result<Option<MapTiles>, MissingAttribution> {
        let Some(tiles) = self.map_tiles.as_ref().filter(|tiles| !tiles.is_empty()) else { return Ok(None) };
        let attribution =
            self.map_attribution.clone().filter(|text| !text.is_empty()).ok_or(MissingAttribution)?;
        Ok(Some(MapTiles {
            tiles: tiles.clone(),
            attribution,
            max_zoom: self.map_max_zoom,
            cache_tiles: self.map_cache_tiles,
        }))
    }
}

/// Tiles without the attribution their provider asks the map to show.
#[derive(Debug, thiserror::Error)]
#[error(
    "--map-tiles (PHANANH_MAP_TILES) needs --map-attribution (PHANANH_MAP_ATTRIBUTION): the text \
     the tile provider asks the map to show, such as \"© OpenStreetMap contributors\""
)]
pub struct MissingAttribution;

/// A tile URL template: an absolute http(s) URL on a fixed host, with `{z}`, `{x}` and `{y}`
/// after the host and no other placeholder (the app fills in those three only). Empty is
/// kept, meaning none: a service's environment file may leave the variable empty.
fn tile_template(text: &str) -> Result<String, String> {
    if text.is_empty() {
        return Ok(String::new());
    }
    let expected = "expected an http(s) URL template such as https://tile.example.vn/{z}/{x}/{y}.png";
    let missing: Vec<&str> = ["{z}", "{x}", "{y}"].into_iter().filter(|p| !text.contains(p)).collect();
    if !missing.is_empty() {
        return Err(format!("{expected}; {text:?} has no {}", missing.join(", ")));
    }
    let filled = text.replace("{z}", "0").replace("{x}", "0").replace("{y}", "0");
    if filled.contains(['{', '}']) {
        return Err(format!("{expected}; {text:?} has a placeholder other than {{z}}, {{x}} and {{y}}"));
    }
    let uri = filled.parse::<axum::http::Uri>().map_err(|_| format!("{expected}, got {text:?}"))?;
    let (Some(scheme @ ("http" | "https")), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
        return Err(format!("{expected}, got {text:?}"));
    };
    let after_host = text.strip_prefix(&format!("{scheme}://{authority}"));
    if authority.host().is_empty() || !after_host.is_some_and(|rest| rest.starts_with(['/', '?'])) {
        return Err(format!("{expected}: one fixed host, the placeholders after it; got {text:?}"));
    }
    if authority.as_str().contains('@') {
        return Err(format!(
            "{expected}, without a user name or password (every device sees it); got {text:?}"
        ));
    }
    Ok(text.to_owned())
}

/// A proxy's address (one host) or network in CIDR notation.
fn trusted_proxy(text: &str) -> Result<ipnet::IpNet, String> {
    let text = text.trim();
    text.parse::<ipnet::IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map(|network| network.trunc())
        .map_err(|_| format!("expected an IP address or a network such as 10.0.0.0/8, got {text:?}"))
}

/// An attribution: one line of plain text (the app shows it as it is, so HTML would show as
/// its tags). Blank is kept as none, which tiles do not start with.
fn attribution(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.contains(|c: char| c.is_control() || c == '<' || c == '>') {
        Err(format!("expected one line of plain text, not HTML: the app shows it as it is; got {text:?}"))
    } else {
        Ok(text.to_owned())
    }
}

/// How fast clients may send requests. Each limit is a bucket of `burst` requests that
/// refills at the sustained rate; a request finding it empty gets 429 with `Retry-After`.
/// Client addresses are the peer's, or behind a `--trusted-proxy` the client's it forwards;
/// an IPv6 client counts by its /64.
#[derive(Debug, Clone, Args)]
pub struct RateLimits {
    /// A reverse proxy (an address, or a network such as 10.0.0.0/8; repeatable, or
    /// comma-separated in the variable) whose `X-Forwarded-For` (else `Forwarded`) header is
    /// believed: the client is the right-most address in it that is not a trusted proxy.
    /// Without it the headers are ignored and every client behind a proxy counts as the proxy.
    #[arg(long = "trusted-proxy", env = "PHANANH_TRUSTED_PROXIES", value_name = "CIDR", value_delimiter = ',', value_parser = trusted_proxy)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Requests per second, sustained, for each device or staff token, or for each client
    /// address when a request carries no token (a resident's phone makes a few a minute).
    #[arg(long, env = "PHANANH_RATE_PER_SECOND", default_value_t = 10.0, value_parser = rate)]
    pub rate_per_second: f64,
    /// Requests at once for each token or token-less address (a map page and its thumbnails).
    #[arg(long, env = "PHANANH_RATE_BURST", default_value_t = 60, value_parser = burst())]
    pub rate_burst: u32,
    /// Requests per second, sustained, from one client address whatever tokens they carry: a
    /// ceiling over the per-token limit, roomy for many phones behind one carrier NAT, that
    /// made-up tokens cannot dodge.
    #[arg(long, env = "PHANANH_ADDRESS_RATE_PER_SECOND", default_value_t = 100.0, value_parser = rate)]
    pub address_rate_per_second: f64,
    /// Requests at once from one client address, whatever tokens they carry.
    #[arg(long, env = "PHANANH_ADDRESS_BURST", default_value_t = 600, value_parser = burst())]
    pub address_burst: u32,
    /// Staff sign-in attempts per minute, sustained, from one client address (against
    /// password guessing; the default is one every 10 s).
    #[arg(long, env = "PHANANH_LOGIN_RATE_PER_MINUTE", default_value_t = 6.0, value_parser = rate)]
    pub login_rate_per_minute: f64,
    /// Staff sign-in attempts at once from one client address (a ward office's staff all
    /// signing in at the start of the day, a mistyped password or two).
    #[arg(long, env = "PHANANH_LOGIN_BURST", default_value_t = 10, value_parser = burst())]
    pub login_burst: u32,
    /// Seconds an account name waits between sign-in tries after 5 wrong passwords, from any
    /// address; each further try doubles it, up to 15 minutes. A right password clears it.
    #[arg(long, env = "PHANANH_LOGIN_BACKOFF_SECONDS", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=900))]
    pub login_backoff_seconds: u64,
    /// Device registrations per minute, sustained, from one client address (against device
    /// spam; a phone registers once).
    #[arg(long, env = "PHANANH_REGISTER_RATE_PER_MINUTE", default_value_t = 6.0, value_parser = rate)]
    pub register_rate_per_minute: f64,
    /// Device registrations at once from one client address (neighbours on one Wi-Fi).
    #[arg(long, env = "PHANANH_REGISTER_BURST", default_value_t = 20, value_parser = burst())]
    pub register_burst: u32,
    /// Attempts per hour, sustained, to track a dossier by its code and secret, for each
    /// device and each client address (a four-digit secret holds against few guesses).
    #[arg(long, env = "PHANANH_TRACK_RATE_PER_HOUR", default_value_t = 20.0, value_parser = rate)]
    pub track_rate_per_hour: f64,
    /// Attempts at once to track a dossier, for each device and each address (a family
    /// saving its few dossiers, a mistyped digit).
    #[arg(long, env = "PHANANH_TRACK_BURST", default_value_t = 10, value_parser = burst())]
    pub track_burst: u32,
    /// Wrong secrets a dossier takes, from any number of devices and addresses, before it
    /// locks: nobody new may track it for `--dossier-lock-minutes`, and its desk is told
    /// (devices that track it already go on as before).
    #[arg(long, env = "PHANANH_DOSSIER_WRONG_SECRETS", default_value_t = 5, value_parser = burst())]
    pub dossier_wrong_secrets: u32,
    /// Minutes over which a dossier's wrong secrets add up, and that a lock lasts.
    #[arg(long, env = "PHANANH_DOSSIER_LOCK_MINUTES", default_value_t = 60, value_parser = burst())]
    pub dossier_lock_minutes: u32,
    /// Reports per hour, sustained, that one device (or one Open311 key) may file, through
    /// every channel together: the report form, sync pushes and Open311. Counted per report,
    /// so one push of many cannot flood; each one over is refused `filing_limited`.
    #[arg(long, env = "PHANANH_FILING_RATE_PER_HOUR", default_value_t = 20.0, value_parser = rate)]
    pub filing_rate_per_hour: f64,
    /// Reports at once for each device or Open311 key (a resident's outbox after a day
    /// offline).
    #[arg(long, env = "PHANANH_FILING_BURST", default_value_t = 10, value_parser = burst())]
    pub filing_burst: u32,
    /// Photo uploads per hour, sustained, for each device or staff member (one at a time in
    /// any case: a second upload while one is in flight is refused).
    #[arg(long, env = "PHANANH_UPLOAD_RATE_PER_HOUR", default_value_t = 60.0, value_parser = rate)]
    pub upload_rate_per_hour: f64,
    /// Photo uploads at once for each device or staff member (a few reports' photos).
    #[arg(long, env = "PHANANH_UPLOAD_BURST", default_value_t = 15, value_parser = burst())]
    pub upload_burst: u32,
    /// Photos decoded at once (each takes a core, and up to about 150 MB for the largest
    /// photo accepted); an upload that finds them all busy is answered 503 with Retry-After.
    /// Default: one per core, at most 8.
    #[arg(long, env = "PHANANH_PHOTO_DECODERS", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub photo_decoders: Option<u16>,
}

/// How long a connection may take over a request, and how many a client may hold open, so
/// that idle or trickling connections cannot take the server's open files from everyone else.
/// Addresses count as the rate limits count them (an IPv6 client by its /64).
#[derive(Debug, Clone, Args)]
pub struct ConnectionLimits {
    /// Seconds a client has to send a request's headers, counted from when the connection is
    /// ready for them: from its opening, or from the end of the previous answer on a kept-alive
    /// connection, so this is also how long an idle connection is kept open. A connection that
    /// runs out of it is closed.
    #[arg(long, env = "PHANANH_HEADER_READ_TIMEOUT_SECONDS", default_value_t = 20, value_parser = clap::value_parser!(u16).range(1..))]
    pub header_read_timeout_seconds: u16,
    /// Seconds a request body may go without sending anything (a photo on a slow phone link
    /// still sends every few seconds); the request is then dropped and its connection closed.
    #[arg(long, env = "PHANANH_BODY_READ_TIMEOUT_SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u16).range(1..))]
    pub body_read_timeout_seconds: u16,
    /// Connections open at once from one client address (many phones behind one carrier NAT
    /// each hold one or two); a connection past it is closed as soon as it is accepted.
    #[arg(long, env = "PHANANH_MAX_CONNECTIONS_PER_ADDRESS", default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections_per_address: u32,
    /// Live streams open at once from one client address.
    #[arg(long, env = "PHANANH_MAX_STREAMS_PER_ADDRESS", default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_streams_per_address: u32,
    /// Live streams open at once for one resident's device (a few tabs of the app).
    #[arg(long, env = "PHANANH_MAX_STREAMS_PER_DEVICE", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_streams_per_device: u32,
    /// Live streams open at once for one staff sign-in (the inbox, the desk, a report, the
    /// city dashboard, in a few tabs).
    #[arg(long, env = "PHANANH_MAX_STREAMS_PER_SESSION", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_streams_per_session: u32,
}

/// A sustained rate: a positive, finite number (fractions allowed: 0.5 is one per 2 units).
fn rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(rate),
        _ => Err(format!("expected a positive number, got {text:?}")),
    }
}

/// A burst: at least one request.
fn burst() -> clap::builder::RangedI64ValueParser<u32> {
    clap::value_parser!(u32).range(1..)
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
    /// The PostgreSQL database shared by the nodes of a cluster
    /// (`postgres://user:password@host:port/name`); without it, SQLite in the data directory.
    #[arg(long, env = "PHANANH_DATABASE_URL", value_name = "URL", hide_env_values = true)]
    pub database_url: Option<String>,
}

impl DataDirArgs {
    /// The store these name: PostgreSQL's database if a URL is given, else SQLite's in the
    /// data directory. On a runtime: PostgreSQL's connections are tokio's.
    pub async fn store(&self) -> Result<Store, StoreError> {
        Store::open(self.database_url.as_deref(), &self.data_dir).await
    }
}

#[derive(Debug, Args)]
pub struct MoveArgs {
    /// The data directory whose database and photos move (a stopped server's).
    #[arg(long, env = "PHANANH_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// The empty PostgreSQL database they move into (`postgres://user:password@host:port/name`).
    #[arg(long, env = "PHANANH_DATABASE_URL", value_name = "URL", hide_env_values = true)]
    pub database_url: String,
}

#[derive(Debug, Args)]
pub struct CreateStaffArgs {
    /// The sign-in name: 3 to 32 letters, digits, `.`, `_` or `-`; case is ignored.
    #[arg(long)]
    pub username: String,
    /// `ward` (one ward's officer), `ward_lead` (one ward's lead, who assigns its reports),
    /// `city` (every ward) or `admin`.
    #[arg(long)]
    pub role: Role,
    /// The code of the ward a ward officer or lead acts for (only with `--role ward` or
    /// `--role ward_lead`).
    #[arg(long)]
    pub ward: Option<String>,
    #[command(flatten)]
    pub data: DataDirArgs,
    #[command(flatten)]
    pub wards: WardsArgs,
}

#[derive(Debug, Args)]
pub struct DisableStaffArgs {
    /// The account's sign-in name (case is ignored).
    #[arg(long)]
    pub username: String,
    #[command(flatten)]
    pub data: DataDirArgs,
}

#[derive(Debug, Args)]
pub struct CreateApiKeyArgs {
    /// The client's name, unique (an aggregator, another city app): it is the reporter of
    /// the reports the client files.
    #[arg(long)]
    pub name: String,
    #[command(flatten)]
    pub data: DataDirArgs,
}

#[derive(Debug, Args)]
pub struct SeedArgs {
    /// How many reports to file.
    #[arg(long, default_value_t = 500)]
    pub reports: usize,
    /// Over how many days before now, evenly: a long history at a city's pace, or a short
    /// one crowded.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub days: u32,
    /// The random seed: the same seed gives the same places, categories and delays.
    #[arg(long, default_value_t = 2025)]
    pub seed: u64,
    #[command(flatten)]
    pub data: DataDirArgs,
    #[command(flatten)]
    pub wards: WardsArgs,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tile_template_is_an_http_url_on_one_host_with_z_x_and_y() {
        for good in [
            "https://tile.example.vn/{z}/{x}/{y}.png",
            "http://127.0.0.1:8081/hot/{z}/{x}/{y}.png",
            "https://maps.example.vn/tiles?layer=streets&z={z}&x={x}&y={y}&key=abc",
        ] {
            assert_eq!(tile_template(good).as_deref(), Ok(good));
        }
        assert_eq!(tile_template("").as_deref(), Ok(""), "empty is none");
        for (bad, why) in [
            ("https://tile.example.vn/{z}/{x}.png", "has no {y}"),
            ("tile.example.vn/{z}/{x}/{y}.png", "got"),
            ("/tiles/{z}/{x}/{y}.png", "got"),
            ("ftp://tile.example.vn/{z}/{x}/{y}.png", "got"),
            ("https://{s}.tile.example.vn/{z}/{x}/{y}.png", "a placeholder other than"),
            ("https://tile.example.vn/{z}/{x}/{-y}.png", "has no {y}"),
            ("https://tile.example.vn/{z}/{x}/{y}{r}.png", "a placeholder other than"),
            ("https://{z}.example.vn/{x}/{y}.png", "one fixed host"),
            ("https://me:secret@tile.example.vn/{z}/{x}/{y}.png", "without a user name"),
            ("https://tile.example.vn/{z}/{x}/{y}.png with a space", "got"),
        ] {
            let error = tile_template(bad).expect_err(bad);
            assert!(error.contains(why), "{bad}: {error}");
        }
    }

    #[test]
    fn an_attribution_is_one_line_of_plain_text() {
        assert_eq!(
            attribution("  © OpenStreetMap contributors ").as_deref(),
            Ok("© OpenStreetMap contributors")
        );
        assert_eq!(attribution(" ").as_deref(), Ok(""), "blank is none");
        assert!(
            attribution("© <a href=\"https://osm.org/copyright\">OSM</a>").unwrap_err().contains("not HTML")
        );
        assert!(attribution("© OSM\ncontributors").unwrap_err().contains("one line"));
    }

    #[test]
    fn tiles_need_their_attribution_and_no_tiles_is_no_map() {
        let args = |tiles: Option<&str>, attribution: Option<&str>| MapArgs {
            map_tiles: tiles.map(str::to_owned),
            map_attribution: attribution.map(str::to_owned),
            map_max_zoom: 19,
            map_cache_tiles: 2000,
        };
        let template = "https://tile.example.vn/{z}/{x}/{y}.png";
        assert!(args(Some(template), None).tiles().is_err());
        assert!(args(Some(template), Some("")).tiles().is_err());
        assert_eq!(args(None, None).tiles().unwrap(), None);
        assert_eq!(args(None, Some("© OSM")).tiles().unwrap(), None);
        assert_eq!(args(Some(""), None).tiles().unwrap(), None, "an empty PHANANH_MAP_TILES is none");
        let tiles = args(Some(template), Some("© OSM")).tiles().unwrap().unwrap();
        assert_eq!((tiles.tiles.as_str(), tiles.attribution.as_str()), (template, "© OSM"));
        assert_eq!((tiles.max_zoom, tiles.cache_tiles), (19, 2000));
    }
}
