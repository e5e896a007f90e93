//! Violations and rectification notices (违规与整改, VIO-1, VIO-2). Written
//! once for both backends.

use async_trait::async_trait;
use chrono::NaiveDate;
use pubdata_domain::audit::AuditEvent;
use pubdata_domain::case::CaseSubject;
use pubdata_domain::violation::RectificationState;

use super::audit;
use super::cases::close_open_cases;
use super::open_case_of;
use crate::rows::Cols;
use crate::sql::{Arg, Dialect, Exec, Tx, now, sql};
use crate::*;

fn violation<R: Cols>(r: &R) -> Result<Violation> {
    Ok(Violation {
        id: r.int("id")?,
        org_id: r.int("org_id")?,
        authority_org: r.int("authority_org")?,
        kind: r.parsed("kind")?,
        source: r.parsed("source")?,
        detection_key: r.opt_text("detection_key")?,
        subject: r.opt_text("subject")?,
        title: r.text("title")?,
        description: r.text("description")?,
        evidence: r.json_value("evidence")?,
        state: r.parsed("state")?,
        rectification_id: r.opt_int("rectification_id")?,
        grants_suspended: r.int("grants_suspended")?,
        occurred_on: r.date("occurred_on")?,
        closed_by: r.opt_text("closed_by")?,
        closed_at: r.opt_time("closed_at")?,
        closing_note: r.opt_text("closing_note")?,
        created_by: r.text("created_by")?,
        created_at: r.time("created_at")?,
    })
}

fn rectification<R: Cols>(r: &R) -> Result<Rectification> {
    Ok(Rectification {
        id: r.int("id")?,
        org_id: r.int("org_id")?,
        authority_org: r.int("authority_org")?,
        requirement: r.text("requirement")?,
        working_days: r.int("working_days")?,
        case_id: r.opt_int("case_id")?,
        due_on: r.date("due_on")?,
        state: r.parsed("state")?,
        report: r.opt_text("report")?,
        reported_by: r.opt_text("reported_by")?,
        reported_at: r.opt_time("reported_at")?,
        decision_note: r.opt_text("decision_note")?,
        decided_by: r.opt_text("decided_by")?,
        decided_at: r.opt_time("decided_at")?,
        escalated_at: r.opt_time("escalated_at")?,
        created_by: r.text("created_by")?,
        created_at: r.time("created_at")?,
    })
}

#[async_trait]
impl<D: Dialect> ViolationStore for D {
    async fn record_violation(
        &self,
        v: NewViolation,
        audit_event: AuditEvent,
    ) -> Result<Option<Violation>> {
        let mut tx = self.begin().await?;
        let row = tx
            .opt(
                sql("INSERT INTO violations (org_id, authority_org, kind, source, detection_key, subject,
                        title, description, evidence, state, occurred_on, created_by, created_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?)
                     ON CONFLICT (detection_key) DO NOTHING RETURNING *")
                .bind(v.org_id)
                .bind(v.authority_org)
                .bind(v.kind.as_str())
                .bind(v.source.as_str())
                .bind(v.detection_key.clone())
                .bind(v.subject.clone())
                .bind(&v.title)
                .bind(&v.description)
                .bind(Arg::json(&v.evidence))
                .bind(v.occurred_on)
                .bind(&v.created_by)
                .bind(now()),
            )
            .await?;
        let Some(row) = row else {
            // Found before: nothing written.
            return Ok(None);
        };
        let created = violation(&row)?;
        let mut ev = audit_event;
        ev.target = format!("violation:{}", created.id);
        audit::<D>(&mut tx, &ev).await?;
        tx.commit().await?;
        Ok(Some(created))
    }

    async fn get_violation(&self, id: i64) -> Result<Violation> {
        let row = self
            .reader()
            .one(sql("SELECT * FROM violations WHERE id = ?").bind(id))
            .await?;
        violation(&row)
    }

    async fn list_violations(&self, f: &ViolationFilter) -> Result<Vec<Violation>> {
        let mut q = sql("SELECT * FROM violations WHERE 1 = 1");
        if let Some(orgs) = &f.orgs {
            if orgs.is_empty() {
                return Ok(vec![]);
            }
            q.push(" AND (org_id IN ").push_list(orgs);
            q.push(" OR authority_org IN ").push_list(orgs);
            q.push(")");
        }
        if let Some(s) = f.state {
            q.push(" AND state = ").push_bind(s.as_str());
        }
        if let Some(k) = f.kind {
            q.push(" AND kind = ").push_bind(k.as_str());
        }
        if let Some(s) = f.source {
            q.push(" AND source = ").push_bind(s.as_str());
        }
        if let Some(r) = f.rectification_id {
            q.push(" AND rectification_id = ").push_bind(r);
        }
        if let Some(t) = f.since {
            q.push(" AND created_at >= ").push_bind(t);
        }
        if let Some(t) = f.until {
            q.push(" AND created_at < ").push_bind(t);
        }
        q.push(" ORDER BY id DESC LIMIT ")
            .push_bind(i64::from(f.limit.max(1)));
        let rows = self.reader().all(q).await?;
        rows.iter().map(violation).collect()
    }

    async fn set_violation_suspensions(&self, id: i64, grants: i64) -> Result<()> {
        self.writer()
            .run(
                sql("UPDATE violations SET grants_suspended = grants_suspended + ? WHERE id = ?")
                    .bind(grants)
                    .bind(id),
            )
            .await?;
        Ok(())
    }

    async fn dismiss_violation(
        &self,
        id: i64,
        actor: &str,
        note: &str,
        audit_event: AuditEvent,
    ) -> Result<Violation> {
        let mut tx = self.begin().await?;
        let row = tx
            .opt(
                sql(
                    "UPDATE violations SET state = 'dismissed', closed_by = ?, closed_at = ?,
                        closing_note = ?
                     WHERE id = ? AND state = 'open' RETURNING *",
                )
                .bind(actor)
                .bind(now())
                .bind(note)
                .bind(id),
            )
            .await?
            .ok_or_else(|| StoreError::Conflict {
                what: "violation state".into(),
            })?;
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        violation(&row)
    }

    async fn create_rectification(
        &self,
        r: NewRectification,
        audit_event: AuditEvent,
    ) -> Result<Rectification> {
        let mut tx = self.begin().await?;
        let row = tx
            .one(
                sql(
                    "INSERT INTO rectifications (org_id, authority_org, requirement, working_days,
                        due_on, state, created_by, created_at)
                     VALUES (?, ?, ?, ?, ?, 'open', ?, ?) RETURNING *",
                )
                .bind(r.org_id)
                .bind(r.authority_org)
                .bind(&r.requirement)
                .bind(r.working_days)
                .bind(r.case.due_on)
                .bind(&r.created_by)
                .bind(now()),
            )
            .await?;
        let created = rectification(&row)?;
        // Every violation named must be the body's and still open: a
        // notice covers each violation once.
        let mut q = sql("UPDATE violations SET state = 'rectifying', rectification_id = ");
        q.push_bind(created.id);
        q.push(" WHERE state = 'open' AND org_id = ")
            .push_bind(r.org_id)
            .push(" AND id IN ")
            .push_list(&r.violations);
        let changed = tx.run(q).await?;
        if changed != r.violations.len() as u64 {
            return Err(StoreError::Conflict {
                what: "violation state".into(),
            });
        }
        let row = open_case_of::<D>(
            tx,
            "rectifications",
            CaseSubject::Rectification(created.id),
            r.case,
            &r.created_by,
            audit_event,
        )
        .await?;
        rectification(&row)
    }

    async fn get_rectification(&self, id: i64) -> Result<Rectification> {
        let row = self
            .reader()
            .one(sql("SELECT * FROM rectifications WHERE id = ?").bind(id))
            .await?;
        rectification(&row)
    }

    async fn list_rectifications(&self, f: &RectificationFilter) -> Result<Vec<Rectification>> {
        let mut q = sql("SELECT * FROM rectifications WHERE 1 = 1");
        if let Some(orgs) = &f.orgs {
            if orgs.is_empty() {
                return Ok(vec![]);
            }
            q.push(" AND (org_id IN ").push_list(orgs);
            q.push(" OR authority_org IN ").push_list(orgs);
            q.push(")");
        }
        if let Some(s) = f.state {
            q.push(" AND state = ").push_bind(s.as_str());
        }
        match f.escalated {
            Some(true) => {
                q.push(" AND escalated_at IS NOT NULL");
            }
            Some(false) => {
                q.push(" AND escalated_at IS NULL");
            }
            None => {}
        }
        q.push(" ORDER BY id DESC LIMIT ")
            .push_bind(i64::from(f.limit.max(1)));
        let rows = self.reader().all(q).await?;
        rows.iter().map(rectification).collect()
    }

    async fn move_rectification(
        &self,
        id: i64,
        mv: RectificationMove,
        actor: &str,
        audit_event: AuditEvent,
    ) -> Result<Rectification> {
        let mut tx = self.begin().await?;
        let subject = CaseSubject::Rectification(id).to_string();
        let at = now();
        let row = match &mv {
            RectificationMove::Report { report } => {
                tx.opt(
                    sql(
                        "UPDATE rectifications SET state = 'reported', report = ?, reported_by = ?,
                            reported_at = ?
                         WHERE id = ? AND state = 'open' RETURNING *",
                    )
                    .bind(report)
                    .bind(actor)
                    .bind(at)
                    .bind(id),
                )
                .await?
            }
            RectificationMove::Accept { note } => {
                close_open_cases::<D>(
                    &mut tx,
                    &subject,
                    pubdata_domain::case::CaseKind::Rectification,
                    "accepted",
                    actor,
                    note,
                )
                .await?;
                let row = tx
                    .opt(
                        sql(
                            "UPDATE rectifications SET state = 'accepted', decision_note = ?,
                                decided_by = ?, decided_at = ?
                             WHERE id = ? AND state = 'reported' RETURNING *",
                        )
                        .bind(note)
                        .bind(actor)
                        .bind(at)
                        .bind(id),
                    )
                    .await?;
                if row.is_some() {
                    tx.run(
                        sql(
                            "UPDATE violations SET state = 'closed', closed_by = ?, closed_at = ?,
                                closing_note = ?
                             WHERE rectification_id = ? AND state = 'rectifying'",
                        )
                        .bind(actor)
                        .bind(at)
                        .bind(note)
                        .bind(id),
                    )
                    .await?;
                }
                row
            }
            RectificationMove::Return { note } => {
                tx.opt(
                    sql(
                        "UPDATE rectifications SET state = 'open', decision_note = ?,
                            decided_by = ?, decided_at = ?
                         WHERE id = ? AND state = 'reported' RETURNING *",
                    )
                    .bind(note)
                    .bind(actor)
                    .bind(at)
                    .bind(id),
                )
                .await?
            }
        };
        let Some(row) = row else {
            return Err(StoreError::Conflict {
                what: "rectification state".into(),
            });
        };
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        rectification(&row)
    }

    async fn escalate_rectifications(
        &self,
        today: NaiveDate,
        event: AuditEvent,
    ) -> Result<Vec<Rectification>> {
        let mut tx = self.begin().await?;
        let rows = tx
            .all(
                sql("UPDATE rectifications SET escalated_at = ?
                     WHERE state = ? AND due_on < ? AND escalated_at IS NULL RETURNING *")
                .bind(now())
                .bind(RectificationState::Open.as_str())
                .bind(today),
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let r = rectification(row)?;
            let mut ev = event.clone();
            ev.target = format!("rectification:{}", r.id);
            ev.detail = serde_json::json!({"org": r.org_id, "authority": r.authority_org,
                                           "due_on": r.due_on, "list": "督查督办"});
            audit::<D>(&mut tx, &ev).await?;
            out.push(r);
        }
        tx.commit().await?;
        out.sort_by_key(|r| r.id);
        Ok(out)
    }

    async fn scan_mark(&self, detector: &str) -> Result<i64> {
        let row = self
            .reader()
            .opt(sql("SELECT last_id FROM violation_scans WHERE detector = ?").bind(detector))
            .await?;
        row.map_or(Ok(0), |r| r.int("last_id"))
    }

    async fn set_scan_mark(&self, detector: &str, last_id: i64) -> Result<()> {
        self.writer()
            .run(
                sql("INSERT INTO violation_scans (detector, last_id, at) VALUES (?, ?, ?)
                     ON CONFLICT (detector) DO UPDATE SET last_id = excluded.last_id, at = excluded.at")
                .bind(detector)
                .bind(last_id)
                .bind(now()),
            )
            .await?;
        Ok(())
    }

    async fn backdate_rectification(
        &self,
        id: i64,
        opened_on: NaiveDate,
        due_on: NaiveDate,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.run(
            sql("UPDATE rectifications SET due_on = ? WHERE id = ?")
                .bind(due_on)
                .bind(id),
        )
        .await?;
        tx.run(
            sql("UPDATE cases SET opened_on = ?, due_on = ? WHERE subject = ? AND state = 'open'")
                .bind(opened_on)
                .bind(due_on)
                .bind(CaseSubject::Rectification(id).to_string()),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
