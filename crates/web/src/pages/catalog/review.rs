//! The data authority's review queue (and entries filed as not shared),
//! and its decision on a submitted entry.

use axum::extract::{Path, State};
use axum::response::Response;
use minijinja::{Value, context};
use pubdata_service::policy::Action;

use crate::AppState;
use crate::extract::CsrfForm;
use crate::extract::Lang;
use pubdata_domain::catalog::ShareType;
use pubdata_service::catalog::{Decision, ReviewInput};
use pubdata_store::EntryFilter;

use super::entry::{StepForm, step};
use crate::pages::{PageCaller, base, error_page};

pub async fn review(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<StepForm>,
) -> Response {
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
) -> Response {
    let queue = match s.app.review_queue(&p).await {
        Ok(q) => q,
        Err(e) => return error_page(&s, lang, &e),
    };
    let tree = s.app.org_tree().await.ok();
    let items: Vec<Value> = queue
        .iter()
        .map(|(c, e)| {
            let d = c.deadline.as_ref();
            context! {
                id => e.id, code => e.code.clone(), name => e.content.name.clone(),
                org => tree.as_ref().and_then(|t| t.get(e.org_id)).map(|o| o.name.clone()),
                due => c.case.due_on.to_string(), left => d.and_then(|d| d.working_days_left), overdue => d.is_some_and(|d| d.overdue),
            }
        })
        .collect();
    // Entries filed as not shared (不予共享备案) within the reviewer's levels.
    let mut filed = Vec::new();
    if let Some(tree) = &tree {
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
            for e in s.app.list_entries(&p, f).await.unwrap_or_default() {
                filed.push(context! {
                    id => e.id, code => e.code.clone(), name => e.content.name.clone(),
                    org => tree.get(e.org_id).map(|o| o.name.clone()), basis => e.content.share_basis.clone(),
                    state => lang.pick(e.state.zh(), e.state.en()),
                });
            }
        }
    }
    let ctx =
        context! { items => items, filed => filed, ..base(&s, &p, lang, "/catalog/review").await };
    s.templates.render("review.html", ctx)
}
