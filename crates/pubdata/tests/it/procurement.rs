//! Procurement of social data (社会数据统一采购, COL-3, Art. 17): a demand
//! filed with the level's authority (a case, 15 working days as a platform
//! default), the evaluation, and the unified procurement record naming the
//! catalogue entry the purchased data is catalogued and shared under.

use pubdata_domain::calendar::today_cst;
use pubdata_domain::case::CaseKind;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::*;
use crate::sharing::shared_population;

fn demand(kind: &str) -> Value {
    json!({
        "kind": kind,
        "title": "重点区域低空遥感影像数据服务",
        "description": "全市重点区域季度低空遥感正射影像",
        "justification": "平台无同类影像数据",
        "budget_fen": 3_000_000
    })
}

fn record(entry: i64) -> Value {
    json!({
        "supplier": "清远市示范测绘地理信息有限公司",
        "contract_no": "QYSJ-CG-2026-001",
        "amount_fen": 2_880_000,
        "term_from": "2026-10-01",
        "term_to": "2027-09-30",
        "entry_id": entry
    })
}

#[tokio::test]
async fn a_demand_is_evaluated_within_its_working_days_and_procured_under_a_catalogue_entry() {
    let t = TestApp::demo().await;
    let (entry, _, gaj) = shared_population(&t).await;
    let sjj = t.login("qy-sjj").await;
    let ydsjj = t.login("yd-sjj").await;
    let mzj = t.login("qy-mzj").await;

    // Validation.
    let mut bad = demand("low_altitude");
    bad["budget_fen"] = json!(-1);
    let r = t
        .call(
            Method::POST,
            "/api/v1/procurement/demands",
            Some(&gaj),
            Some(bad),
        )
        .await;
    let p = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    assert_eq!(p["errors"][0]["field"], "budget_fen");
    let mut bad = demand("video");
    bad["justification"] = json!("  ");
    let r = t
        .call(
            Method::POST,
            "/api/v1/procurement/demands",
            Some(&gaj),
            Some(bad),
        )
        .await;
    let p = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    assert_eq!(p["errors"][0]["field"], "justification");
    // Only the agency's own staff file for it.
    let mut other = demand("video");
    other["agency_org"] = json!(t.org_id("qy-gaj").await);
    let r = t
        .call(
            Method::POST,
            "/api/v1/procurement/demands",
            Some(&mzj),
            Some(other),
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;

    let (status, d) = t
        .post("/api/v1/procurement/demands", &gaj, demand("low_altitude"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    assert_eq!(d["state"], "evaluating");
    assert_eq!(d["authority_org"], t.org_id("qy-sjj").await);
    let id = d["id"].as_i64().unwrap();
    // The evaluation case: 15 working days (a platform default, Art. 17).
    let today = today_cst();
    let due = CaseKind::ProcurementEvaluation
        .due(&t.app.calendar(), today)
        .unwrap();
    assert_eq!(d["due_on"], due.to_string());
    assert_eq!(d["deadline"]["overdue"], false);
    let case = t
        .store
        .get_case(d["case_id"].as_i64().unwrap())
        .await
        .unwrap();
    assert_eq!(case.kind, CaseKind::ProcurementEvaluation);
    assert_eq!(case.subject, format!("procurement_demand:{id}"));
    assert!(case.basis.contains("第十七条"), "{}", case.basis);

    // A procurement is recorded only for an approved demand.
    let rec = format!("/api/v1/procurement/demands/{id}/record");
    let r = t
        .call(Method::POST, &rec, Some(&sjj), Some(record(entry)))
        .await;
    assert_problem(r, StatusCode::CONFLICT, "procurement_state").await;
    // The agency, another level's authority, may not evaluate.
    let eval = format!("/api/v1/procurement/demands/{id}/evaluation");
    for who in [&gaj, &ydsjj] {
        let r = t
            .call(
                Method::POST,
                &eval,
                Some(who),
                Some(json!({"decision": "approve"})),
            )
            .await;
        assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    }
    // A refusal needs a reason.
    let r = t
        .call(
            Method::POST,
            &eval,
            Some(&sjj),
            Some(json!({"decision": "refuse"})),
        )
        .await;
    let p = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    assert_eq!(p["errors"][0]["field"], "reason");
    let (status, d) = t
        .post(
            &eval,
            &sjj,
            json!({"decision": "approve", "reason": "纳入统采共用"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["state"], "approved");
    assert_eq!(d["deadline"], Value::Null);
    let case = t
        .store
        .get_case(d["case_id"].as_i64().unwrap())
        .await
        .unwrap();
    assert_eq!(case.state.as_str(), "closed");
    // Evaluated once.
    let r = t
        .call(
            Method::POST,
            &eval,
            Some(&sjj),
            Some(json!({"decision": "approve"})),
        )
        .await;
    assert_problem(r, StatusCode::CONFLICT, "procurement_state").await;

    // The record names an entry of the demanding agency; the term is in order.
    let mut other_entry = crate::catalog::population_entry();
    other_entry["name"] = json!("低保对象信息");
    let (_, e) = t.post("/api/v1/catalog/entries", &mzj, other_entry).await;
    let r = t
        .call(
            Method::POST,
            &rec,
            Some(&sjj),
            Some(record(e["id"].as_i64().unwrap())),
        )
        .await;
    let p = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    assert_eq!(p["errors"][0]["field"], "entry_id");
    let mut late = record(entry);
    late["term_to"] = json!("2026-01-01");
    let r = t.call(Method::POST, &rec, Some(&sjj), Some(late)).await;
    let p = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    assert_eq!(p["errors"][0]["field"], "term_to");
    let r = t
        .call(Method::POST, &rec, Some(&gaj), Some(record(entry)))
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;

    let (status, d) = t.post(&rec, &sjj, record(entry)).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["state"], "procured");
    assert_eq!(d["record"]["contract_no"], "QYSJ-CG-2026-001");
    assert_eq!(d["record"]["entry_id"], entry);
    assert_eq!(d["record"]["entry_name"], "人口基础信息");
    // The purchased data's entry is catalogued, aggregated and shared like any other.
    let checks: Vec<(String, bool)> = d["record"]["entry_checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["code"].as_str().unwrap().to_string(),
                c["ok"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        checks,
        vec![
            ("published".to_string(), true),
            ("loaded".to_string(), true),
            ("shared_catalogue".to_string(), true)
        ]
    );
    // Recorded once.
    let r = t
        .call(Method::POST, &rec, Some(&sjj), Some(record(entry)))
        .await;
    assert_problem(r, StatusCode::CONFLICT, "procurement_state").await;
    let audited = t
        .store
        .audit_batch(0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .any(|r| {
            r.event.action == "procurement.record"
                && r.event.target == format!("procurement_demand:{id}")
                && r.event.detail["contract_no"] == "QYSJ-CG-2026-001"
        });
    assert!(audited);

    // Visibility: the agency and the authority see it; another agency does not.
    let (_, list) = t.get("/api/v1/procurement/demands", &gaj).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (_, list) = t.get("/api/v1/procurement/demands", &mzj).await;
    assert!(list.as_array().unwrap().is_empty(), "{list}");
    let r = t
        .call(
            Method::GET,
            &format!("/api/v1/procurement/demands/{id}"),
            Some(&mzj),
            None,
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    let (status, _) = t
        .get(&format!("/api/v1/procurement/demands/{id}"), &sjj)
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_county_agency_files_with_its_county_authority_and_a_refusal_closes_the_case() {
    let t = TestApp::demo().await;
    let ydmzj = t.login("yd-mzj").await;
    let ydsjj = t.login("yd-sjj").await;
    let (status, d) = t
        .post("/api/v1/procurement/demands", &ydmzj, demand("iot"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    assert_eq!(d["authority_org"], t.org_id("yd-sjj").await);
    let id = d["id"].as_i64().unwrap();
    let (status, d) = t
        .post(
            &format!("/api/v1/procurement/demands/{id}/evaluation"),
            &ydsjj,
            json!({"decision": "refuse", "reason": "可通过一网共享平台获得"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["state"], "refused");
    assert_eq!(d["reason"], "可通过一网共享平台获得");
    let case = t
        .store
        .get_case(d["case_id"].as_i64().unwrap())
        .await
        .unwrap();
    assert_eq!(case.state.as_str(), "closed");
    // A refused demand is not procured.
    let r = t
        .call(
            Method::POST,
            &format!("/api/v1/procurement/demands/{id}/record"),
            Some(&ydsjj),
            Some(record(1)),
        )
        .await;
    assert_problem(r, StatusCode::CONFLICT, "procurement_state").await;
}

#[tokio::test]
async fn the_procurement_pages_show_demands_evaluation_and_the_record() {
    let t = TestApp::full_demo().await;
    let sjj = t.login("qy-sjj").await;
    let (_, list) = t.get("/api/v1/procurement/demands", &sjj).await;
    let list = list.as_array().unwrap();
    let states: Vec<&str> = list.iter().map(|d| d["state"].as_str().unwrap()).collect();
    assert_eq!(
        states,
        vec!["evaluating", "refused", "procured"],
        "{list:?}"
    );
    let procured = &list[2];
    assert_eq!(procured["kind"], "map");
    assert_eq!(procured["record"]["entry_name"], "企业登记信息");

    let c = crate::pages::sign_in(&t, "qy-sjj").await;
    let r = c.get(t.url("/procurement")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("市场主体经营场所电子地图数据服务"));
    let id = list[0]["id"].as_i64().unwrap();
    let r = c
        .get(t.url(&format!("/procurement/demands/{id}")))
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"evaluate-form\""), "{html}");
    // Refusing on the page without a reason shows why not.
    let csrf = crate::pages::hidden(&html, "csrf");
    let r = c
        .post(t.url(&format!("/procurement/demands/{id}/evaluation")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("decision", "refuse"),
            ("reason", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let pid = procured["id"].as_i64().unwrap();
    let r = c
        .get(t.url(&format!("/procurement/demands/{pid}")))
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("QYSJ-CG-2026-031") && html.contains("id=\"entry-checks\""));
}
