//! Sharing (数据共享): share requests and their cases, grants, usage
//! counters and reports, and the group-committed access records of reads
//! through grants. Written once for both backends.

use async_trait::async_trait;
use pubdata_domain::audit::AuditEvent;
use pubdata_domain::case::{CaseKind, CaseSubject};
use pubdata_domain::share::{GrantState, RequestState};

use super::cases::close_open_cases;
use super::{CaseStep, audit, step_case};
use crate::rows;
use crate::sql::{Arg, Dialect, Exec, Sql, Tx, now, sql};
use crate::*;

/// Inserts a grant inside `tx`.
async fn insert_grant<D: Dialect>(tx: &mut D::Tx, g: &NewGrant) -> Result<Grant> {
    let row = tx
        .one(
            sql("INSERT INTO grants (request_id, dataset_id, entry_id, source_org, grantee_org,
                    using_unit, scenario, purpose, data_user, fields, masks, row_filter, mode,
                    valid_from, valid_until, rate_limit, research_only, state, created_by,
                    created_at, implemented_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *")
            .bind(g.request_id)
            .bind(g.dataset_id)
            .bind(g.entry_id)
            .bind(g.source_org)
            .bind(g.grantee_org)
            .bind(&g.using_unit)
            .bind(&g.scenario)
            .bind(&g.purpose)
            .bind(&g.data_user)
            .bind(Arg::json(&g.fields))
            .bind(Arg::json(&g.masks))
            .bind(Arg::json(&g.row_filter))
            .bind(g.mode.as_str())
            .bind(g.valid_from)
            .bind(g.valid_until)
            .bind(g.rate_limit)
            .bind(g.research_only)
            .bind(g.state.as_str())
            .bind(&g.created_by)
            .bind(now())
            .bind(Arg::Time((g.state == GrantState::Active).then(now))),
        )
        .await?;
    rows::share_grant(&row)
}

fn in_orgs(q: &mut Sql, column: &str, orgs: &Option<Vec<i64>>) -> bool {
    if let Some(orgs) = orgs {
        if orgs.is_empty() {
            return false;
        }
        q.push(&format!(" AND {column} IN ")).push_list(orgs);
    }
    true
}

#[async_trait]
impl<D: Dialect> ShareStore for D {
    async fn create_share_request(
        &self,
        r: NewShareRequest,
        opening: RequestOpening,
        audit_event: AuditEvent,
    ) -> Result<(ShareRequest, Option<Grant>)> {
        let mut tx = self.begin().await?;
        let (state, answer_due) = match &opening {
            RequestOpening::Grant(_) => (RequestState::Granted, None),
            RequestOpening::Case(c) => (RequestState::Pending, Some(c.due_on)),
        };
        let row = tx
            .one(
                sql(
                    "INSERT INTO share_requests (entry_id, dataset_id, requester_org, source_org,
                        requested_by, requested_by_name, scenario, using_unit, fields, mode, until,
                        purpose, research_only, state, answer_due, filed_with, created_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
                )
                .bind(r.entry_id)
                .bind(r.dataset_id)
                .bind(r.requester_org)
                .bind(r.source_org)
                .bind(&r.requested_by)
                .bind(&r.requested_by_name)
                .bind(&r.scenario)
                .bind(&r.using_unit)
                .bind(Arg::json(&r.fields))
                .bind(r.mode.as_str())
                .bind(r.until)
                .bind(&r.purpose)
                .bind(r.research_only)
                .bind(state.as_str())
                .bind(Arg::Date(answer_due))
                .bind(Arg::json(&r.filed_with))
                .bind(now()),
            )
            .await?;
        let mut req = rows::share_request(&row)?;
        let mut granted = None;
        match opening {
            RequestOpening::Grant(mut g) => {
                g.request_id = Some(req.id);
                let g = insert_grant::<D>(&mut tx, &g).await?;
                tx.run(
                    sql("UPDATE share_requests SET grant_id = ? WHERE id = ?")
                        .bind(g.id)
                        .bind(req.id),
                )
                .await?;
                req.grant_id = Some(g.id);
                granted = Some(g);
            }
            RequestOpening::Case(mut c) => {
                c.subject = CaseSubject::ShareRequest(req.id).to_string();
                step_case::<D>(&mut tx, CaseStep::Open(&c), &r.requested_by, "", None).await?;
            }
        }
        let mut audit_event = audit_event;
        audit_event.target = format!("share_request:{}", req.id);
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        Ok((req, granted))
    }

    async fn get_share_request(&self, id: i64) -> Result<ShareRequest> {
        let row = self
            .reader()
            .one(sql("SELECT * FROM share_requests WHERE id = ?").bind(id))
            .await?;
        rows::share_request(&row)
    }

    async fn list_share_requests(&self, f: &ShareRequestFilter) -> Result<Vec<ShareRequest>> {
        let mut q = sql("SELECT * FROM share_requests WHERE 1 = 1");
        if !in_orgs(&mut q, "requester_org", &f.requester_orgs)
            || !in_orgs(&mut q, "source_org", &f.source_orgs)
        {
            return Ok(vec![]);
        }
        if let Some(s) = f.state {
            q.push(" AND state = ").push_bind(s.as_str());
        }
        q.push(" ORDER BY id DESC LIMIT ")
            .push_bind(f.limit.max(1) as i64);
        let rows = self.reader().all(q).await?;
        rows.iter().map(rows::share_request).collect()
    }

    async fn decide_share_request(
        &self,
        d: ShareDecision,
        audit_event: AuditEvent,
    ) -> Result<ShareRequest> {
        let mut tx = self.begin().await?;
        let state = if d.approve {
            RequestState::Approved
        } else {
            RequestState::Refused
        };
        let row = tx
            .opt(
                sql("UPDATE share_requests SET state = ?, decided_by = ?, decided_at = ?, basis = ?,
                        implement_due = ?
                     WHERE id = ? AND state = 'pending' RETURNING *")
                .bind(state.as_str())
                .bind(&d.actor)
                .bind(now())
                .bind(&d.basis)
                .bind(Arg::Date(d.implement_case.as_ref().map(|c| c.due_on)))
                .bind(d.request_id),
            )
            .await?
            .ok_or_else(|| StoreError::Conflict {
                what: "state".into(),
            })?;
        let mut req = rows::share_request(&row)?;
        let subject = CaseSubject::ShareRequest(req.id).to_string();
        let outcome = if d.approve { "approved" } else { "refused" };
        close_open_cases::<D>(
            &mut tx,
            &subject,
            CaseKind::ShareAnswer,
            outcome,
            &d.actor,
            &d.basis,
        )
        .await?;
        if let Some(g) = &d.grant {
            let g = insert_grant::<D>(&mut tx, g).await?;
            tx.run(
                sql("UPDATE share_requests SET grant_id = ? WHERE id = ?")
                    .bind(g.id)
                    .bind(req.id),
            )
            .await?;
            req.grant_id = Some(g.id);
        }
        if let Some(c) = &d.implement_case {
            let mut c = c.clone();
            c.subject = subject;
            step_case::<D>(&mut tx, CaseStep::Open(&c), &d.actor, "", None).await?;
        }
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        Ok(req)
    }

    async fn implement_grant(
        &self,
        grant_id: i64,
        actor: &str,
        audit_event: AuditEvent,
    ) -> Result<Grant> {
        let mut tx = self.begin().await?;
        let row = tx
            .opt(
                sql("UPDATE grants SET state = 'active', implemented_at = ?
                     WHERE id = ? AND state = 'pending' RETURNING *")
                .bind(now())
                .bind(grant_id),
            )
            .await?
            .ok_or_else(|| StoreError::Conflict {
                what: "state".into(),
            })?;
        let g = rows::share_grant(&row)?;
        if let Some(req) = g.request_id {
            tx.run(
                sql("UPDATE share_requests SET state = 'granted' WHERE id = ? AND state = 'approved'")
                    .bind(req),
            )
            .await?;
            let subject = CaseSubject::ShareRequest(req).to_string();
            close_open_cases::<D>(
                &mut tx,
                &subject,
                CaseKind::ShareImplement,
                "implemented",
                actor,
                "",
            )
            .await?;
        }
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        Ok(g)
    }

    async fn create_grant(&self, g: NewGrant, audit_event: AuditEvent) -> Result<Grant> {
        let mut tx = self.begin().await?;
        let g = insert_grant::<D>(&mut tx, &g).await?;
        let mut audit_event = audit_event;
        audit_event.target = format!("grant:{}", g.id);
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        Ok(g)
    }

    async fn get_grant(&self, id: i64) -> Result<Grant> {
        let row = self
            .reader()
            .one(sql("SELECT * FROM grants WHERE id = ?").bind(id))
            .await?;
        rows::share_grant(&row)
    }

    async fn list_grants(&self, f: &GrantFilter) -> Result<Vec<Grant>> {
        let mut q = sql("SELECT * FROM grants WHERE 1 = 1");
        if !in_orgs(&mut q, "grantee_org", &f.grantee_orgs)
            || !in_orgs(&mut q, "source_org", &f.source_orgs)
        {
            return Ok(vec![]);
        }
        if let Some(d) = f.dataset_id {
            q.push(" AND dataset_id = ").push_bind(d);
        }
        q.push(" ORDER BY id DESC LIMIT ")
            .push_bind(f.limit.max(1) as i64);
        let rows = self.reader().all(q).await?;
        rows.iter().map(rows::share_grant).collect()
    }

    async fn grants_for(&self, dataset_id: i64, grantee_orgs: &[i64]) -> Result<Vec<Grant>> {
        if grantee_orgs.is_empty() {
            return Ok(vec![]);
        }
        let mut q = sql("SELECT * FROM grants WHERE dataset_id = ");
        q.push_bind(dataset_id)
            .push(" AND grantee_org IN ")
            .push_list(grantee_orgs)
            .push(" ORDER BY id DESC");
        let rows = self.reader().all(q).await?;
        rows.iter().map(rows::share_grant).collect()
    }

    async fn set_grant_state(
        &self,
        id: i64,
        from: &[GrantState],
        to: GrantState,
        reason: &str,
        audit_event: AuditEvent,
    ) -> Result<Grant> {
        let mut tx = self.begin().await?;
        let mut q = sql("UPDATE grants SET state = ");
        q.push_bind(to.as_str())
            .push(", state_reason = ")
            .push_bind(reason)
            .push(" WHERE id = ")
            .push_bind(id)
            .push(" AND state IN ")
            .push_binds(from.iter().map(|s| s.as_str()))
            .push(" RETURNING *");
        let Some(row) = tx.opt(q).await? else {
            // Absent, or not in a state the change applies to.
            tx.one(sql("SELECT id FROM grants WHERE id = ?").bind(id))
                .await?;
            return Err(StoreError::Conflict {
                what: "state".into(),
            });
        };
        let g = rows::share_grant(&row)?;
        if to == GrantState::Revoked
            && let Some(req) = g.request_id
        {
            // A grant revoked before it was implemented ends its implementation case.
            let subject = CaseSubject::ShareRequest(req).to_string();
            close_open_cases::<D>(
                &mut tx,
                &subject,
                CaseKind::ShareImplement,
                "revoked",
                &audit_event.actor,
                reason,
            )
            .await?;
        }
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        Ok(g)
    }

    async fn record_access(&self, events: Vec<AuditEvent>, usage: Vec<GrantUsage>) -> Result<()> {
        self.append_access(events, usage).await
    }

    async fn grant_usage(&self, grant_id: i64, limit: u32) -> Result<Vec<GrantUsage>> {
        let rows = self
            .reader()
            .all(
                sql("SELECT * FROM grant_usage WHERE grant_id = ? ORDER BY day DESC LIMIT ?")
                    .bind(grant_id)
                    .bind(limit as i64),
            )
            .await?;
        rows.iter().map(rows::grant_usage).collect()
    }

    async fn file_usage_report(
        &self,
        grant_id: i64,
        period: &str,
        summary: &str,
        uses: i64,
        filed_by: &str,
        audit_event: AuditEvent,
    ) -> Result<UsageReport> {
        let mut tx = self.begin().await?;
        let row = tx
            .one(
                sql("INSERT INTO usage_reports (grant_id, period, summary, uses, filed_by, filed_at)
                     VALUES (?, ?, ?, ?, ?, ?) RETURNING *")
                .bind(grant_id)
                .bind(period)
                .bind(summary)
                .bind(uses)
                .bind(filed_by)
                .bind(now()),
            )
            .await?;
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        rows::usage_report(&row)
    }

    async fn usage_reports(&self, grant_id: i64) -> Result<Vec<UsageReport>> {
        let rows = self
            .reader()
            .all(
                sql("SELECT * FROM usage_reports WHERE grant_id = ? ORDER BY id DESC")
                    .bind(grant_id),
            )
            .await?;
        rows.iter().map(rows::usage_report).collect()
    }

    async fn backdate_share_request(
        &self,
        id: i64,
        opened_on: chrono::NaiveDate,
        answer_due: chrono::NaiveDate,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.run(
            sql("UPDATE share_requests SET answer_due = ? WHERE id = ?")
                .bind(answer_due)
                .bind(id),
        )
        .await?;
        tx.run(
            sql("UPDATE cases SET opened_on = ?, due_on = ? WHERE subject = ? AND state = 'open'")
                .bind(opened_on)
                .bind(answer_due)
                .bind(CaseSubject::ShareRequest(id).to_string()),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn put_push_target(&self, t: &PushTarget, audit_event: AuditEvent) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.run(sql("DELETE FROM push_targets WHERE grant_id = ?").bind(t.grant_id))
            .await?;
        tx.run(
            sql("INSERT INTO push_targets (grant_id, url, table_name, every_minutes, pushed_version,
                    failures, next_at, created_by, created_at)
                 VALUES (?, ?, ?, ?, 0, 0, ?, ?, ?)")
            .bind(t.grant_id)
            .bind(t.url.expose())
            .bind(&t.table_name)
            .bind(t.every_minutes)
            .bind(t.next_at)
            .bind(&t.created_by)
            .bind(now()),
        )
        .await?;
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn push_target(&self, grant_id: i64) -> Result<Option<PushTarget>> {
        let row = self
            .reader()
            .opt(sql("SELECT * FROM push_targets WHERE grant_id = ?").bind(grant_id))
            .await?;
        row.as_ref().map(rows::push_target).transpose()
    }

    async fn due_push_targets(&self, at: chrono::DateTime<chrono::Utc>) -> Result<Vec<PushTarget>> {
        let rows = self
            .reader()
            .all(sql("SELECT * FROM push_targets WHERE next_at <= ? ORDER BY next_at").bind(at))
            .await?;
        rows.iter().map(rows::push_target).collect()
    }

    async fn record_push(
        &self,
        grant_id: i64,
        outcome: std::result::Result<i64, String>,
        next_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        let q = match outcome {
            Ok(version) => sql(
                "UPDATE push_targets SET pushed_version = ?, last_push_at = ?,
                                   last_error = NULL, failures = 0, next_at = ? WHERE grant_id = ?",
            )
            .bind(version)
            .bind(now())
            .bind(next_at)
            .bind(grant_id),
            Err(msg) => sql(
                "UPDATE push_targets SET last_error = ?, failures = failures + 1,
                                 next_at = ? WHERE grant_id = ?",
            )
            .bind(msg)
            .bind(next_at)
            .bind(grant_id),
        };
        self.writer().run(q).await?;
        Ok(())
    }

    async fn create_data_demand(
        &self,
        d: NewDataDemand,
        case: NewCase,
        audit_event: AuditEvent,
    ) -> Result<DataDemand> {
        let mut tx = self.begin().await?;
        let row = tx
            .one(
                sql("INSERT INTO data_demands (requester_org, source_org, requested_by, description,
                        items, scenario, purpose, state, answer_due, created_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?) RETURNING *")
                .bind(d.requester_org)
                .bind(d.source_org)
                .bind(&d.requested_by)
                .bind(&d.description)
                .bind(Arg::json(&d.items))
                .bind(&d.scenario)
                .bind(&d.purpose)
                .bind(case.due_on)
                .bind(now()),
            )
            .await?;
        let demand = rows::data_demand(&row)?;
        let mut case = case;
        case.subject = CaseSubject::DataDemand(demand.id).to_string();
        step_case::<D>(&mut tx, CaseStep::Open(&case), &d.requested_by, "", None).await?;
        let mut audit_event = audit_event;
        audit_event.target = format!("data_demand:{}", demand.id);
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        Ok(demand)
    }

    async fn get_data_demand(&self, id: i64) -> Result<DataDemand> {
        let row = self
            .reader()
            .one(sql("SELECT * FROM data_demands WHERE id = ?").bind(id))
            .await?;
        rows::data_demand(&row)
    }

    async fn list_data_demands(
        &self,
        orgs: &[i64],
        requester: bool,
        limit: u32,
    ) -> Result<Vec<DataDemand>> {
        if orgs.is_empty() {
            return Ok(vec![]);
        }
        let column = if requester {
            "requester_org"
        } else {
            "source_org"
        };
        let mut q = sql(format!("SELECT * FROM data_demands WHERE {column} IN "));
        q.push_list(orgs)
            .push(" ORDER BY id DESC LIMIT ")
            .push_bind(limit.max(1) as i64);
        let rows = self.reader().all(q).await?;
        rows.iter().map(rows::data_demand).collect()
    }

    async fn step_data_demand(
        &self,
        st: DemandStep,
        audit_event: AuditEvent,
    ) -> Result<DataDemand> {
        let mut tx = self.begin().await?;
        let mut q = sql("UPDATE data_demands SET state = ");
        q.push_bind(st.to.as_str())
            .push(", answer = ")
            .push_bind(st.answer.as_str())
            .push(", basis = ")
            .push_bind(st.basis.as_str())
            .push(", entry_id = ")
            .push_bind(st.entry_id)
            .push(", decided_by = ")
            .push_bind(st.actor.as_str())
            .push(", decided_at = ")
            .push_bind(now())
            .push(" WHERE id = ")
            .push_bind(st.id)
            .push(" AND state IN ")
            .push_binds(st.from.iter().map(|s| s.as_str()))
            .push(" RETURNING *");
        let row = tx.opt(q).await?.ok_or_else(|| StoreError::Conflict {
            what: "state".into(),
        })?;
        let demand = rows::data_demand(&row)?;
        let subject = CaseSubject::DataDemand(st.id).to_string();
        close_open_cases::<D>(
            &mut tx,
            &subject,
            CaseKind::DataDemand,
            st.to.as_str(),
            &st.actor,
            &st.basis,
        )
        .await?;
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        Ok(demand)
    }

    async fn record_delivery(
        &self,
        grant_id: i64,
        kind: &str,
        description: &str,
        rows_out: i64,
        received_by: &str,
        delivered_by: &str,
        audit_event: AuditEvent,
    ) -> Result<Delivery> {
        let mut tx = self.begin().await?;
        let row = tx
            .one(
                sql(
                    "INSERT INTO deliveries (grant_id, kind, description, rows_out, received_by,
                        delivered_by, delivered_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *",
                )
                .bind(grant_id)
                .bind(kind)
                .bind(description)
                .bind(rows_out)
                .bind(received_by)
                .bind(delivered_by)
                .bind(now()),
            )
            .await?;
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        rows::delivery(&row)
    }

    async fn deliveries(&self, grant_id: i64) -> Result<Vec<Delivery>> {
        let rows = self
            .reader()
            .all(sql("SELECT * FROM deliveries WHERE grant_id = ? ORDER BY id DESC").bind(grant_id))
            .await?;
        rows.iter().map(rows::delivery).collect()
    }
}
