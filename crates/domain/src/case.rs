//! Cases with deadlines (ARCHITECTURE.md, shape 1): a request one
//! organisation makes of another, with a due date in working days and an
//! append-only history. Each kind declares its time limit; whether a case is
//! overdue is derived from its due date and today's date in China, so it
//! turns overdue by itself.

use chrono::NaiveDate;
use serde::Serialize;

use crate::calendar::{Calendar, CalendarError, WorkingDays};

string_enum! {
    /// The kinds of case, each with its legal time limit.
    CaseKind {
        CatalogReview = "catalog_review" / "目录审核" / "Catalogue review",
        CatalogUpdate = "catalog_update" / "目录更新" / "Catalogue update obligation",
        ShareAnswer = "share_answer" / "共享申请答复" / "Answer a share request",
        ShareImplement = "share_implement" / "共享实施" / "Implement a share grant",
        DataDemand = "data_demand" / "目录外数据需求确认" / "Confirm a demand for uncatalogued data",
        OpenApplication = "open_application" / "有条件开放申请答复" / "Answer a conditional open data application",
        Objection = "objection" / "异议处理" / "Handle an objection",
        OpenProposal = "open_proposal" / "开放属性修改建议答复" / "Answer the authority's open attribute proposal",
        OpenEscalation = "open_escalation" / "开放属性报本级人民政府决定" / "Record the government's decision on an open attribute",
        DisputeNegotiation = "dispute_negotiation" / "争议自行协商" / "Negotiate a dispute",
        DisputeCoordination = "dispute_coordination" / "争议主管部门协调" / "Coordinate a dispute",
        DisputeConsultation = "dispute_consultation" / "争议联合会商" / "Consult jointly on a dispute",
        DisputeGovernment = "dispute_government" / "争议报政府决定" / "Government decision on a dispute",
        OperationArrangement = "operation_arrangement" / "前期授权运营安排研究" / "Review an earlier operation arrangement",
        Rectification = "rectification" / "限期整改" / "Rectify within the time limit",
        ProcurementEvaluation = "procurement_evaluation" / "社会数据采购需求评估" / "Evaluate a social data procurement demand",
    }
}

string_enum! {
    CaseState {
        Open = "open" / "办理中" / "Open",
        Closed = "closed" / "已办结" / "Closed",
    }
}

/// What a case (or an audit record) is about, written `kind:id` in storage
/// (`catalog_entry:12`). Later areas add their subjects here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaseSubject {
    /// A catalogue entry (目录).
    CatalogEntry(i64),
    /// A share request (共享申请).
    ShareRequest(i64),
    /// A demand for data not in the catalogue (目录外数据需求).
    DataDemand(i64),
    /// An application for conditionally open data (有条件开放申请).
    OpenApplication(i64),
    /// An objection to a record (异议, Art. 28).
    Objection(i64),
    /// The authority's proposal to change an entry's open attribute
    /// (开放属性修改建议, Art. 32).
    OpenProposal(i64),
    /// A dispute between agencies (争议, Art. 48).
    Dispute(i64),
    /// An earlier arrangement giving a third party data (前期安排, Art. 40).
    OperationArrangement(i64),
    /// A rectification notice (限期整改通知, Art. 49).
    Rectification(i64),
    /// A demand for purchased social data (社会数据采购需求, Art. 17).
    ProcurementDemand(i64),
}

impl CaseSubject {
    /// The catalogue entry, if the subject is one.
    pub fn entry_id(self) -> Option<i64> {
        match self {
            CaseSubject::CatalogEntry(id) => Some(id),
            CaseSubject::ShareRequest(_)
            | CaseSubject::DataDemand(_)
            | CaseSubject::OpenApplication(_)
            | CaseSubject::Objection(_)
            | CaseSubject::OpenProposal(_)
            | CaseSubject::Dispute(_)
            | CaseSubject::OperationArrangement(_)
            | CaseSubject::Rectification(_)
            | CaseSubject::ProcurementDemand(_) => None,
        }
    }

    /// The subject record's id.
    pub fn id(self) -> i64 {
        match self {
            CaseSubject::CatalogEntry(id)
            | CaseSubject::ShareRequest(id)
            | CaseSubject::DataDemand(id)
            | CaseSubject::OpenApplication(id)
            | CaseSubject::Objection(id)
            | CaseSubject::OpenProposal(id)
            | CaseSubject::Dispute(id)
            | CaseSubject::OperationArrangement(id)
            | CaseSubject::Rectification(id)
            | CaseSubject::ProcurementDemand(id) => id,
        }
    }

    /// The page that shows the subject.
    pub fn link(self) -> String {
        match self {
            CaseSubject::CatalogEntry(id) => format!("/catalog/entries/{id}"),
            CaseSubject::ShareRequest(id) => format!("/sharing/requests/{id}"),
            CaseSubject::DataDemand(id) => format!("/sharing/demands/{id}"),
            CaseSubject::OpenApplication(id) => format!("/open/applications/{id}"),
            CaseSubject::Objection(id) => format!("/objections/{id}"),
            CaseSubject::OpenProposal(id) => format!("/open/proposals/{id}"),
            CaseSubject::Dispute(id) => format!("/disputes/{id}"),
            CaseSubject::OperationArrangement(id) => format!("/operation/arrangements/{id}"),
            CaseSubject::Rectification(id) => format!("/rectifications/{id}"),
            CaseSubject::ProcurementDemand(id) => format!("/procurement/demands/{id}"),
        }
    }
}

impl std::fmt::Display for CaseSubject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CaseSubject::CatalogEntry(id) => write!(f, "catalog_entry:{id}"),
            CaseSubject::ShareRequest(id) => write!(f, "share_request:{id}"),
            CaseSubject::DataDemand(id) => write!(f, "data_demand:{id}"),
            CaseSubject::OpenApplication(id) => write!(f, "open_application:{id}"),
            CaseSubject::Objection(id) => write!(f, "objection:{id}"),
            CaseSubject::OpenProposal(id) => write!(f, "open_proposal:{id}"),
            CaseSubject::Dispute(id) => write!(f, "dispute:{id}"),
            CaseSubject::OperationArrangement(id) => write!(f, "operation_arrangement:{id}"),
            CaseSubject::Rectification(id) => write!(f, "rectification:{id}"),
            CaseSubject::ProcurementDemand(id) => write!(f, "procurement_demand:{id}"),
        }
    }
}

impl std::str::FromStr for CaseSubject {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (kind, id) = s
            .split_once(':')
            .ok_or_else(|| format!("`{s}` is not kind:id"))?;
        let id: i64 = id
            .parse()
            .map_err(|_| format!("`{s}`: the id is not a number"))?;
        match kind {
            "catalog_entry" => Ok(CaseSubject::CatalogEntry(id)),
            "share_request" => Ok(CaseSubject::ShareRequest(id)),
            "data_demand" => Ok(CaseSubject::DataDemand(id)),
            "open_application" => Ok(CaseSubject::OpenApplication(id)),
            "objection" => Ok(CaseSubject::Objection(id)),
            "open_proposal" => Ok(CaseSubject::OpenProposal(id)),
            "dispute" => Ok(CaseSubject::Dispute(id)),
            "operation_arrangement" => Ok(CaseSubject::OperationArrangement(id)),
            "rectification" => Ok(CaseSubject::Rectification(id)),
            "procurement_demand" => Ok(CaseSubject::ProcurementDemand(id)),
            other => Err(format!("unknown case subject kind `{other}`")),
        }
    }
}

impl CaseKind {
    /// The time limit in working days, and the article that sets it.
    pub fn time_limit(self) -> (WorkingDays, &'static str) {
        match self {
            // Art. 12: the authority reviews within 5 working days.
            CaseKind::CatalogReview => (WorkingDays::of(5), "《清远市公共数据管理办法》第十二条"),
            // Art. 12: an agency updates within 15 working days of a change of basis or duty.
            CaseKind::CatalogUpdate => (WorkingDays::of(15), "《清远市公共数据管理办法》第十二条"),
            // Art. 24: the source department answers a conditional request within 2 working days.
            CaseKind::ShareAnswer => (WorkingDays::of(2), "《清远市公共数据管理办法》第二十四条"),
            // Art. 24: an agreed request is implemented within 3 working days of the answer.
            CaseKind::ShareImplement => {
                (WorkingDays::of(3), "《清远市公共数据管理办法》第二十四条")
            }
            // Art. 24: the source confirms a demand for uncatalogued data within 5 working days.
            CaseKind::DataDemand => (WorkingDays::of(5), "《清远市公共数据管理办法》第二十四条"),
            // Art. 38: an application for conditionally open data is answered within 10 working days.
            CaseKind::OpenApplication => {
                (WorkingDays::of(10), "《清远市公共数据管理办法》第三十八条")
            }
            // Art. 28: the source department (or the agency serving a data
            // subject) handles or answers an objection within 5 working days.
            CaseKind::Objection => (WorkingDays::of(5), "《清远市公共数据管理办法》第二十八条"),
            // Art. 32: the authority may propose another open attribute to
            // an agency of its level. The measures set no time limit for the
            // answer; 10 working days is the platform default (平台默认时限),
            // as long as an Art. 38 application is given.
            CaseKind::OpenProposal => (
                WorkingDays::of(10),
                "《清远市公共数据管理办法》第三十二条（答复时限为平台默认）",
            ),
            // Art. 32: when the two cannot agree, the matter goes to the
            // people's government of the level (报本级人民政府决定). The
            // government is not a platform user: the authority records its
            // decision. The measures set no time limit; 20 working days is
            // the platform default (平台默认时限).
            CaseKind::OpenEscalation => (
                WorkingDays::of(20),
                "《清远市公共数据管理办法》第三十二条（记录决定时限为平台默认）",
            ),
            // Art. 48 sets no time limits for disputes: these are platform
            // defaults (平台默认时限) — negotiation 10, coordination 15,
            // joint consultation 15, the government's decision 20 working days.
            CaseKind::DisputeNegotiation => {
                (WorkingDays::of(10), "《清远市公共数据管理办法》第四十八条")
            }
            CaseKind::DisputeCoordination | CaseKind::DisputeConsultation => {
                (WorkingDays::of(15), "《清远市公共数据管理办法》第四十八条")
            }
            CaseKind::DisputeGovernment => {
                (WorkingDays::of(20), "《清远市公共数据管理办法》第四十八条")
            }
            // Art. 40: the authority studies an earlier arrangement and
            // decides to re-sign or terminate it. The measures set no limit;
            // 20 working days is the platform's default.
            CaseKind::OperationArrangement => (
                WorkingDays::of(crate::operation::ARRANGEMENT_REVIEW_DAYS),
                "《清远市公共数据管理办法》第四十条（时限为平台默认）",
            ),
            // Art. 49: the authority sets the time limit of a rectification
            // (限期整改); 15 working days is the platform's default, and a
            // notice records the limit actually set.
            CaseKind::Rectification => (
                WorkingDays::of(crate::violation::RECTIFICATION_DEFAULT_DAYS),
                "《清远市公共数据管理办法》第四十九条（整改期限由主管部门确定）",
            ),
            // Art. 17: the authority evaluates an agency's demand for social
            // data before the unified procurement. The measures set no
            // limit; 15 working days is the platform's default.
            CaseKind::ProcurementEvaluation => (
                WorkingDays::of(crate::procurement::EVALUATION_DAYS),
                "《清远市公共数据管理办法》第十七条（时限为平台默认）",
            ),
        }
    }

    /// The due date of a case of this kind opened on `opened` (China date).
    pub fn due(self, cal: &Calendar, opened: NaiveDate) -> Result<NaiveDate, CalendarError> {
        cal.add_working_days(opened, self.time_limit().0)
    }
}

/// Where an open case stands against its deadline on `today`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DeadlineStatus {
    pub due: NaiveDate,
    /// Working days left after today until the due date (0 on the due date).
    pub working_days_left: Option<u32>,
    pub overdue: bool,
}

pub fn deadline_status(cal: &Calendar, due: NaiveDate, today: NaiveDate) -> DeadlineStatus {
    DeadlineStatus {
        due,
        working_days_left: if today < due {
            cal.working_days_between(today, due).ok()
        } else {
            Some(0)
        },
        overdue: today > due,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_review_opened_before_national_day_is_due_after_it() {
        let cal = Calendar::shipped();
        assert_eq!(
            CaseKind::CatalogReview.due(&cal, d("2026-09-30")).unwrap(),
            d("2026-10-13")
        );
        assert_eq!(
            CaseKind::CatalogUpdate.due(&cal, d("2026-11-02")).unwrap(),
            d("2026-11-23")
        );
        // A request the day before National Day is answered by the second
        // working day after the holiday; implementation three working days
        // after that, counting the 调休 Saturday 10-10.
        assert_eq!(
            CaseKind::ShareAnswer.due(&cal, d("2026-09-30")).unwrap(),
            d("2026-10-09")
        );
        assert_eq!(
            CaseKind::ShareImplement.due(&cal, d("2026-10-09")).unwrap(),
            d("2026-10-13")
        );
        // Art. 38: ten working days; an application on Monday 2026-11-02 is
        // answered by Monday 2026-11-16.
        assert_eq!(
            CaseKind::OpenApplication
                .due(&cal, d("2026-11-02"))
                .unwrap(),
            d("2026-11-16")
        );
        assert_eq!(
            "open_application:7".parse::<CaseSubject>().unwrap(),
            CaseSubject::OpenApplication(7)
        );
        // Art. 32 (platform defaults): 10 working days to answer a proposal,
        // 20 to record the government's decision.
        assert_eq!(
            CaseKind::OpenProposal.due(&cal, d("2026-11-02")).unwrap(),
            d("2026-11-16")
        );
        assert_eq!(
            CaseKind::OpenEscalation.due(&cal, d("2026-11-02")).unwrap(),
            d("2026-11-30")
        );
        assert_eq!(
            "open_proposal:3".parse::<CaseSubject>().unwrap(),
            CaseSubject::OpenProposal(3)
        );
    }

    #[test]
    fn a_case_turns_overdue_the_day_after_its_due_date() {
        let cal = Calendar::shipped();
        let due = d("2026-10-13");
        let s = deadline_status(&cal, due, d("2026-09-30"));
        assert_eq!((s.working_days_left, s.overdue), (Some(5), false));
        assert!(!deadline_status(&cal, due, due).overdue);
        assert!(deadline_status(&cal, due, d("2026-10-14")).overdue);
    }
}
