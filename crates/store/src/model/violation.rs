//! Violations and rectification notices (违规与整改, VIO-1, VIO-2).

use chrono::{DateTime, NaiveDate, Utc};
use pubdata_domain::violation::{
    RectificationState, ViolationKind, ViolationSource, ViolationState,
};
use serde::Serialize;

use super::NewCase;

/// A violation recorded against a body (Art. 49) or a data user (Art. 50).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Violation {
    pub id: i64,
    /// The body or data user it is recorded against.
    pub org_id: i64,
    /// The data authority responsible for it.
    pub authority_org: i64,
    pub kind: ViolationKind,
    pub source: ViolationSource,
    /// What the platform found, once (detected violations only), e.g.
    /// `case_overdue:12`.
    pub detection_key: Option<String>,
    /// The record it is about, e.g. `case:12`, `dataset:3`, `grant:7`.
    pub subject: Option<String>,
    pub title: String,
    pub description: String,
    /// What shows it (counts, ids, dates).
    #[schema(value_type = Object)]
    pub evidence: serde_json::Value,
    pub state: ViolationState,
    /// The rectification notice that covers it.
    pub rectification_id: Option<i64>,
    /// Grants of the data user suspended for it (Art. 50).
    pub grants_suspended: i64,
    /// The day it happened (China date).
    pub occurred_on: NaiveDate,
    pub closed_by: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    pub closing_note: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewViolation {
    pub org_id: i64,
    pub authority_org: i64,
    pub kind: ViolationKind,
    pub source: ViolationSource,
    pub detection_key: Option<String>,
    pub subject: Option<String>,
    pub title: String,
    pub description: String,
    pub evidence: serde_json::Value,
    pub occurred_on: NaiveDate,
    pub created_by: String,
}

#[derive(Debug, Clone, Default)]
pub struct ViolationFilter {
    /// Violations against, or handled by, one of these; `None` for all.
    pub orgs: Option<Vec<i64>>,
    pub state: Option<ViolationState>,
    pub kind: Option<ViolationKind>,
    pub source: Option<ViolationSource>,
    pub rectification_id: Option<i64>,
    /// Recorded at or after / before.
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub limit: u32,
}

/// A rectification notice (限期整改通知): one body, its open violations,
/// a requirement and a time limit in working days.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Rectification {
    pub id: i64,
    pub org_id: i64,
    pub authority_org: i64,
    /// What must be put right (整改要求).
    pub requirement: String,
    /// The time limit set, in working days.
    pub working_days: i64,
    pub case_id: Option<i64>,
    pub due_on: NaiveDate,
    pub state: RectificationState,
    /// The body's report on its rectification (整改情况).
    pub report: Option<String>,
    pub reported_by: Option<String>,
    pub reported_at: Option<DateTime<Utc>>,
    /// The authority's acceptance or reasons for returning the report.
    pub decision_note: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    /// When the missed notice went onto the government's supervision list
    /// (纳入督查督办).
    pub escalated_at: Option<DateTime<Utc>>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewRectification {
    pub org_id: i64,
    pub authority_org: i64,
    pub requirement: String,
    pub working_days: i64,
    pub violations: Vec<i64>,
    pub created_by: String,
    /// The notice's case (its subject is filled in).
    pub case: NewCase,
}

#[derive(Debug, Clone, Default)]
pub struct RectificationFilter {
    /// Notices to, or from, one of these; `None` for all.
    pub orgs: Option<Vec<i64>>,
    pub state: Option<RectificationState>,
    /// Only those on (true) or off (false) the supervision list.
    pub escalated: Option<bool>,
    pub limit: u32,
}

/// A step of a notice.
#[derive(Debug, Clone)]
pub enum RectificationMove {
    /// The body reports (open → reported).
    Report { report: String },
    /// The authority accepts (reported → accepted): the case closes and the
    /// violations are closed.
    Accept { note: String },
    /// The authority returns the report (reported → open).
    Return { note: String },
}
