//! Filing of open attributes and the authority's change proposals (开放属性
//! 备案与修改建议, OPN-1, Art. 32–34): where a proposal stands, and which
//! clauses fit which attribute.

use crate::catalog::{OpenAttribute, OpenClause};

string_enum! {
    /// Where the authority's proposal to change an open attribute stands
    /// (Art. 32).
    ProposalState {
        Open = "open" / "待部门答复" / "Awaiting the agency's answer",
        Agreed = "agreed" / "部门同意" / "Agreed by the agency",
        Disagreed = "disagreed" / "未达成一致" / "Not agreed",
        Escalated = "escalated" / "已报本级人民政府决定" / "Escalated to the government",
        Decided = "decided" / "本级人民政府已决定" / "Decided by the government",
    }
}

/// Whether `clauses` fit `attribute`: none for unconditionally open data
/// (Art. 35), at least one of Art. 33 for not open, of Art. 34 for
/// conditionally open. `Err` says why not.
pub fn check_clauses(attribute: OpenAttribute, clauses: &[OpenClause]) -> Result<(), &'static str> {
    let fit = clauses.iter().all(|c| c.attribute() == attribute);
    match attribute {
        OpenAttribute::Unconditional if !clauses.is_empty() => Err(
            "无条件开放类不列第三十三、三十四条情形 (unconditionally open data cites no clause of Art. 33 or 34)",
        ),
        OpenAttribute::None if clauses.is_empty() || !fit => {
            Err("不予开放须选择第三十三条所列情形 (not open cites a case of Art. 33)")
        }
        OpenAttribute::Conditional if clauses.is_empty() || !fit => Err(
            "有条件开放须选择第三十四条所列条件 (conditionally open cites a condition of Art. 34)",
        ),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clauses_fit_their_own_article() {
        assert!(check_clauses(OpenAttribute::Unconditional, &[]).is_ok());
        assert!(check_clauses(OpenAttribute::Unconditional, &[OpenClause::StateSecret]).is_err());
        assert!(check_clauses(OpenAttribute::None, &[]).is_err());
        assert!(check_clauses(OpenAttribute::None, &[OpenClause::SubjectConsent]).is_err());
        assert!(check_clauses(OpenAttribute::Conditional, &[OpenClause::RiskAssessment]).is_ok());
        assert_eq!(ProposalState::Escalated.zh(), "已报本级人民政府决定");
    }
}
