//! Benchmark: authenticated `GET /api/v1/me` through pubdata's full
//! middleware stack (auth, policy, request logging, metrics, security
//! headers) against a bare axum route that returns the same bytes, measured
//! side by side in the same process and run. Prints requests/s of both and
//! the ratio (target ≥ 0.5).
//!
//! Runs on SQLite, then on PostgreSQL when available (see pubdata_bench).
//!
//!     cargo run --release -p pubdata-bench --bin bench-me [-- SECONDS CONNECTIONS]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use pubdata_service::App;
use pubdata_store::SessionKind;

/// Drives `conns` keep-alive connections for `secs` seconds; returns requests/s.
async fn load(
    addr: SocketAddr,
    token: &str,
    secs: f64,
    conns: usize,
    expect: &Bytes,
) -> anyhow::Result<f64> {
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let done = done.clone();
        let auth = format!("Bearer {token}");
        let expect = expect.clone();
        tasks.push(tokio::spawn(async move {
            let stream = tokio::net::TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            let (mut sender, conn) =
                hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(conn);
            while Instant::now() < deadline {
                let req = hyper::Request::get("/api/v1/me")
                    .header("host", addr.to_string())
                    .header("authorization", &auth)
                    .body(Empty::<Bytes>::new())?;
                let res = sender.send_request(req).await?;
                if res.status() != 200 {
                    bail!("status {}", res.status());
                }
                let body = res.into_body().collect().await?.to_bytes();
                if body != expect {
                    bail!("unexpected body");
                }
                done.fetch_add(1, Ordering::Relaxed);
            }
            anyhow::Ok(())
        }));
    }
    let start = Instant::now();
    for t in tasks {
        t.await??;
    }
    Ok(done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64())
}

async fn spawn(router: axum::Router) -> anyhow::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    Ok(addr)
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let secs: f64 = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(3.0);
    let conns: usize = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(32);
    // Request logs are formatted as in production, then discarded.
    tracing_subscriber::fmt()
        .with_writer(std::io::sink)
        .with_env_filter("info")
        .init();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let dir = tempfile::tempdir()?;
    let pg = pubdata_bench::PgServer::start();
    for (backend, url) in pubdata_bench::databases(dir.path(), pg.as_ref(), "me")? {
        println!("== {backend}");
        rt.block_on(run(&url, secs, conns))?;
    }
    Ok(())
}

async fn run(url: &str, secs: f64, conns: usize) -> anyhow::Result<()> {
    {
        let app = App::new(pubdata_store::open(url).await?).await?;
        app.seed_demo().await?;
        let (token, _) = app
            .login("qy-gaj", "demo-password", SessionKind::Bearer, None)
            .await?;

        let full = spawn(pubdata_web::router(pubdata_web::AppState::new(app.clone()))).await?;
        // The exact bytes the full stack answers, served bare.
        let probe = load_once(full, &token).await.context("probe")?;
        let bytes = probe.clone();
        let bare = spawn(axum::Router::new().route(
            "/api/v1/me",
            axum::routing::get(move || {
                let b = bytes.clone();
                async move { ([("content-type", "application/json")], b) }
            }),
        ))
        .await?;

        println!(
            "bench-me: {conns} connections, {secs} s per run, {ROUNDS} interleaved rounds, body {} bytes",
            probe.len()
        );
        // Warm both servers up, then alternate so drift hits both alike.
        load(bare, &token, 1.0, conns, &probe).await?;
        load(full, &token, 1.0, conns, &probe).await?;
        let (mut bare_runs, mut full_runs) = (Vec::new(), Vec::new());
        for round in 1..=ROUNDS {
            let b = load(bare, &token, secs, conns, &probe).await?;
            let f = load(full, &token, secs, conns, &probe).await?;
            println!(
                "  round {round}: bare axum {b:>10.0} req/s   pubdata full stack {f:>10.0} req/s"
            );
            bare_runs.push(b);
            full_runs.push(f);
        }
        let (bare_rps, full_rps) = (median(&mut bare_runs), median(&mut full_runs));
        let ratio = full_rps / bare_rps;
        println!("bare axum route (median):        {bare_rps:>10.0} req/s");
        println!("pubdata GET /api/v1/me (median): {full_rps:>10.0} req/s");
        println!(
            "ratio full/bare: {ratio:.2} (target >= 0.50) {}",
            if ratio >= 0.5 { "PASS" } else { "BELOW TARGET" }
        );
        anyhow::Ok(())
    }
}

const ROUNDS: usize = 5;

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

async fn load_once(addr: SocketAddr, token: &str) -> anyhow::Result<Bytes> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let req = hyper::Request::get("/api/v1/me")
        .header("host", addr.to_string())
        .header("authorization", format!("Bearer {token}"))
        .body(Empty::<Bytes>::new())?;
    let res = sender.send_request(req).await?;
    if res.status() != 200 {
        bail!("status {}", res.status());
    }
    Ok(res.into_body().collect().await?.to_bytes())
}
