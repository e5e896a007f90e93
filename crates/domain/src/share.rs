//! Sharing rules (数据共享, SHR-3, SHR-4, BACK-1): what a grant allows, as
//! pure data, so the one door for dataset contents can decide a read without
//! I/O and a property test can prove that no answer leaves its grant.
//!
//! A [`GrantScope`] is minimum authorisation (最小授权, Art. 25): the exact
//! fields, an optional row filter (backflow to a county reads only its rows,
//! Art. 29), a masking rule per field, and a validity window. [`GrantScope::
//! plan`] turns a request — fields asked, equality filters — into a
//! [`ReadPlan`], or refuses it with a stable code.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::masking::Mask;

string_enum! {
    /// How shared data is delivered (SHR-7) or checked (VER-1).
    DeliveryMode {
        Api = "api" / "数据服务接口" / "API service",
        Table = "table" / "库表推送" / "Table push",
        File = "file" / "文件" / "File",
        Verify = "verify" / "核实比对" / "Verification",
    }
}

string_enum! {
    /// Where a grant stands.
    GrantState {
        Active = "active" / "有效" / "Active",
        Suspended = "suspended" / "暂停" / "Suspended",
        Revoked = "revoked" / "已撤销" / "Revoked",
    }
}

/// Rows a grant is limited to: those whose `field` holds one of `values`
/// (backflow: 行政区划 = 英德市).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowFilter {
    pub field: String,
    pub values: Vec<String>,
}

impl RowFilter {
    pub fn admits(&self, value: Option<&str>) -> bool {
        value.is_some_and(|v| self.values.iter().any(|x| x == v))
    }
}

/// What one grant allows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GrantScope {
    /// The granted fields, in the dataset's order.
    pub fields: Vec<String>,
    /// Masking rule per granted field (absent: shown as stored).
    #[serde(default)]
    pub masks: BTreeMap<String, String>,
    #[serde(default)]
    pub row_filter: Option<RowFilter>,
    pub mode: DeliveryMode,
    /// First and last day of validity (China dates, inclusive).
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    pub state: GrantState,
}

/// Why a read is refused; `code()` is the stable problem code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the grant is not valid yet (from {0})")]
    NotYetValid(NaiveDate),
    #[error("the grant expired on {0}")]
    Expired(NaiveDate),
    #[error("the grant was revoked")]
    Revoked,
    #[error("the grant is suspended")]
    Suspended,
    #[error("field `{0}` is not granted")]
    FieldNotGranted(String),
    #[error("the grant is for {0}, not for this use")]
    WrongMode(DeliveryMode),
    #[error("masking rule of `{field}`: {reason}")]
    BadMask { field: String, reason: String },
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NotYetValid(_) | Refusal::Expired(_) => "grant_expired",
            Refusal::Revoked | Refusal::Suspended => "grant_revoked",
            Refusal::FieldNotGranted(_) => "field_not_granted",
            Refusal::WrongMode(_) => "grant_required",
            Refusal::BadMask { .. } => "grant_invalid",
        }
    }
}

/// How one read is answered: which columns (positions in the dataset), each
/// with its mask; the grant's row filter and the caller's equality filters
/// as (position, admitted values).
#[derive(Debug, Clone, PartialEq)]
pub struct ReadPlan {
    pub columns: Vec<(usize, Option<Mask>)>,
    pub filters: Vec<(usize, Vec<String>)>,
}

impl ReadPlan {
    /// Whether a stored row (all the dataset's columns) passes every filter.
    pub fn admits(&self, row: &[Option<String>]) -> bool {
        self.filters.iter().all(|(i, values)| {
            row.get(*i)
                .and_then(|v| v.as_deref())
                .is_some_and(|v| values.iter().any(|x| x == v))
        })
    }

    /// The row as the grantee sees it: the planned columns, masked.
    pub fn project(&self, row: &[Option<String>]) -> Vec<Option<String>> {
        self.columns
            .iter()
            .map(|(i, mask)| {
                let v = row.get(*i).cloned().flatten()?;
                match mask {
                    Some(m) => m.apply(&v),
                    None => Some(v),
                }
            })
            .collect()
    }
}

impl GrantScope {
    /// Whether the grant may be used on `today` at all.
    pub fn usable(&self, today: NaiveDate) -> Result<(), Refusal> {
        match self.state {
            GrantState::Revoked => return Err(Refusal::Revoked),
            GrantState::Suspended => return Err(Refusal::Suspended),
            GrantState::Active => {}
        }
        if today < self.valid_from {
            return Err(Refusal::NotYetValid(self.valid_from));
        }
        if today > self.valid_until {
            return Err(Refusal::Expired(self.valid_until));
        }
        Ok(())
    }

    /// Plans a read of `dataset_columns` asking for `fields` (`None`: every
    /// granted field) with equality `filters` (field, value), on `today`,
    /// through `mode`. Filters may name granted fields only: a filter on a
    /// hidden field would reveal it by probing.
    pub fn plan(
        &self,
        dataset_columns: &[String],
        fields: Option<&[String]>,
        filters: &[(String, String)],
        mode: DeliveryMode,
        today: NaiveDate,
    ) -> Result<ReadPlan, Refusal> {
        self.usable(today)?;
        if mode != self.mode {
            return Err(Refusal::WrongMode(self.mode));
        }
        let position = |f: &str| -> Result<usize, Refusal> {
            if !self.fields.iter().any(|g| g == f) {
                return Err(Refusal::FieldNotGranted(f.to_string()));
            }
            dataset_columns
                .iter()
                .position(|c| c == f)
                .ok_or_else(|| Refusal::FieldNotGranted(f.to_string()))
        };
        let asked: Vec<&str> = match fields {
            Some(f) => f.iter().map(String::as_str).collect(),
            None => self.fields.iter().map(String::as_str).collect(),
        };
        let mut columns = Vec::with_capacity(asked.len());
        for f in asked {
            let mask = match self.masks.get(f) {
                Some(text) => Some(text.parse::<Mask>().map_err(|e| Refusal::BadMask {
                    field: f.to_string(),
                    reason: e.to_string(),
                })?),
                None => None,
            };
            columns.push((position(f)?, mask));
        }
        let mut plan_filters = Vec::new();
        for (f, v) in filters {
            let i = position(f)?;
            // A masked field is filtered by the stored value only through
            // the verification mode; here its filter would leak the value.
            if self.masks.contains_key(f) {
                return Err(Refusal::FieldNotGranted(f.clone()));
            }
            plan_filters.push((i, vec![v.clone()]));
        }
        if let Some(rf) = &self.row_filter {
            // The grant's own filter may name a field the grantee does not see.
            let i = dataset_columns
                .iter()
                .position(|c| *c == rf.field)
                .ok_or_else(|| Refusal::FieldNotGranted(rf.field.clone()))?;
            plan_filters.push((i, rf.values.clone()));
        }
        Ok(ReadPlan {
            columns,
            filters: plan_filters,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn cols() -> Vec<String> {
        ["公民身份号码", "姓名", "性别", "出生日期", "行政区划"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    fn scope() -> GrantScope {
        GrantScope {
            fields: vec!["公民身份号码".into(), "姓名".into(), "性别".into()],
            masks: [("姓名".to_string(), "name".to_string())].into(),
            row_filter: Some(RowFilter {
                field: "行政区划".into(),
                values: vec!["英德市".into()],
            }),
            mode: DeliveryMode::Api,
            valid_from: d("2026-01-01"),
            valid_until: d("2026-12-31"),
            state: GrantState::Active,
        }
    }

    #[test]
    fn a_read_gets_exactly_the_granted_fields_masked_and_filtered() {
        let s = scope();
        let plan = s
            .plan(&cols(), None, &[], DeliveryMode::Api, d("2026-12-04"))
            .unwrap();
        let row = |id: &str, name: &str, region: &str| -> Vec<Option<String>> {
            [id, name, "女", "1949-12-31", region]
                .iter()
                .map(|s| Some(s.to_string()))
                .collect()
        };
        let a = row("11010519491231002X", "张三丰", "英德市");
        let b = row("440524188001010014", "李四", "清城区");
        assert!(plan.admits(&a));
        assert!(!plan.admits(&b), "backflow: only 英德市 rows");
        assert_eq!(
            plan.project(&a),
            vec![
                Some("11010519491231002X".into()),
                Some("张**".into()),
                Some("女".into())
            ]
        );
    }

    #[test]
    fn refusals_carry_the_contracts_codes() {
        let s = scope();
        let today = d("2026-12-04");
        let plan = |fields: Option<&[String]>, filters: &[(String, String)], mode, day| {
            s.plan(&cols(), fields, filters, mode, day)
                .map(|_| ())
                .map_err(|e| e.code())
        };
        let born = ["出生日期".to_string()];
        assert_eq!(
            plan(Some(&born), &[], DeliveryMode::Api, today),
            Err("field_not_granted")
        );
        let by_born = [("出生日期".to_string(), "1949-12-31".to_string())];
        assert_eq!(
            plan(None, &by_born, DeliveryMode::Api, today),
            Err("field_not_granted")
        );
        let by_name = [("姓名".to_string(), "张三丰".to_string())];
        assert_eq!(
            plan(None, &by_name, DeliveryMode::Api, today),
            Err("field_not_granted")
        );
        assert_eq!(
            plan(None, &[], DeliveryMode::Api, d("2027-01-01")),
            Err("grant_expired")
        );
        assert_eq!(
            plan(None, &[], DeliveryMode::Api, d("2025-12-31")),
            Err("grant_expired")
        );
        assert_eq!(
            plan(None, &[], DeliveryMode::Verify, today),
            Err("grant_required")
        );
        let mut revoked = scope();
        revoked.state = GrantState::Revoked;
        assert_eq!(
            revoked
                .plan(&cols(), None, &[], DeliveryMode::Api, today)
                .map_err(|e| e.code()),
            Err("grant_revoked")
        );
        let by_id = [("公民身份号码".to_string(), "11010519491231002X".to_string())];
        assert!(plan(None, &by_id, DeliveryMode::Api, today).is_ok());
    }

    fn arb_scope() -> impl Strategy<Value = GrantScope> {
        let masks = ["name", "keep:1,1", "suppress", "year"];
        (
            proptest::sample::subsequence(cols(), 1..=5),
            proptest::collection::vec((0usize..5, 0usize..4), 0..3),
            proptest::option::of(proptest::sample::subsequence(
                vec!["英德市".to_string(), "清城区".to_string()],
                1..=2,
            )),
        )
            .prop_map(move |(fields, mask_picks, filter)| GrantScope {
                masks: mask_picks
                    .into_iter()
                    .filter(|(f, _)| *f < fields.len())
                    .map(|(f, m)| (fields[f].clone(), masks[m].to_string()))
                    .collect(),
                fields,
                row_filter: filter.map(|values| RowFilter {
                    field: "行政区划".into(),
                    values,
                }),
                mode: DeliveryMode::Api,
                valid_from: d("2026-01-01"),
                valid_until: d("2026-12-31"),
                state: GrantState::Active,
            })
    }

    fn arb_row() -> impl Strategy<Value = Vec<Option<String>>> {
        (
            "[0-9]{17}[0-9X]",
            "[张李王][三四五丰]{1,2}",
            prop_oneof![Just("男"), Just("女")],
            prop_oneof![Just("英德市"), Just("清城区"), Just("连州市")],
        )
            .prop_map(|(id, name, sex, region)| {
                vec![
                    Some(id),
                    Some(name),
                    Some(sex.to_string()),
                    Some("1990-01-01".to_string()),
                    Some(region.to_string()),
                ]
            })
    }

    proptest! {
        /// Whatever the grant and the request, an answer holds no field, row
        /// or unmasked value outside the grant.
        #[test]
        fn no_answer_leaves_its_grant(
            s in arb_scope(),
            asked in proptest::sample::subsequence(cols(), 0..=5),
            ask_all in any::<bool>(),
            rows in proptest::collection::vec(arb_row(), 1..20),
        ) {
            let fields = (!ask_all).then_some(asked.as_slice());
            match s.plan(&cols(), fields, &[], DeliveryMode::Api, d("2026-06-01")) {
                Err(Refusal::FieldNotGranted(f)) => prop_assert!(!s.fields.contains(&f)),
                Err(e) => prop_assert!(false, "unexpected refusal {e}"),
                Ok(plan) => {
                    for (i, mask) in &plan.columns {
                        let name = &cols()[*i];
                        prop_assert!(s.fields.contains(name), "{name} not granted");
                        prop_assert_eq!(mask.map(|m| m.to_string()), s.masks.get(name).cloned());
                    }
                    for row in &rows {
                        if !plan.admits(row) {
                            continue;
                        }
                        if let Some(rf) = &s.row_filter {
                            prop_assert!(rf.admits(row[4].as_deref()), "row outside the filter");
                        }
                        let out = plan.project(row);
                        for ((i, mask), v) in plan.columns.iter().zip(&out) {
                            let expect = match mask {
                                Some(m) => row[*i].as_deref().and_then(|x| m.apply(x)),
                                None => row[*i].clone(),
                            };
                            prop_assert_eq!(v, &expect);
                        }
                    }
                }
            }
        }
    }
}
