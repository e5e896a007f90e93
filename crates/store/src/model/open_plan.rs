//! Open data plans (开放计划, OPN-2): priority areas, yearly open plans and
//! the agencies' open-data responsibility.

use chrono::{DateTime, Utc};
use pubdata_domain::open_plan::{PlanItem, PlanState, PriorityArea};
use serde::{Deserialize, Serialize};

/// One priority area of a year (年度公共数据开放重点, Art. 31).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenPriority {
    pub area: PriorityArea,
    /// What is to be opened first in this area this year.
    pub description: String,
}

/// A yearly open plan of an agency (年度公共数据开放计划, Art. 37).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OpenPlan {
    pub id: i64,
    pub org_id: i64,
    pub year: i64,
    /// The data authority of the agency's level, which it is filed with.
    pub authority_id: i64,
    pub state: PlanState,
    pub items: Vec<PlanItem>,
    /// Bumped by every change.
    pub version: i64,
    /// Why the authority returned it (the last return).
    pub return_reason: String,
    pub filed_by: Option<String>,
    pub filed_at: Option<DateTime<Utc>>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewOpenPlan {
    pub org_id: i64,
    pub year: i64,
    pub authority_id: i64,
    pub items: Vec<PlanItem>,
    pub actor: String,
}

/// What a change of a plan stamps besides its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanStamp {
    /// An edit of the items.
    Edit,
    /// Filing (备案) with the authority.
    Filing,
    /// The authority's acknowledgement or return.
    Review,
}

/// One step of a plan, written with its audit record; refused
/// (`Conflict { what: "state" }`) unless the plan is in `expect`.
#[derive(Debug, Clone)]
pub struct PlanChange {
    pub id: i64,
    pub expect: Vec<PlanState>,
    pub new_state: PlanState,
    /// New items (an edit).
    pub items: Option<Vec<PlanItem>>,
    /// A return's reason (cleared on filing).
    pub return_reason: Option<String>,
    pub stamp: PlanStamp,
    pub actor: String,
}

/// Which plans to list.
#[derive(Debug, Clone, Default)]
pub struct OpenPlanFilter {
    pub year: Option<i64>,
    /// Only these agencies'; `None`: any.
    pub org_ids: Option<Vec<i64>>,
    /// Only in these states; `None`: any.
    pub states: Option<Vec<PlanState>>,
}

/// An agency's open-data responsibility (开放责任部门和人员, Art. 37).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OpenResponsibility {
    pub org_id: i64,
    /// 责任部门.
    pub department: String,
    /// 责任人.
    pub person: String,
    pub phone: String,
    pub email: String,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}
