use reqwest::{Method, StatusCode};

use crate::common::*;

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let t = TestApp::empty().await;
    let r = t.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = t.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(r.status(), StatusCode::OK);
    t.call(Method::GET, "/api/v1/calendar/years", None, None)
        .await;
    let r = t.call(Method::GET, "/metrics", None, None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.unwrap();
    assert!(
        text.contains(r#"pubdata_http_requests_total{method="GET",route="/api/v1/calendar/years",status="200"} 1"#),
        "{text}"
    );
    assert!(text.contains("pubdata_http_request_duration_seconds_bucket"));
}

#[tokio::test]
async fn responses_carry_security_headers_and_a_request_id() {
    let t = TestApp::empty().await;
    let r = t.call(Method::GET, "/login", None, None).await;
    let h = r.headers();
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    assert!(h.get("x-request-id").is_some());
}

#[tokio::test]
async fn the_openapi_document_covers_every_api_route() {
    let t = TestApp::empty().await;
    let (status, doc) = json_of(
        t.call(Method::GET, "/api/v1/openapi.json", None, None)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    let expected = [
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/logout", "post"),
        ("/api/v1/me", "get"),
        ("/api/v1/orgs", "get"),
        ("/api/v1/orgs", "post"),
        ("/api/v1/orgs/{id}", "get"),
        ("/api/v1/orgs/{id}", "patch"),
        ("/api/v1/users", "get"),
        ("/api/v1/users", "post"),
        ("/api/v1/users/{id}", "get"),
        ("/api/v1/users/{id}", "patch"),
        ("/api/v1/users/{id}/roles", "post"),
        ("/api/v1/users/{id}/roles/{grant_id}", "delete"),
        ("/api/v1/tokens", "get"),
        ("/api/v1/tokens", "post"),
        ("/api/v1/tokens/{id}", "delete"),
        ("/api/v1/orgs/{id}/webhook", "get"),
        ("/api/v1/orgs/{id}/webhook", "put"),
        ("/api/v1/orgs/{id}/webhook/deliveries", "get"),
        ("/api/v1/inbox", "get"),
        ("/api/v1/inbox/{id}/read", "post"),
        ("/api/v1/calendar/add-working-days", "get"),
        ("/api/v1/calendar/years", "get"),
        ("/api/v1/calendar/years/{year}", "put"),
        ("/api/v1/audit", "get"),
        ("/api/v1/catalog/classifications", "get"),
        ("/api/v1/catalog/classifications/{code}", "put"),
        ("/api/v1/catalog/grades", "get"),
        ("/api/v1/catalog/grades/{code}", "put"),
        ("/api/v1/catalog/entries", "get"),
        ("/api/v1/catalog/entries", "post"),
        ("/api/v1/catalog/entries/{id}", "get"),
        ("/api/v1/catalog/entries/{id}", "patch"),
        ("/api/v1/catalog/entries/{id}/submit", "post"),
        ("/api/v1/catalog/entries/{id}/review", "post"),
        ("/api/v1/catalog/entries/{id}/delist", "post"),
        ("/api/v1/catalog/entries/{id}/consent", "post"),
        ("/api/v1/catalog/entries/{id}/update-obligation", "post"),
        ("/api/v1/catalog/entries/{id}/versions", "get"),
        ("/api/v1/catalog/entries/{id}/diff", "get"),
        ("/api/v1/catalog/review-queue", "get"),
        ("/api/v1/cases/pending", "get"),
        ("/api/v1/data-items", "get"),
        ("/api/v1/collection-items", "get"),
        ("/api/v1/collection-items", "post"),
        ("/api/v1/catalog/export.xlsx", "get"),
        ("/api/v1/catalog/dcat.jsonld", "get"),
        ("/api/v1/datasets", "get"),
        ("/api/v1/datasets", "post"),
        ("/api/v1/datasets/{id}", "get"),
        ("/api/v1/datasets/{id}/versions", "get"),
        ("/api/v1/datasets/{id}/quality", "get"),
        ("/api/v1/datasets/{id}/rows", "get"),
        ("/api/v1/datasets/{id}/loads", "post"),
        ("/api/v1/datasets/{id}/records", "post"),
        ("/api/v1/supervision/stale", "get"),
        ("/api/v1/aggregation/exemptions", "get"),
        ("/api/v1/aggregation/exemptions", "post"),
        ("/api/v1/datasets/{id}/pull-source", "get"),
        ("/api/v1/datasets/{id}/pull-source", "put"),
        ("/api/v1/datasets/{id}/pull", "post"),
        ("/api/v1/base", "get"),
        ("/api/v1/base/{code}/fields", "post"),
        ("/api/v1/base/{code}/records/{key}", "get"),
        ("/api/v1/base/{code}/conflicts", "get"),
        ("/api/v1/system", "get"),
        ("/api/v1/backups", "get"),
        ("/api/v1/audit/checkpoints", "get"),
        ("/api/v1/share-requests", "post"),
        ("/api/v1/share-requests", "get"),
        ("/api/v1/share-requests/{id}", "get"),
        ("/api/v1/share-requests/{id}/decision", "post"),
        ("/api/v1/grants", "get"),
        ("/api/v1/grants", "post"),
        ("/api/v1/grants/{id}", "get"),
        ("/api/v1/grants/{id}/implement", "post"),
        ("/api/v1/grants/{id}/revoke", "post"),
        ("/api/v1/grants/{id}/suspend", "post"),
        ("/api/v1/grants/{id}/resume", "post"),
        ("/api/v1/grants/{id}/usage-reports", "post"),
        ("/api/v1/grants/{id}/push-target", "get"),
        ("/api/v1/grants/{id}/push-target", "put"),
        ("/api/v1/grants/{id}/push", "post"),
        ("/api/v1/grants/{id}/deliveries", "post"),
        ("/api/v1/grants/{id}/export", "get"),
        ("/api/v1/data/{dataset_id}", "get"),
        ("/api/v1/data-demands", "post"),
        ("/api/v1/data-demands", "get"),
        ("/api/v1/data-demands/{id}", "get"),
        ("/api/v1/data-demands/{id}/answer", "post"),
        ("/api/v1/data-demands/{id}/entry", "post"),
        ("/api/v1/derivations", "post"),
        ("/api/v1/derivations", "get"),
        ("/api/v1/derivations/{id}", "get"),
        ("/api/v1/derivations/{id}/refresh", "post"),
        ("/api/v1/derivations/check", "post"),
        ("/api/v1/synonyms", "get"),
        ("/api/v1/open/stats", "get"),
        ("/api/v1/supervision/evaluation", "get"),
        ("/api/v1/supervision/figures", "get"),
        ("/api/v1/supervision/figures/{org_id}/{figure}/items", "get"),
        ("/api/v1/supervision/reports/{level_org_id}", "get"),
        ("/api/v1/supervision/reports/{year}.xlsx", "get"),
        ("/api/v1/supervision/reports/{year}.pdf", "get"),
        ("/api/v1/synonyms", "put"),
        ("/api/v1/derivations/{id}/reid-check", "post"),
        ("/api/v1/masking-rules", "get"),
        ("/api/v1/masking-rules", "put"),
        ("/api/v1/disputes", "get"),
        ("/api/v1/disputes", "post"),
        ("/api/v1/disputes/{id}", "get"),
        ("/api/v1/disputes/{id}/statements", "post"),
        ("/api/v1/disputes/{id}/escalation", "post"),
        ("/api/v1/disputes/{id}/settlement", "post"),
        ("/api/v1/violations", "get"),
        ("/api/v1/violations", "post"),
        ("/api/v1/violations/checks", "post"),
        ("/api/v1/violations/{id}", "get"),
        ("/api/v1/violations/{id}/dismissal", "post"),
        ("/api/v1/rectifications", "get"),
        ("/api/v1/rectifications", "post"),
        ("/api/v1/rectifications/{id}", "get"),
        ("/api/v1/rectifications/{id}/report", "post"),
        ("/api/v1/rectifications/{id}/decision", "post"),
        ("/api/v1/operation/agreements", "post"),
        ("/api/v1/operation/agreements", "get"),
        ("/api/v1/operation/agreements/{id}", "get"),
        ("/api/v1/operation/agreements/{id}/filing", "post"),
        ("/api/v1/operation/agreements/{id}/review", "post"),
        ("/api/v1/operation/agreements/{id}/termination", "post"),
        ("/api/v1/operation/agreements/{id}/revenue", "post"),
        ("/api/v1/operation/agreements/{id}/revenue", "get"),
        ("/api/v1/operation/arrangements", "post"),
        ("/api/v1/operation/arrangements", "get"),
        ("/api/v1/operation/arrangements/{id}", "get"),
        ("/api/v1/operation/arrangements/{id}/review", "post"),
        ("/api/v1/procurement/demands", "get"),
        ("/api/v1/procurement/demands", "post"),
        ("/api/v1/procurement/demands/{id}", "get"),
        ("/api/v1/procurement/demands/{id}/evaluation", "post"),
        ("/api/v1/procurement/demands/{id}/record", "post"),
        ("/api/v1/projects", "get"),
        ("/api/v1/projects", "post"),
        ("/api/v1/projects/{id}", "get"),
        ("/api/v1/projects/{id}/compliance", "get"),
        ("/api/v1/projects/{id}/acceptance", "post"),
        ("/api/v1/open/products", "get"),
        ("/api/v1/open/products", "post"),
        ("/api/v1/security/orgs/{org_id}", "get"),
        ("/api/v1/security/orgs/{org_id}/officer", "put"),
        ("/api/v1/security/orgs/{org_id}/settings", "put"),
        ("/api/v1/security/orgs/{org_id}/records", "post"),
        ("/api/v1/security/reviews", "post"),
        ("/api/v1/security/reviews", "get"),
        ("/api/v1/security/alerts", "get"),
        ("/api/v1/security/alerts/{id}/acknowledgement", "post"),
        ("/api/v1/objections", "post"),
        ("/api/v1/objections", "get"),
        ("/api/v1/objections/{id}", "get"),
        ("/api/v1/objections/{id}/resolution", "post"),
        ("/api/v1/objections/{id}/proofs", "post"),
        ("/api/v1/objections/{id}/proofs/{proof_id}", "get"),
        ("/api/v1/open/datasets", "get"),
        ("/api/v1/open/datasets/{id}", "get"),
        ("/api/v1/open/datasets/{id}/rows", "get"),
        ("/api/v1/open/datasets/{id}/download", "get"),
        ("/api/v1/open/dcat", "get"),
        ("/api/v1/open/applications", "post"),
        ("/api/v1/open/applications", "get"),
        ("/api/v1/open/applications/{id}", "get"),
        ("/api/v1/open/applications/{id}/decision", "post"),
        ("/api/v1/open/filings", "get"),
        ("/api/v1/catalog/entries/{id}/open-proposals", "post"),
        ("/api/v1/open/proposals", "get"),
        ("/api/v1/open/proposals/{id}", "get"),
        ("/api/v1/open/proposals/{id}/answer", "post"),
        ("/api/v1/open/proposals/{id}/escalation", "post"),
        ("/api/v1/open/proposals/{id}/government-decision", "post"),
        ("/api/v1/open/applications/{id}/agreement", "post"),
        ("/api/v1/open/applications/{id}/rows", "get"),
        ("/api/v1/open/applications/{id}/download", "get"),
        ("/api/v1/open/priorities", "get"),
        ("/api/v1/open/priorities/{year}", "put"),
        ("/api/v1/open/plans", "get"),
        ("/api/v1/open/plans", "post"),
        ("/api/v1/open/plans/{id}", "get"),
        ("/api/v1/open/plans/{id}", "put"),
        ("/api/v1/open/plans/{id}/filing", "post"),
        ("/api/v1/open/plans/{id}/review", "post"),
        ("/api/v1/open/catalogue", "get"),
        ("/api/v1/open/responsibility/{org_id}", "get"),
        ("/api/v1/open/responsibility/{org_id}", "put"),
        ("/api/v1/verify/{dataset_id}", "post"),
    ];
    for (path, method) in expected {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} undocumented"
        );
    }
    let documented: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(
        documented,
        expected.len(),
        "a route was added: list it here"
    );
    // Vice versa: every routed /api/v1 operation (crates/web/src/router.rs)
    // is documented, and nothing is documented that is not routed.
    let mut routed: Vec<(String, String)> = pubdata_web::router::API_ROUTES
        .iter()
        .map(|(m, p)| (m.to_lowercase(), p.to_string()))
        .collect();
    let mut in_doc: Vec<(String, String)> = paths
        .iter()
        .flat_map(|(p, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .map(move |m| (m.clone(), p.clone()))
        })
        .collect();
    routed.sort();
    in_doc.sort();
    assert_eq!(routed, in_doc, "routed and documented operations differ");
    // Every operation shares the problem responses, typed problem+json.
    for (path, ops) in paths {
        for (method, op) in ops.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            for status in ["400", "422", "503"] {
                assert!(
                    responses.contains_key(status),
                    "{method} {path} lacks {status}"
                );
            }
            for (status, r) in responses {
                if status.as_str() >= "400" {
                    let r = match r.get("$ref").and_then(|r| r.as_str()) {
                        Some(name) => {
                            &doc["components"]["responses"][name.rsplit('/').next().unwrap()]
                        }
                        None => r,
                    };
                    assert!(
                        r["content"].get("application/problem+json").is_some()
                            && r["content"].as_object().unwrap().len() == 1,
                        "{method} {path} {status}: {r}"
                    );
                }
            }
        }
    }
    // Every documented route answers (not 404/405) at its path.
    for (path, method) in expected {
        let concrete = path
            .replace("{id}", "1")
            .replace("{grant_id}", "1")
            .replace("{year}", "2027")
            .replace("{code}", "population")
            .replace("{key}", "1");
        let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let r = t.client.request(m, t.url(&concrete)).send().await.unwrap();
        assert_ne!(
            r.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        if concrete == path {
            assert_ne!(r.status(), StatusCode::NOT_FOUND, "{method} {path}");
        }
    }
    // Every API route outside the document (CKAN's Action API) answers at
    // its path, in its own envelope, and is not in the document.
    for (method, path) in pubdata_web::router::FOREIGN_API_ROUTES {
        assert!(!paths.contains_key(*path), "{path} is documented");
        let concrete = path.replace("{action}", "package_list");
        let m = Method::from_bytes(method.as_bytes()).unwrap();
        let (status, v) =
            json_of(t.client.request(m, t.url(&concrete)).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{method} {path}: {v}");
        assert_eq!(v["success"], true, "{method} {path}: {v}");
    }
    // Every page, health, metrics and static route answers at its path.
    for (method, path) in pubdata_web::router::PAGE_ROUTES {
        let concrete = path
            .replace("{id}", "1")
            .replace("{grant}", "1")
            .replace("{code}", "population");
        let m = Method::from_bytes(method.as_bytes()).unwrap();
        let r = t.client.request(m, t.url(&concrete)).send().await.unwrap();
        assert_ne!(
            r.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        if concrete == *path {
            assert_ne!(r.status(), StatusCode::NOT_FOUND, "{method} {path}");
        }
    }
}

#[tokio::test]
async fn request_shape_errors_are_problems_as_documented() {
    let t = TestApp::demo().await;
    let admin = t.login("admin").await;
    // A path parameter that does not parse: 400 problem+json.
    let r = t
        .call(Method::GET, "/api/v1/orgs/abc", Some(&admin), None)
        .await;
    assert_problem(r, StatusCode::BAD_REQUEST, "invalid_path").await;
    let r = t
        .call(
            Method::GET,
            "/api/v1/orgs/9223372036854775808",
            Some(&admin),
            None,
        )
        .await;
    assert_problem(r, StatusCode::BAD_REQUEST, "invalid_path").await;
    // A load that is not multipart: problem+json too.
    let r = t
        .call(Method::POST, "/api/v1/datasets/1/loads", Some(&admin), None)
        .await;
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(r.status().is_client_error(), "{}", r.status());
    assert_eq!(ct, "application/problem+json");
    // Limits the document states are enforced.
    for q in ["limit=0", "limit=201"] {
        let r = t
            .call(
                Method::GET,
                &format!("/api/v1/catalog/entries?{q}"),
                Some(&admin),
                None,
            )
            .await;
        assert_problem(r, StatusCode::BAD_REQUEST, "invalid_query").await;
    }
    let r = t
        .call(
            Method::GET,
            "/api/v1/datasets/1/rows?limit=1001",
            Some(&admin),
            None,
        )
        .await;
    assert_problem(r, StatusCode::BAD_REQUEST, "invalid_query").await;
    // The API's audit filter has no empty time.
    let r = t
        .call(Method::GET, "/api/v1/audit?until=", Some(&admin), None)
        .await;
    assert_problem(r, StatusCode::BAD_REQUEST, "invalid_query").await;
    // An integral number with a zero fraction is that integer (JSON Schema).
    let (_, me) = t.get("/api/v1/me", &admin).await;
    let parent = me["organisation"]["id"].as_i64().unwrap();
    let (status, org) = t
        .post(
            "/api/v1/orgs",
            &admin,
            serde_json::json!({"code": "float-org", "name": "浮点局", "kind": "agency", "parent_id": parent as f64}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{org}");
    assert_eq!(org["parent_id"], parent);
}
