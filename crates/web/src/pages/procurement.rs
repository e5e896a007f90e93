//! Procurement of social data (社会数据统一采购, COL-3, Art. 17): the demands
//! list with the filing form, and a demand's page with the authority's
//! evaluation, the unified procurement record and the state of the
//! catalogue entry the purchased data is catalogued under.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use minijinja::{Value, context};
use pubdata_domain::procurement::{EvaluationDecision, PurchaseKind};
use pubdata_service::procurement::{
    ProcurementDemandInput, ProcurementDemandView, ProcurementEvaluation, ProcurementRecordInput,
};
use pubdata_service::{Principal, ServiceError};
use serde::Deserialize;

use super::{PageCaller, PageResult, base, form_outcome, local_time, text};
use crate::AppState;
use crate::extract::{CsrfForm, Lang};

fn yuan(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

/// Yuan as typed (`12.5`, `1,200.00`) in fen.
fn fen_of(rest: &BTreeMap<String, String>, k: &str) -> Result<i64, ServiceError> {
    let v = rest
        .get(k)
        .map(|v| v.trim().replace(',', ""))
        .unwrap_or_default();
    let bad = || ServiceError::invalid(k, "an amount in yuan, e.g. 1200.50");
    let (whole, frac) = v.split_once('.').unwrap_or((&v, ""));
    if whole.is_empty()
        || frac.len() > 2
        || !whole
            .chars()
            .chain(frac.chars())
            .all(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let frac: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
    whole
        .checked_mul(100)
        .and_then(|w| w.checked_add(frac))
        .ok_or_else(bad)
}

fn demand_row(lang: Lang, v: &ProcurementDemandView) -> Value {
    let d = &v.demand;
    context! {
        id => d.id,
        title => d.title.clone(),
        kind => d.kind.as_str(),
        kind_text => lang.pick(d.kind.zh(), d.kind.en()),
        agency => v.agency_name.clone(),
        authority => v.authority_name.clone(),
        description => d.description.clone(),
        justification => d.justification.clone(),
        budget => yuan(d.budget_fen),
        state => d.state.as_str(),
        state_text => lang.pick(d.state.zh(), d.state.en()),
        due => d.due_on.to_string(),
        evaluating => v.deadline.is_some(),
        days_left => v.deadline.as_ref().and_then(|s| s.working_days_left),
        overdue => v.deadline.as_ref().is_some_and(|s| s.overdue),
        reason => d.reason.clone(),
        evaluated_by => d.evaluated_by.clone(),
        evaluated_at => d.evaluated_at.as_ref().map(local_time),
        filed_at => local_time(&d.created_at),
        record => v.record.as_ref().map(|r| context! {
            supplier => r.record.supplier.clone(),
            contract_no => r.record.contract_no.clone(),
            amount => yuan(r.record.amount_fen),
            term => format!("{} — {}", r.record.term_from, r.record.term_to),
            entry_id => r.record.entry_id,
            entry_code => r.entry_code.clone(),
            entry_name => r.entry_name.clone(),
            recorded_by => r.record.recorded_by.clone(),
            checks => r.entry_checks.iter().map(|c| context! {
                name => lang.pick(c.check.zh(), c.check.en()),
                ok => c.ok,
                code => c.code.clone(),
                why => text(lang.code(), &format!("proj.why.{}", c.code)),
                detail => c.detail.clone(),
            }).collect::<Vec<_>>(),
        }),
    }
}

#[derive(Deserialize)]
pub struct Fields {
    #[serde(flatten)]
    rest: BTreeMap<String, String>,
}

fn text_of(rest: &BTreeMap<String, String>, k: &str) -> String {
    rest.get(k).cloned().unwrap_or_default()
}

fn date_of(rest: &BTreeMap<String, String>, k: &str) -> Result<chrono::NaiveDate, ServiceError> {
    rest.get(k)
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| ServiceError::invalid(k, "a date (YYYY-MM-DD)"))
}

async fn render_list(s: &AppState, p: &Principal, lang: Lang, error: Option<String>) -> PageResult {
    let demands = s.app.procurement_demands(p).await?;
    let ctx = context! {
        demands => demands.iter().map(|v| demand_row(lang, v)).collect::<Vec<_>>(),
        can_file => s.app.manages_projects(p).await,
        kinds => PurchaseKind::ALL.iter().map(|k| context! { value => k.as_str(), text => lang.pick(k.zh(), k.en()) }).collect::<Vec<_>>(),
        error => error,
        ..base(s, p, lang, "/procurement").await
    };
    Ok(s.templates.render("procurement.html", ctx))
}

/// The demands the caller may see, and the filing form.
pub async fn list_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
) -> PageResult {
    render_list(&s, &p, lang, None).await
}

pub async fn create(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    CsrfForm(f): CsrfForm<Fields>,
) -> PageResult {
    let r = &f.rest;
    let made = async {
        let kind: PurchaseKind = text_of(r, "kind")
            .parse()
            .map_err(|_| ServiceError::invalid("kind", "choose a kind"))?;
        let input = ProcurementDemandInput {
            agency_org: None,
            kind,
            title: text_of(r, "title"),
            description: text_of(r, "description"),
            justification: text_of(r, "justification"),
            budget_fen: fen_of(r, "budget")?,
        };
        s.app.file_procurement_demand(&p, input).await
    }
    .await;
    form_outcome(
        made,
        |v| format!("/procurement/demands/{}", v.demand.id),
        |m| render_list(&s, &p, lang, Some(m)),
    )
    .await
}

async fn render_detail(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    id: i64,
    error: Option<String>,
) -> PageResult {
    let v = s.app.procurement_demand(p, id).await?;
    let reviewer = s.app.reviews_projects(p, v.demand.agency_org).await;
    let state = v.demand.state.as_str();
    let entries = if reviewer && state == "approved" {
        s.app.procurement_entry_choices(v.demand.agency_org).await?
    } else {
        vec![]
    };
    let ctx = context! {
        d => demand_row(lang, &v),
        can_evaluate => reviewer && state == "evaluating",
        can_record => reviewer && state == "approved",
        entries => entries.iter().map(|(id, code, name)| context! { id => id, code => code, name => name }).collect::<Vec<_>>(),
        error => error,
        ..base(s, p, lang, "/procurement").await
    };
    Ok(s.templates.render("procurement_demand.html", ctx))
}

/// A demand with its evaluation and procurement record.
pub async fn detail(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
) -> PageResult {
    render_detail(&s, &p, lang, id, None).await
}

/// Redirects to the demand's page, or shows it again with the error.
async fn after(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    id: i64,
    done: Result<(), ServiceError>,
) -> PageResult {
    form_outcome(
        done,
        |()| format!("/procurement/demands/{id}"),
        |m| render_detail(s, p, lang, id, Some(m)),
    )
    .await
}

pub async fn evaluate(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<Fields>,
) -> PageResult {
    let decision = if text_of(&f.rest, "decision") == "approve" {
        EvaluationDecision::Approve
    } else {
        EvaluationDecision::Refuse
    };
    let input = ProcurementEvaluation {
        decision,
        reason: text_of(&f.rest, "reason"),
    };
    let done = s
        .app
        .evaluate_procurement_demand(&p, id, input)
        .await
        .map(|_| ());
    after(&s, &p, lang, id, done).await
}

pub async fn record(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<Fields>,
) -> PageResult {
    let r = &f.rest;
    let done = async {
        let input = ProcurementRecordInput {
            supplier: text_of(r, "supplier"),
            contract_no: text_of(r, "contract_no"),
            amount_fen: fen_of(r, "amount")?,
            term_from: date_of(r, "term_from")?,
            term_to: date_of(r, "term_to")?,
            entry_id: r
                .get("entry_id")
                .and_then(|v| v.trim().parse().ok())
                .ok_or_else(|| ServiceError::invalid("entry_id", "choose one"))?,
        };
        s.app.record_procurement(&p, id, input).await.map(|_| ())
    }
    .await;
    after(&s, &p, lang, id, done).await
}
