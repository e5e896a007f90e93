//! Desensitised derivatives (脱敏衍生, SHR-6, Art. 24): an agency derives a
//! new catalogue entry and dataset from one it holds by transforming its
//! fields — masking, keyed pseudonymisation (HMAC-SHA256 with a secret of
//! the derivation's own), generalisation (a date to its year or month, an
//! address to its district, an age or birth date to a band) or dropping
//! them — so that the derivative may carry a more open share class: a
//! conditional entry from a non-shared one, an unconditional one from a
//! conditional one.
//!
//! A transformation is text, like a masking rule (`masking.rs`), stored
//! with the derivation and shown on the derived entry:
//!
//! | text | what it does | derived type |
//! |---|---|---|
//! | `keep` | the value as is | the parent's |
//! | `mask:<rule>` | a masking rule: `mask:name`, `mask:keep:6,4` … | string |
//! | `pseudonym` | HMAC-SHA256(secret, value), 32 hex digits | string |
//! | `year` / `month` | a date → `1990` / `1990-05` | integer / string |
//! | `district` | an address → up to its district or county | string |
//! | `age_band:N` | a birth date or an age → `30-39` (N years, default 10) | string |
//!
//! Fields a derivation does not name are dropped.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::catalog::{DataType, ShareType};
use crate::masking::{Mask, address_cut};

/// What a derivation does to one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transform {
    Keep,
    Mask(Mask),
    Pseudonym,
    Year,
    Month,
    District,
    /// Bands of this many years.
    AgeBand(u8),
}

/// Why a transformation's text is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a transformation (keep | drop | mask:RULE | pseudonym | year | month | district | age_band[:N])"
)]
pub struct BadTransform(pub String);

impl FromStr for Transform {
    type Err = BadTransform;
    fn from_str(s: &str) -> Result<Self, BadTransform> {
        let bad = || BadTransform(s.to_string());
        Ok(match s.trim() {
            "keep" => Transform::Keep,
            "pseudonym" => Transform::Pseudonym,
            "year" => Transform::Year,
            "month" => Transform::Month,
            "district" => Transform::District,
            "age_band" => Transform::AgeBand(10),
            other => {
                if let Some(rule) = other.strip_prefix("mask:") {
                    Transform::Mask(rule.parse().map_err(|_| bad())?)
                } else if let Some(n) = other.strip_prefix("age_band:") {
                    let n: u8 = n.trim().parse().map_err(|_| bad())?;
                    if !(1..=50).contains(&n) {
                        return Err(bad());
                    }
                    Transform::AgeBand(n)
                } else {
                    return Err(bad());
                }
            }
        })
    }
}

impl fmt::Display for Transform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Transform::Keep => f.write_str("keep"),
            Transform::Mask(m) => write!(f, "mask:{m}"),
            Transform::Pseudonym => f.write_str("pseudonym"),
            Transform::Year => f.write_str("year"),
            Transform::Month => f.write_str("month"),
            Transform::District => f.write_str("district"),
            Transform::AgeBand(n) => write!(f, "age_band:{n}"),
        }
    }
}

impl Transform {
    /// The data type of the derived field.
    pub fn output_type(self, input: DataType) -> DataType {
        match self {
            Transform::Keep => input,
            Transform::Year => DataType::Integer,
            _ => DataType::String,
        }
    }

    /// Whether distinct values stay distinct (so a key may be derived so).
    pub fn injective(self) -> bool {
        matches!(self, Transform::Keep | Transform::Pseudonym)
    }

    /// Whether the derived field is still personal information: the value
    /// itself, or a pseudonym that links one person's records.
    pub fn still_personal(self) -> bool {
        matches!(self, Transform::Keep | Transform::Pseudonym)
    }

    /// Whether the transformation fits a field of type `t`.
    fn fits(self, t: DataType) -> bool {
        match self {
            Transform::Year | Transform::Month => matches!(t, DataType::Date | DataType::Datetime),
            Transform::AgeBand(_) => {
                matches!(t, DataType::Date | DataType::Datetime | DataType::Integer)
            }
            Transform::District => t == DataType::String,
            Transform::Keep | Transform::Mask(_) | Transform::Pseudonym => true,
        }
    }

    /// How the derived entry describes what was done (zh-CN).
    pub fn describe_zh(self) -> String {
        match self {
            Transform::Keep => "原值".into(),
            Transform::Mask(m) => format!("脱敏（{m}）"),
            Transform::Pseudonym => "假名化（HMAC-SHA256）".into(),
            Transform::Year => "泛化为年份".into(),
            Transform::Month => "泛化为年月".into(),
            Transform::District => "泛化到区县".into(),
            Transform::AgeBand(n) => format!("泛化为{n}岁年龄段"),
        }
    }

    /// The derived value (`None`: null). `today` fixes ages.
    pub fn apply(self, value: &str, key: &Pseudonymiser, today: NaiveDate) -> Option<String> {
        match self {
            Transform::Keep => Some(value.to_string()),
            Transform::Mask(m) => m.apply(value),
            Transform::Pseudonym => Some(key.pseudonym(value)),
            Transform::Year => date_prefix(value, 4),
            Transform::Month => date_prefix(value, 7),
            Transform::District => {
                let chars: Vec<char> = value.chars().collect();
                match address_cut(&chars, false) {
                    0 => None,
                    n => Some(chars[..n].iter().collect()),
                }
            }
            Transform::AgeBand(width) => {
                let age = match value.get(..10).and_then(|d| d.parse::<NaiveDate>().ok()) {
                    Some(born) => {
                        let mut age = today.year() - born.year();
                        if (today.month(), today.day()) < (born.month(), born.day()) {
                            age -= 1;
                        }
                        i64::from(age)
                    }
                    None => value.trim().parse::<i64>().ok()?,
                };
                if !(0..=150).contains(&age) {
                    return None;
                }
                let w = i64::from(width);
                let low = age / w * w;
                Some(if w == 1 {
                    low.to_string()
                } else {
                    format!("{low}-{}", low + w - 1)
                })
            }
        }
    }
}

/// The first `n` characters of a date (`YYYY`, `YYYY-MM`), when it is one.
fn date_prefix(value: &str, n: usize) -> Option<String> {
    let p = value.get(..n)?;
    let ok = p
        .char_indices()
        .all(|(i, c)| if i == 4 { c == '-' } else { c.is_ascii_digit() });
    ok.then(|| p.to_string())
}

/// Keyed pseudonyms: HMAC-SHA256 under a derivation's secret, the first 128
/// bits in hex. The same value gets the same pseudonym in every refresh of
/// one derivation, and an unrelated one in any other derivation.
pub struct Pseudonymiser {
    mac: Hmac<Sha256>,
}

impl Pseudonymiser {
    pub fn new(secret: &[u8]) -> Self {
        Pseudonymiser {
            mac: Hmac::new_from_slice(secret).expect("HMAC takes a key of any length"),
        }
    }

    pub fn pseudonym(&self, value: &str) -> String {
        let mut m = self.mac.clone();
        m.update(value.as_bytes());
        hex::encode(&m.finalize().into_bytes()[..16])
    }
}

/// A parent field as a derivation sees it.
#[derive(Debug, Clone)]
pub struct ParentField {
    pub name: String,
    pub data_type: DataType,
    pub personal: bool,
}

/// Why a derivation cannot be made: the field of the request and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanError {
    pub field: String,
    pub message: String,
}

fn plan_error(field: &str, message: impl Into<String>) -> PlanError {
    PlanError {
        field: field.to_string(),
        message: message.into(),
    }
}

/// How open a share class is: 不予共享 0, 有条件 1, 无条件 2.
pub fn openness(t: ShareType) -> u8 {
    match t {
        ShareType::None => 0,
        ShareType::Conditional => 1,
        ShareType::Unconditional => 2,
    }
}

/// Checks a derivation's transformations against its parent: the derived
/// fields in the parent's order with their transformation. Each named field
/// must be a parent field and its transformation fit its type; `drop` leaves
/// it out; the parent's key must survive injectively (kept or
/// pseudonymised), since the derived dataset is keyed by it; and a
/// derivative more open than its parent keeps no personal item in clear.
pub fn plan(
    parent: &[ParentField],
    key: &[String],
    transforms: &BTreeMap<String, String>,
    parent_share: ShareType,
    derived_share: ShareType,
) -> Result<Vec<(usize, Transform)>, PlanError> {
    for name in transforms.keys() {
        if !parent.iter().any(|f| &f.name == name) {
            return Err(plan_error(
                "transforms",
                format!("「{name}」is not a field of the parent dataset"),
            ));
        }
    }
    let more_open = openness(derived_share) > openness(parent_share);
    let mut out = Vec::new();
    for (i, f) in parent.iter().enumerate() {
        let Some(text) = transforms.get(&f.name) else {
            continue;
        };
        if text.trim() == "drop" {
            continue;
        }
        let t: Transform = text
            .parse()
            .map_err(|e: BadTransform| plan_error("transforms", format!("「{}」: {e}", f.name)))?;
        if !t.fits(f.data_type) {
            return Err(plan_error(
                "transforms",
                format!(
                    "「{}」: `{t}` does not apply to a {} field",
                    f.name,
                    f.data_type.as_str()
                ),
            ));
        }
        if more_open && f.personal && t == Transform::Keep {
            return Err(plan_error(
                "transforms",
                format!(
                    "「{}」is personal information: a derivative more open than its parent cannot keep it in clear",
                    f.name
                ),
            ));
        }
        out.push((i, t));
    }
    for k in key {
        let kept = parent
            .iter()
            .position(|f| &f.name == k)
            .and_then(|i| out.iter().find(|(j, _)| *j == i))
            .is_some_and(|(_, t)| t.injective());
        if !kept {
            return Err(plan_error(
                "transforms",
                format!(
                    "the key 「{k}」must be kept or pseudonymised (the derived dataset is keyed by it)"
                ),
            ));
        }
    }
    if out.is_empty() {
        return Err(plan_error("transforms", "the derivative keeps no field"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 4).unwrap()
    }

    #[test]
    fn transformations_are_text_and_round_trip() {
        for s in [
            "keep",
            "mask:name",
            "mask:keep:6,4",
            "pseudonym",
            "year",
            "month",
            "district",
            "age_band:5",
        ] {
            let t: Transform = s.parse().unwrap();
            assert_eq!(t.to_string(), s);
        }
        assert_eq!("age_band".parse(), Ok(Transform::AgeBand(10)));
        for bad in ["", "hide", "mask:", "mask:hide", "age_band:0", "age_band:x"] {
            assert!(bad.parse::<Transform>().is_err(), "{bad}");
        }
    }

    #[test]
    fn generalisations_of_dates_addresses_and_ages() {
        let k = Pseudonymiser::new(b"secret");
        let ap = |t: &str, v: &str| t.parse::<Transform>().unwrap().apply(v, &k, day());
        assert_eq!(ap("year", "1990-05-17").as_deref(), Some("1990"));
        assert_eq!(ap("month", "1990-05-17").as_deref(), Some("1990-05"));
        assert_eq!(ap("year", "不详"), None);
        assert_eq!(
            ap("district", "广东省清远市清城区凤城街道北门路12号").as_deref(),
            Some("广东省清远市清城区")
        );
        assert_eq!(
            ap("district", "英德市英城街道和平中路3号").as_deref(),
            Some("英德市")
        );
        assert_eq!(ap("district", "和平中路3号"), None);
        // Born 1990-12-05: 35 on 2026-12-04, 36 the day after.
        assert_eq!(ap("age_band", "1990-12-05").as_deref(), Some("30-39"));
        assert_eq!(ap("age_band:5", "1990-12-04").as_deref(), Some("35-39"));
        assert_eq!(ap("age_band:5", "1991-12-05").as_deref(), Some("30-34"));
        assert_eq!(ap("age_band:1", "47").as_deref(), Some("47"));
        assert_eq!(ap("age_band", "2030-01-01"), None);
        assert_eq!(ap("mask:name", "张三丰").as_deref(), Some("张**"));
    }

    #[test]
    fn pseudonyms_are_keyed_and_stable() {
        let a = Pseudonymiser::new(b"one secret");
        let b = Pseudonymiser::new(b"another secret");
        let id = "11010519491231002X";
        assert_eq!(a.pseudonym(id), a.pseudonym(id));
        assert_ne!(a.pseudonym(id), b.pseudonym(id));
        assert_ne!(a.pseudonym(id), a.pseudonym("440524188001010014"));
        assert_eq!(a.pseudonym(id).len(), 32);
        assert!(!a.pseudonym(id).contains("1949"));
    }

    fn parent() -> Vec<ParentField> {
        let f = |name: &str, data_type, personal| ParentField {
            name: name.into(),
            data_type,
            personal,
        };
        vec![
            f("公民身份号码", DataType::String, true),
            f("姓名", DataType::String, true),
            f("出生日期", DataType::Date, true),
            f("所属区县", DataType::String, false),
        ]
    }

    fn ts(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn a_plan_keeps_the_key_and_no_personal_item_in_clear_when_more_open() {
        let key = vec!["公民身份号码".to_string()];
        let (c, u) = (ShareType::Conditional, ShareType::Unconditional);
        let ok = plan(
            &parent(),
            &key,
            &ts(&[
                ("公民身份号码", "pseudonym"),
                ("出生日期", "age_band"),
                ("所属区县", "keep"),
                ("姓名", "drop"),
            ]),
            c,
            u,
        )
        .unwrap();
        assert_eq!(
            ok,
            vec![
                (0, Transform::Pseudonym),
                (2, Transform::AgeBand(10)),
                (3, Transform::Keep)
            ]
        );
        let err = |t: &[(&str, &str)], to| plan(&parent(), &key, &ts(t), c, to).unwrap_err();
        assert!(
            err(&[("公民身份号码", "mask:keep:6,4")], c)
                .message
                .contains("key")
        );
        assert!(err(&[("所属区县", "keep")], c).message.contains("key"));
        assert!(
            err(&[("公民身份号码", "pseudonym"), ("姓名", "keep")], u)
                .message
                .contains("personal")
        );
        // Not more open: a personal item may stay in clear.
        assert!(plan(&parent(), &key, &ts(&[("公民身份号码", "keep")]), c, c).is_ok());
        assert!(err(&[("电话", "keep")], c).message.contains("not a field"));
        assert!(
            err(&[("所属区县", "year"), ("公民身份号码", "keep")], c)
                .message
                .contains("does not apply")
        );
        assert!(
            err(&[("公民身份号码", "blur")], c)
                .message
                .contains("not a transformation")
        );
    }
}
