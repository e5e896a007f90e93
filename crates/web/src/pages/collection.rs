//! The collection list (COL-1, COL-2): search data items and their
//! sources, declare what the caller's organisation collects.

use axum::extract::{Query, State};
use axum::response::Response;
use minijinja::{Value, context};
use pubdata_service::policy::Action;
use pubdata_service::{Principal, ServiceError};
use serde::Deserialize;

use crate::AppState;
use crate::extract::CsrfForm;
use crate::extract::Lang;
use pubdata_service::collection::DeclareItem;

use super::{PageCaller, base, error_page, local_time, text};

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
) -> Response {
    let q = q.filter(|q| !q.trim().is_empty());
    let found: Vec<Value> = match &q {
        Some(q) => match s.app.find_data_items(p, q).await {
            Ok(items) => items
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
            Err(e) => return error_page(s, lang, &e),
        },
        None => vec![],
    };
    let mine: Vec<Value> = match p.org_id() {
        Some(org) => s
            .app
            .collection_list(p, Some(org))
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|i| context! { name => i.name, basis => i.basis, at => local_time(&i.created_at) })
            .collect(),
        None => vec![],
    };
    let collect = match p.org_id() {
        Some(org) => s.app.can(p, Action::ManageCollection(org)).await,
        None => false,
    };
    let ctx = context! {
        q => q, found => found, mine => mine, notice => notice, error => error,
        ..base(s, p, lang, "/collection").await
    };
    let ctx = context! { can => context! { collect => collect, ..ctx.get_attr("can").unwrap_or_default() }, ..ctx };
    s.templates.render("collection.html", ctx)
}

pub async fn collection_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Query(q): Query<ItemSearch>,
) -> Response {
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
) -> Response {
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
        Err(e @ (ServiceError::Forbidden(_) | ServiceError::Internal(_))) => {
            error_page(&s, lang, &e)
        }
        Err(e) => render_collection(&s, &p, lang, None, None, Some(e.to_string())).await,
    }
}
