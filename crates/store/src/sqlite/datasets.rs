//! SQLite storage of datasets: one table `ds_<id>` per dataset, columns
//! `c0…cN` as canonical text, `_key` (the canonical key) and the version
//! range `_from`/`_to` of each row. A row is current while `_to` is NULL; a
//! change closes the old row and inserts the new one, a deletion only closes
//! it, so every past version can be read and nothing is lost unrecorded.

use async_trait::async_trait;
use pubdata_domain::audit::AuditEvent;
use sqlx::{Sqlite, Transaction};

use super::SqliteStore;
use crate::queries::load::{
    LoadState, OPEN, SQLITE, cols, dataset_indexes, key_index, pairs, table,
};
use crate::sql::Dialect;
use crate::*;

/// SQLite allows 32,766 bound parameters per statement.
const MAX_PARAMS: usize = 32_000;
/// Rows per multi-row INSERT (fewer when a row has many columns).
const BATCH_ROWS: usize = 500;

struct SqliteLoad {
    tx: Transaction<'static, Sqlite>,
    load: LoadState,
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
        if !self.indexed && !self.load.direct {
            exec_all(
                &mut self.tx,
                "CREATE INDEX temp.stage_key ON stage(_key, _row);",
            )
            .await?;
            self.indexed = true;
        }
        Ok(())
    }

    /// Appends rows straight into the (empty, unindexed) dataset table.
    async fn insert_direct(&mut self, rows: &[StagedRow]) -> Result<()> {
        let n = self.load.dataset.columns.len();
        let t = self.load.table();
        let names = format!(
            "_key, _from, _to, _row{}",
            cols(n).iter().map(|c| format!(", {c}")).collect::<String>()
        );
        // The version range is the same for every row of the load: written
        // into the statement, not bound per row.
        let one = format!("(?, {}, {OPEN}, ?{})", self.load.version, ", ?".repeat(n));
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
        let t = self.load.table();
        match sqlx::query(&key_index(&t)).execute(&mut *self.tx).await {
            Ok(_) => Ok(vec![]),
            Err(e)
                if e.as_database_error()
                    .is_some_and(|d| d.is_unique_violation()) =>
            {
                pairs(&mut self.tx, SQLITE.repeated_keys(&t, limit)).await
            }
            Err(e) => Err(e.into()),
        }
    }
}

#[async_trait]
impl DatasetLoad for SqliteLoad {
    async fn stage(&mut self, rows: &[StagedRow]) -> Result<()> {
        self.load.staged += rows.len() as u64;
        if self.load.direct {
            return self.insert_direct(rows).await;
        }
        let n = self.load.dataset.columns.len();
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
        if self.load.direct {
            return self.build_key_index(limit).await;
        }
        self.index().await?;
        pairs(&mut self.tx, SQLITE.staged_repeated_keys(limit)).await
    }

    async fn duplicate_values(&mut self, column: usize, limit: u32) -> Result<Vec<(u64, String)>> {
        let t = self.load.table();
        if self.load.direct {
            return pairs(&mut self.tx, SQLITE.repeated_values(&t, column, limit)).await;
        }
        self.index().await?;
        exec_all(
            &mut self.tx,
            &format!("CREATE INDEX IF NOT EXISTS temp.stage_c{column} ON stage(c{column});"),
        )
        .await?;
        let q = SQLITE.staged_repeated_values(&t, column, self.load.mode, limit);
        pairs(&mut self.tx, q).await
    }

    async fn missing_references(
        &mut self,
        column: usize,
        target: &Dataset,
        limit: u32,
    ) -> Result<Vec<(u64, String)>> {
        let direct = self.load.direct_table();
        let q = SQLITE.missing_references(direct.as_deref(), column, target, limit);
        pairs(&mut self.tx, q).await
    }

    async fn finish(
        mut self: Box<Self>,
        record: LoadRecord,
        audit: AuditEvent,
    ) -> Result<DatasetVersion> {
        self.index().await?;
        let version = SQLITE
            .finish(
                &mut self.tx,
                SqliteStore::FOR_UPDATE,
                &self.load,
                record,
                audit,
            )
            .await?;
        self.tx.commit().await?;
        Ok(version)
    }
}

/// Runs `;`-separated statements one by one (none of them contains a `;`).
async fn exec_all(conn: &mut sqlx::SqliteConnection, sql: &str) -> Result<()> {
    for stmt in sql.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        sqlx::query(stmt).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Creates the table `ds_<id>` of a dataset with its key and unique-column indexes.
pub(crate) async fn create_table(conn: &mut sqlx::SqliteConnection, ds: &Dataset) -> Result<()> {
    let t = table(ds.id);
    let defs: Vec<String> = cols(ds.columns.len())
        .iter()
        .map(|c| format!("{c} TEXT"))
        .collect();
    let ddl = format!(
        "CREATE TABLE {t} (_key TEXT NOT NULL, _from INTEGER NOT NULL, _to INTEGER NOT NULL, _row INTEGER NOT NULL{}{});
         {}",
        if defs.is_empty() { "" } else { ", " },
        defs.join(", "),
        dataset_indexes(ds)
    );
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
            load: LoadState::new(dataset, mode, current, rows_before, direct),
            indexed: false,
        }))
    }
}
