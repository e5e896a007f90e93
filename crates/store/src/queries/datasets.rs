//! Datasets, quality, pulls, exemptions and base databases (AGG-1 … AGG-3,
//! QLT-1, BASE-1). A dataset's rows live in its own table `ds_<id>` (columns
//! `c0…cN` as canonical text, `_key`, `_row` and the version range
//! `_from`/`_to`): reads of them are `contents.rs`, their DDL and bulk loads
//! the backends'.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pubdata_domain::audit::AuditEvent;
use pubdata_domain::dataset::RowError;

use super::audit;
use crate::rows;
use crate::sql::{Arg, Dialect, Exec, Tx, now, sql};
use crate::*;

#[async_trait]
impl<D: Dialect> DatasetStore for D {
    async fn create_dataset(&self, d: NewDataset, audit_event: AuditEvent) -> Result<Dataset> {
        let mut tx = self.begin().await?;
        let row = tx
            .one(
                sql("INSERT INTO datasets (entry_id, org_id, name, columns, key_columns, frequency, created_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *")
                .bind(d.entry_id)
                .bind(d.org_id)
                .bind(&d.name)
                .bind(Arg::json(&d.columns))
                .bind(Arg::json(&d.key))
                .bind(d.frequency.as_str())
                .bind(now()),
            )
            .await?;
        let ds = rows::dataset(&row)?;
        D::create_dataset_table(&mut tx, &ds).await?;
        let mut e = audit_event;
        e.target = format!("dataset:{}", ds.id);
        audit::<D>(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(ds)
    }

    async fn get_dataset(&self, id: i64) -> Result<Dataset> {
        let row = self
            .reader()
            .one(sql("SELECT * FROM datasets WHERE id = ?").bind(id))
            .await?;
        rows::dataset(&row)
    }

    async fn dataset_of_entry(&self, entry_id: i64) -> Result<Option<Dataset>> {
        let row = self
            .reader()
            .opt(
                sql("SELECT * FROM datasets WHERE entry_id = ? ORDER BY id DESC LIMIT 1")
                    .bind(entry_id),
            )
            .await?;
        row.as_ref().map(rows::dataset).transpose()
    }

    async fn list_datasets(
        &self,
        org: Option<i64>,
        before_id: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Dataset>> {
        let mut q = sql("SELECT * FROM datasets WHERE 1 = 1");
        if let Some(o) = org {
            q.push(" AND org_id = ").push_bind(o);
        }
        if let Some(b) = before_id {
            q.push(" AND id < ").push_bind(b);
        }
        q.push(" ORDER BY id DESC LIMIT ").push_bind(limit as i64);
        let rows = self.reader().all(q).await?;
        rows.iter().map(rows::dataset).collect()
    }

    async fn search_datasets(
        &self,
        org: Option<i64>,
        term: &str,
        before_id: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Dataset>> {
        // LIKE with `\` escaping `%` and `_`, on lower-cased text: the same on both backends.
        let escaped = term
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let pattern = format!("%{escaped}%");
        let mut q = sql(
            "SELECT d.* FROM datasets d JOIN catalog_entries e ON e.id = d.entry_id \
             WHERE (lower(d.name) LIKE ",
        );
        q.push_bind(pattern.clone())
            .push(" ESCAPE '\\' OR lower(e.name) LIKE ")
            .push_bind(pattern)
            .push(" ESCAPE '\\')");
        if let Some(o) = org {
            q.push(" AND d.org_id = ").push_bind(o);
        }
        if let Some(b) = before_id {
            q.push(" AND d.id < ").push_bind(b);
        }
        q.push(" ORDER BY d.id DESC LIMIT ").push_bind(limit as i64);
        let rows = self.reader().all(q).await?;
        rows.iter().map(rows::dataset).collect()
    }

    async fn dataset_versions(&self, id: i64) -> Result<Vec<DatasetVersion>> {
        let rows = self
            .reader()
            .all(
                sql("SELECT * FROM dataset_versions WHERE dataset_id = ? ORDER BY version DESC")
                    .bind(id),
            )
            .await?;
        rows.iter().map(rows::dataset_version).collect()
    }

    async fn begin_load(&self, dataset: &Dataset, mode: LoadMode) -> Result<Box<dyn DatasetLoad>> {
        Dialect::begin_load(self, dataset, mode).await
    }

    async fn quality_issues(&self, dataset_id: i64, limit: u32) -> Result<Vec<RowError>> {
        let rows = self
            .reader()
            .all(
                sql("SELECT * FROM quality_issues WHERE dataset_id = ?
                       AND version = (SELECT current_version FROM datasets WHERE id = ?)
                     ORDER BY row_no, id LIMIT ?")
                .bind(dataset_id)
                .bind(dataset_id)
                .bind(limit as i64),
            )
            .await?;
        rows.iter().map(rows::issue).collect()
    }

    async fn set_dataset_last_load(&self, id: i64, at: DateTime<Utc>) -> Result<()> {
        self.writer()
            .run(
                sql("UPDATE datasets SET last_load_at = ? WHERE id = ?")
                    .bind(at)
                    .bind(id),
            )
            .await?;
        Ok(())
    }

    async fn file_exemption(
        &self,
        org_id: i64,
        entry_id: Option<i64>,
        reason: &str,
        filed_by: &str,
        audit_event: AuditEvent,
    ) -> Result<Exemption> {
        let mut tx = self.begin().await?;
        let row = tx
            .one(
                sql("INSERT INTO aggregation_exemptions (org_id, entry_id, reason, filed_by, filed_at)
                     VALUES (?, ?, ?, ?, ?) RETURNING *")
                .bind(org_id)
                .bind(entry_id)
                .bind(reason)
                .bind(filed_by)
                .bind(now()),
            )
            .await?;
        let ex = rows::exemption(&row)?;
        let mut e = audit_event;
        e.target = format!("exemption:{}", ex.id);
        audit::<D>(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(ex)
    }

    async fn exemptions(&self, org: Option<i64>) -> Result<Vec<Exemption>> {
        let mut q = sql("SELECT * FROM aggregation_exemptions");
        if let Some(o) = org {
            q.push(" WHERE org_id = ").push_bind(o);
        }
        q.push(" ORDER BY id DESC LIMIT 500");
        let rows = self.reader().all(q).await?;
        rows.iter().map(rows::exemption).collect()
    }

    async fn put_pull_source(&self, src: &PullSource, audit_event: AuditEvent) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.run(
            sql(
                "INSERT INTO pull_sources (dataset_id, url, query, incremental_column, updated_at)
                 VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT (dataset_id) DO UPDATE SET url = excluded.url, query = excluded.query,
                   incremental_column = excluded.incremental_column, last_value = NULL,
                   last_error = NULL, last_pull_at = NULL, updated_at = excluded.updated_at",
            )
            .bind(src.dataset_id)
            .bind(src.url.expose())
            .bind(&src.query)
            .bind(&src.incremental_column)
            .bind(now()),
        )
        .await?;
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn pull_source(&self, dataset_id: i64) -> Result<Option<PullSource>> {
        let row = self
            .reader()
            .opt(sql("SELECT * FROM pull_sources WHERE dataset_id = ?").bind(dataset_id))
            .await?;
        row.as_ref().map(rows::pull).transpose()
    }

    async fn pull_sources(&self) -> Result<Vec<PullSource>> {
        let rows = self
            .reader()
            .all(sql("SELECT * FROM pull_sources ORDER BY dataset_id"))
            .await?;
        rows.iter().map(rows::pull).collect()
    }

    async fn record_pull(
        &self,
        dataset_id: i64,
        last_value: Option<&str>,
        error: Option<&str>,
    ) -> Result<()> {
        self.writer()
            .run(
                sql("UPDATE pull_sources SET last_pull_at = ?, last_error = ?,
                        last_value = COALESCE(?, last_value)
                     WHERE dataset_id = ?")
                .bind(now())
                .bind(error)
                .bind(last_value)
                .bind(dataset_id),
            )
            .await?;
        Ok(())
    }

    async fn base_tables(&self) -> Result<Vec<BaseTable>> {
        let rows = self
            .reader()
            .all(sql(
                "SELECT code, name, key_name FROM base_tables ORDER BY position, code",
            ))
            .await?;
        rows.iter().map(rows::base_table).collect()
    }

    async fn base_fields(&self, base: &str) -> Result<Vec<BaseField>> {
        let rows = self
            .reader()
            .all(
                sql("SELECT * FROM base_fields WHERE base_code = ? ORDER BY created_at, field")
                    .bind(base),
            )
            .await?;
        rows.iter().map(rows::base_field).collect()
    }

    async fn add_base_field(&self, f: &BaseField, audit_event: AuditEvent) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.run(
            sql("INSERT INTO base_fields (base_code, field, dataset_id, source_column, org_id, created_at)
                 VALUES (?, ?, ?, ?, ?, ?)")
            .bind(&f.base_code)
            .bind(&f.field)
            .bind(f.dataset_id)
            .bind(&f.source_column)
            .bind(f.org_id)
            .bind(now()),
        )
        .await?;
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        Ok(())
    }
}
