//! Violations and rectification (违规与整改, VIO-1, VIO-2): the list with the
//! government's supervision list (督查督办) and the authority's record form
//! and checks; a violation's page with the notice and dismissal forms; a
//! notice's page with the body's report and the authority's decision.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use minijinja::{Value, context};
use pubdata_domain::violation::{ViolationKind, ViolationState};
use pubdata_service::violations::{
    DismissalInput, RectificationDecision, RectificationInput, RectificationQuery,
    RectificationReport, RectificationView, ViolationInput, ViolationQuery, ViolationView,
};
use pubdata_service::{Principal, ServiceError};
use serde::Deserialize;

use super::{PageCaller, PageResult, base, form_outcome, local_time};
use crate::AppState;
use crate::extract::{CsrfForm, Lang, NoFields};

fn violation_row(lang: Lang, v: &ViolationView) -> Value {
    let x = &v.violation;
    context! {
        id => x.id,
        org => v.org_name.clone(),
        authority => v.authority_name.clone(),
        kind => x.kind.as_str(),
        kind_text => lang.pick(x.kind.zh(), x.kind.en()),
        citation => v.citation.clone(),
        source => x.source.as_str(),
        source_text => lang.pick(x.source.zh(), x.source.en()),
        state => x.state.as_str(),
        state_text => lang.pick(x.state.zh(), x.state.en()),
        title => x.title.clone(),
        description => x.description.clone(),
        subject => x.subject.clone(),
        evidence => (x.evidence.as_object().is_some_and(|o| !o.is_empty())).then(|| x.evidence.to_string()),
        occurred_on => x.occurred_on.to_string(),
        rectification_id => x.rectification_id,
        grants_suspended => x.grants_suspended,
        created_by => x.created_by.clone(),
        created_at => local_time(&x.created_at),
        closing_note => x.closing_note.clone(),
        can_act => v.can_act,
    }
}

fn notice_row(lang: Lang, r: &RectificationView) -> Value {
    let x = &r.rectification;
    context! {
        id => x.id,
        org => r.org_name.clone(),
        authority => r.authority_name.clone(),
        requirement => x.requirement.clone(),
        working_days => x.working_days,
        due => x.due_on.to_string(),
        days_left => r.deadline.as_ref().and_then(|d| d.working_days_left),
        overdue => r.deadline.as_ref().is_some_and(|d| d.overdue),
        state => x.state.as_str(),
        state_text => lang.pick(x.state.zh(), x.state.en()),
        escalated => r.on_supervision_list,
        escalated_at => x.escalated_at.as_ref().map(local_time),
        report => x.report.clone(),
        reported_by => x.reported_by.clone(),
        reported_at => x.reported_at.as_ref().map(local_time),
        decision_note => x.decision_note.clone(),
        decided_by => x.decided_by.clone(),
        created_at => local_time(&x.created_at),
    }
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    state: Option<String>,
    /// After a run of the checks: what it found.
    #[serde(default)]
    detected: Option<u32>,
    #[serde(default)]
    escalated: Option<u32>,
}

async fn render_list(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    state: Option<ViolationState>,
    run: Option<(u32, u32)>,
    error: Option<String>,
) -> PageResult {
    let violations = s
        .app
        .violations(
            p,
            &ViolationQuery {
                state,
                ..Default::default()
            },
        )
        .await?;
    let notices = s
        .app
        .rectifications(p, &RectificationQuery::default())
        .await?;
    let targets = s.app.violation_targets(p).await?;
    let ctx = context! {
        violations => violations.iter().map(|v| violation_row(lang, v)).collect::<Vec<_>>(),
        supervision_list => notices.iter().filter(|r| r.on_supervision_list).map(|r| notice_row(lang, r)).collect::<Vec<_>>(),
        notices => notices.iter().map(|r| notice_row(lang, r)).collect::<Vec<_>>(),
        targets => targets.iter().map(|(id, n, k)| context! { id => id, name => n, kind => lang.pick(k.zh(), k.en()) }).collect::<Vec<_>>(),
        kinds => ViolationKind::ALL.iter().map(|k| context! {
            value => k.as_str(), text => format!("{} — {}", lang.pick(k.zh(), k.en()), k.citation()),
            misuse => k.is_misuse(),
        }).collect::<Vec<_>>(),
        states => ViolationState::ALL.iter().map(|k| context! { value => k.as_str(), text => lang.pick(k.zh(), k.en()) }).collect::<Vec<_>>(),
        state => state.map(|s| s.as_str()),
        run => run.map(|(d, e)| context! { detected => d, escalated => e }),
        authority => !targets.is_empty(),
        error => error,
        ..base(s, p, lang, "/violations").await
    };
    Ok(s.templates.render("violations.html", ctx))
}

/// Violations, notices and the supervision list the caller may see.
pub async fn list_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let state = q
        .state
        .as_deref()
        .filter(|v| !v.is_empty())
        .and_then(|v| v.parse().ok());
    let run = q.detected.zip(q.escalated);
    render_list(&s, &p, lang, state, run, None).await
}

#[derive(Deserialize)]
pub struct Fields {
    #[serde(flatten)]
    rest: BTreeMap<String, String>,
}

fn text_of(rest: &BTreeMap<String, String>, k: &str) -> String {
    rest.get(k).cloned().unwrap_or_default()
}

fn opt_text(rest: &BTreeMap<String, String>, k: &str) -> Option<String> {
    rest.get(k)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Records a violation (the authority's form).
pub async fn create(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    CsrfForm(f): CsrfForm<Fields>,
) -> PageResult {
    let r = &f.rest;
    let made = async {
        let input = ViolationInput {
            org_id: r
                .get("org_id")
                .and_then(|v| v.trim().parse().ok())
                .ok_or_else(|| ServiceError::invalid("org_id", "choose one"))?,
            kind: r
                .get("kind")
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| ServiceError::invalid("kind", "choose one"))?,
            title: text_of(r, "title"),
            description: text_of(r, "description"),
            subject: opt_text(r, "subject"),
            occurred_on: match opt_text(r, "occurred_on") {
                Some(d) => Some(
                    d.parse()
                        .map_err(|_| ServiceError::invalid("occurred_on", "a date (YYYY-MM-DD)"))?,
                ),
                None => None,
            },
            suspend_grants: r.contains_key("suspend_grants"),
        };
        s.app.record_violation(&p, input).await
    }
    .await;
    form_outcome(
        made,
        |v| format!("/violations/{}", v.violation.id),
        |m| render_list(&s, &p, lang, None, None, Some(m)),
    )
    .await
}

/// Runs the checks now, then shows the list.
pub async fn check(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    let run = s.app.check_violations_now(&p).await?;
    Ok(Redirect::to(&format!(
        "/violations?detected={}&escalated={}",
        run.detected, run.escalated
    ))
    .into_response())
}

async fn render_violation(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    id: i64,
    error: Option<String>,
) -> PageResult {
    let v = s.app.violation(p, id).await?;
    let ctx = context! {
        v => violation_row(lang, &v),
        default_days => pubdata_domain::violation::RECTIFICATION_DEFAULT_DAYS,
        max_days => pubdata_domain::violation::RECTIFICATION_MAX_DAYS,
        error => error,
        ..base(s, p, lang, "/violations").await
    };
    Ok(s.templates.render("violation.html", ctx))
}

pub async fn violation_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
) -> PageResult {
    render_violation(&s, &p, lang, id, None).await
}

/// Issues a notice over this violation.
pub async fn notify(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<Fields>,
) -> PageResult {
    let r = &f.rest;
    let made = async {
        let days =
            match opt_text(r, "working_days") {
                Some(d) => Some(d.parse().map_err(|_| {
                    ServiceError::invalid("working_days", "a number of working days")
                })?),
                None => None,
            };
        s.app
            .issue_rectification(
                &p,
                RectificationInput {
                    violation_ids: vec![id],
                    requirement: text_of(r, "requirement"),
                    working_days: days,
                },
            )
            .await
    }
    .await;
    form_outcome(
        made,
        |n| format!("/rectifications/{}", n.rectification.id),
        |m| render_violation(&s, &p, lang, id, Some(m)),
    )
    .await
}

pub async fn dismiss(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<Fields>,
) -> PageResult {
    let done = s
        .app
        .dismiss_violation(
            &p,
            id,
            DismissalInput {
                reason: text_of(&f.rest, "reason"),
            },
        )
        .await;
    form_outcome(
        done,
        |_| format!("/violations/{id}"),
        |m| render_violation(&s, &p, lang, id, Some(m)),
    )
    .await
}

async fn render_notice(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    id: i64,
    error: Option<String>,
) -> PageResult {
    let r = s.app.rectification(p, id).await?;
    let ctx = context! {
        n => notice_row(lang, &r),
        violations => r.violations.iter().map(|v| violation_row(lang, v)).collect::<Vec<_>>(),
        can_report => r.can_report,
        can_decide => r.can_decide,
        error => error,
        ..base(s, p, lang, "/violations").await
    };
    Ok(s.templates.render("rectification.html", ctx))
}

pub async fn notice_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
) -> PageResult {
    render_notice(&s, &p, lang, id, None).await
}

async fn after_notice(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    id: i64,
    done: Result<RectificationView, ServiceError>,
) -> PageResult {
    form_outcome(
        done,
        |_| format!("/rectifications/{id}"),
        |m| render_notice(s, p, lang, id, Some(m)),
    )
    .await
}

pub async fn report(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<Fields>,
) -> PageResult {
    let done = s
        .app
        .report_rectification(
            &p,
            id,
            RectificationReport {
                report: text_of(&f.rest, "report"),
            },
        )
        .await;
    after_notice(&s, &p, lang, id, done).await
}

pub async fn decide(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<Fields>,
) -> PageResult {
    let done = s
        .app
        .decide_rectification(
            &p,
            id,
            RectificationDecision {
                accept: text_of(&f.rest, "decision") == "accept",
                note: text_of(&f.rest, "note"),
            },
        )
        .await;
    after_notice(&s, &p, lang, id, done).await
}
