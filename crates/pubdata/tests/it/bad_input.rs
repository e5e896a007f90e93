use reqwest::{Method, StatusCode};

use crate::common::*;

async fn raw(
    t: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    ctype: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    let mut req = t
        .client
        .request(method, t.url(path))
        .bearer_auth(token)
        .body(body);
    if let Some(c) = ctype {
        req = req.header("content-type", c);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn malformed_bodies_are_4xx_problems_naming_the_problem_never_500() {
    let t = TestApp::demo().await;
    let admin = t.login("admin").await;
    let json = Some("application/json");

    let r = raw(
        &t,
        Method::POST,
        "/api/v1/orgs",
        &admin,
        json,
        "{\"code\": ",
    )
    .await;
    assert_problem(r, StatusCode::BAD_REQUEST, "malformed_json").await;

    let r = raw(
        &t,
        Method::POST,
        "/api/v1/orgs",
        &admin,
        json,
        r#"{"code":"a","name":"b","kind":"agency","colour":"red"}"#,
    )
    .await;
    let body = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
    assert!(
        body["detail"].as_str().unwrap().contains("colour"),
        "{body}"
    );

    let r = raw(
        &t,
        Method::POST,
        "/api/v1/orgs",
        &admin,
        json,
        r#"{"code":"a","name":"b","kind":"agency","parent_id":"one"}"#,
    )
    .await;
    let body = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
    assert_eq!(body["errors"][0]["field"], "parent_id");

    let r = raw(
        &t,
        Method::POST,
        "/api/v1/orgs",
        &admin,
        json,
        r#"{"code":"a","name":"b","kind":"ministry"}"#,
    )
    .await;
    let body = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    assert_eq!(body["errors"][0]["field"], "kind");

    let r = raw(
        &t,
        Method::POST,
        "/api/v1/orgs",
        &admin,
        None,
        r#"{"code":"a"}"#,
    )
    .await;
    assert_problem(
        r,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;

    let big = format!(
        r#"{{"code":"a","name":"{}","kind":"agency"}}"#,
        "x".repeat(2 * 1024 * 1024)
    );
    let r = raw(&t, Method::POST, "/api/v1/orgs", &admin, json, big).await;
    assert_problem(r, StatusCode::PAYLOAD_TOO_LARGE, "body_too_large").await;

    let r = raw(
        &t,
        Method::POST,
        "/api/v1/users",
        &admin,
        json,
        r#"{"username":"x y","display_name":"d","password":"a-long-password"}"#,
    )
    .await;
    let body = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    assert_eq!(body["errors"][0]["field"], "username");
    let r = raw(
        &t,
        Method::POST,
        "/api/v1/users",
        &admin,
        json,
        r#"{"username":"short-pw","display_name":"d","password":"short"}"#,
    )
    .await;
    let body = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    assert_eq!(body["errors"][0]["field"], "password");
}

#[tokio::test]
async fn bad_cursors_queries_paths_and_methods_are_problems() {
    let t = TestApp::demo().await;
    let auditor = t.login("auditor").await;
    for cursor in ["garbage", "YXVkaXQ6LTE", "%00"] {
        let r = t
            .call(
                Method::GET,
                &format!("/api/v1/audit?cursor={cursor}"),
                Some(&auditor),
                None,
            )
            .await;
        assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_cursor").await;
    }
    let r = t
        .call(
            Method::GET,
            "/api/v1/audit?limit=100000",
            Some(&auditor),
            None,
        )
        .await;
    assert_problem(r, StatusCode::BAD_REQUEST, "invalid_query").await;
    let r = t
        .call(
            Method::GET,
            "/api/v1/audit?since=last-week",
            Some(&auditor),
            None,
        )
        .await;
    assert_problem(r, StatusCode::BAD_REQUEST, "invalid_time").await;
    let r = t
        .call(
            Method::GET,
            "/api/v1/audit?org_id=abc",
            Some(&auditor),
            None,
        )
        .await;
    assert_problem(r, StatusCode::BAD_REQUEST, "invalid_query").await;
    let r = t
        .call(Method::GET, "/api/v1/audit?bogus=1", Some(&auditor), None)
        .await;
    assert_problem(r, StatusCode::BAD_REQUEST, "invalid_query").await;
    let r = t
        .call(Method::GET, "/api/v1/no-such-thing", Some(&auditor), None)
        .await;
    assert_problem(r, StatusCode::NOT_FOUND, "not_found").await;
    let r = t
        .call(Method::DELETE, "/api/v1/me", Some(&auditor), None)
        .await;
    assert_problem(r, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
    let r = t
        .call(
            Method::GET,
            "/api/v1/users/999999",
            Some(&t.login("admin").await),
            None,
        )
        .await;
    assert_problem(r, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn a_cookie_session_must_send_the_csrf_token_to_change_state() {
    let t = TestApp::demo().await;
    // Sign in through the page to get a cookie session.
    let page = t
        .client
        .get(t.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = crate::pages::hidden(&page, "csrf");
    let r = t
        .client
        .post(t.url("/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", "admin"),
            ("password", PASSWORD),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // Reading with the cookie works; changing state without the header does not.
    let r = t.client.get(t.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = t
        .client
        .post(t.url("/api/v1/tokens"))
        .json(&serde_json::json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_problem(r, StatusCode::FORBIDDEN, "csrf_failed").await;
}

/// An optional field sent as JSON `null` is the field left out, as clients
/// generated from the OpenAPI document send it.
#[tokio::test]
async fn json_null_for_an_optional_field_is_accepted_as_absent() {
    let t = TestApp::demo().await;
    let gaj = t.login("qy-gaj").await;
    let mut entry = crate::catalog::population_entry();
    for field in ["keywords", "related_codes", "co_owners", "open_conditions"] {
        entry[field] = serde_json::Value::Null;
    }
    let (status, e) = t.post("/api/v1/catalog/entries", &gaj, entry).await;
    assert_eq!(status, StatusCode::CREATED, "{e}");
    assert_eq!(e["keywords"], serde_json::json!([]));

    let (id, gaj) = crate::datasets::population_dataset(&t).await;
    let (status, d) = t
        .post(
            "/api/v1/datasets",
            &gaj,
            serde_json::json!({
                "entry_id": t.get(&format!("/api/v1/datasets/{id}"), &gaj).await.1["entry_id"],
                "name": "户籍人口（副本）",
                "columns": [
                    {"name": "公民身份号码", "type": "string", "checks": null},
                    {"name": "姓名", "type": "string", "nullable": null}
                ],
                "key": ["公民身份号码"]
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    assert_eq!(d["columns"][0]["checks"], serde_json::json!([]), "{d}");
    assert_eq!(d["columns"][1]["nullable"], true, "{d}");
}
