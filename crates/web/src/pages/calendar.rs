//! The working-day calendar page and the audit log page.
use axum::extract::{Query, State};
use minijinja::{Value, context};
use pubdata_domain::calendar::WorkingDays;
use pubdata_service::calendar::PutYear;
use pubdata_service::{Principal, ServiceError};
use serde::Deserialize;

use super::{PageCaller, PageResult, base, form_outcome, local_time, text, urlencode};
use crate::AppState;
use crate::api::audit::{AuditQuery, encode_cursor};
use crate::extract::{CsrfForm, Lang};

#[derive(Deserialize, Default)]
pub struct ComputeQuery {
    from: Option<String>,
    days: Option<String>,
    done: Option<String>,
}

async fn render(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    q: &ComputeQuery,
    error: Option<String>,
) -> PageResult {
    let cal = s.app.calendar();
    let mut error = error;
    let mut result = None;
    if let (Some(from), Some(days)) = (&q.from, &q.days) {
        let from_date = chrono::NaiveDate::parse_from_str(from, "%Y-%m-%d");
        let n: Result<WorkingDays, _> = days.parse();
        match (from_date, n) {
            (Ok(f), Ok(n)) => match s.app.add_working_days(f, n) {
                Ok(d) => result = Some(d.to_string()),
                Err(e) => error = Some(e.to_string()),
            },
            _ => {
                error = Some(
                    ServiceError::invalid("from/days", "YYYY-MM-DD and a whole number").to_string(),
                )
            }
        }
    }
    let years: Vec<Value> = cal
        .years()
        .map(|y| context! { year => y.year, source => y.source.clone(), off => y.off_strings(), work => y.work_strings() })
        .collect();
    let ctx = context! {
        years => years, result => result, missing_year => s.app.calendar_next_year_missing(), from => q.from.clone(), days => q.days.clone(),
        notice => q.done.as_ref().map(|_| text(lang.code(), "common.saved")), error => error,
        ..base(s, p, lang, "/calendar").await
    };
    Ok(s.templates.render("calendar.html", ctx))
}

pub async fn page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Query(q): Query<ComputeQuery>,
) -> PageResult {
    render(&s, &p, lang, &q, None).await
}

#[derive(Deserialize)]
pub struct YearForm {
    year: String,
    source: String,
    off: String,
    work: String,
}

fn lines(s: &str) -> Vec<String> {
    s.split(['\n', ',', '，'])
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

pub async fn put_year(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    CsrfForm(f): CsrfForm<YearForm>,
) -> PageResult {
    let r = match f.year.trim().parse::<i32>() {
        Ok(year) => {
            s.app
                .put_calendar_year(
                    &p,
                    year,
                    PutYear {
                        source: f.source.clone(),
                        off: lines(&f.off),
                        work: lines(&f.work),
                    },
                )
                .await
        }
        Err(_) => Err(ServiceError::invalid("year", "a year such as 2027")),
    };
    let q = ComputeQuery::default();
    form_outcome(
        r,
        |_| "/calendar?done=1".to_string(),
        |m| render(&s, &p, lang, &q, Some(m)),
    )
    .await
}

pub async fn audit_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Query(q): Query<AuditQuery>,
) -> PageResult {
    let filter = q
        .to_filter()
        .map_err(|e| ServiceError::invalid("query", e.detail))?;
    let (records, more) = s.app.list_audit(&p, filter).await?;
    let tree = s.app.org_tree().await?;
    let next_url = records.last().filter(|_| more).map(|last| {
        let mut url = format!("/audit?cursor={}", encode_cursor(last.id));
        for (k, v) in [
            ("actor", &q.actor),
            ("action", &q.action),
            ("target", &q.target),
            ("outcome", &q.outcome),
            ("since", &q.since),
            ("until", &q.until),
        ] {
            if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
                url.push_str(&format!("&{k}={}", urlencode(v)));
            }
        }
        url
    });
    let rows: Vec<Value> = records
        .iter()
        .map(|r| {
            let at = pubdata_service::model::parse_time(&r.at).map(|t| local_time(&t)).unwrap_or(r.at.clone());
            let org_name = r.event.org_id.and_then(|id| tree.get(id).map(|o| o.name.clone()));
            context! { id => r.id, at_local => at, actor => r.event.actor.clone(), org_name => org_name,
                       action => r.event.action.clone(), target => r.event.target.clone(),
                       outcome => r.event.outcome.as_str(), client_ip => r.event.client_ip.clone(),
                       detail => r.event.detail.to_string() }
        })
        .collect();
    let qv = context! { actor => q.actor.clone(), action => q.action.clone(), target => q.target.clone(),
    outcome => q.outcome.clone(), since => q.since.clone(), until => q.until.clone() };
    let ctx = context! { records => rows, next_url => next_url, q => qv, ..base(&s, &p, lang, "/audit").await };
    Ok(s.templates.render("audit.html", ctx))
}

/// 系统状态: the backend, this server, and who runs each background job.
pub async fn system_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
) -> PageResult {
    let status = s.app.system_status(&p).await?;
    let jobs: Vec<Value> = status
        .jobs
        .iter()
        .map(|j| {
            context! { job => j.job, label => super::text(lang.code(), &format!("job.{}", j.job)),
            leased => j.leased, every_secs => j.every_secs,
            holder => j.holder.clone(), here => j.here,
            until => j.until.map(|t| local_time(&t)),
            last_run => j.last_run.map(|t| local_time(&t)) }
        })
        .collect();
    let backups: Vec<Value> = s
        .app
        .list_backup_runs(&p, 20)
        .await?
        .iter()
        .map(|b| {
            context! { at => local_time(&b.started_at), ok => b.ok, bytes => b.bytes,
            duration_ms => b.duration_ms, file => b.file.clone(), copies => b.copies,
            error => b.error.clone() }
        })
        .collect();
    let checkpoint = s.app.list_audit_checkpoints(&p, 1).await?.first().map(|c| {
        context! { at => local_time(&c.at), ok => c.ok, records => c.records,
        head => c.head.clone(), algorithm => c.algorithm.clone(),
        public_key => c.public_key.clone(), file => c.file.clone(), copies => c.copies,
        error => c.error.clone() }
    });
    let ctx = context! { backend => status.backend, instance => status.instance.clone(),
    version => status.version, audit_records => status.audit_records, jobs => jobs,
    crypto_profile => status.crypto_profile.as_str(),
    crypto_label => super::text(lang.code(), &format!("crypto.{}", status.crypto_profile.as_str())),
    backups => backups, checkpoint => checkpoint,
    ..base(&s, &p, lang, "/system").await };
    Ok(s.templates.render("system.html", ctx))
}
