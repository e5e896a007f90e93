//! Disputes between agencies (争议处理, DSP-1, Art. 48) with their stage
//! cases and record. Written once for both backends.

use async_trait::async_trait;
use chrono::NaiveDate;
use pubdata_domain::audit::AuditEvent;
use pubdata_domain::case::CaseSubject;
use pubdata_domain::dispute::{DisputeStage, DisputeStepKind};

use super::audit;
use super::cases::close_open_cases;
use super::{CaseStep, open_case_of, step_case};
use crate::rows::{self, Cols};
use crate::sql::{Dialect, Exec, Tx, now, sql};
use crate::*;

async fn add_step<D: Dialect>(
    tx: &mut D::Tx,
    id: i64,
    stage: DisputeStage,
    kind: DisputeStepKind,
    org_id: Option<i64>,
    actor: &str,
    body: &str,
) -> Result<()> {
    tx.run(
        sql(
            "INSERT INTO dispute_steps (dispute_id, stage, kind, org_id, actor, body, at)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(stage.as_str())
        .bind(kind.as_str())
        .bind(org_id)
        .bind(actor)
        .bind(body)
        .bind(now()),
    )
    .await?;
    Ok(())
}

#[async_trait]
impl<D: Dialect> DisputeStore for D {
    async fn create_dispute(&self, d: NewDispute, audit_event: AuditEvent) -> Result<Dispute> {
        let mut tx = self.begin().await?;
        let row = tx
            .one(
                sql("INSERT INTO disputes (complainant_org, respondent_org, authority_org, cross_level,
                        dispute_type, subject_kind, subject_id, title, grounds, stage, state, due_on,
                        created_by, created_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'negotiation', 'open', ?, ?, ?) RETURNING *")
                .bind(d.complainant_org)
                .bind(d.respondent_org)
                .bind(d.authority_org)
                .bind(d.cross_level)
                .bind(d.dispute_type.as_str())
                .bind(d.subject_kind.map(|k| k.as_str()))
                .bind(d.subject_id)
                .bind(&d.title)
                .bind(&d.grounds)
                .bind(d.case.due_on)
                .bind(&d.created_by)
                .bind(now()),
            )
            .await?;
        let created = rows::dispute(&row)?;
        add_step::<D>(
            &mut tx,
            created.id,
            DisputeStage::Negotiation,
            DisputeStepKind::Filed,
            Some(d.complainant_org),
            &d.created_by,
            &d.grounds,
        )
        .await?;
        let row = open_case_of::<D>(
            tx,
            "disputes",
            CaseSubject::Dispute(created.id),
            d.case,
            &d.created_by,
            audit_event,
        )
        .await?;
        rows::dispute(&row)
    }

    async fn get_dispute(&self, id: i64) -> Result<Dispute> {
        let row = self
            .reader()
            .one(sql("SELECT * FROM disputes WHERE id = ?").bind(id))
            .await?;
        rows::dispute(&row)
    }

    async fn list_disputes(&self, f: &DisputeFilter) -> Result<Vec<Dispute>> {
        let mut q = sql("SELECT * FROM disputes WHERE 1 = 1");
        if let Some(orgs) = &f.orgs {
            if orgs.is_empty() {
                return Ok(vec![]);
            }
            q.push(" AND (complainant_org IN ").push_list(orgs);
            q.push(" OR respondent_org IN ").push_list(orgs);
            q.push(" OR authority_org IN ").push_list(orgs);
            q.push(")");
        }
        if let Some(s) = f.state {
            q.push(" AND state = ").push_bind(s.as_str());
        }
        q.push(" ORDER BY id DESC LIMIT ")
            .push_bind(i64::from(f.limit.max(1)));
        let rows = self.reader().all(q).await?;
        rows.iter().map(rows::dispute).collect()
    }

    async fn dispute_steps(&self, id: i64) -> Result<Vec<DisputeStep>> {
        let rows = self
            .reader()
            .all(sql("SELECT * FROM dispute_steps WHERE dispute_id = ? ORDER BY id").bind(id))
            .await?;
        rows.iter()
            .map(|r| {
                Ok(DisputeStep {
                    id: r.int("id")?,
                    dispute_id: r.int("dispute_id")?,
                    stage: r.parsed("stage")?,
                    kind: r.parsed("kind")?,
                    org_id: r.opt_int("org_id")?,
                    actor: r.text("actor")?,
                    body: r.text("body")?,
                    at: r.time("at")?,
                })
            })
            .collect()
    }

    async fn move_dispute(
        &self,
        id: i64,
        stage: DisputeStage,
        mv: DisputeMove,
        org_id: Option<i64>,
        actor: &str,
        body: &str,
        audit_event: AuditEvent,
    ) -> Result<Dispute> {
        let mut tx = self.begin().await?;
        let guard = "WHERE id = ? AND state = 'open' AND stage = ? RETURNING *";
        let subject = CaseSubject::Dispute(id).to_string();
        let (row, kind) = match &mv {
            DisputeMove::Statement => (
                tx.opt(
                    sql(format!("UPDATE disputes SET state = state {guard}"))
                        .bind(id)
                        .bind(stage.as_str()),
                )
                .await?,
                DisputeStepKind::Statement,
            ),
            DisputeMove::Escalate { to, case, leaning } => {
                close_open_cases::<D>(
                    &mut tx,
                    &subject,
                    stage.case_kind(),
                    "escalated",
                    actor,
                    body,
                )
                .await?;
                let mut case = case.clone();
                case.subject = subject.clone();
                let opened = step_case::<D>(&mut tx, CaseStep::Open(&case), actor, body, None)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                (
                    tx.opt(
                        sql(format!(
                            "UPDATE disputes SET stage = ?, case_id = ?, due_on = ?,
                                leaning = COALESCE(?, leaning) {guard}"
                        ))
                        .bind(to.as_str())
                        .bind(opened.id)
                        .bind(case.due_on)
                        .bind(leaning.clone())
                        .bind(id)
                        .bind(stage.as_str()),
                    )
                    .await?,
                    DisputeStepKind::Escalated,
                )
            }
            DisputeMove::Settle { decision_no } => {
                close_open_cases::<D>(&mut tx, &subject, stage.case_kind(), "settled", actor, body)
                    .await?;
                (
                    tx.opt(
                        sql(format!(
                            "UPDATE disputes SET state = 'settled', outcome = ?, decision_no = ?,
                                settled_by = ?, settled_at = ? {guard}"
                        ))
                        .bind(body)
                        .bind(decision_no.clone())
                        .bind(actor)
                        .bind(now())
                        .bind(id)
                        .bind(stage.as_str()),
                    )
                    .await?,
                    DisputeStepKind::Settled,
                )
            }
        };
        let Some(row) = row else {
            return Err(StoreError::Conflict {
                what: "dispute stage".into(),
            });
        };
        add_step::<D>(&mut tx, id, stage, kind, org_id, actor, body).await?;
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        rows::dispute(&row)
    }

    async fn backdate_dispute(
        &self,
        id: i64,
        opened_on: NaiveDate,
        due_on: NaiveDate,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.run(
            sql("UPDATE disputes SET due_on = ? WHERE id = ?")
                .bind(due_on)
                .bind(id),
        )
        .await?;
        tx.run(
            sql("UPDATE cases SET opened_on = ?, due_on = ? WHERE subject = ? AND state = 'open'")
                .bind(opened_on)
                .bind(due_on)
                .bind(CaseSubject::Dispute(id).to_string()),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
