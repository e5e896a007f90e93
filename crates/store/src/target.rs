//! Writing a grantee's own database for table push (库表推送, SHR-7): a
//! SQLite file or a PostgreSQL database the grantee names. One push is one
//! transaction on the target — the table (created on first push, `_key`
//! plus the granted fields, all text), the upserted and deleted rows, and
//! the push record in `_pubdata_push` — so the target holds a whole version
//! of the granted view or the previous one, never a part.

use std::str::FromStr;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Column, ConnectOptions, Connection, Executor};

use crate::{Result, StoreError, redact_url};

enum Conn {
    Sqlite(sqlx::SqliteConnection),
    Pg(sqlx::PgConnection),
}

/// A push in progress: nothing is visible on the target until [`commit`].
/// Dropping it rolls back (the connection closes inside the transaction).
///
/// [`commit`]: PushWriter::commit
pub struct PushWriter {
    conn: Conn,
    table: String,
    columns: Vec<String>,
    upsert: String,
    delete: String,
}

fn quote(s: &str) -> Result<String> {
    if s.is_empty() || s.contains('"') || s.contains('\0') {
        return Err(StoreError::UnsupportedUrl(format!(
            "`{s}` is not a usable name"
        )));
    }
    Ok(format!("\"{s}\""))
}

/// `?` placeholders for SQLite, `$n` for PostgreSQL.
fn marks(pg: bool, n: usize) -> Vec<String> {
    (1..=n)
        .map(|i| if pg { format!("${i}") } else { "?".into() })
        .collect()
}

macro_rules! on {
    ($conn:expr, |$c:ident| $e:expr) => {
        match $conn {
            Conn::Sqlite($c) => $e,
            Conn::Pg($c) => $e,
        }
    };
}

impl PushWriter {
    /// Connects to `url`, begins the transaction and makes sure `table`
    /// exists with `_key` and `columns` (a table of other columns is refused).
    pub async fn begin(url: &str, table: &str, columns: &[String]) -> Result<PushWriter> {
        let pg = url.starts_with("postgres://") || url.starts_with("postgresql://");
        let mut conn = if pg {
            Conn::Pg(sqlx::PgConnection::connect(url).await?)
        } else if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .busy_timeout(std::time::Duration::from_secs(10));
            Conn::Sqlite(opts.connect().await?)
        } else {
            return Err(StoreError::UnsupportedUrl(format!(
                "`{}`: table push writes sqlite://PATH and postgres://… targets",
                redact_url(url)
            )));
        };
        let t = quote(table)?;
        let cols = columns
            .iter()
            .map(|c| quote(c))
            .collect::<Result<Vec<_>>>()?;
        let ddl = format!(
            "CREATE TABLE IF NOT EXISTS {t} (\"_key\" TEXT PRIMARY KEY{});
             CREATE TABLE IF NOT EXISTS \"_pubdata_push\" (table_name TEXT PRIMARY KEY,
                 grant_id BIGINT NOT NULL, version BIGINT NOT NULL, pushed_at TEXT NOT NULL)",
            cols.iter()
                .map(|c| format!(", {c} TEXT"))
                .collect::<String>()
        );
        let begin = if pg { "BEGIN" } else { "BEGIN IMMEDIATE" };
        on!(&mut conn, |c| {
            c.execute(begin).await?;
            c.execute(sqlx::raw_sql(&ddl)).await?;
        });
        // The table must hold exactly the granted view's columns.
        let probe = format!("SELECT * FROM {t} WHERE 1 = 0");
        let found: Vec<String> = on!(&mut conn, |c| c
            .describe(&probe)
            .await?
            .columns()
            .iter()
            .map(|x| x.name().to_string())
            .collect());
        let mut expect = vec!["_key".to_string()];
        expect.extend(columns.iter().cloned());
        if found != expect {
            return Err(StoreError::Conflict {
                what: format!(
                    "target table `{table}` has columns {found:?}, the grant's view is {expect:?}"
                ),
            });
        }
        let n = columns.len() + 1;
        let all = std::iter::once("\"_key\"".to_string())
            .chain(cols.iter().cloned())
            .collect::<Vec<_>>();
        let set = if cols.is_empty() {
            "NOTHING".to_string()
        } else {
            format!(
                "UPDATE SET {}",
                cols.iter()
                    .map(|c| format!("{c} = excluded.{c}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        Ok(PushWriter {
            upsert: format!(
                "INSERT INTO {t} ({}) VALUES ({}) ON CONFLICT (\"_key\") DO {set}",
                all.join(", "),
                marks(pg, n).join(", ")
            ),
            delete: format!("DELETE FROM {t} WHERE \"_key\" = {}", marks(pg, 1)[0]),
            conn,
            table: table.to_string(),
            columns: columns.to_vec(),
        })
    }

    /// Upserts each `(key, Some(values))` and deletes each `(key, None)`.
    pub async fn apply(&mut self, rows: &[(String, Option<Vec<Option<String>>>)]) -> Result<()> {
        for (key, values) in rows {
            match values {
                Some(v) => {
                    if v.len() != self.columns.len() {
                        return Err(StoreError::Corrupt("row width".into()));
                    }
                    on!(&mut self.conn, |c| {
                        let mut q = sqlx::query(&self.upsert).bind(key);
                        for x in v {
                            q = q.bind(x.as_deref());
                        }
                        q.execute(&mut *c).await?;
                    });
                }
                None => on!(&mut self.conn, |c| {
                    sqlx::query(&self.delete).bind(key).execute(&mut *c).await?;
                }),
            }
        }
        Ok(())
    }

    /// Records the push and commits: the target now holds `version`.
    pub async fn commit(mut self, grant_id: i64, version: i64) -> Result<()> {
        let pg = matches!(self.conn, Conn::Pg(_));
        let m = marks(pg, 4);
        let record = format!(
            "INSERT INTO \"_pubdata_push\" (table_name, grant_id, version, pushed_at)
             VALUES ({}, {}, {}, {}) ON CONFLICT (table_name) DO UPDATE
             SET grant_id = excluded.grant_id, version = excluded.version, pushed_at = excluded.pushed_at",
            m[0], m[1], m[2], m[3]
        );
        let at = crate::fmt_time(chrono::Utc::now());
        on!(&mut self.conn, |c| {
            sqlx::query(&record)
                .bind(&self.table)
                .bind(grant_id)
                .bind(version)
                .bind(&at)
                .execute(&mut *c)
                .await?;
            c.execute("COMMIT").await?;
        });
        Ok(())
    }
}
