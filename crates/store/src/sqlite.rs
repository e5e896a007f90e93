//! The embedded default: one SQLite file in WAL mode.
//!
//! Writes go through a pool of exactly one connection, so they are serialised
//! (SQLite allows one writer anyway) and the audit chain is appended without
//! races; reads use a separate pool of read-only connections that see the last
//! committed state. `synchronous=FULL`: an acknowledged write survives a crash
//! of the process or of the machine.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pubdata_domain::audit::{AuditEvent, AuditRecord, Outcome, record_hash};
use pubdata_domain::calendar::YearSchedule;
use pubdata_domain::org::Role;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};

use crate::rows;
use crate::*;

mod catalog;
mod datasets;
mod load;

const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "foundation",
        include_str!("../migrations/sqlite/0001_foundation.sql"),
    ),
    (
        2,
        "catalog",
        include_str!("../migrations/sqlite/0002_catalog.sql"),
    ),
    (
        3,
        "datasets",
        include_str!("../migrations/sqlite/0003_datasets.sql"),
    ),
    (
        4,
        "base",
        include_str!("../migrations/sqlite/0004_base.sql"),
    ),
    (
        5,
        "shared_state",
        include_str!("../migrations/sqlite/0005_shared_state.sql"),
    ),
];

pub struct SqliteStore {
    pub(crate) write: SqlitePool,
    pub(crate) read: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating and migrating on first start) the database at `url`.
    pub async fn open(url: &str) -> Result<Self> {
        let base = SqliteConnectOptions::from_str(url)?
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        // The writer gets a larger page cache (64 MiB): loads touch many pages.
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(
                base.clone()
                    .create_if_missing(true)
                    .pragma("cache_size", "-65536"),
            )
            .await?;
        migrate(&write).await?;
        let read = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(base.read_only(true))
            .await?;
        Ok(SqliteStore { write, read })
    }

    /// Closes both pools, flushing the WAL.
    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }
}

async fn migrate(pool: &SqlitePool) -> Result<()> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )
    .execute(pool)
    .await?;
    for (version, name, sql) in MIGRATIONS {
        let done: Option<i64> =
            sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = ?")
                .bind(version)
                .fetch_optional(pool)
                .await?;
        if done.is_some() {
            continue;
        }
        tracing::info!(version, name, "applying migration");
        let mut tx = pool.begin().await?;
        sqlx::raw_sql(sql).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)")
            .bind(version)
            .bind(name)
            .bind(fmt_time(Utc::now()))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    }
    Ok(())
}

/// Maps constraint violations to [`StoreError`] variants, in one place.
pub(crate) fn db_err(e: sqlx::Error) -> StoreError {
    if let Some(d) = e.as_database_error() {
        if d.is_unique_violation() {
            let what = d
                .message()
                .rsplit(": ")
                .next()
                .unwrap_or("value")
                .to_string();
            return StoreError::Conflict { what };
        }
        if d.is_foreign_key_violation() {
            return StoreError::InvalidReference;
        }
    }
    StoreError::Database(e)
}

/// Appends `e` to the audit chain inside the caller's transaction.
pub(crate) async fn append(conn: &mut SqliteConnection, e: &AuditEvent) -> Result<i64> {
    let (last_id, last_hash): (i64, String) =
        sqlx::query_as("SELECT last_id, last_hash FROM audit_head WHERE one = 1")
            .fetch_one(&mut *conn)
            .await?;
    let id = last_id + 1;
    let at = fmt_time(Utc::now());
    let hash = record_hash(&last_hash, id, &at, e);
    sqlx::query(
        "INSERT INTO audit_log (id, at, actor, actor_user_id, org_id, action, target, outcome,
                                detail, client_ip, prev_hash, hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(id)
    .bind(&at)
    .bind(&e.actor)
    .bind(e.actor_user_id)
    .bind(e.org_id)
    .bind(&e.action)
    .bind(&e.target)
    .bind(e.outcome.as_str())
    .bind(e.detail.to_string())
    .bind(&e.client_ip)
    .bind(&last_hash)
    .bind(&hash)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE audit_head SET last_id = ?, last_hash = ? WHERE one = 1")
        .bind(id)
        .bind(&hash)
        .execute(&mut *conn)
        .await?;
    Ok(id)
}

const USER_COLS: &str = "id, username, display_name, kind, org_id, disabled, created_at";
const TOKEN_COLS: &str =
    "id, prefix, name, org_id, created_by, created_at, last_used_at, revoked_at";

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    async fn list_orgs(&self) -> Result<Vec<Org>> {
        let rows = sqlx::query("SELECT * FROM orgs ORDER BY id")
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(rows::org).collect()
    }

    async fn get_org(&self, id: i64) -> Result<Org> {
        let row = sqlx::query("SELECT * FROM orgs WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref()
            .map(rows::org)
            .unwrap_or(Err(StoreError::NotFound))
    }

    async fn get_org_by_code(&self, code: &str) -> Result<Option<Org>> {
        let row = sqlx::query("SELECT * FROM orgs WHERE code = ?")
            .bind(code)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(rows::org).transpose()
    }

    async fn create_org(&self, o: NewOrg, audit: AuditEvent) -> Result<Org> {
        let mut tx = self.write.begin().await?;
        let row = sqlx::query(
            "INSERT INTO orgs (code, name, name_en, kind, level, parent_id, division_code, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
        )
        .bind(&o.code)
        .bind(&o.name)
        .bind(&o.name_en)
        .bind(o.kind.as_str())
        .bind(o.level.map(|l| l.as_str()))
        .bind(o.parent_id)
        .bind(&o.division_code)
        .bind(fmt_time(Utc::now()))
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let org = rows::org(&row)?;
        let mut audit = audit;
        audit.target = format!("org:{}", org.id);
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(org)
    }

    async fn update_org(&self, id: i64, p: OrgPatch, audit: AuditEvent) -> Result<Org> {
        let mut tx = self.write.begin().await?;
        let mut q = QueryBuilder::<Sqlite>::new("UPDATE orgs SET id = id");
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
        let row = q
            .build()
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?
            .ok_or(StoreError::NotFound)?;
        let org = rows::org(&row)?;
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(org)
    }

    async fn list_users(&self, org_id: Option<i64>) -> Result<Vec<User>> {
        let mut q = QueryBuilder::<Sqlite>::new(format!("SELECT {USER_COLS} FROM users"));
        if let Some(org) = org_id {
            q.push(" WHERE org_id = ").push_bind(org);
        }
        q.push(" ORDER BY id");
        let rows = q.build().fetch_all(&self.read).await?;
        rows.iter().map(rows::user).collect()
    }

    async fn get_user(&self, id: i64) -> Result<User> {
        let row = sqlx::query(&format!("SELECT {USER_COLS} FROM users WHERE id = ?"))
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref()
            .map(rows::user)
            .unwrap_or(Err(StoreError::NotFound))
    }

    async fn get_user_by_username(&self, username: &str) -> Result<Option<(User, String)>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLS}, password_hash FROM users WHERE username = ?"
        ))
        .bind(username)
        .fetch_optional(&self.read)
        .await?;
        match row {
            None => Ok(None),
            Some(r) => Ok(Some((rows::user(&r)?, r.try_get("password_hash")?))),
        }
    }

    async fn create_user(&self, u: NewUser, audit: AuditEvent) -> Result<User> {
        let mut tx = self.write.begin().await?;
        let row = sqlx::query(&format!(
            "INSERT INTO users (username, display_name, kind, org_id, password_hash, created_at)
             VALUES (?, ?, ?, ?, ?, ?) RETURNING {USER_COLS}"
        ))
        .bind(&u.username)
        .bind(&u.display_name)
        .bind(u.kind.as_str())
        .bind(u.org_id)
        .bind(&u.password_hash)
        .bind(fmt_time(Utc::now()))
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let user = rows::user(&row)?;
        let mut audit = audit;
        audit.target = format!("user:{}", user.id);
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn update_user(&self, id: i64, p: UserPatch, audit: AuditEvent) -> Result<User> {
        let mut tx = self.write.begin().await?;
        let mut q = QueryBuilder::<Sqlite>::new("UPDATE users SET id = id");
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
            .push(format!(" RETURNING {USER_COLS}"));
        let row = q
            .build()
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?
            .ok_or(StoreError::NotFound)?;
        let user = rows::user(&row)?;
        if p.password_hash.is_some() || p.disabled == Some(true) {
            sqlx::query("DELETE FROM sessions WHERE user_id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn roles_of(&self, user_id: i64) -> Result<Vec<RoleGrant>> {
        let rows = sqlx::query(
            "SELECT id, user_id, role, org_id FROM role_grants WHERE user_id = ? ORDER BY id",
        )
        .bind(user_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(rows::grant).collect()
    }

    async fn grant_role(
        &self,
        user_id: i64,
        role: Role,
        org_id: i64,
        audit: AuditEvent,
    ) -> Result<RoleGrant> {
        let mut tx = self.write.begin().await?;
        let row = sqlx::query(
            "INSERT INTO role_grants (user_id, role, org_id, created_at) VALUES (?, ?, ?, ?)
             RETURNING id, user_id, role, org_id",
        )
        .bind(user_id)
        .bind(role.as_str())
        .bind(org_id)
        .bind(fmt_time(Utc::now()))
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let grant = rows::grant(&row)?;
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(grant)
    }

    async fn revoke_role(&self, grant_id: i64, audit: AuditEvent) -> Result<RoleGrant> {
        let mut tx = self.write.begin().await?;
        let row =
            sqlx::query("DELETE FROM role_grants WHERE id = ? RETURNING id, user_id, role, org_id")
                .bind(grant_id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
        let grant = rows::grant(&row)?;
        append(&mut tx, &audit).await?;
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
        audit: AuditEvent,
    ) -> Result<()> {
        let mut tx = self.write.begin().await?;
        let now = Utc::now();
        // Expired sessions are swept whenever a new one starts.
        sqlx::query("DELETE FROM sessions WHERE expires_at < ?")
            .bind(fmt_time(now))
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, kind, csrf_token, created_at, expires_at)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(kind.as_str())
        .bind(csrf_token)
        .bind(fmt_time(now))
        .bind(fmt_time(expires_at))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn find_session(&self, token_hash: &str) -> Result<Option<Session>> {
        let row = sqlx::query(
            "SELECT user_id, csrf_token, expires_at FROM sessions WHERE token_hash = ?",
        )
        .bind(token_hash)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(rows::session).transpose()
    }

    async fn delete_session(&self, token_hash: &str, audit: AuditEvent) -> Result<()> {
        let mut tx = self.write.begin().await?;
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?")
            .bind(token_hash)
            .execute(&mut *tx)
            .await?;
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_api_token(&self, t: NewApiToken, audit: AuditEvent) -> Result<ApiToken> {
        let mut tx = self.write.begin().await?;
        let row = sqlx::query(&format!(
            "INSERT INTO api_tokens (token_hash, prefix, name, org_id, created_by, created_at)
             VALUES (?, ?, ?, ?, ?, ?) RETURNING {TOKEN_COLS}"
        ))
        .bind(&t.token_hash)
        .bind(&t.prefix)
        .bind(&t.name)
        .bind(t.org_id)
        .bind(t.created_by)
        .bind(fmt_time(Utc::now()))
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let token = rows::token(&row)?;
        let mut audit = audit;
        audit.target = format!("api_token:{}", token.id);
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(token)
    }

    async fn list_api_tokens(&self, org_id: i64) -> Result<Vec<ApiToken>> {
        let rows = sqlx::query(&format!(
            "SELECT {TOKEN_COLS} FROM api_tokens WHERE org_id = ? ORDER BY id DESC"
        ))
        .bind(org_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(rows::token).collect()
    }

    async fn get_api_token(&self, id: i64) -> Result<ApiToken> {
        let row = sqlx::query(&format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE id = ?"))
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref()
            .map(rows::token)
            .unwrap_or(Err(StoreError::NotFound))
    }

    async fn find_api_token(&self, token_hash: &str) -> Result<Option<ApiToken>> {
        let row = sqlx::query(&format!(
            "SELECT {TOKEN_COLS} FROM api_tokens WHERE token_hash = ?"
        ))
        .bind(token_hash)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(rows::token).transpose()
    }

    async fn revoke_api_token(&self, id: i64, audit: AuditEvent) -> Result<ApiToken> {
        let mut tx = self.write.begin().await?;
        let row = sqlx::query(&format!(
            "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?
             RETURNING {TOKEN_COLS}"
        ))
        .bind(fmt_time(Utc::now()))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let token = rows::token(&row)?;
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(token)
    }

    async fn touch_api_tokens(&self, uses: &[(i64, DateTime<Utc>)]) -> Result<()> {
        if uses.is_empty() {
            return Ok(());
        }
        let mut tx = self.write.begin().await?;
        for (id, at) in uses {
            sqlx::query("UPDATE api_tokens SET last_used_at = ? WHERE id = ?")
                .bind(fmt_time(*at))
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn calendar_years(&self) -> Result<Vec<YearSchedule>> {
        let rows = sqlx::query(
            "SELECT year, source, off_days, work_days FROM calendar_years ORDER BY year",
        )
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(rows::schedule).collect()
    }

    async fn seed_calendar_years(&self, years: &[YearSchedule]) -> Result<usize> {
        let mut tx = self.write.begin().await?;
        let mut added = 0;
        for y in years {
            let r = sqlx::query(
                "INSERT INTO calendar_years (year, source, off_days, work_days, updated_at)
                 VALUES (?, ?, ?, ?, ?) ON CONFLICT (year) DO NOTHING",
            )
            .bind(y.year)
            .bind(&y.source)
            .bind(serde_json::to_string(&y.off_strings()).expect("strings serialise"))
            .bind(serde_json::to_string(&y.work_strings()).expect("strings serialise"))
            .bind(fmt_time(Utc::now()))
            .execute(&mut *tx)
            .await?;
            if r.rows_affected() > 0 {
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
                append(&mut tx, &event).await?;
            }
        }
        tx.commit().await?;
        Ok(added)
    }

    async fn put_calendar_year(&self, y: &YearSchedule, audit: AuditEvent) -> Result<()> {
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO calendar_years (year, source, off_days, work_days, updated_at)
             VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (year) DO UPDATE SET source = excluded.source,
                off_days = excluded.off_days, work_days = excluded.work_days,
                updated_at = excluded.updated_at",
        )
        .bind(y.year)
        .bind(&y.source)
        .bind(serde_json::to_string(&y.off_strings()).expect("strings serialise"))
        .bind(serde_json::to_string(&y.work_strings()).expect("strings serialise"))
        .bind(fmt_time(Utc::now()))
        .execute(&mut *tx)
        .await?;
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn append_audit(&self, event: AuditEvent) -> Result<i64> {
        let mut tx = self.write.begin().await?;
        let id = append(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn list_audit(&self, f: &AuditFilter) -> Result<Vec<AuditRecord>> {
        let mut q = QueryBuilder::<Sqlite>::new("SELECT * FROM audit_log WHERE 1 = 1");
        if let Some(v) = &f.actor {
            q.push(" AND actor = ").push_bind(v);
        }
        if let Some(v) = &f.action {
            // A prefix match that LIKE's wildcards in the value cannot widen.
            q.push(" AND substr(action, 1, ")
                .push_bind(v.chars().count() as i64)
                .push(") = ")
                .push_bind(v);
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
            q.push(" AND at >= ").push_bind(fmt_time(v));
        }
        if let Some(v) = f.until {
            q.push(" AND at < ").push_bind(fmt_time(v));
        }
        if let Some(v) = f.before_id {
            q.push(" AND id < ").push_bind(v);
        }
        q.push(" ORDER BY id DESC LIMIT ").push_bind(f.limit as i64);
        let rows = q.build().fetch_all(&self.read).await?;
        rows.iter().map(rows::audit).collect()
    }

    async fn audit_batch(&self, after_id: i64, limit: u32) -> Result<Vec<AuditRecord>> {
        let rows = sqlx::query("SELECT * FROM audit_log WHERE id > ? ORDER BY id LIMIT ?")
            .bind(after_id)
            .bind(limit as i64)
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(rows::audit).collect()
    }

    async fn audit_written(&self) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT last_id FROM audit_head WHERE one = 1")
                .fetch_one(&self.read)
                .await?,
        )
    }

    async fn try_lease(&self, job: &str, holder: &str, ttl: chrono::Duration) -> Result<bool> {
        let now = Utc::now();
        let got: Option<String> = sqlx::query_scalar(
            "INSERT INTO job_leases (job, holder, until, last_run) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, until = excluded.until, last_run = excluded.last_run
             WHERE job_leases.until < ?4 OR job_leases.holder = excluded.holder
             RETURNING holder",
        )
        .bind(job)
        .bind(holder)
        .bind(fmt_time(now + ttl))
        .bind(fmt_time(now))
        .fetch_optional(&self.write)
        .await?;
        Ok(got.is_some())
    }
    async fn backup_to(&self, path: &std::path::Path) -> Result<bool> {
        // A read transaction: writers go on while the copy is taken.
        sqlx::query("VACUUM INTO ?")
            .bind(path.to_string_lossy().as_ref())
            .execute(&self.read)
            .await?;
        Ok(true)
    }
    async fn job_leases(&self) -> Result<Vec<JobLease>> {
        let rows = sqlx::query("SELECT * FROM job_leases ORDER BY job")
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(rows::job_lease).collect()
    }
    async fn login_failures(
        &self,
        client: &str,
        since: DateTime<Utc>,
    ) -> Result<(i64, Option<DateTime<Utc>>)> {
        let (n, first): (i64, Option<String>) = sqlx::query_as(
            "SELECT count(*), min(at) FROM login_failures WHERE client = ? AND at >= ?",
        )
        .bind(client)
        .bind(fmt_time(since))
        .fetch_one(&self.read)
        .await?;
        Ok((n, first.as_deref().map(parse_time).transpose()?))
    }
    async fn record_login_failure(&self, client: &str, forget_before: DateTime<Utc>) -> Result<()> {
        let mut tx = self.write.begin().await?;
        sqlx::query("DELETE FROM login_failures WHERE at < ?")
            .bind(fmt_time(forget_before))
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO login_failures (client, at) VALUES (?, ?)")
            .bind(client)
            .bind(fmt_time(Utc::now()))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
    async fn clear_login_failures(&self, client: &str) -> Result<()> {
        sqlx::query("DELETE FROM login_failures WHERE client = ?")
            .bind(client)
            .execute(&self.write)
            .await?;
        Ok(())
    }
}
