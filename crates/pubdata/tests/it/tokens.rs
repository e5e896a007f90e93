use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn an_agency_admin_creates_uses_lists_and_revokes_an_application_token() {
    let t = TestApp::demo().await;
    let gaj = t.login("qy-gaj").await;
    let (status, created) = t
        .post("/api/v1/tokens", &gaj, json!({"name": "人口库推送"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let secret = created["token"].as_str().unwrap().to_string();
    assert!(secret.starts_with("pat_"));

    let (status, me) = t.get("/api/v1/me", &secret).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["auth"], "api_token");
    assert_eq!(me["organisation"]["code"], "qy-gaj");

    let (_, list) = t.get("/api/v1/tokens", &gaj).await;
    let item = &list["items"][0];
    assert_eq!(item["name"], "人口库推送");
    assert!(item.get("token").is_none(), "the secret is never listed");
    assert!(
        item["last_used_at"].is_string(),
        "last use is recorded: {item}"
    );

    // The secret is stored only as a hash.
    let stored = t
        .store
        .list_api_tokens(t.org_id("qy-gaj").await)
        .await
        .unwrap();
    assert!(!format!("{stored:?}").contains(&secret[4..]));

    // Another agency cannot revoke it.
    let mzj = t.login("qy-mzj").await;
    let r = t
        .call(
            Method::DELETE,
            &format!("/api/v1/tokens/{}", item["id"]),
            Some(&mzj),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    let r = t
        .call(
            Method::DELETE,
            &format!("/api/v1/tokens/{}", item["id"]),
            Some(&gaj),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = t.call(Method::GET, "/api/v1/me", Some(&secret), None).await;
    assert_problem(r, StatusCode::UNAUTHORIZED, "unauthenticated").await;
}

#[tokio::test]
async fn people_without_an_agency_admin_role_cannot_create_tokens() {
    let t = TestApp::demo().await;
    for user in ["auditor", "citizen-demo", "qy-sjj"] {
        let token = t.login(user).await;
        let (status, _) = t.post("/api/v1/tokens", &token, json!({"name": "x"})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{user}");
    }
}
