use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use phananh_server::cli::{Cli, Command, LogFormat};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Logs go to stderr: stdout carries the commands' answers (and the serve address). A
    // server logs its requests; a one-shot command only its warnings, unless RUST_LOG says.
    let default_level = if matches!(cli.command, Command::Serve(_)) { "info" } else { "warn" };
    let logs = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level)))
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => logs.json().with_current_span(true).init(),
    }
    let outcome: Result<ExitCode, Box<dyn std::error::Error>> = match cli.command {
        Command::Serve(args) => phananh_server::serve::run(*args).map_err(Into::into),
        Command::Locate(args) => phananh_server::locate::run(args).map_err(Into::into),
        Command::CreateStaff(args) => phananh_server::staff::run_create(args).map_err(Into::into),
        Command::DisableStaff(args) => phananh_server::staff::run_disable(args).map_err(Into::into),
        Command::CreateApiKey(args) => phananh_server::open311::clients::run_create(args).map_err(Into::into),
        Command::SeedDemo(args) => phananh_server::seed::run(args).map_err(Into::into),
        Command::MigrateToPostgres(args) => phananh_server::store::moving::run(args).map_err(Into::into),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
