//! Search indexes of open datasets (开放数据检索索引): the columns the
//! public filters on through CKAN's `datastore_search` get an index over
//! their current rows, `(value, key)`, so that an equality filter counts
//! its matches and pages them in key order without scanning the dataset.
//!
//! Which columns: the public ones (never personal information, which the
//! public cannot name) that are categorical — a code list (`enum` check)
//! or few distinct values in a sample of the current rows — and not
//! already indexed as `unique`. Small datasets are scanned as they are.
//! A committed load of an open dataset indexes it at once; the leased
//! `open_indexes` job covers datasets opened after their load.
//!
//! Counts are also remembered per dataset version and condition
//! ([`CountCache`]): a client paging through one filter counts it once.

use std::collections::HashMap;
use std::sync::Mutex;

use pubdata_domain::dataset::Rule;
use pubdata_store::Dataset;

use crate::{App, Result};

/// Datasets with fewer current rows are not indexed: a scan is quick.
pub(crate) const INDEX_FROM_ROWS: i64 = 10_000;
/// Rows sampled (in key order) to judge a column's distinct values.
const SAMPLE: u32 = 10_000;
/// A column is categorical when its sample holds at most one distinct
/// value in this many rows.
const ROWS_PER_VALUE: i64 = 20;
/// Counts remembered at most (the cache starts afresh when full).
const COUNTS_KEPT: usize = 4096;

/// Match counts of searches: (dataset, version, condition) → rows. A new
/// version (a load, a correction, a refresh) is a new key, so a count is
/// never stale.
#[derive(Default)]
pub(crate) struct CountCache(Mutex<HashMap<(i64, i64, String), i64>>);

impl CountCache {
    pub(crate) fn get(&self, key: &(i64, i64, String)) -> Option<i64> {
        self.0.lock().expect("counts").get(key).copied()
    }

    pub(crate) fn put(&self, key: (i64, i64, String), n: i64) {
        let mut m = self.0.lock().expect("counts");
        if m.len() >= COUNTS_KEPT {
            m.clear();
        }
        m.insert(key, n);
    }
}

impl App {
    /// Indexes the categorical public columns of `d` when the public may
    /// read it and it is large enough; the columns indexed (already or now).
    pub(crate) async fn index_open_dataset(&self, d: &Dataset) -> Result<Vec<usize>> {
        if d.row_count < INDEX_FROM_ROWS || !self.public_may_read(d).await? {
            return Ok(vec![]);
        }
        let candidates: Vec<usize> = (0..d.columns.len())
            .filter(|i| {
                let c = &d.columns[*i];
                !c.personal && !c.checks.iter().any(|k| k.rule == Rule::Unique)
            })
            .collect();
        let distinct = self
            .store
            .distinct_in_sample(d, &candidates, SAMPLE)
            .await?;
        let sampled = d.row_count.min(i64::from(SAMPLE));
        let mut indexed = vec![];
        for (i, n) in candidates.into_iter().zip(distinct) {
            let coded = d.columns[i]
                .checks
                .iter()
                .any(|k| matches!(k.rule, Rule::Enum { .. }));
            if coded || n * ROWS_PER_VALUE <= sampled {
                self.store.ensure_search_index(d, i).await?;
                indexed.push(i);
            }
        }
        if !indexed.is_empty() {
            tracing::info!(dataset = d.id, columns = ?indexed, "open dataset search indexes");
        }
        Ok(indexed)
    }

    /// The `open_indexes` job: indexes every open dataset that needs it
    /// (existing indexes are kept); how many datasets have indexes.
    pub(crate) async fn run_open_indexes(&self) -> Result<usize> {
        let (ids, _) = self
            .store
            .open_datasets(&pubdata_store::OpenFilter {
                limit: u32::MAX,
                ..Default::default()
            })
            .await?;
        let mut n = 0;
        for id in ids {
            let d = self.store.get_dataset(id).await?;
            if !self.index_open_dataset(&d).await?.is_empty() {
                n += 1;
            }
        }
        Ok(n)
    }
}
