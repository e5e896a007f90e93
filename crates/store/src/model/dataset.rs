//! Datasets, loads, pulls and exemptions (AGG-1 … AGG-3, QLT-1).

use chrono::{DateTime, Utc};
use pubdata_domain::catalog::Frequency;
use serde::Serialize;

/// A dataset: a table with declared columns and a key (shape 3).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Dataset {
    pub id: i64,
    pub entry_id: i64,
    /// The source department (数源部门): the only writer.
    #[serde(rename = "org")]
    pub org_id: i64,
    pub name: String,
    pub columns: Vec<pubdata_domain::dataset::Column>,
    pub key: Vec<String>,
    pub frequency: Frequency,
    pub current_version: i64,
    pub row_count: i64,
    pub last_load_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewDataset {
    pub entry_id: i64,
    pub org_id: i64,
    pub name: String,
    pub columns: Vec<pubdata_domain::dataset::Column>,
    pub key: Vec<String>,
    pub frequency: Frequency,
}

/// One recorded load.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DatasetVersion {
    pub version: i64,
    /// `file`, `push` or `pull`.
    pub mode: String,
    pub source: String,
    pub rows_in: i64,
    pub inserted: i64,
    pub updated: i64,
    pub deleted: i64,
    /// Rows with `flag` rule violations (quality issues).
    pub flagged: i64,
    pub actor: String,
    pub created_at: DateTime<Utc>,
}

/// How a load changes the current rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadMode {
    /// The staged rows are the whole dataset: keys not staged are deleted.
    Replace,
    /// Staged rows are inserted or replace the row with their key; rows
    /// staged as deletions delete their key.
    Upsert,
}

/// A row ready to store: its canonical key and values, and its line number.
#[derive(Debug, Clone)]
pub struct StagedRow {
    pub row: u64,
    pub key: String,
    pub values: Vec<Option<String>>,
    /// Delete the row with this key (upsert loads only).
    pub delete: bool,
}

/// What finishing a load records.
#[derive(Debug, Clone)]
pub struct LoadRecord {
    /// `file`, `push` or `pull`.
    pub channel: &'static str,
    pub source: String,
    pub actor: String,
    pub issues: Vec<pubdata_domain::dataset::RowError>,
}

/// Where the platform pulls a dataset from (库表, AGG-1).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PullSource {
    pub dataset_id: i64,
    /// `sqlite://PATH` (read only) or `postgres://…`; the password is never shown.
    #[schema(value_type = String)]
    pub url: pubdata_domain::secret::SecretUrl,
    /// A table name or a `SELECT`.
    pub query: String,
    /// Pull only rows whose value in this column exceeds the last one seen.
    pub incremental_column: Option<String>,
    pub last_value: Option<String>,
    pub last_pull_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

/// An exemption from aggregation (汇聚备案) filed by an agency.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Exemption {
    pub id: i64,
    pub org_id: i64,
    pub entry_id: Option<i64>,
    pub reason: String,
    pub filed_by: String,
    pub filed_at: DateTime<Utc>,
}
