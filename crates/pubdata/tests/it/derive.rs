//! Desensitised derivatives (SHR-6) and masking rules as data.

use pubdata_service::jobs::Job;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::*;
use crate::sharing::shared_population;

fn derivation(parent: i64, transforms: Value) -> Value {
    json!({
        "parent_dataset_id": parent,
        "name": "户籍人口年龄结构（脱敏）",
        "share_type": "unconditional",
        "grade": "L2",
        "transforms": transforms
    })
}

fn good_transforms() -> Value {
    json!({"公民身份号码": "pseudonym", "出生日期": "age_band", "行政区划": "keep", "姓名": "drop"})
}

/// The current rows of a dataset as its source department reads them.
async fn rows(t: &TestApp, token: &str, id: i64) -> Vec<Value> {
    let (status, r) = t.get(&format!("/api/v1/datasets/{id}/rows"), token).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    r["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_derivative_is_reviewed_filled_through_the_door_and_refreshed_with_its_parent() {
    let t = TestApp::demo().await;
    let (_, parent, gaj) = shared_population(&t).await;
    let sjj = t.login("qy-sjj").await;

    // Made by the holding agency: a draft entry, submitted for review at once.
    let (status, d) = t
        .post(
            "/api/v1/derivations",
            &gaj,
            derivation(parent, good_transforms()),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    let id = d["id"].as_i64().unwrap();
    let entry = d["entry_id"].as_i64().unwrap();
    assert_eq!(d["entry_state"], "submitted");
    assert_eq!(d["parent_share_type"], "conditional");
    assert_eq!(d["share_type"], "unconditional");
    assert!(
        d.get("secret").is_none(),
        "the HMAC secret never leaves: {d}"
    );
    assert_eq!(
        d["transforms"],
        json!([
            {"field": "公民身份号码", "transform": "pseudonym"},
            {"field": "出生日期", "transform": "age_band:10"},
            {"field": "行政区划", "transform": "keep"}
        ])
    );
    assert_eq!(d["dataset_id"], Value::Null);
    // The derived entry records its parent and what was done.
    let (_, e) = t
        .get(&format!("/api/v1/catalog/entries/{entry}"), &gaj)
        .await;
    let items: Vec<&str> = e["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(items, ["公民身份号码", "出生日期", "行政区划"]);
    assert_eq!(e["items"][1]["data_type"], "string");
    assert!(e["summary"].as_str().unwrap().contains("假名化"), "{e}");
    assert_eq!(e["items"][1]["personal"], false);

    // Not published yet: nothing to fill.
    let r = t
        .call(
            Method::POST,
            &format!("/api/v1/derivations/{id}/refresh"),
            Some(&gaj),
            None,
        )
        .await;
    assert_problem(r, StatusCode::CONFLICT, "entry_not_published").await;

    let (status, _) = t
        .post(
            &format!("/api/v1/catalog/entries/{entry}/review"),
            &sjj,
            json!({"decision": "approve"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // The job makes and fills the derived dataset.
    assert!(t.app.run_job(Job::Derivations).await.unwrap());
    let (_, d) = t.get(&format!("/api/v1/derivations/{id}"), &gaj).await;
    assert_eq!(d["up_to_date"], true, "{d}");
    let derived = d["dataset_id"].as_i64().unwrap();
    let first = rows(&t, &gaj, derived).await;
    assert_eq!(first.len(), 3);
    for r in &first {
        let key = r["公民身份号码"].as_str().unwrap();
        assert_eq!(key.len(), 32, "{r}");
        assert!(key.chars().all(|c| c.is_ascii_hexdigit()), "{r}");
        assert!(r.get("姓名").is_none(), "{r}");
    }
    let bands: Vec<&str> = first
        .iter()
        .map(|r| r["出生日期"].as_str().unwrap())
        .collect();
    assert!(
        bands.contains(&"30-39") && bands.contains(&"70-79"),
        "{bands:?}"
    );
    // The parent was read through the door, on the derivation's basis.
    let reads: Vec<Value> = t
        .store
        .audit_batch(0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| {
            r.event.action == "dataset.read" && r.event.target == format!("dataset:{parent}")
        })
        .map(|r| r.event.detail)
        .filter(|d| d["basis"] == "derivation")
        .collect();
    assert_eq!(reads.len(), 1);
    assert_eq!(reads[0]["rows"], 3);

    // A new parent version: the job refreshes the derivative; pseudonyms are stable.
    let csv = "公民身份号码,姓名,出生日期,行政区划\n\
               11010519491231002X,张三丰,1949-12-31,英德市\n\
               441802199001010017,王小五,1990-01-01,清新区\n";
    let (status, v) =
        crate::datasets::upload(&t, &gaj, parent, "p2.csv", csv.as_bytes().to_vec()).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let (_, d) = t.get(&format!("/api/v1/derivations/{id}"), &gaj).await;
    assert_eq!(d["up_to_date"], false);
    assert!(t.app.run_job(Job::Derivations).await.unwrap());
    let second = rows(&t, &gaj, derived).await;
    assert_eq!(second.len(), 2);
    for r in &second {
        assert!(
            first.iter().any(|f| f["公民身份号码"] == r["公民身份号码"]),
            "{r}"
        );
    }
    assert!(second.iter().any(|r| r["行政区划"] == "清新区"));
    let (_, d) = t.get(&format!("/api/v1/derivations/{id}"), &gaj).await;
    assert_eq!(d["up_to_date"], true);
    assert_eq!(d["parent_version"], 2);

    // Unconditional: another agency is granted at once and reads pseudonyms only.
    let mzj = t.login("qy-mzj").await;
    let (status, r) = t
        .post(
            "/api/v1/share-requests",
            &mzj,
            json!({"entry_id": entry, "scenario": "人口年龄结构分析", "using_unit": "清远市民政局",
                   "fields": ["公民身份号码", "出生日期"], "mode": "api",
                   "until": "2027-12-31", "purpose": "养老服务规划"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    assert_eq!(r["state"], "granted");
    let (status, page) = t.get(&format!("/api/v1/data/{derived}"), &mzj).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(!page.to_string().contains("11010519491231002X"));

    // Listed for the agency, by parent.
    let (_, list) = t
        .get(
            &format!("/api/v1/derivations?parent_dataset_id={parent}"),
            &gaj,
        )
        .await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (_, list) = t.get("/api/v1/derivations", &mzj).await;
    assert_eq!(list.as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn a_derivation_that_would_leak_or_break_its_key_is_refused() {
    let t = TestApp::demo().await;
    let (_, parent, gaj) = shared_population(&t).await;
    let refused = |transforms: Value, needle: &'static str| {
        let t = &t;
        let gaj = gaj.clone();
        async move {
            let r = t
                .call(
                    Method::POST,
                    "/api/v1/derivations",
                    Some(&gaj),
                    Some(derivation(parent, transforms)),
                )
                .await;
            let p = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
            assert_eq!(p["errors"][0]["field"], "transforms", "{p}");
            assert!(p.to_string().contains(needle), "{needle}: {p}");
        }
    };
    // The key masked: not injective.
    refused(json!({"公民身份号码": "mask:keep:6,4"}), "key").await;
    // A personal item in clear in a more open derivative.
    refused(
        json!({"公民身份号码": "pseudonym", "姓名": "keep"}),
        "personal",
    )
    .await;
    refused(
        json!({"公民身份号码": "pseudonym", "电话": "keep"}),
        "not a field",
    )
    .await;
    refused(
        json!({"公民身份号码": "pseudonym", "行政区划": "year"}),
        "does not apply",
    )
    .await;
    refused(json!({"公民身份号码": "blur"}), "not a transformation").await;

    // Another agency cannot derive from 公安局's data.
    let mzj = t.login("qy-mzj").await;
    let r = t
        .call(
            Method::POST,
            "/api/v1/derivations",
            Some(&mzj),
            Some(derivation(parent, good_transforms())),
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    // Nothing was made by any refusal.
    let (_, list) = t.get("/api/v1/derivations", &gaj).await;
    assert_eq!(list.as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn masking_rules_are_data_that_grants_default_to() {
    let t = TestApp::demo().await;
    let sjj = t.login("qy-sjj").await;
    let gaj = t.login("qy-gaj").await;
    let (_, rules) = t.get("/api/v1/masking-rules", &gaj).await;
    let rules = rules.as_array().unwrap().clone();
    assert_eq!(rules.len(), 6, "DOMAIN.md's defaults: {rules:?}");
    assert_eq!(rules[0]["rule"], "keep:6,4");

    // Only those who keep the catalogue scheme edit them; bad rules are refused.
    let r = t
        .call(
            Method::PUT,
            "/api/v1/masking-rules",
            Some(&gaj),
            Some(json!(rules)),
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    let r = t
        .call(
            Method::PUT,
            "/api/v1/masking-rules",
            Some(&sjj),
            Some(json!([{"words": ["姓名"], "rule": "hide"}])),
        )
        .await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;

    // Names now fully withheld by default in a new grant.
    let mut changed = rules.clone();
    let name = changed.iter().position(|r| r["rule"] == "name").unwrap();
    changed[name]["rule"] = json!("suppress");
    let r = t
        .call(
            Method::PUT,
            "/api/v1/masking-rules",
            Some(&sjj),
            Some(json!(changed)),
        )
        .await;
    let (status, saved) = json_of(r).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let (entry, _, _) = shared_population(&t).await;
    let mzj = t.login("qy-mzj").await;
    let (status, r) = t
        .post(
            "/api/v1/share-requests",
            &mzj,
            json!({"entry_id": entry, "scenario": "低保审核", "using_unit": "清远市民政局",
                   "fields": ["公民身份号码", "姓名"], "mode": "api",
                   "until": "2027-12-31", "purpose": "核对低保申请人"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let id = r["id"].as_i64().unwrap();
    let (status, r) = t
        .post(
            &format!("/api/v1/share-requests/{id}/decision"),
            &gaj,
            json!({"approve": true, "basis": ""}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let grant = r["grant_id"].as_i64().unwrap();
    let (_, g) = t.get(&format!("/api/v1/grants/{grant}"), &gaj).await;
    assert_eq!(g["masks"]["姓名"], "suppress", "{g}");
    assert_eq!(g["masks"]["公民身份号码"], "keep:6,4", "{g}");
}
