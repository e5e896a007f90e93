use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pubdata_service::model::Org;
use pubdata_service::orgs::{CreateOrg, UpdateOrg};
use serde::Serialize;

use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, ApiPath, Caller};

#[derive(Serialize, utoipa::ToSchema)]
pub struct OrgNode {
    #[serde(flatten)]
    pub org: Org,
    /// Depth in the tree (0 = a root).
    pub depth: usize,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OrgList {
    /// Parents before children, in tree order.
    pub items: Vec<OrgNode>,
}

/// The organisation tree (regions, data authorities, agencies).
#[utoipa::path(get, path = "/api/v1/orgs", tag = "org",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = OrgList), (status = 401, body = Problem)))]
pub async fn list_orgs(State(s): State<AppState>, Caller(p): Caller) -> ApiResult<Json<OrgList>> {
    let tree = s.app.list_orgs(&p).await?;
    let items = tree
        .walk()
        .into_iter()
        .map(|(depth, o)| OrgNode {
            org: o.clone(),
            depth,
        })
        .collect();
    Ok(Json(OrgList { items }))
}

/// Creates an organisation (platform administrators).
#[utoipa::path(post, path = "/api/v1/orgs", tag = "org",
    security(("bearer" = []), ("session" = [])),
    request_body = CreateOrg,
    responses((status = 201, body = Org), (status = 403, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_org(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiJson(req): ApiJson<CreateOrg>,
) -> ApiResult<(StatusCode, Json<Org>)> {
    Ok((StatusCode::CREATED, Json(s.app.create_org(&p, req).await?)))
}

#[utoipa::path(get, path = "/api/v1/orgs/{id}", tag = "org",
    security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Org), (status = 404, body = Problem)))]
pub async fn get_org(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Org>> {
    Ok(Json(s.app.get_org(&p, id).await?))
}

/// Renames or moves an organisation (platform administrators).
#[utoipa::path(patch, path = "/api/v1/orgs/{id}", tag = "org",
    security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path)), request_body = UpdateOrg,
    responses((status = 200, body = Org), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_org(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<UpdateOrg>,
) -> ApiResult<Json<Org>> {
    Ok(Json(s.app.update_org(&p, id, req).await?))
}
