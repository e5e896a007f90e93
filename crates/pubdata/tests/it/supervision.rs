//! Supervision and evaluation (SUP-1, Art. 46): figures computed from the
//! platform's own cases, exact on a known fixture; drill-down lists as many
//! items as the figure counts; who may see which level; the report as HTML
//! and XLSX.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::common::*;

/// Cases of 2026 Q1 whose figures are known: qy-mzj answered two share
/// requests (one in time, one late and refused), handled an objection in
/// time, let an update obligation and a review it asked for run overdue;
/// yd-mzj (a county agency) answered one request in time; a case of 2025
/// counts for nothing.
async fn fixture(t: &TestApp) -> (i64, i64, i64, i64) {
    let city = t.org_id("qy").await;
    let sjj = t.org_id("qy-sjj").await;
    let mzj = t.org_id("qy-mzj").await;
    let yd_mzj = t.org_id("yd-mzj").await;
    let yd_sjj = t.org_id("yd-sjj").await;
    let rows = [
        // kind, subject, requester, responder, state, opened, due, closed_at, outcome
        (
            "share_answer",
            "share_request:9001",
            sjj,
            mzj,
            "closed",
            "2026-01-05",
            "2026-01-07",
            Some("2026-01-06T02:00:00.000000Z"),
            Some("approved"),
        ),
        (
            "share_answer",
            "share_request:9002",
            sjj,
            mzj,
            "closed",
            "2026-01-05",
            "2026-01-07",
            Some("2026-01-08T02:00:00.000000Z"),
            Some("refused"),
        ),
        (
            "objection",
            "objection:9003",
            sjj,
            mzj,
            "closed",
            "2026-02-02",
            "2026-02-09",
            Some("2026-02-05T02:00:00.000000Z"),
            Some("corrected"),
        ),
        (
            "catalog_update",
            "catalog_entry:9004",
            sjj,
            mzj,
            "open",
            "2026-01-05",
            "2026-01-26",
            None,
            None,
        ),
        (
            "catalog_review",
            "catalog_entry:9005",
            mzj,
            sjj,
            "open",
            "2026-01-05",
            "2026-01-12",
            None,
            None,
        ),
        (
            "share_answer",
            "share_request:9006",
            sjj,
            yd_mzj,
            "closed",
            "2026-03-02",
            "2026-03-04",
            Some("2026-03-03T02:00:00.000000Z"),
            Some("approved"),
        ),
        (
            "share_answer",
            "share_request:9007",
            sjj,
            mzj,
            "closed",
            "2025-12-29",
            "2025-12-31",
            Some("2026-01-05T02:00:00.000000Z"),
            Some("approved"),
        ),
    ];
    let mut sql = String::new();
    for (kind, subject, req, resp, state, opened, due, closed, outcome) in rows {
        let q = |v: Option<&str>| v.map_or("NULL".to_string(), |v| format!("'{v}'"));
        sql.push_str(&format!(
            "INSERT INTO cases (kind, subject, requester_org, responder_org, state, opened_on, due_on, closed_at, outcome, basis)
             VALUES ('{kind}', '{subject}', {req}, {resp}, '{state}', '{opened}', '{due}', {}, {}, '');\n",
            q(closed),
            q(outcome)
        ));
    }
    t.sql(&sql).await;
    (city, sjj, mzj, yd_sjj)
}

fn row(f: &Value, org: i64) -> &Value {
    f["agencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["org_id"] == org)
        .unwrap_or_else(|| panic!("no row for {org}: {f}"))
}

/// A page as `user` sees it in the browser (session cookie).
async fn page(t: &TestApp, user: &str, path: &str) -> String {
    let c = crate::pages::sign_in(t, user).await;
    let r = c.get(t.url(path)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.text().await.unwrap()
}

const Q1: &str = "from=2026-01-01&to=2026-03-31";

#[tokio::test]
async fn figures_are_computed_exactly_from_the_cases() {
    let t = TestApp::demo().await;
    let (_, sjj, mzj, yd_sjj) = fixture(&t).await;
    let reviewer = t.login("qy-sjj").await;
    let (status, f) = t
        .get(
            &format!("/api/v1/supervision/figures?level_org_id={sjj}&{Q1}"),
            &reviewer,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{f}");
    let m = row(&f, mzj);
    let c = &m["counts"];
    assert_eq!(c["share_answered"], 2);
    assert_eq!(c["share_answered_in_time"], 1);
    assert_eq!(m["share_answer_rate"], 0.5, "one of two in time");
    assert_eq!(c["share_refused"], 1);
    assert_eq!(
        c["share_refused_with_basis"], 0,
        "the fixture's request cites nothing"
    );
    assert_eq!(c["objections_answered"], 1);
    assert_eq!(c["objections_in_time"], 1);
    assert_eq!(m["objection_rate"], 1.0);
    assert_eq!(c["updates_overdue"], 1);
    assert_eq!(c["reviews_overdue"], 1);
    // Working days 01-05 → 01-06 (1) and 01-05 → 01-08 (3).
    assert_eq!(m["share_answer_days_mean"], 2.0);
    // The city's level includes the counties: 3 answers in all, 2 in time.
    assert_eq!(
        f["totals"]["counts"]["share_answered"], 3,
        "{}",
        f["totals"]
    );
    assert_eq!(f["totals"]["counts"]["share_answered_in_time"], 2);
    // The contract's name for the same: the level's evaluation, or one
    // agency of it; an agency outside the level is refused.
    let (status, e) = t
        .get(
            &format!("/api/v1/supervision/evaluation?level={sjj}&{Q1}"),
            &reviewer,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{e}");
    assert_eq!(e["totals"], f["totals"]);
    let (status, one) = t
        .get(
            &format!("/api/v1/supervision/evaluation?level={sjj}&org={mzj}&{Q1}"),
            &reviewer,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{one}");
    assert_eq!(row(&one, mzj)["counts"]["share_answered"], 2);
    let r = t
        .call(
            reqwest::Method::GET,
            &format!("/api/v1/supervision/evaluation?level={yd_sjj}&org={mzj}&{Q1}"),
            Some(&t.login("yd-sjj").await),
            None,
        )
        .await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    assert!(f["sublevels"].as_array().unwrap().len() >= 8);
    // The county's level holds its own agency only.
    let yd = t.login("yd-sjj").await;
    let (status, fy) = t
        .get(
            &format!("/api/v1/supervision/figures?level_org_id={yd_sjj}&{Q1}"),
            &yd,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{fy}");
    assert_eq!(fy["totals"]["counts"]["share_answered"], 1);
    assert!(
        fy["agencies"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["org_id"] != mzj)
    );
    // A period without the cases counts none of them.
    let (_, f2) = t
        .get(
            &format!(
                "/api/v1/supervision/figures?level_org_id={sjj}&from=2026-04-01&to=2026-06-30"
            ),
            &reviewer,
        )
        .await;
    assert_eq!(row(&f2, mzj)["counts"]["share_answered"], 0);
}

#[tokio::test]
async fn every_figure_drills_down_to_as_many_items() {
    let t = TestApp::demo().await;
    let (_, sjj, mzj, _) = fixture(&t).await;
    let reviewer = t.login("qy-sjj").await;
    let (_, f) = t
        .get(
            &format!("/api/v1/supervision/figures?level_org_id={sjj}&{Q1}"),
            &reviewer,
        )
        .await;
    let counts = row(&f, mzj)["counts"].as_object().unwrap().clone();
    assert!(counts.len() >= 15);
    for (figure, n) in counts {
        let (status, items) = t
            .get(
                &format!("/api/v1/supervision/figures/{mzj}/{figure}/items?{Q1}"),
                &reviewer,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{figure}: {items}");
        let sum: i64 = items
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["count"].as_i64().unwrap())
            .sum();
        assert_eq!(Some(sum), n.as_i64(), "{figure}: {items}");
    }
    let (_, late) = t
        .get(
            &format!("/api/v1/supervision/figures/{mzj}/share_answered_in_time/items?{Q1}"),
            &reviewer,
        )
        .await;
    assert_eq!(late[0]["link"], "/sharing/requests/9001");
    // The page lists the same items with links.
    let page = page(
        &t,
        "qy-sjj",
        &format!("/supervision/items?org={mzj}&figure=share_answered&{Q1}"),
    )
    .await;
    assert!(page.contains("share_request:9002"), "{page}");
    // An unknown figure is a 422.
    let r = t
        .call(
            Method::GET,
            &format!("/api/v1/supervision/figures/{mzj}/nonsense/items"),
            Some(&reviewer),
            None,
        )
        .await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
}

#[tokio::test]
async fn each_sees_their_own_level_only() {
    let t = TestApp::demo().await;
    let (city, sjj, mzj, yd_sjj) = fixture(&t).await;
    // A county reviewer may not see the city's level.
    let yd = t.login("yd-sjj").await;
    for level in [sjj, city] {
        let r = t
            .call(
                Method::GET,
                &format!("/api/v1/supervision/figures?level_org_id={level}"),
                Some(&yd),
                None,
            )
            .await;
        assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    }
    // An agency sees its own figures, not the level's nor another agency's.
    let agency = t.login("qy-mzj").await;
    let r = t
        .call(
            Method::GET,
            &format!("/api/v1/supervision/figures?level_org_id={sjj}"),
            Some(&agency),
            None,
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    let (status, own) = t
        .get(
            &format!("/api/v1/supervision/figures?level_org_id={mzj}&{Q1}"),
            &agency,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{own}");
    assert_eq!(own["agencies"].as_array().unwrap().len(), 1);
    assert_eq!(own["agencies"][0]["counts"]["share_answered"], 2);
    let gaj = t.org_id("qy-gaj").await;
    let r = t
        .call(
            Method::GET,
            &format!("/api/v1/supervision/figures/{gaj}/share_answered/items"),
            Some(&agency),
            None,
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    // The auditor sees the city and the county below it.
    let auditor = t.login("auditor").await;
    for level in [sjj, yd_sjj] {
        let (status, body) = t
            .get(
                &format!("/api/v1/supervision/figures?level_org_id={level}"),
                &auditor,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    // A county reviewer's report of the city is refused too.
    let r = t
        .call(
            Method::GET,
            &format!("/api/v1/supervision/reports/{sjj}?period=2026"),
            Some(&yd),
            None,
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
}

#[tokio::test]
async fn the_evaluation_report_is_html_and_xlsx_with_the_figures() {
    use calamine::{Reader, Xlsx};
    let t = TestApp::demo().await;
    let (_, sjj, _, _) = fixture(&t).await;
    let reviewer = t.login("qy-sjj").await;
    for bad in ["2026Q5", "26", "2026-1", "Q1"] {
        let r = t
            .call(
                Method::GET,
                &format!("/api/v1/supervision/reports/{sjj}?period={bad}"),
                Some(&reviewer),
                None,
            )
            .await;
        assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    }
    let r = t
        .call(
            Method::GET,
            &format!("/api/v1/supervision/reports/{sjj}?period=2026Q1&format=html"),
            Some(&reviewer),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("清远市2026年第一季度公共数据管理工作考核评估报告"),
        "{html}"
    );
    assert!(html.contains("清远市民政局"));
    assert!(html.contains("chart-supervision"));
    let r = t
        .call(
            Method::GET,
            &format!("/api/v1/supervision/reports/{sjj}?period=2026Q1&format=xlsx"),
            Some(&reviewer),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let bytes = r.bytes().await.unwrap();
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let sheet = wb.worksheet_range("考核指标").unwrap();
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(
        rows[0][0],
        "清远市2026年第一季度公共数据管理工作考核评估报告"
    );
    let header = &rows[3];
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{name}: {header:?}"))
    };
    let mzj = rows
        .iter()
        .find(|r| r[0] == "清远市民政局")
        .expect("the agency's row");
    assert_eq!(mzj[col("共享申请答复数")], "2");
    assert_eq!(mzj[col("按时答复数")], "1");
    assert_eq!(mzj[col("按时答复率")], "50.0%");
    let total = rows.last().unwrap();
    assert_eq!(total[col("共享申请答复数")], "3");
    // The annual report of the same level counts the same cases (all in 2026).
    let (status, _) = t
        .get(
            &format!(
                "/api/v1/supervision/figures?level_org_id={sjj}&from=2026-01-01&to=2026-12-31"
            ),
            &reviewer,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn the_dashboard_shows_the_table_and_the_chart() {
    let t = TestApp::demo().await;
    let (_, _, mzj, _) = fixture(&t).await;
    let page = page(&t, "qy-sjj", &format!("/supervision?{Q1}")).await;
    assert!(page.contains("监督考核看板"), "{page}");
    assert!(page.contains("chart-supervision"));
    assert!(page.contains("/static/supervision-charts.js"));
    assert!(page.contains(&format!("data-org=\"{mzj}\"")), "{page}");
    assert!(page.contains("data-figure=\"share_answered\""), "{page}");
}
