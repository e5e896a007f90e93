//! The scale-out backend: PostgreSQL (13 or later; pg_trgm for search).
//!
//! One pool serves reads and writes; several `pubdata serve` processes may
//! share the database. Every write transaction that changes state appends
//! its audit record last, locking the chain head (`audit_head`) until commit,
//! so the chain stays a single line whichever server writes. Steps that read
//! then write (entry lifecycle, dataset loads) lock their row first.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pubdata_domain::audit::{AuditEvent, AuditRecord, Outcome, record_hash};
use pubdata_domain::calendar::YearSchedule;
use pubdata_domain::org::Role;
use sqlx::postgres::{PgConnectOptions, PgDatabaseError, PgPool, PgPoolOptions};
use sqlx::{Connection, PgConnection, Postgres, QueryBuilder};

use crate::rows;
use crate::*;

mod catalog;
mod datasets;

pub(crate) use datasets::create_table as create_dataset_table;

const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "foundation",
        include_str!("../migrations/postgres/0001_foundation.sql"),
    ),
    (
        2,
        "catalog",
        include_str!("../migrations/postgres/0002_catalog.sql"),
    ),
    (
        3,
        "datasets",
        include_str!("../migrations/postgres/0003_datasets.sql"),
    ),
    (
        4,
        "base",
        include_str!("../migrations/postgres/0004_base.sql"),
    ),
];

/// The oldest server version the migrations and queries are written for.
pub const MIN_SERVER_VERSION: i64 = 130000;

/// Advisory lock key under which migrations run (one server at a time).
const MIGRATION_LOCK: i64 = 0x7075_6264_6174_6101;

pub struct PgStore {
    pub(crate) pool: PgPool,
}

impl PgStore {
    /// Connects to `url`, checks the server version and applies migrations.
    pub async fn open(url: &str) -> Result<Self> {
        let opts: PgConnectOptions = url
            .parse()
            .map_err(|e| StoreError::UnsupportedUrl(format!("`{}`: {e}", redact_url(url))))?;
        let opts = opts.application_name("pubdata");
        // One direct connection first: its error (refused, unknown database,
        // bad password) is the one to report, not a pool timeout.
        let mut probe = PgConnection::connect_with(&opts).await?;
        let version: String = sqlx::query_scalar("SHOW server_version_num")
            .fetch_one(&mut probe)
            .await?;
        probe.close().await?;
        check_server_version(url, &version)?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await?;
        migrate(&pool).await?;
        Ok(PgStore { pool })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Refuses servers older than [`MIN_SERVER_VERSION`] (`server_version_num`).
fn check_server_version(url: &str, server_version_num: &str) -> Result<()> {
    let num: i64 = server_version_num.trim().parse().unwrap_or(0);
    if num < MIN_SERVER_VERSION {
        return Err(StoreError::UnsupportedUrl(format!(
            "`{}`: PostgreSQL {} is too old; pubdata needs 13 or later",
            redact_url(url),
            num / 10000
        )));
    }
    Ok(())
}

async fn migrate(pool: &PgPool) -> Result<()> {
    let mut conn = pool.acquire().await?;
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *conn)
        .await?;
    let result = apply_migrations(&mut conn).await;
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *conn)
        .await?;
    result
}

async fn apply_migrations(conn: &mut PgConnection) -> Result<()> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)",
    )
    .execute(&mut *conn)
    .await?;
    for (version, name, sql) in MIGRATIONS {
        let done: Option<i64> =
            sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                .bind(version)
                .fetch_optional(&mut *conn)
                .await?;
        if done.is_some() {
            continue;
        }
        tracing::info!(version, name, "applying migration");
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        sqlx::raw_sql(sql).execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, now())",
        )
        .bind(version)
        .bind(name)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
    }
    Ok(())
}

/// Maps constraint violations to [`StoreError`] variants, in one place.
/// `what` reads like SQLite's (`table.column`), from the violation's detail.
pub(crate) fn db_err(e: sqlx::Error) -> StoreError {
    if let Some(d) = e.as_database_error() {
        if d.is_unique_violation() {
            let what = d
                .try_downcast_ref::<PgDatabaseError>()
                .map(|p| {
                    let cols = p
                        .detail()
                        .and_then(|s| s.strip_prefix("Key ("))
                        .and_then(|s| s.split(')').next())
                        .unwrap_or("value");
                    format!("{}.{}", p.table().unwrap_or("table"), cols)
                })
                .unwrap_or_else(|| "value".into());
            return StoreError::Conflict { what };
        }
        if d.is_foreign_key_violation() {
            return StoreError::InvalidReference;
        }
    }
    StoreError::Database(e)
}

/// Now, truncated to the microseconds both backends keep.
pub(crate) fn now() -> DateTime<Utc> {
    parse_time(&fmt_time(Utc::now())).expect("formatted time parses")
}

/// Appends `e` to the audit chain inside the caller's transaction; the head
/// row stays locked until that transaction ends.
pub(crate) async fn append(conn: &mut PgConnection, e: &AuditEvent) -> Result<i64> {
    let (last_id, last_hash): (i64, String) =
        sqlx::query_as("SELECT last_id, last_hash FROM audit_head WHERE one = 1 FOR UPDATE")
            .fetch_one(&mut *conn)
            .await?;
    let id = last_id + 1;
    let at = now();
    let hash = record_hash(&last_hash, id, &fmt_time(at), e);
    sqlx::query(
        "INSERT INTO audit_log (id, at, actor, actor_user_id, org_id, action, target, outcome,
                                detail, client_ip, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(id)
    .bind(at)
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
    sqlx::query("UPDATE audit_head SET last_id = $1, last_hash = $2 WHERE one = 1")
        .bind(id)
        .bind(&hash)
        .execute(&mut *conn)
        .await?;
    Ok(id)
}

/// Appends one field in `COPY … (FORMAT text)` form.
pub(crate) fn copy_field(buf: &mut Vec<u8>, v: Option<&str>) {
    match v {
        None => buf.extend_from_slice(b"\\N"),
        Some(s) => {
            for b in s.bytes() {
                match b {
                    b'\\' => buf.extend_from_slice(b"\\\\"),
                    b'\t' => buf.extend_from_slice(b"\\t"),
                    b'\n' => buf.extend_from_slice(b"\\n"),
                    b'\r' => buf.extend_from_slice(b"\\r"),
                    _ => buf.push(b),
                }
            }
        }
    }
}

fn json_text<T: serde::Serialize>(v: &T) -> sqlx::types::Json<serde_json::Value> {
    sqlx::types::Json(serde_json::to_value(v).expect("serialisable"))
}

const USER_COLS: &str = "id, username, display_name, kind, org_id, disabled, created_at";
const TOKEN_COLS: &str =
    "id, prefix, name, org_id, created_by, created_at, last_used_at, revoked_at";

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn list_orgs(&self) -> Result<Vec<Org>> {
        let rows = sqlx::query("SELECT * FROM orgs ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(rows::org).collect()
    }

    async fn get_org(&self, id: i64) -> Result<Org> {
        let row = sqlx::query("SELECT * FROM orgs WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map(rows::org)
            .unwrap_or(Err(StoreError::NotFound))
    }

    async fn get_org_by_code(&self, code: &str) -> Result<Option<Org>> {
        let row = sqlx::query("SELECT * FROM orgs WHERE code = $1")
            .bind(code)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(rows::org).transpose()
    }

    async fn create_org(&self, o: NewOrg, audit: AuditEvent) -> Result<Org> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "INSERT INTO orgs (code, name, name_en, kind, level, parent_id, division_code, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *",
        )
        .bind(&o.code)
        .bind(&o.name)
        .bind(&o.name_en)
        .bind(o.kind.as_str())
        .bind(o.level.map(|l| l.as_str()))
        .bind(o.parent_id)
        .bind(&o.division_code)
        .bind(now())
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
        let mut tx = self.pool.begin().await?;
        let mut q = QueryBuilder::<Postgres>::new("UPDATE orgs SET id = id");
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
        let mut q = QueryBuilder::<Postgres>::new(format!("SELECT {USER_COLS} FROM users"));
        if let Some(org) = org_id {
            q.push(" WHERE org_id = ").push_bind(org);
        }
        q.push(" ORDER BY id");
        let rows = q.build().fetch_all(&self.pool).await?;
        rows.iter().map(rows::user).collect()
    }

    async fn get_user(&self, id: i64) -> Result<User> {
        let row = sqlx::query(&format!("SELECT {USER_COLS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map(rows::user)
            .unwrap_or(Err(StoreError::NotFound))
    }

    async fn get_user_by_username(&self, username: &str) -> Result<Option<(User, String)>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLS}, password_hash FROM users WHERE username = $1"
        ))
        .bind(username)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            None => Ok(None),
            Some(r) => Ok(Some((
                rows::user(&r)?,
                rows::Cols::text(&r, "password_hash")?,
            ))),
        }
    }

    async fn create_user(&self, u: NewUser, audit: AuditEvent) -> Result<User> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(&format!(
            "INSERT INTO users (username, display_name, kind, org_id, password_hash, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {USER_COLS}"
        ))
        .bind(&u.username)
        .bind(&u.display_name)
        .bind(u.kind.as_str())
        .bind(u.org_id)
        .bind(&u.password_hash)
        .bind(now())
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
        let mut tx = self.pool.begin().await?;
        let mut q = QueryBuilder::<Postgres>::new("UPDATE users SET id = id");
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
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
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
            "SELECT id, user_id, role, org_id FROM role_grants WHERE user_id = $1 ORDER BY id",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
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
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "INSERT INTO role_grants (user_id, role, org_id, created_at) VALUES ($1, $2, $3, $4)
             RETURNING id, user_id, role, org_id",
        )
        .bind(user_id)
        .bind(role.as_str())
        .bind(org_id)
        .bind(now())
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let grant = rows::grant(&row)?;
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(grant)
    }

    async fn revoke_role(&self, grant_id: i64, audit: AuditEvent) -> Result<RoleGrant> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "DELETE FROM role_grants WHERE id = $1 RETURNING id, user_id, role, org_id",
        )
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
        let mut tx = self.pool.begin().await?;
        let now = now();
        // Expired sessions are swept whenever a new one starts.
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, kind, csrf_token, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(kind.as_str())
        .bind(csrf_token)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn find_session(&self, token_hash: &str) -> Result<Option<Session>> {
        let row = sqlx::query(
            "SELECT user_id, csrf_token, expires_at FROM sessions WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(rows::session).transpose()
    }

    async fn delete_session(&self, token_hash: &str, audit: AuditEvent) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&mut *tx)
            .await?;
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_api_token(&self, t: NewApiToken, audit: AuditEvent) -> Result<ApiToken> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(&format!(
            "INSERT INTO api_tokens (token_hash, prefix, name, org_id, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {TOKEN_COLS}"
        ))
        .bind(&t.token_hash)
        .bind(&t.prefix)
        .bind(&t.name)
        .bind(t.org_id)
        .bind(t.created_by)
        .bind(now())
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
            "SELECT {TOKEN_COLS} FROM api_tokens WHERE org_id = $1 ORDER BY id DESC"
        ))
        .bind(org_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(rows::token).collect()
    }

    async fn get_api_token(&self, id: i64) -> Result<ApiToken> {
        let row = sqlx::query(&format!(
            "SELECT {TOKEN_COLS} FROM api_tokens WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref()
            .map(rows::token)
            .unwrap_or(Err(StoreError::NotFound))
    }

    async fn find_api_token(&self, token_hash: &str) -> Result<Option<ApiToken>> {
        let row = sqlx::query(&format!(
            "SELECT {TOKEN_COLS} FROM api_tokens WHERE token_hash = $1"
        ))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(rows::token).transpose()
    }

    async fn revoke_api_token(&self, id: i64, audit: AuditEvent) -> Result<ApiToken> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(&format!(
            "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2
             RETURNING {TOKEN_COLS}"
        ))
        .bind(now())
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
        let ids: Vec<i64> = uses.iter().map(|u| u.0).collect();
        let ats: Vec<DateTime<Utc>> = uses.iter().map(|u| u.1).collect();
        // Another server may have recorded a later use: keep the latest.
        sqlx::query(
            "UPDATE api_tokens t SET last_used_at = GREATEST(t.last_used_at, u.at)
             FROM unnest($1::bigint[], $2::timestamptz[]) AS u(id, at) WHERE t.id = u.id",
        )
        .bind(&ids)
        .bind(&ats)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn calendar_years(&self) -> Result<Vec<YearSchedule>> {
        let rows = sqlx::query(
            "SELECT year, source, off_days, work_days FROM calendar_years ORDER BY year",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(rows::schedule).collect()
    }

    async fn seed_calendar_years(&self, years: &[YearSchedule]) -> Result<usize> {
        let mut tx = self.pool.begin().await?;
        let mut added = 0;
        for y in years {
            let r = sqlx::query(
                "INSERT INTO calendar_years (year, source, off_days, work_days, updated_at)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (year) DO NOTHING",
            )
            .bind(y.year as i64)
            .bind(&y.source)
            .bind(json_text(&y.off_strings()))
            .bind(json_text(&y.work_strings()))
            .bind(now())
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
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO calendar_years (year, source, off_days, work_days, updated_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (year) DO UPDATE SET source = excluded.source,
                off_days = excluded.off_days, work_days = excluded.work_days,
                updated_at = excluded.updated_at",
        )
        .bind(y.year as i64)
        .bind(&y.source)
        .bind(json_text(&y.off_strings()))
        .bind(json_text(&y.work_strings()))
        .bind(now())
        .execute(&mut *tx)
        .await?;
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn append_audit(&self, event: AuditEvent) -> Result<i64> {
        let mut tx = self.pool.begin().await?;
        let id = append(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn list_audit(&self, f: &AuditFilter) -> Result<Vec<AuditRecord>> {
        let mut q = QueryBuilder::<Postgres>::new("SELECT * FROM audit_log WHERE true");
        if let Some(v) = &f.actor {
            q.push(" AND actor = ").push_bind(v);
        }
        if let Some(v) = &f.action {
            q.push(" AND starts_with(action, ").push_bind(v).push(")");
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
        let rows = q.build().fetch_all(&self.pool).await?;
        rows.iter().map(rows::audit).collect()
    }

    async fn audit_batch(&self, after_id: i64, limit: u32) -> Result<Vec<AuditRecord>> {
        let rows = sqlx::query("SELECT * FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(after_id)
            .bind(limit as i64)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(rows::audit).collect()
    }

    async fn audit_written(&self) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT last_id FROM audit_head WHERE one = 1")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn try_lease(&self, job: &str, holder: &str, ttl: chrono::Duration) -> Result<bool> {
        let now = now();
        let got: Option<String> = sqlx::query_scalar(
            "INSERT INTO job_leases (job, holder, until, last_run) VALUES ($1, $2, $3, $4)
             ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, until = excluded.until, last_run = excluded.last_run
             WHERE job_leases.until < $4 OR job_leases.holder = excluded.holder
             RETURNING holder",
        )
        .bind(job)
        .bind(holder)
        .bind(now + ttl)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(got.is_some())
    }
    async fn backup_to(&self, _path: &std::path::Path) -> Result<bool> {
        Ok(false)
    }
    async fn job_leases(&self) -> Result<Vec<JobLease>> {
        let rows = sqlx::query("SELECT * FROM job_leases ORDER BY job")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(rows::job_lease).collect()
    }
    async fn login_failures(
        &self,
        client: &str,
        since: DateTime<Utc>,
    ) -> Result<(i64, Option<DateTime<Utc>>)> {
        Ok(sqlx::query_as(
            "SELECT count(*), min(at) FROM login_failures WHERE client = $1 AND at >= $2",
        )
        .bind(client)
        .bind(since)
        .fetch_one(&self.pool)
        .await?)
    }
    async fn record_login_failure(&self, client: &str, forget_before: DateTime<Utc>) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM login_failures WHERE at < $1")
            .bind(forget_before)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO login_failures (client, at) VALUES ($1, $2)")
            .bind(client)
            .bind(now())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
    async fn clear_login_failures(&self, client: &str) -> Result<()> {
        sqlx::query("DELETE FROM login_failures WHERE client = $1")
            .bind(client)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_older_than_13_are_refused_by_name() {
        let url = "postgres://u:secret@db/x";
        let e = check_server_version(url, "120015").unwrap_err().to_string();
        assert!(
            e.contains("PostgreSQL 12 is too old") && !e.contains("secret"),
            "{e}"
        );
        assert!(check_server_version(url, "130000").is_ok());
        assert!(check_server_version(url, "170002").is_ok());
        assert!(check_server_version(url, "garbage").is_err());
    }
}
