//! Open data plans (开放计划, OPN-2, Art. 31 and 37).
//!
//! - The year's priority areas (年度公共数据开放重点): set by the city
//!   authority, published on the portal.
//! - Each agency's yearly open plan (年度公共数据开放计划): items to open,
//!   each an entry of the agency's catalogue or a dataset not yet
//!   catalogued, with its priority area, planned date and intended open
//!   attribute. Draft → filed (备案) with the authority of the agency's level
//!   → acknowledged, or returned with a reason (edited and filed again).
//!   Data the agency obtained by sharing cannot be planned (Art. 37).
//!   Whether an item is fulfilled is computed from the catalogue and the
//!   datasets ([`App::open_plan_fulfilment`]), never typed.
//! - The open catalogue and its responsibility list (开放目录和责任清单):
//!   every published open entry with the agency's responsible department
//!   and person (责任部门和人员).
//!
//! Acknowledged plans are public (向社会公布); the agency and the
//! authorities over it also see drafts.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use pubdata_domain::audit::Outcome;
use pubdata_domain::calendar::today_cst;
use pubdata_domain::catalog::{EntryState, OpenAttribute};
use pubdata_domain::open_plan::{
    Fulfilment, MAX_PLAN_ITEMS, MAX_PRIORITIES, PlanItem, PlanState, fulfilment,
};
use pubdata_domain::org::{Level, OrgKind};
use pubdata_store::{
    CatalogEntry, EntryFilter, GrantFilter, NewOpenPlan, OpenPlan, OpenPlanFilter, PlanChange,
    PlanStamp, StoreError,
};
pub use pubdata_store::{OpenPriority, OpenResponsibility};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::App;
use crate::catalog::authority_of;
use crate::error::{FieldError, Result, ServiceError};
use crate::org_tree::OrgTree;
use crate::policy::Action;
use crate::principal::Principal;

/// At most this many characters in a priority's description.
const MAX_DESCRIPTION: usize = 200;
/// At most this many characters in an item's name.
const MAX_NAME: usize = 100;

/// The priority areas of a year, as published.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OpenPriorities {
    pub year: i64,
    pub areas: Vec<OpenPriority>,
    pub updated_by: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// The priority areas the city authority sets for a year.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrioritiesInput {
    /// At most 20, each area once.
    pub areas: Vec<OpenPriority>,
}

/// A new draft plan.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPlan {
    /// The agency whose plan it is.
    pub org_id: i64,
    /// 2000–2100.
    pub year: i64,
    #[serde(default)]
    pub items: Vec<PlanItem>,
}

/// A draft's new items.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanEdit {
    pub items: Vec<PlanItem>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlanDecision {
    /// 备案: the authority takes note of the plan; it is then published.
    Acknowledge,
    /// 退回: back to the agency, with a reason.
    Return,
}

/// The authority's answer to a filed plan.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanReview {
    pub decision: PlanDecision,
    /// Required when returning.
    #[serde(default)]
    pub reason: String,
}

/// A planned item and how it stands.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanItemView {
    pub entry_id: Option<i64>,
    /// The entry's resource code (信息资源代码).
    pub entry_code: Option<String>,
    pub name: String,
    pub area: pubdata_domain::open_plan::PriorityArea,
    pub planned_on: NaiveDate,
    pub open_attribute: OpenAttribute,
    /// The day the item became open (its entry published with an open
    /// attribute and its dataset loaded), if it is open.
    pub opened_on: Option<NaiveDate>,
    /// The portal's dataset, when open and loaded.
    pub dataset_id: Option<i64>,
    pub fulfilment: Fulfilment,
}

/// How many items of a plan stand how.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FulfilmentCounts {
    pub total: i64,
    pub fulfilled: i64,
    pub late: i64,
    pub pending: i64,
    pub overdue: i64,
}

impl FulfilmentCounts {
    fn of(items: &[PlanItemView]) -> Self {
        let mut c = FulfilmentCounts::default();
        for i in items {
            c.total += 1;
            match i.fulfilment {
                Fulfilment::Fulfilled => c.fulfilled += 1,
                Fulfilment::Late => c.late += 1,
                Fulfilment::Pending => c.pending += 1,
                Fulfilment::Overdue => c.overdue += 1,
            }
        }
        c
    }
}

/// A yearly open plan with its agency, authority and fulfilment.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OpenPlanView {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    /// The agency's level (`city` or `county`).
    pub level: Option<Level>,
    /// The region the agency belongs to (市 or 县/区).
    pub region_id: Option<i64>,
    pub region_name: String,
    pub year: i64,
    pub authority_id: i64,
    pub authority_name: String,
    pub state: PlanState,
    pub version: i64,
    /// Why the authority last returned it.
    pub return_reason: String,
    /// Staff usernames are shown to the agency and its authorities only.
    pub filed_by: Option<String>,
    pub filed_at: Option<DateTime<Utc>>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub items: Vec<PlanItemView>,
    pub counts: FulfilmentCounts,
}

/// An agency's fulfilment of its plan of a year, for supervision.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanFulfilment {
    pub plan_id: i64,
    pub org_id: i64,
    pub year: i64,
    pub state: PlanState,
    pub items: Vec<PlanItemView>,
    pub counts: FulfilmentCounts,
}

/// An agency's open-data responsibility as entered.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponsibilityInput {
    /// 责任部门, 1–100 characters.
    pub department: String,
    /// 责任人, 1–50 characters.
    pub person: String,
    /// 联系电话: digits, spaces, `-`, `+`, `(`, `)`; 5–30 characters.
    pub phone: String,
    /// 联系邮箱.
    pub email: String,
}

/// An agency's responsibility with its name.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ResponsibilityView {
    pub org_id: i64,
    pub org_name: String,
    /// Absent while the agency has recorded none.
    pub responsibility: Option<OpenResponsibility>,
}

/// One entry of the open catalogue and its responsibility list
/// (开放目录和责任清单).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OpenCatalogueEntry {
    pub entry_id: i64,
    /// 信息资源代码.
    pub code: String,
    pub name: String,
    pub summary: String,
    pub org_id: i64,
    pub org_name: String,
    pub level: Option<Level>,
    /// `unconditional` or `conditional`.
    pub open_attribute: OpenAttribute,
    /// What a conditional entry's applicant must meet (开放条件).
    pub open_conditions: String,
    /// `daily`, `monthly` …
    pub update_frequency: String,
    pub published_on: Option<NaiveDate>,
    /// The portal's dataset page, when loaded and shown there.
    pub dataset_id: Option<i64>,
    /// 责任部门 (empty while the agency has recorded none).
    pub department: String,
    /// 责任人.
    pub person: String,
    pub phone: String,
    pub email: String,
}

fn year_ok(year: i64) -> Result<()> {
    if (2000..=2100).contains(&year) {
        Ok(())
    } else {
        Err(ServiceError::invalid("year", "a year from 2000 to 2100"))
    }
}

/// `e` with its field names prefixed (an item's refusal names the item).
fn at_item(e: ServiceError, i: usize) -> ServiceError {
    match e {
        ServiceError::Invalid {
            code,
            detail,
            errors,
        } => ServiceError::Invalid {
            code,
            detail: format!("items[{i}]: {detail}"),
            errors: errors
                .into_iter()
                .map(|f| FieldError {
                    field: format!("items[{i}].{}", f.field),
                    message: f.message,
                })
                .collect(),
        },
        other => other,
    }
}

fn not_in_state(state: PlanState, what: &'static str) -> ServiceError {
    let (code, detail) = match what {
        "filed" => (
            "plan_not_filed",
            format!("the plan is {} and not awaiting review", state.as_str()),
        ),
        _ => (
            "plan_not_draft",
            format!(
                "the plan is {} and can no longer be changed by the agency",
                state.as_str()
            ),
        ),
    };
    ServiceError::Conflict { code, detail }
}

/// The top region (the city) and its authority.
fn city_authority(tree: &OrgTree) -> Option<i64> {
    let city = tree
        .walk()
        .into_iter()
        .find(|(_, o)| o.kind == OrgKind::Region && o.parent_id.is_none())
        .map(|(_, o)| o.id)?;
    tree.authority_of(city)
}

impl App {
    // --- priority areas (年度公共数据开放重点, Art. 31)

    /// The priority areas of `year` (anyone, no account needed).
    pub async fn open_priorities(&self, year: i64) -> Result<OpenPriorities> {
        year_ok(year)?;
        let (areas, by) = self.store.open_priorities(year).await?;
        let (updated_by, updated_at) = by.map_or((None, None), |(b, t)| (Some(b), Some(t)));
        Ok(OpenPriorities {
            year,
            areas,
            updated_by,
            updated_at,
        })
    }

    /// Whether `p` sets the year's priorities: a reviewer of the city
    /// authority.
    pub async fn may_set_open_priorities(&self, p: &Principal) -> bool {
        match self.org_tree().await {
            Ok(tree) => city_authority(&tree).is_some_and(|a| {
                crate::policy::authorize(p, Action::ReviewCatalog(a), &tree).is_ok()
            }),
            Err(_) => false,
        }
    }

    /// Sets the priority areas of `year` (a reviewer of the city authority).
    pub async fn put_open_priorities(
        &self,
        p: &Principal,
        year: i64,
        input: PrioritiesInput,
    ) -> Result<OpenPriorities> {
        let tree = self.org_tree().await?;
        let city = city_authority(&tree).ok_or_else(|| ServiceError::Conflict {
            code: "no_authority",
            detail: "the city has no data authority".into(),
        })?;
        self.authorize(p, Action::ReviewCatalog(city)).await?;
        year_ok(year)?;
        if input.areas.is_empty() || input.areas.len() > MAX_PRIORITIES {
            return Err(ServiceError::invalid(
                "areas",
                format!("1 to {MAX_PRIORITIES} priority areas"),
            ));
        }
        let mut seen = HashSet::new();
        let mut clean = Vec::with_capacity(input.areas.len());
        for (i, a) in input.areas.into_iter().enumerate() {
            let d = a.description.trim().to_string();
            if d.is_empty() || d.chars().count() > MAX_DESCRIPTION {
                return Err(ServiceError::invalid(
                    &format!("areas[{i}].description"),
                    format!("1 to {MAX_DESCRIPTION} characters"),
                ));
            }
            if !seen.insert(a.area) {
                return Err(ServiceError::invalid(
                    &format!("areas[{i}].area"),
                    format!("{} is listed twice", a.area.zh()),
                ));
            }
            clean.push(OpenPriority {
                area: a.area,
                description: d,
            });
        }
        let audit = p.event(
            "open.put_priorities",
            format!("open_priorities:{year}"),
            Outcome::Success,
            json!({"year": year, "areas": clean}),
        );
        self.store
            .put_open_priorities(year, &clean, &p.name, audit)
            .await?;
        self.open_priorities(year).await
    }

    // --- yearly open plans (年度公共数据开放计划, Art. 37)

    /// Whether `p` sees `plan` in any state (the agency, the authorities
    /// over it, administrators and auditors); everyone sees acknowledged
    /// plans.
    fn sees_plan_drafts(p: &Principal, org: i64, tree: &OrgTree) -> bool {
        crate::policy::authorize(p, Action::ViewUnpublishedCatalog(org), tree).is_ok()
    }

    /// Checks and completes a plan's items for agency `org` and `year`:
    /// entries of the agency (not delisted), named datasets otherwise,
    /// planned within the year, open attributes that open; nothing the
    /// agency obtained by sharing (Art. 37, `shared_data_not_openable`).
    async fn checked_items(
        &self,
        org: i64,
        year: i64,
        items: Vec<PlanItem>,
    ) -> Result<Vec<PlanItem>> {
        if items.len() > MAX_PLAN_ITEMS {
            return Err(ServiceError::invalid(
                "items",
                format!("at most {MAX_PLAN_ITEMS} items"),
            ));
        }
        // Entries other agencies share with `org` (their names and ids).
        let grants = self
            .store
            .list_grants(&GrantFilter {
                grantee_orgs: Some(vec![org]),
                limit: 10_000,
                ..Default::default()
            })
            .await?;
        let mut shared: HashMap<i64, (i64, CatalogEntry)> = HashMap::new();
        for g in grants.iter().filter(|g| g.source_org != org) {
            if let std::collections::hash_map::Entry::Vacant(v) = shared.entry(g.entry_id) {
                v.insert((g.id, self.load_entry(g.entry_id).await?));
            }
        }
        let shared_refusal = |i: usize, what: String| ServiceError::Invalid {
            code: "shared_data_not_openable",
            detail: format!(
                "通过共享获得的数据不得纳入本机构开放计划和开放目录（第三十七条）(data obtained by sharing cannot be planned for opening by the agency, Art. 37): items[{i}]: {what}"
            ),
            errors: vec![FieldError {
                field: format!("items[{i}]"),
                message: what,
            }],
        };
        let mut out = Vec::with_capacity(items.len());
        let mut entries_seen = HashSet::new();
        for (i, mut item) in items.into_iter().enumerate() {
            item.name = item.name.trim().to_string();
            if item.open_attribute == OpenAttribute::None {
                return Err(ServiceError::invalid(
                    &format!("items[{i}].open_attribute"),
                    "a planned item opens: unconditional or conditional",
                ));
            }
            if i64::from(item.planned_on.year()) != year {
                return Err(ServiceError::invalid(
                    &format!("items[{i}].planned_on"),
                    format!("a day in {year}"),
                ));
            }
            if item.name.chars().count() > MAX_NAME {
                return Err(ServiceError::invalid(
                    &format!("items[{i}].name"),
                    format!("at most {MAX_NAME} characters"),
                ));
            }
            match item.entry_id {
                Some(id) => {
                    if let Some((grant, e)) = shared.get(&id) {
                        return Err(shared_refusal(
                            i,
                            format!(
                                "「{}」（{}）经共享授权 {grant} 获得",
                                e.content.name, e.code
                            ),
                        ));
                    }
                    let e = match self.store.get_entry(id).await {
                        Ok(e) => e,
                        Err(StoreError::NotFound) => {
                            return Err(ServiceError::invalid(
                                &format!("items[{i}].entry_id"),
                                "no such catalogue entry",
                            ));
                        }
                        Err(e) => return Err(e.into()),
                    };
                    if e.org_id != org {
                        return Err(ServiceError::invalid(
                            &format!("items[{i}].entry_id"),
                            "an entry of the agency's own catalogue",
                        ));
                    }
                    if e.state == EntryState::Delisted {
                        return Err(ServiceError::invalid(
                            &format!("items[{i}].entry_id"),
                            "the entry is delisted",
                        ));
                    }
                    if !entries_seen.insert(id) {
                        return Err(ServiceError::invalid(
                            &format!("items[{i}].entry_id"),
                            "the entry is planned twice",
                        ));
                    }
                    // The entry as it would be opened: its items and related
                    // resources must not come from sharing.
                    let mut content = e.content.clone();
                    content.open_attribute = item.open_attribute;
                    self.refuse_shared_data_in_open(org, &content)
                        .await
                        .map_err(|err| at_item(err, i))?;
                    if item.name.is_empty() {
                        item.name = e.content.name.clone();
                    }
                }
                None => {
                    if item.name.is_empty() {
                        return Err(ServiceError::invalid(
                            &format!("items[{i}].name"),
                            "name the dataset, or give its entry_id",
                        ));
                    }
                    if let Some((grant, e)) =
                        shared.values().find(|(_, e)| e.content.name == item.name)
                    {
                        return Err(shared_refusal(
                            i,
                            format!(
                                "「{}」是经共享授权 {grant} 获得的{}（{}）",
                                item.name, e.content.name, e.code
                            ),
                        ));
                    }
                }
            }
            out.push(item);
        }
        Ok(out)
    }

    async fn load_plan(&self, id: i64) -> Result<OpenPlan> {
        self.store
            .get_open_plan(id)
            .await
            .map_err(ServiceError::not_found("open plan"))
    }

    /// How each item of `items` stands today.
    pub(crate) async fn item_views(&self, items: &[PlanItem]) -> Result<Vec<PlanItemView>> {
        let today = today_cst();
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let mut code = None;
            let mut opened_on = None;
            let mut dataset_id = None;
            if let Some(id) = item.entry_id
                && let Ok(e) = self.store.get_entry(id).await
            {
                code = Some(e.code.clone());
                let open = matches!(
                    e.content.open_attribute,
                    OpenAttribute::Unconditional | OpenAttribute::Conditional
                ) && e.published_version.is_some()
                    && e.state != EntryState::Delisted;
                if open
                    && let Some(d) = self.store.dataset_of_entry(id).await?
                    && d.current_version > 0
                {
                    let first_load = self
                        .store
                        .dataset_versions(d.id)
                        .await?
                        .iter()
                        .map(|v| {
                            v.created_at
                                .with_timezone(&pubdata_domain::calendar::cst())
                                .date_naive()
                        })
                        .min();
                    opened_on = match (e.published_on, first_load) {
                        (Some(a), Some(b)) => Some(a.max(b)),
                        (a, b) => a.or(b),
                    };
                    dataset_id = Some(d.id);
                }
            }
            out.push(PlanItemView {
                entry_id: item.entry_id,
                entry_code: code,
                name: item.name.clone(),
                area: item.area,
                planned_on: item.planned_on,
                open_attribute: item.open_attribute,
                opened_on,
                dataset_id,
                fulfilment: fulfilment(opened_on, item.planned_on, today),
            });
        }
        Ok(out)
    }

    async fn plan_view(
        &self,
        plan: OpenPlan,
        tree: &OrgTree,
        internal: bool,
    ) -> Result<OpenPlanView> {
        let items = self.item_views(&plan.items).await?;
        let org = tree.get(plan.org_id);
        let region_id = tree.region_of(plan.org_id);
        let name = |id: i64| tree.get(id).map(|o| o.name.clone()).unwrap_or_default();
        let staff = |v: Option<String>| v.filter(|_| internal);
        Ok(OpenPlanView {
            id: plan.id,
            org_id: plan.org_id,
            org_name: name(plan.org_id),
            level: org.and_then(|o| o.level),
            region_id,
            region_name: region_id.map(name).unwrap_or_default(),
            year: plan.year,
            authority_id: plan.authority_id,
            authority_name: name(plan.authority_id),
            state: plan.state,
            version: plan.version,
            return_reason: plan.return_reason,
            filed_by: staff(plan.filed_by),
            filed_at: plan.filed_at,
            reviewed_by: staff(plan.reviewed_by),
            reviewed_at: plan.reviewed_at,
            created_by: staff(Some(plan.created_by)),
            created_at: plan.created_at,
            updated_at: plan.updated_at,
            counts: FulfilmentCounts::of(&items),
            items,
        })
    }

    /// Drafts an agency's plan for a year (its data administrators); one
    /// plan per agency and year (409 `plan_exists`).
    pub async fn create_open_plan(&self, p: &Principal, req: NewPlan) -> Result<OpenPlanView> {
        let tree = self.org_tree().await?;
        let Some(org) = tree.get(req.org_id).filter(|o| o.kind == OrgKind::Agency) else {
            return Err(ServiceError::invalid("org_id", "a public agency"));
        };
        let org_id = org.id;
        self.authorize(p, Action::EditCatalog(org_id)).await?;
        year_ok(req.year)?;
        let authority = authority_of(&tree, org_id).ok_or_else(|| ServiceError::Conflict {
            code: "no_authority",
            detail: "the agency's level has no data authority to file the plan with".into(),
        })?;
        let items = self.checked_items(org_id, req.year, req.items).await?;
        let audit = p.event(
            "open_plan.create",
            "",
            Outcome::Success,
            json!({"org_id": org_id, "year": req.year, "items": items.len()}),
        );
        let plan = self
            .store
            .create_open_plan(
                NewOpenPlan {
                    org_id,
                    year: req.year,
                    authority_id: authority,
                    items,
                    actor: p.name.clone(),
                },
                audit,
            )
            .await
            .map_err(|e| match e {
                StoreError::Conflict { .. } => ServiceError::Conflict {
                    code: "plan_exists",
                    detail: format!("the agency already has a plan for {}", req.year),
                },
                other => other.into(),
            })?;
        self.plan_view(plan, &tree, true).await
    }

    /// One plan: acknowledged plans for anyone; others for the agency and
    /// the authorities over it (404 to anyone else).
    pub async fn open_plan(&self, p: &Principal, id: i64) -> Result<OpenPlanView> {
        let plan = self.load_plan(id).await?;
        let tree = self.org_tree().await?;
        let internal = Self::sees_plan_drafts(p, plan.org_id, &tree);
        if !internal && plan.state != PlanState::Acknowledged {
            return Err(ServiceError::NotFound { what: "open plan" });
        }
        self.plan_view(plan, &tree, internal).await
    }

    /// Plans of `year` (all years when `None`) and agency (all when
    /// `None`): the acknowledged ones for anyone, and the others the
    /// caller may see. Agencies of a level's regions below are included
    /// (a county's plans are gathered to the city, 汇集到上一级).
    pub async fn open_plans(
        &self,
        p: &Principal,
        year: Option<i64>,
        org: Option<i64>,
    ) -> Result<Vec<OpenPlanView>> {
        if let Some(y) = year {
            year_ok(y)?;
        }
        let tree = self.org_tree().await?;
        let plans = self
            .store
            .list_open_plans(&OpenPlanFilter {
                year,
                org_ids: org.map(|o| vec![o]),
                states: None,
            })
            .await?;
        let mut out = Vec::new();
        for plan in plans {
            let internal = Self::sees_plan_drafts(p, plan.org_id, &tree);
            if internal || plan.state == PlanState::Acknowledged {
                out.push(self.plan_view(plan, &tree, internal).await?);
            }
        }
        Ok(out)
    }

    /// Replaces a draft's (or returned plan's) items (409 `plan_not_draft`
    /// once filed or acknowledged). A returned plan becomes a draft again.
    pub async fn edit_open_plan(
        &self,
        p: &Principal,
        id: i64,
        edit: PlanEdit,
    ) -> Result<OpenPlanView> {
        let plan = self.load_plan(id).await?;
        self.authorize(p, Action::EditCatalog(plan.org_id)).await?;
        if !plan.state.editable() {
            return Err(not_in_state(plan.state, "draft"));
        }
        let items = self
            .checked_items(plan.org_id, plan.year, edit.items)
            .await?;
        let audit = p.event(
            "open_plan.update",
            format!("open_plan:{id}"),
            Outcome::Success,
            json!({"items": items}),
        );
        let changed = self
            .store
            .change_open_plan(
                PlanChange {
                    id,
                    expect: vec![PlanState::Draft, PlanState::Returned],
                    new_state: PlanState::Draft,
                    items: Some(items),
                    return_reason: None,
                    stamp: PlanStamp::Edit,
                    actor: p.name.clone(),
                },
                audit,
            )
            .await
            .map_err(|e| self.plan_state_conflict(e, "draft"))?;
        let tree = self.org_tree().await?;
        self.plan_view(changed, &tree, true).await
    }

    fn plan_state_conflict(&self, e: StoreError, what: &'static str) -> ServiceError {
        match e {
            StoreError::Conflict { .. } => ServiceError::Conflict {
                code: if what == "filed" {
                    "plan_not_filed"
                } else {
                    "plan_not_draft"
                },
                detail: "the plan changed state meanwhile; reload it".into(),
            },
            StoreError::NotFound => ServiceError::NotFound { what: "open plan" },
            other => other.into(),
        }
    }

    /// Files a draft (or returned) plan with the authority of the agency's
    /// level (备案). Its items are checked again (an entry may have changed);
    /// an empty plan is refused (422 `plan_empty`).
    pub async fn file_open_plan(&self, p: &Principal, id: i64) -> Result<OpenPlanView> {
        let plan = self.load_plan(id).await?;
        self.authorize(p, Action::EditCatalog(plan.org_id)).await?;
        if !plan.state.editable() {
            return Err(not_in_state(plan.state, "draft"));
        }
        if plan.items.is_empty() {
            return Err(ServiceError::Invalid {
                code: "plan_empty",
                detail: "a plan to file lists at least one item".into(),
                errors: vec![FieldError {
                    field: "items".into(),
                    message: "at least one item".into(),
                }],
            });
        }
        let items = self
            .checked_items(plan.org_id, plan.year, plan.items.clone())
            .await?;
        let audit = p.event(
            "open_plan.file",
            format!("open_plan:{id}"),
            Outcome::Success,
            json!({"authority_id": plan.authority_id, "version": plan.version, "items": items.len()}),
        );
        let changed = self
            .store
            .change_open_plan(
                PlanChange {
                    id,
                    expect: vec![PlanState::Draft, PlanState::Returned],
                    new_state: PlanState::Filed,
                    items: Some(items),
                    return_reason: Some(String::new()),
                    stamp: PlanStamp::Filing,
                    actor: p.name.clone(),
                },
                audit,
            )
            .await
            .map_err(|e| self.plan_state_conflict(e, "draft"))?;
        let tree = self.org_tree().await?;
        self.plan_view(changed, &tree, true).await
    }

    /// The authority acknowledges a filed plan (then published) or returns
    /// it with a reason (422 `reason_required` without); 409
    /// `plan_not_filed` when it is not awaiting review.
    pub async fn review_open_plan(
        &self,
        p: &Principal,
        id: i64,
        r: PlanReview,
    ) -> Result<OpenPlanView> {
        let plan = self.load_plan(id).await?;
        self.authorize(p, Action::ReviewCatalog(plan.authority_id))
            .await?;
        if plan.state != PlanState::Filed {
            return Err(not_in_state(plan.state, "filed"));
        }
        let reason = r.reason.trim().to_string();
        if reason.chars().count() > 500 {
            return Err(ServiceError::invalid("reason", "at most 500 characters"));
        }
        let (state, action) = match r.decision {
            PlanDecision::Acknowledge => (PlanState::Acknowledged, "open_plan.acknowledge"),
            PlanDecision::Return => {
                if reason.is_empty() {
                    return Err(ServiceError::Invalid {
                        code: "reason_required",
                        detail: "a returned plan states why".into(),
                        errors: vec![FieldError {
                            field: "reason".into(),
                            message: "required when returning".into(),
                        }],
                    });
                }
                (PlanState::Returned, "open_plan.return")
            }
        };
        let audit = p.event(
            action,
            format!("open_plan:{id}"),
            Outcome::Success,
            json!({"version": plan.version, "reason": reason}),
        );
        let changed = self
            .store
            .change_open_plan(
                PlanChange {
                    id,
                    expect: vec![PlanState::Filed],
                    new_state: state,
                    items: None,
                    return_reason: (state == PlanState::Returned).then_some(reason),
                    stamp: PlanStamp::Review,
                    actor: p.name.clone(),
                },
                audit,
            )
            .await
            .map_err(|e| self.plan_state_conflict(e, "filed"))?;
        let tree = self.org_tree().await?;
        self.plan_view(changed, &tree, true).await
    }

    /// How an agency's plan of `year` is fulfilled today, item by item,
    /// whatever its state (`None` when it has none) — computed from the
    /// catalogue and the datasets, for supervision.
    pub async fn open_plan_fulfilment(
        &self,
        org: i64,
        year: i64,
    ) -> Result<Option<PlanFulfilment>> {
        let plans = self
            .store
            .list_open_plans(&OpenPlanFilter {
                year: Some(year),
                org_ids: Some(vec![org]),
                states: None,
            })
            .await?;
        let Some(plan) = plans.into_iter().next() else {
            return Ok(None);
        };
        let items = self.item_views(&plan.items).await?;
        Ok(Some(PlanFulfilment {
            plan_id: plan.id,
            org_id: plan.org_id,
            year: plan.year,
            state: plan.state,
            counts: FulfilmentCounts::of(&items),
            items,
        }))
    }

    /// The entries an agency may plan (its own, not delisted), as (id,
    /// code, name); for the plan form.
    pub async fn plan_candidates(
        &self,
        p: &Principal,
        org: i64,
    ) -> Result<Vec<(i64, String, String)>> {
        self.authorize(p, Action::ViewUnpublishedCatalog(org))
            .await?;
        let entries = self
            .store
            .list_entries(&EntryFilter {
                org_ids: Some(vec![org]),
                limit: 10_000,
                ..Default::default()
            })
            .await?;
        let mut out: Vec<(i64, String, String)> = entries
            .into_iter()
            .filter(|e| e.state != EntryState::Delisted && e.org_id == org)
            .map(|e| (e.id, e.code, e.content.name))
            .collect();
        out.sort_by(|a, b| a.1.cmp(&b.1));
        Ok(out)
    }

    /// The agencies whose plans `p` drafts and files (its data
    /// administrator's roles).
    pub async fn plan_agencies(&self, p: &Principal) -> Result<Vec<(i64, String)>> {
        let tree = self.org_tree().await?;
        let mut out = Vec::new();
        for g in &p.roles {
            if let Some(o) = tree.get(g.org_id).filter(|o| o.kind == OrgKind::Agency)
                && crate::policy::authorize(p, Action::EditCatalog(o.id), &tree).is_ok()
                && !out.iter().any(|(id, _)| *id == o.id)
            {
                out.push((o.id, o.name.clone()));
            }
        }
        Ok(out)
    }

    // --- responsibility and the open catalogue (开放目录和责任清单)

    /// An agency's open-data responsibility (anyone).
    pub async fn open_responsibility(&self, org: i64) -> Result<ResponsibilityView> {
        let tree = self.org_tree().await?;
        let Some(o) = tree.get(org).filter(|o| o.kind == OrgKind::Agency) else {
            return Err(ServiceError::NotFound { what: "agency" });
        };
        let r = self
            .store
            .open_responsibilities()
            .await?
            .into_iter()
            .find(|r| r.org_id == org);
        Ok(ResponsibilityView {
            org_id: org,
            org_name: o.name.clone(),
            responsibility: r,
        })
    }

    /// Records an agency's responsible department and person (its data
    /// administrators).
    pub async fn put_open_responsibility(
        &self,
        p: &Principal,
        org: i64,
        input: ResponsibilityInput,
    ) -> Result<ResponsibilityView> {
        let tree = self.org_tree().await?;
        if tree.get(org).is_none_or(|o| o.kind != OrgKind::Agency) {
            return Err(ServiceError::NotFound { what: "agency" });
        }
        self.authorize(p, Action::EditCatalog(org)).await?;
        let text = |field: &str, v: &str, max: usize| -> Result<String> {
            let v = v.trim();
            if v.is_empty() || v.chars().count() > max {
                return Err(ServiceError::invalid(
                    field,
                    format!("1 to {max} characters"),
                ));
            }
            Ok(v.to_string())
        };
        let department = text("department", &input.department, 100)?;
        let person = text("person", &input.person, 50)?;
        let phone = text("phone", &input.phone, 30)?;
        if phone.chars().count() < 5
            || !phone
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '+' | '(' | ')'))
        {
            return Err(ServiceError::invalid(
                "phone",
                "a telephone number: digits, spaces, - + ( )",
            ));
        }
        let email = text("email", &input.email, 100)?;
        let valid_email = email.split_once('@').is_some_and(|(a, d)| {
            !a.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.')
        }) && !email.chars().any(char::is_whitespace);
        if !valid_email {
            return Err(ServiceError::invalid("email", "an e-mail address"));
        }
        let r = OpenResponsibility {
            org_id: org,
            department,
            person,
            phone,
            email,
            updated_by: p.name.clone(),
            updated_at: Utc::now(),
        };
        let audit = p.event(
            "open.put_responsibility",
            format!("org:{org}"),
            Outcome::Success,
            json!({"department": r.department, "person": r.person, "phone": r.phone, "email": r.email}),
        );
        self.store.put_open_responsibility(&r, audit).await?;
        self.open_responsibility(org).await
    }

    /// The open catalogue and its responsibility list: every published,
    /// open (unconditional or conditional) entry, not delisted, of agency
    /// `org` or level `level` (all when `None`), with the agency's
    /// responsible department and person. Not-open entries never appear.
    pub async fn open_catalogue(
        &self,
        org: Option<i64>,
        level: Option<Level>,
    ) -> Result<Vec<OpenCatalogueEntry>> {
        let tree = self.org_tree().await?;
        let resp: HashMap<i64, OpenResponsibility> = self
            .store
            .open_responsibilities()
            .await?
            .into_iter()
            .map(|r| (r.org_id, r))
            .collect();
        let mut entries = Vec::new();
        for attr in [OpenAttribute::Unconditional, OpenAttribute::Conditional] {
            entries.extend(
                self.store
                    .list_entries(&EntryFilter {
                        org_ids: org.map(|o| vec![o]),
                        level,
                        open_attribute: Some(attr),
                        published_only: true,
                        limit: 100_000,
                        ..Default::default()
                    })
                    .await?,
            );
        }
        entries.sort_by_key(|e| (e.org_id, e.code.clone()));
        let mut out = Vec::with_capacity(entries.len());
        for e in entries {
            if e.published_version.is_none() || e.state == EntryState::Delisted {
                continue;
            }
            let dataset_id = match self.store.dataset_of_entry(e.id).await? {
                Some(d) if d.current_version > 0 => {
                    let shown = if e.content.open_attribute == OpenAttribute::Unconditional {
                        self.public_may_read(&d).await?
                    } else {
                        super::is_conditionally_open(&e, &d)
                    };
                    shown.then_some(d.id)
                }
                _ => None,
            };
            let r = resp.get(&e.org_id);
            let field =
                |f: fn(&OpenResponsibility) -> &String| r.map(f).cloned().unwrap_or_default();
            out.push(OpenCatalogueEntry {
                entry_id: e.id,
                code: e.code.clone(),
                name: e.content.name.clone(),
                summary: e.content.summary.clone(),
                org_id: e.org_id,
                org_name: tree
                    .get(e.org_id)
                    .map(|o| o.name.clone())
                    .unwrap_or_default(),
                level: e.level,
                open_attribute: e.content.open_attribute,
                open_conditions: e.content.open_conditions.clone(),
                update_frequency: e.content.update_frequency.as_str().to_string(),
                published_on: e.published_on,
                dataset_id,
                department: field(|r| &r.department),
                person: field(|r| &r.person),
                phone: field(|r| &r.phone),
                email: field(|r| &r.email),
            });
        }
        Ok(out)
    }
}
