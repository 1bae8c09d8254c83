//! `phananh-server locate`: which ward holds a point, from the shell.
//!
//! With `--batch` it streams `lon,lat` lines from stdin to one ward code per line on stdout
//! (an empty line for a point in no ward), for re-routing old reports or checking a boundary
//! file against a list of addresses: a million points in about a second.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use phananh_shared::wards::{WardIndex, WardMatch, outside_city};
use serde_json::json;

use crate::cli::LocateArgs;
use crate::wards_file::{self, WardsFileError};

#[derive(Debug, thiserror::Error)]
pub enum LocateError {
    #[error(transparent)]
    Wards(#[from] WardsFileError),
    #[error("line {line}: {problem} (expected `lon,lat`, got {text:?})")]
    BadLine { line: u64, text: String, problem: &'static str },
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
}

pub fn run(args: LocateArgs) -> Result<ExitCode, LocateError> {
    let wards = wards_file::load(&args.wards.wards, args.wards.wards_valid_from)?;
    let stdout = std::io::stdout();
    if args.batch {
        batch(&wards, std::io::stdin().lock(), stdout.lock())?;
        return Ok(ExitCode::SUCCESS);
    }
    let (Some(lon), Some(lat)) = (args.lon, args.lat) else {
        unreachable!("clap requires --lon and --lat without --batch")
    };
    // One JSON line either way, in the API's shapes; the exit status says which.
    let (line, status) = match wards.locate(lon, lat) {
        Some(found) => (json!(WardMatch::from(found)), ExitCode::SUCCESS),
        None => (json!({ "error": outside_city("location", lon, lat) }), ExitCode::from(3)),
    };
    writeln!(stdout.lock(), "{line}")?;
    Ok(status)
}

/// Locates every `lon,lat` line of `input`, writing one ward code (or an empty line) per line
/// to `output`. Returns the number of lines. A line that is not two numbers stops the batch
/// with its line number: silently skipping it would shift every answer after it.
pub fn batch(wards: &WardIndex, mut input: impl BufRead, output: impl Write) -> Result<u64, LocateError> {
    let mut output = std::io::BufWriter::with_capacity(1 << 16, output);
    let mut text = String::new();
    let mut line = 0;
    loop {
        text.clear();
        if input.read_line(&mut text)? == 0 {
            break;
        }
        line += 1;
        let bad = |problem| LocateError::BadLine { line, text: text.trim_end().to_owned(), problem };
        let (lon, lat) = text.trim_end().split_once(',').ok_or_else(|| bad("no comma"))?;
        let lon: f64 = lon.trim().parse().map_err(|_| bad("longitude is not a number"))?;
        let lat: f64 = lat.trim().parse().map_err(|_| bad("latitude is not a number"))?;
        if let Some(found) = wards.locate(lon, lat) {
            output.write_all(found.ward.code.as_bytes())?;
        }
        output.write_all(b"\n")?;
    }
    output.flush()?;
    Ok(line)
}
