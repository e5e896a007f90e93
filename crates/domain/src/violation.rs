//! Violations and rectification (违规与整改, VIO-1, VIO-2; Art. 49–50) as
//! data.
//!
//! Art. 49 lists ten failures of a public body (公共管理和服务机构); the
//! data authority notifies a rectification within a time limit (通知限期
//! 整改) and, when it is missed, reports the matter to the government of the
//! level for its supervision list (纳入督查督办事项). Art. 50 lists the
//! misuse by users of public data (natural persons, legal persons and other
//! organisations); the platform records it against the user and may suspend
//! the user's grants.

use crate::calendar::WorkingDays;

string_enum! {
    /// What was violated: the ten items of Art. 49 and the five of Art. 50.
    ViolationKind {
        // Art. 49
        Provision = "provision" / "未按要求采集、核准与提供公共数据" / "Data not collected, verified or provided as required",
        Catalogue = "catalogue" / "未按要求编制或更新目录" / "Catalogue not compiled or updated as required",
        Aggregation = "aggregation" / "未按要求向平台汇聚数据" / "Data not aggregated to the platform as required",
        SharedDataUse = "shared_data_use" / "未按规定使用共享数据" / "Shared data not used as prescribed",
        Leak = "leak" / "违规泄露、出售或提供涉密涉隐私数据" / "Leaking, selling or illegally providing protected data",
        Tamper = "tamper" / "擅自更改或删除公共数据" / "Unauthorised change or deletion of public data",
        EInstruments = "e_instruments" / "未按要求使用电子签名、印章、证照、档案" / "Electronic signatures, seals, licences or archives not used",
        RepeatedCollection = "repeated_collection" / "要求重复提供可共享获得的材料" / "Asking again for data available by sharing",
        Management = "management" / "其他未按主管部门要求做好数据管理" / "Other failure of data management required by the authority",
        OtherLaw = "other_law" / "其他违反法律、法规、规章的行为" / "Other breach of laws, regulations or rules",
        // Art. 50
        PersonalInfo = "personal_info" / "未履行个人信息保护义务" / "Personal information protection duty not fulfilled",
        RightsInfringed = "rights_infringed" / "侵犯商业秘密、个人隐私等合法权益" / "Trade secrets, privacy or other rights infringed",
        IllegalGain = "illegal_gain" / "利用公共数据获取非法利益" / "Illegal gain from public data",
        SecurityIncident = "security_incident" / "未采取安全保障措施致发生安全事件" / "Security incident for want of safeguards",
        MisuseOther = "misuse_other" / "其他依法应承担责任的利用行为" / "Other misuse subject to legal liability",
    }
}

string_enum! {
    /// How a violation came to be recorded.
    ViolationSource {
        Detected = "detected" / "平台监测发现" / "Detected by the platform",
        Recorded = "recorded" / "主管部门登记" / "Recorded by the authority",
    }
}

string_enum! {
    /// Where a violation stands.
    ViolationState {
        Open = "open" / "待整改" / "Open",
        Rectifying = "rectifying" / "整改中" / "Under rectification",
        Closed = "closed" / "已整改" / "Rectified",
        Dismissed = "dismissed" / "已核销" / "Dismissed",
    }
}

string_enum! {
    /// Where a rectification notice (限期整改通知) stands. Escalation to the
    /// government's supervision list is a mark on it, not a state: the body
    /// still has to rectify.
    RectificationState {
        Open = "open" / "整改中" / "Open",
        Reported = "reported" / "已报送整改情况" / "Reported",
        Accepted = "accepted" / "整改已验收" / "Accepted",
    }
}

/// The platform's default time limit of a rectification (the measures
/// leave it to the authority: 限期).
pub const RECTIFICATION_DEFAULT_DAYS: u32 = 15;
/// The longest time limit an authority may set, in working days.
pub const RECTIFICATION_MAX_DAYS: u32 = 60;

impl ViolationKind {
    /// The article (49 or 50) and the item within it (1-based).
    pub fn article(self) -> (u8, u8) {
        use ViolationKind::*;
        match self {
            Provision => (49, 1),
            Catalogue => (49, 2),
            Aggregation => (49, 3),
            SharedDataUse => (49, 4),
            Leak => (49, 5),
            Tamper => (49, 6),
            EInstruments => (49, 7),
            RepeatedCollection => (49, 8),
            Management => (49, 9),
            OtherLaw => (49, 10),
            PersonalInfo => (50, 1),
            RightsInfringed => (50, 2),
            IllegalGain => (50, 3),
            SecurityIncident => (50, 4),
            MisuseOther => (50, 5),
        }
    }

    /// Misuse by a user of public data (Art. 50), which may suspend its grants.
    pub fn is_misuse(self) -> bool {
        self.article().0 == 50
    }

    /// `《清远市公共数据管理办法》第四十九条第（二）项`.
    pub fn citation(self) -> String {
        const ITEMS: [&str; 10] = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];
        let (art, item) = self.article();
        let art = if art == 49 { "四十九" } else { "五十" };
        format!(
            "《清远市公共数据管理办法》第{art}条第（{}）项",
            ITEMS[usize::from(item) - 1]
        )
    }
}

/// The time limit of a notice: the authority's, or the platform default.
pub fn rectification_limit(days: Option<u32>) -> Result<WorkingDays, String> {
    match days.unwrap_or(RECTIFICATION_DEFAULT_DAYS) {
        d @ 1..=RECTIFICATION_MAX_DAYS => Ok(WorkingDays::of(d)),
        _ => Err(format!("1 to {RECTIFICATION_MAX_DAYS} working days")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_cite_their_article_and_item() {
        assert_eq!(
            ViolationKind::Catalogue.citation(),
            "《清远市公共数据管理办法》第四十九条第（二）项"
        );
        assert_eq!(
            ViolationKind::OtherLaw.citation(),
            "《清远市公共数据管理办法》第四十九条第（十）项"
        );
        assert_eq!(
            ViolationKind::IllegalGain.citation(),
            "《清远市公共数据管理办法》第五十条第（三）项"
        );
        let art49 = ViolationKind::ALL.iter().filter(|k| !k.is_misuse()).count();
        assert_eq!((art49, ViolationKind::ALL.len() - art49), (10, 5));
    }

    #[test]
    fn a_notice_limit_is_bounded() {
        assert_eq!(rectification_limit(None), Ok(WorkingDays::of(15)));
        assert_eq!(rectification_limit(Some(60)), Ok(WorkingDays::of(60)));
        assert!(rectification_limit(Some(0)).is_err());
        assert!(rectification_limit(Some(61)).is_err());
    }
}
