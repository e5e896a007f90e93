//! Case reminders (到期提醒, CAL-2): a case due by the next working day and
//! an overdue case each remind the answering organisation once, in its
//! inbox and by its webhook (HMAC-signed, retried, recorded); on the API
//! and on the inbox page.

use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode as AxumStatus};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::*;
use crate::pages::{hidden, sign_in};
use pubdata_service::jobs::Job;
use pubdata_service::reminders::signature;

type Received = Arc<Mutex<Vec<(HeaderMap, Vec<u8>)>>>;

/// A webhook receiver on loopback: records each request and answers 503
/// to the first, 200 after. Its URL.
async fn receiver(got: Received) -> String {
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let got = got.clone();
            async move {
                let mut g = got.lock().unwrap();
                g.push((headers, body.to_vec()));
                if g.len() == 1 {
                    AxumStatus::SERVICE_UNAVAILABLE
                } else {
                    AxumStatus::OK
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/hook")
}

/// 市民政局 asks for the population data: a case 市公安局 must answer. Its id.
async fn answer_case(t: &TestApp) -> i64 {
    let (entry, _, _) = crate::sharing::shared_population(t).await;
    let mzj = t.login("qy-mzj").await;
    let (status, r) = t
        .post(
            "/api/v1/share-requests",
            &mzj,
            json!({
                "entry_id": entry,
                "scenario": "最低生活保障资格审核",
                "using_unit": "清远市民政局社会救助科",
                "fields": ["姓名"],
                "mode": "api",
                "until": "2027-12-31",
                "purpose": "核对低保申请人身份信息"
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let subject = format!("share_request:{}", r["id"]);
    let (_, pending) = t
        .get("/api/v1/cases/pending", &t.login("qy-gaj").await)
        .await;
    pending
        .as_array()
        .or_else(|| pending["items"].as_array())
        .unwrap_or_else(|| panic!("{pending}"))
        .iter()
        .find(|c| c["subject"] == subject.as_str())
        .and_then(|c| c["id"].as_i64())
        .unwrap_or_else(|| panic!("no case {subject} in {pending}"))
}

fn today() -> String {
    pubdata_domain::calendar::today_cst().to_string()
}

#[tokio::test]
async fn cases_remind_once_when_due_soon_and_once_when_overdue_by_inbox_and_signed_webhook() {
    let t = TestApp::demo().await;
    let gaj = t.login("qy-gaj").await;
    let mzj = t.login("qy-mzj").await;
    let org = t.org_id("qy-gaj").await;
    let got: Received = Arc::default();
    let url = receiver(got.clone()).await;

    // Bad webhooks: not http, a short secret, no secret at first; another
    // organisation's webhook is not the caller's to see.
    for (body, field) in [
        (
            json!({"url": "https://example.org/x", "secret": "0123456789abcdef"}),
            "url",
        ),
        (json!({"url": url, "secret": "short"}), "secret"),
        (json!({"url": url}), "secret"),
    ] {
        let r = t
            .call(
                reqwest::Method::PUT,
                &format!("/api/v1/orgs/{org}/webhook"),
                Some(&gaj),
                Some(body),
            )
            .await;
        let p = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
        assert_eq!(p["errors"][0]["field"], field, "{p}");
    }
    let r = t
        .call(
            reqwest::Method::GET,
            &format!("/api/v1/orgs/{org}/webhook"),
            Some(&mzj),
            None,
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    let secret = "webhook-secret-of-qy-gaj";
    let r = t
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/orgs/{org}/webhook"),
            Some(&gaj),
            Some(json!({"url": url, "secret": secret})),
        )
        .await;
    let (status, hook) = json_of(r).await;
    assert_eq!(status, StatusCode::OK, "{hook}");
    assert!(hook.get("secret").is_none(), "the secret is never shown");

    let case = answer_case(&t).await;
    // Not due yet (two working days): no reminder.
    t.app.run_job(Job::Reminders).await.unwrap();
    let (_, inbox) = t.get("/api/v1/inbox", &gaj).await;
    assert!(
        !inbox
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["case_id"] == case),
        "{inbox}"
    );

    // Due today: one due-soon reminder, in the inbox and to the webhook.
    t.sql(&format!(
        "UPDATE cases SET due_on = '{}' WHERE id = {case}",
        today()
    ))
    .await;
    let run = t.app.run_reminders().await.unwrap();
    assert!(run.due_soon >= 1, "{run:?}");
    assert_eq!(run.failed_attempts, 1, "the receiver answered 503 first");
    let (_, inbox) = t.get("/api/v1/inbox", &gaj).await;
    let mine: Vec<&Value> = inbox
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["case_id"] == case)
        .collect();
    assert_eq!(mine.len(), 1, "{inbox}");
    assert_eq!(mine[0]["kind"], "due_soon");
    assert_eq!(mine[0]["case"]["id"], case);
    assert!(mine[0]["case"]["deadline"].is_object());
    // The requester is not reminded (it does not answer).
    let (_, theirs) = t.get("/api/v1/inbox", &mzj).await;
    assert!(
        !theirs
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["case_id"] == case)
    );

    // The failed attempt is recorded with its retry; once due, it is delivered.
    let (_, ds) = t
        .get(&format!("/api/v1/orgs/{org}/webhook/deliveries"), &gaj)
        .await;
    let d = ds
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["notification_id"] == mine[0]["id"])
        .unwrap()
        .clone();
    assert_eq!(d["state"], "pending");
    assert_eq!(d["attempts"], 1);
    assert_eq!(d["last_status"], 503);
    assert!(d["next_at"].is_string());
    let again = t.app.run_reminders().await.unwrap();
    assert_eq!(again.delivered, 0, "not before its next attempt: {again:?}");
    t.sql("UPDATE webhook_deliveries SET next_at = '2000-01-01T00:00:00Z'")
        .await;
    let again = t.app.run_reminders().await.unwrap();
    assert!(again.delivered >= 1, "{again:?}");
    assert_eq!(again.due_soon, 0, "once per case");
    {
        let g = got.lock().unwrap();
        let (headers, body) = g.last().unwrap();
        let ts: i64 = headers["x-pubdata-timestamp"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(
            headers["x-pubdata-signature"].to_str().unwrap(),
            signature(secret, ts, body),
            "signed with the organisation's secret"
        );
        assert_eq!(headers["x-pubdata-event"], "case.reminder");
        let v: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(v["case"]["id"], case);
        assert_eq!(v["notification"]["kind"], "due_soon");
    }

    // Overdue: a second reminder, once.
    t.sql(&format!(
        "UPDATE cases SET due_on = '2026-01-05' WHERE id = {case}"
    ))
    .await;
    t.app.run_job(Job::Reminders).await.unwrap();
    let run = t.app.run_reminders().await.unwrap();
    assert_eq!(run.overdue, 0, "already reminded: {run:?}");
    let (_, inbox) = t.get("/api/v1/inbox?unread=true", &gaj).await;
    let kinds: Vec<&Value> = inbox
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["case_id"] == case)
        .map(|i| &i["kind"])
        .collect();
    assert_eq!(kinds, vec![&json!("overdue"), &json!("due_soon")]);

    // Read: gone from the unread list; another organisation cannot mark it.
    let id = mine[0]["id"].as_i64().unwrap();
    let r = t
        .call(
            reqwest::Method::POST,
            &format!("/api/v1/inbox/{id}/read"),
            Some(&mzj),
            None,
        )
        .await;
    assert_problem(r, StatusCode::NOT_FOUND, "not_found").await;
    let (status, n) = t
        .post(&format!("/api/v1/inbox/{id}/read"), &gaj, json!(null))
        .await;
    assert_eq!(status, StatusCode::OK, "{n}");
    assert_eq!(n["read_by"], "qy-gaj");
    let (_, unread) = t.get("/api/v1/inbox?unread=true", &gaj).await;
    assert!(!unread.as_array().unwrap().iter().any(|i| i["id"] == id));
}

#[tokio::test]
async fn on_the_inbox_page_an_agency_sees_its_reminders_marks_them_read_and_sets_its_webhook() {
    let t = TestApp::demo().await;
    let case = answer_case(&t).await;
    t.sql(&format!(
        "UPDATE cases SET due_on = '2026-01-05' WHERE id = {case}"
    ))
    .await;
    t.app.run_job(Job::Reminders).await.unwrap();
    let c = sign_in(&t, "qy-gaj").await;
    let html = c
        .get(t.url("/inbox"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"inbox-list\""), "{html}");
    assert!(html.contains("已逾期"), "the overdue reminder is shown");
    assert!(html.contains("/inbox/") && html.contains("/read\""));
    assert!(
        html.contains("id=\"webhook-form\""),
        "admins set the webhook"
    );
    let csrf = hidden(&html, "csrf");
    // Mark the first reminder read.
    let start = html.find("action=\"/inbox/").unwrap() + "action=\"/inbox/".len();
    let id: i64 = html[start..start + html[start..].find('/').unwrap()]
        .parse()
        .unwrap();
    let r = c
        .post(t.url(&format!("/inbox/{id}/read")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = c
        .get(t.url("/inbox"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("已读"), "marked read");
    // A bad webhook is refused on the page; a good one is saved.
    let r = c
        .post(t.url("/inbox/webhook"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("url", "ftp://x"),
            ("secret", "0123456789abcdef"),
            ("active", "on"),
        ])
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"error\""), "{html}");
    let r = c
        .post(t.url("/inbox/webhook"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("url", "http://127.0.0.1:9/hook"),
            ("secret", "0123456789abcdef"),
            ("active", "on"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = c
        .get(t.url("/inbox"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"webhook-current\""), "{html}");
    assert!(html.contains("127.0.0.1:9"));
    // Staff without the admin role see reminders but not the webhook form.
    let c = sign_in(&t, "qy-sjj").await;
    let html = c
        .get(t.url("/inbox"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"inbox-list\"") && !html.contains("id=\"webhook-form\""));
}
