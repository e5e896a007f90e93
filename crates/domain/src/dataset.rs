//! Datasets (数据集, AGG-1 … AGG-3, QLT-1): declared columns, a key, and
//! per-column quality rules. Values are parsed into a canonical text form
//! once, at the edge; rules run on every row of every load.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::catalog::DataType;
use crate::ids::{validate_credit_code, validate_id_card};

/// What a violated rule does to a load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The load is refused (all or nothing).
    Reject,
    /// The load goes through; the violation is recorded as a quality issue.
    Flag,
}

/// A quality rule on one column (QLT-1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Rule {
    /// 身份证号 check digit (GB 11643).
    IdCard,
    /// 统一社会信用代码 check digit (GB 32100).
    CreditCode,
    /// No two current rows share the value.
    Unique,
    /// The value matches a regular expression (anchored).
    Pattern { pattern: String },
    /// The value is one of these.
    Enum { values: Vec<String> },
    /// A number (or date, as text) within bounds, inclusive.
    Range { min: Option<f64>, max: Option<f64> },
    /// The value is the key of a current row of another dataset (consistency).
    Reference { dataset: i64 },
}

impl Rule {
    pub fn name(&self) -> &'static str {
        match self {
            Rule::IdCard => "id_card",
            Rule::CreditCode => "credit_code",
            Rule::Unique => "unique",
            Rule::Pattern { .. } => "pattern",
            Rule::Enum { .. } => "enum",
            Rule::Range { .. } => "range",
            Rule::Reference { .. } => "reference",
        }
    }

    /// Parses the short API notation: `id_card`, `credit_code`, `unique`,
    /// `pattern:REGEX`, `enum:a|b|c`, `range:MIN..MAX`, `ref:DATASET_ID`; a `flag:` prefix
    /// records violations as quality issues instead of rejecting the load.
    pub fn parse(s: &str) -> Result<(Rule, Severity), String> {
        let (severity, s) = match s.strip_prefix("flag:") {
            Some(rest) => (Severity::Flag, rest),
            None => (Severity::Reject, s),
        };
        let rule = match s.split_once(':') {
            None => match s {
                "id_card" => Rule::IdCard,
                "credit_code" => Rule::CreditCode,
                "unique" => Rule::Unique,
                other => return Err(format!("unknown check `{other}`")),
            },
            Some(("pattern", p)) => {
                regex::Regex::new(&format!("^(?:{p})$")).map_err(|e| format!("pattern: {e}"))?;
                Rule::Pattern {
                    pattern: p.to_string(),
                }
            }
            Some(("enum", v)) => Rule::Enum {
                values: v
                    .split('|')
                    .map(|x| x.trim().to_string())
                    .filter(|x| !x.is_empty())
                    .collect(),
            },
            Some(("ref", id)) => Rule::Reference {
                dataset: id
                    .trim()
                    .parse()
                    .map_err(|_| format!("`{id}` is not a dataset id"))?,
            },
            Some(("range", r)) => {
                let (a, b) = r.split_once("..").ok_or("range is MIN..MAX")?;
                let num = |x: &str| -> Result<Option<f64>, String> {
                    if x.trim().is_empty() {
                        Ok(None)
                    } else {
                        x.trim()
                            .parse()
                            .map(Some)
                            .map_err(|_| format!("`{x}` is not a number"))
                    }
                };
                Rule::Range {
                    min: num(a)?,
                    max: num(b)?,
                }
            }
            Some((other, _)) => return Err(format!("unknown check `{other}`")),
        };
        Ok((rule, severity))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Check {
    #[serde(flatten)]
    pub rule: Rule,
    pub severity: Severity,
}

/// A declared column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Column {
    pub name: String,
    #[serde(rename = "type")]
    pub data_type: DataType,
    pub nullable: bool,
    /// Personal or sensitive (from the catalogue's data items).
    #[serde(default)]
    pub personal: bool,
    #[serde(default)]
    pub checks: Vec<Check>,
}

/// One problem in one row of a load: the error report's line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RowError {
    /// 1-based data row (the header is not counted).
    pub row: u64,
    pub column: String,
    pub value: String,
    /// `required`, `type`, `id_card`, `duplicate_key`, …
    pub rule: String,
    pub message: String,
}

/// Parses a raw cell into the canonical text of its type.
pub fn normalise(t: DataType, raw: &str) -> Result<String, String> {
    let v = raw.trim();
    match t {
        DataType::String => Ok(v.to_string()),
        DataType::Integer => v
            .parse::<i64>()
            .map(|n| n.to_string())
            .map_err(|_| "not a whole number".into()),
        DataType::Decimal => match v.parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(v.trim_start_matches('+').to_string()),
            _ => Err("not a number".into()),
        },
        // The canonical form is checked without the general parser (the common case in bulk loads).
        DataType::Date if canonical_date(v) => Ok(v.to_string()),
        DataType::Date => ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d"]
            .iter()
            .find_map(|f| NaiveDate::parse_from_str(v, f).ok())
            .map(|d| d.to_string())
            .ok_or_else(|| "not a date (YYYY-MM-DD)".into()),
        DataType::Datetime => {
            if let Ok(t) = chrono::DateTime::parse_from_rfc3339(v) {
                return Ok(t
                    .with_timezone(&crate::calendar::cst())
                    .naive_local()
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string());
            }
            [
                "%Y-%m-%d %H:%M:%S",
                "%Y-%m-%dT%H:%M:%S",
                "%Y/%m/%d %H:%M:%S",
                "%Y-%m-%d %H:%M",
            ]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(v, f).ok())
            .map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string())
            .ok_or_else(|| "not a date and time (YYYY-MM-DD HH:MM:SS)".into())
        }
        DataType::Boolean => match v.to_lowercase().as_str() {
            "true" | "1" | "是" | "y" | "yes" => Ok("true".into()),
            "false" | "0" | "否" | "n" | "no" => Ok("false".into()),
            _ => Err("not a boolean (true/false, 是/否)".into()),
        },
    }
}

/// Whether `v` is a real date written `YYYY-MM-DD`.
fn canonical_date(v: &str) -> bool {
    let b = v.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + (c - b'0') as u32)
        })
    };
    match (num(0..4), num(5..7), num(8..10)) {
        (Some(y), Some(m), Some(d)) => NaiveDate::from_ymd_opt(y as i32, m, d).is_some(),
        _ => false,
    }
}

/// Compiled per-row rules of a schema (regexes built once per load).
pub struct RowChecker {
    columns: Vec<Column>,
    patterns: Vec<Vec<Option<regex::Regex>>>,
}

impl RowChecker {
    pub fn new(columns: &[Column]) -> Self {
        let patterns = columns
            .iter()
            .map(|c| {
                c.checks
                    .iter()
                    .map(|k| match &k.rule {
                        Rule::Pattern { pattern } => {
                            regex::Regex::new(&format!("^(?:{pattern})$")).ok()
                        }
                        _ => None,
                    })
                    .collect()
            })
            .collect();
        RowChecker {
            columns: columns.to_vec(),
            patterns,
        }
    }

    /// Checks one row (cells in column order, `None` = empty). Returns the
    /// canonical values and the violations with their severities; set-based
    /// rules (`unique`) are checked by the store over the whole load.
    pub fn check(
        &self,
        row: u64,
        cells: &[Option<&str>],
    ) -> (Vec<Option<String>>, Vec<(RowError, Severity)>) {
        let mut out = Vec::with_capacity(self.columns.len());
        let mut errors = Vec::new();
        self.check_into(row, cells, &mut out, &mut errors);
        (out, errors)
    }

    /// `check` into buffers of the caller: `out` becomes the row's canonical
    /// values (reusing the strings it holds, so that a bulk load allocates
    /// nothing per value), the violations are appended to `errors`.
    pub fn check_into(
        &self,
        row: u64,
        cells: &[Option<&str>],
        out: &mut Vec<Option<String>>,
        errors: &mut Vec<(RowError, Severity)>,
    ) {
        out.resize(self.columns.len(), None);
        for (i, col) in self.columns.iter().enumerate() {
            let raw = cells
                .get(i)
                .copied()
                .flatten()
                .map(str::trim)
                .filter(|s| !s.is_empty());
            let err = |rule: &str, value: &str, message: String| RowError {
                row,
                column: col.name.clone(),
                value: value.chars().take(200).collect(),
                rule: rule.into(),
                message,
            };
            let Some(raw) = raw else {
                if !col.nullable {
                    errors.push((
                        err("required", "", "a value is required".into()),
                        Severity::Reject,
                    ));
                }
                out[i] = None;
                continue;
            };
            let value = out[i].get_or_insert_with(String::new);
            if let Err(m) = normalise_into(col.data_type, raw, value) {
                errors.push((err("type", raw, m), Severity::Reject));
                out[i] = None;
                continue;
            }
            for (k, check) in col.checks.iter().enumerate() {
                let failed = match &check.rule {
                    // Bulk loads validate without building the newtype (no allocation per row).
                    Rule::IdCard => validate_id_card(value).err().map(|e| e.to_string()),
                    Rule::CreditCode => validate_credit_code(value).err().map(|e| e.to_string()),
                    Rule::Unique | Rule::Reference { .. } => None,
                    Rule::Pattern { pattern } => match &self.patterns[i][k] {
                        Some(re) if !re.is_match(value) => {
                            Some(format!("does not match `{pattern}`"))
                        }
                        _ => None,
                    },
                    Rule::Enum { values } => (!values.contains(value))
                        .then(|| format!("not one of {}", values.join("|"))),
                    Rule::Range { min, max } => match value.parse::<f64>() {
                        Ok(n) if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) => {
                            Some("out of range".into())
                        }
                        Ok(_) => None,
                        Err(_) => Some("not a number".into()),
                    },
                };
                if let Some(m) = failed {
                    errors.push((err(check.rule.name(), value, m), check.severity));
                }
            }
            // A 身份证号 is stored as `IdCardNo` writes it: a final `x` upper-case.
            if value.ends_with('x') && col.checks.iter().any(|c| c.rule == Rule::IdCard) {
                value.make_ascii_uppercase();
            }
        }
    }
}

/// `normalise` into `out` (its allocation reused): the common bulk-load
/// cases — text, and dates already canonical — copy without allocating.
fn normalise_into(t: DataType, raw: &str, out: &mut String) -> Result<(), String> {
    let v = raw.trim();
    match t {
        DataType::String => {}
        DataType::Date if canonical_date(v) => {}
        _ => {
            let n = normalise(t, raw)?;
            out.clear();
            out.push_str(&n);
            return Ok(());
        }
    }
    out.clear();
    out.push_str(v);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols() -> Vec<Column> {
        vec![
            Column {
                name: "身份证号".into(),
                data_type: DataType::String,
                nullable: false,
                personal: true,
                checks: vec![Check {
                    rule: Rule::IdCard,
                    severity: Severity::Reject,
                }],
            },
            Column {
                name: "出生日期".into(),
                data_type: DataType::Date,
                nullable: true,
                personal: true,
                checks: vec![],
            },
            Column {
                name: "性别".into(),
                data_type: DataType::String,
                nullable: true,
                personal: true,
                checks: vec![Check {
                    rule: Rule::Enum {
                        values: vec!["男".into(), "女".into()],
                    },
                    severity: Severity::Flag,
                }],
            },
        ]
    }

    #[test]
    fn a_good_row_is_normalised() {
        let c = RowChecker::new(&cols());
        let (v, e) = c.check(
            1,
            &[Some("11010519491231002X"), Some("1949/12/31"), Some("女")],
        );
        assert!(e.is_empty());
        assert_eq!(v[1].as_deref(), Some("1949-12-31"));
        // A 身份证号 is stored with its final X upper-case.
        let (v, e) = c.check(2, &[Some("11010519491231002x"), None, Some("女")]);
        assert!(e.is_empty());
        assert_eq!(v[0].as_deref(), Some("11010519491231002X"));
    }

    #[test]
    fn each_violation_names_row_column_value_rule_and_severity() {
        let c = RowChecker::new(&cols());
        let (_, e) = c.check(
            7,
            &[Some("110105194912310021"), Some("31/12/1949"), Some("未知")],
        );
        let rules: Vec<(&str, &str, Severity)> = e
            .iter()
            .map(|(r, s)| (r.column.as_str(), r.rule.as_str(), *s))
            .collect();
        assert_eq!(
            rules,
            [
                ("身份证号", "id_card", Severity::Reject),
                ("出生日期", "type", Severity::Reject),
                ("性别", "enum", Severity::Flag)
            ]
        );
        assert!(e.iter().all(|(r, _)| r.row == 7));
        let (_, e) = c.check(8, &[None, None, None]);
        assert_eq!(e[0].0.rule, "required");
    }

    #[test]
    fn dates_are_canonical_and_checked() {
        assert_eq!(
            normalise(DataType::Date, "2026-02-28"),
            Ok("2026-02-28".into())
        );
        assert_eq!(
            normalise(DataType::Date, "2026/2/28"),
            Ok("2026-02-28".into())
        );
        assert!(normalise(DataType::Date, "2026-02-30").is_err());
        assert!(normalise(DataType::Date, "2026-13-01").is_err());
    }

    #[test]
    fn the_short_notation_parses() {
        assert_eq!(Rule::parse("id_card"), Ok((Rule::IdCard, Severity::Reject)));
        assert_eq!(
            Rule::parse("flag:enum:男|女"),
            Ok((
                Rule::Enum {
                    values: vec!["男".into(), "女".into()]
                },
                Severity::Flag
            ))
        );
        assert_eq!(
            Rule::parse("range:0..150"),
            Ok((
                Rule::Range {
                    min: Some(0.0),
                    max: Some(150.0)
                },
                Severity::Reject
            ))
        );
        assert!(Rule::parse("pattern:(").is_err());
        assert!(Rule::parse("telepathy").is_err());
        assert_eq!(
            Rule::parse("flag:ref:7"),
            Ok((Rule::Reference { dataset: 7 }, Severity::Flag))
        );
    }
}
