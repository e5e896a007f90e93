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
use pubdata_domain::audit::AuditEvent;
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{Sqlite, SqliteConnection, Transaction};

use crate::sql::{Arg, DbRow, Dialect, Lock, impl_backend};
use crate::*;

mod datasets;
mod load;

const MIGRATIONS: &[(i64, &str, &str)] = crate::sql::migrations!("sqlite");

pub struct SqliteStore {
    pub(crate) write: SqlitePool,
    pub(crate) read: SqlitePool,
    /// The access-record writer's own connection (opened on first use).
    access: std::sync::Arc<std::sync::Mutex<Option<rusqlite::Connection>>>,
}

impl SqliteStore {
    /// Opens (creating and migrating on first start) the database at `url`.
    pub async fn open(url: &str) -> Result<Self> {
        // 16 KiB pages for a new file (an existing file keeps its own):
        // a 1,000,000-row load wrote a quarter of the pages and ran ≈ 15 %
        // faster than with the 4 KiB default (bench-import).
        let base = SqliteConnectOptions::from_str(url)?
            .page_size(16384)
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
        // No ping before each use: a local file does not go away, and the
        // round trip to the pool's worker was a large part of a keyed read.
        let read = SqlitePoolOptions::new()
            .max_connections(8)
            .test_before_acquire(false)
            .connect_with(base.read_only(true))
            .await?;
        Ok(SqliteStore {
            write,
            read,
            access: Default::default(),
        })
    }

    /// Closes both pools, flushing the WAL.
    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }
}

async fn migrate(pool: &SqlitePool) -> Result<()> {
    let mut conn = pool.acquire().await?;
    crate::sql::migrate(
        &mut *conn,
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
        MIGRATIONS,
    )
    .await
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

/// SQLite keeps times as RFC 3339 text, dates as `YYYY-MM-DD`, JSON as text.
fn bind<'q>(
    mut q: sqlx::query::Query<'q, Sqlite, SqliteArguments<'q>>,
    args: Vec<Arg>,
) -> sqlx::query::Query<'q, Sqlite, SqliteArguments<'q>> {
    for a in args {
        q = match a {
            Arg::Int(v) => q.bind(v),
            Arg::Text(v) => q.bind(v),
            Arg::Bool(v) => q.bind(v),
            Arg::Time(v) => q.bind(v.map(fmt_time)),
            Arg::Date(v) => q.bind(v.map(|d| d.to_string())),
            Arg::Json(v) => q.bind(v.to_string()),
            Arg::Bytes(v) => q.bind(v),
        };
    }
    q
}

fn text(sql: &str) -> &str {
    sql
}

impl_backend!(
    Sqlite,
    SqlitePool,
    SqliteConnection,
    text,
    bind,
    DbRow::Sqlite,
    db_err
);

thread_local! {
    /// Each thread's own read-only connection per database file, for keyed
    /// reads of dataset contents without a hop to the pool's worker thread.
    static READERS: std::cell::RefCell<std::collections::HashMap<std::path::PathBuf, rusqlite::Connection>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// An argument of a query written once, as rusqlite binds it (as [`bind`] does).
pub(super) fn rusqlite_value(a: Arg) -> rusqlite::types::Value {
    use rusqlite::types::Value;
    match a {
        Arg::Int(v) => v.map_or(Value::Null, Value::Integer),
        Arg::Text(v) => v.map_or(Value::Null, Value::Text),
        Arg::Bool(v) => Value::Integer(v as i64),
        Arg::Time(v) => v.map_or(Value::Null, |t| Value::Text(fmt_time(t))),
        Arg::Date(v) => v.map_or(Value::Null, |d| Value::Text(d.to_string())),
        Arg::Json(v) => Value::Text(v.to_string()),
        Arg::Bytes(v) => Value::Blob(v),
    }
}

/// Appends a group of access records and usage counts on `db`, in one
/// `IMMEDIATE` transaction (serialised with the sqlx writer by SQLite's lock).
fn append_access_on(
    db: &mut rusqlite::Connection,
    events: &[AuditEvent],
    usage: &[crate::GrantUsage],
) -> rusqlite::Result<()> {
    let tx = db.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    append_on(&tx, events)?;
    {
        let mut counts = tx.prepare_cached(
            "INSERT INTO grant_usage (grant_id, day, reads, rows_out) VALUES (?, ?, ?, ?)
             ON CONFLICT (grant_id, day) DO UPDATE
             SET reads = grant_usage.reads + excluded.reads,
                 rows_out = grant_usage.rows_out + excluded.rows_out",
        )?;
        for u in usage {
            counts.execute(rusqlite::params![
                u.grant_id,
                u.day.to_string(),
                u.reads,
                u.rows_out
            ])?;
        }
    }
    tx.commit()
}

/// Appends `events` to the audit chain in order inside the transaction open
/// on `db` (a rusqlite connection), as [`crate::sql::append_many`] does on
/// sqlx's. Returns the id of the last record.
pub(super) fn append_on(db: &rusqlite::Connection, events: &[AuditEvent]) -> rusqlite::Result<i64> {
    let (mut id, mut hash, profile): (i64, String, String) = db.query_row(
        "SELECT last_id, last_hash, crypto_profile FROM audit_head WHERE one = 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let profile = pubdata_domain::audit::CryptoProfile::parse(&profile)
        .ok_or(rusqlite::Error::InvalidQuery)?;
    let at = fmt_time(crate::sql::now());
    let mut insert = db.prepare_cached(
        "INSERT INTO audit_log (id, at, actor, actor_user_id, org_id, action, target, outcome,
                                detail, client_ip, prev_hash, hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )?;
    for e in events {
        id += 1;
        let prev = std::mem::take(&mut hash);
        let detail = e.detail.to_string();
        hash = pubdata_domain::audit::record_hash_of(profile, &prev, id, &at, e, &detail);
        insert.execute(rusqlite::params![
            id,
            at,
            e.actor,
            e.actor_user_id,
            e.org_id,
            e.action,
            e.target,
            e.outcome.as_str(),
            detail,
            e.client_ip,
            prev,
            hash,
        ])?;
    }
    db.execute(
        "UPDATE audit_head SET last_id = ?, last_hash = ? WHERE one = 1",
        rusqlite::params![id, hash],
    )?;
    Ok(id)
}

impl SqliteStore {
    /// Runs `f` on this thread's read-only connection to the database
    /// (opened on first use): reads without a hop to the pool's worker.
    fn on_reader<R>(
        &self,
        f: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<R>,
    ) -> rusqlite::Result<R> {
        let path = self.read.connect_options().get_filename().to_path_buf();
        READERS.with(|readers| {
            let mut readers = readers.borrow_mut();
            if !readers.contains_key(&path) {
                let db = rusqlite::Connection::open_with_flags(
                    &path,
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                        | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                db.busy_timeout(Duration::from_secs(10))?;
                readers.insert(path.clone(), db);
            }
            f(&readers[&path])
        })
    }

    /// A `SELECT * FROM ds_<id> …` on this thread's read-only connection.
    fn content_rows_here(
        &self,
        q: crate::sql::Sql,
        ncols: usize,
    ) -> rusqlite::Result<Vec<(String, Vec<Option<String>>)>> {
        self.on_reader(|db| {
            let mut st = db.prepare_cached(&q.text)?;
            // `_key` and `c0`…: positions found in one pass over the names.
            let (mut key_at, mut at) = (None, vec![None; ncols]);
            for (pos, name) in st.column_names().iter().enumerate() {
                if *name == "_key" {
                    key_at = Some(pos);
                } else if let Some(i) = name.strip_prefix('c').and_then(|n| n.parse::<usize>().ok())
                    && i < ncols
                {
                    at[i] = Some(pos);
                }
            }
            let missing = |name: String| rusqlite::Error::InvalidColumnName(name);
            let key_at = key_at.ok_or_else(|| missing("_key".into()))?;
            let at: Vec<usize> = at
                .into_iter()
                .enumerate()
                .map(|(i, pos)| pos.ok_or_else(|| missing(format!("c{i}"))))
                .collect::<rusqlite::Result<_>>()?;
            let params = rusqlite::params_from_iter(q.args.into_iter().map(rusqlite_value));
            let mut rows = st.query(params)?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                let key: String = r.get(key_at)?;
                let values = at
                    .iter()
                    .map(|i| r.get::<_, Option<String>>(*i))
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                out.push((key, values));
            }
            Ok(out)
        })
    }
}

#[async_trait]
impl Dialect for SqliteStore {
    const NAME: &'static str = "sqlite";
    const FOR_UPDATE: &'static str = "";
    type Pool = SqlitePool;
    type Tx = Transaction<'static, Sqlite>;

    fn reader(&self) -> SqlitePool {
        self.read.clone()
    }

    async fn append_access(
        &self,
        events: Vec<AuditEvent>,
        usage: Vec<crate::GrantUsage>,
    ) -> Result<()> {
        let path = self.write.connect_options().get_filename().to_path_buf();
        let conn = self.access.clone();
        let done = tokio::task::spawn_blocking(move || -> rusqlite::Result<()> {
            let mut guard = conn.lock().expect("access writer lock");
            if guard.is_none() {
                let db = rusqlite::Connection::open(&path)?;
                db.busy_timeout(Duration::from_secs(10))?;
                // As the sqlx writer: an acknowledged read's record survives a crash.
                db.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")?;
                *guard = Some(db);
            }
            let db = guard.as_mut().expect("opened");
            let r = append_access_on(db, &events, &usage);
            if r.is_err() {
                // A fresh connection next time.
                *guard = None;
            }
            r
        })
        .await
        .map_err(|e| StoreError::Corrupt(format!("access writer: {e}")))?;
        done.map_err(|e| match e {
            rusqlite::Error::SqliteFailure(f, _)
                if matches!(
                    f.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) =>
            {
                StoreError::Database(sqlx::Error::PoolTimedOut)
            }
            e => StoreError::Corrupt(format!("writing access records: {e}")),
        })
    }

    async fn content_rows(
        &self,
        q: crate::sql::Sql,
        ncols: usize,
    ) -> Result<Vec<(String, Vec<Option<String>>)>> {
        q.debug_check();
        self.content_rows_here(q, ncols)
            .map_err(|e| StoreError::Corrupt(format!("reading dataset contents: {e}")))
    }
    async fn read_n(&self, q: crate::sql::Sql) -> Result<i64> {
        q.debug_check();
        self.on_reader(|db| {
            let mut st = db.prepare_cached(&q.text)?;
            let params = rusqlite::params_from_iter(q.args.into_iter().map(rusqlite_value));
            st.query_row(params, |r| r.get::<_, i64>("n"))
        })
        .map_err(|e| StoreError::Corrupt(format!("reading a count: {e}")))
    }
    fn writer(&self) -> SqlitePool {
        self.write.clone()
    }
    async fn begin(&self) -> Result<Self::Tx> {
        // IMMEDIATE: the write lock is taken at BEGIN, where SQLite's busy
        // handler waits for it. A deferred transaction that reads first and
        // then writes fails at once (SQLITE_BUSY_SNAPSHOT) when another
        // connection — the access writer, a load — committed meanwhile.
        Ok(self.write.begin_with("BEGIN IMMEDIATE").await?)
    }
    async fn lock(_tx: &mut Self::Tx, _lock: Lock<'_>) -> Result<()> {
        // The one writer holds SQLite's write lock for the whole transaction.
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
    async fn backup_to(&self, path: &std::path::Path) -> Result<bool> {
        // A read transaction: writers go on while the copy is taken.
        sqlx::query("VACUUM INTO ?")
            .bind(path.to_string_lossy().as_ref())
            .execute(&self.read)
            .await?;
        Ok(true)
    }
}
