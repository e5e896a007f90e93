//! An entry: its content, cases, versions and the diff of two versions;
//! the lifecycle steps posted from it (submit, consent, delist, update
//! obligation).
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use minijinja::{Value, context};
use pubdata_domain::catalog::EntryState;
use pubdata_service::catalog::{EntryView, ReasonInput};
use pubdata_service::policy::Action;
use pubdata_service::{Principal, ServiceError};
use serde::Deserialize;

use crate::AppState;
use crate::extract::{CsrfForm, Lang};
use crate::pages::cases::outcome_name;
use crate::pages::{PageCaller, PageResult, base, local_time, not_the_forms};

#[derive(Deserialize, Default)]
pub struct DiffQuery {
    from: Option<i64>,
    to: Option<i64>,
}

async fn render_entry(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    id: i64,
    diff: DiffQuery,
    error: Option<String>,
) -> PageResult {
    let v: EntryView = s.app.get_entry(p, id).await?;
    let e = &v.entry;
    let tree = s.app.org_tree().await?;
    let versions = s.app.entry_versions(p, id).await?;
    // A diff of versions the entry does not have answers 422 naming them.
    let changes = match (diff.from, diff.to) {
        (Some(f), Some(t)) => s.app.entry_diff(p, id, f, t).await?.changes,
        _ => vec![],
    };
    let classes = s.app.classifications(p).await?;
    let (open_filings, open_proposals) = s.app.entry_open_record(p, id).await?;
    let owners: Vec<i64> = std::iter::once(e.org_id)
        .chain(e.co_owners.iter().copied())
        .collect();
    let mut can_edit = false;
    for o in &owners {
        can_edit |= s.app.can(p, Action::EditCatalog(*o)).await;
    }
    let authority = pubdata_service::catalog::authority_of(&tree, e.org_id).unwrap_or(-1);
    let can_consent = {
        let mut c = false;
        for o in &e.co_owners {
            c |= s.app.can(p, Action::EditCatalog(*o)).await;
        }
        c && v
            .consent_missing
            .iter()
            .any(|m| p.roles.iter().any(|g| g.org_id == *m))
    };
    let reviewer = s.app.can(p, Action::ReviewCatalog(authority)).await;
    let actions = context! {
        edit => can_edit && matches!(e.state, EntryState::Draft | EntryState::Returned | EntryState::Published),
        submit => can_edit && matches!(e.state, EntryState::Draft | EntryState::Returned),
        consent => can_consent,
        review => reviewer && e.state == EntryState::Submitted,
        obligation => reviewer && e.state == EntryState::Published && v.update_due.is_none(),
        delist => s.app.can(p, Action::DelistCatalog(e.org_id)).await && e.state == EntryState::Published,
    };
    let cases: Vec<Value> = v
        .cases
        .iter()
        .map(|c| {
            let d = c.deadline.as_ref();
            context! {
                kind => lang.pick(c.case.kind.zh(), c.case.kind.en()),
                state => lang.pick(c.case.state.zh(), c.case.state.en()),
                due => c.case.due_on.to_string(), left => d.and_then(|d| d.working_days_left),
                overdue => d.is_some_and(|d| d.overdue), outcome => c.case.outcome.as_deref().map(|o| outcome_name(lang, o)), basis => c.case.basis.clone(),
            }
        })
        .collect();
    let ctx = context! {
        e => e.content.clone(),
        state_name => lang.pick(e.state.zh(), e.state.en()),
        org_name => v.providing_org_name.clone(),
        class_name => classes.iter().find(|c| c.code == e.content.classification).map(|c| c.name.clone()),
        data_form => lang.pick(e.content.data_form.zh(), e.content.data_form.en()),
        share_type => lang.pick(e.content.share_type.zh(), e.content.share_type.en()),
        share_modes => e.content.share_modes.iter().map(|m| lang.pick(m.zh(), m.en())).collect::<Vec<_>>(),
        open_attribute => lang.pick(e.content.open_attribute.zh(), e.content.open_attribute.en()),
        open_clauses => e.content.open_clauses.iter().map(|c| lang.pick(c.zh(), c.en())).collect::<Vec<_>>(),
        frequency => lang.pick(e.content.update_frequency.zh(), e.content.update_frequency.en()),
        items => e.content.items.iter().map(|i| context! { name => i.name.clone(), type => lang.pick(i.data_type.zh(), i.data_type.en()), personal => i.personal }).collect::<Vec<_>>(),
        collecting_org => e.content.collecting_org.and_then(|o| tree.get(o)).map(|o| o.name.clone()),
        approving_org => e.content.approving_org.and_then(|o| tree.get(o)).map(|o| o.name.clone()),
        review_due => v.review_due.map(|d| d.to_string()),
        update_due => v.update_due.map(|d| d.to_string()),
        consent_missing => v.consent_missing.iter().map(|o| tree.get(*o).map(|x| x.name.clone()).unwrap_or_default()).collect::<Vec<_>>(),
        cases => cases,
        actions => actions,
        versions => versions.iter().map(|x| context! { version => x.version, state => lang.pick(x.state.zh(), x.state.en()), actor => x.actor.clone(), at => local_time(&x.created_at), note => x.note.clone() }).collect::<Vec<_>>(),
        changes => changes.iter().map(|c| context! { field => c.field.clone(), before => c.before.to_string(), after => c.after.to_string() }).collect::<Vec<_>>(),
        diff_from => diff.from, diff_to => diff.to,
        derived => s.app.derivation_of_entry(p, id).await?.map(|d| context! {
            id => d.derivation.id, parent_entry_id => d.derivation.parent_entry_id,
            parent_entry => d.parent_entry_name.clone(), described => d.described.clone(),
        }),
        open_filings => open_filings.iter().map(|f| crate::pages::open_proposals::filing_row(lang, f)).collect::<Vec<_>>(),
        open_proposals => open_proposals.iter().map(|v| crate::pages::open_proposals::proposal_row(lang, v)).collect::<Vec<_>>(),
        error => error,
        ..base(s, p, lang, &format!("/catalog/entries/{id}")).await
    };
    // The content fields and the entry's own fields side by side.
    let ctx = context! { e => context! { id => e.id, code => e.code.clone(), version => e.version, published_version => e.published_version, published_on => e.published_on.map(|d| d.to_string()), ..Value::from_serialize(&e.content) }, ..ctx };
    Ok(s.templates.render("entry.html", ctx))
}

pub async fn entry_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    Query(d): Query<DiffQuery>,
) -> PageResult {
    render_entry(&s, &p, lang, id, d, None).await
}

#[derive(Deserialize)]
pub struct StepForm {
    #[serde(default)]
    pub(super) reason: String,
    #[serde(default)]
    pub(super) decision: String,
}

/// Runs a lifecycle step from the entry page, then shows the entry again.
pub(super) async fn step(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    id: i64,
    r: Result<EntryView, ServiceError>,
) -> PageResult {
    match r {
        Ok(_) => Ok(Redirect::to(&format!("/catalog/entries/{id}")).into_response()),
        Err(e) if not_the_forms(&e) || matches!(e, ServiceError::NotFound { .. }) => Err(e.into()),
        Err(e) => render_entry(s, p, lang, id, DiffQuery::default(), Some(e.to_string())).await,
    }
}

pub async fn submit(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<StepForm>,
) -> PageResult {
    let r = s.app.submit_entry(&p, id).await;
    step(&s, &p, lang, id, r).await
}

pub async fn consent(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<StepForm>,
) -> PageResult {
    let r = s.app.consent_entry(&p, id).await;
    step(&s, &p, lang, id, r).await
}

pub async fn delist(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<StepForm>,
) -> PageResult {
    let r = s
        .app
        .delist_entry(&p, id, ReasonInput { reason: f.reason })
        .await;
    step(&s, &p, lang, id, r).await
}

pub async fn obligation(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<StepForm>,
) -> PageResult {
    let r = s
        .app
        .open_update_obligation(&p, id, ReasonInput { reason: f.reason })
        .await;
    step(&s, &p, lang, id, r).await
}
