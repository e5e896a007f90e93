//! The one door for dataset contents (数据访问).
//!
//! Every read of the rows of a dataset (`ds_<id>` tables) passes through
//! this module and nowhere else: the source department's rows and row
//! history, base-database record assembly (基础库), the conflicts between a
//! base field's source and other datasets, and the content statistics behind
//! quality scores. For each read the door
//!
//! 1. decides who may read, and on what basis ([`Basis`]: today the source
//!    department and supervisors; the sharing area adds grants here);
//! 2. applies the projection (which fields) and the limits;
//! 3. writes the access record — who, basis, dataset, fields, what was asked,
//!    how many rows — to the audit chain **before** the answer is returned.
//!
//! No other service module calls the store's content queries (the
//! `ContentStore` trait: `dataset_rows`, `row_history`, `dataset_row`,
//! `column_conflicts`, `dataset_fill`, `reference_stats`); a test below
//! reads the crate's sources to keep it so.

use pubdata_domain::audit::Outcome;
use pubdata_store::{BaseField, Dataset};
use serde::Serialize;
use serde_json::json;

use crate::App;
use crate::error::{Result, ServiceError};
use crate::policy::Action;
use crate::principal::Principal;

/// At most this many rows in one page of a rows read.
pub const MAX_PAGE: u32 = 1000;

/// Why a caller may read a dataset's contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// The source department (来源部门) reading its own data: its data
    /// administrators, its systems with an application token, the console.
    SourceDepartment,
    /// A supervisor (the data authority, auditors, the platform
    /// administrator) assembling base-database records or checking conflicts.
    Supervision,
    /// A department reading, for its own dataset's quality report, the value
    /// that a base field's source holds where the two disagree.
    QualityReport,
}

impl Basis {
    fn as_str(self) -> &'static str {
        match self {
            Basis::SourceDepartment => "source_department",
            Basis::Supervision => "supervision",
            Basis::QualityReport => "quality_report",
        }
    }
}

/// One value of a base-database record, with where it came from.
#[derive(Debug, Clone)]
pub(crate) struct SourcedValue {
    pub field: BaseField,
    pub dataset: Dataset,
    pub value: Option<String>,
    pub found: bool,
}

/// What was asked, for the access record.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
enum Asked<'a> {
    Rows {
        version: Option<i64>,
        after: Option<&'a str>,
        limit: u32,
    },
    History {
        key: &'a str,
    },
}

impl App {
    /// The door's decision for one dataset: the basis on which `p` may read it.
    async fn permit(&self, p: &Principal, d: &Dataset, basis: Basis) -> Result<Basis> {
        let action = match basis {
            Basis::SourceDepartment => Action::WriteDataset(d.org_id),
            Basis::Supervision => Action::Supervise,
            Basis::QualityReport => Action::ViewDataset(d.org_id),
        };
        self.authorize(p, action).await?;
        Ok(basis)
    }

    /// Indices of the projected columns (`None`: every column).
    fn project(d: &Dataset, fields: Option<&[String]>) -> Result<Vec<usize>> {
        let Some(fields) = fields else {
            return Ok((0..d.columns.len()).collect());
        };
        fields
            .iter()
            .map(|f| {
                d.columns
                    .iter()
                    .position(|c| &c.name == f)
                    .ok_or_else(|| ServiceError::invalid("fields", format!("no column `{f}`")))
            })
            .collect()
    }

    /// Appends the access record; the answer leaves only after it is written.
    async fn record_read(
        &self,
        p: &Principal,
        d: &Dataset,
        basis: Basis,
        fields: &[usize],
        asked: Asked<'_>,
        rows: usize,
    ) -> Result<()> {
        let names: Vec<&str> = fields.iter().map(|i| d.columns[*i].name.as_str()).collect();
        self.store
            .append_audit(p.event(
                "dataset.read",
                format!("dataset:{}", d.id),
                Outcome::Success,
                json!({"basis": basis.as_str(), "fields": names, "asked": asked, "rows": rows}),
            ))
            .await?;
        Ok(())
    }

    /// Current (or a past version's) rows of a dataset in key order, after
    /// the cursor `after`, for its source department: the projected column
    /// names and (key, values) pairs. Audited.
    pub async fn dataset_rows(
        &self,
        p: &Principal,
        id: i64,
        version: Option<i64>,
        after: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<String>, Vec<(String, Vec<Option<String>>)>)> {
        let d = self.load_dataset(id).await?;
        let basis = self.permit(p, &d, Basis::SourceDepartment).await?;
        let fields = Self::project(&d, None)?;
        let limit = limit.clamp(1, MAX_PAGE);
        let rows = self
            .store
            .dataset_rows(&d, version, after, limit)
            .await?
            .into_iter()
            .map(|(k, v)| (k, fields.iter().map(|i| v[*i].clone()).collect()))
            .collect::<Vec<_>>();
        let asked = Asked::Rows {
            version,
            after,
            limit,
        };
        self.record_read(p, &d, basis, &fields, asked, rows.len())
            .await?;
        let columns = fields.iter().map(|i| d.columns[*i].name.clone()).collect();
        Ok((columns, rows))
    }

    /// Every stored version of one row (its history): (from, to, values).
    /// For the source department; audited.
    pub async fn row_history(
        &self,
        p: &Principal,
        id: i64,
        key: &str,
    ) -> Result<Vec<(i64, Option<i64>, Vec<Option<String>>)>> {
        let d = self.load_dataset(id).await?;
        let basis = self.permit(p, &d, Basis::SourceDepartment).await?;
        let fields = Self::project(&d, None)?;
        let h = self.store.row_history(&d, key).await?;
        self.record_read(p, &d, basis, &fields, Asked::History { key }, h.len())
            .await?;
        Ok(h)
    }

    /// The values of a base-database record's fields, each read by key from
    /// the field's source dataset (supervisors). One access record names the
    /// base table, the key and every field read.
    pub(crate) async fn read_base_values(
        &self,
        p: &Principal,
        base: &str,
        fields: Vec<BaseField>,
        key: &str,
    ) -> Result<Vec<SourcedValue>> {
        self.authorize(p, Action::Supervise).await?;
        let mut out = Vec::new();
        for f in fields {
            let d = self.load_dataset(f.dataset_id).await?;
            let col = Self::project(&d, Some(std::slice::from_ref(&f.source_column)))?[0];
            let row = self.store.dataset_row(&d, key).await?;
            out.push(SourcedValue {
                found: row.is_some(),
                value: row.and_then(|r| r[col].clone()),
                field: f,
                dataset: d,
            });
        }
        self.store
            .append_audit(p.event(
                "base.read",
                format!("base:{base}"),
                Outcome::Success,
                json!({"basis": Basis::Supervision.as_str(), "key": key,
                       "fields": out.iter().map(|v| &v.field.field).collect::<Vec<_>>(),
                       "datasets": out.iter().map(|v| v.dataset.id).collect::<Vec<_>>()}),
            ))
            .await?;
        Ok(out)
    }

    /// Keys whose current values differ between column `a_col` of `a` (a
    /// base field's source) and `b_col` of `b`: (key, a's value, b's value).
    /// `basis` says for whom: supervisors see every conflict; a department
    /// sees those of its own dataset `b` in its quality report. Audited
    /// when any value leaves.
    pub(crate) async fn read_conflicts(
        &self,
        p: &Principal,
        basis: Basis,
        (a, a_col): (&Dataset, usize),
        (b, b_col): (&Dataset, usize),
        limit: u32,
    ) -> Result<Vec<(String, Option<String>, Option<String>)>> {
        match basis {
            Basis::QualityReport => self.permit(p, b, basis).await?,
            _ => self.permit(p, a, Basis::Supervision).await?,
        };
        let found = self
            .store
            .column_conflicts(a, a_col, b, b_col, limit)
            .await?;
        if !found.is_empty() {
            self.store
                .append_audit(p.event(
                    "dataset.read",
                    format!("dataset:{}", a.id),
                    Outcome::Success,
                    json!({"basis": basis.as_str(), "fields": [a.columns[a_col].name],
                           "asked": {"conflicts_with": {"dataset": b.id, "field": b.columns[b_col].name}},
                           "rows": found.len()}),
                ))
                .await?;
        }
        Ok(found)
    }

    /// Content statistics of a dataset for its quality scores — counts only,
    /// no value leaves: (filled cells, all cells) of the current rows, and
    /// for each `ref:` column the (resolved, all) reference values.
    pub(crate) async fn content_stats(&self, d: &Dataset) -> Result<ContentStats> {
        let (filled, cells) = self.store.dataset_fill(d).await?;
        let (mut resolved, mut references) = (0, 0);
        for (i, c) in d.columns.iter().enumerate() {
            for check in &c.checks {
                if let pubdata_domain::dataset::Rule::Reference { dataset } = check.rule
                    && let Ok(target) = self.store.get_dataset(dataset).await
                {
                    let (r, t) = self.store.reference_stats(d, i, &target).await?;
                    resolved += r;
                    references += t;
                }
            }
        }
        Ok(ContentStats {
            filled,
            cells,
            resolved,
            references,
        })
    }
}

/// Counts behind the completeness and consistency scores.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ContentStats {
    pub filled: i64,
    pub cells: i64,
    pub resolved: i64,
    pub references: i64,
}

#[cfg(test)]
mod tests {
    /// The door stays the only one: no other module of this crate calls a
    /// `ContentStore` query.
    #[test]
    fn no_other_module_reads_dataset_contents() {
        const QUERIES: [&str; 6] = [
            "dataset_rows",
            "row_history",
            "dataset_row",
            "column_conflicts",
            "dataset_fill",
            "reference_stats",
        ];
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut dirs = vec![src.clone()];
        let mut offenders = Vec::new();
        while let Some(dir) = dirs.pop() {
            for e in std::fs::read_dir(&dir).expect("src readable") {
                let path = e.expect("entry").path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                if path.extension().is_none_or(|x| x != "rs") || path.ends_with("access.rs") {
                    continue;
                }
                let text: String = std::fs::read_to_string(&path)
                    .expect("readable")
                    .split_whitespace()
                    .collect();
                for q in QUERIES {
                    if text.contains(&format!("store.{q}(")) {
                        offenders.push(format!("{} calls {q}", path.display()));
                    }
                }
            }
        }
        assert!(offenders.is_empty(), "{offenders:?}");
    }
}
