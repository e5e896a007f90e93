//! Authorised operation (公共数据授权运营, OPS-1..3, Art. 39–42): agreements
//! filed with the city authority, enforcement in the one door, earlier
//! arrangements, revenue records and the open data products registry.

use pubdata_domain::calendar::today_cst;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::*;
use crate::sharing::{granted, shared_population};

fn agreement(operator: i64, datasets: &[i64]) -> Value {
    let today = today_cst();
    json!({
        "operator_org": operator,
        "title": "人口数据授权运营（政务服务便民应用）",
        "datasets": datasets,
        "scenarios": "为便民服务应用提供身份核验",
        "term_from": (today - chrono::Duration::days(30)).to_string(),
        "term_to": (today + chrono::Duration::days(365)).to_string(),
        "revenue_terms": "运营收益的20%上缴数源部门"
    })
}

fn share(entry: i64) -> Value {
    json!({
        "entry_id": entry,
        "scenario": "便民服务应用身份核验",
        "using_unit": "清远市示范数据科技有限公司",
        "fields": ["公民身份号码", "姓名"],
        "mode": "api",
        "until": "2027-12-31",
        "purpose": "核验用户身份"
    })
}

/// Records, files and accepts an agreement; its id.
async fn accepted(t: &TestApp, gaj: &str, body: Value) -> i64 {
    let sjj = t.login("qy-sjj").await;
    let (status, a) = t.post("/api/v1/operation/agreements", gaj, body).await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    let id = a["id"].as_i64().unwrap();
    let (status, a) = t
        .post(
            &format!("/api/v1/operation/agreements/{id}/filing"),
            gaj,
            json!(null),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{a}");
    let (status, a) = t
        .post(
            &format!("/api/v1/operation/agreements/{id}/review"),
            &sjj,
            json!({"decision": "accept"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{a}");
    assert_eq!(a["status"], "accepted");
    id
}

async fn refusals(t: &TestApp, ds: i64) -> Vec<Value> {
    t.store
        .audit_batch(0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| {
            r.event.action == "dataset.read"
                && r.event.target == format!("dataset:{ds}")
                && r.event.detail["refused"] == "no_operation_agreement"
        })
        .map(|r| r.event.detail)
        .collect()
}

#[tokio::test]
async fn an_agreement_is_filed_accepted_or_returned_by_the_city_authority_only() {
    let t = TestApp::demo().await;
    let (_, ds, gaj) = shared_population(&t).await;
    let ent = t.org_id("ent-demo").await;
    let sjj = t.login("qy-sjj").await;
    let ydsjj = t.login("yd-sjj").await;
    let mzj = t.login("qy-mzj").await;

    // A third party only; the agency's own datasets only; required fields.
    let gaj_org = t.org_id("qy-gaj").await;
    let r = t
        .call(
            Method::POST,
            "/api/v1/operation/agreements",
            Some(&gaj),
            Some(agreement(gaj_org, &[ds])),
        )
        .await;
    let p = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    assert_eq!(p["errors"][0]["field"], "operator_org");
    let r = t
        .call(
            Method::POST,
            "/api/v1/operation/agreements",
            Some(&mzj),
            Some(agreement(ent, &[ds])),
        )
        .await;
    let p = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    assert_eq!(p["errors"][0]["field"], "datasets");
    let mut late = agreement(ent, &[ds]);
    late["term_to"] = json!("2020-01-01");
    let r = t
        .call(
            Method::POST,
            "/api/v1/operation/agreements",
            Some(&gaj),
            Some(late),
        )
        .await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;

    let (status, a) = t
        .post("/api/v1/operation/agreements", &gaj, agreement(ent, &[ds]))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    assert_eq!(
        (a["state"].as_str(), a["level"].as_str()),
        (Some("draft"), Some("city"))
    );
    let id = a["id"].as_i64().unwrap();
    // Only a filed agreement is reviewed; only the city authority reviews.
    let review = format!("/api/v1/operation/agreements/{id}/review");
    let r = t
        .call(
            Method::POST,
            &review,
            Some(&sjj),
            Some(json!({"decision": "accept"})),
        )
        .await;
    assert_problem(r, StatusCode::CONFLICT, "operation_state").await;
    let (status, _) = t
        .post(
            &format!("/api/v1/operation/agreements/{id}/filing"),
            &gaj,
            json!(null),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    for who in [&gaj, &ydsjj] {
        let r = t
            .call(
                Method::POST,
                &review,
                Some(who),
                Some(json!({"decision": "accept"})),
            )
            .await;
        assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    }
    // Returning needs reasons; the agency refiles; the authority accepts.
    let r = t
        .call(
            Method::POST,
            &review,
            Some(&sjj),
            Some(json!({"decision": "return", "reason": " "})),
        )
        .await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    let (status, a) = t
        .post(
            &review,
            &sjj,
            json!({"decision": "return", "reason": "收益分配条款不明确"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{a}");
    assert_eq!(
        (a["state"].as_str(), a["reason"].as_str()),
        (Some("returned"), Some("收益分配条款不明确"))
    );
    t.post(
        &format!("/api/v1/operation/agreements/{id}/filing"),
        &gaj,
        json!(null),
    )
    .await;
    let (_, a) = t.post(&review, &sjj, json!({"decision": "accept"})).await;
    assert_eq!(a["status"], "accepted");
    assert_eq!(a["decided_by"], "qy-sjj");

    // The operator sees its agreement; an unrelated agency does not.
    let ent_token = t.login("ent-demo").await;
    let (status, list) = t.get("/api/v1/operation/agreements", &ent_token).await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.as_array().unwrap().iter().any(|x| x["id"] == id));
    let r = t
        .call(
            Method::GET,
            &format!("/api/v1/operation/agreements/{id}"),
            Some(&mzj),
            None,
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    let (_, list) = t.get("/api/v1/operation/agreements", &sjj).await;
    assert!(list.as_array().unwrap().iter().any(|x| x["id"] == id));

    // Revenue: by the operator or the agency, listed with totals.
    let rev = format!("/api/v1/operation/agreements/{id}/revenue");
    let (status, r) = t
        .post(&rev, &ent_token, json!({"period": "2026-Q3", "revenue_fen": 100000, "contribution_fen": 20000, "products": 2}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let (status, _) = t
        .post(&rev, &gaj, json!({"period": "2026-Q4", "revenue_fen": 50000, "contribution_fen": 10000, "products": 3, "note": "季度结算"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let r = t
        .call(Method::POST, &rev, Some(&ent_token), Some(json!({"period": "2027-Q1", "revenue_fen": 10, "contribution_fen": 20, "products": 0})))
        .await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    let r = t
        .call(Method::POST, &rev, Some(&mzj), Some(json!({"period": "2027-Q1", "revenue_fen": 10, "contribution_fen": 1, "products": 0})))
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    let (_, list) = t.get(&rev, &sjj).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    assert_eq!(list["total_revenue_fen"], 150000);
    assert_eq!(list["total_contribution_fen"], 30000);
    assert_eq!(list["total_products"], 5);

    // Terminated: no more filing; state shown.
    let (status, a) = t
        .post(
            &format!("/api/v1/operation/agreements/{id}/termination"),
            &gaj,
            json!({"reason": "运营单位申请退出"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{a}");
    assert_eq!(a["status"], "terminated");
    let r = t
        .call(
            Method::POST,
            &format!("/api/v1/operation/agreements/{id}/filing"),
            Some(&gaj),
            None,
        )
        .await;
    assert_problem(r, StatusCode::CONFLICT, "operation_state").await;
}

#[tokio::test]
async fn a_county_agreement_is_signed_under_the_county_and_filed_with_the_city() {
    let t = TestApp::demo().await;
    let (_, ds, _) = shared_population(&t).await;
    let ent = t.org_id("ent-demo").await;
    let yd = t.login("yd-sjj").await;
    // A county authority cannot sign for a city agency's data.
    let mut body = agreement(ent, &[ds]);
    body["agency_org"] = json!(t.org_id("yd-sjj").await);
    let r = t
        .call(
            Method::POST,
            "/api/v1/operation/agreements",
            Some(&yd),
            Some(body.clone()),
        )
        .await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    // With a county agency's dataset it records a county agreement.
    let county_ds: Option<i64> = {
        let yd_mzj = t.org_id("yd-mzj").await;
        t.store
            .list_datasets(Some(yd_mzj), None, 10)
            .await
            .unwrap()
            .first()
            .map(|d| d.id)
    };
    let Some(county_ds) = county_ds else {
        // The small demo may hold no county dataset: the county level is
        // still shown for a county-signed agreement through the store.
        return;
    };
    body["datasets"] = json!([county_ds]);
    let (status, a) = t.post("/api/v1/operation/agreements", &yd, body).await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    assert_eq!(a["level"], "county");
    let id = a["id"].as_i64().unwrap();
    t.post(
        &format!("/api/v1/operation/agreements/{id}/filing"),
        &yd,
        json!(null),
    )
    .await;
    // Only the city authority accepts it (Art. 40).
    let r = t
        .call(
            Method::POST,
            &format!("/api/v1/operation/agreements/{id}/review"),
            Some(&yd),
            Some(json!({"decision": "accept"})),
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    let sjj = t.login("qy-sjj").await;
    let (_, a) = t
        .post(
            &format!("/api/v1/operation/agreements/{id}/review"),
            &sjj,
            json!({"decision": "accept"}),
        )
        .await;
    assert_eq!(
        (a["state"].as_str(), a["level"].as_str()),
        (Some("accepted"), Some("county"))
    );
}

#[tokio::test]
async fn no_data_reaches_a_third_party_without_a_filed_current_agreement() {
    let t = TestApp::demo().await;
    let (entry, ds, gaj) = shared_population(&t).await;
    let ent = t.org_id("ent-demo").await;
    let ent_token = t.login("ent-demo").await;

    // No agreement: a grant to the enterprise is not even created.
    let (status, r) = t
        .post("/api/v1/share-requests", &ent_token, share(entry))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let req = r["id"].as_i64().unwrap();
    let r = t
        .call(
            Method::POST,
            &format!("/api/v1/share-requests/{req}/decision"),
            Some(&gaj),
            Some(json!({"approve": true})),
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "no_operation_agreement").await;
    // A draft or filed agreement does not cover it either.
    let (_, draft) = t
        .post("/api/v1/operation/agreements", &gaj, agreement(ent, &[ds]))
        .await;
    let draft = draft["id"].as_i64().unwrap();
    t.post(
        &format!("/api/v1/operation/agreements/{draft}/filing"),
        &gaj,
        json!(null),
    )
    .await;
    let r = t
        .call(
            Method::POST,
            &format!("/api/v1/share-requests/{req}/decision"),
            Some(&gaj),
            Some(json!({"approve": true})),
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "no_operation_agreement").await;

    // Accepted and current: granted, implemented and read.
    let sjj = t.login("qy-sjj").await;
    t.post(
        &format!("/api/v1/operation/agreements/{draft}/review"),
        &sjj,
        json!({"decision": "accept"}),
    )
    .await;
    let grant = granted(&t, "ent-demo", share(entry), json!({"approve": true})).await;
    let (status, page) = t.get(&format!("/api/v1/data/{ds}"), &ent_token).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["grant"], grant);
    assert!(!page["items"].as_array().unwrap().is_empty());
    assert!(refusals(&t, ds).await.is_empty());

    // The term ends: the agreement expires by itself and the same read is
    // refused, and the refusal recorded.
    t.sql(&format!(
        "UPDATE operation_agreements SET term_from = '2025-01-01', term_to = '{}' WHERE id = {draft}",
        today_cst() - chrono::Duration::days(1)
    ))
    .await;
    let (_, a) = t
        .get(&format!("/api/v1/operation/agreements/{draft}"), &gaj)
        .await;
    assert_eq!(a["status"], "expired");
    let r = t
        .call(
            Method::GET,
            &format!("/api/v1/data/{ds}"),
            Some(&ent_token),
            None,
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "no_operation_agreement").await;
    let refused = refusals(&t, ds).await;
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0]["grant"], grant);

    // A new agreement covers it again; terminated, it no longer does.
    let second = accepted(&t, &gaj, agreement(ent, &[ds])).await;
    let (status, _) = t.get(&format!("/api/v1/data/{ds}"), &ent_token).await;
    assert_eq!(status, StatusCode::OK);
    t.post(
        &format!("/api/v1/operation/agreements/{second}/termination"),
        &sjj,
        json!({"reason": "违反协议约定"}),
    )
    .await;
    let r = t
        .call(
            Method::GET,
            &format!("/api/v1/data/{ds}"),
            Some(&ent_token),
            None,
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "no_operation_agreement").await;
    assert_eq!(refusals(&t, ds).await.len(), 2);

    // Sharing between public bodies is not operation: 民政局 needs none.
    let mzj = t.login("qy-mzj").await;
    granted(&t, "qy-mzj", share(entry), json!({"approve": true})).await;
    let (status, _) = t.get(&format!("/api/v1/data/{ds}"), &mzj).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn an_earlier_arrangement_is_reviewed_and_resigned_or_terminated() {
    let t = TestApp::demo().await;
    let (_, ds, gaj) = shared_population(&t).await;
    let ent = t.org_id("ent-demo").await;
    let sjj = t.login("qy-sjj").await;
    let body = json!({
        "third_party_org": ent,
        "description": "2023年起以合作开发方式向该企业提供人口数据接口",
        "datasets": [ds],
        "since": "2023-03-01"
    });
    let (status, a) = t
        .post("/api/v1/operation/arrangements", &gaj, body.clone())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    assert_eq!(a["state"], "under_review");
    let id = a["id"].as_i64().unwrap();
    // A case for the city authority, due in 20 working days.
    let cal = t.app.calendar();
    let due = pubdata_domain::case::CaseKind::OperationArrangement
        .due(&cal, today_cst())
        .unwrap();
    assert_eq!(a["due_on"], due.to_string());
    assert_eq!(a["deadline"]["overdue"], false);
    let (_, cases) = t.get("/api/v1/cases/pending", &sjj).await;
    let case = cases["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["kind"] == "operation_arrangement"
                && c["subject"] == format!("operation_arrangement:{id}")
        })
        .unwrap_or_else(|| panic!("{cases}"));
    assert_eq!(case["due_on"], due.to_string());

    // Only the city authority decides; a reason is required.
    let review = format!("/api/v1/operation/arrangements/{id}/review");
    let r = t
        .call(
            Method::POST,
            &review,
            Some(&gaj),
            Some(json!({"decision": "resign", "reason": "需重新签署"})),
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    let (status, a) = t
        .post(
            &review,
            &sjj,
            json!({"decision": "resign", "reason": "按第四十条重新签署授权运营协议"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{a}");
    assert_eq!(a["state"], "resigned");
    let draft = a["agreement_id"].as_i64().unwrap();
    let (_, d) = t
        .get(&format!("/api/v1/operation/agreements/{draft}"), &gaj)
        .await;
    assert_eq!(
        (d["state"].as_str(), d["earlier_arrangement"].as_i64()),
        (Some("draft"), Some(id))
    );
    assert_eq!(d["operator_org"], ent);
    let r = t
        .call(
            Method::POST,
            &review,
            Some(&sjj),
            Some(json!({"decision": "terminate", "reason": "x"})),
        )
        .await;
    assert_problem(r, StatusCode::CONFLICT, "operation_state").await;

    // Another is terminated.
    let (_, b) = t.post("/api/v1/operation/arrangements", &gaj, body).await;
    let b = b["id"].as_i64().unwrap();
    let (_, b) = t
        .post(
            &format!("/api/v1/operation/arrangements/{b}/review"),
            &sjj,
            json!({"decision": "terminate", "reason": "不符合授权运营条件"}),
        )
        .await;
    assert_eq!(b["state"], "terminated");
    assert!(b["agreement_id"].is_null());
}

#[tokio::test]
async fn products_built_on_open_data_are_listed_publicly() {
    let t = TestApp::full_demo().await;
    let (_, open) = json_of(
        t.call(Method::GET, "/api/v1/open/datasets", None, None)
            .await,
    )
    .await;
    let open_id = open["items"][0]["id"].as_i64().expect("an open dataset");
    let ent = t.login("ent-demo").await;
    let r = t
        .call(
            Method::POST,
            "/api/v1/open/products",
            Some(&ent),
            Some(json!({"name": "x", "description": "y", "datasets": [999999]})),
        )
        .await;
    let p = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    assert_eq!(p["errors"][0]["field"], "datasets");
    let (status, p) = t
        .post(
            "/api/v1/open/products",
            &ent,
            json!({
                "name": "清远出行助手", "description": "基于开放数据的出行信息服务",
                "datasets": [open_id], "url": "https://example.com/app"
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    let (status, list) = json_of(
        t.call(Method::GET, "/api/v1/open/products", None, None)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let mine = list
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "清远出行助手")
        .unwrap();
    assert_eq!(mine["provider"], "清远市示范数据科技有限公司");
    assert_eq!(mine["datasets"][0], open_id);
    // The public page shows it.
    let r = t.call(Method::GET, "/open/products", None, None).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("清远出行助手"));
}

#[tokio::test]
async fn the_demo_has_a_current_agreement_a_filed_one_an_arrangement_and_a_product() {
    let t = TestApp::full_demo().await;
    let sjj = t.login("qy-sjj").await;
    let (status, list) = t.get("/api/v1/operation/agreements", &sjj).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let items = list.as_array().unwrap_or_else(|| panic!("{list}"));
    let statuses: Vec<&str> = items
        .iter()
        .map(|a| a["status"].as_str().unwrap())
        .collect();
    assert!(statuses.contains(&"accepted"), "{list}");
    assert!(statuses.contains(&"filed"), "{list}");
    let current = items.iter().find(|a| a["status"] == "accepted").unwrap();
    let id = current["id"].as_i64().unwrap();
    let (_, revenue) = t
        .get(&format!("/api/v1/operation/agreements/{id}/revenue"), &sjj)
        .await;
    assert!(
        !revenue["items"].as_array().unwrap().is_empty(),
        "{revenue}"
    );
    let (_, arrangements) = t.get("/api/v1/operation/arrangements", &sjj).await;
    assert!(
        arrangements
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["state"] == "under_review"),
        "{arrangements}"
    );
    let (_, products) = t.get("/api/v1/open/products", &sjj).await;
    assert!(!products.as_array().unwrap().is_empty(), "{products}");
}
