//! The catalogue (CAT-1 … CAT-7) and the collection list (COL-1, COL-2).

use chrono::{DateTime, NaiveDate, Utc};
use pubdata_domain::case::CaseKind;
use pubdata_domain::catalog::{EntryContent, EntryState, Frequency, OpenAttribute, ShareType};
use pubdata_domain::org::Level;
use serde::Serialize;

use super::NewCase;

/// A node of the classification tree (类/项/目/细目).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Classification {
    pub code: String,
    pub name: String,
    pub parent: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CatalogEntry {
    pub id: i64,
    /// 信息资源代码: classification code "/" sequence.
    pub code: String,
    /// The providing organisation (提供部门).
    #[serde(rename = "providing_org")]
    pub org_id: i64,
    pub level: Option<Level>,
    pub state: EntryState,
    pub version: i64,
    pub published_version: Option<i64>,
    pub published_on: Option<NaiveDate>,
    #[serde(flatten)]
    pub content: EntryContent,
    /// Other owning organisations, whose consent a change needs (Art. 12).
    pub co_owners: Vec<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct EntryVersion {
    pub version: i64,
    pub state: EntryState,
    pub content: EntryContent,
    pub actor: String,
    pub note: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewEntry {
    pub org_id: i64,
    pub level: Option<Level>,
    pub content: EntryContent,
    pub co_owners: Vec<i64>,
    pub actor: String,
}

/// A lifecycle step of an entry, written in one transaction with the cases
/// it opens and closes and its audit record.
#[derive(Debug, Clone)]
pub struct EntryChange {
    pub entry_id: i64,
    /// The step applies only from this state (else `Conflict`).
    pub expect_state: EntryState,
    pub new_state: EntryState,
    /// New content: a new version.
    pub new_content: Option<EntryContent>,
    /// Marks the current version published on this date.
    pub publish_on: Option<NaiveDate>,
    pub note: String,
    pub actor: String,
    pub open_case: Option<NewCase>,
    /// Open cases of these kinds on this entry are closed with the outcome.
    pub close_cases: Vec<(CaseKind, String)>,
    /// When the step publishes a not-open or conditionally open version,
    /// files it (开放属性备案, Art. 33, 34) with this data authority.
    pub file_with: Option<i64>,
}

/// Filters for catalogue search; entries come newest first.
#[derive(Debug, Clone, Default)]
pub struct EntryFilter {
    /// Every term must occur in the searchable text, in one of its forms
    /// under `synonyms`.
    pub terms: Vec<String>,
    /// (abbreviation, full term) pairs the terms are expanded with.
    pub synonyms: Vec<(String, String)>,
    /// Only entries of these organisations (a level's roll-up).
    pub org_ids: Option<Vec<i64>>,
    pub level: Option<Level>,
    /// Classification code prefix.
    pub classification: Option<String>,
    pub grade: Option<String>,
    pub share_type: Option<ShareType>,
    pub open_attribute: Option<OpenAttribute>,
    pub frequency: Option<Frequency>,
    pub state: Option<EntryState>,
    /// The entry with this resource code.
    pub code: Option<String>,
    /// Only entries with a published version that are not delisted.
    pub published_only: bool,
    pub before_id: Option<i64>,
    pub limit: u32,
}

/// A data item of the collection list, with its one source department.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DataItemSource {
    pub id: i64,
    pub name: String,
    pub source_org: i64,
    /// The legal basis of collection.
    pub basis: String,
    pub created_at: DateTime<Utc>,
}
