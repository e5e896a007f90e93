//! Base databases (BASE-1).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pubdata_service::base::{BaseConflict, BaseRecord, BaseView, ContributeField};
use pubdata_service::model::BaseField;
use serde::Serialize;

use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, ApiPath, Caller};

#[derive(Serialize, utoipa::ToSchema)]
pub struct BaseList {
    pub items: Vec<BaseView>,
}

/// The base databases with each field's one source.
#[utoipa::path(get, path = "/api/v1/base", tag = "datasets",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = BaseList)))]
pub async fn list(State(s): State<AppState>, Caller(p): Caller) -> ApiResult<Json<BaseList>> {
    Ok(Json(BaseList {
        items: s.app.list_bases(&p).await?,
    }))
}

/// A source department contributes a field from its dataset; a field with a
/// source already answers 409 `base_field_has_source`.
#[utoipa::path(post, path = "/api/v1/base/{code}/fields", tag = "datasets",
    security(("bearer" = []), ("session" = [])), params(("code" = String, Path)), request_body = ContributeField,
    responses((status = 201, body = BaseField), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn contribute(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(code): ApiPath<String>,
    ApiJson(req): ApiJson<ContributeField>,
) -> ApiResult<(StatusCode, Json<BaseField>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.contribute_base_field(&p, &code, req).await?),
    ))
}

/// One record assembled from its sources (supervisors; audited).
#[utoipa::path(get, path = "/api/v1/base/{code}/records/{key}", tag = "datasets",
    security(("bearer" = []), ("session" = [])), params(("code" = String, Path), ("key" = String, Path)),
    responses((status = 200, body = BaseRecord), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn record(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath((code, key)): ApiPath<(String, String)>,
) -> ApiResult<Json<BaseRecord>> {
    Ok(Json(s.app.base_record(&p, &code, &key).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ConflictList {
    pub items: Vec<BaseConflict>,
}

/// Where other datasets disagree with a field's source (quality issues).
#[utoipa::path(get, path = "/api/v1/base/{code}/conflicts", tag = "datasets",
    security(("bearer" = []), ("session" = [])), params(("code" = String, Path)),
    responses((status = 200, body = ConflictList), (status = 403, body = Problem)))]
pub async fn conflicts(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(code): ApiPath<String>,
) -> ApiResult<Json<ConflictList>> {
    Ok(Json(ConflictList {
        items: s.app.base_conflicts(&p, &code, 500).await?,
    }))
}
