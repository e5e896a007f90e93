//! Procurement of social data (社会数据统一采购, COL-3, Art. 17): an agency's
//! demand, the authority's evaluation (a case, 15 working days as a
//! platform default) and the unified procurement record.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pubdata_service::procurement::{
    ProcurementDemandInput, ProcurementDemandView, ProcurementEvaluation, ProcurementRecordInput,
};

use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, ApiPath, Caller};

/// Files a demand for purchased social data (视频, 物联感知, 地图, 低空遥感影像
/// …) with the data authority of the agency's level; opens its evaluation
/// case.
#[utoipa::path(post, path = "/api/v1/procurement/demands", tag = "procurement",
    security(("bearer" = []), ("session" = [])), request_body = ProcurementDemandInput,
    responses((status = 201, body = ProcurementDemandView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiJson(i): ApiJson<ProcurementDemandInput>,
) -> ApiResult<(StatusCode, Json<ProcurementDemandView>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.file_procurement_demand(&p, i).await?),
    ))
}

/// The demands the caller may see (its agency's; those its authority
/// evaluates; all for auditors), newest first.
#[utoipa::path(get, path = "/api/v1/procurement/demands", tag = "procurement",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Vec<ProcurementDemandView>)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(p): Caller,
) -> ApiResult<Json<Vec<ProcurementDemandView>>> {
    Ok(Json(s.app.procurement_demands(&p).await?))
}

/// One demand with its evaluation deadline and procurement record.
#[utoipa::path(get, path = "/api/v1/procurement/demands/{id}", tag = "procurement",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = ProcurementDemandView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ProcurementDemandView>> {
    Ok(Json(s.app.procurement_demand(&p, id).await?))
}

/// The authority of the agency's level approves a demand or refuses it
/// with a reason.
#[utoipa::path(post, path = "/api/v1/procurement/demands/{id}/evaluation", tag = "procurement",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)), request_body = ProcurementEvaluation,
    responses((status = 200, body = ProcurementDemandView), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn evaluate(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(i): ApiJson<ProcurementEvaluation>,
) -> ApiResult<Json<ProcurementDemandView>> {
    Ok(Json(s.app.evaluate_procurement_demand(&p, id, i).await?))
}

/// The authority records the unified procurement of an approved demand:
/// supplier, contract, amount, term, and the catalogue entry under which
/// the purchased data is catalogued and shared.
#[utoipa::path(post, path = "/api/v1/procurement/demands/{id}/record", tag = "procurement",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)), request_body = ProcurementRecordInput,
    responses((status = 200, body = ProcurementDemandView), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn record(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(i): ApiJson<ProcurementRecordInput>,
) -> ApiResult<Json<ProcurementDemandView>> {
    Ok(Json(s.app.record_procurement(&p, id, i).await?))
}
