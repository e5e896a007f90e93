//! Government IT projects (政务信息化项目, SUP-2, Art. 47): registration
//! with the public data list and the authority's acceptance. Written once
//! for both backends.

use async_trait::async_trait;
use pubdata_domain::audit::AuditEvent;

use super::audit;
use crate::rows;
use crate::sql::{Arg, Dialect, Exec, Tx, now, sql};
use crate::*;

#[async_trait]
impl<D: Dialect> ProjectStore for D {
    async fn create_project(&self, p: NewProject, audit_event: AuditEvent) -> Result<ItProject> {
        let mut tx = self.begin().await?;
        let row = tx
            .one(
                sql(
                    "INSERT INTO it_projects (agency_org, name, code, approved_on,
                        planned_acceptance_on, entries, state, created_by, created_at)
                     VALUES (?, ?, ?, ?, ?, ?, 'approved', ?, ?) RETURNING *",
                )
                .bind(p.agency_org)
                .bind(&p.name)
                .bind(&p.code)
                .bind(p.approved_on)
                .bind(p.planned_acceptance_on)
                .bind(Arg::json(&p.entries))
                .bind(&p.created_by)
                .bind(now()),
            )
            .await?;
        let created = rows::it_project(&row)?;
        let mut ev = audit_event;
        ev.target = format!("it_project:{}", created.id);
        audit::<D>(&mut tx, &ev).await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn get_project(&self, id: i64) -> Result<ItProject> {
        let row = self
            .reader()
            .one(sql("SELECT * FROM it_projects WHERE id = ?").bind(id))
            .await?;
        rows::it_project(&row)
    }

    async fn list_projects(&self, orgs: Option<&[i64]>) -> Result<Vec<ItProject>> {
        let mut q = sql("SELECT * FROM it_projects WHERE 1 = 1");
        if let Some(orgs) = orgs {
            if orgs.is_empty() {
                return Ok(vec![]);
            }
            q.push(" AND agency_org IN ").push_list(orgs);
        }
        q.push(" ORDER BY id DESC LIMIT 1000");
        let rows = self.reader().all(q).await?;
        rows.iter().map(rows::it_project).collect()
    }

    async fn accept_project(
        &self,
        id: i64,
        a: ProjectAcceptance,
        audit_event: AuditEvent,
    ) -> Result<ItProject> {
        let mut tx = self.begin().await?;
        let row = tx
            .opt(
                sql(
                    "UPDATE it_projects SET state = 'accepted', compliant = ?, override_reason = ?,
                        accepted_at = ?, accepted_by = ?, accepted_org = ?
                     WHERE id = ? AND state = 'approved' RETURNING *",
                )
                .bind(a.compliant)
                .bind(&a.override_reason)
                .bind(now())
                .bind(&a.accepted_by)
                .bind(a.accepted_org)
                .bind(id),
            )
            .await?;
        let Some(row) = row else {
            return Err(StoreError::Conflict {
                what: "project state".into(),
            });
        };
        let p = rows::it_project(&row)?;
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        Ok(p)
    }
}
