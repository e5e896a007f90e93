//! Government IT projects (政务信息化项目, SUP-2, Art. 47).

use chrono::{DateTime, NaiveDate, Utc};
use pubdata_domain::project::{DataUse, ProjectState};
use serde::{Deserialize, Serialize};

/// One catalogue entry a project involves, as listed at approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectEntry {
    pub entry_id: i64,
    /// Whether the project produces the entry's data or uses it.
    pub usage: DataUse,
}

/// A government IT project (政务信息化项目) and its public data list
/// (公共数据清单).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ItProject {
    pub id: i64,
    /// The building agency (建设单位).
    pub agency_org: i64,
    pub name: String,
    /// The project code (项目编号), unique on the platform.
    pub code: String,
    /// The approval date (立项批复日期).
    pub approved_on: NaiveDate,
    /// The planned acceptance date (计划验收日期).
    pub planned_acceptance_on: NaiveDate,
    /// The catalogue entries it produces or uses.
    pub entries: Vec<ProjectEntry>,
    pub state: ProjectState,
    /// At acceptance: whether the compliance check passed.
    pub compliant: Option<bool>,
    /// At acceptance without compliance: the authority's reason.
    pub override_reason: Option<String>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub accepted_by: Option<String>,
    /// The accepting authority.
    pub accepted_org: Option<i64>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewProject {
    pub agency_org: i64,
    pub name: String,
    pub code: String,
    pub approved_on: NaiveDate,
    pub planned_acceptance_on: NaiveDate,
    pub entries: Vec<ProjectEntry>,
    pub created_by: String,
}

/// The authority's acceptance of a project (竣工验收).
#[derive(Debug, Clone)]
pub struct ProjectAcceptance {
    pub compliant: bool,
    pub override_reason: Option<String>,
    pub accepted_by: String,
    pub accepted_org: i64,
}
