use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use pubdata_domain::org::Role;
use pubdata_service::Via;
use pubdata_service::auth::IssuedToken;
use pubdata_service::model::{Org, SessionKind};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, Caller, request_token};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// Signs in and returns a bearer token for `Authorization: Bearer`.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, body = IssuedToken),
        (status = 401, description = "wrong username or password (never says which)", body = Problem),
        (status = 429, description = "too many failed attempts from this client", body = Problem),
    ))]
pub async fn login(
    State(s): State<AppState>,
    axum::extract::ConnectInfo(addr): axum::extract::ConnectInfo<std::net::SocketAddr>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Json<IssuedToken>> {
    let (token, _) = s
        .app
        .login(
            &req.username,
            &req.password,
            SessionKind::Bearer,
            Some(addr.ip().to_string()),
        )
        .await?;
    Ok(Json(IssuedToken { token }))
}

/// Ends the session or bearer token that made the request.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 401, body = Problem)))]
pub async fn logout(
    State(s): State<AppState>,
    Caller(p): Caller,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    if matches!(p.via, Via::ApiToken { .. }) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "not_a_session",
            "application tokens are revoked, not logged out",
        ));
    }
    let (token, _) = request_token(&headers).ok_or_else(ApiError::not_found)?;
    s.app.logout(&p, &token).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MeUser {
    pub id: Option<i64>,
    pub username: String,
    pub display_name: String,
    /// `staff`, `enterprise`, `person`, or `application` for application tokens.
    pub kind: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MeRole {
    pub role: Role,
    /// The role's Chinese name.
    pub name: String,
    pub org_id: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Me {
    pub user: MeUser,
    pub organisation: Option<Org>,
    pub roles: Vec<MeRole>,
    /// `cookie`, `bearer` or `api_token`.
    pub auth: String,
}

/// The caller: user, organisation and roles.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Me), (status = 401, body = Problem)))]
pub async fn me(Caller(p): Caller) -> Json<Me> {
    Json(Me {
        user: MeUser {
            id: p.user_id,
            username: p.name.clone(),
            display_name: p.display_name.clone(),
            kind: p.kind.to_string(),
        },
        organisation: p.org.clone(),
        roles: p
            .roles
            .iter()
            .map(|g| MeRole {
                role: g.role,
                name: g.role.zh().to_string(),
                org_id: g.org_id,
            })
            .collect(),
        auth: match p.via {
            Via::Cookie { .. } => "cookie",
            Via::Bearer => "bearer",
            Via::ApiToken { .. } => "api_token",
            Via::CommandLine => "command_line",
        }
        .to_string(),
    })
}
