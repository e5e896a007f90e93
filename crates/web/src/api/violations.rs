//! Violations and rectification (违规与整改, VIO-1, VIO-2; Art. 49–50).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pubdata_domain::violation::{
    RectificationState, ViolationKind, ViolationSource, ViolationState,
};
use pubdata_service::violations::{
    CheckRun, DismissalInput, RectificationDecision, RectificationInput, RectificationQuery,
    RectificationReport, RectificationView, ViolationInput, ViolationQuery, ViolationView,
};
use serde::Deserialize;

use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ViolationListQuery {
    /// Against, or handled by, this organisation.
    pub org: Option<i64>,
    #[param(inline)]
    pub state: Option<ViolationState>,
    #[param(inline)]
    pub kind: Option<ViolationKind>,
    #[param(inline)]
    pub source: Option<ViolationSource>,
}

/// Violations the caller may see — its own organisations', for an
/// authority's reviewer its level's, all for auditors — newest first.
#[utoipa::path(get, path = "/api/v1/violations", tag = "violations",
    security(("bearer" = []), ("session" = [])), params(ViolationListQuery),
    responses((status = 200, body = Vec<ViolationView>)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<ViolationListQuery>,
) -> ApiResult<Json<Vec<ViolationView>>> {
    let q = ViolationQuery {
        org: q.org,
        state: q.state,
        kind: q.kind,
        source: q.source,
    };
    Ok(Json(s.app.violations(&p, &q).await?))
}

/// Records a violation (登记违规) against a public body (Art. 49) or a user
/// of public data (Art. 50): the data authority over it. With
/// `suspend_grants`, a data user's active grants are suspended at once.
#[utoipa::path(post, path = "/api/v1/violations", tag = "violations",
    security(("bearer" = []), ("session" = [])), request_body = ViolationInput,
    responses((status = 201, body = ViolationView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiJson(v): ApiJson<ViolationInput>,
) -> ApiResult<(StatusCode, Json<ViolationView>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.record_violation(&p, v).await?),
    ))
}

/// One violation.
#[utoipa::path(get, path = "/api/v1/violations/{id}", tag = "violations",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = ViolationView), (status = 404, body = Problem)))]
pub async fn get(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ViolationView>> {
    Ok(Json(s.app.violation(&p, id).await?))
}

/// Dismisses an open violation that is not one (核销), with the reason.
#[utoipa::path(post, path = "/api/v1/violations/{id}/dismissal", tag = "violations",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)), request_body = DismissalInput,
    responses((status = 200, body = ViolationView), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn dismiss(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<DismissalInput>,
) -> ApiResult<Json<ViolationView>> {
    Ok(Json(s.app.dismiss_violation(&p, id, b).await?))
}

/// Runs the detection and the escalation of missed notices now (the hourly
/// job does it by itself): a data authority's reviewer or the platform
/// administrator.
#[utoipa::path(post, path = "/api/v1/violations/checks", tag = "violations",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = CheckRun), (status = 403, body = Problem)))]
pub async fn check(State(s): State<AppState>, Caller(p): Caller) -> ApiResult<Json<CheckRun>> {
    Ok(Json(s.app.check_violations_now(&p).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RectificationListQuery {
    #[param(inline)]
    pub state: Option<RectificationState>,
    /// Only notices on (true) or off (false) the government's supervision
    /// list (督查督办).
    pub escalated: Option<bool>,
}

/// Rectification notices the caller may see, newest first.
#[utoipa::path(get, path = "/api/v1/rectifications", tag = "violations",
    security(("bearer" = []), ("session" = [])), params(RectificationListQuery),
    responses((status = 200, body = Vec<RectificationView>)))]
pub async fn rectifications(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<RectificationListQuery>,
) -> ApiResult<Json<Vec<RectificationView>>> {
    let q = RectificationQuery {
        state: q.state,
        escalated: q.escalated,
    };
    Ok(Json(s.app.rectifications(&p, &q).await?))
}

/// Issues a rectification notice (限期整改通知) over open violations of one
/// body, with a time limit in working days (15 by default): a case for the
/// body. Missed, the notice goes onto the government's supervision list.
#[utoipa::path(post, path = "/api/v1/rectifications", tag = "violations",
    security(("bearer" = []), ("session" = [])), request_body = RectificationInput,
    responses((status = 201, body = RectificationView), (status = 403, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn issue(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiJson(b): ApiJson<RectificationInput>,
) -> ApiResult<(StatusCode, Json<RectificationView>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.issue_rectification(&p, b).await?),
    ))
}

/// One notice with the violations it covers and its deadline.
#[utoipa::path(get, path = "/api/v1/rectifications/{id}", tag = "violations",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = RectificationView), (status = 404, body = Problem)))]
pub async fn rectification(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<RectificationView>> {
    Ok(Json(s.app.rectification(&p, id).await?))
}

/// The body reports its rectification (报送整改情况).
#[utoipa::path(post, path = "/api/v1/rectifications/{id}/report", tag = "violations",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)), request_body = RectificationReport,
    responses((status = 200, body = RectificationView), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn report(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<RectificationReport>,
) -> ApiResult<Json<RectificationView>> {
    Ok(Json(s.app.report_rectification(&p, id, b).await?))
}

/// The authority accepts the report (the violations close) or returns it.
#[utoipa::path(post, path = "/api/v1/rectifications/{id}/decision", tag = "violations",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)), request_body = RectificationDecision,
    responses((status = 200, body = RectificationView), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn decide(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<RectificationDecision>,
) -> ApiResult<Json<RectificationView>> {
    Ok(Json(s.app.decide_rectification(&p, id, b).await?))
}
