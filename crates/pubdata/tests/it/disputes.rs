//! Disputes between agencies (争议处理, DSP-1, Art. 48): the stage flow from
//! negotiation to the government's decision, who may move a dispute, the
//! handling authority across levels, and each stage's deadline.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::*;

async fn file(t: &TestApp, token: &str, respondent: &str) -> Value {
    let respondent = t.org_id(respondent).await;
    let (status, d) = t
        .post(
            "/api/v1/disputes",
            token,
            json!({"respondent_org": respondent, "dispute_type": "sharing",
                   "title": "低保核对数据共享范围争议",
                   "grounds": "共享目录列明可共享出生日期，数源部门拒绝提供"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    d
}

async fn pending_subjects(t: &TestApp, token: &str) -> Vec<String> {
    let (status, v) = t.get("/api/v1/cases/pending", token).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["subject"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_dispute_runs_through_every_stage_to_the_governments_decision() {
    let t = TestApp::demo().await;
    let mzj = t.login("qy-mzj").await;
    let gaj = t.login("qy-gaj").await;
    let sjj = t.login("qy-sjj").await;
    let d = file(&t, &mzj, "qy-gaj").await;
    let id = d["id"].as_i64().unwrap();
    assert_eq!(d["stage"], "negotiation");
    assert_eq!(d["authority_org"], t.org_id("qy-sjj").await);
    assert_eq!(d["cross_level"], false);
    assert_eq!(d["cases"][0]["kind"], "dispute_negotiation");
    assert!(
        d["cases"][0]["basis"]
            .as_str()
            .unwrap()
            .contains("第四十八条")
    );
    let path = format!("/api/v1/disputes/{id}");

    // The respondent answers; the statement joins the record.
    let (status, v) = t
        .post(
            &format!("{path}/statements"),
            &gaj,
            json!({"text": "出生日期属有条件共享，需另行申请"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["steps"].as_array().unwrap().len(), 2);
    assert_eq!(v["steps"][1]["org_id"], t.org_id("qy-gaj").await);

    // A party moves the failed negotiation to coordination.
    let (status, v) = t
        .post(
            &format!("{path}/escalation"),
            &gaj,
            json!({"reason": "协商未达成一致"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["stage"], "coordination");
    assert_eq!(v["cases"][0]["state"], "closed");
    assert_eq!(v["cases"][0]["outcome"], "escalated");
    assert_eq!(v["cases"][1]["kind"], "dispute_coordination");
    assert_eq!(v["cases"][1]["responder_org"], t.org_id("qy-sjj").await);

    // After negotiation a party no longer moves it on, nor settles it.
    let r = t
        .call(
            reqwest::Method::POST,
            &format!("{path}/escalation"),
            Some(&mzj),
            Some(json!({"reason": "x"})),
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    let r = t
        .call(
            reqwest::Method::POST,
            &format!("{path}/settlement"),
            Some(&gaj),
            Some(json!({"outcome": "x"})),
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;

    // The authority: coordination → consultation (recording the minutes) → government.
    let (status, v) = t
        .post(
            &format!("{path}/escalation"),
            &sjj,
            json!({"reason": "协调未果"}),
        )
        .await;
    assert_eq!(
        (status, v["stage"].as_str()),
        (StatusCode::OK, Some("consultation")),
        "{v}"
    );
    let (status, _) = t
        .post(
            &format!("{path}/statements"),
            &sjj,
            json!({"text": "会同市委编办联合会商，未形成一致意见"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // Reporting to the government needs the authority's leaning.
    let r = t
        .call(
            reqwest::Method::POST,
            &format!("{path}/escalation"),
            Some(&sjj),
            Some(json!({"reason": "会商未果"})),
        )
        .await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    // The government's 20 working days may reach into next year: give the
    // calendar that year.
    let admin = t.login("admin").await;
    let next = chrono::Datelike::year(&pubdata_domain::calendar::today_cst()) + 1;
    let r = t
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/calendar/years/{next}"),
            Some(&admin),
            Some(json!({"source": "测试用安排", "off": [format!("{next}-01-01")], "work": []})),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    let (status, v) = t
        .post(
            &format!("{path}/escalation"),
            &sjj,
            json!({"reason": "会商未果", "leaning": "倾向于按目录共享出生日期"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["stage"], "government");
    assert_eq!(v["leaning"], "倾向于按目录共享出生日期");
    assert_eq!(v["cases"].as_array().unwrap().len(), 4);
    // The last stage has no next one.
    let r = t
        .call(
            reqwest::Method::POST,
            &format!("{path}/escalation"),
            Some(&sjj),
            Some(json!({"reason": "x", "leaning": "y"})),
        )
        .await;
    assert_problem(r, StatusCode::CONFLICT, "dispute_final_stage").await;
    // The decision needs its document number.
    let r = t
        .call(
            reqwest::Method::POST,
            &format!("{path}/settlement"),
            Some(&sjj),
            Some(json!({"outcome": "按目录共享"})),
        )
        .await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    let (status, v) = t
        .post(
            &format!("{path}/settlement"),
            &sjj,
            json!({"outcome": "市政府决定：按目录共享出生日期", "decision_no": "清府函〔2026〕12号"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "settled");
    assert_eq!(v["decision_no"], "清府函〔2026〕12号");
    assert_eq!(v["cases"][3]["outcome"], "settled");
    assert!(v["deadline"].is_null());
    // Settled: nothing more.
    let r = t
        .call(
            reqwest::Method::POST,
            &format!("{path}/statements"),
            Some(&mzj),
            Some(json!({"text": "补充"})),
        )
        .await;
    assert_problem(r, StatusCode::CONFLICT, "dispute_closed").await;
    let kinds: Vec<&str> = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "filed",
            "statement",
            "escalated",
            "escalated",
            "statement",
            "escalated",
            "settled"
        ]
    );
}

#[tokio::test]
async fn the_parties_may_settle_in_negotiation_and_outsiders_see_nothing() {
    let t = TestApp::demo().await;
    let mzj = t.login("qy-mzj").await;
    let gaj = t.login("qy-gaj").await;
    let rsj = t.login("qy-rsj").await;
    let d = file(&t, &mzj, "qy-gaj").await;
    let id = d["id"].as_i64().unwrap();
    // Another agency: 404 on the dispute, and it is not listed.
    let r = t
        .call(
            reqwest::Method::GET,
            &format!("/api/v1/disputes/{id}"),
            Some(&rsj),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let (_, list) = t.get("/api/v1/disputes", &rsj).await;
    assert!(list.as_array().unwrap().iter().all(|x| x["id"] != id));
    let (_, list) = t.get("/api/v1/disputes", &gaj).await;
    assert!(list.as_array().unwrap().iter().any(|x| x["id"] == id));
    // Bad input: a dispute with oneself, an unknown subject.
    let own = t.org_id("qy-mzj").await;
    let r = t
        .call(reqwest::Method::POST, "/api/v1/disputes", Some(&mzj),
              Some(json!({"respondent_org": own, "dispute_type": "other", "title": "t", "grounds": "g"})))
        .await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    let gaj_id = t.org_id("qy-gaj").await;
    let r = t
        .call(reqwest::Method::POST, "/api/v1/disputes", Some(&mzj),
              Some(json!({"respondent_org": gaj_id, "dispute_type": "other", "title": "t", "grounds": "g",
                          "subject_kind": "grant", "subject_id": 999999})))
        .await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    // The two agree.
    let (status, v) = t
        .post(
            &format!("/api/v1/disputes/{id}/settlement"),
            &gaj,
            json!({"outcome": "双方同意按目录共享"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(
        (v["state"].as_str(), v["stage"].as_str()),
        (Some("settled"), Some("negotiation"))
    );
    assert_eq!(v["outcome"], "双方同意按目录共享");
}

#[tokio::test]
async fn across_levels_the_common_upper_authority_handles_the_dispute() {
    let t = TestApp::demo().await;
    let yd_mzj = t.login("yd-mzj").await;
    let yd_sjj = t.login("yd-sjj").await;
    let qy_sjj = t.login("qy-sjj").await;
    // 英德市民政局 against 清远市公安局: different levels → the city's authority.
    let d = file(&t, &yd_mzj, "qy-gaj").await;
    assert_eq!(d["cross_level"], true);
    assert_eq!(d["authority_org"], t.org_id("qy-sjj").await);
    let id = d["id"].as_i64().unwrap();
    let path = format!("/api/v1/disputes/{id}");
    t.post(
        &format!("{path}/escalation"),
        &yd_mzj,
        json!({"reason": "协商不成"}),
    )
    .await;
    // The county's authority does not handle it (it does not even see it) …
    let r = t
        .call(
            reqwest::Method::POST,
            &format!("{path}/escalation"),
            Some(&yd_sjj),
            Some(json!({"reason": "x"})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // … the city's does.
    let (status, v) = t
        .post(
            &format!("{path}/escalation"),
            &qy_sjj,
            json!({"reason": "协调不成"}),
        )
        .await;
    assert_eq!(
        (status, v["stage"].as_str()),
        (StatusCode::OK, Some("consultation")),
        "{v}"
    );

    // Within one county the county's authority handles it.
    let d = file(&t, &yd_mzj, "yd-gaj").await;
    assert_eq!(d["cross_level"], false);
    assert_eq!(d["authority_org"], t.org_id("yd-sjj").await);
    // Two counties: the city's authority.
    let d = file(&t, &yd_mzj, "qc-gaj").await;
    assert_eq!(d["cross_level"], true);
    assert_eq!(d["authority_org"], t.org_id("qy-sjj").await);
}

#[tokio::test]
async fn each_stage_has_its_deadline_and_turns_overdue_on_every_dashboard() {
    let t = TestApp::demo().await;
    let mzj = t.login("qy-mzj").await;
    let gaj = t.login("qy-gaj").await;
    let sjj = t.login("qy-sjj").await;
    let d = file(&t, &mzj, "qy-gaj").await;
    let id = d["id"].as_i64().unwrap();
    // Negotiation: 10 working days (a platform default).
    let opened: chrono::NaiveDate = d["cases"][0]["opened_on"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let due: chrono::NaiveDate = d["due_on"].as_str().unwrap().parse().unwrap();
    let cal = pubdata_domain::calendar::Calendar::shipped();
    assert_eq!(cal.working_days_between(opened, due).unwrap(), 10);
    // On both parties' and the authority's dashboards.
    let subject = format!("dispute:{id}");
    for token in [&mzj, &gaj, &sjj] {
        assert!(pending_subjects(&t, token).await.contains(&subject));
    }
    t.store
        .backdate_dispute(
            id,
            "2026-01-05".parse().unwrap(),
            "2026-01-16".parse().unwrap(),
        )
        .await
        .unwrap();
    let swept = t.app.sweep_deadlines().await.unwrap();
    assert!(swept.iter().any(|c| c.subject == subject));
    let (_, v) = t.get(&format!("/api/v1/disputes/{id}"), &sjj).await;
    assert_eq!(v["deadline"]["overdue"], true, "{v}");
    assert!(v["cases"][0]["overdue_at"].is_string());
    // Escalated: the coordination case has a fresh 15-working-day limit.
    let (_, v) = t
        .post(
            &format!("/api/v1/disputes/{id}/escalation"),
            &mzj,
            json!({"reason": "逾期未协商"}),
        )
        .await;
    assert_eq!(v["deadline"]["overdue"], false, "{v}");
    let opened: chrono::NaiveDate = v["cases"][1]["opened_on"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let due: chrono::NaiveDate = v["due_on"].as_str().unwrap().parse().unwrap();
    assert_eq!(cal.working_days_between(opened, due).unwrap(), 15);
    for token in [&mzj, &gaj, &sjj] {
        assert!(pending_subjects(&t, token).await.contains(&subject));
    }
}

#[tokio::test]
async fn the_demo_has_disputes_at_every_stage_settled_overdue_and_across_levels() {
    // Other areas' demo cases run into next year in December: give the
    // calendar that year first, then seed the whole demo.
    let t = TestApp::demo().await;
    let admin = t.login("admin").await;
    let next = chrono::Datelike::year(&pubdata_domain::calendar::today_cst()) + 1;
    let r = t
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/calendar/years/{next}"),
            Some(&admin),
            Some(json!({"source": "测试用安排", "off": [format!("{next}-01-01")], "work": []})),
        )
        .await;
    assert!(r.status().is_success());
    let size = pubdata_service::demo::DemoSize {
        population: 3000,
        enterprises: 1500,
    };
    t.app.seed_demo_sized(size).await.expect("demo seeds");
    let auditor = t.login("auditor").await;
    let (status, all) = t.get("/api/v1/disputes", &auditor).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 8);
    for stage in ["negotiation", "coordination", "consultation"] {
        assert!(
            all.iter()
                .any(|d| d["stage"] == stage && d["state"] == "open"),
            "{stage}"
        );
    }
    assert!(all.iter().filter(|d| d["state"] == "settled").count() >= 2);
    assert!(all.iter().any(|d| d["deadline"]["overdue"] == true));
    assert!(all.iter().any(|d| d["cross_level"] == true));
}
