//! Government IT projects (政务信息化项目, SUP-2, Art. 47).
//!
//! An agency building a project with public funds lists the public data the
//! project involves (公共数据清单) when it is approved (立项): the catalogue
//! entries the project produces or uses. Before acceptance (竣工验收) that
//! data must be catalogued (编目), aggregated (汇聚) and shared (共享) — the
//! compliance check (符合性审查) — and the platform reports, per listed entry:
//!
//! - catalogued: the entry has a published version and is not delisted;
//! - aggregated: the entry's dataset exists, holds a loaded version and is
//!   not stale (the same [`crate::ingest::is_stale`] the datasets page and
//!   supervision use: older than its update frequency allows);
//! - shared: the published entry is in the shared catalogue (its share
//!   attribute is unconditional or conditional), or at least one grant on
//!   its dataset is active.
//!
//! The data authority of the agency's level records the acceptance only
//! when every check passes, or — on its own responsibility — with an
//! explicit override reason, kept with the acceptance and in the audit
//! chain. The check is computed from the platform's records each time it is
//! asked, never typed in.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use pubdata_domain::audit::Outcome;
use pubdata_domain::catalog::{EntryState, ShareType};
use pubdata_domain::project::{ComplianceCheck, DataUse, ProjectState};
use pubdata_domain::share::GrantState;
use pubdata_store::{
    CatalogEntry, EntryFilter, GrantFilter, ItProject, NewProject, ProjectAcceptance, ProjectEntry,
    StoreError,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::App;
use crate::error::{Result, ServiceError};
use crate::policy::Action;
use crate::principal::Principal;
use crate::sharing::required_text;

/// The stable code of an acceptance refused for want of compliance.
pub const NOT_COMPLIANT: &str = "project_not_compliant";

/// A project as the agency registers it at approval.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectInput {
    /// The building agency; the caller's organisation when absent.
    #[serde(default)]
    pub agency_org: Option<i64>,
    pub name: String,
    /// The project code (项目编号), unique on the platform.
    pub code: String,
    /// The approval date (立项批复日期).
    pub approved_on: NaiveDate,
    /// The planned acceptance date (计划验收日期), not before approval.
    pub planned_acceptance_on: NaiveDate,
    /// The public data list: 1 to 200 catalogue entries, each produced or
    /// used by the project.
    pub entries: Vec<ProjectEntry>,
}

/// The authority's acceptance.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptanceInput {
    /// Required when the project is not compliant: why it is accepted
    /// nevertheless (recorded with the acceptance).
    #[serde(default)]
    pub override_reason: Option<String>,
}

/// A listed entry with its names.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProjectEntryView {
    pub entry_id: i64,
    pub usage: DataUse,
    /// The resource code (信息资源代码).
    pub code: String,
    pub name: String,
    pub provider_org: i64,
    pub provider_name: String,
}

/// A project with its names.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProjectView {
    #[serde(flatten)]
    pub project: ItProject,
    pub agency_name: String,
    pub accepted_org_name: Option<String>,
    /// The listed entries, in order.
    pub entry_views: Vec<ProjectEntryView>,
}

/// One check's outcome for one entry.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CheckOutcome {
    pub check: ComplianceCheck,
    pub ok: bool,
    /// A stable code for the reason: `published`, `not_published`,
    /// `delisted`, `loaded`, `no_dataset`, `not_loaded`, `stale`,
    /// `shared_catalogue`, `granted`, `not_shared`, `not_catalogued`.
    pub code: String,
    /// What the records say (state, version, last load, grants).
    pub detail: String,
}

/// The three checks for one listed entry.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ComplianceItem {
    #[serde(flatten)]
    pub entry: ProjectEntryView,
    pub catalogued: CheckOutcome,
    pub aggregated: CheckOutcome,
    pub shared: CheckOutcome,
    /// All three pass.
    pub ok: bool,
}

/// A project's compliance report (符合性审查, Art. 47).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ComplianceReport {
    pub project_id: i64,
    /// Every listed entry passes every check.
    pub compliant: bool,
    /// Listed entries failing at least one check.
    pub failing: usize,
    pub checked_at: DateTime<Utc>,
    pub items: Vec<ComplianceItem>,
}

fn outcome(check: ComplianceCheck, ok: bool, code: &str, detail: String) -> CheckOutcome {
    CheckOutcome {
        check,
        ok,
        code: code.into(),
        detail,
    }
}

fn sensible_date(field: &str, d: NaiveDate) -> Result<()> {
    if !(1990..=2100).contains(&d.year()) {
        return Err(ServiceError::invalid(field, "a date between 1990 and 2100"));
    }
    Ok(())
}

impl App {
    /// Whether the caller may see the projects of `agency`.
    async fn sees_projects(&self, p: &Principal, agency: i64) -> bool {
        Self::acts_for(p, agency)
            || self.can(p, Action::ManageDigitalProjects(agency)).await
            || self.can(p, Action::ReviewDigitalProjects(agency)).await
            || self.can(p, Action::ReadAudit).await
    }

    async fn project_view(&self, x: ItProject) -> Result<ProjectView> {
        let tree = self.org_tree().await?;
        let name = |id: i64| tree.get(id).map(|o| o.name.clone()).unwrap_or_default();
        let mut entry_views = Vec::with_capacity(x.entries.len());
        for e in &x.entries {
            let (code, entry_name, provider) = match self.store.get_entry(e.entry_id).await {
                Ok(c) => (c.code, c.content.name, c.org_id),
                Err(StoreError::NotFound) => (String::new(), format!("#{}", e.entry_id), 0),
                Err(err) => return Err(err.into()),
            };
            entry_views.push(ProjectEntryView {
                entry_id: e.entry_id,
                usage: e.usage,
                code,
                name: entry_name,
                provider_org: provider,
                provider_name: name(provider),
            });
        }
        Ok(ProjectView {
            agency_name: name(x.agency_org),
            accepted_org_name: x.accepted_org.map(name),
            entry_views,
            project: x,
        })
    }

    async fn visible_project(&self, p: &Principal, id: i64) -> Result<ItProject> {
        let x = self
            .store
            .get_project(id)
            .await
            .map_err(ServiceError::not_found("IT project"))?;
        if self.sees_projects(p, x.agency_org).await {
            return Ok(x);
        }
        self.authorize(p, Action::ManageDigitalProjects(x.agency_org))
            .await?;
        Ok(x)
    }

    /// Registers a project with its public data list at approval (立项).
    pub async fn register_project(
        &self,
        p: &Principal,
        input: ProjectInput,
    ) -> Result<ProjectView> {
        let agency = input
            .agency_org
            .or(p.org_id())
            .ok_or_else(|| ServiceError::invalid("agency_org", "name the building agency"))?;
        self.authorize(p, Action::ManageDigitalProjects(agency))
            .await?;
        let name = required_text("name", &input.name, 200)?;
        let code = required_text("code", &input.code, 64)?;
        sensible_date("approved_on", input.approved_on)?;
        sensible_date("planned_acceptance_on", input.planned_acceptance_on)?;
        if input.planned_acceptance_on < input.approved_on {
            return Err(ServiceError::invalid(
                "planned_acceptance_on",
                "the acceptance is planned before the approval",
            ));
        }
        if input.entries.is_empty() || input.entries.len() > 200 {
            return Err(ServiceError::invalid(
                "entries",
                "list 1 to 200 catalogue entries",
            ));
        }
        let mut seen = BTreeSet::new();
        let mut entries = Vec::new();
        for e in input.entries {
            if !seen.insert(e.entry_id) {
                continue;
            }
            let entry = match self.store.get_entry(e.entry_id).await {
                Ok(entry) => entry,
                Err(StoreError::NotFound) => {
                    return Err(ServiceError::invalid(
                        "entries",
                        format!("no catalogue entry {}", e.entry_id),
                    ));
                }
                Err(err) => return Err(err.into()),
            };
            // Another body's entry must be in the catalogue to be listed;
            // the agency's own may still be a draft (catalogued before acceptance).
            let own = entry.org_id == agency || entry.co_owners.contains(&agency);
            if !own && entry.published_version.is_none() {
                return Err(ServiceError::invalid(
                    "entries",
                    format!("catalogue entry {} is not published", e.entry_id),
                ));
            }
            entries.push(e);
        }
        let new = NewProject {
            agency_org: agency,
            name,
            code,
            approved_on: input.approved_on,
            planned_acceptance_on: input.planned_acceptance_on,
            entries,
            created_by: p.name.clone(),
        };
        let event = p.event(
            "project.register",
            "it_project",
            Outcome::Success,
            json!({"code": new.code, "agency": agency, "entries": new.entries}),
        );
        let x = self
            .store
            .create_project(new, event)
            .await
            .map_err(|e| match e {
                StoreError::Conflict { .. } => ServiceError::Conflict {
                    code: "project_code_taken",
                    detail: "a project with this code is already registered".into(),
                },
                e => e.into(),
            })?;
        self.project_view(x).await
    }

    /// The projects the caller may see, newest first.
    pub async fn projects(&self, p: &Principal) -> Result<Vec<ProjectView>> {
        if p.user_id.is_none() && p.org_id().is_none() {
            return Err(ServiceError::Unauthenticated);
        }
        let mut out = Vec::new();
        for x in self.store.list_projects(None).await? {
            if self.sees_projects(p, x.agency_org).await {
                out.push(self.project_view(x).await?);
            }
        }
        Ok(out)
    }

    pub async fn it_project(&self, p: &Principal, id: i64) -> Result<ProjectView> {
        let x = self.visible_project(p, id).await?;
        self.project_view(x).await
    }

    /// The three checks of Art. 47 for one entry, from the platform's records.
    pub(crate) async fn check_entry(&self, entry: &CatalogEntry) -> Result<[CheckOutcome; 3]> {
        use ComplianceCheck::*;
        let published = entry.published_version.is_some() && entry.state != EntryState::Delisted;
        let catalogued = match (entry.published_version, entry.state) {
            (_, EntryState::Delisted) => outcome(
                Catalogued,
                false,
                "delisted",
                EntryState::Delisted.zh().into(),
            ),
            (Some(v), _) => outcome(
                Catalogued,
                true,
                "published",
                format!(
                    "v{v} · {}",
                    entry
                        .published_on
                        .map(|d| d.to_string())
                        .unwrap_or_default()
                ),
            ),
            (None, state) => outcome(Catalogued, false, "not_published", state.zh().into()),
        };
        let dataset = self.store.dataset_of_entry(entry.id).await?;
        let aggregated = match &dataset {
            None => outcome(Aggregated, false, "no_dataset", String::new()),
            Some(d) if d.current_version == 0 => {
                outcome(Aggregated, false, "not_loaded", format!("#{}", d.id))
            }
            Some(d) => {
                let last = d
                    .last_load_at
                    .map(|t| pubdata_domain::calendar::date_cst(t).to_string())
                    .unwrap_or_default();
                let detail = format!(
                    "#{} v{} · {} · {}",
                    d.id,
                    d.current_version,
                    last,
                    d.frequency.zh()
                );
                if crate::ingest::is_stale(d, Utc::now()) {
                    outcome(Aggregated, false, "stale", detail)
                } else {
                    outcome(Aggregated, true, "loaded", detail)
                }
            }
        };
        let shared = if !published {
            outcome(Shared, false, "not_catalogued", String::new())
        } else {
            let content = self.published_content(entry).await?;
            let active = match &dataset {
                Some(d) => self
                    .store
                    .list_grants(&GrantFilter {
                        dataset_id: Some(d.id),
                        limit: 1000,
                        ..Default::default()
                    })
                    .await?
                    .iter()
                    .filter(|g| g.state == GrantState::Active)
                    .count(),
                None => 0,
            };
            if content.share_type != ShareType::None {
                outcome(
                    Shared,
                    true,
                    "shared_catalogue",
                    format!("{} · {active}", content.share_type.zh()),
                )
            } else if active > 0 {
                outcome(Shared, true, "granted", format!("{active}"))
            } else {
                outcome(Shared, false, "not_shared", content.share_type.zh().into())
            }
        };
        Ok([catalogued, aggregated, shared])
    }

    async fn compliance_of(&self, x: &ItProject) -> Result<ComplianceReport> {
        let view = self.project_view(x.clone()).await?;
        let mut items = Vec::with_capacity(view.entry_views.len());
        for ev in view.entry_views {
            let [catalogued, aggregated, shared] = match self.store.get_entry(ev.entry_id).await {
                Ok(entry) => self.check_entry(&entry).await?,
                Err(StoreError::NotFound) => {
                    let gone = |c| outcome(c, false, "not_catalogued", String::new());
                    [
                        gone(ComplianceCheck::Catalogued),
                        gone(ComplianceCheck::Aggregated),
                        gone(ComplianceCheck::Shared),
                    ]
                }
                Err(e) => return Err(e.into()),
            };
            items.push(ComplianceItem {
                ok: catalogued.ok && aggregated.ok && shared.ok,
                entry: ev,
                catalogued,
                aggregated,
                shared,
            });
        }
        let failing = items.iter().filter(|i| !i.ok).count();
        Ok(ComplianceReport {
            project_id: x.id,
            compliant: failing == 0,
            failing,
            checked_at: Utc::now(),
            items,
        })
    }

    /// The project's compliance report: each listed entry catalogued,
    /// aggregated and shared, as the platform's records say now.
    pub async fn project_compliance(&self, p: &Principal, id: i64) -> Result<ComplianceReport> {
        let x = self.visible_project(p, id).await?;
        self.compliance_of(&x).await
    }

    /// The authority of the agency's level records the acceptance (验收):
    /// when the project is compliant, or with an explicit override reason.
    pub async fn accept_project(
        &self,
        p: &Principal,
        id: i64,
        input: AcceptanceInput,
    ) -> Result<ProjectView> {
        let x = self.visible_project(p, id).await?;
        self.authorize(p, Action::ReviewDigitalProjects(x.agency_org))
            .await?;
        if x.state != ProjectState::Approved {
            return Err(ServiceError::Conflict {
                code: "project_state",
                detail: "the project is already accepted".into(),
            });
        }
        let reason = match input.override_reason.as_deref().map(str::trim) {
            Some(r) if !r.is_empty() => Some(required_text("override_reason", r, 2000)?),
            _ => None,
        };
        let report = self.compliance_of(&x).await?;
        let failing: Vec<String> = report
            .items
            .iter()
            .filter(|i| !i.ok)
            .map(|i| i.entry.name.clone())
            .collect();
        if !report.compliant && reason.is_none() {
            let detail = format!(
                "{} of {} listed entries are not catalogued, aggregated and shared (Art. 47): {}; accept only with an override reason",
                report.failing,
                report.items.len(),
                failing.join("、")
            );
            self.store
                .append_audit(p.event(
                    "project.accept",
                    format!("it_project:{id}"),
                    Outcome::Failure,
                    json!({"refused": NOT_COMPLIANT, "failing": failing}),
                ))
                .await?;
            return Err(ServiceError::Conflict {
                code: NOT_COMPLIANT,
                detail,
            });
        }
        let tree = self.org_tree().await?;
        // The accepting authority: the one of the agency's level the caller
        // reviews for (its own organisation when it is one).
        let accepted_org = tree
            .region_of(x.agency_org)
            .and_then(|r| tree.authority_of(r))
            .filter(|a| Self::acts_for(p, *a))
            .or(p.org_id())
            .or_else(|| {
                p.roles
                    .iter()
                    .find(|g| g.role == pubdata_domain::org::Role::AuthorityReviewer)
                    .map(|g| g.org_id)
            })
            .ok_or_else(|| ServiceError::Forbidden("no accepting authority".into()))?;
        let event = p.event(
            "project.accept",
            format!("it_project:{id}"),
            Outcome::Success,
            json!({"compliant": report.compliant, "failing": failing,
                   "override_reason": reason}),
        );
        let x = self
            .store
            .accept_project(
                id,
                ProjectAcceptance {
                    compliant: report.compliant,
                    override_reason: if report.compliant { None } else { reason },
                    accepted_by: p.name.clone(),
                    accepted_org,
                },
                event,
            )
            .await
            .map_err(|e| match e {
                StoreError::Conflict { .. } => ServiceError::Conflict {
                    code: "project_state",
                    detail: "the project is already accepted".into(),
                },
                e => e.into(),
            })?;
        self.project_view(x).await
    }

    /// The entries the register form offers: every published entry, and
    /// the caller's own unpublished ones: (id, code, name).
    pub async fn project_entry_choices(&self, p: &Principal) -> Result<Vec<(i64, String, String)>> {
        let Some(org) = p.org_id() else {
            return Ok(vec![]);
        };
        if !self.can(p, Action::ManageDigitalProjects(org)).await {
            return Ok(vec![]);
        }
        let mut out: Vec<(i64, String, String)> = self
            .store
            .list_entries(&EntryFilter {
                org_ids: Some(vec![org]),
                limit: 500,
                ..Default::default()
            })
            .await?
            .into_iter()
            .filter(|e| e.state != EntryState::Delisted)
            .map(|e| (e.id, e.code, e.content.name))
            .collect();
        let own: BTreeSet<i64> = out.iter().map(|(id, _, _)| *id).collect();
        for e in self
            .store
            .list_entries(&EntryFilter {
                published_only: true,
                limit: 500,
                ..Default::default()
            })
            .await?
        {
            if !own.contains(&e.id) {
                out.push((e.id, e.code, e.content.name));
            }
        }
        Ok(out)
    }

    /// Whether the caller registers projects for its organisation.
    pub async fn manages_projects(&self, p: &Principal) -> bool {
        match p.org_id() {
            Some(org) => self.can(p, Action::ManageDigitalProjects(org)).await,
            None => false,
        }
    }

    /// Whether the caller accepts the projects of `agency`.
    pub async fn reviews_projects(&self, p: &Principal, agency: i64) -> bool {
        self.can(p, Action::ReviewDigitalProjects(agency)).await
    }
}
