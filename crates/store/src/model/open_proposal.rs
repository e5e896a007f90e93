//! Filing of open attributes and the authority's change proposals (开放属性
//! 备案与修改建议, OPN-1, Art. 32–34).

use chrono::{DateTime, NaiveDate, Utc};
use pubdata_domain::catalog::{OpenAttribute, OpenClause};
use pubdata_domain::open_proposal::ProposalState;
use serde::Serialize;

use super::{EntryChange, NewCase};

/// A filed open attribute (开放属性备案): what a published version of an
/// entry says and why, filed with the authority of the agency's level
/// (Art. 33, 34 last paragraphs).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct OpenFiling {
    pub id: i64,
    pub entry_id: i64,
    /// The providing agency.
    pub org_id: i64,
    /// The data authority of the agency's level.
    pub authority_org: i64,
    /// The published version filed.
    pub version: i64,
    pub attribute: OpenAttribute,
    pub clauses: Vec<OpenClause>,
    /// The agency's basis (依据).
    pub basis: String,
    pub filed_on: NaiveDate,
    pub filed_by: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default)]
pub struct FilingFilter {
    /// Filings with these authorities.
    pub authority_orgs: Option<Vec<i64>>,
    pub org_id: Option<i64>,
    pub entry_id: Option<i64>,
    pub attribute: Option<OpenAttribute>,
    /// Only the filings of entries' current published versions.
    pub current_only: bool,
    pub limit: u32,
}

/// The authority's proposal to change an entry's open attribute (修改建议,
/// Art. 32), with the agency's answer and, without agreement, the
/// government's decision (报本级人民政府决定).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct OpenProposal {
    pub id: i64,
    pub entry_id: i64,
    /// The agency that answers.
    pub org_id: i64,
    /// The proposing authority.
    pub authority_org: i64,
    /// The filing the proposal is about, when there is one.
    pub filing_id: Option<i64>,
    /// The attribute when proposed.
    pub from_attribute: OpenAttribute,
    pub from_clauses: Vec<OpenClause>,
    pub proposed_attribute: OpenAttribute,
    pub proposed_clauses: Vec<OpenClause>,
    /// The authority's reasons.
    pub reasons: String,
    pub proposed_by: String,
    pub state: ProposalState,
    /// The agency's reasons for agreeing or disagreeing.
    pub answer_reasons: Option<String>,
    pub answered_by: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    /// The entry version the agreement wrote.
    pub applied_version: Option<i64>,
    /// The authority's position when escalating.
    pub escalation_reasons: Option<String>,
    pub escalated_by: Option<String>,
    pub escalated_at: Option<DateTime<Utc>>,
    /// The government's decision: its document number (文号) …
    pub decision_document_no: Option<String>,
    /// … its date …
    pub decision_date: Option<NaiveDate>,
    /// … and what it decided.
    pub decided_attribute: Option<OpenAttribute>,
    /// The decided clauses (empty until decided).
    pub decided_clauses: Vec<OpenClause>,
    /// The entry version the decision wrote (none when it kept the attribute).
    pub decided_version: Option<i64>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewOpenProposal {
    pub entry_id: i64,
    pub org_id: i64,
    pub authority_org: i64,
    pub filing_id: Option<i64>,
    pub from_attribute: OpenAttribute,
    pub from_clauses: Vec<OpenClause>,
    pub proposed_attribute: OpenAttribute,
    pub proposed_clauses: Vec<OpenClause>,
    pub reasons: String,
    pub proposed_by: String,
    /// The agency's answer case (its subject is set by the store).
    pub case: NewCase,
}

#[derive(Debug, Clone, Default)]
pub struct ProposalFilter {
    pub entry_id: Option<i64>,
    /// Proposals of these authorities or to these agencies.
    pub orgs: Option<Vec<i64>>,
    pub state: Option<ProposalState>,
    pub limit: u32,
}

/// The agency's answer: agreeing applies `change` (a new version).
#[derive(Debug, Clone)]
pub struct ProposalAnswer {
    pub id: i64,
    pub agree: bool,
    pub reasons: String,
    pub change: Option<EntryChange>,
    pub actor: String,
}

/// The government's decision as the authority records it; `change` applies
/// it to the entry (a new published version), unless it keeps the attribute.
#[derive(Debug, Clone)]
pub struct GovernmentDecision {
    pub id: i64,
    pub document_no: String,
    pub decided_on: NaiveDate,
    pub attribute: OpenAttribute,
    pub clauses: Vec<OpenClause>,
    pub change: Option<EntryChange>,
    pub actor: String,
}
