//! The demo catalogue: about sixty realistic entries across the demo
//! agencies, in every lifecycle state, some reviews overdue.

use chrono::Duration;
use pubdata_domain::audit::Outcome;
use pubdata_domain::calendar::today_cst;
use pubdata_domain::case::{CaseKind, CaseSubject};
use pubdata_domain::catalog::{
    DataForm, DataItem, DataType, EntryContent, EntryState, Frequency, OpenAttribute, OpenClause,
    ShareMode, ShareType,
};
use pubdata_store::{EntryChange, EntryFilter, NewCase, NewEntry};
use serde_json::json;

use crate::App;
use crate::catalog::authority_of;
use crate::error::Result;
use crate::principal::Principal;

/// (agency code, name, classification, base items, extra items, frequency)
/// Base items: `P` a natural person's, `E` a legal person's, `O` none.
pub(super) const ENTRIES: &[(&str, &str, &str, &str, &str, Frequency)] = &[
    (
        "qy-gaj",
        "人口基础信息",
        "101",
        "P",
        "民族,户籍地址",
        Frequency::Daily,
    ),
    (
        "qy-gaj",
        "户籍登记信息",
        "101",
        "P",
        "户号,与户主关系,迁入日期",
        Frequency::Daily,
    ),
    (
        "qy-gaj",
        "居民身份证信息",
        "104",
        "P",
        "签发机关,有效期限",
        Frequency::Daily,
    ),
    (
        "qy-gaj",
        "机动车登记信息",
        "207",
        "O",
        "号牌号码,车辆类型,登记日期",
        Frequency::Daily,
    ),
    (
        "qy-gaj",
        "机动车驾驶人信息",
        "207",
        "P",
        "准驾车型,初次领证日期",
        Frequency::Daily,
    ),
    (
        "qy-gaj",
        "流动人口居住登记信息",
        "101",
        "P",
        "居住地址,登记日期",
        Frequency::Weekly,
    ),
    (
        "qy-gaj",
        "出入境证件信息",
        "104",
        "P",
        "证件号码,证件类型",
        Frequency::Daily,
    ),
    (
        "qy-gaj",
        "道路交通违法信息",
        "207",
        "O",
        "号牌号码,违法行为,违法时间",
        Frequency::Realtime,
    ),
    (
        "qy-scjgj",
        "企业登记信息",
        "102",
        "E",
        "注册资本,经营范围,住所",
        Frequency::Daily,
    ),
    (
        "qy-scjgj",
        "个体工商户登记信息",
        "102",
        "E",
        "经营者姓名,经营场所",
        Frequency::Daily,
    ),
    (
        "qy-scjgj",
        "市场主体年度报告信息",
        "204",
        "E",
        "报告年度,从业人数",
        Frequency::Yearly,
    ),
    (
        "qy-scjgj",
        "食品经营许可信息",
        "301",
        "E",
        "许可证编号,经营项目,有效期至",
        Frequency::Daily,
    ),
    (
        "qy-scjgj",
        "市场监管行政处罚信息",
        "302",
        "E",
        "处罚决定书文号,处罚内容",
        Frequency::Daily,
    ),
    (
        "qy-scjgj",
        "特种设备使用登记信息",
        "204",
        "E",
        "设备类别,使用登记证编号",
        Frequency::Monthly,
    ),
    (
        "qy-scjgj",
        "营业执照电子证照",
        "104",
        "E",
        "证照编号,发证日期",
        Frequency::Realtime,
    ),
    (
        "qy-rsj",
        "社会保险参保信息",
        "201",
        "P",
        "参保险种,参保状态,参保日期",
        Frequency::Daily,
    ),
    (
        "qy-rsj",
        "养老保险待遇发放信息",
        "201",
        "P",
        "发放月份,发放金额",
        Frequency::Monthly,
    ),
    (
        "qy-rsj",
        "就业登记信息",
        "201",
        "P",
        "用工单位,就业日期",
        Frequency::Daily,
    ),
    (
        "qy-rsj",
        "职业资格证书信息",
        "104",
        "P",
        "证书编号,职业名称,等级",
        Frequency::Monthly,
    ),
    (
        "qy-rsj",
        "失业保险金领取信息",
        "201",
        "P",
        "领取月份,领取金额",
        Frequency::Monthly,
    ),
    (
        "qy-rsj",
        "工伤认定信息",
        "201",
        "P",
        "认定结论,认定日期",
        Frequency::Monthly,
    ),
    (
        "qy-mzj",
        "婚姻登记信息",
        "206",
        "P",
        "登记类型,登记日期,登记机关",
        Frequency::Daily,
    ),
    (
        "qy-mzj",
        "最低生活保障对象信息",
        "206",
        "P",
        "保障金额,保障起始月份",
        Frequency::Monthly,
    ),
    (
        "qy-mzj",
        "社会组织登记信息",
        "102",
        "E",
        "社会组织类型,业务主管单位",
        Frequency::Monthly,
    ),
    (
        "qy-mzj",
        "殡葬服务信息",
        "206",
        "P",
        "死亡日期,火化日期",
        Frequency::Daily,
    ),
    (
        "qy-mzj",
        "残疾人两项补贴发放信息",
        "206",
        "P",
        "补贴类型,发放金额",
        Frequency::Monthly,
    ),
    (
        "qy-mzj",
        "特困人员供养信息",
        "206",
        "P",
        "供养方式,供养标准",
        Frequency::Monthly,
    ),
    (
        "qy-mzj",
        "养老机构信息",
        "206",
        "O",
        "机构名称,床位数,地址",
        Frequency::Quarterly,
    ),
    (
        "qy-zrzyj",
        "不动产登记信息",
        "103",
        "P",
        "不动产单元号,权利类型,坐落",
        Frequency::Daily,
    ),
    (
        "qy-zrzyj",
        "国土空间规划信息",
        "103",
        "O",
        "规划名称,批复文号",
        Frequency::Yearly,
    ),
    (
        "qy-zrzyj",
        "土地供应信息",
        "103",
        "O",
        "宗地编号,供应方式,面积",
        Frequency::Monthly,
    ),
    (
        "qy-zrzyj",
        "基础测绘成果目录",
        "103",
        "O",
        "成果名称,比例尺",
        Frequency::Yearly,
    ),
    (
        "qy-wjj",
        "出生医学证明信息",
        "202",
        "P",
        "新生儿姓名,出生地点",
        Frequency::Daily,
    ),
    (
        "qy-wjj",
        "医疗机构执业登记信息",
        "202",
        "E",
        "机构类别,诊疗科目",
        Frequency::Monthly,
    ),
    (
        "qy-wjj",
        "预防接种信息",
        "202",
        "P",
        "疫苗名称,接种日期",
        Frequency::Daily,
    ),
    (
        "qy-wjj",
        "医师执业注册信息",
        "202",
        "P",
        "执业类别,执业范围",
        Frequency::Monthly,
    ),
    (
        "qy-jyj",
        "中小学学籍信息",
        "203",
        "P",
        "学籍号,学校名称,年级",
        Frequency::HalfYearly,
    ),
    (
        "qy-jyj",
        "学校基本信息",
        "203",
        "O",
        "学校名称,办学类型,地址",
        Frequency::Yearly,
    ),
    (
        "qy-jyj",
        "教师资格认定信息",
        "203",
        "P",
        "资格种类,任教学科",
        Frequency::Quarterly,
    ),
    (
        "qy-zjj",
        "商品房预售许可信息",
        "205",
        "E",
        "项目名称,预售许可证号",
        Frequency::Weekly,
    ),
    (
        "qy-zjj",
        "建筑业企业资质信息",
        "205",
        "E",
        "资质类别,资质等级",
        Frequency::Monthly,
    ),
    (
        "qy-zjj",
        "房屋网签备案信息",
        "205",
        "P",
        "合同编号,房屋坐落",
        Frequency::Daily,
    ),
    (
        "qy-ybj",
        "基本医疗保险参保信息",
        "201",
        "P",
        "参保类型,参保状态",
        Frequency::Daily,
    ),
    (
        "qy-ybj",
        "医保定点医药机构信息",
        "202",
        "E",
        "机构类型,定点协议编号",
        Frequency::Monthly,
    ),
    (
        "qy-ybj",
        "医疗保障费用结算信息",
        "201",
        "P",
        "结算日期,统筹支付金额",
        Frequency::Daily,
    ),
    (
        "qy-sw",
        "纳税信用等级信息",
        "210",
        "E",
        "评价年度,信用等级",
        Frequency::Yearly,
    ),
    (
        "qy-sw",
        "欠税公告信息",
        "210",
        "E",
        "欠税税种,欠税余额",
        Frequency::Quarterly,
    ),
    (
        "qy-jtj",
        "道路运输经营许可信息",
        "209",
        "E",
        "许可证号,经营范围",
        Frequency::Monthly,
    ),
    (
        "qy-jtj",
        "公交线路信息",
        "209",
        "O",
        "线路名称,首末班时间",
        Frequency::Monthly,
    ),
    (
        "qy-sthjj",
        "环境空气质量监测信息",
        "208",
        "O",
        "监测点位,AQI,监测时间",
        Frequency::Realtime,
    ),
    (
        "qy-sthjj",
        "排污许可信息",
        "208",
        "E",
        "许可证编号,主要污染物",
        Frequency::Monthly,
    ),
    (
        "qy-tjj",
        "国民经济主要指标",
        "304",
        "O",
        "指标名称,统计期,数值",
        Frequency::Monthly,
    ),
    (
        "qy-nyj",
        "新型农业经营主体信息",
        "211",
        "E",
        "主体类型,经营规模",
        Frequency::Quarterly,
    ),
    (
        "qy-wgltj",
        "A级旅游景区信息",
        "212",
        "O",
        "景区名称,等级,地址",
        Frequency::Quarterly,
    ),
    (
        "qy-gjj",
        "住房公积金缴存信息",
        "201",
        "P",
        "缴存单位,月缴存额",
        Frequency::Monthly,
    ),
    (
        "qy-sfj",
        "律师执业信息",
        "301",
        "P",
        "执业证号,执业机构",
        Frequency::Monthly,
    ),
    (
        "qy-yjj",
        "安全生产许可信息",
        "301",
        "E",
        "许可证编号,许可范围",
        Frequency::Monthly,
    ),
    (
        "yd-mzj",
        "英德市婚姻登记信息",
        "206",
        "P",
        "登记类型,登记日期",
        Frequency::Daily,
    ),
    (
        "yd-mzj",
        "英德市最低生活保障对象信息",
        "206",
        "P",
        "保障金额,保障起始月份",
        Frequency::Monthly,
    ),
    (
        "yd-gaj",
        "英德市户籍人口统计",
        "101",
        "O",
        "镇街,户籍人口数",
        Frequency::Monthly,
    ),
    (
        "qc-mzj",
        "清城区养老服务机构信息",
        "206",
        "O",
        "机构名称,床位数",
        Frequency::Quarterly,
    ),
    (
        "lz-wjj",
        "连州市医疗机构信息",
        "202",
        "E",
        "机构类别,床位数",
        Frequency::Quarterly,
    ),
];

pub(super) fn items(base: &str, extra: &str) -> Vec<DataItem> {
    let item = |name: &str, data_type, personal| DataItem {
        name: name.into(),
        data_type,
        description: String::new(),
        personal,
    };
    let mut v = match base {
        "P" => vec![
            item("公民身份号码", DataType::String, true),
            item("姓名", DataType::String, true),
            item("性别", DataType::String, true),
            item("出生日期", DataType::Date, true),
        ],
        "E" => vec![
            item("统一社会信用代码", DataType::String, false),
            item("单位名称", DataType::String, false),
            item("法定代表人", DataType::String, false),
        ],
        _ => vec![],
    };
    for name in extra.split(',') {
        let data_type = if name.contains("日期") || name.contains("时间") || name.contains("月份")
        {
            DataType::Date
        } else if name.contains("金额")
            || name.contains("资本")
            || name.contains("面积")
            || name.contains("数值")
            || name == "AQI"
        {
            DataType::Decimal
        } else if name.contains("数") {
            DataType::Integer
        } else {
            DataType::String
        };
        v.push(item(name, data_type, base == "P"));
    }
    v
}

pub(super) fn content(
    name: &str,
    class: &str,
    base: &str,
    extra: &str,
    frequency: Frequency,
) -> EntryContent {
    let personal = base == "P";
    let (share_type, open_attribute) = match (base, name) {
        (_, "出入境证件信息") => (ShareType::None, OpenAttribute::None),
        ("P", _) => (ShareType::Conditional, OpenAttribute::None),
        ("E", _) => (ShareType::Unconditional, OpenAttribute::Conditional),
        _ => (ShareType::Unconditional, OpenAttribute::Unconditional),
    };
    EntryContent {
        name: name.into(),
        summary: format!(
            "{name}，包括{}等信息项，供政务部门依法履职使用。",
            extra.replace(',', "、")
        ),
        classification: class.into(),
        grade: if personal {
            "L3"
        } else if open_attribute == OpenAttribute::Unconditional {
            "L1"
        } else {
            "L2"
        }
        .into(),
        data_form: if frequency == Frequency::Realtime {
            DataForm::ServiceApi
        } else {
            DataForm::Database
        },
        items: items(base, extra),
        share_type,
        share_conditions: if share_type == ShareType::Conditional {
            "仅用于依法履职的身份核验和业务办理".into()
        } else {
            String::new()
        },
        share_basis: match share_type {
            ShareType::Conditional => "《清远市公共数据管理办法》第十四条".into(),
            ShareType::None => "《中华人民共和国出境入境管理法》".into(),
            ShareType::Unconditional => String::new(),
        },
        share_scope: "全市政务部门".into(),
        share_modes: if share_type == ShareType::None {
            vec![]
        } else {
            vec![ShareMode::Api, ShareMode::Table]
        },
        open_attribute,
        open_clauses: match open_attribute {
            OpenAttribute::None if personal => vec![OpenClause::PrivacyWithoutConsent],
            OpenAttribute::None => vec![OpenClause::LawForbids],
            OpenAttribute::Conditional => vec![OpenClause::RiskAssessment],
            OpenAttribute::Unconditional => vec![],
        },
        open_conditions: if open_attribute == OpenAttribute::Conditional {
            "申请人签署数据利用协议".into()
        } else {
            String::new()
        },
        open_grounds: if open_attribute == OpenAttribute::None {
            "涉及个人信息".into()
        } else {
            String::new()
        },
        open_basis: match open_attribute {
            OpenAttribute::None if personal => {
                "《中华人民共和国个人信息保护法》第十三条：处理个人信息须取得个人同意或有法定事由；相关数据主体未同意开放".into()
            }
            OpenAttribute::None => "《中华人民共和国出境入境管理法》：出入境证件信息依法不得开放".into(),
            OpenAttribute::Conditional => {
                "《清远市公共数据管理办法》第三十四条第三项：开放效益显著，现阶段安全风险需经申请审核评估".into()
            }
            OpenAttribute::Unconditional => String::new(),
        },
        update_frequency: frequency,
        keywords: vec![],
        collecting_org: None,
        approving_org: None,
        related_codes: vec![],
    }
}

impl App {
    /// Seeds the demo catalogue once (skipped when any entry exists).
    pub(crate) async fn seed_demo_catalog(&self) -> Result<usize> {
        let existing = self
            .store
            .list_entries(&EntryFilter {
                limit: 1,
                ..Default::default()
            })
            .await?;
        if !existing.is_empty() {
            return Ok(0);
        }
        let system = Principal::system();
        let tree = self.org_tree().await?;
        let cal = self.calendar();
        let today = today_cst();
        let mut n = 0;
        let open_from = ENTRIES.len();
        for (i, (org_code, name, class, base, extra, freq)) in ENTRIES
            .iter()
            .chain(super::open_catalog::OPEN_ENTRIES)
            .enumerate()
        {
            let Some(org) = self.store.get_org_by_code(org_code).await? else {
                continue;
            };
            let authority = authority_of(&tree, org.id).unwrap_or(org.id);
            let c = content(name, class, base, extra, *freq);
            let audit = system.event(
                "catalog.create",
                "",
                Outcome::Success,
                json!({"name": name, "demo": true}),
            );
            let e = self
                .store
                .create_entry(
                    NewEntry {
                        org_id: org.id,
                        level: org.level,
                        content: c.clone(),
                        co_owners: vec![],
                        actor: org_code.to_string(),
                    },
                    audit,
                )
                .await?;
            n += 1;
            // Every lifecycle state: mostly published, then submitted (some overdue), draft, returned, delisted.
            // The open catalogue's entries are all published.
            let target = match i % 8 {
                _ if i >= open_from => EntryState::Published,
                0..=3 => EntryState::Published,
                4 => EntryState::Submitted,
                5 => EntryState::Draft,
                6 => EntryState::Returned,
                _ if i % 16 == 7 => EntryState::Delisted,
                _ => EntryState::Published,
            };
            if target == EntryState::Draft {
                continue;
            }
            // Submitted weeks ago (published/returned/delisted, and the overdue reviews), or today.
            let overdue = target == EntryState::Submitted && i % 16 == 4;
            let opened = if target == EntryState::Submitted && !overdue {
                today
            } else {
                today - Duration::days(30)
            };
            let due = CaseKind::CatalogReview.due(&cal, opened)?;
            let step = |from, to, publish_on, note: &str, open_case, close_cases| EntryChange {
                entry_id: e.id,
                expect_state: from,
                new_state: to,
                new_content: None,
                publish_on,
                note: note.into(),
                actor: org_code.to_string(),
                open_case,
                close_cases,
                file_with: Some(authority),
            };
            let audit = system.event(
                "catalog.submit",
                CaseSubject::CatalogEntry(e.id).to_string(),
                Outcome::Success,
                json!({"demo": true}),
            );
            let case = NewCase {
                kind: CaseKind::CatalogReview,
                subject: CaseSubject::CatalogEntry(e.id).to_string(),
                requester_org: org.id,
                responder_org: authority,
                opened_on: opened,
                due_on: due,
                basis: CaseKind::CatalogReview.time_limit().1.into(),
            };
            self.store
                .change_entry(
                    step(
                        EntryState::Draft,
                        EntryState::Submitted,
                        None,
                        "",
                        Some(case),
                        vec![],
                    ),
                    audit,
                )
                .await?;
            if target == EntryState::Submitted {
                continue;
            }
            let (to, outcome, note, publish) = if target == EntryState::Returned {
                (
                    EntryState::Returned,
                    "returned",
                    "信息项描述不完整，请补充数据类型和共享条件",
                    None,
                )
            } else {
                (
                    EntryState::Published,
                    "approved",
                    "",
                    Some(opened + Duration::days(3)),
                )
            };
            let audit = system.event(
                "catalog.review",
                CaseSubject::CatalogEntry(e.id).to_string(),
                Outcome::Success,
                json!({"decision": outcome, "demo": true}),
            );
            self.store
                .change_entry(
                    step(
                        EntryState::Submitted,
                        to,
                        publish,
                        note,
                        None,
                        vec![(CaseKind::CatalogReview, outcome.into())],
                    ),
                    audit,
                )
                .await?;
            if target == EntryState::Delisted {
                let audit = system.event(
                    "catalog.delist",
                    CaseSubject::CatalogEntry(e.id).to_string(),
                    Outcome::Success,
                    json!({"demo": true}),
                );
                self.store
                    .change_entry(
                        step(
                            EntryState::Published,
                            EntryState::Delisted,
                            None,
                            "数据已由新目录替代",
                            None,
                            vec![],
                        ),
                        audit,
                    )
                    .await?;
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_demo_entry_obeys_the_catalogue_rules() {
        let grades = pubdata_domain::catalog::default_grades();
        let classes = crate::catalog::default_classifications();
        assert!(ENTRIES.len() >= 60);
        for (_, name, class, base, extra, freq) in ENTRIES
            .iter()
            .chain(super::super::open_catalog::OPEN_ENTRIES)
        {
            let c = content(name, class, base, extra, *freq);
            let grade = grades.iter().find(|g| g.code == c.grade);
            assert!(grade.is_some(), "{name}");
            assert!(classes.iter().any(|k| k.code == c.classification), "{name}");
            assert_eq!(c.validate(grade), vec![], "{name}");
        }
    }
}
