//! Benchmark: catalogue search over 10,000 entries (CAT-7, target well
//! under 100 ms). Seeds 10,000 published entries into a fresh database —
//! SQLite, then PostgreSQL when available (see pubdata_bench) — then times, in the same run, pubdata's search through the
//! service (policy, filters, Chinese substring terms, keyset page of 50)
//! against the baseline of reading the newest 50 entries with no search.
//! Prints latencies and the ratio to the 100 ms budget.
//!
//!     cargo run --release -p pubdata-bench --bin bench-catalog [-- ENTRIES]

use std::time::Instant;

use chrono::Utc;
use pubdata_domain::catalog::{
    DataForm, DataItem, DataType, EntryContent, Frequency, OpenAttribute, ShareMode, ShareType,
};
use pubdata_service::App;
use pubdata_store::{EntryFilter, SessionKind};

const WORDS: &[&str] = &[
    "人口",
    "户籍",
    "婚姻",
    "社保",
    "医保",
    "企业",
    "登记",
    "许可",
    "不动产",
    "教育",
    "学籍",
    "交通",
    "环境",
    "税务",
    "养老",
    "就业",
    "医疗",
    "住房",
    "公积金",
    "农业",
];

fn content(i: usize) -> EntryContent {
    let (a, b) = (
        WORDS[i % WORDS.len()],
        WORDS[(i / WORDS.len()) % WORDS.len()],
    );
    EntryContent {
        name: format!("{a}{b}信息{i}"),
        summary: format!("{a}与{b}相关的政务数据，第{i}号资源"),
        classification: ["101", "102", "201", "206", "207"][i % 5].into(),
        grade: "L1".into(),
        data_form: DataForm::Database,
        items: vec![DataItem {
            name: format!("{b}编号"),
            data_type: DataType::String,
            description: String::new(),
            personal: false,
        }],
        share_type: ShareType::Unconditional,
        share_conditions: String::new(),
        share_basis: String::new(),
        share_scope: "全市".into(),
        share_modes: vec![ShareMode::Api],
        open_attribute: OpenAttribute::Unconditional,
        open_conditions: String::new(),
        open_grounds: String::new(),
        open_basis: String::new(),
        open_clauses: vec![],
        update_frequency: Frequency::Monthly,
        keywords: vec![a.into()],
        collecting_org: None,
        approving_org: None,
        related_codes: vec![],
    }
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(10_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let dir = tempfile::tempdir()?;
    let pg = pubdata_bench::PgServer::start();
    for (backend, url) in pubdata_bench::databases(dir.path(), pg.as_ref(), "catalog")? {
        println!("== {backend}");
        rt.block_on(run(&url, n))?;
    }
    Ok(())
}

async fn run(url: &str, n: usize) -> anyhow::Result<()> {
    {
        let store = pubdata_store::open(url).await?;
        let app = App::new(store.clone()).await?;
        app.seed_demo_world().await?;
        let org = store.get_org_by_code("qy-gaj").await?.expect("demo org");
        let start = Instant::now();
        for i in 0..n {
            let audit = pubdata_service::Principal::system().event(
                "catalog.create",
                "",
                pubdata_domain::audit::Outcome::Success,
                serde_json::json!({}),
            );
            let e = store
                .create_entry(
                    pubdata_store::NewEntry {
                        org_id: org.id,
                        level: org.level,
                        content: content(i),
                        co_owners: vec![],
                        actor: "bench".into(),
                    },
                    audit,
                )
                .await?;
            let audit = pubdata_service::Principal::system().event(
                "catalog.review",
                "",
                pubdata_domain::audit::Outcome::Success,
                serde_json::json!({}),
            );
            store
                .change_entry(
                    pubdata_store::EntryChange {
                        entry_id: e.id,
                        expect_state: pubdata_domain::catalog::EntryState::Draft,
                        new_state: pubdata_domain::catalog::EntryState::Published,
                        new_content: None,
                        publish_on: Some(Utc::now().date_naive()),
                        note: String::new(),
                        actor: "bench".into(),
                        open_case: None,
                        close_cases: vec![],
                        file_with: None,
                    },
                    audit,
                )
                .await?;
        }
        println!(
            "bench-catalog: seeded {n} published entries in {:.1} s",
            start.elapsed().as_secs_f64()
        );
        let (token, _) = app
            .login("qy-mzj", "demo-password", SessionKind::Bearer, None)
            .await?;
        let p = app.authenticate(&token, None).await?;

        let queries: Vec<(&str, EntryFilter)> = vec![
            (
                "q=人口 (2 chars)",
                EntryFilter {
                    terms: vec!["人口".into()],
                    limit: 51,
                    ..Default::default()
                },
            ),
            (
                "q=公积金 (3 chars)",
                EntryFilter {
                    terms: vec!["公积金".into()],
                    limit: 51,
                    ..Default::default()
                },
            ),
            (
                "q=婚姻 登记 (2 terms)",
                EntryFilter {
                    terms: vec!["婚姻".into(), "登记".into()],
                    limit: 51,
                    ..Default::default()
                },
            ),
            (
                "q=不存在的词 (no match, full scan)",
                EntryFilter {
                    terms: vec!["不存在的词".into()],
                    limit: 51,
                    ..Default::default()
                },
            ),
            (
                "q=信息 + share_type + class",
                EntryFilter {
                    terms: vec!["信息".into()],
                    share_type: Some(ShareType::Unconditional),
                    classification: Some("2".into()),
                    limit: 51,
                    ..Default::default()
                },
            ),
        ];
        let rounds = 50;
        let mut baseline = Vec::new();
        for _ in 0..rounds {
            let t = Instant::now();
            app.list_entries(
                &p,
                EntryFilter {
                    limit: 51,
                    ..Default::default()
                },
            )
            .await?;
            baseline.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        let base_p50 = percentile(&mut baseline, 0.5);
        println!("baseline: newest 50, no search              p50 {base_p50:7.2} ms");
        let mut worst: f64 = 0.0;
        for (label, f) in queries {
            let mut times = Vec::new();
            let mut hits = 0;
            for _ in 0..rounds {
                let t = Instant::now();
                hits = app.list_entries(&p, f.clone()).await?.len();
                times.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            let (p50, p95) = (percentile(&mut times, 0.5), percentile(&mut times, 0.95));
            worst = worst.max(p95);
            println!(
                "{label:<40} p50 {p50:7.2} ms  p95 {p95:7.2} ms  ({hits} hits on the page; {:.1}x baseline)",
                p50 / base_p50
            );
        }
        println!(
            "worst p95 / 100 ms budget: {:.3} (target well under 1) {}",
            worst / 100.0,
            if worst < 100.0 { "PASS" } else { "OVER BUDGET" }
        );
        anyhow::Ok(())
    }
}
