//! Supervision and evaluation (监督考核, SUP-1, Art. 46): a level's figures
//! per agency, the items behind each figure, and the evaluation report.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use pubdata_service::supervision::{FigureItem, LevelFigures, Report};
use serde::Deserialize;

use crate::AppState;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiPath, ApiQuery, Caller, Lang};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FiguresQuery {
    /// The level (an authority or its region) or one agency.
    pub level_org_id: i64,
    /// First day of the period (China date); default 1 January this year.
    pub from: Option<NaiveDate>,
    /// Last day of the period; default today.
    pub to: Option<NaiveDate>,
}

/// A level's figures: one row per agency within it (the city includes the
/// counties) and the level's totals, computed from the platform's records.
#[utoipa::path(get, path = "/api/v1/supervision/figures", tag = "supervision",
    security(("bearer" = []), ("session" = [])), params(FiguresQuery),
    responses((status = 200, body = LevelFigures), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn figures(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<FiguresQuery>,
) -> ApiResult<Json<LevelFigures>> {
    Ok(Json(
        s.app
            .supervision_figures(&p, q.level_org_id, q.from, q.to)
            .await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EvaluationQuery {
    /// The level: an authority (its region, the city including its counties).
    pub level: i64,
    /// One agency within the level instead of all of them.
    pub org: Option<i64>,
    /// First day of the period (China date); default 1 January this year.
    pub from: Option<NaiveDate>,
    /// Last day of the period; default today.
    pub to: Option<NaiveDate>,
}

/// The evaluation (考核评估, Art. 46) of a level — or of one agency of it —
/// for a period: the same figures as `/api/v1/supervision/figures`, named
/// as the contract names them.
#[utoipa::path(get, path = "/api/v1/supervision/evaluation", tag = "supervision",
    security(("bearer" = []), ("session" = [])), params(EvaluationQuery),
    responses((status = 200, body = LevelFigures), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn evaluation(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<EvaluationQuery>,
) -> ApiResult<Json<LevelFigures>> {
    if let Some(org) = q.org {
        // The agency must lie within the level the caller names.
        let level = s.app.supervision_figures(&p, q.level, q.from, q.to).await?;
        if !level.agencies.iter().any(|a| a.org_id == org) {
            return Err(ApiError::from(pubdata_service::ServiceError::invalid(
                "org",
                "not an agency of the level",
            )));
        }
    }
    Ok(Json(
        s.app
            .supervision_figures(&p, q.org.unwrap_or(q.level), q.from, q.to)
            .await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ItemsQuery {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// The cases, entries or datasets behind one figure of an agency (or of a
/// whole level): as many items (their `count` summed) as the figure says.
#[utoipa::path(get, path = "/api/v1/supervision/figures/{org_id}/{figure}/items", tag = "supervision",
    security(("bearer" = []), ("session" = [])),
    params(("org_id" = i64, Path), ("figure" = String, Path, description = "e.g. share_answered_in_time"), ItemsQuery),
    responses((status = 200, body = Vec<FigureItem>), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn items(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath((org_id, figure)): ApiPath<(i64, String)>,
    ApiQuery(q): ApiQuery<ItemsQuery>,
) -> ApiResult<Json<Vec<FigureItem>>> {
    Ok(Json(
        s.app
            .supervision_items(&p, org_id, &figure, q.from, q.to)
            .await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// A year (`2026`) or a quarter (`2026Q3`).
    pub period: String,
    /// `html` (default), `xlsx` or `pdf`.
    pub format: Option<String>,
}

/// Every query parameter of the paths `/api/v1/supervision/reports/{…}`
/// serves (one axum route: a level's report by period, or the caller's
/// annual report as `{year}.xlsx` / `{year}.pdf`).
#[derive(Deserialize)]
pub struct ReportsQuery {
    period: Option<String>,
    format: Option<String>,
    level: Option<i64>,
    org: Option<i64>,
}

/// A report's format.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Html,
    Xlsx,
    Pdf,
}

/// The report as a download (XLSX or PDF) or an HTML page.
async fn answer(
    s: &AppState,
    p: &pubdata_service::Principal,
    lang: Lang,
    r: &Report,
    format: Format,
) -> ApiResult<Response> {
    let (bytes, content_type, ext) = match format {
        Format::Html => return Ok(crate::pages::supervision::render_report(s, p, lang, r).await),
        Format::Xlsx => (
            r.to_xlsx()?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        Format::Pdf => (r.to_pdf(chrono::Utc::now())?, "application/pdf", "pdf"),
    };
    let name = format!(
        "attachment; filename=\"evaluation-{}-{}.{ext}\"",
        r.figures.level_org_id, r.period
    );
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, name),
        ],
        bytes,
    )
        .into_response())
}

/// The evaluation report (考核评估报告, Art. 46) of a level for a quarter
/// or a year: an HTML page with charts, an XLSX workbook or a PDF.
///
/// This route also serves `{year}.xlsx` and `{year}.pdf` (the router cannot
/// match a parameter with a suffix): a last segment that is a year with
/// that suffix is the caller's annual report ([`report_xlsx`], [`report_pdf`]).
#[utoipa::path(get, path = "/api/v1/supervision/reports/{level_org_id}", tag = "supervision",
    security(("bearer" = []), ("session" = [])),
    params(("level_org_id" = i64, Path), ReportQuery),
    responses(
        (status = 200, content_type = "text/html", body = String),
        (status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        (status = 200, content_type = "application/pdf", body = Vec<u8>),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn report(
    State(s): State<AppState>,
    Caller(p): Caller,
    lang: Lang,
    ApiPath(segment): ApiPath<String>,
    ApiQuery(q): ApiQuery<ReportsQuery>,
) -> ApiResult<Response> {
    let annual = |ext: &str| {
        segment
            .strip_suffix(ext)
            .filter(|y| {
                !y.is_empty()
                    && y.trim_start_matches('-')
                        .bytes()
                        .all(|b| b.is_ascii_digit())
            })
            .map(|y| y.parse::<i64>().unwrap_or(i64::MAX))
    };
    let query = AnnualQuery {
        level: q.level,
        org: q.org,
    };
    if let Some(year) = annual(".xlsx") {
        return report_xlsx(State(s), Caller(p), ApiPath(year), ApiQuery(query)).await;
    }
    if let Some(year) = annual(".pdf") {
        return report_pdf(State(s), Caller(p), ApiPath(year), ApiQuery(query)).await;
    }
    let Ok(level_org_id) = segment.parse::<i64>() else {
        return Err(ApiError::from(pubdata_service::ServiceError::invalid(
            "level_org_id",
            "an organisation id, or a year as 2026.xlsx or 2026.pdf",
        )));
    };
    let Some(period) = q.period else {
        return Err(ApiError::from(pubdata_service::ServiceError::invalid(
            "period",
            "required: a year (2026) or a quarter (2026Q3)",
        )));
    };
    let format = match q.format.as_deref().unwrap_or("html") {
        "html" => Format::Html,
        "xlsx" => Format::Xlsx,
        "pdf" => Format::Pdf,
        _ => {
            return Err(ApiError::from(pubdata_service::ServiceError::invalid(
                "format",
                "html, xlsx or pdf",
            )));
        }
    };
    let r = s.app.supervision_report(&p, level_org_id, &period).await?;
    answer(&s, &p, lang, &r, format).await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AnnualQuery {
    /// A lower level (a county region or its authority) or an agency the
    /// caller supervises; default the caller's own level (the authority
    /// they review or audit for).
    pub level: Option<i64>,
    /// One agency within the level instead of the whole level.
    pub org: Option<i64>,
}

/// The annual report of `level`/`org` (or the caller's own level), after
/// checking that `org` lies within `level` when both are named.
async fn annual_report(
    s: &AppState,
    p: &pubdata_service::Principal,
    year: i64,
    q: &AnnualQuery,
) -> ApiResult<Report> {
    if let (Some(level), Some(org)) = (q.level, q.org) {
        let f = s
            .app
            .supervision_annual_report(p, year, Some(level))
            .await?;
        if !f.figures.agencies.iter().any(|a| a.org_id == org) {
            return Err(ApiError::from(pubdata_service::ServiceError::invalid(
                "org",
                "not an agency of the level",
            )));
        }
    }
    Ok(s.app
        .supervision_annual_report(p, year, q.org.or(q.level))
        .await?)
}

/// The caller's level's annual evaluation report (年度考核评估报告, Art. 46)
/// as an XLSX workbook: every agency's figures and the level's total.
#[utoipa::path(get, path = "/api/v1/supervision/reports/{year}.xlsx", tag = "supervision",
    security(("bearer" = []), ("session" = [])),
    params(("year" = i64, Path, minimum = 2000, maximum = 2100, description = "The report's year, e.g. 2026"), AnnualQuery),
    responses(
        (status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn report_xlsx(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(year): ApiPath<i64>,
    ApiQuery(q): ApiQuery<AnnualQuery>,
) -> ApiResult<Response> {
    let r = annual_report(&s, &p, year, &q).await?;
    answer(&s, &p, Lang::Zh, &r, Format::Xlsx).await
}

/// The caller's level's annual evaluation report as a PDF: title, level,
/// year, generation time, a bar chart and a table per figure group
/// (catalogue, aggregation, sharing, objections, opening) per agency, its
/// Chinese text in an embedded font subset.
#[utoipa::path(get, path = "/api/v1/supervision/reports/{year}.pdf", tag = "supervision",
    security(("bearer" = []), ("session" = [])),
    params(("year" = i64, Path, minimum = 2000, maximum = 2100, description = "The report's year, e.g. 2026"), AnnualQuery),
    responses(
        (status = 200, content_type = "application/pdf", body = Vec<u8>),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn report_pdf(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(year): ApiPath<i64>,
    ApiQuery(q): ApiQuery<AnnualQuery>,
) -> ApiResult<Response> {
    let r = annual_report(&s, &p, year, &q).await?;
    answer(&s, &p, Lang::Zh, &r, Format::Pdf).await
}
