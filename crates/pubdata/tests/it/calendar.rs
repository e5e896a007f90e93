use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::*;

async fn add(t: &TestApp, from: &str, days: u32) -> (StatusCode, serde_json::Value) {
    json_of(
        t.call(
            Method::GET,
            &format!("/api/v1/calendar/add-working-days?from={from}&days={days}"),
            None,
            None,
        )
        .await,
    )
    .await
}

#[tokio::test]
async fn add_working_days_is_public_and_right_around_spring_festival_and_national_day_2026() {
    let t = TestApp::empty().await;
    for (from, days, due) in [
        ("2026-02-13", 1, "2026-02-14"), // adjusted working Saturday
        ("2026-02-14", 1, "2026-02-24"), // 春节 2026-02-15..23
        ("2026-02-12", 5, "2026-02-26"),
        ("2026-09-30", 1, "2026-10-08"), // 国庆 2026-10-01..07
        ("2026-09-30", 5, "2026-10-13"), // 10-10 (Sat) works
        ("2026-09-24", 1, "2026-09-28"), // 中秋 09-25..27
    ] {
        let (status, body) = add(&t, from, days).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["date"], due, "{from} + {days}");
    }
}

#[tokio::test]
async fn reaching_past_the_known_years_is_calendar_unknown_year_until_an_admin_adds_the_year() {
    let t = TestApp::demo().await;
    // The demo's placeholder years go: the platform as shipped.
    t.sql("DELETE FROM calendar_years WHERE year > 2026").await;
    t.app.reload_calendar().await.unwrap();
    let (status, body) = add(&t, "2026-12-28", 5).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("calendar_unknown_year")
        )
    );

    let admin = t.login("admin").await;
    let bad = t
        .call(
            Method::PUT,
            "/api/v1/calendar/years/2027",
            Some(&admin),
            Some(json!({"source": "测试", "work": ["2027-03-03"]})),
        )
        .await;
    assert_problem(bad, StatusCode::UNPROCESSABLE_ENTITY, "invalid_schedule").await;

    let r = t
        .call(Method::PUT, "/api/v1/calendar/years/2027", Some(&admin), Some(json!({
            "source": "测试用安排", "off": ["2027-01-01", "2027-02-06..2027-02-13"], "work": ["2027-02-14"]
        })))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let (status, body) = add(&t, "2026-12-28", 5).await;
    assert_eq!(status, StatusCode::OK);
    // 12-29, 12-30, 12-31, (01-01 off), 01-04, 01-05.
    assert_eq!(body["date"], "2027-01-05");
    let (status, body) = add(&t, "2027-02-05", 1).await;
    assert_eq!(
        (status, body["date"].as_str()),
        (StatusCode::OK, Some("2027-02-14"))
    );

    let (_, years) = json_of(
        t.call(Method::GET, "/api/v1/calendar/years", None, None)
            .await,
    )
    .await;
    assert_eq!(years["items"].as_array().unwrap().len(), 4);
    let audit = t
        .store
        .list_audit(&pubdata_store::AuditFilter {
            action: Some("calendar.put_year".into()),
            limit: 5,
            ..Default::default()
        })
        .await
        .unwrap();
    let by_admin: Vec<_> = audit
        .iter()
        .filter(|a| a.event.detail["source"] == "测试用安排")
        .collect();
    assert_eq!(by_admin.len(), 1);
    assert_eq!(by_admin[0].event.target, "calendar:2027");
    assert_eq!(by_admin[0].event.actor, "admin");
}

#[tokio::test]
async fn the_demo_counts_into_next_year_on_a_placeholder_that_says_it_is_not_official() {
    let t = TestApp::demo().await;
    let next = chrono::Datelike::year(&pubdata_domain::calendar::today_cst()) + 1;
    let (_, years) = json_of(
        t.call(Method::GET, "/api/v1/calendar/years", None, None)
            .await,
    )
    .await;
    let items = years["items"].as_array().unwrap();
    let placeholder = items
        .iter()
        .find(|y| y["year"] == next)
        .unwrap_or_else(|| panic!("next year {next} known in the demo: {years}"));
    let source = placeholder["source"].as_str().unwrap();
    assert!(source.contains("非国务院办公厅公布的安排"), "{source}");
    // The shipped years keep their official notices.
    let y2026 = items.iter().find(|y| y["year"] == 2026).unwrap();
    assert!(!y2026["source"].as_str().unwrap().contains("占位"));
    // A 20-working-day limit opened on the last day of this year resolves.
    let (status, body) = add(&t, &format!("{}-12-31", next - 1), 20).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Seeding again adds nothing.
    assert!(t.app.seed_demo_calendar().await.unwrap().is_empty());
}

#[tokio::test]
async fn bad_dates_and_day_counts_are_400_naming_the_parameter() {
    let t = TestApp::empty().await;
    for (q, code, field) in [
        ("from=2026-02-30&days=1", "invalid_date", "from"),
        ("from=yesterday&days=1", "invalid_date", "from"),
        ("from=2026-01-05&days=-3", "invalid_days", "days"),
        ("from=2026-01-05&days=many", "invalid_days", "days"),
    ] {
        let r = t
            .call(
                Method::GET,
                &format!("/api/v1/calendar/add-working-days?{q}"),
                None,
                None,
            )
            .await;
        let body = assert_problem(r, StatusCode::BAD_REQUEST, code).await;
        assert_eq!(body["errors"][0]["field"], field);
    }
    let r = t
        .call(
            Method::GET,
            "/api/v1/calendar/add-working-days?from=2026-01-05&days=0",
            None,
            None,
        )
        .await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    let r = t
        .call(
            Method::GET,
            "/api/v1/calendar/add-working-days?from=2026-01-05",
            None,
            None,
        )
        .await;
    assert_problem(r, StatusCode::BAD_REQUEST, "invalid_query").await;
}
