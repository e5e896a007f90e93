//! The one door for dataset contents (`service/src/access.rs`): who may
//! read, on what basis, and the access record written before the answer.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::*;
use crate::datasets::{population_dataset, upload};

const ROWS: &str = "公民身份号码,姓名,性别,出生日期\n11010519491231002X,张三,女,1949-12-31\n440524188001010014,李四,男,1880-01-01\n441802199001010017,王五,男,1990-01-01\n";

/// The details of the audit records of `action` on `target`, oldest first.
async fn records(t: &TestApp, action: &str, target: &str) -> Vec<Value> {
    t.store
        .audit_batch(0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.event.action == action && r.event.target == target)
        .map(|r| r.event.detail)
        .collect()
}

#[tokio::test]
async fn every_read_of_dataset_contents_leaves_an_access_record_naming_its_basis() {
    let t = TestApp::demo().await;
    let (id, gaj) = population_dataset(&t).await;
    let (status, v) = upload(&t, &gaj, id, "p.csv", ROWS.as_bytes().to_vec()).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let target = format!("dataset:{id}");

    // The source department reads a page of rows: one access record, with
    // the basis, the fields, what was asked and how many rows left.
    let (status, page) = t
        .get(&format!("/api/v1/datasets/{id}/rows?limit=2"), &gaj)
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let reads = records(&t, "dataset.read", &target).await;
    assert_eq!(reads.len(), 1, "{reads:?}");
    let r = &reads[0];
    assert_eq!(r["basis"], "source_department");
    assert_eq!(
        r["fields"],
        json!(["公民身份号码", "姓名", "性别", "出生日期"])
    );
    assert!(r["asked"]["rows"].is_object(), "{r}");
    // One row more than the page is read to know whether more follow.
    assert_eq!(r["rows"], 3);

    // A supervisor may see the dataset but not read its rows: refused,
    // the refusal audited, and no access record.
    let auditor = t.login("auditor").await;
    let (status, _) = t
        .get(&format!("/api/v1/datasets/{id}/rows"), &auditor)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(records(&t, "dataset.read", &target).await.len(), 1);
    assert!(
        t.store
            .audit_batch(0, 100_000)
            .await
            .unwrap()
            .iter()
            .any(|r| r.event.action == "authz.denied" && r.event.actor == "auditor")
    );

    // A row's history on the dataset page is a read too.
    let html = crate::pages::sign_in(&t, "qy-gaj")
        .await
        .get(t.url(&format!("/datasets/{id}?key=11010519491231002X")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("张三"));
    let reads = records(&t, "dataset.read", &target).await;
    assert!(
        reads
            .iter()
            .any(|r| r["asked"]["history"]["key"] == "11010519491231002X"),
        "{reads:?}"
    );

    // A base-database record assembled for the authority: one access
    // record naming the base, key, fields and the datasets read.
    let (status, _) = t
        .post(
            "/api/v1/base/population/fields",
            &gaj,
            json!({"field": "姓名", "dataset_id": id}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let sjj = t.login("qy-sjj").await;
    let (status, rec) = t
        .get("/api/v1/base/population/records/440524188001010014", &sjj)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rec["values"][0]["value"], "李四");
    // The key is a 身份证号, checked once at the edge: a lower-case x finds
    // the record, a malformed number is refused naming the key.
    let (status, rec) = t
        .get("/api/v1/base/population/records/11010519491231002x", &sjj)
        .await;
    assert_eq!(status, StatusCode::OK, "{rec}");
    assert_eq!(
        (rec["key"].as_str(), rec["found"].as_bool()),
        (Some("11010519491231002X"), Some(true))
    );
    let (status, problem) = t
        .get("/api/v1/base/population/records/110105194912310021", &sjj)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "key");
    let base: Vec<Value> = records(&t, "base.read", "base:population")
        .await
        .into_iter()
        .filter(|r| r["key"] == "440524188001010014")
        .collect();
    assert_eq!(base.len(), 1);
    assert_eq!(base[0]["basis"], "supervision");
    assert_eq!(base[0]["key"], "440524188001010014");
    assert_eq!(base[0]["fields"], json!(["姓名"]));
    assert_eq!(base[0]["datasets"], json!([id]));
}
