//! Supervision and evaluation (监督考核, SUP-1): the platform's own records
//! a period's figures are computed from. Written once for both backends.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use crate::rows::{self, Cols};
use crate::sql::{Dialect, Exec, sql};
use crate::*;

#[async_trait]
impl<D: Dialect> SupervisionStore for D {
    async fn cases_opened_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<SupervisedCase>> {
        // The share request by its id (`share_request:<id>`, 14 characters
        // before it): a key lookup, not a comparison with every request
        // (SQLite cannot index `'share_request:' || s.id`: bench-eval's
        // 20,000 cases took 4.2 s, and it grows with cases × requests).
        let rows = self
            .reader()
            .all(
                sql("SELECT c.*, COALESCE(s.basis, '') AS answer_basis
                       FROM cases c
                       LEFT JOIN share_requests s
                         ON s.id = CASE WHEN c.kind = 'share_answer'
                                        THEN CAST(SUBSTR(c.subject, 15) AS BIGINT) END
                        AND c.subject = 'share_request:' || s.id
                      WHERE c.opened_on >= ? AND c.opened_on <= ?
                      ORDER BY c.opened_on, c.id")
                .bind(from)
                .bind(to),
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(SupervisedCase {
                    case: rows::case(r)?,
                    answer_basis: r.text("answer_basis")?,
                })
            })
            .collect()
    }

    async fn entries_published_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<PublishedEntry>> {
        let rows = self
            .reader()
            .all(
                sql("SELECT id, org_id, name, published_on FROM catalog_entries
                      WHERE published_version IS NOT NULL AND published_on >= ?
                        AND published_on <= ?
                      ORDER BY published_on, id")
                .bind(from)
                .bind(to),
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(PublishedEntry {
                    id: r.int("id")?,
                    org_id: r.int("org_id")?,
                    name: r.text("name")?,
                    published_on: r.date("published_on")?,
                })
            })
            .collect()
    }

    async fn supervised_datasets(&self) -> Result<Vec<SupervisedDataset>> {
        let rows = self
            .reader()
            .all(sql(
                "SELECT d.id, d.org_id, d.name, d.frequency, d.current_version,
                        d.last_load_at, d.created_at,
                        COALESCE(v.rows_in, 0) AS rows_in, COALESCE(v.flagged, 0) AS flagged
                   FROM datasets d
                   LEFT JOIN dataset_versions v
                     ON v.dataset_id = d.id AND v.version = d.current_version
                  ORDER BY d.id",
            ))
            .await?;
        rows.iter()
            .map(|r| {
                Ok(SupervisedDataset {
                    id: r.int("id")?,
                    org_id: r.int("org_id")?,
                    name: r.text("name")?,
                    frequency: r.parsed("frequency")?,
                    current_version: r.int("current_version")?,
                    last_load_at: r.opt_time("last_load_at")?,
                    created_at: r.time("created_at")?,
                    rows_in: r.int("rows_in")?,
                    flagged: r.int("flagged")?,
                })
            })
            .collect()
    }

    async fn open_reads_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(i64, i64)>> {
        let rows = self
            .reader()
            .all(
                sql("SELECT target, COUNT(*) AS n FROM audit_log
                      WHERE action = 'dataset.read' AND outcome = 'success'
                        AND at >= ? AND at < ?
                        AND detail LIKE '%\"basis\":\"open\"%'
                      GROUP BY target")
                .bind(from)
                .bind(to),
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
}
