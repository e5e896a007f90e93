//! Per-agency security management (安全管理, SEC-2 to SEC-4, Art. 44–45):
//! security officers, grade-based protection settings, recorded checks,
//! assessments and drills, confidentiality reviews and unusual-access
//! alerts.

use chrono::{DateTime, NaiveDate, Utc};
use pubdata_domain::security::{AlertKind, SecurityRecordKind};
use serde::Serialize;

/// The agency's security officer (安全负责人).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SecurityOfficer {
    pub org_id: i64,
    pub name: String,
    /// The officer's post (职务).
    pub post: String,
    /// Telephone or other contact (联系方式).
    pub contact: String,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

/// What the agency requires for data of one grade (分级保护设置).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct GradeProtection {
    pub org_id: i64,
    /// A grade code of the grading scheme, e.g. `L3`.
    pub grade: String,
    /// Personal items are masked by default when shared (默认脱敏).
    pub masking_default: bool,
    /// A confidentiality review (保密审查) must pass before data of this
    /// grade is shared or opened.
    pub review_required: bool,
    /// Grantees may export (下载导出) data of this grade.
    pub export_allowed: bool,
    pub notes: String,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

/// A security check, risk assessment or drill as recorded (Art. 44, 45).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SecurityRecord {
    pub id: i64,
    pub org_id: i64,
    pub kind: SecurityRecordKind,
    pub held_on: NaiveDate,
    /// The scope checked or assessed, or the drill's scenario.
    pub scope: String,
    /// The findings, or the drill's result.
    pub findings: String,
    /// Rectification and follow-up (整改跟进).
    pub follow_up: String,
    pub recorded_by: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewSecurityRecord {
    pub org_id: i64,
    pub kind: SecurityRecordKind,
    pub held_on: NaiveDate,
    pub scope: String,
    pub findings: String,
    pub follow_up: String,
    pub recorded_by: String,
}

/// A confidentiality review (保密审查) of a share request or of an entry
/// version to be opened.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ConfidentialityReview {
    pub id: i64,
    /// The reviewing agency (the data's provider).
    pub org_id: i64,
    pub entry_id: i64,
    /// For an opening: the entry version reviewed.
    pub entry_version: Option<i64>,
    /// For a sharing: the share request reviewed.
    pub share_request_id: Option<i64>,
    /// Who reviewed (审查人).
    pub reviewer: String,
    pub reviewed_on: NaiveDate,
    /// The conclusion: passed (通过) or not (不通过).
    pub passed: bool,
    pub notes: String,
    pub recorded_by: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewConfidentialityReview {
    pub org_id: i64,
    pub entry_id: i64,
    pub entry_version: Option<i64>,
    pub share_request_id: Option<i64>,
    pub reviewer: String,
    pub reviewed_on: NaiveDate,
    pub passed: bool,
    pub notes: String,
    pub recorded_by: String,
}

#[derive(Debug, Clone, Default)]
pub struct ReviewFilter {
    pub org_id: Option<i64>,
    pub entry_id: Option<i64>,
    pub entry_version: Option<i64>,
    pub share_request_id: Option<i64>,
    pub limit: u32,
}

/// An alert on unusual access (异常访问告警, SEC-3).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SecurityAlert {
    pub id: i64,
    pub kind: AlertKind,
    /// Kind, grant and window: the same finding is stored once.
    pub fingerprint: String,
    pub grant_id: i64,
    /// The grant's source department.
    pub source_org: i64,
    /// The grantee.
    pub grantee_org: i64,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    /// What was counted (reads, reads at odd hours, keys or probes).
    pub observed: i64,
    /// The threshold it exceeded.
    pub threshold: i64,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    pub detected_at: DateTime<Utc>,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub ack_note: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewSecurityAlert {
    pub kind: AlertKind,
    pub fingerprint: String,
    pub grant_id: i64,
    pub source_org: i64,
    pub grantee_org: i64,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    pub observed: i64,
    pub threshold: i64,
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone, Default)]
pub struct AlertFilter {
    /// Alerts on grants from or to these organisations (`None`: all).
    pub orgs: Option<Vec<i64>>,
    pub kind: Option<AlertKind>,
    /// Only alerts not yet acknowledged.
    pub open_only: bool,
    pub limit: u32,
}

/// Alerts of one kind: how many ever, how many not acknowledged.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AlertCount {
    pub kind: AlertKind,
    pub total: i64,
    pub open: i64,
}

/// One access record (`dataset.read`, `dataset.verify`,
/// `dataset.verify_probing`) through a grant, as alert detection sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct GrantAccess {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub action: String,
    pub grant_id: i64,
    /// For verifications: the keys verified (or probed).
    pub keys: Vec<String>,
    /// Rows read, or records verified.
    pub rows: i64,
}
