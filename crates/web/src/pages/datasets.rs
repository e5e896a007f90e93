//! Dataset pages: list and definition, dataset detail (schema, versions,
//! quality, staleness, preview, row history) and the upload with its report.
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use minijinja::{Value, context};
use pubdata_domain::catalog::DataType;
use pubdata_service::ingest::{ColumnInput, CreateDataset, LoadRejected};
use pubdata_service::model::EntryFilter;
use pubdata_service::policy::Action;
use pubdata_service::{Principal, ServiceError};
use serde::Deserialize;
use std::io::Write;

use super::{
    PageCaller, PageError, PageResult, base, csrf_ok, csrf_refused, form_outcome, local_time,
    not_the_forms,
};
use crate::AppState;
use crate::extract::{CsrfForm, Lang, NoFields};

async fn render_list(s: &AppState, p: &Principal, lang: Lang, error: Option<String>) -> PageResult {
    let list = s.app.list_datasets(p, None, None, None, 200).await?;
    let rows: Vec<Value> = list
        .iter()
        .map(|v| {
            context! { id => v.dataset.id, name => v.dataset.name.clone(), entry_name => v.entry_name.clone(), org_name => v.org_name.clone(),
                       version => v.dataset.current_version, rows => v.dataset.row_count,
                       last_load => v.dataset.last_load_at.as_ref().map(local_time), stale => v.stale }
        })
        .collect();
    // Published entries the caller's agency may define datasets for.
    let mut entries = Vec::new();
    if let Some(org) = p.org_id()
        && s.app.can(p, Action::WriteDataset(org)).await
    {
        let f = EntryFilter {
            org_ids: Some(vec![org]),
            published_only: true,
            limit: 200,
            ..Default::default()
        };
        for e in s.app.list_entries(p, f).await? {
            entries.push(
                context! { id => e.id, code => e.code.clone(), name => e.content.name.clone() },
            );
        }
    }
    let tree = s.app.org_tree().await?;
    let mut exemptions = Vec::new();
    for (x, entry) in s.app.exemption_views(p).await? {
        exemptions.push(context! {
            org => tree.get(x.org_id).map(|o| o.name.clone()),
            entry => entry, reason => x.reason, by => x.filed_by, at => local_time(&x.filed_at),
        });
    }
    let ctx = context! {
        datasets => rows, entries => entries, error => error, exemptions => exemptions,
        audit_by => lang.pick("备案人", "Filed by"),
        ..base(s, p, lang, "/datasets").await
    };
    Ok(s.templates.render("datasets.html", ctx))
}

pub async fn list(State(s): State<AppState>, PageCaller(p): PageCaller, lang: Lang) -> PageResult {
    render_list(&s, &p, lang, None).await
}

#[derive(Deserialize)]
pub struct CreateForm {
    entry_id: String,
    name: String,
    columns: String,
    key: String,
}

fn parse_columns(text: &str) -> Result<Vec<ColumnInput>, ServiceError> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(n, line)| {
            let parts: Vec<&str> = line.splitn(4, ['|', '｜']).map(str::trim).collect();
            let data_type = match parts.get(1).filter(|t| !t.is_empty()) {
                Some(t) => t.parse::<DataType>().map_err(|_| {
                    ServiceError::invalid("columns", format!("line {}: `{t}` is not a type", n + 1))
                })?,
                None => DataType::String,
            };
            Ok(ColumnInput {
                name: parts[0].to_string(),
                data_type,
                nullable: !matches!(parts.get(2).copied(), Some("否" | "no" | "false")),
                personal: None,
                checks: parts
                    .get(3)
                    .map(|c| c.split_whitespace().map(String::from).collect())
                    .unwrap_or_default(),
            })
        })
        .collect()
}

pub async fn create(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    CsrfForm(f): CsrfForm<CreateForm>,
) -> PageResult {
    let r = async {
        let req = CreateDataset {
            entry_id: f
                .entry_id
                .trim()
                .parse()
                .map_err(|_| ServiceError::invalid("entry_id", "choose an entry"))?,
            name: f.name.clone(),
            columns: parse_columns(&f.columns)?,
            key: f
                .key
                .split([',', '，', ' '])
                .map(|k| k.trim().to_string())
                .filter(|k| !k.is_empty())
                .collect(),
        };
        s.app.create_dataset(&p, req).await
    }
    .await;
    form_outcome(
        r,
        |d| format!("/datasets/{}", d.id),
        |m| render_list(&s, &p, lang, Some(m)),
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct DetailQuery {
    key: Option<String>,
}

async fn render_detail(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    id: i64,
    key: Option<String>,
    report: Option<LoadRejected>,
) -> PageResult {
    let v = s.app.get_dataset(p, id).await?;
    let d = &v.dataset;
    let q = s.app.dataset_quality(p, id).await?;
    let versions = s.app.dataset_versions(p, id).await?;
    let can_write = s.app.can(p, Action::WriteDataset(d.org_id)).await;
    let rows: Vec<Vec<Option<String>>> = if can_write && d.current_version > 0 {
        s.app
            .dataset_rows(p, id, None, None, 20)
            .await?
            .1
            .into_iter()
            .map(|(_, v)| v)
            .collect()
    } else {
        vec![]
    };
    let key = key.filter(|k| !k.trim().is_empty());
    let history: Vec<Value> = match (&key, can_write) {
        (Some(k), true) => {
            // The key as stored: key column values joined by U+001F.
            let k = k
                .split('+')
                .map(str::trim)
                .collect::<Vec<_>>()
                .join("\u{1f}");
            s.app
                .row_history(p, id, &k)
                .await?
                .into_iter()
                .map(|(from, to, values)| context! { from => from, to => to, values => values })
                .collect()
        }
        _ => vec![],
    };
    let pull = s.app.get_pull_source(p, id).await?.map(|src| {
        context! { url => src.url.redacted(), query => src.query, incremental => src.incremental_column,
                   last_value => src.last_value, last_pull => src.last_pull_at.as_ref().map(local_time), error => src.last_error }
    });
    let pct = |x: f64| format!("{:.1}%", x * 100.0);
    let columns: Vec<Value> = d
        .columns
        .iter()
        .map(|c| {
            let checks: Vec<String> = c
                .checks
                .iter()
                .map(|k| if k.severity == pubdata_domain::dataset::Severity::Flag { format!("flag:{}", k.rule.name()) } else { k.rule.name().to_string() })
                .collect();
            context! { name => c.name.clone(), type => lang.pick(c.data_type.zh(), c.data_type.en()), nullable => c.nullable,
                       personal => c.personal, checks => checks, key => d.key.contains(&c.name) }
        })
        .collect();
    let ctx = context! {
        d => d.clone(),
        stale => v.stale,
        entry_name => v.entry_name.clone(),
        org_name => v.org_name.clone(),
        frequency => lang.pick(d.frequency.zh(), d.frequency.en()),
        last_load => d.last_load_at.as_ref().map(local_time),
        columns => columns,
        can_write => can_write,
        pull => pull,
        q => context! { completeness => pct(q.completeness), validity => pct(q.validity), consistency => pct(q.consistency), timeliness => pct(q.timeliness), issues => q.issues },
        versions => versions.iter().map(|x| context! { version => x.version, mode => x.mode.clone(), source => x.source.clone(), rows_in => x.rows_in,
            inserted => x.inserted, updated => x.updated, deleted => x.deleted, flagged => x.flagged, actor => x.actor.clone(), at => local_time(&x.created_at) }).collect::<Vec<_>>(),
        rows => rows,
        key => key,
        history => history,
        report => report.map(|r| context! { detail => format!("{} / {}", r.total_errors, r.rows_read), errors => r.errors }),
        ..base(s, p, lang, &format!("/datasets/{id}")).await
    };
    Ok(s.templates.render("dataset.html", ctx))
}

pub async fn detail(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    Query(q): Query<DetailQuery>,
) -> PageResult {
    render_detail(&s, &p, lang, id, q.key, None).await
}

/// The upload form posts `csrf` then `file`; the file streams to disk. A
/// multipart form, so not `CsrfForm`: the token is checked as the first
/// part, before any of the file is read.
pub async fn upload(
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
            Err(e) => {
                return Err(PageError::from(ServiceError::invalid(
                    "file",
                    e.body_text(),
                )));
            }
        };
        match field.name() {
            Some("csrf") => {
                // An unreadable token part is a missing token: refused below.
                let sent = field.text().await.unwrap_or_default();
                if !csrf_ok(&p, &sent) {
                    return Ok(csrf_refused());
                }
                csrf_checked = true;
            }
            Some("file") if csrf_checked => {
                let name = field.file_name().unwrap_or("upload.csv").to_string();
                let tmp = stream_to_temp(field).await?;
                let file = match tmp.reopen() {
                    Ok(f) => f,
                    Err(e) => return Err(PageError::from(ServiceError::Internal(Box::new(e)))),
                };
                return match s
                    .app
                    .load_file(
                        &p,
                        id,
                        &name,
                        Box::new(std::io::BufReader::with_capacity(256 * 1024, file)),
                        &mut (),
                    )
                    .await
                {
                    Ok(Ok(_)) => Ok(Redirect::to(&format!("/datasets/{id}")).into_response()),
                    Ok(Err(report)) => {
                        let mut r = render_detail(&s, &p, lang, id, None, Some(report)).await?;
                        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
                        Ok(r)
                    }
                    Err(e) if not_the_forms(&e) || matches!(e, ServiceError::NotFound { .. }) => {
                        Err(e.into())
                    }
                    Err(e) => {
                        let report = LoadRejected {
                            errors: vec![pubdata_domain::dataset::RowError {
                                row: 0,
                                column: String::new(),
                                value: String::new(),
                                rule: e.code().into(),
                                message: e.to_string(),
                            }],
                            total_errors: 1,
                            rows_read: 0,
                        };
                        let mut r = render_detail(&s, &p, lang, id, None, Some(report)).await?;
                        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
                        Ok(r)
                    }
                };
            }
            _ => {}
        }
    }
    if csrf_checked {
        Err(ServiceError::invalid("file", "choose a file").into())
    } else {
        Ok(csrf_refused())
    }
}

async fn stream_to_temp(
    mut field: axum::extract::multipart::Field<'_>,
) -> Result<tempfile::NamedTempFile, ServiceError> {
    let io = |e: std::io::Error| ServiceError::Internal(Box::new(e));
    let mut tmp = tempfile::NamedTempFile::new().map_err(io)?;
    let mut total = 0usize;
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|e| ServiceError::invalid("file", e.body_text()))?
    {
        total += chunk.len();
        if total > crate::api::datasets::MAX_UPLOAD {
            return Err(ServiceError::invalid(
                "file",
                "a load accepts files up to 1 GiB",
            ));
        }
        tmp.write_all(&chunk).map_err(io)?;
    }
    tmp.flush().map_err(io)?;
    Ok(tmp)
}

#[derive(Deserialize)]
pub struct ExemptionForm {
    entry_id: String,
    reason: String,
}

pub async fn file_exemption(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    CsrfForm(f): CsrfForm<ExemptionForm>,
) -> PageResult {
    let entry_id = f.entry_id.trim().parse().ok();
    match s
        .app
        .file_exemption(
            &p,
            pubdata_service::ingest::FileExemption {
                entry_id,
                reason: f.reason,
            },
        )
        .await
    {
        Ok(_) => Ok(Redirect::to("/datasets").into_response()),
        Err(e) if not_the_forms(&e) => Err(e.into()),
        Err(e) => render_list(&s, &p, lang, Some(e.to_string())).await,
    }
}

#[derive(Deserialize)]
pub struct PullForm {
    url: String,
    query: String,
    incremental_column: String,
}

pub async fn put_pull_source(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<PullForm>,
) -> PageResult {
    let cfg = pubdata_service::ingest::PullConfig {
        url: f.url,
        query: f.query,
        incremental_column: Some(f.incremental_column),
    };
    match s.app.put_pull_source(&p, id, cfg).await {
        Ok(_) => Ok(Redirect::to(&format!("/datasets/{id}")).into_response()),
        Err(e) => Err(e.into()),
    }
}

pub async fn pull_now(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> PageResult {
    match s.app.pull_now(&p, id).await {
        Ok(Ok(_)) => Ok(Redirect::to(&format!("/datasets/{id}")).into_response()),
        Ok(Err(report)) => render_detail(&s, &p, lang, id, None, Some(report)).await,
        Err(e) if not_the_forms(&e) || matches!(e, ServiceError::NotFound { .. }) => Err(e.into()),
        // The source's error is recorded and shown with the pull status.
        Err(_) => Ok(Redirect::to(&format!("/datasets/{id}")).into_response()),
    }
}
