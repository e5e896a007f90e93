//! The CKAN-compatible read API of the open data (`/api/3/action/…`):
//! CKAN 2.10's envelope, field names, paging, filters and errors; open
//! data only, datastore reads through the door.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::*;

const SITES: &str = "网点编号,网点名称,所在区县,窗口数,联系人\n\
W001,市政府社保网点,清城区,4,张三\n\
W002,英德社保网点,英德市,2,李四\n\
W003,凤城街社保网点,清城区,7,王五\n\
W004,连州社保网点,连州市,1,赵六\n";

const STOPS: &str = "网点编号,网点名称,所在区县,窗口数,联系人\n\
S001,市政府站,清城区,1,陈一\n\
S002,英德火车站,英德市,2,林二\n";

/// Publishes an entry of `agency` (open attribute `open`) and loads its
/// dataset from `csv`; the dataset marks its last column (联系人) personal,
/// which the public never reads. Dataset id.
pub(crate) async fn publish(
    t: &TestApp,
    agency: &str,
    name: &str,
    open: &str,
    keywords: &[&str],
    csv: &str,
) -> i64 {
    let owner = t.login(agency).await;
    let sjj = t.login("qy-sjj").await;
    let (status, e) = t
        .post(
            "/api/v1/catalog/entries",
            &owner,
            json!({
                "name": name,
                "summary": format!("{name}：全市网点位置与窗口"),
                "classification": "101",
                "data_form": "database",
                "items": [
                    {"name": "网点编号", "data_type": "string"},
                    {"name": "网点名称", "data_type": "string"},
                    {"name": "所在区县", "data_type": "string"},
                    {"name": "窗口数", "data_type": "integer"},
                    {"name": "联系人", "data_type": "string"}
                ],
                "share_type": "unconditional",
                "share_scope": "全市政务部门",
                "share_modes": ["api"],
                "open_attribute": open,
                "open_clauses": if open == "none" { json!(["law_forbids"]) } else { json!([]) },
                "open_grounds": if open == "none" { "内部管理数据" } else { "" },
                "update_frequency": "monthly",
                "keywords": keywords,
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{e}");
    let entry = e["id"].as_i64().unwrap();
    t.post(
        &format!("/api/v1/catalog/entries/{entry}/submit"),
        &owner,
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
            &owner,
            json!({"entry_id": entry, "name": name, "key": ["网点编号"], "columns": [
                {"name": "网点编号", "type": "string", "nullable": false},
                {"name": "网点名称", "type": "string"},
                {"name": "所在区县", "type": "string"},
                {"name": "窗口数", "type": "integer"},
                {"name": "联系人", "type": "string", "personal": true}
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    let id = d["id"].as_i64().unwrap();
    let (status, v) =
        crate::datasets::upload(t, &owner, id, "w.csv", csv.as_bytes().to_vec()).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    id
}

/// Two open datasets of two agencies and a closed one: (社保网点 of
/// 市场监督管理局, 公交站点 of 民政局, closed).
pub(crate) async fn ckan_world(t: &TestApp) -> (i64, i64, i64) {
    let sites = publish(
        t,
        "qy-scjgj",
        "社会保险经办网点",
        "unconditional",
        &["网点", "社会保险"],
        SITES,
    )
    .await;
    let stops = publish(t, "qy-mzj", "公交站点", "unconditional", &["公交"], STOPS).await;
    let closed = publish(t, "qy-scjgj", "内部网点统计", "none", &["内部"], SITES).await;
    (sites, stops, closed)
}

/// Calls `action` anonymously: GET with `query`, or POST with `body`.
pub(crate) async fn ckan(
    t: &TestApp,
    action: &str,
    query: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let method = if body.is_some() {
        Method::POST
    } else {
        Method::GET
    };
    let path = format!("/api/3/action/{action}{query}");
    let r = t.call(method, &path, None, body).await;
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("application/json"), "{ct}");
    let (status, v) = json_of(r).await;
    assert_eq!(
        v["help"],
        format!("{}/api/3/action/help_show?name={action}", t.base),
        "{v}"
    );
    assert_eq!(v["success"], status == StatusCode::OK, "{v}");
    (status, v)
}

async fn ok(t: &TestApp, action: &str, query: &str, body: Option<Value>) -> Value {
    let (status, v) = ckan(t, action, query, body).await;
    assert_eq!(status, StatusCode::OK, "{action}{query}: {v}");
    v["result"].clone()
}

fn is_ckan_name(s: &str) -> bool {
    (2..=100).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

#[tokio::test]
async fn ckan_lists_searches_and_shows_open_data_in_ckans_shapes() {
    let t = TestApp::demo().await;
    let (sites, stops, closed) = ckan_world(&t).await;

    // package_list: the open datasets' names, sorted; also at /api/action/.
    let names = ok(&t, "package_list", "", None).await;
    let names: Vec<String> = serde_json::from_value(names).unwrap();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.iter().all(|n| is_ckan_name(n)), "{names:?}");
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    assert!(names.iter().any(|n| n.ends_with(&format!("-d{sites}"))));
    assert!(names.iter().any(|n| n.ends_with(&format!("-d{stops}"))));
    assert!(!names.iter().any(|n| n.ends_with(&format!("-d{closed}"))));
    let (_, v) = json_of(
        t.call(
            Method::GET,
            "/api/action/package_list?limit=1&offset=1",
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(v["result"], json!([names[1]]));

    // package_show by name, and the same by id, GET and POST alike.
    let site_name = names
        .iter()
        .find(|n| n.ends_with(&format!("-d{sites}")))
        .unwrap()
        .clone();
    let pkg = ok(&t, "package_show", &format!("?id={site_name}"), None).await;
    assert_eq!(pkg["name"], site_name);
    assert_eq!(pkg["title"], "社会保险经办网点");
    assert_eq!(pkg["notes"], "社会保险经办网点：全市网点位置与窗口");
    assert_eq!(pkg["type"], "dataset");
    assert_eq!(pkg["state"], "active");
    assert_eq!(pkg["private"], false);
    assert_eq!(pkg["isopen"], true);
    assert_eq!(pkg["license_id"], "other-open");
    assert_eq!(pkg["organization"]["title"], "清远市市场监督管理局");
    assert_eq!(pkg["organization"]["name"], "qy-scjgj");
    assert_eq!(pkg["organization"]["is_organization"], true);
    assert_eq!(pkg["owner_org"], pkg["organization"]["id"]);
    assert_eq!(
        pkg["tags"],
        json!([
            {"name": "网点", "display_name": "网点", "state": "active", "vocabulary_id": null},
            {"name": "社会保险", "display_name": "社会保险", "state": "active", "vocabulary_id": null}
        ])
    );
    assert_eq!(pkg["num_tags"], 2);
    assert_eq!(pkg["num_resources"], 3);
    let formats: Vec<&str> = pkg["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["format"].as_str().unwrap())
        .collect();
    assert_eq!(formats, ["CSV", "JSON", "XLSX"]);
    let csv = &pkg["resources"][0];
    assert_eq!(csv["package_id"], pkg["id"]);
    assert_eq!(csv["datastore_active"], true);
    assert_eq!(pkg["resources"][1]["datastore_active"], false);
    assert_eq!(
        csv["url"],
        format!(
            "{}/api/v1/open/datasets/{sites}/download?format=csv",
            t.base
        )
    );
    for field in ["metadata_created", "metadata_modified"] {
        let s = pkg[field].as_str().unwrap();
        assert!(
            chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.6f").is_ok(),
            "{field}: {s}"
        );
    }
    let id = pkg["id"].as_str().unwrap().to_string();
    let by_id = ok(&t, "package_show", "", Some(json!({"id": id}))).await;
    assert_eq!(by_id, pkg);

    // package_search: abbreviations, fq on organization, paging, sort.
    let found = ok(&t, "package_search", "?q=社保", None).await;
    assert_eq!(found["count"], 1, "{found}");
    assert_eq!(found["results"][0]["name"], site_name);
    let found = ok(&t, "package_search", "?q=空气质量", None).await;
    assert_eq!(found["count"], 0);
    assert_eq!(found["results"], json!([]));
    let found = ok(
        &t,
        "package_search",
        "",
        Some(json!({"fq": "organization:qy-mzj"})),
    )
    .await;
    assert_eq!(found["count"], 1, "{found}");
    assert_eq!(found["results"][0]["title"], "公交站点");
    let found = ok(&t, "package_search", "?fq=organization:nobody", None).await;
    assert_eq!(found["count"], 0);
    let found = ok(&t, "package_search", "?fq=tags:公交", None).await;
    assert_eq!(found["count"], 1);
    let mut seen = vec![];
    for start in 0..3 {
        let page = ok(
            &t,
            "package_search",
            "",
            Some(json!({"rows": 1, "start": start, "sort": "title asc"})),
        )
        .await;
        assert_eq!(page["count"], 2, "{page}");
        for p in page["results"].as_array().unwrap() {
            seen.push(p["title"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(
        seen,
        ["公交站点", "社会保险经办网点"],
        "title order, one a page"
    );
    let desc = ok(&t, "package_search", "?sort=title%20desc&rows=10", None).await;
    assert_eq!(desc["results"][0]["title"], "社会保险经办网点");
    assert_eq!(desc["sort"], "title desc");
    let newest = ok(&t, "package_search", "?sort=metadata_modified desc", None).await;
    assert_eq!(newest["results"][0]["title"], "公交站点", "loaded last");

    // Organizations: the publishers of open data.
    let orgs = ok(&t, "organization_list", "", None).await;
    assert_eq!(orgs, json!(["qy-mzj", "qy-scjgj"]));
    let orgs = ok(&t, "organization_list", "?all_fields=true", None).await;
    assert_eq!(orgs[1]["name"], "qy-scjgj");
    assert_eq!(orgs[1]["title"], "清远市市场监督管理局");
    assert_eq!(orgs[1]["package_count"], 1);
    assert_eq!(orgs[1]["type"], "organization");
    let org = ok(&t, "organization_show", "?id=qy-scjgj", None).await;
    assert_eq!(org["id"], pkg["owner_org"]);
    assert_eq!(org["package_count"], 1, "the closed dataset does not count");
    let org = ok(
        &t,
        "organization_show",
        "",
        Some(json!({"id": pkg["owner_org"], "include_datasets": true})),
    )
    .await;
    assert_eq!(org["packages"][0]["name"], site_name);

    // resource_show.
    let res_id = csv["id"].as_str().unwrap();
    let res = ok(&t, "resource_show", &format!("?id={res_id}"), None).await;
    assert_eq!(&res, csv);

    // help_show answers for every action.
    let help = ok(&t, "help_show", "?name=datastore_search", None).await;
    assert!(help.as_str().unwrap().contains("filters"));
}

#[tokio::test]
async fn datastore_search_filters_pages_and_sorts_through_the_door() {
    let t = TestApp::demo().await;
    let (sites, _, _) = ckan_world(&t).await;
    let pkg = ok(
        &t,
        "package_search",
        "",
        Some(json!({"q": "社会保险经办网点"})),
    )
    .await;
    let res = pkg["results"][0]["resources"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Everything, typed, the personal column left out.
    let all = ok(&t, "datastore_search", &format!("?resource_id={res}"), None).await;
    assert_eq!(all["resource_id"], res);
    assert_eq!(all["total"], 4);
    assert_eq!(all["limit"], 100);
    assert_eq!(all["offset"], 0);
    assert_eq!(
        all["fields"],
        json!([
            {"id": "网点编号", "type": "text"},
            {"id": "网点名称", "type": "text"},
            {"id": "所在区县", "type": "text"},
            {"id": "窗口数", "type": "int"}
        ])
    );
    assert_eq!(
        all["records"][0],
        json!({"网点编号": "W001", "网点名称": "市政府社保网点", "所在区县": "清城区", "窗口数": 4})
    );
    assert!(
        !all.to_string().contains("张三"),
        "personal data never leaves"
    );
    assert!(all["_links"]["start"].as_str().unwrap().contains(&res));

    // filters (GET: a JSON string), limit, offset, fields, sort.
    let filters =
        "%7B%22%E6%89%80%E5%9C%A8%E5%8C%BA%E5%8E%BF%22%3A%22%E6%B8%85%E5%9F%8E%E5%8C%BA%22%7D";
    let r = ok(
        &t,
        "datastore_search",
        &format!("?resource_id={res}&filters={filters}"),
        None,
    )
    .await;
    assert_eq!(r["total"], 2, "{r}");
    let body = |extra: Value| {
        let mut b = json!({"resource_id": res});
        b.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        Some(b)
    };
    let r = ok(
        &t,
        "datastore_search",
        "",
        body(
            json!({"filters": {"所在区县": ["清城区", "英德市"]}, "sort": "窗口数 desc",
                    "limit": 2, "offset": 1, "fields": ["网点编号"]}),
        ),
    )
    .await;
    assert_eq!(r["total"], 3);
    assert_eq!(
        r["records"],
        json!([{"网点编号": "W001"}, {"网点编号": "W002"}])
    );
    assert_eq!(r["fields"], json!([{"id": "网点编号", "type": "text"}]));
    assert_eq!(r["limit"], 2);
    assert_eq!(r["offset"], 1);
    let r = ok(
        &t,
        "datastore_search",
        "",
        body(json!({"sort": "网点编号 desc", "limit": 1})),
    )
    .await;
    assert_eq!(r["records"][0]["网点编号"], "W004");
    assert_eq!(r["total"], 4);
    // Numbers sort as numbers (10 after 7, not between 1 and 2).
    let owner = t.login("qy-scjgj").await;
    let (status, v) = crate::datasets::upload(
        &t,
        &owner,
        sites,
        "w.csv",
        format!("{SITES}W005,清新社保网点,清新区,10,钱七\n").into_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let r = ok(
        &t,
        "datastore_search",
        "",
        body(json!({"sort": "窗口数 desc", "fields": "窗口数"})),
    )
    .await;
    assert_eq!(
        r["records"],
        json!([{"窗口数": 10}, {"窗口数": 7}, {"窗口数": 4}, {"窗口数": 2}, {"窗口数": 1}])
    );
    // q: a word anywhere, or per field.
    let r = ok(&t, "datastore_search", "", body(json!({"q": "英德"}))).await;
    assert_eq!(r["total"], 1);
    assert_eq!(r["records"][0]["网点编号"], "W002");
    let r = ok(
        &t,
        "datastore_search",
        "",
        body(json!({"q": {"网点名称": "凤城"}})),
    )
    .await;
    assert_eq!(
        r["records"],
        json!([{"网点编号": "W003", "网点名称": "凤城街社保网点", "所在区县": "清城区", "窗口数": 7}])
    );
    // Paging links.
    let r = ok(&t, "datastore_search", "", body(json!({"limit": 3}))).await;
    assert!(
        r["_links"]["next"]
            .as_str()
            .unwrap()
            .ends_with("&limit=3&offset=3"),
        "{r}"
    );

    // The personal column can be neither filtered, searched nor asked for.
    for extra in [
        json!({"filters": {"联系人": "张三"}}),
        json!({"q": {"联系人": "张"}}),
        json!({"fields": ["联系人"]}),
        json!({"sort": "联系人"}),
        json!({"filters": {"无此字段": "1"}}),
    ] {
        let (status, v) = ckan(&t, "datastore_search", "", body(extra.clone())).await;
        assert_eq!(status, StatusCode::CONFLICT, "{extra}: {v}");
        assert_eq!(v["error"]["__type"], "Validation Error", "{v}");
        assert!(!v.to_string().contains("张三"));
    }

    // Every datastore read is recorded by the door, anonymised.
    let reads: Vec<_> = t
        .store
        .audit_batch(0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| {
            r.event.action == "dataset.read"
                && r.event.target == format!("dataset:{sites}")
                && r.event.detail["asked"]["ckan"] == "datastore_search"
        })
        .collect();
    assert!(reads.len() >= 8, "{}", reads.len());
    assert!(reads.iter().all(|r| r.event.actor.starts_with("public:")));
    assert!(reads.iter().all(|r| r.event.detail["basis"] == "open"));
    assert!(reads.iter().all(|r| r.event.client_ip.is_none()));
}

#[tokio::test]
async fn ckan_errors_are_ckans_and_closed_data_is_not_found() {
    let t = TestApp::demo().await;
    let (sites, _, closed) = ckan_world(&t).await;
    let open_pkg =
        ok(&t, "package_search", "?q=社会保险经办网点", None).await["results"][0].clone();
    let open_name = open_pkg["name"].as_str().unwrap();
    let open_id = open_pkg["id"].as_str().unwrap();
    // The closed dataset's would-be id, name and resource ids.
    let closed_id = open_id.replace(&format!("{sites:012x}"), &format!("{closed:012x}"));
    let closed_name = open_name.replace(&format!("-d{sites}"), &format!("-d{closed}"));
    let closed_res = open_pkg["resources"][0]["id"]
        .as_str()
        .unwrap()
        .replace(&format!("{sites:012x}"), &format!("{closed:012x}"));

    let not_found = |v: &Value| {
        assert_eq!(v["error"]["__type"], "Not Found Error", "{v}");
        assert!(v["error"]["message"].is_string());
        assert!(
            !v.to_string().contains("内部网点统计"),
            "nothing leaks: {v}"
        );
    };
    for (action, query) in [
        ("package_show", format!("?id={closed_id}")),
        ("package_show", format!("?id={closed_name}")),
        ("package_show", "?id=no-such-dataset".to_string()),
        (
            "package_show",
            format!("?id={}", open_name.replace("-d", "-d9")),
        ),
        ("resource_show", format!("?id={closed_res}")),
        ("resource_show", "?id=nope".to_string()),
        ("datastore_search", format!("?resource_id={closed_res}")),
        ("datastore_search", "?resource_id=nope".to_string()),
        // The JSON download is no datastore resource.
        (
            "datastore_search",
            format!(
                "?resource_id={}",
                open_pkg["resources"][1]["id"].as_str().unwrap()
            ),
        ),
        ("organization_show", "?id=nobody".to_string()),
        ("organization_show", "?id=qy-gaj".to_string()),
    ] {
        let (status, v) = ckan(&t, action, &query, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{action}{query}: {v}");
        not_found(&v);
    }
    // The refusals of the closed dataset are recorded.
    let refused: Vec<_> = t
        .store
        .audit_batch(0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| {
            r.event.target == format!("dataset:{closed}") && r.event.action == "dataset.read"
        })
        .collect();
    assert!(refused.len() >= 4, "{}", refused.len());
    assert!(
        refused
            .iter()
            .all(|r| r.event.outcome.as_str() != "success")
    );

    // Unknown and bad parameters: CKAN's Validation Error (409), field by field.
    let (status, v) = ckan(
        &t,
        "package_show",
        &format!("?id={open_name}&bogus=1"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"]["__type"], "Validation Error");
    assert_eq!(
        v["error"]["__junk"],
        json!(["The input field ['bogus'] was not expected."])
    );
    let (status, v) = ckan(&t, "package_show", "", Some(json!({}))).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(v["error"]["id"], json!(["Missing value"]));
    let (status, v) = ckan(&t, "package_search", "?rows=many", None).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(v["error"]["rows"], json!(["Invalid integer"]));
    let (status, v) = ckan(&t, "datastore_search", "?resource_id=x&limit=-1", None).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(v["error"]["limit"], json!(["Must be a natural number"]));
    let (status, v) = ckan(
        &t,
        "datastore_search",
        "?resource_id=x&filters=%7Bbad",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(v["error"]["filters"].is_array());
    // package_search refuses unknown parameters and fields as CKAN's Solr does.
    for q in ["?bogus=1", "?fq=secret:1", "?sort=secret%20asc"] {
        let (status, v) = ckan(&t, "package_search", q, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{q}: {v}");
        assert_eq!(v["error"]["__type"], "Search Query Error");
    }
    // Not an action, not JSON.
    let (status, v) = ckan(&t, "package_create", "", Some(json!({"name": "x"}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Action name not known")
    );
    let r = t
        .client
        .post(t.url("/api/3/action/package_show"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let (status, v) = json_of(r).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["success"], false);
    // An invalid token is refused, not ignored.
    let r = t
        .call(
            Method::GET,
            "/api/3/action/package_list",
            Some("not-a-token"),
            None,
        )
        .await;
    let (status, v) = json_of(r).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(v["error"]["__type"], "Authorization Error");
}
