//! Government IT projects (政务信息化项目, SUP-2, Art. 47): registration
//! with the public data list at approval, the compliance report before
//! acceptance, and the authority's acceptance.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pubdata_service::projects::{AcceptanceInput, ComplianceReport, ProjectInput, ProjectView};

use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, ApiPath, Caller};

/// Registers an IT project at approval (立项) with the public data it
/// involves: the catalogue entries it produces or uses.
#[utoipa::path(post, path = "/api/v1/projects", tag = "projects",
    security(("bearer" = []), ("session" = [])), request_body = ProjectInput,
    responses((status = 201, body = ProjectView), (status = 403, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiJson(i): ApiJson<ProjectInput>,
) -> ApiResult<(StatusCode, Json<ProjectView>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.register_project(&p, i).await?),
    ))
}

/// The projects the caller may see (its agency's; its level's for an
/// authority; all for auditors), newest first.
#[utoipa::path(get, path = "/api/v1/projects", tag = "projects",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Vec<ProjectView>)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(p): Caller,
) -> ApiResult<Json<Vec<ProjectView>>> {
    Ok(Json(s.app.projects(&p).await?))
}

/// One project with its public data list.
#[utoipa::path(get, path = "/api/v1/projects/{id}", tag = "projects",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = ProjectView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ProjectView>> {
    Ok(Json(s.app.it_project(&p, id).await?))
}

/// The compliance report (符合性审查, Art. 47): for each listed entry,
/// whether it is catalogued, aggregated (loaded, not stale) and shared, as
/// the platform's records say now.
#[utoipa::path(get, path = "/api/v1/projects/{id}/compliance", tag = "projects",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = ComplianceReport), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn compliance(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ComplianceReport>> {
    Ok(Json(s.app.project_compliance(&p, id).await?))
}

/// The authority of the agency's level records the acceptance (验收): when
/// the project is compliant, or with an `override_reason`
/// (`project_not_compliant` otherwise).
#[utoipa::path(post, path = "/api/v1/projects/{id}/acceptance", tag = "projects",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)), request_body = AcceptanceInput,
    responses((status = 200, body = ProjectView), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn accept(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(i): ApiJson<AcceptanceInput>,
) -> ApiResult<Json<ProjectView>> {
    Ok(Json(s.app.accept_project(&p, id, i).await?))
}
