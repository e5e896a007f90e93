//! Government IT projects (政务信息化项目, SUP-2, Art. 47): the list with the
//! register form (public data list at approval), and a project's page with
//! its compliance table — ✓/✗ per listed entry for catalogued, aggregated
//! and shared, with the reason — and the authority's acceptance.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use minijinja::{Value, context};
use pubdata_domain::project::DataUse;
use pubdata_service::model::ProjectEntry;
use pubdata_service::projects::{AcceptanceInput, CheckOutcome, ProjectInput, ProjectView};
use pubdata_service::{Principal, ServiceError};
use serde::Deserialize;

use super::{PageCaller, PageResult, base, form_outcome, local_time, text};
use crate::AppState;
use crate::extract::{CsrfForm, Lang};

fn project_row(lang: Lang, v: &ProjectView) -> Value {
    let x = &v.project;
    context! {
        id => x.id,
        name => x.name.clone(),
        code => x.code.clone(),
        agency => v.agency_name.clone(),
        approved_on => x.approved_on.to_string(),
        planned_acceptance_on => x.planned_acceptance_on.to_string(),
        state => x.state.as_str(),
        state_text => lang.pick(x.state.zh(), x.state.en()),
        entries => v.entry_views.len(),
        compliant => x.compliant,
        override_reason => x.override_reason.clone(),
        accepted_by => x.accepted_by.clone(),
        accepted_at => x.accepted_at.as_ref().map(local_time),
        accepted_org => v.accepted_org_name.clone(),
    }
}

fn check(lang: Lang, c: &CheckOutcome) -> Value {
    context! {
        ok => c.ok,
        code => c.code.clone(),
        why => text(lang.code(), &format!("proj.why.{}", c.code)),
        detail => c.detail.clone(),
    }
}

#[derive(Deserialize)]
pub struct Fields {
    #[serde(flatten)]
    rest: BTreeMap<String, String>,
}

fn text_of(rest: &BTreeMap<String, String>, k: &str) -> String {
    rest.get(k).cloned().unwrap_or_default()
}

fn date_of(rest: &BTreeMap<String, String>, k: &str) -> Result<chrono::NaiveDate, ServiceError> {
    rest.get(k)
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| ServiceError::invalid(k, "a date (YYYY-MM-DD)"))
}

/// The entries chosen in the form: `e.<id>` = `produce` | `use`.
fn chosen(rest: &BTreeMap<String, String>) -> Vec<ProjectEntry> {
    rest.iter()
        .filter_map(|(k, v)| {
            let id = k.strip_prefix("e.")?.parse().ok()?;
            let usage: DataUse = v.parse().ok()?;
            Some(ProjectEntry {
                entry_id: id,
                usage,
            })
        })
        .collect()
}

async fn render_list(s: &AppState, p: &Principal, lang: Lang, error: Option<String>) -> PageResult {
    let projects = s.app.projects(p).await?;
    let manages = s.app.manages_projects(p).await;
    let choices = if manages {
        s.app.project_entry_choices(p).await?
    } else {
        vec![]
    };
    let ctx = context! {
        projects => projects.iter().map(|v| project_row(lang, v)).collect::<Vec<_>>(),
        can_register => manages,
        entries => choices.iter().map(|(id, code, name)| context! { id => id, code => code, name => name }).collect::<Vec<_>>(),
        uses => DataUse::ALL.iter().map(|u| context! { value => u.as_str(), text => lang.pick(u.zh(), u.en()) }).collect::<Vec<_>>(),
        error => error,
        ..base(s, p, lang, "/projects").await
    };
    Ok(s.templates.render("projects.html", ctx))
}

/// The projects the caller may see, and the register form.
pub async fn list_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
) -> PageResult {
    render_list(&s, &p, lang, None).await
}

pub async fn create(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    CsrfForm(f): CsrfForm<Fields>,
) -> PageResult {
    let r = &f.rest;
    let made = async {
        let input = ProjectInput {
            agency_org: None,
            name: text_of(r, "name"),
            code: text_of(r, "code"),
            approved_on: date_of(r, "approved_on")?,
            planned_acceptance_on: date_of(r, "planned_acceptance_on")?,
            entries: chosen(r),
        };
        s.app.register_project(&p, input).await
    }
    .await;
    form_outcome(
        made,
        |v| format!("/projects/{}", v.project.id),
        |m| render_list(&s, &p, lang, Some(m)),
    )
    .await
}

async fn render_detail(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    id: i64,
    error: Option<String>,
) -> PageResult {
    let v = s.app.it_project(p, id).await?;
    let report = s.app.project_compliance(p, id).await?;
    let reviewer = s.app.reviews_projects(p, v.project.agency_org).await;
    let ctx = context! {
        x => project_row(lang, &v),
        compliant => report.compliant,
        failing => report.failing,
        checked_at => local_time(&report.checked_at),
        items => report.items.iter().map(|i| context! {
            entry_id => i.entry.entry_id,
            code => i.entry.code.clone(),
            name => i.entry.name.clone(),
            provider => i.entry.provider_name.clone(),
            usage => lang.pick(i.entry.usage.zh(), i.entry.usage.en()),
            ok => i.ok,
            catalogued => check(lang, &i.catalogued),
            aggregated => check(lang, &i.aggregated),
            shared => check(lang, &i.shared),
        }).collect::<Vec<_>>(),
        can_accept => reviewer && v.project.state.as_str() == "approved",
        error => error,
        ..base(s, p, lang, "/projects").await
    };
    Ok(s.templates.render("project.html", ctx))
}

/// A project with its compliance table.
pub async fn detail(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
) -> PageResult {
    render_detail(&s, &p, lang, id, None).await
}

/// The authority records the acceptance.
pub async fn accept(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<Fields>,
) -> PageResult {
    let reason = text_of(&f.rest, "override_reason");
    let input = AcceptanceInput {
        override_reason: Some(reason).filter(|r| !r.trim().is_empty()),
    };
    form_outcome(
        s.app.accept_project(&p, id, input).await,
        |_| format!("/projects/{id}"),
        |m| render_detail(&s, &p, lang, id, Some(m)),
    )
    .await
}
