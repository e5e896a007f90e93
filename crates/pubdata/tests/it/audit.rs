use reqwest::StatusCode;

use crate::common::*;

#[tokio::test]
async fn an_auditor_pages_through_the_log_with_filters_and_a_cursor() {
    let t = TestApp::demo().await;
    for user in ["qy-gaj", "qy-mzj", "qy-rsj"] {
        t.login(user).await;
    }
    let auditor = t.login("auditor").await;
    let (status, page1) = t
        .get("/api/v1/audit?action=auth.login&limit=2", &auditor)
        .await;
    assert_eq!(status, StatusCode::OK);
    let items = page1["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["actor"], "auditor", "newest first");
    assert_eq!(items[1]["actor"], "qy-rsj");
    assert_eq!(items[0]["action"], "auth.login");
    assert_eq!(items[0]["outcome"], "success");
    assert_eq!(items[0]["client_ip"], "127.0.0.1");
    let cursor = page1["next_cursor"].as_str().unwrap();
    let (_, page2) = t
        .get(
            &format!("/api/v1/audit?action=auth.login&limit=2&cursor={cursor}"),
            &auditor,
        )
        .await;
    let names: Vec<&str> = page2["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["actor"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["qy-mzj", "qy-gaj"]);
    assert!(page2["next_cursor"].is_null(), "the last page says so");

    let (_, by_actor) = t.get("/api/v1/audit?actor=qy-mzj", &auditor).await;
    assert!(
        by_actor["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["actor"] == "qy-mzj")
    );
    // Every demo account and organisation created is in the log.
    let (_, users) = t
        .get("/api/v1/audit?action=user.create&limit=500", &auditor)
        .await;
    assert_eq!(users["items"].as_array().unwrap().len(), 11);
}

#[tokio::test]
async fn each_record_links_to_the_one_before() {
    let t = TestApp::demo().await;
    t.login("qy-gaj").await;
    let batch = t.store.audit_batch(0, 1000).await.unwrap();
    assert!(batch.len() > 60);
    for w in batch.windows(2) {
        assert_eq!(w[1].prev_hash, w[0].hash);
        assert_eq!(w[1].id, w[0].id + 1);
    }
    assert_eq!(
        pubdata_service::audit::verify_chain(t.store.as_ref())
            .await
            .unwrap(),
        batch.len() as u64
    );
}
