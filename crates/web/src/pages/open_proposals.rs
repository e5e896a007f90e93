//! Filing of open attributes and the authority's change proposals (开放属性
//! 备案与修改建议, OPN-1, Art. 32–34): the authority's list of filings with
//! a proposal form per entry, and a proposal's page where the agency
//! answers and the authority escalates and records the government's
//! decision.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use chrono::NaiveDate;
use minijinja::{Value, context};
use pubdata_domain::catalog::{OpenAttribute, OpenClause};
use pubdata_service::Principal;
use pubdata_service::model::OpenFiling;
use pubdata_service::open_proposals::{
    AnswerInput, DecisionInput, EscalationInput, FilingQuery, ProposalInput, ProposalView,
};
use serde::Deserialize;

use super::{PageCaller, PageResult, base, local_time, not_the_forms};
use crate::AppState;
use crate::extract::{CsrfForm, Lang};

fn clause_names(lang: Lang, v: &[OpenClause]) -> Vec<String> {
    v.iter()
        .map(|c| lang.pick(c.zh(), c.en()).to_string())
        .collect()
}

fn attribute_name(lang: Lang, a: OpenAttribute) -> String {
    lang.pick(a.zh(), a.en()).to_string()
}

/// The clause options of a form, with the attribute each supports.
fn clause_options(lang: Lang) -> Vec<Value> {
    OpenClause::ALL
        .iter()
        .map(|c| context! { value => c.as_str(), name => lang.pick(c.zh(), c.en()), attribute => c.attribute().as_str() })
        .collect()
}

fn attribute_options(lang: Lang) -> Vec<Value> {
    OpenAttribute::ALL
        .iter()
        .map(|a| context! { value => a.as_str(), name => lang.pick(a.zh(), a.en()) })
        .collect()
}

pub(crate) fn filing_row(lang: Lang, f: &OpenFiling) -> Value {
    context! {
        id => f.id, entry_id => f.entry_id, version => f.version,
        attribute => f.attribute.as_str(), attribute_name => attribute_name(lang, f.attribute),
        clauses => clause_names(lang, &f.clauses), basis => f.basis.clone(),
        filed_on => f.filed_on.to_string(), filed_by => f.filed_by.clone(),
    }
}

pub(crate) fn proposal_row(lang: Lang, v: &ProposalView) -> Value {
    let x = &v.proposal;
    let cases: Vec<Value> = v
        .cases
        .iter()
        .map(|c| {
            let d = c.deadline.as_ref();
            context! {
                kind => lang.pick(c.case.kind.zh(), c.case.kind.en()),
                state => lang.pick(c.case.state.zh(), c.case.state.en()),
                opened => c.case.opened_on.to_string(), due => c.case.due_on.to_string(),
                left => d.and_then(|d| d.working_days_left), overdue => d.is_some_and(|d| d.overdue),
                outcome => c.case.outcome.clone(), basis => c.case.basis.clone(),
            }
        })
        .collect();
    context! {
        id => x.id, entry_id => x.entry_id, entry_code => v.entry_code.clone(), entry_name => v.entry_name.clone(),
        org => v.org_name.clone(), authority => v.authority_name.clone(),
        state => x.state.as_str(), state_name => lang.pick(x.state.zh(), x.state.en()),
        from => attribute_name(lang, x.from_attribute), from_clauses => clause_names(lang, &x.from_clauses),
        proposed => attribute_name(lang, x.proposed_attribute), proposed_value => x.proposed_attribute.as_str(),
        proposed_clauses => clause_names(lang, &x.proposed_clauses),
        reasons => x.reasons.clone(), proposed_by => x.proposed_by.clone(), created_at => local_time(&x.created_at),
        answer_reasons => x.answer_reasons.clone(), answered_by => x.answered_by.clone(),
        answered_at => x.answered_at.as_ref().map(local_time), applied_version => x.applied_version,
        escalation_reasons => x.escalation_reasons.clone(), escalated_by => x.escalated_by.clone(),
        escalated_at => x.escalated_at.as_ref().map(local_time),
        document_no => x.decision_document_no.clone(), decision_date => x.decision_date.map(|d| d.to_string()),
        decided => x.decided_attribute.map(|a| attribute_name(lang, a)),
        decided_clauses => clause_names(lang, &x.decided_clauses), decided_version => x.decided_version,
        decided_by => x.decided_by.clone(),
        cases => cases,
        due => v.cases.iter().rev().find_map(|c| c.deadline.as_ref().map(|d| d.due.to_string())),
        overdue => v.cases.iter().any(|c| c.deadline.as_ref().is_some_and(|d| d.overdue)),
    }
}

#[derive(Deserialize)]
pub struct FilingsQuery {
    #[serde(default)]
    org_id: Option<String>,
    #[serde(default)]
    attribute: Option<String>,
}

/// The authority's list of filed open attributes, filterable by agency
/// and attribute, each with a proposal form; and its proposals.
pub async fn filings_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Query(q): Query<FilingsQuery>,
) -> PageResult {
    render_filings(&s, &p, lang, q, None).await
}

async fn render_filings(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    q: FilingsQuery,
    error: Option<String>,
) -> PageResult {
    let org_id = q
        .org_id
        .as_deref()
        .and_then(|v| v.trim().parse::<i64>().ok());
    let attribute = q
        .attribute
        .as_deref()
        .and_then(|v| v.parse::<OpenAttribute>().ok());
    let filings = s
        .app
        .list_open_filings(p, &FilingQuery { org_id, attribute })
        .await?;
    let proposals = s.app.list_open_proposals(p).await?;
    let mut orgs: Vec<(i64, String)> = filings
        .iter()
        .map(|f| (f.filing.org_id, f.org_name.clone()))
        .collect();
    orgs.sort();
    orgs.dedup();
    let pending: Vec<i64> = proposals
        .iter()
        .filter(|v| {
            matches!(
                v.proposal.state.as_str(),
                "open" | "disagreed" | "escalated"
            )
        })
        .map(|v| v.proposal.entry_id)
        .collect();
    let rows: Vec<Value> = filings
        .iter()
        .map(|f| context! {
            entry_code => f.entry_code.clone(), entry_name => f.entry_name.clone(), org => f.org_name.clone(),
            pending => pending.contains(&f.filing.entry_id),
            ..filing_row(lang, &f.filing)
        })
        .collect();
    let ctx = context! {
        filings => rows,
        proposals => proposals.iter().map(|v| proposal_row(lang, v)).collect::<Vec<_>>(),
        orgs => orgs.iter().map(|(id, name)| context! { id => id, name => name }).collect::<Vec<_>>(),
        org_id => org_id, attribute => attribute.map(|a| a.as_str()),
        attributes => attribute_options(lang), clauses => clause_options(lang),
        error => error,
        ..base(s, p, lang, "/open/filings").await
    };
    Ok(s.templates.render("open_filings.html", ctx))
}

#[derive(Deserialize)]
pub struct ProposeForm {
    proposed_attribute: String,
    #[serde(default)]
    clauses: Vec<String>,
    #[serde(default)]
    reasons: String,
}

/// The authority proposes another attribute for a filed entry.
pub async fn propose(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(entry_id): Path<i64>,
    CsrfForm(f): CsrfForm<ProposeForm>,
) -> PageResult {
    use pubdata_service::ServiceError;
    let result = match (
        f.proposed_attribute.parse::<OpenAttribute>(),
        parse_clauses(&f.clauses),
    ) {
        (Ok(attribute), Ok(clauses)) => {
            let input = ProposalInput {
                proposed_attribute: attribute,
                clauses,
                reasons: f.reasons,
            };
            s.app.propose_open_attribute(&p, entry_id, input).await
        }
        (Err(e), _) => Err(ServiceError::invalid("proposed_attribute", e.to_string())),
        (_, Err(e)) => Err(e),
    };
    match result {
        Ok(v) => Ok(Redirect::to(&format!("/open/proposals/{}", v.proposal.id)).into_response()),
        Err(e) if not_the_forms(&e) => Err(e.into()),
        Err(e) => {
            let q = FilingsQuery {
                org_id: None,
                attribute: None,
            };
            let mut r = render_filings(&s, &p, lang, q, Some(e.to_string())).await?;
            *r.status_mut() = crate::error::status_of(&e);
            Ok(r)
        }
    }
}

pub async fn proposal_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
) -> PageResult {
    render_proposal(&s, &p, lang, id, None).await
}

async fn render_proposal(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    id: i64,
    error: Option<String>,
) -> PageResult {
    let v = s.app.get_open_proposal(p, id).await?;
    let ctx = context! {
        x => proposal_row(lang, &v),
        may_answer => v.may_answer, may_escalate => v.may_escalate, may_decide => v.may_decide,
        attributes => attribute_options(lang), clauses => clause_options(lang),
        proposed_clause_values => v.proposal.proposed_clauses.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        today => pubdata_domain::calendar::today_cst().to_string(),
        error => error,
        ..base(s, p, lang, &format!("/open/proposals/{id}")).await
    };
    Ok(s.templates.render("open_proposal.html", ctx))
}

/// Renders the proposal page again with the error of a refused form.
async fn refused(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    id: i64,
    e: pubdata_service::ServiceError,
) -> PageResult {
    if not_the_forms(&e) {
        return Err(e.into());
    }
    let mut r = render_proposal(s, p, lang, id, Some(e.to_string())).await?;
    *r.status_mut() = crate::error::status_of(&e);
    Ok(r)
}

fn parse_clauses(v: &[String]) -> Result<Vec<OpenClause>, pubdata_service::ServiceError> {
    v.iter()
        .map(|c| {
            c.parse::<OpenClause>()
                .map_err(|e| pubdata_service::ServiceError::invalid("clauses", e.to_string()))
        })
        .collect()
}

#[derive(Deserialize)]
pub struct AnswerForm {
    answer: String,
    #[serde(default)]
    reasons: String,
    #[serde(default)]
    clauses: Vec<String>,
}

/// The agency agrees or disagrees.
pub async fn answer(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<AnswerForm>,
) -> PageResult {
    let agree = f.answer == "agree";
    let clauses = match parse_clauses(&f.clauses) {
        Ok(c) => (agree && !c.is_empty()).then_some(c),
        Err(e) => return refused(&s, &p, lang, id, e).await,
    };
    let input = AnswerInput {
        agree,
        reasons: f.reasons,
        clauses,
    };
    match s.app.answer_open_proposal(&p, id, input).await {
        Ok(_) => Ok(Redirect::to(&format!("/open/proposals/{id}")).into_response()),
        Err(e) => refused(&s, &p, lang, id, e).await,
    }
}

#[derive(Deserialize)]
pub struct EscalateForm {
    #[serde(default)]
    reasons: String,
}

/// The authority escalates to the government.
pub async fn escalate(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<EscalateForm>,
) -> PageResult {
    let input = EscalationInput { reasons: f.reasons };
    match s.app.escalate_open_proposal(&p, id, input).await {
        Ok(_) => Ok(Redirect::to(&format!("/open/proposals/{id}")).into_response()),
        Err(e) => refused(&s, &p, lang, id, e).await,
    }
}

#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    document_no: String,
    #[serde(default)]
    decided_on: String,
    #[serde(default)]
    attribute: String,
    #[serde(default)]
    clauses: Vec<String>,
}

/// The authority records the government's decision.
pub async fn decide(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<DecisionForm>,
) -> PageResult {
    use pubdata_service::ServiceError;
    let decided_on = match f.decided_on.trim().parse::<NaiveDate>() {
        Ok(d) => d,
        Err(_) => {
            let e = ServiceError::invalid("decided_on", "a date YYYY-MM-DD");
            return refused(&s, &p, lang, id, e).await;
        }
    };
    let attribute = match f.attribute.parse::<OpenAttribute>() {
        Ok(a) => a,
        Err(e) => {
            let e = ServiceError::invalid("attribute", e.to_string());
            return refused(&s, &p, lang, id, e).await;
        }
    };
    let clauses = match parse_clauses(&f.clauses) {
        Ok(c) => c,
        Err(e) => return refused(&s, &p, lang, id, e).await,
    };
    let input = DecisionInput {
        document_no: f.document_no,
        decided_on,
        attribute,
        clauses,
    };
    match s.app.record_government_decision(&p, id, input).await {
        Ok(_) => Ok(Redirect::to(&format!("/open/proposals/{id}")).into_response()),
        Err(e) => refused(&s, &p, lang, id, e).await,
    }
}
