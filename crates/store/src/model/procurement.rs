//! Procurement of social data (社会数据统一采购, COL-3, Art. 17).

use chrono::{DateTime, NaiveDate, Utc};
use pubdata_domain::procurement::{ProcurementState, PurchaseKind};
use serde::Serialize;

use super::NewCase;

/// An agency's demand for purchased social data (社会数据采购需求).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ProcurementDemand {
    pub id: i64,
    /// The demanding agency (需求部门).
    pub agency_org: i64,
    /// The data authority of its level, which evaluates and procures.
    pub authority_org: i64,
    pub kind: PurchaseKind,
    pub title: String,
    /// The demand (需求方案): what data, what coverage, what for.
    pub description: String,
    /// Why the platform cannot provide it.
    pub justification: String,
    /// Estimated budget in fen (分).
    pub budget_fen: i64,
    pub state: ProcurementState,
    pub case_id: Option<i64>,
    /// The evaluation is due by this day.
    pub due_on: NaiveDate,
    /// The evaluation's reason (required for a refusal).
    pub reason: Option<String>,
    pub evaluated_by: Option<String>,
    pub evaluated_at: Option<DateTime<Utc>>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewProcurementDemand {
    pub agency_org: i64,
    pub authority_org: i64,
    pub kind: PurchaseKind,
    pub title: String,
    pub description: String,
    pub justification: String,
    pub budget_fen: i64,
    pub created_by: String,
    pub case: NewCase,
}

/// The unified procurement record (统一采购记录) of an approved demand.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ProcurementRecord {
    pub id: i64,
    pub demand_id: i64,
    /// The supplier (供应商).
    pub supplier: String,
    /// The contract number (合同编号).
    pub contract_no: String,
    /// The contract amount in fen (分).
    pub amount_fen: i64,
    pub term_from: NaiveDate,
    pub term_to: NaiveDate,
    /// The catalogue entry under which the purchased data is catalogued
    /// (and so shared like any other).
    pub entry_id: i64,
    pub recorded_by: String,
    pub recorded_org: i64,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewProcurementRecord {
    pub demand_id: i64,
    pub supplier: String,
    pub contract_no: String,
    pub amount_fen: i64,
    pub term_from: NaiveDate,
    pub term_to: NaiveDate,
    pub entry_id: i64,
    pub recorded_by: String,
    pub recorded_org: i64,
}
