//! One error policy with the API: a service error on a page answers the
//! status `web::error` gives it (403, 404, 409, 422, 503 …) and an error
//! page naming that status, its title and the problem's code, in the page's
//! language. Page handlers return [`PageResult`] and use `?`; nothing a page
//! lists is silently empty because the service refused or the database was
//! away.

use std::sync::LazyLock;

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use minijinja::context;
use pubdata_service::ServiceError;

use super::{MESSAGES, Templates, text};
use crate::error::{retry_after_of, status_of};
use crate::extract::Lang;

/// What an error page shows: the problem as the API would answer it.
#[derive(Debug, Clone)]
pub struct PageProblem {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
    pub retry_after: Option<u64>,
}

impl PageProblem {
    pub fn of(e: &ServiceError) -> Self {
        if let ServiceError::Internal(inner) = e {
            tracing::error!(error = %inner, source = ?std::error::Error::source(&**inner), "internal error on a page");
        }
        PageProblem {
            status: status_of(e),
            code: e.code(),
            detail: e.to_string(),
            retry_after: retry_after_of(e),
        }
    }

    /// The status's title in the page's language (the HTTP reason otherwise).
    fn title(&self, lang: Lang) -> String {
        let key = format!("status.{}", self.status.as_u16());
        if MESSAGES.contains_key(key.as_str()) {
            text(lang.code(), &key)
        } else {
            self.status
                .canonical_reason()
                .unwrap_or("Error")
                .to_string()
        }
    }

    /// What to tell the person: a fixed sentence for refusals and outages
    /// (the detail of an internal error is not shown), the problem's own
    /// detail otherwise.
    fn message(&self, lang: Lang) -> String {
        let key = match self.status {
            StatusCode::FORBIDDEN => "error.forbidden",
            StatusCode::NOT_FOUND => "error.not_found",
            StatusCode::SERVICE_UNAVAILABLE => "error.unavailable",
            StatusCode::INTERNAL_SERVER_ERROR => "error.internal",
            _ => return self.detail.clone(),
        };
        text(lang.code(), key)
    }

    /// The error page, with the status (and `Retry-After` for an outage).
    pub fn render(&self, templates: &Templates, lang: Lang) -> Response {
        let mut res = templates.render(
            "error.html",
            context! {
                lang => lang.code(), path => "/",
                status => self.status.as_u16(), title => self.title(lang), code => self.code,
                message => self.message(lang),
            },
        );
        *res.status_mut() = self.status;
        if let Some(secs) = self.retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}

/// A page handler's failure; `?` on a `ServiceError` makes one.
#[derive(Debug)]
pub struct PageError(pub PageProblem);

impl From<ServiceError> for PageError {
    fn from(e: ServiceError) -> Self {
        PageError(PageProblem::of(&e))
    }
}

/// What a page handler returns.
pub type PageResult = Result<Response, PageError>;

impl IntoResponse for PageError {
    /// The status and a plain bilingual line carrying the problem; the
    /// [`render_errors`] layer over the page routes replaces it with the
    /// error page in the request's language.
    fn into_response(self) -> Response {
        let p = self.0;
        let body = format!(
            "{} {} ({}): {} / {}",
            p.status.as_u16(),
            p.status.canonical_reason().unwrap_or("Error"),
            p.code,
            p.message(Lang::Zh),
            p.message(Lang::En),
        );
        let mut res = (p.status, body).into_response();
        if let Some(secs) = p.retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res.extensions_mut().insert(p);
        res
    }
}

/// The templates error pages render with when no state is at hand.
static TEMPLATES: LazyLock<Templates> = LazyLock::new(Templates::new);

/// Middleware over the page routes: a [`PageError`] becomes the error page
/// in the request's language.
pub async fn render_errors(lang: Lang, req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    match res.extensions().get::<PageProblem>() {
        Some(p) => p.render(&TEMPLATES, lang),
        None => res,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body(r: Response) -> String {
        let b = axum::body::to_bytes(r.into_body(), usize::MAX)
            .await
            .unwrap();
        String::from_utf8(b.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn an_outage_is_a_503_page_with_its_code_and_retry_after_in_both_languages() {
        let t = Templates::new();
        for (lang, title, message) in [
            (Lang::Zh, "503 服务暂不可用", "数据库暂时不可用"),
            (
                Lang::En,
                "503 Service Unavailable",
                "The database is unavailable",
            ),
        ] {
            let r = PageProblem::of(&ServiceError::Unavailable).render(&t, lang);
            assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(r.headers()[header::RETRY_AFTER], "5");
            let html = body(r).await;
            assert!(html.contains(title), "{html}");
            assert!(html.contains("<code>database_unavailable</code>"));
            assert!(html.contains(message));
        }
    }

    #[tokio::test]
    async fn the_status_is_the_apis_and_a_bare_page_error_still_says_it() {
        let t = Templates::new();
        let conflict = ServiceError::Conflict {
            code: "entry_state",
            detail: "not in that state".into(),
        };
        let r = PageProblem::of(&conflict).render(&t, Lang::Zh);
        assert_eq!(r.status(), StatusCode::CONFLICT);
        assert!(body(r).await.contains("not in that state"));
        // Without the rendering layer the status and code still show.
        let r = PageError::from(ServiceError::Forbidden("no".into())).into_response();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert!(r.extensions().get::<PageProblem>().is_some());
        assert!(body(r).await.contains("403 Forbidden (forbidden)"));
    }
}
