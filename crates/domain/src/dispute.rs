//! Disputes between agencies (争议处理, DSP-1, Art. 48) as data: the stages
//! a dispute passes through, and where it stands.
//!
//! Art. 48: agencies of one level first negotiate (自行协商); failing that
//! the level's data authority coordinates (主管部门协调); failing that the
//! authority consults jointly with the establishment office (会同机构编制
//! 管理部门联合会商); failing that the authority lists each side's grounds
//! and its leaning (倾向性意见) and reports to the government (报请本级人民
//! 政府决定). Across levels or regions the common upper authority handles
//! it. The measures set no time limits: each stage's limit is a platform
//! default (see [`DisputeStage::case_kind`] and `CaseKind::time_limit`).

use crate::case::CaseKind;

string_enum! {
    /// The stage a dispute is at.
    DisputeStage {
        Negotiation = "negotiation" / "自行协商" / "Negotiation between the parties",
        Coordination = "coordination" / "主管部门协调" / "Coordination by the data authority",
        Consultation = "consultation" / "会同机构编制部门联合会商" / "Joint consultation with the establishment office",
        Government = "government" / "报本级人民政府决定" / "Decision by the government",
    }
}

string_enum! {
    /// Where a dispute stands.
    DisputeState {
        Open = "open" / "处理中" / "Open",
        Settled = "settled" / "已解决" / "Settled",
    }
}

string_enum! {
    /// What a dispute is about (Art. 48: collection, use and management).
    DisputeType {
        Sharing = "sharing" / "数据共享" / "Sharing",
        Opening = "opening" / "数据开放" / "Opening",
        Collection = "collection" / "数据采集" / "Collection",
        Cataloguing = "cataloguing" / "目录编制" / "Cataloguing",
        Responsibility = "responsibility" / "数源职责" / "Source responsibility",
        Other = "other" / "其他" / "Other",
    }
}

string_enum! {
    /// The record a dispute is about, if any.
    DisputeSubjectKind {
        ShareRequest = "share_request" / "共享申请" / "Share request",
        Grant = "grant" / "共享授权" / "Share grant",
        CatalogEntry = "catalog_entry" / "目录" / "Catalogue entry",
    }
}

string_enum! {
    /// What one entry of a dispute's record is.
    DisputeStepKind {
        Filed = "filed" / "提起争议" / "Filed",
        Statement = "statement" / "陈述理据" / "Statement",
        Escalated = "escalated" / "转入下一阶段" / "Moved to the next stage",
        Settled = "settled" / "已解决" / "Settled",
    }
}

impl DisputeStage {
    /// The case kind (with its working-day limit) of this stage.
    pub fn case_kind(self) -> CaseKind {
        match self {
            DisputeStage::Negotiation => CaseKind::DisputeNegotiation,
            DisputeStage::Coordination => CaseKind::DisputeCoordination,
            DisputeStage::Consultation => CaseKind::DisputeConsultation,
            DisputeStage::Government => CaseKind::DisputeGovernment,
        }
    }

    /// The stage after this one; `None` at the government's decision.
    pub fn next(self) -> Option<DisputeStage> {
        match self {
            DisputeStage::Negotiation => Some(DisputeStage::Coordination),
            DisputeStage::Coordination => Some(DisputeStage::Consultation),
            DisputeStage::Consultation => Some(DisputeStage::Government),
            DisputeStage::Government => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_run_in_order_and_end_at_the_government() {
        let mut s = DisputeStage::Negotiation;
        let mut seen = vec![s];
        while let Some(n) = s.next() {
            seen.push(n);
            s = n;
        }
        assert_eq!(seen, DisputeStage::ALL);
        assert_eq!(
            DisputeStage::Government.case_kind().time_limit().0,
            crate::calendar::WorkingDays::of(20)
        );
    }
}
