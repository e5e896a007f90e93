//! Government IT projects (政务信息化项目, SUP-2, Art. 47): the public data
//! list at approval, the compliance report before acceptance (catalogued,
//! aggregated, shared — from the platform's own records), and the
//! authority's acceptance, refused without compliance unless overridden.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::*;
use crate::sharing::shared_population;

fn project(code: &str, entries: Value) -> Value {
    json!({
        "name": "清远市智慧公安便民服务平台",
        "code": code,
        "approved_on": "2026-03-02",
        "planned_acceptance_on": "2026-12-15",
        "entries": entries
    })
}

/// Item `entry` of a compliance report.
fn item(report: &Value, entry: i64) -> Value {
    report["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["entry_id"] == entry)
        .cloned()
        .unwrap_or_else(|| panic!("entry {entry} not in {report}"))
}

fn codes(i: &Value) -> (String, String, String) {
    let c = |k: &str| i[k]["code"].as_str().unwrap().to_string();
    (c("catalogued"), c("aggregated"), c("shared"))
}

#[tokio::test]
async fn a_project_lists_its_data_at_approval_and_the_platform_reports_compliance() {
    let t = TestApp::demo().await;
    let (entry, ds, gaj) = shared_population(&t).await;
    let mzj = t.login("qy-mzj").await;
    // The agency's own draft entry: not catalogued, so neither aggregated nor shared.
    let mut draft_body = crate::catalog::population_entry();
    draft_body["name"] = json!("流动人口居住登记信息");
    let (status, draft) = t.post("/api/v1/catalog/entries", &gaj, draft_body).await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    let draft = draft["id"].as_i64().unwrap();

    // Validation: entries listed, dates in order, another body's unpublished entry refused.
    for (body, field) in [
        (project("QY-1", json!([])), "entries"),
        (
            {
                let mut b = project("QY-1", json!([{"entry_id": entry, "usage": "produce"}]));
                b["planned_acceptance_on"] = json!("2026-01-01");
                b
            },
            "planned_acceptance_on",
        ),
        (
            project("QY-1", json!([{"entry_id": 999_999, "usage": "use"}])),
            "entries",
        ),
    ] {
        let r = t
            .call(Method::POST, "/api/v1/projects", Some(&gaj), Some(body))
            .await;
        let p = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
        assert_eq!(p["errors"][0]["field"], field, "{p}");
    }
    let r = t
        .call(
            Method::POST,
            "/api/v1/projects",
            Some(&mzj),
            Some(project(
                "QY-MZ",
                json!([{"entry_id": draft, "usage": "use"}]),
            )),
        )
        .await;
    let p = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    assert_eq!(p["errors"][0]["field"], "entries");
    // Only the agency's own staff register its projects.
    let gaj_org = t.org_id("qy-gaj").await;
    let mut other = project("QY-X", json!([{"entry_id": entry, "usage": "use"}]));
    other["agency_org"] = json!(gaj_org);
    let r = t
        .call(Method::POST, "/api/v1/projects", Some(&mzj), Some(other))
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;

    let (status, x) = t
        .post(
            "/api/v1/projects",
            &gaj,
            project(
                "QY-ZW-2026-001",
                json!([{"entry_id": entry, "usage": "produce"}, {"entry_id": draft, "usage": "produce"},
                       {"entry_id": entry, "usage": "use"}]),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{x}");
    assert_eq!(x["state"], "approved");
    assert_eq!(x["agency_org"], gaj_org);
    // A repeated entry is listed once.
    assert_eq!(x["entries"].as_array().unwrap().len(), 2, "{x}");
    assert_eq!(x["entry_views"][0]["name"], "人口基础信息");
    let id = x["id"].as_i64().unwrap();
    // The code is unique.
    let r = t
        .call(
            Method::POST,
            "/api/v1/projects",
            Some(&gaj),
            Some(project(
                "QY-ZW-2026-001",
                json!([{"entry_id": entry, "usage": "use"}]),
            )),
        )
        .await;
    assert_problem(r, StatusCode::CONFLICT, "project_code_taken").await;

    // The report: the published, loaded, conditionally shared entry passes;
    // the draft fails all three.
    let (status, report) = t
        .get(&format!("/api/v1/projects/{id}/compliance"), &gaj)
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["compliant"], false);
    assert_eq!(report["failing"], 1);
    let good = item(&report, entry);
    assert_eq!(good["ok"], true, "{good}");
    assert_eq!(
        codes(&good),
        (
            "published".into(),
            "loaded".into(),
            "shared_catalogue".into()
        )
    );
    let bad = item(&report, draft);
    assert_eq!(bad["ok"], false);
    assert_eq!(
        codes(&bad),
        (
            "not_published".into(),
            "no_dataset".into(),
            "not_catalogued".into()
        )
    );

    // A dataset not refreshed per its frequency (daily) is stale: not aggregated.
    t.store
        .set_dataset_last_load(ds, chrono::Utc::now() - chrono::Duration::days(10))
        .await
        .unwrap();
    let (_, report) = t
        .get(&format!("/api/v1/projects/{id}/compliance"), &gaj)
        .await;
    let stale = item(&report, entry);
    assert_eq!(stale["aggregated"]["code"], "stale", "{stale}");
    assert_eq!(stale["aggregated"]["ok"], false);
    assert_eq!(stale["ok"], false);
    assert_eq!(report["failing"], 2);

    // Others see nothing of it.
    let r = t
        .call(
            Method::GET,
            &format!("/api/v1/projects/{id}"),
            Some(&mzj),
            None,
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    let (_, list) = t.get("/api/v1/projects", &mzj).await;
    assert!(list.as_array().unwrap().is_empty(), "{list}");
    let sjj = t.login("qy-sjj").await;
    let (_, list) = t.get("/api/v1/projects", &sjj).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
}

#[tokio::test]
async fn the_authority_accepts_only_a_compliant_project_or_with_an_override_reason() {
    let t = TestApp::demo().await;
    let (entry, ds, gaj) = shared_population(&t).await;
    let sjj = t.login("qy-sjj").await;
    let ydsjj = t.login("yd-sjj").await;
    let (status, x) = t
        .post(
            "/api/v1/projects",
            &gaj,
            project(
                "QY-ZW-2026-002",
                json!([{"entry_id": entry, "usage": "produce"}]),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{x}");
    let id = x["id"].as_i64().unwrap();
    let accept = format!("/api/v1/projects/{id}/acceptance");

    // Not the agency itself, nor another level's authority.
    for who in [&gaj, &ydsjj] {
        let r = t
            .call(Method::POST, &accept, Some(who), Some(json!({})))
            .await;
        assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    }
    // Stale data: not compliant, so refused without a reason (and audited).
    t.store
        .set_dataset_last_load(ds, chrono::Utc::now() - chrono::Duration::days(10))
        .await
        .unwrap();
    let r = t
        .call(Method::POST, &accept, Some(&sjj), Some(json!({})))
        .await;
    let p = assert_problem(r, StatusCode::CONFLICT, "project_not_compliant").await;
    assert!(
        p["detail"].as_str().unwrap().contains("人口基础信息"),
        "{p}"
    );
    let (_, x) = t.get(&format!("/api/v1/projects/{id}"), &sjj).await;
    assert_eq!(x["state"], "approved");
    let refused = t
        .store
        .audit_batch(0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| {
            r.event.action == "project.accept"
                && r.event.target == format!("it_project:{id}")
                && r.event.detail["refused"] == "project_not_compliant"
        })
        .count();
    assert_eq!(refused, 1);

    // Fresh again: compliant, accepted without a reason.
    t.store
        .set_dataset_last_load(ds, chrono::Utc::now())
        .await
        .unwrap();
    let (status, x) = t.post(&accept, &sjj, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{x}");
    assert_eq!(x["state"], "accepted");
    assert_eq!(x["compliant"], true);
    assert_eq!(x["override_reason"], Value::Null);
    assert_eq!(x["accepted_org"], t.org_id("qy-sjj").await);
    // Accepted once.
    let r = t
        .call(Method::POST, &accept, Some(&sjj), Some(json!({})))
        .await;
    assert_problem(r, StatusCode::CONFLICT, "project_state").await;

    // A non-compliant project accepted with an explicit override reason.
    let mut draft_body = crate::catalog::population_entry();
    draft_body["name"] = json!("流动人口居住登记信息");
    let (_, draft) = t.post("/api/v1/catalog/entries", &gaj, draft_body).await;
    let (_, y) = t
        .post(
            "/api/v1/projects",
            &gaj,
            project(
                "QY-ZW-2026-003",
                json!([{"entry_id": draft["id"], "usage": "produce"}]),
            ),
        )
        .await;
    let yid = y["id"].as_i64().unwrap();
    let reason = "项目已完成目录编制报审，经市政府同意先行验收，限三十日内完成发布";
    let (status, y) = t
        .post(
            &format!("/api/v1/projects/{yid}/acceptance"),
            &sjj,
            json!({"override_reason": reason}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{y}");
    assert_eq!(y["compliant"], false);
    assert_eq!(y["override_reason"], reason);
    let audited = t
        .store
        .audit_batch(0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .any(|r| {
            r.event.action == "project.accept"
                && r.event.target == format!("it_project:{yid}")
                && r.event.detail["override_reason"] == reason
                && r.event.detail["compliant"] == false
        });
    assert!(audited);
}

#[tokio::test]
async fn the_project_pages_show_the_compliance_table() {
    let t = TestApp::full_demo().await;
    let sjj = t.login("qy-sjj").await;
    let (status, list) = t.get("/api/v1/projects", &sjj).await;
    assert_eq!(status, StatusCode::OK);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2, "{list:?}");
    let police = list.iter().find(|x| x["code"] == "QY-ZW-2026-017").unwrap();
    let id = police["id"].as_i64().unwrap();
    // The demo's other project is compliant and accepted by 市数据局.
    let companies = list.iter().find(|x| x["code"] == "QY-ZW-2025-042").unwrap();
    assert_eq!(companies["state"], "accepted", "{companies}");
    assert_eq!(companies["compliant"], true);
    let (_, report) = t
        .get(&format!("/api/v1/projects/{id}/compliance"), &sjj)
        .await;
    assert_eq!(report["compliant"], false, "{report}");
    let exit = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "出入境证件信息")
        .unwrap();
    assert_eq!(exit["aggregated"]["code"], "no_dataset", "{exit}");
    assert_eq!(exit["ok"], false);
    let c = crate::pages::sign_in(&t, "qy-sjj").await;
    let r = c
        .get(t.url(&format!("/projects/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("出入境证件信息"), "{html}");
    assert!(html.contains("✗"));
    assert!(html.contains("✓"));
    assert!(html.contains("id=\"accept-form\""));
    // Accepting on the page without a reason shows why not, and changes nothing.
    let csrf = crate::pages::hidden(&html, "csrf");
    let r = c
        .post(t.url(&format!("/projects/{id}/acceptance")))
        .form(&[("csrf", csrf.as_str()), ("override_reason", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("id=\"error\""));
    let (_, x) = t.get(&format!("/api/v1/projects/{id}"), &sjj).await;
    assert_eq!(x["state"], "approved");
    // The list page links the projects.
    let r = c.get(t.url("/projects")).send().await.unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("QY-ZW-2026-017") && html.contains("QY-ZW-2025-042"));
}
