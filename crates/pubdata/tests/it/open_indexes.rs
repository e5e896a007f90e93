//! Search indexes of large open datasets (`open::indexes`): a committed
//! load of an open dataset indexes its categorical public columns, never a
//! personal or high-cardinality one; the `open_indexes` job restores them;
//! `datastore_search` counts stay exact across versions.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::ckan::{ckan, publish};
use crate::common::*;
use pubdata_service::jobs::Job;

const DISTRICTS: [&str; 4] = ["清城区", "英德市", "连州市", "清新区"];

/// `rows` rows: keys W00000…, unique names, four districts in turn, a
/// count with many values, a personal contact with few.
fn sites(rows: usize, skip_district: Option<&str>) -> String {
    let mut csv = String::from("网点编号,网点名称,所在区县,窗口数,联系人\n");
    for i in 0..rows {
        let d = DISTRICTS[i % 4];
        if Some(d) == skip_district {
            continue;
        }
        csv.push_str(&format!(
            "W{i:05},网点{i},{d},{},联系人{}\n",
            i % 997,
            i % 3
        ));
    }
    csv
}

/// The names of the indexes on table `t`.
async fn indexes(t: &TestApp, table: &str) -> Vec<String> {
    use sqlx::{Connection, Row};
    if t.on_postgres() {
        let mut c = sqlx::PgConnection::connect(&t.db_url).await.unwrap();
        sqlx::query("SELECT indexname FROM pg_indexes WHERE tablename = $1")
            .bind(table)
            .fetch_all(&mut c)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<String, _>(0))
            .collect()
    } else {
        let mut c = sqlx::SqliteConnection::connect(&t.db_url).await.unwrap();
        sqlx::query("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?")
            .bind(table)
            .fetch_all(&mut c)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<String, _>(0))
            .collect()
    }
}

async fn total_in(t: &TestApp, res: &str, district: &str) -> Value {
    let (status, v) = ckan(
        t,
        "datastore_search",
        "",
        Some(json!({"resource_id": res, "filters": {"所在区县": district}, "limit": 2})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v["result"].clone()
}

#[tokio::test]
async fn open_datasets_index_their_categorical_public_columns_and_counts_stay_exact() {
    let t = TestApp::demo().await;
    let id = publish(
        &t,
        "qy-scjgj",
        "社会保险经办网点",
        "unconditional",
        &["网点"],
        &sites(12_000, None),
    )
    .await;
    let table = format!("ds_{id}");
    // The load indexed the district (4 values) only: not the key, the
    // unique names, the count (997 values), nor the personal contact.
    let mut names = indexes(&t, &table).await;
    names.sort();
    assert!(names.contains(&format!("{table}_s2")), "{names:?}");
    for c in [0, 1, 3, 4] {
        assert!(!names.contains(&format!("{table}_s{c}")), "{names:?}");
    }

    let (_, v) = ckan(
        &t,
        "package_search",
        "",
        Some(json!({"q": "社会保险经办网点"})),
    )
    .await;
    let res = v["result"]["results"][0]["resources"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = total_in(&t, &res, "英德市").await;
    assert_eq!(r["total"], 3000, "{r}");
    assert_eq!(r["records"][0]["网点编号"], "W00001", "key order: {r}");
    assert_eq!(r["records"][1]["网点编号"], "W00005", "key order: {r}");
    // Asked again (the remembered count), the same.
    assert_eq!(total_in(&t, &res, "英德市").await["total"], 3000);

    // A new version without 英德市: the count is of the new version.
    let owner = t.login("qy-scjgj").await;
    let (status, v) = crate::datasets::upload(
        &t,
        &owner,
        id,
        "w2.csv",
        sites(14_000, Some("英德市")).into_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let r = total_in(&t, &res, "英德市").await;
    assert_eq!(r["total"], 0, "{r}");
    assert_eq!(r["records"], json!([]));
    assert_eq!(total_in(&t, &res, "清城区").await["total"], 3500);

    // The job puts back an index that went missing.
    t.sql(&format!("DROP INDEX {table}_s2")).await;
    assert!(!indexes(&t, &table).await.contains(&format!("{table}_s2")));
    assert!(t.app.run_job(Job::OpenIndexes).await.unwrap());
    assert!(indexes(&t, &table).await.contains(&format!("{table}_s2")));
}

#[tokio::test]
async fn small_and_closed_datasets_get_no_search_index() {
    let t = TestApp::demo().await;
    let small = publish(
        &t,
        "qy-scjgj",
        "小网点表",
        "unconditional",
        &["网点"],
        &sites(200, None),
    )
    .await;
    let closed = publish(
        &t,
        "qy-scjgj",
        "内部网点表",
        "none",
        &["网点"],
        &sites(12_000, None),
    )
    .await;
    t.app.run_job(Job::OpenIndexes).await.unwrap();
    for id in [small, closed] {
        let table = format!("ds_{id}");
        let names = indexes(&t, &table).await;
        assert!(
            !names.iter().any(|n| n.starts_with(&format!("{table}_s"))),
            "{names:?}"
        );
    }
}
