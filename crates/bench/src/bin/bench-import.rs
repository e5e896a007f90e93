//! Benchmark: loading a population CSV (10 columns, 身份证号 check-digit rule
//! on) with `pubdata import` against the `sqlite3` command line's `.import`
//! of the same file into a plain table, in the same run; on PostgreSQL,
//! `pubdata import` against `psql \copy` of the same file into a plain table
//! on the same server. Then a larger file through `pubdata import` for its
//! peak memory (loads stream).
//!
//!     cargo build --release --bin pubdata
//!     cargo run --release -p pubdata-bench --bin bench-import [-- ROWS BIG_ROWS]
//!
//! BENCH_ROUNDS (default 3): SQLite rounds, alternating sides, medians
//! compared; BENCH_KEEP=1 keeps the files.
//!
//! Needs `sqlite3` on PATH and target/release/pubdata; for the PostgreSQL
//! part `psql` and server binaries (or BENCH_POSTGRES=URL; =skip to skip).

use std::process::Command;
use std::time::Instant;

use anyhow::bail;
use pubdata_bench::{pubdata_bin, run_measured};
use pubdata_service::App;
use pubdata_service::ingest::{ColumnInput, CreateDataset};
use pubdata_store::SessionKind;

async fn prepare(db: &str) -> anyhow::Result<i64> {
    let app = App::new(pubdata_store::open(db).await?).await?;
    app.seed_demo_world().await?;
    let (t, _) = app
        .login("qy-gaj", "demo-password", SessionKind::Bearer, None)
        .await?;
    let gaj = app.authenticate(&t, None).await?;
    let (t, _) = app
        .login("qy-sjj", "demo-password", SessionKind::Bearer, None)
        .await?;
    let sjj = app.authenticate(&t, None).await?;
    let entry: pubdata_service::catalog::EntryInput = serde_json::from_value(serde_json::json!({
        "name": "人口基础信息", "summary": "基准测试", "classification": "101", "data_form": "database",
        "items": [{"name": "公民身份号码", "data_type": "string", "personal": true}],
        "share_type": "conditional", "share_conditions": "核验", "share_basis": "法律", "share_modes": ["api"],
        "open_attribute": "none", "open_clauses": ["privacy_without_consent"], "open_grounds": "个人信息", "open_basis": "《中华人民共和国个人信息保护法》", "update_frequency": "daily"
    }))?;
    let e = app.create_entry(&gaj, entry).await?;
    app.submit_entry(&gaj, e.entry.id).await?;
    app.review_entry(
        &sjj,
        e.entry.id,
        serde_json::from_value(serde_json::json!({"decision": "approve"}))?,
    )
    .await?;
    let col = |name: &str, t: &str, checks: &[&str]| -> anyhow::Result<ColumnInput> {
        Ok(serde_json::from_value(
            serde_json::json!({"name": name, "type": t, "checks": checks}),
        )?)
    };
    let columns = vec![
        col("公民身份号码", "string", &["id_card"])?,
        col("姓名", "string", &[])?,
        col("性别", "string", &[])?,
        col("出生日期", "date", &[])?,
        col("民族", "string", &[])?,
        col("户籍地址", "string", &[])?,
        col("联系电话", "string", &[])?,
        col("所属区县", "string", &[])?,
        col("登记日期", "date", &[])?,
        col("婚姻状况", "string", &[])?,
    ];
    let d = app
        .create_dataset(
            &gaj,
            CreateDataset {
                entry_id: e.entry.id,
                name: "人口".into(),
                columns,
                key: vec!["公民身份号码".into()],
            },
        )
        .await?;
    Ok(d.id)
}

/// A population CSV of `rows` rows at `path`.
fn write_csv(path: &std::path::Path, rows: u64, seed: u64) -> anyhow::Result<()> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    pubdata_service::demo::synth::write_population(&mut f, rows, seed)?;
    std::io::Write::flush(&mut f)?;
    Ok(())
}

/// Flushes written pages to disk, so that the next timed run starts clean.
fn sync() -> anyhow::Result<()> {
    anyhow::ensure!(Command::new("sync").status()?.success(), "sync failed");
    Ok(())
}

fn median(runs: &mut [f64]) -> f64 {
    runs.sort_by(f64::total_cmp);
    runs[runs.len() / 2]
}

fn main() -> anyhow::Result<()> {
    let rows: u64 = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let big: u64 = std::env::args()
        .nth(2)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(10_000_000);
    let bin = pubdata_bin();
    if !bin.exists() {
        bail!("build the binary first: cargo build --release --bin pubdata");
    }
    let dir = tempfile::tempdir()?;
    // BENCH_KEEP=1 keeps the files (CSV, databases) for profiling a load.
    if std::env::var_os("BENCH_KEEP").is_some() {
        println!("bench-import: files kept in {}", dir.path().display());
    }
    let csv = dir.path().join("population.csv");
    let t = Instant::now();
    write_csv(&csv, rows, 1)?;
    println!(
        "bench-import: {rows} rows, {:.0} MiB CSV generated in {:.1} s",
        std::fs::metadata(&csv)?.len() as f64 / 1048576.0,
        t.elapsed().as_secs_f64()
    );

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let db = format!("sqlite://{}", dir.path().join("pubdata.db").display());
    let id = rt.block_on(prepare(&db))?;
    // The prepared database (an empty dataset), copied for each round.
    let prepared = dir.path().join("prepared.db");
    let out = Command::new("sqlite3")
        .arg(dir.path().join("pubdata.db"))
        .arg(".timeout 30000")
        .arg(format!(".backup {}", prepared.display()))
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Rounds alternate the two sides; each starts after `sync`, so neither
    // pays for the other's pages still being written back. Medians count.
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3)
        .max(1);
    let (mut sqlite_runs, mut pubdata_runs, mut peak) = (vec![], vec![], 0);
    for round in 0..rounds {
        let plain = dir.path().join("plain.db");
        let _ = std::fs::remove_file(&plain);
        sync()?;
        let (s, _) = run_measured(
            Command::new("sqlite3")
                .arg(&plain)
                .arg(".mode csv")
                .arg(format!(".import {} t", csv.display())),
        )?;
        sqlite_runs.push(s);
        let file = dir.path().join(format!("round{round}.db"));
        std::fs::copy(&prepared, &file)?;
        sync()?;
        let (s, p) = run_measured(
            Command::new(&bin)
                .args([
                    "import",
                    "--quiet",
                    "--dataset",
                    &id.to_string(),
                    "--database",
                ])
                .arg(format!("sqlite://{}", file.display()))
                .arg(&csv),
        )?;
        pubdata_runs.push(s);
        peak = peak.max(p);
        println!(
            "sqlite: round {}: sqlite3 .import {:.2} s, pubdata import {s:.2} s",
            round + 1,
            sqlite_runs[round]
        );
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
        }
    }
    let (sqlite_s, pubdata_s) = (median(&mut sqlite_runs), median(&mut pubdata_runs));
    let (sq_rate, pd_rate) = (rows as f64 / sqlite_s, rows as f64 / pubdata_s);
    println!(
        "sqlite: sqlite3 .import (plain table):             {sqlite_s:8.2} s  {sq_rate:>10.0} rows/s (median of {rounds})"
    );
    println!(
        "sqlite: pubdata import (checked, versioned, keyed): {pubdata_s:8.2} s  {pd_rate:>10.0} rows/s  peak {} MiB (median of {rounds})",
        peak / 1024
    );
    println!(
        "sqlite: ratio pubdata/sqlite3 rows/s: {:.2} (target >= 1.0) {}",
        pd_rate / sq_rate,
        if pd_rate >= sq_rate {
            "PASS"
        } else {
            "BELOW TARGET"
        }
    );

    if let Some(pg) = pubdata_bench::PgServer::start() {
        let db = pg.database("import")?;
        let id = rt.block_on(prepare(&db))?;
        let plain = pg.database("plain")?;
        let cols: Vec<String> = (1..=10).map(|i| format!("c{i} text")).collect();
        let out = Command::new("psql")
            .args([
                &plain,
                "-qc",
                &format!("CREATE TABLE t ({})", cols.join(", ")),
            ])
            .output()?;
        anyhow::ensure!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        sync()?;
        let (copy_s, _) = run_measured(Command::new("psql").args([
            &plain,
            "-qc",
            &format!(
                "\\copy t FROM '{}' WITH (FORMAT csv, HEADER true)",
                csv.display()
            ),
        ]))?;
        sync()?;
        let (pubdata_s, peak) = run_measured(
            Command::new(&bin)
                .args([
                    "import",
                    "--quiet",
                    "--dataset",
                    &id.to_string(),
                    "--database",
                    &db,
                ])
                .arg(&csv),
        )?;
        let (cp_rate, pd_rate) = (rows as f64 / copy_s, rows as f64 / pubdata_s);
        println!(
            "postgres: psql \\copy (plain table):         {copy_s:8.2} s  {cp_rate:>10.0} rows/s"
        );
        println!(
            "postgres: pubdata import (checked, versioned): {pubdata_s:8.2} s  {pd_rate:>10.0} rows/s  peak {} MiB",
            peak / 1024
        );
        println!(
            "postgres: ratio pubdata/psql-copy rows/s: {:.2} (target >= 0.8) {}",
            pd_rate / cp_rate,
            if pd_rate >= 0.8 * cp_rate {
                "PASS"
            } else {
                "BELOW TARGET"
            }
        );
    }

    if big > 0 {
        let csv = dir.path().join("big.csv");
        write_csv(&csv, big, 2)?;
        let db = format!("sqlite://{}", dir.path().join("big.db").display());
        let id = rt.block_on(prepare(&db))?;
        sync()?;
        let (secs, peak) = run_measured(
            Command::new(&bin)
                .args([
                    "import",
                    "--quiet",
                    "--dataset",
                    &id.to_string(),
                    "--database",
                    &db,
                ])
                .arg(&csv),
        )?;
        let mib = peak as f64 / 1024.0;
        println!("pubdata import of {big} rows: {secs:.1} s, peak memory {mib:.0} MiB");
        println!(
            "ratio peak/300 MiB: {:.2} (target < 1.0) {}",
            mib / 300.0,
            if mib < 300.0 { "PASS" } else { "OVER TARGET" }
        );
    }
    if std::env::var_os("BENCH_KEEP").is_some() {
        let _ = dir.keep();
    }
    Ok(())
}
