//! `pubdata import --dataset ID FILE`: loads a file into a dataset from the
//! console, streaming it, with a progress line (rows/s, errors so far).

use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use pubdata_service::App;
use pubdata_service::ingest::Progress;

use super::{DbArgs, open_db};

#[derive(clap::Args)]
pub struct ImportArgs {
    /// The dataset to load.
    #[arg(long)]
    pub dataset: i64,
    /// CSV (UTF-8 or GB18030), XLSX, JSON or NDJSON.
    pub file: std::path::PathBuf,
    #[command(flatten)]
    pub db: DbArgs,
    /// Print no progress line.
    #[arg(long)]
    pub quiet: bool,
}

struct Line {
    start: Instant,
    last: Instant,
    quiet: bool,
}

impl Progress for Line {
    fn rows(&mut self, read: u64, errors: u64) {
        if self.quiet || self.last.elapsed().as_millis() < 500 {
            return;
        }
        self.last = Instant::now();
        let rate = read as f64 / self.start.elapsed().as_secs_f64().max(1e-6);
        eprint!("\r{read:>12} rows  {rate:>10.0} rows/s  {errors:>8} errors");
        let _ = std::io::stderr().flush();
    }
}

pub async fn run(a: ImportArgs) -> anyhow::Result<ExitCode> {
    super::serve::init_logging("text");
    let app = App::new(open_db(&a.db).await?).await?;
    let operator = app
        .console_operator_for_dataset(a.dataset)
        .await
        .with_context(|| format!("no dataset {}", a.dataset))?;
    let file = std::fs::File::open(&a.file)
        .with_context(|| format!("cannot open {}", a.file.display()))?;
    let name = a
        .file
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let start = Instant::now();
    let mut line = Line {
        start,
        last: start,
        quiet: a.quiet,
    };
    let outcome = app
        .load_file(
            &operator,
            a.dataset,
            &name,
            Box::new(std::io::BufReader::with_capacity(1 << 20, file)),
            &mut line,
        )
        .await?;
    if !a.quiet {
        eprintln!();
    }
    let secs = start.elapsed().as_secs_f64();
    match outcome {
        Ok(v) => {
            println!(
                "version {}: {} rows read in {secs:.2} s ({:.0} rows/s): {} inserted, {} updated, {} deleted, {} flagged",
                v.version,
                v.rows_in,
                v.rows_in as f64 / secs,
                v.inserted,
                v.updated,
                v.deleted,
                v.flagged
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(r) => {
            eprintln!(
                "load refused: {} problems in {} rows; nothing was changed",
                r.total_errors, r.rows_read
            );
            for e in r.errors.iter().take(20) {
                eprintln!(
                    "  row {} column {} value {:?}: {} ({})",
                    e.row, e.column, e.value, e.message, e.rule
                );
            }
            Ok(ExitCode::from(3))
        }
    }
}
