//! Organisations, accounts, sessions, tokens, calendar, audit chain and the
//! state shared by the servers of a platform.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pubdata_domain::audit::{AuditEvent, AuditRecord, Outcome};
use pubdata_domain::calendar::YearSchedule;
use pubdata_domain::org::Role;

use super::audit;
use crate::rows::{self, Cols};
use crate::sql::{Arg, Dialect, Exec, Tx, now, sql};
use crate::*;

const USER_COLS: &str = "id, username, display_name, kind, org_id, disabled, created_at";
const TOKEN_COLS: &str =
    "id, prefix, name, org_id, created_by, created_at, last_used_at, revoked_at";

/// Stores a year's schedule: `DO NOTHING` keeps a stored one, `DO UPDATE …`
/// replaces it. True when a row was written.
async fn upsert_year<D: Dialect>(
    tx: &mut D::Tx,
    y: &YearSchedule,
    on_conflict: &str,
) -> Result<bool> {
    let n = tx
        .run(
            sql(format!(
                "INSERT INTO calendar_years (year, source, off_days, work_days, updated_at)
                 VALUES (?, ?, ?, ?, ?) ON CONFLICT (year) {on_conflict}"
            ))
            .bind(y.year as i64)
            .bind(&y.source)
            .bind(Arg::json(&y.off_strings()))
            .bind(Arg::json(&y.work_strings()))
            .bind(now()),
        )
        .await?;
    Ok(n > 0)
}

#[async_trait]
impl<D: Dialect> Store for D {
    fn backend(&self) -> &'static str {
        D::NAME
    }

    async fn ping(&self) -> Result<()> {
        self.reader().run(sql("SELECT 1")).await?;
        Ok(())
    }

    async fn list_orgs(&self) -> Result<Vec<Org>> {
        let rows = self
            .reader()
            .all(sql("SELECT * FROM orgs ORDER BY id"))
            .await?;
        rows.iter().map(rows::org).collect()
    }

    async fn get_org(&self, id: i64) -> Result<Org> {
        let row = self
            .reader()
            .one(sql("SELECT * FROM orgs WHERE id = ?").bind(id))
            .await?;
        rows::org(&row)
    }

    async fn get_org_by_code(&self, code: &str) -> Result<Option<Org>> {
        let row = self
            .reader()
            .opt(sql("SELECT * FROM orgs WHERE code = ?").bind(code))
            .await?;
        row.as_ref().map(rows::org).transpose()
    }

    async fn create_org(&self, o: NewOrg, audit_event: AuditEvent) -> Result<Org> {
        let mut tx = self.begin().await?;
        let row = tx
            .one(
                sql("INSERT INTO orgs (code, name, name_en, kind, level, parent_id, division_code, created_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *")
                .bind(&o.code)
                .bind(&o.name)
                .bind(&o.name_en)
                .bind(o.kind.as_str())
                .bind(o.level.map(|l| l.as_str()))
                .bind(o.parent_id)
                .bind(&o.division_code)
                .bind(now()),
            )
            .await?;
        let org = rows::org(&row)?;
        let mut e = audit_event;
        e.target = format!("org:{}", org.id);
        audit::<D>(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(org)
    }

    async fn update_org(&self, id: i64, p: OrgPatch, audit_event: AuditEvent) -> Result<Org> {
        let mut tx = self.begin().await?;
        let mut q = sql("UPDATE orgs SET id = id");
        if let Some(name) = &p.name {
            q.push(", name = ").push_bind(name);
        }
        if let Some(name_en) = &p.name_en {
            q.push(", name_en = ").push_bind(name_en);
        }
        if let Some(parent) = p.parent_id {
            q.push(", parent_id = ").push_bind(parent);
        }
        q.push(" WHERE id = ").push_bind(id).push(" RETURNING *");
        let org = rows::org(&tx.one(q).await?)?;
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        Ok(org)
    }

    async fn list_users(&self, org_id: Option<i64>) -> Result<Vec<User>> {
        let mut q = sql(format!("SELECT {USER_COLS} FROM users"));
        if let Some(org) = org_id {
            q.push(" WHERE org_id = ").push_bind(org);
        }
        q.push(" ORDER BY id");
        let rows = self.reader().all(q).await?;
        rows.iter().map(rows::user).collect()
    }

    async fn get_user(&self, id: i64) -> Result<User> {
        let row = self
            .reader()
            .one(sql(format!("SELECT {USER_COLS} FROM users WHERE id = ?")).bind(id))
            .await?;
        rows::user(&row)
    }

    async fn get_user_by_username(&self, username: &str) -> Result<Option<(User, String)>> {
        let row = self
            .reader()
            .opt(
                sql(format!(
                    "SELECT {USER_COLS}, password_hash FROM users WHERE username = ?"
                ))
                .bind(username),
            )
            .await?;
        match row {
            None => Ok(None),
            Some(r) => Ok(Some((rows::user(&r)?, r.text("password_hash")?))),
        }
    }

    async fn create_user(&self, u: NewUser, audit_event: AuditEvent) -> Result<User> {
        let mut tx = self.begin().await?;
        let row = tx
            .one(
                sql(format!(
                    "INSERT INTO users (username, display_name, kind, org_id, password_hash, created_at)
                     VALUES (?, ?, ?, ?, ?, ?) RETURNING {USER_COLS}"
                ))
                .bind(&u.username)
                .bind(&u.display_name)
                .bind(u.kind.as_str())
                .bind(u.org_id)
                .bind(&u.password_hash)
                .bind(now()),
            )
            .await?;
        let user = rows::user(&row)?;
        let mut e = audit_event;
        e.target = format!("user:{}", user.id);
        audit::<D>(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn update_user(&self, id: i64, p: UserPatch, audit_event: AuditEvent) -> Result<User> {
        let mut tx = self.begin().await?;
        let mut q = sql("UPDATE users SET id = id");
        if let Some(v) = &p.display_name {
            q.push(", display_name = ").push_bind(v);
        }
        if let Some(v) = p.disabled {
            q.push(", disabled = ").push_bind(v);
        }
        if let Some(v) = &p.password_hash {
            q.push(", password_hash = ").push_bind(v);
        }
        if let Some(v) = p.org_id {
            q.push(", org_id = ").push_bind(v);
        }
        q.push(" WHERE id = ")
            .push_bind(id)
            .push(&format!(" RETURNING {USER_COLS}"));
        let user = rows::user(&tx.one(q).await?)?;
        if p.password_hash.is_some() || p.disabled == Some(true) {
            tx.run(sql("DELETE FROM sessions WHERE user_id = ?").bind(id))
                .await?;
        }
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn roles_of(&self, user_id: i64) -> Result<Vec<RoleGrant>> {
        let rows = self
            .reader()
            .all(
                sql("SELECT id, user_id, role, org_id FROM role_grants WHERE user_id = ? ORDER BY id")
                    .bind(user_id),
            )
            .await?;
        rows.iter().map(rows::grant).collect()
    }

    async fn grant_role(
        &self,
        user_id: i64,
        role: Role,
        org_id: i64,
        audit_event: AuditEvent,
    ) -> Result<RoleGrant> {
        let mut tx = self.begin().await?;
        let row = tx
            .one(
                sql("INSERT INTO role_grants (user_id, role, org_id, created_at) VALUES (?, ?, ?, ?)
                     RETURNING id, user_id, role, org_id")
                .bind(user_id)
                .bind(role.as_str())
                .bind(org_id)
                .bind(now()),
            )
            .await?;
        let grant = rows::grant(&row)?;
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        Ok(grant)
    }

    async fn revoke_role(&self, grant_id: i64, audit_event: AuditEvent) -> Result<RoleGrant> {
        let mut tx = self.begin().await?;
        let row = tx
            .one(
                sql("DELETE FROM role_grants WHERE id = ? RETURNING id, user_id, role, org_id")
                    .bind(grant_id),
            )
            .await?;
        let grant = rows::grant(&row)?;
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        Ok(grant)
    }

    async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        kind: SessionKind,
        csrf_token: &str,
        expires_at: DateTime<Utc>,
        audit_event: AuditEvent,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let now = now();
        // Expired sessions are swept whenever a new one starts.
        tx.run(sql("DELETE FROM sessions WHERE expires_at < ?").bind(now))
            .await?;
        tx.run(
            sql("INSERT INTO sessions (token_hash, user_id, kind, csrf_token, created_at, expires_at)
                 VALUES (?, ?, ?, ?, ?, ?)")
            .bind(token_hash)
            .bind(user_id)
            .bind(kind.as_str())
            .bind(csrf_token)
            .bind(now)
            .bind(expires_at),
        )
        .await?;
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn find_session(&self, token_hash: &str) -> Result<Option<Session>> {
        let row = self
            .reader()
            .opt(
                sql("SELECT user_id, csrf_token, expires_at FROM sessions WHERE token_hash = ?")
                    .bind(token_hash),
            )
            .await?;
        row.as_ref().map(rows::session).transpose()
    }

    async fn delete_session(&self, token_hash: &str, audit_event: AuditEvent) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.run(sql("DELETE FROM sessions WHERE token_hash = ?").bind(token_hash))
            .await?;
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_api_token(&self, t: NewApiToken, audit_event: AuditEvent) -> Result<ApiToken> {
        let mut tx = self.begin().await?;
        let row = tx
            .one(
                sql(format!(
                    "INSERT INTO api_tokens (token_hash, prefix, name, org_id, created_by, created_at)
                     VALUES (?, ?, ?, ?, ?, ?) RETURNING {TOKEN_COLS}"
                ))
                .bind(&t.token_hash)
                .bind(&t.prefix)
                .bind(&t.name)
                .bind(t.org_id)
                .bind(t.created_by)
                .bind(now()),
            )
            .await?;
        let token = rows::token(&row)?;
        let mut e = audit_event;
        e.target = format!("api_token:{}", token.id);
        audit::<D>(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(token)
    }

    async fn list_api_tokens(&self, org_id: i64) -> Result<Vec<ApiToken>> {
        let rows = self
            .reader()
            .all(
                sql(format!(
                    "SELECT {TOKEN_COLS} FROM api_tokens WHERE org_id = ? ORDER BY id DESC"
                ))
                .bind(org_id),
            )
            .await?;
        rows.iter().map(rows::token).collect()
    }

    async fn get_api_token(&self, id: i64) -> Result<ApiToken> {
        let row = self
            .reader()
            .one(sql(format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE id = ?")).bind(id))
            .await?;
        rows::token(&row)
    }

    async fn find_api_token(&self, token_hash: &str) -> Result<Option<ApiToken>> {
        let row = self
            .reader()
            .opt(
                sql(format!(
                    "SELECT {TOKEN_COLS} FROM api_tokens WHERE token_hash = ?"
                ))
                .bind(token_hash),
            )
            .await?;
        row.as_ref().map(rows::token).transpose()
    }

    async fn revoke_api_token(&self, id: i64, audit_event: AuditEvent) -> Result<ApiToken> {
        let mut tx = self.begin().await?;
        let row = tx
            .one(
                sql(format!(
                    "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?
                     RETURNING {TOKEN_COLS}"
                ))
                .bind(now())
                .bind(id),
            )
            .await?;
        let token = rows::token(&row)?;
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        Ok(token)
    }

    async fn touch_api_tokens(&self, uses: &[(i64, DateTime<Utc>)]) -> Result<()> {
        if uses.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin().await?;
        for (id, at) in uses {
            // Another server may have recorded a later use: keep the latest.
            tx.run(
                sql("UPDATE api_tokens SET last_used_at = ?
                     WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)")
                .bind(*at)
                .bind(*id)
                .bind(*at),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn calendar_years(&self) -> Result<Vec<YearSchedule>> {
        let rows = self
            .reader()
            .all(sql(
                "SELECT year, source, off_days, work_days FROM calendar_years ORDER BY year",
            ))
            .await?;
        rows.iter().map(rows::schedule).collect()
    }

    async fn seed_calendar_years(&self, years: &[YearSchedule]) -> Result<usize> {
        let mut tx = self.begin().await?;
        let mut added = 0;
        for y in years {
            if upsert_year::<D>(&mut tx, y, "DO NOTHING").await? {
                added += 1;
                let event = AuditEvent {
                    actor: "system".into(),
                    actor_user_id: None,
                    org_id: None,
                    action: "calendar.seed".into(),
                    target: format!("calendar:{}", y.year),
                    outcome: Outcome::Success,
                    detail: serde_json::json!({"source": y.source}),
                    client_ip: None,
                };
                audit::<D>(&mut tx, &event).await?;
            }
        }
        tx.commit().await?;
        Ok(added)
    }

    async fn put_calendar_year(&self, y: &YearSchedule, audit_event: AuditEvent) -> Result<()> {
        let mut tx = self.begin().await?;
        upsert_year::<D>(
            &mut tx,
            y,
            "DO UPDATE SET source = excluded.source, off_days = excluded.off_days,
                work_days = excluded.work_days, updated_at = excluded.updated_at",
        )
        .await?;
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn append_audit(&self, event: AuditEvent) -> Result<i64> {
        let mut tx = self.begin().await?;
        let id = audit::<D>(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn list_audit(&self, f: &AuditFilter) -> Result<Vec<AuditRecord>> {
        let mut q = sql("SELECT * FROM audit_log WHERE 1 = 1");
        if let Some(v) = &f.actor {
            q.push(" AND actor = ").push_bind(v);
        }
        if let Some(v) = &f.action {
            q.push_prefix("action", v);
        }
        if let Some(v) = f.org_id {
            q.push(" AND org_id = ").push_bind(v);
        }
        if let Some(v) = &f.outcome {
            q.push(" AND outcome = ").push_bind(v);
        }
        if let Some(v) = &f.target {
            q.push(" AND target = ").push_bind(v);
        }
        if let Some(v) = f.since {
            q.push(" AND at >= ").push_bind(v);
        }
        if let Some(v) = f.until {
            q.push(" AND at < ").push_bind(v);
        }
        if let Some(v) = f.before_id {
            q.push(" AND id < ").push_bind(v);
        }
        q.push(" ORDER BY id DESC LIMIT ").push_bind(f.limit as i64);
        let rows = self.reader().all(q).await?;
        rows.iter().map(rows::audit).collect()
    }

    async fn audit_batch(&self, after_id: i64, limit: u32) -> Result<Vec<AuditRecord>> {
        let rows = self
            .reader()
            .all(
                sql("SELECT * FROM audit_log WHERE id > ? ORDER BY id LIMIT ?")
                    .bind(after_id)
                    .bind(limit as i64),
            )
            .await?;
        rows.iter().map(rows::audit).collect()
    }

    async fn audit_written(&self) -> Result<i64> {
        let row = self
            .reader()
            .one(sql("SELECT last_id FROM audit_head WHERE one = 1"))
            .await?;
        row.int("last_id")
    }

    async fn try_lease(&self, job: &str, holder: &str, ttl: chrono::Duration) -> Result<bool> {
        let now = now();
        let got = self
            .writer()
            .opt(
                sql("INSERT INTO job_leases (job, holder, until, last_run) VALUES (?, ?, ?, ?)
                     ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, until = excluded.until,
                        last_run = excluded.last_run
                     WHERE job_leases.until < ? OR job_leases.holder = excluded.holder
                     RETURNING holder")
                .bind(job)
                .bind(holder)
                .bind(now + ttl)
                .bind(now)
                .bind(now),
            )
            .await?;
        Ok(got.is_some())
    }

    async fn backup_to(&self, path: &std::path::Path) -> Result<bool> {
        Dialect::backup_to(self, path).await
    }

    async fn snapshot(&self) -> Result<crate::snapshot::Snapshot> {
        Dialect::snapshot(self).await
    }

    async fn restore_snapshot(&self, snap: &crate::snapshot::Snapshot) -> Result<()> {
        Dialect::restore_snapshot(self, snap).await
    }

    async fn audit_head(&self) -> Result<(i64, String)> {
        let row = self
            .reader()
            .one(sql(
                "SELECT last_id, last_hash FROM audit_head WHERE one = 1",
            ))
            .await?;
        Ok((row.int("last_id")?, row.text("last_hash")?))
    }

    async fn crypto_profile(&self) -> Result<pubdata_domain::audit::CryptoProfile> {
        let row = self
            .reader()
            .one(sql("SELECT crypto_profile FROM audit_head WHERE one = 1"))
            .await?;
        crate::sql::crypto_profile_of(&row.text("crypto_profile")?)
    }

    async fn set_crypto_profile(
        &self,
        profile: pubdata_domain::audit::CryptoProfile,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.run(
            sql("UPDATE audit_head SET crypto_profile = ? WHERE one = 1 AND last_id = 0")
                .bind(profile.as_str()),
        )
        .await?;
        let row = tx
            .one(sql("SELECT crypto_profile FROM audit_head WHERE one = 1"))
            .await?;
        let now = crate::sql::crypto_profile_of(&row.text("crypto_profile")?)?;
        if now != profile {
            return Err(StoreError::Conflict {
                what: format!(
                    "crypto profile: the platform runs under `{now}` (its audit chain is not empty); it cannot change to `{profile}`"
                ),
            });
        }
        tx.commit().await
    }

    async fn record_backup_run(&self, run: NewBackupRun, event: AuditEvent) -> Result<i64> {
        let mut tx = self.begin().await?;
        let row = tx
            .one(
                sql("INSERT INTO backup_runs (started_at, duration_ms, ok, bytes, file, copies, error, instance)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id")
                .bind(run.started_at)
                .bind(run.duration_ms)
                .bind(run.ok)
                .bind(run.bytes)
                .bind(run.file.as_str())
                .bind(run.copies)
                .bind(run.error.as_str())
                .bind(run.instance.as_str()),
            )
            .await?;
        audit::<D>(&mut tx, &event).await?;
        tx.commit().await?;
        row.int("id")
    }

    async fn backup_runs(&self, limit: u32) -> Result<Vec<BackupRun>> {
        let rows = self
            .reader()
            .all(sql("SELECT * FROM backup_runs ORDER BY id DESC LIMIT ?").bind(limit as i64))
            .await?;
        rows.iter().map(rows::backup_run).collect()
    }

    async fn record_audit_checkpoint(
        &self,
        cp: NewAuditCheckpoint,
        event: AuditEvent,
    ) -> Result<i64> {
        let mut tx = self.begin().await?;
        let row = tx
            .one(
                sql(
                    "INSERT INTO audit_checkpoints (at, ok, records, head, algorithm, public_key,
                         signature, file, copies, error, instance)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                )
                .bind(cp.at)
                .bind(cp.ok)
                .bind(cp.records)
                .bind(cp.head.as_str())
                .bind(cp.algorithm.as_str())
                .bind(cp.public_key.as_str())
                .bind(cp.signature.as_str())
                .bind(cp.file.as_str())
                .bind(cp.copies)
                .bind(cp.error.as_str())
                .bind(cp.instance.as_str()),
            )
            .await?;
        audit::<D>(&mut tx, &event).await?;
        tx.commit().await?;
        row.int("id")
    }

    async fn stored_secrets(&self, column: &str) -> Result<Vec<(i64, String)>> {
        let (table, col, key) = secret_column(column)?;
        let rows = self
            .reader()
            .all(sql(format!(
                "SELECT {key} AS k, {col} AS v FROM {table} ORDER BY {key}"
            )))
            .await?;
        rows.iter()
            .map(|r| Ok((r.int("k")?, r.text("v")?)))
            .collect()
    }

    async fn reseal_secrets(
        &self,
        values: &[(&str, i64, String)],
        event: &AuditEvent,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        for (column, id, value) in values {
            let (table, col, key) = secret_column(column)?;
            tx.run(
                sql(format!("UPDATE {table} SET {col} = ? WHERE {key} = ?"))
                    .bind(value.as_str())
                    .bind(*id),
            )
            .await?;
        }
        audit::<D>(&mut tx, event).await?;
        tx.commit().await
    }

    async fn audit_checkpoints(&self, limit: u32) -> Result<Vec<AuditCheckpoint>> {
        let rows = self
            .reader()
            .all(sql("SELECT * FROM audit_checkpoints ORDER BY id DESC LIMIT ?").bind(limit as i64))
            .await?;
        rows.iter().map(rows::audit_checkpoint).collect()
    }

    async fn job_leases(&self) -> Result<Vec<JobLease>> {
        let rows = self
            .reader()
            .all(sql("SELECT * FROM job_leases ORDER BY job"))
            .await?;
        rows.iter().map(rows::job_lease).collect()
    }

    async fn login_failures(
        &self,
        client: &str,
        since: DateTime<Utc>,
    ) -> Result<(i64, Option<DateTime<Utc>>)> {
        let row = self
            .reader()
            .one(
                sql("SELECT count(*) AS n, min(at) AS first FROM login_failures
                     WHERE client = ? AND at >= ?")
                .bind(client)
                .bind(since),
            )
            .await?;
        Ok((row.int("n")?, row.opt_time("first")?))
    }

    async fn record_login_failure(&self, client: &str, forget_before: DateTime<Utc>) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.run(sql("DELETE FROM login_failures WHERE at < ?").bind(forget_before))
            .await?;
        tx.run(
            sql("INSERT INTO login_failures (client, at) VALUES (?, ?)")
                .bind(client)
                .bind(now()),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn clear_login_failures(&self, client: &str) -> Result<()> {
        self.writer()
            .run(sql("DELETE FROM login_failures WHERE client = ?").bind(client))
            .await?;
        Ok(())
    }
}

/// `(table, column, key column)` of a secret column named `table.column`;
/// only the columns of [`crate::SECRET_COLUMNS`] (their names go into SQL).
fn secret_column(name: &str) -> Result<(&'static str, &'static str, &'static str)> {
    let (full, key) = crate::SECRET_COLUMNS
        .iter()
        .find(|(c, _)| *c == name)
        .ok_or_else(|| StoreError::Conflict {
            what: format!("`{name}` is not a secret column"),
        })?;
    let (table, col) = full.split_once('.').expect("table.column");
    Ok((table, col, key))
}
