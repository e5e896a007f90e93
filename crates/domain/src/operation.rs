//! Authorised operation (公共数据授权运营, OPS-1..3, Art. 39–42) as data:
//! where an operation agreement (授权运营协议) and an earlier arrangement
//! (前期安排) stand, and when an agreement covers a read.

use chrono::NaiveDate;

string_enum! {
    /// Where an operation agreement stands as stored. An accepted agreement
    /// whose term has ended is shown as expired ([`AgreementStatus`]).
    AgreementState {
        Draft = "draft" / "草拟" / "Draft",
        Filed = "filed" / "已报备案" / "Filed for the record",
        Accepted = "accepted" / "已备案" / "Accepted (on record)",
        Returned = "returned" / "备案退回" / "Returned",
        Terminated = "terminated" / "已终止" / "Terminated",
    }
}

string_enum! {
    /// Where an agreement stands on a given day: its stored state, with an
    /// accepted agreement past its term shown as expired (到期), by itself.
    AgreementStatus {
        Draft = "draft" / "草拟" / "Draft",
        Filed = "filed" / "已报备案" / "Filed for the record",
        Accepted = "accepted" / "已备案（有效）" / "Accepted (current)",
        Pending = "pending" / "已备案（未生效）" / "Accepted (term not begun)",
        Returned = "returned" / "备案退回" / "Returned",
        Terminated = "terminated" / "已终止" / "Terminated",
        Expired = "expired" / "已到期" / "Expired",
    }
}

string_enum! {
    /// Where an earlier arrangement (前期安排) stands.
    ArrangementState {
        UnderReview = "under_review" / "主管部门研究中" / "Under the authority's review",
        Resigned = "resigned" / "重新签署" / "To be re-signed",
        Terminated = "terminated" / "决定终止" / "Terminated",
    }
}

string_enum! {
    /// The city authority's decision on a filed agreement.
    FilingDecision {
        Accept = "accept" / "予以备案" / "Accept",
        Return = "return" / "退回" / "Return",
    }
}

string_enum! {
    /// The city authority's decision on an earlier arrangement (Art. 40).
    ArrangementDecision {
        Resign = "resign" / "重新签署" / "Re-sign",
        Terminate = "terminate" / "终止" / "Terminate",
    }
}

/// An agreement's status on `today` from its stored state and term.
pub fn status(
    state: AgreementState,
    term_from: NaiveDate,
    term_to: NaiveDate,
    today: NaiveDate,
) -> AgreementStatus {
    match state {
        AgreementState::Draft => AgreementStatus::Draft,
        AgreementState::Filed => AgreementStatus::Filed,
        AgreementState::Returned => AgreementStatus::Returned,
        AgreementState::Terminated => AgreementStatus::Terminated,
        AgreementState::Accepted if today > term_to => AgreementStatus::Expired,
        AgreementState::Accepted if today < term_from => AgreementStatus::Pending,
        AgreementState::Accepted => AgreementStatus::Accepted,
    }
}

/// Earlier arrangements are reviewed within this many working days: the
/// measures set no limit (Art. 40), so this is a platform default.
pub const ARRANGEMENT_REVIEW_DAYS: u32 = 20;

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn an_accepted_agreement_expires_by_itself_after_its_term() {
        let (from, to) = (d("2026-01-01"), d("2026-12-31"));
        let s = |state, today| status(state, from, to, d(today));
        assert_eq!(
            s(AgreementState::Accepted, "2026-12-31"),
            AgreementStatus::Accepted
        );
        assert_eq!(
            s(AgreementState::Accepted, "2027-01-01"),
            AgreementStatus::Expired
        );
        assert_eq!(
            s(AgreementState::Accepted, "2025-12-31"),
            AgreementStatus::Pending
        );
        assert_eq!(
            s(AgreementState::Filed, "2027-01-01"),
            AgreementStatus::Filed
        );
    }
}
