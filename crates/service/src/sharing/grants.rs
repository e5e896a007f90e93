//! Grants (授权, SHR-4): minimum authorisation, its life, backflow (回流,
//! BACK-1) and usage (SHR-1).

use chrono::NaiveDate;
use pubdata_domain::audit::Outcome;
use pubdata_domain::calendar::today_cst;
use pubdata_domain::share::{DeliveryMode, GrantState, RowFilter};
use pubdata_store::{Grant, GrantFilter, GrantUsage, NewGrant, StoreError, UsageReport};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::App;
use crate::error::{Result, ServiceError};
use crate::policy::Action;
use crate::principal::Principal;
use crate::sharing::requests::DEFAULT_RATE_LIMIT;

/// A grant as people see it: names, whether it can be used today, its
/// access statistics and usage reports.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GrantView {
    #[serde(flatten)]
    pub grant: Grant,
    pub dataset_name: String,
    /// The dataset's key columns (a verification names the whole key).
    pub dataset_key: Vec<String>,
    pub source_name: String,
    pub grantee_name: String,
    /// Usable today: active and within its validity window.
    pub usable: bool,
    /// Why not, when not usable: the code a read would be refused with.
    pub refusal: Option<String>,
    /// Reads per day through the grant, newest first (last 30 days with reads).
    pub usage: Vec<GrantUsage>,
    pub usage_reports: Vec<UsageReport>,
    /// File deliveries: exports and recorded offline deliveries.
    pub deliveries: Vec<pubdata_store::Delivery>,
}

/// A backflow grant: the data authority returns a source department's data
/// to a county or department, limited to its rows.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BackflowGrant {
    pub dataset_id: i64,
    pub grantee_org: i64,
    pub fields: Vec<String>,
    /// The region or department column and the values the grantee may read.
    pub row_filter: RowFilter,
    pub mode: DeliveryMode,
    pub until: NaiveDate,
    pub scenario: String,
    pub purpose: String,
    pub using_unit: String,
}

/// A grantee's usage report.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UsageReportInput {
    /// The period reported on, e.g. `2026-Q4` or `2026-11`.
    pub period: String,
    pub summary: String,
    /// Business cases served with the data in the period.
    pub uses: i64,
}

fn store_conflict(e: StoreError, detail: &str) -> ServiceError {
    match e {
        StoreError::Conflict { .. } => ServiceError::Conflict {
            code: "grant_state",
            detail: detail.into(),
        },
        StoreError::NotFound => ServiceError::NotFound { what: "grant" },
        e => e.into(),
    }
}

impl App {
    async fn grant_of(&self, id: i64) -> Result<Grant> {
        self.store
            .get_grant(id)
            .await
            .map_err(ServiceError::not_found("grant"))
    }

    async fn view_share(&self, p: &Principal, g: &Grant) -> Result<()> {
        self.authorize(
            p,
            Action::ViewShare {
                requester: g.grantee_org,
                source: g.source_org,
            },
        )
        .await
    }

    pub(crate) async fn grant_view(&self, g: Grant, details: bool) -> Result<GrantView> {
        let dataset = self.load_dataset(g.dataset_id).await?;
        let refusal = g.scope().usable(today_cst()).err().map(|r| r.code().into());
        let (usage, usage_reports, deliveries) = if details {
            (
                self.store.grant_usage(g.id, 30).await?,
                self.store.usage_reports(g.id).await?,
                self.store.deliveries(g.id).await?,
            )
        } else {
            (vec![], vec![], vec![])
        };
        Ok(GrantView {
            dataset_name: dataset.name,
            dataset_key: dataset.key,
            source_name: self.org_name(g.source_org).await?,
            grantee_name: self.org_name(g.grantee_org).await?,
            usable: refusal.is_none(),
            refusal,
            usage,
            usage_reports,
            deliveries,
            grant: g,
        })
    }

    /// One grant with its access statistics and usage reports.
    pub async fn share_grant(&self, p: &Principal, id: i64) -> Result<GrantView> {
        let g = self.grant_of(id).await?;
        self.view_share(p, &g).await?;
        self.grant_view(g, true).await
    }

    /// Grants received (`received`) or given (`!received`) by the caller's
    /// organisations, newest first; supervisors see their level's.
    pub async fn share_grants(
        &self,
        p: &Principal,
        received: Option<bool>,
        limit: u32,
    ) -> Result<Vec<GrantView>> {
        let orgs = match received {
            None => self.sharing_orgs(p).await?,
            Some(_) => Some(Self::own_orgs(p)),
        };
        let filter = |grantee: bool| GrantFilter {
            grantee_orgs: if grantee { orgs.clone() } else { None },
            source_orgs: if grantee { None } else { orgs.clone() },
            dataset_id: None,
            limit,
        };
        let mut found = match received {
            Some(true) => self.store.list_grants(&filter(true)).await?,
            Some(false) => self.store.list_grants(&filter(false)).await?,
            None => {
                let mut v = self.store.list_grants(&filter(true)).await?;
                if orgs.is_some() {
                    v.extend(self.store.list_grants(&filter(false)).await?);
                }
                v
            }
        };
        found.sort_by_key(|g| std::cmp::Reverse(g.id));
        found.dedup_by_key(|g| g.id);
        found.truncate(limit as usize);
        let mut out = Vec::with_capacity(found.len());
        for g in found {
            out.push(self.grant_view(g, false).await?);
        }
        Ok(out)
    }

    /// The source department implements an approved grant: it becomes
    /// usable and the implementation case closes.
    pub async fn implement_grant(&self, p: &Principal, id: i64) -> Result<GrantView> {
        let g = self.grant_of(id).await?;
        self.authorize(p, Action::DecideShare(g.source_org)).await?;
        self.grant_needs_cover(
            p,
            g.grantee_org,
            g.dataset_id,
            ("grant.implement", format!("grant:{id}")),
        )
        .await?;
        let event = p.event(
            "grant.implement",
            format!("grant:{id}"),
            Outcome::Success,
            json!({}),
        );
        let g = self
            .store
            .implement_grant(id, &p.name, event)
            .await
            .map_err(|e| {
                store_conflict(e, "only a grant awaiting implementation can be implemented")
            })?;
        self.forget_grants();
        self.grant_view(g, false).await
    }

    /// Suspends, resumes or revokes a grant (with a reason): the source
    /// department, or the data authority over it.
    pub async fn change_grant(
        &self,
        p: &Principal,
        id: i64,
        to: GrantState,
        reason: &str,
    ) -> Result<GrantView> {
        let g = self.grant_of(id).await?;
        self.authorize_any(
            p,
            &[
                Action::DecideShare(g.source_org),
                Action::GrantBackflow(g.source_org),
            ],
        )
        .await?;
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 1000 {
            return Err(ServiceError::invalid("reason", "1 to 1000 characters"));
        }
        let (from, action): (&[GrantState], &str) = match to {
            GrantState::Revoked => (
                &[
                    GrantState::Pending,
                    GrantState::Active,
                    GrantState::Suspended,
                ],
                "grant.revoke",
            ),
            GrantState::Suspended => (&[GrantState::Active], "grant.suspend"),
            GrantState::Active => (&[GrantState::Suspended], "grant.resume"),
            GrantState::Pending => {
                return Err(ServiceError::invalid(
                    "state",
                    "a grant cannot go back to pending",
                ));
            }
        };
        let event = p.event(
            action,
            format!("grant:{id}"),
            Outcome::Success,
            json!({"reason": reason, "from": g.state.as_str()}),
        );
        let g = self
            .store
            .set_grant_state(id, from, to, reason, event)
            .await
            .map_err(|e| {
                store_conflict(
                    e,
                    &format!(
                        "the grant is {}: it cannot become {}",
                        g.state.as_str(),
                        to.as_str()
                    ),
                )
            })?;
        self.forget_rate(id);
        self.forget_grants();
        self.grant_view(g, false).await
    }

    /// Backflow (回流, Art. 29): the data authority returns a source
    /// department's data to a county or department, limited to the rows
    /// whose region or department column holds the grantee's values.
    pub async fn grant_backflow(&self, p: &Principal, b: BackflowGrant) -> Result<GrantView> {
        let d = self.load_dataset(b.dataset_id).await?;
        self.authorize(p, Action::GrantBackflow(d.org_id)).await?;
        let tree = self.org_tree().await?;
        if tree.get(b.grantee_org).is_none() {
            return Err(ServiceError::invalid("grantee_org", "no such organisation"));
        }
        self.grant_needs_cover(
            p,
            b.grantee_org,
            d.id,
            ("grant.backflow", format!("dataset:{}", d.id)),
        )
        .await?;
        if b.fields.is_empty() {
            return Err(ServiceError::invalid("fields", "name at least one field"));
        }
        for f in b.fields.iter().chain([&b.row_filter.field]) {
            if !d.columns.iter().any(|c| &c.name == f) {
                return Err(ServiceError::invalid(
                    "fields",
                    format!("no column 「{f}」"),
                ));
            }
        }
        if b.row_filter.values.is_empty() || b.row_filter.values.iter().any(|v| v.trim().is_empty())
        {
            return Err(ServiceError::invalid(
                "row_filter",
                "name the values the grantee may read",
            ));
        }
        let today = today_cst();
        if b.until < today {
            return Err(ServiceError::invalid(
                "until",
                "the end date is in the past",
            ));
        }
        let entry = self.store.get_entry(d.entry_id).await?;
        let content = self.published_content(&entry).await?;
        let fields: Vec<String> = d
            .columns
            .iter()
            .filter(|c| b.fields.contains(&c.name))
            .map(|c| c.name.clone())
            .collect();
        let masks = self.default_masks(&content, &fields).await?;
        let grantee = tree
            .get(b.grantee_org)
            .map(|o| o.name.clone())
            .unwrap_or_default();
        let new = NewGrant {
            request_id: None,
            dataset_id: d.id,
            entry_id: d.entry_id,
            source_org: d.org_id,
            grantee_org: b.grantee_org,
            using_unit: b.using_unit.trim().to_string(),
            scenario: b.scenario.trim().to_string(),
            purpose: b.purpose.trim().to_string(),
            data_user: grantee,
            fields,
            masks,
            row_filter: Some(b.row_filter.clone()),
            mode: b.mode,
            valid_from: today,
            valid_until: b.until,
            rate_limit: DEFAULT_RATE_LIMIT,
            research_only: false,
            state: GrantState::Active,
            created_by: p.name.clone(),
        };
        let event = p.event(
            "grant.backflow",
            "grant:new",
            Outcome::Success,
            json!({"dataset": d.id, "grantee": b.grantee_org, "row_filter": b.row_filter,
                   "fields": b.fields, "until": b.until.to_string()}),
        );
        let g = self.store.create_grant(new, event).await?;
        self.forget_grants();
        self.grant_view(g, false).await
    }

    /// A grantee files a periodic usage report on a grant (SHR-1).
    pub async fn file_usage_report(
        &self,
        p: &Principal,
        id: i64,
        r: UsageReportInput,
    ) -> Result<UsageReport> {
        let g = self.grant_of(id).await?;
        self.authorize(p, Action::RequestShare(g.grantee_org))
            .await?;
        let period = r.period.trim();
        if period.is_empty() || period.chars().count() > 20 {
            return Err(ServiceError::invalid(
                "period",
                "1 to 20 characters, e.g. 2026-Q4",
            ));
        }
        let summary = r.summary.trim();
        if summary.is_empty() || summary.chars().count() > 2000 {
            return Err(ServiceError::invalid("summary", "1 to 2000 characters"));
        }
        if r.uses < 0 {
            return Err(ServiceError::invalid("uses", "zero or more"));
        }
        let event = p.event(
            "grant.usage_report",
            format!("grant:{id}"),
            Outcome::Success,
            json!({"period": period, "uses": r.uses}),
        );
        Ok(self
            .store
            .file_usage_report(id, period, summary, r.uses, &p.name, event)
            .await?)
    }
}
