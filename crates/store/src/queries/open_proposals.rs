//! Filing of open attributes and the authority's change proposals (开放属性
//! 备案与修改建议, OPN-1, Art. 32–34). Written once for both backends.

use async_trait::async_trait;
use pubdata_domain::audit::AuditEvent;
use pubdata_domain::case::{CaseKind, CaseSubject};

use super::audit;
use super::cases::close_open_cases;
use super::catalog::change_entry_in;
use super::{CaseStep, step_case};
use crate::rows;
use crate::sql::{Arg, Dialect, Exec, Tx, now, sql};
use crate::*;

/// Moves proposal `id` from state `from` to the state `set` writes
/// (`Conflict` when it is no longer in `from`).
async fn move_proposal<D: Dialect>(
    tx: &mut D::Tx,
    id: i64,
    from: &str,
    set: crate::sql::Sql,
) -> Result<OpenProposal> {
    let mut q = set;
    q.push(" WHERE id = ")
        .push_bind(id)
        .push(" AND state = ")
        .push_bind(from)
        .push(" RETURNING *");
    match tx.opt(q).await? {
        Some(row) => rows::open_proposal(&row),
        None => Err(StoreError::Conflict {
            what: "proposal state".into(),
        }),
    }
}

#[async_trait]
impl<D: Dialect> OpenProposalStore for D {
    async fn list_open_filings(&self, f: &FilingFilter) -> Result<Vec<OpenFiling>> {
        let mut q = sql("SELECT f.* FROM open_filings f");
        if f.current_only {
            q.push(
                " JOIN catalog_entries e ON e.id = f.entry_id AND e.published_version = f.version
                  AND e.state <> 'delisted'",
            );
        }
        q.push(" WHERE 1 = 1");
        if let Some(orgs) = &f.authority_orgs {
            if orgs.is_empty() {
                return Ok(vec![]);
            }
            q.push(" AND f.authority_org IN ").push_list(orgs);
        }
        if let Some(v) = f.org_id {
            q.push(" AND f.org_id = ").push_bind(v);
        }
        if let Some(v) = f.entry_id {
            q.push(" AND f.entry_id = ").push_bind(v);
        }
        if let Some(v) = f.attribute {
            q.push(" AND f.attribute = ").push_bind(v.as_str());
        }
        q.push(" ORDER BY f.id DESC LIMIT ")
            .push_bind(i64::from(f.limit.max(1)));
        let rows = self.reader().all(q).await?;
        rows.iter().map(rows::open_filing).collect()
    }

    async fn create_open_proposal(
        &self,
        p: NewOpenProposal,
        audit_event: AuditEvent,
    ) -> Result<OpenProposal> {
        let mut tx = self.begin().await?;
        let row = tx
            .one(
                sql(
                    "INSERT INTO open_proposals (entry_id, org_id, authority_org, filing_id,
                        from_attribute, from_clauses, proposed_attribute, proposed_clauses,
                        reasons, proposed_by, state, created_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?) RETURNING *",
                )
                .bind(p.entry_id)
                .bind(p.org_id)
                .bind(p.authority_org)
                .bind(p.filing_id)
                .bind(p.from_attribute.as_str())
                .bind(Arg::json(&p.from_clauses))
                .bind(p.proposed_attribute.as_str())
                .bind(Arg::json(&p.proposed_clauses))
                .bind(&p.reasons)
                .bind(&p.proposed_by)
                .bind(now()),
            )
            .await?;
        let created = rows::open_proposal(&row)?;
        let mut case = p.case;
        case.subject = CaseSubject::OpenProposal(created.id).to_string();
        step_case::<D>(
            &mut tx,
            CaseStep::Open(&case),
            &p.proposed_by,
            &p.reasons,
            None,
        )
        .await?;
        let mut ev = audit_event;
        ev.target = case.subject.clone();
        ev.detail["proposal"] = serde_json::json!(created.id);
        audit::<D>(&mut tx, &ev).await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn get_open_proposal(&self, id: i64) -> Result<OpenProposal> {
        let row = self
            .reader()
            .one(sql("SELECT * FROM open_proposals WHERE id = ?").bind(id))
            .await?;
        rows::open_proposal(&row)
    }

    async fn list_open_proposals(&self, f: &ProposalFilter) -> Result<Vec<OpenProposal>> {
        let mut q = sql("SELECT * FROM open_proposals WHERE 1 = 1");
        if let Some(v) = f.entry_id {
            q.push(" AND entry_id = ").push_bind(v);
        }
        if let Some(orgs) = &f.orgs {
            if orgs.is_empty() {
                return Ok(vec![]);
            }
            q.push(" AND (authority_org IN ").push_list(orgs);
            q.push(" OR org_id IN ").push_list(orgs);
            q.push(")");
        }
        if let Some(s) = f.state {
            q.push(" AND state = ").push_bind(s.as_str());
        }
        q.push(" ORDER BY id DESC LIMIT ")
            .push_bind(i64::from(f.limit.max(1)));
        let rows = self.reader().all(q).await?;
        rows.iter().map(rows::open_proposal).collect()
    }

    async fn answer_open_proposal(
        &self,
        a: ProposalAnswer,
        audit_event: AuditEvent,
    ) -> Result<OpenProposal> {
        let mut tx = self.begin().await?;
        let applied = match &a.change {
            Some(c) => Some(change_entry_in::<D>(&mut tx, c).await?.version),
            None => None,
        };
        let state = if a.agree { "agreed" } else { "disagreed" };
        let mut set = sql("UPDATE open_proposals SET state = ");
        set.push_bind(state)
            .push(", answer_reasons = ")
            .push_bind(&a.reasons)
            .push(", answered_by = ")
            .push_bind(&a.actor)
            .push(", answered_at = ")
            .push_bind(now())
            .push(", applied_version = ")
            .push_bind(applied);
        let p = move_proposal::<D>(&mut tx, a.id, "open", set).await?;
        close_open_cases::<D>(
            &mut tx,
            &CaseSubject::OpenProposal(a.id).to_string(),
            CaseKind::OpenProposal,
            state,
            &a.actor,
            &a.reasons,
        )
        .await?;
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        Ok(p)
    }

    async fn escalate_open_proposal(
        &self,
        id: i64,
        reasons: &str,
        actor: &str,
        case: NewCase,
        audit_event: AuditEvent,
    ) -> Result<OpenProposal> {
        let mut tx = self.begin().await?;
        let mut set = sql("UPDATE open_proposals SET state = 'escalated', escalation_reasons = ");
        set.push_bind(reasons)
            .push(", escalated_by = ")
            .push_bind(actor)
            .push(", escalated_at = ")
            .push_bind(now());
        let p = move_proposal::<D>(&mut tx, id, "disagreed", set).await?;
        let mut case = case;
        case.subject = CaseSubject::OpenProposal(id).to_string();
        step_case::<D>(&mut tx, CaseStep::Open(&case), actor, reasons, None).await?;
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        Ok(p)
    }

    async fn decide_open_proposal(
        &self,
        d: GovernmentDecision,
        audit_event: AuditEvent,
    ) -> Result<OpenProposal> {
        let mut tx = self.begin().await?;
        let decided = match &d.change {
            Some(c) => Some(change_entry_in::<D>(&mut tx, c).await?.version),
            None => None,
        };
        let mut set = sql("UPDATE open_proposals SET state = 'decided', decision_document_no = ");
        set.push_bind(&d.document_no)
            .push(", decision_date = ")
            .push_bind(d.decided_on)
            .push(", decided_attribute = ")
            .push_bind(d.attribute.as_str())
            .push(", decided_clauses = ")
            .push_bind(Arg::json(&d.clauses))
            .push(", decided_version = ")
            .push_bind(decided)
            .push(", decided_by = ")
            .push_bind(&d.actor)
            .push(", decided_at = ")
            .push_bind(now());
        let p = move_proposal::<D>(&mut tx, d.id, "escalated", set).await?;
        close_open_cases::<D>(
            &mut tx,
            &CaseSubject::OpenProposal(d.id).to_string(),
            CaseKind::OpenEscalation,
            "decided",
            &d.actor,
            &d.document_no,
        )
        .await?;
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        Ok(p)
    }

    async fn backdate_open_proposal(
        &self,
        id: i64,
        opened_on: chrono::NaiveDate,
        due_on: chrono::NaiveDate,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.run(
            sql("UPDATE cases SET opened_on = ?, due_on = ? WHERE subject = ? AND state = 'open'")
                .bind(opened_on)
                .bind(due_on)
                .bind(CaseSubject::OpenProposal(id).to_string()),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
