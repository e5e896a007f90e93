//! Reminders (到期提醒, CAL-2): notifications, webhooks and deliveries.
//! Written once for both backends.

use async_trait::async_trait;

use pubdata_domain::audit::AuditEvent;

use super::audit;
use crate::rows::{self, Cols};
use crate::sql::{Arg, Dialect, Exec, Tx, now, sql};
use crate::*;

fn notification<R: Cols>(r: &R) -> Result<Notification> {
    Ok(Notification {
        id: r.int("id")?,
        org_id: r.int("org_id")?,
        case_id: r.int("case_id")?,
        kind: r.text("kind")?,
        due_on: r.date("due_on")?,
        created_at: r.time("created_at")?,
        read_at: r.opt_time("read_at")?,
        read_by: r.opt_text("read_by")?,
    })
}

fn webhook<R: Cols>(r: &R) -> Result<Webhook> {
    Ok(Webhook {
        org_id: r.int("org_id")?,
        url: r.text("url")?,
        secret: r.text("secret")?,
        active: r.flag("active")?,
        updated_by: r.text("updated_by")?,
        updated_at: r.time("updated_at")?,
    })
}

fn delivery<R: Cols>(r: &R) -> Result<WebhookDelivery> {
    Ok(WebhookDelivery {
        id: r.int("id")?,
        notification_id: r.int("notification_id")?,
        org_id: r.int("org_id")?,
        url: r.text("url")?,
        state: r.text("state")?,
        attempts: r.int("attempts")?,
        last_status: r.opt_int("last_status")?,
        last_error: r.opt_text("last_error")?,
        next_at: r.opt_time("next_at")?,
        delivered_at: r.opt_time("delivered_at")?,
        created_at: r.time("created_at")?,
    })
}

#[async_trait]
impl<D: Dialect> NotifyStore for D {
    async fn open_cases_due_by(&self, by: NaiveDate) -> Result<Vec<Case>> {
        self.reader()
            .all(
                sql("SELECT * FROM cases WHERE state = 'open' AND due_on <= ? ORDER BY id")
                    .bind(by),
            )
            .await?
            .iter()
            .map(rows::case)
            .collect()
    }

    async fn add_notifications(&self, cases: &[Case], kind: &str) -> Result<Vec<Notification>> {
        let mut tx = self.begin().await?;
        let mut added = Vec::new();
        let at = now();
        for c in cases {
            let Some(row) = tx
                .opt(
                    sql(
                        "INSERT INTO notifications (org_id, case_id, kind, due_on, created_at)
                         VALUES (?, ?, ?, ?, ?)
                         ON CONFLICT (case_id, kind) DO NOTHING RETURNING *",
                    )
                    .bind(c.responder_org)
                    .bind(c.id)
                    .bind(kind)
                    .bind(c.due_on)
                    .bind(at),
                )
                .await?
            else {
                continue;
            };
            let n = notification(&row)?;
            let hook = tx
                .opt(
                    sql("SELECT * FROM webhooks WHERE org_id = ? AND active = ?")
                        .bind(n.org_id)
                        .bind(true),
                )
                .await?;
            if let Some(h) = hook {
                let h = webhook(&h)?;
                tx.run(
                    sql("INSERT INTO webhook_deliveries
                         (notification_id, org_id, url, state, attempts, next_at, created_at)
                         VALUES (?, ?, ?, 'pending', 0, ?, ?)")
                    .bind(n.id)
                    .bind(n.org_id)
                    .bind(&h.url)
                    .bind(at)
                    .bind(at),
                )
                .await?;
            }
            added.push(n);
        }
        tx.commit().await?;
        Ok(added)
    }

    async fn inbox(&self, org_id: i64, unread_only: bool, limit: u32) -> Result<Vec<Notification>> {
        let mut q = sql("SELECT * FROM notifications WHERE org_id = ");
        q.push_bind(org_id);
        if unread_only {
            q.push(" AND read_at IS NULL");
        }
        q.push(" ORDER BY id DESC LIMIT ")
            .push_bind(i64::from(limit));
        self.reader()
            .all(q)
            .await?
            .iter()
            .map(notification)
            .collect()
    }

    async fn mark_read(&self, id: i64, org_id: i64, by: &str) -> Result<Notification> {
        let row = self
            .writer()
            .opt(
                sql("UPDATE notifications SET read_at = COALESCE(read_at, ?),
                            read_by = COALESCE(read_by, ?)
                     WHERE id = ? AND org_id = ? RETURNING *")
                .bind(now())
                .bind(by)
                .bind(id)
                .bind(org_id),
            )
            .await?
            .ok_or(StoreError::NotFound)?;
        notification(&row)
    }

    async fn webhook(&self, org_id: i64) -> Result<Option<Webhook>> {
        self.reader()
            .opt(sql("SELECT * FROM webhooks WHERE org_id = ?").bind(org_id))
            .await?
            .as_ref()
            .map(webhook)
            .transpose()
    }

    async fn put_webhook(&self, w: &Webhook, audit_event: AuditEvent) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.run(
            sql(
                "INSERT INTO webhooks (org_id, url, secret, active, updated_by, updated_at)
                 VALUES (?, ?, ?, ?, ?, ?)
                 ON CONFLICT (org_id) DO UPDATE SET url = excluded.url,
                    secret = excluded.secret, active = excluded.active,
                    updated_by = excluded.updated_by, updated_at = excluded.updated_at",
            )
            .bind(w.org_id)
            .bind(&w.url)
            .bind(&w.secret)
            .bind(w.active)
            .bind(&w.updated_by)
            .bind(w.updated_at),
        )
        .await?;
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await
    }

    async fn due_deliveries(
        &self,
        at: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<(WebhookDelivery, Notification)>> {
        let rows = self
            .reader()
            .all(
                sql(
                    "SELECT * FROM webhook_deliveries WHERE state = 'pending' AND next_at <= ?
                     ORDER BY next_at, id LIMIT ?",
                )
                .bind(at)
                .bind(i64::from(limit)),
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let d = delivery(r)?;
            let n = self
                .reader()
                .one(sql("SELECT * FROM notifications WHERE id = ?").bind(d.notification_id))
                .await?;
            out.push((d, notification(&n)?));
        }
        Ok(out)
    }

    async fn record_attempt(
        &self,
        id: i64,
        outcome: std::result::Result<i64, (Option<i64>, String)>,
        next_at: Option<DateTime<Utc>>,
    ) -> Result<WebhookDelivery> {
        let q = match outcome {
            Ok(status) => sql(
                "UPDATE webhook_deliveries SET state = 'delivered', attempts = attempts + 1,
                        last_status = ?, last_error = NULL, next_at = NULL, delivered_at = ?
                 WHERE id = ? RETURNING *",
            )
            .bind(status)
            .bind(now())
            .bind(id),
            Err((status, error)) => sql(
                "UPDATE webhook_deliveries SET state = ?, attempts = attempts + 1,
                        last_status = ?, last_error = ?, next_at = ?
                 WHERE id = ? RETURNING *",
            )
            .bind(if next_at.is_some() {
                "pending"
            } else {
                "failed"
            })
            .bind(status)
            .bind(error)
            .bind(Arg::Time(next_at))
            .bind(id),
        };
        let row = self.writer().one(q).await?;
        delivery(&row)
    }

    async fn deliveries_of(&self, org_id: i64, limit: u32) -> Result<Vec<WebhookDelivery>> {
        self.reader()
            .all(
                sql("SELECT * FROM webhook_deliveries WHERE org_id = ? ORDER BY id DESC LIMIT ?")
                    .bind(org_id)
                    .bind(i64::from(limit)),
            )
            .await?
            .iter()
            .map(delivery)
            .collect()
    }
}
