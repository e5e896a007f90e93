//! What the benchmark programs share: the backends they run on.
//!
//! Every benchmark runs on the embedded SQLite and, when PostgreSQL server
//! binaries are installed (or `BENCH_POSTGRES` names a server), on a
//! throwaway PostgreSQL cluster started for the run (scripts/pg-cluster;
//! fsync off — the same for pubdata and its baseline), printing each
//! backend's figures side by side.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

pub mod load;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/pg-cluster");

/// A PostgreSQL server for one benchmark run.
pub struct PgServer {
    /// `postgres://USER@HOST:PORT/postgres`.
    pub url: String,
    /// The cluster's directory when this run started it (stopped on drop).
    cluster: Option<tempfile::TempDir>,
    next: std::cell::Cell<u32>,
}

impl PgServer {
    /// `BENCH_POSTGRES`, else a throwaway cluster; `None` when neither is
    /// possible (no server binaries) or `BENCH_POSTGRES=skip`.
    pub fn start() -> Option<PgServer> {
        match std::env::var("BENCH_POSTGRES") {
            Ok(s) if s == "skip" => return None,
            Ok(url) if !url.is_empty() => {
                return Some(PgServer {
                    url,
                    cluster: None,
                    next: 0.into(),
                });
            }
            _ => {}
        }
        let dir = tempfile::tempdir().ok()?;
        std::fs::set_permissions(
            dir.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .ok()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let out = Command::new(SCRIPT)
            .args([
                "start",
                &dir.path().join("data").to_string_lossy(),
                &port.to_string(),
            ])
            .output()
            .ok()?;
        if !out.status.success() {
            eprintln!(
                "no PostgreSQL for this run: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
            return None;
        }
        Some(PgServer {
            url: String::from_utf8_lossy(&out.stdout).trim().to_string(),
            cluster: Some(dir),
            next: 0.into(),
        })
    }

    /// A new empty database on the server; its URL.
    pub fn database(&self, label: &str) -> anyhow::Result<String> {
        let n = self.next.get();
        self.next.set(n + 1);
        let name = format!("bench_{label}_{}_{n}", std::process::id());
        let out = Command::new("psql")
            .args([&self.url, "-qc", &format!("CREATE DATABASE {name}")])
            .output()?;
        anyhow::ensure!(
            out.status.success(),
            "CREATE DATABASE: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let base = self
            .url
            .rsplit_once('/')
            .map(|(b, _)| b)
            .unwrap_or(&self.url);
        Ok(format!("{base}/{name}"))
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        if let Some(dir) = &self.cluster {
            let _ = Command::new(SCRIPT)
                .args(["stop", &dir.path().join("data").to_string_lossy()])
                .output();
        }
    }
}

/// The databases one benchmark runs on: (backend name, URL).
pub fn databases(
    dir: &std::path::Path,
    pg: Option<&PgServer>,
    label: &str,
) -> anyhow::Result<Vec<(&'static str, String)>> {
    let mut v = vec![(
        "sqlite",
        format!("sqlite://{}", dir.join(format!("{label}.db")).display()),
    )];
    if let Some(pg) = pg {
        v.push(("postgres", pg.database(label)?));
    }
    Ok(v)
}

/// The `pubdata` binary built beside this benchmark (target/release/pubdata).
pub fn pubdata_bin() -> std::path::PathBuf {
    let here = std::env::current_exe().expect("exe");
    here.parent().expect("dir").join("pubdata")
}

/// Runs a command, polling its peak resident memory (VmHWM); returns (seconds, peak KiB).
pub fn run_measured(cmd: &mut Command) -> anyhow::Result<(f64, u64)> {
    let start = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("spawn")?;
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(s) = std::fs::read_to_string(&status_path)
            && let Some(line) = s.lines().find(|l| l.starts_with("VmHWM:"))
        {
            peak = peak.max(
                line.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0),
            );
        }
        if let Some(status) = child.try_wait()? {
            let out = child.wait_with_output()?;
            if !status.success() {
                bail!(
                    "{:?} failed: {}{}",
                    cmd,
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            if std::env::var_os("BENCH_VERBOSE").is_some() {
                eprint!("{}", String::from_utf8_lossy(&out.stderr));
            }
            return Ok((start.elapsed().as_secs_f64(), peak));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
