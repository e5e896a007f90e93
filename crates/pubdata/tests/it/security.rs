//! Security management (安全管理, SEC-2 to SEC-4, Art. 44–45): an agency's
//! officer, grade protection settings, checks and drills; confidentiality
//! review (保密审查) before sharing or opening graded data; unusual-access
//! alerts raised from the access records.

use chrono::Timelike;
use pubdata_service::jobs::Job;
use pubdata_service::security::AlertThresholds;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::*;
use crate::sharing::{granted, shared_population};

fn share(entry: i64, fields: &[&str], mode: &str) -> Value {
    json!({
        "entry_id": entry,
        "scenario": "最低生活保障资格审核",
        "using_unit": "清远市民政局社会救助科",
        "fields": fields,
        "mode": mode,
        "until": "2027-12-31",
        "purpose": "核对低保申请人身份信息"
    })
}

async fn put(t: &TestApp, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
    json_of(t.call(Method::PUT, path, Some(token), Some(body)).await).await
}

/// Audit records of `action`, oldest first.
async fn audited(t: &TestApp, action: &str) -> Vec<Value> {
    t.store
        .audit_batch(0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.event.action == action)
        .map(|r| r.event.detail)
        .collect()
}

#[tokio::test]
async fn an_agency_keeps_its_security_management_and_its_authority_reads_it() {
    let t = TestApp::demo().await;
    let gaj = t.login("qy-gaj").await;
    let mzj = t.login("qy-mzj").await;
    let sjj = t.login("qy-sjj").await;
    let ydsjj = t.login("yd-sjj").await;
    let org = t.org_id("qy-gaj").await;
    let base = format!("/api/v1/security/orgs/{org}");

    let (status, o) = put(
        &t,
        &format!("{base}/officer"),
        &gaj,
        json!({"name": "陈伟", "post": "副局长", "contact": "0763-3300000"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{o}");
    assert_eq!(o["name"], "陈伟");
    // Another agency does not keep it; neither does the authority.
    for who in [&mzj, &sjj] {
        let r = t
            .call(
                Method::PUT,
                &format!("{base}/officer"),
                Some(who),
                Some(json!({"name": "某", "post": "某", "contact": "某"})),
            )
            .await;
        assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    }

    // Settings name grades of the scheme, each once.
    let r = t
        .call(
            Method::PUT,
            &format!("{base}/settings"),
            Some(&gaj),
            Some(json!([{"grade": "L9", "review_required": true}])),
        )
        .await;
    let p = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    assert_eq!(p["errors"][0]["field"], "[0].grade");
    let r = t
        .call(
            Method::PUT,
            &format!("{base}/settings"),
            Some(&gaj),
            Some(json!([{"grade": "L3"}, {"grade": "L3"}])),
        )
        .await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    let (status, s) = put(
        &t,
        &format!("{base}/settings"),
        &gaj,
        json!([
            {"grade": "L3", "masking_default": true, "review_required": true, "notes": "三级数据共享开放前保密审查"},
            {"grade": "L4", "masking_default": true, "review_required": true}
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(s.as_array().unwrap().len(), 2);
    assert_eq!(s[0]["grade"], "L3");
    assert_eq!(s[0]["review_required"], true);
    assert_eq!(s[0]["export_allowed"], false);

    // Checks, assessments and drills: held, not planned.
    let today = pubdata_domain::calendar::today_cst();
    let r = t
        .call(
            Method::POST,
            &format!("{base}/records"),
            Some(&gaj),
            Some(
                json!({"kind": "check", "held_on": (today + chrono::Duration::days(3)).to_string(),
                        "scope": "人口库", "findings": "无"}),
            ),
        )
        .await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    for (kind, scope) in [
        ("check", "人口基础信息库访问控制与日志"),
        ("risk_assessment", "共享接口数据出境与泄露风险"),
        ("emergency_drill", "接口凭据泄露的应急处置"),
        ("recovery_drill", "数据库损毁后从异地备份恢复"),
    ] {
        let (status, r) = t
            .post(
                &format!("{base}/records"),
                &gaj,
                json!({"kind": kind, "held_on": today.to_string(), "scope": scope,
                       "findings": "发现1项问题", "follow_up": "已整改"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{r}");
        assert_eq!(r["kind"], kind);
    }

    // The agency and its authority read; another agency and another
    // level's authority do not.
    let (status, v) = t.get(&base, &sjj).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["officer"]["post"], "副局长");
    assert_eq!(v["records"].as_array().unwrap().len(), 4);
    assert_eq!(v["settings"].as_array().unwrap().len(), 2);
    assert_eq!(v["manageable"], false);
    let (status, v) = t.get(&base, &gaj).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["manageable"], true);
    for who in [&mzj, &ydsjj] {
        let r = t.call(Method::GET, &base, Some(who), None).await;
        assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    }

    // Everything audited.
    assert_eq!(audited(&t, "security.officer").await.len(), 1);
    assert_eq!(
        audited(&t, "security.settings").await[0]["settings"]["L3"]["review_required"],
        true
    );
    let records = audited(&t, "security.record").await;
    assert_eq!(records.len(), 4);
    assert_eq!(records[3]["kind"], "recovery_drill");
}

#[tokio::test]
async fn a_graded_share_is_approved_only_after_a_passed_confidentiality_review() {
    let t = TestApp::demo().await;
    let (entry, _ds, gaj) = shared_population(&t).await;
    let mzj = t.login("qy-mzj").await;
    let org = t.org_id("qy-gaj").await;

    // Without a setting, no review is needed.
    let (status, r) = t
        .post(
            "/api/v1/share-requests",
            &mzj,
            share(entry, &["姓名"], "api"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let first = r["id"].as_i64().unwrap();
    let (status, r) = t
        .post(
            &format!("/api/v1/share-requests/{first}/decision"),
            &gaj,
            json!({"approve": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");

    // The entry is graded L3; the agency requires a review for L3.
    let (status, _) = put(
        &t,
        &format!("/api/v1/security/orgs/{org}/settings"),
        &gaj,
        json!([{"grade": "L3", "review_required": true}]),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, r) = t
        .post(
            "/api/v1/share-requests",
            &mzj,
            share(entry, &["姓名", "出生日期"], "api"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let id = r["id"].as_i64().unwrap();
    let decide = format!("/api/v1/share-requests/{id}/decision");
    let r = t
        .call(
            Method::POST,
            &decide,
            Some(&gaj),
            Some(json!({"approve": true})),
        )
        .await;
    let p = assert_problem(r, StatusCode::CONFLICT, "confidentiality_review_required").await;
    assert!(p["detail"].as_str().unwrap().contains("保密审查"), "{p}");

    // A review that did not pass does not clear it; the requester cannot
    // record one; a review names one request of this entry.
    let review = |passed: bool| {
        json!({"entry_id": entry, "share_request_id": id, "reviewer": "保密办 李强",
               "reviewed_on": pubdata_domain::calendar::today_cst().to_string(),
               "passed": passed, "notes": if passed { "" } else { "出生日期须脱敏后再审" }})
    };
    let r = t
        .call(
            Method::POST,
            "/api/v1/security/reviews",
            Some(&mzj),
            Some(review(true)),
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    let mut neither = review(true);
    neither["share_request_id"] = Value::Null;
    let r = t
        .call(
            Method::POST,
            "/api/v1/security/reviews",
            Some(&gaj),
            Some(neither),
        )
        .await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    let (status, rv) = t
        .post("/api/v1/security/reviews", &gaj, review(false))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rv}");
    let r = t
        .call(
            Method::POST,
            &decide,
            Some(&gaj),
            Some(json!({"approve": true})),
        )
        .await;
    let p = assert_problem(r, StatusCode::CONFLICT, "confidentiality_review_required").await;
    assert!(
        p["detail"].as_str().unwrap().contains("did not pass"),
        "{p}"
    );
    // A passed review clears the approval.
    let (status, rv) = t.post("/api/v1/security/reviews", &gaj, review(true)).await;
    assert_eq!(status, StatusCode::CREATED, "{rv}");
    let (status, r) = t.post(&decide, &gaj, json!({"approve": true})).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert!(r["grant_id"].as_i64().is_some());

    // The reviews are listed for the entry; each refusal was audited.
    let sjj = t.login("qy-sjj").await;
    let (status, list) = t
        .get(
            &format!("/api/v1/security/reviews?entry_id={entry}&share_request_id={id}"),
            &sjj,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[0]["passed"], true);
    let refusals: Vec<Value> = audited(&t, "share.decide")
        .await
        .into_iter()
        .filter(|d| d["refused"] == "confidentiality_review_required")
        .collect();
    assert_eq!(refusals.len(), 2);
    assert_eq!(refusals[0]["share_request"], id);
    assert_eq!(audited(&t, "security.review").await.len(), 2);
}

#[tokio::test]
async fn an_open_entry_is_published_only_after_its_version_passed_review() {
    let t = TestApp::demo().await;
    let scj = t.login("qy-scjgj").await;
    let sjj = t.login("qy-sjj").await;
    let org = t.org_id("qy-scjgj").await;
    let (status, _) = put(
        &t,
        &format!("/api/v1/security/orgs/{org}/settings"),
        &scj,
        json!([{"grade": "L1", "review_required": true}]),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, e) = t
        .post(
            "/api/v1/catalog/entries",
            &scj,
            json!({
                "name": "公交站点信息",
                "summary": "全市公交站点位置与线路",
                "classification": "101",
                "grade": "L1",
                "data_form": "database",
                "items": [
                    {"name": "站点编号", "data_type": "string"},
                    {"name": "站点名称", "data_type": "string"}
                ],
                "share_type": "unconditional",
                "share_scope": "全市政务部门",
                "share_modes": ["api"],
                "open_attribute": "unconditional",
                "open_clauses": [],
                "open_grounds": "",
                "update_frequency": "monthly",
                "keywords": ["公交"]
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{e}");
    let entry = e["id"].as_i64().unwrap();
    let (status, e) = t
        .post(
            &format!("/api/v1/catalog/entries/{entry}/submit"),
            &scj,
            json!(null),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{e}");
    let version = e["version"].as_i64().unwrap();
    let approve = format!("/api/v1/catalog/entries/{entry}/review");
    let r = t
        .call(
            Method::POST,
            &approve,
            Some(&sjj),
            Some(json!({"decision": "approve"})),
        )
        .await;
    assert_problem(r, StatusCode::CONFLICT, "confidentiality_review_required").await;
    let (status, rv) = t
        .post(
            "/api/v1/security/reviews",
            &scj,
            json!({"entry_id": entry, "entry_version": version, "reviewer": "保密办 王芳",
                   "reviewed_on": pubdata_domain::calendar::today_cst().to_string(), "passed": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rv}");
    assert_eq!(rv["entry_version"], version);
    let (status, e) = t.post(&approve, &sjj, json!({"decision": "approve"})).await;
    assert_eq!(status, StatusCode::OK, "{e}");
    assert_eq!(e["state"], "published");
}

/// The China hour now, and an odd-hours window of three hours around it.
fn odd_window_around_now() -> (u32, u32) {
    let h = chrono::Utc::now()
        .with_timezone(&pubdata_domain::calendar::cst())
        .hour();
    ((h + 23) % 24, (h + 2) % 24)
}

#[tokio::test]
async fn unusual_access_raises_alerts_for_the_authority_and_in_metrics() {
    let t = TestApp::demo().await;
    let (entry, ds, _) = shared_population(&t).await;
    let mzj = t.login("qy-mzj").await;
    let sjj = t.login("qy-sjj").await;
    let ydsjj = t.login("yd-sjj").await;
    let read_grant = granted(
        &t,
        "qy-mzj",
        share(entry, &["公民身份号码", "姓名"], "api"),
        json!({"approve": true}),
    )
    .await;
    let verify_grant = granted(
        &t,
        "qy-mzj",
        share(entry, &["姓名", "出生日期"], "verify"),
        json!({"approve": true}),
    )
    .await;

    // Ordinary use: two reads of 3 rows and one verification, in hours that
    // are not odd, under a floor of 10 rows — nothing unusual.
    let (from, to) = odd_window_around_now();
    let calm = AlertThresholds {
        volume_floor: 10,
        odd_from: (to + 1) % 24,
        odd_to: (to + 2) % 24,
        ..Default::default()
    };
    t.app.set_alert_thresholds(calm.clone()).unwrap();
    for _ in 0..2 {
        let (status, v) = t.get(&format!("/api/v1/data/{ds}"), &mzj).await;
        assert_eq!(status, StatusCode::OK, "{v}");
    }
    let (status, _) = t
        .post(
            &format!("/api/v1/verify/{ds}"),
            &mzj,
            json!({"key": {"公民身份号码": "11010519491231002X"}, "claims": {"姓名": "张三丰"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(t.app.run_job(Job::SecurityAlerts).await.unwrap());
    let (status, list) = t.get("/api/v1/security/alerts", &sjj).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list, json!([]));

    // Volume: two more reads make 12 rows today, over the floor.
    for _ in 0..2 {
        let (status, _) = t.get(&format!("/api/v1/data/{ds}"), &mzj).await;
        assert_eq!(status, StatusCode::OK);
    }
    // Enumeration: one key probed with varied claims.
    for day in 1..=7 {
        let (status, _) = t
            .post(
                &format!("/api/v1/verify/{ds}"),
                &mzj,
                json!({"key": {"公民身份号码": "440524188001010014"},
                       "claims": {"出生日期": format!("1880-01-{day:02}")}}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    assert!(t.app.run_job(Job::SecurityAlerts).await.unwrap());
    // Odd hours: the same reads, once the night watch covers this hour.
    t.app
        .set_alert_thresholds(AlertThresholds {
            odd_from: from,
            odd_to: to,
            ..calm
        })
        .unwrap();
    assert!(t.app.run_job(Job::SecurityAlerts).await.unwrap());
    // Detection is idempotent.
    assert!(t.app.run_job(Job::SecurityAlerts).await.unwrap());

    let (status, list) = t.get("/api/v1/security/alerts", &sjj).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let list = list.as_array().unwrap().clone();
    let of =
        |kind: &str| -> Vec<Value> { list.iter().filter(|a| a["kind"] == kind).cloned().collect() };
    let volume = of("volume");
    assert_eq!(volume.len(), 1, "{list:?}");
    assert_eq!(volume[0]["grant_id"], read_grant);
    assert_eq!(volume[0]["observed"], 12);
    assert_eq!(volume[0]["threshold"], 10);
    assert_eq!(volume[0]["grantee_name"], "清远市民政局");
    let enumeration = of("enumeration");
    assert_eq!(enumeration.len(), 1, "{list:?}");
    assert_eq!(enumeration[0]["grant_id"], verify_grant);
    assert_eq!(
        enumeration[0]["detail"]["keys"],
        json!(["440524188001010014"])
    );
    let odd = of("odd_hours");
    assert_eq!(odd.len(), 2, "both grants were used at odd hours: {list:?}");
    let read_odd = odd.iter().find(|a| a["grant_id"] == read_grant).unwrap();
    assert_eq!(read_odd["observed"], 4);
    assert_eq!(list.len(), 4);
    // Each alert is in the audit chain.
    assert_eq!(audited(&t, "security.alert").await.len(), 4);

    // Filters; the grantee sees its own; another level's authority none.
    let (_, only) = t
        .get("/api/v1/security/alerts?kind=enumeration&open=true", &sjj)
        .await;
    assert_eq!(only.as_array().unwrap().len(), 1);
    let (status, own) = t.get("/api/v1/security/alerts", &mzj).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(own.as_array().unwrap().len(), 4);
    let (status, none) = t.get("/api/v1/security/alerts", &ydsjj).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(none, json!([]));

    // /metrics counts them by kind.
    let metrics = t
        .client
        .get(t.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("pubdata_security_alerts{kind=\"odd_hours\"} 2"),
        "{metrics}"
    );
    assert!(metrics.contains("pubdata_security_alerts_open{kind=\"volume\"} 1"));

    // The authority acknowledges; the grantee cannot; once only.
    let id = volume[0]["id"].as_i64().unwrap();
    let ack = format!("/api/v1/security/alerts/{id}/acknowledgement");
    let r = t
        .call(
            Method::POST,
            &ack,
            Some(&mzj),
            Some(json!({"note": "批量核对"})),
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    let (status, a) = t
        .post(
            &ack,
            &sjj,
            json!({"note": "经核实为低保年审批量核对，已提醒按需调用"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{a}");
    assert_eq!(a["acknowledged_by"], "qy-sjj");
    let r = t
        .call(
            Method::POST,
            &ack,
            Some(&sjj),
            Some(json!({"note": "再次"})),
        )
        .await;
    assert_problem(r, StatusCode::CONFLICT, "alert_acknowledged").await;
    let (_, open) = t.get("/api/v1/security/alerts?open=true", &sjj).await;
    assert_eq!(open.as_array().unwrap().len(), 3);
    let metrics = t
        .client
        .get(t.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("pubdata_security_alerts_open{kind=\"volume\"} 0"));
}

#[tokio::test]
async fn the_agency_keeps_its_records_on_the_page_and_the_authority_reads_them_in_english() {
    use crate::pages::{hidden, sign_in};
    let t = TestApp::demo().await;
    let org = t.org_id("qy-gaj").await;
    let c = sign_in(&t, "qy-gaj").await;
    let html = c
        .get(t.url("/security"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("安全负责人") && html.contains("id=\"officer-form\""));
    let csrf = hidden(&html, "csrf");
    let r = c
        .post(t.url(&format!("/security/orgs/{org}/officer")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "陈伟"),
            ("post", "网络安全科科长"),
            ("contact", "0763-3300001"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = c
        .post(t.url(&format!("/security/orgs/{org}/settings")))
        .form(&[("csrf", csrf.as_str()), ("review", "L3"), ("masking", "L3")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = c
        .post(t.url(&format!("/security/orgs/{org}/records")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("kind", "recovery_drill"),
            (
                "held_on",
                &pubdata_domain::calendar::today_cst().to_string(),
            ),
            ("scope", "数据库损毁后从异地备份恢复"),
            ("findings", "4小时内恢复，审计链校验通过"),
            ("follow_up", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // A form error shows beside the form.
    let html = c
        .post(t.url(&format!("/security/orgs/{org}/records")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("kind", "check"),
            ("held_on", "2999-01-01"),
            ("scope", "x"),
            ("findings", "x"),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"sec-error\""), "{html}");

    let s = sign_in(&t, "qy-sjj").await;
    s.get(t.url("/lang?to=en&next=/")).send().await.unwrap();
    let html = s
        .get(t.url(&format!("/security?org={org}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Security management") && html.contains("Unusual-access alerts"));
    assert!(html.contains("网络安全科科长"));
    assert!(html.contains("Disaster-recovery drill"));
    assert!(
        html.contains("id=\"review-L3\" aria-label=\"Confidentiality review L3\" checked disabled")
    );
    // The authority reads; it does not get the agency's forms.
    assert!(!html.contains("id=\"officer-form\""));
    let csrf = hidden(&html, "csrf");
    let r = s
        .post(t.url(&format!("/security/orgs/{org}/officer")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "某"),
            ("post", "某"),
            ("contact", "某"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_demo_shows_an_agencys_officer_drills_and_a_passed_review() {
    let t = TestApp::full_demo().await;
    let org = t.org_id("qy-gaj").await;
    let sjj = t.login("qy-sjj").await;
    let (status, v) = t.get(&format!("/api/v1/security/orgs/{org}"), &sjj).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["officer"]["name"], "陈伟");
    let kinds: Vec<&str> = v["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "recovery_drill",
            "emergency_drill",
            "risk_assessment",
            "check"
        ]
    );
    assert_eq!(v["reviews"][0]["passed"], true);
    assert!(v["reviews"][0]["share_request_id"].as_i64().is_some());
    let l4 = v["settings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["grade"] == "L4")
        .unwrap();
    assert_eq!(l4["review_required"], true);
    // Seeding again adds nothing.
    t.app.seed_demo().await.unwrap();
    let (_, again) = t.get(&format!("/api/v1/security/orgs/{org}"), &sjj).await;
    assert_eq!(again["records"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn a_conditional_opening_is_approved_only_after_a_passed_review_of_its_version() {
    let t = TestApp::demo().await;
    let (conditional, _, _) = crate::open_applications::world(&t).await;
    let scj = t.login("qy-scjgj").await;
    let ent = t.login("ent-demo").await;
    let org = t.org_id("qy-scjgj").await;
    let (status, _) = put(
        &t,
        &format!("/api/v1/security/orgs/{org}/settings"),
        &scj,
        json!([{"grade": "L3", "review_required": true}]),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, a) =
        crate::open_applications::apply(&t, &ent, conditional, &["企业名称", "联系电话"]).await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    let id = a["id"].as_i64().unwrap();
    let decision = format!("/api/v1/open/applications/{id}/decision");
    let r = t
        .call(
            Method::POST,
            &decision,
            Some(&scj),
            Some(json!({"approve": true})),
        )
        .await;
    assert_problem(r, StatusCode::CONFLICT, "confidentiality_review_required").await;
    let entry = t.store.get_dataset(conditional).await.unwrap().entry_id;
    let (status, e) = t
        .get(&format!("/api/v1/catalog/entries/{entry}"), &scj)
        .await;
    assert_eq!(status, StatusCode::OK, "{e}");
    let version = e["published_version"].as_i64().unwrap();
    let (status, rv) = t
        .post(
            "/api/v1/security/reviews",
            &scj,
            json!({"entry_id": entry, "entry_version": version, "reviewer": "保密办 黄芳",
                   "reviewed_on": pubdata_domain::calendar::today_cst().to_string(), "passed": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rv}");
    let (status, a) = t.post(&decision, &scj, json!({"approve": true})).await;
    assert_eq!(status, StatusCode::OK, "{a}");
    assert_eq!(a["state"], "approved");
    let refused = audited(&t, "open_application.decide")
        .await
        .into_iter()
        .filter(|d| d["refused"] == "confidentiality_review_required")
        .count();
    assert_eq!(refused, 1);
}
