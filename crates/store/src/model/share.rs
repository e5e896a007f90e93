//! Sharing (数据共享, SHR-1 … SHR-9): share requests, grants, usage.

use chrono::{DateTime, NaiveDate, Utc};
use pubdata_domain::share::{
    DeliveryMode, DemandState, GrantScope, GrantState, RequestState, RowFilter,
};
use serde::Serialize;
use std::collections::BTreeMap;

use super::NewCase;

/// A share request (共享申请): what an agency asked of a source department.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ShareRequest {
    pub id: i64,
    pub entry_id: i64,
    pub dataset_id: i64,
    pub requester_org: i64,
    pub source_org: i64,
    /// The data user (数据使用人) who asked: username.
    pub requested_by: String,
    pub requested_by_name: String,
    /// 应用业务场景
    pub scenario: String,
    /// 使用单位
    pub using_unit: String,
    pub fields: Vec<String>,
    pub mode: DeliveryMode,
    pub until: NaiveDate,
    pub purpose: String,
    /// Research and education use only (Art. 27), accepted by the requester.
    pub research_only: bool,
    pub state: RequestState,
    /// Conditional entries: the source answers by this day (2 working days).
    pub answer_due: Option<NaiveDate>,
    /// Approved requests: implemented by this day (3 working days of the answer).
    pub implement_due: Option<NaiveDate>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    /// The law, regulation or rule a refusal cites; the approval's note.
    pub basis: String,
    pub grant_id: Option<i64>,
    /// Data authorities a cross-level or cross-region request is filed
    /// with (备案, Art. 26): the level above and the requester's own.
    pub filed_with: Vec<i64>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewShareRequest {
    pub entry_id: i64,
    pub dataset_id: i64,
    pub requester_org: i64,
    pub source_org: i64,
    pub requested_by: String,
    pub requested_by_name: String,
    pub scenario: String,
    pub using_unit: String,
    pub fields: Vec<String>,
    pub mode: DeliveryMode,
    pub until: NaiveDate,
    pub purpose: String,
    pub research_only: bool,
    pub filed_with: Vec<i64>,
}

/// How a new request proceeds, written with it in one transaction.
#[derive(Debug, Clone)]
pub enum RequestOpening {
    /// Unconditional: granted at once (the grant's `request_id` is filled in).
    Grant(Box<NewGrant>),
    /// Conditional: a case for the source department (its subject is filled in).
    Case(NewCase),
}

/// A grant (授权): minimum authorisation (最小授权, Art. 25).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Grant {
    pub id: i64,
    pub request_id: Option<i64>,
    pub dataset_id: i64,
    pub entry_id: i64,
    pub source_org: i64,
    pub grantee_org: i64,
    pub using_unit: String,
    pub scenario: String,
    pub purpose: String,
    /// Responsible for the use of the data (RESP-1).
    pub data_user: String,
    /// The granted fields, in the dataset's order.
    pub fields: Vec<String>,
    /// Masking rule per field (`keep:6,4`, `name`, …).
    pub masks: BTreeMap<String, String>,
    pub row_filter: Option<RowFilter>,
    pub mode: DeliveryMode,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    /// Requests per minute.
    pub rate_limit: i64,
    pub research_only: bool,
    pub state: GrantState,
    pub state_reason: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub implemented_at: Option<DateTime<Utc>>,
}

impl Grant {
    /// What the grant allows, for the one door's decision.
    pub fn scope(&self) -> GrantScope {
        GrantScope {
            fields: self.fields.clone(),
            masks: self.masks.clone(),
            row_filter: self.row_filter.clone(),
            mode: self.mode,
            valid_from: self.valid_from,
            valid_until: self.valid_until,
            state: self.state,
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewGrant {
    pub request_id: Option<i64>,
    pub dataset_id: i64,
    pub entry_id: i64,
    pub source_org: i64,
    pub grantee_org: i64,
    pub using_unit: String,
    pub scenario: String,
    pub purpose: String,
    pub data_user: String,
    pub fields: Vec<String>,
    pub masks: BTreeMap<String, String>,
    pub row_filter: Option<RowFilter>,
    pub mode: DeliveryMode,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    pub rate_limit: i64,
    pub research_only: bool,
    pub state: GrantState,
    pub created_by: String,
}

/// The source department's answer to a pending request.
#[derive(Debug, Clone)]
pub struct ShareDecision {
    pub request_id: i64,
    pub approve: bool,
    pub basis: String,
    pub actor: String,
    /// Approval: the grant (pending implementation) and its implementation case.
    pub grant: Option<NewGrant>,
    pub implement_case: Option<NewCase>,
}

/// Filters for share requests; newest first.
#[derive(Debug, Clone, Default)]
pub struct ShareRequestFilter {
    pub requester_orgs: Option<Vec<i64>>,
    pub source_orgs: Option<Vec<i64>>,
    pub state: Option<RequestState>,
    pub limit: u32,
}

/// Filters for grants; newest first.
#[derive(Debug, Clone, Default)]
pub struct GrantFilter {
    pub grantee_orgs: Option<Vec<i64>>,
    pub source_orgs: Option<Vec<i64>>,
    pub dataset_id: Option<i64>,
    pub limit: u32,
}

/// Reads through one grant on one China day.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct GrantUsage {
    pub grant_id: i64,
    pub day: NaiveDate,
    pub reads: i64,
    pub rows_out: i64,
}

/// A grantee's periodic usage report (SHR-1).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct UsageReport {
    pub id: i64,
    pub grant_id: i64,
    /// e.g. `2026-Q4`.
    pub period: String,
    pub summary: String,
    /// Business cases served with the data in the period.
    pub uses: i64,
    pub filed_by: String,
    pub filed_at: DateTime<Utc>,
}

/// Where a table-push grant's view goes (库表推送), and how far it got.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PushTarget {
    pub grant_id: i64,
    /// `sqlite://PATH` or `postgres://…`; the password never shows.
    #[schema(value_type = String)]
    pub url: pubdata_domain::secret::SecretUrl,
    pub table_name: String,
    pub every_minutes: i64,
    /// The dataset version the target holds (0: nothing pushed yet).
    pub pushed_version: i64,
    pub last_push_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// Failed attempts since the last success (retries back off).
    pub failures: i64,
    pub next_at: DateTime<Utc>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

/// A demand for data not in the catalogue (目录外数据需求, SHR-5).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DataDemand {
    pub id: i64,
    pub requester_org: i64,
    /// The source department chosen to confirm.
    pub source_org: i64,
    pub requested_by: String,
    pub description: String,
    /// The data items wanted.
    pub items: Vec<String>,
    pub scenario: String,
    pub purpose: String,
    pub state: DemandState,
    /// Confirmed within 5 working days.
    pub answer_due: NaiveDate,
    pub answer: String,
    /// The law, regulation or rule a refusal cites.
    pub basis: String,
    /// The catalogue entry the data was catalogued as.
    pub entry_id: Option<i64>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewDataDemand {
    pub requester_org: i64,
    pub source_org: i64,
    pub requested_by: String,
    pub description: String,
    pub items: Vec<String>,
    pub scenario: String,
    pub purpose: String,
}

/// The source department's step on a demand.
#[derive(Debug, Clone)]
pub struct DemandStep {
    pub id: i64,
    /// Only from these states (else `Conflict`).
    pub from: Vec<DemandState>,
    pub to: DemandState,
    pub answer: String,
    pub basis: String,
    pub entry_id: Option<i64>,
    pub actor: String,
}

/// A file delivery of a grant: an export of the granted view, or an offline
/// delivery (表格, 文档, 拷贝) recorded by the source department.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Delivery {
    pub id: i64,
    pub grant_id: i64,
    /// `export_csv`, `export_xlsx`, `spreadsheet`, `document` or `copy`.
    pub kind: String,
    pub description: String,
    pub rows_out: i64,
    /// Who received it (a person of the grantee).
    pub received_by: String,
    pub delivered_by: String,
    pub delivered_at: DateTime<Utc>,
}

/// A desensitised derivative (脱敏衍生, SHR-6): the derived entry and
/// dataset, the parent they come from and the transformation per field.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Derivation {
    pub id: i64,
    /// The agency that holds the parent and made the derivative.
    pub org_id: i64,
    pub parent_dataset_id: i64,
    pub parent_entry_id: i64,
    /// The derived catalogue entry.
    pub entry_id: i64,
    /// The derived dataset, made once the entry is published.
    pub dataset_id: Option<i64>,
    /// The kept fields in the parent's column order with their
    /// transformation; fields not named were dropped.
    pub transforms: Vec<FieldTransform>,
    /// HMAC key of the pseudonyms (hex): never serialised.
    #[serde(skip)]
    pub secret: String,
    /// The parent version the derived dataset holds (0: none yet).
    pub parent_version: i64,
    pub last_refresh_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// Quasi-identifiers (准标识符) of the k-anonymity check: derived fields.
    pub quasi_identifiers: Vec<String>,
    /// The k-anonymity threshold.
    pub k: u32,
    /// The parent holds personal items and the derivative is open: each
    /// version is checked for re-identification risk before the public
    /// may read it (OPN-5).
    pub reid_required: bool,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewDerivation {
    pub org_id: i64,
    pub parent_dataset_id: i64,
    pub parent_entry_id: i64,
    pub transforms: Vec<FieldTransform>,
    pub secret: String,
    pub quasi_identifiers: Vec<String>,
    pub k: u32,
    pub reid_required: bool,
    pub created_by: String,
}

/// A recorded re-identification check (重识别风险检查, OPN-5).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ReidCheck {
    pub id: i64,
    pub derivation_id: i64,
    /// The derived dataset checked (none: the parent's rows on creation).
    pub dataset_id: Option<i64>,
    /// The derived version checked (0 on creation).
    pub version: i64,
    /// `creation`, `refresh` or `review` (the periodic review, Art. 37).
    pub purpose: String,
    pub report: pubdata_domain::reident::ReidReport,
    pub checked_by: String,
    pub checked_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewReidCheck {
    pub derivation_id: i64,
    pub dataset_id: Option<i64>,
    pub version: i64,
    pub purpose: &'static str,
    pub report: pubdata_domain::reident::ReidReport,
    pub checked_by: String,
}

/// A derived field and what was done to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct FieldTransform {
    pub field: String,
    /// `keep`, `mask:RULE`, `pseudonym`, `year`, `month`, `district`, `age_band:N`.
    pub transform: String,
}

/// What one refresh of a derivative did.
#[derive(Debug, Clone)]
pub enum DerivationRefresh {
    /// The derived dataset (made now or before) holds this parent version.
    Done {
        dataset_id: i64,
        parent_version: i64,
    },
    Failed(String),
}

/// A masking rule by data item name (脱敏规则): the first rule with a word
/// in the item's name gives the item's default mask.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct MaskingRule {
    /// Any of these words in an item's name selects the rule.
    pub words: Vec<String>,
    /// The rule: `keep:N,M`, `name`, `address`, `email`, `year`, `suppress`.
    pub rule: String,
}

/// Which derivations to list.
#[derive(Debug, Clone, Default)]
pub struct DerivationFilter {
    /// Made by these organisations (`None`: any).
    pub orgs: Option<Vec<i64>>,
    pub parent_dataset_id: Option<i64>,
    pub limit: u32,
}
