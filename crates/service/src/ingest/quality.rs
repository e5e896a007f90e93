//! Data quality (QLT-1) and staleness (AGG-2).

use chrono::Utc;

use crate::App;
use crate::error::{Result, ServiceError};
use crate::policy::Action;
use crate::principal::Principal;

use super::*;

impl App {
    pub async fn dataset_quality(&self, p: &Principal, id: i64) -> Result<Quality> {
        let v = self.get_dataset(p, id).await?;
        let d = &v.dataset;
        let stats = self.content_stats(d).await?;
        let versions = self.store.dataset_versions(id).await?;
        let current = versions.first();
        let validity = match current {
            Some(c) if c.rows_in > 0 => 1.0 - c.flagged as f64 / c.rows_in as f64,
            _ => 1.0,
        };
        Ok(Quality {
            version: d.current_version,
            rows: d.row_count,
            completeness: ratio(stats.filled, stats.cells),
            validity,
            consistency: ratio(stats.resolved, stats.references),
            timeliness: if v.stale { 0.0 } else { 1.0 },
            stale: v.stale,
            issues: {
                let mut issues = self.store.quality_issues(id, 500).await?;
                issues.extend(self.base_conflicts_of(p, d, 500).await?);
                issues
            },
        })
    }

    /// Datasets not refreshed within their update frequency (AGG-2).
    pub async fn stale_datasets(&self, p: &Principal) -> Result<Vec<DatasetView>> {
        let org = if self.can(p, Action::Supervise).await {
            None
        } else {
            Some(
                p.org_id()
                    .ok_or_else(|| ServiceError::Forbidden("you act for no organisation".into()))?,
            )
        };
        let now = Utc::now();
        let mut out = Vec::new();
        let mut before = None;
        loop {
            let page = self.store.list_datasets(org, before, 200).await?;
            let Some(last) = page.last() else { break };
            before = Some(last.id);
            for d in page {
                if is_stale(&d, now) {
                    out.push(self.dataset_view(d).await?);
                }
            }
        }
        Ok(out)
    }
}

/// `part / whole`, 1 when there is nothing to count.
fn ratio(part: i64, whole: i64) -> f64 {
    if whole == 0 {
        1.0
    } else {
        part as f64 / whole as f64
    }
}
