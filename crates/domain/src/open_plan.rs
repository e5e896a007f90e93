//! Open data plans (开放计划, OPN-2): the year's priority areas of open data
//! (年度公共数据开放重点, Art. 31), each agency's yearly open plan
//! (年度公共数据开放计划, Art. 37) filed (备案) with the authority of its
//! level, and whether each planned item is fulfilled — computed from the
//! catalogue and the datasets, never typed.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::catalog::OpenAttribute;

string_enum! {
    /// The four categories of data to open first (重点和优先开放, Art. 31).
    PriorityArea {
        PublicGovernance = "public_governance" / "公共安全、公共卫生、城市治理、社会治理、民生保障" / "Public safety, public health, urban and social governance, livelihood",
        NaturalResources = "natural_resources" / "自然资源、生态环境、交通出行" / "Natural resources, ecology and environment, transport",
        LicensingCredit = "licensing_credit" / "行政许可、企业公共信用信息" / "Administrative licensing, enterprises' public credit information",
        Other = "other" / "其他需要重点和优先开放的数据" / "Other data to open first",
    }
}

string_enum! {
    /// Where a yearly open plan stands.
    PlanState {
        Draft = "draft" / "草稿" / "Draft",
        Filed = "filed" / "已报备案" / "Filed",
        Returned = "returned" / "已退回" / "Returned",
        Acknowledged = "acknowledged" / "已备案" / "Acknowledged",
    }
}

impl PlanState {
    /// Whether the agency may still change the plan (and file it).
    pub fn editable(self) -> bool {
        matches!(self, PlanState::Draft | PlanState::Returned)
    }
}

string_enum! {
    /// Whether a planned item is open (开放计划落实情况), computed.
    Fulfilment {
        Fulfilled = "fulfilled" / "已按期开放" / "Opened on time",
        Late = "late" / "逾期开放" / "Opened late",
        Pending = "pending" / "待开放" / "Pending",
        Overdue = "overdue" / "逾期未开放" / "Overdue",
    }
}

/// How an item stands: open on `opened_on` (its entry published with an
/// open attribute and its dataset loaded), or not yet, against the planned
/// date and today (China time).
pub fn fulfilment(
    opened_on: Option<NaiveDate>,
    planned_on: NaiveDate,
    today: NaiveDate,
) -> Fulfilment {
    match opened_on {
        Some(d) if d <= planned_on => Fulfilment::Fulfilled,
        Some(_) => Fulfilment::Late,
        None if today > planned_on => Fulfilment::Overdue,
        None => Fulfilment::Pending,
    }
}

/// One item of a yearly open plan: a catalogue entry of the agency, or a
/// dataset not yet catalogued (named only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanItem {
    /// The agency's catalogue entry to open; absent for a dataset not yet
    /// catalogued.
    #[serde(default)]
    pub entry_id: Option<i64>,
    /// The dataset's name (of an entry: filled from the entry when empty).
    #[serde(default)]
    pub name: String,
    /// Its priority area (Art. 31).
    pub area: PriorityArea,
    /// The day it is to be open by (China date).
    pub planned_on: NaiveDate,
    /// `unconditional` or `conditional` (有条件开放).
    pub open_attribute: OpenAttribute,
}

/// At most this many items in one plan.
pub const MAX_PLAN_ITEMS: usize = 200;
/// At most this many priority areas a year.
pub const MAX_PRIORITIES: usize = 20;

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn fulfilment_follows_the_opening_day_and_the_plan() {
        let planned = d("2026-06-30");
        assert_eq!(
            fulfilment(Some(d("2026-06-30")), planned, d("2026-12-01")),
            Fulfilment::Fulfilled
        );
        assert_eq!(
            fulfilment(Some(d("2026-07-01")), planned, d("2026-12-01")),
            Fulfilment::Late
        );
        assert_eq!(
            fulfilment(None, planned, d("2026-06-30")),
            Fulfilment::Pending
        );
        assert_eq!(
            fulfilment(None, planned, d("2026-07-01")),
            Fulfilment::Overdue
        );
    }

    #[test]
    fn areas_and_states_round_trip() {
        for a in PriorityArea::ALL {
            assert_eq!(a.as_str().parse::<PriorityArea>().unwrap(), *a);
            assert_eq!(serde_json::to_value(a).unwrap(), a.as_str());
        }
        for s in PlanState::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        assert!(PlanState::Returned.editable() && !PlanState::Filed.editable());
    }
}
