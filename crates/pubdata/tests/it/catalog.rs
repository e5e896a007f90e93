use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::*;

/// 清远市公安局 drafts the population entry and 市数据局 approves it; returns
/// (entry id, qy-gaj token).
pub async fn published_population_entry(t: &TestApp) -> (i64, String) {
    let gaj = t.login("qy-gaj").await;
    let sjj = t.login("qy-sjj").await;
    let (_, e) = t
        .post("/api/v1/catalog/entries", &gaj, population_entry())
        .await;
    let id = e["id"].as_i64().unwrap();
    t.post(
        &format!("/api/v1/catalog/entries/{id}/submit"),
        &gaj,
        json!(null),
    )
    .await;
    let (status, _) = t
        .post(
            &format!("/api/v1/catalog/entries/{id}/review"),
            &sjj,
            json!({"decision": "approve"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    (id, gaj)
}

pub fn population_entry() -> Value {
    json!({
        "name": "人口基础信息",
        "summary": "全市户籍人口的身份、出生、户籍地址等基础信息",
        "classification": "101",
        "data_form": "database",
        "items": [
            {"name": "公民身份号码", "data_type": "string", "personal": true},
            {"name": "姓名", "data_type": "string", "personal": true},
            {"name": "出生日期", "data_type": "date", "personal": true}
        ],
        "share_type": "conditional",
        "share_conditions": "用于政务服务中的身份核验",
        "share_basis": "《中华人民共和国居民身份证法》",
        "share_scope": "全市政务部门",
        "share_modes": ["api", "table"],
        "open_attribute": "none",
        "open_clauses": ["privacy_without_consent"],
        "open_grounds": "涉及个人信息",
        "update_frequency": "daily",
        "keywords": ["人口", "户籍"]
    })
}

#[tokio::test]
async fn an_agency_drafts_submits_and_the_authority_approves_within_five_working_days() {
    let t = TestApp::demo().await;
    let gaj = t.login("qy-gaj").await;
    let (status, e) = t
        .post("/api/v1/catalog/entries", &gaj, population_entry())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{e}");
    assert_eq!(e["state"], "draft");
    assert_eq!(e["code"], "101/000001");
    assert_eq!(e["grade"], "L3", "personal items default to L3");
    assert_eq!(e["providing_org"], t.org_id("qy-gaj").await);
    let id = e["id"].as_i64().unwrap();
    let mut household = population_entry();
    household["name"] = json!("户籍登记信息");
    household["related_codes"] = json!(["101/000001"]);
    household["approving_org"] = json!(t.org_id("qy-sjj").await);
    let (status, h) = t.post("/api/v1/catalog/entries", &gaj, household).await;
    assert_eq!(status, StatusCode::CREATED, "{h}");
    assert_eq!(h["related_codes"], json!(["101/000001"]));
    assert_eq!(h["code"], "101/000002");

    // Not yet published: another agency does not see it.
    let mzj = t.login("qy-mzj").await;
    let (status, _) = t.get(&format!("/api/v1/catalog/entries/{id}"), &mzj).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, e) = t
        .post(
            &format!("/api/v1/catalog/entries/{id}/submit"),
            &gaj,
            json!(null),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{e}");
    assert_eq!(e["state"], "submitted");
    let today = pubdata_domain::calendar::today_cst();
    let due = t
        .app
        .calendar()
        .add_working_days(today, pubdata_domain::calendar::WorkingDays::of(5))
        .unwrap();
    assert_eq!(e["review_due"], due.to_string());

    // The authority sees it in its queue with the due date; the agency on its dashboard.
    let sjj = t.login("qy-sjj").await;
    let (_, queue) = t.get("/api/v1/catalog/review-queue", &sjj).await;
    assert_eq!(queue["items"][0]["entry"]["id"], id);
    assert_eq!(queue["items"][0]["case"]["due_on"], due.to_string());
    assert_eq!(queue["items"][0]["case"]["deadline"]["overdue"], false);
    let (_, pending) = t.get("/api/v1/cases/pending", &sjj).await;
    assert_eq!(pending["items"][0]["kind"], "catalog_review");

    // A county authority and the agency itself cannot review it.
    let yd = t.login("yd-sjj").await;
    let (status, _) = t
        .post(
            &format!("/api/v1/catalog/entries/{id}/review"),
            &yd,
            json!({"decision": "approve"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = t
        .post(
            &format!("/api/v1/catalog/entries/{id}/review"),
            &gaj,
            json!({"decision": "approve"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, e) = t
        .post(
            &format!("/api/v1/catalog/entries/{id}/review"),
            &sjj,
            json!({"decision": "approve"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{e}");
    assert_eq!(e["state"], "published");
    assert_eq!(e["published_version"], 1);
    assert!(e["review_due"].is_null());
    let (status, seen) = t.get(&format!("/api/v1/catalog/entries/{id}"), &mzj).await;
    assert_eq!(
        (status, seen["name"].as_str()),
        (StatusCode::OK, Some("人口基础信息"))
    );
}

#[tokio::test]
async fn a_return_needs_reasons_and_a_change_of_a_published_entry_is_a_reviewed_version() {
    let t = TestApp::demo().await;
    let gaj = t.login("qy-gaj").await;
    let sjj = t.login("qy-sjj").await;
    let (_, e) = t
        .post("/api/v1/catalog/entries", &gaj, population_entry())
        .await;
    let id = e["id"].as_i64().unwrap();
    t.post(
        &format!("/api/v1/catalog/entries/{id}/submit"),
        &gaj,
        json!(null),
    )
    .await;
    let (status, body) = t
        .post(
            &format!("/api/v1/catalog/entries/{id}/review"),
            &sjj,
            json!({"decision": "return"}),
        )
        .await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("reason"))
    );
    let (_, e) = t
        .post(
            &format!("/api/v1/catalog/entries/{id}/review"),
            &sjj,
            json!({"decision": "return", "reason": "摘要过简"}),
        )
        .await;
    assert_eq!(e["state"], "returned");

    let r = t
        .call(
            Method::PATCH,
            &format!("/api/v1/catalog/entries/{id}"),
            Some(&gaj),
            Some(json!({"summary": "全市户籍人口基础信息，含身份、出生和户籍地址"})),
        )
        .await;
    let (status, e) = json_of(r).await;
    assert_eq!(status, StatusCode::OK, "{e}");
    assert_eq!(
        (e["state"].as_str(), e["version"].as_i64()),
        (Some("draft"), Some(2))
    );
    t.post(
        &format!("/api/v1/catalog/entries/{id}/submit"),
        &gaj,
        json!(null),
    )
    .await;
    let (_, e) = t
        .post(
            &format!("/api/v1/catalog/entries/{id}/review"),
            &sjj,
            json!({"decision": "approve"}),
        )
        .await;
    assert_eq!(
        (e["state"].as_str(), e["published_version"].as_i64()),
        (Some("published"), Some(2))
    );

    // Change (变更) of the published entry: version 3, back to review; version 2 stays published.
    let r = t
        .call(
            Method::PATCH,
            &format!("/api/v1/catalog/entries/{id}"),
            Some(&gaj),
            Some(json!({"update_frequency": "realtime"})),
        )
        .await;
    let (_, e) = json_of(r).await;
    assert_eq!(
        (
            e["state"].as_str(),
            e["version"].as_i64(),
            e["published_version"].as_i64()
        ),
        (Some("draft"), Some(3), Some(2))
    );

    let (_, versions) = t
        .get(&format!("/api/v1/catalog/entries/{id}/versions"), &gaj)
        .await;
    let v: Vec<i64> = versions["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(v, [1, 2, 3]);
    let (_, d) = t
        .get(
            &format!("/api/v1/catalog/entries/{id}/diff?from=2&to=3"),
            &gaj,
        )
        .await;
    assert_eq!(d["changes"][0]["field"], "update_frequency");
    assert_eq!(d["changes"][0]["before"], "daily");
    assert_eq!(d["changes"][0]["after"], "realtime");
    assert_eq!(d["changes"].as_array().unwrap().len(), 1);

    // A submitted entry cannot be edited; a draft cannot be approved.
    t.post(
        &format!("/api/v1/catalog/entries/{id}/submit"),
        &gaj,
        json!(null),
    )
    .await;
    let r = t
        .call(
            Method::PATCH,
            &format!("/api/v1/catalog/entries/{id}"),
            Some(&gaj),
            Some(json!({"name": "x"})),
        )
        .await;
    assert_problem(r, StatusCode::CONFLICT, "invalid_transition").await;
    let (status, body) = t
        .post(
            &format!("/api/v1/catalog/entries/{id}/submit"),
            &gaj,
            json!(null),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("invalid_transition"))
    );
}

#[tokio::test]
async fn entry_rules_are_enforced_with_field_errors_and_nothing_is_saved() {
    let t = TestApp::demo().await;
    let gaj = t.login("qy-gaj").await;
    let mut bad = population_entry();
    bad["share_basis"] = json!("");
    bad["share_conditions"] = json!("");
    bad["open_attribute"] = json!("unconditional");
    let r = t
        .call(
            Method::POST,
            "/api/v1/catalog/entries",
            Some(&gaj),
            Some(bad),
        )
        .await;
    let body = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "catalog_rule").await;
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"share_conditions")
            && fields.contains(&"share_basis")
            && fields.contains(&"open_attribute"),
        "{fields:?}"
    );

    let mut none = population_entry();
    none["share_type"] = json!("none");
    none["share_basis"] = json!("");
    let r = t
        .call(
            Method::POST,
            "/api/v1/catalog/entries",
            Some(&gaj),
            Some(none),
        )
        .await;
    let body = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "catalog_rule").await;
    assert_eq!(body["errors"][0]["field"], "share_basis");

    let mut unknown = population_entry();
    unknown["share_type"] = json!("sometimes");
    let r = t
        .call(
            Method::POST,
            "/api/v1/catalog/entries",
            Some(&gaj),
            Some(unknown),
        )
        .await;
    let body = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
    assert_eq!(body["errors"][0]["field"], "share_type");

    let mut related = population_entry();
    related["related_codes"] = json!(["999/000001"]);
    related["collecting_org"] = json!(t.org_id("qy").await);
    let r = t
        .call(
            Method::POST,
            "/api/v1/catalog/entries",
            Some(&gaj),
            Some(related),
        )
        .await;
    let body = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "catalog_rule").await;
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["collecting_org", "related_codes"],
        "a region collects nothing; the code must exist"
    );

    let mut class = population_entry();
    class["classification"] = json!("999");
    let r = t
        .call(
            Method::POST,
            "/api/v1/catalog/entries",
            Some(&gaj),
            Some(class),
        )
        .await;
    let body = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "catalog_rule").await;
    assert_eq!(body["errors"][0]["field"], "classification");

    let (_, list) = t
        .get(
            &format!("/api/v1/catalog/entries?org={}", t.org_id("qy-gaj").await),
            &gaj,
        )
        .await;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        0,
        "nothing was half-saved"
    );

    // Another agency's admin cannot draft for qy-gaj, nor edit its entry.
    let mzj = t.login("qy-mzj").await;
    let mut other = population_entry();
    other["providing_org"] = json!(t.org_id("qy-gaj").await);
    let (status, _) = t.post("/api/v1/catalog/entries", &mzj, other).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn co_owned_entries_need_every_owners_consent_before_submission() {
    let t = TestApp::demo().await;
    let gaj = t.login("qy-gaj").await;
    let mzj = t.login("qy-mzj").await;
    let mut e = population_entry();
    e["co_owners"] = json!([t.org_id("qy-mzj").await]);
    let (_, e) = t.post("/api/v1/catalog/entries", &gaj, e).await;
    let id = e["id"].as_i64().unwrap();
    assert_eq!(e["consent_missing"], json!([t.org_id("qy-mzj").await]));
    let (status, body) = t
        .post(
            &format!("/api/v1/catalog/entries/{id}/submit"),
            &gaj,
            json!(null),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("consent_required"))
    );
    assert!(body["detail"].as_str().unwrap().contains("清远市民政局"));
    let (status, e) = t
        .post(
            &format!("/api/v1/catalog/entries/{id}/consent"),
            &mzj,
            json!(null),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(e["consent_missing"], json!([]));
    let (status, _) = t
        .post(
            &format!("/api/v1/catalog/entries/{id}/submit"),
            &gaj,
            json!(null),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn an_update_obligation_is_due_in_fifteen_working_days_and_closes_on_submission() {
    let t = TestApp::demo().await;
    let gaj = t.login("qy-gaj").await;
    let sjj = t.login("qy-sjj").await;
    let (_, e) = t
        .post("/api/v1/catalog/entries", &gaj, population_entry())
        .await;
    let id = e["id"].as_i64().unwrap();
    t.post(
        &format!("/api/v1/catalog/entries/{id}/submit"),
        &gaj,
        json!(null),
    )
    .await;
    t.post(
        &format!("/api/v1/catalog/entries/{id}/review"),
        &sjj,
        json!({"decision": "approve"}),
    )
    .await;

    let (status, e) = t
        .post(
            &format!("/api/v1/catalog/entries/{id}/update-obligation"),
            &sjj,
            json!({"reason": "《居民身份证法》修订"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{e}");
    let due = t
        .app
        .calendar()
        .add_working_days(
            pubdata_domain::calendar::today_cst(),
            pubdata_domain::calendar::WorkingDays::of(15),
        )
        .unwrap();
    assert_eq!(e["update_due"], due.to_string());
    let (_, pending) = t.get("/api/v1/cases/pending", &gaj).await;
    assert_eq!(pending["items"][0]["kind"], "catalog_update");
    assert_eq!(pending["items"][0]["due_on"], due.to_string());

    let r = t
        .call(
            Method::PATCH,
            &format!("/api/v1/catalog/entries/{id}"),
            Some(&gaj),
            Some(json!({"share_basis": "《中华人民共和国居民身份证法》（2011年修正）"})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    t.post(
        &format!("/api/v1/catalog/entries/{id}/submit"),
        &gaj,
        json!(null),
    )
    .await;
    let (_, pending) = t.get("/api/v1/cases/pending", &gaj).await;
    assert_eq!(
        pending["items"].as_array().unwrap().len(),
        0,
        "answered by the submission"
    );

    // Agencies cannot open obligations.
    let (status, _) = t
        .post(
            &format!("/api/v1/catalog/entries/{id}/update-obligation"),
            &gaj,
            json!({"reason": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_case_past_its_due_date_is_overdue_by_itself() {
    let t = TestApp::demo().await;
    let gaj = t.login("qy-gaj").await;
    let (_, e) = t
        .post("/api/v1/catalog/entries", &gaj, population_entry())
        .await;
    let id = e["id"].as_i64().unwrap();
    t.post(
        &format!("/api/v1/catalog/entries/{id}/submit"),
        &gaj,
        json!(null),
    )
    .await;
    // Move the case's dates into the past, as if it had been opened weeks ago.
    t.sql("UPDATE cases SET opened_on = '2026-10-09', due_on = '2026-10-16'")
        .await;
    let sjj = t.login("qy-sjj").await;
    let (_, queue) = t.get("/api/v1/catalog/review-queue", &sjj).await;
    assert_eq!(queue["items"][0]["case"]["deadline"]["overdue"], true);
    let (_, e) = t.get(&format!("/api/v1/catalog/entries/{id}"), &gaj).await;
    assert_eq!(e["cases"][0]["deadline"]["overdue"], true);

    // The sweep records it once, with an audit record for supervision.
    let swept = t.app.sweep_deadlines().await.unwrap();
    assert_eq!(swept.len(), 1);
    assert!(
        t.app.sweep_deadlines().await.unwrap().is_empty(),
        "recorded once"
    );
    let records = t
        .store
        .list_audit(&pubdata_store::AuditFilter {
            action: Some("case.overdue".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].event.org_id, Some(t.org_id("qy-sjj").await));
}

#[tokio::test]
async fn chinese_search_finds_two_character_words_and_filters_combine() {
    let t = TestApp::demo().await;
    let gaj = t.login("qy-gaj").await;
    let sjj = t.login("qy-sjj").await;
    let mut ids = vec![];
    for (name, class, share) in [
        ("人口基础信息", "101", "conditional"),
        ("婚姻登记信息", "206", "conditional"),
        ("机动车登记信息", "207", "unconditional"),
    ] {
        let mut e = population_entry();
        e["name"] = json!(name);
        e["classification"] = json!(class);
        e["summary"] = json!(format!("{name}（测试）"));
        e["keywords"] = json!([]);
        e["share_type"] = json!(share);
        if share == "unconditional" {
            e["items"] = json!([{"name": "号牌号码", "data_type": "string", "personal": false}]);
            e["grade"] = json!("L2");
        }
        let (s, e) = t.post("/api/v1/catalog/entries", &gaj, e).await;
        assert_eq!(s, StatusCode::CREATED, "{e}");
        let id = e["id"].as_i64().unwrap();
        t.post(
            &format!("/api/v1/catalog/entries/{id}/submit"),
            &gaj,
            json!(null),
        )
        .await;
        t.post(
            &format!("/api/v1/catalog/entries/{id}/review"),
            &sjj,
            json!({"decision": "approve"}),
        )
        .await;
        ids.push(id);
    }
    let mzj = t.login("qy-mzj").await;
    let names = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_string())
            .collect()
    };
    let (_, r) = t.get("/api/v1/catalog/entries?q=人口", &mzj).await;
    assert_eq!(names(&r), ["人口基础信息"]);
    let (_, r) = t.get("/api/v1/catalog/entries?q=婚姻", &mzj).await;
    assert_eq!(names(&r), ["婚姻登记信息"]);
    // Pinyin, full or by initials.
    let (_, r) = t.get("/api/v1/catalog/entries?q=renkou", &mzj).await;
    assert_eq!(names(&r), ["人口基础信息"]);
    let (_, r) = t.get("/api/v1/catalog/entries?q=hydjxx", &mzj).await;
    assert_eq!(names(&r), ["婚姻登记信息"]);
    let (_, r) = t.get("/api/v1/catalog/entries?q=登记", &mzj).await;
    assert_eq!(names(&r).len(), 2);
    let (_, r) = t
        .get(
            "/api/v1/catalog/entries?q=登记&share_type=unconditional",
            &mzj,
        )
        .await;
    assert_eq!(names(&r), ["机动车登记信息"]);
    let (_, r) = t
        .get("/api/v1/catalog/entries?classification=2&limit=1", &mzj)
        .await;
    assert_eq!(r["items"].as_array().unwrap().len(), 1);
    let cursor = r["next_cursor"].as_str().unwrap();
    let (_, r2) = t
        .get(
            &format!("/api/v1/catalog/entries?classification=2&limit=1&cursor={cursor}"),
            &mzj,
        )
        .await;
    assert_ne!(r["items"][0]["id"], r2["items"][0]["id"]);
    assert!(r2["next_cursor"].is_null());
    // The city's roll-up includes its agencies' published entries.
    let (_, r) = t
        .get(
            &format!("/api/v1/catalog/entries?org={}", t.org_id("qy").await),
            &mzj,
        )
        .await;
    assert_eq!(names(&r).len(), 3);
    let r = t
        .call(
            Method::GET,
            "/api/v1/catalog/entries?cursor=nonsense",
            Some(&mzj),
            None,
        )
        .await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_cursor").await;
    let r = t
        .call(
            Method::GET,
            "/api/v1/catalog/entries?share_type=maybe",
            Some(&mzj),
            None,
        )
        .await;
    assert_problem(r, StatusCode::BAD_REQUEST, "invalid_query").await;
}

#[tokio::test]
async fn a_second_source_for_a_data_item_is_refused_naming_the_owner() {
    let t = TestApp::demo().await;
    let gaj = t.login("qy-gaj").await;
    let (status, item) = t
        .post(
            "/api/v1/collection-items",
            &gaj,
            json!({"data_item": "公民身份号码", "basis": "《中华人民共和国居民身份证法》"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{item}");
    let mzj = t.login("qy-mzj").await;
    let r = t
        .call(
            Method::POST,
            "/api/v1/collection-items",
            Some(&mzj),
            Some(json!({"data_item": "公民身份 号码", "basis": "婚姻登记"})),
        )
        .await;
    let body = assert_problem(r, StatusCode::CONFLICT, "data_item_has_source").await;
    assert_eq!(body["source_org"], t.org_id("qy-gaj").await);
    assert_eq!(body["source_org_name"], "清远市公安局");

    // Before collecting, an agency asks whether the item is available, and from whom.
    let sjj = t.login("qy-sjj").await;
    let (_, e) = t
        .post("/api/v1/catalog/entries", &gaj, population_entry())
        .await;
    let id = e["id"].as_i64().unwrap();
    t.post(
        &format!("/api/v1/catalog/entries/{id}/submit"),
        &gaj,
        json!(null),
    )
    .await;
    t.post(
        &format!("/api/v1/catalog/entries/{id}/review"),
        &sjj,
        json!({"decision": "approve"}),
    )
    .await;
    let (status, found) = t.get("/api/v1/data-items?q=身份号码", &mzj).await;
    assert_eq!(status, StatusCode::OK);
    let item = &found["items"][0];
    assert_eq!(item["name"], "公民身份号码");
    assert_eq!(item["source_org_name"], "清远市公安局");
    assert_eq!(item["available_via"], json!(["share"]));
    assert_eq!(item["entries"][0]["id"], id);

    let (_, list) = t
        .get(
            &format!("/api/v1/collection-items?org={}", t.org_id("qy-gaj").await),
            &gaj,
        )
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_demo_catalogue_has_every_state_and_overdue_reviews() {
    let t = TestApp::full_demo().await;
    let admin = t.login("admin").await;
    let mut states = std::collections::BTreeMap::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/catalog/entries?limit=200&cursor={c}"),
            None => "/api/v1/catalog/entries?limit=200".into(),
        };
        let (_, page) = t.get(&path, &admin).await;
        for e in page["items"].as_array().unwrap() {
            *states
                .entry(e["state"].as_str().unwrap().to_string())
                .or_insert(0) += 1;
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert!(states.values().sum::<i32>() >= 60, "{states:?}");
    for s in ["draft", "submitted", "returned", "published", "delisted"] {
        assert!(
            states.get(s).copied().unwrap_or(0) > 0,
            "no {s} entry: {states:?}"
        );
    }
    let sjj = t.login("qy-sjj").await;
    let (_, queue) = t.get("/api/v1/catalog/review-queue", &sjj).await;
    let items = queue["items"].as_array().unwrap();
    assert!(
        items
            .iter()
            .any(|i| i["case"]["deadline"]["overdue"] == true),
        "some reviews are overdue"
    );
    assert!(
        items
            .iter()
            .any(|i| i["case"]["deadline"]["overdue"] == false)
    );
    // 人口 finds the population entries in the published catalogue.
    let mzj = t.login("qy-mzj").await;
    let (_, found) = t.get("/api/v1/catalog/entries?q=人口", &mzj).await;
    assert!(
        found["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["name"] == "人口基础信息")
    );
}

#[tokio::test]
async fn the_published_catalogue_exports_as_a_spreadsheet_and_as_dcat_json_ld() {
    use calamine::{Reader, Xlsx};
    let t = TestApp::full_demo().await;
    let mzj = t.login("qy-mzj").await;
    let r = t
        .call(Method::GET, "/api/v1/catalog/export.xlsx", Some(&mzj), None)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    let bytes = r.bytes().await.unwrap();
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    assert_eq!(wb.sheet_names(), ["目录", "信息项"]);
    let sheet = wb.worksheet_range("目录").unwrap();
    let header: Vec<String> = sheet
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(
        &header[..4],
        ["序号", "信息资源分类", "信息资源名称", "信息资源代码"]
    );
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .skip(1)
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert!(rows.len() >= 30, "{} published entries", rows.len());
    assert!(
        rows.iter().all(|r| r[18] == "已发布"),
        "only the published catalogue"
    );
    let population = rows
        .iter()
        .find(|r| r[2] == "人口基础信息")
        .expect("人口基础信息 exported");
    assert_eq!(population[4], "清远市公安局");
    assert!(population[7].contains("公民身份号码"));

    let (status, doc) = t.get("/api/v1/catalog/dcat.jsonld?q=人口", &mzj).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["@type"], "dcat:Catalog");
    assert_eq!(doc["@context"]["dcat"], "http://www.w3.org/ns/dcat#");
    let ds = doc["dcat:dataset"].as_array().unwrap();
    assert!(!ds.is_empty());
    let p = ds
        .iter()
        .find(|d| d["dct:title"]["@value"] == "人口基础信息")
        .unwrap();
    assert_eq!(p["@type"], "dcat:Dataset");
    assert_eq!(
        p["dct:accrualPeriodicity"],
        "http://publications.europa.eu/resource/authority/frequency/DAILY"
    );
    assert_eq!(p["pubdata:shareType"], "conditional");
    assert_eq!(
        p["dct:accessRights"],
        "http://publications.europa.eu/resource/authority/access-right/NON_PUBLIC"
    );
    assert!(
        p["pubdata:dataItems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["pubdata:name"] == "公民身份号码")
    );
}

#[tokio::test]
async fn the_city_authority_manages_classification_and_grading_as_data() {
    let t = TestApp::demo().await;
    let sjj = t.login("qy-sjj").await;
    let r = t
        .call(
            Method::PUT,
            "/api/v1/catalog/classifications/213",
            Some(&sjj),
            Some(json!({"name": "应急管理", "parent": "2"})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let (_, tree) = t.get("/api/v1/catalog/classifications", &sjj).await;
    assert!(
        tree["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["code"] == "213" && c["parent"] == "2")
    );
    let r = t
        .call(
            Method::PUT,
            "/api/v1/catalog/classifications/3999",
            Some(&sjj),
            Some(json!({"name": "x", "parent": "2"})),
        )
        .await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    // A stricter L2: no unconditional sharing any more.
    let r = t
        .call(Method::PUT, "/api/v1/catalog/grades/L2", Some(&sjj), Some(json!({"name": "二级（低敏感）", "rank": 2, "allows_unconditional_share": false, "max_open": "conditional"})))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let gaj = t.login("qy-gaj").await;
    let mut e = crate::catalog::population_entry();
    e["items"] = json!([{"name": "号牌号码", "data_type": "string", "personal": false}]);
    e["grade"] = json!("L2");
    e["share_type"] = json!("unconditional");
    let r = t
        .call(Method::POST, "/api/v1/catalog/entries", Some(&gaj), Some(e))
        .await;
    let body = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "catalog_rule").await;
    assert_eq!(body["errors"][0]["field"], "share_type");

    // A county authority and an agency cannot change the city's scheme.
    for user in ["yd-sjj", "qy-gaj"] {
        let token = t.login(user).await;
        let r = t
            .call(
                Method::PUT,
                "/api/v1/catalog/classifications/214",
                Some(&token),
                Some(json!({"name": "x", "parent": "2"})),
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{user}");
    }
}

#[tokio::test]
async fn the_catalogue_search_understands_abbreviations() {
    let t = TestApp::demo().await;
    let gaj = t.login("qy-gaj").await;
    let mut e = population_entry();
    e["name"] = json!("社会保险缴费信息");
    e["keywords"] = json!([]);
    let (s, e) = t.post("/api/v1/catalog/entries", &gaj, e).await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    let id = e["id"].as_i64().unwrap();
    t.post(
        &format!("/api/v1/catalog/entries/{id}/submit"),
        &gaj,
        json!(null),
    )
    .await;
    let sjj = t.login("qy-sjj").await;
    let (s, _) = t
        .post(
            &format!("/api/v1/catalog/entries/{id}/review"),
            &sjj,
            json!({"decision": "approve"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let names = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_string())
            .collect()
    };
    // 社保 is how people write 社会保险: today it finds the entry.
    for q in ["社保", "社会保险", "社保 缴费"] {
        let (_, r) = t.get(&format!("/api/v1/catalog/entries?q={q}"), &gaj).await;
        assert_eq!(names(&r), ["社会保险缴费信息"], "{q}");
    }
    let (_, r) = t.get("/api/v1/catalog/entries?q=社保 婚姻", &gaj).await;
    assert!(names(&r).is_empty());
}
