//! Supervision and evaluation (监督考核, SUP-1): the records the figures
//! are computed from.

use chrono::{DateTime, NaiveDate, Utc};
use pubdata_domain::catalog::Frequency;
use serde::Serialize;

/// A catalogue entry published in a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublishedEntry {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub published_on: NaiveDate,
}

/// A dataset with what its current version says about quality.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SupervisedDataset {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub frequency: Frequency,
    pub current_version: i64,
    pub last_load_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// Rows the current version brought and how many of them were flagged.
    pub rows_in: i64,
    pub flagged: i64,
}

/// A case with, for the answer to a share request, the basis the answer
/// cited (a refusal must cite one).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SupervisedCase {
    pub case: super::Case,
    pub answer_basis: String,
}
