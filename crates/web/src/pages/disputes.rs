//! Disputes between agencies (争议处理, DSP-1, Art. 48): the list of the
//! disputes the caller's agency is party to or its authority handles, the
//! filing form, and a dispute's page with every stage's record and case
//! deadline and the forms for the caller's next action — a statement, the
//! move to the next stage (with the authority's leaning, 倾向性意见, when
//! reporting to the government), the settlement or the government's
//! decision.

use axum::extract::{Path, Query, State};
use minijinja::{Value, context};
use pubdata_domain::dispute::{
    DisputeStage, DisputeState, DisputeStepKind, DisputeSubjectKind, DisputeType,
};
use pubdata_service::disputes::{
    DisputeInput, DisputeView, EscalationInput, SettlementInput, StatementInput,
};
use pubdata_service::{Principal, ServiceError};
use serde::Deserialize;

use super::{PageCaller, PageResult, base, form_outcome, local_time};
use crate::AppState;
use crate::extract::{CsrfForm, Lang};

/// The caller's side in a dispute: `complainant`, `respondent` or
/// `authority` (none for a supervisor looking on).
fn side(p: &Principal, v: &DisputeView) -> Option<&'static str> {
    let d = &v.dispute;
    let mine = |org: i64| p.org_id() == Some(org) || p.roles.iter().any(|g| g.org_id == org);
    if mine(d.complainant_org) {
        Some("complainant")
    } else if mine(d.respondent_org) {
        Some("respondent")
    } else if v.is_authority {
        Some("authority")
    } else {
        None
    }
}

/// The page of the record a dispute is about.
fn subject_link(kind: DisputeSubjectKind, id: i64) -> String {
    match kind {
        DisputeSubjectKind::ShareRequest => format!("/sharing/requests/{id}"),
        DisputeSubjectKind::Grant => format!("/sharing/grants/{id}"),
        DisputeSubjectKind::CatalogEntry => format!("/catalog/entries/{id}"),
    }
}

/// A stage case's outcome as people read it.
fn case_outcome(lang: Lang, o: &str) -> String {
    match o {
        "escalated" => lang.pick("转入下一阶段", "moved to the next stage"),
        "settled" => lang.pick("已解决", "settled"),
        other => other,
    }
    .to_string()
}

fn row(lang: Lang, p: &Principal, v: &DisputeView) -> Value {
    let x = &v.dispute;
    let open = x.state == DisputeState::Open;
    let side = side(p, v);
    context! {
        id => x.id,
        title => x.title.clone(),
        kind => x.dispute_type.as_str(),
        kind_text => lang.pick(x.dispute_type.zh(), x.dispute_type.en()),
        complainant => v.complainant_name.clone(),
        respondent => v.respondent_name.clone(),
        authority => v.authority_name.clone(),
        cross_level => x.cross_level,
        stage => x.stage.as_str(),
        stage_text => lang.pick(x.stage.zh(), x.stage.en()),
        stage_days => x.stage.case_kind().time_limit().0.get(),
        state => x.state.as_str(),
        state_text => lang.pick(x.state.zh(), x.state.en()),
        open => open,
        due => open.then(|| x.due_on.to_string()),
        days_left => v.deadline.as_ref().and_then(|d| d.working_days_left),
        overdue => v.deadline.as_ref().is_some_and(|d| d.overdue),
        side => side,
        side_text => side.map(|s| match s {
            "complainant" => lang.pick("申请方", "Complainant"),
            "respondent" => lang.pick("被申请方", "Respondent"),
            _ => lang.pick("处理部门", "Handling authority"),
        }),
        grounds => x.grounds.clone(),
        subject_text => x.subject_kind.map(|k| lang.pick(k.zh(), k.en())),
        subject_id => x.subject_id,
        subject_link => x.subject_kind.zip(x.subject_id).map(|(k, id)| subject_link(k, id)),
        leaning => x.leaning.clone(),
        outcome => x.outcome.clone(),
        decision_no => x.decision_no.clone(),
        settled_by => x.settled_by.clone(),
        settled_at => x.settled_at.as_ref().map(local_time),
        created_by => x.created_by.clone(),
        created_at => local_time(&x.created_at),
    }
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    state: Option<String>,
}

/// The disputes the caller's agencies are party to or handle as the
/// authority (every dispute for administrators and auditors): the open
/// ones with their stage and deadline, then the settled ones.
pub async fn list_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let state = q
        .state
        .as_deref()
        .and_then(|v| v.parse::<DisputeState>().ok());
    let all = s.app.disputes(&p, state).await?;
    let (open, settled): (Vec<_>, Vec<_>) = all
        .iter()
        .partition(|v| v.dispute.state == DisputeState::Open);
    let may_file = !s.app.dispute_complainants(&p).await?.is_empty();
    let ctx = context! {
        open => open.iter().map(|v| row(lang, &p, v)).collect::<Vec<_>>(),
        settled => settled.iter().map(|v| row(lang, &p, v)).collect::<Vec<_>>(),
        overdue => open.iter().filter(|v| v.deadline.as_ref().is_some_and(|d| d.overdue)).count(),
        state => state.map(|s| s.as_str()),
        may_file => may_file,
        ..base(&s, &p, lang, "/disputes").await
    };
    Ok(s.templates.render("disputes.html", ctx))
}

#[derive(Deserialize, Default)]
pub struct NewQuery {
    /// A record to prefill: `share_request:12`, `grant:3`, `catalog_entry:7`.
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    respondent: Option<i64>,
}

/// What the filing form had (or the query prefilled), to show again.
#[derive(Deserialize, Default, Clone)]
pub struct NewForm {
    #[serde(default)]
    complainant_org: String,
    #[serde(default)]
    respondent_org: String,
    #[serde(default)]
    dispute_type: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    grounds: String,
    /// `kind:id`, or empty for none.
    #[serde(default)]
    subject: String,
}

async fn render_new(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    f: NewForm,
    error: Option<String>,
) -> PageResult {
    let choices = s.app.dispute_choices(p).await?;
    let subject = parse_subject(&f.subject).ok().flatten();
    let chosen_request = subject.and_then(|(k, id)| {
        (k == DisputeSubjectKind::ShareRequest)
            .then(|| choices.share_requests.iter().find(|r| r.id == id))
            .flatten()
    });
    // The record's other party is the respondent unless one was chosen.
    let mut f = f;
    if f.respondent_org.trim().is_empty()
        && let Some(r) = chosen_request
    {
        let ours = |o: i64| choices.complainants.iter().any(|(c, _)| *c == o);
        let other = if ours(r.requester_org) {
            r.source_org
        } else {
            r.requester_org
        };
        f.respondent_org = other.to_string();
    }
    let pair = |(id, name): &(i64, String)| context! { id => id, name => name };
    // A prefilled record that is not among the share requests listed
    // (a grant, a catalogue entry) is offered as it is.
    let extra_subject = subject
        .filter(|_| chosen_request.is_none())
        .map(|(k, id)| {
            context! { value => format!("{}:{id}", k.as_str()), name => format!("{} #{id}", lang.pick(k.zh(), k.en())) }
        });
    let ctx = context! {
        complainants => choices.complainants.iter().map(pair).collect::<Vec<_>>(),
        respondents => choices.respondents.iter().map(pair).collect::<Vec<_>>(),
        share_requests => choices.share_requests.iter().map(|r| context! {
            value => format!("share_request:{}", r.id), name => format!("#{} {}", r.id, r.label),
        }).collect::<Vec<_>>(),
        extra_subject => extra_subject,
        types => DisputeType::ALL.iter().map(|t| context! { value => t.as_str(), name => lang.pick(t.zh(), t.en()) }).collect::<Vec<_>>(),
        f => context! {
            complainant_org => f.complainant_org, respondent_org => f.respondent_org,
            dispute_type => f.dispute_type, title => f.title, grounds => f.grounds, subject => f.subject,
        },
        error => error,
        ..base(s, p, lang, "/disputes/new").await
    };
    Ok(s.templates.render("disputes_new.html", ctx))
}

/// The filing form (提起争议).
pub async fn new_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Query(q): Query<NewQuery>,
) -> PageResult {
    let f = NewForm {
        respondent_org: q.respondent.map(|r| r.to_string()).unwrap_or_default(),
        subject: q.subject.unwrap_or_default(),
        ..Default::default()
    };
    render_new(&s, &p, lang, f, None).await
}

/// `kind:id` of the subject field; `None` when empty.
fn parse_subject(v: &str) -> Result<Option<(DisputeSubjectKind, i64)>, ServiceError> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    let bad = || ServiceError::invalid("subject_id", "choose the record from the list");
    let (kind, id) = v.split_once(':').ok_or_else(bad)?;
    let kind = kind.parse::<DisputeSubjectKind>().map_err(|_| bad())?;
    let id = id.trim().parse::<i64>().map_err(|_| bad())?;
    Ok(Some((kind, id)))
}

fn id_field(field: &str, v: &str) -> Result<i64, ServiceError> {
    v.trim()
        .parse()
        .map_err(|_| ServiceError::invalid(field, "choose an agency"))
}

pub async fn create(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    CsrfForm(f): CsrfForm<NewForm>,
) -> PageResult {
    let filed = async {
        let subject = parse_subject(&f.subject)?;
        let input = DisputeInput {
            respondent_org: id_field("respondent_org", &f.respondent_org)?,
            complainant_org: if f.complainant_org.trim().is_empty() {
                None
            } else {
                Some(id_field("complainant_org", &f.complainant_org)?)
            },
            dispute_type: f
                .dispute_type
                .parse()
                .map_err(|_| ServiceError::invalid("dispute_type", "choose the kind"))?,
            title: f.title.clone(),
            grounds: f.grounds.clone(),
            subject_kind: subject.map(|s| s.0),
            subject_id: subject.map(|s| s.1),
        };
        s.app.file_dispute(&p, input).await
    }
    .await;
    form_outcome(
        filed,
        |v| format!("/disputes/{}", v.dispute.id),
        |m| render_new(&s, &p, lang, f, Some(m)),
    )
    .await
}

/// Every stage with its case and the record made at it, in order; stages
/// not reached yet are listed empty.
fn stages(lang: Lang, v: &DisputeView) -> Vec<Value> {
    let x = &v.dispute;
    let reached = DisputeStage::ALL
        .iter()
        .position(|s| *s == x.stage)
        .unwrap_or(0);
    DisputeStage::ALL
        .iter()
        .enumerate()
        .map(|(i, stage)| {
            let case = v.cases.iter().rev().find(|c| c.kind == stage.case_kind());
            let status = if i < reached {
                "done"
            } else if i > reached {
                "pending"
            } else if x.state == DisputeState::Settled {
                "settled"
            } else {
                "current"
            };
            let current = status == "current";
            let steps: Vec<Value> = v
                .steps
                .iter()
                .filter(|s| s.step.stage == *stage)
                .map(|s| {
                    let st = &s.step;
                    context! {
                        kind => st.kind.as_str(),
                        kind_text => match st.kind {
                            DisputeStepKind::Escalated => lang.pick("转入下一阶段", "Moved to the next stage"),
                            DisputeStepKind::Settled if *stage == DisputeStage::Government => lang.pick("政府决定", "Government decision"),
                            k => lang.pick(k.zh(), k.en()),
                        },
                        org => s.org_name.clone(),
                        actor => st.actor.clone(),
                        at => local_time(&st.at),
                        body => st.body.clone(),
                    }
                })
                .collect();
            context! {
                stage => stage.as_str(),
                name => lang.pick(stage.zh(), stage.en()),
                status => status,
                status_text => match status {
                    "done" => lang.pick("已结束", "Done"),
                    "settled" => lang.pick("已在本阶段解决", "Settled at this stage"),
                    "current" => lang.pick("当前阶段", "Current stage"),
                    _ => lang.pick("未进入", "Not reached"),
                },
                limit => stage.case_kind().time_limit().0.get(),
                opened => case.map(|c| c.opened_on.to_string()),
                due => case.map(|c| c.due_on.to_string()),
                closed => case.and_then(|c| c.closed_at.as_ref().map(local_time)),
                outcome => case.and_then(|c| c.outcome.as_deref().map(|o| case_outcome(lang, o))),
                basis => case.map(|c| c.basis.clone()),
                overdue_at => case.and_then(|c| c.overdue_at.as_ref().map(local_time)),
                days_left => if current { v.deadline.as_ref().and_then(|d| d.working_days_left) } else { None },
                overdue => current && v.deadline.as_ref().is_some_and(|d| d.overdue),
                steps => steps,
            }
        })
        .collect()
}

async fn render_detail(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    id: i64,
    error: Option<String>,
) -> PageResult {
    let v = s.app.dispute(p, id).await?;
    let x = &v.dispute;
    let open = x.state == DisputeState::Open;
    let next = x.stage.next();
    let ctx = context! {
        d => row(lang, p, &v),
        stages => stages(lang, &v),
        may_state => open && (v.is_party || v.is_authority),
        speaks_as_authority => v.is_authority && !v.is_party,
        can_escalate => v.can_escalate,
        next_stage => next.map(|n| lang.pick(n.zh(), n.en())),
        next_days => next.map(|n| n.case_kind().time_limit().0.get()),
        needs_leaning => next == Some(DisputeStage::Government),
        can_settle => v.can_settle,
        at_negotiation => x.stage == DisputeStage::Negotiation,
        at_government => x.stage == DisputeStage::Government,
        error => error,
        ..base(s, p, lang, &format!("/disputes/{id}")).await
    };
    Ok(s.templates.render("disputes_detail.html", ctx))
}

/// A dispute's page.
pub async fn detail(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
) -> PageResult {
    render_detail(&s, &p, lang, id, None).await
}

/// Back to the dispute's page, or the page again with the API's problem
/// message beside the forms (refusals are the error page).
async fn after(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    id: i64,
    done: Result<DisputeView, ServiceError>,
) -> PageResult {
    form_outcome(
        done,
        |_| format!("/disputes/{id}"),
        |m| render_detail(s, p, lang, id, Some(m)),
    )
    .await
}

#[derive(Deserialize)]
pub struct StatementForm {
    #[serde(default)]
    text: String,
}

/// A party's grounds or response, or the authority's minutes.
pub async fn statement(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<StatementForm>,
) -> PageResult {
    let done = s
        .app
        .dispute_statement(&p, id, StatementInput { text: f.text })
        .await;
    after(&s, &p, lang, id, done).await
}

#[derive(Deserialize)]
pub struct EscalationForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    leaning: String,
}

/// The move to the next stage.
pub async fn escalate(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<EscalationForm>,
) -> PageResult {
    let input = EscalationInput {
        reason: f.reason,
        leaning: Some(f.leaning).filter(|l| !l.trim().is_empty()),
    };
    let done = s.app.escalate_dispute(&p, id, input).await;
    after(&s, &p, lang, id, done).await
}

#[derive(Deserialize)]
pub struct SettlementForm {
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    decision_no: String,
}

/// The settlement, or at the government stage its decision.
pub async fn settle(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<SettlementForm>,
) -> PageResult {
    let input = SettlementInput {
        outcome: f.outcome,
        decision_no: Some(f.decision_no).filter(|n| !n.trim().is_empty()),
    };
    let done = s.app.settle_dispute(&p, id, input).await;
    after(&s, &p, lang, id, done).await
}
