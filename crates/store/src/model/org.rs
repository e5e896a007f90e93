//! Organisations: agencies, regions and their tree (ORG-1).

use chrono::{DateTime, Utc};
use pubdata_domain::org::{Level, OrgKind};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Org {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub name_en: Option<String>,
    pub kind: OrgKind,
    pub level: Option<Level>,
    pub parent_id: Option<i64>,
    /// 行政区划代码 of a region (e.g. 441800 for 清远市).
    pub division_code: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewOrg {
    pub code: String,
    pub name: String,
    pub name_en: Option<String>,
    pub kind: OrgKind,
    pub level: Option<Level>,
    pub parent_id: Option<i64>,
    pub division_code: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct OrgPatch {
    pub name: Option<String>,
    pub name_en: Option<Option<String>>,
    pub parent_id: Option<Option<i64>>,
}
