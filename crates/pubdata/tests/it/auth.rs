use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn every_demo_account_logs_in_over_the_api_and_sees_its_organisation() {
    let t = TestApp::demo().await;
    for (username, org) in [
        ("admin", Some("清远市政务服务和数据管理局")),
        ("qy-sjj", Some("清远市政务服务和数据管理局")),
        ("qy-gaj", Some("清远市公安局")),
        ("qy-scjgj", Some("清远市市场监督管理局")),
        ("qy-mzj", Some("清远市民政局")),
        ("qy-rsj", Some("清远市人力资源和社会保障局")),
        ("yd-sjj", Some("英德市政务服务和数据管理局")),
        ("yd-mzj", Some("英德市民政局")),
        ("auditor", Some("清远市政务服务和数据管理局")),
        ("ent-demo", Some("清远市示范数据科技有限公司")),
        ("citizen-demo", None),
    ] {
        let token = t.login(username).await;
        let (status, me) = t.get("/api/v1/me", &token).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(me["user"]["username"], username);
        assert_eq!(me["organisation"]["name"].as_str(), org, "{username}");
    }
    let token = t.login("yd-sjj").await;
    let (_, me) = t.get("/api/v1/me", &token).await;
    assert_eq!(me["roles"][0]["role"], "authority_reviewer");
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_answer_the_same_401() {
    let t = TestApp::demo().await;
    let wrong = t
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "qy-gaj", "password": "nope-nope-nope"})),
        )
        .await;
    let a = assert_problem(wrong, StatusCode::UNAUTHORIZED, "bad_credentials").await;
    let unknown = t
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "nobody", "password": "nope-nope-nope"})),
        )
        .await;
    let b = assert_problem(unknown, StatusCode::UNAUTHORIZED, "bad_credentials").await;
    assert_eq!(a, b, "the answer must not reveal whether the user exists");
}

#[tokio::test]
async fn repeated_failures_from_one_client_are_refused_and_audited() {
    let t = TestApp::demo().await;
    for _ in 0..5 {
        let r = t
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"username": "qy-gaj", "password": "wrong-password"})),
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    // Even the right password is refused while the client is throttled.
    let r = t
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "qy-gaj", "password": PASSWORD})),
        )
        .await;
    assert!(r.headers().get("retry-after").is_some());
    assert_problem(r, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts").await;

    let records = t
        .store
        .list_audit(&pubdata_store::AuditFilter {
            action: Some("auth.login".into()),
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    let failures = records
        .iter()
        .filter(|r| r.event.outcome.as_str() == "failure")
        .count();
    assert_eq!(failures, 6);
    assert_eq!(records[0].event.detail["reason"], "throttled");
    assert_eq!(records[1].event.detail["reason"], "wrong_password");
}

#[tokio::test]
async fn requests_without_a_valid_token_get_401() {
    let t = TestApp::demo().await;
    let r = t.call(Method::GET, "/api/v1/me", None, None).await;
    assert_problem(r, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    let r = t
        .call(Method::GET, "/api/v1/me", Some("pdb_forged"), None)
        .await;
    assert_problem(r, StatusCode::UNAUTHORIZED, "unauthenticated").await;
}

#[tokio::test]
async fn logout_ends_the_bearer_token() {
    let t = TestApp::demo().await;
    let token = t.login("qy-mzj").await;
    let r = t
        .call(Method::POST, "/api/v1/auth/logout", Some(&token), None)
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = t.call(Method::GET, "/api/v1/me", Some(&token), None).await;
    assert_problem(r, StatusCode::UNAUTHORIZED, "unauthenticated").await;
}

#[tokio::test]
async fn serve_creates_no_accounts_and_demo_seeding_twice_duplicates_nothing() {
    let t = TestApp::empty().await;
    let r = t
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "admin", "password": PASSWORD})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let size = pubdata_service::demo::DemoSize {
        population: 1000,
        enterprises: 1000,
    };
    let first = t.app.seed_demo_sized(size).await.unwrap();
    assert!(
        first.orgs >= 1 + 1 + 20 + 8 + 8,
        "city, authority, 20+ agencies, 8 counties and their authorities"
    );
    assert_eq!(first.users, 11);
    assert!(
        first.entries >= 60,
        "{} demo catalogue entries",
        first.entries
    );
    // 户籍人口, 企业登记, 社保参保, and one behind each other published entry
    // with share modes: 35, and the 28 of the open catalogue: 63 in all.
    assert_eq!(first.datasets, 63);
    assert!(first.data_items >= 60, "{} data items", first.data_items);
    let again = t.app.seed_demo_sized(size).await.unwrap();
    assert_eq!(
        (
            again.orgs,
            again.users,
            again.entries,
            again.data_items,
            again.datasets
        ),
        (0, 0, 0, 0, 0)
    );
    // The collection list names each item's one source department.
    let token = t.login("qy-mzj").await;
    for (item, source) in [
        ("公民身份号码", "清远市公安局"),
        ("统一社会信用代码", "清远市市场监督管理局"),
    ] {
        let (status, found) = t.get(&format!("/api/v1/data-items?q={item}"), &token).await;
        assert_eq!(status, StatusCode::OK, "{found}");
        let exact = found["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["name"] == item)
            .unwrap_or_else(|| panic!("{item} listed: {found}"));
        assert_eq!(exact["source_org_name"], source, "{found}");
    }
    assert_eq!(t.store.list_users(None).await.unwrap().len(), 11);
}
