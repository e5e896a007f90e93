//! Desensitised derivatives (脱敏衍生, SHR-6) and the masking rules by item
//! name (脱敏规则).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pubdata_service::model::{DatasetVersion, MaskingRule, ReidCheck};
use pubdata_service::reident::ReidReport;
use pubdata_service::sharing::{DerivationInput, DerivationView};
use serde::Deserialize;

use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};

/// Derives a new catalogue entry (submitted for review at once) and, once
/// it is published, dataset from a dataset the caller's agency holds.
#[utoipa::path(post, path = "/api/v1/derivations", tag = "sharing",
    security(("bearer" = []), ("session" = [])), request_body = DerivationInput,
    responses((status = 201, body = DerivationView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiJson(d): ApiJson<DerivationInput>,
) -> ApiResult<(StatusCode, Json<DerivationView>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.create_derivation(&p, d).await?),
    ))
}

/// The re-identification check (k-anonymity over the quasi-identifiers,
/// OPN-5) that a derivation would face, run on the parent's current rows as
/// they would be derived; nothing is made. The parent's rows are read
/// through the door and audited.
#[utoipa::path(post, path = "/api/v1/derivations/check", tag = "sharing",
    security(("bearer" = []), ("session" = [])), request_body = DerivationInput,
    responses((status = 200, body = ReidReport), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn check(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiJson(d): ApiJson<DerivationInput>,
) -> ApiResult<Json<ReidReport>> {
    Ok(Json(s.app.check_derivation(&p, d).await?))
}

/// Re-checks a derivative's current version for re-identification risk now
/// (its agency, supervisors) — what the periodic review does. A failed
/// check withholds an open derivative from the public until one passes.
#[utoipa::path(post, path = "/api/v1/derivations/{id}/reid-check", tag = "sharing",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = ReidCheck), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn reid_check(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ReidCheck>> {
    Ok(Json(s.app.review_derivation_risk(&p, id).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DerivationListQuery {
    /// Only derivatives of this dataset.
    pub parent_dataset_id: Option<i64>,
}

/// Derivatives the caller's organisations made (all, for supervisors), newest first.
#[utoipa::path(get, path = "/api/v1/derivations", tag = "sharing",
    security(("bearer" = []), ("session" = [])), params(DerivationListQuery),
    responses((status = 200, body = Vec<DerivationView>)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<DerivationListQuery>,
) -> ApiResult<Json<Vec<DerivationView>>> {
    Ok(Json(s.app.derivations(&p, q.parent_dataset_id).await?))
}

/// One derivative: parent, transformation per field, what it holds.
#[utoipa::path(get, path = "/api/v1/derivations/{id}", tag = "sharing",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = DerivationView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<DerivationView>> {
    Ok(Json(s.app.derivation(&p, id).await?))
}

/// Makes (when needed) and fills the derived dataset from the parent's
/// current rows now: a new version. 409 `entry_not_published` while the
/// derived entry awaits review.
#[utoipa::path(post, path = "/api/v1/derivations/{id}/refresh", tag = "sharing",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = DatasetVersion), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn refresh(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<DatasetVersion>> {
    Ok(Json(s.app.refresh_derivation(&p, id).await?))
}

/// The masking rules: the first whose words appear in a personal item's
/// name gives its default mask in a grant.
#[utoipa::path(get, path = "/api/v1/masking-rules", tag = "sharing",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Vec<MaskingRule>), (status = 403, body = Problem)))]
pub async fn masking_rules(
    State(s): State<AppState>,
    Caller(p): Caller,
) -> ApiResult<Json<Vec<MaskingRule>>> {
    Ok(Json(s.app.masking_rules(&p).await?))
}

/// Replaces the masking rules, in order (those who keep the catalogue scheme).
#[utoipa::path(put, path = "/api/v1/masking-rules", tag = "sharing",
    security(("bearer" = []), ("session" = [])), request_body = Vec<MaskingRule>,
    responses((status = 200, body = Vec<MaskingRule>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn put_masking_rules(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiJson(rules): ApiJson<Vec<MaskingRule>>,
) -> ApiResult<Json<Vec<MaskingRule>>> {
    Ok(Json(s.app.put_masking_rules(&p, rules).await?))
}
