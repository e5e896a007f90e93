//! Sharing pages (数据共享): both sides' queues with due dates, the
//! request form, the decision form, grant pages with access statistics,
//! the data preview and CSV export, and the verification console.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use minijinja::{Value, context};
use pubdata_domain::share::{DeliveryMode, GrantState, RequestState};
use pubdata_service::access::{SharedQuery, VerifyItem};
use pubdata_service::policy::Action;
use pubdata_service::sharing::{
    BackflowGrant, Decision, DemandAnswer, DemandInput, DemandView, ExportFormat, GrantView,
    NewRequest, OfflineDelivery, PushTargetInput, ShareRequestView, Side, UsageReportInput,
};
use pubdata_service::{Principal, ServiceError};
use serde::Deserialize;

use super::{PageCaller, PageResult, base, form_outcome, local_time, not_the_forms};
use crate::AppState;
use crate::extract::{CsrfForm, Lang};

fn deadline(d: Option<&pubdata_domain::case::DeadlineStatus>) -> Value {
    match d {
        Some(d) => {
            context! { due => d.due.to_string(), left => d.working_days_left, overdue => d.overdue }
        }
        None => Value::from(()),
    }
}

fn request_row(lang: Lang, r: &ShareRequestView) -> Value {
    context! {
        id => r.request.id,
        entry => format!("{} {}", r.entry_code, r.entry_name),
        requester => r.requester_name.clone(),
        source => r.source_name.clone(),
        fields => r.request.fields.join("、"),
        mode => lang.pick(r.request.mode.zh(), r.request.mode.en()),
        state => r.request.state.as_str(),
        state_name => lang.pick(r.request.state.zh(), r.request.state.en()),
        answer => deadline(r.answer_deadline.as_ref()),
        implement => deadline(r.implement_deadline.as_ref()),
        late => r.answered_late,
        filed_with => r.filed_with_names.clone(),
        created => local_time(&r.request.created_at),
    }
}

fn grant_row(lang: Lang, g: &GrantView) -> Value {
    context! {
        id => g.grant.id,
        dataset => g.dataset_name.clone(),
        dataset_id => g.grant.dataset_id,
        source => g.source_name.clone(),
        grantee => g.grantee_name.clone(),
        fields => g.grant.fields.clone(),
        masks => g.grant.masks.clone(),
        row_filter => g.grant.row_filter.as_ref().map(|f| format!("{} ∈ {}", f.field, f.values.join("、"))),
        mode => g.grant.mode.as_str(),
        mode_name => lang.pick(g.grant.mode.zh(), g.grant.mode.en()),
        state => g.grant.state.as_str(),
        state_name => lang.pick(g.grant.state.zh(), g.grant.state.en()),
        valid_from => g.grant.valid_from.to_string(),
        valid_until => g.grant.valid_until.to_string(),
        usable => g.usable,
        refusal => g.refusal.clone(),
        data_user => g.grant.data_user.clone(),
        using_unit => g.grant.using_unit.clone(),
        scenario => g.grant.scenario.clone(),
        purpose => g.grant.purpose.clone(),
        rate_limit => g.grant.rate_limit,
        research_only => g.grant.research_only,
        state_reason => g.grant.state_reason.clone(),
        request_id => g.grant.request_id,
        usage => g.usage.iter().map(|u| context! { day => u.day.to_string(), reads => u.reads, rows => u.rows_out }).collect::<Vec<_>>(),
        reports => g.usage_reports.iter().map(|r| context! { period => r.period.clone(), summary => r.summary.clone(), uses => r.uses, by => r.filed_by.clone(), at => local_time(&r.filed_at) }).collect::<Vec<_>>(),
        key => g.dataset_key.clone(),
        deliveries => g.deliveries.iter().map(|d| context! { kind => d.kind.clone(), description => d.description.clone(), rows => d.rows_out, received_by => d.received_by.clone(), by => d.delivered_by.clone(), at => local_time(&d.delivered_at) }).collect::<Vec<_>>(),
    }
}

/// Both sides' queues: requests to answer, requests made, grants received and given.
pub async fn overview(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
) -> PageResult {
    render_overview(&s, &p, lang, None).await
}

/// The backflow form's choices, for a data authority's reviewer: the
/// datasets it may return and the organisations of its level.
async fn render_backflow_form(s: &AppState, p: &Principal) -> Result<Option<Value>, ServiceError> {
    let reviewer = p
        .roles
        .iter()
        .any(|g| g.role == pubdata_domain::org::Role::AuthorityReviewer);
    if !reviewer {
        return Ok(None);
    }
    let mut datasets = Vec::new();
    for d in s.app.list_datasets(p, None, None, None, 200).await? {
        if s.app.can(p, Action::GrantBackflow(d.dataset.org_id)).await {
            datasets.push(context! { id => d.dataset.id, name => format!("{} · {}", d.dataset.name, d.org_name) });
        }
    }
    let tree = s.app.list_orgs(p).await?;
    let orgs: Vec<Value> = tree
        .walk()
        .into_iter()
        .filter(|(_, o)| o.kind == pubdata_domain::org::OrgKind::Agency)
        .map(|(_, o)| context! { id => o.id, name => o.name.clone() })
        .collect();
    Ok(Some(context! { datasets => datasets, orgs => orgs,
    until => (pubdata_domain::calendar::today_cst() + chrono::Duration::days(365)).to_string() }))
}

async fn render_overview(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    error: Option<String>,
) -> PageResult {
    let incoming = s.app.share_requests(p, Side::Incoming, None, 100).await?;
    let outgoing = s.app.share_requests(p, Side::Outgoing, None, 100).await?;
    let filed = s.app.share_requests(p, Side::Filed, None, 100).await?;
    let received = s.app.share_grants(p, Some(true), 100).await?;
    let given = s.app.share_grants(p, Some(false), 100).await?;
    let backflow = render_backflow_form(s, p).await?;
    let ctx = context! {
        backflow => backflow,
        error => error,
        incoming => incoming.iter().map(|r| request_row(lang, r)).collect::<Vec<_>>(),
        outgoing => outgoing.iter().map(|r| request_row(lang, r)).collect::<Vec<_>>(),
        filed => filed.iter().map(|r| request_row(lang, r)).collect::<Vec<_>>(),
        received => received.iter().map(|g| grant_row(lang, g)).collect::<Vec<_>>(),
        given => given.iter().map(|g| grant_row(lang, g)).collect::<Vec<_>>(),
        can_request => match p.org_id() { Some(o) => s.app.can(p, Action::RequestShare(o)).await, None => false },
        ..base(s, p, lang, "/sharing").await
    };
    Ok(s.templates.render("sharing.html", ctx))
}

#[derive(Deserialize)]
pub struct BackflowForm {
    dataset_id: i64,
    grantee_org: i64,
    fields: String,
    filter_field: String,
    filter_values: String,
    until: chrono::NaiveDate,
    scenario: String,
    purpose: String,
    using_unit: String,
}

fn split_list(v: &str) -> Vec<String> {
    v.split(['，', ',', '、'])
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
        .collect()
}

/// The data authority returns data to a county or department (回流).
pub async fn create_backflow(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    CsrfForm(f): CsrfForm<BackflowForm>,
) -> PageResult {
    let b = BackflowGrant {
        dataset_id: f.dataset_id,
        grantee_org: f.grantee_org,
        fields: split_list(&f.fields),
        row_filter: pubdata_domain::share::RowFilter {
            field: f.filter_field.trim().to_string(),
            values: split_list(&f.filter_values),
        },
        mode: DeliveryMode::Api,
        until: f.until,
        scenario: f.scenario,
        purpose: f.purpose,
        using_unit: f.using_unit,
    };
    form_outcome(
        s.app.grant_backflow(&p, b).await,
        |g| format!("/sharing/grants/{}", g.grant.id),
        |m| render_overview(&s, &p, lang, Some(m)),
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct NewQuery {
    entry: Option<i64>,
}

async fn render_new(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    entry: Option<i64>,
    error: Option<String>,
) -> PageResult {
    let entries = s.app.requestable_entries(p).await?;
    let form = match entry {
        Some(id) => Some(s.app.request_form(p, id).await?),
        None => None,
    };
    let form = form.map(|f| context! {
        entry_id => f.entry_id, code => f.code, name => f.name, source => f.source_name,
        share_type => lang.pick(f.share_type.zh(), f.share_type.en()),
        conditional => f.share_type != pubdata_domain::catalog::ShareType::Unconditional,
        items => f.items.iter().map(|(n, personal)| context! { name => n, personal => personal }).collect::<Vec<_>>(),
        modes => f.modes.iter().map(|m| context! { code => m.as_str(), name => lang.pick(m.zh(), m.en()) }).collect::<Vec<_>>(),
        has_dataset => f.has_dataset,
    });
    let ctx = context! {
        entries => entries.iter().map(|e| context! { id => e.id, title => format!("{} {}", e.code, e.content.name), selected => Some(e.id) == entry }).collect::<Vec<_>>(),
        form => form,
        error => error,
        default_until => (pubdata_domain::calendar::today_cst() + chrono::Duration::days(365)).to_string(),
        ..base(s, p, lang, "/sharing/new").await
    };
    Ok(s.templates.render("share_new.html", ctx))
}

/// The request form: pick an entry, then its fields, mode, end date.
pub async fn new_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Query(q): Query<NewQuery>,
) -> PageResult {
    render_new(&s, &p, lang, q.entry, None).await
}

#[derive(Deserialize)]
pub struct NewForm {
    entry_id: i64,
    scenario: String,
    using_unit: String,
    #[serde(default)]
    fields: Vec<String>,
    mode: DeliveryMode,
    until: chrono::NaiveDate,
    purpose: String,
    #[serde(default)]
    research_only: Option<String>,
}

pub async fn create(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    CsrfForm(f): CsrfForm<NewForm>,
) -> PageResult {
    let entry = f.entry_id;
    let req = NewRequest {
        entry_id: f.entry_id,
        scenario: f.scenario,
        using_unit: f.using_unit,
        fields: f.fields,
        mode: f.mode,
        until: f.until,
        purpose: f.purpose,
        research_only: f.research_only.is_some(),
    };
    form_outcome(
        s.app.request_share(&p, req).await,
        |(r, _)| format!("/sharing/requests/{}", r.id),
        |m| render_new(&s, &p, lang, Some(entry), Some(m)),
    )
    .await
}

async fn render_request(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    id: i64,
    error: Option<String>,
) -> PageResult {
    let r = s.app.share_request(p, id).await?;
    let can_decide = r.request.state == RequestState::Pending
        && s.app
            .can(p, Action::DecideShare(r.request.source_org))
            .await;
    let modes: Vec<Value> = if can_decide {
        s.app
            .request_form(p, r.request.entry_id)
            .await?
            .modes
            .iter()
            .map(|m| context! { code => m.as_str(), name => lang.pick(m.zh(), m.en()), selected => *m == r.request.mode })
            .collect()
    } else {
        vec![]
    };
    let ctx = context! {
        r => request_row(lang, &r),
        req => context! {
            scenario => r.request.scenario.clone(), using_unit => r.request.using_unit.clone(),
            purpose => r.request.purpose.clone(), until => r.request.until.to_string(),
            fields => r.request.fields.clone(), by => r.request.requested_by_name.clone(),
            basis => r.request.basis.clone(), decided_by => r.request.decided_by.clone(),
            decided_at => r.request.decided_at.as_ref().map(local_time),
            grant_id => r.request.grant_id, research_only => r.request.research_only,
        },
        can_decide => can_decide,
        modes => modes,
        error => error,
        ..base(s, p, lang, "/sharing").await
    };
    Ok(s.templates.render("share_request.html", ctx))
}

pub async fn request_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
) -> PageResult {
    render_request(&s, &p, lang, id, None).await
}

#[derive(Deserialize)]
pub struct DecisionForm {
    approve: String,
    #[serde(default)]
    fields: Vec<String>,
    #[serde(default)]
    until: Option<String>,
    #[serde(default)]
    mode: Option<DeliveryMode>,
    #[serde(default)]
    basis: String,
}

pub async fn decide(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<DecisionForm>,
) -> PageResult {
    let approve = f.approve == "true";
    let until = match f.until.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        Some(u) => match u.parse() {
            Ok(d) => Some(d),
            Err(_) => {
                let msg = lang.pick("结束日期格式应为 YYYY-MM-DD", "the end date is YYYY-MM-DD");
                return render_request(&s, &p, lang, id, Some(msg.into())).await;
            }
        },
        None => None,
    };
    let d = Decision {
        approve,
        fields: approve.then_some(f.fields),
        until: if approve { until } else { None },
        mode: if approve { f.mode } else { None },
        masks: None,
        basis: f.basis,
    };
    form_outcome(
        s.app.decide_share(&p, id, d).await,
        |_| format!("/sharing/requests/{id}"),
        |m| render_request(&s, &p, lang, id, Some(m)),
    )
    .await
}

/// What a grant page shows below the grant itself.
#[derive(Default)]
struct GrantExtras {
    notice: Option<String>,
    error: Option<String>,
    verified: Option<Value>,
}

async fn render_grant(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    id: i64,
    extras: GrantExtras,
) -> PageResult {
    let g = s.app.share_grant(p, id).await?;
    let manage = s.app.can(p, Action::DecideShare(g.grant.source_org)).await
        || s.app
            .can(p, Action::GrantBackflow(g.grant.source_org))
            .await;
    let grantee = pubdata_service::App::acts_for(p, g.grant.grantee_org);
    // The grantee previews the granted view through the data service (audited).
    let preview = if grantee
        && g.usable
        && matches!(g.grant.mode, DeliveryMode::Api | DeliveryMode::File)
    {
        let q = SharedQuery {
            grant: Some(id),
            fields: None,
            filters: vec![],
            after: None,
            limit: 20,
            mode: g.grant.mode,
        };
        match s.app.read_shared(p, g.grant.dataset_id, q).await {
            Ok(r) => Some(
                context! { columns => r.columns, rows => r.rows.into_iter().map(|(_, v)| v.into_iter().map(|x| x.unwrap_or_default()).collect::<Vec<_>>()).collect::<Vec<_>>() },
            ),
            Err(ServiceError::RateLimited { .. } | ServiceError::Refused { .. }) => None,
            Err(e) => return Err(e.into()),
        }
    } else {
        None
    };
    let push = if g.grant.mode == DeliveryMode::Table {
        match s.app.push_target(p, id).await {
            Ok(t) => Some(context! {
                url => t.url.redacted(), table => t.table_name, every => t.every_minutes,
                version => t.pushed_version, last => t.last_push_at.as_ref().map(local_time),
                error => t.last_error, failures => t.failures, next => local_time(&t.next_at),
            }),
            Err(ServiceError::NotFound { .. }) => None,
            Err(e) => return Err(e.into()),
        }
    } else {
        None
    };
    let ctx = context! {
        g => grant_row(lang, &g),
        push => push,
        table_mode => g.grant.mode == DeliveryMode::Table,
        manage => manage,
        grantee => grantee,
        can_implement => manage && g.grant.state == GrantState::Pending,
        can_suspend => manage && g.grant.state == GrantState::Active,
        can_resume => manage && g.grant.state == GrantState::Suspended,
        can_revoke => manage && g.grant.state != GrantState::Revoked,
        preview => preview,
        verify => grantee && g.usable && g.grant.mode == DeliveryMode::Verify,
        verified => extras.verified,
        notice => extras.notice,
        error => extras.error,
        ..base(s, p, lang, "/sharing").await
    };
    Ok(s.templates.render("grant.html", ctx))
}

pub async fn grant_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
) -> PageResult {
    render_grant(&s, &p, lang, id, GrantExtras::default()).await
}

#[derive(Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    reason: String,
}

/// Implement, suspend, resume or revoke (`action` in the path).
pub async fn grant_action(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path((id, action)): Path<(i64, String)>,
    CsrfForm(f): CsrfForm<ActionForm>,
) -> PageResult {
    let done = match action.as_str() {
        "implement" => s.app.implement_grant(&p, id).await.map(drop),
        "suspend" => s
            .app
            .change_grant(&p, id, GrantState::Suspended, &f.reason)
            .await
            .map(drop),
        "resume" => s
            .app
            .change_grant(&p, id, GrantState::Active, &f.reason)
            .await
            .map(drop),
        "revoke" => s
            .app
            .change_grant(&p, id, GrantState::Revoked, &f.reason)
            .await
            .map(drop),
        // The outcome (or the error) shows on the push target.
        "push" => match s.app.push_now(&p, id).await {
            Err(e) if not_the_forms(&e) => Err(e),
            _ => Ok(()),
        },
        _ => return Err(ServiceError::NotFound { what: "action" }.into()),
    };
    after_grant_form(&s, &p, lang, id, done).await
}

/// A grant form's outcome: back to the grant, or the grant page again with
/// the error beside its forms.
async fn after_grant_form(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    id: i64,
    done: Result<(), ServiceError>,
) -> PageResult {
    form_outcome(
        done,
        |()| format!("/sharing/grants/{id}"),
        |m| {
            let extras = GrantExtras {
                error: Some(m),
                ..Default::default()
            };
            render_grant(s, p, lang, id, extras)
        },
    )
    .await
}

#[derive(Deserialize)]
pub struct ReportForm {
    period: String,
    summary: String,
    uses: i64,
}

pub async fn usage_report(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<ReportForm>,
) -> PageResult {
    let r = UsageReportInput {
        period: f.period,
        summary: f.summary,
        uses: f.uses,
    };
    let extras = match s.app.file_usage_report(&p, id, r).await {
        Ok(_) => GrantExtras {
            notice: Some(
                lang.pick("使用情况报告已提交。", "Usage report filed.")
                    .into(),
            ),
            ..Default::default()
        },
        Err(e) if not_the_forms(&e) => return Err(e.into()),
        Err(e) => GrantExtras {
            error: Some(e.to_string()),
            ..Default::default()
        },
    };
    render_grant(&s, &p, lang, id, extras).await
}

/// The verification console: the key's fields and the claims (`claim.<字段>`).
pub async fn verify(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<BTreeMap<String, String>>,
) -> PageResult {
    let g = s.app.share_grant(&p, id).await?;
    let key: BTreeMap<String, String> = g
        .dataset_key
        .iter()
        .map(|k| {
            (
                k.clone(),
                f.get(&format!("key.{k}")).cloned().unwrap_or_default(),
            )
        })
        .collect();
    let claims: BTreeMap<String, String> = g
        .grant
        .fields
        .iter()
        .filter_map(|c| {
            f.get(&format!("claim.{c}"))
                .filter(|v| !v.trim().is_empty())
                .map(|v| (c.clone(), v.clone()))
        })
        .collect();
    let extras = match s
        .app
        .verify(
            &p,
            g.grant.dataset_id,
            Some(id),
            vec![VerifyItem { key, claims }],
        )
        .await
    {
        Ok(mut r) => {
            let r = r.remove(0);
            GrantExtras {
                verified: Some(
                    context! { found => r.found, matches => r.matches.into_iter().map(|(f, m)| context! { field => f, ok => m }).collect::<Vec<_>>() },
                ),
                ..Default::default()
            }
        }
        Err(e)
            if matches!(
                e,
                ServiceError::Forbidden(_) | ServiceError::Unavailable | ServiceError::Internal(_)
            ) =>
        {
            return Err(e.into());
        }
        Err(e) => GrantExtras {
            error: Some(e.to_string()),
            ..Default::default()
        },
    };
    render_grant(&s, &p, lang, id, extras).await
}

/// The granted view as a file (`csv` or `xlsx` in the path), every page
/// read through the one door and the export recorded as a delivery.
pub async fn export(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    Path((id, ext)): Path<(i64, String)>,
) -> Result<Response, super::errors::PageError> {
    let format = match ext.as_str() {
        "export.csv" => ExportFormat::Csv,
        "export.xlsx" => ExportFormat::Xlsx,
        _ => return Err(ServiceError::NotFound { what: "export" }.into()),
    };
    let (body, _) = s.app.export_grant(&p, id, format).await?;
    let name = format!("attachment; filename=\"grant-{id}.{}\"", &ext[7..]);
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_string()),
            (header::CONTENT_DISPOSITION, name),
        ],
        body,
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct DeliveryForm {
    kind: String,
    description: String,
    rows: i64,
    received_by: String,
}

/// The source department records an offline delivery (表格, 文档, 拷贝).
pub async fn record_delivery(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<DeliveryForm>,
) -> PageResult {
    let d = OfflineDelivery {
        kind: f.kind,
        description: f.description,
        rows: f.rows,
        received_by: f.received_by,
    };
    let done = s.app.record_offline_delivery(&p, id, d).await.map(drop);
    after_grant_form(&s, &p, lang, id, done).await
}

#[derive(Deserialize)]
pub struct PushTargetForm {
    url: String,
    table: String,
    every_minutes: i64,
}

/// The grantee registers its push target (库表推送).
pub async fn put_push_target(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<PushTargetForm>,
) -> PageResult {
    let t = PushTargetInput {
        url: f.url,
        table: f.table,
        every_minutes: Some(f.every_minutes),
    };
    let done = s.app.set_push_target(&p, id, t).await.map(drop);
    after_grant_form(&s, &p, lang, id, done).await
}

fn demand_row(lang: Lang, d: &DemandView) -> Value {
    context! {
        id => d.demand.id,
        description => d.demand.description.clone(),
        items => d.demand.items.join("、"),
        requester => d.requester_name.clone(),
        source => d.source_name.clone(),
        state => d.demand.state.as_str(),
        state_name => lang.pick(d.demand.state.zh(), d.demand.state.en()),
        deadline => deadline(d.deadline.as_ref()),
        due => d.demand.answer_due.to_string(),
        scenario => d.demand.scenario.clone(),
        purpose => d.demand.purpose.clone(),
        answer => d.demand.answer.clone(),
        basis => d.demand.basis.clone(),
        entry_id => d.demand.entry_id,
        entry_name => d.entry_name.clone(),
        decided_by => d.demand.decided_by.clone(),
    }
}

async fn render_demands(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    error: Option<String>,
) -> PageResult {
    let received = s.app.data_demands(p, false, 100).await?;
    let made = s.app.data_demands(p, true, 100).await?;
    let tree = s.app.list_orgs(p).await?;
    let agencies: Vec<Value> = tree
        .walk()
        .into_iter()
        .filter(|(_, o)| o.kind == pubdata_domain::org::OrgKind::Agency && Some(o.id) != p.org_id())
        .map(|(_, o)| context! { id => o.id, name => o.name.clone() })
        .collect();
    let ctx = context! {
        received => received.iter().map(|d| demand_row(lang, d)).collect::<Vec<_>>(),
        made => made.iter().map(|d| demand_row(lang, d)).collect::<Vec<_>>(),
        agencies => agencies,
        can_file => match p.org_id() { Some(o) => s.app.can(p, Action::RequestShare(o)).await, None => false },
        error => error,
        ..base(s, p, lang, "/sharing").await
    };
    Ok(s.templates.render("demands.html", ctx))
}

/// Demands for uncatalogued data: both sides, and the form to file one.
pub async fn demands_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
) -> PageResult {
    render_demands(&s, &p, lang, None).await
}

#[derive(Deserialize)]
pub struct DemandForm {
    source_org: i64,
    description: String,
    items: String,
    scenario: String,
    purpose: String,
}

pub async fn file_demand(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    CsrfForm(f): CsrfForm<DemandForm>,
) -> PageResult {
    let d = DemandInput {
        source_org: f.source_org,
        description: f.description,
        items: f
            .items
            .split(['，', ',', '、', '\n'])
            .map(|i| i.trim().to_string())
            .filter(|i| !i.is_empty())
            .collect(),
        scenario: f.scenario,
        purpose: f.purpose,
    };
    form_outcome(
        s.app.file_demand(&p, d).await,
        |d| format!("/sharing/demands/{}", d.demand.id),
        |m| render_demands(&s, &p, lang, Some(m)),
    )
    .await
}

async fn render_demand(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    id: i64,
    error: Option<String>,
) -> PageResult {
    let d = s.app.data_demand(p, id).await?;
    let can_answer = s.app.can(p, Action::DecideShare(d.demand.source_org)).await;
    let ctx = context! {
        d => demand_row(lang, &d),
        can_answer => can_answer && d.demand.state == pubdata_domain::share::DemandState::Pending,
        can_link => can_answer && d.demand.state == pubdata_domain::share::DemandState::Confirmed,
        error => error,
        ..base(s, p, lang, "/sharing").await
    };
    Ok(s.templates.render("demand.html", ctx))
}

pub async fn demand_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
) -> PageResult {
    render_demand(&s, &p, lang, id, None).await
}

#[derive(Deserialize)]
pub struct DemandAnswerForm {
    shareable: String,
    #[serde(default)]
    answer: String,
    #[serde(default)]
    basis: String,
    #[serde(default)]
    entry_id: Option<String>,
}

/// The source department answers, or (`shareable=link`) links the entry.
pub async fn answer_demand(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<DemandAnswerForm>,
) -> PageResult {
    let entry_id = match f
        .entry_id
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        Some(e) => match e.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                let msg = lang.pick("目录编号应为数字", "the entry id is a number");
                return render_demand(&s, &p, lang, id, Some(msg.into())).await;
            }
        },
        None => None,
    };
    let done = if f.shareable == "link" {
        match entry_id {
            Some(e) => s.app.link_demand(&p, id, e).await,
            None => Err(ServiceError::invalid(
                "entry_id",
                "choose the published entry",
            )),
        }
    } else {
        let a = DemandAnswer {
            shareable: f.shareable == "true",
            answer: f.answer,
            basis: f.basis,
            entry_id,
        };
        s.app.answer_demand(&p, id, a).await
    };
    form_outcome(
        done,
        |_| format!("/sharing/demands/{id}"),
        |m| render_demand(&s, &p, lang, id, Some(m)),
    )
    .await
}
