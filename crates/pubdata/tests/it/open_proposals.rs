//! Filing of open attributes and the authority's change proposals (开放属性
//! 备案与修改建议, OPN-1, Art. 32–34): a not-open or conditionally open
//! entry is filed with the authority of its level on publication, with the
//! agency's basis; the authority proposes another attribute (a case for the
//! agency, 10 working days); the agency agrees (a new version) or disagrees;
//! without agreement the authority escalates and records the government's
//! decision (a case, 20 working days), which is applied to the entry.

use pubdata_domain::calendar::{Calendar, today_cst};
use pubdata_domain::case::CaseKind;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::*;

/// A published entry of 市场监督管理局 with personal items, not open
/// under Art. 33(3), with its basis. Its id.
async fn published_not_open(t: &TestApp, name: &str) -> i64 {
    let scj = t.login("qy-scjgj").await;
    let sjj = t.login("qy-sjj").await;
    let id = draft_not_open(t, &scj, name).await;
    let (status, e) = json_of(
        t.call(
            Method::PATCH,
            &format!("/api/v1/catalog/entries/{id}"),
            Some(&scj),
            Some(json!({"open_basis": "《中华人民共和国个人信息保护法》第十三条"})),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{e}");
    let (status, e) = t
        .post(
            &format!("/api/v1/catalog/entries/{id}/submit"),
            &scj,
            json!(null),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{e}");
    let (status, e) = t
        .post(
            &format!("/api/v1/catalog/entries/{id}/review"),
            &sjj,
            json!({"decision": "approve"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{e}");
    assert_eq!(e["state"], "published");
    id
}

async fn draft_not_open(t: &TestApp, scj: &str, name: &str) -> i64 {
    let (status, e) = t
        .post(
            "/api/v1/catalog/entries",
            scj,
            json!({
                "name": name,
                "summary": "企业的名称、联系人和联系电话",
                "classification": "102",
                "data_form": "database",
                "items": [
                    {"name": "企业名称", "data_type": "string"},
                    {"name": "联系人姓名", "data_type": "string", "personal": true},
                    {"name": "联系电话", "data_type": "string", "personal": true}
                ],
                "share_type": "conditional",
                "share_conditions": "仅用于依法履职",
                "share_basis": "《清远市公共数据管理办法》第十四条",
                "share_scope": "全市政务部门",
                "share_modes": ["api"],
                "open_attribute": "none",
                "open_clauses": ["privacy_without_consent"],
                "open_grounds": "涉及个人信息",
                "update_frequency": "monthly"
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{e}");
    e["id"].as_i64().unwrap()
}

async fn propose(t: &TestApp, token: &str, entry: i64, body: Value) -> (StatusCode, Value) {
    t.post(
        &format!("/api/v1/catalog/entries/{entry}/open-proposals"),
        token,
        body,
    )
    .await
}

fn conditional_proposal() -> Value {
    json!({"proposed_attribute": "conditional", "clauses": ["subject_consent"],
           "reasons": "数据主体已同意用于科研统计，建议有条件开放"})
}

#[tokio::test]
async fn a_not_open_entry_is_filed_on_publication_and_needs_its_basis() {
    let t = TestApp::demo().await;
    let scj = t.login("qy-scjgj").await;
    let sjj = t.login("qy-sjj").await;
    let id = draft_not_open(&t, &scj, "企业联系人信息").await;
    // Conditionally open without a basis (依据) for the authority: refused.
    let (status, e) = json_of(
        t.call(
            Method::PATCH,
            &format!("/api/v1/catalog/entries/{id}"),
            Some(&scj),
            Some(
                json!({"open_attribute": "conditional", "open_clauses": ["subject_consent"],
                        "open_conditions": "签署数据利用协议", "open_grounds": ""}),
            ),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{e}");
    let r = t
        .call(
            Method::POST,
            &format!("/api/v1/catalog/entries/{id}/submit"),
            Some(&scj),
            Some(json!(null)),
        )
        .await;
    let p = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    assert_eq!(p["errors"][0]["field"], "open_basis", "{p}");
    // Not open, the grounds (不予开放理由) are the basis when none is given.
    let plain = draft_not_open(&t, &scj, "企业联系人名录").await;
    let (status, e) = t
        .post(
            &format!("/api/v1/catalog/entries/{plain}/submit"),
            &scj,
            json!(null),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{e}");
    t.post(
        &format!("/api/v1/catalog/entries/{plain}/review"),
        &sjj,
        json!({"decision": "approve"}),
    )
    .await;

    let id = published_not_open(&t, "企业联系人台账").await;
    let scj_org = t.org_id("qy-scjgj").await;
    let (status, filings) = t.get("/api/v1/open/filings", &sjj).await;
    assert_eq!(status, StatusCode::OK, "{filings}");
    let f = filings
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["entry_id"] == id)
        .unwrap_or_else(|| panic!("{filings}"));
    assert_eq!(f["attribute"], "none");
    assert_eq!(f["clauses"], json!(["privacy_without_consent"]));
    assert_eq!(f["basis"], "《中华人民共和国个人信息保护法》第十三条");
    assert_eq!(f["org_id"], scj_org);
    assert_eq!(f["authority_org"], t.org_id("qy-sjj").await);
    assert_eq!(f["version"], 2);
    assert_eq!(f["filed_on"], today_cst().to_string());
    assert_eq!(f["entry_name"], "企业联系人台账");
    let g = filings
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["entry_id"] == plain)
        .unwrap_or_else(|| panic!("{filings}"));
    assert_eq!(g["basis"], "涉及个人信息");
    // Filters by attribute and agency.
    let (_, cond) = t
        .get("/api/v1/open/filings?attribute=conditional", &sjj)
        .await;
    assert!(!cond.as_array().unwrap().iter().any(|f| f["entry_id"] == id));
    let (_, other) = t
        .get(
            &format!("/api/v1/open/filings?org_id={}", t.org_id("qy-mzj").await),
            &sjj,
        )
        .await;
    assert!(
        !other
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["entry_id"] == id)
    );
    let (_, mine) = t
        .get(
            &format!("/api/v1/open/filings?org_id={scj_org}&attribute=none"),
            &sjj,
        )
        .await;
    assert!(mine.as_array().unwrap().iter().any(|f| f["entry_id"] == id));
    // Only authorities see filings, each its own level's.
    let r = t
        .call(Method::GET, "/api/v1/open/filings", Some(&scj), None)
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    let yd = t.login("yd-sjj").await;
    let (status, county) = t.get("/api/v1/open/filings", &yd).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !county
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["entry_id"] == id)
    );
    // The publication audit names the step; an unconditionally open entry is not filed.
    let audit = t
        .store
        .list_audit(&pubdata_store::AuditFilter {
            action: Some("catalog.review".into()),
            target: Some(format!("catalog_entry:{id}")),
            limit: 5,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(!audit.is_empty());
}

#[tokio::test]
async fn an_agreed_proposal_changes_the_attribute_as_a_new_version_then_filed_again() {
    let t = TestApp::demo().await;
    let scj = t.login("qy-scjgj").await;
    let sjj = t.login("qy-sjj").await;
    let id = published_not_open(&t, "企业联系人信息").await;
    let (status, v) = propose(&t, &sjj, id, conditional_proposal()).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let pid = v["id"].as_i64().unwrap();
    assert_eq!(v["state"], "open");
    assert_eq!(v["from_attribute"], "none");
    assert_eq!(v["proposed_attribute"], "conditional");
    // The agency's case: Art. 32, 10 working days (platform default).
    let cal = t.app.calendar();
    let due = CaseKind::OpenProposal.due(&cal, today_cst()).unwrap();
    assert_eq!(v["cases"][0]["kind"], "open_proposal", "{v}");
    assert_eq!(v["cases"][0]["due_on"], due.to_string());
    assert_eq!(v["cases"][0]["responder_org"], t.org_id("qy-scjgj").await);
    assert_eq!(v["cases"][0]["deadline"]["overdue"], false);
    assert!(
        v["cases"][0]["basis"]
            .as_str()
            .unwrap()
            .contains("第三十二条")
    );
    // Both dashboards show it: the agency must answer, the authority asked.
    let (_, pending) = t.get("/api/v1/cases/pending", &scj).await;
    assert!(
        pending["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["kind"] == "open_proposal"
                && c["subject_link"] == format!("/open/proposals/{pid}")),
        "{pending}"
    );
    // One pending proposal per entry.
    let r = t
        .call(
            Method::POST,
            &format!("/api/v1/catalog/entries/{id}/open-proposals"),
            Some(&sjj),
            Some(conditional_proposal()),
        )
        .await;
    assert_problem(r, StatusCode::CONFLICT, "proposal_pending").await;

    let (status, v) = t
        .post(
            &format!("/api/v1/open/proposals/{pid}/answer"),
            &scj,
            json!({"agree": true, "reasons": "同意：数据主体已书面同意（第三十四条第一项）"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "agreed");
    assert_eq!(v["applied_version"], 3);
    assert_eq!(v["cases"][0]["state"], "closed");
    assert_eq!(v["cases"][0]["outcome"], "agreed");
    let (_, e) = t.get(&format!("/api/v1/catalog/entries/{id}"), &scj).await;
    assert_eq!(e["open_attribute"], "conditional");
    assert_eq!(e["open_clauses"], json!(["subject_consent"]));
    assert_eq!(
        e["open_basis"],
        "同意：数据主体已书面同意（第三十四条第一项）"
    );
    assert!(!e["open_conditions"].as_str().unwrap().is_empty());
    assert_eq!(e["version"], 3);
    assert_eq!(e["state"], "draft");
    assert_eq!(e["published_version"], 2);
    // Answered once.
    let r = t
        .call(
            Method::POST,
            &format!("/api/v1/open/proposals/{pid}/answer"),
            Some(&scj),
            Some(json!({"agree": false, "reasons": "再想想"})),
        )
        .await;
    assert_problem(r, StatusCode::CONFLICT, "proposal_not_open").await;
    // Published as usual, the new attribute is filed.
    t.post(
        &format!("/api/v1/catalog/entries/{id}/submit"),
        &scj,
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
    let (_, filings) = t.get("/api/v1/open/filings", &sjj).await;
    let mine: Vec<&Value> = filings
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["entry_id"] == id)
        .collect();
    assert_eq!(
        mine.len(),
        1,
        "only the current version's filing stands: {filings}"
    );
    assert_eq!(mine[0]["attribute"], "conditional");
    assert_eq!(mine[0]["version"], 3);
    // Every step audited.
    for action in ["open.propose", "open.answer"] {
        let a = t
            .store
            .list_audit(&pubdata_store::AuditFilter {
                action: Some(action.into()),
                target: Some(format!("open_proposal:{pid}")),
                limit: 5,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(a.len(), 1, "{action}");
    }
}

/// Twenty working days from late in a year reach into the next: the
/// platform administrator adds its schedule when it is not known yet.
async fn know_next_year(t: &TestApp) {
    use chrono::Datelike;
    let next = today_cst().year() + 1;
    let (_, years) = t.get("/api/v1/calendar/years", "").await;
    let known = years["items"]
        .as_array()
        .is_some_and(|ys| ys.iter().any(|y| y["year"] == next));
    if !known {
        let admin = t.login("admin").await;
        let r = t
            .call(
                Method::PUT,
                &format!("/api/v1/calendar/years/{next}"),
                Some(&admin),
                Some(json!({"source": "测试用安排", "off": [format!("{next}-01-01")]})),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn a_disagreement_goes_to_the_government_whose_decision_is_applied() {
    let t = TestApp::demo().await;
    know_next_year(&t).await;
    let scj = t.login("qy-scjgj").await;
    let sjj = t.login("qy-sjj").await;
    let id = published_not_open(&t, "企业联系人信息").await;
    let (_, v) = propose(&t, &sjj, id, conditional_proposal()).await;
    let pid = v["id"].as_i64().unwrap();
    let url = |s: &str| format!("/api/v1/open/proposals/{pid}/{s}");
    let decision = json!({"document_no": "清府函〔2026〕7号", "decided_on": today_cst().to_string(),
                          "attribute": "conditional", "clauses": ["risk_assessment"]});
    // Wrong states.
    let r = t
        .call(
            Method::POST,
            &url("escalation"),
            Some(&sjj),
            Some(json!({"reasons": "报政府"})),
        )
        .await;
    assert_problem(r, StatusCode::CONFLICT, "not_disagreed").await;
    let r = t
        .call(
            Method::POST,
            &url("government-decision"),
            Some(&sjj),
            Some(decision.clone()),
        )
        .await;
    assert_problem(r, StatusCode::CONFLICT, "not_escalated").await;
    // Disagreeing states reasons.
    let r = t
        .call(
            Method::POST,
            &url("answer"),
            Some(&scj),
            Some(json!({"agree": false})),
        )
        .await;
    let p = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    assert_eq!(p["errors"][0]["field"], "reasons");
    let (status, v) = t
        .post(
            &url("answer"),
            &scj,
            json!({"agree": false, "reasons": "数据主体未全部同意，仍应不予开放"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "disagreed");
    assert_eq!(v["cases"][0]["outcome"], "disagreed");
    let (_, e) = t.get(&format!("/api/v1/catalog/entries/{id}"), &scj).await;
    assert_eq!(e["open_attribute"], "none", "disagreeing changes nothing");
    // Only the authority escalates.
    let r = t
        .call(
            Method::POST,
            &url("escalation"),
            Some(&scj),
            Some(json!({"reasons": "x"})),
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    let (status, v) = t
        .post(
            &url("escalation"),
            &sjj,
            json!({"reasons": "经评估可在安全评估后有条件开放，报市人民政府决定"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "escalated");
    assert_eq!(v["answer_reasons"], "数据主体未全部同意，仍应不予开放");
    assert_eq!(
        v["escalation_reasons"],
        "经评估可在安全评估后有条件开放，报市人民政府决定"
    );
    let cal = t.app.calendar();
    let esc = v["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "open_escalation")
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(
        esc["due_on"],
        CaseKind::OpenEscalation
            .due(&cal, today_cst())
            .unwrap()
            .to_string()
    );
    assert_eq!(esc["responder_org"], t.org_id("qy-sjj").await);
    assert_eq!(esc["requester_org"], t.org_id("qy-scjgj").await);
    let (_, pending) = t.get("/api/v1/cases/pending", &sjj).await;
    assert!(
        pending["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["kind"] == "open_escalation"),
        "{pending}"
    );
    // The decision is checked like any attribute.
    let mut bad = decision.clone();
    bad["clauses"] = json!(["state_secret"]);
    let r = t
        .call(
            Method::POST,
            &url("government-decision"),
            Some(&sjj),
            Some(bad),
        )
        .await;
    let p = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    assert_eq!(p["errors"][0]["field"], "clauses");
    let mut future = decision.clone();
    future["decided_on"] = json!((today_cst() + chrono::Duration::days(3)).to_string());
    let r = t
        .call(
            Method::POST,
            &url("government-decision"),
            Some(&sjj),
            Some(future),
        )
        .await;
    let p = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    assert_eq!(p["errors"][0]["field"], "decided_on");
    let r = t
        .call(
            Method::POST,
            &url("government-decision"),
            Some(&scj),
            Some(decision.clone()),
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;

    let (status, v) = t.post(&url("government-decision"), &sjj, decision).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "decided");
    assert_eq!(v["decision_document_no"], "清府函〔2026〕7号");
    assert_eq!(v["decided_attribute"], "conditional");
    assert_eq!(v["decided_clauses"], json!(["risk_assessment"]));
    assert_eq!(v["decided_version"], 3);
    assert!(
        v["cases"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["state"] == "closed")
    );
    // Applied: a new published version, filed with the decision as basis.
    let (_, e) = t.get(&format!("/api/v1/catalog/entries/{id}"), &scj).await;
    assert_eq!(e["state"], "published");
    assert_eq!(e["version"], 3);
    assert_eq!(e["published_version"], 3);
    assert_eq!(e["open_attribute"], "conditional");
    assert_eq!(e["open_clauses"], json!(["risk_assessment"]));
    let (_, filings) = t.get("/api/v1/open/filings", &sjj).await;
    let f = filings
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["entry_id"] == id)
        .unwrap();
    assert_eq!(f["attribute"], "conditional");
    assert!(
        f["basis"].as_str().unwrap().contains("清府函〔2026〕7号"),
        "{f}"
    );
    let a = t
        .store
        .list_audit(&pubdata_store::AuditFilter {
            action: Some("open.".into()),
            target: Some(format!("open_proposal:{pid}")),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = a.iter().map(|r| r.event.action.as_str()).collect();
    for x in [
        "open.propose",
        "open.answer",
        "open.escalate",
        "open.government_decision",
    ] {
        assert!(actions.contains(&x), "{x}: {actions:?}");
    }
    // Recorded once.
    let r = t
        .call(
            Method::POST,
            &url("government-decision"),
            Some(&sjj),
            Some(json!({"document_no": "x", "decided_on": today_cst().to_string(), "attribute": "none", "clauses": ["law_forbids"]})),
        )
        .await;
    assert_problem(r, StatusCode::CONFLICT, "not_escalated").await;
}

#[tokio::test]
async fn only_the_levels_authority_proposes_and_only_the_agency_answers() {
    let t = TestApp::demo().await;
    let scj = t.login("qy-scjgj").await;
    let sjj = t.login("qy-sjj").await;
    let id = published_not_open(&t, "企业联系人信息").await;
    for who in ["qy-scjgj", "qy-mzj", "yd-sjj"] {
        let token = t.login(who).await;
        let r = t
            .call(
                Method::POST,
                &format!("/api/v1/catalog/entries/{id}/open-proposals"),
                Some(&token),
                Some(conditional_proposal()),
            )
            .await;
        assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    }
    // The proposal is checked: another attribute, fitting clauses, reasons.
    for (body, field) in [
        (
            json!({"proposed_attribute": "none", "clauses": ["law_forbids"], "reasons": "x"}),
            "proposed_attribute",
        ),
        (
            json!({"proposed_attribute": "conditional", "clauses": ["state_secret"], "reasons": "x"}),
            "clauses",
        ),
        (
            json!({"proposed_attribute": "conditional", "clauses": [], "reasons": "x"}),
            "clauses",
        ),
        (
            json!({"proposed_attribute": "conditional", "clauses": ["subject_consent"], "reasons": " "}),
            "reasons",
        ),
    ] {
        let r = t
            .call(
                Method::POST,
                &format!("/api/v1/catalog/entries/{id}/open-proposals"),
                Some(&sjj),
                Some(body),
            )
            .await;
        let p = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
        assert_eq!(p["errors"][0]["field"], field, "{p}");
    }
    // An unpublished entry has no attribute to propose on.
    let draft = draft_not_open(&t, &scj, "企业内部台账").await;
    let r = t
        .call(
            Method::POST,
            &format!("/api/v1/catalog/entries/{draft}/open-proposals"),
            Some(&sjj),
            Some(conditional_proposal()),
        )
        .await;
    assert_problem(r, StatusCode::CONFLICT, "entry_not_published").await;

    let (_, v) = propose(&t, &sjj, id, conditional_proposal()).await;
    let pid = v["id"].as_i64().unwrap();
    // Another agency neither answers nor sees it; the authority does not answer.
    for who in ["qy-mzj", "qy-sjj"] {
        let token = t.login(who).await;
        let r = t
            .call(
                Method::POST,
                &format!("/api/v1/open/proposals/{pid}/answer"),
                Some(&token),
                Some(json!({"agree": true})),
            )
            .await;
        assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    }
    let mzj = t.login("qy-mzj").await;
    let r = t
        .call(
            Method::GET,
            &format!("/api/v1/open/proposals/{pid}"),
            Some(&mzj),
            None,
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    let (status, _) = t.get(&format!("/api/v1/open/proposals/{pid}"), &scj).await;
    assert_eq!(status, StatusCode::OK);
    let (status, list) = t.get("/api/v1/open/proposals", &scj).await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.as_array().unwrap().iter().any(|p| p["id"] == pid));
    let (_, list) = t.get("/api/v1/open/proposals", &mzj).await;
    assert!(!list.as_array().unwrap().iter().any(|p| p["id"] == pid));
    let r = t
        .call(
            Method::GET,
            "/api/v1/open/proposals/999999",
            Some(&sjj),
            None,
        )
        .await;
    assert_problem(r, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn an_unanswered_proposal_turns_overdue_after_ten_working_days() {
    let t = TestApp::demo().await;
    let sjj = t.login("qy-sjj").await;
    let id = published_not_open(&t, "企业联系人信息").await;
    let (_, v) = propose(&t, &sjj, id, conditional_proposal()).await;
    let pid = v["id"].as_i64().unwrap();
    // Opened Monday 2026-11-02: due ten working days later, Monday 11-16.
    let cal = Calendar::shipped();
    let opened: chrono::NaiveDate = "2026-11-02".parse().unwrap();
    let due = CaseKind::OpenProposal.due(&cal, opened).unwrap();
    assert_eq!(due.to_string(), "2026-11-16");
    t.store
        .backdate_open_proposal(pid, opened, due)
        .await
        .unwrap();
    let swept = t.app.sweep_deadlines().await.unwrap();
    assert!(
        swept
            .iter()
            .any(|c| c.subject == format!("open_proposal:{pid}")),
        "{swept:?}"
    );
    let (_, v) = t.get(&format!("/api/v1/open/proposals/{pid}"), &sjj).await;
    assert_eq!(v["cases"][0]["deadline"]["overdue"], true, "{v}");
    assert_eq!(v["cases"][0]["due_on"], "2026-11-16");
    assert!(v["cases"][0]["overdue_at"].is_string(), "{v}");
}

#[tokio::test]
async fn the_demo_has_filings_and_proposals_in_every_state() {
    let t = TestApp::full_demo().await;
    let sjj = t.login("qy-sjj").await;
    let (_, filings) = t.get("/api/v1/open/filings", &sjj).await;
    let filings = filings.as_array().unwrap();
    assert!(filings.iter().any(|f| f["attribute"] == "none"));
    assert!(filings.iter().any(|f| f["attribute"] == "conditional"));
    assert!(
        filings
            .iter()
            .all(|f| !f["basis"].as_str().unwrap().trim().is_empty()),
        "every filing has its basis"
    );
    let (_, all) = t.get("/api/v1/open/proposals", &sjj).await;
    let all = all.as_array().unwrap();
    for state in ["open", "agreed", "disagreed", "escalated", "decided"] {
        assert!(all.iter().any(|p| p["state"] == state), "{state}: {all:?}");
    }
    assert!(
        all.iter().any(|p| p["cases"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["deadline"]["overdue"] == true)),
        "one proposal is overdue"
    );
    let decided = all.iter().find(|p| p["state"] == "decided").unwrap();
    assert!(decided["decision_document_no"].is_string());
}

#[tokio::test]
async fn the_pages_list_filings_propose_answer_and_show_the_history() {
    use crate::pages::{hidden, sign_in};
    let t = TestApp::demo().await;
    let id = published_not_open(&t, "企业联系人信息").await;
    let sjj = sign_in(&t, "qy-sjj").await;
    let page = sjj
        .get(t.url("/open/filings?attribute=none"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("开放属性备案"), "{page}");
    assert!(page.contains("企业联系人信息"));
    assert!(page.contains("《中华人民共和国个人信息保护法》第十三条"));
    let csrf = hidden(&page, "csrf");
    let r = sjj
        .post(t.url(&format!("/catalog/entries/{id}/open-proposals")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("proposed_attribute", "conditional"),
            ("clauses", "subject_consent"),
            ("reasons", "建议有条件开放"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(to.starts_with("/open/proposals/"), "{to}");
    // A form without the right clauses is shown again with the error.
    let r = sjj
        .post(t.url(&format!("/catalog/entries/{id}/open-proposals")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("proposed_attribute", "unconditional"),
            ("reasons", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::CONFLICT,
        "one pending proposal per entry"
    );

    let scj = sign_in(&t, "qy-scjgj").await;
    // Both dashboards show the case with its deadline: the agency answers,
    // the authority asked.
    let due = CaseKind::OpenProposal
        .due(&t.app.calendar(), today_cst())
        .unwrap()
        .to_string();
    for c in [&scj, &sjj] {
        let home = c
            .get(t.url("/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            home.contains("开放属性修改建议答复") && home.contains(&due),
            "{home}"
        );
    }
    let page = scj
        .get(t.url(&to))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"answer-form\""), "{page}");
    assert!(page.contains("待部门答复"));
    let csrf = hidden(&page, "csrf");
    let r = scj
        .post(t.url(&format!("{to}/answer")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("answer", "disagree"),
            ("reasons", "仍应不予开放"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = sjj
        .get(t.url(&to))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("未达成一致") && page.contains("仍应不予开放"),
        "{page}"
    );
    assert!(page.contains("id=\"escalate-form\""));
    let entry = scj
        .get(t.url(&format!("/catalog/entries/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        entry.contains("id=\"entry-filings\"") && entry.contains("id=\"entry-proposals\""),
        "{entry}"
    );
    // In English.
    let _ = sjj
        .get(t.url(&format!("/lang?to=en&next={to}")))
        .send()
        .await
        .unwrap();
    let en = sjj
        .get(t.url(&to))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        en.contains("Open attribute proposal") && en.contains("Not agreed"),
        "{en}"
    );
}
