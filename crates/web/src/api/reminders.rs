//! Reminders (到期提醒, CAL-2): the organisation's inbox of case reminders
//! and its webhook.

use axum::Json;
use axum::extract::State;
use pubdata_service::model::{Notification, Webhook, WebhookDelivery};
use pubdata_service::reminders::{InboxItem, WebhookInput};
use serde::Deserialize;

use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct InboxQuery {
    /// Only reminders not yet read.
    pub unread: Option<bool>,
}

/// The caller's organisation's reminders — cases it must answer that are
/// due by the next working day, or overdue — newest first, with each case
/// and its deadline.
#[utoipa::path(get, path = "/api/v1/inbox", tag = "cases",
    security(("bearer" = []), ("session" = [])), params(InboxQuery),
    responses((status = 200, body = Vec<InboxItem>), (status = 403, body = Problem)))]
pub async fn inbox(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<InboxQuery>,
) -> ApiResult<Json<Vec<InboxItem>>> {
    Ok(Json(s.app.inbox(&p, q.unread.unwrap_or(false)).await?))
}

/// Marks a reminder read (by the caller, now; a second call changes nothing).
#[utoipa::path(post, path = "/api/v1/inbox/{id}/read", tag = "cases",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = Notification), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn mark_read(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Notification>> {
    Ok(Json(s.app.mark_read(&p, id).await?))
}

/// The organisation's webhook (its administrators); `null` when none is set.
/// The secret is never shown.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/webhook", tag = "cases",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = Option<Webhook>), (status = 403, body = Problem)))]
pub async fn webhook(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Option<Webhook>>> {
    Ok(Json(s.app.webhook(&p, id).await?))
}

/// Sets the organisation's webhook: reminders are POSTed to `url`, signed
/// `X-Pubdata-Signature: sha256=<HMAC-SHA256(secret, "<X-Pubdata-Timestamp>.<body>")>`,
/// retried with backoff.
#[utoipa::path(put, path = "/api/v1/orgs/{id}/webhook", tag = "cases",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)),
    request_body = WebhookInput,
    responses((status = 200, body = Webhook), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn put_webhook(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(w): ApiJson<WebhookInput>,
) -> ApiResult<Json<Webhook>> {
    Ok(Json(s.app.put_webhook(&p, id, w).await?))
}

/// The organisation's webhook deliveries, newest first: attempts, the last
/// answer, the next attempt (its administrators).
#[utoipa::path(get, path = "/api/v1/orgs/{id}/webhook/deliveries", tag = "cases",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = Vec<WebhookDelivery>), (status = 403, body = Problem)))]
pub async fn deliveries(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<WebhookDelivery>>> {
    Ok(Json(s.app.webhook_deliveries(&p, id).await?))
}
