//! Supervision dashboard (监督考核看板, SUP-1): a level's agencies × figures
//! with charts, each number a link to the items behind it, and the
//! evaluation report page (考核评估报告, Art. 46).

use axum::extract::{Query, State};
use axum::response::Response;
use chrono::NaiveDate;
use minijinja::{Value, context};
use pubdata_service::Principal;
use pubdata_service::supervision::{AgencyFigures, FIGURES, LevelFigures, Report};
use serde::Deserialize;

use super::{PageCaller, PageResult, base};
use crate::AppState;
use crate::extract::Lang;

#[derive(Deserialize)]
pub struct DashboardQuery {
    level: Option<i64>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
}

/// The level a caller opens first: their own level, as the annual
/// reports' (`App::own_level`).
fn default_level(p: &Principal) -> Option<i64> {
    pubdata_service::App::own_level(p)
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |v| format!("{:.1}%", v * 100.0))
}

fn row(a: &AgencyFigures, q: &str) -> Value {
    context! {
        org_id => a.org_id,
        org => a.org_name.clone(),
        cells => FIGURES.iter().map(|f| context! {
            figure => f.as_str(),
            n => a.counts.get(f.as_str()).copied().unwrap_or(0),
            link => format!("/supervision/items?org={}&figure={}{q}", a.org_id, f.as_str()),
        }).collect::<Vec<_>>(),
        answer_rate => pct(a.share_answer_rate),
        implement_rate => pct(a.share_implement_rate),
        objection_rate => pct(a.objection_rate),
        answer_days => a.share_answer_days_mean.map_or_else(|| "—".into(), |v| format!("{v:.1}")),
        quality => pct(a.quality_mean),
    }
}

/// The figures' context shared by the dashboard and the report page.
fn figures_ctx(lang: Lang, f: &LevelFigures) -> Value {
    let q = format!("&from={}&to={}", f.from, f.to);
    let series = [
            ("share_answered", lang.pick("共享申请答复数", "Share requests answered")),
            ("share_answered_in_time", lang.pick("按时答复数", "Answered in time")),
            ("datasets_on_time", lang.pick("按时归集数据集", "Datasets on time")),
            ("datasets_stale", lang.pick("归集滞后数据集", "Datasets stale")),
            ("open_datasets", lang.pick("开放数据集", "Open datasets")),
    ]
    .iter()
    .map(|(k, label)| {
        serde_json::json!({
            "name": label,
            "data": f.agencies.iter().map(|a| a.counts.get(*k).copied().unwrap_or(0)).collect::<Vec<_>>(),
        })
    })
    .collect::<Vec<_>>();
    let data = serde_json::json!({
        "agencies": f.agencies.iter().map(|a| &a.org_name).collect::<Vec<_>>(),
        "series": series,
    });
    context! {
        level_org_id => f.level_org_id,
        level_name => f.level_name.clone(),
        from => f.from.to_string(),
        to => f.to.to_string(),
        heads => FIGURES.iter().map(|x| lang.pick(x.zh(), x.en())).collect::<Vec<_>>(),
        agencies => f.agencies.iter().map(|a| row(a, &q)).collect::<Vec<_>>(),
        totals => row(&f.totals, &q),
        sublevels => f.sublevels.iter().map(|l| context! { id => l.org_id, name => l.name.clone() }).collect::<Vec<_>>(),
        // In a JSON script element (not executed: the CSP allows no inline script).
        chart_data => data.to_string().replace('<', "\\u003c"),
    }
}

pub async fn dashboard(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Query(q): Query<DashboardQuery>,
) -> PageResult {
    let level = q.level.or_else(|| default_level(&p)).ok_or_else(|| {
        pubdata_service::ServiceError::Forbidden("you act for no organisation".into())
    })?;
    let f = s.app.supervision_figures(&p, level, q.from, q.to).await?;
    let ctx = context! {
        f => figures_ctx(lang, &f),
        ..base(&s, &p, lang, "/supervision").await
    };
    Ok(s.templates.render("supervision.html", ctx))
}

#[derive(Deserialize)]
pub struct ItemsQuery {
    org: i64,
    figure: String,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
}

/// The items behind one number of the dashboard.
pub async fn items(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Query(q): Query<ItemsQuery>,
) -> PageResult {
    let items = s
        .app
        .supervision_items(&p, q.org, &q.figure, q.from, q.to)
        .await?;
    let figure = pubdata_service::supervision::Figure::parse(&q.figure)
        .map(|f| lang.pick(f.zh(), f.en()))
        .unwrap_or_default();
    let ctx = context! {
        figure => figure,
        org_id => q.org,
        total => items.iter().map(|i| i.count).sum::<i64>(),
        items => items.iter().map(|i| context! {
            kind => i.kind, id => i.id, title => i.title.clone(), link => i.link.clone(),
            date => i.date.map(|d| d.to_string()), count => i.count, note => i.note.clone(),
        }).collect::<Vec<_>>(),
        ..base(&s, &p, lang, "/supervision").await
    };
    Ok(s.templates.render("supervision_items.html", ctx))
}

#[derive(Deserialize)]
pub struct ReportQuery {
    level: Option<i64>,
    period: Option<String>,
}

/// The evaluation report page (a quarter or a year).
pub async fn report_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Query(q): Query<ReportQuery>,
) -> PageResult {
    let level = q.level.or_else(|| default_level(&p)).ok_or_else(|| {
        pubdata_service::ServiceError::Forbidden("you act for no organisation".into())
    })?;
    let period = q.period.unwrap_or_else(|| {
        pubdata_domain::calendar::today_cst()
            .format("%Y")
            .to_string()
    });
    let r = s.app.supervision_report(&p, level, &period).await?;
    Ok(render_report(&s, &p, lang, &r).await)
}

/// The report as HTML (the page and the API's `format=html`).
pub async fn render_report(s: &AppState, p: &Principal, lang: Lang, r: &Report) -> Response {
    let ctx = context! {
        title => r.title.clone(),
        period => r.period.clone(),
        f => figures_ctx(lang, &r.figures),
        ..base(s, p, lang, "/supervision").await
    };
    s.templates.render("supervision_report.html", ctx)
}

/// The script that draws the dashboard's and the report's charts.
pub(crate) async fn charts_script() -> Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/supervision-charts.js"),
    )
        .into_response()
}
