//! The resource catalogue (目录管理, CAT-1 … CAT-7): entries, their
//! lifecycle on cases with deadlines, versions, classification and grading.
//!
//! `scheme` keeps the classification tree and grading scheme, `entries`
//! creates, shows and edits entries, `lifecycle` moves them through review,
//! consent, delisting and update obligations (each step on a case).

use std::collections::BTreeSet;

use chrono::NaiveDate;
use pubdata_domain::catalog::{
    DataForm, DataItem, FieldChange, Frequency, OpenAttribute, OpenClause, ShareMode, ShareType,
};
use pubdata_domain::org::OrgKind;
use pubdata_store::{CatalogEntry, StoreError};
use serde::{Deserialize, Serialize};

use crate::error::{FieldError, ServiceError};
use crate::org_tree::OrgTree;

mod entries;
mod lifecycle;
mod scheme;

pub use crate::cases::CaseView;
pub use scheme::default_classifications;

/// The entry fields a client sends to create an entry.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryInput {
    pub name: String,
    pub summary: String,
    /// A code from the classification tree.
    pub classification: String,
    /// A grade code; when absent, `L3` for entries with personal items, else `L1`.
    pub grade: Option<String>,
    pub data_form: DataForm,
    pub items: Vec<DataItem>,
    pub share_type: ShareType,
    #[serde(default, deserialize_with = "crate::json::or_default")]
    #[schema(nullable)]
    pub share_conditions: String,
    #[serde(default, deserialize_with = "crate::json::or_default")]
    #[schema(nullable)]
    pub share_basis: String,
    #[serde(default, deserialize_with = "crate::json::or_default")]
    #[schema(nullable)]
    pub share_scope: String,
    #[serde(default, deserialize_with = "crate::json::or_default")]
    #[schema(nullable)]
    pub share_modes: Vec<ShareMode>,
    /// 开放属性; unconditionally open when not given (Art. 35).
    #[serde(default = "unconditionally_open")]
    pub open_attribute: OpenAttribute,
    /// The clauses of Art. 33 (not open) or Art. 34 (conditionally open)
    /// the open attribute rests on (required for those two).
    #[serde(default, deserialize_with = "crate::json::or_default")]
    #[schema(nullable)]
    pub open_clauses: Vec<OpenClause>,
    #[serde(default, deserialize_with = "crate::json::or_default")]
    #[schema(nullable)]
    pub open_conditions: String,
    #[serde(default, deserialize_with = "crate::json::or_default")]
    #[schema(nullable)]
    pub open_grounds: String,
    /// 开放属性依据: the basis given to the authority for a not-open or
    /// conditionally open attribute (Art. 33, 34); required to submit one.
    #[serde(default, deserialize_with = "crate::json::or_default")]
    #[schema(nullable)]
    pub open_basis: String,
    pub update_frequency: Frequency,
    /// Defaults to the caller's organisation.
    pub providing_org: Option<i64>,
    #[serde(default, deserialize_with = "crate::json::or_default")]
    #[schema(nullable)]
    pub keywords: Vec<String>,
    /// Other owning agencies: a change needs each one's consent (Art. 12).
    #[serde(default, deserialize_with = "crate::json::or_default")]
    #[schema(nullable)]
    pub co_owners: Vec<i64>,
    /// 采集部门, when not the providing agency.
    pub collecting_org: Option<i64>,
    /// 核准部门, when there is one.
    pub approving_org: Option<i64>,
    /// 关联资源代码: codes of related entries.
    #[serde(default, deserialize_with = "crate::json::or_default")]
    #[schema(nullable)]
    pub related_codes: Vec<String>,
}

fn unconditionally_open() -> OpenAttribute {
    OpenAttribute::Unconditional
}

/// A partial change of an entry's content (PATCH).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryPatch {
    pub name: Option<String>,
    pub summary: Option<String>,
    pub classification: Option<String>,
    pub grade: Option<String>,
    pub data_form: Option<DataForm>,
    pub items: Option<Vec<DataItem>>,
    pub share_type: Option<ShareType>,
    pub share_conditions: Option<String>,
    pub share_basis: Option<String>,
    pub share_scope: Option<String>,
    pub share_modes: Option<Vec<ShareMode>>,
    pub open_attribute: Option<OpenAttribute>,
    pub open_clauses: Option<Vec<OpenClause>>,
    pub open_conditions: Option<String>,
    pub open_grounds: Option<String>,
    pub open_basis: Option<String>,
    pub update_frequency: Option<Frequency>,
    pub keywords: Option<Vec<String>>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "double_option")]
    pub collecting_org: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    pub approving_org: Option<Option<i64>>,
    pub related_codes: Option<Vec<String>>,
    /// Why the entry changes (recorded with the version).
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Return,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    pub decision: Decision,
    /// Required when returning.
    #[serde(default, deserialize_with = "crate::json::or_default")]
    #[schema(nullable)]
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonInput {
    pub reason: String,
}

/// An entry with its open cases and review due date.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EntryView {
    #[serde(flatten)]
    pub entry: CatalogEntry,
    pub providing_org_name: String,
    /// Due date of the open authority review, if any.
    pub review_due: Option<NaiveDate>,
    /// Due date of an open update obligation, if any.
    pub update_due: Option<NaiveDate>,
    pub cases: Vec<CaseView>,
    /// Co-owners that still have to consent to the current version.
    pub consent_missing: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VersionDiff {
    pub from: i64,
    pub to: i64,
    pub changes: Vec<FieldChange>,
}

fn rule_error(violations: Vec<pubdata_domain::catalog::RuleViolation>) -> ServiceError {
    let detail = violations
        .iter()
        .map(|v| format!("{}: {}", v.field, v.message))
        .collect::<Vec<_>>()
        .join("; ");
    ServiceError::Invalid {
        code: "catalog_rule",
        detail,
        errors: violations
            .into_iter()
            .map(|v| FieldError {
                field: v.field.into(),
                message: v.message,
            })
            .collect(),
    }
}

fn transition_error(entry: &CatalogEntry, step: &str) -> ServiceError {
    ServiceError::Conflict {
        code: "invalid_transition",
        detail: format!(
            "cannot {step} an entry that is {} ({})",
            entry.state.as_str(),
            entry.state.zh()
        ),
    }
}

fn map_state_conflict(e: StoreError) -> ServiceError {
    match e {
        StoreError::Conflict { what } => ServiceError::Conflict {
            code: "invalid_transition",
            detail: format!("the entry changed meanwhile: {what}"),
        },
        StoreError::NotFound => ServiceError::NotFound {
            what: "catalogue entry",
        },
        other => other.into(),
    }
}

fn clean_list(v: &[String]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    v.iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty() && seen.insert(s.clone()))
        .collect()
}

/// Clauses in the order of the articles, each once.
fn clean_clauses(v: Vec<OpenClause>) -> Vec<OpenClause> {
    v.into_iter().collect::<BTreeSet<_>>().into_iter().collect()
}

/// The data authority of the level an organisation belongs to: the
/// authority under the organisation's nearest region.
pub fn authority_of(tree: &OrgTree, org: i64) -> Option<i64> {
    let mut cur = Some(org);
    while let Some(id) = cur {
        let o = tree.get(id)?;
        if o.kind == OrgKind::Authority {
            return Some(id);
        }
        if o.kind == OrgKind::Region {
            return tree
                .walk()
                .into_iter()
                .find(|(_, c)| c.parent_id == Some(id) && c.kind == OrgKind::Authority)
                .map(|(_, c)| c.id);
        }
        cur = o.parent_id;
    }
    None
}

fn clean_ids(v: &[i64]) -> Vec<i64> {
    v.iter()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`).
fn double_option<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Option<i64>>, D::Error> {
    Ok(Some(Option::<i64>::deserialize(d)?))
}
