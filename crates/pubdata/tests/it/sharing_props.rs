//! The property of the guarded data path, end to end on the real server and
//! database: whatever the grant (fields, masks, row filter, validity, state)
//! and whatever is asked (fields, filters), no answer holds a field, a row or
//! an unmasked value outside the grant. Each answer is compared with an
//! oracle written here from the rule itself, independently of the server.

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use pubdata_domain::masking::Mask;
use pubdata_domain::share::{DeliveryMode, GrantState, RowFilter};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::*;

const FIELDS: [&str; 4] = ["公民身份号码", "姓名", "出生日期", "行政区划"];
const REGIONS: [&str; 3] = ["英德市", "清城区", "连州市"];
const MASKS: [&str; 5] = ["name", "keep:1,1", "suppress", "year", "keep:6,4"];

/// The stored rows: key, name, birth date, region.
fn rows() -> Vec<[String; 4]> {
    let names = ["张三丰", "李四", "王小五", "赵六", "钱七七"];
    (0..30)
        .map(|i| {
            [
                format!("44180219900101{i:04}"),
                names[i % names.len()].to_string(),
                format!("19{:02}-0{}-1{}", 50 + i, 1 + i % 9, i % 10),
                REGIONS[i % 3].to_string(),
            ]
        })
        .collect()
}

#[derive(Debug, Clone)]
struct Case {
    fields: Vec<usize>,
    masks: BTreeMap<usize, usize>,
    region: Option<Vec<usize>>,
    /// Validity relative to today: 0 valid, 1 expired, 2 not yet valid.
    window: u8,
    state: GrantState,
    asked: Option<Vec<usize>>,
    /// (field, op 0 eq / 1 gte / 2 lte, row whose value is used)
    filters: Vec<(usize, u8, usize)>,
}

fn cases() -> impl Strategy<Value = Case> {
    (
        proptest::sample::subsequence(vec![0usize, 1, 2, 3], 1..=4),
        proptest::collection::btree_map(0usize..4, 0usize..MASKS.len(), 0..3),
        proptest::option::of(proptest::sample::subsequence(vec![0usize, 1, 2], 1..=2)),
        prop_oneof![6 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8)],
        prop_oneof![
            8 => Just(GrantState::Active),
            1 => Just(GrantState::Suspended),
            1 => Just(GrantState::Revoked)
        ],
        proptest::option::of(proptest::sample::subsequence(vec![0usize, 1, 2, 3], 1..=4)),
        // One filter per (field, op): a parameter given twice is a 400.
        proptest::collection::btree_map((0usize..4, 0u8..3), 0usize..30, 0..3),
    )
        .prop_map(
            |(fields, masks, region, window, state, asked, filters)| Case {
                masks: masks
                    .into_iter()
                    .filter(|(f, _)| fields.contains(f))
                    .collect(),
                fields,
                region,
                window,
                state,
                asked,
                filters: filters
                    .into_iter()
                    .map(|((f, op), row)| (f, op, row))
                    .collect(),
            },
        )
}

/// What the rule says the answer is: `Err(code)` or the items.
fn oracle(c: &Case, data: &[[String; 4]]) -> Result<Vec<BTreeMap<String, Value>>, &'static str> {
    match c.state {
        GrantState::Revoked | GrantState::Suspended => return Err("grant_revoked"),
        _ => {}
    }
    if c.window != 0 {
        return Err("grant_expired");
    }
    let asked = c.asked.clone().unwrap_or_else(|| c.fields.clone());
    if asked.iter().any(|f| !c.fields.contains(f)) {
        return Err("field_not_granted");
    }
    for (f, op, _) in &c.filters {
        if !c.fields.contains(f) {
            return Err("field_not_granted");
        }
        // A masked field is matched only by equality on the key (field 0).
        if c.masks.contains_key(f) && !(*op == 0 && *f == 0) {
            return Err("field_not_granted");
        }
    }
    let mut asked_sorted = asked.clone();
    asked_sorted.sort();
    asked_sorted.dedup();
    let out = data
        .iter()
        .filter(|r| {
            c.region
                .as_ref()
                .is_none_or(|rs| rs.iter().any(|i| REGIONS[*i] == r[3]))
        })
        .filter(|r| {
            c.filters.iter().all(|(f, op, row)| {
                let v = &data[*row][*f];
                match op {
                    0 => &r[*f] == v,
                    1 => &r[*f] >= v,
                    _ => &r[*f] <= v,
                }
            })
        })
        .map(|r| {
            asked
                .iter()
                .map(|f| {
                    let v = match c.masks.get(f) {
                        Some(m) => MASKS[*m].parse::<Mask>().unwrap().apply(&r[*f]),
                        None => Some(r[*f].clone()),
                    };
                    (
                        FIELDS[*f].to_string(),
                        v.map(Value::String).unwrap_or(Value::Null),
                    )
                })
                .collect()
        })
        .collect();
    Ok(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_answer_holds_a_field_a_row_or_an_unmasked_value_outside_its_grant() {
    let t = TestApp::demo().await;
    let (entry, gaj) = crate::catalog::published_population_entry(&t).await;
    let (status, d) = t
        .post("/api/v1/datasets", &gaj, json!({
            "entry_id": entry, "name": "户籍人口（性质测试）",
            "columns": FIELDS.iter().map(|f| json!({"name": f, "type": "string"})).collect::<Vec<_>>(),
            "key": ["公民身份号码"]
        }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    let ds = d["id"].as_i64().unwrap();
    let data = rows();
    let mut csv = FIELDS.join(",") + "\n";
    for r in &data {
        csv += &(r.join(",") + "\n");
    }
    let (status, v) = crate::datasets::upload(&t, &gaj, ds, "p.csv", csv.into_bytes()).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let grantee = t.org_id("qy-mzj").await;
    let source = t.org_id("qy-gaj").await;
    let mzj = t.login("qy-mzj").await;
    let today = pubdata_domain::calendar::today_cst();
    let handle = tokio::runtime::Handle::current();

    let mut runner = TestRunner::new(Config {
        cases: 48,
        ..Config::default()
    });
    runner
        .run(&cases(), |c| {
            tokio::task::block_in_place(|| {
                handle.block_on(async {
                    let (from, until) = match c.window {
                        0 => (today, today + chrono::Duration::days(30)),
                        1 => (
                            today - chrono::Duration::days(30),
                            today - chrono::Duration::days(1),
                        ),
                        _ => (
                            today + chrono::Duration::days(1),
                            today + chrono::Duration::days(30),
                        ),
                    };
                    let g = t
                        .store
                        .create_grant(
                            pubdata_store::NewGrant {
                                request_id: None,
                                dataset_id: ds,
                                entry_id: entry,
                                source_org: source,
                                grantee_org: grantee,
                                using_unit: "性质测试".into(),
                                scenario: "性质测试".into(),
                                purpose: "性质测试".into(),
                                data_user: "qy-mzj".into(),
                                fields: c.fields.iter().map(|f| FIELDS[*f].to_string()).collect(),
                                masks: c
                                    .masks
                                    .iter()
                                    .map(|(f, m)| (FIELDS[*f].to_string(), MASKS[*m].to_string()))
                                    .collect(),
                                row_filter: c.region.as_ref().map(|rs| RowFilter {
                                    field: "行政区划".into(),
                                    values: rs.iter().map(|i| REGIONS[*i].to_string()).collect(),
                                }),
                                mode: DeliveryMode::Api,
                                valid_from: from,
                                valid_until: until,
                                rate_limit: 100_000,
                                research_only: false,
                                state: c.state,
                                created_by: "test".into(),
                            },
                            pubdata_domain::audit::AuditEvent {
                                actor: "test".into(),
                                actor_user_id: None,
                                org_id: None,
                                action: "grant.test".into(),
                                target: String::new(),
                                outcome: pubdata_domain::audit::Outcome::Success,
                                detail: json!({}),
                                client_ip: None,
                            },
                        )
                        .await
                        .unwrap();
                    let mut url =
                        reqwest::Url::parse(&t.url(&format!("/api/v1/data/{ds}"))).unwrap();
                    {
                        let mut q = url.query_pairs_mut();
                        q.append_pair("grant", &g.id.to_string());
                        q.append_pair("limit", "1000");
                        if let Some(a) = &c.asked {
                            let names: Vec<&str> = a.iter().map(|f| FIELDS[*f]).collect();
                            q.append_pair("fields", &names.join(","));
                        }
                        for (f, op, row) in &c.filters {
                            let name = match op {
                                0 => FIELDS[*f].to_string(),
                                1 => format!("{}.gte", FIELDS[*f]),
                                _ => format!("{}.lte", FIELDS[*f]),
                            };
                            q.append_pair(&name, &data[*row][*f]);
                        }
                    }
                    let r = t.client.get(url).bearer_auth(&mzj).send().await.unwrap();
                    let status = r.status();
                    let body: Value = r.json().await.unwrap();
                    match oracle(&c, &data) {
                        Err(code) => {
                            prop_assert_eq!(status, StatusCode::FORBIDDEN, "{:?} → {}", c, body);
                            prop_assert_eq!(body["code"].as_str(), Some(code), "{:?}", c);
                        }
                        Ok(expected) => {
                            prop_assert_eq!(status, StatusCode::OK, "{:?} → {}", c, body);
                            let got: Vec<BTreeMap<String, Value>> =
                                serde_json::from_value(body["items"].clone()).unwrap();
                            prop_assert_eq!(got, expected, "{:?}", c);
                        }
                    }
                    Ok(())
                })
            })
        })
        .unwrap();
}
