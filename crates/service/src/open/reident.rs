//! Re-identification risk before release (重识别风险, OPN-5, Art. 30, 36–37).
//!
//! A desensitised derivative (`sharing::derive`) of a dataset with personal
//! items that is to be opened (有条件/无条件开放) declares quasi-identifiers —
//! by default its fields that describe a person observably (birth date,
//! sex, address …, `domain::reident::default_quasi_identifier`) or were
//! generalised — and a threshold `k` (default 5). Its records, grouped by
//! those values, must fall in classes of at least `k`:
//!
//! - asking for the derivation checks the parent's current rows as they
//!   would be derived, and refuses (422 `reidentification_risk`, with the
//!   classes at risk) when they fail: generalise further or drop fields;
//! - every refresh checks the version it loads; the public reads a
//!   derivative only while its current version has passed
//!   (`store::REID_WITHHELD` in the portal's listing, and the door);
//! - the leased `reid_review` job re-checks every open derivative at least
//!   every [`REVIEW_DAYS`] days — the periodic risk review of the open
//!   catalogue (Art. 37) — and "check now" does it at once.
//!
//! Each check is recorded with its report and an audit record.

use chrono::Utc;
use pubdata_domain::audit::Outcome;
use pubdata_domain::calendar::today_cst;
use pubdata_domain::catalog::OpenAttribute;
use pubdata_domain::derive::{Pseudonymiser, Transform};
use pubdata_domain::reident::{DEFAULT_K, KAnonymity, MAX_K, ReidReport, default_quasi_identifier};
use pubdata_store::{Dataset, Derivation, DerivationFilter, NewReidCheck, ReidCheck};
use serde_json::json;

use crate::App;
use crate::error::{FieldError, Result, ServiceError};
use crate::policy::Action;
use crate::principal::{Principal, Via};

/// The periodic review re-checks each open derivative this often.
pub const REVIEW_DAYS: i64 = 30;

/// What a derivation's re-identification check looks at.
#[derive(Debug, Clone)]
pub(crate) struct ReidSpec {
    /// The check is required: the parent holds personal items and the
    /// derivative is open.
    pub required: bool,
    pub quasi_identifiers: Vec<String>,
    /// Positions of the quasi-identifiers among the derived fields.
    pub positions: Vec<usize>,
    pub k: u32,
}

impl ReidSpec {
    /// Plans the check for derived fields `fields` (with their
    /// transformations) of `parent`, keyed by `key`.
    pub(crate) fn plan(
        parent: &Dataset,
        steps: &[(usize, Transform)],
        open: OpenAttribute,
        asked: Option<&[String]>,
        k: Option<u32>,
    ) -> Result<ReidSpec> {
        let k = k.unwrap_or(DEFAULT_K);
        if !(2..=MAX_K).contains(&k) {
            return Err(ServiceError::invalid(
                "k",
                format!("k 须在 2 到 {MAX_K} 之间 (k must be between 2 and {MAX_K})"),
            ));
        }
        let names: Vec<&str> = steps
            .iter()
            .map(|(i, _)| parent.columns[*i].name.as_str())
            .collect();
        let quasi_identifiers: Vec<String> = match asked {
            Some(asked) => {
                let mut out: Vec<String> = Vec::new();
                for q in asked {
                    let q = q.trim();
                    if !names.contains(&q) {
                        return Err(ServiceError::invalid(
                            "quasi_identifiers",
                            format!("「{q}」不是衍生数据的字段 (not a derived field)"),
                        ));
                    }
                    if parent.key.iter().any(|k| k == q) {
                        return Err(ServiceError::invalid(
                            "quasi_identifiers",
                            format!(
                                "「{q}」是主键，不是准标识符 (the key is an identifier, not a quasi-identifier)"
                            ),
                        ));
                    }
                    if !out.iter().any(|o| o == q) {
                        out.push(q.to_string());
                    }
                }
                out
            }
            None => steps
                .iter()
                .filter(|(i, t)| {
                    let c = &parent.columns[*i];
                    !parent.key.contains(&c.name)
                        && (default_quasi_identifier(&c.name)
                            || matches!(
                                t,
                                Transform::Year
                                    | Transform::Month
                                    | Transform::District
                                    | Transform::AgeBand(_)
                            ))
                })
                .map(|(i, _)| parent.columns[*i].name.clone())
                .collect(),
        };
        let positions = quasi_identifiers
            .iter()
            .map(|q| names.iter().position(|n| n == q).expect("checked above"))
            .collect();
        Ok(ReidSpec {
            required: open != OpenAttribute::None && parent.columns.iter().any(|c| c.personal),
            quasi_identifiers,
            positions,
            k,
        })
    }

    /// A derived row's quasi-identifier values.
    pub(crate) fn project(&self, derived: &[Option<String>]) -> Vec<Option<String>> {
        self.positions.iter().map(|i| derived[*i].clone()).collect()
    }

    pub(crate) fn of(d: &Derivation, derived_names: &[String]) -> ReidSpec {
        ReidSpec {
            required: d.reid_required,
            positions: d
                .quasi_identifiers
                .iter()
                .filter_map(|q| derived_names.iter().position(|n| n == q))
                .collect(),
            quasi_identifiers: d.quasi_identifiers.clone(),
            k: d.k,
        }
    }
}

/// Hands each row of a whole read (its projected values), page by page in
/// key order, to `row`.
async fn each_row(
    reader: &crate::access::WholeRead<'_>,
    mut row: impl FnMut(Vec<Option<String>>),
) -> Result<()> {
    let mut after: Option<String> = None;
    loop {
        let page = reader
            .page(after.as_deref(), crate::access::DERIVE_PAGE)
            .await?;
        let full = page.len() >= crate::access::DERIVE_PAGE as usize;
        after = page.last().map(|(k, _)| k.clone());
        for (_, v) in page {
            row(v);
        }
        if !full {
            return Ok(());
        }
    }
}

/// The refusal when the check fails: 422 with the classes at risk.
pub(crate) fn risk_refusal(report: &ReidReport) -> ServiceError {
    let examples: Vec<String> = report
        .at_risk
        .iter()
        .take(5)
        .map(|c| {
            let values: Vec<String> = report
                .quasi_identifiers
                .iter()
                .zip(&c.values)
                .map(|(q, v)| format!("{q}={}", v.as_deref().unwrap_or("（空）")))
                .collect();
            format!("{}（{} 条）", values.join("，"), c.records)
        })
        .collect();
    ServiceError::Invalid {
        code: "reidentification_risk",
        detail: format!(
            "重识别风险过高，不能开放 (re-identification risk too high to open): {}",
            report.summary_zh()
        ),
        errors: vec![FieldError {
            field: "quasi_identifiers".into(),
            message: format!(
                "少于 k 条的等价类 (classes under k): {}",
                examples.join("；")
            ),
        }],
    }
}

impl App {
    /// Checks the parent's current rows as `steps` would derive them,
    /// reading them through the one door (audited) as the agency that
    /// holds the parent.
    pub(crate) async fn reid_check_parent(
        &self,
        p: &Principal,
        parent: &Dataset,
        steps: &[(usize, Transform)],
        spec: &ReidSpec,
    ) -> Result<ReidReport> {
        // Pseudonyms do not matter to the classes: a throwaway key.
        let key = Pseudonymiser::new(&rand::random::<[u8; 32]>());
        let today = today_cst();
        let reader = self.open_derivation_read(p, parent, None).await?;
        let mut counts = KAnonymity::new();
        each_row(&reader, |v| {
            let derived: Vec<Option<String>> = steps
                .iter()
                .map(|(i, t)| v[*i].as_deref().and_then(|x| t.apply(x, &key, today)))
                .collect();
            counts.add(spec.project(&derived));
        })
        .await?;
        Ok(counts.finish(spec.k, spec.quasi_identifiers.clone()))
    }

    /// Records a check of a derivation with its audit record.
    pub(crate) async fn record_reid(
        &self,
        p: &Principal,
        d: &Derivation,
        dataset_id: Option<i64>,
        version: i64,
        purpose: &'static str,
        report: ReidReport,
    ) -> Result<ReidCheck> {
        let audit = p.event(
            "derivation.reid_check",
            "",
            if report.passed {
                Outcome::Success
            } else {
                Outcome::Denied
            },
            json!({"purpose": purpose, "dataset_id": dataset_id, "version": version,
                   "k": report.k, "classes_at_risk": report.classes_at_risk,
                   "records_at_risk": report.records_at_risk}),
        );
        Ok(self
            .store
            .record_reid_check(
                NewReidCheck {
                    derivation_id: d.id,
                    dataset_id,
                    version,
                    purpose,
                    report,
                    checked_by: p.name.clone(),
                },
                audit,
            )
            .await?)
    }

    /// Re-checks a derivative's current version now (its agency, the
    /// authority); the periodic review does the same.
    pub async fn review_derivation_risk(&self, p: &Principal, id: i64) -> Result<ReidCheck> {
        let d = self
            .store
            .get_derivation(id)
            .await
            .map_err(ServiceError::not_found("derivation"))?;
        if !(self.can(p, Action::WriteDataset(d.org_id)).await
            || self.can(p, Action::Supervise).await)
        {
            return Err(ServiceError::Forbidden(
                "only the derivative's agency or a supervisor checks its risk".into(),
            ));
        }
        self.review_once(p, &d).await
    }

    async fn review_once(&self, p: &Principal, d: &Derivation) -> Result<ReidCheck> {
        let Some(dataset_id) = d.dataset_id else {
            return Err(ServiceError::Conflict {
                code: "derivative_empty",
                detail: "the derivative holds no data yet".into(),
            });
        };
        let dataset = self.load_dataset(dataset_id).await?;
        let reader = self.open_derivation_read(p, &dataset, Some(d)).await?;
        let spec = ReidSpec::of(d, &reader.columns());
        let mut counts = KAnonymity::new();
        each_row(&reader, |v| counts.add(spec.project(&v))).await?;
        let report = counts.finish(spec.k, spec.quasi_identifiers.clone());
        self.record_reid(
            p,
            d,
            Some(dataset_id),
            dataset.current_version,
            "review",
            report,
        )
        .await
    }

    /// A derivation's recorded checks, newest first (whoever may see it).
    pub async fn reid_checks(&self, p: &Principal, id: i64) -> Result<Vec<ReidCheck>> {
        let d = self
            .store
            .get_derivation(id)
            .await
            .map_err(ServiceError::not_found("derivation"))?;
        self.authorize(p, Action::ViewDataset(d.org_id)).await?;
        Ok(self.store.reid_checks(id, 20).await?)
    }

    /// The periodic risk review of the open catalogue (Art. 37; the leased
    /// `reid_review` job): every filled derivative whose check is required
    /// and that has no review in the last [`REVIEW_DAYS`] days.
    pub async fn run_reid_review(&self) -> Result<usize> {
        let cutoff = Utc::now() - chrono::Duration::days(REVIEW_DAYS);
        let all = self
            .store
            .list_derivations(&DerivationFilter {
                orgs: None,
                parent_dataset_id: None,
                limit: 10_000,
            })
            .await?;
        let mut n = 0;
        for d in all
            .into_iter()
            .filter(|d| d.reid_required && d.dataset_id.is_some())
        {
            let recent = self
                .store
                .reid_checks(d.id, 50)
                .await?
                .iter()
                .any(|c| c.purpose == "review" && c.checked_at > cutoff);
            if recent {
                continue;
            }
            let org = self.store.get_org(d.org_id).await?;
            let p = Principal {
                user_id: None,
                name: "system:reid_review".into(),
                display_name: "重识别风险定期评估".into(),
                kind: "system",
                org: Some(org),
                roles: vec![],
                via: Via::Bearer,
                client_ip: None,
            };
            match self.review_once(&p, &d).await {
                Ok(_) => n += 1,
                Err(e) => tracing::warn!(derivation = d.id, error = %e, "risk review failed"),
            }
        }
        Ok(n)
    }
}
