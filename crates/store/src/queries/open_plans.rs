//! Open data plans (开放计划, OPN-2): the year's priority areas, yearly
//! open plans and the agencies' open-data responsibility. Written once for
//! both backends.

use async_trait::async_trait;
use pubdata_domain::audit::AuditEvent;

use super::audit;
use crate::rows::Cols;
use crate::sql::{Arg, Dialect, Exec, Tx, now, sql};
use crate::*;

fn plan<R: Cols>(r: &R) -> Result<OpenPlan> {
    Ok(OpenPlan {
        id: r.int("id")?,
        org_id: r.int("org_id")?,
        year: r.int("year")?,
        authority_id: r.int("authority_id")?,
        state: r.parsed("state")?,
        items: r.json("items")?,
        version: r.int("version")?,
        return_reason: r.text("return_reason")?,
        filed_by: r.opt_text("filed_by")?,
        filed_at: r.opt_time("filed_at")?,
        reviewed_by: r.opt_text("reviewed_by")?,
        reviewed_at: r.opt_time("reviewed_at")?,
        created_by: r.text("created_by")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

fn responsibility<R: Cols>(r: &R) -> Result<OpenResponsibility> {
    Ok(OpenResponsibility {
        org_id: r.int("org_id")?,
        department: r.text("department")?,
        person: r.text("person")?,
        phone: r.text("phone")?,
        email: r.text("email")?,
        updated_by: r.text("updated_by")?,
        updated_at: r.time("updated_at")?,
    })
}

#[async_trait]
impl<D: Dialect> OpenPlanStore for D {
    async fn open_priorities(
        &self,
        year: i64,
    ) -> Result<(Vec<OpenPriority>, Option<(String, DateTime<Utc>)>)> {
        let rows = self
            .reader()
            .all(
                sql(
                    "SELECT area, description, updated_by, updated_at FROM open_priorities
                      WHERE year = ? ORDER BY position",
                )
                .bind(year),
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        let mut by = None;
        for r in &rows {
            out.push(OpenPriority {
                area: r.parsed("area")?,
                description: r.text("description")?,
            });
            by = Some((r.text("updated_by")?, r.time("updated_at")?));
        }
        Ok((out, by))
    }

    async fn put_open_priorities(
        &self,
        year: i64,
        areas: &[OpenPriority],
        by: &str,
        audit_event: AuditEvent,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.run(sql("DELETE FROM open_priorities WHERE year = ?").bind(year))
            .await?;
        let at = now();
        for (i, a) in areas.iter().enumerate() {
            tx.run(
                sql("INSERT INTO open_priorities (year, position, area, description, updated_by, updated_at)
                     VALUES (?, ?, ?, ?, ?, ?)")
                .bind(year)
                .bind(i as i64 + 1)
                .bind(a.area.as_str())
                .bind(&a.description)
                .bind(by)
                .bind(at),
            )
            .await?;
        }
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_open_plan(&self, p: NewOpenPlan, audit_event: AuditEvent) -> Result<OpenPlan> {
        let mut tx = self.begin().await?;
        let at = now();
        let row = tx
            .one(
                sql(
                    "INSERT INTO open_plans (org_id, year, authority_id, state, items, version,
                        return_reason, created_by, created_at, updated_at)
                     VALUES (?, ?, ?, 'draft', ?, 1, '', ?, ?, ?) RETURNING *",
                )
                .bind(p.org_id)
                .bind(p.year)
                .bind(p.authority_id)
                .bind(Arg::json(&p.items))
                .bind(&p.actor)
                .bind(at)
                .bind(at),
            )
            .await?;
        let created = plan(&row)?;
        let mut ev = audit_event;
        ev.target = format!("open_plan:{}", created.id);
        audit::<D>(&mut tx, &ev).await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn get_open_plan(&self, id: i64) -> Result<OpenPlan> {
        let row = self
            .reader()
            .one(sql("SELECT * FROM open_plans WHERE id = ?").bind(id))
            .await?;
        plan(&row)
    }

    async fn list_open_plans(&self, f: &OpenPlanFilter) -> Result<Vec<OpenPlan>> {
        let mut q = sql("SELECT * FROM open_plans WHERE 1 = 1");
        if let Some(y) = f.year {
            q.push(" AND year = ").push_bind(y);
        }
        if let Some(orgs) = &f.org_ids {
            if orgs.is_empty() {
                return Ok(vec![]);
            }
            q.push(" AND org_id IN ").push_list(orgs);
        }
        if let Some(states) = &f.states {
            if states.is_empty() {
                return Ok(vec![]);
            }
            let names: Vec<&str> = states.iter().map(|s| s.as_str()).collect();
            q.push(" AND state IN ").push_binds(names);
        }
        q.push(" ORDER BY year DESC, org_id, id");
        let rows = self.reader().all(q).await?;
        rows.iter().map(plan).collect()
    }

    async fn change_open_plan(&self, c: PlanChange, audit_event: AuditEvent) -> Result<OpenPlan> {
        let mut tx = self.begin().await?;
        let row = tx
            .opt(
                sql(format!(
                    "SELECT * FROM open_plans WHERE id = ?{}",
                    D::FOR_UPDATE
                ))
                .bind(c.id),
            )
            .await?
            .ok_or(StoreError::NotFound)?;
        let current = plan(&row)?;
        if !c.expect.contains(&current.state) {
            return Err(StoreError::Conflict {
                what: "state".into(),
            });
        }
        let at = now();
        let items = c.items.as_ref().unwrap_or(&current.items);
        let reason = c
            .return_reason
            .clone()
            .unwrap_or(current.return_reason.clone());
        let mut q = sql("UPDATE open_plans SET state = ");
        q.push_bind(c.new_state.as_str())
            .push(", items = ")
            .push_bind(Arg::json(items))
            .push(", return_reason = ")
            .push_bind(reason)
            .push(", version = version + 1, updated_at = ")
            .push_bind(at);
        match c.stamp {
            PlanStamp::Edit => {}
            PlanStamp::Filing => {
                q.push(", filed_by = ")
                    .push_bind(c.actor.clone())
                    .push(", filed_at = ")
                    .push_bind(at)
                    .push(", reviewed_by = NULL, reviewed_at = NULL");
            }
            PlanStamp::Review => {
                q.push(", reviewed_by = ")
                    .push_bind(c.actor.clone())
                    .push(", reviewed_at = ")
                    .push_bind(at);
            }
        }
        q.push(" WHERE id = ").push_bind(c.id).push(" RETURNING *");
        let row = tx.one(q).await?;
        let changed = plan(&row)?;
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        Ok(changed)
    }

    async fn open_responsibilities(&self) -> Result<Vec<OpenResponsibility>> {
        let rows = self
            .reader()
            .all(sql("SELECT * FROM open_responsibilities ORDER BY org_id"))
            .await?;
        rows.iter().map(responsibility).collect()
    }

    async fn put_open_responsibility(
        &self,
        r: &OpenResponsibility,
        audit_event: AuditEvent,
    ) -> Result<OpenResponsibility> {
        let mut tx = self.begin().await?;
        tx.run(sql("DELETE FROM open_responsibilities WHERE org_id = ?").bind(r.org_id))
            .await?;
        let row = tx
            .one(
                sql(
                    "INSERT INTO open_responsibilities (org_id, department, person, phone, email,
                        updated_by, updated_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *",
                )
                .bind(r.org_id)
                .bind(&r.department)
                .bind(&r.person)
                .bind(&r.phone)
                .bind(&r.email)
                .bind(&r.updated_by)
                .bind(now()),
            )
            .await?;
        let saved = responsibility(&row)?;
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        Ok(saved)
    }
}
