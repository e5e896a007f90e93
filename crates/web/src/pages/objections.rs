//! Objections and corrections (异议与更正, OBJ-1, Art. 28): the list (mine
//! and incoming), the form (a data user's, or a person's keyed by their own
//! identity number), and an objection's page with its deadline, the record
//! before and after, proof documents and the source's resolution form.

use std::collections::BTreeMap;

use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};
use pubdata_domain::objection::{MAX_PROOF_BYTES, ObjectionOutcome};
use pubdata_service::objections::{ObjectionInput, ObjectionSide, ObjectionView, ResolutionInput};
use pubdata_service::{Principal, ServiceError};
use serde::Deserialize;

use super::errors::PageError;
use super::{PageCaller, PageResult, base, csrf_ok, csrf_refused, form_outcome, local_time};
use crate::AppState;
use crate::extract::{CsrfForm, Lang};

fn row(lang: Lang, o: &ObjectionView) -> Value {
    let x = &o.objection;
    context! {
        id => x.id,
        dataset => o.dataset_name.clone(),
        dataset_id => x.dataset_id,
        source => o.source_name.clone(),
        objector => match &o.objector_org_name {
            Some(org) => format!("{} ({})", x.objector_name, org),
            None => x.objector_name.clone(),
        },
        channel => lang.pick(x.channel.zh(), x.channel.en()),
        state => x.state.as_str(),
        state_text => lang.pick(x.state.zh(), x.state.en()),
        key => x.key.values().cloned().collect::<Vec<_>>().join(" / "),
        field => x.field.clone(),
        claimed => x.claimed_value.clone(),
        description => x.description.clone(),
        due => x.due_on.to_string(),
        days_left => o.deadline.as_ref().and_then(|d| d.working_days_left),
        overdue => o.deadline.as_ref().is_some_and(|d| d.overdue),
        resolved_late => o.resolved_late,
        reply => x.reply.clone(),
        resolved_by => x.resolved_by.clone(),
        resolved_at => x.resolved_at.as_ref().map(local_time),
        created_at => local_time(&x.created_at),
        about_version => x.about_version,
        correction_version => x.correction_version,
    }
}

#[derive(Deserialize)]
pub struct ListQuery {
    side: Option<String>,
}

/// Objections the caller filed and those its organisations must answer.
pub async fn list_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let mine = s.app.objections(&p, ObjectionSide::Mine, None).await?;
    let incoming = s.app.objections(&p, ObjectionSide::Incoming, None).await?;
    let all = if q.side.as_deref() == Some("all") {
        s.app.objections(&p, ObjectionSide::All, None).await?
    } else {
        vec![]
    };
    let ctx = context! {
        mine => mine.iter().map(|o| row(lang, o)).collect::<Vec<_>>(),
        incoming => incoming.iter().map(|o| row(lang, o)).collect::<Vec<_>>(),
        all => all.iter().map(|o| row(lang, o)).collect::<Vec<_>>(),
        ..base(&s, &p, lang, "/objections").await
    };
    Ok(s.templates.render("objections.html", ctx))
}

#[derive(Deserialize)]
pub struct NewQuery {
    dataset: Option<i64>,
}

async fn render_new(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    dataset: Option<i64>,
    error: Option<String>,
) -> PageResult {
    let datasets = s.app.objectable_datasets(p).await?;
    let chosen = dataset
        .and_then(|id| datasets.iter().find(|d| d.0 == id))
        .or(datasets.first());
    let identity = s.app.my_identity(p).await?;
    let ctx = context! {
        datasets => datasets.iter().map(|(id, name, _)| context! { id => id, name => name }).collect::<Vec<_>>(),
        dataset_id => chosen.map(|d| d.0),
        key_columns => chosen.map(|d| d.2.clone()).unwrap_or_default(),
        identity => identity,
        person => p.kind == "person",
        error => error,
        ..base(s, p, lang, "/objections").await
    };
    Ok(s.templates.render("objection_new.html", ctx))
}

/// The form: a data user's report on data received under a grant, or a
/// person's objection keyed by their own identity number.
pub async fn new_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Query(q): Query<NewQuery>,
) -> PageResult {
    render_new(&s, &p, lang, q.dataset, None).await
}

#[derive(Deserialize)]
pub struct NewForm {
    dataset_id: i64,
    /// `key.<column>` fields and the others.
    #[serde(flatten)]
    rest: BTreeMap<String, String>,
}

pub async fn create(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    CsrfForm(f): CsrfForm<NewForm>,
) -> PageResult {
    let get = |k: &str| {
        f.rest
            .get(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let key: BTreeMap<String, String> = f
        .rest
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("key.")
                .map(|c| (c.to_string(), v.trim().to_string()))
        })
        .collect();
    let input = ObjectionInput {
        dataset_id: f.dataset_id,
        key,
        field: get("field"),
        claimed_value: get("claimed_value"),
        description: get("description").unwrap_or_default(),
        subject_id_card_no: get("subject_id_card_no"),
    };
    match s.app.file_objection(&p, input).await {
        Ok(o) => Ok(Redirect::to(&format!("/objections/{}", o.objection.id)).into_response()),
        Err(e @ ServiceError::Unauthenticated) => Err(e.into()),
        Err(e) => {
            let mut r = render_new(&s, &p, lang, Some(f.dataset_id), Some(e.to_string())).await?;
            *r.status_mut() = crate::error::status_of(&e);
            Ok(r)
        }
    }
}

async fn render_detail(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    id: i64,
    error: Option<String>,
) -> PageResult {
    let o = s.app.objection(p, id).await?;
    let record: Vec<Value> = o
        .record
        .iter()
        .flatten()
        .map(|f| {
            context! { field => f.field.clone(), before => f.before.clone(), after => f.after.clone(), changed => f.changed }
        })
        .collect();
    let proofs: Vec<Value> = o
        .proofs
        .iter()
        .map(|x| context! { id => x.id, name => x.file_name.clone(), media_type => x.media_type.clone(), size => x.size, by => x.uploaded_by.clone(), at => local_time(&x.uploaded_at) })
        .collect();
    let fields: Vec<String> = o.record.iter().flatten().map(|f| f.field.clone()).collect();
    let ctx = context! {
        o => row(lang, &o),
        record => record,
        corrected => o.objection.correction_version.is_some(),
        proofs => proofs,
        fields => fields,
        notice => o.proceed_notice.clone(),
        can_resolve => o.can_resolve,
        is_objector => o.is_objector,
        max_proof_mib => MAX_PROOF_BYTES / (1024 * 1024),
        error => error,
        ..base(s, p, lang, "/objections").await
    };
    Ok(s.templates.render("objection.html", ctx))
}

pub async fn detail(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
) -> PageResult {
    render_detail(&s, &p, lang, id, None).await
}

#[derive(Deserialize)]
pub struct ResolveForm {
    outcome: String,
    #[serde(default)]
    reply: String,
    #[serde(default)]
    field: String,
    #[serde(default)]
    value: String,
}

pub async fn resolve(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<ResolveForm>,
) -> PageResult {
    let outcome = if f.outcome == "corrected" {
        ObjectionOutcome::Corrected
    } else {
        ObjectionOutcome::Confirmed
    };
    let corrections = (!f.field.trim().is_empty())
        .then(|| BTreeMap::from([(f.field.trim().to_string(), f.value.clone())]));
    let input = ResolutionInput {
        outcome,
        reply: Some(f.reply),
        corrections,
    };
    form_outcome(
        s.app.resolve_objection(&p, id, input).await,
        |_| format!("/objections/{id}"),
        |m| render_detail(&s, &p, lang, id, Some(m)),
    )
    .await
}

/// The proof upload form posts `csrf` then `file` (multipart).
pub async fn upload_proof(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    mut mp: Multipart,
) -> PageResult {
    let mut csrf_checked = false;
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return too_large_or(&s, &p, lang, id, e.status(), e.body_text()).await,
        };
        match field.name() {
            Some("csrf") => {
                let sent = field.text().await.unwrap_or_default();
                if !csrf_ok(&p, &sent) {
                    return Ok(csrf_refused());
                }
                csrf_checked = true;
            }
            Some("file") if csrf_checked => {
                let name = field.file_name().unwrap_or("proof").to_string();
                let bytes = match field.bytes().await {
                    Ok(b) => b.to_vec(),
                    Err(e) => {
                        return too_large_or(&s, &p, lang, id, e.status(), e.body_text()).await;
                    }
                };
                return form_outcome(
                    s.app.add_objection_proof(&p, id, &name, bytes).await,
                    |_| format!("/objections/{id}"),
                    |m| render_detail(&s, &p, lang, id, Some(m)),
                )
                .await;
            }
            _ => {}
        }
    }
    if !csrf_checked {
        return Ok(csrf_refused());
    }
    render_detail(&s, &p, lang, id, Some("file: choose a document".into())).await
}

async fn too_large_or(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    id: i64,
    status: axum::http::StatusCode,
    text: String,
) -> PageResult {
    let msg = if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        format!(
            "a proof document is at most {} MiB",
            MAX_PROOF_BYTES / (1024 * 1024)
        )
    } else {
        text
    };
    let mut r = render_detail(s, p, lang, id, Some(msg)).await?;
    *r.status_mut() = status;
    Ok(r)
}

/// A proof document, for those concerned.
pub async fn proof(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    Path((id, proof_id)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    let found = s.app.objection_proof(&p, id, proof_id).await?;
    Ok(crate::api::objections::proof_response(found))
}
