//! Aggregation into versioned datasets (汇聚, AGG-1 … AGG-3, QLT-1).
//!
//! Every load — a file, a pushed batch — is validated completely inside one
//! store transaction: rows are checked and staged, then set-based checks
//! (duplicate keys, `unique` columns) run over the staged rows; only a load
//! without rejecting violations is committed as a new version. A refused or
//! interrupted load changes nothing: the previous version stays current.

use std::collections::BTreeSet;

use chrono::Utc;
use pubdata_domain::audit::Outcome;
use pubdata_domain::catalog::{DataType, EntryState};
use pubdata_domain::dataset::{Check, Column, RowError, Rule};
use pubdata_store::{Dataset, DatasetVersion, NewDataset, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::App;
use crate::error::{Result, ServiceError};
use crate::policy::Action;
use crate::principal::Principal;

mod exemptions;
mod load;
mod pulls;
mod quality;
mod readers;

pub(crate) use load::{Channel, LoadRequest};
pub use load::{LoadOutcome, MAX_REPORTED, Progress};
pub use pulls::{PullConfig, pull_interval};
pub(crate) use readers::VecSource;
pub use readers::{RawRow, RowSource, csv_source, json_source, open_source, xlsx_source};

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ColumnInput {
    pub name: String,
    #[serde(rename = "type")]
    pub data_type: DataType,
    #[serde(default = "yes", deserialize_with = "crate::json::or_true")]
    #[schema(nullable)]
    pub nullable: bool,
    /// Defaults to the catalogue data item of the same name.
    pub personal: Option<bool>,
    /// `id_card`, `credit_code`, `unique`, `pattern:…`, `enum:a|b`,
    /// `range:MIN..MAX`; prefix `flag:` to record instead of reject.
    #[serde(default, deserialize_with = "crate::json::or_default")]
    #[schema(nullable)]
    pub checks: Vec<String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDataset {
    pub entry_id: i64,
    pub name: String,
    pub columns: Vec<ColumnInput>,
    /// Key column names.
    pub key: Vec<String>,
}

/// A pushed batch: upserts and deletions by key, all or nothing.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordBatch {
    #[serde(default, deserialize_with = "crate::json::or_default")]
    #[schema(nullable)]
    #[schema(value_type = Vec<Object>)]
    pub upsert: Vec<serde_json::Map<String, serde_json::Value>>,
    #[serde(default, deserialize_with = "crate::json::or_default")]
    #[schema(nullable)]
    #[schema(value_type = Vec<Object>)]
    pub delete: Vec<serde_json::Map<String, serde_json::Value>>,
}

/// An exemption from aggregation (汇聚备案).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileExemption {
    /// The catalogue entry concerned, if one.
    pub entry_id: Option<i64>,
    pub reason: String,
}

/// A refused load: every problem found, by row and column.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LoadRejected {
    pub errors: Vec<RowError>,
    /// All violations found (the report lists at most 1,000).
    pub total_errors: u64,
    pub rows_read: u64,
}

/// Data quality of a dataset's current version (QLT-1).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Quality {
    pub version: i64,
    pub rows: i64,
    /// Filled cells / all cells.
    pub completeness: f64,
    /// Rows without flagged violations / rows loaded.
    pub validity: f64,
    /// Values of `reference` columns that resolve in their target dataset / all of them.
    pub consistency: f64,
    /// 1 when refreshed within its update frequency, else 0.
    pub timeliness: f64,
    pub stale: bool,
    pub issues: Vec<RowError>,
}

/// A dataset with whether it is stale.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DatasetView {
    #[serde(flatten)]
    pub dataset: Dataset,
    pub stale: bool,
    pub org_name: String,
    pub entry_name: String,
}

/// Whether a dataset is overdue for a refresh (AGG-2).
pub fn is_stale(d: &Dataset, now: chrono::DateTime<Utc>) -> bool {
    let Some(days) = d.frequency.max_age_days() else {
        return false;
    };
    let since = d.last_load_at.unwrap_or(d.created_at);
    now - since > chrono::Duration::days(days)
}

/// `key_of` into `out`, reusing its allocation.
pub(crate) fn key_into(values: &[Option<String>], key_idx: &[usize], out: &mut String) {
    out.clear();
    for (n, i) in key_idx.iter().enumerate() {
        if n > 0 {
            out.push('\u{1f}');
        }
        out.push_str(values[*i].as_deref().unwrap_or(""));
    }
}

pub(crate) fn key_of(values: &[Option<String>], key_idx: &[usize]) -> String {
    // One key column (the common case): its value, without joining.
    if let [i] = key_idx {
        return values[*i].clone().unwrap_or_default();
    }
    key_idx
        .iter()
        .map(|i| values[*i].as_deref().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\u{1f}")
}

/// What a caller wants to do with a dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    View,
    Write,
}

impl App {
    /// The dataset, if the caller may view (or write) it.
    pub(crate) async fn dataset_for(
        &self,
        p: &Principal,
        id: i64,
        access: Access,
    ) -> Result<Dataset> {
        let d = self.load_dataset(id).await?;
        let action = match access {
            Access::View => Action::ViewDataset(d.org_id),
            Access::Write => Action::WriteDataset(d.org_id),
        };
        self.authorize(p, action).await?;
        Ok(d)
    }

    /// The dataset, or 404 `dataset` (no decision on who may see it).
    pub(crate) async fn load_dataset(&self, id: i64) -> Result<Dataset> {
        self.store
            .get_dataset(id)
            .await
            .map_err(ServiceError::not_found("dataset"))
    }

    pub async fn create_dataset(&self, p: &Principal, req: CreateDataset) -> Result<Dataset> {
        let entry = self
            .store
            .get_entry(req.entry_id)
            .await
            .map_err(|_| ServiceError::invalid("entry_id", "no such catalogue entry"))?;
        self.authorize(p, Action::WriteDataset(entry.org_id))
            .await?;
        if entry.published_version.is_none() || entry.state == EntryState::Delisted {
            return Err(ServiceError::Conflict {
                code: "entry_not_published",
                detail: "datasets belong to published catalogue entries".into(),
            });
        }
        let name = req.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(ServiceError::invalid("name", "1 to 100 characters"));
        }
        if req.columns.is_empty() || req.columns.len() > 500 {
            return Err(ServiceError::invalid("columns", "1 to 500 columns"));
        }
        let mut seen = BTreeSet::new();
        let mut columns = Vec::new();
        for (i, c) in req.columns.iter().enumerate() {
            let n = c.name.trim().to_string();
            if n.is_empty() || !seen.insert(n.clone()) {
                return Err(ServiceError::invalid(
                    "columns",
                    format!("column {} needs a unique, non-empty name", i + 1),
                ));
            }
            let checks = c
                .checks
                .iter()
                .map(|s| Rule::parse(s).map(|(rule, severity)| Check { rule, severity }))
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|m| ServiceError::invalid("columns", format!("{n}: {m}")))?;
            for k in &checks {
                if let Rule::Reference { dataset } = k.rule {
                    let target = self.store.get_dataset(dataset).await.map_err(|_| {
                        ServiceError::invalid("columns", format!("{n}: no dataset {dataset}"))
                    })?;
                    if target.key.len() != 1 {
                        return Err(ServiceError::invalid(
                            "columns",
                            format!("{n}: dataset {dataset} has a compound key"),
                        ));
                    }
                }
            }
            let item_personal = entry
                .content
                .items
                .iter()
                .find(|it| it.name == n)
                .map(|it| it.personal);
            columns.push(Column {
                nullable: c.nullable && !req.key.contains(&n),
                personal: c.personal.or(item_personal).unwrap_or(false),
                name: n,
                data_type: c.data_type,
                checks,
            });
        }
        if req.key.is_empty() || req.key.iter().any(|k| !seen.contains(k.trim())) {
            return Err(ServiceError::invalid(
                "key",
                "the key names one or more declared columns",
            ));
        }
        let audit = p.event(
            "dataset.create",
            "",
            Outcome::Success,
            json!({"entry_id": entry.id, "name": name}),
        );
        self.store
            .create_dataset(
                NewDataset {
                    entry_id: entry.id,
                    org_id: entry.org_id,
                    name,
                    columns,
                    key: req.key.iter().map(|k| k.trim().to_string()).collect(),
                    frequency: entry.content.update_frequency,
                },
                audit,
            )
            .await
            .map_err(|e| match e {
                StoreError::Conflict { .. } => ServiceError::Conflict {
                    code: "dataset_exists",
                    detail: "the entry already has a dataset of this name".into(),
                },
                other => other.into(),
            })
    }

    pub async fn get_dataset(&self, p: &Principal, id: i64) -> Result<DatasetView> {
        let d = self.dataset_for(p, id, Access::View).await?;
        self.dataset_view(d).await
    }

    pub(crate) async fn dataset_view(&self, d: Dataset) -> Result<DatasetView> {
        let tree = self.org_tree().await?;
        let entry_name = self
            .store
            .get_entry(d.entry_id)
            .await
            .map(|e| e.content.name)
            .unwrap_or_default();
        Ok(DatasetView {
            stale: is_stale(&d, Utc::now()),
            org_name: tree
                .get(d.org_id)
                .map(|o| o.name.clone())
                .unwrap_or_default(),
            entry_name,
            dataset: d,
        })
    }

    /// Datasets the caller may see: its organisation's, or (supervisors) all.
    pub async fn list_datasets(
        &self,
        p: &Principal,
        org: Option<i64>,
        q: Option<&str>,
        before_id: Option<i64>,
        limit: u32,
    ) -> Result<Vec<DatasetView>> {
        let org = match org {
            Some(o) => {
                self.authorize(p, Action::ViewDataset(o)).await?;
                Some(o)
            }
            None if self.can(p, Action::Supervise).await => None,
            None => Some(
                p.org_id()
                    .ok_or_else(|| ServiceError::Forbidden("you act for no organisation".into()))?,
            ),
        };
        let limit = limit.clamp(1, 200);
        let found = match q.map(str::trim).filter(|q| !q.is_empty()) {
            Some(q) => self.store.search_datasets(org, q, before_id, limit).await?,
            None => self.store.list_datasets(org, before_id, limit).await?,
        };
        let mut out = Vec::new();
        for d in found {
            out.push(self.dataset_view(d).await?);
        }
        Ok(out)
    }

    pub async fn dataset_versions(&self, p: &Principal, id: i64) -> Result<Vec<DatasetVersion>> {
        self.get_dataset(p, id).await?;
        Ok(self.store.dataset_versions(id).await?)
    }
}
