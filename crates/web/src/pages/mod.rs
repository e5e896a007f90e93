//! Server-rendered pages, zh-CN first with an English switch. Pages work
//! without JavaScript: forms post, carry the session's CSRF token, and
//! redirect or re-render with a notice.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use minijinja::{Environment, Value, context};
use pubdata_service::policy::Action;
use pubdata_service::{Principal, ServiceError};

use crate::AppState;
use crate::extract::{Lang, SESSION_COOKIE, client_ip};

pub(crate) mod admin;
pub(crate) mod bases;
pub(crate) mod calendar;
pub(crate) mod cases;
pub(crate) mod catalog;
pub(crate) mod collection;
pub(crate) mod datasets;
pub(crate) mod derive;
pub(crate) mod disputes;
pub(crate) mod errors;
pub(crate) mod home;
pub mod i18n;
pub(crate) mod login;
pub(crate) mod objections;
pub(crate) mod open;
pub(crate) mod open_applications;
pub(crate) mod open_plans;
pub(crate) mod open_proposals;
pub(crate) mod operation;
pub(crate) mod procurement;
pub(crate) mod projects;
pub(crate) mod reminders;
pub(crate) mod security;
pub(crate) mod sharing;
pub(crate) mod supervision;
pub(crate) mod violations;

pub use errors::{PageError, PageProblem, PageResult, render_errors};

static MESSAGES: LazyLock<HashMap<&'static str, (&'static str, &'static str)>> =
    LazyLock::new(|| {
        i18n::MESSAGES
            .iter()
            .map(|(k, zh, en)| (*k, (*zh, *en)))
            .collect()
    });

/// A page text in the page's language (the key itself when missing, which a test forbids).
pub fn text(lang: &str, key: &str) -> String {
    match MESSAGES.get(key) {
        Some((zh, en)) => if lang == "en" { en } else { zh }.to_string(),
        None => key.to_string(),
    }
}

pub struct Templates {
    env: Environment<'static>,
}

impl Default for Templates {
    fn default() -> Self {
        Self::new()
    }
}

/// (name, source) of every template, compiled into the binary.
pub const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("login.html", include_str!("../../templates/login.html")),
    ("home.html", include_str!("../../templates/home.html")),
    ("inbox.html", include_str!("../../templates/inbox.html")),
    (
        "security.html",
        include_str!("../../templates/security.html"),
    ),
    (
        "supervision.html",
        include_str!("../../templates/supervision.html"),
    ),
    (
        "supervision_items.html",
        include_str!("../../templates/supervision_items.html"),
    ),
    (
        "supervision_report.html",
        include_str!("../../templates/supervision_report.html"),
    ),
    (
        "supervision_table.html",
        include_str!("../../templates/supervision_table.html"),
    ),
    ("orgs.html", include_str!("../../templates/orgs.html")),
    ("org.html", include_str!("../../templates/org.html")),
    ("users.html", include_str!("../../templates/users.html")),
    ("user.html", include_str!("../../templates/user.html")),
    ("tokens.html", include_str!("../../templates/tokens.html")),
    (
        "calendar.html",
        include_str!("../../templates/calendar.html"),
    ),
    ("audit.html", include_str!("../../templates/audit.html")),
    ("system.html", include_str!("../../templates/system.html")),
    ("error.html", include_str!("../../templates/error.html")),
    ("catalog.html", include_str!("../../templates/catalog.html")),
    ("entry.html", include_str!("../../templates/entry.html")),
    (
        "entry_form.html",
        include_str!("../../templates/entry_form.html"),
    ),
    ("review.html", include_str!("../../templates/review.html")),
    (
        "collection.html",
        include_str!("../../templates/collection.html"),
    ),
    ("scheme.html", include_str!("../../templates/scheme.html")),
    (
        "datasets.html",
        include_str!("../../templates/datasets.html"),
    ),
    ("dataset.html", include_str!("../../templates/dataset.html")),
    ("bases.html", include_str!("../../templates/bases.html")),
    ("sharing.html", include_str!("../../templates/sharing.html")),
    (
        "share_new.html",
        include_str!("../../templates/share_new.html"),
    ),
    (
        "share_request.html",
        include_str!("../../templates/share_request.html"),
    ),
    ("grant.html", include_str!("../../templates/grant.html")),
    ("demands.html", include_str!("../../templates/demands.html")),
    (
        "derivations.html",
        include_str!("../../templates/derivations.html"),
    ),
    (
        "derivation_new.html",
        include_str!("../../templates/derivation_new.html"),
    ),
    (
        "derivation.html",
        include_str!("../../templates/derivation.html"),
    ),
    ("demand.html", include_str!("../../templates/demand.html")),
    (
        "objections.html",
        include_str!("../../templates/objections.html"),
    ),
    (
        "disputes.html",
        include_str!("../../templates/disputes.html"),
    ),
    (
        "disputes_new.html",
        include_str!("../../templates/disputes_new.html"),
    ),
    (
        "disputes_detail.html",
        include_str!("../../templates/disputes_detail.html"),
    ),
    (
        "operation.html",
        include_str!("../../templates/operation.html"),
    ),
    (
        "violations.html",
        include_str!("../../templates/violations.html"),
    ),
    (
        "violation.html",
        include_str!("../../templates/violation.html"),
    ),
    (
        "rectification.html",
        include_str!("../../templates/rectification.html"),
    ),
    (
        "projects.html",
        include_str!("../../templates/projects.html"),
    ),
    ("project.html", include_str!("../../templates/project.html")),
    (
        "procurement.html",
        include_str!("../../templates/procurement.html"),
    ),
    (
        "procurement_demand.html",
        include_str!("../../templates/procurement_demand.html"),
    ),
    (
        "operation_new.html",
        include_str!("../../templates/operation_new.html"),
    ),
    (
        "operation_agreement.html",
        include_str!("../../templates/operation_agreement.html"),
    ),
    (
        "operation_arrangement.html",
        include_str!("../../templates/operation_arrangement.html"),
    ),
    (
        "open_products.html",
        include_str!("../../templates/open_products.html"),
    ),
    (
        "objection_new.html",
        include_str!("../../templates/objection_new.html"),
    ),
    (
        "objection.html",
        include_str!("../../templates/objection.html"),
    ),
    (
        "open_filings.html",
        include_str!("../../templates/open_filings.html"),
    ),
    (
        "open_proposal.html",
        include_str!("../../templates/open_proposal.html"),
    ),
    ("open.html", include_str!("../../templates/open.html")),
    (
        "open_stats.html",
        include_str!("../../templates/open_stats.html"),
    ),
    (
        "open_dataset.html",
        include_str!("../../templates/open_dataset.html"),
    ),
    (
        "open_applications.html",
        include_str!("../../templates/open_applications.html"),
    ),
    (
        "open_plans.html",
        include_str!("../../templates/open_plans.html"),
    ),
    (
        "open_catalogue.html",
        include_str!("../../templates/open_catalogue.html"),
    ),
    ("plans.html", include_str!("../../templates/plans.html")),
    ("plan.html", include_str!("../../templates/plan.html")),
    (
        "plan_responsibility.html",
        include_str!("../../templates/plan_responsibility.html"),
    ),
    (
        "open_application_new.html",
        include_str!("../../templates/open_application_new.html"),
    ),
    (
        "open_application.html",
        include_str!("../../templates/open_application.html"),
    ),
];

impl Templates {
    pub fn new() -> Self {
        let mut env = Environment::new();
        for (name, src) in TEMPLATES {
            env.add_template(name, src).expect("templates compile");
        }
        env.add_function("t", |state: &minijinja::State, key: &str| {
            let lang = state.lookup("lang");
            text(lang.as_ref().and_then(|v| v.as_str()).unwrap_or("zh"), key)
        });
        env.add_filter("urlencode", |v: &str| urlencode(v));
        Templates { env }
    }

    pub fn render(&self, name: &str, ctx: Value) -> Response {
        match self.env.get_template(name).and_then(|t| t.render(ctx)) {
            Ok(html) => Html(html).into_response(),
            Err(e) => {
                tracing::error!(error = %e, template = name, "template failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
            }
        }
    }
}

/// A signed-in person on a page; anyone else is sent to the login page.
pub struct PageCaller(pub Principal);

/// The principal [`PageCaller`] found, kept in the request's extensions so a
/// later extractor (`extract::CsrfForm`) does not authenticate again.
#[derive(Clone)]
pub(crate) struct SignedIn(pub Principal);

impl FromRequestParts<AppState> for PageCaller {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Response> {
        let jar = axum_extra::extract::CookieJar::from_headers(&parts.headers);
        let to_login = || {
            let next = parts
                .uri
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/");
            Redirect::to(&format!("/login?next={}", urlencode(next))).into_response()
        };
        let Some(token) = jar.get(SESSION_COOKIE).map(|c| c.value().to_string()) else {
            return Err(to_login());
        };
        match s.app.authenticate(&token, client_ip(parts)).await {
            Ok(p) if p.csrf_token().is_some() => {
                parts.extensions.insert(SignedIn(p.clone()));
                Ok(PageCaller(p))
            }
            // An outage is shown as such, not as a lost session.
            Err(e @ (ServiceError::Unavailable | ServiceError::Internal(_))) => {
                Err(PageError::from(e).into_response())
            }
            _ => Err(to_login()),
        }
    }
}

pub fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A local path to return to; anything else becomes `/`.
pub fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next
    } else {
        "/"
    }
}

/// What the navigation offers this caller (the policy decides; no audit).
pub async fn nav(s: &AppState, p: &Principal) -> Value {
    let org = p.org_id().unwrap_or(0);
    context! {
        users => s.app.can(p, Action::ViewUsers(None)).await || s.app.can(p, Action::ViewUsers(Some(org))).await,
        manage_users => s.app.can(p, Action::ManageUsers).await,
        orgs => s.app.can(p, Action::ManageOrgs).await,
        tokens => s.app.can(p, Action::ManageTokens(org)).await,
        calendar => s.app.can(p, Action::ManageCalendar).await,
        audit => s.app.can(p, Action::ReadAudit).await,
        review => catalog::reviews_anything(s, p).await,
        filings => open_proposals_nav(s, p).await,
        draft => s.app.can(p, Action::EditCatalog(org)).await,
        scheme => s.app.can(p, Action::ManageCatalogScheme).await,
        security => s.app.can(p, Action::ViewSecurity(org)).await,
    }
}

/// Whether the caller reviews for a data authority (and so sees its
/// filings of open attributes).
async fn open_proposals_nav(s: &AppState, p: &Principal) -> bool {
    for g in &p.roles {
        if s.app.can(p, Action::ReviewCatalog(g.org_id)).await {
            return true;
        }
    }
    false
}

/// The context every page of a signed-in caller gets.
pub async fn base(s: &AppState, p: &Principal, lang: Lang, path: &str) -> Value {
    context! {
        lang => lang.code(),
        path => path,
        me => context! { name => p.name.clone(), display_name => p.display_name.clone() },
        csrf => p.csrf_token().unwrap_or(""),
        can => nav(s, p).await,
    }
}

/// Whether a form's CSRF token is the session's.
pub fn csrf_ok(p: &Principal, sent: &str) -> bool {
    matches!(p.csrf_token(), Some(t) if !sent.is_empty() && t == sent)
}

/// The answer to a form without the session's CSRF token.
pub fn csrf_refused() -> Response {
    (
        StatusCode::FORBIDDEN,
        "CSRF check failed: reload the page and try again",
    )
        .into_response()
}

/// A service error as a page, by the same status and code as the API
/// (`web::error`); see [`PageError`] for handlers that use `?`.
pub fn error_page(s: &AppState, lang: Lang, e: &ServiceError) -> Response {
    PageProblem::of(e).render(&s.templates, lang)
}

/// Whether a form's error is shown as the error page rather than beside
/// the form: refusals, outages and internal failures are not the form's.
pub fn not_the_forms(e: &ServiceError) -> bool {
    matches!(
        e,
        ServiceError::Forbidden(_)
            | ServiceError::Unavailable
            | ServiceError::Internal(_)
            | ServiceError::Unauthenticated
    )
}

/// What a form post answers: on success a redirect to `to(value)`; on an
/// error the form can show (an invalid field, a conflict, a case in another
/// state) the page again by `again(message)`, with the error's own status;
/// refusals and outages stay the error page ([`not_the_forms`]).
pub async fn form_outcome<T, Fut>(
    done: Result<T, ServiceError>,
    to: impl FnOnce(T) -> String,
    again: impl FnOnce(String) -> Fut,
) -> PageResult
where
    Fut: std::future::Future<Output = PageResult>,
{
    match done {
        Ok(v) => Ok(Redirect::to(&to(v)).into_response()),
        Err(e) if not_the_forms(&e) => Err(e.into()),
        Err(e) => {
            let mut resp = again(e.to_string()).await?;
            *resp.status_mut() = crate::error::status_of(&e);
            Ok(resp)
        }
    }
}

/// China time for display.
pub fn local_time(t: &DateTime<Utc>) -> String {
    t.with_timezone(&pubdata_domain::calendar::cst())
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

pub(crate) async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/app.css"),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_a_template_uses_exists_in_both_languages() {
        let re_start = "t(\"";
        for (name, src) in TEMPLATES {
            let mut rest = *src;
            while let Some(i) = rest.find(re_start) {
                rest = &rest[i + re_start.len()..];
                let key = &rest[..rest.find('"').expect("closing quote")];
                assert!(
                    MESSAGES.contains_key(key),
                    "{name} uses missing text `{key}`"
                );
            }
        }
        // Job names are looked up by the system page.
        for job in pubdata_service::jobs::Job::ALL {
            let key = format!("job.{}", job.name());
            assert!(MESSAGES.contains_key(key.as_str()), "missing text `{key}`");
        }
        for (k, zh, en) in i18n::MESSAGES {
            assert!(
                !zh.is_empty() && !en.is_empty(),
                "text `{k}` lacks a language"
            );
        }
    }

    #[test]
    fn every_template_file_is_registered() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        for f in std::fs::read_dir(dir).unwrap() {
            let name = f.unwrap().file_name().into_string().unwrap();
            assert!(
                TEMPLATES.iter().any(|(n, _)| *n == name),
                "{name} is not in TEMPLATES"
            );
        }
    }

    #[test]
    fn next_must_be_a_local_path() {
        assert_eq!(safe_next("/users?x=1"), "/users?x=1");
        assert_eq!(safe_next("//evil.example"), "/");
        assert_eq!(safe_next("https://evil.example"), "/");
    }
}
