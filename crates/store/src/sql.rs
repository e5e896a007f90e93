//! SQL written once for both backends.
//!
//! A query is one [`Sql`]: text with `?` placeholders and its arguments as
//! backend-neutral [`Arg`]s. Each backend binds the arguments its way — the
//! real difference between them: SQLite stores times as RFC 3339 text
//! ([`fmt_time`]), dates as `YYYY-MM-DD` and JSON as text; PostgreSQL as
//! `timestamptz`, `date` and `jsonb` — and PostgreSQL reads `?` as `$1, $2 …`.
//! Rows come back as [`DbRow`], which `rows.rs` maps to entities once.
//!
//! [`Dialect`] is what each backend provides beyond that: its pools and
//! transactions, row locks, table locks, dataset-table DDL, bulk loads and
//! backups. The store traits are implemented once, for every `Dialect`, in
//! `queries/`.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use pubdata_domain::audit::{AuditEvent, CryptoProfile, record_hash_of};

/// The stored crypto profile, refusing one this version does not know.
pub(crate) fn crypto_profile_of(text: &str) -> Result<CryptoProfile> {
    CryptoProfile::parse(text)
        .ok_or_else(|| crate::StoreError::Corrupt(format!("unknown crypto profile `{text}`")))
}
use serde::Serialize;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;

use crate::{Dataset, DatasetLoad, LoadMode, Result, StoreError, fmt_time, parse_time};

/// A bound value, whatever the backend stores it as.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Int(Option<i64>),
    Text(Option<String>),
    Bool(bool),
    Time(Option<DateTime<Utc>>),
    Date(Option<NaiveDate>),
    Json(serde_json::Value),
    /// Bytes (BLOB in SQLite, bytea in PostgreSQL).
    Bytes(Vec<u8>),
}

impl Arg {
    /// A JSON document (text in SQLite, jsonb in PostgreSQL).
    pub(crate) fn json<T: Serialize + ?Sized>(v: &T) -> Arg {
        Arg::Json(serde_json::to_value(v).expect("serialisable"))
    }
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(Some(v))
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Arg::Int(v)
    }
}
impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Arg::Bool(v)
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(Some(v.to_string()))
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(Some(v))
    }
}
impl From<&String> for Arg {
    fn from(v: &String) -> Self {
        Arg::Text(Some(v.clone()))
    }
}
impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Self {
        Arg::Text(v.map(str::to_string))
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        Arg::Text(v)
    }
}
impl From<&Option<String>> for Arg {
    fn from(v: &Option<String>) -> Self {
        Arg::Text(v.clone())
    }
}
impl From<DateTime<Utc>> for Arg {
    fn from(v: DateTime<Utc>) -> Self {
        Arg::Time(Some(v))
    }
}
impl From<NaiveDate> for Arg {
    fn from(v: NaiveDate) -> Self {
        Arg::Date(Some(v))
    }
}

/// A query: text with `?` placeholders, and its arguments in order.
#[derive(Debug, Clone)]
pub(crate) struct Sql {
    pub(crate) text: String,
    pub(crate) args: Vec<Arg>,
}

/// Starts a query.
pub(crate) fn sql(text: impl Into<String>) -> Sql {
    Sql {
        text: text.into(),
        args: Vec::new(),
    }
}

impl Sql {
    /// In debug builds, panics when the number of `?` placeholders (outside
    /// quoted literals) differs from the arguments bound: SQLite would
    /// silently shift or ignore values.
    pub(crate) fn debug_check(&self) {
        #[cfg(debug_assertions)]
        {
            let mut quoted = false;
            let mut n = 0;
            for ch in self.text.chars() {
                match ch {
                    '\'' => quoted = !quoted,
                    '?' if !quoted => n += 1,
                    _ => {}
                }
            }
            assert_eq!(
                n,
                self.args.len(),
                "placeholders and arguments differ: {}",
                self.text
            );
        }
    }

    /// Binds the next `?`.
    pub(crate) fn bind(mut self, v: impl Into<Arg>) -> Self {
        self.args.push(v.into());
        self
    }

    /// Appends text (no placeholders of its own).
    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `v`.
    pub(crate) fn push_bind(&mut self, v: impl Into<Arg>) -> &mut Self {
        self.text.push('?');
        self.args.push(v.into());
        self
    }

    /// Appends `(?, ?, …)` bound to `vs`.
    pub(crate) fn push_list(&mut self, vs: &[i64]) -> &mut Self {
        self.push_binds(vs.iter().copied())
    }

    /// Appends `(?, ?, …)` binding each of `vs` (text or numbers).
    pub(crate) fn push_binds<A: Into<Arg>>(
        &mut self,
        vs: impl IntoIterator<Item = A>,
    ) -> &mut Self {
        self.text.push('(');
        for (i, v) in vs.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.push_bind(v);
        }
        self.text.push(')');
        self
    }

    /// Appends ` AND column starts with v` (a prefix match that LIKE's
    /// wildcards in the value cannot widen).
    pub(crate) fn push_prefix(&mut self, column: &str, v: &str) -> &mut Self {
        self.push(&format!(" AND substr({column}, 1, length("))
            .push_bind(v)
            .push(")) = ")
            .push_bind(v)
    }
}

/// The text with PostgreSQL's numbered placeholders: the n-th `?` outside a
/// quoted literal becomes `$n` (so queries do not use PostgreSQL's jsonb `?`
/// operators; `jsonb_exists` says the same).
pub(crate) fn numbered(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut n = 0;
    let mut quoted = false;
    for ch in text.chars() {
        match ch {
            '\'' => {
                quoted = !quoted;
                out.push(ch);
            }
            '?' if !quoted => {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            }
            _ => out.push(ch),
        }
    }
    out
}

/// A row of either backend; [`crate::rows::Cols`] reads its columns.
pub(crate) enum DbRow {
    Sqlite(SqliteRow),
    Pg(PgRow),
}

/// Runs queries: a pool, a connection or a transaction of one backend.
#[async_trait]
pub(crate) trait Exec: Send {
    async fn all(&mut self, q: Sql) -> Result<Vec<DbRow>>;
    async fn opt(&mut self, q: Sql) -> Result<Option<DbRow>>;
    /// Runs a statement; the number of rows it changed.
    async fn run(&mut self, q: Sql) -> Result<u64>;
    /// Runs `;`-separated statements without arguments (a migration).
    async fn script(&mut self, sql: &str) -> Result<()>;

    /// The one row, or `NotFound`.
    async fn one(&mut self, q: Sql) -> Result<DbRow> {
        self.opt(q).await?.ok_or(StoreError::NotFound)
    }
}

/// Implements [`Exec`] for a backend's pool, connection or transaction:
/// `$text` turns the `?` text into the backend's, `$bind` binds the
/// arguments, `$row` wraps its rows and `$err` maps its errors; `$s` is the
/// receiver and `$exec` the sqlx executor made of it.
macro_rules! impl_exec {
    ($t:ty, $text:path, $bind:path, $row:path, $err:path, |$s:ident| $exec:expr) => {
        #[async_trait::async_trait]
        impl $crate::sql::Exec for $t {
            async fn all(
                &mut self,
                q: $crate::sql::Sql,
            ) -> $crate::Result<Vec<$crate::sql::DbRow>> {
                q.debug_check();
                let text = $text(&q.text);
                let $s = self;
                let rows = $bind(sqlx::query(&text), q.args)
                    .fetch_all($exec)
                    .await
                    .map_err($err)?;
                Ok(rows.into_iter().map($row).collect())
            }
            async fn opt(
                &mut self,
                q: $crate::sql::Sql,
            ) -> $crate::Result<Option<$crate::sql::DbRow>> {
                q.debug_check();
                let text = $text(&q.text);
                let $s = self;
                let row = $bind(sqlx::query(&text), q.args)
                    .fetch_optional($exec)
                    .await
                    .map_err($err)?;
                Ok(row.map($row))
            }
            async fn run(&mut self, q: $crate::sql::Sql) -> $crate::Result<u64> {
                q.debug_check();
                let text = $text(&q.text);
                let $s = self;
                let done = $bind(sqlx::query(&text), q.args)
                    .execute($exec)
                    .await
                    .map_err($err)?;
                Ok(done.rows_affected())
            }
            async fn script(&mut self, sql: &str) -> $crate::Result<()> {
                let $s = self;
                sqlx::Executor::execute($exec, sql).await.map_err($err)?;
                Ok(())
            }
        }
    };
}
pub(crate) use impl_exec;

/// The migrations of one dialect's folder, `migrations/<dir>/NNNN_name.sql`:
/// the same numbers and names, and the same schema, in each dialect.
macro_rules! migrations {
    ($dir:literal) => {
        &[
            (
                1,
                "foundation",
                include_str!(concat!("../migrations/", $dir, "/0001_foundation.sql")),
            ),
            (
                2,
                "catalog",
                include_str!(concat!("../migrations/", $dir, "/0002_catalog.sql")),
            ),
            (
                3,
                "datasets",
                include_str!(concat!("../migrations/", $dir, "/0003_datasets.sql")),
            ),
            (
                4,
                "base",
                include_str!(concat!("../migrations/", $dir, "/0004_base.sql")),
            ),
            (
                5,
                "shared_state",
                include_str!(concat!("../migrations/", $dir, "/0005_shared_state.sql")),
            ),
            (
                6,
                "base_order_case_index",
                include_str!(concat!(
                    "../migrations/",
                    $dir,
                    "/0006_base_order_case_index.sql"
                )),
            ),
            (
                7,
                "sharing",
                include_str!(concat!("../migrations/", $dir, "/0007_sharing.sql")),
            ),
            (
                8,
                "derivations",
                include_str!(concat!("../migrations/", $dir, "/0008_derivations.sql")),
            ),
            (
                9,
                "open_applications",
                include_str!(concat!(
                    "../migrations/",
                    $dir,
                    "/0009_open_applications.sql"
                )),
            ),
            (
                10,
                "objections",
                include_str!(concat!("../migrations/", $dir, "/0010_objections.sql")),
            ),
            (
                11,
                "reidentification",
                include_str!(concat!(
                    "../migrations/",
                    $dir,
                    "/0011_reidentification.sql"
                )),
            ),
            (
                13,
                "synonyms",
                include_str!(concat!("../migrations/", $dir, "/0013_synonyms.sql")),
            ),
            (
                14,
                "open_plans",
                include_str!(concat!("../migrations/", $dir, "/0014_open_plans.sql")),
            ),
            (
                15,
                "open_proposals",
                include_str!(concat!("../migrations/", $dir, "/0015_open_proposals.sql")),
            ),
            (
                16,
                "backup_runs",
                include_str!(concat!("../migrations/", $dir, "/0016_backup_runs.sql")),
            ),
            (
                18,
                "operation",
                include_str!(concat!("../migrations/", $dir, "/0018_operation.sql")),
            ),
            (
                19,
                "disputes",
                include_str!(concat!("../migrations/", $dir, "/0019_disputes.sql")),
            ),
            (
                20,
                "reminders",
                include_str!(concat!("../migrations/", $dir, "/0020_reminders.sql")),
            ),
            (
                21,
                "violations",
                include_str!(concat!("../migrations/", $dir, "/0021_violations.sql")),
            ),
            (
                22,
                "it_projects",
                include_str!(concat!("../migrations/", $dir, "/0022_it_projects.sql")),
            ),
            (
                23,
                "procurement",
                include_str!(concat!("../migrations/", $dir, "/0023_procurement.sql")),
            ),
            (
                24,
                "audit_checkpoints",
                include_str!(concat!(
                    "../migrations/",
                    $dir,
                    "/0024_audit_checkpoints.sql"
                )),
            ),
            (
                25,
                "security",
                include_str!(concat!("../migrations/", $dir, "/0025_security.sql")),
            ),
            (
                26,
                "open_generation",
                include_str!(concat!("../migrations/", $dir, "/0026_open_generation.sql")),
            ),
        ]
    };
}
pub(crate) use migrations;

/// Implements [`Exec`] for a backend's pool, connection and `'static`
/// transaction, and [`Tx`] for that transaction (see [`impl_exec`]).
macro_rules! impl_backend {
    ($db:ty, $pool:ty, $conn:ty, $text:path, $bind:path, $row:path, $err:path) => {
        $crate::sql::impl_exec!($pool, $text, $bind, $row, $err, |s| &*s);
        $crate::sql::impl_exec!($conn, $text, $bind, $row, $err, |s| s);
        $crate::sql::impl_exec!(
            sqlx::Transaction<'static, $db>,
            $text,
            $bind,
            $row,
            $err,
            |s| &mut **s
        );

        #[async_trait::async_trait]
        impl $crate::sql::Tx for sqlx::Transaction<'static, $db> {
            async fn commit(self) -> $crate::Result<()> {
                Ok(sqlx::Transaction::commit(self).await?)
            }
        }
    };
}
pub(crate) use impl_backend;

/// A transaction: dropped without commit, it rolls back.
#[async_trait]
pub(crate) trait Tx: Exec + Sized {
    async fn commit(self) -> Result<()>;
}

/// Which lock a step takes before it reads what it then writes. SQLite has
/// one writer, so it takes none; PostgreSQL serialises the servers sharing
/// the database.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Lock<'a> {
    /// Seeding the classification tree and grades (servers starting together).
    CatalogScheme,
    /// Numbering entry codes within a classification.
    EntryCode(&'a str),
}

/// What differs between the backends; everything else is written once.
#[async_trait]
pub(crate) trait Dialect: Send + Sync + 'static {
    /// e.g. `sqlite`.
    const NAME: &'static str;
    /// Appended to a `SELECT` whose rows the transaction then changes.
    const FOR_UPDATE: &'static str;

    type Pool: Exec + Clone;
    type Tx: Tx;

    /// Where reads go (SQLite: the read-only pool).
    fn reader(&self) -> Self::Pool;
    /// Where single writes go (SQLite: the one writer).
    fn writer(&self) -> Self::Pool;
    async fn begin(&self) -> Result<Self::Tx>;
    async fn lock(tx: &mut Self::Tx, lock: Lock<'_>) -> Result<()>;
    /// Creates the table `ds_<id>` of a new dataset with its indexes.
    async fn create_dataset_table(tx: &mut Self::Tx, ds: &Dataset) -> Result<()>;
    /// Starts a bulk load (SQLite: staged inserts; PostgreSQL: `COPY`).
    async fn begin_load(&self, ds: &Dataset, mode: LoadMode) -> Result<Box<dyn DatasetLoad>>;
    /// Writes a consistent copy to `path`; false when the backend is backed
    /// up by its own tools.
    async fn backup_to(&self, path: &std::path::Path) -> Result<bool>;
    /// Every table at one instant (`snapshot.rs`).
    async fn snapshot(&self) -> Result<crate::snapshot::Snapshot>;
    /// Restores a snapshot into a never-used platform (`snapshot.rs`).
    async fn restore_snapshot(&self, snap: &crate::snapshot::Snapshot) -> Result<()>;

    /// Appends the access records of a group of reads and adds their usage
    /// counts in one transaction (`ShareStore::record_access`); SQLite does
    /// it on its own rusqlite connection, without a hop per statement.
    async fn append_access(
        &self,
        events: Vec<AuditEvent>,
        usage: Vec<crate::GrantUsage>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        append_many(&mut tx, Self::FOR_UPDATE, &events).await?;
        for u in &usage {
            tx.run(
                sql(
                    "INSERT INTO grant_usage (grant_id, day, reads, rows_out) VALUES (?, ?, ?, ?)
                     ON CONFLICT (grant_id, day) DO UPDATE
                     SET reads = grant_usage.reads + excluded.reads,
                         rows_out = grant_usage.rows_out + excluded.rows_out",
                )
                .bind(u.grant_id)
                .bind(u.day)
                .bind(u.reads)
                .bind(u.rows_out),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The integer column `n` of the one row a small query answers, on the
    /// reader (SQLite answers it on the calling thread's own read-only
    /// connection, as `content_rows`): for values read on every request.
    async fn read_n(&self, q: Sql) -> Result<i64> {
        use crate::rows::Cols;
        self.reader().one(q).await?.int("n")
    }

    /// Runs a `SELECT * FROM ds_<id> …` and returns each row's `_key` and
    /// its `ncols` values — the hot path of keyed reads (SQLite answers it
    /// on the calling thread's own read-only connection).
    async fn content_rows(
        &self,
        q: Sql,
        ncols: usize,
    ) -> Result<Vec<(String, Vec<Option<String>>)>> {
        use crate::rows::Cols;
        let rows = self.reader().all(q).await?;
        rows.iter()
            .map(|r| Ok((r.text("_key")?, crate::rows::values(r, ncols)?)))
            .collect()
    }
}

/// Applies the migrations `schema_migrations` does not list yet, in order,
/// each in its own transaction on `conn`. `schema_ddl` creates that table.
pub(crate) async fn migrate<C: Exec + ?Sized>(
    conn: &mut C,
    schema_ddl: &str,
    migrations: &[(i64, &str, &str)],
) -> Result<()> {
    conn.script(schema_ddl).await?;
    for &(version, name, text) in migrations {
        let done = conn
            .opt(sql("SELECT version FROM schema_migrations WHERE version = ?").bind(version))
            .await?;
        if done.is_some() {
            continue;
        }
        tracing::info!(version, name, "applying migration");
        conn.script("BEGIN").await?;
        let applied = async {
            conn.script(text).await?;
            conn.run(
                sql("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)")
                    .bind(version)
                    .bind(name)
                    .bind(now()),
            )
            .await
        }
        .await;
        match applied {
            Ok(_) => conn.script("COMMIT").await?,
            Err(e) => {
                conn.script("ROLLBACK").await?;
                return Err(e);
            }
        }
    }
    Ok(())
}

/// Now, truncated to the microseconds both backends keep.
pub(crate) fn now() -> DateTime<Utc> {
    parse_time(&fmt_time(Utc::now())).expect("formatted time parses")
}

/// Appends `e` to the audit chain inside the caller's transaction. The head
/// row is read with `for_update` (PostgreSQL: locked until the transaction
/// ends, so the chain stays one line whichever server writes).
pub(crate) async fn append<E: Exec + ?Sized>(
    conn: &mut E,
    for_update: &str,
    e: &AuditEvent,
) -> Result<i64> {
    append_many(conn, for_update, std::slice::from_ref(e)).await
}

/// Appends `events` to the audit chain in order inside the caller's
/// transaction: the head read once, the records inserted many to a
/// statement, the head updated once (a group of reads' access records).
/// Returns the id of the last record.
pub(crate) async fn append_many<E: Exec + ?Sized>(
    conn: &mut E,
    for_update: &str,
    events: &[AuditEvent],
) -> Result<i64> {
    use crate::rows::Cols;
    let head = conn
        .one(sql(format!(
            "SELECT last_id, last_hash, crypto_profile FROM audit_head WHERE one = 1{for_update}"
        )))
        .await?;
    let (mut id, mut hash) = (head.int("last_id")?, head.text("last_hash")?);
    let profile = crypto_profile_of(&head.text("crypto_profile")?)?;
    if events.is_empty() {
        return Ok(id);
    }
    let at = now();
    let at_text = fmt_time(at);
    // 12 values a record; 200 records stay far below both backends' limits.
    for chunk in events.chunks(200) {
        let mut q = sql(
            "INSERT INTO audit_log (id, at, actor, actor_user_id, org_id, action, target, outcome,
                                    detail, client_ip, prev_hash, hash) VALUES ",
        );
        for (n, e) in chunk.iter().enumerate() {
            id += 1;
            let prev = std::mem::take(&mut hash);
            // Serialized once: hashed and stored as the same text.
            let detail = e.detail.to_string();
            hash = record_hash_of(profile, &prev, id, &at_text, e, &detail);
            if n > 0 {
                q.push(", ");
            }
            q.push("(")
                .push_bind(id)
                .push(", ")
                .push_bind(at)
                .push(", ")
                .push_bind(e.actor.as_str())
                .push(", ")
                .push_bind(e.actor_user_id)
                .push(", ")
                .push_bind(e.org_id)
                .push(", ")
                .push_bind(e.action.as_str())
                .push(", ")
                .push_bind(e.target.as_str())
                .push(", ")
                .push_bind(e.outcome.as_str())
                .push(", ")
                .push_bind(detail)
                .push(", ")
                .push_bind(e.client_ip.clone())
                .push(", ")
                .push_bind(prev)
                .push(", ")
                .push_bind(hash.as_str())
                .push(")");
        }
        conn.run(q).await?;
    }
    conn.run(
        sql("UPDATE audit_head SET last_id = ?, last_hash = ? WHERE one = 1")
            .bind(id)
            .bind(&hash),
    )
    .await?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_outside_literals() {
        assert_eq!(
            numbered("SELECT '?' FROM t WHERE a = ? AND b LIKE ? ESCAPE '\\'"),
            "SELECT '?' FROM t WHERE a = $1 AND b LIKE $2 ESCAPE '\\'"
        );
    }

    #[test]
    fn both_dialects_have_the_same_migrations() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let names = |d: &str| {
            let mut v: Vec<String> = std::fs::read_dir(dir.join(d))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        };
        let listed: Vec<String> = migrations!("sqlite")
            .iter()
            .map(|(n, name, _)| format!("{n:04}_{name}.sql"))
            .collect();
        assert_eq!(names("sqlite"), listed);
        assert_eq!(names("postgres"), listed);
    }
}
