//! Reminders (到期提醒, CAL-2): inbox notifications of cases and their
//! webhook deliveries.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

/// One reminder in an organisation's inbox: a case of which it is the
/// responding organisation is due soon, or overdue.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Notification {
    pub id: i64,
    pub org_id: i64,
    pub case_id: i64,
    /// `due_soon` (by the next working day) or `overdue`.
    pub kind: String,
    pub due_on: NaiveDate,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
    pub read_by: Option<String>,
}

/// An organisation's webhook: reminders are POSTed to `url`, signed with
/// HMAC-SHA256 under the secret (never shown again once set).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Webhook {
    pub org_id: i64,
    pub url: String,
    #[serde(skip)]
    pub secret: String,
    pub active: bool,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

/// One reminder's delivery to a webhook: attempts, the last answer, the
/// next attempt.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct WebhookDelivery {
    pub id: i64,
    pub notification_id: i64,
    pub org_id: i64,
    pub url: String,
    /// `pending`, `delivered` or `failed` (attempts exhausted).
    pub state: String,
    pub attempts: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub next_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}
