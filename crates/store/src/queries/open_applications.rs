//! Conditional open data applications (有条件开放申请, OPN-4): the
//! application with its answer case, the answer, and the acceptance of the
//! data use agreement (利用协议). Written once for both backends.

use async_trait::async_trait;
use chrono::NaiveDate;
use pubdata_domain::audit::AuditEvent;
use pubdata_domain::case::{CaseKind, CaseSubject};
use pubdata_domain::open::ApplicationState;

use super::cases::close_open_cases;
use super::{CaseStep, audit, step_case};
use crate::rows;
use crate::sql::{Arg, Dialect, Exec, Tx, now, sql};
use crate::*;

#[async_trait]
impl<D: Dialect> OpenApplicationStore for D {
    async fn create_open_application(
        &self,
        a: NewOpenApplication,
        audit_event: AuditEvent,
    ) -> Result<OpenApplication> {
        let mut tx = self.begin().await?;
        let row = tx
            .one(
                sql(
                    "INSERT INTO open_applications (dataset_id, entry_id, source_org, applicant,
                        applicant_user_id, applicant_name, applicant_kind, applicant_org, party,
                        purpose, use_scenario, fields, end_date, state, answer_due,
                        approved_fields, masks, created_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?) RETURNING *",
                )
                .bind(a.dataset_id)
                .bind(a.entry_id)
                .bind(a.source_org)
                .bind(&a.applicant)
                .bind(a.applicant_user_id)
                .bind(&a.applicant_name)
                .bind(&a.applicant_kind)
                .bind(a.applicant_org)
                .bind(&a.party)
                .bind(&a.purpose)
                .bind(&a.use_scenario)
                .bind(Arg::json(&a.fields))
                .bind(Arg::Date(a.end_date))
                .bind(a.case.due_on)
                .bind(Arg::json(&None::<Vec<String>>))
                .bind(Arg::json(&None::<Vec<String>>))
                .bind(now()),
            )
            .await?;
        let app = rows::open_application(&row)?;
        let mut case = a.case;
        case.subject = CaseSubject::OpenApplication(app.id).to_string();
        step_case::<D>(&mut tx, CaseStep::Open(&case), &a.applicant, "", None).await?;
        let mut ev = audit_event;
        ev.target = format!("open_application:{}", app.id);
        audit::<D>(&mut tx, &ev).await?;
        tx.commit().await?;
        Ok(app)
    }

    async fn get_open_application(&self, id: i64) -> Result<OpenApplication> {
        let row = self
            .reader()
            .one(sql("SELECT * FROM open_applications WHERE id = ?").bind(id))
            .await?;
        rows::open_application(&row)
    }

    async fn list_open_applications(
        &self,
        f: &OpenApplicationFilter,
    ) -> Result<Vec<OpenApplication>> {
        let mut q = sql("SELECT * FROM open_applications WHERE 1 = 1");
        if let Some(a) = &f.applicant {
            q.push(" AND applicant = ").push_bind(a.clone());
        }
        if let Some(orgs) = &f.source_orgs {
            if orgs.is_empty() {
                return Ok(vec![]);
            }
            q.push(" AND source_org IN ").push_list(orgs);
        }
        if let Some(s) = f.state {
            q.push(" AND state = ").push_bind(s.as_str());
        }
        q.push(" ORDER BY id DESC LIMIT ")
            .push_bind(i64::from(f.limit.max(1)));
        let rows = self.reader().all(q).await?;
        rows.iter().map(rows::open_application).collect()
    }

    async fn decide_open_application(
        &self,
        d: OpenDecision,
        audit_event: AuditEvent,
    ) -> Result<OpenApplication> {
        let mut tx = self.begin().await?;
        let state = if d.approve {
            ApplicationState::Approved
        } else {
            ApplicationState::Refused
        };
        let row = tx
            .opt(
                sql(
                    "UPDATE open_applications SET state = ?, decided_by = ?, decided_at = ?,
                        reason = ?, approved_fields = ?, masks = ?, valid_from = ?,
                        valid_until = ?, agreement_version = ?, agreement_text = ?
                     WHERE id = ? AND state = 'pending' RETURNING *",
                )
                .bind(state.as_str())
                .bind(&d.actor)
                .bind(now())
                .bind(&d.reason)
                .bind(Arg::json(&d.approved_fields))
                .bind(Arg::json(&d.masks))
                .bind(Arg::Date(d.valid_from))
                .bind(Arg::Date(d.valid_until))
                .bind(d.agreement_version)
                .bind(d.agreement_text.clone())
                .bind(d.application_id),
            )
            .await?
            .ok_or_else(|| StoreError::Conflict {
                what: "state".into(),
            })?;
        let app = rows::open_application(&row)?;
        close_open_cases::<D>(
            &mut tx,
            &CaseSubject::OpenApplication(app.id).to_string(),
            CaseKind::OpenApplication,
            state.as_str(),
            &d.actor,
            &d.reason,
        )
        .await?;
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        Ok(app)
    }

    async fn accept_open_agreement(
        &self,
        id: i64,
        version: i64,
        by: &str,
        audit_event: AuditEvent,
    ) -> Result<OpenApplication> {
        let mut tx = self.begin().await?;
        let row = tx
            .opt(
                sql(
                    "UPDATE open_applications SET state = 'accepted', accepted_at = ?, accepted_by = ?
                     WHERE id = ? AND state = 'approved' AND agreement_version = ? RETURNING *",
                )
                .bind(now())
                .bind(by)
                .bind(id)
                .bind(version),
            )
            .await?
            .ok_or_else(|| StoreError::Conflict {
                what: "state".into(),
            })?;
        let app = rows::open_application(&row)?;
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        Ok(app)
    }

    async fn backdate_open_application(
        &self,
        id: i64,
        opened_on: NaiveDate,
        answer_due: NaiveDate,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.run(
            sql("UPDATE open_applications SET answer_due = ?, created_at = ? WHERE id = ?")
                .bind(answer_due)
                // 10:00 China time on the day it was opened.
                .bind(opened_on.and_hms_opt(2, 0, 0).unwrap_or_default().and_utc())
                .bind(id),
        )
        .await?;
        tx.run(
            sql("UPDATE cases SET opened_on = ?, due_on = ? WHERE subject = ? AND state = 'open'")
                .bind(opened_on)
                .bind(answer_due)
                .bind(CaseSubject::OpenApplication(id).to_string()),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
