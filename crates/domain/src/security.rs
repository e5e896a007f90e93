//! Per-agency security management (安全管理, SEC-2 to SEC-4, Art. 44–45):
//! the kinds of recorded security work and of unusual-access alerts.

string_enum! {
    /// A recorded piece of an agency's security work (Art. 44, 45).
    SecurityRecordKind {
        Check = "check" / "安全检查" / "Security check",
        RiskAssessment = "risk_assessment" / "风险评估" / "Risk assessment",
        EmergencyDrill = "emergency_drill" / "应急演练" / "Emergency drill",
        RecoveryDrill = "recovery_drill" / "灾备演练" / "Disaster-recovery drill",
    }
}

impl SecurityRecordKind {
    /// Whether this is a drill (its scope is a scenario, its findings a result).
    pub fn is_drill(self) -> bool {
        matches!(
            self,
            SecurityRecordKind::EmergencyDrill | SecurityRecordKind::RecoveryDrill
        )
    }
}

string_enum! {
    /// What an unusual-access alert (异常访问告警, SEC-3) saw.
    AlertKind {
        Volume = "volume" / "访问量异常" / "Unusual volume",
        OddHours = "odd_hours" / "非工作时段访问" / "Access at odd hours",
        Enumeration = "enumeration" / "核验枚举" / "Verification enumeration",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_read_back_and_name_themselves() {
        assert_eq!(
            "recovery_drill".parse::<SecurityRecordKind>().unwrap(),
            SecurityRecordKind::RecoveryDrill
        );
        assert!(SecurityRecordKind::EmergencyDrill.is_drill());
        assert!(!SecurityRecordKind::Check.is_drill());
        assert_eq!(AlertKind::OddHours.zh(), "非工作时段访问");
        assert!("other".parse::<AlertKind>().is_err());
    }
}
