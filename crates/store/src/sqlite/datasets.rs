//! SQLite storage of datasets: one table `ds_<id>` per dataset, columns
//! `c0…cN` as canonical text, `_key` (the canonical key) and the version
//! range `_from`/`_to` of each row. A row is current while `_to` is NULL; a
//! change closes the old row and inserts the new one, a deletion only closes
//! it, so every past version can be read and nothing is lost unrecorded.

use async_trait::async_trait;
use chrono::Utc;
use pubdata_domain::audit::AuditEvent;
use pubdata_domain::dataset::{RowError, Rule};
use sqlx::{QueryBuilder, Row, Sqlite, Transaction};

use super::{SqliteStore, append, db_err};
use crate::*;

/// `_to` of a current row: "valid until further notice".
pub const OPEN: i64 = i64::MAX;

pub(super) fn table(id: i64) -> String {
    format!("ds_{id}")
}

fn cols(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("c{i}")).collect()
}

/// SQLite allows 32,766 bound parameters per statement.
const MAX_PARAMS: usize = 32_000;
/// Rows per multi-row INSERT (fewer when a row has many columns).
const BATCH_ROWS: usize = 500;

struct SqliteLoad {
    tx: Transaction<'static, Sqlite>,
    dataset: Dataset,
    mode: LoadMode,
    /// The version this load creates.
    version: i64,
    rows_before: i64,
    /// First load into an empty dataset: rows go straight into the dataset
    /// table (still invisible until commit); no staging table.
    direct: bool,
    staged: u64,
    indexed: bool,
}

/// `INSERT INTO target (names) VALUES (?, …), … [suffix]` for `rows` rows of `width` values.
fn insert_sql(target: &str, names: &str, width: usize, rows: usize, suffix: &str) -> String {
    insert_rows_sql(
        target,
        names,
        &format!("({})", vec!["?"; width].join(", ")),
        rows,
        suffix,
    )
}

/// `INSERT INTO target (names) VALUES one, one, … [suffix]` for `rows` rows.
fn insert_rows_sql(target: &str, names: &str, one: &str, rows: usize, suffix: &str) -> String {
    format!(
        "INSERT INTO {target} ({names}) VALUES {}{suffix}",
        vec![one; rows].join(", ")
    )
}

impl SqliteLoad {
    async fn index(&mut self) -> Result<()> {
        if !self.indexed && !self.direct {
            exec_all(
                &mut self.tx,
                "CREATE INDEX temp.stage_key ON stage(_key, _row);",
            )
            .await?;
            self.indexed = true;
        }
        Ok(())
    }

    /// `s.c0 IS NOT d.c0 OR …`: the staged row differs from the stored one.
    fn differs(&self) -> String {
        let n = self.dataset.columns.len();
        if n == 0 {
            return "0".into();
        }
        cols(n)
            .iter()
            .map(|c| format!("s.{c} IS NOT d.{c}"))
            .collect::<Vec<_>>()
            .join(" OR ")
    }

    /// Appends rows straight into the (empty, unindexed) dataset table.
    async fn insert_direct(&mut self, rows: &[StagedRow]) -> Result<()> {
        let n = self.dataset.columns.len();
        let t = table(self.dataset.id);
        let names = format!(
            "_key, _from, _to, _row{}",
            cols(n).iter().map(|c| format!(", {c}")).collect::<String>()
        );
        // The version range is the same for every row of the load: written
        // into the statement, not bound per row.
        let one = format!("(?, {}, {OPEN}, ?{})", self.version, ", ?".repeat(n));
        let per = BATCH_ROWS.min(MAX_PARAMS / (n + 2)).max(1);
        let full_sql = insert_rows_sql(&t, &names, &one, per, "");
        for chunk in rows.chunks(per) {
            let sql = if chunk.len() == per {
                full_sql.clone()
            } else {
                insert_rows_sql(&t, &names, &one, chunk.len(), "")
            };
            let mut q = sqlx::query(&sql);
            for r in chunk {
                q = q.bind(r.key.as_str()).bind(r.row as i64);
                for i in 0..n {
                    q = q.bind(r.values.get(i).and_then(|v| v.as_deref()));
                }
            }
            q.execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    /// Builds the key index of a direct load; repeated keys make it fail,
    /// and are then listed by row.
    async fn build_key_index(&mut self, limit: u32) -> Result<Vec<(u64, String)>> {
        let t = table(self.dataset.id);
        match sqlx::query(&format!(
            "CREATE UNIQUE INDEX IF NOT EXISTS {t}_key ON {t}(_key, _to)"
        ))
        .execute(&mut *self.tx)
        .await
        {
            Ok(_) => Ok(vec![]),
            Err(e)
                if e.as_database_error()
                    .is_some_and(|d| d.is_unique_violation()) =>
            {
                let sql = format!(
                    "SELECT _row AS r, _key AS v FROM (SELECT _row, _key, row_number() OVER (PARTITION BY _key ORDER BY _row) AS n FROM {t})
                     WHERE n > 1 ORDER BY _row LIMIT ?"
                );
                pairs(&mut self.tx, sql, limit).await
            }
            Err(e) => Err(e.into()),
        }
    }
}

#[async_trait]
impl DatasetLoad for SqliteLoad {
    async fn stage(&mut self, rows: &[StagedRow]) -> Result<()> {
        self.staged += rows.len() as u64;
        if self.direct {
            return self.insert_direct(rows).await;
        }
        let n = self.dataset.columns.len();
        let names = format!(
            "_row, _key, _del{}",
            cols(n).iter().map(|c| format!(", {c}")).collect::<String>()
        );
        let per = BATCH_ROWS.min(MAX_PARAMS / (n + 3)).max(1);
        let full_sql = insert_sql("temp.stage", &names, n + 3, per, "");
        for chunk in rows.chunks(per) {
            let sql = if chunk.len() == per {
                full_sql.clone()
            } else {
                insert_sql("temp.stage", &names, n + 3, chunk.len(), "")
            };
            let mut q = sqlx::query(&sql);
            for r in chunk {
                q = q
                    .bind(r.row as i64)
                    .bind(r.key.as_str())
                    .bind(r.delete as i64);
                for i in 0..n {
                    q = q.bind(r.values.get(i).and_then(|v| v.as_deref()));
                }
            }
            q.execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    async fn duplicate_keys(&mut self, limit: u32) -> Result<Vec<(u64, String)>> {
        if self.direct {
            return self.build_key_index(limit).await;
        }
        self.index().await?;
        pairs(
            &mut self.tx,
            "SELECT s._row AS r, s._key AS v FROM temp.stage s
             WHERE EXISTS (SELECT 1 FROM temp.stage t WHERE t._key = s._key AND t._row < s._row)
             ORDER BY s._row LIMIT ?"
                .into(),
            limit,
        )
        .await
    }

    async fn duplicate_values(&mut self, column: usize, limit: u32) -> Result<Vec<(u64, String)>> {
        let c = format!("c{column}");
        let t = table(self.dataset.id);
        if self.direct {
            let sql = format!(
                "SELECT d._row AS r, d.{c} AS v FROM {t} d WHERE d._to = {OPEN} AND d.{c} IS NOT NULL
                   AND EXISTS (SELECT 1 FROM {t} x WHERE x._to = {OPEN} AND x.{c} = d.{c} AND x._row < d._row)
                 ORDER BY d._row LIMIT ?"
            );
            return pairs(&mut self.tx, sql, limit).await;
        }
        self.index().await?;
        exec_all(
            &mut self.tx,
            &format!("CREATE INDEX IF NOT EXISTS temp.stage_{c} ON stage({c});"),
        )
        .await?;
        // Repeats within the load, and (for upserts) clashes with current rows the load keeps.
        let kept = if self.mode == LoadMode::Upsert {
            format!(
                " OR EXISTS (SELECT 1 FROM {t} d WHERE d._to = {OPEN} AND d.{c} = s.{c} AND d._key <> s._key
                   AND NOT EXISTS (SELECT 1 FROM temp.stage u WHERE u._key = d._key))"
            )
        } else {
            String::new()
        };
        let sql = format!(
            "SELECT s._row AS r, s.{c} AS v FROM temp.stage s WHERE s._del = 0 AND s.{c} IS NOT NULL AND (
               EXISTS (SELECT 1 FROM temp.stage x WHERE x._del = 0 AND x.{c} = s.{c} AND x._row < s._row){kept})
             ORDER BY s._row LIMIT ?"
        );
        pairs(&mut self.tx, sql, limit).await
    }

    async fn missing_references(
        &mut self,
        column: usize,
        target: &Dataset,
        limit: u32,
    ) -> Result<Vec<(u64, String)>> {
        let c = format!("c{column}");
        let tt = table(target.id);
        let sql = if self.direct {
            let t = table(self.dataset.id);
            format!(
                "SELECT d._row AS r, d.{c} AS v FROM {t} d WHERE d._to = {OPEN} AND d.{c} IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM {tt} x WHERE x._key = d.{c} AND x._to = {OPEN})
                 ORDER BY d._row LIMIT ?"
            )
        } else {
            format!(
                "SELECT s._row AS r, s.{c} AS v FROM temp.stage s WHERE s._del = 0 AND s.{c} IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM {tt} x WHERE x._key = s.{c} AND x._to = {OPEN})
                 ORDER BY s._row LIMIT ?"
            )
        };
        pairs(&mut self.tx, sql, limit).await
    }

    async fn finish(
        mut self: Box<Self>,
        record: LoadRecord,
        audit: AuditEvent,
    ) -> Result<DatasetVersion> {
        self.index().await?;
        let t = table(self.dataset.id);
        let n = self.dataset.columns.len();
        let differs = self.differs();
        let v = self.version;
        let direct = self.direct;
        let tx = &mut self.tx;
        let (inserted, updated, deleted) = if direct {
            exec_all(
                tx,
                &format!("CREATE UNIQUE INDEX IF NOT EXISTS {t}_key ON {t}(_key, _to)"),
            )
            .await?;
            (self.staged as i64, 0, 0)
        } else {
            let inserted = count(
                tx,
                &format!("SELECT count(*) FROM temp.stage s WHERE s._del = 0 AND NOT EXISTS (SELECT 1 FROM {t} d WHERE d._key = s._key AND d._to = {OPEN})"),
            )
            .await?;
            let updated = count(
                tx,
                &format!("SELECT count(*) FROM temp.stage s JOIN {t} d ON d._key = s._key AND d._to = {OPEN} WHERE s._del = 0 AND ({differs})"),
            )
            .await?;
            let gone = match self.mode {
                LoadMode::Replace => {
                    "NOT EXISTS (SELECT 1 FROM temp.stage s WHERE s._key = d._key)"
                }
                LoadMode::Upsert => {
                    "EXISTS (SELECT 1 FROM temp.stage s WHERE s._key = d._key AND s._del = 1)"
                }
            };
            let deleted = count(
                tx,
                &format!("SELECT count(*) FROM {t} d WHERE d._to = {OPEN} AND {gone}"),
            )
            .await?;
            // Close changed and deleted rows, then insert new and changed ones.
            sqlx::query(&format!(
                "UPDATE {t} AS d SET _to = ? WHERE d._to = {OPEN} AND ({gone}
                   OR EXISTS (SELECT 1 FROM temp.stage s WHERE s._key = d._key AND s._del = 0 AND ({differs})))"
            ))
            .bind(v)
            .execute(&mut **tx)
            .await?;
            let names: String = cols(n).iter().map(|c| format!(", {c}")).collect();
            sqlx::query(&format!(
                "INSERT INTO {t} (_key, _from, _to, _row{names}) SELECT s._key, ?, {OPEN}, s._row{names_s} FROM temp.stage s
                 WHERE s._del = 0 AND NOT EXISTS (SELECT 1 FROM {t} d WHERE d._key = s._key AND d._to = {OPEN})",
                names_s = cols(n).iter().map(|c| format!(", s.{c}")).collect::<String>()
            ))
            .bind(v)
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
            exec_all(tx, "DROP TABLE temp.stage;").await?;
            (inserted, updated, deleted)
        };
        let now = fmt_time(Utc::now());
        let flagged = record
            .issues
            .iter()
            .map(|i| i.row)
            .collect::<std::collections::BTreeSet<_>>()
            .len() as i64;
        sqlx::query(
            "INSERT INTO dataset_versions (dataset_id, version, mode, source, rows_in, inserted, updated, deleted, flagged, actor, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(self.dataset.id)
        .bind(v)
        .bind(record.channel)
        .bind(&record.source)
        .bind(self.staged as i64)
        .bind(inserted)
        .bind(updated)
        .bind(deleted)
        .bind(flagged)
        .bind(&record.actor)
        .bind(&now)
        .execute(&mut **tx)
        .await?;
        for chunk in record.issues.chunks(MAX_PARAMS / 7) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO quality_issues (dataset_id, version, row_no, column_name, value, rule, message) ",
            );
            q.push_values(chunk, |mut b, i: &RowError| {
                b.push_bind(self.dataset.id)
                    .push_bind(v)
                    .push_bind(i.row as i64)
                    .push_bind(&i.column)
                    .push_bind(&i.value)
                    .push_bind(&i.rule)
                    .push_bind(&i.message);
            });
            q.build().execute(&mut **tx).await?;
        }
        let rows_now = self.rows_before + inserted - deleted;
        sqlx::query(
            "UPDATE datasets SET current_version = ?, row_count = ?, last_load_at = ? WHERE id = ?",
        )
        .bind(v)
        .bind(rows_now)
        .bind(&now)
        .bind(self.dataset.id)
        .execute(&mut **tx)
        .await?;
        let mut audit = audit;
        audit.detail["version"] = v.into();
        audit.detail["inserted"] = inserted.into();
        audit.detail["updated"] = updated.into();
        audit.detail["deleted"] = deleted.into();
        append(tx, &audit).await?;
        self.tx.commit().await?;
        Ok(DatasetVersion {
            version: v,
            mode: record.channel.into(),
            source: record.source,
            rows_in: self.staged as i64,
            inserted,
            updated,
            deleted,
            flagged,
            actor: record.actor,
            created_at: parse_time(&now)?,
        })
    }
}

/// Runs `;`-separated statements one by one (none of them contains a `;`).
async fn exec_all(conn: &mut sqlx::SqliteConnection, sql: &str) -> Result<()> {
    for stmt in sql.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        sqlx::query(stmt).execute(&mut *conn).await?;
    }
    Ok(())
}

/// (row, value) pairs of a query over the staged rows.
async fn pairs(
    conn: &mut sqlx::SqliteConnection,
    sql: String,
    limit: u32,
) -> Result<Vec<(u64, String)>> {
    let rows = sqlx::query(&sql)
        .bind(limit as i64)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get::<i64, _>("r")? as u64, r.try_get("v")?)))
        .collect()
}

async fn count(conn: &mut sqlx::SqliteConnection, sql: &str) -> Result<i64> {
    Ok(sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(&mut *conn)
        .await?)
}

/// Creates the table `ds_<id>` of a dataset with its key and unique-column indexes.
pub(crate) async fn create_table(conn: &mut sqlx::SqliteConnection, ds: &Dataset) -> Result<()> {
    let t = table(ds.id);
    let defs: Vec<String> = cols(ds.columns.len())
        .iter()
        .map(|c| format!("{c} TEXT"))
        .collect();
    let mut ddl = format!(
        "CREATE TABLE {t} (_key TEXT NOT NULL, _from INTEGER NOT NULL, _to INTEGER NOT NULL, _row INTEGER NOT NULL{}{});
         CREATE UNIQUE INDEX {t}_key ON {t}(_key, _to);",
        if defs.is_empty() { "" } else { ", " },
        defs.join(", ")
    );
    for (i, c) in ds.columns.iter().enumerate() {
        if c.checks.iter().any(|k| k.rule == Rule::Unique) {
            ddl.push_str(&format!(
                "CREATE INDEX {t}_c{i} ON {t}(c{i}) WHERE _to = {OPEN};"
            ));
        }
    }
    exec_all(conn, &ddl).await
}

/// The SQLite side of a load (the rest of the dataset store is written once,
/// in `queries/datasets.rs`).
impl SqliteStore {
    pub(crate) async fn start_load(
        &self,
        dataset: &Dataset,
        mode: LoadMode,
    ) -> Result<Box<dyn DatasetLoad>> {
        // A first load into an empty dataset takes the fast path (load.rs).
        if let Some(load) = super::load::begin(self, dataset, mode).await? {
            return Ok(load);
        }
        let mut tx = self.write.begin_with("BEGIN IMMEDIATE").await?;
        let (current, rows_before): (i64, i64) =
            sqlx::query_as("SELECT current_version, row_count FROM datasets WHERE id = ?")
                .bind(dataset.id)
                .fetch_one(&mut *tx)
                .await?;
        let direct = mode == LoadMode::Replace && rows_before == 0;
        if direct {
            // An empty table is filled in input order and indexed once at the
            // end (a sort), which is far cheaper than a million random inserts.
            let t = table(dataset.id);
            let has_rows: Option<i64> = sqlx::query_scalar(&format!("SELECT 1 FROM {t} LIMIT 1"))
                .fetch_optional(&mut *tx)
                .await?;
            if has_rows.is_none() {
                exec_all(&mut tx, &format!("DROP INDEX IF EXISTS {t}_key")).await?;
            }
        }
        if !direct {
            let defs: Vec<String> = cols(dataset.columns.len())
                .iter()
                .map(|c| format!(", {c} TEXT"))
                .collect();
            exec_all(
            &mut tx,
            &format!(
                "DROP TABLE IF EXISTS temp.stage; CREATE TEMP TABLE stage (_row INTEGER NOT NULL, _key TEXT NOT NULL, _del INTEGER NOT NULL{});",
                defs.concat()
            ),
        )
        .await?;
        }
        Ok(Box::new(SqliteLoad {
            tx,
            dataset: dataset.clone(),
            mode,
            version: current + 1,
            rows_before,
            direct,
            staged: 0,
            indexed: false,
        }))
    }
}
