//! Conditional open data applications (有条件开放申请, OPN-4).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use pubdata_domain::open::ApplicationState;
use serde::Serialize;

use super::NewCase;

/// An application for a conditionally open dataset, its answer and its data
/// use agreement (利用协议).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OpenApplication {
    pub id: i64,
    pub dataset_id: i64,
    pub entry_id: i64,
    /// The source agency (提供部门) that answers.
    pub source_org: i64,
    /// The applicant's username.
    pub applicant: String,
    #[serde(skip)]
    pub applicant_user_id: Option<i64>,
    pub applicant_name: String,
    /// `person` or `enterprise`.
    pub applicant_kind: String,
    /// The organisation an enterprise's applicant acts for.
    pub applicant_org: Option<i64>,
    /// The party to the agreement, as written in it.
    pub party: String,
    pub purpose: String,
    pub use_scenario: String,
    /// The data items asked for.
    pub fields: Vec<String>,
    /// The last day of use asked for (China date).
    pub end_date: Option<NaiveDate>,
    pub state: ApplicationState,
    /// The answer is due by this day (10 working days, Art. 38).
    pub answer_due: NaiveDate,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    /// The reasons of a refusal (required), or an approval's note.
    pub reason: String,
    /// The approved data items (the asked ones, or fewer).
    pub approved_fields: Option<Vec<String>>,
    /// Masking rule per approved personal item.
    pub masks: Option<BTreeMap<String, String>>,
    pub valid_from: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
    pub agreement_version: Option<i64>,
    pub agreement_text: Option<String>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub accepted_by: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewOpenApplication {
    pub dataset_id: i64,
    pub entry_id: i64,
    pub source_org: i64,
    pub applicant: String,
    pub applicant_user_id: Option<i64>,
    pub applicant_name: String,
    pub applicant_kind: String,
    pub applicant_org: Option<i64>,
    pub party: String,
    pub purpose: String,
    pub use_scenario: String,
    pub fields: Vec<String>,
    pub end_date: Option<NaiveDate>,
    /// The answer case (its subject is set by the store).
    pub case: NewCase,
}

/// The source agency's answer.
#[derive(Debug, Clone)]
pub struct OpenDecision {
    pub application_id: i64,
    pub approve: bool,
    pub reason: String,
    pub actor: String,
    /// For an approval: fields, masks, term and agreement.
    pub approved_fields: Option<Vec<String>>,
    pub masks: Option<BTreeMap<String, String>>,
    pub valid_from: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
    pub agreement_version: Option<i64>,
    pub agreement_text: Option<String>,
}

/// Which applications to list.
#[derive(Debug, Clone, Default)]
pub struct OpenApplicationFilter {
    /// Only this applicant's (username).
    pub applicant: Option<String>,
    /// Only those made of these source agencies; `None`: any.
    pub source_orgs: Option<Vec<i64>>,
    pub state: Option<ApplicationState>,
    pub limit: u32,
}
