//! The open attribute's grounds (OPN-1): the clauses of Art. 33 and 34 as
//! enumerations, unconditionally open by default (Art. 35), and data an
//! agency obtained by sharing kept out of its own open catalogue (Art. 37).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::*;

fn entry(name: &str, items: Value, open: Value) -> Value {
    let mut e = json!({
        "name": name,
        "summary": "民政局低保对象的家庭与救助信息",
        "classification": "101",
        "data_form": "database",
        "items": items,
        "share_type": "unconditional",
        "share_scope": "全市政务部门",
        "share_modes": ["api"],
        "update_frequency": "monthly"
    });
    for (k, v) in open.as_object().unwrap() {
        e[k] = v.clone();
    }
    e
}

#[tokio::test]
async fn open_attributes_cite_their_clauses_and_shared_data_stays_out_of_the_open_catalogue() {
    let t = TestApp::full_demo().await;
    let mzj = t.login("qy-mzj").await;
    let plain = json!([{"name": "救助站名称", "data_type": "string"},
                       {"name": "救助站地址", "data_type": "string"}]);

    // No open attribute: unconditionally open, citing nothing (Art. 35).
    let (status, e) = t
        .post(
            "/api/v1/catalog/entries",
            &mzj,
            entry("救助管理站名录", plain.clone(), json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{e}");
    assert_eq!(e["open_attribute"], "unconditional");
    assert_eq!(e["open_clauses"], json!([]));

    // Not open needs a case of Art. 33; a condition of Art. 34 does not fit.
    for (open, code_field) in [
        (
            json!({"open_attribute": "none", "open_grounds": "内部管理"}),
            "open_clauses",
        ),
        (
            json!({"open_attribute": "none", "open_grounds": "内部管理", "open_clauses": ["risk_assessment"]}),
            "open_clauses",
        ),
        (
            json!({"open_attribute": "unconditional", "open_clauses": ["state_secret"]}),
            "open_clauses",
        ),
        (
            json!({"open_attribute": "none", "open_grounds": "内部管理", "open_clauses": ["secret"]}),
            "",
        ),
    ] {
        let r = t
            .call(
                Method::POST,
                "/api/v1/catalog/entries",
                Some(&mzj),
                Some(entry("救助管理站名录", plain.clone(), open.clone())),
            )
            .await;
        let status = r.status();
        let (_, p) = json_of(r).await;
        assert!(status.is_client_error(), "{open}: {status} {p}");
        if !code_field.is_empty() {
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
            assert!(p.to_string().contains(code_field), "{p}");
        }
    }
    let (status, e) = t
        .post(
            "/api/v1/catalog/entries",
            &mzj,
            entry(
                "救助管理站内部台账",
                plain.clone(),
                json!({"open_attribute": "conditional", "open_conditions": "签署利用协议",
                       "open_clauses": ["risk_assessment", "infrastructure_load", "risk_assessment"]}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{e}");
    assert_eq!(
        e["open_clauses"],
        json!(["infrastructure_load", "risk_assessment"]),
        "each once, in the articles' order"
    );

    // 民政局 holds a grant on 户籍人口's 公民身份号码, 姓名 … (the demo):
    // those fields, sourced by 公安局, cannot go into its open catalogue …
    let received = json!([{"name": "公民身份号码", "data_type": "string", "personal": true},
                          {"name": "姓名", "data_type": "string", "personal": true},
                          {"name": "救助金额", "data_type": "decimal"}]);
    let r = t
        .call(
            Method::POST,
            "/api/v1/catalog/entries",
            Some(&mzj),
            Some(entry(
                "低保对象名单",
                received.clone(),
                json!({"open_attribute": "conditional", "open_conditions": "签署利用协议",
                       "open_clauses": ["subject_consent"], "grade": "L2"}),
            )),
        )
        .await;
    let p = assert_problem(
        r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "shared_data_not_openable",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "open_attribute");
    assert!(p.to_string().contains("公民身份号码"), "{p}");
    // … nor can an entry naming the shared entry as related.
    let (_, grants) = t.get("/api/v1/grants", &mzj).await;
    let me = t.org_id("qy-mzj").await;
    let shared = grants
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["grantee_org"] == me)
        .map(|g| g["entry_id"].as_i64().unwrap())
        .unwrap();
    let (_, pop) = t
        .get(&format!("/api/v1/catalog/entries/{shared}"), &mzj)
        .await;
    let code = pop["code"].as_str().unwrap().to_string();
    let r = t
        .call(
            Method::POST,
            "/api/v1/catalog/entries",
            Some(&mzj),
            Some(entry(
                "低保家庭户籍分布",
                plain.clone(),
                json!({"related_codes": [code]}),
            )),
        )
        .await;
    assert_problem(
        r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "shared_data_not_openable",
    )
    .await;
    // Kept not open, the same data may be catalogued (for sharing).
    let (status, e) = t
        .post(
            "/api/v1/catalog/entries",
            &mzj,
            entry(
                "低保对象名单",
                received,
                json!({"open_attribute": "none", "open_grounds": "涉及个人隐私",
                       "open_clauses": ["privacy_without_consent"], "share_type": "conditional",
                       "share_conditions": "用于救助核对", "share_basis": "《社会救助暂行办法》"}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{e}");
    // And cannot be opened later by an edit.
    let id = e["id"].as_i64().unwrap();
    let r = t
        .call(
            Method::PATCH,
            &format!("/api/v1/catalog/entries/{id}"),
            Some(&mzj),
            Some(
                json!({"open_attribute": "conditional", "open_conditions": "签署利用协议",
                        "open_clauses": ["subject_consent"]}),
            ),
        )
        .await;
    assert_problem(
        r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "shared_data_not_openable",
    )
    .await;
}

#[tokio::test]
async fn the_authority_edits_the_synonyms_that_both_searches_use() {
    let t = TestApp::demo().await;
    let sjj = t.login("qy-sjj").await;
    let mzj = t.login("qy-mzj").await;
    let (status, list) = t.get("/api/v1/synonyms", &mzj).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let mut list = list.as_array().unwrap().clone();
    assert_eq!(list[0], json!({"abbreviation": "社保", "term": "社会保险"}));

    let (status, e) = t
        .post(
            "/api/v1/catalog/entries",
            &mzj,
            entry(
                "电动汽车充电设施分布",
                json!([{"name": "设施名称", "data_type": "string"}]),
                json!({}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{e}");
    async fn found(t: &TestApp, token: &str, q: &str) -> bool {
        // Its own (draft) entries: the agency's catalogue.
        let org = t.org_id("qy-mzj").await;
        let (_, r) = t
            .get(&format!("/api/v1/catalog/entries?q={q}&org={org}"), token)
            .await;
        r["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["name"] == "电动汽车充电设施分布")
    }
    assert!(!found(&t, &mzj, "充电桩").await);

    // Only those who keep the catalogue scheme edit the list; bad pairs are refused.
    list.push(json!({"abbreviation": "充电桩", "term": "电动汽车充电设施"}));
    let r = t
        .call(
            Method::PUT,
            "/api/v1/synonyms",
            Some(&mzj),
            Some(json!(list)),
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    for bad in [
        json!([{"abbreviation": "", "term": "社会保险"}]),
        json!([{"abbreviation": "社保", "term": "社保"}]),
        json!([{"abbreviation": "社保", "term": "社会保险"}, {"abbreviation": "社保", "term": "社会保障"}]),
    ] {
        let r = t
            .call(Method::PUT, "/api/v1/synonyms", Some(&sjj), Some(bad))
            .await;
        assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    }
    let (status, saved) = t
        .call(
            Method::PUT,
            "/api/v1/synonyms",
            Some(&sjj),
            Some(json!(list)),
        )
        .await
        .json::<Value>()
        .await
        .map(|v| (StatusCode::OK, v))
        .unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(saved.as_array().unwrap().len(), 7, "{saved}");
    // The catalogue search now finds it by what people type.
    assert!(found(&t, &mzj, "充电桩").await);
    assert!(found(&t, &mzj, "电动汽车充电设施").await);
}
