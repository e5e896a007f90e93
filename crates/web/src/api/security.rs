//! Security management (安全管理, SEC-2 to SEC-4, Art. 44–45): an agency's
//! security officer, grade protection settings, checks, assessments and
//! drills; confidentiality reviews (保密审查) before sharing or opening
//! graded data; and unusual-access alerts (异常访问告警).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pubdata_domain::security::AlertKind;
use pubdata_service::model::{
    ConfidentialityReview, GradeProtection, SecurityOfficer, SecurityRecord,
};
use pubdata_service::security::{
    AlertAcknowledgement, ConfidentialityReviewInput, ProtectionInput, SecurityAlertView,
    SecurityOfficerInput, SecurityOverview, SecurityRecordInput,
};
use serde::Deserialize;

use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};

/// An agency's security management: officer, grade protection settings,
/// checks, assessments and drills, confidentiality reviews (the agency,
/// its supervising authority, admins and auditors).
#[utoipa::path(get, path = "/api/v1/security/orgs/{org_id}", tag = "security",
    security(("bearer" = []), ("session" = [])), params(("org_id" = i64, Path)),
    responses((status = 200, body = SecurityOverview), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn overview(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(org): ApiPath<i64>,
) -> ApiResult<Json<SecurityOverview>> {
    Ok(Json(s.app.security_overview(&p, org).await?))
}

/// Records (replaces) the agency's security officer (安全负责人).
#[utoipa::path(put, path = "/api/v1/security/orgs/{org_id}/officer", tag = "security",
    security(("bearer" = []), ("session" = [])), params(("org_id" = i64, Path)), request_body = SecurityOfficerInput,
    responses((status = 200, body = SecurityOfficer), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn put_officer(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(org): ApiPath<i64>,
    ApiJson(o): ApiJson<SecurityOfficerInput>,
) -> ApiResult<Json<SecurityOfficer>> {
    Ok(Json(s.app.put_security_officer(&p, org, o).await?))
}

/// Replaces the agency's grade protection settings (分级保护设置): per
/// grade, default masking, a required confidentiality review, export.
#[utoipa::path(put, path = "/api/v1/security/orgs/{org_id}/settings", tag = "security",
    security(("bearer" = []), ("session" = [])), params(("org_id" = i64, Path)), request_body = Vec<ProtectionInput>,
    responses((status = 200, body = Vec<GradeProtection>), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn put_settings(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(org): ApiPath<i64>,
    ApiJson(v): ApiJson<Vec<ProtectionInput>>,
) -> ApiResult<Json<Vec<GradeProtection>>> {
    Ok(Json(s.app.put_grade_protections(&p, org, v).await?))
}

/// Records a security check, risk assessment, emergency drill or
/// disaster-recovery drill the agency held (安全检查/风险评估/应急演练/灾备演练).
#[utoipa::path(post, path = "/api/v1/security/orgs/{org_id}/records", tag = "security",
    security(("bearer" = []), ("session" = [])), params(("org_id" = i64, Path)), request_body = SecurityRecordInput,
    responses((status = 201, body = SecurityRecord), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn add_record(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(org): ApiPath<i64>,
    ApiJson(r): ApiJson<SecurityRecordInput>,
) -> ApiResult<(StatusCode, Json<SecurityRecord>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.add_security_record(&p, org, r).await?),
    ))
}

/// The providing agency records a confidentiality review (保密审查) of a
/// share request or of an entry version to be opened.
#[utoipa::path(post, path = "/api/v1/security/reviews", tag = "security",
    security(("bearer" = []), ("session" = [])), request_body = ConfidentialityReviewInput,
    responses((status = 201, body = ConfidentialityReview), (status = 403, body = Problem),
              (status = 422, body = Problem)))]
pub async fn add_review(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiJson(r): ApiJson<ConfidentialityReviewInput>,
) -> ApiResult<(StatusCode, Json<ConfidentialityReview>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.record_confidentiality_review(&p, r).await?),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReviewsQuery {
    /// The catalogue entry.
    pub entry_id: i64,
    /// Only the reviews of this share request.
    pub share_request_id: Option<i64>,
}

/// Confidentiality reviews of an entry, newest first.
#[utoipa::path(get, path = "/api/v1/security/reviews", tag = "security",
    security(("bearer" = []), ("session" = [])), params(ReviewsQuery),
    responses((status = 200, body = Vec<ConfidentialityReview>), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn reviews(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<ReviewsQuery>,
) -> ApiResult<Json<Vec<ConfidentialityReview>>> {
    Ok(Json(
        s.app
            .confidentiality_reviews(&p, q.entry_id, q.share_request_id)
            .await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertsQuery {
    /// Only alerts of this kind.
    pub kind: Option<AlertKind>,
    /// Only alerts not yet acknowledged.
    #[serde(default)]
    pub open: Option<bool>,
}

/// Unusual-access alerts (异常访问告警) on grants from or to the
/// organisations the caller supervises or acts for, newest first.
#[utoipa::path(get, path = "/api/v1/security/alerts", tag = "security",
    security(("bearer" = []), ("session" = [])), params(AlertsQuery),
    responses((status = 200, body = Vec<SecurityAlertView>), (status = 403, body = Problem)))]
pub async fn alerts(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<AlertsQuery>,
) -> ApiResult<Json<Vec<SecurityAlertView>>> {
    Ok(Json(
        s.app
            .security_alerts(&p, q.kind, q.open.unwrap_or(false))
            .await?,
    ))
}

/// The supervising authority acknowledges an alert with a note.
#[utoipa::path(post, path = "/api/v1/security/alerts/{id}/acknowledgement", tag = "security",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)), request_body = AlertAcknowledgement,
    responses((status = 200, body = SecurityAlertView), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn acknowledge(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(a): ApiJson<AlertAcknowledgement>,
) -> ApiResult<Json<SecurityAlertView>> {
    Ok(Json(s.app.acknowledge_security_alert(&p, id, a).await?))
}
