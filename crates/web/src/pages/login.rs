//! Login, logout and the language switch.
use axum::extract::{ConnectInfo, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use base64::Engine;
use minijinja::context;
use pubdata_service::ServiceError;
use pubdata_service::model::SessionKind;
use rand::RngCore;
use serde::Deserialize;

use super::{PageCaller, safe_next, text};
use crate::AppState;
use crate::extract::{CsrfForm, LANG_COOKIE, Lang, NoFields, SESSION_COOKIE};

const LOGIN_CSRF_COOKIE: &str = "pubdata_login_csrf";

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

fn cookie(s: &AppState, name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(s.secure_cookies)
        .build()
}

fn render_login(
    s: &AppState,
    jar: CookieJar,
    lang: Lang,
    next: &str,
    username: &str,
    error: Option<String>,
) -> Response {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    let csrf = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let jar = jar.add(
        Cookie::build((LOGIN_CSRF_COOKIE, csrf.clone()))
            .path("/login")
            .http_only(true)
            .same_site(SameSite::Strict)
            .secure(s.secure_cookies)
            .build(),
    );
    let page = s.templates.render(
        "login.html",
        context! { lang => lang.code(), path => "/login", login_csrf => csrf, next => next, username => username, error => error },
    );
    let status = if error.is_some() {
        axum::http::StatusCode::UNAUTHORIZED
    } else {
        axum::http::StatusCode::OK
    };
    (status, jar, page).into_response()
}

pub async fn page(
    State(s): State<AppState>,
    jar: CookieJar,
    lang: Lang,
    Query(q): Query<NextQuery>,
) -> Response {
    render_login(
        &s,
        jar,
        lang,
        safe_next(q.next.as_deref().unwrap_or("/")),
        "",
        None,
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    /// Checked against the double-submit cookie (no session exists yet).
    csrf: String,
    username: String,
    password: String,
    next: Option<String>,
}

pub async fn submit(
    State(s): State<AppState>,
    ConnectInfo(addr): ConnectInfo<std::net::SocketAddr>,
    jar: CookieJar,
    lang: Lang,
    axum::Form(f): axum::Form<LoginForm>,
) -> Response {
    let next = safe_next(f.next.as_deref().unwrap_or("/")).to_string();
    let expected = jar.get(LOGIN_CSRF_COOKIE).map(|c| c.value().to_string());
    if expected.as_deref() != Some(f.csrf.as_str()) {
        return render_login(
            &s,
            jar,
            lang,
            &next,
            &f.username,
            Some(text(lang.code(), "login.csrf")),
        );
    }
    match s
        .app
        .login(
            &f.username,
            &f.password,
            SessionKind::Cookie,
            Some(addr.ip().to_string()),
        )
        .await
    {
        Ok((token, _)) => {
            let jar = jar
                .add(cookie(&s, SESSION_COOKIE, token))
                .remove(Cookie::build(LOGIN_CSRF_COOKIE).path("/login"));
            (jar, Redirect::to(&next)).into_response()
        }
        Err(ServiceError::TooManyAttempts { .. }) => render_login(
            &s,
            jar,
            lang,
            &next,
            &f.username,
            Some(text(lang.code(), "login.throttled")),
        ),
        Err(ServiceError::BadCredentials) => render_login(
            &s,
            jar,
            lang,
            &next,
            &f.username,
            Some(text(lang.code(), "login.failed")),
        ),
        Err(e) => super::error_page(&s, lang, &e),
    }
}

pub async fn logout(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    jar: CookieJar,
    lang: Lang,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Response {
    let token = jar
        .get(SESSION_COOKIE)
        .map(|c| c.value().to_string())
        .unwrap_or_default();
    if let Err(e) = s.app.logout(&p, &token).await {
        return super::error_page(&s, lang, &e);
    }
    (
        jar.remove(Cookie::build(SESSION_COOKIE).path("/")),
        Redirect::to("/login"),
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct LangQuery {
    to: String,
    next: Option<String>,
}

pub async fn switch_lang(
    State(s): State<AppState>,
    jar: CookieJar,
    Query(q): Query<LangQuery>,
) -> Response {
    let lang = if q.to == "en" { "en" } else { "zh" };
    let jar = jar.add(
        Cookie::build((LANG_COOKIE, lang))
            .path("/")
            .same_site(SameSite::Lax)
            .secure(s.secure_cookies)
            .permanent()
            .build(),
    );
    (
        jar,
        Redirect::to(safe_next(q.next.as_deref().unwrap_or("/"))),
    )
        .into_response()
}
