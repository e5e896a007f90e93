//! The one door for dataset contents (数据访问).
//!
//! Every read of the rows of a dataset (`ds_<id>` tables) passes through
//! this module and nowhere else: the source department's rows and row
//! history, base-database record assembly (基础库), the conflicts between a
//! base field's source and other datasets, and the content statistics behind
//! quality scores. For each read the door
//!
//! 1. decides who may read, and on what basis ([`Basis`]: the source
//!    department, supervisors, or a grant (授权) — for a grant it resolves
//!    the caller's grant and applies its validity, fields, row filter,
//!    masks and rate limit through `domain::share`);
//! 2. applies the projection (which fields) and the limits;
//! 3. writes the access record — who, basis, dataset, fields, what was asked,
//!    how many rows — to the audit chain **before** the answer is returned
//!    (reads through grants are group-committed by `journal.rs`; refusals
//!    are recorded too).
//!
//! No other service module calls the store's content queries (the
//! `ContentStore` trait: `dataset_rows`, `row_history`, `dataset_row`,
//! `column_conflicts`, `dataset_fill`, `reference_stats`); a test below
//! reads the crate's sources to keep it so.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;

use pubdata_domain::audit::Outcome;
use pubdata_domain::calendar::today_cst;
use pubdata_domain::share::{Ask, Cond, DeliveryMode, Filter, GrantScope};
use pubdata_store::{BaseField, Dataset, Grant};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::journal::Entry;

use crate::App;
use crate::error::{Result, ServiceError};
use crate::policy::Action;
use crate::principal::Principal;

/// At most this many rows in one page of a rows read (a caller may read one
/// more to know whether more follow).
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
    /// A grantee reading or verifying through its grant (数据共享).
    Grant,
    /// The source department's desensitised derivative (脱敏衍生) reading
    /// its parent to transform it.
    Derivation,
    /// Anyone reading unconditionally open data (无条件开放) on the portal.
    Open,
    /// An applicant reading conditionally open data (有条件开放) under its
    /// approved application, after accepting the data use agreement.
    OpenApplication,
    /// An objection (异议, Art. 28): a data user (through its grant), a data
    /// subject (their own record) or the source department reading the
    /// record objected to, as far as each may see it.
    Objection,
}

impl Basis {
    fn as_str(self) -> &'static str {
        match self {
            Basis::SourceDepartment => "source_department",
            Basis::Supervision => "supervision",
            Basis::QualityReport => "quality_report",
            Basis::Grant => "grant",
            Basis::Derivation => "derivation",
            Basis::Open => "open",
            Basis::OpenApplication => "open_application",
            Basis::Objection => "objection",
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
            Basis::Grant
            | Basis::Derivation
            | Basis::Open
            | Basis::OpenApplication
            | Basis::Objection => {
                return Err(ServiceError::Internal(
                    "grant and derivation reads are decided by the grant or derivation".into(),
                ));
            }
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
        let limit = limit.clamp(1, MAX_PAGE + 1);
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

/// A read through a grant: what the grantee asks.
#[derive(Debug, Clone)]
pub struct SharedQuery {
    /// The grant to read under; the caller's usable grant when absent.
    pub grant: Option<i64>,
    pub fields: Option<Vec<String>>,
    pub filters: Vec<Filter>,
    pub after: Option<String>,
    pub limit: u32,
    pub mode: DeliveryMode,
}

/// The answer to a read through a grant.
#[derive(Debug, Clone)]
pub struct SharedRows {
    pub grant_id: i64,
    pub columns: Vec<String>,
    /// (key, values as the grantee sees them).
    pub rows: Vec<(String, Vec<Option<String>>)>,
}

/// Changes of a granted view between two versions (table push).
#[derive(Debug, Clone)]
pub struct SharedChanges {
    pub columns: Vec<String>,
    pub rows: Vec<(String, Option<Vec<Option<String>>>)>,
}

/// One record to verify (核实比对): its whole key, and the values claimed.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyItem {
    pub key: BTreeMap<String, String>,
    pub claims: BTreeMap<String, String>,
}

/// Whether the record exists and, per claimed field, whether the claim
/// matches — never a stored value.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct VerifyResult {
    pub found: bool,
    pub matches: BTreeMap<String, bool>,
}

/// At most this many records in one verification call.
pub const MAX_VERIFY: usize = 1000;

/// More distinct claim sets than this on one key within an hour is probing.
const PROBE_LIMIT: u32 = 5;

/// How long the door trusts its copy of a caller's grants on a dataset. A
/// change made through this server clears it at once; one made on another
/// server of the platform (or behind its back) is seen within this time.
const GRANT_TTL: std::time::Duration = std::time::Duration::from_secs(1);

/// How long a dataset's definition is kept (its columns and key never change).
const DATASET_TTL: std::time::Duration = std::time::Duration::from_secs(30);

/// A grant as the door keeps it: the grant and what it allows, built once
/// per copy rather than on every read.
#[derive(Debug)]
pub(crate) struct HeldGrant {
    pub grant: Grant,
    pub allows: GrantScope,
}

impl std::ops::Deref for HeldGrant {
    type Target = Grant;
    fn deref(&self) -> &Grant {
        &self.grant
    }
}

/// A caller's grants on a dataset, and when they were read.
type CachedGrants = (std::sync::Arc<Vec<std::sync::Arc<HeldGrant>>>, Instant);

/// The door's per-process state: rate buckets, the probing watch, and
/// short-lived copies of dataset definitions and grants (keyed reads would
/// otherwise read both on every call).
#[derive(Debug, Default)]
pub(crate) struct Limits {
    buckets: HashMap<i64, (f64, Instant)>,
    datasets: HashMap<i64, (std::sync::Arc<Dataset>, Instant)>,
    grants: HashMap<(i64, Vec<i64>), CachedGrants>,
    /// (grant, key) → (distinct claim sets seen, first seen).
    probes: HashMap<(i64, String), (BTreeSet<u64>, Instant)>,
}

impl App {
    /// Takes `cost` requests from grant `g`'s bucket (`per_minute` a
    /// minute, bursts up to a minute's worth); `Err(seconds)` to wait.
    fn take_rate(&self, g: &Grant, cost: f64) -> std::result::Result<(), u64> {
        let per_sec = g.rate_limit.max(1) as f64 / 60.0;
        let cap = g.rate_limit.max(1) as f64;
        let mut l = self.limits.lock().expect("limits lock");
        let now = Instant::now();
        let (tokens, at) = l.buckets.entry(g.id).or_insert((cap, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * per_sec).min(cap);
        *at = now;
        if *tokens >= cost {
            *tokens -= cost;
            Ok(())
        } else {
            Err(((cost - *tokens) / per_sec).ceil().max(1.0) as u64)
        }
    }

    /// Forgets a grant's rate state (its state changed).
    pub(crate) fn forget_rate(&self, grant: i64) {
        let mut l = self.limits.lock().expect("limits lock");
        l.buckets.remove(&grant);
    }

    /// Forgets every copy of grants: a grant was created or changed here.
    pub(crate) fn forget_grants(&self) {
        self.limits.lock().expect("limits lock").grants.clear();
    }

    /// A dataset's definition for a read through a grant (kept briefly).
    async fn door_dataset(&self, id: i64) -> Result<std::sync::Arc<Dataset>> {
        if let Some((d, at)) = self.limits.lock().expect("limits lock").datasets.get(&id)
            && at.elapsed() < DATASET_TTL
        {
            return Ok(d.clone());
        }
        let d = std::sync::Arc::new(self.load_dataset(id).await?);
        let mut l = self.limits.lock().expect("limits lock");
        if l.datasets.len() > 10_000 {
            l.datasets.clear();
        }
        l.datasets.insert(id, (d.clone(), Instant::now()));
        Ok(d)
    }

    /// The grants of `orgs` on dataset `id` (kept for [`GRANT_TTL`]); read
    /// again when `named` is not among them.
    async fn door_grants(
        &self,
        id: i64,
        orgs: Vec<i64>,
        named: Option<i64>,
    ) -> Result<std::sync::Arc<Vec<std::sync::Arc<HeldGrant>>>> {
        let key = (id, orgs);
        if let Some((g, at)) = self.limits.lock().expect("limits lock").grants.get(&key)
            && at.elapsed() < GRANT_TTL
            && named.is_none_or(|n| g.iter().any(|x| x.id == n))
        {
            return Ok(g.clone());
        }
        let g: Vec<std::sync::Arc<HeldGrant>> = self
            .store
            .grants_for(id, &key.1)
            .await?
            .into_iter()
            .map(|grant| {
                std::sync::Arc::new(HeldGrant {
                    allows: grant.scope(),
                    grant,
                })
            })
            .collect();
        let g = std::sync::Arc::new(g);
        let mut l = self.limits.lock().expect("limits lock");
        if l.grants.len() > 10_000 {
            l.grants.clear();
        }
        l.grants.insert(key, (g.clone(), Instant::now()));
        Ok(g)
    }

    /// Records how many distinct claim sets were tried on `key` under
    /// `grant` in the last hour; true when that is probing.
    fn probing(&self, grant: i64, key: &str, claims: &BTreeMap<String, String>) -> bool {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        claims.hash(&mut h);
        let mut l = self.limits.lock().expect("limits lock");
        let now = Instant::now();
        if l.probes.len() > 100_000 {
            l.probes
                .retain(|_, (_, at)| now.duration_since(*at).as_secs() < 3600);
        }
        let (seen, at) = l
            .probes
            .entry((grant, key.to_string()))
            .or_insert_with(|| (BTreeSet::new(), now));
        if now.duration_since(*at).as_secs() >= 3600 {
            seen.clear();
            *at = now;
        }
        seen.insert(h.finish());
        seen.len() as u32 > PROBE_LIMIT
    }

    /// Records a refused read through the journal, then returns the refusal.
    async fn refuse(
        &self,
        p: &Principal,
        d: &Dataset,
        grant: Option<i64>,
        err: ServiceError,
        asked: serde_json::Value,
    ) -> ServiceError {
        let event = p.event(
            "dataset.read",
            format!("dataset:{}", d.id),
            Outcome::Failure,
            json!({"basis": Basis::Grant.as_str(), "grant": grant, "refused": err.code(),
                   "reason": err.to_string(), "asked": asked}),
        );
        match self.journal.commit(Entry { event, usage: None }).await {
            Ok(()) => err,
            Err(e) => e,
        }
    }

    /// The caller's grant on `d` for `mode` (the one named, or the newest
    /// usable one), or the refusal that applies.
    async fn resolve_grant(
        &self,
        p: &Principal,
        d: &Dataset,
        named: Option<i64>,
        mode: DeliveryMode,
        asked: &serde_json::Value,
    ) -> Result<std::sync::Arc<HeldGrant>> {
        let cached = self.door_grants(d.id, Self::own_orgs(p), named).await?;
        let grants: Vec<&std::sync::Arc<HeldGrant>> = cached
            .iter()
            .filter(|g| named.is_none_or(|id| g.id == id) && g.mode == mode)
            .collect();
        let today = today_cst();
        if let Some(g) = grants.iter().find(|g| g.allows.usable(today).is_ok()) {
            let g = std::sync::Arc::clone(g);
            // No data reaches a third party without a filed, current
            // operation agreement listing the dataset (OPS-2, Art. 40).
            if let Err(err) = self.operation_cover(g.grantee_org, d.id).await {
                return Err(self.refuse(p, d, Some(g.id), err, asked.clone()).await);
            }
            return Ok(g);
        }
        let err = match grants.first() {
            Some(g) => {
                let r = g.allows.usable(today).expect_err("not usable");
                ServiceError::Refused {
                    code: r.code(),
                    detail: format!("grant {}: {r}", g.id),
                }
            }
            None => ServiceError::Refused {
                code: "grant_required",
                detail: format!(
                    "your organisation holds no {} grant on this dataset: file a share request",
                    mode.as_str()
                ),
            },
        };
        Err(self
            .refuse(p, d, grants.first().map(|g| g.id), err, asked.clone())
            .await)
    }

    /// Rows of a dataset through the caller's grant (数据服务接口 and file
    /// exports): the grant's fields (or those asked, all granted), its row
    /// filter and the caller's filters on granted fields, masked as granted,
    /// in key order after `after`. The access record is committed before
    /// the rows are returned; refusals are recorded too.
    pub async fn read_shared(&self, p: &Principal, id: i64, q: SharedQuery) -> Result<SharedRows> {
        let d = self.door_dataset(id).await?;
        let asked = json!({"fields": q.fields, "filters": q.filters, "after": q.after,
                           "limit": q.limit, "mode": q.mode.as_str()});
        let g = self.resolve_grant(p, &d, q.grant, q.mode, &asked).await?;
        if let Err(secs) = self.take_rate(&g, 1.0) {
            let err = ServiceError::RateLimited {
                retry_after_secs: secs,
            };
            return Err(self.refuse(p, &d, Some(g.id), err, asked).await);
        }
        let columns: Vec<String> = d.columns.iter().map(|c| c.name.clone()).collect();
        let ask = Ask {
            fields: q.fields.as_deref(),
            filters: &q.filters,
            mode: q.mode,
        };
        let plan = match g.allows.plan(&columns, &d.key, &ask, today_cst()) {
            Ok(plan) => plan,
            Err(r) => {
                let err = ServiceError::from(r);
                return Err(self.refuse(p, &d, Some(g.id), err, asked).await);
            }
        };
        let limit = q.limit.clamp(1, MAX_PAGE + 1);
        let stored = self
            .store
            .select_rows(&d, &plan.filters, q.after.as_deref(), limit)
            .await?;
        // The store applied the filters; checking again costs little and
        // keeps a wrong query from leaking a row.
        let rows: Vec<(String, Vec<Option<String>>)> = stored
            .into_iter()
            .filter(|(_, v)| plan.admits(v))
            .map(|(k, v)| (k, plan.project(&v)))
            .collect();
        let names: Vec<String> = plan
            .columns
            .iter()
            .map(|(i, _)| columns[*i].clone())
            .collect();
        let mut detail = json!({"basis": Basis::Grant.as_str(), "grant": g.id, "fields": names,
                                "rows": rows.len(), "purpose": g.purpose});
        // Moved in, not copied as `json!` would.
        detail["asked"] = asked;
        let event = p.event(
            "dataset.read",
            format!("dataset:{}", d.id),
            Outcome::Success,
            detail,
        );
        self.journal
            .commit(Entry {
                event,
                usage: Some((g.id, today_cst(), rows.len() as i64)),
            })
            .await?;
        Ok(SharedRows {
            grant_id: g.id,
            columns: names,
            rows,
        })
    }

    /// The changes of a table-push grant's view between dataset versions
    /// `since` and `upto` (库表推送), in key order after `after`: each key
    /// with its row as the grantee sees it at `upto`, or `None` when the row
    /// is gone or left the grant's rows. Recorded like any read.
    pub async fn read_shared_changes(
        &self,
        p: &Principal,
        d: &Dataset,
        grant: i64,
        (since, upto): (i64, i64),
        after: Option<&str>,
        limit: u32,
    ) -> Result<SharedChanges> {
        let asked = json!({"mode": "table", "since": since, "upto": upto, "after": after});
        let g = self
            .resolve_grant(p, d, Some(grant), DeliveryMode::Table, &asked)
            .await?;
        let columns: Vec<String> = d.columns.iter().map(|c| c.name.clone()).collect();
        let ask = Ask {
            fields: None,
            filters: &[],
            mode: DeliveryMode::Table,
        };
        let plan = match g.allows.plan(&columns, &d.key, &ask, today_cst()) {
            Ok(plan) => plan,
            Err(r) => {
                let err = ServiceError::from(r);
                return Err(self.refuse(p, d, Some(g.id), err, asked).await);
            }
        };
        let limit = limit.clamp(1, MAX_PAGE);
        let rows: Vec<(String, Option<Vec<Option<String>>>)> = self
            .store
            .changed_rows(d, since, upto, after, limit)
            .await?
            .into_iter()
            .map(|(k, v)| {
                let seen = v.filter(|v| plan.admits(v)).map(|v| plan.project(&v));
                (k, seen)
            })
            .collect();
        let names: Vec<String> = plan
            .columns
            .iter()
            .map(|(i, _)| columns[*i].clone())
            .collect();
        let present = rows.iter().filter(|(_, v)| v.is_some()).count();
        let event = p.event(
            "dataset.read",
            format!("dataset:{}", d.id),
            Outcome::Success,
            json!({"basis": Basis::Grant.as_str(), "grant": g.id, "fields": names,
                   "asked": asked, "rows": present, "deleted": rows.len() - present,
                   "purpose": g.purpose}),
        );
        self.journal
            .commit(Entry {
                event,
                usage: Some((g.id, today_cst(), present as i64)),
            })
            .await?;
        Ok(SharedChanges {
            columns: names,
            rows,
        })
    }

    /// Verification (核实比对, VER-1): for each item, whether a record with
    /// its key exists and whether each claimed value matches the stored one.
    /// No stored value leaves. Up to [`MAX_VERIFY`] items per call; audited
    /// like any read, and repeated probing of one key with varied claims is
    /// recorded as such.
    pub async fn verify(
        &self,
        p: &Principal,
        id: i64,
        grant: Option<i64>,
        items: Vec<VerifyItem>,
    ) -> Result<Vec<VerifyResult>> {
        let d = self.door_dataset(id).await?;
        if items.is_empty() || items.len() > MAX_VERIFY {
            return Err(ServiceError::invalid(
                "items",
                format!("1 to {MAX_VERIFY} records per call"),
            ));
        }
        let claimed: BTreeSet<&str> = items
            .iter()
            .flat_map(|i| i.claims.keys().map(String::as_str))
            .collect();
        let asked = json!({"mode": "verify", "records": items.len(), "claims": claimed});
        let g = self
            .resolve_grant(p, &d, grant, DeliveryMode::Verify, &asked)
            .await?;
        let cost = 1.0 + (items.len() / 100) as f64;
        if let Err(secs) = self.take_rate(&g, cost) {
            let err = ServiceError::RateLimited {
                retry_after_secs: secs,
            };
            return Err(self.refuse(p, &d, Some(g.id), err, asked).await);
        }
        let columns: Vec<String> = d.columns.iter().map(|c| c.name.clone()).collect();
        let plan =
            match g
                .allows
                .verify_plan(&columns, &d.key, claimed.iter().copied(), today_cst())
            {
                Ok(plan) => plan,
                Err(r) => {
                    let err = ServiceError::from(r);
                    return Err(self.refuse(p, &d, Some(g.id), err, asked).await);
                }
            };
        // Each item names the whole key, nothing else.
        let mut keys = Vec::with_capacity(items.len());
        for (n, item) in items.iter().enumerate() {
            if item.key.len() != d.key.len() || d.key.iter().any(|k| !item.key.contains_key(k)) {
                return Err(ServiceError::invalid(
                    &format!("items[{n}].key"),
                    format!("give exactly the key: {}", d.key.join(", ")),
                ));
            }
            let values: Vec<Option<String>> = d
                .key
                .iter()
                .map(|k| Some(item.key[k].trim().to_string()))
                .collect();
            let idx: Vec<usize> = (0..values.len()).collect();
            keys.push(crate::ingest::key_of(&values, &idx));
        }
        let mut found: HashMap<String, Vec<Option<String>>> = HashMap::new();
        if let [key_col] = plan.key[..] {
            for chunk in keys.chunks(500) {
                let filter = [(key_col, Cond::In(chunk.to_vec()))];
                for (k, v) in self
                    .store
                    .select_rows(&d, &filter, None, chunk.len() as u32)
                    .await?
                {
                    found.insert(k, v);
                }
            }
        } else {
            for k in &keys {
                if let Some(v) = self.store.dataset_row(&d, k).await? {
                    found.insert(k.clone(), v);
                }
            }
        }
        let positions: HashMap<&str, usize> =
            plan.claims.iter().map(|(f, i)| (f.as_str(), *i)).collect();
        let mut probed = Vec::new();
        let results: Vec<VerifyResult> = items
            .iter()
            .zip(&keys)
            .map(|(item, k)| {
                if self.probing(g.id, k, &item.claims) {
                    probed.push(k.clone());
                }
                let row = found.get(k);
                VerifyResult {
                    found: row.is_some(),
                    matches: item
                        .claims
                        .iter()
                        .map(|(f, claim)| {
                            let stored = row.and_then(|r| r[positions[f.as_str()]].as_deref());
                            (f.clone(), stored == Some(claim.trim()))
                        })
                        .collect(),
                }
            })
            .collect();
        let hits = results.iter().filter(|r| r.found).count();
        let event = p.event(
            "dataset.verify",
            format!("dataset:{}", d.id),
            Outcome::Success,
            json!({"basis": Basis::Grant.as_str(), "grant": g.id, "claims": claimed,
                   "keys": keys, "records": items.len(), "found": hits, "purpose": g.purpose}),
        );
        if !probed.is_empty() {
            let alert = p.event(
                "dataset.verify_probing",
                format!("dataset:{}", d.id),
                Outcome::Failure,
                json!({"grant": g.id, "keys": probed,
                       "reason": format!("more than {PROBE_LIMIT} different claim sets on one key within an hour")}),
            );
            self.journal
                .commit(Entry {
                    event: alert,
                    usage: None,
                })
                .await?;
        }
        self.journal
            .commit(Entry {
                event,
                usage: Some((g.id, today_cst(), items.len() as i64)),
            })
            .await?;
        Ok(results)
    }
}

/// Rows in one page of a derivation's read of its parent.
pub(crate) const DERIVE_PAGE: u32 = 10_000;

/// A read of a dataset's whole current content, page by page in key order,
/// opened (and audited, once) by the door: a derivation's read of its
/// parent, or a download of open data. Only the door makes one.
pub(crate) struct WholeRead<'a> {
    app: &'a App,
    dataset: &'a Dataset,
    /// The projected columns.
    fields: Vec<usize>,
    /// The mask of each projected column (empty: none masked).
    masks: Vec<Option<pubdata_domain::masking::Mask>>,
}

impl WholeRead<'_> {
    /// The projected column names.
    pub(crate) fn columns(&self) -> Vec<String> {
        self.fields
            .iter()
            .map(|i| self.dataset.columns[*i].name.clone())
            .collect()
    }

    /// The rows after `after` (at most `limit`, up to [`DERIVE_PAGE`]):
    /// (key, projected values).
    pub(crate) async fn page(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<(String, Vec<Option<String>>)>> {
        let rows = self
            .app
            .store
            .dataset_rows(self.dataset, None, after, limit.clamp(1, DERIVE_PAGE))
            .await?;
        if self.fields.len() == self.dataset.columns.len() && self.masks.is_empty() {
            return Ok(rows);
        }
        let masked = |n: usize, v: Option<String>| match (self.masks.get(n).copied().flatten(), v) {
            (Some(m), Some(v)) => m.apply(&v),
            (_, v) => v,
        };
        Ok(rows
            .into_iter()
            .map(|(k, v)| {
                let values = self
                    .fields
                    .iter()
                    .enumerate()
                    .map(|(n, i)| masked(n, v[*i].clone()))
                    .collect();
                (k, values)
            })
            .collect())
    }
}

/// A search of an open dataset's rows by column name (the CKAN
/// `datastore_search`): only the read's projected columns can be named.
#[derive(Debug, Clone, Default)]
pub(crate) struct NamedSearch {
    /// (column, values): equal to one of them.
    pub equal: Vec<(String, Vec<String>)>,
    /// (columns — `None`: every projected one — , terms): some column
    /// contains some term.
    pub contains: Vec<(Option<String>, Vec<String>)>,
    /// (column, descending).
    pub sort: Vec<(String, bool)>,
    /// The columns to answer with (`None`: every projected one).
    pub fields: Option<Vec<String>>,
    pub limit: u32,
    pub offset: i64,
}

/// One page of a search: the answered columns, (key, values) rows, and
/// how many match in all.
pub(crate) type Found = (Vec<String>, Vec<(String, Vec<Option<String>>)>, i64);

impl WholeRead<'_> {
    /// Position of the projected column `name`, or the caller's error for
    /// `param`.
    fn position(&self, param: &'static str, name: &str) -> Result<usize> {
        self.fields
            .iter()
            .copied()
            .find(|i| self.dataset.columns[*i].name == name)
            .ok_or_else(|| ServiceError::invalid(param, format!("field \"{name}\" not in table")))
    }

    /// The rows matching `s`, of the projected columns only: a column the
    /// read does not project (personal information) can be neither
    /// filtered, searched, sorted on nor answered.
    pub(crate) async fn search(&self, s: &NamedSearch) -> Result<Found> {
        let mut q = pubdata_store::RowSearch {
            limit: s.limit.clamp(1, DERIVE_PAGE),
            offset: s.offset.max(0),
            ..Default::default()
        };
        for (name, values) in &s.equal {
            q.equal
                .push((self.position("filters", name)?, values.clone()));
        }
        for (name, terms) in &s.contains {
            let cols = match name {
                Some(n) => vec![self.position("q", n)?],
                None => self.fields.clone(),
            };
            q.contains.push((cols, terms.clone()));
        }
        for (name, desc) in &s.sort {
            q.sort.push((self.position("sort", name)?, *desc));
        }
        let answered: Vec<usize> = match &s.fields {
            Some(names) => names
                .iter()
                .map(|n| self.position("fields", n))
                .collect::<Result<_>>()?,
            None => self.fields.clone(),
        };
        // The count of a condition is remembered for the dataset's version.
        let counted = (
            self.dataset.id,
            self.dataset.current_version,
            format!("{:?}{:?}", q.equal, q.contains),
        );
        q.known_total = self.app.open.counts.get(&counted);
        let (rows, total) = self.app.store.search_rows(self.dataset, &q).await?;
        if q.known_total.is_none() {
            self.app.open.counts.put(counted, total);
        }
        let rows = rows
            .into_iter()
            .map(|(k, v)| (k, answered.iter().map(|i| v[*i].clone()).collect()))
            .collect();
        let names = answered
            .iter()
            .map(|i| self.dataset.columns[*i].name.clone())
            .collect();
        Ok((names, rows, total))
    }
}

impl App {
    /// Opens a read of a dataset's current rows, whole, for a desensitised
    /// derivative (脱敏衍生) of the agency that holds it: the derivation
    /// reading its parent to transform it (`sharing::derive`), the
    /// re-identification check of a derivation being asked for (no
    /// derivation yet) or the risk review reading the derived dataset
    /// (`open::reident`). The access record (every field, the rows the
    /// dataset holds) is written here, before any row is read: the
    /// derivative's load then holds the write lock while the pages are read.
    pub(crate) async fn open_derivation_read<'a>(
        &'a self,
        p: &Principal,
        d: &'a Dataset,
        derivation: Option<&pubdata_store::Derivation>,
    ) -> Result<WholeRead<'a>> {
        let own = derivation.is_none_or(|dv| {
            dv.org_id == d.org_id && (dv.parent_dataset_id == d.id || dv.dataset_id == Some(d.id))
        });
        if !own || p.org_id() != Some(d.org_id) {
            return Err(ServiceError::Forbidden(
                "a derivation reads only its own agency's datasets".into(),
            ));
        }
        let fields = Self::project(d, None)?;
        let names: Vec<&str> = fields.iter().map(|i| d.columns[*i].name.as_str()).collect();
        self.store
            .append_audit(p.event(
                "dataset.read",
                format!("dataset:{}", d.id),
                Outcome::Success,
                json!({"basis": Basis::Derivation.as_str(), "derivation": derivation.map(|dv| dv.id),
                       "fields": names, "version": d.current_version, "rows": d.row_count}),
            ))
            .await?;
        Ok(WholeRead {
            app: self,
            dataset: d,
            fields,
            masks: vec![],
        })
    }

    /// Opens the public's read of an open dataset (数据开放): its columns
    /// that are not personal information, for anyone, as long as its entry
    /// is published and unconditionally open. The access record — the
    /// anonymised client, what is read (`asked`) — is written first.
    pub(crate) async fn open_public_read<'a>(
        &'a self,
        p: &Principal,
        d: &'a Dataset,
        asked: serde_json::Value,
    ) -> Result<WholeRead<'a>> {
        if !self.public_may_read(d).await? {
            self.store
                .append_audit(p.event(
                    "dataset.read",
                    format!("dataset:{}", d.id),
                    Outcome::Denied,
                    json!({"basis": Basis::Open.as_str(), "asked": asked}),
                ))
                .await?;
            return Err(ServiceError::NotFound {
                what: "open dataset",
            });
        }
        let fields: Vec<usize> = (0..d.columns.len())
            .filter(|i| !d.columns[*i].personal)
            .collect();
        let names: Vec<&str> = fields.iter().map(|i| d.columns[*i].name.as_str()).collect();
        self.journal
            .commit(Entry {
                event: p.event(
                    "dataset.read",
                    format!("dataset:{}", d.id),
                    Outcome::Success,
                    json!({"basis": Basis::Open.as_str(), "fields": names, "asked": asked,
                           "version": d.current_version}),
                ),
                usage: None,
            })
            .await?;
        Ok(WholeRead {
            app: self,
            dataset: d,
            fields,
            masks: vec![],
        })
    }
}

impl App {
    /// Opens an applicant's read of conditionally open data (有条件开放,
    /// OPN-4) under application `a`: only the applicant, only after it
    /// accepted the data use agreement, only within the approved term, only
    /// the approved fields, personal items masked as approved; while the
    /// entry is still published and conditionally open. The access record
    /// is committed first; refusals are recorded too.
    pub(crate) async fn open_application_read<'a>(
        &'a self,
        p: &Principal,
        d: &'a Dataset,
        a: &pubdata_store::OpenApplication,
        asked: serde_json::Value,
    ) -> Result<WholeRead<'a>> {
        use pubdata_domain::open::ApplicationState;
        let today = today_cst();
        let refusal = if a.dataset_id != d.id || a.applicant != p.name || p.user_id.is_none() {
            Some((
                "not_applicant",
                "only the applicant reads data under an application".to_string(),
            ))
        } else {
            match a.state {
                ApplicationState::Pending | ApplicationState::Refused => Some((
                    "application_not_approved",
                    format!("the application is {}", a.state.as_str()),
                )),
                ApplicationState::Approved => Some((
                    "agreement_not_accepted",
                    "no data is delivered before the data use agreement (利用协议) is accepted"
                        .to_string(),
                )),
                ApplicationState::Accepted => match (a.valid_from, a.valid_until) {
                    (Some(from), _) if today < from => {
                        Some(("application_expired", format!("the term begins on {from}")))
                    }
                    (_, Some(until)) if today > until => {
                        Some(("application_expired", format!("the term ended on {until}")))
                    }
                    (Some(_), Some(_)) => None,
                    _ => Some((
                        "application_not_approved",
                        "the application has no term".to_string(),
                    )),
                },
            }
        };
        let refusal = match refusal {
            Some(r) => Some(r),
            None => {
                let entry = self.load_entry(d.entry_id).await?;
                if !crate::open::is_conditionally_open(&entry, d) {
                    Some((
                        "not_open",
                        "the dataset is no longer conditionally open".to_string(),
                    ))
                } else if self.store.reid_withheld(d.id).await? {
                    // A derivative whose current version failed its
                    // re-identification check is withheld (OPN-5).
                    Some((
                        "not_open",
                        "the dataset is withheld: its re-identification check has not passed"
                            .to_string(),
                    ))
                } else {
                    None
                }
            }
        };
        if let Some((code, detail)) = refusal {
            let event = p.event(
                "dataset.read",
                format!("dataset:{}", d.id),
                Outcome::Denied,
                json!({"basis": Basis::OpenApplication.as_str(), "application": a.id,
                       "refused": code, "asked": asked}),
            );
            self.journal.commit(Entry { event, usage: None }).await?;
            return Err(ServiceError::Refused { code, detail });
        }
        let approved = a.approved_fields.clone().unwrap_or_default();
        let fields: Vec<usize> = (0..d.columns.len())
            .filter(|i| approved.contains(&d.columns[*i].name))
            .collect();
        let masks_of = a.masks.clone().unwrap_or_default();
        let mut masks = Vec::with_capacity(fields.len());
        for i in &fields {
            let name = &d.columns[*i].name;
            masks.push(match masks_of.get(name) {
                Some(rule) => {
                    Some(rule.parse::<pubdata_domain::masking::Mask>().map_err(|e| {
                        ServiceError::Internal(format!("mask of {name}: {e}").into())
                    })?)
                }
                None => None,
            });
        }
        let names: Vec<&str> = fields.iter().map(|i| d.columns[*i].name.as_str()).collect();
        self.journal
            .commit(Entry {
                event: p.event(
                    "dataset.read",
                    format!("dataset:{}", d.id),
                    Outcome::Success,
                    json!({"basis": Basis::OpenApplication.as_str(), "application": a.id,
                           "fields": names, "masks": masks_of, "asked": asked,
                           "purpose": a.purpose, "version": d.current_version}),
                ),
                usage: None,
            })
            .await?;
        Ok(WholeRead {
            app: self,
            dataset: d,
            fields,
            masks,
        })
    }
}

/// Who objects to a record, as the door decides what they may see of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Objector<'a> {
    /// A data user's organisation, through its grant (or the source itself).
    DataUser,
    /// A data subject online: only the record keyed by their own number.
    Subject { id_card_no: &'a str },
    /// Counter staff for a data subject: the subject's record, as far as
    /// their organisation may see it.
    Counter { id_card_no: &'a str },
}

/// What an objector may see of the record objected to.
#[derive(Debug, Clone)]
pub(crate) struct ObjectionSight {
    pub grant_id: Option<i64>,
    pub fields: Vec<String>,
    /// The version the objection is about (the current one).
    pub version: i64,
}

/// The values of an objected record as one viewer sees them.
#[derive(Debug, Clone, Default)]
pub(crate) struct ObjectionValues {
    pub fields: Vec<String>,
    pub before: Vec<Option<String>>,
    pub after: Option<Vec<Option<String>>>,
}

impl App {
    /// Decides whether `p` may object to the record `key` of `d` and what
    /// it may see of it (异议, Art. 28): a data user through a usable grant
    /// (any mode) whose fields include `field` and whose row filter admits
    /// the record; a data subject only their own record; counter staff the
    /// subject's record as far as their organisation may see it. A missing
    /// record and one outside the grant's rows answer alike (404), so an
    /// objection reveals nothing. Every decision is recorded.
    pub(crate) async fn objection_sight(
        &self,
        p: &Principal,
        d: &Dataset,
        key: &str,
        field: Option<&str>,
        who: Objector<'_>,
    ) -> Result<ObjectionSight> {
        let asked = json!({"objection": true, "key": key, "field": field});
        let refuse = |err: ServiceError, grant: Option<i64>| async move {
            let event = p.event(
                "dataset.read",
                format!("dataset:{}", d.id),
                Outcome::Denied,
                json!({"basis": Basis::Objection.as_str(), "grant": grant, "refused": err.code(),
                       "reason": err.to_string(), "asked": {"objection": true, "field": field}}),
            );
            match self.store.append_audit(event).await {
                Ok(_) => err,
                Err(e) => e.into(),
            }
        };
        let all: Vec<String> = d.columns.iter().map(|c| c.name.clone()).collect();
        if let Some(f) = field
            && !all.iter().any(|c| c == f)
        {
            return Err(refuse(
                ServiceError::invalid("field", format!("no field `{f}`")),
                None,
            )
            .await);
        }
        let own_key = |id: &str| d.key.len() == 1 && key == id;
        let (grant, fields, row_filter) = match who {
            Objector::Subject { id_card_no } => {
                if !own_key(id_card_no) {
                    let err = ServiceError::Forbidden(
                        "a data subject objects only to records keyed by their own identity number"
                            .into(),
                    );
                    return Err(refuse(err, None).await);
                }
                (None, all.clone(), None)
            }
            Objector::Counter { .. } | Objector::DataUser => {
                if let Objector::Counter { id_card_no } = who
                    && !own_key(id_card_no)
                {
                    let err = ServiceError::Forbidden(
                        "at a counter, an objection is about the record keyed by the data subject's identity number"
                            .into(),
                    );
                    return Err(refuse(err, None).await);
                }
                if Self::acts_for(p, d.org_id) {
                    (None, all.clone(), None)
                } else {
                    let grants = self.door_grants(d.id, Self::own_orgs(p), None).await?;
                    let today = today_cst();
                    let usable: Vec<&Grant> = grants
                        .iter()
                        .filter(|g| g.allows.usable(today).is_ok())
                        .map(|g| &g.grant)
                        .collect();
                    let Some(g) = usable
                        .iter()
                        .find(|g| field.is_none_or(|f| g.fields.iter().any(|x| x == f)))
                        .copied()
                    else {
                        let err = match usable.first() {
                            Some(g) => ServiceError::Refused {
                                code: "field_not_granted",
                                detail: format!(
                                    "grant {}: field `{}` is not granted",
                                    g.id,
                                    field.unwrap_or_default()
                                ),
                            },
                            None => ServiceError::Refused {
                                code: "grant_required",
                                detail: "your organisation holds no usable grant on this dataset: one objects only to data one received".into(),
                            },
                        };
                        return Err(refuse(err, usable.first().map(|g| g.id)).await);
                    };
                    if let Err(err) = self.operation_cover(g.grantee_org, d.id).await {
                        return Err(refuse(err, Some(g.id)).await);
                    }
                    (Some(g.id), g.fields.clone(), g.row_filter.clone())
                }
            }
        };
        let row = self.store.dataset_row(d, key).await?;
        let admitted = row.as_ref().is_some_and(|r| {
            row_filter.as_ref().is_none_or(|rf| {
                let i = d.columns.iter().position(|c| c.name == rf.field);
                rf.admits(i.and_then(|i| r[i].as_deref()))
            })
        });
        if !admitted {
            return Err(refuse(ServiceError::NotFound { what: "record" }, grant).await);
        };
        self.store
            .append_audit(p.event(
                "dataset.read",
                format!("dataset:{}", d.id),
                Outcome::Success,
                json!({"basis": Basis::Objection.as_str(), "grant": grant, "fields": [],
                       "asked": asked, "rows": 1}),
            ))
            .await?;
        Ok(ObjectionSight {
            grant_id: grant,
            fields,
            version: d.current_version,
        })
    }

    /// The objected record before (at the version objected to) and after
    /// (at the correction's version) as `p` may see it: the objector its
    /// visible fields (masked as its grant masks them), the source
    /// department and supervisors every field. Audited.
    pub(crate) async fn objection_values(
        &self,
        p: &Principal,
        o: &pubdata_store::Objection,
    ) -> Result<ObjectionValues> {
        let d = self.load_dataset(o.dataset_id).await?;
        let full =
            Self::acts_for(p, o.source_org) || self.authorize(p, Action::Supervise).await.is_ok();
        let objector = o.objector_user_id.is_some() && o.objector_user_id == p.user_id
            || o.objector_org.is_some_and(|org| Self::acts_for(p, org));
        if !full && !objector {
            return Err(ServiceError::NotFound { what: "objection" });
        }
        let mut masks: BTreeMap<String, pubdata_domain::masking::Mask> = BTreeMap::new();
        let fields: Vec<usize> = if full {
            (0..d.columns.len()).collect()
        } else {
            if let Some(g) = o.grant_id
                && let Ok(g) = self.store.get_grant(g).await
            {
                for (f, m) in &g.masks {
                    if let Ok(m) = m.parse() {
                        masks.insert(f.clone(), m);
                    }
                }
            }
            (0..d.columns.len())
                .filter(|i| o.visible_fields.contains(&d.columns[*i].name))
                .collect()
        };
        let history = self.store.row_history(&d, &o.record_key).await?;
        let at = |v: i64| {
            history
                .iter()
                .find(|(from, to, _)| *from <= v && to.is_none_or(|t| v < t))
                .map(|(_, _, values)| {
                    fields
                        .iter()
                        .map(|i| {
                            let v = values[*i].clone()?;
                            match masks.get(&d.columns[*i].name) {
                                Some(m) => m.apply(&v),
                                None => Some(v),
                            }
                        })
                        .collect::<Vec<_>>()
                })
        };
        let before = at(o.about_version).unwrap_or_else(|| vec![None; fields.len()]);
        let after = o.correction_version.and_then(at);
        let names: Vec<String> = fields.iter().map(|i| d.columns[*i].name.clone()).collect();
        self.store
            .append_audit(p.event(
                "dataset.read",
                format!("dataset:{}", d.id),
                Outcome::Success,
                json!({"basis": Basis::Objection.as_str(), "objection": o.id, "fields": names,
                       "asked": {"versions": [o.about_version, o.correction_version]},
                       "rows": 1 + usize::from(after.is_some())}),
            ))
            .await?;
        Ok(ObjectionValues {
            fields: names,
            before,
            after,
        })
    }

    /// The current row `key` of `d` for its source department correcting it
    /// (更正). Audited.
    pub(crate) async fn row_for_correction(
        &self,
        p: &Principal,
        d: &Dataset,
        key: &str,
        objection: i64,
    ) -> Result<Option<Vec<Option<String>>>> {
        let basis = self.permit(p, d, Basis::SourceDepartment).await?;
        let row = self.store.dataset_row(d, key).await?;
        let names: Vec<&str> = d.columns.iter().map(|c| c.name.as_str()).collect();
        self.store
            .append_audit(p.event(
                "dataset.read",
                format!("dataset:{}", d.id),
                Outcome::Success,
                json!({"basis": basis.as_str(), "fields": names,
                       "asked": {"correction_of": objection}, "rows": usize::from(row.is_some())}),
            ))
            .await?;
        Ok(row)
    }
}

#[cfg(test)]
mod tests {
    /// The door stays the only one: no other module of this crate calls a
    /// `ContentStore` query.
    #[test]
    fn no_other_module_reads_dataset_contents() {
        const QUERIES: [&str; 9] = [
            "select_rows",
            "search_rows",
            "changed_rows",
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
