//! The SQL of bulk loads, written once for every load path: PostgreSQL's
//! `COPY` load (`postgres/datasets.rs`), SQLite's sqlx load
//! (`sqlite/datasets.rs`) and its rusqlite first load (`sqlite/load.rs`).
//! Each path runs these statements with its own driver; their text differs
//! between the backends only where [`LoadSql`] says.
//!
//! A load either fills an empty dataset table directly (a first load:
//! "direct"), or stages its rows in a temporary table `stage` (`_row`,
//! `_key`, `_del`, `c0…cN`) and merges them into the dataset table at the
//! end. The checks (repeated keys, repeated `unique` values, references to
//! other datasets) answer (row, value) pairs in row order, their only
//! parameter the limit.

use std::collections::BTreeSet;

use pubdata_domain::audit::AuditEvent;
use pubdata_domain::dataset::{RowError, Rule};

use crate::rows::Cols;
use crate::sql::{Exec, Sql, append, now, sql};
use crate::*;

/// `_to` of a current row: "valid until further notice".
pub(crate) const OPEN: i64 = i64::MAX;

/// The table of a dataset's rows.
pub(crate) fn table(id: i64) -> String {
    format!("ds_{id}")
}

/// `c0`, `c1`, … for `n` columns.
pub(crate) fn cols(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("c{i}")).collect()
}

/// What the text of a load's SQL differs in between the backends.
pub(crate) struct LoadSql {
    /// The staging table of a load into a dataset with rows.
    pub(crate) stage: &'static str,
    /// Repeated values of a direct load's column are found by a window over
    /// a sort (PostgreSQL) rather than through the column's index (SQLite).
    pub(crate) window_repeats: bool,
}

/// SQLite: the staging table is in the connection's `temp` schema.
pub(crate) const SQLITE: LoadSql = LoadSql {
    stage: "temp.stage",
    window_repeats: false,
};

/// PostgreSQL: the staging table is a `TEMP` table (dropped on commit).
pub(crate) const POSTGRES: LoadSql = LoadSql {
    stage: "stage",
    window_repeats: true,
};

/// A check query bound to its limit.
fn check(text: String, limit: u32) -> Sql {
    sql(text).bind(limit as i64)
}

/// `s.c0 IS DISTINCT FROM d.c0 OR …`: the staged row differs from the stored one.
fn differs(n: usize) -> String {
    if n == 0 {
        return "false".into();
    }
    cols(n)
        .iter()
        .map(|c| format!("s.{c} IS DISTINCT FROM d.{c}"))
        .collect::<Vec<_>>()
        .join(" OR ")
}

impl LoadSql {
    /// The rows the load keeps, as `s`: the current rows of a direct load's
    /// table, else the staged rows that are not deletions.
    fn kept_rows(&self, direct: Option<&str>) -> String {
        match direct {
            Some(t) => format!("{t} s WHERE s._to = {OPEN}"),
            None => format!("{} s WHERE NOT s._del", self.stage),
        }
    }

    /// Repeated keys of a direct load into `t` (after its unique key index
    /// could not be built), by row.
    pub(crate) fn repeated_keys(&self, t: &str, limit: u32) -> Sql {
        check(
            format!(
                "SELECT _row AS r, _key AS v FROM (SELECT _row, _key, row_number() OVER (PARTITION BY _key ORDER BY _row) AS n FROM {t}) x
                 WHERE n > 1 ORDER BY _row LIMIT ?"
            ),
            limit,
        )
    }

    /// Repeated keys among the staged rows, by row.
    pub(crate) fn staged_repeated_keys(&self, limit: u32) -> Sql {
        let stage = self.stage;
        check(
            format!(
                "SELECT s._row AS r, s._key AS v FROM {stage} s
                 WHERE EXISTS (SELECT 1 FROM {stage} t WHERE t._key = s._key AND t._row < s._row)
                 ORDER BY s._row LIMIT ?"
            ),
            limit,
        )
    }

    /// Repeated values of column `column` among a direct load's rows in `t`.
    pub(crate) fn repeated_values(&self, t: &str, column: usize, limit: u32) -> Sql {
        let c = format!("c{column}");
        let text = if self.window_repeats {
            format!(
                "SELECT r, v FROM (SELECT _row AS r, {c} AS v, row_number() OVER (PARTITION BY {c} ORDER BY _row) AS n
                   FROM {t} WHERE _to = {OPEN} AND {c} IS NOT NULL) x
                 WHERE n > 1 ORDER BY r LIMIT ?"
            )
        } else {
            format!(
                "SELECT d._row AS r, d.{c} AS v FROM {t} d WHERE d._to = {OPEN} AND d.{c} IS NOT NULL
                   AND EXISTS (SELECT 1 FROM {t} x WHERE x._to = {OPEN} AND x.{c} = d.{c} AND x._row < d._row)
                 ORDER BY d._row LIMIT ?"
            )
        };
        check(text, limit)
    }

    /// Repeated values of column `column` among the staged rows, and (for
    /// upserts) clashes with current rows of `t` the load keeps.
    pub(crate) fn staged_repeated_values(
        &self,
        t: &str,
        column: usize,
        mode: LoadMode,
        limit: u32,
    ) -> Sql {
        let (c, stage) = (format!("c{column}"), self.stage);
        let kept = if mode == LoadMode::Upsert {
            format!(
                " OR EXISTS (SELECT 1 FROM {t} d WHERE d._to = {OPEN} AND d.{c} = s.{c} AND d._key <> s._key
                   AND NOT EXISTS (SELECT 1 FROM {stage} u WHERE u._key = d._key))"
            )
        } else {
            String::new()
        };
        check(
            format!(
                "SELECT s._row AS r, s.{c} AS v FROM {stage} s WHERE NOT s._del AND s.{c} IS NOT NULL AND (
                   EXISTS (SELECT 1 FROM {stage} x WHERE NOT x._del AND x.{c} = s.{c} AND x._row < s._row){kept})
                 ORDER BY s._row LIMIT ?"
            ),
            limit,
        )
    }

    /// Values of column `column` that name no current row of `target`: in
    /// the direct load's table `direct`, else among the staged rows.
    pub(crate) fn missing_references(
        &self,
        direct: Option<&str>,
        column: usize,
        target: &Dataset,
        limit: u32,
    ) -> Sql {
        let (c, tt) = (format!("c{column}"), table(target.id));
        check(
            format!(
                "SELECT s._row AS r, s.{c} AS v FROM {rows} AND s.{c} IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM {tt} x WHERE x._key = s.{c} AND x._to = {OPEN})
                 ORDER BY s._row LIMIT ?",
                rows = self.kept_rows(direct)
            ),
            limit,
        )
    }

    /// Merges the staged rows into the dataset table `t`: closes changed
    /// and deleted rows, inserts new and changed ones, drops the staging
    /// table.
    async fn merge<E: Exec>(&self, tx: &mut E, t: &str, l: &LoadState) -> Result<Counts> {
        let (stage, n, v) = (self.stage, l.dataset.columns.len(), l.version);
        let differs = differs(n);
        let inserted = count(
            tx,
            format!("SELECT count(*) AS n FROM {stage} s WHERE NOT s._del AND NOT EXISTS (SELECT 1 FROM {t} d WHERE d._key = s._key AND d._to = {OPEN})"),
        )
        .await?;
        let updated = count(
            tx,
            format!("SELECT count(*) AS n FROM {stage} s JOIN {t} d ON d._key = s._key AND d._to = {OPEN} WHERE NOT s._del AND ({differs})"),
        )
        .await?;
        let gone = match l.mode {
            LoadMode::Replace => {
                format!("NOT EXISTS (SELECT 1 FROM {stage} s WHERE s._key = d._key)")
            }
            LoadMode::Upsert => {
                format!("EXISTS (SELECT 1 FROM {stage} s WHERE s._key = d._key AND s._del)")
            }
        };
        let deleted = count(
            tx,
            format!("SELECT count(*) AS n FROM {t} d WHERE d._to = {OPEN} AND {gone}"),
        )
        .await?;
        tx.run(
            sql(format!(
                "UPDATE {t} AS d SET _to = ? WHERE d._to = {OPEN} AND ({gone}
                   OR EXISTS (SELECT 1 FROM {stage} s WHERE s._key = d._key AND NOT s._del AND ({differs})))"
            ))
            .bind(v),
        )
        .await?;
        let names: String = cols(n).iter().map(|c| format!(", {c}")).collect();
        let names_s: String = cols(n).iter().map(|c| format!(", s.{c}")).collect();
        tx.run(
            sql(format!(
                "INSERT INTO {t} (_key, _from, _to, _row{names}) SELECT s._key, ?, {OPEN}, s._row{names_s} FROM {stage} s
                 WHERE NOT s._del AND NOT EXISTS (SELECT 1 FROM {t} d WHERE d._key = s._key AND d._to = {OPEN})"
            ))
            .bind(v),
        )
        .await?;
        tx.script(&format!("DROP TABLE {stage}")).await?;
        Ok((inserted, updated, deleted))
    }
}

async fn count<E: Exec>(tx: &mut E, text: String) -> Result<i64> {
    tx.one(sql(text)).await?.int("n")
}

/// Runs a check query: its (row, value) pairs.
pub(crate) async fn pairs<E: Exec>(tx: &mut E, q: Sql) -> Result<Vec<(u64, String)>> {
    let rows = tx.all(q).await?;
    rows.iter()
        .map(|r| Ok((r.int("r")? as u64, r.text("v")?)))
        .collect()
}

/// Rows of quality issues to a statement: SQLite allows 32,766 bound
/// parameters, PostgreSQL 65,535; an issue binds 7.
const ISSUES_PER_INSERT: usize = 4_000;

/// What every load path keeps of its load.
pub(crate) struct LoadState {
    pub(crate) dataset: Dataset,
    pub(crate) mode: LoadMode,
    /// The version this load creates.
    pub(crate) version: i64,
    pub(crate) rows_before: i64,
    /// First load into an empty dataset: rows go straight into the dataset
    /// table (invisible until commit), indexed once at the end; no staging
    /// table.
    pub(crate) direct: bool,
    /// Rows the load was given.
    pub(crate) staged: u64,
}

impl LoadState {
    /// A load of `dataset` that creates the version after `current`.
    pub(crate) fn new(
        dataset: &Dataset,
        mode: LoadMode,
        current: i64,
        rows_before: i64,
        direct: bool,
    ) -> LoadState {
        LoadState {
            dataset: dataset.clone(),
            mode,
            version: current + 1,
            rows_before,
            direct,
            staged: 0,
        }
    }

    /// The dataset's table.
    pub(crate) fn table(&self) -> String {
        table(self.dataset.id)
    }

    /// The table of a direct load's rows; `None` when they are staged.
    pub(crate) fn direct_table(&self) -> Option<String> {
        self.direct.then(|| self.table())
    }
}

/// What a load did: rows inserted, updated and deleted.
pub(crate) type Counts = (i64, i64, i64);

/// The statements that record a load's version, its quality issues and the
/// dataset's new counters (the audit record is appended after them), and
/// the version as recorded.
pub(crate) fn version_statements(
    l: &LoadState,
    (inserted, updated, deleted): Counts,
    record: LoadRecord,
) -> (Vec<Sql>, DatasetVersion) {
    let (id, v) = (l.dataset.id, l.version);
    let at = now();
    let flagged = record
        .issues
        .iter()
        .map(|i| i.row)
        .collect::<BTreeSet<_>>()
        .len() as i64;
    let mut statements = vec![
        sql("INSERT INTO dataset_versions (dataset_id, version, mode, source, rows_in, inserted, updated, deleted, flagged, actor, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(id)
        .bind(v)
        .bind(record.channel)
        .bind(&record.source)
        .bind(l.staged as i64)
        .bind(inserted)
        .bind(updated)
        .bind(deleted)
        .bind(flagged)
        .bind(&record.actor)
        .bind(at),
    ];
    for chunk in record.issues.chunks(ISSUES_PER_INSERT) {
        let mut q = sql(
            "INSERT INTO quality_issues (dataset_id, version, row_no, column_name, value, rule, message) VALUES ",
        );
        for (k, i) in chunk.iter().enumerate() {
            let RowError {
                row,
                column,
                value,
                rule,
                message,
            } = i;
            if k > 0 {
                q.push(", ");
            }
            q.push("(")
                .push_bind(id)
                .push(", ")
                .push_bind(v)
                .push(", ")
                .push_bind(*row as i64)
                .push(", ")
                .push_bind(column)
                .push(", ")
                .push_bind(value)
                .push(", ")
                .push_bind(rule)
                .push(", ")
                .push_bind(message)
                .push(")");
        }
        statements.push(q);
    }
    statements.push(
        sql(
            "UPDATE datasets SET current_version = ?, row_count = ?, last_load_at = ? WHERE id = ?",
        )
        .bind(v)
        .bind(l.rows_before + inserted - deleted)
        .bind(at)
        .bind(id),
    );
    let version = DatasetVersion {
        version: v,
        mode: record.channel.into(),
        source: record.source,
        rows_in: l.staged as i64,
        inserted,
        updated,
        deleted,
        flagged,
        actor: record.actor,
        created_at: at,
    };
    (statements, version)
}

/// The load's audit record, completed with what the load did.
pub(crate) fn load_audit(l: &LoadState, counts: Counts, audit: AuditEvent) -> AuditEvent {
    let (inserted, updated, deleted) = counts;
    let mut audit = audit;
    audit.detail["version"] = l.version.into();
    audit.detail["inserted"] = inserted.into();
    audit.detail["updated"] = updated.into();
    audit.detail["deleted"] = deleted.into();
    audit
}

/// `CREATE UNIQUE INDEX … {t}_key`: the key index of the dataset table `t`
/// (one current row a key).
pub(crate) fn key_index(t: &str) -> String {
    format!("CREATE UNIQUE INDEX IF NOT EXISTS {t}_key ON {t}(_key, _to)")
}

/// The indexes of a new dataset's table: its key, and each `unique`
/// column's current values; `;`-terminated statements.
pub(crate) fn dataset_indexes(ds: &Dataset) -> String {
    let t = table(ds.id);
    let mut ddl = format!("{};", key_index(&t));
    for (i, c) in ds.columns.iter().enumerate() {
        if c.checks.iter().any(|k| k.rule == Rule::Unique) {
            ddl.push_str(&format!(
                "CREATE INDEX {t}_c{i} ON {t}(c{i}) WHERE _to = {OPEN};"
            ));
        }
    }
    ddl
}

impl LoadSql {
    /// Ends a load in `tx` once its checks passed: a direct load's key
    /// index, else the merge of the staged rows; then the version, quality
    /// issues, counters and audit record (the caller commits).
    pub(crate) async fn finish<E: Exec>(
        &self,
        tx: &mut E,
        for_update: &str,
        l: &LoadState,
        record: LoadRecord,
        audit: AuditEvent,
    ) -> Result<DatasetVersion> {
        let t = l.table();
        let counts = if l.direct {
            // (PostgreSQL: statistics come from autovacuum's analyse after the commit.)
            tx.script(&key_index(&t)).await?;
            (l.staged as i64, 0, 0)
        } else {
            self.merge(tx, &t, l).await?
        };
        let (statements, version) = version_statements(l, counts, record);
        for q in statements {
            tx.run(q).await?;
        }
        append(tx, for_update, &load_audit(l, counts, audit)).await?;
        Ok(version)
    }
}
