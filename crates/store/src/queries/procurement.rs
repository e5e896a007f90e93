//! Procurement of social data (社会数据统一采购, COL-3, Art. 17): demands with
//! their evaluation case, the evaluation, and the unified procurement
//! record. Written once for both backends.

use async_trait::async_trait;
use pubdata_domain::audit::AuditEvent;
use pubdata_domain::case::{CaseKind, CaseSubject};
use pubdata_domain::procurement::ProcurementState;

use super::audit;
use super::cases::close_open_cases;
use super::open_case_of;
use crate::rows;
use crate::sql::{Dialect, Exec, Tx, now, sql};
use crate::*;

#[async_trait]
impl<D: Dialect> ProcurementStore for D {
    async fn create_procurement_demand(
        &self,
        d: NewProcurementDemand,
        audit_event: AuditEvent,
    ) -> Result<ProcurementDemand> {
        let mut tx = self.begin().await?;
        let row = tx
            .one(
                sql("INSERT INTO procurement_demands (agency_org, authority_org, kind, title,
                        description, justification, budget_fen, state, due_on, created_by, created_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, 'evaluating', ?, ?, ?) RETURNING *")
                .bind(d.agency_org)
                .bind(d.authority_org)
                .bind(d.kind.as_str())
                .bind(&d.title)
                .bind(&d.description)
                .bind(&d.justification)
                .bind(d.budget_fen)
                .bind(d.case.due_on)
                .bind(&d.created_by)
                .bind(now()),
            )
            .await?;
        let created = rows::procurement_demand(&row)?;
        let row = open_case_of::<D>(
            tx,
            "procurement_demands",
            CaseSubject::ProcurementDemand(created.id),
            d.case,
            &d.created_by,
            audit_event,
        )
        .await?;
        rows::procurement_demand(&row)
    }

    async fn get_procurement_demand(&self, id: i64) -> Result<ProcurementDemand> {
        let row = self
            .reader()
            .one(sql("SELECT * FROM procurement_demands WHERE id = ?").bind(id))
            .await?;
        rows::procurement_demand(&row)
    }

    async fn list_procurement_demands(
        &self,
        orgs: Option<&[i64]>,
    ) -> Result<Vec<ProcurementDemand>> {
        let mut q = sql("SELECT * FROM procurement_demands WHERE 1 = 1");
        if let Some(orgs) = orgs {
            if orgs.is_empty() {
                return Ok(vec![]);
            }
            q.push(" AND (agency_org IN ").push_list(orgs);
            q.push(" OR authority_org IN ").push_list(orgs);
            q.push(")");
        }
        q.push(" ORDER BY id DESC LIMIT 1000");
        let rows = self.reader().all(q).await?;
        rows.iter().map(rows::procurement_demand).collect()
    }

    async fn evaluate_procurement_demand(
        &self,
        id: i64,
        to: ProcurementState,
        reason: Option<&str>,
        actor: &str,
        audit_event: AuditEvent,
    ) -> Result<ProcurementDemand> {
        let mut tx = self.begin().await?;
        let row = tx
            .opt(
                sql(
                    "UPDATE procurement_demands SET state = ?, reason = ?, evaluated_by = ?,
                        evaluated_at = ?
                     WHERE id = ? AND state = 'evaluating' RETURNING *",
                )
                .bind(to.as_str())
                .bind(reason.map(str::to_string))
                .bind(actor)
                .bind(now())
                .bind(id),
            )
            .await?;
        let Some(row) = row else {
            return Err(StoreError::Conflict {
                what: "procurement demand state".into(),
            });
        };
        let d = rows::procurement_demand(&row)?;
        close_open_cases::<D>(
            &mut tx,
            &CaseSubject::ProcurementDemand(id).to_string(),
            CaseKind::ProcurementEvaluation,
            to.as_str(),
            actor,
            reason.unwrap_or(""),
        )
        .await?;
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        Ok(d)
    }

    async fn record_procurement(
        &self,
        r: NewProcurementRecord,
        audit_event: AuditEvent,
    ) -> Result<ProcurementRecord> {
        let mut tx = self.begin().await?;
        let moved = tx
            .opt(
                sql("UPDATE procurement_demands SET state = 'procured'
                     WHERE id = ? AND state = 'approved' RETURNING id")
                .bind(r.demand_id),
            )
            .await?;
        if moved.is_none() {
            return Err(StoreError::Conflict {
                what: "procurement demand state".into(),
            });
        }
        let row = tx
            .one(
                sql(
                    "INSERT INTO procurement_records (demand_id, supplier, contract_no, amount_fen,
                        term_from, term_to, entry_id, recorded_by, recorded_org, created_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
                )
                .bind(r.demand_id)
                .bind(&r.supplier)
                .bind(&r.contract_no)
                .bind(r.amount_fen)
                .bind(r.term_from)
                .bind(r.term_to)
                .bind(r.entry_id)
                .bind(&r.recorded_by)
                .bind(r.recorded_org)
                .bind(now()),
            )
            .await?;
        let rec = rows::procurement_record(&row)?;
        let mut ev = audit_event;
        ev.detail["record"] = serde_json::json!(rec.id);
        audit::<D>(&mut tx, &ev).await?;
        tx.commit().await?;
        Ok(rec)
    }

    async fn procurement_record(&self, demand_id: i64) -> Result<Option<ProcurementRecord>> {
        let row = self
            .reader()
            .opt(sql("SELECT * FROM procurement_records WHERE demand_id = ?").bind(demand_id))
            .await?;
        row.as_ref().map(rows::procurement_record).transpose()
    }
}
