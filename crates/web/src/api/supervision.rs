//! Supervision and evaluation (监督考核, SUP-1, Art. 46): a level's figures
//! per agency, the items behind each figure, and the evaluation report.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use pubdata_service::supervision::{FigureItem, LevelFigures};
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
    /// `html` (default) or `xlsx`.
    pub format: Option<String>,
}

/// The evaluation report (考核评估报告, Art. 46) of a level for a quarter
/// or a year: an HTML page with charts, or an XLSX workbook.
#[utoipa::path(get, path = "/api/v1/supervision/reports/{level_org_id}", tag = "supervision",
    security(("bearer" = []), ("session" = [])),
    params(("level_org_id" = i64, Path), ReportQuery),
    responses(
        (status = 200, content_type = "text/html", body = String),
        (status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn report(
    State(s): State<AppState>,
    Caller(p): Caller,
    lang: Lang,
    ApiPath(level_org_id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Response> {
    let format = q.format.as_deref().unwrap_or("html");
    if !matches!(format, "html" | "xlsx") {
        return Err(ApiError::from(pubdata_service::ServiceError::invalid(
            "format",
            "html or xlsx",
        )));
    }
    let r = s
        .app
        .supervision_report(&p, level_org_id, &q.period)
        .await?;
    if format == "xlsx" {
        let bytes = r.to_xlsx()?;
        let name = format!(
            "attachment; filename=\"evaluation-{level_org_id}-{}.xlsx\"",
            r.period
        );
        return Ok((
            [
                (
                    header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
                ),
                (header::CONTENT_DISPOSITION, name),
            ],
            bytes,
        )
            .into_response());
    }
    Ok(crate::pages::supervision::render_report(&s, &p, lang, &r).await)
}
