//! Disputes between agencies (争议处理, DSP-1, Art. 48).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pubdata_domain::dispute::DisputeState;
use pubdata_service::disputes::{
    DisputeInput, DisputeView, EscalationInput, SettlementInput, StatementInput,
};
use serde::Deserialize;

use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};

/// Files a dispute against another agency (提起争议). The handling data
/// authority is the parties' level's, or across levels or regions the
/// common upper one. Opens the negotiation case (10 working days, a
/// platform default).
#[utoipa::path(post, path = "/api/v1/disputes", tag = "disputes",
    security(("bearer" = []), ("session" = [])), request_body = DisputeInput,
    responses((status = 201, body = DisputeView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiJson(d): ApiJson<DisputeInput>,
) -> ApiResult<(StatusCode, Json<DisputeView>)> {
    Ok((StatusCode::CREATED, Json(s.app.file_dispute(&p, d).await?)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DisputeListQuery {
    #[param(inline)]
    pub state: Option<DisputeState>,
}

/// Disputes the caller's organisations are party to or handle as the
/// authority (all for administrators and auditors), newest first.
#[utoipa::path(get, path = "/api/v1/disputes", tag = "disputes",
    security(("bearer" = []), ("session" = [])), params(DisputeListQuery),
    responses((status = 200, body = Vec<DisputeView>)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<DisputeListQuery>,
) -> ApiResult<Json<Vec<DisputeView>>> {
    Ok(Json(s.app.disputes(&p, q.state).await?))
}

/// One dispute with its record and every stage's case.
#[utoipa::path(get, path = "/api/v1/disputes/{id}", tag = "disputes",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = DisputeView), (status = 404, body = Problem)))]
pub async fn get(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<DisputeView>> {
    Ok(Json(s.app.dispute(&p, id).await?))
}

/// A party's grounds or response, or the authority's minutes of the
/// current stage (the joint consultation's outcome among them).
#[utoipa::path(post, path = "/api/v1/disputes/{id}/statements", tag = "disputes",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)), request_body = StatementInput,
    responses((status = 200, body = DisputeView), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn statement(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<StatementInput>,
) -> ApiResult<Json<DisputeView>> {
    Ok(Json(s.app.dispute_statement(&p, id, b).await?))
}

/// Moves the dispute to its next stage: from negotiation a party or the
/// authority, later the authority only; to the government with the
/// authority's `leaning` (倾向性意见).
#[utoipa::path(post, path = "/api/v1/disputes/{id}/escalation", tag = "disputes",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)), request_body = EscalationInput,
    responses((status = 200, body = DisputeView), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn escalate(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<EscalationInput>,
) -> ApiResult<Json<DisputeView>> {
    Ok(Json(s.app.escalate_dispute(&p, id, b).await?))
}

/// Settles the dispute with the agreed outcome; at the government stage the
/// decision with its document number (`decision_no`).
#[utoipa::path(post, path = "/api/v1/disputes/{id}/settlement", tag = "disputes",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)), request_body = SettlementInput,
    responses((status = 200, body = DisputeView), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn settle(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<SettlementInput>,
) -> ApiResult<Json<DisputeView>> {
    Ok(Json(s.app.settle_dispute(&p, id, b).await?))
}
