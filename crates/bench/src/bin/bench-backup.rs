//! Benchmark: `pubdata backup` and `pubdata restore` (SEC-1) of the
//! 100,000-person demo against the database's own tools on the same
//! database in the same run: on SQLite `sqlite3 .backup` and `.restore`, on
//! PostgreSQL `pg_dump -Fc` and `pg_restore`. Throughput is the live
//! database's size (SQLite file; `pg_database_size`) over the wall time.
//!
//!     cargo build --release --bin pubdata
//!     cargo run --release -p pubdata-bench --bin bench-backup [-- POPULATION]
//!
//! The baselines copy pages (SQLite) or write an unencrypted dump
//! (PostgreSQL); `pubdata backup` reads every table in one consistent
//! transaction, writes a manifest with each part's SHA-256, encrypts to an
//! age public key and writes the checksum file; `pubdata restore` decrypts,
//! checks every part, loads every table and verifies the audit chain.
//!
//! Needs `sqlite3` and target/release/pubdata; for PostgreSQL `psql`,
//! `pg_dump`, `pg_restore` and server binaries (or BENCH_POSTGRES=URL;
//! =skip to skip).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use pubdata_bench::{PgServer, pubdata_bin, run_measured};
use pubdata_service::App;
use pubdata_service::demo::DemoSize;

async fn seed(db: &str, population: u64) -> anyhow::Result<()> {
    let app = App::new(pubdata_store::open(db).await?).await?;
    app.seed_demo_sized(DemoSize {
        population,
        enterprises: population / 5,
    })
    .await?;
    Ok(())
}

fn output(cmd: &mut Command) -> anyhow::Result<String> {
    let out = cmd.output().with_context(|| format!("{cmd:?}"))?;
    if !out.status.success() {
        bail!("{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).to_string())
}

/// The live database's size in bytes.
fn size_of(backend: &str, url: &str) -> anyhow::Result<u64> {
    if backend == "sqlite" {
        let path = url.trim_start_matches("sqlite://");
        let mut n = std::fs::metadata(path)?.len();
        if let Ok(m) = std::fs::metadata(format!("{path}-wal")) {
            n += m.len();
        }
        Ok(n)
    } else {
        Ok(output(Command::new("psql").args([
            url,
            "-Atqc",
            "SELECT pg_database_size(current_database())",
        ]))?
        .trim()
        .parse()?)
    }
}

/// The one `*.backup.age` file in `dir`.
fn backup_file(dir: &Path) -> anyhow::Result<PathBuf> {
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        if p.to_string_lossy().ends_with(".backup.age") {
            return Ok(p);
        }
    }
    bail!("no backup file in {}", dir.display())
}

fn line(backend: &str, what: &str, secs: f64, bytes: u64) {
    println!(
        "{backend}: {what:<48} {secs:8.2} s  {:8.1} MiB/s",
        bytes as f64 / 1048576.0 / secs
    );
}

fn main() -> anyhow::Result<()> {
    let population: u64 = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(100_000);
    let bin = pubdata_bin();
    if !bin.exists() {
        bail!("build the binary first: cargo build --release --bin pubdata");
    }
    let dir = tempfile::tempdir()?;
    let key = dir.path().join("backup.key");
    let keygen = output(
        Command::new(&bin)
            .args(["backup-keygen", "--secret-out"])
            .arg(&key),
    )?;
    let recipient = keygen
        .split_whitespace()
        .find(|w| w.starts_with("age1"))
        .context("backup-keygen prints the public key")?
        .to_string();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let pg = PgServer::start();
    for (backend, db) in pubdata_bench::databases(dir.path(), pg.as_ref(), "backup")? {
        let t = std::time::Instant::now();
        rt.block_on(seed(&db, population))?;
        let bytes = size_of(backend, &db)?;
        println!(
            "{backend}: demo of {population} persons seeded in {:.1} s, {:.1} MiB",
            t.elapsed().as_secs_f64(),
            bytes as f64 / 1048576.0
        );

        // Baselines: the database's own backup and restore.
        let (base_backup, base_restore, base_label) = if backend == "sqlite" {
            let copy = dir.path().join("sqlite3-copy.db");
            let src = db.trim_start_matches("sqlite://");
            let (b, _) = run_measured(
                Command::new("sqlite3")
                    .arg(src)
                    .arg(format!(".backup {}", copy.display())),
            )?;
            let fresh = dir.path().join("sqlite3-restored.db");
            let (r, _) = run_measured(
                Command::new("sqlite3")
                    .arg(&fresh)
                    .arg(format!(".restore {}", copy.display())),
            )?;
            (b, r, ("sqlite3 .backup", "sqlite3 .restore"))
        } else {
            let dump = dir.path().join("pg.dump");
            let (b, _) = run_measured(
                Command::new("pg_dump")
                    .args(["-Fc", "-f"])
                    .arg(&dump)
                    .arg(&db),
            )?;
            let fresh = pg.as_ref().expect("server").database("pgrestore")?;
            let (r, _) = run_measured(
                Command::new("pg_restore")
                    .args(["--no-owner", "-d", &fresh])
                    .arg(&dump),
            )?;
            (b, r, ("pg_dump -Fc", "pg_restore"))
        };

        let to = dir.path().join(format!("backups-{backend}"));
        std::fs::create_dir_all(&to)?;
        let (backup_s, backup_peak) = run_measured(
            Command::new(&bin)
                .args([
                    "backup",
                    "--database",
                    &db,
                    "--recipient",
                    &recipient,
                    "--to",
                ])
                .arg(&to),
        )?;
        let file = backup_file(&to)?;
        let written = std::fs::metadata(&file)?.len();
        let fresh = match backend {
            "sqlite" => format!(
                "sqlite://{}",
                dir.path().join("pubdata-restored.db").display()
            ),
            _ => pg.as_ref().expect("server").database("restore")?,
        };
        let (restore_s, restore_peak) = run_measured(
            Command::new(&bin)
                .args(["restore", "--database", &fresh, "--identity"])
                .arg(&key)
                .arg(&file),
        )?;

        line(backend, base_label.0, base_backup, bytes);
        line(
            backend,
            "pubdata backup (consistent, checksummed, age)",
            backup_s,
            bytes,
        );
        line(backend, base_label.1, base_restore, bytes);
        line(
            backend,
            "pubdata restore (verified, audit chain checked)",
            restore_s,
            bytes,
        );
        println!(
            "{backend}: backup file {:.1} MiB; peak memory backup {} MiB, restore {} MiB",
            written as f64 / 1048576.0,
            backup_peak / 1024,
            restore_peak / 1024
        );
        println!(
            "{backend}: ratio pubdata/{} throughput: backup {:.2}, restore {:.2}",
            base_label.0,
            base_backup / backup_s,
            base_restore / restore_s
        );
    }
    Ok(())
}
