//! Open data plans (开放计划, OPN-2) as pages.
//!
//! Portal (no account): `/open/plans` — the year's priority areas and the
//! acknowledged plans of every agency by level, with their fulfilment;
//! `/open/catalogue` — the open catalogue and its responsibility list.
//!
//! Signed in: `/plans` — an agency's plans (draft, add and remove items,
//! file), its responsibility form; the authority's filed plans to review;
//! the city authority's priority areas.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use chrono::Datelike;
use minijinja::{Value, context};
use pubdata_domain::calendar::today_cst;
use pubdata_domain::catalog::OpenAttribute;
use pubdata_domain::open_plan::{PlanItem, PlanState, PriorityArea};
use pubdata_domain::org::Level;
use pubdata_service::Principal;
use pubdata_service::open::plans::OpenPriority;
use pubdata_service::open::plans::{
    NewPlan, OpenPlanView, PlanDecision, PlanEdit, PlanReview, PrioritiesInput, ResponsibilityInput,
};
use pubdata_service::policy::Action;
use serde::Deserialize;

use super::open::Visitor;
use super::{PageCaller, PageResult, base, form_outcome, local_time, not_the_forms};
use crate::AppState;
use crate::extract::{CsrfForm, Lang, NoFields};

fn this_year() -> i64 {
    i64::from(today_cst().year())
}

fn areas(lang: Lang) -> Vec<Value> {
    PriorityArea::ALL
        .iter()
        .map(|a| context! { value => a.as_str(), name => lang.pick(a.zh(), a.en()) })
        .collect()
}

fn frequency(lang: Lang, f: &str) -> String {
    f.parse::<pubdata_domain::catalog::Frequency>()
        .map(|f| lang.pick(f.zh(), f.en()).to_string())
        .unwrap_or_else(|_| f.to_string())
}

fn plan_row(lang: Lang, v: &OpenPlanView) -> Value {
    context! {
        id => v.id,
        org => v.org_name.clone(),
        org_id => v.org_id,
        region => v.region_name.clone(),
        level => v.level.map(|l| lang.pick(l.zh(), l.en())),
        year => v.year,
        authority => v.authority_name.clone(),
        state => v.state.as_str(),
        state_name => lang.pick(v.state.zh(), v.state.en()),
        return_reason => v.return_reason.clone(),
        filed_at => v.filed_at.as_ref().map(local_time),
        reviewed_at => v.reviewed_at.as_ref().map(local_time),
        filed_by => v.filed_by.clone(),
        reviewed_by => v.reviewed_by.clone(),
        counts => context! {
            total => v.counts.total, fulfilled => v.counts.fulfilled, late => v.counts.late,
            pending => v.counts.pending, overdue => v.counts.overdue,
        },
        items => v.items.iter().enumerate().map(|(i, it)| context! {
            index => i,
            entry_id => it.entry_id,
            code => it.entry_code.clone(),
            name => it.name.clone(),
            area => lang.pick(it.area.zh(), it.area.en()),
            planned_on => it.planned_on.to_string(),
            open_attribute => lang.pick(it.open_attribute.zh(), it.open_attribute.en()),
            opened_on => it.opened_on.map(|d| d.to_string()),
            dataset_id => it.dataset_id,
            fulfilment => it.fulfilment.as_str(),
            fulfilment_name => lang.pick(it.fulfilment.zh(), it.fulfilment.en()),
        }).collect::<Vec<_>>(),
    }
}

#[derive(Deserialize)]
pub struct PortalPlansQuery {
    year: Option<i64>,
}

/// The portal's plans page: the year's priorities and the acknowledged
/// plans, the city's first, then each county's (汇集到上一级).
pub async fn portal_plans(
    State(s): State<AppState>,
    Visitor(p, signed_in): Visitor,
    lang: Lang,
    Query(q): Query<PortalPlansQuery>,
) -> PageResult {
    s.app.take_open_rate(&p, 1.0)?;
    let year = q
        .year
        .filter(|y| (2000..=2100).contains(y))
        .unwrap_or_else(this_year);
    let priorities = s.app.open_priorities(year).await?;
    // The public's view: acknowledged plans only, whoever asks.
    let plans: Vec<OpenPlanView> = s
        .app
        .open_plans(&p, Some(year), None)
        .await?
        .into_iter()
        .filter(|v| v.state == PlanState::Acknowledged)
        .collect();
    let mut groups: Vec<(Option<Level>, String, Vec<Value>)> = Vec::new();
    let mut sorted = plans;
    sorted.sort_by_key(|v| {
        (
            v.level != Some(Level::City),
            v.region_name.clone(),
            v.org_name.clone(),
        )
    });
    for v in &sorted {
        match groups.last_mut() {
            Some(g) if g.1 == v.region_name => g.2.push(plan_row(lang, v)),
            _ => groups.push((v.level, v.region_name.clone(), vec![plan_row(lang, v)])),
        }
    }
    let ctx = context! {
        year => year,
        years => ((this_year() - 2)..=(this_year() + 1)).rev().collect::<Vec<_>>(),
        priorities => priorities.areas.iter().map(|a| context! {
            area => lang.pick(a.area.zh(), a.area.en()), description => a.description.clone(),
        }).collect::<Vec<_>>(),
        groups => groups.into_iter().map(|(level, region, plans)| context! {
            level => level.map(|l| lang.pick(l.zh(), l.en())), region => region, plans => plans,
        }).collect::<Vec<_>>(),
        lang => lang.code(), path => "/open/plans", signed_in => signed_in,
    };
    Ok(s.templates.render("open_plans.html", ctx))
}

#[derive(Deserialize)]
pub struct CatalogueQuery {
    org: Option<i64>,
    #[serde(default)]
    level: String,
}

/// The portal's open catalogue and responsibility list.
pub async fn portal_catalogue(
    State(s): State<AppState>,
    Visitor(p, signed_in): Visitor,
    lang: Lang,
    Query(q): Query<CatalogueQuery>,
) -> PageResult {
    s.app.take_open_rate(&p, 1.0)?;
    let level = q.level.parse::<Level>().ok();
    let all = s.app.open_catalogue(None, level).await?;
    let mut agencies: Vec<(i64, String)> = Vec::new();
    for e in &all {
        if !agencies.iter().any(|(id, _)| *id == e.org_id) {
            agencies.push((e.org_id, e.org_name.clone()));
        }
    }
    let org = q.org.filter(|o| agencies.iter().any(|(id, _)| id == o));
    let entries: Vec<Value> = all
        .iter()
        .filter(|e| org.is_none_or(|o| e.org_id == o))
        .map(|e| {
            context! {
                code => e.code.clone(),
                name => e.name.clone(),
                org => e.org_name.clone(),
                org_id => e.org_id,
                conditional => e.open_attribute == OpenAttribute::Conditional,
                open_attribute => lang.pick(e.open_attribute.zh(), e.open_attribute.en()),
                frequency => frequency(lang, &e.update_frequency),
                department => e.department.clone(),
                person => e.person.clone(),
                phone => e.phone.clone(),
                email => e.email.clone(),
                dataset_id => e.dataset_id,
            }
        })
        .collect();
    let ctx = context! {
        entries => entries,
        agencies => agencies.iter().map(|(id, name)| context! { id => id, name => name }).collect::<Vec<_>>(),
        org => org,
        level => level.map(|l| l.as_str()),
        lang => lang.code(), path => "/open/catalogue", signed_in => signed_in,
    };
    Ok(s.templates.render("open_catalogue.html", ctx))
}

// --- signed-in pages

async fn render_workspace(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    error: Option<String>,
) -> PageResult {
    let agencies = s.app.plan_agencies(p).await?;
    let plans = s.app.open_plans(p, None, None).await?;
    let mut to_review = Vec::new();
    for v in plans.iter().filter(|v| v.state == PlanState::Filed) {
        if s.app.can(p, Action::ReviewCatalog(v.authority_id)).await {
            to_review.push(plan_row(lang, v));
        }
    }
    let year = this_year();
    let set_priorities = s.app.may_set_open_priorities(p).await;
    let priorities = s.app.open_priorities(year).await?;
    let ctx = context! {
        agencies => agencies.iter().map(|(id, name)| context! { id => id, name => name }).collect::<Vec<_>>(),
        plans => plans.iter().map(|v| plan_row(lang, v)).collect::<Vec<_>>(),
        to_review => to_review,
        year => year,
        set_priorities => set_priorities,
        areas => areas(lang),
        priorities => PriorityArea::ALL.iter().map(|a| context! {
            value => a.as_str(),
            name => lang.pick(a.zh(), a.en()),
            description => priorities.areas.iter().find(|x| x.area == *a).map(|x| x.description.clone()).unwrap_or_default(),
        }).collect::<Vec<_>>(),
        error => error,
        ..base(s, p, lang, "/plans").await
    };
    Ok(s.templates.render("plans.html", ctx))
}

/// The workspace: the caller's agency's plans and the new-plan form, the
/// plans its authority has to review, the city authority's priorities.
pub async fn workspace(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
) -> PageResult {
    render_workspace(&s, &p, lang, None).await
}

#[derive(Deserialize)]
pub struct NewPlanForm {
    org_id: i64,
    year: i64,
}

pub async fn create(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    CsrfForm(f): CsrfForm<NewPlanForm>,
) -> PageResult {
    let req = NewPlan {
        org_id: f.org_id,
        year: f.year,
        items: vec![],
    };
    form_outcome(
        s.app.create_open_plan(&p, req).await,
        |v| format!("/plans/{}", v.id),
        |m| render_workspace(&s, &p, lang, Some(m)),
    )
    .await
}

#[derive(Deserialize)]
pub struct PrioritiesForm {
    year: i64,
    #[serde(default)]
    area: Vec<String>,
    #[serde(default)]
    description: Vec<String>,
}

/// The city authority sets the year's priorities: one description per
/// area, empty for an area not chosen.
pub async fn put_priorities(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    CsrfForm(f): CsrfForm<PrioritiesForm>,
) -> PageResult {
    let areas: Vec<OpenPriority> = f
        .area
        .iter()
        .zip(f.description.iter())
        .filter(|(_, d)| !d.trim().is_empty())
        .filter_map(|(a, d)| {
            a.parse::<PriorityArea>().ok().map(|area| OpenPriority {
                area,
                description: d.clone(),
            })
        })
        .collect();
    match s
        .app
        .put_open_priorities(&p, f.year, PrioritiesInput { areas })
        .await
    {
        Ok(_) => Ok(Redirect::to("/plans").into_response()),
        Err(e) if not_the_forms(&e) => Err(e.into()),
        Err(e) => render_workspace(&s, &p, lang, Some(e.to_string())).await,
    }
}

async fn render_plan(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    id: i64,
    error: Option<String>,
) -> PageResult {
    let v = s.app.open_plan(p, id).await?;
    let can_edit = v.state.editable() && s.app.can(p, Action::EditCatalog(v.org_id)).await;
    let can_review =
        v.state == PlanState::Filed && s.app.can(p, Action::ReviewCatalog(v.authority_id)).await;
    let candidates = if can_edit {
        s.app.plan_candidates(p, v.org_id).await?
    } else {
        vec![]
    };
    let today = today_cst();
    let default_day = chrono::NaiveDate::from_ymd_opt(v.year as i32, 12, 31)
        .filter(|d| *d >= today)
        .unwrap_or(today);
    let ctx = context! {
        plan => plan_row(lang, &v),
        can_edit => can_edit,
        can_review => can_review,
        candidates => candidates.iter().map(|(id, code, name)| context! { id => id, code => code, name => name }).collect::<Vec<_>>(),
        areas => areas(lang),
        default_day => default_day.to_string(),
        error => error,
        ..base(s, p, lang, "/plans").await
    };
    Ok(s.templates.render("plan.html", ctx))
}

pub async fn plan_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
) -> PageResult {
    render_plan(&s, &p, lang, id, None).await
}

#[derive(Deserialize)]
pub struct ItemForm {
    #[serde(default)]
    entry_id: String,
    #[serde(default)]
    name: String,
    area: String,
    planned_on: String,
    open_attribute: String,
}

async fn save_items(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    id: i64,
    items: Vec<PlanItem>,
) -> PageResult {
    match s.app.edit_open_plan(p, id, PlanEdit { items }).await {
        Ok(_) => Ok(Redirect::to(&format!("/plans/{id}")).into_response()),
        Err(e) if not_the_forms(&e) => Err(e.into()),
        Err(e) => render_plan(s, p, lang, id, Some(e.to_string())).await,
    }
}

/// Adds an item to a draft.
pub async fn add_item(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<ItemForm>,
) -> PageResult {
    let bad = |m: &str| Some(m.to_string());
    let entry_id = match f.entry_id.trim() {
        "" => None,
        v => match v.parse::<i64>() {
            Ok(x) => Some(x),
            Err(_) => return render_plan(&s, &p, lang, id, bad("entry_id")).await,
        },
    };
    let (Ok(area), Ok(planned_on), Ok(open_attribute)) = (
        f.area.parse::<PriorityArea>(),
        f.planned_on.trim().parse::<chrono::NaiveDate>(),
        f.open_attribute.parse::<OpenAttribute>(),
    ) else {
        let msg = lang.pick(
            "请选择重点领域、开放属性，并按 YYYY-MM-DD 填写计划开放日期",
            "choose the area and open attribute, and give the planned date as YYYY-MM-DD",
        );
        return render_plan(&s, &p, lang, id, bad(msg)).await;
    };
    let v = s.app.open_plan(&p, id).await?;
    let mut items: Vec<PlanItem> = v
        .items
        .iter()
        .map(|i| PlanItem {
            entry_id: i.entry_id,
            name: i.name.clone(),
            area: i.area,
            planned_on: i.planned_on,
            open_attribute: i.open_attribute,
        })
        .collect();
    items.push(PlanItem {
        entry_id,
        name: f.name,
        area,
        planned_on,
        open_attribute,
    });
    save_items(&s, &p, lang, id, items).await
}

/// Removes an item from a draft.
pub async fn remove_item(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path((id, index)): Path<(i64, usize)>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    let v = s.app.open_plan(&p, id).await?;
    let items: Vec<PlanItem> = v
        .items
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != index)
        .map(|(_, i)| PlanItem {
            entry_id: i.entry_id,
            name: i.name.clone(),
            area: i.area,
            planned_on: i.planned_on,
            open_attribute: i.open_attribute,
        })
        .collect();
    save_items(&s, &p, lang, id, items).await
}

/// Files the plan with the level's authority.
pub async fn file(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    form_outcome(
        s.app.file_open_plan(&p, id).await,
        |_| format!("/plans/{id}"),
        |m| render_plan(&s, &p, lang, id, Some(m)),
    )
    .await
}

#[derive(Deserialize)]
pub struct ReviewForm {
    decision: String,
    #[serde(default)]
    reason: String,
}

/// The authority acknowledges or returns a filed plan.
pub async fn review(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<ReviewForm>,
) -> PageResult {
    let decision = if f.decision == "return" {
        PlanDecision::Return
    } else {
        PlanDecision::Acknowledge
    };
    let r = PlanReview {
        decision,
        reason: f.reason,
    };
    form_outcome(
        s.app.review_open_plan(&p, id, r).await,
        |_| format!("/plans/{id}"),
        |m| render_plan(&s, &p, lang, id, Some(m)),
    )
    .await
}

#[derive(Deserialize)]
pub struct ResponsibilityQuery {
    org: Option<i64>,
}

async fn render_responsibility(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    org: Option<i64>,
    error: Option<String>,
    form: Option<&ResponsibilityForm>,
) -> PageResult {
    let agencies = s.app.plan_agencies(p).await?;
    let org = org
        .filter(|o| agencies.iter().any(|(id, _)| id == o))
        .or(agencies.first().map(|(id, _)| *id));
    let current = match org {
        Some(o) => Some(s.app.open_responsibility(o).await?),
        None => None,
    };
    let r = current.as_ref().and_then(|c| c.responsibility.clone());
    let value = |f: Option<&str>, stored: Option<&String>| {
        f.map(str::to_string)
            .or_else(|| stored.cloned())
            .unwrap_or_default()
    };
    let ctx = context! {
        agencies => agencies.iter().map(|(id, name)| context! { id => id, name => name }).collect::<Vec<_>>(),
        org => org,
        org_name => current.as_ref().map(|c| c.org_name.clone()),
        department => value(form.map(|f| f.department.as_str()), r.as_ref().map(|r| &r.department)),
        person => value(form.map(|f| f.person.as_str()), r.as_ref().map(|r| &r.person)),
        phone => value(form.map(|f| f.phone.as_str()), r.as_ref().map(|r| &r.phone)),
        email => value(form.map(|f| f.email.as_str()), r.as_ref().map(|r| &r.email)),
        updated => r.as_ref().map(|r| format!("{} · {}", r.updated_by, local_time(&r.updated_at))),
        error => error,
        ..base(s, p, lang, "/plans").await
    };
    Ok(s.templates.render("plan_responsibility.html", ctx))
}

/// An agency's open-data responsibility form.
pub async fn responsibility_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Query(q): Query<ResponsibilityQuery>,
) -> PageResult {
    render_responsibility(&s, &p, lang, q.org, None, None).await
}

#[derive(Deserialize)]
pub struct ResponsibilityForm {
    org_id: i64,
    #[serde(default)]
    department: String,
    #[serde(default)]
    person: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
}

pub async fn put_responsibility(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    CsrfForm(f): CsrfForm<ResponsibilityForm>,
) -> PageResult {
    let input = ResponsibilityInput {
        department: f.department.clone(),
        person: f.person.clone(),
        phone: f.phone.clone(),
        email: f.email.clone(),
    };
    match s.app.put_open_responsibility(&p, f.org_id, input).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/plans/responsibility?org={}", f.org_id)).into_response())
        }
        Err(e) if not_the_forms(&e) => Err(e.into()),
        Err(e) => {
            render_responsibility(&s, &p, lang, Some(f.org_id), Some(e.to_string()), Some(&f)).await
        }
    }
}
