//! The store's one access query set: every read of a dataset's contents
//! (`ds_<id>` rows) for callers — rows by key order, a row's history, one
//! row by key, conflicts between two datasets' columns, and the counts behind
//! quality scores. Only the service's one door (`service/src/access.rs`)
//! calls [`ContentStore`]; loads check and write their rows with the SQL of
//! `load.rs`, run by the backends' load code.

use async_trait::async_trait;

use super::load::{OPEN, table};
use crate::rows::{self, Cols};
use crate::sql::{Dialect, Exec, Sql, sql};
use crate::*;
use pubdata_domain::share::Cond;

/// Pages of at most this many rows are read with `Dialect::content_rows`
/// (on SQLite, on the calling thread: a short read, no hop); larger ones —
/// downloads, pushes — on the pool, where they do not hold up a runtime
/// worker.
const ON_CALLER_ROWS: u32 = 100;

#[async_trait]
impl<D: Dialect> ContentStore for D {
    async fn dataset_rows(
        &self,
        d: &Dataset,
        version: Option<i64>,
        after_key: Option<&str>,
        limit: u32,
    ) -> Result<Vec<(String, Vec<Option<String>>)>> {
        let mut q = sql(format!("SELECT * FROM {} WHERE ", table(d.id)));
        match version {
            None => {
                q.push(&format!("_to = {OPEN}"));
            }
            Some(v) => {
                q.push("_from <= ")
                    .push_bind(v)
                    .push(" AND _to > ")
                    .push_bind(v);
            }
        }
        if let Some(k) = after_key {
            q.push(" AND _key > ").push_bind(k);
        }
        q.push(" ORDER BY _key LIMIT ").push_bind(limit as i64);
        if limit <= ON_CALLER_ROWS {
            // A preview or an API page: the hot path's read.
            return self.content_rows(q, d.columns.len()).await;
        }
        let rows = self.reader().all(q).await?;
        rows.iter()
            .map(|r| Ok((r.text("_key")?, rows::values(r, d.columns.len())?)))
            .collect()
    }

    async fn row_history(
        &self,
        d: &Dataset,
        key: &str,
    ) -> Result<Vec<(i64, Option<i64>, Vec<Option<String>>)>> {
        let rows = self
            .reader()
            .all(
                sql(format!(
                    "SELECT * FROM {} WHERE _key = ? ORDER BY _from",
                    table(d.id)
                ))
                .bind(key),
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.int("_from")?,
                    r.opt_int("_to")?,
                    rows::values(r, d.columns.len())?,
                ))
            })
            .collect()
    }

    async fn dataset_fill(&self, d: &Dataset) -> Result<(i64, i64)> {
        let n = d.columns.len();
        if n == 0 {
            return Ok((0, 0));
        }
        // count(c) counts the filled cells of a column.
        let filled: String = (0..n)
            .map(|i| format!("count(c{i})"))
            .collect::<Vec<_>>()
            .join(" + ");
        let row = self
            .reader()
            .one(sql(format!(
                "SELECT count(*) AS n, {filled} AS filled FROM {} WHERE _to = {OPEN}",
                table(d.id)
            )))
            .await?;
        Ok((row.int("filled")?, row.int("n")? * n as i64))
    }

    async fn changed_rows(
        &self,
        d: &Dataset,
        since: i64,
        upto: i64,
        after_key: Option<&str>,
        limit: u32,
    ) -> Result<Vec<(String, Option<Vec<Option<String>>>)>> {
        let t = table(d.id);
        let mut q = sql(format!(
            "SELECT k._k AS _k, c.* FROM (SELECT DISTINCT _key AS _k FROM {t}
               WHERE ((_from > ? AND _from <= ?) OR (_to > ? AND _to <= ?))"
        ))
        .bind(since)
        .bind(upto)
        .bind(since)
        .bind(upto);
        if let Some(k) = after_key {
            q.push(" AND _key > ").push_bind(k);
        }
        q.push(" ORDER BY _k LIMIT ")
            .push_bind(limit as i64)
            .push(&format!(
                ") k LEFT JOIN {t} c ON c._key = k._k AND c._from <= "
            ))
            .push_bind(upto)
            .push(" AND c._to > ")
            .push_bind(upto)
            .push(" ORDER BY k._k");
        let rows = self.reader().all(q).await?;
        rows.iter()
            .map(|r| {
                let present = r.opt_text("_key")?.is_some();
                Ok((
                    r.text("_k")?,
                    present
                        .then(|| rows::values(r, d.columns.len()))
                        .transpose()?,
                ))
            })
            .collect()
    }

    async fn select_rows(
        &self,
        d: &Dataset,
        filters: &[(usize, Cond)],
        after_key: Option<&str>,
        limit: u32,
    ) -> Result<Vec<(String, Vec<Option<String>>)>> {
        let mut q = sql(format!("SELECT * FROM {} WHERE _to = {OPEN}", table(d.id)));
        // Equality on every key column names the keys: the key index answers.
        let key_pos: Vec<Option<usize>> = d
            .key
            .iter()
            .map(|k| d.columns.iter().position(|c| &c.name == k))
            .collect();
        let key_values: Option<Vec<&Vec<String>>> = key_pos
            .iter()
            .map(|p| {
                filters.iter().find_map(|(i, c)| match c {
                    Cond::In(v) if Some(*i) == *p => Some(v),
                    _ => None,
                })
            })
            .collect();
        if let Some([values]) = key_values.as_deref() {
            q.push(" AND _key IN ")
                .push_binds(values.iter().map(String::as_str));
        }
        for (i, cond) in filters {
            if *i >= d.columns.len() {
                return Err(StoreError::Corrupt(format!("no column {i}")));
            }
            match cond {
                Cond::In(values) => {
                    if values.is_empty() {
                        return Ok(vec![]);
                    }
                    q.push(&format!(" AND c{i} IN "))
                        .push_binds(values.iter().map(String::as_str));
                }
                Cond::Gte(v) => {
                    q.push(&format!(" AND c{i} >= ")).push_bind(v.as_str());
                }
                Cond::Lte(v) => {
                    q.push(&format!(" AND c{i} <= ")).push_bind(v.as_str());
                }
            }
        }
        if let Some(k) = after_key {
            q.push(" AND _key > ").push_bind(k);
        }
        q.push(" ORDER BY _key LIMIT ").push_bind(limit as i64);
        self.content_rows(q, d.columns.len()).await
    }

    async fn search_rows(
        &self,
        d: &Dataset,
        s: &RowSearch,
    ) -> Result<(Vec<(String, Vec<Option<String>>)>, i64)> {
        let n = d.columns.len();
        let known = |i: &usize| {
            if *i < n {
                Ok(())
            } else {
                Err(StoreError::Corrupt(format!("no column {i}")))
            }
        };
        for (i, _) in &s.equal {
            known(i)?;
        }
        for i in s.contains.iter().flat_map(|(c, _)| c) {
            known(i)?;
        }
        for (i, _) in &s.sort {
            known(i)?;
        }
        if s.equal.iter().any(|(_, v)| v.is_empty())
            || s.contains.iter().any(|(c, t)| c.is_empty() || t.is_empty())
        {
            return Ok((vec![], 0));
        }
        let condition = |q: &mut Sql| {
            q.push(&format!(" FROM {} WHERE _to = {OPEN}", table(d.id)));
            for (i, values) in &s.equal {
                q.push(&format!(" AND c{i} IN "))
                    .push_binds(values.iter().map(String::as_str));
            }
            for (cols, terms) in &s.contains {
                q.push(" AND (");
                let mut first = true;
                for i in cols {
                    for t in terms {
                        if !first {
                            q.push(" OR ");
                        }
                        first = false;
                        q.push(&format!("lower(c{i}) LIKE "))
                            .push_bind(super::contains_pattern(t))
                            .push(" ESCAPE '\\'");
                    }
                }
                q.push(")");
            }
        };
        let total = match s.known_total {
            Some(n) => n,
            None => {
                let mut count = sql("SELECT count(*) AS n");
                condition(&mut count);
                self.reader().one(count).await?.int("n")?
            }
        };
        let mut q = sql("SELECT *");
        condition(&mut q);
        q.push(" ORDER BY ");
        for (i, desc) in &s.sort {
            // Numbers compare as numbers (loads store their canonical
            // text), everything else as text; empty values last either
            // way, on both backends.
            let numeric = matches!(
                d.columns[*i].data_type,
                pubdata_domain::catalog::DataType::Integer
                    | pubdata_domain::catalog::DataType::Decimal
            );
            let value = if numeric {
                format!("CAST(c{i} AS DOUBLE PRECISION)")
            } else {
                format!("c{i}")
            };
            q.push(&format!(
                "c{i} IS NULL, {value}{}, ",
                if *desc { " DESC" } else { "" }
            ));
        }
        q.push("_key LIMIT ")
            .push_bind(i64::from(s.limit.max(1)))
            .push(" OFFSET ")
            .push_bind(s.offset.max(0));
        Ok((self.content_rows(q, n).await?, total))
    }

    async fn distinct_in_sample(
        &self,
        d: &Dataset,
        columns: &[usize],
        sample: u32,
    ) -> Result<Vec<i64>> {
        if columns.is_empty() {
            return Ok(vec![]);
        }
        let mut text = String::from("SELECT ");
        for (n, i) in columns.iter().enumerate() {
            if *i >= d.columns.len() {
                return Err(StoreError::Corrupt(format!("no column {i}")));
            }
            if n > 0 {
                text.push_str(", ");
            }
            text.push_str(&format!("count(DISTINCT c{i}) AS d{n}"));
        }
        text.push_str(&format!(
            " FROM (SELECT * FROM {} WHERE _to = {OPEN} ORDER BY _key LIMIT ",
            table(d.id)
        ));
        let mut q = sql(text);
        q.push_bind(i64::from(sample)).push(") s");
        let row = self.reader().one(q).await?;
        (0..columns.len())
            .map(|n| row.int(&format!("d{n}")))
            .collect()
    }

    async fn ensure_search_index(&self, d: &Dataset, column: usize) -> Result<()> {
        if column >= d.columns.len() {
            return Err(StoreError::Corrupt(format!("no column {column}")));
        }
        let t = table(d.id);
        self.writer()
            .script(&format!(
                "CREATE INDEX IF NOT EXISTS {t}_s{column} ON {t}(c{column}, _key) WHERE _to = {OPEN}"
            ))
            .await
    }

    async fn dataset_row(&self, d: &Dataset, key: &str) -> Result<Option<Vec<Option<String>>>> {
        let row = self
            .reader()
            .opt(
                sql(format!(
                    "SELECT * FROM {} WHERE _key = ? AND _to = {OPEN}",
                    table(d.id)
                ))
                .bind(key),
            )
            .await?;
        row.map(|r| rows::values(&r, d.columns.len())).transpose()
    }

    async fn column_conflicts(
        &self,
        a: &Dataset,
        a_col: usize,
        b: &Dataset,
        b_col: usize,
        limit: u32,
    ) -> Result<Vec<(String, Option<String>, Option<String>)>> {
        let (ta, tb) = (table(a.id), table(b.id));
        let rows = self
            .reader()
            .all(
                sql(format!(
                    "SELECT x._key AS k, x.c{a_col} AS va, y.c{b_col} AS vb
                     FROM {ta} x JOIN {tb} y ON y._key = x._key AND y._to = {OPEN}
                     WHERE x._to = {OPEN} AND x.c{a_col} IS DISTINCT FROM y.c{b_col}
                     ORDER BY x._key LIMIT ?"
                ))
                .bind(limit as i64),
            )
            .await?;
        rows.iter()
            .map(|r| Ok((r.text("k")?, r.opt_text("va")?, r.opt_text("vb")?)))
            .collect()
    }

    async fn reference_stats(
        &self,
        d: &Dataset,
        column: usize,
        target: &Dataset,
    ) -> Result<(i64, i64)> {
        let (t, tt) = (table(d.id), table(target.id));
        let row = self
            .reader()
            .one(sql(format!(
                "SELECT count(*) AS total,
                        count(*) FILTER (WHERE EXISTS (SELECT 1 FROM {tt} x
                                         WHERE x._key = d.c{column} AND x._to = {OPEN})) AS resolved
                 FROM {t} d WHERE d._to = {OPEN} AND d.c{column} IS NOT NULL"
            )))
            .await?;
        Ok((row.int("resolved")?, row.int("total")?))
    }
}
