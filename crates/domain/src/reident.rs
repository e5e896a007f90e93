//! Re-identification risk (重识别风险, OPN-5, Art. 30, 36–37): before data
//! derived from personal information is opened, its records are grouped by
//! their quasi-identifiers (准标识符: birth date, sex, address … as they
//! appear after generalisation) and every group (等价类, equivalence class)
//! must hold at least `k` records — k-anonymity. A class smaller than `k`
//! singles out the few people in it; the report lists those classes so the
//! data officer can generalise further or suppress them.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// The threshold when none is chosen.
pub const DEFAULT_K: u32 = 5;
/// The largest threshold one may set.
pub const MAX_K: u32 = 1000;
/// Classes at risk listed in a report (the smallest first).
pub const LISTED_CLASSES: usize = 50;

/// Words in a data item's name that make it a quasi-identifier by default:
/// it says something about a person that others can observe or look up.
const QUASI_WORDS: [&str; 14] = [
    "出生", "生日", "年龄", "性别", "民族", "籍贯", "地址", "住址", "区县", "户籍", "婚姻", "邮编",
    "职业", "学历",
];

/// Whether an item named `name` is a quasi-identifier by default.
pub fn default_quasi_identifier(name: &str) -> bool {
    QUASI_WORDS.iter().any(|w| name.contains(w))
}

/// An equivalence class with fewer than `k` records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RiskClass {
    /// The quasi-identifier values shared by the class, in the order of
    /// `quasi_identifiers` (null: no value).
    pub values: Vec<Option<String>>,
    pub records: u64,
}

/// The outcome of a k-anonymity check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReidReport {
    /// The threshold: every class must hold at least this many records.
    pub k: u32,
    pub quasi_identifiers: Vec<String>,
    pub records: u64,
    /// Equivalence classes (distinct combinations of quasi-identifier values).
    pub classes: u64,
    /// Records in the smallest class (0 when there are no records).
    pub smallest_class: u64,
    /// Classes with fewer than `k` records, and the records in them.
    pub classes_at_risk: u64,
    pub records_at_risk: u64,
    /// Up to 50 classes at risk, the smallest first.
    pub at_risk: Vec<RiskClass>,
    /// No class is smaller than `k`: the data may be released.
    pub passed: bool,
}

impl ReidReport {
    /// One line (zh-CN, with the figures) for refusals and lists.
    pub fn summary_zh(&self) -> String {
        if self.passed {
            format!(
                "k={}：{} 条记录分为 {} 个等价类，最小等价类 {} 条，满足 k 匿名",
                self.k, self.records, self.classes, self.smallest_class
            )
        } else {
            format!(
                "k={}：{} 个等价类（{} 条记录）少于 {} 条，最小等价类 {} 条；请进一步泛化或删除这些记录",
                self.k, self.classes_at_risk, self.records_at_risk, self.k, self.smallest_class
            )
        }
    }
}

/// Counts records by their quasi-identifier values; `finish` reports.
#[derive(Debug, Default)]
pub struct KAnonymity {
    counts: HashMap<Vec<Option<String>>, u64>,
    records: u64,
}

impl KAnonymity {
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one record's quasi-identifier values.
    pub fn add(&mut self, values: Vec<Option<String>>) {
        self.records += 1;
        *self.counts.entry(values).or_insert(0) += 1;
    }

    /// The report against threshold `k` for the named quasi-identifiers.
    pub fn finish(self, k: u32, quasi_identifiers: Vec<String>) -> ReidReport {
        let k64 = u64::from(k);
        let classes = self.counts.len() as u64;
        let smallest_class = self.counts.values().copied().min().unwrap_or(0);
        let mut at_risk: Vec<RiskClass> = self
            .counts
            .into_iter()
            .filter(|(_, n)| *n < k64)
            .map(|(values, records)| RiskClass { values, records })
            .collect();
        let classes_at_risk = at_risk.len() as u64;
        let records_at_risk = at_risk.iter().map(|c| c.records).sum();
        at_risk.sort_by(|a, b| a.records.cmp(&b.records).then(a.values.cmp(&b.values)));
        at_risk.truncate(LISTED_CLASSES);
        ReidReport {
            k,
            quasi_identifiers,
            records: self.records,
            classes,
            smallest_class,
            classes_at_risk,
            records_at_risk,
            at_risk,
            passed: classes_at_risk == 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(v: &[&str]) -> Vec<Option<String>> {
        v.iter()
            .map(|s| (!s.is_empty()).then(|| s.to_string()))
            .collect()
    }

    #[test]
    fn classes_smaller_than_k_are_at_risk_smallest_first() {
        let mut c = KAnonymity::new();
        for _ in 0..5 {
            c.add(rec(&["30-39", "清城区"]));
        }
        for _ in 0..2 {
            c.add(rec(&["40-49", "清新区"]));
        }
        c.add(rec(&["90-99", ""]));
        let r = c.finish(5, vec!["年龄段".into(), "区县".into()]);
        assert_eq!((r.records, r.classes, r.smallest_class), (8, 3, 1));
        assert_eq!((r.classes_at_risk, r.records_at_risk), (2, 3));
        assert!(!r.passed);
        assert_eq!(r.at_risk[0].values, vec![Some("90-99".into()), None]);
        assert_eq!(r.at_risk[1].records, 2);
        assert!(r.summary_zh().contains("2 个等价类（3 条记录）少于 5 条"));
    }

    #[test]
    fn k_is_met_when_every_class_is_large_enough() {
        let mut c = KAnonymity::new();
        for i in 0..20 {
            c.add(rec(&[if i % 2 == 0 { "男" } else { "女" }]));
        }
        let r = c.finish(10, vec!["性别".into()]);
        assert!(r.passed);
        assert_eq!((r.classes, r.smallest_class), (2, 10));
        assert!(r.at_risk.is_empty());
        // One more than each class holds: both at risk.
        let mut c = KAnonymity::new();
        for _ in 0..10 {
            c.add(rec(&["男"]));
        }
        assert!(!c.finish(11, vec!["性别".into()]).passed);
    }

    #[test]
    fn observable_personal_attributes_are_quasi_identifiers_by_default() {
        for n in ["出生日期", "性别", "户籍地址", "年龄段", "所属区县"] {
            assert!(default_quasi_identifier(n), "{n}");
        }
        for n in ["姓名", "公民身份号码", "参保状态", "缴费金额"] {
            assert!(!default_quasi_identifier(n), "{n}");
        }
    }
}
