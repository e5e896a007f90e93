use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pubdata_service::auth::{CreateApiToken, CreatedApiToken};
use pubdata_service::model::ApiToken;
use serde::Serialize;

use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, ApiPath, Caller};

#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenList {
    pub items: Vec<ApiToken>,
}

/// The caller's organisation's application tokens, with last use (agency data administrators).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "auth",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = TokenList), (status = 403, body = Problem)))]
pub async fn list_tokens(
    State(s): State<AppState>,
    Caller(p): Caller,
) -> ApiResult<Json<TokenList>> {
    Ok(Json(TokenList {
        items: s.app.list_api_tokens(&p).await?,
    }))
}

/// Creates an application token for the caller's organisation. The secret
/// is in `token` and is shown only in this response; only its hash is kept.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "auth",
    security(("bearer" = []), ("session" = [])), request_body = CreateApiToken,
    responses((status = 201, body = CreatedApiToken), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_token(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiJson(req): ApiJson<CreateApiToken>,
) -> ApiResult<(StatusCode, Json<CreatedApiToken>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.create_api_token(&p, req).await?),
    ))
}

/// Revokes an application token; it stops working at once on this server.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "auth",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = ApiToken), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn revoke_token(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ApiToken>> {
    Ok(Json(s.app.revoke_api_token(&p, id).await?))
}
