//! Authorised operation (公共数据授权运营, OPS-1..3): the agreements and
//! earlier arrangements list, the new agreement form, an agreement's page
//! (filing, the city authority's review, termination, revenue records), an
//! arrangement's page (the authority's decision), and the public registry
//! of products built on open data (`/open/products`).

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use minijinja::{Value, context};
use pubdata_domain::operation::{ArrangementDecision, FilingDecision};
use pubdata_service::operation::{
    AgreementInput, AgreementView, ArrangementInput, ArrangementReview, ArrangementView,
    FilingReview, RevenueInput, Termination,
};
use pubdata_service::{Principal, ServiceError};
use serde::Deserialize;

use super::open::{Visitor, public_base};
use super::{PageCaller, PageResult, base, form_outcome, local_time, not_the_forms};
use crate::AppState;
use crate::extract::{CsrfForm, Lang, NoFields};

fn yuan(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

fn agreement_row(lang: Lang, a: &AgreementView) -> Value {
    let x = &a.agreement;
    context! {
        id => x.id,
        title => x.title.clone(),
        agency => a.agency_name.clone(),
        operator => a.operator_name.clone(),
        level => x.level.as_str(),
        level_text => lang.pick(x.level.zh(), x.level.en()),
        datasets => a.dataset_names.join("、"),
        scenarios => x.scenarios.clone(),
        term => format!("{} — {}", x.term_from, x.term_to),
        revenue_terms => x.revenue_terms.clone(),
        status => a.status.as_str(),
        status_text => lang.pick(a.status.zh(), a.status.en()),
        state => x.state.as_str(),
        reason => x.reason.clone(),
        earlier => x.earlier_arrangement,
        decided_by => x.decided_by.clone(),
        decided_at => x.decided_at.as_ref().map(local_time),
        filed_at => x.filed_at.as_ref().map(local_time),
    }
}

fn arrangement_row(lang: Lang, a: &ArrangementView) -> Value {
    let x = &a.arrangement;
    context! {
        id => x.id,
        agency => a.agency_name.clone(),
        third_party => a.third_party_name.clone(),
        description => x.description.clone(),
        datasets => a.dataset_names.join("、"),
        since => x.since.to_string(),
        state => x.state.as_str(),
        state_text => lang.pick(x.state.zh(), x.state.en()),
        due => x.due_on.to_string(),
        days_left => a.deadline.as_ref().and_then(|d| d.working_days_left),
        overdue => a.deadline.as_ref().is_some_and(|d| d.overdue),
        reason => x.reason.clone(),
        agreement_id => x.agreement_id,
    }
}

async fn render_list(s: &AppState, p: &Principal, lang: Lang, error: Option<String>) -> PageResult {
    let agreements = s.app.operation_agreements(p).await?;
    let arrangements = s.app.operation_arrangements(p).await?;
    let choices = s.app.operation_choices(p).await?;
    let ctx = context! {
        agreements => agreements.iter().map(|a| agreement_row(lang, a)).collect::<Vec<_>>(),
        arrangements => arrangements.iter().map(|a| arrangement_row(lang, a)).collect::<Vec<_>>(),
        can_manage => !choices.datasets.is_empty(),
        operators => choices.operators.iter().map(|(id, n)| context! { id => id, name => n }).collect::<Vec<_>>(),
        datasets => choices.datasets.iter().map(|(id, n)| context! { id => id, name => n }).collect::<Vec<_>>(),
        reviewer => s.app.reviews_operation(p).await,
        error => error,
        ..base(s, p, lang, "/operation").await
    };
    Ok(s.templates.render("operation.html", ctx))
}

/// Agreements and earlier arrangements the caller may see.
pub async fn list_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
) -> PageResult {
    render_list(&s, &p, lang, None).await
}

async fn render_new(s: &AppState, p: &Principal, lang: Lang, error: Option<String>) -> PageResult {
    let choices = s.app.operation_choices(p).await?;
    let ctx = context! {
        operators => choices.operators.iter().map(|(id, n)| context! { id => id, name => n }).collect::<Vec<_>>(),
        datasets => choices.datasets.iter().map(|(id, n)| context! { id => id, name => n }).collect::<Vec<_>>(),
        error => error,
        ..base(s, p, lang, "/operation").await
    };
    Ok(s.templates.render("operation_new.html", ctx))
}

pub async fn new_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
) -> PageResult {
    render_new(&s, &p, lang, None).await
}

/// The datasets ticked in a form (`ds.<id>` fields).
fn ticked(rest: &BTreeMap<String, String>) -> Vec<i64> {
    rest.keys()
        .filter_map(|k| k.strip_prefix("ds.").and_then(|id| id.parse().ok()))
        .collect()
}

fn date_of(rest: &BTreeMap<String, String>, k: &str) -> Result<chrono::NaiveDate, ServiceError> {
    rest.get(k)
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| ServiceError::invalid(k, "a date (YYYY-MM-DD)"))
}

fn text_of(rest: &BTreeMap<String, String>, k: &str) -> String {
    rest.get(k).cloned().unwrap_or_default()
}

fn id_of(rest: &BTreeMap<String, String>, k: &str) -> Result<i64, ServiceError> {
    rest.get(k)
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| ServiceError::invalid(k, "choose one"))
}

#[derive(Deserialize)]
pub struct Fields {
    #[serde(flatten)]
    rest: BTreeMap<String, String>,
}

pub async fn create(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    CsrfForm(f): CsrfForm<Fields>,
) -> PageResult {
    let r = &f.rest;
    let made = async {
        let input = AgreementInput {
            agency_org: None,
            operator_org: id_of(r, "operator_org")?,
            title: text_of(r, "title"),
            datasets: ticked(r),
            scenarios: text_of(r, "scenarios"),
            term_from: date_of(r, "term_from")?,
            term_to: date_of(r, "term_to")?,
            revenue_terms: text_of(r, "revenue_terms"),
        };
        s.app.create_agreement(&p, input).await
    }
    .await;
    form_outcome(
        made,
        |a| format!("/operation/agreements/{}", a.agreement.id),
        |m| render_new(&s, &p, lang, Some(m)),
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
    let a = s.app.operation_agreement(p, id).await?;
    let revenue = s.app.revenue_records(p, id).await?;
    let manages = s.app.manages_operation(p, a.agreement.agency_org).await;
    let reviewer = s.app.reviews_operation(p).await;
    let operator = p.org_id() == Some(a.agreement.operator_org);
    let state = a.agreement.state.as_str();
    let ctx = context! {
        a => agreement_row(lang, &a),
        can_file => manages && matches!(state, "draft" | "returned"),
        can_review => reviewer && state == "filed",
        can_terminate => (manages || reviewer) && state != "terminated",
        can_revenue => (manages || operator) && state == "accepted",
        revenue => revenue.items.iter().map(|r| context! {
            period => r.period.clone(), revenue => yuan(r.revenue_fen), contribution => yuan(r.contribution_fen),
            products => r.products, note => r.note.clone(), by => r.entered_by.clone(),
        }).collect::<Vec<_>>(),
        total_revenue => yuan(revenue.total_revenue_fen),
        total_contribution => yuan(revenue.total_contribution_fen),
        total_products => revenue.total_products,
        error => error,
        ..base(s, p, lang, "/operation").await
    };
    Ok(s.templates.render("operation_agreement.html", ctx))
}

pub async fn detail(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
) -> PageResult {
    render_detail(&s, &p, lang, id, None).await
}

/// Redirects to the agreement's page, or shows it again with the error.
async fn after(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    id: i64,
    done: Result<(), ServiceError>,
) -> PageResult {
    form_outcome(
        done,
        |()| format!("/operation/agreements/{id}"),
        |m| render_detail(s, p, lang, id, Some(m)),
    )
    .await
}

pub async fn file(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    let done = s.app.file_agreement(&p, id).await.map(|_| ());
    after(&s, &p, lang, id, done).await
}

pub async fn review(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<Fields>,
) -> PageResult {
    let decision = if text_of(&f.rest, "decision") == "accept" {
        FilingDecision::Accept
    } else {
        FilingDecision::Return
    };
    let r = FilingReview {
        decision,
        reason: text_of(&f.rest, "reason"),
    };
    let done = s.app.review_agreement(&p, id, r).await.map(|_| ());
    after(&s, &p, lang, id, done).await
}

pub async fn terminate(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<Fields>,
) -> PageResult {
    let t = Termination {
        reason: text_of(&f.rest, "reason"),
    };
    let done = s.app.terminate_agreement(&p, id, t).await.map(|_| ());
    after(&s, &p, lang, id, done).await
}

/// An amount in yuan (元, up to two decimals) as fen.
fn fen_of(rest: &BTreeMap<String, String>, k: &str) -> Result<i64, ServiceError> {
    let v = text_of(rest, k);
    let v = v.trim();
    let bad = || ServiceError::invalid(k, "an amount in yuan, e.g. 1200.50");
    let (whole, frac) = v.split_once('.').unwrap_or((v, ""));
    if whole.is_empty()
        || frac.len() > 2
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || whole.len() > 13
    {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let frac: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
    Ok(whole * 100 + frac)
}

pub async fn add_revenue(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<Fields>,
) -> PageResult {
    let r = &f.rest;
    let done = async {
        let input = RevenueInput {
            period: text_of(r, "period"),
            revenue_fen: fen_of(r, "revenue")?,
            contribution_fen: fen_of(r, "contribution")?,
            products: text_of(r, "products")
                .trim()
                .parse()
                .map_err(|_| ServiceError::invalid("products", "a whole number"))?,
            note: text_of(r, "note"),
        };
        s.app.add_revenue(&p, id, input).await.map(|_| ())
    }
    .await;
    after(&s, &p, lang, id, done).await
}

pub async fn create_arrangement(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    CsrfForm(f): CsrfForm<Fields>,
) -> PageResult {
    let r = &f.rest;
    let made = async {
        let input = ArrangementInput {
            agency_org: None,
            third_party_org: id_of(r, "third_party_org")?,
            description: text_of(r, "description"),
            datasets: ticked(r),
            since: date_of(r, "since")?,
        };
        s.app.register_arrangement(&p, input).await
    }
    .await;
    match made {
        Ok(a) => Ok(
            Redirect::to(&format!("/operation/arrangements/{}", a.arrangement.id)).into_response(),
        ),
        Err(e) if not_the_forms(&e) => Err(e.into()),
        Err(e) => {
            let mut resp = render_list(&s, &p, lang, Some(e.to_string())).await?;
            *resp.status_mut() = crate::error::status_of(&e);
            Ok(resp)
        }
    }
}

async fn render_arrangement(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    id: i64,
    error: Option<String>,
) -> PageResult {
    let a = s.app.operation_arrangement(p, id).await?;
    let ctx = context! {
        a => arrangement_row(lang, &a),
        can_review => s.app.reviews_operation(p).await && a.arrangement.state.as_str() == "under_review",
        error => error,
        ..base(s, p, lang, "/operation").await
    };
    Ok(s.templates.render("operation_arrangement.html", ctx))
}

pub async fn arrangement(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
) -> PageResult {
    render_arrangement(&s, &p, lang, id, None).await
}

pub async fn review_arrangement(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<Fields>,
) -> PageResult {
    let decision = if text_of(&f.rest, "decision") == "resign" {
        ArrangementDecision::Resign
    } else {
        ArrangementDecision::Terminate
    };
    let r = ArrangementReview {
        decision,
        reason: text_of(&f.rest, "reason"),
    };
    form_outcome(
        s.app.review_arrangement(&p, id, r).await,
        |_| format!("/operation/arrangements/{id}"),
        |m| render_arrangement(&s, &p, lang, id, Some(m)),
    )
    .await
}

/// Products and services built on open data (Art. 42), for anyone.
pub async fn products_page(
    State(s): State<AppState>,
    Visitor(p, signed_in): Visitor,
    lang: Lang,
) -> PageResult {
    s.app.take_open_rate(&p, 1.0)?;
    let products = s.app.open_products().await?;
    let ctx = context! {
        products => products.iter().map(|x| context! {
            id => x.product.id,
            name => x.product.name.clone(),
            provider => x.product.provider.clone(),
            description => x.product.description.clone(),
            url => x.product.url.clone(),
            datasets => x.product.datasets.iter().zip(&x.dataset_names).map(|(id, n)| context! { id => id, name => n }).collect::<Vec<_>>(),
        }).collect::<Vec<_>>(),
        ..public_base(lang, "/open/products", signed_in)
    };
    Ok(s.templates.render("open_products.html", ctx))
}
