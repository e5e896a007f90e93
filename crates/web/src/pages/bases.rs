//! Base database page: fields and their one source, contributions, lookup.
use axum::extract::{Path, Query, State};
use minijinja::context;
use pubdata_service::base::ContributeField;
use pubdata_service::policy::Action;
use pubdata_service::{Principal, ServiceError};
use serde::Deserialize;

use super::{PageCaller, PageResult, base, form_outcome};
use crate::AppState;
use crate::extract::{CsrfForm, Lang};

#[derive(Deserialize, Default)]
pub struct Lookup {
    base: Option<String>,
    key: Option<String>,
}

async fn render(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    q: Lookup,
    error: Option<String>,
) -> PageResult {
    let bases = s.app.list_bases(p).await?;
    let datasets = match p.org_id() {
        Some(org) if s.app.can(p, Action::WriteDataset(org)).await => {
            s.app.list_datasets(p, Some(org), None, None, 200).await?
        }
        _ => vec![],
    };
    let supervise = s.app.can(p, Action::Supervise).await;
    let record = match (&q.base, &q.key) {
        (Some(b), Some(k)) if supervise && !k.trim().is_empty() => {
            Some(s.app.base_record(p, b, k.trim()).await?)
        }
        _ => None,
    };
    let base_ctx = base(s, p, lang, "/base").await;
    let ctx = context! {
        bases => bases,
        datasets => datasets.iter().map(|d| context! { id => d.dataset.id, name => d.dataset.name.clone() }).collect::<Vec<_>>(),
        record => record, lookup_base => q.base, key => q.key, error => error,
        can => context! { supervise => supervise, ..base_ctx.get_attr("can").unwrap_or_default() },
        ..base_ctx
    };
    Ok(s.templates.render("bases.html", ctx))
}

pub async fn page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Query(q): Query<Lookup>,
) -> PageResult {
    render(&s, &p, lang, q, None).await
}

#[derive(Deserialize)]
pub struct FieldForm {
    field: String,
    dataset_id: String,
    source_column: String,
}

pub async fn contribute(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(code): Path<String>,
    CsrfForm(f): CsrfForm<FieldForm>,
) -> PageResult {
    let r = match f.dataset_id.trim().parse() {
        Ok(dataset_id) => {
            s.app
                .contribute_base_field(
                    &p,
                    &code,
                    ContributeField {
                        field: f.field,
                        dataset_id,
                        source_column: Some(f.source_column),
                    },
                )
                .await
        }
        Err(_) => Err(ServiceError::invalid("dataset_id", "choose a dataset")),
    };
    form_outcome(
        r,
        |_| "/base".to_string(),
        |m| render(&s, &p, lang, Lookup::default(), Some(m)),
    )
    .await
}
