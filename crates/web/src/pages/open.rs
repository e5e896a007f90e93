//! The public portal (开放平台, OPN-3) under `/open`: no account needed.
//! Search and browse open datasets, a dataset's page with its metadata,
//! the first rows, downloads and its open data API with a copyable example.
//! Every read goes through the one door like the API's.

use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use minijinja::{Value, context};
use pubdata_service::Principal;
use pubdata_service::open::OpenDataset;
use serde::Deserialize;

use super::{PageResult, local_time};
use crate::AppState;
use crate::extract::{Lang, client_ip, request_token};

/// A portal visitor: signed in (a valid session or token), else anonymous.
/// A stale session on a public page is no error: the visitor is anonymous.
pub struct Visitor(pub Principal, pub bool);

impl FromRequestParts<AppState> for Visitor {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut Parts,
        s: &AppState,
    ) -> Result<Self, std::convert::Infallible> {
        let ip = client_ip(parts);
        let signed_in = match request_token(&parts.headers) {
            Some((token, _)) => s.app.authenticate(&token, ip.clone()).await.ok(),
            None => None,
        };
        let known = signed_in.is_some();
        Ok(Visitor(
            s.app.public_principal(signed_in, ip.as_deref()),
            known,
        ))
    }
}

/// Results per page of the portal's list.
const PER_PAGE: u32 = 20;

#[derive(Deserialize)]
pub struct PortalQuery {
    #[serde(default)]
    q: String,
    org: Option<i64>,
    page: Option<i64>,
}

fn frequency(lang: Lang, f: &str) -> String {
    f.parse::<pubdata_domain::catalog::Frequency>()
        .map(|f| lang.pick(f.zh(), f.en()).to_string())
        .unwrap_or_else(|_| f.to_string())
}

fn card(lang: Lang, d: &OpenDataset) -> Value {
    context! {
        id => d.id,
        title => d.title.clone(),
        name => d.name.clone(),
        summary => d.summary.clone(),
        org => d.org_name.clone(),
        org_id => d.org_id,
        keywords => d.keywords.clone(),
        rows => d.row_count,
        frequency => frequency(lang, &d.update_frequency),
        updated => d.updated_at.as_ref().map(local_time),
        conditional => d.open_attribute == "conditional",
    }
}

fn items(lang: Lang, d: &OpenDataset) -> Vec<Value> {
    d.items
        .iter()
        .map(|i| context! {
            name => i.name.clone(),
            type => i.data_type.parse::<pubdata_domain::catalog::DataType>()
                .map(|t| lang.pick(t.zh(), t.en()).to_string()).unwrap_or_else(|_| i.data_type.clone()),
            description => i.description.clone(),
        })
        .collect()
}

pub(crate) fn public_base(lang: Lang, path: &str, signed_in: bool) -> Value {
    context! { lang => lang.code(), path => path, signed_in => signed_in }
}

/// The portal's front: search and the list of open datasets.
pub async fn portal(
    State(s): State<AppState>,
    Visitor(p, signed_in): Visitor,
    lang: Lang,
    Query(q): Query<PortalQuery>,
) -> PageResult {
    s.app.take_open_rate(&p, 1.0)?;
    let page = q.page.unwrap_or(1).clamp(1, 10_000);
    let term: String = q.q.trim().chars().take(100).collect();
    let list = s
        .app
        .open_datasets(
            Some(term.as_str()).filter(|t| !t.is_empty()),
            q.org.filter(|o| *o > 0),
            true,
            PER_PAGE,
            (page - 1) * i64::from(PER_PAGE),
        )
        .await?;
    let pages = (list.total + i64::from(PER_PAGE) - 1) / i64::from(PER_PAGE);
    let ctx = context! {
        q => term,
        org => q.org,
        items => list.items.iter().map(|d| card(lang, d)).collect::<Vec<_>>(),
        total => list.total,
        page => page,
        pages => pages,
        ..public_base(lang, "/open", signed_in)
    };
    Ok(s.templates.render("open.html", ctx))
}

/// One open dataset: metadata, the first rows, downloads and the API.
pub async fn dataset(
    State(s): State<AppState>,
    Visitor(p, signed_in): Visitor,
    lang: Lang,
    Path(id): Path<i64>,
) -> PageResult {
    let d = match s.app.open_dataset(id).await {
        Ok(d) => d,
        // A conditionally open dataset: its metadata and how to apply, no rows.
        Err(pubdata_service::ServiceError::NotFound { .. }) => {
            s.app.take_open_rate(&p, 1.0)?;
            let d = s.app.conditional_dataset(id).await?;
            let ctx = context! {
                d => card(lang, &d),
                code => d.entry_code.clone(),
                version => d.version,
                conditional => true,
                conditions => d.open_conditions.clone(),
                items => items(lang, &d),
                ..public_base(lang, &format!("/open/datasets/{id}"), signed_in)
            };
            return Ok(s.templates.render("open_dataset.html", ctx));
        }
        Err(e) => return Err(e.into()),
    };
    let preview = s.app.open_rows(&p, id, None, 10).await?;
    let ctx = context! {
        d => card(lang, &d),
        code => d.entry_code.clone(),
        version => d.version,
        items => items(lang, &d),
        columns => preview.columns.clone(),
        rows => preview.rows.iter().map(|(_, v)| v.iter().map(|c| c.clone().unwrap_or_default()).collect::<Vec<_>>()).collect::<Vec<_>>(),
        api => format!("/api/v1/open/datasets/{id}/rows?limit=100"),
        ..public_base(lang, &format!("/open/datasets/{id}"), signed_in)
    };
    Ok(s.templates.render("open_dataset.html", ctx))
}

/// The portal's small script (the API example's address and copy button).
/// What each agency has opened and how it is used: two charts (Apache
/// ECharts, served from the binary) over the figures, which are also a
/// table (readable without script, and on a phone).
pub async fn stats_page(
    State(s): State<AppState>,
    Visitor(p, signed_in): Visitor,
    lang: Lang,
) -> PageResult {
    s.app.take_open_rate(&p, 1.0)?;
    let stats = s.app.open_stats().await?;
    let data = serde_json::json!({
        "agencies": stats.agencies.iter().map(|a| &a.org_name).collect::<Vec<_>>(),
        "datasets": stats.agencies.iter().map(|a| a.datasets).collect::<Vec<_>>(),
        "reads": stats.agencies.iter().map(|a| a.reads).collect::<Vec<_>>(),
        "labels": {
            "datasets": lang.pick("开放数据集", "Open datasets"),
            "reads": lang.pick("近30天访问量", "Reads, last 30 days"),
        },
    });
    let ctx = context! {
        stats => stats.agencies.iter().map(|a| context! {
            org_id => a.org_id, org => a.org_name.clone(), datasets => a.datasets, rows => a.rows, reads => a.reads,
        }).collect::<Vec<_>>(),
        total_datasets => stats.datasets,
        total_reads => stats.reads,
        usage_days => stats.usage_days,
        // In a JSON script element (not executed: the CSP allows no inline script).
        chart_data => data.to_string().replace('<', "\\u003c"),
        ..public_base(lang, "/open/stats", signed_in)
    };
    Ok(s.templates.render("open_stats.html", ctx))
}

/// The script that draws the portal's charts.
pub(crate) async fn charts_script() -> axum::response::Response {
    static_js(include_str!("../../static/open-charts.js"), 3600)
}

/// Apache ECharts (npm `echarts`, vendored: static/vendor/README.md).
pub(crate) async fn echarts() -> axum::response::Response {
    static_js(include_str!("../../static/vendor/echarts.min.js"), 86_400)
}

fn static_js(body: &'static str, max_age: u32) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    (
        [
            (
                header::CONTENT_TYPE,
                "text/javascript; charset=utf-8".to_string(),
            ),
            (header::CACHE_CONTROL, format!("public, max-age={max_age}")),
        ],
        body,
    )
        .into_response()
}

pub(crate) async fn script() -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/open.js"),
    )
        .into_response()
}
