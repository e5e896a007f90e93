//! PostgreSQL storage of datasets: the same layout as SQLite's — one table
//! `ds_<id>` per dataset, columns `c0…cN` as canonical text, `_key` and the
//! version range `_from`/`_to` of each row — loaded with `COPY`.
//!
//! Dataset tables have no foreign keys and every query reaches them by
//! `_key`, their distribution column when sharded with Citus
//! (`SELECT create_distributed_table('ds_<id>', '_key')`, docs/SCALING.md).

use async_trait::async_trait;
use pubdata_domain::audit::AuditEvent;
use sqlx::{PgConnection, Postgres, Transaction};

use super::{PgStore, copy_field};
use crate::queries::load::{
    LoadState, OPEN, POSTGRES, cols, dataset_indexes, key_index, pairs, table,
};
use crate::sql::Dialect;
use crate::*;

/// Creates the table `ds_<id>` of a dataset with its key and unique-column indexes.
pub async fn create_table(conn: &mut PgConnection, ds: &Dataset) -> Result<()> {
    let t = table(ds.id);
    let defs: String = cols(ds.columns.len())
        .iter()
        .map(|c| format!(", {c} TEXT COLLATE \"C\""))
        .collect();
    // Text compares bytewise (COLLATE "C"): the same order as SQLite's, and
    // keys compare with values of other datasets' columns without a clash.
    let ddl = format!(
        "CREATE TABLE {t} (_key TEXT COLLATE \"C\" NOT NULL, _from BIGINT NOT NULL, _to BIGINT NOT NULL, _row BIGINT NOT NULL{defs});
         {}",
        dataset_indexes(ds)
    );
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
    /// A direct load copies its rows straight into the dataset table.
    load: LoadState,
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
            let n = self.load.dataset.columns.len();
            let names: String = cols(n).iter().map(|c| format!(", {c}")).collect();
            let sql = if self.load.direct {
                format!(
                    "COPY {} (_key, _from, _to, _row{names}) FROM STDIN",
                    self.load.table()
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
        if !self.prepared && !self.load.direct {
            exec_all(
                self.tx(),
                "CREATE INDEX ON stage (_key, _row); ANALYZE stage;",
            )
            .await?;
        }
        self.prepared = true;
        Ok(())
    }

    /// Builds the key index of a direct load; repeated keys make it fail
    /// (rolled back to a savepoint), and are then listed by row.
    async fn build_key_index(&mut self, limit: u32) -> Result<Vec<(u64, String)>> {
        self.prepare().await?;
        let t = self.load.table();
        sqlx::query("SAVEPOINT key_index")
            .execute(&mut **self.tx())
            .await?;
        match sqlx::query(&key_index(&t)).execute(&mut **self.tx()).await {
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
                pairs(self.tx(), POSTGRES.repeated_keys(&t, limit)).await
            }
            Err(e) => Err(e.into()),
        }
    }
}

#[async_trait]
impl DatasetLoad for PgLoad {
    async fn stage(&mut self, rows: &[StagedRow]) -> Result<()> {
        self.load.staged += rows.len() as u64;
        let n = self.load.dataset.columns.len();
        for r in rows {
            let buf = &mut self.buf;
            if self.load.direct {
                copy_field(buf, Some(&r.key));
                buf.extend_from_slice(
                    format!("\t{}\t{OPEN}\t{}", self.load.version, r.row).as_bytes(),
                );
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
        if self.load.direct {
            return self.build_key_index(limit).await;
        }
        self.prepare().await?;
        pairs(self.tx(), POSTGRES.staged_repeated_keys(limit)).await
    }

    async fn duplicate_values(&mut self, column: usize, limit: u32) -> Result<Vec<(u64, String)>> {
        self.prepare().await?;
        let t = self.load.table();
        if self.load.direct {
            return pairs(self.tx(), POSTGRES.repeated_values(&t, column, limit)).await;
        }
        exec_all(
            self.tx(),
            &format!("CREATE INDEX IF NOT EXISTS stage_c{column} ON stage(c{column})"),
        )
        .await?;
        let q = POSTGRES.staged_repeated_values(&t, column, self.load.mode, limit);
        pairs(self.tx(), q).await
    }

    async fn missing_references(
        &mut self,
        column: usize,
        target: &Dataset,
        limit: u32,
    ) -> Result<Vec<(u64, String)>> {
        self.prepare().await?;
        let direct = self.load.direct_table();
        let q = POSTGRES.missing_references(direct.as_deref(), column, target, limit);
        pairs(self.tx(), q).await
    }

    async fn finish(
        mut self: Box<Self>,
        record: LoadRecord,
        audit: AuditEvent,
    ) -> Result<DatasetVersion> {
        self.prepare().await?;
        let tx = self.tx.as_mut().expect("the copy has ended");
        let version = POSTGRES
            .finish(tx, PgStore::FOR_UPDATE, &self.load, record, audit)
            .await?;
        self.tx.take().expect("the copy has ended").commit().await?;
        Ok(version)
    }
}

/// Runs `;`-separated statements one by one (none of them contains a `;`).
async fn exec_all(conn: &mut PgConnection, sql: &str) -> Result<()> {
    for stmt in sql.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        sqlx::query(stmt).execute(&mut *conn).await?;
    }
    Ok(())
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
            load: LoadState::new(dataset, mode, current, rows_before, direct),
            prepared: false,
            buf: Vec::with_capacity(1 << 20),
        }))
    }
}
