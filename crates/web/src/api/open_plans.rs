//! Open data plans (开放计划, OPN-2): the year's priority areas (Art. 31),
//! the agencies' yearly open plans filed with their authority (Art. 37),
//! the agencies' open-data responsibility and the open catalogue with its
//! responsibility list. Reads need no account (the public sees
//! acknowledged plans only); changes need the agency's or the authority's
//! staff.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pubdata_domain::org::Level;
use pubdata_service::open::plans::{
    NewPlan, OpenCatalogueEntry, OpenPlanView, OpenPriorities, PlanEdit, PlanReview,
    PrioritiesInput, ResponsibilityInput, ResponsibilityView,
};
use serde::Deserialize;

use super::open::PublicCaller;
use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PrioritiesQuery {
    /// The year, 2000–2100 (default: this year, China time).
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i64>,
}

fn this_year() -> i64 {
    use chrono::Datelike;
    i64::from(pubdata_domain::calendar::today_cst().year())
}

/// The year's priority areas of open data (年度公共数据开放重点, Art. 31);
/// no account needed. Empty `areas` while the city authority has set none.
#[utoipa::path(get, path = "/api/v1/open/priorities", tag = "open",
    security((), ("bearer" = [])), params(PrioritiesQuery),
    responses((status = 200, body = OpenPriorities), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn priorities(
    State(s): State<AppState>,
    PublicCaller(p): PublicCaller,
    ApiQuery(q): ApiQuery<PrioritiesQuery>,
) -> ApiResult<Json<OpenPriorities>> {
    s.app.take_open_rate(&p, 1.0)?;
    Ok(Json(
        s.app
            .open_priorities(q.year.unwrap_or_else(this_year))
            .await?,
    ))
}

/// Sets a year's priority areas (a reviewer of the city authority): each
/// of the four categories of Art. 31 at most once, with a short
/// description.
#[utoipa::path(put, path = "/api/v1/open/priorities/{year}", tag = "open",
    security(("bearer" = []), ("session" = [])), params(("year" = i64, Path, description = "2000–2100")),
    request_body = PrioritiesInput,
    responses((status = 200, body = OpenPriorities), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn put_priorities(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(year): ApiPath<i64>,
    ApiJson(req): ApiJson<PrioritiesInput>,
) -> ApiResult<Json<OpenPriorities>> {
    Ok(Json(s.app.put_open_priorities(&p, year, req).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PlansQuery {
    /// Only this year's plans (2000–2100).
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i64>,
    /// Only this agency's plan.
    pub org_id: Option<i64>,
}

/// Yearly open plans (年度公共数据开放计划, Art. 37) with their fulfilment,
/// computed from the catalogue and the datasets. Without an account:
/// acknowledged (published) plans only; the agency and the authorities
/// over it also see drafts, filed and returned plans.
#[utoipa::path(get, path = "/api/v1/open/plans", tag = "open",
    security((), ("bearer" = [])), params(PlansQuery),
    responses((status = 200, body = Vec<OpenPlanView>), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn list_plans(
    State(s): State<AppState>,
    PublicCaller(p): PublicCaller,
    ApiQuery(q): ApiQuery<PlansQuery>,
) -> ApiResult<Json<Vec<OpenPlanView>>> {
    s.app.take_open_rate(&p, 1.0)?;
    Ok(Json(s.app.open_plans(&p, q.year, q.org_id).await?))
}

/// Drafts an agency's plan for a year (the agency's data administrators).
/// Items are entries of its own catalogue or named datasets; data obtained
/// by sharing is refused (422 `shared_data_not_openable`); a second plan
/// for the same year: 409 `plan_exists`.
#[utoipa::path(post, path = "/api/v1/open/plans", tag = "open",
    security(("bearer" = []), ("session" = [])), request_body = NewPlan,
    responses((status = 201, body = OpenPlanView), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_plan(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiJson(req): ApiJson<NewPlan>,
) -> ApiResult<(StatusCode, Json<OpenPlanView>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.create_open_plan(&p, req).await?),
    ))
}

/// One plan with its items and their fulfilment (404 for a plan the
/// caller may not see: the public sees acknowledged plans only).
#[utoipa::path(get, path = "/api/v1/open/plans/{id}", tag = "open",
    security((), ("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = OpenPlanView), (status = 404, body = Problem), (status = 429, body = Problem)))]
pub async fn get_plan(
    State(s): State<AppState>,
    PublicCaller(p): PublicCaller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<OpenPlanView>> {
    s.app.take_open_rate(&p, 1.0)?;
    Ok(Json(s.app.open_plan(&p, id).await?))
}

/// Replaces a draft's items (a returned plan becomes a draft again);
/// 409 `plan_not_draft` once filed or acknowledged.
#[utoipa::path(put, path = "/api/v1/open/plans/{id}", tag = "open",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)), request_body = PlanEdit,
    responses((status = 200, body = OpenPlanView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn edit_plan(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<PlanEdit>,
) -> ApiResult<Json<OpenPlanView>> {
    Ok(Json(s.app.edit_open_plan(&p, id, req).await?))
}

/// Files a draft or returned plan with the authority of the agency's level
/// (备案); 409 `plan_not_draft` when already filed, 422 `plan_empty`
/// without items.
#[utoipa::path(post, path = "/api/v1/open/plans/{id}/filing", tag = "open",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = OpenPlanView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn file_plan(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<OpenPlanView>> {
    Ok(Json(s.app.file_open_plan(&p, id).await?))
}

/// The authority's answer to a filed plan: `acknowledge` (published on the
/// portal) or `return` with a reason (422 `reason_required` without);
/// 409 `plan_not_filed` when it is not awaiting review.
#[utoipa::path(post, path = "/api/v1/open/plans/{id}/review", tag = "open",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)), request_body = PlanReview,
    responses((status = 200, body = OpenPlanView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn review_plan(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<PlanReview>,
) -> ApiResult<Json<OpenPlanView>> {
    Ok(Json(s.app.review_open_plan(&p, id, req).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CatalogueQuery {
    /// Only this agency's entries.
    pub org_id: Option<i64>,
    /// Only this level's entries.
    #[param(inline)]
    pub level: Option<Level>,
}

/// The open catalogue and its responsibility list (开放目录和责任清单):
/// every published entry open unconditionally or conditionally, with its
/// agency's responsible department and contact, and the portal's dataset
/// when loaded. Not-open entries never appear. No account needed.
#[utoipa::path(get, path = "/api/v1/open/catalogue", tag = "open",
    security((), ("bearer" = [])), params(CatalogueQuery),
    responses((status = 200, body = Vec<OpenCatalogueEntry>), (status = 429, body = Problem)))]
pub async fn catalogue(
    State(s): State<AppState>,
    PublicCaller(p): PublicCaller,
    ApiQuery(q): ApiQuery<CatalogueQuery>,
) -> ApiResult<Json<Vec<OpenCatalogueEntry>>> {
    s.app.take_open_rate(&p, 1.0)?;
    Ok(Json(s.app.open_catalogue(q.org_id, q.level).await?))
}

/// An agency's open-data responsibility: its responsible department,
/// person and contact (Art. 37); no account needed.
#[utoipa::path(get, path = "/api/v1/open/responsibility/{org_id}", tag = "open",
    security((), ("bearer" = [])), params(("org_id" = i64, Path)),
    responses((status = 200, body = ResponsibilityView), (status = 404, body = Problem), (status = 429, body = Problem)))]
pub async fn responsibility(
    State(s): State<AppState>,
    PublicCaller(p): PublicCaller,
    ApiPath(org): ApiPath<i64>,
) -> ApiResult<Json<ResponsibilityView>> {
    s.app.take_open_rate(&p, 1.0)?;
    Ok(Json(s.app.open_responsibility(org).await?))
}

/// Records an agency's responsible department and person (the agency's
/// data administrators).
#[utoipa::path(put, path = "/api/v1/open/responsibility/{org_id}", tag = "open",
    security(("bearer" = []), ("session" = [])), params(("org_id" = i64, Path)), request_body = ResponsibilityInput,
    responses((status = 200, body = ResponsibilityView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put_responsibility(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(org): ApiPath<i64>,
    ApiJson(req): ApiJson<ResponsibilityInput>,
) -> ApiResult<Json<ResponsibilityView>> {
    Ok(Json(s.app.put_open_responsibility(&p, org, req).await?))
}
