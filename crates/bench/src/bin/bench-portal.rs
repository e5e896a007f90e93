//! Benchmark: the open data portal (数据开放门户, OPN-3) under load on
//! loopback against `datasette` (PyPI) serving the same open data, in the
//! same run, one after another, with the same load generator
//! (`pubdata_bench::load`: 64 keep-alive connections, a warm-up, then a
//! fixed time per target):
//!
//! 1. `pubdata demo` on a fresh SQLite file; over the API 市场监督管理局
//!    (`qy-scjgj`) describes 企业登记信息（公开）— a published, unconditionally
//!    open entry of ten non-personal columns keyed by 统一社会信用代码
//!    (no 法定代表人) — 数据局 (`qy-sjj`) approves it, and `pubdata import`
//!    loads ROWS deterministically generated enterprises into it.
//! 2. datasette serves a `VACUUM INTO` copy of the same file, immutable
//!    (`-i`); the copy keeps every index of the original, so datasette has
//!    exactly the indexes pubdata has. datasette runs at its best for these
//!    pages: row counts from `datasette inspect` (`--inspect-file`, as
//!    pubdata shows a stored row count) and `--setting suggest_facets off`.
//! 3. Pairs measured (pubdata, then datasette):
//!    - the dataset page `/open/datasets/{id}` (metadata and the first 10
//!      rows, the read audited) vs datasette's HTML table page of the same
//!      table with 10 rows (`/portal/ds_{id}?_size=10`; one version is
//!      loaded, so every row is current and the two show the same rows);
//!    - the search `GET /api/v1/open/datasets?q=企业登记` vs datasette's
//!      JSON filter of the catalogue table it searches
//!      (`/portal/catalog_entries.json?search_text__contains=企业登记&open_attribute__exact=unconditional&_shape=objects`:
//!      the same `LIKE '%term%'` scan of the same column, without pubdata's
//!      join, openness conditions and per-result metadata); and CKAN's
//!      `GET /api/3/action/package_search?q=企业登记` against the same
//!      baseline when the binary serves it (probed; a 404 skips it with a
//!      note);
//!    - a filtered read: CKAN's `datastore_search` with
//!      `filters={"所属区县":"英德市"}&limit=10` (the resource id from
//!      `package_search`'s result, else `package_show`) vs datasette's
//!      `/portal/ds_{id}.json?c6__exact=英德市&_size=10&_shape=objects&_nocount=1`,
//!      the column indexed for both: pubdata indexes the categorical public
//!      columns of open datasets over their current rows, `(c6, _key) WHERE
//!      _to = …`, read in key order, and counts a condition once per
//!      dataset version (its answer has `total`); datasette's copy gets
//!      `CREATE INDEX bench_c6 ON ds_{id}(c6)`, always, which serves its
//!      `WHERE c6 = ? ORDER BY rowid LIMIT 11` without a sort, and is asked
//!      for no count (`_nocount=1`: datasette at its best, its answer has no
//!      total); the program prints both sides' indexes; when the binary
//!      has no `datastore_search`, pubdata's own `GET
//!      /api/v1/open/datasets/{id}/rows?limit=10` (first page, key order, no
//!      filter, no count) vs datasette's
//!      `/portal/ds_{id}.json?_size=10&_shape=objects&_nocount=1` (first
//!      page in load order, which is key order here; no filter, no count),
//!      and the output says so.
//!
//!    Each line: req/s, p50, p99, errors, the server's CPU per answer; then
//!    the ratio pubdata/datasette beside the target (≥ 10 ×) and pubdata's
//!    p99 beside its target (< 20 ms).
//! 4. The download `GET /api/v1/open/datasets/{id}/download?format=csv` of
//!    all rows on one connection from a freshly started `pubdata serve` on
//!    the same file (so that its memory is the download's, not the demo
//!    seeding's or the load's) while the server's VmRSS is sampled every
//!    10 ms: peak RSS during the download (and VmHWM, the process's peak
//!    since start) vs 100 MiB, bytes and rows received, time.
//!
//! Anonymous open data clients are limited to 600 requests a minute; the
//! bench starts pubdata with `--open-rate-per-minute 1000000000` (the check
//! still runs on every request).
//!
//!     cargo build --release -j 1 --bin pubdata
//!     pip install datasette
//!     cargo run --release -j 1 -p pubdata-bench --bin bench-portal [-- SECONDS CONNECTIONS ROWS]
//!
//! Defaults: 10 s per target, 64 connections, 1,000,000 rows.
//! `BENCH_VERBOSE=1` keeps the working folder (the database, the servers'
//! logs) and prints where it is.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use pubdata_bench::load::{
    Proc, Stats, Target, WARMUP, call, connect, datasette_installed, loadavg, login, measure, pct,
    pubdata_bin, seconds_connections_rows, start_datasette, start_pubdata, verdict,
};
use pubdata_service::demo::synth;

/// The open entry's name; the search term finds it.
const ENTRY: &str = "企业登记信息（公开）";
const TERM: &str = "企业登记";
/// The columns, in order: (name, type); the first is the key.
const COLUMNS: &[(&str, &str)] = &[
    ("统一社会信用代码", "string"),
    ("企业名称", "string"),
    ("企业类型", "string"),
    ("行业", "string"),
    ("成立日期", "date"),
    ("注册资本（万元）", "string"),
    ("所属区县", "string"),
    ("登记机关", "string"),
    ("登记状态", "string"),
    ("核准日期", "date"),
];
/// The filtered read: column position and value.
const FILTER_COL: usize = 6;
const FILTER_VALUE: &str = "英德市";
/// The targets.
const RATIO_TARGET: f64 = 10.0;
const P99_TARGET_MS: f64 = 20.0;
const RSS_TARGET_MIB: f64 = 100.0;
/// The open data rate limit the bench gives pubdata: never reached.
const UNLIMITED: &str = "1000000000";

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (secs, conns, rows) = seconds_connections_rows(&args)?;
    if !pubdata_bin().exists() {
        bail!("build the binary first: cargo build --release --bin pubdata");
    }
    let dir = tempfile::tempdir()?;
    let dir_path = if std::env::var_os("BENCH_VERBOSE").is_some() {
        let p = dir.keep();
        eprintln!("working folder: {}", p.display());
        p
    } else {
        dir.path().to_path_buf()
    };
    println!(
        "bench-portal: {rows} rows, {conns} connections, {WARMUP} s warm-up + {secs} s per target; load average {}",
        loadavg()
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(run(&dir_path, rows, secs, conns))
}

/// One enterprise of the open file (deterministic in `n`).
fn enterprise_row(rng: &mut synth::Rng, n: u64) -> [String; 10] {
    // 统一社会信用代码, 企业名称, 法定代表人, 成立日期, 注册资本, 所属区县, 登记状态
    let [code, name, _person, founded, capital, county, state] =
        synth::registered_enterprise(rng, n);
    let kind = ["股份有限公司", "有限责任公司", "有限公司"]
        .into_iter()
        .find(|k| name.contains(k))
        .unwrap_or("有限公司")
        .to_string();
    let industry = [
        "科技", "贸易", "建材", "食品", "物流", "电子", "农业", "旅游", "医药", "陶瓷",
    ]
    .into_iter()
    .find(|i| name.contains(i))
    .unwrap_or("其他")
    .to_string();
    let approved = chrono::NaiveDate::parse_from_str(&founded, "%Y-%m-%d")
        .map(|d| (d + chrono::Duration::days((n % 3000) as i64)).to_string())
        .unwrap_or_else(|_| founded.clone());
    let office = format!("清远市{county}市场监督管理局");
    [
        code, name, kind, industry, founded, capital, county, office, state, approved,
    ]
}

fn write_csv(path: &Path, rows: u64) -> anyhow::Result<()> {
    let mut w = csv_writer(path)?;
    let header: Vec<&str> = COLUMNS.iter().map(|(n, _)| *n).collect();
    writeln_csv(&mut w, &header)?;
    let mut rng = synth::Rng::new(7);
    for n in 0..rows {
        let r = enterprise_row(&mut rng, n);
        writeln_csv(&mut w, &r)?;
    }
    std::io::Write::flush(&mut w)?;
    Ok(())
}

fn csv_writer(path: &Path) -> anyhow::Result<std::io::BufWriter<std::fs::File>> {
    Ok(std::io::BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(path)?,
    ))
}

/// One CSV line; the generated values hold no comma, quote or newline.
fn writeln_csv<S: AsRef<str>>(w: &mut impl std::io::Write, fields: &[S]) -> anyhow::Result<()> {
    for (i, f) in fields.iter().enumerate() {
        let f = f.as_ref();
        anyhow::ensure!(!f.contains([',', '"', '\n']), "a field needs quoting: {f}");
        if i > 0 {
            w.write_all(b",")?;
        }
        w.write_all(f.as_bytes())?;
    }
    w.write_all(b"\n")?;
    Ok(())
}

/// The open entry and its (empty) dataset, over the API: its dataset id.
async fn create_open_dataset(addr: SocketAddr) -> anyhow::Result<i64> {
    let scj = login(addr, "qy-scjgj").await?;
    let sjj = login(addr, "qy-sjj").await?;
    let items: Vec<serde_json::Value> = COLUMNS
        .iter()
        .map(|(n, t)| serde_json::json!({"name": n, "data_type": t}))
        .collect();
    let (st, e) = call(
        addr,
        "POST",
        "/api/v1/catalog/entries",
        Some(&scj),
        Some(serde_json::json!({
            "name": ENTRY,
            "summary": "全市企业登记的公开信息（不含法定代表人等个人信息），每日更新",
            "classification": "101",
            "data_form": "database",
            "items": items,
            "share_type": "unconditional",
            "share_scope": "全市政务部门",
            "share_modes": ["api"],
            "open_attribute": "unconditional",
            "open_clauses": [],
            "open_grounds": "",
            "update_frequency": "daily",
            "keywords": ["企业", "登记", "市场主体"]
        })),
    )
    .await?;
    anyhow::ensure!(st == 201, "create entry: {st} {e}");
    let entry = e["id"].as_i64().context("entry id")?;
    let (st, v) = call(
        addr,
        "POST",
        &format!("/api/v1/catalog/entries/{entry}/submit"),
        Some(&scj),
        None,
    )
    .await?;
    anyhow::ensure!(st == 200, "submit: {st} {v}");
    let (st, v) = call(
        addr,
        "POST",
        &format!("/api/v1/catalog/entries/{entry}/review"),
        Some(&sjj),
        Some(serde_json::json!({"decision": "approve"})),
    )
    .await?;
    anyhow::ensure!(st == 200, "approve: {st} {v}");
    let columns: Vec<serde_json::Value> = COLUMNS
        .iter()
        .enumerate()
        .map(|(i, (n, t))| serde_json::json!({"name": n, "type": t, "nullable": i > 0}))
        .collect();
    let (st, d) = call(
        addr,
        "POST",
        "/api/v1/datasets",
        Some(&scj),
        Some(serde_json::json!({
            "entry_id": entry, "name": "企业登记公开信息", "key": [COLUMNS[0].0], "columns": columns
        })),
    )
    .await?;
    anyhow::ensure!(st == 201, "create dataset: {st} {d}");
    d["id"].as_i64().context("dataset id")
}

fn start_demo(dir: &Path, db: &Path) -> anyhow::Result<(Proc, SocketAddr, u32)> {
    let mut cmd = Command::new(pubdata_bin());
    cmd.args(["demo", "--listen", "127.0.0.1:0", "--database"])
        .arg(format!("sqlite://{}", db.display()))
        .args([
            "--population",
            "1000",
            "--enterprises",
            "1000",
            "--open-rate-per-minute",
            UNLIMITED,
        ]);
    let t = Instant::now();
    let started = start_pubdata(
        cmd,
        "pubdata demo",
        &dir.join("pubdata.log"),
        Duration::from_secs(600),
    )?;
    println!(
        "  pubdata demo seeded in {:.0} s; load average {}",
        t.elapsed().as_secs_f64(),
        loadavg()
    );
    Ok(started)
}

/// `pubdata serve` on the benchmark's database (no seeding).
fn start_server(dir: &Path, db: &Path) -> anyhow::Result<(Proc, SocketAddr, u32)> {
    let mut cmd = Command::new(pubdata_bin());
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--database"])
        .arg(format!("sqlite://{}", db.display()))
        .args(["--open-rate-per-minute", UNLIMITED]);
    start_pubdata(
        cmd,
        "pubdata serve",
        &dir.join("pubdata-serve.log"),
        Duration::from_secs(120),
    )
}

/// datasette at its best for these pages: the copy's row counts from
/// `datasette inspect` (an immutable database's documented way to show
/// counts without counting), no suggested facets (each would be a query on
/// every table page).
fn datasette_inspect(copy: &Path, inspect: &Path) -> anyhow::Result<()> {
    let out = Command::new("datasette")
        .arg("inspect")
        .arg(copy)
        .arg("--inspect-file")
        .arg(inspect)
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "datasette inspect: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

/// A CKAN action's answer to a probe: `None` when the route is not served.
async fn ckan(addr: SocketAddr, path: &str) -> anyhow::Result<Option<serde_json::Value>> {
    let (st, v) = call(addr, "GET", path, None, None).await?;
    Ok(match st {
        404 if v["success"] != false => None,
        200 => Some(v),
        _ => {
            println!("  note: {path} answered {st}: {v}");
            None
        }
    })
}

/// The comparison of one pair: ratio and p99 against the targets.
fn compare(what: &str, p: &Stats, d: &Stats) {
    let r = p.rps / d.rps;
    println!(
        "ratio {what}: pubdata/datasette = {r:.1} × (target ≥ {RATIO_TARGET:.0} ×) {};  pubdata p99 = {:.2} ms (target < {P99_TARGET_MS:.0} ms) {}",
        verdict(r >= RATIO_TARGET && p.errors == 0, "BELOW TARGET"),
        p.p99_ms,
        verdict(p.p99_ms < P99_TARGET_MS, "OVER TARGET")
    );
}

async fn run(dir: &Path, rows: u64, secs: f64, conns: usize) -> anyhow::Result<()> {
    let db = dir.join("portal.db");
    let (server, addr, pid) = start_demo(dir, &db)?;
    let id = create_open_dataset(addr).await?;
    let csv = dir.join("enterprises.csv");
    let t = Instant::now();
    write_csv(&csv, rows)?;
    let size = std::fs::metadata(&csv)?.len();
    println!(
        "  {rows} rows generated ({:.0} MiB CSV) in {:.1} s",
        size as f64 / 1048576.0,
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let out = Command::new(pubdata_bin())
        .args([
            "import",
            "--quiet",
            "--dataset",
            &id.to_string(),
            "--database",
        ])
        .arg(format!("sqlite://{}", db.display()))
        .arg(&csv)
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "pubdata import: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_file(&csv)?;
    println!(
        "  pubdata import of {rows} rows into dataset {id} in {:.1} s; load average {}",
        t.elapsed().as_secs_f64(),
        loadavg()
    );
    let (st, v) = call(
        addr,
        "GET",
        &format!("/api/v1/open/datasets/{id}"),
        None,
        None,
    )
    .await?;
    anyhow::ensure!(
        st == 200 && v["row_count"] == rows,
        "dataset {id} is not open with {rows} rows: {st} {v}"
    );

    // The CKAN API, if this binary has it (built on another branch).
    let q = pct(TERM);
    let package_search = ckan(addr, &format!("/api/3/action/package_search?q={q}")).await?;
    let mut resource = None;
    if let Some(v) = &package_search {
        resource = v["result"]["results"]
            .as_array()
            .and_then(|l| l.iter().find(|p| p["title"] == ENTRY))
            .and_then(|p| p["resources"][0]["id"].as_str().map(String::from));
        if resource.is_none()
            && let Some(s) = ckan(addr, &format!("/api/3/action/package_show?id={id}")).await?
        {
            resource = s["result"]["resources"][0]["id"]
                .as_str()
                .map(String::from)
                .or_else(|| {
                    s["result"]["resources"][0]["id"]
                        .as_i64()
                        .map(|i| i.to_string())
                });
        }
    }
    let filters = serde_json::json!({ COLUMNS[FILTER_COL].0: FILTER_VALUE }).to_string();
    let datastore = match &resource {
        Some(r) => {
            let path = format!(
                "/api/3/action/datastore_search?resource_id={}&filters={}&limit=10",
                pct(r),
                pct(&filters)
            );
            ckan(addr, &path).await?.map(|_| path)
        }
        None => None,
    };

    // pubdata's targets, one after another.
    let page = Target::get(
        "pubdata GET /open/datasets/{id} (HTML, 10 rows, audited)".into(),
        addr,
        pid,
        [format!("/open/datasets/{id}")],
        "统一社会信用代码".as_bytes(),
    );
    let page_s = measure("portal", &page, secs, conns).await?;
    let search = Target::get(
        format!("pubdata GET /api/v1/open/datasets?q={TERM}"),
        addr,
        pid,
        [format!("/api/v1/open/datasets?q={q}")],
        b"\"items\":[{",
    );
    let search_s = measure("portal", &search, secs, conns).await?;
    let ckan_search_s = match &package_search {
        Some(_) => {
            let t = Target::get(
                format!("pubdata CKAN package_search?q={TERM}"),
                addr,
                pid,
                [format!("/api/3/action/package_search?q={q}")],
                b"\"results\"",
            );
            Some(measure("portal", &t, secs, conns).await?)
        }
        None => {
            println!(
                "portal: note: GET /api/3/action/package_search answers 404 in this binary (the CKAN API is not merged): skipped"
            );
            None
        }
    };
    let (read_label, read_path) = match &datastore {
        Some(p) => (
            format!(
                "pubdata CKAN datastore_search {}={FILTER_VALUE} limit 10",
                COLUMNS[FILTER_COL].0
            ),
            p.clone(),
        ),
        None => {
            println!(
                "portal: note: no CKAN datastore_search in this binary: the filtered read is measured as pubdata's GET /api/v1/open/datasets/{{id}}/rows?limit=10 (first page, no filter) against datasette's first page"
            );
            (
                "pubdata GET /api/v1/open/datasets/{id}/rows?limit=10".into(),
                format!("/api/v1/open/datasets/{id}/rows?limit=10"),
            )
        }
    };
    let read = Target::get(
        read_label,
        addr,
        pid,
        [read_path],
        if datastore.is_some() {
            b"\"records\""
        } else {
            b"\"items\":[{"
        },
    );
    let read_s = measure("portal", &read, secs, conns).await?;

    drop(server);

    // The download, on one connection, from a freshly started server (its
    // memory is the download's, not the demo seeding's or the load's),
    // while the server's memory is sampled.
    let (server, addr, pid) = start_server(dir, &db)?;
    download(addr, pid, id, rows).await?;
    drop(server);

    if !datasette_installed() {
        println!("datasette not found (pip install datasette): no baseline, no ratios");
        return Ok(());
    }
    let table = format!("ds_{id}");
    let copy = dir.join("portal-copy").join("portal.db");
    std::fs::create_dir_all(copy.parent().context("dir")?)?;
    let inspect = dir.join("portal-copy").join("inspect.json");
    let (ds, daddr, dpid) =
        start_datasette(&db, &copy, &dir.join("datasette.log"), |c| {
            let idx: Vec<String> = c
                .prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1 AND sql IS NOT NULL")?
                .query_map([&table], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<_>>()?;
            let col = format!("c{FILTER_COL}");
            let on_col: Vec<&String> = idx.iter().filter(|s| s.contains(&col)).collect();
            println!(
                "datasette: the copy's indexes on {table}: {} — on the filter column {col} ({}): {}",
                idx.len(),
                COLUMNS[FILTER_COL].0,
                if on_col.is_empty() {
                    "none (unindexed for both)".to_string()
                } else {
                    format!("{on_col:?}")
                }
            );
            // datasette's filter reads `WHERE c = ? ORDER BY rowid LIMIT 11`
            // (the table has no primary key): pubdata's index (value, key,
            // current rows only) does not serve it, whether or not the copy
            // has it. datasette gets its own index on the filter column,
            // always: `(c)` keeps each value's rows in rowid order, so its
            // page stops after 11 index entries, as pubdata's does in key
            // order. Both sides filter through an index.
            c.execute_batch(&format!(
                "CREATE INDEX bench_{col} ON {table}({col}); ANALYZE;"
            ))?;
            println!(
                "datasette: added for datasette: CREATE INDEX bench_{col} ON {table}({col}) (rowid order within a value: its query's order); pubdata has {}",
                if on_col.is_empty() {
                    "no index on it (the filtered read scans)".to_string()
                } else {
                    format!("{on_col:?}")
                }
            );
            datasette_inspect(&copy, &inspect)
        },
        &[
            "--inspect-file".into(),
            inspect.display().to_string(),
            "--setting".into(),
            "suggest_facets".into(),
            "off".into(),
        ],
    )
    .await?;
    let page_d = measure(
        "datasette",
        &Target::get(
            format!("datasette /portal/{table}?_size=10 (HTML table page)"),
            daddr,
            dpid,
            [format!("/portal/{table}?_size=10")],
            b"</table>",
        ),
        secs,
        conns,
    )
    .await?;
    let search_d = measure(
        "datasette",
        &Target::get(
            format!("datasette catalog_entries.json search_text__contains={TERM}"),
            daddr,
            dpid,
            [format!(
                "/portal/catalog_entries.json?search_text__contains={q}&open_attribute__exact=unconditional&_shape=objects"
            )],
            b"\"rows\": [{",
        ),
        secs,
        conns,
    )
    .await?;
    let read_d = if datastore.is_some() {
        measure(
            "datasette",
            &Target::get(
                format!(
                    "datasette {table}.json?c{FILTER_COL}__exact={FILTER_VALUE}&_size=10&_nocount=1 (JSON filter, indexed, no count)"
                ),
                daddr,
                dpid,
                [format!(
                    "/portal/{table}.json?c{FILTER_COL}__exact={}&_size=10&_shape=objects&_nocount=1",
                    pct(FILTER_VALUE)
                )],
                b"\"rows\": [{",
            ),
            secs,
            conns,
        )
        .await?
    } else {
        measure(
            "datasette",
            &Target::get(
                format!("datasette {table}.json?_size=10&_nocount=1 (first page, JSON)"),
                daddr,
                dpid,
                [format!(
                    "/portal/{table}.json?_size=10&_shape=objects&_nocount=1"
                )],
                b"\"rows\": [{",
            ),
            secs,
            conns,
        )
        .await?
    };
    drop(ds);

    println!("load average {}", loadavg());
    compare("dataset page", &page_s, &page_d);
    compare("search (portal API)", &search_s, &search_d);
    if let Some(c) = &ckan_search_s {
        compare("search (CKAN package_search)", c, &search_d);
    }
    compare(
        if datastore.is_some() {
            "filtered read (CKAN datastore_search)"
        } else {
            "rows (GET …/rows?limit=10; no datastore_search)"
        },
        &read_s,
        &read_d,
    );
    Ok(())
}

/// `(VmRSS, VmHWM)` of a process in KiB.
fn memory(pid: u32) -> (u64, u64) {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib = |key: &str| {
        s.lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
            .unwrap_or(0)
    };
    (kib("VmRSS:"), kib("VmHWM:"))
}

/// Downloads the whole dataset as CSV on one connection, sampling the
/// server's resident memory every 10 ms.
async fn download(addr: SocketAddr, pid: u32, id: i64, rows: u64) -> anyhow::Result<()> {
    let (rss_before, hwm_before) = memory(pid);
    let peak = Arc::new(AtomicU64::new(rss_before));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (peak.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(memory(pid).0, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(10));
            }
        })
    };
    let t = Instant::now();
    let mut sender = connect(addr).await?;
    let req = hyper::Request::get(format!("/api/v1/open/datasets/{id}/download?format=csv"))
        .header("host", addr.to_string())
        .body(Full::new(Bytes::new()))?;
    let res = sender.send_request(req).await?;
    let status = res.status();
    let mut body = res.into_body();
    let (mut bytes, mut lines) = (0u64, 0u64);
    let mut first = None;
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            if first.is_none() {
                first = Some(t.elapsed());
            }
            bytes += data.len() as u64;
            lines += data.iter().filter(|b| **b == b'\n').count() as u64;
        }
    }
    let secs = t.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    let _ = sampler.join();
    let (_, hwm_after) = memory(pid);
    let peak_mib = peak.load(Ordering::Relaxed) as f64 / 1024.0;
    anyhow::ensure!(status == 200, "download: {status}");
    let received = lines.saturating_sub(1);
    println!(
        "download CSV: {received} rows (of {rows}), {:.1} MiB in {secs:.1} s ({:.1} MiB/s, first bytes after {:.0} ms)",
        bytes as f64 / 1048576.0,
        bytes as f64 / 1048576.0 / secs,
        first.unwrap_or_default().as_secs_f64() * 1000.0
    );
    println!(
        "download CSV: server RSS before {:.0} MiB, peak during {peak_mib:.0} MiB (target < {RSS_TARGET_MIB:.0} MiB) {}; VmHWM (since start) {:.0} → {:.0} MiB",
        rss_before as f64 / 1024.0,
        verdict(peak_mib < RSS_TARGET_MIB && received == rows, "OVER TARGET"),
        hwm_before as f64 / 1024.0,
        hwm_after as f64 / 1024.0
    );
    Ok(())
}
