//! Reading an agency's own database for table pulls (库表, AGG-1): SQLite
//! files opened read-only, and PostgreSQL databases read inside a
//! `READ ONLY` transaction. Values arrive as text whatever their type.

use std::str::FromStr;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Column, ConnectOptions, Row, TypeInfo, ValueRef};

use crate::{Result, StoreError, redact_url};

/// Rows read from a source: column names and text values.
pub struct SourceRows {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
}

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

/// Reads the rows of `query` at `url` (after `last_value` in
/// `incremental` when both are given).
pub async fn read(
    url: &str,
    query: &str,
    incremental: Option<&str>,
    last_value: Option<&str>,
) -> Result<SourceRows> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return read_postgres(url, query, incremental, last_value).await;
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
    let mut q = sqlx::query(&sql);
    if let Some(v) = last_value {
        q = q.bind(v);
    }
    let rows = q.fetch_all(&mut conn).await?;
    let columns: Vec<String> = match rows.first() {
        Some(r) => r.columns().iter().map(|c| c.name().to_string()).collect(),
        None => {
            // No rows: still report the columns, from a statement that returns none.
            let empty = sqlx::query(&format!(
                "SELECT * FROM ({}) AS x LIMIT 0",
                source_sql(query, None, false)?
            ))
            .fetch_all(&mut conn)
            .await?;
            empty
                .first()
                .map(|r| r.columns().iter().map(|c| c.name().to_string()).collect())
                .unwrap_or_default()
        }
    };
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let mut values = Vec::with_capacity(columns.len());
        for (i, name) in columns.iter().enumerate() {
            let raw = r.try_get_raw(i)?;
            let v = if raw.is_null() {
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
            };
            values.push(v);
        }
        out.push(values);
    }
    Ok(SourceRows { columns, rows: out })
}

/// Reads a PostgreSQL source in a read-only transaction, over the simple
/// query protocol, whose results are text for every type.
async fn read_postgres(
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
    // A row-less probe names the columns even when no row comes back.
    let probe = format!("SELECT * FROM ({sql}) AS x LIMIT 0");
    let described = sqlx::Executor::describe(&mut conn, &probe).await?;
    let columns: Vec<String> = described
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    let rows = conn.fetch_all(sqlx::raw_sql(&sql)).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let mut values = Vec::with_capacity(columns.len());
        for i in 0..columns.len() {
            let raw = r.try_get_raw(i)?;
            values.push(if raw.is_null() {
                None
            } else {
                Some(r.try_get_unchecked::<String, _>(i)?)
            });
        }
        out.push(values);
    }
    conn.close().await?;
    Ok(SourceRows { columns, rows: out })
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
