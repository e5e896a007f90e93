//! The load generator the benchmark programs share: child processes that
//! are killed when dropped, keep-alive HTTP/1.1 connections on loopback, a
//! target's prepared requests driven by N connections for a fixed time
//! (latency percentiles of good answers, errors, the server's CPU time and
//! context switches per answer from /proc), and datasette started on an
//! immutable copy of a SQLite file as the baseline.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;

/// `_to` of current rows.
pub const OPEN: i64 = i64::MAX;
/// Seconds of load before each measured run.
pub const WARMUP: f64 = 2.0;

pub fn pubdata_bin() -> PathBuf {
    let here = std::env::current_exe().expect("exe");
    here.parent().expect("dir").join("pubdata")
}

/// A child process, killed when dropped.
pub struct Proc {
    pub child: Child,
    pub name: &'static str,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `cmd` (stdout piped, stderr to `log`) and waits for a stdout line
/// starting with `prefix`; returns the process and the rest of the line.
pub fn spawn_waiting(
    mut cmd: Command,
    name: &'static str,
    log: &Path,
    prefix: &str,
    timeout: Duration,
) -> anyhow::Result<(Proc, String)> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log)?)
        .spawn()
        .with_context(|| format!("spawn {name}"))?;
    let stdout = child.stdout.take().expect("piped");
    let proc = Proc { child, name };
    let (tx, rx) = std::sync::mpsc::channel();
    let wanted = prefix.to_string();
    // Drains stdout for the process's whole life (a closed pipe would fail
    // its later prints).
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.strip_prefix(&wanted)
                && let Some(tx) = tx.take()
            {
                let _ = tx.send(rest.trim().to_string());
            }
        }
    });
    match rx.recv_timeout(timeout) {
        Ok(rest) => Ok((proc, rest)),
        Err(_) => {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(15).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            bail!(
                "{} did not start (no `{prefix}` line):\n{}",
                proc.name,
                tail.join("\n")
            )
        }
    }
}

/// Starts a pubdata server command (`serve` or `demo` with `--listen
/// 127.0.0.1:0`) and waits for its `pubdata listening on` line: the process,
/// its address and its pid.
pub fn start_pubdata(
    cmd: Command,
    name: &'static str,
    log: &Path,
    timeout: Duration,
) -> anyhow::Result<(Proc, SocketAddr, u32)> {
    let (p, url) = spawn_waiting(cmd, name, log, "pubdata listening on ", timeout)?;
    let pid = p.child.id();
    Ok((p, addr_of(&url)?, pid))
}

/// A benchmark's `[SECONDS CONNECTIONS ROWS]` after the program's name;
/// defaults 10 s, 64 connections, 1,000,000 rows.
pub fn seconds_connections_rows(args: &[String]) -> anyhow::Result<(f64, usize, u64)> {
    Ok((
        args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(10.0),
        args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(64),
        args.get(3)
            .map(|s| s.parse())
            .transpose()?
            .unwrap_or(1_000_000),
    ))
}

pub fn addr_of(url: &str) -> anyhow::Result<SocketAddr> {
    url.trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .with_context(|| format!("address in {url}"))
}

pub async fn connect(addr: SocketAddr) -> anyhow::Result<SendRequest<Full<Bytes>>> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    Ok(sender)
}

/// One request for setting up: (status, JSON body or Null).
pub async fn call(
    addr: SocketAddr,
    method: &str,
    path: &str,
    auth: Option<&str>,
    body: Option<serde_json::Value>,
) -> anyhow::Result<(u16, serde_json::Value)> {
    let mut sender = connect(addr).await?;
    let mut req = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", addr.to_string());
    if let Some(a) = auth {
        req = req.header("authorization", format!("Bearer {a}"));
    }
    if body.is_some() {
        req = req.header("content-type", "application/json");
    }
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let res = sender
        .send_request(req.body(Full::new(Bytes::from(body)))?)
        .await?;
    let status = res.status().as_u16();
    let bytes = res.into_body().collect().await?.to_bytes();
    Ok((
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    ))
}

/// Signs in as the demo account `user`: its session token.
/// Signs in as `user`. A 503 (on SQLite: a background job of the freshly
/// seeded demo — a derivative's refresh of a million rows — holds the write
/// lock past the busy timeout) is retried for up to ten minutes, so the
/// measurement starts once the server is done with it.
pub async fn login(addr: SocketAddr, user: &str) -> anyhow::Result<String> {
    let started = Instant::now();
    loop {
        let (st, v) = call(
            addr,
            "POST",
            "/api/v1/auth/login",
            None,
            Some(serde_json::json!({"username": user, "password": "demo-password"})),
        )
        .await?;
        if st == 503 && started.elapsed() < Duration::from_secs(600) {
            tokio::time::sleep(Duration::from_secs(2)).await;
            continue;
        }
        anyhow::ensure!(st == 200, "login {user}: {st} {v}");
        if started.elapsed() > Duration::from_secs(2) {
            println!(
                "  (login of {user} waited {:.0} s for the server's background jobs: 503 until then)",
                started.elapsed().as_secs_f64()
            );
        }
        return Ok(v["token"].as_str().context("token")?.to_string());
    }
}

/// `%XX` for every byte outside the unreserved set.
pub fn pct(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// One prepared request of a target.
pub struct Req {
    pub path: String,
    pub body: Bytes,
}

/// A target of the load: where, how, and what a good answer contains.
pub struct Target {
    pub label: String,
    pub addr: SocketAddr,
    pub method: hyper::Method,
    pub auth: Option<String>,
    pub reqs: Arc<Vec<Req>>,
    pub expect: &'static [u8],
    /// The serving process, for its CPU time and context switches.
    pub pid: u32,
}

impl Target {
    /// Anonymous GETs of `paths` (one drawn at random per request).
    pub fn get(
        label: String,
        addr: SocketAddr,
        pid: u32,
        paths: impl IntoIterator<Item = String>,
        expect: &'static [u8],
    ) -> Target {
        Target {
            label,
            addr,
            method: hyper::Method::GET,
            auth: None,
            reqs: Arc::new(
                paths
                    .into_iter()
                    .map(|path| Req {
                        path,
                        body: Bytes::new(),
                    })
                    .collect(),
            ),
            expect,
            pid,
        }
    }
}

#[derive(Debug, Default)]
pub struct Stats {
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub ok: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    /// The server's CPU time (user + system) per good answer, µs.
    pub cpu_us: f64,
    /// The server's context switches (all threads) per good answer.
    pub switches: f64,
}

/// A process's (CPU seconds, context switches) so far, from /proc.
pub fn usage(pid: u32) -> (f64, u64) {
    // utime and stime: fields 14 and 15, after the parenthesised name.
    let cpu = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            let rest = s.rsplit_once(')')?.1.split_whitespace().collect::<Vec<_>>();
            Some(rest.get(11)?.parse::<f64>().ok()? + rest.get(12)?.parse::<f64>().ok()?)
        })
        .unwrap_or(0.0)
        / 100.0;
    let mut switches = 0;
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for t in tasks.flatten() {
            let status = std::fs::read_to_string(t.path().join("status")).unwrap_or_default();
            switches += status
                .lines()
                .filter(|l| l.contains("ctxt_switches:"))
                .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
                .sum::<u64>();
        }
    }
    (cpu, switches)
}

/// `PASS` when a target is met, else `miss` (`BELOW TARGET`, `OVER TARGET`).
pub fn verdict(met: bool, miss: &'static str) -> &'static str {
    if met { "PASS" } else { miss }
}

/// Waits for the machine to settle before a measurement: flushes dirty
/// file pages to disk (`sync`) and waits until the kernel has fewer than
/// 64 MiB left dirty or in writeback (at most 60 s), so that the first
/// target does not share the cores with the writeback of the demo's
/// 1,000,000-row loads. Prints what it waited for (in the runs of
/// 2026-12-05 there was nothing left: 0.0 s).
pub fn settle() {
    let t0 = Instant::now();
    let _ = Command::new("sync").status();
    let dirty_kib = || -> u64 {
        std::fs::read_to_string("/proc/meminfo")
            .unwrap_or_default()
            .lines()
            .filter(|l| l.starts_with("Dirty:") || l.starts_with("Writeback:"))
            .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            .sum()
    };
    while dirty_kib() > 64 * 1024 && t0.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(200));
    }
    println!(
        "  settled in {:.1} s (sync; {} MiB dirty or in writeback); load average {}",
        t0.elapsed().as_secs_f64(),
        dirty_kib() / 1024,
        loadavg()
    );
}

pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

impl Stats {
    pub fn line(&self) -> String {
        let mut s = format!(
            "{:>8.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms  errors {}  server {:>4.0} µs CPU, {:>4.1} switches /req",
            self.rps, self.p50_ms, self.p99_ms, self.errors, self.cpu_us, self.switches
        );
        if let Some(e) = &self.first_error {
            s.push_str(&format!(" (first: {e})"));
        }
        s
    }
}

/// xorshift64*: the load's key choice; no need for more.
pub struct Rng(pub u64);

impl Rng {
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// Drives `conns` keep-alive connections at `t` for `secs` seconds.
/// Latencies are those of good answers; any other answer is an error.
pub async fn load(t: &Target, secs: f64, conns: usize) -> anyhow::Result<Stats> {
    let before = usage(t.pid);
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(secs);
    let host = hyper::header::HeaderValue::from_str(&t.addr.to_string())?;
    let auth = t
        .auth
        .as_ref()
        .map(|a| hyper::header::HeaderValue::from_str(&format!("Bearer {a}")))
        .transpose()?;
    let mut tasks = Vec::new();
    for i in 0..conns {
        let (addr, method, reqs, expect) = (t.addr, t.method.clone(), t.reqs.clone(), t.expect);
        let (host, auth) = (host.clone(), auth.clone());
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (i as u64 + 1).wrapping_mul(0xBF58_476D));
            let mut lat: Vec<u32> = Vec::with_capacity(1 << 14);
            let (mut errors, mut first_error) = (0u64, None::<String>);
            let mut sender = None;
            while Instant::now() < deadline {
                let s = match &mut sender {
                    Some(s) => s,
                    None => match connect(addr).await {
                        Ok(s) => sender.insert(s),
                        Err(e) => {
                            errors += 1;
                            first_error.get_or_insert_with(|| format!("connect: {e}"));
                            tokio::time::sleep(Duration::from_millis(10)).await;
                            continue;
                        }
                    },
                };
                let r = &reqs[(rng.next() % reqs.len() as u64) as usize];
                let mut req = hyper::Request::builder()
                    .method(method.clone())
                    .uri(r.path.as_str())
                    .header(hyper::header::HOST, host.clone());
                if let Some(a) = &auth {
                    req = req.header(hyper::header::AUTHORIZATION, a.clone());
                }
                if !r.body.is_empty() {
                    req = req.header(hyper::header::CONTENT_TYPE, "application/json");
                }
                let req = req.body(Full::new(r.body.clone()))?;
                let sent = Instant::now();
                let answer = match s.send_request(req).await {
                    Ok(res) => {
                        let status = res.status();
                        res.into_body()
                            .collect()
                            .await
                            .map(|b| (status, b.to_bytes()))
                            .map_err(|e| e.to_string())
                    }
                    Err(e) => Err(e.to_string()),
                };
                match answer {
                    Ok((status, body)) if status == 200 && contains(&body, expect) => {
                        lat.push(sent.elapsed().as_micros().min(u32::MAX as u128) as u32);
                    }
                    Ok((status, body)) => {
                        errors += 1;
                        first_error.get_or_insert_with(|| {
                            let text = String::from_utf8_lossy(&body);
                            format!("{status}: {}", text.chars().take(160).collect::<String>())
                        });
                    }
                    Err(e) => {
                        errors += 1;
                        first_error.get_or_insert(e);
                        sender = None;
                    }
                }
            }
            anyhow::Ok((lat, errors, first_error))
        }));
    }
    let mut all: Vec<u32> = Vec::new();
    let mut stats = Stats::default();
    for task in tasks {
        let (lat, errors, first) = task.await??;
        all.extend(lat);
        stats.errors += errors;
        if stats.first_error.is_none() {
            stats.first_error = first;
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let after = usage(t.pid);
    let n = all.len().max(1) as f64;
    stats.cpu_us = (after.0 - before.0) * 1e6 / n;
    stats.switches = after.1.saturating_sub(before.1) as f64 / n;
    all.sort_unstable();
    let pct = |p: f64| -> f64 {
        if all.is_empty() {
            return f64::NAN;
        }
        all[((all.len() - 1) as f64 * p).round() as usize] as f64 / 1000.0
    };
    stats.ok = all.len() as u64;
    stats.rps = all.len() as f64 / elapsed;
    stats.p50_ms = pct(0.50);
    stats.p99_ms = pct(0.99);
    Ok(stats)
}

/// Warm-up, then the measured run; prints and returns the figures. Then,
/// for the latency of one request on an idle server, a short run on one
/// connection.
pub async fn measure(backend: &str, t: &Target, secs: f64, conns: usize) -> anyhow::Result<Stats> {
    load(t, WARMUP, conns).await?;
    let s = load(t, secs, conns).await?;
    println!("{backend}: {:<58} {}", t.label, s.line());
    let one = load(t, WARMUP, 1).await?;
    println!(
        "{backend}:   one connection: {:>6.0} req/s  p50 {:.2} ms  p99 {:.2} ms  errors {}",
        one.rps, one.p50_ms, one.p99_ms, one.errors
    );
    Ok(s)
}

/// Whether `datasette` is on PATH.
pub fn datasette_installed() -> bool {
    Command::new("datasette")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// datasette serving `copy` — a `VACUUM INTO` copy of `db` (the live
/// file's WAL is not checkpointed: `-i` on it would miss rows), after
/// `prepare` ran on it (e.g. to give datasette the index pubdata has) —
/// immutable (`-i`) on a free loopback port with `args` added to
/// `datasette serve`, once it answers. The database's name in datasette's
/// URLs is `copy`'s file stem.
pub async fn start_datasette(
    db: &Path,
    copy: &Path,
    log: &Path,
    prepare: impl FnOnce(&rusqlite::Connection) -> anyhow::Result<()>,
    args: &[String],
) -> anyhow::Result<(Proc, SocketAddr, u32)> {
    let _ = std::fs::remove_file(copy);
    rusqlite::Connection::open(db)?.execute("VACUUM INTO ?1", [copy.display().to_string()])?;
    {
        let c = rusqlite::Connection::open(copy)?;
        prepare(&c)?;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let child = Command::new("datasette")
        .args(["serve", "-i"])
        .arg(copy)
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log)?)
        .spawn()
        .context("spawn datasette")?;
    let pid = child.id();
    let p = Proc {
        child,
        name: "datasette",
    };
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let t = Instant::now();
    loop {
        if let Ok((200, _)) = call(addr, "GET", "/-/versions.json", None, None).await {
            break;
        }
        if t.elapsed() > Duration::from_secs(60) {
            bail!(
                "datasette did not start: {}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok((p, addr, pid))
}
