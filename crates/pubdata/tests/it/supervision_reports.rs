//! Annual evaluation reports (年度考核评估报告, SUP-1, Art. 46) at the
//! contract's paths `GET /api/v1/supervision/reports/{year}.xlsx|.pdf`: the
//! caller's own level by default, a lower level by `level`; the PDF parses
//! and its extracted text (poppler's `pdftotext`) carries the Chinese
//! agency names and headings; open plan fulfilment among the opening
//! figures, with its drill-down.

use std::io::Write;
use std::process::{Command, Stdio};

use pubdata_domain::calendar::today_cst;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::common::*;

fn year() -> i32 {
    use chrono::Datelike;
    today_cst().year()
}

/// The text of a PDF, as `pdftotext` extracts it (fails if it does not parse).
fn pdf_text(pdf: &[u8]) -> String {
    let mut child = Command::new("pdftotext")
        .args(["-enc", "UTF-8", "-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pdftotext (poppler-utils) is installed");
    child.stdin.take().unwrap().write_all(pdf).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "pdftotext: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A download: status, content type and body.
async fn download(t: &TestApp, path: &str, token: &str) -> (StatusCode, String, Vec<u8>) {
    let r = t.call(Method::GET, path, Some(token), None).await;
    let status = r.status();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, ct, r.bytes().await.unwrap().to_vec())
}

async fn figures(t: &TestApp, token: &str, level: i64) -> Value {
    let y = year();
    let (status, f) = t
        .get(
            &format!(
                "/api/v1/supervision/figures?level_org_id={level}&from={y}-01-01&to={y}-12-31"
            ),
            token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{f}");
    f
}

#[tokio::test]
async fn the_annual_pdf_has_the_chinese_names_headings_and_figures() {
    let t = TestApp::demo().await;
    let reviewer = t.login("qy-sjj").await;
    let sjj = t.org_id("qy-sjj").await;
    let f = figures(&t, &reviewer, sjj).await;
    let y = year();
    let (status, ct, pdf) = download(
        &t,
        &format!("/api/v1/supervision/reports/{y}.pdf"),
        &reviewer,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&pdf));
    assert_eq!(ct, "application/pdf");
    assert!(pdf.starts_with(b"%PDF-"));
    // The font is embedded (a subset), not referenced.
    let raw = String::from_utf8_lossy(&pdf);
    assert!(
        raw.contains("/FontFile3") || raw.contains("/FontFile2"),
        "no embedded font"
    );
    let text = pdf_text(&pdf);
    let level_name = f["level_name"].as_str().unwrap();
    assert!(
        text.contains(&format!("{level_name}{y}年度公共数据管理工作考核评估报告")),
        "{text}"
    );
    for heading in [
        "考核层级",
        "生成时间",
        "各单位主要指标",
        "目录编制",
        "数据归集",
        "数据共享",
        "异议处理",
        "数据开放",
        "计划逾期未开放项",
        "按时答复率",
    ] {
        assert!(text.contains(heading), "{heading} missing: {text}");
    }
    // Every agency of the level is named (in the chart and the tables).
    let agencies = f["agencies"].as_array().unwrap();
    assert!(agencies.len() >= 3);
    for a in agencies {
        let name = a["org_name"].as_str().unwrap();
        assert!(name.chars().any(|c| c as u32 >= 0x4E00), "{name}");
        assert!(text.contains(name), "{name} missing: {text}");
    }
    assert!(text.contains("清远市民政局"), "{text}");
    assert!(text.contains(&format!("合计（{level_name}）")), "{text}");
}

#[tokio::test]
async fn the_annual_xlsx_and_a_lower_level_chosen_by_the_caller() {
    let t = TestApp::demo().await;
    let reviewer = t.login("qy-sjj").await;
    let county = t.org_id("yd-sjj").await;
    let y = year();
    let (status, ct, xlsx) = download(
        &t,
        &format!("/api/v1/supervision/reports/{y}.xlsx"),
        &reviewer,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        ct,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx)).unwrap();
    let sheet = wb.worksheet_range("考核指标").unwrap();
    let cells: Vec<String> = sheet.cells().map(|(_, _, v)| v.to_string()).collect();
    assert!(cells.iter().any(|c| c == "清远市民政局"), "{cells:?}");
    assert!(cells.iter().any(|c| c == "计划逾期未开放项"), "{cells:?}");
    // The city reviewer chooses the county level it supervises.
    let f = figures(&t, &reviewer, county).await;
    let (status, _, pdf) = download(
        &t,
        &format!("/api/v1/supervision/reports/{y}.pdf?level={county}"),
        &reviewer,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let text = pdf_text(&pdf);
    let level_name = f["level_name"].as_str().unwrap();
    assert!(text.contains(&format!("考核层级：{level_name}")), "{text}");
    assert!(!text.contains("清远市民政局"), "{text}");
    // One agency of the level by `org`; an agency outside it is a 422.
    let yd_mzj = t.org_id("yd-mzj").await;
    let mzj = t.org_id("qy-mzj").await;
    let (status, _, pdf) = download(
        &t,
        &format!("/api/v1/supervision/reports/{y}.pdf?level={county}&org={yd_mzj}"),
        &reviewer,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(pdf_text(&pdf).contains("英德市民政局"));
    let r = t
        .call(
            Method::GET,
            &format!("/api/v1/supervision/reports/{y}.xlsx?level={county}&org={mzj}"),
            Some(&reviewer),
            None,
        )
        .await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    // The county reviewer's own level is the county; the city is refused.
    let county_reviewer = t.login("yd-sjj").await;
    let (status, _, pdf) = download(
        &t,
        &format!("/api/v1/supervision/reports/{y}.pdf"),
        &county_reviewer,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(pdf_text(&pdf).contains(&format!("考核层级：{level_name}")));
    let city = t.org_id("qy").await;
    let r = t
        .call(
            Method::GET,
            &format!("/api/v1/supervision/reports/{y}.pdf?level={city}"),
            Some(&county_reviewer),
            None,
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    // A year out of range or a segment that is neither is a 422.
    for bad in ["1999.pdf", "-3.xlsx", "99999999999999999999.pdf", "abc.pdf"] {
        let r = t
            .call(
                Method::GET,
                &format!("/api/v1/supervision/reports/{bad}"),
                Some(&reviewer),
                None,
            )
            .await;
        assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    }
    // The level's report by period still answers, as a PDF too.
    let sjj = t.org_id("qy-sjj").await;
    let (status, ct, pdf) = download(
        &t,
        &format!("/api/v1/supervision/reports/{sjj}?period={y}Q4&format=pdf"),
        &reviewer,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ct, "application/pdf");
    assert!(pdf_text(&pdf).contains("第四季度"));
    // Without a session or token: 401.
    let r = t
        .call(
            Method::GET,
            &format!("/api/v1/supervision/reports/{y}.pdf"),
            None,
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn open_plan_fulfilment_counts_among_the_opening_figures_with_its_items() {
    let t = TestApp::full_demo().await;
    let reviewer = t.login("qy-sjj").await;
    let sjj = t.org_id("qy-sjj").await;
    let yd_mzj = t.org_id("yd-mzj").await;
    let f = figures(&t, &reviewer, sjj).await;
    let row = f["agencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["org_id"] == yd_mzj)
        .unwrap();
    let c = &row["counts"];
    // 英德市民政局's acknowledged plan: two uncatalogued items, neither open —
    // one due at the year's end (pending), one due 20 days ago (overdue).
    assert_eq!(c["plan_fulfilled"], 0, "{row}");
    assert_eq!(c["plan_late"], 0, "{row}");
    let pending = c["plan_pending"].as_i64().unwrap();
    let overdue = c["plan_overdue"].as_i64().unwrap();
    assert_eq!(pending + overdue, 2, "{row}");
    assert!(pending >= 1, "{row}");
    let y = year();
    let (status, items) = t
        .get(
            &format!(
                "/api/v1/supervision/figures/{yd_mzj}/plan_pending/items?from={y}-01-01&to={y}-12-31"
            ),
            &reviewer,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let items = items.as_array().unwrap();
    assert_eq!(items.len() as i64, pending);
    assert_eq!(items[0]["kind"], "open_plan_item");
    assert_eq!(items[0]["title"], "英德市社区服务设施分布");
    assert!(
        items[0]["link"].as_str().unwrap().starts_with("/plans/"),
        "{items:?}"
    );
    // The level's totals sum its agencies' plan items, and the city's
    // filed plans (市民政局, 市市场监管局) count as well.
    let sum = |k: &str| {
        f["agencies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["counts"][k].as_i64().unwrap())
            .sum::<i64>()
    };
    for k in [
        "plan_fulfilled",
        "plan_late",
        "plan_pending",
        "plan_overdue",
    ] {
        assert_eq!(f["totals"]["counts"][k].as_i64().unwrap(), sum(k), "{k}");
    }
    assert!(
        sum("plan_fulfilled") + sum("plan_late") + sum("plan_pending") + sum("plan_overdue") > 2
    );
    // A plan of another year counts for nothing in this year's figures.
    let (_, last) = t
        .get(
            &format!(
                "/api/v1/supervision/figures?level_org_id={sjj}&from={}-01-01&to={}-12-31",
                y - 1,
                y - 1
            ),
            &reviewer,
        )
        .await;
    assert_eq!(last["totals"]["counts"]["plan_pending"], 0);
    assert_eq!(last["totals"]["counts"]["plan_overdue"], 0);
}
