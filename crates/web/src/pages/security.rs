//! Security management pages (安全管理, SEC-2 to SEC-4): an agency's
//! security officer, grade protection settings, checks and drills and
//! confidentiality reviews; and the unusual-access alerts (异常访问告警) its
//! supervising authority acknowledges.

use axum::extract::{Path, Query, State};
use chrono::NaiveDate;
use minijinja::{Value, context};
use pubdata_domain::security::SecurityRecordKind;
use pubdata_service::Principal;
use pubdata_service::security::{
    AlertAcknowledgement, ConfidentialityReviewInput, ProtectionInput, SecurityOfficerInput,
    SecurityRecordInput,
};
use serde::Deserialize;

use super::{PageCaller, PageResult, base, form_outcome, local_time};
use crate::AppState;
use crate::extract::{CsrfForm, Lang};

#[derive(Deserialize)]
pub struct OrgQuery {
    #[serde(default)]
    org: Option<i64>,
}

async fn render(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    org: Option<i64>,
    error: Option<String>,
) -> PageResult {
    let orgs = s.app.security_orgs(p).await?;
    let org = org
        .or(p.org_id().filter(|o| orgs.iter().any(|(id, _)| id == o)))
        .or(orgs.first().map(|(id, _)| *id));
    let overview = match org {
        Some(o) => Some(s.app.security_overview(p, o).await?),
        None => None,
    };
    let grades = s.app.grades(p).await?;
    let view = overview.as_ref().map(|v| {
        let setting = |code: &str| v.settings.iter().find(|x| x.grade == code);
        context! {
            org_id => v.org_id,
            org_name => v.org_name.clone(),
            manageable => v.manageable,
            officer => v.officer.as_ref().map(|o| context! {
                name => o.name.clone(), post => o.post.clone(), contact => o.contact.clone(),
                by => o.updated_by.clone(), at => local_time(&o.updated_at),
            }),
            grades => grades.iter().map(|g| {
                let st = setting(&g.code);
                context! {
                    code => g.code.clone(), name => g.name.clone(),
                    masking => st.is_some_and(|x| x.masking_default),
                    review => st.is_some_and(|x| x.review_required),
                    export => st.is_some_and(|x| x.export_allowed),
                    notes => st.map(|x| x.notes.clone()).unwrap_or_default(),
                }
            }).collect::<Vec<_>>(),
            records => v.records.iter().map(|r| context! {
                kind => lang.pick(r.kind.zh(), r.kind.en()), held_on => r.held_on.to_string(),
                scope => r.scope.clone(), findings => r.findings.clone(), follow_up => r.follow_up.clone(),
                by => r.recorded_by.clone(),
            }).collect::<Vec<_>>(),
            reviews => v.reviews.iter().map(|r| context! {
                id => r.id, entry_id => r.entry_id, version => r.entry_version,
                request => r.share_request_id, reviewer => r.reviewer.clone(),
                on => r.reviewed_on.to_string(), passed => r.passed, notes => r.notes.clone(),
            }).collect::<Vec<_>>(),
        }
    });
    let kinds: Vec<Value> = SecurityRecordKind::ALL
        .iter()
        .map(|k| context! { code => k.as_str(), name => lang.pick(k.zh(), k.en()) })
        .collect();
    let mut alerts = Vec::new();
    for a in s.app.security_alerts(p, None, false).await? {
        let ack = a.alert.acknowledged_at.is_none()
            && s.app.may_acknowledge_alerts(p, a.alert.source_org).await;
        alerts.push(context! {
            id => a.alert.id,
            kind => lang.pick(a.alert.kind.zh(), a.alert.kind.en()),
            kind_code => a.alert.kind.as_str(),
            grant => a.alert.grant_id,
            source => a.source_name,
            grantee => a.grantee_name,
            day => local_time(&a.alert.window_start)[..10].to_string(),
            observed => a.alert.observed,
            threshold => a.alert.threshold,
            detected => local_time(&a.alert.detected_at),
            acknowledged => a.alert.acknowledged_at.as_ref().map(local_time),
            by => a.alert.acknowledged_by.clone(),
            note => a.alert.ack_note.clone(),
            may_ack => ack,
        });
    }
    let ctx = context! {
        view => view,
        orgs => orgs.iter().map(|(id, name)| context! { id => id, name => name }).collect::<Vec<_>>(),
        kinds => kinds,
        alerts => alerts,
        today => pubdata_domain::calendar::today_cst().to_string(),
        error => error,
        ..base(s, p, lang, "/security").await
    };
    Ok(s.templates.render("security.html", ctx))
}

pub async fn security_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Query(q): Query<OrgQuery>,
) -> PageResult {
    render(&s, &p, lang, q.org, None).await
}

/// The answer to a form: back to the agency's page, or the page with the
/// form's error.
async fn after<T>(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    org: Option<i64>,
    r: pubdata_service::Result<T>,
) -> PageResult {
    let to = match org {
        Some(o) => format!("/security?org={o}"),
        None => "/security".into(),
    };
    form_outcome(r, |_| to.clone(), |m| render(s, p, lang, org, Some(m))).await
}

#[derive(Deserialize)]
pub struct OfficerForm {
    name: String,
    post: String,
    contact: String,
}

pub async fn put_officer(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(org): Path<i64>,
    CsrfForm(f): CsrfForm<OfficerForm>,
) -> PageResult {
    let r = s
        .app
        .put_security_officer(
            &p,
            org,
            SecurityOfficerInput {
                name: f.name,
                post: f.post,
                contact: f.contact,
            },
        )
        .await;
    after(&s, &p, lang, Some(org), r).await
}

#[derive(Deserialize)]
pub struct SettingsForm {
    /// Grade codes with default masking.
    #[serde(default)]
    masking: Vec<String>,
    /// Grade codes requiring a confidentiality review.
    #[serde(default)]
    review: Vec<String>,
    /// Grade codes grantees may export.
    #[serde(default)]
    export: Vec<String>,
}

pub async fn put_settings(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(org): Path<i64>,
    CsrfForm(f): CsrfForm<SettingsForm>,
) -> PageResult {
    let grades = s.app.grades(&p).await?;
    let input = grades
        .iter()
        .filter(|g| {
            f.masking.contains(&g.code) || f.review.contains(&g.code) || f.export.contains(&g.code)
        })
        .map(|g| ProtectionInput {
            grade: g.code.clone(),
            masking_default: f.masking.contains(&g.code),
            review_required: f.review.contains(&g.code),
            export_allowed: f.export.contains(&g.code),
            notes: String::new(),
        })
        .collect();
    let r = s.app.put_grade_protections(&p, org, input).await;
    after(&s, &p, lang, Some(org), r).await
}

#[derive(Deserialize)]
pub struct RecordForm {
    kind: String,
    held_on: String,
    scope: String,
    findings: String,
    #[serde(default)]
    follow_up: String,
}

fn form_date(field: &str, v: &str) -> pubdata_service::Result<NaiveDate> {
    v.trim()
        .parse()
        .map_err(|_| pubdata_service::ServiceError::invalid(field, "a date YYYY-MM-DD"))
}

pub async fn add_record(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(org): Path<i64>,
    CsrfForm(f): CsrfForm<RecordForm>,
) -> PageResult {
    let r = async {
        let kind: SecurityRecordKind = f
            .kind
            .parse()
            .map_err(|_| pubdata_service::ServiceError::invalid("kind", "choose a kind"))?;
        let input = SecurityRecordInput {
            kind,
            held_on: form_date("held_on", &f.held_on)?,
            scope: f.scope,
            findings: f.findings,
            follow_up: f.follow_up,
        };
        s.app.add_security_record(&p, org, input).await
    }
    .await;
    after(&s, &p, lang, Some(org), r).await
}

#[derive(Deserialize)]
pub struct ReviewForm {
    org: i64,
    entry_id: String,
    /// `request` (a share request) or `version` (an entry version).
    of: String,
    number: String,
    reviewer: String,
    reviewed_on: String,
    passed: String,
    #[serde(default)]
    notes: String,
}

pub async fn add_review(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    CsrfForm(f): CsrfForm<ReviewForm>,
) -> PageResult {
    let r = async {
        let num = |field: &str, v: &str| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| pubdata_service::ServiceError::invalid(field, "a number"))
        };
        let entry_id = num("entry_id", &f.entry_id)?;
        let number = num("number", &f.number)?;
        let input = ConfidentialityReviewInput {
            entry_id,
            entry_version: (f.of == "version").then_some(number),
            share_request_id: (f.of != "version").then_some(number),
            reviewer: f.reviewer,
            reviewed_on: form_date("reviewed_on", &f.reviewed_on)?,
            passed: f.passed == "yes",
            notes: f.notes,
        };
        s.app.record_confidentiality_review(&p, input).await
    }
    .await;
    after(&s, &p, lang, Some(f.org), r).await
}

#[derive(Deserialize)]
pub struct AckForm {
    note: String,
}

pub async fn acknowledge(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<AckForm>,
) -> PageResult {
    let r = s
        .app
        .acknowledge_security_alert(&p, id, AlertAcknowledgement { note: f.note })
        .await;
    after(&s, &p, lang, None, r).await
}
