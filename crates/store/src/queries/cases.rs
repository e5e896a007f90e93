//! Cases with deadlines (shape 1). Every change of a case goes through
//! [`step_case`]: the case row, its event and (when the step has its own)
//! the audit record, in the caller's transaction.

use async_trait::async_trait;
use chrono::NaiveDate;
use pubdata_domain::audit::{AuditEvent, Outcome};

use super::audit;
use crate::rows::{self, Cols};
use crate::sql::{Dialect, Exec, Tx, now, sql};
use crate::*;
use pubdata_domain::case::{CaseKind, CaseSubject};

/// One change of a case.
pub(crate) enum CaseStep<'a> {
    /// Opens a new case.
    Open(&'a NewCase),
    /// Closes an open case with an outcome (also its event's action).
    Close { id: i64, outcome: &'a str },
    /// Records an open case overdue (once).
    Overdue { id: i64 },
}

/// Writes one step of a case and its event (`actor`, `reason`) inside `tx`,
/// then `audit_event` when the step is audited on its own (a lifecycle step
/// of an entry appends one record for itself and its cases). `None` when
/// the case was no longer open (or already overdue): nothing written.
pub(crate) async fn step_case<D: Dialect>(
    tx: &mut D::Tx,
    step: CaseStep<'_>,
    actor: &str,
    reason: &str,
    audit_event: Option<&AuditEvent>,
) -> Result<Option<Case>> {
    let (q, action) = match step {
        CaseStep::Open(c) => (
            sql("INSERT INTO cases (kind, subject, requester_org, responder_org, state, opened_on, due_on, basis)
                 VALUES (?, ?, ?, ?, 'open', ?, ?, ?) RETURNING *")
            .bind(c.kind.as_str())
            .bind(&c.subject)
            .bind(c.requester_org)
            .bind(c.responder_org)
            .bind(c.opened_on)
            .bind(c.due_on)
            .bind(&c.basis),
            "open",
        ),
        CaseStep::Close { id, outcome } => (
            sql("UPDATE cases SET state = 'closed', closed_at = ?, outcome = ?
                 WHERE id = ? AND state = 'open' RETURNING *")
            .bind(now())
            .bind(outcome)
            .bind(id),
            outcome,
        ),
        CaseStep::Overdue { id } => (
            sql("UPDATE cases SET overdue_at = ?
                 WHERE id = ? AND state = 'open' AND overdue_at IS NULL RETURNING *")
            .bind(now())
            .bind(id),
            "overdue",
        ),
    };
    let Some(row) = tx.opt(q).await? else {
        return Ok(None);
    };
    let case = rows::case(&row)?;
    tx.run(
        sql("INSERT INTO case_events (case_id, at, actor, action, reason) VALUES (?, ?, ?, ?, ?)")
            .bind(case.id)
            .bind(now())
            .bind(actor)
            .bind(action)
            .bind(reason),
    )
    .await?;
    if let Some(e) = audit_event {
        audit::<D>(tx, e).await?;
    }
    Ok(Some(case))
}

/// Opens the case of a record just inserted into `table` (the record
/// `subject` names), sets the record's `case_id`, appends `ev` with the
/// record as its target, commits `tx` and returns the record's row. The one
/// shape of every record born with a case: objections, disputes, operation
/// arrangements, procurement demands, rectification notices.
pub(crate) async fn open_case_of<D: Dialect>(
    mut tx: D::Tx,
    table: &'static str,
    subject: CaseSubject,
    mut case: NewCase,
    actor: &str,
    mut ev: AuditEvent,
) -> Result<crate::sql::DbRow> {
    let id = subject.id();
    case.subject = subject.to_string();
    let opened = step_case::<D>(&mut tx, CaseStep::Open(&case), actor, "", None)
        .await?
        .ok_or(StoreError::NotFound)?;
    let row = tx
        .one(
            sql(format!(
                "UPDATE {table} SET case_id = ? WHERE id = ? RETURNING *"
            ))
            .bind(opened.id)
            .bind(id),
        )
        .await?;
    ev.target = case.subject;
    audit::<D>(&mut tx, &ev).await?;
    tx.commit().await?;
    Ok(row)
}

/// Closes the open cases of `kind` on `subject` with `outcome` inside `tx`
/// (the caller's step appends the audit record for them).
pub(crate) async fn close_open_cases<D: Dialect>(
    tx: &mut D::Tx,
    subject: &str,
    kind: CaseKind,
    outcome: &str,
    actor: &str,
    reason: &str,
) -> Result<()> {
    let open = tx
        .all(
            sql("SELECT id FROM cases WHERE subject = ? AND kind = ? AND state = 'open'")
                .bind(subject)
                .bind(kind.as_str()),
        )
        .await?;
    for r in &open {
        let step = CaseStep::Close {
            id: r.int("id")?,
            outcome,
        };
        step_case::<D>(tx, step, actor, reason, None).await?;
    }
    Ok(())
}

#[async_trait]
impl<D: Dialect> CaseStore for D {
    async fn open_case(&self, c: NewCase, actor: &str, audit_event: AuditEvent) -> Result<Case> {
        let mut tx = self.begin().await?;
        let case = step_case::<D>(&mut tx, CaseStep::Open(&c), actor, "", Some(&audit_event))
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(case)
    }

    async fn list_cases(&self, f: &CaseFilter) -> Result<Vec<Case>> {
        let mut q = sql("SELECT * FROM cases WHERE 1 = 1");
        if let Some(orgs) = &f.responder_orgs {
            if orgs.is_empty() {
                return Ok(vec![]);
            }
            q.push(" AND responder_org IN ").push_list(orgs);
        }
        if let Some(v) = f.requester_org {
            q.push(" AND requester_org = ").push_bind(v);
        }
        if let Some(v) = f.kind {
            q.push(" AND kind = ").push_bind(v.as_str());
        }
        if let Some(v) = f.state {
            q.push(" AND state = ").push_bind(v.as_str());
        }
        if let Some(v) = &f.subject {
            q.push(" AND subject = ").push_bind(v);
        }
        q.push(" ORDER BY due_on, id LIMIT ")
            .push_bind(f.limit.max(1) as i64);
        let rows = self.reader().all(q).await?;
        rows.iter().map(rows::case).collect()
    }

    async fn case_events(&self, case_id: i64) -> Result<Vec<CaseEvent>> {
        let rows = self
            .reader()
            .all(
                sql("SELECT at, actor, action, reason FROM case_events WHERE case_id = ? ORDER BY id")
                    .bind(case_id),
            )
            .await?;
        rows.iter().map(rows::case_event).collect()
    }

    async fn get_case(&self, id: i64) -> Result<Case> {
        let row = self
            .reader()
            .one(sql("SELECT * FROM cases WHERE id = ?").bind(id))
            .await?;
        rows::case(&row)
    }

    async fn mark_overdue(&self, today: NaiveDate) -> Result<Vec<Case>> {
        let mut tx = self.begin().await?;
        let due = tx
            .all(
                sql(format!(
                    "SELECT * FROM cases WHERE state = 'open' AND overdue_at IS NULL AND due_on < ?
                     ORDER BY id{}",
                    D::FOR_UPDATE
                ))
                .bind(today),
            )
            .await?;
        let mut marked = Vec::new();
        for row in &due {
            let c = rows::case(row)?;
            let e = AuditEvent {
                actor: "system".into(),
                actor_user_id: None,
                org_id: Some(c.responder_org),
                action: "case.overdue".into(),
                target: format!("case:{}", c.id),
                outcome: Outcome::Failure,
                detail: serde_json::json!({"kind": c.kind.as_str(), "subject": c.subject, "due_on": c.due_on.to_string()}),
                client_ip: None,
            };
            let step = CaseStep::Overdue { id: c.id };
            let reason = format!("due {}", c.due_on);
            if let Some(c) = step_case::<D>(&mut tx, step, "system", &reason, Some(&e)).await? {
                marked.push(c);
            }
        }
        tx.commit().await?;
        Ok(marked)
    }
}
