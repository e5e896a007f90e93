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
    /// Where a grant stands. A grant approved on a conditional request is
    /// `pending` until the source department implements it (Art. 24: within
    /// 3 working days of its answer).
    GrantState {
        Pending = "pending" / "待实施" / "Awaiting implementation",
        Active = "active" / "有效" / "Active",
        Suspended = "suspended" / "暂停" / "Suspended",
        Revoked = "revoked" / "已撤销" / "Revoked",
    }
}

string_enum! {
    /// Where a share request (共享申请) stands.
    RequestState {
        Pending = "pending" / "待答复" / "Awaiting answer",
        Approved = "approved" / "已同意，待实施" / "Approved, being implemented",
        Refused = "refused" / "不予共享" / "Refused",
        Granted = "granted" / "已授权" / "Granted",
    }
}

string_enum! {
    /// Where a demand for uncatalogued data (目录外数据需求) stands.
    DemandState {
        Pending = "pending" / "待确认" / "Awaiting confirmation",
        Confirmed = "confirmed" / "可共享，待编目" / "Shareable, being catalogued",
        Catalogued = "catalogued" / "已编目" / "Catalogued",
        Refused = "refused" / "不予共享" / "Not shareable",
    }
}

/// Rows a grant is limited to: those whose `field` holds one of `values`
/// (backflow: 行政区划 = 英德市).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RowFilter {
    pub field: String,
    pub values: Vec<String>,
}

impl RowFilter {
    pub fn admits(&self, value: Option<&str>) -> bool {
        value.is_some_and(|v| self.values.iter().any(|x| x == v))
    }
}

/// How a filter compares (`field=v`, `field.gte=v`, `field.lte=v` in a query).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Eq,
    Gte,
    Lte,
}

/// One filter a caller asks for on a granted field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Filter {
    pub field: String,
    pub op: Op,
    pub value: String,
}

impl Filter {
    /// Reads a query parameter: `字段` (equality), `字段.gte`, `字段.lte`.
    pub fn from_param(name: &str, value: &str) -> Filter {
        let (field, op) = match name.rsplit_once('.') {
            Some((f, "gte")) => (f, Op::Gte),
            Some((f, "lte")) => (f, Op::Lte),
            _ => (name, Op::Eq),
        };
        Filter {
            field: field.to_string(),
            op,
            value: value.to_string(),
        }
    }
}

/// What one read asks: fields (`None`: every granted field), filters, and
/// the delivery mode it comes through.
#[derive(Debug, Clone, Copy)]
pub struct Ask<'a> {
    pub fields: Option<&'a [String]>,
    pub filters: &'a [Filter],
    pub mode: DeliveryMode,
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
    #[error("the grant is approved but not yet implemented by the source department")]
    NotImplemented,
    #[error("field `{0}` is not granted")]
    FieldNotGranted(String),
    #[error("field `{0}` is masked: it can be matched only by its whole value as the key")]
    MaskedFilter(String),
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
            Refusal::FieldNotGranted(_) | Refusal::MaskedFilter(_) => "field_not_granted",
            Refusal::WrongMode(_) | Refusal::NotImplemented => "grant_required",
            Refusal::BadMask { .. } => "grant_invalid",
        }
    }
}

/// A condition on one stored column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cond {
    /// The value is one of these.
    In(Vec<String>),
    /// At least (text order: dates and codes compare as written).
    Gte(String),
    /// At most.
    Lte(String),
}

impl Cond {
    pub fn admits(&self, v: Option<&str>) -> bool {
        let Some(v) = v else { return false };
        match self {
            Cond::In(values) => values.iter().any(|x| x == v),
            Cond::Gte(x) => v >= x.as_str(),
            Cond::Lte(x) => v <= x.as_str(),
        }
    }
}

/// How one read is answered: which columns (positions in the dataset), each
/// with its mask; the grant's row filter and the caller's filters as
/// (position, condition).
#[derive(Debug, Clone, PartialEq)]
pub struct ReadPlan {
    pub columns: Vec<(usize, Option<Mask>)>,
    pub filters: Vec<(usize, Cond)>,
}

impl ReadPlan {
    /// Whether a stored row (all the dataset's columns) passes every filter.
    pub fn admits(&self, row: &[Option<String>]) -> bool {
        self.filters
            .iter()
            .all(|(i, c)| c.admits(row.get(*i).and_then(|v| v.as_deref())))
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

/// How a verification (核实比对) is checked: the key columns that locate the
/// record and the claimed columns compared, by position.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifyPlan {
    pub key: Vec<usize>,
    pub claims: Vec<(String, usize)>,
}

impl GrantScope {
    /// Whether the grant may be used on `today` at all.
    pub fn usable(&self, today: NaiveDate) -> Result<(), Refusal> {
        match self.state {
            GrantState::Revoked => return Err(Refusal::Revoked),
            GrantState::Suspended => return Err(Refusal::Suspended),
            GrantState::Pending => return Err(Refusal::NotImplemented),
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

    fn mask_of(&self, f: &str) -> Result<Option<Mask>, Refusal> {
        match self.masks.get(f) {
            Some(text) => text
                .parse::<Mask>()
                .map(Some)
                .map_err(|e| Refusal::BadMask {
                    field: f.to_string(),
                    reason: e.to_string(),
                }),
            None => Ok(None),
        }
    }

    /// Plans a read of a dataset with `columns` and `key` on `today`.
    /// Filters may name granted fields only (a filter on a hidden field would
    /// reveal it by probing); a masked field may be matched only by equality
    /// on a key field (the caller supplies the whole key it already holds).
    pub fn plan(
        &self,
        columns: &[String],
        key: &[String],
        ask: &Ask<'_>,
        today: NaiveDate,
    ) -> Result<ReadPlan, Refusal> {
        self.usable(today)?;
        if ask.mode != self.mode {
            return Err(Refusal::WrongMode(self.mode));
        }
        let position = |f: &str| -> Result<usize, Refusal> {
            if !self.fields.iter().any(|g| g == f) {
                return Err(Refusal::FieldNotGranted(f.to_string()));
            }
            columns
                .iter()
                .position(|c| c == f)
                .ok_or_else(|| Refusal::FieldNotGranted(f.to_string()))
        };
        let asked: Vec<&str> = match ask.fields {
            Some(f) => f.iter().map(String::as_str).collect(),
            None => self.fields.iter().map(String::as_str).collect(),
        };
        let mut planned = Vec::with_capacity(asked.len());
        for f in asked {
            planned.push((position(f)?, self.mask_of(f)?));
        }
        let mut filters = Vec::new();
        for flt in ask.filters {
            let i = position(&flt.field)?;
            if self.masks.contains_key(&flt.field)
                && !(flt.op == Op::Eq && key.contains(&flt.field))
            {
                return Err(Refusal::MaskedFilter(flt.field.clone()));
            }
            let cond = match flt.op {
                Op::Eq => Cond::In(vec![flt.value.clone()]),
                Op::Gte => Cond::Gte(flt.value.clone()),
                Op::Lte => Cond::Lte(flt.value.clone()),
            };
            filters.push((i, cond));
        }
        if let Some(rf) = &self.row_filter {
            // The grant's own filter may name a field the grantee does not see.
            let i = columns
                .iter()
                .position(|c| *c == rf.field)
                .ok_or_else(|| Refusal::FieldNotGranted(rf.field.clone()))?;
            filters.push((i, Cond::In(rf.values.clone())));
        }
        Ok(ReadPlan {
            columns: planned,
            filters,
        })
    }

    /// Plans a verification (核实比对, VER-1): the record is located by the
    /// dataset's whole key (supplied by the caller), and each claimed field
    /// must be a granted one. No stored value is ever part of the answer.
    pub fn verify_plan<'a>(
        &self,
        columns: &[String],
        key: &[String],
        claimed: impl IntoIterator<Item = &'a str>,
        today: NaiveDate,
    ) -> Result<VerifyPlan, Refusal> {
        self.usable(today)?;
        if self.mode != DeliveryMode::Verify {
            return Err(Refusal::WrongMode(self.mode));
        }
        let pos = |f: &str| {
            columns
                .iter()
                .position(|c| c == f)
                .ok_or_else(|| Refusal::FieldNotGranted(f.to_string()))
        };
        let key = key.iter().map(|k| pos(k)).collect::<Result<Vec<_>, _>>()?;
        let mut claims = Vec::new();
        for f in claimed {
            if !self.fields.iter().any(|g| g == f) {
                return Err(Refusal::FieldNotGranted(f.to_string()));
            }
            claims.push((f.to_string(), pos(f)?));
        }
        Ok(VerifyPlan { key, claims })
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

    fn key() -> Vec<String> {
        vec!["公民身份号码".to_string()]
    }

    fn ask<'a>(fields: Option<&'a [String]>, filters: &'a [Filter], mode: DeliveryMode) -> Ask<'a> {
        Ask {
            fields,
            filters,
            mode,
        }
    }

    fn eq(field: &str, value: &str) -> Filter {
        Filter::from_param(field, value)
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
            .plan(
                &cols(),
                &key(),
                &ask(None, &[], DeliveryMode::Api),
                d("2026-12-04"),
            )
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
        let plan = |fields: Option<&[String]>, filters: &[Filter], mode, day| {
            s.plan(&cols(), &key(), &ask(fields, filters, mode), day)
                .map(|_| ())
                .map_err(|e| e.code())
        };
        let born = ["出生日期".to_string()];
        assert_eq!(
            plan(Some(&born), &[], DeliveryMode::Api, today),
            Err("field_not_granted")
        );
        let by_born = [eq("出生日期.gte", "1949-12-31")];
        assert_eq!(
            plan(None, &by_born, DeliveryMode::Api, today),
            Err("field_not_granted")
        );
        let by_name = [eq("姓名", "张三丰")];
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
                .plan(&cols(), &key(), &ask(None, &[], DeliveryMode::Api), today)
                .map_err(|e| e.code()),
            Err("grant_revoked")
        );
        let by_id = [eq("公民身份号码", "11010519491231002X")];
        assert!(plan(None, &by_id, DeliveryMode::Api, today).is_ok());
        let mut pending = scope();
        pending.state = GrantState::Pending;
        assert_eq!(
            pending
                .plan(&cols(), &key(), &ask(None, &[], DeliveryMode::Api), today)
                .map_err(|e| e.code()),
            Err("grant_required")
        );
        // A masked key may be matched by its whole value, not by a range.
        let mut masked_id = scope();
        masked_id
            .masks
            .insert("公民身份号码".into(), "keep:6,4".into());
        let by_id_range = [eq("公民身份号码.gte", "4")];
        let masked = |f: &[Filter]| {
            masked_id
                .plan(&cols(), &key(), &ask(None, f, DeliveryMode::Api), today)
                .map(|_| ())
                .map_err(|e| e.code())
        };
        assert!(masked(&by_id).is_ok());
        assert_eq!(masked(&by_id_range), Err("field_not_granted"));
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
            match s.plan(&cols(), &key(), &ask(fields, &[], DeliveryMode::Api), d("2026-06-01")) {
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
