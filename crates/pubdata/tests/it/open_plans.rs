//! Open data plans (OPN-2): priority areas set by the city authority
//! (Art. 31), yearly open plans filed with the level's authority and
//! published once acknowledged (Art. 37), fulfilment computed from the
//! catalogue, shared data kept out of plans, the open catalogue and its
//! responsibility list.

use chrono::{Datelike, NaiveDate};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::*;

fn today() -> NaiveDate {
    pubdata_domain::calendar::today_cst()
}

fn year() -> i64 {
    i64::from(today().year())
}

fn year_end() -> String {
    format!("{}-12-31", year())
}

/// January 1st: a day past unless today is that day.
fn year_start() -> String {
    format!("{}-01-01", year())
}

/// Open entries of an agency on the open catalogue with a dataset: (entry id, name).
async fn open_entries(t: &TestApp, org: i64) -> Vec<(i64, String)> {
    let r = t
        .call(
            Method::GET,
            &format!("/api/v1/open/catalogue?org_id={org}"),
            None,
            None,
        )
        .await;
    let (status, v) = json_of(r).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v.as_array()
        .unwrap()
        .iter()
        .filter(|e| e["dataset_id"].is_i64())
        .map(|e| {
            (
                e["entry_id"].as_i64().unwrap(),
                e["name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

async fn public(t: &TestApp, path: &str) -> (StatusCode, Value) {
    json_of(t.call(Method::GET, path, None, None).await).await
}

async fn put(t: &TestApp, path: &str, token: &str, body: Value) -> reqwest::Response {
    t.call(Method::PUT, path, Some(token), Some(body)).await
}

#[tokio::test]
async fn a_plan_is_filed_returned_acknowledged_and_then_published_with_its_fulfilment() {
    let t = TestApp::full_demo().await;
    // The demo's plans aside: this test drafts 民政局's plan of this year.
    t.sql("DELETE FROM open_plans").await;
    let mzj = t.login("qy-mzj").await;
    let gaj = t.login("qy-gaj").await;
    let city = t.login("qy-sjj").await;
    let county = t.login("yd-sjj").await;
    let org = t.org_id("qy-mzj").await;
    let open = open_entries(&t, org).await;
    assert!(
        open.len() >= 2,
        "民政局 has open datasets in the demo: {open:?}"
    );
    let late_possible = today().ordinal() > 1;

    let items = json!([
        {"entry_id": open[0].0, "area": "public_governance", "planned_on": year_end(), "open_attribute": "unconditional"},
        {"entry_id": open[1].0, "area": "public_governance", "planned_on": year_start(), "open_attribute": "unconditional"},
        {"name": "养老服务机构名录", "area": "public_governance", "planned_on": year_end(), "open_attribute": "unconditional"},
        {"name": "殡葬服务机构名录", "area": "other", "planned_on": year_start(), "open_attribute": "conditional"},
    ]);
    // Another agency's staff cannot draft 民政局's plan; the public cannot at all.
    let r = t
        .call(
            Method::POST,
            "/api/v1/open/plans",
            Some(&gaj),
            Some(json!({"org_id": org, "year": year(), "items": items})),
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    let r = t
        .call(
            Method::POST,
            "/api/v1/open/plans",
            None,
            Some(json!({"org_id": org, "year": year(), "items": items})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    let (status, plan) = t
        .post(
            "/api/v1/open/plans",
            &mzj,
            json!({"org_id": org, "year": year(), "items": items}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{plan}");
    let id = plan["id"].as_i64().unwrap();
    assert_eq!(plan["state"], "draft");
    assert_eq!(plan["authority_name"], "清远市政务服务和数据管理局");
    // An entry's name is filled from the catalogue.
    assert_eq!(plan["items"][0]["name"], open[0].1.as_str());
    // Fulfilment is computed: open entries are open (today), named
    // datasets not; the day planned decides on time, late, pending, overdue.
    let f: Vec<&str> = plan["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["fulfilment"].as_str().unwrap())
        .collect();
    if late_possible {
        assert_eq!(f, ["fulfilled", "late", "pending", "overdue"], "{plan}");
        assert_eq!(
            plan["counts"],
            json!({"total": 4, "fulfilled": 1, "late": 1, "pending": 1, "overdue": 1})
        );
    }
    assert_eq!(plan["items"][0]["opened_on"], today().to_string());
    assert!(plan["items"][0]["dataset_id"].is_i64());
    assert!(plan["items"][2]["opened_on"].is_null());

    // A second plan of the same year: 409.
    let r = t
        .call(
            Method::POST,
            "/api/v1/open/plans",
            Some(&mzj),
            Some(json!({"org_id": org, "year": year(), "items": []})),
        )
        .await;
    assert_problem(r, StatusCode::CONFLICT, "plan_exists").await;

    // A draft is not public.
    let (status, _) = public(&t, &format!("/api/v1/open/plans/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = public(&t, &format!("/api/v1/open/plans?year={}", year())).await;
    assert!(list.as_array().unwrap().iter().all(|p| p["id"] != id));
    let (status, mine) = t.get(&format!("/api/v1/open/plans/{id}"), &mzj).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(mine["created_by"], "qy-mzj");

    // Not filed yet: nothing to review.
    let r = t
        .call(
            Method::POST,
            &format!("/api/v1/open/plans/{id}/review"),
            Some(&city),
            Some(json!({"decision": "acknowledge"})),
        )
        .await;
    assert_problem(r, StatusCode::CONFLICT, "plan_not_filed").await;
    // Only the agency files.
    let r = t
        .call(
            Method::POST,
            &format!("/api/v1/open/plans/{id}/filing"),
            Some(&gaj),
            None,
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    let (status, filed) = t
        .post(&format!("/api/v1/open/plans/{id}/filing"), &mzj, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{filed}");
    assert_eq!(filed["state"], "filed");
    assert_eq!(filed["filed_by"], "qy-mzj");
    // Filed: no more edits or filings by the agency.
    let r = put(
        &t,
        &format!("/api/v1/open/plans/{id}"),
        &mzj,
        json!({"items": items}),
    )
    .await;
    assert_problem(r, StatusCode::CONFLICT, "plan_not_draft").await;
    let r = t
        .call(
            Method::POST,
            &format!("/api/v1/open/plans/{id}/filing"),
            Some(&mzj),
            None,
        )
        .await;
    assert_problem(r, StatusCode::CONFLICT, "plan_not_draft").await;

    // The county's authority does not review a city agency's plan, nor
    // does the agency itself.
    for who in [&county, &mzj] {
        let r = t
            .call(
                Method::POST,
                &format!("/api/v1/open/plans/{id}/review"),
                Some(who),
                Some(json!({"decision": "acknowledge"})),
            )
            .await;
        assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    }
    // Returning needs a reason.
    let r = t
        .call(
            Method::POST,
            &format!("/api/v1/open/plans/{id}/review"),
            Some(&city),
            Some(json!({"decision": "return", "reason": "  "})),
        )
        .await;
    let p = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "reason_required").await;
    assert_eq!(p["errors"][0]["field"], "reason");
    let (status, returned) = t
        .post(
            &format!("/api/v1/open/plans/{id}/review"),
            &city,
            json!({"decision": "return", "reason": "请补充交通出行领域的开放项"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{returned}");
    assert_eq!(returned["state"], "returned");
    assert_eq!(returned["return_reason"], "请补充交通出行领域的开放项");
    let (status, _) = public(&t, &format!("/api/v1/open/plans/{id}")).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a returned plan is not public"
    );

    // The agency edits (back to draft), files again; the authority acknowledges.
    let mut more = items.as_array().unwrap().clone();
    more.push(json!({"name": "社区养老服务站点", "area": "natural_resources", "planned_on": year_end(), "open_attribute": "unconditional"}));
    let r = put(
        &t,
        &format!("/api/v1/open/plans/{id}"),
        &mzj,
        json!({"items": more}),
    )
    .await;
    let (status, edited) = json_of(r).await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["state"], "draft");
    assert_eq!(edited["items"].as_array().unwrap().len(), 5);
    let (status, _) = t
        .post(&format!("/api/v1/open/plans/{id}/filing"), &mzj, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, ack) = t
        .post(
            &format!("/api/v1/open/plans/{id}/review"),
            &city,
            json!({"decision": "acknowledge"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{ack}");
    assert_eq!(ack["state"], "acknowledged");
    assert_eq!(ack["return_reason"], "", "filing again clears the return");

    // Published: the public sees it, with its fulfilment, but not staff names.
    let (status, seen) = public(&t, &format!("/api/v1/open/plans/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    assert_eq!(seen["state"], "acknowledged");
    assert!(seen["filed_by"].is_null() && seen["created_by"].is_null());
    assert_eq!(seen["counts"]["total"], 5);
    let (_, list) = public(&t, &format!("/api/v1/open/plans?year={}", year())).await;
    assert!(list.as_array().unwrap().iter().any(|p| p["id"] == id));
    // The fulfilment function for supervision agrees.
    let f = t
        .app
        .open_plan_fulfilment(org, year())
        .await
        .unwrap()
        .expect("a plan");
    assert_eq!(f.plan_id, id);
    assert_eq!(f.counts.total, 5);
    assert_eq!(f.counts.fulfilled + f.counts.late, 2);
    assert!(
        t.app
            .open_plan_fulfilment(org, year() + 5)
            .await
            .unwrap()
            .is_none()
    );

    // Every step is in the audit chain.
    let admin = t.login("admin").await;
    let (_, audit) = t
        .get(
            &format!("/api/v1/audit?target=open_plan:{id}&limit=50"),
            &admin,
        )
        .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    for a in [
        "open_plan.create",
        "open_plan.file",
        "open_plan.return",
        "open_plan.update",
        "open_plan.acknowledge",
    ] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
}

#[tokio::test]
async fn data_obtained_by_sharing_and_others_entries_cannot_be_planned() {
    let t = TestApp::full_demo().await;
    t.sql("DELETE FROM open_plans").await;
    let mzj = t.login("qy-mzj").await;
    let org = t.org_id("qy-mzj").await;
    // 民政局 holds a grant on a 公安局 entry (the demo).
    let (_, grants) = t.get("/api/v1/grants", &mzj).await;
    let shared = grants
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["grantee_org"] == org)
        .map(|g| g["entry_id"].as_i64().unwrap())
        .expect("a grant to 民政局");
    let (_, e) = t
        .get(&format!("/api/v1/catalog/entries/{shared}"), &mzj)
        .await;
    let shared_name = e["name"].as_str().unwrap().to_string();
    let item = |extra: Value| {
        let mut i = json!({"area": "public_governance", "planned_on": year_end(), "open_attribute": "unconditional"});
        for (k, v) in extra.as_object().unwrap() {
            i[k] = v.clone();
        }
        json!({"org_id": org, "year": year(), "items": [
            {"name": "救助管理站名录", "area": "public_governance", "planned_on": year_end(), "open_attribute": "unconditional"},
            i
        ]})
    };
    for extra in [json!({"entry_id": shared}), json!({"name": shared_name})] {
        let r = t
            .call(
                Method::POST,
                "/api/v1/open/plans",
                Some(&mzj),
                Some(item(extra.clone())),
            )
            .await;
        let p = assert_problem(
            r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "shared_data_not_openable",
        )
        .await;
        assert_eq!(p["errors"][0]["field"], "items[1]", "{extra}: {p}");
        assert!(p["detail"].as_str().unwrap().contains("第三十七条"), "{p}");
    }
    // Another agency's entry that is not shared: not the agency's to plan.
    let gaj = t.org_id("qy-gaj").await;
    let (_, gaj_entries) = t
        .get(&format!("/api/v1/catalog/entries?org={gaj}&limit=50"), &mzj)
        .await;
    let items = gaj_entries
        .get("items")
        .and_then(|v| v.as_array())
        .or(gaj_entries.as_array())
        .cloned()
        .unwrap_or_default();
    if let Some(other) = items
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .find(|id| *id != shared)
    {
        let r = t
            .call(
                Method::POST,
                "/api/v1/open/plans",
                Some(&mzj),
                Some(item(json!({"entry_id": other}))),
            )
            .await;
        let p = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
        assert!(
            p["errors"][0]["field"]
                .as_str()
                .unwrap()
                .starts_with("items[1]"),
            "{p}"
        );
    }
    // Bad items: not open, outside the year, no name.
    for (extra, field) in [
        (
            json!({"open_attribute": "none", "name": "x"}),
            "items[1].open_attribute",
        ),
        (
            json!({"planned_on": format!("{}-03-01", year() + 1), "name": "x"}),
            "items[1].planned_on",
        ),
        (json!({}), "items[1].name"),
        (json!({"entry_id": 999999}), "items[1].entry_id"),
    ] {
        let r = t
            .call(
                Method::POST,
                "/api/v1/open/plans",
                Some(&mzj),
                Some(item(extra.clone())),
            )
            .await;
        let p = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
        assert_eq!(p["errors"][0]["field"], field, "{extra}: {p}");
    }
    // Nothing was recorded.
    let (_, plans) = t.get("/api/v1/open/plans", &mzj).await;
    assert_eq!(plans, json!([]));
    // An empty draft cannot be filed.
    let (status, plan) = t
        .post(
            "/api/v1/open/plans",
            &mzj,
            json!({"org_id": org, "year": year(), "items": []}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{plan}");
    let r = t
        .call(
            Method::POST,
            &format!("/api/v1/open/plans/{}/filing", plan["id"]),
            Some(&mzj),
            None,
        )
        .await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "plan_empty").await;
}

#[tokio::test]
async fn priorities_responsibility_and_the_open_catalogue() {
    let t = TestApp::full_demo().await;
    let mzj = t.login("qy-mzj").await;
    let gaj = t.login("qy-gaj").await;
    let city = t.login("qy-sjj").await;
    let county = t.login("yd-sjj").await;
    let y = year() + 1;

    // Priorities: the city authority sets them; nobody else.
    let body = json!({"areas": [
        {"area": "natural_resources", "description": "公交与停车数据"},
        {"area": "licensing_credit", "description": "企业信用数据"}
    ]});
    for who in [&mzj, &county] {
        let r = put(
            &t,
            &format!("/api/v1/open/priorities/{y}"),
            who,
            body.clone(),
        )
        .await;
        assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    }
    let r = put(
        &t,
        &format!("/api/v1/open/priorities/{y}"),
        &city,
        json!({"areas": [{"area": "other", "description": "a"}, {"area": "other", "description": "b"}]}),
    )
    .await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    let r = put(
        &t,
        &format!("/api/v1/open/priorities/{y}"),
        &city,
        body.clone(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let (status, p) = public(&t, &format!("/api/v1/open/priorities?year={y}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(p["areas"], body["areas"]);
    // The demo set this year's four.
    let (_, p) = public(&t, &format!("/api/v1/open/priorities?year={}", year())).await;
    assert_eq!(p["areas"].as_array().unwrap().len(), 4, "{p}");

    // Responsibility: the agency's own administrators record it.
    let org = t.org_id("qy-mzj").await;
    let path = format!("/api/v1/open/responsibility/{org}");
    let good = json!({"department": "社会救助科", "person": "刘洋", "phone": "0763-3388123", "email": "mzj-open@qy.example.cn"});
    let r = put(&t, &path, &gaj, good.clone()).await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    let mut bad = good.clone();
    bad["phone"] = json!("call me");
    let p = assert_problem(
        put(&t, &path, &mzj, bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "phone");
    let mut bad = good.clone();
    bad["email"] = json!("nobody");
    assert_problem(
        put(&t, &path, &mzj, bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    )
    .await;
    let r = put(&t, &path, &mzj, good.clone()).await;
    assert_eq!(r.status(), StatusCode::OK);
    let (_, r) = public(&t, &path).await;
    assert_eq!(r["responsibility"]["department"], "社会救助科");
    assert_eq!(r["responsibility"]["updated_by"], "qy-mzj");

    // The open catalogue: open entries only, with their responsibility.
    let (status, cat) = public(&t, "/api/v1/open/catalogue").await;
    assert_eq!(status, StatusCode::OK);
    let cat = cat.as_array().unwrap();
    assert!(
        cat.len() >= 30,
        "the demo opens more than thirty: {}",
        cat.len()
    );
    assert!(
        cat.iter()
            .all(|e| e["open_attribute"] == "unconditional" || e["open_attribute"] == "conditional")
    );
    assert!(cat.iter().any(|e| e["open_attribute"] == "conditional"));
    let ids: Vec<i64> = cat
        .iter()
        .map(|e| e["entry_id"].as_i64().unwrap())
        .collect();
    // Not-open entries never appear.
    let (_, not_open) = t
        .get(
            "/api/v1/catalog/entries?open_attribute=none&limit=200",
            &city,
        )
        .await;
    let not_open = not_open
        .get("items")
        .and_then(|v| v.as_array())
        .or(not_open.as_array())
        .cloned()
        .unwrap();
    assert!(!not_open.is_empty(), "the demo has entries not open");
    for e in &not_open {
        assert!(!ids.contains(&e["id"].as_i64().unwrap()), "{e}");
    }
    let mine: Vec<&Value> = cat.iter().filter(|e| e["org_id"] == org).collect();
    assert!(!mine.is_empty());
    for e in &mine {
        assert_eq!(e["department"], "社会救助科");
        assert_eq!(e["phone"], "0763-3388123");
    }
    // Filters by agency and level.
    let (_, only) = public(&t, &format!("/api/v1/open/catalogue?org_id={org}")).await;
    assert_eq!(only.as_array().unwrap().len(), mine.len());
    let (_, city_level) = public(&t, "/api/v1/open/catalogue?level=city").await;
    assert!(
        city_level
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["level"] == "city")
    );
}

#[tokio::test]
async fn the_demo_holds_plans_in_every_state_and_the_public_sees_acknowledged_ones() {
    let t = TestApp::full_demo().await;
    let city = t.login("qy-sjj").await;
    let (_, all) = t.get("/api/v1/open/plans", &city).await;
    let all = all.as_array().unwrap();
    let orgs: std::collections::BTreeSet<i64> =
        all.iter().map(|p| p["org_id"].as_i64().unwrap()).collect();
    assert!(orgs.len() >= 4, "{orgs:?}");
    for s in ["draft", "filed", "returned", "acknowledged"] {
        assert!(all.iter().any(|p| p["state"] == s), "a {s} plan");
    }
    // The city authority sees the counties' plans too (汇集到上一级).
    assert!(all.iter().any(|p| p["level"] == "county"));
    let fulfilment: Vec<&str> = all
        .iter()
        .flat_map(|p| p["items"].as_array().unwrap())
        .map(|i| i["fulfilment"].as_str().unwrap())
        .collect();
    for f in ["fulfilled", "pending", "overdue"] {
        assert!(fulfilment.contains(&f), "{f} in {fulfilment:?}");
    }

    let (_, public_plans) = public(&t, "/api/v1/open/plans").await;
    let public_plans = public_plans.as_array().unwrap();
    assert!(!public_plans.is_empty());
    assert!(public_plans.iter().all(|p| p["state"] == "acknowledged"));
    assert!(public_plans.iter().any(|p| p["level"] == "county"));

    // The portal's pages, no account needed.
    let r = t.call(Method::GET, "/open/plans", None, None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("开放重点") && html.contains("清远市市场监督管理局"),
        "{html}"
    );
    assert!(
        !html.contains("清远市人力资源和社会保障局"),
        "a filed plan is not shown"
    );
    let r = t.call(Method::GET, "/open/catalogue", None, None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("开放目录和责任清单") && html.contains("责任部门"));
    assert!(html.contains("0763-"), "responsibility contacts are listed");
}
