//! The collection list (COL-1, COL-2): search data items and their
//! sources, declare what the caller's organisation collects.
use axum::extract::{Query, State};
use minijinja::{Value, context};
use pubdata_service::Principal;
use pubdata_service::collection::DeclareItem;
use pubdata_service::policy::Action;
use serde::Deserialize;

use super::{PageCaller, PageResult, base, local_time, not_the_forms, text};
use crate::AppState;
use crate::extract::{CsrfForm, Lang};

#[derive(Deserialize, Default)]
pub struct ItemSearch {
    q: Option<String>,
}

async fn render_collection(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    q: Option<String>,
    notice: Option<String>,
    error: Option<String>,
) -> PageResult {
    let q = q.filter(|q| !q.trim().is_empty());
    let found: Vec<Value> = match &q {
        Some(q) => s
            .app
            .find_data_items(p, q)
            .await?
            .into_iter()
            .map(|i| {
                let via: Vec<String> = i
                    .available_via
                    .iter()
                    .map(|v| if v == "share" { lang.pick("共享", "sharing") } else { lang.pick("核验比对", "verification") }.to_string())
                    .collect();
                context! { name => i.name, source_org_name => i.source_org_name, via => via,
                           entries => i.entries.iter().map(|e| context! { id => e.id, name => e.name.clone() }).collect::<Vec<_>>() }
            })
            .collect(),
        None => vec![],
    };
    let collect = match p.org_id() {
        Some(org) => s.app.can(p, Action::ManageCollection(org)).await,
        None => false,
    };
    // The organisation's own list is shown (and asked for) with the form
    // to declare items, to those who keep it.
    let mine: Vec<Value> = match p.org_id() {
        Some(org) if collect => s
            .app
            .collection_list(p, Some(org))
            .await?
            .into_iter()
            .map(|i| context! { name => i.name, basis => i.basis, at => local_time(&i.created_at) })
            .collect(),
        _ => vec![],
    };
    let ctx = context! {
        q => q, found => found, mine => mine, notice => notice, error => error,
        ..base(s, p, lang, "/collection").await
    };
    let ctx = context! { can => context! { collect => collect, ..ctx.get_attr("can").unwrap_or_default() }, ..ctx };
    Ok(s.templates.render("collection.html", ctx))
}

pub async fn collection_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Query(q): Query<ItemSearch>,
) -> PageResult {
    render_collection(&s, &p, lang, q.q, None, None).await
}

#[derive(Deserialize)]
pub struct DeclareForm {
    data_item: String,
    basis: String,
}

pub async fn declare(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    CsrfForm(f): CsrfForm<DeclareForm>,
) -> PageResult {
    match s
        .app
        .declare_collection_item(
            &p,
            DeclareItem {
                data_item: f.data_item,
                basis: f.basis,
            },
        )
        .await
    {
        Ok(_) => {
            render_collection(
                &s,
                &p,
                lang,
                None,
                Some(text(lang.code(), "common.saved")),
                None,
            )
            .await
        }
        Err(e) if not_the_forms(&e) => Err(e.into()),
        Err(e) => render_collection(&s, &p, lang, None, None, Some(e.to_string())).await,
    }
}
