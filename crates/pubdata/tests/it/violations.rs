//! Violations and rectification (违规与整改, VIO-1, VIO-2; Art. 49–50): the
//! authority records a violation and issues a notice with a time limit; a
//! missed notice goes onto the government's supervision list by itself;
//! the body reports and the authority accepts. The platform detects what
//! its records show, once each; misuse suspends a data user's grants.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::*;
use crate::sharing::{granted, shared_population};

async fn record(t: &TestApp, token: &str, body: Value) -> Value {
    let (status, v) = t.post("/api/v1/violations", token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    v
}

async fn checks(t: &TestApp, token: &str) -> Value {
    let (status, run) = t
        .post("/api/v1/violations/checks", token, json!(null))
        .await;
    assert_eq!(status, StatusCode::OK, "{run}");
    run
}

async fn detected(t: &TestApp, token: &str) -> Vec<Value> {
    let (status, v) = t.get("/api/v1/violations?source=detected", token).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v.as_array().unwrap().clone()
}

#[tokio::test]
async fn a_missed_rectification_goes_to_the_supervision_list_and_closes_when_accepted() {
    let t = TestApp::demo().await;
    let sjj = t.login("qy-sjj").await;
    let mzj = t.login("qy-mzj").await;
    let mzj_org = t.org_id("qy-mzj").await;
    let body = json!({"org_id": mzj_org, "kind": "catalogue", "title": "目录未按期更新",
                      "description": "职责调整后 15 个工作日内未更新目录"});

    // Only the authority over the body records; Art. 49 is for public bodies.
    let r = t
        .call(
            Method::POST,
            "/api/v1/violations",
            Some(&mzj),
            Some(body.clone()),
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    let ent = t.org_id("ent-demo").await;
    let mut wrong = body.clone();
    wrong["org_id"] = json!(ent);
    let r = t
        .call(Method::POST, "/api/v1/violations", Some(&sjj), Some(wrong))
        .await;
    let p = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    assert!(p.to_string().contains("org_id"), "{p}");

    let v = record(&t, &sjj, body).await;
    let vid = v["id"].as_i64().unwrap();
    assert_eq!(
        (v["state"].as_str(), v["source"].as_str()),
        (Some("open"), Some("recorded"))
    );
    assert_eq!(v["authority_org"], t.org_id("qy-sjj").await);
    assert!(
        v["citation"]
            .as_str()
            .unwrap()
            .contains("第四十九条第（二）项"),
        "{v}"
    );
    // The body sees it; another agency does not.
    let (status, _) = t.get(&format!("/api/v1/violations/{vid}"), &mzj).await;
    assert_eq!(status, StatusCode::OK);
    let gaj = t.login("qy-gaj").await;
    let (status, _) = t.get(&format!("/api/v1/violations/{vid}"), &gaj).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The notice: a case for the body with the limit set.
    let notice = json!({"violation_ids": [vid], "requirement": "10 个工作日内完成目录更新并报送整改情况",
                        "working_days": 10});
    let r = t
        .call(
            Method::POST,
            "/api/v1/rectifications",
            Some(&mzj),
            Some(notice.clone()),
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    let r = t
        .call(
            Method::POST,
            "/api/v1/rectifications",
            Some(&sjj),
            Some(json!({"violation_ids": [vid], "requirement": "x", "working_days": 61})),
        )
        .await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    let (status, n) = t.post("/api/v1/rectifications", &sjj, notice.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{n}");
    let nid = n["id"].as_i64().unwrap();
    assert_eq!(n["state"], "open");
    assert_eq!(n["working_days"], 10);
    assert_eq!(n["violations"][0]["state"], "rectifying");
    let opened: chrono::NaiveDate = n["created_at"].as_str().unwrap()[..10].parse().unwrap();
    let due: chrono::NaiveDate = n["due_on"].as_str().unwrap().parse().unwrap();
    assert!(t.app.calendar().working_days_between(opened, due).unwrap() >= 9);
    assert_eq!(n["deadline"]["overdue"], false);
    let (_, pending) = t.get("/api/v1/cases/pending", &mzj).await;
    assert!(
        pending["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["subject"] == format!("rectification:{nid}")),
        "{pending}"
    );
    // A violation is covered by one notice.
    let r = t
        .call(
            Method::POST,
            "/api/v1/rectifications",
            Some(&sjj),
            Some(notice),
        )
        .await;
    assert_problem(r, StatusCode::CONFLICT, "violation_not_open").await;

    // Missed: the next check puts it on the supervision list, once.
    t.store
        .backdate_rectification(
            nid,
            "2026-01-05".parse().unwrap(),
            "2026-01-16".parse().unwrap(),
        )
        .await
        .unwrap();
    let run = checks(&t, &sjj).await;
    assert_eq!(run["escalated"], 1, "{run}");
    assert_eq!(checks(&t, &sjj).await["escalated"], 0);
    let (_, listed) = t.get("/api/v1/rectifications?escalated=true", &sjj).await;
    assert!(
        listed.as_array().unwrap().iter().any(|r| r["id"] == nid),
        "{listed}"
    );
    let (_, n) = t.get(&format!("/api/v1/rectifications/{nid}"), &mzj).await;
    assert_eq!(
        (
            n["on_supervision_list"].as_bool(),
            n["deadline"]["overdue"].as_bool()
        ),
        (Some(true), Some(true)),
        "{n}"
    );
    assert_eq!(n["can_report"], true);
    // Checks are the authority's.
    let r = t
        .call(Method::POST, "/api/v1/violations/checks", Some(&mzj), None)
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;

    // The body reports; the authority returns, then accepts.
    let path = format!("/api/v1/rectifications/{nid}");
    let r = t
        .call(
            Method::POST,
            &format!("{path}/decision"),
            Some(&sjj),
            Some(json!({"accept": true, "note": "x"})),
        )
        .await;
    assert_problem(r, StatusCode::CONFLICT, "rectification_state").await;
    let (status, n) = t
        .post(
            &format!("{path}/report"),
            &mzj,
            json!({"report": "已完成目录更新"}),
        )
        .await;
    assert_eq!(
        (status, n["state"].as_str()),
        (StatusCode::OK, Some("reported")),
        "{n}"
    );
    let r = t
        .call(
            Method::POST,
            &format!("{path}/decision"),
            Some(&mzj),
            Some(json!({"accept": true, "note": "自行验收"})),
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    let (status, n) = t
        .post(
            &format!("{path}/decision"),
            &sjj,
            json!({"accept": false, "note": "缺少更新后的目录清单"}),
        )
        .await;
    assert_eq!(
        (status, n["state"].as_str()),
        (StatusCode::OK, Some("open")),
        "{n}"
    );
    t.post(
        &format!("{path}/report"),
        &mzj,
        json!({"report": "已补充目录清单"}),
    )
    .await;
    let (status, n) = t
        .post(
            &format!("{path}/decision"),
            &sjj,
            json!({"accept": true, "note": "整改到位"}),
        )
        .await;
    assert_eq!(
        (status, n["state"].as_str()),
        (StatusCode::OK, Some("accepted")),
        "{n}"
    );
    assert_eq!(n["violations"][0]["state"], "closed");
    assert!(n["deadline"].is_null());
    let (_, pending) = t.get("/api/v1/cases/pending", &mzj).await;
    assert!(
        !pending["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["subject"] == format!("rectification:{nid}"))
    );

    // The evaluation counts it, and drills down to it.
    let (status, ev) = t
        .get(
            &format!(
                "/api/v1/supervision/evaluation?level={}&org={mzj_org}",
                t.org_id("qy-sjj").await
            ),
            &sjj,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{ev}");
    let row = &ev["agencies"][0];
    assert_eq!(row["counts"]["violations_closed"], 1, "{ev}");
    assert_eq!(row["counts"]["rectifications_escalated"], 1, "{ev}");
}

#[tokio::test]
async fn the_platform_detects_repeated_collection_and_reads_outside_a_grant_once_each() {
    let t = TestApp::demo().await;
    let sjj = t.login("qy-sjj").await;
    let (entry, ds, gaj) = shared_population(&t).await;
    let mzj = t.login("qy-mzj").await;
    let mzj_org = t.org_id("qy-mzj").await;

    // 公安局 sources 公民身份号码; 民政局 declaring it again is repeated collection.
    let (status, _) = t
        .post(
            "/api/v1/collection-items",
            &gaj,
            json!({"data_item": "公民身份号码", "basis": "《居民身份证法》"}),
        )
        .await;
    assert!(
        status.is_success() || status == StatusCode::CONFLICT,
        "{status}"
    );
    let (status, _) = t
        .post(
            "/api/v1/collection-items",
            &mzj,
            json!({"data_item": "公民身份号码", "basis": "低保审核"}),
        )
        .await;
    assert!(!status.is_success(), "{status}");

    // 民政局 holds a grant on two fields and asks for a third.
    granted(
        &t,
        "qy-mzj",
        json!({"entry_id": entry, "scenario": "最低生活保障资格审核",
        "using_unit": "清远市民政局社会救助科", "fields": ["公民身份号码", "姓名"], "mode": "api",
        "until": "2027-12-31", "purpose": "核对低保申请人身份信息"}),
        json!({"approve": true}),
    )
    .await;
    for _ in 0..3 {
        let r = t
            .call(
                Method::GET,
                &format!("/api/v1/data/{ds}?fields=出生日期"),
                Some(&mzj),
                None,
            )
            .await;
        assert_problem(r, StatusCode::FORBIDDEN, "field_not_granted").await;
    }

    let run = checks(&t, &sjj).await;
    assert!(run["detected"].as_u64().unwrap() >= 2, "{run}");
    let found = detected(&t, &sjj).await;
    let of = |kind: &str| -> Vec<&Value> {
        found
            .iter()
            .filter(|v| v["kind"] == kind && v["org_id"] == mzj_org)
            .collect()
    };
    let outside = of("shared_data_use");
    assert_eq!(outside.len(), 1, "{found:?}");
    assert_eq!(outside[0]["evidence"]["refusals"], 3);
    assert_eq!(outside[0]["subject"], format!("dataset:{ds}"));
    assert_eq!(outside[0]["created_by"], "system");
    let repeated = of("repeated_collection");
    assert_eq!(repeated.len(), 1, "{found:?}");
    assert!(
        repeated[0]["title"]
            .as_str()
            .unwrap()
            .contains("公民身份号码")
    );
    // The body sees its own findings.
    let (_, own) = t.get("/api/v1/violations?source=detected", &mzj).await;
    assert!(
        own.as_array()
            .unwrap()
            .iter()
            .any(|v| v["id"] == outside[0]["id"])
    );

    // Each finding once: a second run records nothing new.
    assert_eq!(checks(&t, &sjj).await["detected"], 0);
    assert_eq!(detected(&t, &sjj).await.len(), found.len());

    // A finding that is not one is dismissed with a reason; dismissed, it
    // cannot be dismissed again.
    let id = repeated[0]["id"].as_i64().unwrap();
    let (status, v) = t
        .post(
            &format!("/api/v1/violations/{id}/dismissal"),
            &sjj,
            json!({"reason": "误操作，已撤回申报"}),
        )
        .await;
    assert_eq!(
        (status, v["state"].as_str()),
        (StatusCode::OK, Some("dismissed")),
        "{v}"
    );
    let r = t
        .call(
            Method::POST,
            &format!("/api/v1/violations/{id}/dismissal"),
            Some(&sjj),
            Some(json!({"reason": "again"})),
        )
        .await;
    assert_problem(r, StatusCode::CONFLICT, "violation_not_open").await;

    // The hourly job does the same by itself.
    assert!(
        t.app
            .run_job(pubdata_service::jobs::Job::Violations)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn overdue_cases_and_a_rewritten_audit_chain_are_detected() {
    let t = TestApp::demo().await;
    let sjj = t.login("qy-sjj").await;
    let mzj = t.login("qy-mzj").await;
    let gaj_org = t.org_id("qy-gaj").await;
    let (entry, _, _) = shared_population(&t).await;
    // A conditional request to 公安局 left unanswered past its 2 working days.
    let (status, r) = t
        .post("/api/v1/share-requests", &mzj, json!({"entry_id": entry, "scenario": "最低生活保障资格审核",
            "using_unit": "清远市民政局社会救助科", "fields": ["公民身份号码", "出生日期"], "mode": "api",
            "until": "2027-12-31", "purpose": "核对低保申请人身份信息"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let req = r["id"].as_i64().unwrap();
    t.sql(&format!(
        "UPDATE cases SET opened_on = '2026-01-05', due_on = '2026-01-07' WHERE subject = 'share_request:{req}' AND state = 'open'"
    ))
    .await;
    // Someone with database access rewrites an old audit record.
    t.sql(&format!(
        "{} UPDATE audit_log SET actor = 'mallory' WHERE id = 3;",
        crate::cli::drop_guard(&t)
    ))
    .await;

    checks(&t, &sjj).await;
    let found = detected(&t, &sjj).await;
    let overdue: Vec<&Value> = found
        .iter()
        .filter(|v| v["kind"] == "provision" && v["subject"] == format!("share_request:{req}"))
        .collect();
    assert_eq!(overdue.len(), 1, "{found:?}");
    assert_eq!(overdue[0]["org_id"], gaj_org);
    assert_eq!(overdue[0]["evidence"]["due_on"], "2026-01-07");
    let tamper: Vec<&Value> = found.iter().filter(|v| v["kind"] == "tamper").collect();
    assert_eq!(tamper.len(), 1, "{found:?}");
    assert_eq!(tamper[0]["org_id"], t.org_id("qy-sjj").await);
    assert!(
        tamper[0]["description"].as_str().unwrap().contains("#3"),
        "{}",
        tamper[0]
    );
}

#[tokio::test]
async fn misuse_by_a_data_user_suspends_its_grants() {
    let t = TestApp::demo().await;
    let sjj = t.login("qy-sjj").await;
    let mzj = t.login("qy-mzj").await;
    let mzj_org = t.org_id("qy-mzj").await;
    let (entry, ds, _) = shared_population(&t).await;
    let grant = granted(
        &t,
        "qy-mzj",
        json!({"entry_id": entry, "scenario": "最低生活保障资格审核",
        "using_unit": "清远市民政局社会救助科", "fields": ["公民身份号码", "姓名"], "mode": "api",
        "until": "2027-12-31", "purpose": "核对低保申请人身份信息"}),
        json!({"approve": true}),
    )
    .await;
    let (status, _) = t.get(&format!("/api/v1/data/{ds}"), &mzj).await;
    assert_eq!(status, StatusCode::OK);

    // Suspension is for misuse of shared data, not for any violation.
    let r = t
        .call(
            Method::POST,
            "/api/v1/violations",
            Some(&sjj),
            Some(json!({"org_id": mzj_org,
            "kind": "catalogue", "title": "x", "description": "x", "suspend_grants": true})),
        )
        .await;
    let p = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    assert!(p.to_string().contains("suspend_grants"), "{p}");

    let v = record(
        &t,
        &sjj,
        json!({"org_id": mzj_org, "kind": "shared_data_use",
        "title": "共享数据超范围使用", "description": "将低保核对数据用于招商引资名单筛选",
        "subject": format!("grant:{grant}"), "suspend_grants": true}),
    )
    .await;
    assert_eq!(v["grants_suspended"], 1, "{v}");
    let (_, g) = t.get(&format!("/api/v1/grants/{grant}"), &sjj).await;
    assert_eq!(g["state"], "suspended", "{g}");
    assert!(
        g["state_reason"]
            .as_str()
            .unwrap()
            .contains(&format!("#{}", v["id"])),
        "{g}"
    );
    let r = t
        .call(Method::GET, &format!("/api/v1/data/{ds}"), Some(&mzj), None)
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "grant_revoked").await;

    // Art. 50 misuse by an enterprise user is recorded under its own article.
    let ent = t.org_id("ent-demo").await;
    let v = record(
        &t,
        &sjj,
        json!({"org_id": ent, "kind": "illegal_gain",
        "title": "利用开放数据牟取非法利益", "description": "转售开放数据衍生名单"}),
    )
    .await;
    assert!(
        v["citation"]
            .as_str()
            .unwrap()
            .contains("第五十条第（三）项"),
        "{v}"
    );
    assert_eq!(v["grants_suspended"], 0);
}
