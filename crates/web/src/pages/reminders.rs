//! The inbox (到期提醒, CAL-2): the organisation's case reminders, and its
//! webhook for the organisation's administrators.
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use minijinja::{Value, context};
use pubdata_service::Principal;
use pubdata_service::policy::Action;
use pubdata_service::reminders::WebhookInput;
use serde::Deserialize;

use super::{PageCaller, PageResult, base, form_outcome, local_time};
use crate::AppState;
use crate::extract::{CsrfForm, Lang, NoFields};

async fn render(s: &AppState, p: &Principal, lang: Lang, error: Option<String>) -> PageResult {
    let items: Vec<Value> = s
        .app
        .inbox(p, false)
        .await?
        .iter()
        .map(|i| {
            let d = i.case.deadline.as_ref();
            context! {
                id => i.notification.id,
                overdue_kind => i.notification.kind == "overdue",
                case_kind => lang.pick(i.case.case.kind.zh(), i.case.case.kind.en()),
                title => i.case.subject_title.clone().unwrap_or_else(|| i.case.case.subject.clone()),
                link => i.case.subject_link.clone(),
                due => i.notification.due_on.to_string(),
                left => d.and_then(|d| d.working_days_left),
                open => d.is_some(),
                created => local_time(&i.notification.created_at),
                read => i.notification.read_at.as_ref().map(local_time),
            }
        })
        .collect();
    let org = p.org_id();
    let manage = match org {
        Some(o) => s.app.can(p, Action::ManageTokens(o)).await,
        None => false,
    };
    let (hook, deliveries) = match (org, manage) {
        (Some(o), true) => {
            let hook = s.app.webhook(p, o).await?.map(|h| {
                context! { url => h.url, active => h.active, updated => local_time(&h.updated_at), by => h.updated_by }
            });
            let deliveries: Vec<Value> = s
                .app
                .webhook_deliveries(p, o)
                .await?
                .iter()
                .take(20)
                .map(|d| {
                    context! {
                        id => d.id, state => d.state.clone(), attempts => d.attempts,
                        status => d.last_status, error => d.last_error.clone(),
                        next => d.next_at.as_ref().map(local_time),
                        delivered => d.delivered_at.as_ref().map(local_time),
                    }
                })
                .collect();
            (hook, deliveries)
        }
        _ => (None, vec![]),
    };
    let ctx = context! {
        items => items, manage => manage, hook => hook, deliveries => deliveries, error => error,
        ..base(s, p, lang, "/inbox").await
    };
    Ok(s.templates.render("inbox.html", ctx))
}

pub async fn inbox_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
) -> PageResult {
    render(&s, &p, lang, None).await
}

pub async fn mark_read(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    Path(id): Path<i64>,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> PageResult {
    s.app.mark_read(&p, id).await?;
    Ok(Redirect::to("/inbox").into_response())
}

#[derive(Deserialize)]
pub struct WebhookForm {
    url: String,
    #[serde(default)]
    secret: String,
    #[serde(default)]
    active: Option<String>,
}

pub async fn put_webhook(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    CsrfForm(f): CsrfForm<WebhookForm>,
) -> PageResult {
    let Some(org) = p.org_id() else {
        return render(&s, &p, lang, None).await;
    };
    let input = WebhookInput {
        url: f.url,
        secret: (!f.secret.trim().is_empty()).then(|| f.secret.trim().to_string()),
        active: f.active.is_some(),
    };
    form_outcome(
        s.app.put_webhook(&p, org, input).await,
        |_| "/inbox".to_string(),
        |m| render(&s, &p, lang, Some(m)),
    )
    .await
}
