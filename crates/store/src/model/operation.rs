//! Authorised operation (公共数据授权运营, OPS-1..3, Art. 39–42).

use chrono::{DateTime, NaiveDate, Utc};
use pubdata_domain::operation::{AgreementState, ArrangementState};
use pubdata_domain::org::Level;
use serde::Serialize;

use super::NewCase;

/// An operation agreement (授权运营协议) between a public body and a
/// third-party operator (运营单位).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct OperationAgreement {
    pub id: i64,
    /// The signing agency, or the county authority for a county operation.
    pub agency_org: i64,
    /// The third-party operator (an enterprise or institute).
    pub operator_org: i64,
    /// City or county operation (县级授权运营 is filed with the city too).
    pub level: Level,
    pub title: String,
    /// The datasets the operator may receive.
    pub datasets: Vec<i64>,
    /// Application scenarios (应用场景).
    pub scenarios: String,
    pub term_from: NaiveDate,
    pub term_to: NaiveDate,
    /// Revenue terms (收益分配).
    pub revenue_terms: String,
    pub state: AgreementState,
    /// The authority's reason for returning, or the termination's.
    pub reason: Option<String>,
    /// The earlier arrangement this agreement re-signs.
    pub earlier_arrangement: Option<i64>,
    pub filed_at: Option<DateTime<Utc>>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewAgreement {
    pub agency_org: i64,
    pub operator_org: i64,
    pub level: Level,
    pub title: String,
    pub datasets: Vec<i64>,
    pub scenarios: String,
    pub term_from: NaiveDate,
    pub term_to: NaiveDate,
    pub revenue_terms: String,
    pub earlier_arrangement: Option<i64>,
    pub created_by: String,
}

/// Which agreements to list.
#[derive(Debug, Clone, Default)]
pub struct AgreementFilter {
    /// Agreements signed by, or operated by, one of these (`None`: all).
    pub orgs: Option<Vec<i64>>,
    pub operator_org: Option<i64>,
    pub state: Option<AgreementState>,
}

/// An earlier arrangement (前期安排) giving a third party data, registered
/// for the city authority's review (Art. 40).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct OperationArrangement {
    pub id: i64,
    pub agency_org: i64,
    pub third_party_org: i64,
    pub description: String,
    pub datasets: Vec<i64>,
    /// Since when the third party has received data.
    pub since: NaiveDate,
    pub state: ArrangementState,
    pub case_id: Option<i64>,
    /// Decided by this day (20 working days, a platform default).
    pub due_on: NaiveDate,
    pub reason: Option<String>,
    /// The new agreement draft, when re-signed.
    pub agreement_id: Option<i64>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewArrangement {
    pub agency_org: i64,
    pub third_party_org: i64,
    pub description: String,
    pub datasets: Vec<i64>,
    pub since: NaiveDate,
    pub created_by: String,
    pub case: NewCase,
}

/// One period's revenue and contribution record (收益与分成, Art. 41).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RevenueRecord {
    pub id: i64,
    pub agreement_id: i64,
    /// The period, e.g. `2026-Q3` or `2026-10`.
    pub period: String,
    /// Revenue in fen (分).
    pub revenue_fen: i64,
    /// Contribution (分成) to the agency, in fen.
    pub contribution_fen: i64,
    /// Products and services counted in the period.
    pub products: i64,
    pub note: String,
    pub entered_by: String,
    pub entered_org: i64,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewRevenue {
    pub agreement_id: i64,
    pub period: String,
    pub revenue_fen: i64,
    pub contribution_fen: i64,
    pub products: i64,
    pub note: String,
    pub entered_by: String,
    pub entered_org: i64,
}

/// A product or service built on open data (Art. 42).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct OpenProduct {
    pub id: i64,
    pub name: String,
    /// The registering organisation, if any.
    pub org_id: Option<i64>,
    /// The operator or organisation, as shown.
    pub provider: String,
    pub description: String,
    /// The open datasets used.
    pub datasets: Vec<i64>,
    pub url: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewOpenProduct {
    pub name: String,
    pub org_id: Option<i64>,
    pub provider: String,
    pub description: String,
    pub datasets: Vec<i64>,
    pub url: Option<String>,
    pub created_by: String,
}
