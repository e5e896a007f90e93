//! The public data resource catalogue (公共数据资源目录, CAT-1 … CAT-7).
//!
//! An entry's content is parsed once at the edge into [`EntryContent`] and
//! checked by [`EntryContent::validate`] against the rules of Art. 13–14
//! and the grading scheme (CAT-5, CAT-6).

use serde::{Deserialize, Serialize};

string_enum! {
    /// 共享类型 (Art. 13).
    ShareType {
        Unconditional = "unconditional" / "无条件共享" / "Unconditional sharing",
        Conditional = "conditional" / "有条件共享" / "Conditional sharing",
        None = "none" / "不予共享" / "Not shared",
    }
}

string_enum! {
    /// 开放属性 (Art. 32).
    OpenAttribute {
        Unconditional = "unconditional" / "无条件开放" / "Unconditionally open",
        Conditional = "conditional" / "有条件开放" / "Conditionally open",
        None = "none" / "不予开放" / "Not open",
    }
}

string_enum! {
    /// The clauses an open attribute rests on (开放属性情形): the five cases
    /// of Art. 33 that make data not open (不予开放) and the four
    /// conditions of Art. 34 under which it may be conditionally open
    /// (有条件开放). Everything else is unconditionally open (Art. 35).
    OpenClause {
        StateSecret = "state_secret" / "依法确定为国家秘密（第三十三条第一项）" / "Classified as a state secret (Art. 33(1))",
        Security = "security" / "开放后可能危及国家安全、公共安全、经济安全和社会稳定（第三十三条第二项）" / "Opening may endanger national, public or economic security or social stability (Art. 33(2))",
        PrivacyWithoutConsent = "privacy_without_consent" / "涉及商业秘密、个人隐私，相关数据主体未同意开放（第三十三条第三项）" / "Trade secrets or privacy, without the data subjects' consent (Art. 33(3))",
        AgreementOrIp = "agreement_or_ip" / "因数据获取协议或者知识产权保护等原因禁止开放（第三十三条第四项）" / "Forbidden by a data acquisition agreement or intellectual property (Art. 33(4))",
        LawForbids = "law_forbids" / "法律、法规、规章规定不得开放或者应当通过其他途径获取（第三十三条第五项）" / "A law, regulation or rule forbids opening or names another channel (Art. 33(5))",
        SubjectConsent = "subject_consent" / "涉及商业秘密、个人隐私，数据主体同意开放且法律、法规未禁止（第三十四条第一项）" / "Trade secrets or privacy, the data subjects consent and no law forbids (Art. 34(1))",
        InfrastructureLoad = "infrastructure_load" / "无条件开放将严重挤占公共数据基础设施资源（第三十四条第二项）" / "Unconditional opening would overload the public data infrastructure (Art. 34(2))",
        RiskAssessment = "risk_assessment" / "开放效益显著但现阶段安全风险需要谨慎评估（第三十四条第三项）" / "Marked benefits, but security risks need careful assessment for now (Art. 34(3))",
        OtherLaw = "other_law" / "按照有关法律、法规认定应当有条件开放（第三十四条第四项）" / "Conditionally open under other laws or regulations (Art. 34(4))",
    }
}

impl OpenClause {
    /// The open attribute the clause supports: Art. 33's not open, Art. 34's
    /// conditionally open.
    pub fn attribute(self) -> OpenAttribute {
        match self {
            OpenClause::StateSecret
            | OpenClause::Security
            | OpenClause::PrivacyWithoutConsent
            | OpenClause::AgreementOrIp
            | OpenClause::LawForbids => OpenAttribute::None,
            OpenClause::SubjectConsent
            | OpenClause::InfrastructureLoad
            | OpenClause::RiskAssessment
            | OpenClause::OtherLaw => OpenAttribute::Conditional,
        }
    }
}

string_enum! {
    /// 信息资源格式.
    DataForm {
        ElectronicFile = "electronic_file" / "电子文件" / "Electronic file",
        Spreadsheet = "spreadsheet" / "电子表格" / "Spreadsheet",
        Database = "database" / "数据库" / "Database",
        Image = "image" / "图形图像" / "Graphics and images",
        Streaming = "streaming" / "流媒体" / "Streaming media",
        SelfDescribing = "self_describing" / "自描述格式" / "Self-describing format",
        ServiceApi = "service_api" / "服务接口" / "Service interface",
    }
}

string_enum! {
    /// Data type of a data item (信息项数据类型).
    DataType {
        String = "string" / "字符型" / "String",
        Integer = "integer" / "整数型" / "Integer",
        Decimal = "decimal" / "数值型" / "Decimal",
        Date = "date" / "日期型" / "Date",
        Datetime = "datetime" / "日期时间型" / "Date and time",
        Boolean = "boolean" / "布尔型" / "Boolean",
    }
}

string_enum! {
    /// 更新周期.
    Frequency {
        Realtime = "realtime" / "实时" / "Real time",
        Daily = "daily" / "每日" / "Daily",
        Weekly = "weekly" / "每周" / "Weekly",
        Monthly = "monthly" / "每月" / "Monthly",
        Quarterly = "quarterly" / "每季度" / "Quarterly",
        HalfYearly = "half_yearly" / "每半年" / "Half-yearly",
        Yearly = "yearly" / "每年" / "Yearly",
        Other = "other" / "其他" / "Other",
    }
}

impl Frequency {
    /// How long a dataset may go without a refresh before it is stale
    /// (AGG-2): the period plus a grace, in days; `None` for `other`.
    pub fn max_age_days(self) -> Option<i64> {
        match self {
            Frequency::Realtime => Some(1),
            Frequency::Daily => Some(2),
            Frequency::Weekly => Some(8),
            Frequency::Monthly => Some(34),
            Frequency::Quarterly => Some(99),
            Frequency::HalfYearly => Some(190),
            Frequency::Yearly => Some(380),
            Frequency::Other => None,
        }
    }
}

string_enum! {
    /// 共享方式 through the platform.
    ShareMode {
        Api = "api" / "接口" / "API",
        Table = "table" / "库表" / "Database table",
        File = "file" / "文件" / "File",
    }
}

string_enum! {
    /// Lifecycle state of an entry (CAT-3).
    EntryState {
        Draft = "draft" / "编制中" / "Draft",
        Submitted = "submitted" / "待审核" / "Submitted for review",
        Returned = "returned" / "已退回" / "Returned",
        Published = "published" / "已发布" / "Published",
        Delisted = "delisted" / "已下架" / "Delisted",
    }
}

/// One data item (信息项) of an entry: the unit of "one source per item" (COL-1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DataItem {
    pub name: String,
    pub data_type: DataType,
    #[serde(default)]
    pub description: String,
    /// Personal or sensitive (个人信息/敏感).
    #[serde(default)]
    pub personal: bool,
}

/// What a grading level allows (CAT-6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Grade {
    /// e.g. `L1`.
    pub code: String,
    pub name: String,
    pub rank: i32,
    /// Whether an entry of this grade may be shared unconditionally.
    pub allows_unconditional_share: bool,
    /// The most open attribute this grade allows.
    pub max_open: OpenAttribute,
}

/// The default grading scheme (after DB33/T 2350-2021's four public-data
/// levels); the city authority edits it as data.
pub fn default_grades() -> Vec<Grade> {
    let g = |code: &str, name: &str, rank, share, open| Grade {
        code: code.into(),
        name: name.into(),
        rank,
        allows_unconditional_share: share,
        max_open: open,
    };
    vec![
        g(
            "L1",
            "一级（不敏感）",
            1,
            true,
            OpenAttribute::Unconditional,
        ),
        g("L2", "二级（低敏感）", 2, true, OpenAttribute::Conditional),
        g("L3", "三级（较敏感）", 3, false, OpenAttribute::Conditional),
        g("L4", "四级（敏感）", 4, false, OpenAttribute::None),
    ]
}

/// The content of an entry, as submitted and versioned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EntryContent {
    pub name: String,
    pub summary: String,
    /// A code from the classification tree.
    pub classification: String,
    pub grade: String,
    pub data_form: DataForm,
    pub items: Vec<DataItem>,
    pub share_type: ShareType,
    pub share_conditions: String,
    pub share_basis: String,
    pub share_scope: String,
    pub share_modes: Vec<ShareMode>,
    pub open_attribute: OpenAttribute,
    /// The clauses of Art. 33 (not open) or Art. 34 (conditionally open)
    /// the open attribute rests on; none for unconditionally open data.
    #[serde(default)]
    pub open_clauses: Vec<OpenClause>,
    pub open_conditions: String,
    pub open_grounds: String,
    /// 开放属性依据: the basis the agency gives the authority of its level
    /// for a not-open or conditionally open attribute (Art. 33, 34 last
    /// paragraphs); required to submit a conditionally open entry (a
    /// not-open one may rest on its grounds), and filed on publication.
    #[serde(default)]
    pub open_basis: String,
    pub update_frequency: Frequency,
    pub keywords: Vec<String>,
    /// 采集部门: the agency that collects the data, when not the provider.
    #[serde(default)]
    pub collecting_org: Option<i64>,
    /// 核准部门: the agency that approves the data, when there is one.
    #[serde(default)]
    pub approving_org: Option<i64>,
    /// 关联资源代码: codes of related entries.
    #[serde(default)]
    pub related_codes: Vec<String>,
}

/// Abbreviations people type and the full terms they stand for (社保 →
/// 社会保险 …): a search for either finds both, in the catalogue and on the
/// open data portal. The platform's list is data the authority edits
/// (`synonyms`); these seed it.
pub const SYNONYMS: [(&str, &str); 6] = [
    ("社保", "社会保险"),
    ("医保", "医疗保障"),
    ("低保", "最低生活保障"),
    ("公积金", "住房公积金"),
    ("营业执照", "企业登记"),
    ("公交", "公共交通"),
];

/// The forms a search term is looked for in under the seeded synonyms.
pub fn term_variants(term: &str) -> Vec<String> {
    let pairs: Vec<(String, String)> = SYNONYMS
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    term_variants_with(term, &pairs)
}

/// The forms a search term is looked for in: itself, and with each
/// abbreviation of `pairs` (abbreviation, full term) it holds spelled out
/// (and each full term abbreviated).
pub fn term_variants_with(term: &str, pairs: &[(String, String)]) -> Vec<String> {
    let term = term.trim();
    if term.is_empty() {
        return vec![];
    }
    let mut out = vec![term.to_string()];
    for (short, full) in pairs {
        let (short, full) = (short.as_str(), full.as_str());
        for (from, to) in [(short, full), (full, short)] {
            if term.contains(from) && !(from == short && term.contains(full)) {
                let t = term.replace(from, to);
                if !out.contains(&t) {
                    out.push(t);
                }
            }
        }
    }
    out
}

/// A rule an entry breaks: the field and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleViolation {
    pub field: &'static str,
    pub message: String,
}

fn v(field: &'static str, message: &str) -> RuleViolation {
    RuleViolation {
        field,
        message: message.into(),
    }
}

impl EntryContent {
    /// Every rule of Art. 11, 13 and 14 and of the grading scheme; all
    /// violations at once, so an editor can show them together.
    pub fn validate(&self, grade: Option<&Grade>) -> Vec<RuleViolation> {
        let mut out = Vec::new();
        let blank = |s: &str| s.trim().is_empty();
        if blank(&self.name) {
            out.push(v("name", "信息资源名称必填 (a name is required)"));
        }
        if self.name.chars().count() > 200 {
            out.push(v("name", "at most 200 characters"));
        }
        if blank(&self.summary) {
            out.push(v("summary", "信息资源摘要必填 (a summary is required)"));
        }
        if self.items.is_empty() {
            out.push(v("items", "至少一个信息项 (at least one data item)"));
        }
        let mut seen = std::collections::HashSet::new();
        for item in &self.items {
            if blank(&item.name) {
                out.push(v("items", "信息项名称必填 (every data item needs a name)"));
            } else if !seen.insert(item.name.trim()) {
                out.push(RuleViolation {
                    field: "items",
                    message: format!("信息项「{}」重复 (listed twice)", item.name.trim()),
                });
            }
        }
        match self.share_type {
            ShareType::Conditional => {
                if blank(&self.share_conditions) {
                    out.push(v("share_conditions", "有条件共享须写明共享条件 (conditional sharing states its conditions, Art. 13)"));
                }
                if blank(&self.share_basis) {
                    out.push(v(
                        "share_basis",
                        "有条件共享须写明依据 (conditional sharing states its basis, Art. 13)",
                    ));
                }
            }
            ShareType::None => {
                if blank(&self.share_basis) {
                    out.push(v("share_basis", "不予共享须列明法律、行政法规或国家规定 (not shared must cite a law or national rule, Art. 13)"));
                }
            }
            ShareType::Unconditional => {}
        }
        if self.share_type != ShareType::None && self.share_modes.is_empty() {
            out.push(v(
                "share_modes",
                "至少选择一种共享方式 (choose at least one sharing mode)",
            ));
        }
        match self.open_attribute {
            OpenAttribute::Conditional if blank(&self.open_conditions) => {
                out.push(v(
                    "open_conditions",
                    "有条件开放须写明开放条件 (conditional opening states its conditions, Art. 34)",
                ));
            }
            OpenAttribute::None if blank(&self.open_grounds) => {
                out.push(v(
                    "open_grounds",
                    "不予开放须写明理由 (not open states its grounds, Art. 33)",
                ));
            }
            _ => {}
        }
        let clauses_fit = self
            .open_clauses
            .iter()
            .all(|c| c.attribute() == self.open_attribute);
        match self.open_attribute {
            OpenAttribute::Unconditional if !self.open_clauses.is_empty() => {
                out.push(v("open_clauses", "无条件开放类不列第三十三、三十四条情形 (unconditionally open data cites no clause of Art. 33 or 34, Art. 35)"));
            }
            OpenAttribute::None if self.open_clauses.is_empty() || !clauses_fit => {
                out.push(v(
                    "open_clauses",
                    "不予开放须选择第三十三条所列情形 (not open cites a case of Art. 33)",
                ));
            }
            OpenAttribute::Conditional if self.open_clauses.is_empty() || !clauses_fit => {
                out.push(v("open_clauses", "有条件开放须选择第三十四条所列条件 (conditionally open cites a condition of Art. 34)"));
            }
            _ => {}
        }
        if self.open_attribute == OpenAttribute::Unconditional
            && self.items.iter().any(|i| i.personal)
        {
            out.push(v("open_attribute", "含个人或敏感信息项的资源不得无条件开放 (personal or sensitive items cannot be unconditionally open, CAT-6)"));
        }
        if let Some(g) = grade {
            if open_rank(self.open_attribute) > open_rank(g.max_open) {
                out.push(RuleViolation {
                    field: "open_attribute",
                    message: format!(
                        "分级「{}」最多允许{} (grade {} allows at most {})",
                        g.name,
                        g.max_open.zh(),
                        g.code,
                        g.max_open.as_str()
                    ),
                });
            }
            if self.share_type == ShareType::Unconditional && !g.allows_unconditional_share {
                out.push(RuleViolation {
                    field: "share_type",
                    message: format!("分级「{}」不允许无条件共享 (grade {} does not allow unconditional sharing)", g.name, g.code),
                });
            }
        }
        out
    }

    /// The basis filed with the authority (Art. 33, 34): the basis given,
    /// else, for not-open data, its grounds (不予开放理由).
    pub fn filed_basis(&self) -> &str {
        if self.open_basis.trim().is_empty() && self.open_attribute == OpenAttribute::None {
            &self.open_grounds
        } else {
            &self.open_basis
        }
    }

    /// The text searched by catalogue search: name, summary, keywords,
    /// items, and the name and keywords in pinyin (full and initials), so
    /// `renkou` or `rk` finds 人口.
    pub fn search_text(&self) -> String {
        let mut s = format!("{} {} {}", self.name, self.summary, self.keywords.join(" "));
        for i in &self.items {
            s.push(' ');
            s.push_str(&i.name);
        }
        for text in std::iter::once(&self.name).chain(self.keywords.iter()) {
            let (full, initials) = pinyin_of(text);
            s.push(' ');
            s.push_str(&full);
            s.push(' ');
            s.push_str(&initials);
        }
        s.to_lowercase()
    }
}

/// Pinyin without tones of the Chinese characters in `text` (other
/// characters kept): the full syllables run together, and their initials.
pub fn pinyin_of(text: &str) -> (String, String) {
    use pinyin::ToPinyin;
    let (mut full, mut initials) = (String::new(), String::new());
    for (c, p) in text.chars().zip(text.to_pinyin()) {
        match p {
            Some(p) => {
                full.push_str(p.plain());
                initials.push_str(p.first_letter());
            }
            None if c.is_alphanumeric() => {
                full.push(c);
                initials.push(c);
            }
            None => {}
        }
    }
    (full, initials)
}

fn open_rank(o: OpenAttribute) -> u8 {
    match o {
        OpenAttribute::None => 0,
        OpenAttribute::Conditional => 1,
        OpenAttribute::Unconditional => 2,
    }
}

/// One changed field between two versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldChange {
    pub field: String,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
}

/// The fields that differ between two versions, in field order.
pub fn diff(before: &EntryContent, after: &EntryContent) -> Vec<FieldChange> {
    let (a, b) = (
        serde_json::to_value(before).expect("content serialises"),
        serde_json::to_value(after).expect("content serialises"),
    );
    let (a, b) = (
        a.as_object().expect("object"),
        b.as_object().expect("object"),
    );
    let mut out = Vec::new();
    for (k, va) in a {
        let vb = b.get(k).cloned().unwrap_or(serde_json::Value::Null);
        if *va != vb {
            out.push(FieldChange {
                field: k.clone(),
                before: va.clone(),
                after: vb,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn sample() -> EntryContent {
        EntryContent {
            name: "人口基础信息".into(),
            summary: "全市户籍人口的基础信息".into(),
            classification: "101".into(),
            grade: "L3".into(),
            data_form: DataForm::Database,
            items: vec![
                DataItem {
                    name: "公民身份号码".into(),
                    data_type: DataType::String,
                    description: String::new(),
                    personal: true,
                },
                DataItem {
                    name: "姓名".into(),
                    data_type: DataType::String,
                    description: String::new(),
                    personal: true,
                },
            ],
            share_type: ShareType::Conditional,
            share_conditions: "用于政务服务身份核验".into(),
            share_basis: "《中华人民共和国居民身份证法》".into(),
            share_scope: "全市政务部门".into(),
            share_modes: vec![ShareMode::Api],
            open_attribute: OpenAttribute::None,
            open_clauses: vec![OpenClause::PrivacyWithoutConsent],
            open_conditions: String::new(),
            open_grounds: "涉及个人信息".into(),
            open_basis: String::new(),
            update_frequency: Frequency::Daily,
            keywords: vec!["人口".into(), "户籍".into()],
            collecting_org: None,
            approving_org: None,
            related_codes: vec![],
        }
    }

    fn fields(c: &EntryContent, g: Option<&Grade>) -> Vec<&'static str> {
        c.validate(g).into_iter().map(|v| v.field).collect()
    }

    #[test]
    fn a_complete_conditional_entry_is_valid() {
        let grades = default_grades();
        assert!(
            sample()
                .validate(grades.iter().find(|g| g.code == "L3"))
                .is_empty()
        );
    }

    #[test]
    fn conditional_sharing_needs_conditions_and_basis_and_none_needs_a_law() {
        let mut c = sample();
        c.share_conditions.clear();
        c.share_basis.clear();
        assert_eq!(fields(&c, None), ["share_conditions", "share_basis"]);
        c.share_type = ShareType::None;
        assert_eq!(fields(&c, None), ["share_basis"]);
    }

    #[test]
    fn personal_items_and_strict_grades_cannot_be_unconditionally_open() {
        let grades = default_grades();
        let mut c = sample();
        c.open_attribute = OpenAttribute::Unconditional;
        c.open_clauses.clear();
        assert_eq!(
            fields(&c, grades.iter().find(|g| g.code == "L3")),
            ["open_attribute", "open_attribute"]
        );
        for i in &mut c.items {
            i.personal = false;
        }
        assert_eq!(
            fields(&c, grades.iter().find(|g| g.code == "L1")),
            Vec::<&str>::new()
        );
        c.share_type = ShareType::Unconditional;
        assert_eq!(
            fields(&c, grades.iter().find(|g| g.code == "L4")),
            ["open_attribute", "share_type"]
        );
    }

    #[test]
    fn an_open_attribute_cites_the_clauses_of_its_own_article() {
        let grades = default_grades();
        let l3 = grades.iter().find(|g| g.code == "L3");
        let mut c = sample();
        assert!(fields(&c, l3).is_empty());
        // Not open without a case of Art. 33, or with a condition of Art. 34.
        c.open_clauses.clear();
        assert_eq!(fields(&c, l3), ["open_clauses"]);
        c.open_clauses = vec![OpenClause::SubjectConsent];
        assert_eq!(fields(&c, l3), ["open_clauses"]);
        // Conditionally open rests on Art. 34.
        c.open_attribute = OpenAttribute::Conditional;
        c.open_conditions = "签署数据利用协议".into();
        assert!(fields(&c, l3).is_empty());
        c.open_clauses.push(OpenClause::StateSecret);
        assert_eq!(fields(&c, l3), ["open_clauses"]);
        assert_eq!(OpenClause::StateSecret.attribute(), OpenAttribute::None);
        assert!(OpenClause::OtherLaw.zh().contains("第三十四条第四项"));
        // Content stored before the clauses existed reads as citing none.
        let mut old = serde_json::to_value(sample()).unwrap();
        old.as_object_mut().unwrap().remove("open_clauses");
        let back: EntryContent = serde_json::from_value(old).unwrap();
        assert!(back.open_clauses.is_empty());
    }

    #[test]
    fn search_text_has_pinyin_full_and_initials() {
        assert_eq!(
            pinyin_of("人口基础信息"),
            ("renkoujichuxinxi".into(), "rkjcxx".into())
        );
        let t = sample().search_text();
        assert!(t.contains("renkou") && t.contains("rkjcxx") && t.contains("huji"));
    }

    #[test]
    fn diff_names_the_changed_fields() {
        let a = sample();
        let mut b = sample();
        b.summary = "新的摘要".into();
        b.update_frequency = Frequency::Weekly;
        let d: Vec<String> = diff(&a, &b).into_iter().map(|c| c.field).collect();
        assert_eq!(d, ["summary", "update_frequency"]);
    }
}
