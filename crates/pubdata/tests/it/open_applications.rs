//! Conditional open data (有条件开放, OPN-4, Art. 38): a registered person
//! or enterprise applies; the source agency answers within 10 working days
//! (reasons when refusing); data leaves only after the applicant accepted
//! the data use agreement (利用协议), only the approved fields, masked,
//! within the term, through the one door.

use pubdata_domain::calendar::today_cst;
use pubdata_domain::case::CaseKind;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::*;

const FIRMS: &str = "企业编号,企业名称,联系人姓名,联系电话,注册资本\n\
F001,清远示范科技有限公司,张三丰,13800001111,100\n\
F002,英德茶业有限公司,李小龙,13900002222,250\n\
F003,连州农产品有限公司,王五,13700003333,80\n";

/// Three published entries of 市场监督管理局 with loaded datasets: one
/// conditionally open (with two personal items), one unconditionally open
/// and one not open. (conditional, unconditional, not open) dataset ids.
pub(crate) async fn world(t: &TestApp) -> (i64, i64, i64) {
    let scj = t.login("qy-scjgj").await;
    let sjj = t.login("qy-sjj").await;
    let mut ids = vec![];
    for (name, open) in [
        ("企业联系信息", "conditional"),
        ("企业公示信息", "unconditional"),
        ("企业内部信息", "none"),
    ] {
        // Personal items make an entry L3: conditionally shared and at
        // most conditionally open.
        let personal = open == "conditional";
        let (status, e) = t
            .post(
                "/api/v1/catalog/entries",
                &scj,
                json!({
                    "name": name,
                    "summary": "企业的名称、联系人和注册资本",
                    "classification": "102",
                    "data_form": "database",
                    "items": [
                        {"name": "企业编号", "data_type": "string"},
                        {"name": "企业名称", "data_type": "string"},
                        {"name": "联系人姓名", "data_type": "string", "personal": personal},
                        {"name": "联系电话", "data_type": "string", "personal": personal},
                        {"name": "注册资本", "data_type": "decimal"}
                    ],
                    "share_type": if personal { "conditional" } else { "unconditional" },
                    "share_conditions": if personal { "仅用于依法履职" } else { "" },
                    "share_basis": if personal { "《清远市公共数据管理办法》第十四条" } else { "" },
                    "share_scope": "全市政务部门",
                    "share_modes": ["api"],
                    "open_attribute": open,
                    "open_clauses": match open {
                        "conditional" => json!(["subject_consent"]),
                        "none" => json!(["law_forbids"]),
                        _ => json!([]),
                    },
                    "open_conditions": if open == "conditional" { "签署数据利用协议" } else { "" },
                    "open_grounds": if open == "none" { "内部管理数据" } else { "" },
                    // The basis filed with the authority (Art. 34).
                    "open_basis": if open == "conditional" { "企业联系人书面同意开放（第三十四条第一项）" } else { "" },
                    "update_frequency": "monthly",
                    "keywords": ["企业"]
                }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{e}");
        let entry = e["id"].as_i64().unwrap();
        t.post(
            &format!("/api/v1/catalog/entries/{entry}/submit"),
            &scj,
            json!(null),
        )
        .await;
        let (status, r) = t
            .post(
                &format!("/api/v1/catalog/entries/{entry}/review"),
                &sjj,
                json!({"decision": "approve"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{r}");
        let (status, d) = t
            .post(
                "/api/v1/datasets",
                &scj,
                json!({"entry_id": entry, "name": name, "key": ["企业编号"], "columns": [
                    {"name": "企业编号", "type": "string", "nullable": false},
                    {"name": "企业名称", "type": "string"},
                    {"name": "联系人姓名", "type": "string"},
                    {"name": "联系电话", "type": "string"},
                    {"name": "注册资本", "type": "decimal"}
                ]}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{d}");
        let id = d["id"].as_i64().unwrap();
        let (status, v) =
            crate::datasets::upload(t, &scj, id, "f.csv", FIRMS.as_bytes().to_vec()).await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
        ids.push(id);
    }
    (ids[0], ids[1], ids[2])
}

fn day(offset: i64) -> String {
    (today_cst() + chrono::Duration::days(offset)).to_string()
}

pub(crate) async fn apply(
    t: &TestApp,
    token: &str,
    dataset: i64,
    fields: &[&str],
) -> (StatusCode, Value) {
    t.post(
        "/api/v1/open/applications",
        token,
        json!({"dataset_id": dataset, "purpose": "区域产业研究", "fields": fields,
               "use_scenario": "编制清远市企业发展分析报告", "end_date": day(200)}),
    )
    .await
}

async fn problem(
    t: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
    status: StatusCode,
    code: &str,
) {
    assert_problem(t.call(method, path, Some(token), body).await, status, code).await;
}

#[tokio::test]
async fn an_application_delivers_the_approved_fields_only_after_the_agreement() {
    let t = TestApp::demo().await;
    let (cond, _, _) = world(&t).await;
    let ent = t.login("ent-demo").await;
    let scj = t.login("qy-scjgj").await;
    let citizen = t.login("citizen-demo").await;

    // The application opens a case for the agency, due in 10 working days.
    let (status, a) = apply(
        &t,
        &ent,
        cond,
        &["企业编号", "企业名称", "联系人姓名", "注册资本"],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    let id = a["id"].as_i64().unwrap();
    assert_eq!(a["state"], "pending");
    assert_eq!(a["applicant"], "ent-demo");
    assert!(
        a["party"]
            .as_str()
            .unwrap()
            .contains("清远市示范数据科技有限公司"),
        "{a}"
    );
    let due = CaseKind::OpenApplication
        .due(&t.app.calendar(), today_cst())
        .unwrap();
    assert_eq!(a["answer_due"], due.to_string());
    assert_eq!(a["answer_deadline"]["overdue"], false);
    assert_eq!(a["deliverable"], false);
    let (_, pending) = t.get("/api/v1/cases/pending", &scj).await;
    let case = pending["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["subject"] == format!("open_application:{id}"))
        .unwrap_or_else(|| panic!("the agency's case in {pending}"));
    assert_eq!(case["kind"], "open_application");
    assert_eq!(case["basis"], "《清远市公共数据管理办法》第三十八条");
    assert_eq!(case["subject_link"], format!("/open/applications/{id}"));

    // Both sides list it; a stranger neither lists nor reads it.
    let (_, mine) = t.get("/api/v1/open/applications", &ent).await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    let (_, incoming) = t.get("/api/v1/open/applications", &scj).await;
    assert!(incoming.as_array().unwrap().iter().any(|x| x["id"] == id));
    let (_, theirs) = t.get("/api/v1/open/applications", &citizen).await;
    assert!(theirs.as_array().unwrap().is_empty());
    let (_, other) = t
        .get("/api/v1/open/applications", &t.login("qy-mzj").await)
        .await;
    assert!(other.as_array().unwrap().is_empty(), "{other}");
    problem(
        &t,
        Method::GET,
        &format!("/api/v1/open/applications/{id}"),
        &citizen,
        None,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;

    // No data, and no agreement to accept, before the answer.
    let rows = format!("/api/v1/open/applications/{id}/rows");
    problem(
        &t,
        Method::GET,
        &rows,
        &ent,
        None,
        StatusCode::FORBIDDEN,
        "application_not_approved",
    )
    .await;
    let agreement = format!("/api/v1/open/applications/{id}/agreement");
    problem(
        &t,
        Method::POST,
        &agreement,
        &ent,
        Some(json!({"accept": true, "version": 1})),
        StatusCode::CONFLICT,
        "agreement_not_offered",
    )
    .await;

    // Only the source agency answers; an approval only narrows.
    let decision = format!("/api/v1/open/applications/{id}/decision");
    problem(
        &t,
        Method::POST,
        &decision,
        &ent,
        Some(json!({"approve": true})),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    problem(
        &t,
        Method::POST,
        &decision,
        &scj,
        Some(json!({"approve": true, "fields": ["企业编号", "联系电话"]})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    )
    .await;
    problem(
        &t,
        Method::POST,
        &decision,
        &scj,
        Some(json!({"approve": true, "end_date": day(400)})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    )
    .await;
    let (status, a) = t
        .post(
            &decision,
            &scj,
            json!({"approve": true, "reason": "符合开放条件",
            "fields": ["企业编号", "企业名称", "联系人姓名"], "end_date": day(100)}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{a}");
    assert_eq!(a["state"], "approved");
    assert_eq!(
        a["approved_fields"],
        json!(["企业编号", "企业名称", "联系人姓名"])
    );
    assert_eq!(a["masks"]["联系人姓名"], "name");
    assert_eq!(a["valid_until"], day(100));
    assert_eq!(a["agreement_version"], 1);
    let text = a["agreement_text"].as_str().unwrap();
    assert!(text.contains("公共数据利用协议"), "{text}");
    assert!(
        text.contains("数据项：企业编号、企业名称、联系人姓名；"),
        "{text}"
    );
    assert!(
        text.contains("区域产业研究") && text.contains("第三十八条"),
        "{text}"
    );
    assert!(text.contains(&format!("至{}止", day(100))), "{text}");
    assert!(a["answer_deadline"].is_null());
    let (_, pending) = t.get("/api/v1/cases/pending", &scj).await;
    assert!(
        !pending["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["subject"] == format!("open_application:{id}")),
        "the case closed on the answer"
    );
    problem(
        &t,
        Method::POST,
        &decision,
        &scj,
        Some(json!({"approve": false, "reason": "再议"})),
        StatusCode::CONFLICT,
        "application_not_pending",
    )
    .await;

    // Still no data before the agreement is accepted.
    problem(
        &t,
        Method::GET,
        &rows,
        &ent,
        None,
        StatusCode::FORBIDDEN,
        "agreement_not_accepted",
    )
    .await;
    problem(
        &t,
        Method::GET,
        &format!("/api/v1/open/applications/{id}/download?format=csv"),
        &ent,
        None,
        StatusCode::FORBIDDEN,
        "agreement_not_accepted",
    )
    .await;

    // Only the applicant accepts, the version it was shown.
    for other in [&citizen, &scj] {
        problem(
            &t,
            Method::POST,
            &agreement,
            other,
            Some(json!({"accept": true, "version": 1})),
            StatusCode::FORBIDDEN,
            "not_applicant",
        )
        .await;
    }
    problem(
        &t,
        Method::POST,
        &agreement,
        &ent,
        Some(json!({"accept": false, "version": 1})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "accept_required",
    )
    .await;
    problem(
        &t,
        Method::POST,
        &agreement,
        &ent,
        Some(json!({"accept": true, "version": 2})),
        StatusCode::CONFLICT,
        "agreement_version_mismatch",
    )
    .await;
    let (status, a) = t
        .post(&agreement, &ent, json!({"accept": true, "version": 1}))
        .await;
    assert_eq!(status, StatusCode::OK, "{a}");
    assert_eq!(a["state"], "accepted");
    assert_eq!(a["accepted_by"], "ent-demo");
    assert!(a["accepted_at"].is_string());
    assert_eq!(a["deliverable"], true);

    // The approved fields only, personal items masked.
    let (status, page) = t.get(&format!("{rows}?limit=2"), &ent).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(
        page["columns"],
        json!(["企业编号", "企业名称", "联系人姓名"])
    );
    assert_eq!(page["items"][0]["企业名称"], "清远示范科技有限公司");
    assert_eq!(page["items"][0]["联系人姓名"], "张**");
    assert!(
        page["items"][0].get("联系电话").is_none() && page["items"][0].get("注册资本").is_none()
    );
    let cursor = page["next_cursor"].as_str().unwrap().to_string();
    let (_, rest) = t.get(&format!("{rows}?cursor={cursor}"), &ent).await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    let r = t
        .call(
            Method::GET,
            &format!("/api/v1/open/applications/{id}/download?format=csv"),
            Some(&ent),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let csv = r.text().await.unwrap();
    assert!(
        csv.trim_start_matches('\u{feff}')
            .starts_with("企业编号,企业名称,联系人姓名\n"),
        "{csv}"
    );
    assert!(
        !csv.contains("13800001111") && !csv.contains("张三丰"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 4);
    let r = t
        .call(
            Method::GET,
            &format!("/api/v1/open/applications/{id}/download?format=json"),
            Some(&ent),
            None,
        )
        .await;
    let all: Vec<Value> = r.json().await.unwrap();
    assert_eq!(all.len(), 3);
    assert!(all.iter().all(|r| r.as_object().unwrap().len() == 3));

    // Nobody else reads under the application, not even the agency.
    for other in [&citizen, &scj] {
        problem(
            &t,
            Method::GET,
            &rows,
            other,
            None,
            StatusCode::FORBIDDEN,
            "not_applicant",
        )
        .await;
    }

    // Reads and refusals are on record.
    let records = t.store.audit_batch(0, 100_000).await.unwrap();
    let reads: Vec<_> = records
        .iter()
        .filter(|r| {
            r.event.action == "dataset.read" && r.event.detail["basis"] == "open_application"
        })
        .collect();
    assert!(reads.iter().any(|r| r.event.actor == "ent-demo"
        && r.event.detail["fields"] == json!(["企业编号", "企业名称", "联系人姓名"])));
    assert!(
        reads
            .iter()
            .any(|r| r.event.detail["refused"] == "agreement_not_accepted")
    );
    assert!(
        reads.iter().any(
            |r| r.event.actor == "citizen-demo" && r.event.detail["refused"] == "not_applicant"
        )
    );
    assert!(
        records
            .iter()
            .any(|r| r.event.action == "open_application.accept"
                && r.event.actor == "citizen-demo"
                && r.event.detail["refused"] == "not_applicant")
    );
    assert!(
        records
            .iter()
            .any(|r| r.event.action == "open_application.accept"
                && r.event.actor == "ent-demo"
                && r.event.detail["version"] == 1)
    );

    // After the term, no more data.
    t.sql(&format!(
        "UPDATE open_applications SET valid_until = '{}' WHERE id = {id}",
        day(-1)
    ))
    .await;
    problem(
        &t,
        Method::GET,
        &rows,
        &ent,
        None,
        StatusCode::FORBIDDEN,
        "application_expired",
    )
    .await;
}

#[tokio::test]
async fn refusals_need_reasons_and_only_conditional_data_is_applied_for() {
    let t = TestApp::demo().await;
    let (cond, uncond, closed) = world(&t).await;
    let citizen = t.login("citizen-demo").await;
    let scj = t.login("qy-scjgj").await;

    // Unconditional and not-open data, unknown items, staff accounts: refused.
    let (status, p) = apply(&t, &citizen, uncond, &["企业名称"]).await;
    assert_eq!(
        (status, p["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("not_conditional_open")
        ),
        "{p}"
    );
    let (status, p) = apply(&t, &citizen, closed, &["企业名称"]).await;
    assert_eq!(
        (status, p["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("not_open")),
        "{p}"
    );
    let (status, p) = apply(&t, &citizen, cond, &["法定代表人"]).await;
    assert_eq!(
        (status, p["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_field")),
        "{p}"
    );
    let (status, p) = apply(&t, &citizen, cond, &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let (status, p) = apply(&t, &t.login("qy-mzj").await, cond, &["企业名称"]).await;
    assert_eq!(
        (status, p["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("staff_cannot_apply")),
        "{p}"
    );
    let (status, p) = t
        .post("/api/v1/open/applications", &citizen,
            json!({"dataset_id": cond, "purpose": " ", "fields": ["企业名称"], "use_scenario": "研究"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");

    // A person applies; a refusal without reasons is refused.
    let (status, a) = apply(&t, &citizen, cond, &["企业名称", "注册资本"]).await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    assert!(a["applicant_org"].is_null());
    let id = a["id"].as_i64().unwrap();
    let decision = format!("/api/v1/open/applications/{id}/decision");
    for body in [
        json!({"approve": false}),
        json!({"approve": false, "reason": "   "}),
    ] {
        problem(
            &t,
            Method::POST,
            &decision,
            &scj,
            Some(body),
            StatusCode::UNPROCESSABLE_ENTITY,
            "reason_required",
        )
        .await;
    }
    let (status, a) = t
        .post(
            &decision,
            &scj,
            json!({"approve": false, "reason": "申请用途与开放条件不符：不得用于商业营销"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{a}");
    assert_eq!(a["state"], "refused");
    assert_eq!(a["reason"], "申请用途与开放条件不符：不得用于商业营销");
    assert!(a["agreement_text"].is_null());
    problem(
        &t,
        Method::GET,
        &format!("/api/v1/open/applications/{id}/rows"),
        &citizen,
        None,
        StatusCode::FORBIDDEN,
        "application_not_approved",
    )
    .await;
    problem(
        &t,
        Method::POST,
        &format!("/api/v1/open/applications/{id}/agreement"),
        &citizen,
        Some(json!({"accept": true, "version": 1})),
        StatusCode::CONFLICT,
        "agreement_not_offered",
    )
    .await;
    // The citizen's list shows the answer with its reasons.
    let (_, mine) = t.get("/api/v1/open/applications", &citizen).await;
    assert_eq!(
        mine[0]["reason"],
        "申请用途与开放条件不符：不得用于商业营销"
    );
}

#[tokio::test]
async fn an_unanswered_application_turns_overdue_by_itself() {
    let t = TestApp::demo().await;
    let (cond, _, _) = world(&t).await;
    let citizen = t.login("citizen-demo").await;
    let scj = t.login("qy-scjgj").await;
    let (status, a) = apply(&t, &citizen, cond, &["企业名称"]).await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    let id = a["id"].as_i64().unwrap();
    assert_eq!(a["answer_deadline"]["working_days_left"], 10, "{a}");

    // Opened three weeks ago: ten working days have passed.
    let opened = today_cst() - chrono::Duration::days(21);
    let due = CaseKind::OpenApplication
        .due(&t.app.calendar(), opened)
        .unwrap();
    assert!(due < today_cst());
    t.store
        .backdate_open_application(id, opened, due)
        .await
        .unwrap();
    let (_, a) = t
        .get(&format!("/api/v1/open/applications/{id}"), &citizen)
        .await;
    assert_eq!(a["answer_deadline"]["overdue"], true, "{a}");
    assert!(
        a["created_at"]
            .as_str()
            .unwrap()
            .starts_with(&opened.to_string()),
        "{a}"
    );
    let (_, pending) = t.get("/api/v1/cases/pending", &scj).await;
    let case = pending["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["subject"] == format!("open_application:{id}"))
        .unwrap()
        .clone();
    assert_eq!(case["deadline"]["overdue"], true);
    let swept = t.app.sweep_deadlines().await.unwrap();
    assert!(
        swept
            .iter()
            .any(|c| c.subject == format!("open_application:{id}"))
    );
    // The applicant's dashboard shows the case too.
    let p = t.app.authenticate(&citizen, None).await.unwrap();
    let outgoing = t.app.outgoing_cases(&p).await.unwrap();
    assert!(
        outgoing
            .iter()
            .any(|c| c.case.subject == format!("open_application:{id}"))
    );

    // A late answer is allowed and recorded as late.
    let (status, a) = t
        .post(
            &format!("/api/v1/open/applications/{id}/decision"),
            &scj,
            json!({"approve": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{a}");
    assert_eq!(a["answered_late"], true);
    assert_eq!(a["valid_until"], day(200));
}

#[tokio::test]
async fn the_demo_holds_applications_in_every_state_and_pages_show_them() {
    let t = TestApp::full_demo().await;
    let ent = t.login("ent-demo").await;
    let citizen = t.login("citizen-demo").await;
    let scj = t.login("qy-scjgj").await;
    let (_, all) = t.get("/api/v1/open/applications", &scj).await;
    let all = all.as_array().unwrap().clone();
    for state in ["pending", "refused", "approved", "accepted"] {
        assert!(
            all.iter().any(|a| a["state"] == state),
            "{state} in {all:?}"
        );
    }
    assert!(all.iter().any(|a| a["answer_deadline"]["overdue"] == true));
    assert!(
        all.iter()
            .any(|a| a["state"] == "refused" && !a["reason"].as_str().unwrap().is_empty())
    );
    // The accepted one delivers its approved fields.
    let accepted = all.iter().find(|a| a["state"] == "accepted").unwrap();
    let id = accepted["id"].as_i64().unwrap();
    let (status, page) = t
        .get(
            &format!("/api/v1/open/applications/{id}/rows?limit=5"),
            &ent,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["columns"], accepted["approved_fields"]);
    // Each applicant lists only its own.
    let (_, mine) = t.get("/api/v1/open/applications", &citizen).await;
    assert!(
        mine.as_array()
            .unwrap()
            .iter()
            .all(|a| a["applicant"] == "citizen-demo")
    );

    // The portal lists conditional datasets with their badge and no rows.
    let dataset = accepted["dataset_id"].as_i64().unwrap();
    let html = t
        .client
        .get(t.url(&format!("/open/datasets/{dataset}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("有条件开放") && html.contains("apply-link"),
        "{html}"
    );
    assert!(!html.contains("open-preview") && !html.contains("download-csv"));
    let r = t
        .call(
            Method::GET,
            &format!("/api/v1/open/datasets/{dataset}/rows"),
            None,
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // The API gives its metadata, and lists it when asked.
    let (status, meta) = json_of(
        t.call(
            Method::GET,
            &format!("/api/v1/open/datasets/{dataset}"),
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{meta}");
    assert_eq!(meta["open_attribute"], "conditional");
    let (_, plain) = json_of(
        t.call(Method::GET, "/api/v1/open/datasets?limit=100", None, None)
            .await,
    )
    .await;
    assert!(
        plain["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["open_attribute"] == "unconditional")
    );
    let (_, with) = json_of(
        t.call(
            Method::GET,
            "/api/v1/open/datasets?limit=100&conditional=true",
            None,
            None,
        )
        .await,
    )
    .await;
    assert!(
        with["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["id"] == dataset)
    );
    let list = t
        .client
        .get(t.url("/open?q=企业登记"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains("tag conditional"), "{list}");
}
