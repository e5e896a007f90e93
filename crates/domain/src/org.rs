//! Organisations, levels and roles (组织机构与角色, ORG-1).

use serde::{Deserialize, Serialize};

pub use crate::UnknownValue;

string_enum! {
    /// What an organisation is.
    OrgKind {
        Region = "region" / "行政区划" / "Administrative division",
        Authority = "authority" / "公共数据主管部门" / "Data authority",
        Agency = "agency" / "公共管理和服务机构" / "Public agency",
        Enterprise = "enterprise" / "企业" / "Enterprise",
        Institution = "institution" / "科研教育机构" / "Research or education institute",
    }
}

string_enum! {
    /// Administrative level (层级) of a public body.
    Level {
        City = "city" / "市级" / "City",
        County = "county" / "县级" / "County",
    }
}

string_enum! {
    /// A role a user holds within one organisation (ORG-1).
    Role {
        PlatformAdmin = "platform_admin" / "平台管理员" / "Platform administrator",
        AuthorityReviewer = "authority_reviewer" / "主管部门审核员" / "Data authority reviewer",
        AgencyDataAdmin = "agency_data_admin" / "部门数据管理员" / "Agency data administrator",
        AgencyReviewer = "agency_reviewer" / "部门审核员" / "Agency reviewer",
        ChiefDataOfficer = "chief_data_officer" / "首席数据官" / "Chief data officer",
        SecurityOfficer = "security_officer" / "安全管理责任人" / "Security officer",
        Auditor = "auditor" / "审计员" / "Auditor",
        ExternalApplicant = "external_applicant" / "外部申请人" / "External applicant",
    }
}

string_enum! {
    /// What kind of person an account belongs to.
    UserKind {
        Staff = "staff" / "工作人员" / "Staff",
        Enterprise = "enterprise" / "企业用户" / "Enterprise user",
        Person = "person" / "自然人" / "Natural person",
    }
}

/// A username: 2–64 characters of ASCII letters, digits, `-`, `_` and `.`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Username(String);

impl Username {
    pub fn parse(s: &str) -> Result<Self, String> {
        let ok = (2..=64).contains(&s.len())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if ok {
            Ok(Username(s.to_ascii_lowercase()))
        } else {
            Err("a username has 2–64 characters: ASCII letters, digits, '-', '_' or '.'".into())
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Username {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Username::parse(&s)
    }
}

impl From<Username> for String {
    fn from(u: Username) -> String {
        u.0
    }
}

/// Minimum password length for new passwords.
pub const MIN_PASSWORD_LEN: usize = 10;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_round_trip_through_their_strings() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), *r);
        }
        assert!("root".parse::<Role>().is_err());
        assert_eq!(OrgKind::Authority.zh(), "公共数据主管部门");
    }

    #[test]
    fn usernames_are_restricted_and_lowercased() {
        assert_eq!(Username::parse("QY-GAJ").unwrap().as_str(), "qy-gaj");
        assert!(Username::parse("a").is_err());
        assert!(Username::parse("有人").is_err());
        assert!(Username::parse("a b").is_err());
    }
}
