//! Base databases (基础库, BASE-1).

use serde::Serialize;

/// A base database (基础库): its code, name and key.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct BaseTable {
    pub code: String,
    pub name: String,
    /// e.g. 公民身份号码.
    pub key_name: String,
}

/// A field of a base database and the one dataset it comes from.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct BaseField {
    pub base_code: String,
    pub field: String,
    pub dataset_id: i64,
    pub source_column: String,
    /// The source department.
    pub org_id: i64,
}
