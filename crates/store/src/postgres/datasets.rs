//! PostgreSQL storage of datasets: the same layout as SQLite's — one table
//! `ds_<id>` per dataset, columns `c0…cN` as canonical text, `_key` and the
//! version range `_from`/`_to` of each row — loaded with `COPY`.
//!
//! Dataset tables have no foreign keys and every query reaches them by
//! `_key`, their distribution column when sharded with Citus
//! (`SELECT create_distributed_table('ds_<id>', '_key')`, docs/SCALING.md).

use async_trait::async_trait;
use pubdata_domain::audit::AuditEvent;
use pubdata_domain::dataset::{RowError, Rule};
use sqlx::{PgConnection, Postgres, QueryBuilder, Row, Transaction};

use super::{PgStore, append, copy_field, db_err, now};
use crate::rows;
use crate::*;

/// `_to` of a current row: "valid until further notice".
pub const OPEN: i64 = i64::MAX;

fn table(id: i64) -> String {
    format!("ds_{id}")
}

fn cols(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("c{i}")).collect()
}

/// Creates the table `ds_<id>` of a dataset with its key and unique-column indexes.
pub async fn create_table(conn: &mut PgConnection, ds: &Dataset) -> Result<()> {
    let t = table(ds.id);
    let defs: String = cols(ds.columns.len())
        .iter()
        .map(|c| format!(", {c} TEXT COLLATE \"C\""))
        .collect();
    // Text compares bytewise (COLLATE "C"): the same order as SQLite's, and
    // keys compare with values of other datasets' columns without a clash.
    let mut ddl = format!(
        "CREATE TABLE {t} (_key TEXT COLLATE \"C\" NOT NULL, _from BIGINT NOT NULL, _to BIGINT NOT NULL, _row BIGINT NOT NULL{defs});
         CREATE UNIQUE INDEX {t}_key ON {t}(_key, _to);"
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

/// Rows on their way into one open `COPY`, written by a task that owns the
/// load's transaction while the copy runs: the next rows are encoded here
/// while the server stores the last ones.
struct Copier {
    /// `Some(data)`, then `None` to end the copy; closing without `None` aborts it.
    sender: tokio::sync::mpsc::Sender<Option<Vec<u8>>>,
    task: tokio::task::JoinHandle<Result<Transaction<'static, Postgres>>>,
}

async fn copy_task(
    mut tx: Transaction<'static, Postgres>,
    sql: String,
    mut rx: tokio::sync::mpsc::Receiver<Option<Vec<u8>>>,
) -> Result<Transaction<'static, Postgres>> {
    let mut copy = tx.copy_in_raw(&sql).await?;
    loop {
        match rx.recv().await {
            Some(Some(data)) => {
                if let Err(e) = copy.send(data).await {
                    let _ = copy.abort("pubdata: load failed").await;
                    return Err(e.into());
                }
            }
            Some(None) => {
                copy.finish().await?;
                return Ok(tx);
            }
            None => {
                let _ = copy.abort("pubdata: load abandoned").await;
                return Err(StoreError::Corrupt("load abandoned".into()));
            }
        }
    }
}

struct PgLoad {
    /// The load's transaction; with the copy task while rows stream.
    tx: Option<Transaction<'static, Postgres>>,
    copier: Option<Copier>,
    dataset: Dataset,
    mode: LoadMode,
    /// The version this load creates.
    version: i64,
    rows_before: i64,
    /// First load into an empty dataset: rows are copied straight into the
    /// dataset table (invisible until commit) and indexed once at the end.
    direct: bool,
    staged: u64,
    prepared: bool,
    /// Text-format `COPY` data of rows not yet sent.
    buf: Vec<u8>,
}

/// Hands the buffer to the copy once it holds this much.
const COPY_CHUNK: usize = 1 << 20;

impl PgLoad {
    /// The transaction (rows staged so far are in it once the copy ended).
    fn tx(&mut self) -> &mut Transaction<'static, Postgres> {
        self.tx.as_mut().expect("the copy has ended")
    }

    /// Hands buffered rows to the open `COPY`, opening it first if needed.
    async fn flush(&mut self) -> Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        if self.copier.is_none() {
            let n = self.dataset.columns.len();
            let names: String = cols(n).iter().map(|c| format!(", {c}")).collect();
            let sql = if self.direct {
                format!(
                    "COPY {} (_key, _from, _to, _row{names}) FROM STDIN",
                    table(self.dataset.id)
                )
            } else {
                format!("COPY stage (_row, _key, _del{names}) FROM STDIN")
            };
            let tx = self.tx.take().expect("no copy runs");
            let (sender, rx) = tokio::sync::mpsc::channel(4);
            let task = tokio::spawn(copy_task(tx, sql, rx));
            self.copier = Some(Copier { sender, task });
        }
        let data = std::mem::replace(&mut self.buf, Vec::with_capacity(COPY_CHUNK + (1 << 16)));
        let copier = self.copier.as_ref().expect("opened above");
        if copier.sender.send(Some(data)).await.is_err() {
            // The task ended early: its error says why.
            return self.end_copy().await;
        }
        Ok(())
    }

    /// Ends the open `COPY` and takes the transaction back.
    async fn end_copy(&mut self) -> Result<()> {
        if let Some(c) = self.copier.take() {
            let _ = c.sender.send(None).await;
            drop(c.sender);
            let tx = c
                .task
                .await
                .map_err(|e| StoreError::Corrupt(format!("copy task: {e}")))??;
            self.tx = Some(tx);
        }
        Ok(())
    }

    /// Once all rows are staged: indexes and statistics for the checks.
    async fn prepare(&mut self) -> Result<()> {
        self.flush().await?;
        self.end_copy().await?;
        if !self.prepared && !self.direct {
            exec_all(
                self.tx(),
                "CREATE INDEX ON stage (_key, _row); ANALYZE stage;",
            )
            .await?;
        }
        self.prepared = true;
        Ok(())
    }

    /// `s.c0 IS DISTINCT FROM d.c0 OR …`: the staged row differs from the stored one.
    fn differs(&self) -> String {
        let n = self.dataset.columns.len();
        if n == 0 {
            return "false".into();
        }
        cols(n)
            .iter()
            .map(|c| format!("s.{c} IS DISTINCT FROM d.{c}"))
            .collect::<Vec<_>>()
            .join(" OR ")
    }

    /// Builds the key index of a direct load; repeated keys make it fail
    /// (rolled back to a savepoint), and are then listed by row.
    async fn build_key_index(&mut self, limit: u32) -> Result<Vec<(u64, String)>> {
        self.prepare().await?;
        let t = table(self.dataset.id);
        sqlx::query("SAVEPOINT key_index")
            .execute(&mut **self.tx())
            .await?;
        match sqlx::query(&format!(
            "CREATE UNIQUE INDEX IF NOT EXISTS {t}_key ON {t}(_key, _to)"
        ))
        .execute(&mut **self.tx())
        .await
        {
            Ok(_) => {
                sqlx::query("RELEASE SAVEPOINT key_index")
                    .execute(&mut **self.tx())
                    .await?;
                Ok(vec![])
            }
            Err(e)
                if e.as_database_error()
                    .is_some_and(|d| d.is_unique_violation()) =>
            {
                sqlx::query("ROLLBACK TO SAVEPOINT key_index")
                    .execute(&mut **self.tx())
                    .await?;
                let sql = format!(
                    "SELECT _row AS r, _key AS v FROM (SELECT _row, _key, row_number() OVER (PARTITION BY _key ORDER BY _row) AS n FROM {t}) x
                     WHERE n > 1 ORDER BY _row LIMIT $1"
                );
                pairs(self.tx(), sql, limit).await
            }
            Err(e) => Err(e.into()),
        }
    }
}

#[async_trait]
impl DatasetLoad for PgLoad {
    async fn stage(&mut self, rows: &[StagedRow]) -> Result<()> {
        self.staged += rows.len() as u64;
        let n = self.dataset.columns.len();
        for r in rows {
            let buf = &mut self.buf;
            if self.direct {
                copy_field(buf, Some(&r.key));
                buf.extend_from_slice(format!("\t{}\t{OPEN}\t{}", self.version, r.row).as_bytes());
            } else {
                buf.extend_from_slice(r.row.to_string().as_bytes());
                buf.push(b'\t');
                copy_field(buf, Some(&r.key));
                buf.extend_from_slice(if r.delete { b"\tt" } else { b"\tf" });
            }
            for i in 0..n {
                buf.push(b'\t');
                copy_field(buf, r.values.get(i).and_then(|v| v.as_deref()));
            }
            buf.push(b'\n');
        }
        if self.buf.len() >= COPY_CHUNK {
            self.flush().await?;
        }
        Ok(())
    }

    async fn duplicate_keys(&mut self, limit: u32) -> Result<Vec<(u64, String)>> {
        if self.direct {
            return self.build_key_index(limit).await;
        }
        self.prepare().await?;
        pairs(
            self.tx(),
            "SELECT s._row AS r, s._key AS v FROM stage s
             WHERE EXISTS (SELECT 1 FROM stage t WHERE t._key = s._key AND t._row < s._row)
             ORDER BY s._row LIMIT $1"
                .into(),
            limit,
        )
        .await
    }

    async fn duplicate_values(&mut self, column: usize, limit: u32) -> Result<Vec<(u64, String)>> {
        self.prepare().await?;
        let c = format!("c{column}");
        let t = table(self.dataset.id);
        if self.direct {
            let sql = format!(
                "SELECT r, v FROM (SELECT _row AS r, {c} AS v, row_number() OVER (PARTITION BY {c} ORDER BY _row) AS n
                   FROM {t} WHERE _to = {OPEN} AND {c} IS NOT NULL) x
                 WHERE n > 1 ORDER BY r LIMIT $1"
            );
            return pairs(self.tx(), sql, limit).await;
        }
        exec_all(
            self.tx(),
            &format!("CREATE INDEX IF NOT EXISTS stage_{c} ON stage({c})"),
        )
        .await?;
        // Repeats within the load, and (for upserts) clashes with current rows the load keeps.
        let kept = if self.mode == LoadMode::Upsert {
            format!(
                " OR EXISTS (SELECT 1 FROM {t} d WHERE d._to = {OPEN} AND d.{c} = s.{c} AND d._key <> s._key
                   AND NOT EXISTS (SELECT 1 FROM stage u WHERE u._key = d._key))"
            )
        } else {
            String::new()
        };
        let sql = format!(
            "SELECT s._row AS r, s.{c} AS v FROM stage s WHERE NOT s._del AND s.{c} IS NOT NULL AND (
               EXISTS (SELECT 1 FROM stage x WHERE NOT x._del AND x.{c} = s.{c} AND x._row < s._row){kept})
             ORDER BY s._row LIMIT $1"
        );
        pairs(self.tx(), sql, limit).await
    }

    async fn missing_references(
        &mut self,
        column: usize,
        target: &Dataset,
        limit: u32,
    ) -> Result<Vec<(u64, String)>> {
        self.prepare().await?;
        let c = format!("c{column}");
        let tt = table(target.id);
        let sql = if self.direct {
            let t = table(self.dataset.id);
            format!(
                "SELECT d._row AS r, d.{c} AS v FROM {t} d WHERE d._to = {OPEN} AND d.{c} IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM {tt} x WHERE x._key = d.{c} AND x._to = {OPEN})
                 ORDER BY d._row LIMIT $1"
            )
        } else {
            format!(
                "SELECT s._row AS r, s.{c} AS v FROM stage s WHERE NOT s._del AND s.{c} IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM {tt} x WHERE x._key = s.{c} AND x._to = {OPEN})
                 ORDER BY s._row LIMIT $1"
            )
        };
        pairs(self.tx(), sql, limit).await
    }

    async fn finish(
        mut self: Box<Self>,
        record: LoadRecord,
        audit: AuditEvent,
    ) -> Result<DatasetVersion> {
        self.prepare().await?;
        let t = table(self.dataset.id);
        let n = self.dataset.columns.len();
        let differs = self.differs();
        let v = self.version;
        let direct = self.direct;
        let tx = self.tx.as_mut().expect("the copy has ended");
        let (inserted, updated, deleted) = if direct {
            exec_all(
                tx,
                // Statistics come from autovacuum's analyse after the commit.
                &format!("CREATE UNIQUE INDEX IF NOT EXISTS {t}_key ON {t}(_key, _to)"),
            )
            .await?;
            (self.staged as i64, 0, 0)
        } else {
            let inserted = count(
                tx,
                &format!("SELECT count(*) FROM stage s WHERE NOT s._del AND NOT EXISTS (SELECT 1 FROM {t} d WHERE d._key = s._key AND d._to = {OPEN})"),
            )
            .await?;
            let updated = count(
                tx,
                &format!("SELECT count(*) FROM stage s JOIN {t} d ON d._key = s._key AND d._to = {OPEN} WHERE NOT s._del AND ({differs})"),
            )
            .await?;
            let gone = match self.mode {
                LoadMode::Replace => "NOT EXISTS (SELECT 1 FROM stage s WHERE s._key = d._key)",
                LoadMode::Upsert => {
                    "EXISTS (SELECT 1 FROM stage s WHERE s._key = d._key AND s._del)"
                }
            };
            let deleted = count(
                tx,
                &format!("SELECT count(*) FROM {t} d WHERE d._to = {OPEN} AND {gone}"),
            )
            .await?;
            // Close changed and deleted rows, then insert new and changed ones.
            sqlx::query(&format!(
                "UPDATE {t} AS d SET _to = $1 WHERE d._to = {OPEN} AND ({gone}
                   OR EXISTS (SELECT 1 FROM stage s WHERE s._key = d._key AND NOT s._del AND ({differs})))"
            ))
            .bind(v)
            .execute(&mut **tx)
            .await?;
            let names: String = cols(n).iter().map(|c| format!(", {c}")).collect();
            sqlx::query(&format!(
                "INSERT INTO {t} (_key, _from, _to, _row{names}) SELECT s._key, $1, {OPEN}, s._row{names_s} FROM stage s
                 WHERE NOT s._del AND NOT EXISTS (SELECT 1 FROM {t} d WHERE d._key = s._key AND d._to = {OPEN})",
                names_s = cols(n).iter().map(|c| format!(", s.{c}")).collect::<String>()
            ))
            .bind(v)
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
            (inserted, updated, deleted)
        };
        let at = now();
        let flagged = record
            .issues
            .iter()
            .map(|i| i.row)
            .collect::<std::collections::BTreeSet<_>>()
            .len() as i64;
        sqlx::query(
            "INSERT INTO dataset_versions (dataset_id, version, mode, source, rows_in, inserted, updated, deleted, flagged, actor, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
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
        .bind(at)
        .execute(&mut **tx)
        .await?;
        if !record.issues.is_empty() {
            let issues = &record.issues;
            sqlx::query(
                "INSERT INTO quality_issues (dataset_id, version, row_no, column_name, value, rule, message)
                 SELECT $1, $2, * FROM unnest($3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[])",
            )
            .bind(self.dataset.id)
            .bind(v)
            .bind(issues.iter().map(|i| i.row as i64).collect::<Vec<_>>())
            .bind(issues.iter().map(|i| i.column.clone()).collect::<Vec<_>>())
            .bind(issues.iter().map(|i| i.value.clone()).collect::<Vec<_>>())
            .bind(issues.iter().map(|i| i.rule.clone()).collect::<Vec<_>>())
            .bind(issues.iter().map(|i| i.message.clone()).collect::<Vec<_>>())
            .execute(&mut **tx)
            .await?;
        }
        let rows_now = self.rows_before + inserted - deleted;
        sqlx::query(
            "UPDATE datasets SET current_version = $1, row_count = $2, last_load_at = $3 WHERE id = $4",
        )
        .bind(v)
        .bind(rows_now)
        .bind(at)
        .bind(self.dataset.id)
        .execute(&mut **tx)
        .await?;
        let mut audit = audit;
        audit.detail["version"] = v.into();
        audit.detail["inserted"] = inserted.into();
        audit.detail["updated"] = updated.into();
        audit.detail["deleted"] = deleted.into();
        append(tx, &audit).await?;
        self.tx.take().expect("the copy has ended").commit().await?;
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
            created_at: at,
        })
    }
}

/// Runs `;`-separated statements one by one (none of them contains a `;`).
async fn exec_all(conn: &mut PgConnection, sql: &str) -> Result<()> {
    for stmt in sql.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        sqlx::query(stmt).execute(&mut *conn).await?;
    }
    Ok(())
}

/// (row, value) pairs of a query over the staged rows.
async fn pairs(conn: &mut PgConnection, sql: String, limit: u32) -> Result<Vec<(u64, String)>> {
    let rows = sqlx::query(&sql)
        .bind(limit as i64)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get::<i64, _>("r")? as u64, r.try_get("v")?)))
        .collect()
}

async fn count(conn: &mut PgConnection, sql: &str) -> Result<i64> {
    Ok(sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(&mut *conn)
        .await?)
}

#[async_trait::async_trait]
impl DatasetStore for PgStore {
    async fn create_dataset(&self, d: NewDataset, audit: AuditEvent) -> Result<Dataset> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
        "INSERT INTO datasets (entry_id, org_id, name, columns, key_columns, frequency, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
    )
    .bind(d.entry_id)
    .bind(d.org_id)
    .bind(&d.name)
    .bind(sqlx::types::Json(&d.columns))
    .bind(sqlx::types::Json(&d.key))
    .bind(d.frequency.as_str())
    .bind(now())
    .fetch_one(&mut *tx)
    .await
    .map_err(db_err)?;
        let ds = rows::dataset(&row)?;
        create_table(&mut tx, &ds).await?;
        let mut audit = audit;
        audit.target = format!("dataset:{}", ds.id);
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(ds)
    }

    async fn get_dataset(&self, id: i64) -> Result<Dataset> {
        let row = sqlx::query("SELECT * FROM datasets WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map(rows::dataset)
            .unwrap_or(Err(StoreError::NotFound))
    }

    async fn list_datasets(
        &self,
        org: Option<i64>,
        before_id: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Dataset>> {
        let mut q = QueryBuilder::<Postgres>::new("SELECT * FROM datasets WHERE true");
        if let Some(o) = org {
            q.push(" AND org_id = ").push_bind(o);
        }
        if let Some(b) = before_id {
            q.push(" AND id < ").push_bind(b);
        }
        q.push(" ORDER BY id DESC LIMIT ").push_bind(limit as i64);
        let rows = q.build().fetch_all(&self.pool).await?;
        rows.iter().map(rows::dataset).collect()
    }

    async fn dataset_versions(&self, id: i64) -> Result<Vec<DatasetVersion>> {
        let rows = sqlx::query(
            "SELECT * FROM dataset_versions WHERE dataset_id = $1 ORDER BY version DESC",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(rows::dataset_version).collect()
    }

    async fn begin_load(&self, dataset: &Dataset, mode: LoadMode) -> Result<Box<dyn DatasetLoad>> {
        let mut tx = self.pool.begin().await?;
        // The dataset row stays locked until the load ends: one load at a time
        // per dataset, whichever server runs it.
        let (current, rows_before): (i64, i64) = sqlx::query_as(
            "SELECT current_version, row_count FROM datasets WHERE id = $1 FOR UPDATE",
        )
        .bind(dataset.id)
        .fetch_one(&mut *tx)
        .await?;
        let t = table(dataset.id);
        // Index builds and the checks' sorts of a large load stay in memory.
        exec_all(
            &mut tx,
            "SET LOCAL maintenance_work_mem = '256MB'; SET LOCAL work_mem = '64MB'",
        )
        .await?;
        let mut direct = false;
        if mode == LoadMode::Replace && rows_before == 0 {
            let has_rows: Option<i32> = sqlx::query_scalar(&format!("SELECT 1 FROM {t} LIMIT 1"))
                .fetch_optional(&mut *tx)
                .await?;
            if has_rows.is_none() {
                exec_all(&mut tx, &format!("DROP INDEX IF EXISTS {t}_key")).await?;
                direct = true;
            }
        }
        if !direct {
            let defs: String = cols(dataset.columns.len())
                .iter()
                .map(|c| format!(", {c} TEXT COLLATE \"C\""))
                .collect();
            exec_all(&mut tx, &format!(
            "DROP TABLE IF EXISTS pg_temp.stage;
             CREATE TEMP TABLE stage (_row BIGINT NOT NULL, _key TEXT COLLATE \"C\" NOT NULL, _del BOOLEAN NOT NULL{defs}) ON COMMIT DROP;"
        )).await?;
        }
        Ok(Box::new(PgLoad {
            tx: Some(tx),
            copier: None,
            dataset: dataset.clone(),
            mode,
            version: current + 1,
            rows_before,
            direct,
            staged: 0,
            prepared: false,
            buf: Vec::with_capacity(1 << 20),
        }))
    }

    async fn dataset_rows(
        &self,
        d: &Dataset,
        version: Option<i64>,
        after_key: Option<&str>,
        limit: u32,
    ) -> Result<Vec<(String, Vec<Option<String>>)>> {
        let t = table(d.id);
        let mut q = QueryBuilder::<Postgres>::new(format!("SELECT * FROM {t} WHERE "));
        match version {
            None => {
                q.push(format!("_to = {OPEN}"));
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
        let rows = q.build().fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| Ok((r.try_get("_key")?, rows::values(r, d.columns.len())?)))
            .collect()
    }

    async fn row_history(
        &self,
        d: &Dataset,
        key: &str,
    ) -> Result<Vec<(i64, Option<i64>, Vec<Option<String>>)>> {
        let rows = sqlx::query(&format!(
            "SELECT * FROM {} WHERE _key = $1 ORDER BY _from",
            table(d.id)
        ))
        .bind(key)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("_from")?,
                    r.try_get("_to")?,
                    rows::values(r, d.columns.len())?,
                ))
            })
            .collect()
    }

    async fn quality_issues(&self, dataset_id: i64, limit: u32) -> Result<Vec<RowError>> {
        let rows = sqlx::query(
        "SELECT * FROM quality_issues WHERE dataset_id = $1 AND version = (SELECT current_version FROM datasets WHERE id = $1)
         ORDER BY row_no, id LIMIT $2",
    )
    .bind(dataset_id)
    .bind(limit as i64)
    .fetch_all(&self.pool)
    .await?;
        rows.iter().map(rows::issue).collect()
    }

    async fn dataset_fill(&self, d: &Dataset) -> Result<(i64, i64)> {
        let n = d.columns.len() as i64;
        if n == 0 {
            return Ok((0, 0));
        }
        let filled: String = cols(d.columns.len())
            .iter()
            .map(|c| format!("({c} IS NOT NULL)::int"))
            .collect::<Vec<_>>()
            .join(" + ");
        let (rows, cells): (i64, Option<i64>) = sqlx::query_as(&format!(
            "SELECT count(*), sum({filled})::bigint FROM {} WHERE _to = {OPEN}",
            table(d.id)
        ))
        .fetch_one(&self.pool)
        .await?;
        Ok((cells.unwrap_or(0), rows * n))
    }

    async fn dataset_row(&self, d: &Dataset, key: &str) -> Result<Option<Vec<Option<String>>>> {
        let row = sqlx::query(&format!(
            "SELECT * FROM {} WHERE _key = $1 AND _to = {OPEN}",
            table(d.id)
        ))
        .bind(key)
        .fetch_optional(&self.pool)
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
        let rows = sqlx::query(&format!(
        "SELECT x._key AS k, x.c{a_col} AS va, y.c{b_col} AS vb FROM {ta} x JOIN {tb} y ON y._key = x._key AND y._to = {OPEN}
         WHERE x._to = {OPEN} AND x.c{a_col} IS DISTINCT FROM y.c{b_col} ORDER BY x._key LIMIT $1"
    ))
    .bind(limit as i64)
    .fetch_all(&self.pool)
    .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("k")?, r.try_get("va")?, r.try_get("vb")?)))
            .collect()
    }

    async fn reference_stats(
        &self,
        d: &Dataset,
        column: usize,
        target: &Dataset,
    ) -> Result<(i64, i64)> {
        let (t, tt) = (table(d.id), table(target.id));
        let (total, resolved): (i64, i64) = sqlx::query_as(&format!(
        "SELECT count(*), count(*) FILTER (WHERE EXISTS (SELECT 1 FROM {tt} x WHERE x._key = d.c{column} AND x._to = {OPEN}))
         FROM {t} d WHERE d._to = {OPEN} AND d.c{column} IS NOT NULL"
    ))
    .fetch_one(&self.pool)
    .await?;
        Ok((resolved, total))
    }
    async fn file_exemption(
        &self,
        org_id: i64,
        entry_id: Option<i64>,
        reason: &str,
        filed_by: &str,
        audit: AuditEvent,
    ) -> Result<Exemption> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "INSERT INTO aggregation_exemptions (org_id, entry_id, reason, filed_by, filed_at)
             VALUES ($1, $2, $3, $4, $5) RETURNING *",
        )
        .bind(org_id)
        .bind(entry_id)
        .bind(reason)
        .bind(filed_by)
        .bind(now())
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let e = rows::exemption(&row)?;
        let mut audit = audit;
        audit.target = format!("exemption:{}", e.id);
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(e)
    }

    async fn exemptions(&self, org: Option<i64>) -> Result<Vec<Exemption>> {
        let mut q = QueryBuilder::<Postgres>::new("SELECT * FROM aggregation_exemptions");
        if let Some(o) = org {
            q.push(" WHERE org_id = ").push_bind(o);
        }
        q.push(" ORDER BY id DESC LIMIT 500");
        let rows = q.build().fetch_all(&self.pool).await?;
        rows.iter().map(rows::exemption).collect()
    }

    async fn put_pull_source(&self, src: &PullSource, audit: AuditEvent) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO pull_sources (dataset_id, url, query, incremental_column, updated_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (dataset_id) DO UPDATE SET url = excluded.url, query = excluded.query,
               incremental_column = excluded.incremental_column, last_value = NULL, last_error = NULL, last_pull_at = NULL,
               updated_at = excluded.updated_at",
        )
        .bind(src.dataset_id)
        .bind(src.url.expose())
        .bind(&src.query)
        .bind(&src.incremental_column)
        .bind(now())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn pull_source(&self, dataset_id: i64) -> Result<Option<PullSource>> {
        let row = sqlx::query("SELECT * FROM pull_sources WHERE dataset_id = $1")
            .bind(dataset_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(rows::pull).transpose()
    }

    async fn pull_sources(&self) -> Result<Vec<PullSource>> {
        let rows = sqlx::query("SELECT * FROM pull_sources ORDER BY dataset_id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(rows::pull).collect()
    }

    async fn record_pull(
        &self,
        dataset_id: i64,
        last_value: Option<&str>,
        error: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE pull_sources SET last_pull_at = $1, last_error = $2, last_value = COALESCE($3, last_value) WHERE dataset_id = $4",
        )
        .bind(now())
        .bind(error)
        .bind(last_value)
        .bind(dataset_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn base_tables(&self) -> Result<Vec<BaseTable>> {
        let rows = sqlx::query("SELECT code, name, key_name FROM base_tables ORDER BY position")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(rows::base_table).collect()
    }

    async fn base_fields(&self, base: &str) -> Result<Vec<BaseField>> {
        let rows = sqlx::query(
            "SELECT * FROM base_fields WHERE base_code = $1 ORDER BY created_at, field",
        )
        .bind(base)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(rows::base_field).collect()
    }

    async fn add_base_field(&self, f: &BaseField, audit: AuditEvent) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO base_fields (base_code, field, dataset_id, source_column, org_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&f.base_code)
        .bind(&f.field)
        .bind(f.dataset_id)
        .bind(&f.source_column)
        .bind(f.org_id)
        .bind(now())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_dataset_last_load(&self, id: i64, at: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE datasets SET last_load_at = $1 WHERE id = $2")
            .bind(at)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
