//! `pubdata migrate-store --from sqlite://… --to postgres://…`: moves a whole
//! platform to PostgreSQL and verifies the audit chain on the target.

use std::process::ExitCode;

use anyhow::{Context, bail};
use pubdata_domain::secret::SecretUrl;
use pubdata_service::audit::verify_chain;
use pubdata_store::{postgres::PgStore, sqlite::SqliteStore};

#[derive(clap::Args)]
pub struct MigrateArgs {
    /// The platform to copy: sqlite://PATH (an existing file, opened as is).
    #[arg(long)]
    pub from: String,
    /// An empty PostgreSQL database: postgres://USER@HOST:PORT/DATABASE.
    #[arg(long)]
    pub to: String,
}

pub async fn run(a: MigrateArgs) -> anyhow::Result<ExitCode> {
    let Some(path) = a.from.strip_prefix("sqlite://") else {
        bail!("--from must be sqlite://PATH");
    };
    let path = path.split('?').next().unwrap_or(path);
    if !std::path::Path::new(path).is_file() {
        bail!("--from: no database file at {path}");
    }
    if !(a.to.starts_with("postgres://") || a.to.starts_with("postgresql://")) {
        bail!("--to must be postgres://USER@HOST:PORT/DATABASE");
    }
    let from = SqliteStore::open(&a.from)
        .await
        .with_context(|| format!("cannot open {}", a.from))?;
    // The source must verify before it is copied: a broken chain stays where it is.
    let n = verify_chain(&from)
        .await
        .map_err(|e| anyhow::anyhow!("the source's audit chain is broken: {e}"))?;
    eprintln!("source audit chain intact: {n} records");
    let to = PgStore::open(&a.to)
        .await
        .with_context(|| format!("cannot open database {}", SecretUrl::new(a.to.as_str())))?;
    let started = std::time::Instant::now();
    let report = pubdata_store::migrate::sqlite_to_postgres(&from, &to)
        .await
        .context("migration failed; the target is unchanged")?;
    for (table, rows) in &report.tables {
        eprintln!("  {table:<28} {rows:>10} rows");
    }
    match verify_chain(&to).await {
        Ok(n) => {
            println!(
                "migrated to {} in {:.1} s; audit chain intact on the target: {n} records verified",
                SecretUrl::new(a.to.as_str()),
                started.elapsed().as_secs_f64()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("audit chain BROKEN on the target: {e}");
            Ok(ExitCode::FAILURE)
        }
    }
}
