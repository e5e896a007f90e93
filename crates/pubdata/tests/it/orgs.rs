use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn the_tree_has_the_city_its_eight_counties_and_their_data_authorities() {
    let t = TestApp::demo().await;
    let token = t.login("qy-gaj").await;
    let (status, body) = t.get("/api/v1/orgs", &token).await;
    assert_eq!(status, StatusCode::OK);
    let items = body["items"].as_array().unwrap();
    let city = &items[0];
    assert_eq!(city["name"], "清远市");
    assert_eq!(city["depth"], 0);
    let counties: Vec<&str> = items
        .iter()
        .filter(|o| o["kind"] == "region" && o["level"] == "county")
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    for c in [
        "清城区",
        "清新区",
        "英德市",
        "连州市",
        "佛冈县",
        "阳山县",
        "连山壮族瑶族自治县",
        "连南瑶族自治县",
    ] {
        assert!(counties.contains(&c), "{c} missing");
    }
    let authorities = items.iter().filter(|o| o["kind"] == "authority").count();
    assert_eq!(authorities, 9);
    let city_agencies = items
        .iter()
        .filter(|o| o["kind"] == "agency" && o["parent_id"] == city["id"])
        .count();
    assert!(city_agencies >= 20, "{city_agencies} city agencies");
    assert!(
        items
            .iter()
            .any(|o| o["name"] == "国家税务总局清远市税务局")
    );
}

#[tokio::test]
async fn a_platform_admin_creates_an_org_and_a_user_who_can_then_log_in() {
    let t = TestApp::demo().await;
    let admin = t.login("admin").await;
    let city = t.org_id("qy").await;
    let (status, org) = t
        .post(
            "/api/v1/orgs",
            &admin,
            json!({"code": "qy-dag", "name": "清远市档案馆", "kind": "agency", "parent_id": city}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{org}");
    assert_eq!(org["level"], "city", "level taken from the parent");
    let (status, user) = t
        .post("/api/v1/users", &admin, json!({
            "username": "qy-dag", "display_name": "档案馆数据管理员", "password": "a-long-password",
            "org_id": org["id"], "roles": ["agency_data_admin"]
        }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    assert_eq!(user["roles"][0]["role"], "agency_data_admin");

    let r = t
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "qy-dag", "password": "a-long-password"})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);

    // Duplicate username and duplicate org code are refused with their own codes.
    let (status, body) = t
        .post(
            "/api/v1/users",
            &admin,
            json!({"username": "qy-dag", "display_name": "x", "password": "a-long-password"}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("username_taken"))
    );
    let (status, body) = t
        .post(
            "/api/v1/orgs",
            &admin,
            json!({"code": "qy-dag", "name": "重复", "kind": "agency", "parent_id": city}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("already_exists"))
    );
}

#[tokio::test]
async fn agency_staff_cannot_manage_users_orgs_or_calendar_and_the_refusal_is_audited() {
    let t = TestApp::demo().await;
    let gaj = t.login("qy-gaj").await;
    let (status, body) = t
        .post(
            "/api/v1/users",
            &gaj,
            json!({"username": "intruder", "display_name": "x", "password": "a-long-password"}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let (status, _) = t
        .post(
            "/api/v1/orgs",
            &gaj,
            json!({"code": "x", "name": "x", "kind": "agency"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let r = t
        .call(
            Method::PUT,
            "/api/v1/calendar/years/2027",
            Some(&gaj),
            Some(json!({"source": "x", "off": [], "work": []})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (status, _) = t.get("/api/v1/audit", &gaj).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Another agency's users are outside the caller's organisation.
    let mzj = t.org_id("qy-mzj").await;
    let (status, _) = t.get(&format!("/api/v1/users?org_id={mzj}"), &gaj).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Its own organisation's users are visible to its data admin.
    let own = t.org_id("qy-gaj").await;
    let (status, body) = t.get(&format!("/api/v1/users?org_id={own}"), &gaj).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["items"].as_array().unwrap().len(), 1);

    let denied = t
        .store
        .list_audit(&pubdata_store::AuditFilter {
            action: Some("authz.denied".into()),
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(denied.len(), 5);
    assert!(
        denied
            .iter()
            .all(|r| r.event.actor == "qy-gaj" && r.event.outcome.as_str() == "denied")
    );
}

#[tokio::test]
async fn disabling_a_user_ends_their_sessions_and_roles_can_be_granted_and_revoked() {
    let t = TestApp::demo().await;
    let admin = t.login("admin").await;
    let mzj = t.login("qy-mzj").await;
    let (_, me) = t.get("/api/v1/me", &mzj).await;
    let id = me["user"]["id"].as_i64().unwrap();

    let sec = t.org_id("qy-mzj").await;
    let (status, grant) = t
        .post(
            &format!("/api/v1/users/{id}/roles"),
            &admin,
            json!({"role": "security_officer", "org_id": sec}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = t
        .post(
            &format!("/api/v1/users/{id}/roles"),
            &admin,
            json!({"role": "security_officer", "org_id": sec}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("role_already_granted"))
    );
    let (_, me) = t.get("/api/v1/me", &mzj).await;
    assert_eq!(me["roles"].as_array().unwrap().len(), 2);
    let r = t
        .call(
            Method::DELETE,
            &format!("/api/v1/users/{id}/roles/{}", grant["id"]),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let (_, me) = t.get("/api/v1/me", &mzj).await;
    assert_eq!(me["roles"].as_array().unwrap().len(), 1);

    // An authority role can only be held at a data authority.
    let (status, body) = t
        .post(
            &format!("/api/v1/users/{id}/roles"),
            &admin,
            json!({"role": "authority_reviewer", "org_id": sec}),
        )
        .await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("role"))
    );

    let r = t
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            Some(&admin),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = t.call(Method::GET, "/api/v1/me", Some(&mzj), None).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = t
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "qy-mzj", "password": PASSWORD})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_org_cannot_be_moved_below_itself() {
    let t = TestApp::demo().await;
    let admin = t.login("admin").await;
    let city = t.org_id("qy").await;
    let yd = t.org_id("yd").await;
    let r = t
        .call(
            Method::PATCH,
            &format!("/api/v1/orgs/{city}"),
            Some(&admin),
            Some(json!({"parent_id": yd})),
        )
        .await;
    let body = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    assert_eq!(body["errors"][0]["field"], "parent_id");
    let r = t
        .call(
            Method::PATCH,
            &format!("/api/v1/orgs/{yd}"),
            Some(&admin),
            Some(json!({"name": "英德市（县级市）"})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
}
