//! The scale-out backend: PostgreSQL (13 or later; pg_trgm for search).
//!
//! One pool serves reads and writes; several `pubdata serve` processes may
//! share the database. Every write transaction that changes state appends
//! its audit record last, locking the chain head (`audit_head`) until commit,
//! so the chain stays a single line whichever server writes. Steps that read
//! then write (entry lifecycle, dataset loads) lock their row first.

use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgArguments, PgConnectOptions, PgDatabaseError, PgPool, PgPoolOptions};
use sqlx::{Connection, PgConnection, Postgres, Transaction};

use crate::sql::{Arg, DbRow, Dialect, Lock, impl_backend, numbered};
use crate::*;

mod datasets;

pub(crate) use datasets::create_table as create_dataset_table;

const MIGRATIONS: &[(i64, &str, &str)] = crate::sql::migrations!("postgres");

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
        // No ping before each use (a round trip per query); a connection
        // that went away fails its query, is dropped, and the caller gets
        // 503 `database_unavailable` to retry.
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .test_before_acquire(false)
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
    crate::sql::migrate(
        conn,
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)",
        MIGRATIONS,
    )
    .await
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

/// PostgreSQL keeps times as `timestamptz`, dates as `date`, JSON as `jsonb`.
fn bind<'q>(
    mut q: sqlx::query::Query<'q, Postgres, PgArguments>,
    args: Vec<Arg>,
) -> sqlx::query::Query<'q, Postgres, PgArguments> {
    for a in args {
        q = match a {
            Arg::Int(v) => q.bind(v),
            Arg::Text(v) => q.bind(v),
            Arg::Bool(v) => q.bind(v),
            Arg::Time(v) => q.bind(v),
            Arg::Date(v) => q.bind(v),
            Arg::Json(v) => q.bind(sqlx::types::Json(v)),
            Arg::Bytes(v) => q.bind(v),
        };
    }
    q
}

impl_backend!(
    Postgres,
    PgPool,
    PgConnection,
    numbered,
    bind,
    DbRow::Pg,
    db_err
);

#[async_trait]
impl Dialect for PgStore {
    const NAME: &'static str = "postgres";
    const FOR_UPDATE: &'static str = " FOR UPDATE";
    type Pool = PgPool;
    type Tx = Transaction<'static, Postgres>;

    fn reader(&self) -> PgPool {
        self.pool.clone()
    }
    fn writer(&self) -> PgPool {
        self.pool.clone()
    }
    async fn begin(&self) -> Result<Self::Tx> {
        Ok(self.pool.begin().await?)
    }
    async fn lock(tx: &mut Self::Tx, lock: Lock<'_>) -> Result<()> {
        match lock {
            // Servers starting together seed once.
            Lock::CatalogScheme => {
                sqlx::query("LOCK TABLE catalog_classes IN EXCLUSIVE MODE")
                    .execute(&mut **tx)
                    .await?;
            }
            // Two servers numbering the same classification take turns.
            Lock::EntryCode(prefix) => {
                sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                    .bind(format!("catalog_code:{prefix}"))
                    .execute(&mut **tx)
                    .await?;
            }
        }
        Ok(())
    }
    async fn create_dataset_table(tx: &mut Self::Tx, ds: &Dataset) -> Result<()> {
        datasets::create_table(tx, ds).await
    }
    async fn begin_load(&self, ds: &Dataset, mode: LoadMode) -> Result<Box<dyn DatasetLoad>> {
        self.start_load(ds, mode).await
    }
    async fn snapshot(&self) -> Result<crate::snapshot::Snapshot> {
        self.dump_snapshot().await
    }
    async fn restore_snapshot(&self, snap: &crate::snapshot::Snapshot) -> Result<()> {
        self.load_snapshot(snap).await
    }
    async fn backup_to(&self, _path: &std::path::Path) -> Result<bool> {
        Ok(false)
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
