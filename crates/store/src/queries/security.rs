//! Per-agency security management (安全管理, SEC-2 to SEC-4): officers,
//! grade protection, records, confidentiality reviews and unusual-access
//! alerts. Written once for both backends.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pubdata_domain::audit::AuditEvent;
use pubdata_domain::security::AlertKind;

use super::audit;
use crate::rows::Cols;
use crate::sql::{Arg, Dialect, Exec, Tx, now, sql};
use crate::*;

fn officer<R: Cols>(r: &R) -> Result<SecurityOfficer> {
    Ok(SecurityOfficer {
        org_id: r.int("org_id")?,
        name: r.text("name")?,
        post: r.text("post")?,
        contact: r.text("contact")?,
        updated_by: r.text("updated_by")?,
        updated_at: r.time("updated_at")?,
    })
}

fn protection<R: Cols>(r: &R) -> Result<GradeProtection> {
    Ok(GradeProtection {
        org_id: r.int("org_id")?,
        grade: r.text("grade")?,
        masking_default: r.flag("masking_default")?,
        review_required: r.flag("review_required")?,
        export_allowed: r.flag("export_allowed")?,
        notes: r.text("notes")?,
        updated_by: r.text("updated_by")?,
        updated_at: r.time("updated_at")?,
    })
}

fn record<R: Cols>(r: &R) -> Result<SecurityRecord> {
    Ok(SecurityRecord {
        id: r.int("id")?,
        org_id: r.int("org_id")?,
        kind: r.parsed("kind")?,
        held_on: r.date("held_on")?,
        scope: r.text("scope")?,
        findings: r.text("findings")?,
        follow_up: r.text("follow_up")?,
        recorded_by: r.text("recorded_by")?,
        created_at: r.time("created_at")?,
    })
}

fn review<R: Cols>(r: &R) -> Result<ConfidentialityReview> {
    Ok(ConfidentialityReview {
        id: r.int("id")?,
        org_id: r.int("org_id")?,
        entry_id: r.int("entry_id")?,
        entry_version: r.opt_int("entry_version")?,
        share_request_id: r.opt_int("share_request_id")?,
        reviewer: r.text("reviewer")?,
        reviewed_on: r.date("reviewed_on")?,
        passed: r.flag("passed")?,
        notes: r.text("notes")?,
        recorded_by: r.text("recorded_by")?,
        created_at: r.time("created_at")?,
    })
}

fn alert<R: Cols>(r: &R) -> Result<SecurityAlert> {
    Ok(SecurityAlert {
        id: r.int("id")?,
        kind: r.parsed("kind")?,
        fingerprint: r.text("fingerprint")?,
        grant_id: r.int("grant_id")?,
        source_org: r.int("source_org")?,
        grantee_org: r.int("grantee_org")?,
        window_start: r.time("window_start")?,
        window_end: r.time("window_end")?,
        observed: r.int("observed")?,
        threshold: r.int("threshold")?,
        detail: r.json_value("detail")?,
        detected_at: r.time("detected_at")?,
        acknowledged_by: r.opt_text("acknowledged_by")?,
        acknowledged_at: r.opt_time("acknowledged_at")?,
        ack_note: r.opt_text("ack_note")?,
    })
}

#[async_trait]
impl<D: Dialect> SecurityStore for D {
    async fn security_officer(&self, org_id: i64) -> Result<Option<SecurityOfficer>> {
        let row = self
            .reader()
            .opt(sql("SELECT * FROM security_officers WHERE org_id = ?").bind(org_id))
            .await?;
        row.as_ref().map(officer).transpose()
    }

    async fn put_security_officer(
        &self,
        o: &SecurityOfficer,
        audit_event: AuditEvent,
    ) -> Result<SecurityOfficer> {
        let mut tx = self.begin().await?;
        let row = tx
            .one(
                sql("INSERT INTO security_officers (org_id, name, post, contact, updated_by, updated_at)
                     VALUES (?, ?, ?, ?, ?, ?)
                     ON CONFLICT (org_id) DO UPDATE SET name = excluded.name, post = excluded.post,
                        contact = excluded.contact, updated_by = excluded.updated_by,
                        updated_at = excluded.updated_at
                     RETURNING *")
                .bind(o.org_id)
                .bind(&o.name)
                .bind(&o.post)
                .bind(&o.contact)
                .bind(&o.updated_by)
                .bind(now()),
            )
            .await?;
        let saved = officer(&row)?;
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        Ok(saved)
    }

    async fn grade_protections(&self, org_id: i64) -> Result<Vec<GradeProtection>> {
        let rows = self
            .reader()
            .all(
                sql("SELECT * FROM security_grade_settings WHERE org_id = ? ORDER BY grade")
                    .bind(org_id),
            )
            .await?;
        rows.iter().map(protection).collect()
    }

    async fn put_grade_protections(
        &self,
        org_id: i64,
        settings: &[GradeProtection],
        audit_event: AuditEvent,
    ) -> Result<Vec<GradeProtection>> {
        let mut tx = self.begin().await?;
        tx.run(sql("DELETE FROM security_grade_settings WHERE org_id = ?").bind(org_id))
            .await?;
        let at = now();
        for s in settings {
            tx.run(
                sql(
                    "INSERT INTO security_grade_settings (org_id, grade, masking_default,
                        review_required, export_allowed, notes, updated_by, updated_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(org_id)
                .bind(&s.grade)
                .bind(s.masking_default)
                .bind(s.review_required)
                .bind(s.export_allowed)
                .bind(&s.notes)
                .bind(&s.updated_by)
                .bind(at),
            )
            .await?;
        }
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        self.grade_protections(org_id).await
    }

    async fn add_security_record(
        &self,
        r: NewSecurityRecord,
        audit_event: AuditEvent,
    ) -> Result<SecurityRecord> {
        let mut tx = self.begin().await?;
        let row = tx
            .one(
                sql(
                    "INSERT INTO security_records (org_id, kind, held_on, scope, findings,
                        follow_up, recorded_by, created_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
                )
                .bind(r.org_id)
                .bind(r.kind.as_str())
                .bind(r.held_on)
                .bind(&r.scope)
                .bind(&r.findings)
                .bind(&r.follow_up)
                .bind(&r.recorded_by)
                .bind(now()),
            )
            .await?;
        let saved = record(&row)?;
        let mut ev = audit_event;
        ev.detail["record"] = serde_json::json!(saved.id);
        audit::<D>(&mut tx, &ev).await?;
        tx.commit().await?;
        Ok(saved)
    }

    async fn security_records(&self, org_id: i64, limit: u32) -> Result<Vec<SecurityRecord>> {
        let rows = self
            .reader()
            .all(
                sql("SELECT * FROM security_records WHERE org_id = ?
                     ORDER BY held_on DESC, id DESC LIMIT ?")
                .bind(org_id)
                .bind(i64::from(limit.max(1))),
            )
            .await?;
        rows.iter().map(record).collect()
    }

    async fn add_confidentiality_review(
        &self,
        r: NewConfidentialityReview,
        audit_event: AuditEvent,
    ) -> Result<ConfidentialityReview> {
        let mut tx = self.begin().await?;
        let row = tx
            .one(
                sql("INSERT INTO confidentiality_reviews (org_id, entry_id, entry_version,
                        share_request_id, reviewer, reviewed_on, passed, notes, recorded_by, created_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *")
                .bind(r.org_id)
                .bind(r.entry_id)
                .bind(r.entry_version)
                .bind(r.share_request_id)
                .bind(&r.reviewer)
                .bind(r.reviewed_on)
                .bind(r.passed)
                .bind(&r.notes)
                .bind(&r.recorded_by)
                .bind(now()),
            )
            .await?;
        let saved = review(&row)?;
        let mut ev = audit_event;
        ev.detail["review"] = serde_json::json!(saved.id);
        audit::<D>(&mut tx, &ev).await?;
        tx.commit().await?;
        Ok(saved)
    }

    async fn confidentiality_reviews(
        &self,
        f: &ReviewFilter,
    ) -> Result<Vec<ConfidentialityReview>> {
        let mut q = sql("SELECT * FROM confidentiality_reviews WHERE 1 = 1");
        if let Some(v) = f.org_id {
            q.push(" AND org_id = ").push_bind(v);
        }
        if let Some(v) = f.entry_id {
            q.push(" AND entry_id = ").push_bind(v);
        }
        if let Some(v) = f.entry_version {
            q.push(" AND entry_version = ").push_bind(v);
        }
        if let Some(v) = f.share_request_id {
            q.push(" AND share_request_id = ").push_bind(v);
        }
        q.push(" ORDER BY id DESC LIMIT ")
            .push_bind(i64::from(f.limit.max(1)));
        let rows = self.reader().all(q).await?;
        rows.iter().map(review).collect()
    }

    async fn grant_access_between(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<GrantAccess>> {
        let rows = self
            .reader()
            .all(
                sql("SELECT id, at, action, detail FROM audit_log
                     WHERE at >= ? AND at < ?
                       AND action IN ('dataset.read', 'dataset.verify', 'dataset.verify_probing')
                     ORDER BY id")
                .bind(since)
                .bind(until),
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let detail: serde_json::Value =
                serde_json::from_str(&r.text("detail")?).unwrap_or_default();
            // Refusals carry `refused`: only what left counts.
            if detail.get("refused").is_some() {
                continue;
            }
            // Reads under another basis (an objection's sight) are not
            // the grant's use.
            if detail
                .get("basis")
                .and_then(|b| b.as_str())
                .is_some_and(|b| b != "grant")
            {
                continue;
            }
            let Some(grant_id) = detail.get("grant").and_then(|g| g.as_i64()) else {
                continue;
            };
            let keys = detail
                .get("keys")
                .and_then(|k| k.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|k| k.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            out.push(GrantAccess {
                id: r.int("id")?,
                at: r.time("at")?,
                action: r.text("action")?,
                grant_id,
                keys,
                rows: detail
                    .get("rows")
                    .or_else(|| detail.get("records"))
                    .and_then(|n| n.as_i64())
                    .unwrap_or(0),
            });
        }
        Ok(out)
    }

    async fn add_security_alerts(
        &self,
        alerts: Vec<NewSecurityAlert>,
        actor: &str,
    ) -> Result<Vec<SecurityAlert>> {
        if alerts.is_empty() {
            return Ok(vec![]);
        }
        let mut tx = self.begin().await?;
        let mut added = Vec::new();
        let at = now();
        for a in alerts {
            let row = tx
                .opt(
                    sql(
                        "INSERT INTO security_alerts (kind, fingerprint, grant_id, source_org,
                            grantee_org, window_start, window_end, observed, threshold, detail,
                            detected_at)
                         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                         ON CONFLICT (fingerprint) DO NOTHING RETURNING *",
                    )
                    .bind(a.kind.as_str())
                    .bind(&a.fingerprint)
                    .bind(a.grant_id)
                    .bind(a.source_org)
                    .bind(a.grantee_org)
                    .bind(a.window_start)
                    .bind(a.window_end)
                    .bind(a.observed)
                    .bind(a.threshold)
                    .bind(Arg::Json(a.detail.clone()))
                    .bind(at),
                )
                .await?;
            let Some(row) = row else { continue };
            let saved = alert(&row)?;
            audit::<D>(
                &mut tx,
                &AuditEvent {
                    actor: actor.into(),
                    actor_user_id: None,
                    org_id: Some(saved.source_org),
                    action: "security.alert".into(),
                    target: format!("grant:{}", saved.grant_id),
                    outcome: pubdata_domain::audit::Outcome::Success,
                    detail: serde_json::json!({
                        "alert": saved.id, "kind": saved.kind.as_str(),
                        "observed": saved.observed, "threshold": saved.threshold,
                        "window_start": saved.window_start, "window_end": saved.window_end,
                    }),
                    client_ip: None,
                },
            )
            .await?;
            added.push(saved);
        }
        tx.commit().await?;
        Ok(added)
    }

    async fn security_alerts(&self, f: &AlertFilter) -> Result<Vec<SecurityAlert>> {
        let mut q = sql("SELECT * FROM security_alerts WHERE 1 = 1");
        if let Some(orgs) = &f.orgs {
            if orgs.is_empty() {
                return Ok(vec![]);
            }
            q.push(" AND (source_org IN ").push_list(orgs);
            q.push(" OR grantee_org IN ").push_list(orgs);
            q.push(")");
        }
        if let Some(k) = f.kind {
            q.push(" AND kind = ").push_bind(k.as_str());
        }
        if f.open_only {
            q.push(" AND acknowledged_at IS NULL");
        }
        q.push(" ORDER BY id DESC LIMIT ")
            .push_bind(i64::from(f.limit.max(1)));
        let rows = self.reader().all(q).await?;
        rows.iter().map(alert).collect()
    }

    async fn get_security_alert(&self, id: i64) -> Result<SecurityAlert> {
        let row = self
            .reader()
            .one(sql("SELECT * FROM security_alerts WHERE id = ?").bind(id))
            .await?;
        alert(&row)
    }

    async fn acknowledge_security_alert(
        &self,
        id: i64,
        actor: &str,
        note: &str,
        audit_event: AuditEvent,
    ) -> Result<SecurityAlert> {
        let mut tx = self.begin().await?;
        let row = tx
            .opt(
                sql("UPDATE security_alerts SET acknowledged_by = ?, acknowledged_at = ?, ack_note = ?
                     WHERE id = ? AND acknowledged_at IS NULL RETURNING *")
                .bind(actor)
                .bind(now())
                .bind(note)
                .bind(id),
            )
            .await?;
        let Some(row) = row else {
            return Err(StoreError::Conflict {
                what: "alert acknowledgement".into(),
            });
        };
        let saved = alert(&row)?;
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        Ok(saved)
    }

    async fn security_alert_counts(&self) -> Result<Vec<AlertCount>> {
        let rows = self
            .reader()
            .all(sql("SELECT kind, COUNT(*) AS total,
                        SUM(CASE WHEN acknowledged_at IS NULL THEN 1 ELSE 0 END) AS open
                 FROM security_alerts GROUP BY kind ORDER BY kind"))
            .await?;
        let mut out: Vec<AlertCount> = AlertKind::ALL
            .iter()
            .map(|k| AlertCount {
                kind: *k,
                total: 0,
                open: 0,
            })
            .collect();
        for r in &rows {
            let kind: AlertKind = r.parsed("kind")?;
            if let Some(c) = out.iter_mut().find(|c| c.kind == kind) {
                c.total = r.int("total")?;
                c.open = r.int("open")?;
            }
        }
        Ok(out)
    }
}
