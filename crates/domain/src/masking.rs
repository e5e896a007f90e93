//! Masking rules (脱敏规则, SHR-4, SHR-6): how a granted field's values are
//! shown to a grantee. No national rule fixes positions, so rules are data —
//! a short text notation stored with each grant or derivation — seeded with
//! the common defaults of DOMAIN.md:
//!
//! | data | default | notation |
//! |---|---|---|
//! | 姓名 | keep the first character: 张** | `name` |
//! | 身份证号 | keep first 6 and last 4 (hides the birth date) | `keep:6,4` |
//! | 手机号 | keep first 3 and last 4: 138****1234 | `keep:3,4` |
//! | 银行卡号 | keep first 6 and last 4 | `keep:6,4` |
//! | 地址 | keep up to district/street level | `address` |
//! | 邮箱 | keep the first character before @ | `email` |
//!
//! and the generalisations of GB/T 37964: `year` (a date → its year),
//! `suppress` (the value is withheld: null). Masking works on characters,
//! not bytes, so Chinese text is never cut inside a character.

use std::fmt;
use std::str::FromStr;

/// One masking rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mask {
    /// Keep the first `first` and last `last` characters; `*` between.
    Keep { first: usize, last: usize },
    /// A person's name: the first character, `*` for the rest.
    Name,
    /// An address up to its district/county or street/town level.
    Address,
    /// An e-mail address: the first character of the local part, then `***@domain`.
    Email,
    /// A date (YYYY-MM-DD) generalised to its year.
    Year,
    /// Withheld entirely.
    Suppress,
}

/// Why a rule's text is not a rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a masking rule (keep:N,M | name | address | email | year | suppress)")]
pub struct BadMask(pub String);

impl FromStr for Mask {
    type Err = BadMask;
    fn from_str(s: &str) -> Result<Self, BadMask> {
        let bad = || BadMask(s.to_string());
        Ok(match s.trim() {
            "name" => Mask::Name,
            "address" => Mask::Address,
            "email" => Mask::Email,
            "year" => Mask::Year,
            "suppress" => Mask::Suppress,
            other => {
                let spec = other.strip_prefix("keep:").ok_or_else(bad)?;
                let (a, b) = spec.split_once(',').ok_or_else(bad)?;
                let first = a.trim().parse().map_err(|_| bad())?;
                let last = b.trim().parse().map_err(|_| bad())?;
                if first > 64 || last > 64 {
                    return Err(bad());
                }
                Mask::Keep { first, last }
            }
        })
    }
}

impl fmt::Display for Mask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mask::Keep { first, last } => write!(f, "keep:{first},{last}"),
            Mask::Name => f.write_str("name"),
            Mask::Address => f.write_str("address"),
            Mask::Email => f.write_str("email"),
            Mask::Year => f.write_str("year"),
            Mask::Suppress => f.write_str("suppress"),
        }
    }
}

/// Levels of a Chinese address, in order; the first that ends a prefix of
/// the address after the city marks where an address is cut.
const DISTRICT_ENDS: [char; 3] = ['区', '县', '市'];
const STREET_ENDS: [char; 2] = ['街', '镇'];

/// DOMAIN.md's default rules by words in a data item's name, in order (the
/// first that matches wins): the seed of the platform's masking rules,
/// which the authority edits.
pub const DEFAULT_RULES: [(&[&str], Mask); 6] = [
    (&["身份证", "身份号码"], Mask::Keep { first: 6, last: 4 }),
    (
        &["手机", "电话", "联系方式"],
        Mask::Keep { first: 3, last: 4 },
    ),
    (
        &["银行卡", "银行账号", "账号"],
        Mask::Keep { first: 6, last: 4 },
    ),
    (&["邮箱", "电子邮件"], Mask::Email),
    (&["地址", "住址", "住所"], Mask::Address),
    (&["姓名"], Mask::Name),
];

/// The first rule one of whose words is in `item`, if any.
pub fn rule_for<'a, W: AsRef<str> + 'a>(
    rules: impl IntoIterator<Item = (&'a [W], Mask)>,
    item: &str,
) -> Option<Mask> {
    rules
        .into_iter()
        .find(|(words, _)| words.iter().any(|w| item.contains(w.as_ref())))
        .map(|(_, m)| m)
}

/// Where an address is cut: after its district/county (清远市清城区), or
/// with `street` after the street/town that follows it (…凤城街, …镇);
/// 0 when no district is found.
pub(crate) fn address_cut(chars: &[char], street: bool) -> usize {
    let cut = |ends: &[char], from: usize| {
        chars[from..]
            .iter()
            .position(|c| ends.contains(c))
            .map(|p| from + p + 1)
    };
    let district = cut(&DISTRICT_ENDS, 0).map(|d| {
        // 清远市清城区: the city's 市 first, then the district.
        cut(&['区', '县'], d)
            .filter(|_| chars[d - 1] == '市')
            .unwrap_or(d)
    });
    let keep = match district {
        Some(d) if street => cut(&STREET_ENDS, d).unwrap_or(d),
        Some(d) => d,
        None => 0,
    };
    keep.min(chars.len())
}

impl Mask {
    /// The default rule for a data item, by its name (DOMAIN.md), if any.
    pub fn default_for(item: &str) -> Option<Mask> {
        rule_for(DEFAULT_RULES.iter().map(|(w, m)| (*w, *m)), item)
    }

    /// The value as the grantee sees it (`None`: withheld).
    pub fn apply(self, value: &str) -> Option<String> {
        let chars: Vec<char> = value.chars().collect();
        let n = chars.len();
        Some(match self {
            Mask::Suppress => return None,
            Mask::Keep { first, last } => {
                if first + last >= n {
                    // Too short to keep anything and still hide something.
                    "*".repeat(n)
                } else {
                    let mut out: String = chars[..first].iter().collect();
                    out.push_str(&"*".repeat(n - first - last));
                    out.extend(&chars[n - last..]);
                    out
                }
            }
            Mask::Name => match chars.first() {
                Some(c) => format!("{c}{}", "*".repeat(n.saturating_sub(1).max(1))),
                None => String::new(),
            },
            Mask::Email => match value.split_once('@') {
                Some((local, domain)) => {
                    let first: String = local.chars().take(1).collect();
                    format!("{first}***@{domain}")
                }
                None => "*".repeat(n),
            },
            Mask::Year => match value.get(..4) {
                Some(y) if y.chars().all(|c| c.is_ascii_digit()) => y.to_string(),
                _ => "*".repeat(n),
            },
            Mask::Address => {
                // Up to the street/town if one follows the district, else the district.
                let keep = address_cut(&chars, true);
                let mut out: String = chars[..keep].iter().collect();
                if keep < n {
                    out.push_str("***");
                }
                out
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_defaults_of_domain_md() {
        let m = |item: &str, v: &str| Mask::default_for(item).unwrap().apply(v).unwrap();
        assert_eq!(m("姓名", "张三丰"), "张**");
        assert_eq!(m("姓名", "李四"), "李*");
        assert_eq!(
            m("公民身份号码", "11010519491231002X"),
            "110105********002X"
        );
        assert_eq!(m("手机号码", "13812341234"), "138****1234");
        assert_eq!(m("银行卡号", "6222020200112233445"), "622202*********3445");
        assert_eq!(m("电子邮箱", "zhangsan@example.cn"), "z***@example.cn");
        assert_eq!(
            m("户籍地址", "广东省清远市清城区凤城街道北门路12号"),
            "广东省清远市清城区凤城街***"
        );
        assert_eq!(m("住址", "英德市英城街道和平中路3号"), "英德市英城街***");
        assert_eq!(Mask::default_for("性别"), None);
    }

    #[test]
    fn rules_are_text_and_round_trip() {
        for s in [
            "keep:6,4", "keep:0,0", "name", "address", "email", "year", "suppress",
        ] {
            let m: Mask = s.parse().unwrap();
            assert_eq!(m.to_string(), s);
        }
        for bad in ["keep", "keep:1", "keep:a,b", "keep:100,1", "hide", ""] {
            assert!(bad.parse::<Mask>().is_err(), "{bad}");
        }
        assert_eq!(Mask::Suppress.apply("秘密"), None);
        assert_eq!(Mask::Year.apply("1949-12-31").as_deref(), Some("1949"));
        assert_eq!(Mask::Year.apply("不详").as_deref(), Some("**"));
    }

    proptest! {
        /// A kept-ends mask never shows a hidden character: the output has as
        /// many characters as the input and only `*` between the kept ends.
        #[test]
        fn keep_shows_only_the_kept_ends(value in "\\PC{0,40}", first in 0usize..8, last in 0usize..8) {
            let out = Mask::Keep { first, last }.apply(&value).unwrap();
            let (v, o): (Vec<char>, Vec<char>) = (value.chars().collect(), out.chars().collect());
            prop_assert_eq!(o.len(), v.len());
            if first + last >= v.len() {
                prop_assert!(o.iter().all(|c| *c == '*'));
            } else {
                prop_assert_eq!(&o[..first], &v[..first]);
                prop_assert_eq!(&o[v.len() - last..], &v[v.len() - last..]);
                prop_assert!(o[first..v.len() - last].iter().all(|c| *c == '*'));
            }
        }

        /// A masked name keeps one character at most.
        #[test]
        fn a_name_keeps_one_character(value in "\\PC{1,10}") {
            let out = Mask::Name.apply(&value).unwrap();
            prop_assert_eq!(out.chars().next(), value.chars().next());
            prop_assert!(out.chars().skip(1).all(|c| c == '*'));
        }
    }
}
