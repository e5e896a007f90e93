//! Reading an agency's own database for table pulls (库表, AGG-1): SQLite
//! files opened read-only, and PostgreSQL databases read inside a
//! `READ ONLY` transaction. Values arrive as text whatever their type, row by
//! row through a bounded channel.

use std::str::FromStr;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Column, ConnectOptions, Row, TypeInfo, ValueRef};

use crate::{Result, StoreError, redact_url};

/// Rows coming from a source, as they are read: column names first, then
/// each row's values as text through a bounded channel (a pull never holds
/// the source's table in memory). A failure while reading arrives as the
/// last item.
pub struct SourceRows {
    pub columns: Vec<String>,
    pub rows: tokio::sync::mpsc::Receiver<Result<Vec<Option<String>>>>,
}

/// Rows in flight between the source and the load.
const IN_FLIGHT: usize = 4096;

fn quote_ident(s: &str) -> Result<String> {
    if s.is_empty() || s.contains('"') || s.contains('\0') {
        return Err(StoreError::UnsupportedUrl(format!(
            "`{s}` is not a usable name"
        )));
    }
    Ok(format!("\"{s}\""))
}

/// The SQL for a table name or a `SELECT`, optionally after a high-water
/// mark (bound as `?`, or written as `after` when given as a literal).
fn source_sql(query: &str, incremental: Option<&str>, after: bool) -> Result<String> {
    source_sql_with(query, incremental, after.then_some("?"))
}

/// A string literal of PostgreSQL (standard_conforming_strings).
fn pg_literal(v: &str) -> Result<String> {
    if v.contains('\0') {
        return Err(StoreError::Corrupt("a NUL in the high-water mark".into()));
    }
    Ok(format!("'{}'", v.replace('\'', "''")))
}

fn source_sql_with(query: &str, incremental: Option<&str>, after: Option<&str>) -> Result<String> {
    let q = query.trim().trim_end_matches(';');
    let base = if q.to_ascii_lowercase().starts_with("select ")
        || q.to_ascii_lowercase().starts_with("with ")
    {
        format!("SELECT * FROM ({q}) AS src")
    } else {
        format!("SELECT * FROM {}", quote_ident(q)?)
    };
    Ok(match incremental {
        Some(col) => {
            let c = quote_ident(col)?;
            if let Some(v) = after {
                format!("{base} WHERE {c} > {v} ORDER BY {c}")
            } else {
                format!("{base} ORDER BY {c}")
            }
        }
        None => base,
    })
}

/// Opens the rows of `query` at `url` (after `last_value` in `incremental`
/// when both are given): connects and names the columns now, so a wrong URL
/// or query fails here, then streams the rows from a task.
pub async fn open(
    url: &str,
    query: &str,
    incremental: Option<&str>,
    last_value: Option<&str>,
) -> Result<SourceRows> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return open_postgres(url, query, incremental, last_value).await;
    }
    if !url.starts_with("sqlite:") {
        return Err(StoreError::UnsupportedUrl(format!(
            "`{}`: table pulls read sqlite://PATH and postgres://… sources",
            redact_url(url)
        )));
    }
    let opts = SqliteConnectOptions::from_str(url)?
        .read_only(true)
        .create_if_missing(false);
    let mut conn = opts.connect().await?;
    let sql = source_sql(query, incremental, last_value.is_some())?;
    let described = sqlx::Executor::describe(&mut conn, &sql).await?;
    let columns: Vec<String> = described
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    let (tx, rx) = tokio::sync::mpsc::channel(IN_FLIGHT);
    let last_value = last_value.map(str::to_string);
    let names = columns.clone();
    tokio::spawn(async move {
        use futures_util::TryStreamExt;
        let mut q = sqlx::query(&sql);
        if let Some(v) = &last_value {
            q = q.bind(v);
        }
        let mut rows = q.fetch(&mut conn);
        loop {
            let item = match rows.try_next().await {
                Ok(Some(r)) => sqlite_values(&r, &names),
                Ok(None) => break,
                Err(e) => Err(e.into()),
            };
            let failed = item.is_err();
            if tx.send(item).await.is_err() || failed {
                break; // the load stopped reading, or the source failed
            }
        }
    });
    Ok(SourceRows { columns, rows: rx })
}

/// A SQLite row's values as text (integers and reals printed; blobs refused).
fn sqlite_values(r: &sqlx::sqlite::SqliteRow, names: &[String]) -> Result<Vec<Option<String>>> {
    let mut values = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let raw = r.try_get_raw(i)?;
        values.push(if raw.is_null() {
            None
        } else {
            match raw.type_info().name() {
                "INTEGER" => Some(r.try_get::<i64, _>(i)?.to_string()),
                "REAL" => Some(r.try_get::<f64, _>(i)?.to_string()),
                "BLOB" => {
                    return Err(StoreError::Corrupt(format!(
                        "column `{name}` holds binary data"
                    )));
                }
                _ => Some(r.try_get::<String, _>(i)?),
            }
        });
    }
    Ok(values)
}

/// Opens a PostgreSQL source in a read-only transaction; rows come over the
/// simple query protocol, whose results are text for every type.
async fn open_postgres(
    url: &str,
    query: &str,
    incremental: Option<&str>,
    last_value: Option<&str>,
) -> Result<SourceRows> {
    use sqlx::{Connection, Executor};
    let mut conn = sqlx::PgConnection::connect(url).await?;
    let after = last_value.map(pg_literal).transpose()?;
    let sql = source_sql_with(query, incremental, after.as_deref())?;
    sqlx::query("BEGIN READ ONLY").execute(&mut conn).await?;
    let described = conn.describe(&sql).await?;
    let columns: Vec<String> = described
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    let (tx, rx) = tokio::sync::mpsc::channel(IN_FLIGHT);
    let width = columns.len();
    tokio::spawn(async move {
        use futures_util::TryStreamExt;
        {
            let mut rows = conn.fetch(sqlx::raw_sql(&sql));
            loop {
                let item = match rows.try_next().await {
                    Ok(Some(r)) => (0..width)
                        .map(|i| {
                            let raw = r.try_get_raw(i)?;
                            Ok(if raw.is_null() {
                                None
                            } else {
                                Some(r.try_get_unchecked::<String, _>(i)?)
                            })
                        })
                        .collect::<Result<Vec<_>>>(),
                    Ok(None) => break,
                    Err(e) => Err(e.into()),
                };
                let failed = item.is_err();
                if tx.send(item).await.is_err() || failed {
                    break;
                }
            }
        }
        let _ = conn.close().await;
    });
    Ok(SourceRows { columns, rows: rx })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_quoted_and_queries_wrapped() {
        assert_eq!(
            source_sql("people", None, false).unwrap(),
            "SELECT * FROM \"people\""
        );
        assert_eq!(
            source_sql("SELECT a FROM t;", Some("updated_at"), true).unwrap(),
            "SELECT * FROM (SELECT a FROM t) AS src WHERE \"updated_at\" > ? ORDER BY \"updated_at\""
        );
        assert!(source_sql("a\"b", None, false).is_err());
    }
}
