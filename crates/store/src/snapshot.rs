//! Portable snapshots of a whole platform (`pubdata backup` / `restore`, SEC-1).
//!
//! A [`Snapshot`] holds every table of the platform — the fixed tables and
//! every dataset table `ds_<id>` — as JSON lines, one JSON array a row, in a
//! form that does not depend on the backend it was taken from: values are
//! written as SQLite stores them (times as RFC 3339 text with microseconds,
//! dates as `YYYY-MM-DD`, booleans as `0`/`1`, JSON as compact text, bytes as
//! `{"hex": "…"}`). A snapshot taken from SQLite restores into PostgreSQL and
//! the other way round.
//!
//! Consistency: SQLite reads every table inside one read transaction on one
//! connection (WAL: writers go on, the reader sees one instant); PostgreSQL
//! inside one `REPEATABLE READ READ ONLY` transaction.
//!
//! A restore goes into a platform that has never been used (migrated,
//! nothing written: no organisation, an empty audit chain) inside one
//! transaction: the target holds the whole snapshot or nothing.

use futures_util::TryStreamExt;
use serde_json::Value;
use sqlx::{Column, Row, TypeInfo, ValueRef};

use crate::postgres::{PgStore, copy_field};
use crate::sql::{Dialect, Exec, sql};
use crate::sqlite::SqliteStore;
use crate::{Result, StoreError, fmt_time};

/// One table of a snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct TableDump {
    pub name: String,
    pub columns: Vec<String>,
    pub rows: u64,
    /// JSON lines: one JSON array of `columns.len()` values a row, ordered
    /// by the table's first column(s) so equal tables give equal bytes.
    pub data: Vec<u8>,
}

/// A whole platform at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// Versions of the applied schema migrations (the same on both backends).
    pub migrations: Vec<i64>,
    /// Fixed tables first (sorted by name), then `ds_<id>` by id.
    pub tables: Vec<TableDump>,
    /// Records in the audit chain and the hash of the last one.
    pub audit_records: i64,
    pub audit_head: String,
}

impl Snapshot {
    pub fn table(&self, name: &str) -> Option<&TableDump> {
        self.tables.iter().find(|t| t.name == name)
    }
}

/// Tables that belong to the backend, not to the platform.
/// Tables a snapshot holds: not the migrations' ledger, not the backends'
/// own, and not `open_generation` — a cache key that triggers move while
/// the restore itself loads entries and datasets, not platform data.
fn platform_table(name: &str) -> bool {
    name != "schema_migrations"
        && name != "open_generation"
        && !name.starts_with("sqlite_")
        && !name.starts_with("_sqlx")
}

/// `ds_<id>` tables sort by id, after the fixed tables.
fn order(names: &mut [String]) {
    names.sort_by_key(
        |n| match n.strip_prefix("ds_").and_then(|i| i.parse::<i64>().ok()) {
            Some(id) => (1, id, String::new()),
            None => (0, 0, n.clone()),
        },
    );
}

fn line(buf: &mut Vec<u8>, values: &[Value]) -> Result<()> {
    serde_json::to_writer(&mut *buf, values)
        .map_err(|e| StoreError::Corrupt(format!("cannot encode a row: {e}")))?;
    buf.push(b'\n');
    Ok(())
}

fn hex(bytes: &[u8]) -> Value {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    serde_json::json!({ "hex": s })
}

fn unhex(v: &Value) -> Option<Vec<u8>> {
    let s = v.as_object()?.get("hex")?.as_str()?;
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

fn bad_line(table: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("snapshot table {table}: {e}"))
}

/// The rows of `t`, decoded, checked against its column count.
fn rows_of(t: &TableDump) -> impl Iterator<Item = Result<Vec<Value>>> + '_ {
    t.data
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(move |l| {
            let v: Vec<Value> = serde_json::from_slice(l).map_err(|e| bad_line(&t.name, e))?;
            if v.len() != t.columns.len() {
                return Err(bad_line(&t.name, "a row with the wrong number of values"));
            }
            Ok(v)
        })
}

/// A SQL identifier from a snapshot, accepted only when plain.
fn ident(name: &str) -> Result<&str> {
    let ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(name)
    } else {
        Err(StoreError::Corrupt(format!(
            "snapshot names a table or column `{name}`"
        )))
    }
}

/// Refuses a target the platform has already used.
async fn check_unused<E: Exec + ?Sized>(conn: &mut E) -> Result<()> {
    let row = conn
        .one(sql(
            "SELECT (SELECT count(*) FROM orgs) + (SELECT count(*) FROM users) + (SELECT last_id FROM audit_head) AS used",
        ))
        .await?;
    if crate::rows::Cols::int(&row, "used")? > 0 {
        return Err(StoreError::Conflict {
            what: "target database (it already holds a platform; restore into a fresh one)".into(),
        });
    }
    Ok(())
}

fn check_migrations(snap: &Snapshot, here: &[i64]) -> Result<()> {
    if snap.migrations != here {
        return Err(StoreError::Corrupt(format!(
            "the snapshot's schema (migrations {:?}) differs from this build's ({:?}): restore with the version that wrote it",
            snap.migrations.last(),
            here.last()
        )));
    }
    Ok(())
}

// ---------------------------------------------------------------- SQLite

impl SqliteStore {
    /// Every table in one read transaction.
    pub async fn dump_snapshot(&self) -> Result<Snapshot> {
        let mut conn = self.read.acquire().await?;
        sqlx::query("BEGIN").execute(&mut *conn).await?;
        let result = sqlite_dump(&mut conn).await;
        let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
        result
    }

    /// Restores `snap` into this never-used platform (one transaction).
    pub async fn load_snapshot(&self, snap: &Snapshot) -> Result<()> {
        let here: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM schema_migrations ORDER BY version")
                .fetch_all(&self.read)
                .await?;
        check_migrations(snap, &here)?;
        let mut tx = Dialect::begin(self).await?;
        check_unused(&mut tx).await?;
        // Rows arrive table by table; references are checked at commit.
        sqlx::query("PRAGMA defer_foreign_keys = ON")
            .execute(&mut *tx)
            .await?;
        let fixed: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table'",
        )
        .fetch_all(&mut *tx)
        .await?;
        for t in fixed.iter().filter(|t| platform_table(t)) {
            // Rows the migrations seeded (the audit head, the calendar …)
            // give way to the snapshot's.
            sqlx::query(&format!("DELETE FROM {t}"))
                .execute(&mut *tx)
                .await?;
        }
        for t in snap.tables.iter().filter(|t| !t.name.starts_with("ds_")) {
            if !fixed.contains(&t.name) {
                return Err(bad_line(&t.name, "no such table in this schema"));
            }
            sqlite_load(&mut tx, t).await?;
        }
        let datasets = tx.all(sql("SELECT * FROM datasets ORDER BY id")).await?;
        for r in &datasets {
            let ds = crate::rows::dataset(r)?;
            <SqliteStore as Dialect>::create_dataset_table(&mut tx, &ds).await?;
        }
        for t in snap.tables.iter().filter(|t| t.name.starts_with("ds_")) {
            sqlite_load(&mut tx, t).await?;
        }
        crate::sql::Tx::commit(tx).await
    }
}

async fn sqlite_dump(conn: &mut sqlx::SqliteConnection) -> Result<Snapshot> {
    let migrations: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM schema_migrations ORDER BY version")
            .fetch_all(&mut *conn)
            .await?;
    let mut names: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table'",
    )
    .fetch_all(&mut *conn)
    .await?;
    names.retain(|n| platform_table(n));
    order(&mut names);
    let mut tables = Vec::with_capacity(names.len());
    for name in names {
        let columns: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT name FROM pragma_table_info('{name}') ORDER BY cid"
        ))
        .fetch_all(&mut *conn)
        .await?;
        let list = columns.join(", ");
        let select = format!("SELECT {list} FROM {name}");
        let mut rows = sqlx::query(&select).fetch(&mut *conn);
        let mut all: Vec<Vec<Value>> = Vec::new();
        while let Some(r) = rows.try_next().await? {
            let mut values = Vec::with_capacity(columns.len());
            for i in 0..columns.len() {
                let raw = r.try_get_raw(i)?;
                values.push(if raw.is_null() {
                    Value::Null
                } else {
                    match raw.type_info().name() {
                        "INTEGER" => Value::from(r.try_get::<i64, _>(i)?),
                        "REAL" => Value::from(r.try_get::<f64, _>(i)?),
                        "BLOB" => hex(&r.try_get::<Vec<u8>, _>(i)?),
                        _ => Value::from(r.try_get::<String, _>(i)?),
                    }
                });
            }
            all.push(values);
        }
        drop(rows);
        tables.push(dump_of(name, columns, all)?);
    }
    let (audit_records, audit_head): (i64, String) =
        sqlx::query_as("SELECT last_id, last_hash FROM audit_head WHERE one = 1")
            .fetch_one(&mut *conn)
            .await?;
    Ok(Snapshot {
        migrations,
        tables,
        audit_records,
        audit_head,
    })
}

async fn sqlite_load(conn: &mut sqlx::SqliteConnection, t: &TableDump) -> Result<()> {
    let name = ident(&t.name)?;
    for c in &t.columns {
        ident(c)?;
    }
    // Rows go in groups (fewer statements), below SQLite's variable limit.
    let per = (30_000 / t.columns.len().max(1)).clamp(1, 500);
    let row_marks = format!("({})", vec!["?"; t.columns.len()].join(", "));
    let mut batch: Vec<Vec<Value>> = Vec::with_capacity(per);
    let mut rows = rows_of(t).peekable();
    while rows.peek().is_some() {
        batch.clear();
        for r in rows.by_ref().take(per) {
            batch.push(r?);
        }
        let text = format!(
            "INSERT INTO {name} ({}) VALUES {}",
            t.columns.join(", "),
            vec![row_marks.as_str(); batch.len()].join(", ")
        );
        let mut q = sqlx::query(&text);
        for row in &batch {
            for v in row {
                q = match v {
                    Value::Null => q.bind(None::<String>),
                    Value::Bool(b) => q.bind(*b as i64),
                    Value::Number(n) => match n.as_i64() {
                        Some(i) => q.bind(i),
                        None => q.bind(n.as_f64().unwrap_or(0.0)),
                    },
                    Value::String(s) => q.bind(s.as_str()),
                    other => q.bind(unhex(other).ok_or_else(|| bad_line(name, "a bad value"))?),
                };
            }
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

// ------------------------------------------------------------ PostgreSQL

impl PgStore {
    /// Every table in one `REPEATABLE READ READ ONLY` transaction.
    pub async fn dump_snapshot(&self) -> Result<Snapshot> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
        let snap = pg_dump(&mut tx).await?;
        tx.rollback().await?;
        Ok(snap)
    }

    /// Restores `snap` into this never-used platform (one transaction).
    pub async fn load_snapshot(&self, snap: &Snapshot) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let here: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM schema_migrations ORDER BY version")
                .fetch_all(&mut *tx)
                .await?;
        check_migrations(snap, &here)?;
        check_unused(&mut tx).await?;
        let fixed = pg_tables(&mut tx).await?;
        // Seeded rows give way to the snapshot's: one TRUNCATE of every
        // table but the append-only audit log (empty here; its trigger
        // refuses a TRUNCATE).
        let all: Vec<&str> = fixed
            .iter()
            .map(String::as_str)
            .filter(|t| *t != "audit_log")
            .collect();
        sqlx::query(&format!("TRUNCATE {}", all.join(", ")))
            .execute(&mut *tx)
            .await?;
        let mut pending: Vec<&TableDump> = snap
            .tables
            .iter()
            .filter(|t| !t.name.starts_with("ds_"))
            .collect();
        for t in &pending {
            if !fixed.contains(&t.name) {
                return Err(bad_line(&t.name, "no such table in this schema"));
            }
        }
        // Referenced tables before the tables referring to them; a table
        // referring to itself arrives in one COPY, checked at its end.
        let refs: Vec<(String, String)> = sqlx::query_as(
            "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint
             WHERE contype = 'f' AND conrelid <> confrelid",
        )
        .fetch_all(&mut *tx)
        .await?;
        while !pending.is_empty() {
            let ready = pending.iter().position(|t| {
                !refs
                    .iter()
                    .any(|(from, to)| from == &t.name && pending.iter().any(|p| &p.name == to))
            });
            let Some(i) = ready else {
                return Err(StoreError::Corrupt("circular table references".into()));
            };
            let t = pending.remove(i);
            pg_load(&mut tx, t).await?;
        }
        let datasets = tx.all(sql("SELECT * FROM datasets ORDER BY id")).await?;
        for r in &datasets {
            let ds = crate::rows::dataset(r)?;
            <PgStore as Dialect>::create_dataset_table(&mut tx, &ds).await?;
        }
        for t in snap.tables.iter().filter(|t| t.name.starts_with("ds_")) {
            pg_load(&mut tx, t).await?;
        }
        // Identity columns continue after the restored ids.
        let ids: Vec<(String, String)> = sqlx::query_as(
            "SELECT table_name::text, column_name::text FROM information_schema.columns
             WHERE table_schema = current_schema()
               AND (is_identity = 'YES' OR column_default LIKE 'nextval(%')",
        )
        .fetch_all(&mut *tx)
        .await?;
        for (t, c) in ids {
            sqlx::query(&format!(
                "SELECT setval(pg_get_serial_sequence('{t}', '{c}'), COALESCE((SELECT max({c}) FROM {t}), 0) + 1, false)"
            ))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

async fn pg_tables(conn: &mut sqlx::PgConnection) -> Result<Vec<String>> {
    let mut names: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
    )
    .fetch_all(&mut *conn)
    .await?;
    names.retain(|n| platform_table(n));
    order(&mut names);
    Ok(names)
}

async fn pg_dump(conn: &mut sqlx::PgConnection) -> Result<Snapshot> {
    let migrations: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM schema_migrations ORDER BY version")
            .fetch_all(&mut *conn)
            .await?;
    let names = pg_tables(conn).await?;
    let mut tables = Vec::with_capacity(names.len());
    for name in names {
        let columns: Vec<String> = sqlx::query_scalar(
            "SELECT column_name::text FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = $1 AND is_generated = 'NEVER'
             ORDER BY ordinal_position",
        )
        .bind(&name)
        .fetch_all(&mut *conn)
        .await?;
        let list = columns.join(", ");
        let select = format!("SELECT {list} FROM {name}");
        let mut rows = sqlx::query(&select).fetch(&mut *conn);
        let mut all: Vec<Vec<Value>> = Vec::new();
        while let Some(r) = rows.try_next().await? {
            let mut values = Vec::with_capacity(columns.len());
            for (i, col) in r.columns().iter().enumerate() {
                let raw = r.try_get_raw(i)?;
                if raw.is_null() {
                    values.push(Value::Null);
                    continue;
                }
                values.push(match col.type_info().name() {
                    "INT8" => Value::from(r.try_get::<i64, _>(i)?),
                    "INT4" => Value::from(r.try_get::<i32, _>(i)?),
                    "INT2" => Value::from(r.try_get::<i16, _>(i)?),
                    "FLOAT8" => Value::from(r.try_get::<f64, _>(i)?),
                    "FLOAT4" => Value::from(r.try_get::<f32, _>(i)? as f64),
                    "BOOL" => Value::from(r.try_get::<bool, _>(i)? as i64),
                    "TIMESTAMPTZ" => {
                        Value::from(fmt_time(r.try_get::<chrono::DateTime<chrono::Utc>, _>(i)?))
                    }
                    "DATE" => Value::from(r.try_get::<chrono::NaiveDate, _>(i)?.to_string()),
                    "JSONB" | "JSON" => Value::from(r.try_get::<Value, _>(i)?.to_string()),
                    "BYTEA" => hex(&r.try_get::<Vec<u8>, _>(i)?),
                    _ => Value::from(r.try_get::<String, _>(i)?),
                });
            }
            all.push(values);
        }
        drop(rows);
        tables.push(dump_of(name, columns, all)?);
    }
    let (audit_records, audit_head): (i64, String) =
        sqlx::query_as("SELECT last_id, last_hash FROM audit_head WHERE one = 1")
            .fetch_one(&mut *conn)
            .await?;
    Ok(Snapshot {
        migrations,
        tables,
        audit_records,
        audit_head,
    })
}

/// A table's rows in one order whatever the backend: by each column's
/// value (see [`cmp_value`]), so equal tables give equal bytes.
fn dump_of(name: String, columns: Vec<String>, mut all: Vec<Vec<Value>>) -> Result<TableDump> {
    all.sort_by(|a, b| cmp_rows(a, b));
    let mut data = Vec::new();
    for v in &all {
        line(&mut data, v)?;
    }
    Ok(TableDump {
        name,
        columns,
        rows: all.len() as u64,
        data,
    })
}

/// SQLite's `ORDER BY` of values: NULL, numbers, text (bytewise), blobs.
fn cmp_value(a: &Value, b: &Value) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    fn rank(v: &Value) -> u8 {
        match v {
            Value::Null => 0,
            Value::Number(_) | Value::Bool(_) => 1,
            Value::String(_) => 2,
            _ => 3,
        }
    }
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x.cmp(&y),
            _ => x
                .as_f64()
                .partial_cmp(&y.as_f64())
                .unwrap_or(Ordering::Equal),
        },
        (Value::String(x), Value::String(y)) => x.as_bytes().cmp(y.as_bytes()),
        (x, y) if rank(x) != rank(y) => rank(x).cmp(&rank(y)),
        (x, y) => unhex(x).cmp(&unhex(y)),
    }
}

fn cmp_rows(a: &[Value], b: &[Value]) -> std::cmp::Ordering {
    a.iter()
        .zip(b)
        .map(|(x, y)| cmp_value(x, y))
        .find(|o| o.is_ne())
        .unwrap_or(std::cmp::Ordering::Equal)
}

async fn pg_load(conn: &mut sqlx::PgConnection, t: &TableDump) -> Result<()> {
    let name = ident(&t.name)?;
    for c in &t.columns {
        ident(c)?;
    }
    let mut copy = conn
        .copy_in_raw(&format!(
            "COPY {name} ({}) FROM STDIN",
            t.columns.join(", ")
        ))
        .await?;
    let mut buf = Vec::with_capacity(1 << 20);
    for r in rows_of(t) {
        let r = r?;
        for (i, v) in r.iter().enumerate() {
            if i > 0 {
                buf.push(b'\t');
            }
            let text = match v {
                Value::Null => None,
                Value::Bool(b) => Some((*b as i64).to_string()),
                Value::Number(n) => Some(n.to_string()),
                Value::String(s) => Some(s.clone()),
                other => {
                    let bytes = unhex(other).ok_or_else(|| bad_line(name, "a bad value"))?;
                    let mut s = String::from("\\x");
                    for b in bytes {
                        s.push_str(&format!("{b:02x}"));
                    }
                    Some(s)
                }
            };
            copy_field(&mut buf, text.as_deref());
        }
        buf.push(b'\n');
        if buf.len() >= 4 << 20 {
            copy.send(std::mem::take(&mut buf)).await?;
        }
    }
    copy.send(buf).await?;
    copy.finish().await?;
    Ok(())
}
