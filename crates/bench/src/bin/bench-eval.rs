//! Benchmark: the annual evaluation of a whole city (SUP-1, issue 12
//! "Performance": under 2 s on a scaled-up world, against a plain SQL
//! aggregate over the same tables in the same run, on both backends).
//!
//! Builds, per backend, a fresh database: the demo world (the city region,
//! its data authority and the reviewer `qy-sjj`), then 200 more agencies
//! under the city, 10,000 published catalogue entries spread over them,
//! datasets for a quarter of the entries (a third of those open), 100,000
//! cases of the kinds the evaluation reads (opened across 2025-11 … today;
//! closed in time, closed late, open, overdue) with the share requests behind
//! the share-answer cases, and 1,000,000 access records (`dataset.read`).
//!
//! Orgs, entries, datasets, cases and share requests are bulk-inserted with
//! plain SQL in one transaction (no `ds_*` content tables: the evaluation
//! never reads contents). The access records go through the store's own
//! append path (`ShareStore::record_access`, as the access journal writes
//! them): a valid hash chain, every record stamped with the time it was
//! appended (today, inside the year).
//!
//! Then times, on the same data, pubdata's evaluation through the service
//! (`App::supervision_figures` for the city authority, 2026-01-01 …
//! 2026-12-31) against the baseline: plain SQL GROUP BY queries computing the
//! same counts per agency. Checks the counts agree and prints both medians,
//! the ratio and whether pubdata is under 2 s.
//!
//!     cargo run --release -p pubdata-bench --bin bench-eval [-- --scale 0.1] [--rounds 5]

use std::collections::HashMap;
use std::time::Instant;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use pubdata_domain::audit::{AuditEvent, Outcome};
use pubdata_domain::calendar::today_cst;
use pubdata_domain::case::CaseKind;
use pubdata_domain::catalog::{
    DataForm, DataItem, DataType, EntryContent, Frequency, OpenAttribute, ShareMode, ShareType,
};
use pubdata_domain::dataset::Column;
use pubdata_service::App;
use pubdata_store::{SessionKind, fmt_time};

const TARGET_SECS: f64 = 2.0;
const FREQUENCIES: &[Frequency] = &[
    Frequency::Realtime,
    Frequency::Daily,
    Frequency::Weekly,
    Frequency::Monthly,
    Frequency::Quarterly,
    Frequency::HalfYearly,
    Frequency::Yearly,
];

/// The figures both sides compute (the dataset split on time/stale is
/// compared as its total; plan fulfilment is not generated).
const COMPARED: &[&str] = &[
    "entries_published",
    "reviews_overdue",
    "updates_overdue",
    "datasets",
    "share_answered",
    "share_answered_in_time",
    "share_implemented",
    "share_implemented_in_time",
    "share_refused",
    "share_refused_with_basis",
    "objections_answered",
    "objections_in_time",
    "open_datasets",
    "open_reads",
];

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// A raw connection for bulk inserts and the baseline.
enum Raw {
    Sqlite(rusqlite::Connection),
    Pg(sqlx::PgPool),
}

impl Raw {
    async fn open(url: &str) -> anyhow::Result<Raw> {
        Ok(match url.strip_prefix("sqlite://") {
            Some(path) => {
                let c = rusqlite::Connection::open(path)?;
                c.busy_timeout(std::time::Duration::from_secs(60))?;
                Raw::Sqlite(c)
            }
            None => Raw::Pg(
                sqlx::postgres::PgPoolOptions::new()
                    .max_connections(1)
                    .connect(url)
                    .await?,
            ),
        })
    }

    fn is_pg(&self) -> bool {
        matches!(self, Raw::Pg(_))
    }

    /// Runs `stmts` in one transaction.
    async fn exec_all(&self, stmts: &[String]) -> anyhow::Result<()> {
        match self {
            Raw::Sqlite(c) => {
                c.execute_batch("BEGIN IMMEDIATE")?;
                for s in stmts {
                    c.execute_batch(s)?;
                }
                c.execute_batch("COMMIT")?;
            }
            Raw::Pg(p) => {
                let mut tx = p.begin().await?;
                for s in stmts {
                    sqlx::raw_sql(s).execute(&mut *tx).await?;
                }
                tx.commit().await?;
            }
        }
        Ok(())
    }

    async fn exec(&self, s: &str) -> anyhow::Result<()> {
        match self {
            Raw::Sqlite(c) => c.execute_batch(s)?,
            Raw::Pg(p) => {
                sqlx::raw_sql(s).execute(p).await?;
            }
        }
        Ok(())
    }

    async fn int(&self, q: &str) -> anyhow::Result<i64> {
        Ok(match self {
            Raw::Sqlite(c) => c.query_row(q, [], |r| r.get(0))?,
            Raw::Pg(p) => sqlx::query_scalar(q).fetch_one(p).await?,
        })
    }

    /// Rows of (org, key, count).
    async fn counts(&self, q: &str) -> anyhow::Result<Vec<(i64, String, i64)>> {
        Ok(match self {
            Raw::Sqlite(c) => {
                let mut st = c.prepare_cached(q)?;
                st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                    .collect::<Result<_, _>>()?
            }
            Raw::Pg(p) => sqlx::query_as(q).fetch_all(p).await?,
        })
    }
}

/// A SQL string literal.
fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn time_lit(t: DateTime<Utc>) -> String {
    lit(&fmt_time(t))
}

/// Multi-row INSERTs of `rows` (each a parenthesised tuple), 500 a statement.
fn inserts(head: &str, rows: &[String], out: &mut Vec<String>) {
    for chunk in rows.chunks(500) {
        out.push(format!("{head} VALUES {}", chunk.join(",\n")));
    }
}

fn content(i: usize, open: OpenAttribute, freq: Frequency) -> EntryContent {
    const WORDS: &[&str] = &[
        "人口", "企业", "社保", "交通", "教育", "医疗", "住房", "农业",
    ];
    let a = WORDS[i % WORDS.len()];
    EntryContent {
        name: format!("{a}评估数据{i}"),
        summary: format!("{a}相关的政务数据，第{i}号资源"),
        classification: ["101", "102", "201", "206", "207"][i % 5].into(),
        grade: "L1".into(),
        data_form: DataForm::Database,
        items: vec![DataItem {
            name: "编号".into(),
            data_type: DataType::String,
            description: String::new(),
            personal: false,
        }],
        share_type: ShareType::Unconditional,
        share_conditions: String::new(),
        share_basis: String::new(),
        share_scope: "全市".into(),
        share_modes: vec![ShareMode::Api],
        open_attribute: open,
        open_conditions: if open == OpenAttribute::Conditional {
            "申请使用".into()
        } else {
            String::new()
        },
        open_grounds: if open == OpenAttribute::None {
            "涉及个人信息".into()
        } else {
            String::new()
        },
        open_basis: String::new(),
        open_clauses: vec![],
        update_frequency: freq,
        keywords: vec![a.into()],
        collecting_org: None,
        approving_org: None,
        related_codes: vec![],
    }
}

struct Scale {
    agencies: usize,
    entries: usize,
    cases: usize,
    reads: usize,
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() -> anyhow::Result<()> {
    let mut scale = 1.0_f64;
    let mut rounds = 5_usize;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--scale" => {
                scale = args
                    .get(i + 1)
                    .map(|s| s.parse())
                    .transpose()?
                    .unwrap_or(1.0);
                i += 1;
            }
            "--rounds" => {
                rounds = args.get(i + 1).map(|s| s.parse()).transpose()?.unwrap_or(5);
                i += 1;
            }
            other => anyhow::bail!("unknown argument {other} (--scale X, --rounds N)"),
        }
        i += 1;
    }
    let n = |full: f64| ((full * scale).round() as usize).max(1);
    let s = Scale {
        agencies: n(200.0).max(5),
        entries: n(10_000.0),
        cases: n(100_000.0),
        reads: n(1_000_000.0),
    };
    println!(
        "bench-eval: scale {scale} — {} agencies, {} entries, {} cases, {} access records; {rounds} warm rounds",
        s.agencies, s.entries, s.cases, s.reads
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let dir = tempfile::tempdir()?;
    let pg = pubdata_bench::PgServer::start();
    let mut summary = vec![];
    for (backend, url) in pubdata_bench::databases(dir.path(), pg.as_ref(), "eval")? {
        println!("== {backend}");
        let line = rt.block_on(run(&url, &s, rounds))?;
        summary.push(format!("{backend:<9}{line}"));
    }
    println!("== summary");
    for l in summary {
        println!("{l}");
    }
    Ok(())
}

async fn run(url: &str, s: &Scale, rounds: usize) -> anyhow::Result<String> {
    let gen_start = Instant::now();
    let store = pubdata_store::open(url).await?;
    let (cal, city, authority) = {
        let app = App::new(store.clone()).await?;
        app.seed_demo_world().await?;
        let city = store.get_org_by_code("qy").await?.expect("demo city");
        let authority = store
            .get_org_by_code("qy-sjj")
            .await?
            .expect("demo authority");
        (app.calendar(), city.id, authority.id)
    };
    let raw = Raw::open(url).await?;
    let today = today_cst();
    let now = Utc::now();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let max_id = |t: &str| format!("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM {t}");
    let midnight_cst = |d: NaiveDate| {
        Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight")) - Duration::hours(8)
    };

    // Agencies under the city region.
    let mut stmts = vec![];
    let org0 = raw.int(&max_id("orgs")).await? + 1;
    let agencies: Vec<i64> = (0..s.agencies as i64).map(|k| org0 + k).collect();
    let rows: Vec<String> = agencies
        .iter()
        .enumerate()
        .map(|(k, id)| {
            format!(
                "({id}, {}, {}, 'agency', 'city', {city}, {})",
                lit(&format!("bench-{k:03}")),
                lit(&format!("清远市评估测试局{k:03}")),
                time_lit(now - Duration::days(800))
            )
        })
        .collect();
    inserts(
        "INSERT INTO orgs (id, code, name, kind, level, parent_id, created_at)",
        &rows,
        &mut stmts,
    );

    // Published entries; datasets for a quarter of them.
    let entry0 = raw.int(&max_id("catalog_entries")).await? + 1;
    let ds0 = raw.int(&max_id("datasets")).await? + 1;
    let first_day = NaiveDate::from_ymd_opt(2025, 9, 1).expect("date");
    let span = (today - first_day).num_days().max(2);
    let (mut entries, mut versions, mut datasets, mut dversions) = (vec![], vec![], vec![], vec![]);
    // (dataset id, entry id, org) of every dataset; ids of the open ones.
    let mut all_ds: Vec<(i64, i64, i64)> = vec![];
    let mut open_ds: Vec<i64> = vec![];
    let column = serde_json::to_string(&vec![Column {
        name: "编号".into(),
        data_type: DataType::String,
        nullable: false,
        personal: false,
        checks: vec![],
    }])?;
    for i in 0..s.entries {
        let id = entry0 + i as i64;
        let org = agencies[i % agencies.len()];
        let open = match i % 3 {
            0 => OpenAttribute::Unconditional,
            1 => OpenAttribute::Conditional,
            _ => OpenAttribute::None,
        };
        let freq = FREQUENCIES[(i / 3) % FREQUENCIES.len()];
        let c = content(i, open, freq);
        let json = serde_json::to_string(&c)?;
        let published = (first_day + Duration::days(rng.below(span as u64 - 1) as i64)).min(today);
        let at = time_lit(midnight_cst(published) + Duration::hours(2));
        entries.push(format!(
            "({id}, {}, {org}, 'city', 'published', 1, 1, {}, {}, {}, 'L1', 'unconditional', {}, {}, {}, {}, '[]', {at}, {at})",
            lit(&format!("BENCH-{i:06}")),
            lit(&published.to_string()),
            lit(&c.name),
            lit(&c.classification),
            lit(open.as_str()),
            lit(freq.as_str()),
            lit(&format!("{} {}", c.name, c.summary).to_lowercase()),
            lit(&json),
        ));
        versions.push(format!(
            "({id}, 1, 'published', {}, 'bench', {at})",
            lit(&json)
        ));
        if i % 4 == 0 {
            let d = ds0 + all_ds.len() as i64;
            all_ds.push((d, id, org));
            let loaded = i % 40 != 0;
            if loaded && open == OpenAttribute::Unconditional {
                open_ds.push(d);
            }
            let last = now - Duration::hours(rng.below(24 * 150) as i64);
            datasets.push(format!(
                "({d}, {id}, {org}, {}, {}, '[\"编号\"]', {}, {}, {}, {}, {})",
                lit(&format!("评估数据集{i}")),
                lit(&column),
                lit(freq.as_str()),
                i64::from(loaded),
                if loaded { 100 } else { 0 },
                if loaded {
                    time_lit(last)
                } else {
                    "NULL".into()
                },
                time_lit(now - Duration::days(400)),
            ));
            if loaded {
                dversions.push(format!(
                    "({d}, 1, 'file', 100, 100, 0, 0, {}, 'bench', {})",
                    rng.below(10),
                    time_lit(last)
                ));
            }
        }
    }
    inserts(
        "INSERT INTO catalog_entries (id, code, org_id, level, state, version, published_version,
             published_on, name, classification, grade, share_type, open_attribute,
             update_frequency, search_text, content, co_owners, created_at, updated_at)",
        &entries,
        &mut stmts,
    );
    inserts(
        "INSERT INTO catalog_entry_versions (entry_id, version, state, content, actor, created_at)",
        &versions,
        &mut stmts,
    );
    inserts(
        "INSERT INTO datasets (id, entry_id, org_id, name, columns, key_columns, frequency,
             current_version, row_count, last_load_at, created_at)",
        &datasets,
        &mut stmts,
    );
    inserts(
        "INSERT INTO dataset_versions (dataset_id, version, mode, rows_in, inserted, updated,
             deleted, flagged, actor, created_at)",
        &dversions,
        &mut stmts,
    );

    // Cases opened 2025-11-01 … yesterday, with the share requests behind
    // the share-answer cases.
    let case0 = raw.int(&max_id("cases")).await? + 1;
    let sr0 = raw.int(&max_id("share_requests")).await? + 1;
    let case_first = NaiveDate::from_ymd_opt(2025, 11, 1).expect("date");
    let case_span = (today - case_first).num_days().max(2) as u64;
    let (mut cases, mut requests) = (vec![], vec![]);
    for i in 0..s.cases {
        let id = case0 + i as i64;
        let kind = match rng.below(20) {
            0..=4 => CaseKind::CatalogReview,
            5..=7 => CaseKind::CatalogUpdate,
            8..=12 => CaseKind::ShareAnswer,
            13..=15 => CaseKind::ShareImplement,
            16..=17 => CaseKind::Objection,
            18 => CaseKind::OpenApplication,
            _ => CaseKind::DataDemand,
        };
        let opened = case_first + Duration::days(rng.below(case_span - 1) as i64);
        let due = kind.due(&cal, opened).unwrap_or(opened + Duration::days(7));
        let agency = agencies[rng.below(agencies.len() as u64) as usize];
        let other = agencies[rng.below(agencies.len() as u64) as usize];
        let (mut state, mut closed) = ("closed", None);
        match rng.below(10) {
            0..=5 => {
                let d = due - Duration::days(rng.below(3) as i64);
                closed = Some(d.max(opened));
            }
            6..=7 => closed = Some(due + Duration::days(1 + rng.below(10) as i64)),
            _ => state = "open",
        }
        if closed.is_some_and(|d| d >= today) {
            (state, closed) = ("open", None);
        }
        let closed_at = closed.map(|d| midnight_cst(d) + Duration::hours(10));
        let refused = kind == CaseKind::ShareAnswer && closed.is_some() && rng.below(10) < 3;
        let outcome = match (closed, refused) {
            (None, _) => "NULL".to_string(),
            (Some(_), true) => lit("refused"),
            (Some(_), false) => lit("done"),
        };
        let (subject, requester, responder) = match kind {
            CaseKind::CatalogReview => (
                format!(
                    "catalog_entry:{}",
                    entry0 + rng.below(s.entries as u64) as i64
                ),
                agency,
                authority,
            ),
            CaseKind::CatalogUpdate => (
                format!(
                    "catalog_entry:{}",
                    entry0 + rng.below(s.entries as u64) as i64
                ),
                authority,
                agency,
            ),
            CaseKind::ShareAnswer => {
                let sr = sr0 + requests.len() as i64;
                let (d, e, source) = all_ds[rng.below(all_ds.len() as u64) as usize];
                let basis = if refused && rng.below(2) == 0 {
                    "《中华人民共和国个人信息保护法》第十三条"
                } else {
                    ""
                };
                let st = match (closed, refused) {
                    (None, _) => "pending",
                    (Some(_), true) => "refused",
                    (Some(_), false) => "granted",
                };
                requests.push(format!(
                    "({sr}, {e}, {d}, {other}, {source}, 'bench', '评估', '业务办理', '评估测试单位', '[\"编号\"]', 'api', '2027-12-31', '评估', {}, {}, {})",
                    lit(st),
                    lit(basis),
                    time_lit(midnight_cst(opened) + Duration::hours(3)),
                ));
                (format!("share_request:{sr}"), other, source)
            }
            CaseKind::ShareImplement => (
                format!(
                    "share_request:{}",
                    sr0 + rng.below(requests.len().max(1) as u64) as i64
                ),
                other,
                agency,
            ),
            CaseKind::Objection => (format!("objection:{i}"), authority, agency),
            CaseKind::OpenApplication => (format!("open_application:{i}"), authority, agency),
            _ => (format!("data_demand:{i}"), other, agency),
        };
        cases.push(format!(
            "({id}, {}, {}, {requester}, {responder}, {}, {}, {}, {}, {outcome})",
            lit(kind.as_str()),
            lit(&subject),
            lit(state),
            lit(&opened.to_string()),
            lit(&due.to_string()),
            closed_at.map_or("NULL".into(), time_lit),
        ));
    }
    inserts(
        "INSERT INTO share_requests (id, entry_id, dataset_id, requester_org, source_org,
             requested_by, requested_by_name, scenario, using_unit, fields, mode, until, purpose,
             state, basis, created_at)",
        &requests,
        &mut stmts,
    );
    inserts(
        "INSERT INTO cases (id, kind, subject, requester_org, responder_org, state, opened_on,
             due_on, closed_at, outcome)",
        &cases,
        &mut stmts,
    );
    let t = Instant::now();
    raw.exec_all(&stmts).await?;
    drop(stmts);
    if raw.is_pg() {
        for table in [
            "orgs",
            "catalog_entries",
            "datasets",
            "cases",
            "share_requests",
        ] {
            raw.exec(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            ))
            .await?;
        }
    }
    println!(
        "generated: {} agencies, {} entries, {} datasets ({} open), {} cases, {} share requests in {:.1} s",
        agencies.len(),
        entries.len(),
        all_ds.len(),
        open_ds.len(),
        cases.len(),
        requests.len(),
        t.elapsed().as_secs_f64()
    );

    // Access records through the store's append path.
    let t = Instant::now();
    let mut batch = Vec::with_capacity(10_000);
    for i in 0..s.reads {
        let (basis, outcome) = match i % 50 {
            0..=39 => ("open", Outcome::Success),
            40..=46 => ("grant", Outcome::Success),
            _ => ("open", Outcome::Failure),
        };
        let d = if open_ds.is_empty() || basis == "grant" {
            all_ds[rng.below(all_ds.len() as u64) as usize].0
        } else {
            // A skewed popularity: low ids are read more.
            let k = rng.below(open_ds.len() as u64) * rng.below(open_ds.len() as u64)
                / open_ds.len() as u64;
            open_ds[k as usize]
        };
        batch.push(AuditEvent {
            actor: if basis == "open" {
                "anonymous".into()
            } else {
                "bench".into()
            },
            actor_user_id: None,
            org_id: None,
            action: "dataset.read".into(),
            target: format!("dataset:{d}"),
            outcome,
            detail: serde_json::json!({"basis": basis, "fields": ["编号"], "asked": {}, "rows": 50}),
            client_ip: Some("10.0.0.1".into()),
        });
        if batch.len() == 10_000 || i + 1 == s.reads {
            store
                .record_access(std::mem::take(&mut batch), vec![])
                .await?;
        }
    }
    println!(
        "appended {} access records through the store in {:.1} s",
        s.reads,
        t.elapsed().as_secs_f64()
    );
    raw.exec("ANALYZE").await?;
    println!(
        "world ready in {:.1} s (demo world, bulk inserts, access records, ANALYZE)",
        gen_start.elapsed().as_secs_f64()
    );

    // pubdata: a fresh App on the data, the city authority's reviewer.
    let app = App::new(store.clone()).await?;
    let (token, _) = app
        .login("qy-sjj", "demo-password", SessionKind::Bearer, None)
        .await?;
    let p = app.authenticate(&token, None).await?;
    let from = NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
    let to = NaiveDate::from_ymd_opt(2026, 12, 31).expect("date");
    let t = Instant::now();
    let mut figures = app
        .supervision_figures(&p, authority, Some(from), Some(to))
        .await?;
    let cold = t.elapsed().as_secs_f64();
    let mut ours = vec![];
    for _ in 0..rounds {
        let t = Instant::now();
        figures = app
            .supervision_figures(&p, authority, Some(from), Some(to))
            .await?;
        ours.push(t.elapsed().as_secs_f64());
    }

    // Where pubdata's time goes: the store's supervision queries alone.
    let start = midnight_cst(from);
    let stop = midnight_cst(to + Duration::days(1));
    let mut parts = vec![];
    let t = Instant::now();
    let n_entries = store.entries_published_between(from, to).await?.len();
    parts.push(format!(
        "entries {n_entries} rows {:.3} s",
        t.elapsed().as_secs_f64()
    ));
    let t = Instant::now();
    let n_cases = store.cases_opened_between(from, to).await?.len();
    parts.push(format!(
        "cases {n_cases} rows {:.3} s",
        t.elapsed().as_secs_f64()
    ));
    let t = Instant::now();
    let n_ds = store.supervised_datasets().await?.len();
    parts.push(format!(
        "datasets {n_ds} rows {:.3} s",
        t.elapsed().as_secs_f64()
    ));
    let t = Instant::now();
    let n_reads = store.open_reads_between(start, stop).await?.len();
    parts.push(format!(
        "open reads {n_reads} rows {:.3} s",
        t.elapsed().as_secs_f64()
    ));
    let t = Instant::now();
    let n_open = app.open_datasets(None, None, false, 1000, 0).await?.total;
    parts.push(format!(
        "open datasets {n_open} (first page, loaded one by one) {:.3} s",
        t.elapsed().as_secs_f64()
    ));
    println!("pubdata breakdown: {}", parts.join("; "));

    // The baseline: plain SQL aggregates per agency over the same tables.
    let closed_day = if raw.is_pg() {
        "CAST((c.closed_at AT TIME ZONE 'UTC') + INTERVAL '8 hours' AS DATE)"
    } else {
        "date(c.closed_at, '+8 hours')"
    };
    let today_l = lit(&today.to_string());
    let (from_l, to_l) = (lit(&from.to_string()), lit(&to.to_string()));
    let end = stop.min(Utc::now());
    let open_cond = "e.open_attribute = 'unconditional' AND e.published_version IS NOT NULL
          AND e.state <> 'delisted' AND d.current_version > 0
          AND NOT EXISTS (SELECT 1 FROM derivations dv
                WHERE dv.dataset_id = d.id AND dv.reid_required
                  AND NOT EXISTS (SELECT 1 FROM reid_checks rc
                       WHERE rc.dataset_id = d.id AND rc.version = d.current_version AND rc.passed))";
    let cases_q = format!(
        "SELECT CAST(CASE WHEN c.kind = 'catalog_review' THEN c.requester_org
                          ELSE c.responder_org END AS BIGINT) AS org,
                c.kind || '/' || c.state || '/' ||
                CASE WHEN (CASE WHEN c.state = 'closed' THEN {closed_day} > c.due_on
                                ELSE {today_l} > c.due_on END) THEN 'late' ELSE 'ok' END || '/' ||
                CASE WHEN c.outcome = 'refused' THEN 'refused' ELSE '-' END || '/' ||
                CASE WHEN TRIM(COALESCE(s.basis, '')) <> '' THEN 'basis' ELSE '-' END AS k,
                COUNT(*) AS n
           FROM cases c
           LEFT JOIN share_requests s
             ON s.id = CASE WHEN c.kind = 'share_answer'
                            THEN CAST(SUBSTR(c.subject, 15) AS BIGINT) END
          WHERE c.opened_on >= {from_l} AND c.opened_on <= {to_l}
            AND c.kind IN ('catalog_review', 'catalog_update', 'share_answer',
                           'share_implement', 'objection')
          GROUP BY 1, 2"
    );
    let others_q = format!(
        "SELECT org_id, 'entries_published', COUNT(*) FROM catalog_entries
          WHERE published_version IS NOT NULL AND published_on >= {from_l} AND published_on <= {to_l}
          GROUP BY org_id
         UNION ALL
         SELECT org_id, 'datasets', COUNT(*) FROM datasets WHERE created_at <= {end_l}
          GROUP BY org_id
         UNION ALL
         SELECT d.org_id, 'open_datasets', COUNT(*)
           FROM datasets d JOIN catalog_entries e ON e.id = d.entry_id
          WHERE {open_cond} GROUP BY d.org_id
         UNION ALL
         SELECT d.org_id, 'open_reads', CAST(SUM(r.n) AS BIGINT)
           FROM (SELECT target, COUNT(*) AS n FROM audit_log
                  WHERE action = 'dataset.read' AND outcome = 'success'
                    AND at >= {start_l} AND at < {stop_l}
                    AND detail LIKE '%\"basis\":\"open\"%'
                  GROUP BY target) r
           JOIN datasets d ON r.target = 'dataset:' || d.id
           JOIN catalog_entries e ON e.id = d.entry_id
          WHERE {open_cond} GROUP BY d.org_id",
        end_l = time_lit(end),
        start_l = time_lit(start),
        stop_l = time_lit(stop),
    );
    let mut base = baseline(&raw, &cases_q, &others_q).await?;
    let mut theirs = vec![];
    for _ in 0..rounds {
        let t = Instant::now();
        base = baseline(&raw, &cases_q, &others_q).await?;
        theirs.push(t.elapsed().as_secs_f64());
    }

    // Do the counts agree?
    let mut mismatches = 0;
    for fig in COMPARED {
        let (mut a, mut b) = (0, 0);
        for ag in &figures.agencies {
            let ours = match *fig {
                "datasets" => ag.counts["datasets_on_time"] + ag.counts["datasets_stale"],
                f => ag.counts[f],
            };
            let bl = base
                .get(&(ag.org_id, fig.to_string()))
                .copied()
                .unwrap_or(0);
            if ours != bl {
                mismatches += 1;
                if mismatches <= 10 {
                    println!(
                        "!!! MISMATCH {fig} for {} (org {}): pubdata {ours}, baseline {bl}",
                        ag.org_name, ag.org_id
                    );
                }
            }
            a += ours;
            b += bl;
        }
        println!(
            "  {fig:<27} pubdata {a:>9}  baseline {b:>9}{}",
            if a == b { "" } else { "   !!! MISMATCH" }
        );
    }
    if mismatches > 0 {
        println!("!!! {mismatches} per-agency counts DISAGREE between pubdata and the baseline");
    } else {
        println!(
            "counts agree for all {} agencies and {} figures",
            figures.agencies.len(),
            COMPARED.len()
        );
    }
    let (ours_m, theirs_m) = (median(&mut ours), median(&mut theirs));
    let verdict = if ours_m < TARGET_SECS {
        "UNDER 2 s"
    } else {
        "OVER 2 s"
    };
    println!(
        "pubdata evaluation  median {ours_m:.3} s (cold {cold:.3} s)\nbaseline SQL        median {theirs_m:.3} s\nratio pubdata/baseline {:.1}x; target 2 s: {verdict}",
        ours_m / theirs_m
    );
    Ok(format!(
        "pubdata {ours_m:7.3} s  baseline {theirs_m:7.3} s  ratio {:6.1}x  {verdict}{}",
        ours_m / theirs_m,
        if mismatches > 0 {
            "  COUNTS DISAGREE"
        } else {
            ""
        }
    ))
}

/// The baseline: the per-agency counts from plain SQL aggregates, combined
/// by figure.
async fn baseline(
    raw: &Raw,
    cases_q: &str,
    others_q: &str,
) -> anyhow::Result<HashMap<(i64, String), i64>> {
    let mut m: HashMap<(i64, String), i64> = HashMap::new();
    for (org, k, n) in raw.counts(cases_q).await? {
        let f: Vec<&str> = k.split('/').collect();
        let (kind, closed, late, refused, basis) = (
            f[0],
            f[1] == "closed",
            f[2] == "late",
            f[3] == "refused",
            f[4] == "basis",
        );
        let mut add = |fig: &str| *m.entry((org, fig.to_string())).or_default() += n;
        match kind {
            "catalog_review" if late => add("reviews_overdue"),
            "catalog_update" if late => add("updates_overdue"),
            "share_answer" if closed => {
                add("share_answered");
                if !late {
                    add("share_answered_in_time");
                }
                if refused {
                    add("share_refused");
                    if basis {
                        add("share_refused_with_basis");
                    }
                }
            }
            "share_implement" if closed => {
                add("share_implemented");
                if !late {
                    add("share_implemented_in_time");
                }
            }
            "objection" if closed => {
                add("objections_answered");
                if !late {
                    add("objections_in_time");
                }
            }
            _ => {}
        }
    }
    for (org, k, n) in raw.counts(others_q).await? {
        *m.entry((org, k)).or_default() += n;
    }
    Ok(m)
}
