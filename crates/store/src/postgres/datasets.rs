//! PostgreSQL storage of datasets: the same layout as SQLite's — one table
//! `ds_<id>` per dataset, columns `c0…cN` as canonical text, `_key` and the
//! version range `_from`/`_to` of each row — loaded with `COPY`.
//!
//! Dataset tables have no foreign keys and every query reaches them by
//! `_key`, their distribution column when sharded with Citus
//! (`SELECT create_distributed_table('ds_<id>', '_key')`, docs/SCALING.md).

use async_trait::async_trait;
use pubdata_domain::audit::AuditEvent;
use pubdata_domain::dataset::Rule;
use sqlx::{PgConnection, Postgres, Row, Transaction};

use super::{PgStore, append, copy_field, db_err, now};
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

/// The PostgreSQL side of a load: `COPY` (the rest of the dataset store is
/// written once, in `queries/datasets.rs`).
impl PgStore {
    pub(crate) async fn start_load(
        &self,
        dataset: &Dataset,
        mode: LoadMode,
    ) -> Result<Box<dyn DatasetLoad>> {
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
}
