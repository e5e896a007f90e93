use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pubdata_service::model::RoleGrant;
use pubdata_service::orgs::{CreateUser, GrantRole, UpdateUser, UserView};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UserQuery {
    /// Only users of this organisation.
    pub org_id: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct UserList {
    pub items: Vec<UserView>,
}

/// Lists users: all (platform administrators) or one organisation's
/// (also its data administrators and chief data officer).
#[utoipa::path(get, path = "/api/v1/users", tag = "org",
    security(("bearer" = []), ("session" = [])), params(UserQuery),
    responses((status = 200, body = UserList), (status = 403, body = Problem)))]
pub async fn list_users(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<UserQuery>,
) -> ApiResult<Json<UserList>> {
    Ok(Json(UserList {
        items: s.app.list_users(&p, q.org_id).await?,
    }))
}

/// Creates a user, optionally with roles in their organisation (platform administrators).
#[utoipa::path(post, path = "/api/v1/users", tag = "org",
    security(("bearer" = []), ("session" = [])), request_body = CreateUser,
    responses((status = 201, body = UserView), (status = 403, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_user(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiJson(req): ApiJson<CreateUser>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    Ok((StatusCode::CREATED, Json(s.app.create_user(&p, req).await?)))
}

#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "org",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = UserView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_user(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<UserView>> {
    Ok(Json(s.app.get_user(&p, id).await?))
}

/// Changes a user's name, password or disabled flag (platform administrators).
/// A new password or disabling ends the user's sessions.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "org",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)),
    request_body = UpdateUser,
    responses((status = 200, body = UserView), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_user(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<UpdateUser>,
) -> ApiResult<Json<UserView>> {
    Ok(Json(s.app.update_user(&p, id, req).await?))
}

/// Grants a role within an organisation (platform administrators).
#[utoipa::path(post, path = "/api/v1/users/{id}/roles", tag = "org",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)),
    request_body = GrantRole,
    responses((status = 201, body = RoleGrant), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn grant_role(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<GrantRole>,
) -> ApiResult<(StatusCode, Json<RoleGrant>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.grant_role(&p, id, req).await?),
    ))
}

/// Revokes a role grant (platform administrators).
#[utoipa::path(delete, path = "/api/v1/users/{id}/roles/{grant_id}", tag = "org",
    security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path), ("grant_id" = i64, Path)),
    responses((status = 200, body = RoleGrant), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn revoke_role(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath((id, grant_id)): ApiPath<(i64, i64)>,
) -> ApiResult<Json<RoleGrant>> {
    Ok(Json(s.app.revoke_role(&p, id, grant_id).await?))
}
