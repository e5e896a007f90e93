//! Open data (数据开放, OPN-3): which datasets the public portal lists.
//! Written once for both backends.

use async_trait::async_trait;

use pubdata_domain::audit::AuditEvent;

use super::audit;
use crate::rows::{self, Cols};
use crate::sql::{Dialect, Exec, Sql, Tx, now, sql};
use crate::*;

/// The open datasets' condition: a loaded dataset of a published,
/// unconditionally (or, when asked, conditionally) open entry, not
/// withheld for re-identification risk.
fn open_where(q: &mut Sql, f: &OpenFilter) {
    q.push(if f.conditional {
        " FROM datasets d JOIN catalog_entries e ON e.id = d.entry_id
          WHERE e.open_attribute IN ('unconditional', 'conditional')"
    } else {
        " FROM datasets d JOIN catalog_entries e ON e.id = d.entry_id
          WHERE e.open_attribute = 'unconditional'"
    });
    q.push(
        " AND e.published_version IS NOT NULL
            AND e.state <> 'delisted' AND d.current_version > 0 AND NOT ",
    )
    .push(super::derive::REID_WITHHELD);
    if let Some(org) = f.org {
        q.push(" AND d.org_id = ").push_bind(org);
    }
}

#[async_trait]
impl<D: Dialect> OpenStore for D {
    async fn open_datasets(&self, f: &OpenFilter) -> Result<(Vec<i64>, i64)> {
        let mut count = sql("SELECT COUNT(*) AS n");
        open_where(&mut count, f);
        let total = self.reader().one(count).await?.int("n")?;
        let mut q = sql("SELECT d.id");
        open_where(&mut q, f);
        q.push(" ORDER BY d.id LIMIT ")
            .push_bind(i64::from(f.limit.max(1)))
            .push(" OFFSET ")
            .push_bind(f.offset);
        let rows = self.reader().all(q).await?;
        let ids = rows.iter().map(|r| r.int("id")).collect::<Result<_>>()?;
        Ok((ids, total))
    }

    async fn open_datasets_loaded(
        &self,
        f: &OpenFilter,
    ) -> Result<(Vec<(Dataset, CatalogEntry)>, i64)> {
        let mut count = sql("SELECT COUNT(*) AS n");
        open_where(&mut count, f);
        let total = self.reader().one(count).await?.int("n")?;
        let mut q = sql("SELECT d.*");
        open_where(&mut q, f);
        q.push(" ORDER BY d.id LIMIT ")
            .push_bind(i64::from(f.limit.max(1)))
            .push(" OFFSET ")
            .push_bind(f.offset);
        let datasets = self
            .reader()
            .all(q)
            .await?
            .iter()
            .map(rows::dataset)
            .collect::<Result<Vec<Dataset>>>()?;
        if datasets.is_empty() {
            return Ok((vec![], total));
        }
        let mut entry_ids: Vec<i64> = datasets.iter().map(|d| d.entry_id).collect();
        entry_ids.sort_unstable();
        entry_ids.dedup();
        let mut q = sql("SELECT * FROM catalog_entries WHERE id IN ");
        q.push_list(&entry_ids);
        let entries: std::collections::HashMap<i64, CatalogEntry> = self
            .reader()
            .all(q)
            .await?
            .iter()
            .map(|r| rows::entry(r).map(|e| (e.id, e)))
            .collect::<Result<_>>()?;
        let mut out = Vec::with_capacity(datasets.len());
        for d in datasets {
            // Entries are never deleted: every joined one is there.
            let e = entries
                .get(&d.entry_id)
                .cloned()
                .ok_or(StoreError::NotFound)?;
            out.push((d, e));
        }
        Ok((out, total))
    }

    async fn open_reads_since(&self, since: DateTime<Utc>) -> Result<Vec<(i64, i64)>> {
        let rows = self
            .reader()
            .all(
                sql("SELECT target, COUNT(*) AS n FROM audit_log
                      WHERE action = 'dataset.read' AND outcome = 'success' AND at >= ?
                        AND detail LIKE '%\"basis\":\"open\"%'
                      GROUP BY target")
                .bind(since),
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            if let Some(id) = r
                .text("target")?
                .strip_prefix("dataset:")
                .and_then(|x| x.parse().ok())
            {
                out.push((id, r.int("n")?));
            }
        }
        Ok(out)
    }

    async fn open_generation(&self) -> Result<i64> {
        self.read_n(sql("SELECT n FROM open_generation WHERE one = 1"))
            .await
    }

    async fn synonyms(&self) -> Result<Vec<(String, String)>> {
        let rows = self
            .reader()
            .all(sql(
                "SELECT abbreviation, term FROM synonyms ORDER BY position",
            ))
            .await?;
        rows.iter()
            .map(|r| Ok((r.text("abbreviation")?, r.text("term")?)))
            .collect()
    }

    async fn put_synonyms(
        &self,
        pairs: &[(String, String)],
        by: &str,
        audit_event: Option<AuditEvent>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.run(sql("DELETE FROM synonyms")).await?;
        for (i, (abbreviation, term)) in pairs.iter().enumerate() {
            tx.run(
                sql(
                    "INSERT INTO synonyms (position, abbreviation, term, updated_by, updated_at)
                     VALUES (?, ?, ?, ?, ?)",
                )
                .bind(i as i64 + 1)
                .bind(abbreviation)
                .bind(term)
                .bind(by)
                .bind(now()),
            )
            .await?;
        }
        if let Some(e) = audit_event {
            audit::<D>(&mut tx, &e).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
