//! Authorised operation (公共数据授权运营, OPS-1..3): agreements, earlier
//! arrangements (with their review case), revenue records and the registry
//! of products built on open data. Written once for both backends.

use async_trait::async_trait;
use pubdata_domain::audit::AuditEvent;
use pubdata_domain::case::{CaseKind, CaseSubject};
use pubdata_domain::operation::{AgreementState, ArrangementState};

use super::audit;
use super::cases::close_open_cases;
use super::open_case_of;
use crate::rows;
use crate::sql::{Arg, Dialect, Exec, Tx, now, sql};
use crate::*;

async fn insert_agreement<D: Dialect>(
    tx: &mut D::Tx,
    a: &NewAgreement,
) -> Result<OperationAgreement> {
    let row = tx
        .one(
            sql("INSERT INTO operation_agreements (agency_org, operator_org, level, title, datasets,
                    scenarios, term_from, term_to, revenue_terms, state, earlier_arrangement,
                    created_by, created_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'draft', ?, ?, ?) RETURNING *")
            .bind(a.agency_org)
            .bind(a.operator_org)
            .bind(a.level.as_str())
            .bind(&a.title)
            .bind(Arg::json(&a.datasets))
            .bind(&a.scenarios)
            .bind(a.term_from)
            .bind(a.term_to)
            .bind(&a.revenue_terms)
            .bind(a.earlier_arrangement)
            .bind(&a.created_by)
            .bind(now()),
        )
        .await?;
    rows::agreement(&row)
}

#[async_trait]
impl<D: Dialect> OperationStore for D {
    async fn create_agreement(
        &self,
        a: NewAgreement,
        audit_event: AuditEvent,
    ) -> Result<OperationAgreement> {
        let mut tx = self.begin().await?;
        let created = insert_agreement::<D>(&mut tx, &a).await?;
        let mut ev = audit_event;
        ev.target = format!("operation_agreement:{}", created.id);
        audit::<D>(&mut tx, &ev).await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn get_agreement(&self, id: i64) -> Result<OperationAgreement> {
        let row = self
            .reader()
            .one(sql("SELECT * FROM operation_agreements WHERE id = ?").bind(id))
            .await?;
        rows::agreement(&row)
    }

    async fn list_agreements(&self, f: &AgreementFilter) -> Result<Vec<OperationAgreement>> {
        let mut q = sql("SELECT * FROM operation_agreements WHERE 1 = 1");
        if let Some(orgs) = &f.orgs {
            if orgs.is_empty() {
                return Ok(vec![]);
            }
            q.push(" AND (agency_org IN ").push_list(orgs);
            q.push(" OR operator_org IN ").push_list(orgs);
            q.push(")");
        }
        if let Some(o) = f.operator_org {
            q.push(" AND operator_org = ").push_bind(o);
        }
        if let Some(s) = f.state {
            q.push(" AND state = ").push_bind(s.as_str());
        }
        q.push(" ORDER BY id DESC LIMIT 1000");
        let rows = self.reader().all(q).await?;
        rows.iter().map(rows::agreement).collect()
    }

    async fn move_agreement(
        &self,
        id: i64,
        from: &[AgreementState],
        to: AgreementState,
        reason: Option<&str>,
        actor: &str,
        audit_event: AuditEvent,
    ) -> Result<OperationAgreement> {
        let mut tx = self.begin().await?;
        let mut q = sql("UPDATE operation_agreements SET state = ");
        q.push_bind(to.as_str());
        if to == AgreementState::Filed {
            q.push(", filed_at = ").push_bind(now());
            q.push(", reason = NULL");
        } else {
            q.push(", reason = ").push_bind(reason.map(str::to_string));
            q.push(", decided_by = ").push_bind(actor);
            q.push(", decided_at = ").push_bind(now());
        }
        q.push(" WHERE id = ").push_bind(id);
        q.push(" AND state IN (");
        for (i, s) in from.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.push_bind(s.as_str());
        }
        q.push(") RETURNING *");
        let Some(row) = tx.opt(q).await? else {
            return Err(StoreError::Conflict {
                what: "agreement state".into(),
            });
        };
        let a = rows::agreement(&row)?;
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        Ok(a)
    }

    async fn create_arrangement(
        &self,
        a: NewArrangement,
        audit_event: AuditEvent,
    ) -> Result<OperationArrangement> {
        let mut tx = self.begin().await?;
        let row = tx
            .one(
                sql(
                    "INSERT INTO operation_arrangements (agency_org, third_party_org, description,
                        datasets, since, state, due_on, created_by, created_at)
                     VALUES (?, ?, ?, ?, ?, 'under_review', ?, ?, ?) RETURNING *",
                )
                .bind(a.agency_org)
                .bind(a.third_party_org)
                .bind(&a.description)
                .bind(Arg::json(&a.datasets))
                .bind(a.since)
                .bind(a.case.due_on)
                .bind(&a.created_by)
                .bind(now()),
            )
            .await?;
        let created = rows::arrangement(&row)?;
        let row = open_case_of::<D>(
            tx,
            "operation_arrangements",
            CaseSubject::OperationArrangement(created.id),
            a.case,
            &a.created_by,
            audit_event,
        )
        .await?;
        rows::arrangement(&row)
    }

    async fn get_arrangement(&self, id: i64) -> Result<OperationArrangement> {
        let row = self
            .reader()
            .one(sql("SELECT * FROM operation_arrangements WHERE id = ?").bind(id))
            .await?;
        rows::arrangement(&row)
    }

    async fn list_arrangements(&self, orgs: Option<&[i64]>) -> Result<Vec<OperationArrangement>> {
        let mut q = sql("SELECT * FROM operation_arrangements WHERE 1 = 1");
        if let Some(orgs) = orgs {
            if orgs.is_empty() {
                return Ok(vec![]);
            }
            q.push(" AND (agency_org IN ").push_list(orgs);
            q.push(" OR third_party_org IN ").push_list(orgs);
            q.push(")");
        }
        q.push(" ORDER BY id DESC LIMIT 1000");
        let rows = self.reader().all(q).await?;
        rows.iter().map(rows::arrangement).collect()
    }

    async fn decide_arrangement(
        &self,
        id: i64,
        to: ArrangementState,
        reason: &str,
        draft: Option<NewAgreement>,
        actor: &str,
        audit_event: AuditEvent,
    ) -> Result<OperationArrangement> {
        let mut tx = self.begin().await?;
        let agreement = match &draft {
            Some(a) => Some(insert_agreement::<D>(&mut tx, a).await?.id),
            None => None,
        };
        let row = tx
            .opt(
                sql(
                    "UPDATE operation_arrangements SET state = ?, reason = ?, agreement_id = ?,
                        decided_by = ?, decided_at = ?
                     WHERE id = ? AND state = 'under_review' RETURNING *",
                )
                .bind(to.as_str())
                .bind(reason)
                .bind(agreement)
                .bind(actor)
                .bind(now())
                .bind(id),
            )
            .await?;
        let Some(row) = row else {
            return Err(StoreError::Conflict {
                what: "arrangement state".into(),
            });
        };
        let a = rows::arrangement(&row)?;
        close_open_cases::<D>(
            &mut tx,
            &CaseSubject::OperationArrangement(id).to_string(),
            CaseKind::OperationArrangement,
            to.as_str(),
            actor,
            reason,
        )
        .await?;
        let mut ev = audit_event;
        ev.detail["agreement"] = serde_json::json!(agreement);
        audit::<D>(&mut tx, &ev).await?;
        tx.commit().await?;
        Ok(a)
    }

    async fn add_revenue(&self, r: NewRevenue, audit_event: AuditEvent) -> Result<RevenueRecord> {
        let mut tx = self.begin().await?;
        let row = tx
            .one(
                sql(
                    "INSERT INTO operation_revenue (agreement_id, period, revenue_fen,
                        contribution_fen, products, note, entered_by, entered_org, created_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
                )
                .bind(r.agreement_id)
                .bind(&r.period)
                .bind(r.revenue_fen)
                .bind(r.contribution_fen)
                .bind(r.products)
                .bind(&r.note)
                .bind(&r.entered_by)
                .bind(r.entered_org)
                .bind(now()),
            )
            .await?;
        let rec = rows::revenue(&row)?;
        let mut ev = audit_event;
        ev.detail["record"] = serde_json::json!(rec.id);
        audit::<D>(&mut tx, &ev).await?;
        tx.commit().await?;
        Ok(rec)
    }

    async fn revenue(&self, agreement_id: i64) -> Result<Vec<RevenueRecord>> {
        let rows = self
            .reader()
            .all(
                sql("SELECT * FROM operation_revenue WHERE agreement_id = ? ORDER BY period, id")
                    .bind(agreement_id),
            )
            .await?;
        rows.iter().map(rows::revenue).collect()
    }

    async fn add_open_product(
        &self,
        p: NewOpenProduct,
        audit_event: AuditEvent,
    ) -> Result<OpenProduct> {
        let mut tx = self.begin().await?;
        let row = tx
            .one(
                sql(
                    "INSERT INTO open_products (name, org_id, provider, description, datasets, url,
                        created_by, created_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
                )
                .bind(&p.name)
                .bind(p.org_id)
                .bind(&p.provider)
                .bind(&p.description)
                .bind(Arg::json(&p.datasets))
                .bind(&p.url)
                .bind(&p.created_by)
                .bind(now()),
            )
            .await?;
        let created = rows::open_product(&row)?;
        let mut ev = audit_event;
        ev.target = format!("open_product:{}", created.id);
        audit::<D>(&mut tx, &ev).await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn open_products(&self) -> Result<Vec<OpenProduct>> {
        let rows = self
            .reader()
            .all(sql(
                "SELECT * FROM open_products ORDER BY id DESC LIMIT 1000",
            ))
            .await?;
        rows.iter().map(rows::open_product).collect()
    }
}
