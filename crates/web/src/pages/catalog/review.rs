//! The data authority's review queue (and entries filed as not shared),
//! and its decision on a submitted entry.
use axum::extract::{Path, State};
use minijinja::{Value, context};
use pubdata_domain::catalog::ShareType;
use pubdata_service::catalog::{Decision, ReviewInput};
use pubdata_service::model::EntryFilter;
use pubdata_service::policy::Action;

use super::entry::{StepForm, step};
use crate::AppState;
use crate::extract::{CsrfForm, Lang};
use crate::pages::{PageCaller, PageResult, base};

pub async fn review(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<StepForm>,
) -> PageResult {
    let decision = if f.decision == "approve" {
        Decision::Approve
    } else {
        Decision::Return
    };
    let r = s
        .app
        .review_entry(
            &p,
            id,
            ReviewInput {
                decision,
                reason: f.reason,
            },
        )
        .await;
    step(&s, &p, lang, id, r).await
}

pub async fn review_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
) -> PageResult {
    let queue = s.app.review_queue(&p).await?;
    let tree = s.app.org_tree().await?;
    let items: Vec<Value> = queue
        .iter()
        .map(|(c, e)| {
            let d = c.deadline.as_ref();
            context! {
                id => e.id, code => e.code.clone(), name => e.content.name.clone(),
                org => tree.get(e.org_id).map(|o| o.name.clone()),
                due => c.case.due_on.to_string(), left => d.and_then(|d| d.working_days_left), overdue => d.is_some_and(|d| d.overdue),
            }
        })
        .collect();
    // Entries filed as not shared (不予共享备案) within the reviewer's levels.
    let mut filed = Vec::new();
    for g in &p.roles {
        if !s.app.can(&p, Action::ReviewCatalog(g.org_id)).await {
            continue;
        }
        let Some(region) = tree.parent(g.org_id) else {
            continue;
        };
        let f = EntryFilter {
            org_ids: Some(vec![region]),
            share_type: Some(ShareType::None),
            limit: 200,
            ..Default::default()
        };
        for e in s.app.list_entries(&p, f).await? {
            filed.push(context! {
                id => e.id, code => e.code.clone(), name => e.content.name.clone(),
                org => tree.get(e.org_id).map(|o| o.name.clone()), basis => e.content.share_basis.clone(),
                state => lang.pick(e.state.zh(), e.state.en()),
            });
        }
    }
    let ctx =
        context! { items => items, filed => filed, ..base(&s, &p, lang, "/catalog/review").await };
    Ok(s.templates.render("review.html", ctx))
}
