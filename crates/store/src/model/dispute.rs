//! Disputes between agencies (争议处理, DSP-1, Art. 48).

use chrono::{DateTime, NaiveDate, Utc};
use pubdata_domain::dispute::{
    DisputeStage, DisputeState, DisputeStepKind, DisputeSubjectKind, DisputeType,
};
use serde::Serialize;

use super::NewCase;

/// A dispute one agency files against another (争议).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Dispute {
    pub id: i64,
    /// The agency that filed it (提出方).
    pub complainant_org: i64,
    /// The agency it is against (被申请方).
    pub respondent_org: i64,
    /// The data authority that coordinates: the parties' level's, or across
    /// levels or regions the common upper one.
    pub authority_org: i64,
    /// The parties are of different levels or regions.
    pub cross_level: bool,
    pub dispute_type: DisputeType,
    pub subject_kind: Option<DisputeSubjectKind>,
    pub subject_id: Option<i64>,
    pub title: String,
    /// The complainant's grounds as filed.
    pub grounds: String,
    pub stage: DisputeStage,
    pub state: DisputeState,
    /// The current stage's case.
    pub case_id: Option<i64>,
    /// The current stage's due date.
    pub due_on: NaiveDate,
    /// The authority's leaning (倾向性意见) reported to the government.
    pub leaning: Option<String>,
    /// The agreed outcome, or the government's decision.
    pub outcome: Option<String>,
    /// The government decision's document number (文号).
    pub decision_no: Option<String>,
    pub settled_by: Option<String>,
    pub settled_at: Option<DateTime<Utc>>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

/// One entry of a dispute's record.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DisputeStep {
    pub id: i64,
    pub dispute_id: i64,
    pub stage: DisputeStage,
    pub kind: DisputeStepKind,
    /// On whose behalf (a party, or the authority).
    pub org_id: Option<i64>,
    pub actor: String,
    /// Grounds, response, minutes or outcome.
    pub body: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewDispute {
    pub complainant_org: i64,
    pub respondent_org: i64,
    pub authority_org: i64,
    pub cross_level: bool,
    pub dispute_type: DisputeType,
    pub subject_kind: Option<DisputeSubjectKind>,
    pub subject_id: Option<i64>,
    pub title: String,
    pub grounds: String,
    pub created_by: String,
    /// The negotiation case (its subject is filled in).
    pub case: NewCase,
}

#[derive(Debug, Clone, Default)]
pub struct DisputeFilter {
    /// Disputes where one of these is a party or the authority; `None` for all.
    pub orgs: Option<Vec<i64>>,
    pub state: Option<DisputeState>,
    pub limit: u32,
}

/// A move of a dispute: a statement, an escalation or the settlement.
#[derive(Debug, Clone)]
pub enum DisputeMove {
    Statement,
    /// To `to`, opening its case; with the leaning when reporting to the government.
    Escalate {
        to: DisputeStage,
        case: NewCase,
        leaning: Option<String>,
    },
    Settle {
        decision_no: Option<String>,
    },
}
