//! Conditional open data applications (有条件开放申请, OPN-4) as pages:
//! the application form (from a conditional dataset on the portal), the
//! lists (mine / incoming), and one application with its deadline, the
//! agency's decision form, the data use agreement (利用协议) with the
//! applicant's accept button, then a preview and downloads.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use minijinja::{Value, context};
use pubdata_domain::open::ApplicationState;
use pubdata_service::Principal;
use pubdata_service::ServiceError;
use pubdata_service::open::applications::{
    AgreementAcceptance, ApplicationDecision, NewApplication, OpenApplicationView,
};
use pubdata_service::policy::Action;
use serde::Deserialize;

use super::{PageCaller, PageResult, base, form_outcome, local_time, not_the_forms};
use crate::AppState;
use crate::extract::{CsrfForm, Lang};

fn row(lang: Lang, v: &OpenApplicationView) -> Value {
    let a = &v.application;
    context! {
        id => a.id,
        dataset_id => a.dataset_id,
        entry => format!("{} {}", v.entry_code, v.entry_name),
        dataset => v.dataset_name.clone(),
        source => v.source_name.clone(),
        applicant => a.applicant.clone(),
        applicant_name => a.applicant_name.clone(),
        party => a.party.clone(),
        purpose => a.purpose.clone(),
        use_scenario => a.use_scenario.clone(),
        fields => a.fields.clone(),
        end_date => a.end_date.map(|d| d.to_string()),
        state => a.state.as_str(),
        state_name => lang.pick(a.state.zh(), a.state.en()),
        deadline => v.answer_deadline.as_ref().map(|d| context! {
            due => d.due.to_string(), left => d.working_days_left, overdue => d.overdue,
        }),
        answer_due => a.answer_due.to_string(),
        late => v.answered_late,
        decided_by => a.decided_by.clone(),
        decided_at => a.decided_at.as_ref().map(local_time),
        reason => a.reason.clone(),
        approved_fields => a.approved_fields.clone(),
        masks => a.masks.clone(),
        valid_from => a.valid_from.map(|d| d.to_string()),
        valid_until => a.valid_until.map(|d| d.to_string()),
        agreement_version => a.agreement_version,
        agreement_text => a.agreement_text.clone(),
        accepted_at => a.accepted_at.as_ref().map(local_time),
        accepted_by => a.accepted_by.clone(),
        deliverable => v.deliverable,
        refusal => v.refusal.clone(),
        created => local_time(&a.created_at),
    }
}

/// Applications: the caller's own (a person or enterprise), its agency's
/// incoming, or a supervisor's.
pub async fn list(State(s): State<AppState>, PageCaller(p): PageCaller, lang: Lang) -> PageResult {
    let items = s.app.open_applications(&p, None, 200).await?;
    let applicant = matches!(p.kind, "person" | "enterprise");
    let ctx = context! {
        items => items.iter().map(|v| row(lang, v)).collect::<Vec<_>>(),
        applicant => applicant,
        ..base(&s, &p, lang, "/open/applications").await
    };
    Ok(s.templates.render("open_applications.html", ctx))
}

#[derive(Deserialize)]
pub struct NewQuery {
    dataset: i64,
}

async fn render_form(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    dataset: i64,
    error: Option<String>,
) -> PageResult {
    let d = s.app.conditional_dataset(dataset).await?;
    let ctx = context! {
        d => context! {
            id => d.id, title => d.title.clone(), org => d.org_name.clone(),
            conditions => d.open_conditions.clone(), code => d.entry_code.clone(),
        },
        items => d.items.iter().map(|i| i.name.clone()).collect::<Vec<_>>(),
        end_date => (pubdata_domain::calendar::today_cst() + chrono::Duration::days(180)).to_string(),
        applicant => matches!(p.kind, "person" | "enterprise"),
        error => error,
        ..base(s, p, lang, "/open/applications").await
    };
    Ok(s.templates.render("open_application_new.html", ctx))
}

/// The application form for a conditionally open dataset.
pub async fn new_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Query(q): Query<NewQuery>,
) -> PageResult {
    render_form(&s, &p, lang, q.dataset, None).await
}

#[derive(Deserialize)]
pub struct ApplyForm {
    dataset_id: i64,
    #[serde(default)]
    fields: Vec<String>,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    use_scenario: String,
    #[serde(default)]
    end_date: String,
}

fn date_of(lang: Lang, v: &str) -> Result<Option<chrono::NaiveDate>, String> {
    match v.trim() {
        "" => Ok(None),
        v => v.parse().map(Some).map_err(|_| {
            lang.pick("日期格式应为 YYYY-MM-DD", "dates are YYYY-MM-DD")
                .to_string()
        }),
    }
}

pub async fn apply(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    CsrfForm(f): CsrfForm<ApplyForm>,
) -> PageResult {
    let end_date = match date_of(lang, &f.end_date) {
        Ok(d) => d,
        Err(msg) => return render_form(&s, &p, lang, f.dataset_id, Some(msg)).await,
    };
    let req = NewApplication {
        dataset_id: f.dataset_id,
        purpose: f.purpose,
        fields: f.fields,
        use_scenario: f.use_scenario,
        end_date,
    };
    form_outcome(
        s.app.apply_open(&p, req).await,
        |a| format!("/open/applications/{}", a.id),
        |m| render_form(&s, &p, lang, f.dataset_id, Some(m)),
    )
    .await
}

async fn render(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    id: i64,
    error: Option<String>,
) -> PageResult {
    let v = s.app.open_application(p, id).await?;
    let a = &v.application;
    let can_decide = a.state == ApplicationState::Pending
        && s.app.can(p, Action::DecideShare(a.source_org)).await;
    let is_applicant = p.name == a.applicant;
    // The applicant previews the delivered data through the door (audited).
    let preview = if is_applicant && v.deliverable {
        let r = s.app.open_application_rows(p, id, None, 10).await?;
        Some(context! {
            columns => r.columns,
            rows => r.rows.iter().map(|(_, v)| v.iter().map(|c| c.clone().unwrap_or_default()).collect::<Vec<_>>()).collect::<Vec<_>>(),
        })
    } else {
        None
    };
    let ctx = context! {
        a => row(lang, &v),
        can_decide => can_decide,
        can_accept => is_applicant && a.state == ApplicationState::Approved,
        is_applicant => is_applicant,
        preview => preview,
        error => error,
        ..base(s, p, lang, "/open/applications").await
    };
    Ok(s.templates.render("open_application.html", ctx))
}

pub async fn detail(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
) -> PageResult {
    render(&s, &p, lang, id, None).await
}

#[derive(Deserialize)]
pub struct DecisionForm {
    approve: String,
    #[serde(default)]
    fields: Vec<String>,
    #[serde(default)]
    end_date: String,
    #[serde(default)]
    reason: String,
}

pub async fn decide(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<DecisionForm>,
) -> PageResult {
    let approve = f.approve == "true";
    let end_date = match date_of(lang, &f.end_date) {
        Ok(d) => d,
        Err(msg) => return render(&s, &p, lang, id, Some(msg)).await,
    };
    let d = ApplicationDecision {
        approve,
        reason: f.reason,
        fields: approve.then_some(f.fields),
        end_date: if approve { end_date } else { None },
    };
    form_outcome(
        s.app.decide_open_application(&p, id, d).await,
        |_| format!("/open/applications/{id}"),
        |m| render(&s, &p, lang, id, Some(m)),
    )
    .await
}

#[derive(Deserialize)]
pub struct AcceptForm {
    #[serde(default)]
    accept: String,
    version: i64,
}

pub async fn accept(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<AcceptForm>,
) -> PageResult {
    let acc = AgreementAcceptance {
        accept: f.accept == "true",
        version: f.version,
    };
    match s.app.accept_open_agreement(&p, id, acc).await {
        Ok(_) => Ok(Redirect::to(&format!("/open/applications/{id}")).into_response()),
        Err(e @ ServiceError::Refused { .. }) => Err(e.into()),
        Err(e) if not_the_forms(&e) => Err(e.into()),
        Err(e) => render(&s, &p, lang, id, Some(e.to_string())).await,
    }
}
