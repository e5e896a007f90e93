//! Table pulls (库表) from agencies' SQLite or PostgreSQL databases.

use chrono::Utc;
use pubdata_domain::audit::Outcome;
use pubdata_domain::dataset::RowError;
use pubdata_store::LoadMode;
use serde::Deserialize;
use serde_json::json;

use pubdata_domain::secret::SecretUrl;

use crate::secrets::SecretColumn;

use crate::App;
use crate::error::{Result, ServiceError};
use crate::principal::Principal;

use super::load::{Channel, LoadRequest};
use super::readers::RawRow;
use super::*;

/// Rows of a table pull as the source sends them: only the dataset's
/// columns are kept, and the last value of the incremental column is noted
/// (the source orders by it) for the next pull.
struct PulledRows {
    header: Vec<String>,
    keep: Vec<usize>,
    incremental: Option<usize>,
    rows: tokio::sync::mpsc::Receiver<pubdata_store::Result<Vec<Option<String>>>>,
    high: std::sync::Arc<std::sync::Mutex<Option<String>>>,
    row: u64,
    current: Vec<Option<String>>,
}

impl RowSource for PulledRows {
    fn header(&self) -> &[String] {
        &self.header
    }
    fn next_row(&mut self) -> Option<RawRow<'_>> {
        // Runs on the load's reader thread, which may block.
        let next = self.rows.blocking_recv()?;
        self.row += 1;
        match next {
            Err(e) => Some(Err(RowError {
                row: self.row,
                column: String::new(),
                value: String::new(),
                rule: "pull_source_error".into(),
                message: format!("reading the source failed: {e}"),
            })),
            Ok(values) => {
                if let Some(i) = self.incremental
                    && let Some(v) = &values[i]
                {
                    *self.high.lock().expect("high-water lock") = Some(v.clone());
                }
                self.current = values;
                Some(Ok((
                    self.row,
                    self.keep
                        .iter()
                        .map(|i| self.current[*i].as_deref())
                        .collect(),
                )))
            }
        }
    }
}

/// Where to pull a dataset from (库表).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PullConfig {
    /// The agency's database: `sqlite://PATH` (opened read-only) or
    /// `postgres://USER:PASSWORD@HOST:PORT/DATABASE` (read in a read-only
    /// transaction; the password is never shown back).
    pub url: String,
    /// A table name or a `SELECT` whose columns are the dataset's.
    pub query: String,
    /// e.g. `updated_at`: later pulls read only rows beyond the last value seen.
    pub incremental_column: Option<String>,
}

/// How often a source is pulled, from the entry's update frequency.
pub fn pull_interval(f: pubdata_domain::catalog::Frequency) -> Option<chrono::Duration> {
    use pubdata_domain::catalog::Frequency as F;
    Some(match f {
        F::Realtime => chrono::Duration::minutes(5),
        F::Daily => chrono::Duration::days(1),
        F::Weekly => chrono::Duration::days(7),
        F::Monthly => chrono::Duration::days(30),
        F::Quarterly => chrono::Duration::days(91),
        F::HalfYearly => chrono::Duration::days(182),
        F::Yearly => chrono::Duration::days(365),
        F::Other => return None,
    })
}

impl App {
    pub async fn put_pull_source(
        &self,
        p: &Principal,
        id: i64,
        cfg: PullConfig,
    ) -> Result<pubdata_store::PullSource> {
        self.dataset_for(p, id, Access::Write).await?;
        let url = cfg.url.trim();
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return Err(ServiceError::invalid(
                "url",
                "sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE",
            ));
        }
        if cfg.query.trim().is_empty() {
            return Err(ServiceError::invalid("query", "a table name or a SELECT"));
        }
        let src = pubdata_store::PullSource {
            dataset_id: id,
            url: SecretUrl::new(cfg.url.trim()),
            query: cfg.query.trim().to_string(),
            incremental_column: cfg
                .incremental_column
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty()),
            last_value: None,
            last_pull_at: None,
            last_error: None,
        };
        let audit = p.event(
            "dataset.pull_source",
            format!("dataset:{id}"),
            Outcome::Success,
            json!({"url": src.url, "query": src.query}),
        );
        let sealed = pubdata_store::PullSource {
            url: SecretUrl::new(self.seal_secret(SecretColumn::PullSourceUrl, url).await?),
            ..src.clone()
        };
        self.store.put_pull_source(&sealed, audit).await?;
        Ok(src)
    }

    /// A stored pull source with its URL opened (sealed at rest).
    fn opened_pull_source(
        &self,
        src: pubdata_store::PullSource,
    ) -> Result<pubdata_store::PullSource> {
        let url = self.open_secret(SecretColumn::PullSourceUrl, src.url.expose())?;
        Ok(pubdata_store::PullSource {
            url: SecretUrl::new(url),
            ..src
        })
    }

    pub async fn get_pull_source(
        &self,
        p: &Principal,
        id: i64,
    ) -> Result<Option<pubdata_store::PullSource>> {
        self.dataset_for(p, id, Access::View).await?;
        self.store
            .pull_source(id)
            .await?
            .map(|src| self.opened_pull_source(src))
            .transpose()
    }

    /// Pulls from the dataset's source now: the whole table (a new full
    /// version) or, with an incremental column, the rows changed since the
    /// last pull (upserts). All or nothing, like every load.
    pub async fn pull_now(&self, p: &Principal, id: i64) -> Result<LoadOutcome> {
        let d = self.dataset_for(p, id, Access::Write).await?;
        let src = self
            .store
            .pull_source(id)
            .await?
            .ok_or_else(|| ServiceError::Conflict {
                code: "no_pull_source",
                detail: "configure the dataset's source first".into(),
            })?;
        let src = self.opened_pull_source(src)?;
        let incremental = src.incremental_column.as_deref();
        let after = incremental.and(src.last_value.as_deref());
        let read =
            match pubdata_store::source::open(src.url.expose(), &src.query, incremental, after)
                .await
            {
                Ok(r) => r,
                Err(e) => {
                    let msg = format!("{}: {e}", src.url);
                    self.store.record_pull(id, None, Some(&msg)).await?;
                    self.store
                        .append_audit(p.event(
                            "dataset.pull",
                            format!("dataset:{id}"),
                            Outcome::Failure,
                            json!({"error": msg}),
                        ))
                        .await?;
                    return Err(ServiceError::Invalid {
                        code: "pull_source_error",
                        detail: format!("the source cannot be read: {msg}"),
                        errors: vec![],
                    });
                }
            };
        // The incremental column is the source's bookkeeping, not necessarily a dataset column.
        let keep: Vec<usize> = read
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| d.columns.iter().any(|dc| &dc.name == *c))
            .map(|(i, _)| i)
            .collect();
        let high = std::sync::Arc::new(std::sync::Mutex::new(None));
        let source = Box::new(PulledRows {
            header: keep.iter().map(|i| read.columns[*i].clone()).collect(),
            keep,
            incremental: incremental.and_then(|c| read.columns.iter().position(|x| x == c)),
            rows: read.rows,
            high: high.clone(),
            row: 0,
            current: vec![],
        });
        let mode = if after.is_some() {
            LoadMode::Upsert
        } else {
            LoadMode::Replace
        };
        let outcome = self
            .run_load(
                p,
                LoadRequest::new(&d, source, mode, Channel::Pull, &src.url.redacted()),
                &mut (),
            )
            .await;
        match &outcome {
            Ok(Ok(_)) => {
                let high = high.lock().expect("high-water lock").clone();
                self.store.record_pull(id, high.as_deref(), None).await?
            }
            Ok(Err(r)) => {
                self.store
                    .record_pull(
                        id,
                        None,
                        Some(&format!("load refused: {} problems", r.total_errors)),
                    )
                    .await?
            }
            Err(e) => {
                self.store
                    .record_pull(id, None, Some(&e.to_string()))
                    .await?
            }
        }
        outcome
    }

    /// Pulls every source whose interval (from its update frequency) has passed.
    pub async fn run_due_pulls(&self) -> Result<usize> {
        let now = Utc::now();
        let mut done = 0;
        for src in self.store.pull_sources().await? {
            let Ok(d) = self.store.get_dataset(src.dataset_id).await else {
                continue;
            };
            let Some(every) = pull_interval(d.frequency) else {
                continue;
            };
            if src.last_pull_at.is_some_and(|t| now - t < every) {
                continue;
            }
            let org = self.store.get_org(d.org_id).await?;
            let mut scheduler = Principal::command_line(org);
            scheduler.name = "scheduler".into();
            match self.pull_now(&scheduler, d.id).await {
                Ok(Ok(_)) => done += 1,
                Ok(Err(r)) => tracing::warn!(
                    dataset = d.id,
                    errors = r.total_errors,
                    "scheduled pull refused"
                ),
                Err(e) => tracing::warn!(dataset = d.id, error = %e, "scheduled pull failed"),
            }
        }
        Ok(done)
    }
}
