//! Cases with deadlines (shape 1).

use chrono::{DateTime, NaiveDate, Utc};
use pubdata_domain::case::{CaseKind, CaseState};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Case {
    pub id: i64,
    pub kind: CaseKind,
    /// What the case is about, e.g. `catalog_entry:12`.
    pub subject: String,
    pub requester_org: i64,
    pub responder_org: i64,
    pub state: CaseState,
    pub opened_on: NaiveDate,
    pub due_on: NaiveDate,
    pub closed_at: Option<DateTime<Utc>>,
    pub outcome: Option<String>,
    /// The legal basis the case rests on.
    pub basis: String,
    /// When the deadline sweep recorded the case overdue.
    pub overdue_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CaseEvent {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct NewCase {
    pub kind: CaseKind,
    pub subject: String,
    pub requester_org: i64,
    pub responder_org: i64,
    pub opened_on: NaiveDate,
    pub due_on: NaiveDate,
    pub basis: String,
}

#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub responder_orgs: Option<Vec<i64>>,
    pub requester_org: Option<i64>,
    pub kind: Option<CaseKind>,
    pub state: Option<CaseState>,
    pub subject: Option<String>,
    pub limit: u32,
}
