//! `pubdata`: the one binary of the platform. One file per subcommand under `cmd/`.

use clap::{Parser, Subcommand};

mod cmd;

/// 一网共享平台 — the public data sharing platform.
#[derive(Parser)]
#[command(name = "pubdata", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the platform (creates and migrates the database on first start).
    Serve(cmd::serve::ServeArgs),
    /// Serve with the demo world seeded (demo accounts use password `demo-password`).
    Demo(cmd::serve::ServeArgs),
    /// Working-day arithmetic on the official calendar.
    #[command(subcommand)]
    Calendar(cmd::calendar::CalendarCmd),
    /// The audit chain.
    #[command(subcommand)]
    Audit(cmd::audit::AuditCmd),
    /// Load a file into a dataset (all or nothing), with a progress line.
    Import(cmd::import::ImportArgs),
    /// Deterministic synthetic data (CSV) for demos and benchmarks.
    #[command(subcommand)]
    Generate(cmd::generate::GenerateCmd),
    /// Copy a whole platform from SQLite to PostgreSQL, audit chain verified.
    MigrateStore(cmd::migrate::MigrateArgs),
    /// Create the key pair for encrypted backups: prints the public key,
    /// writes the secret key to a file that belongs off the backup host.
    BackupKeygen(cmd::backup::KeygenArgs),
    /// Create the audit checkpoint signing key (审计检查点): writes the key
    /// file, prints its public key.
    CheckpointKeygen(cmd::audit::KeygenArgs),
    /// Write an encrypted, checksummed snapshot of the whole platform.
    Backup(cmd::backup::BackupArgs),
    /// Restore a backup into a fresh, empty platform and verify it.
    Restore(cmd::backup::RestoreArgs),
    /// User administration from the command line (first administrator).
    #[command(subcommand)]
    User(cmd::user::UserCmd),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let result = rt.block_on(async move {
        match cli.command {
            Command::Serve(a) => cmd::serve::run(a, false).await,
            Command::Demo(a) => cmd::serve::run(a, true).await,
            Command::Calendar(c) => cmd::calendar::run(c).await,
            Command::Audit(c) => cmd::audit::run(c).await,
            Command::User(c) => cmd::user::run(c).await,
            Command::Import(a) => cmd::import::run(a).await,
            Command::Generate(c) => cmd::generate::run(c).await,
            Command::MigrateStore(a) => cmd::migrate::run(a).await,
            Command::BackupKeygen(a) => cmd::backup::keygen(a).await,
            Command::CheckpointKeygen(a) => cmd::audit::keygen(a).await,
            Command::Backup(a) => cmd::backup::run_backup(a).await,
            Command::Restore(a) => cmd::backup::run_restore(a).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
