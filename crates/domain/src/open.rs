//! Conditional open data (有条件开放, OPN-4, Art. 38): where an application
//! stands, and the data use agreement (公共数据利用协议) an approval offers.
//! The agreement's text is built here, from the dataset, the approved
//! fields, the purpose and the term, with the obligations of the measures;
//! the applicant accepts a given version of it before any data is delivered.

use chrono::NaiveDate;

string_enum! {
    /// Where an application for conditionally open data (有条件开放申请) stands.
    ApplicationState {
        Pending = "pending" / "待答复" / "Awaiting answer",
        Refused = "refused" / "未通过审核" / "Refused",
        Approved = "approved" / "已通过，待签署利用协议" / "Approved, awaiting the agreement",
        Accepted = "accepted" / "已签署利用协议" / "Agreement accepted",
    }
}

/// The version of the agreement template below; an agreement's version is
/// this template's (a changed template gets a new number, and an applicant
/// accepts exactly the version shown).
pub const AGREEMENT_VERSION: i64 = 1;

/// What an agreement is made of.
#[derive(Debug, Clone)]
pub struct AgreementTerms<'a> {
    /// The providing agency (提供方).
    pub agency: &'a str,
    /// The applicant as party (利用方): a person, or an organisation and its agent.
    pub party: &'a str,
    /// The catalogue entry's code and name, the dataset's name.
    pub entry_code: &'a str,
    pub entry_name: &'a str,
    pub dataset: &'a str,
    pub fields: &'a [String],
    /// Masking rule per masked field, as shown to the applicant.
    pub masked: &'a [(String, String)],
    pub purpose: &'a str,
    pub use_scenario: &'a str,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    /// The application's number.
    pub application: i64,
}

/// The text of the data use agreement (公共数据利用协议) for `t`.
pub fn agreement_text(t: &AgreementTerms<'_>) -> String {
    let masked = if t.masked.is_empty() {
        "无".to_string()
    } else {
        t.masked
            .iter()
            .map(|(f, r)| format!("{f}（{r}）"))
            .collect::<Vec<_>>()
            .join("、")
    };
    format!(
        "公共数据利用协议（第{version}版）\n\
         协议编号：QY-OPEN-{application:06}\n\
         \n\
         提供方：{agency}\n\
         利用方：{party}\n\
         \n\
         依据《清远市公共数据管理办法》第三十四条、第三十八条，双方就有条件开放公共数据的获取和利用约定如下：\n\
         \n\
         一、数据范围。数据资源：{entry_code} {entry_name}（数据集：{dataset}）；数据项：{fields}；脱敏处理的数据项：{masked}。\n\
         二、利用目的和场景。目的：{purpose}；场景：{use_scenario}。利用方不得将数据用于上述目的和场景以外的用途。\n\
         三、利用期限。自{from}起至{until}止；期满后利用方不再获取数据，并删除已获取的数据，法律法规另有规定的除外。\n\
         四、获取方式。利用方通过清远市公共数据平台的开放接口和下载获取数据，每次获取均被记录；平台对获取频次予以限制。\n\
         五、安全义务。利用方应当采取必要的安全措施保护所获取的数据，不得向第三方提供、转让或者出售，不得试图识别已脱敏的个人信息，不得损害国家利益、社会公共利益和他人合法权益。\n\
         六、成果与反馈。利用方在利用数据形成的成果中注明数据来源；发现数据有误的，及时向提供方反馈。\n\
         七、违约处理。利用方违反本协议的，提供方可以终止提供数据，并依法追究相关责任。\n\
         八、本协议自利用方在平台上确认接受之日起生效。\n",
        version = AGREEMENT_VERSION,
        application = t.application,
        agency = t.agency,
        party = t.party,
        entry_code = t.entry_code,
        entry_name = t.entry_name,
        dataset = t.dataset,
        fields = t.fields.join("、"),
        masked = masked,
        purpose = t.purpose,
        use_scenario = t.use_scenario,
        from = t.valid_from,
        until = t.valid_until,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_agreement_names_the_parties_the_approved_fields_and_the_term() {
        let fields = vec!["企业名称".to_string(), "注册资本".to_string()];
        let masked = vec![("法定代表人".to_string(), "name".to_string())];
        let text = agreement_text(&AgreementTerms {
            agency: "清远市市场监督管理局",
            party: "清远市示范数据科技有限公司（经办人：ent-demo）",
            entry_code: "C0001",
            entry_name: "企业登记信息",
            dataset: "企业登记",
            fields: &fields,
            masked: &masked,
            purpose: "产业研究",
            use_scenario: "区域产业分析报告",
            valid_from: "2026-12-01".parse().unwrap(),
            valid_until: "2027-05-31".parse().unwrap(),
            application: 12,
        });
        assert!(text.starts_with("公共数据利用协议（第1版）"));
        assert!(text.contains("QY-OPEN-000012"));
        assert!(text.contains("数据项：企业名称、注册资本；"));
        assert!(text.contains("法定代表人（name）"));
        assert!(text.contains("自2026-12-01起至2027-05-31止"));
        assert!(text.contains("第三十八条"));
        assert!(text.contains("利用方：清远市示范数据科技有限公司"));
    }
}
