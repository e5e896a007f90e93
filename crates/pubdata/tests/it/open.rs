//! Open data (OPN-3): the open catalogue, rows and downloads for anyone,
//! through the one door, recorded with an anonymised client.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::*;

const STOPS: &str = "站点编号,站点名称,所在区县,线路\n\
S001,市政府站,清城区,1路\n\
S002,英德火车站,英德市,K3路\n\
S003,凤城街站,清城区,2路\n";

/// A published, unconditionally open entry of 交通运输局-like data held by
/// 市场监督管理局 (an agency of the demo), with its dataset loaded; and a
/// second, not open, dataset. (open dataset id, closed dataset id)
async fn open_world(t: &TestApp) -> (i64, i64) {
    let scj = t.login("qy-scjgj").await;
    let sjj = t.login("qy-sjj").await;
    let mut ids = vec![];
    for (name, open) in [
        ("社会保险经办网点信息", "unconditional"),
        ("内部统计信息", "none"),
    ] {
        let (status, e) = t
            .post(
                "/api/v1/catalog/entries",
                &scj,
                json!({
                    "name": name,
                    "summary": "全市公交站点与社会保险经办网点位置",
                    "classification": "101",
                    "data_form": "database",
                    "items": [
                        {"name": "站点编号", "data_type": "string"},
                        {"name": "站点名称", "data_type": "string"},
                        {"name": "所在区县", "data_type": "string"},
                        {"name": "线路", "data_type": "string"}
                    ],
                    "share_type": "unconditional",
                    "share_scope": "全市政务部门",
                    "share_modes": ["api"],
                    "open_attribute": open,
                    "open_clauses": if open == "none" { json!(["law_forbids"]) } else { json!([]) },
                    "open_grounds": if open == "none" { "内部管理数据" } else { "" },
                    "update_frequency": "monthly",
                    "keywords": ["公交", "网点"]
                }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{e}");
        let entry = e["id"].as_i64().unwrap();
        t.post(
            &format!("/api/v1/catalog/entries/{entry}/submit"),
            &scj,
            json!(null),
        )
        .await;
        let (status, r) = t
            .post(
                &format!("/api/v1/catalog/entries/{entry}/review"),
                &sjj,
                json!({"decision": "approve"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{r}");
        let (status, d) = t
            .post(
                "/api/v1/datasets",
                &scj,
                json!({"entry_id": entry, "name": name, "key": ["站点编号"], "columns": [
                    {"name": "站点编号", "type": "string", "nullable": false},
                    {"name": "站点名称", "type": "string"},
                    {"name": "所在区县", "type": "string"},
                    {"name": "线路", "type": "string"}
                ]}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{d}");
        let id = d["id"].as_i64().unwrap();
        let (status, v) =
            crate::datasets::upload(t, &scj, id, "s.csv", STOPS.as_bytes().to_vec()).await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
        ids.push(id);
    }
    (ids[0], ids[1])
}

async fn anonymous(t: &TestApp, path: &str) -> reqwest::Response {
    t.call(Method::GET, path, None, None).await
}

#[tokio::test]
async fn anyone_finds_reads_and_downloads_open_data_and_nothing_else() {
    let t = TestApp::demo().await;
    let (open, closed) = open_world(&t).await;

    // The catalogue, without an account; 社保 finds 社会保险.
    let (status, list) = json_of(anonymous(&t, "/api/v1/open/datasets?q=社保").await).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!(list["items"][0]["id"], open);
    assert_eq!(list["items"][0]["org_name"], "清远市市场监督管理局");
    let (_, none) = json_of(anonymous(&t, "/api/v1/open/datasets?q=空气质量").await).await;
    assert_eq!(none["total"], 0);
    let (_, all) = json_of(anonymous(&t, "/api/v1/open/datasets").await).await;
    assert!(
        all["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["id"] != closed)
    );

    // Metadata and rows, page by page.
    let (status, d) = json_of(anonymous(&t, &format!("/api/v1/open/datasets/{open}")).await).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(
        d["columns"],
        json!(["站点编号", "站点名称", "所在区县", "线路"])
    );
    let (status, page) =
        json_of(anonymous(&t, &format!("/api/v1/open/datasets/{open}/rows?limit=2")).await).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["items"][0]["站点名称"], "市政府站");
    let cursor = page["next_cursor"].as_str().unwrap().to_string();
    let (_, rest) = json_of(
        anonymous(
            &t,
            &format!("/api/v1/open/datasets/{open}/rows?cursor={cursor}"),
        )
        .await,
    )
    .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert!(rest["next_cursor"].is_null());

    // Downloads in three formats.
    let r = anonymous(
        &t,
        &format!("/api/v1/open/datasets/{open}/download?format=csv"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let csv = r.text().await.unwrap();
    assert!(
        csv.trim_start_matches('\u{feff}')
            .starts_with("站点编号,站点名称,所在区县,线路\n")
    );
    assert_eq!(csv.lines().count(), 4);
    let r = anonymous(
        &t,
        &format!("/api/v1/open/datasets/{open}/download?format=json"),
    )
    .await;
    let rows: Vec<Value> = r.json().await.unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[1]["所在区县"], "英德市");
    let r = anonymous(
        &t,
        &format!("/api/v1/open/datasets/{open}/download?format=xlsx"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.bytes().await.unwrap().starts_with(b"PK"));

    // Not open: 404 everywhere, and the refusal is recorded.
    for path in [
        format!("/api/v1/open/datasets/{closed}"),
        format!("/api/v1/open/datasets/{closed}/rows"),
        format!("/api/v1/open/datasets/{closed}/download"),
        "/api/v1/open/datasets/999999/rows".to_string(),
    ] {
        assert_problem(
            anonymous(&t, &path).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }
    let r = anonymous(
        &t,
        &format!("/api/v1/open/datasets/{open}/download?format=pdf"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // Every read is recorded, with an anonymised client and no address.
    let records: Vec<_> = t
        .store
        .audit_batch(0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.event.action == "dataset.read" && r.event.detail["basis"] == "open")
        .collect();
    let granted: Vec<_> = records
        .iter()
        .filter(|r| r.event.target == format!("dataset:{open}"))
        .collect();
    assert_eq!(granted.len(), 5, "two pages and three downloads");
    assert!(granted.iter().all(|r| r.event.actor.starts_with("public:")));
    assert!(granted.iter().all(|r| r.event.client_ip.is_none()));
    assert!(
        records
            .iter()
            .any(|r| r.event.target == format!("dataset:{closed}")),
        "the refused read of the closed dataset is recorded"
    );
}

#[tokio::test]
async fn the_portal_counts_what_each_agency_opened_and_how_it_is_read() {
    let t = TestApp::demo().await;
    let (open, _) = open_world(&t).await;
    let figures = |v: &Value| {
        v["agencies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["org_name"] == "清远市市场监督管理局")
            .cloned()
            .unwrap_or(Value::Null)
    };
    let (status, before) = json_of(anonymous(&t, "/api/v1/open/stats").await).await;
    assert_eq!(status, StatusCode::OK, "{before}");
    assert_eq!(before["usage_days"], 30);
    let scj = figures(&before);
    assert_eq!(scj["datasets"], 1, "{before}");
    assert_eq!(scj["rows"], 3);
    let reads = scj["reads"].as_i64().unwrap();
    // Two reads of its rows and a download: three more, from the access records.
    for path in [
        format!("/api/v1/open/datasets/{open}/rows"),
        format!("/api/v1/open/datasets/{open}/rows?limit=1"),
        format!("/api/v1/open/datasets/{open}/download?format=csv"),
    ] {
        let r = anonymous(&t, &path).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        r.bytes().await.unwrap();
    }
    let (_, after) = json_of(anonymous(&t, "/api/v1/open/stats").await).await;
    assert_eq!(figures(&after)["reads"], reads + 3, "{after}");
    assert_eq!(after["datasets"], before["datasets"]);
    // The page shows the same figures in its table.
    let page = t
        .call(Method::GET, "/open/stats", None, None)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("清远市市场监督管理局"), "{page}");
    assert!(page.contains("/static/vendor/echarts.min.js"));
    let js = t
        .call(Method::GET, "/static/vendor/echarts.min.js", None, None)
        .await;
    assert_eq!(js.status(), StatusCode::OK);
    assert!(
        js.text().await.unwrap().len() > 500_000,
        "ECharts is served whole"
    );
}

/// The operator's open data rate limit (`--open-rate-per-minute`,
/// `App::set_open_rate_per_minute`) is honoured: two requests a minute for
/// an anonymous client, the third refused with 429; a signed-in caller gets
/// ten times it.
#[tokio::test]
async fn the_operators_open_rate_limit_is_honoured() {
    let t = TestApp::demo().await;
    assert_eq!(
        t.app.open_rate_per_minute(),
        pubdata_service::open::ANONYMOUS_PER_MINUTE,
        "600 a minute by default"
    );
    t.app.set_open_rate_per_minute(2);
    for _ in 0..2 {
        let r = anonymous(&t, "/api/v1/open/datasets").await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    let r = anonymous(&t, "/api/v1/open/datasets").await;
    assert!(r.headers().contains_key("retry-after"));
    assert_problem(r, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    // The portal's pages share the bucket.
    let r = anonymous(&t, "/open").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);

    let citizen = t.login("citizen-demo").await;
    for i in 0..20 {
        let r = t
            .call(Method::GET, "/api/v1/open/datasets", Some(&citizen), None)
            .await;
        assert_eq!(r.status(), StatusCode::OK, "registered call {i}");
    }
    let r = t
        .call(Method::GET, "/api/v1/open/datasets", Some(&citizen), None)
        .await;
    assert_problem(r, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;

    // A new limit applies at once, to every client.
    t.app.set_open_rate_per_minute(1_000_000);
    let r = anonymous(&t, "/api/v1/open/datasets").await;
    assert_eq!(r.status(), StatusCode::OK);
}

/// The server's copy of the open list follows every committed change, also
/// one it did not make (another server, a background job, SQL behind its
/// back): a delisting hides the dataset at once from the search, its page,
/// its rows and CKAN; listing it again, renaming it, shows that at once too.
#[tokio::test]
async fn the_open_list_follows_changes_made_behind_the_servers_back() {
    let t = TestApp::demo().await;
    let (open, _) = open_world(&t).await;
    let search = |q: &'static str| {
        let t = &t;
        async move {
            let (status, list) =
                json_of(anonymous(t, &format!("/api/v1/open/datasets?q={q}")).await).await;
            assert_eq!(status, StatusCode::OK, "{list}");
            list["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["id"].as_i64().unwrap())
                .collect::<Vec<_>>()
        }
    };
    // Read once, so that the copy exists before the change.
    assert_eq!(search("社保").await, [open]);
    let rows = format!("/api/v1/open/datasets/{open}/rows?limit=1");
    assert_eq!(anonymous(&t, &rows).await.status(), StatusCode::OK);

    let entry: i64 = t.store.get_dataset(open).await.unwrap().entry_id;
    t.sql(&format!(
        "UPDATE catalog_entries SET state = 'delisted' WHERE id = {entry}"
    ))
    .await;
    assert!(
        search("社保").await.is_empty(),
        "a delisted entry is not listed"
    );
    for path in [
        format!("/api/v1/open/datasets/{open}"),
        rows.clone(),
        format!("/api/v1/open/datasets/{open}/download?format=csv"),
    ] {
        assert_eq!(
            anonymous(&t, &path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let (status, ckan) = json_of(
        anonymous(
            &t,
            &format!(
                "/api/3/action/package_show?id={}",
                pubdata_service::open::ckan::package_id(open)
            ),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{ckan}");

    t.sql(&format!(
        "UPDATE catalog_entries SET state = 'published' WHERE id = {entry};
         UPDATE datasets SET name = '公交站点位置' WHERE id = {open}"
    ))
    .await;
    assert_eq!(search("社保").await, [open], "listed again");
    assert_eq!(search("公交站点位置").await, [open], "under its new name");
    assert_eq!(anonymous(&t, &rows).await.status(), StatusCode::OK);
}
