//! A resident's device as a process of its own, for tests that kill it mid-sync:
//! `phananh-device file --db PATH --server URL --count N` queues N reports (no network), and
//! `phananh-device sync --db PATH --server URL` syncs until nothing is waiting.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use phananh_shared::client::Engine;
use phananh_tests::{hanoi_wards, report_at};

#[derive(Parser)]
struct Cli {
    /// The device's database.
    #[arg(long)]
    db: PathBuf,
    /// The server, `http://host:port`.
    #[arg(long)]
    server: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Queue `count` reports around Hoàn Kiếm lake, offline.
    File {
        #[arg(long)]
        count: usize,
    },
    /// Sync until the outbox is empty.
    Sync,
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let engine = Engine::open(&cli.db, &cli.server, hanoi_wards()).expect("the device database opens");
    match cli.command {
        Command::File { count } => {
            for n in 0..count {
                // A few metres apart, all in one ward.
                let report = report_at(105.8525 + n as f64 * 1e-6, 21.0288);
                engine.file_report(serde_json::from_value(report).expect("a report")).await.expect("saved");
            }
        }
        Command::Sync => loop {
            if engine.sync_once().await.is_ok() && engine.status().await.expect("status").waiting == 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        },
    }
}
