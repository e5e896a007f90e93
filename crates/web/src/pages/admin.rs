//! Administration pages: organisations, users and roles, application tokens.
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use minijinja::{Value, context};
use pubdata_domain::org::{Level, OrgKind, Role, UserKind};
use pubdata_service::auth::CreateApiToken;
use pubdata_service::orgs::{CreateOrg, CreateUser, GrantRole, OrgTree, UpdateOrg, UpdateUser};
use pubdata_service::{Principal, ServiceError};
use serde::Deserialize;

use super::{PageCaller, PageResult, base, form_outcome, local_time, not_the_forms, text};
use crate::AppState;
use crate::extract::{CsrfForm, Lang, NoFields};

fn options<T: Copy>(
    lang: Lang,
    all: &[T],
    f: impl Fn(T) -> (&'static str, &'static str, &'static str),
) -> Vec<Value> {
    all.iter()
        .map(|v| {
            let (value, zh, en) = f(*v);
            context! { value => value, name => lang.pick(zh, en) }
        })
        .collect()
}

fn org_rows(tree: &OrgTree, lang: Lang) -> Vec<Value> {
    tree.walk()
        .into_iter()
        .map(|(depth, o)| {
            context! {
                id => o.id, code => o.code.clone(), name => o.name.clone(), name_en => o.name_en.clone(),
                depth => depth, kind_name => lang.pick(o.kind.zh(), o.kind.en()),
                level_name => o.level.map(|l| lang.pick(l.zh(), l.en())).unwrap_or(""),
                division_code => o.division_code.clone(),
            }
        })
        .collect()
}

#[derive(Deserialize, Default)]
pub struct Notice {
    done: Option<String>,
}

fn notice(lang: Lang, n: &Notice) -> Option<String> {
    n.done.as_ref().map(|_| text(lang.code(), "common.saved"))
}

/// Empty form fields mean "not given".
fn opt(s: &Option<String>) -> Option<String> {
    s.as_ref()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn opt_id(field: &str, s: &Option<String>) -> Result<Option<i64>, ServiceError> {
    opt(s)
        .map(|v| {
            v.parse()
                .map_err(|_| ServiceError::invalid(field, "not a valid id"))
        })
        .transpose()
}

// --- organisations

async fn render_orgs(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    notice: Option<String>,
    error: Option<String>,
) -> PageResult {
    let tree = s.app.list_orgs(p).await?;
    let ctx = context! {
        orgs => org_rows(&tree, lang),
        kinds => options(lang, OrgKind::ALL, |k| (k.as_str(), k.zh(), k.en())),
        levels => options(lang, Level::ALL, |l| (l.as_str(), l.zh(), l.en())),
        notice => notice, error => error,
        ..base(s, p, lang, "/orgs").await
    };
    Ok(s.templates.render("orgs.html", ctx))
}

pub async fn orgs_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Query(n): Query<Notice>,
) -> PageResult {
    render_orgs(&s, &p, lang, notice(lang, &n), None).await
}

#[derive(Deserialize)]
pub struct OrgForm {
    code: String,
    name: String,
    kind: String,
    parent_id: Option<String>,
    level: Option<String>,
    division_code: Option<String>,
}

pub async fn create_org(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    CsrfForm(f): CsrfForm<OrgForm>,
) -> PageResult {
    let result = async {
        let req = CreateOrg {
            code: f.code.clone(),
            name: f.name.clone(),
            name_en: None,
            kind: f.kind.clone(),
            level: opt(&f.level),
            parent_id: opt_id("parent_id", &f.parent_id)?,
            division_code: opt(&f.division_code),
        };
        s.app.create_org(&p, req).await
    }
    .await;
    form_outcome(
        result,
        |_| "/orgs?done=1".to_string(),
        |m| render_orgs(&s, &p, lang, None, Some(m)),
    )
    .await
}

async fn render_org(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    id: i64,
    notice: Option<String>,
    error: Option<String>,
) -> PageResult {
    let org = s.app.get_org(p, id).await?;
    let tree = s.app.org_tree().await?;
    let parent = org.parent_id.and_then(|p| tree.get(p)).cloned();
    let children: Vec<Value> = tree
        .walk()
        .into_iter()
        .filter(|(_, o)| o.parent_id == Some(id))
        .map(|(_, o)| context! { id => o.id, name => o.name.clone(), kind_name => lang.pick(o.kind.zh(), o.kind.en()) })
        .collect();
    let ctx = context! {
        kind_name => lang.pick(org.kind.zh(), org.kind.en()),
        level_name => org.level.map(|l| lang.pick(l.zh(), l.en())).unwrap_or(""),
        org => org,
        parent => parent,
        children => children,
        orgs => org_rows(&tree, lang),
        notice => notice, error => error,
        ..base(s, p, lang, &format!("/orgs/{id}")).await
    };
    Ok(s.templates.render("org.html", ctx))
}

pub async fn org_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    Query(n): Query<Notice>,
) -> PageResult {
    render_org(&s, &p, lang, id, notice(lang, &n), None).await
}

#[derive(Deserialize)]
pub struct OrgEditForm {
    name: Option<String>,
    name_en: Option<String>,
    parent_id: Option<String>,
}

pub async fn update_org(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<OrgEditForm>,
) -> PageResult {
    let result = async {
        let req = UpdateOrg {
            name: opt(&f.name),
            // An emptied English name is removed.
            name_en: f.name_en.as_ref().map(|v| v.trim().to_string()),
            parent_id: opt_id("parent_id", &f.parent_id)?,
        };
        s.app.update_org(&p, id, req).await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/orgs/{id}?done=1")).into_response()),
        Err(e) if not_the_forms(&e) || matches!(e, ServiceError::NotFound { .. }) => Err(e.into()),
        Err(e) => render_org(&s, &p, lang, id, None, Some(e.to_string())).await,
    }
}

// --- users

async fn render_users(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    notice: Option<String>,
    error: Option<String>,
) -> PageResult {
    // Platform admins see everyone; an agency's data admin or CDO sees its own users.
    let users = match s.app.list_users(p, None).await {
        Ok(u) => Ok(u),
        Err(ServiceError::Forbidden(_)) if p.org_id().is_some() => {
            s.app.list_users(p, p.org_id()).await
        }
        Err(e) => Err(e),
    };
    let users = users?;
    let tree = s.app.org_tree().await?;
    let org_name = |id: Option<i64>| {
        id.and_then(|i| tree.get(i))
            .map(|o| o.name.clone())
            .unwrap_or_default()
    };
    let rows: Vec<Value> = users
        .iter()
        .map(|u| {
            let roles: Vec<String> = u
                .roles
                .iter()
                .map(|g| format!("{} @ {}", lang.pick(g.role.zh(), g.role.en()), org_name(Some(g.org_id))))
                .collect();
            context! { id => u.user.id, username => u.user.username.clone(), display_name => u.user.display_name.clone(),
                       org_name => org_name(u.user.org_id), roles => roles, disabled => u.user.disabled }
        })
        .collect();
    let ctx = context! {
        users => rows,
        orgs => org_rows(&tree, lang),
        user_kinds => options(lang, UserKind::ALL, |k| (k.as_str(), k.zh(), k.en())),
        role_options => options(lang, Role::ALL, |r| (r.as_str(), r.zh(), r.en())),
        notice => notice, error => error,
        ..base(s, p, lang, "/users").await
    };
    Ok(s.templates.render("users.html", ctx))
}

pub async fn users_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Query(n): Query<Notice>,
) -> PageResult {
    render_users(&s, &p, lang, notice(lang, &n), None).await
}

#[derive(Deserialize)]
pub struct UserForm {
    username: String,
    display_name: String,
    password: String,
    kind: Option<String>,
    org_id: Option<String>,
    role: Option<String>,
}

pub async fn create_user(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    CsrfForm(f): CsrfForm<UserForm>,
) -> PageResult {
    let result = async {
        let req = CreateUser {
            username: f.username.clone(),
            display_name: f.display_name.clone(),
            password: f.password.clone(),
            kind: opt(&f.kind),
            org_id: opt_id("org_id", &f.org_id)?,
            roles: opt(&f.role).into_iter().collect(),
        };
        s.app.create_user(&p, req).await
    }
    .await;
    form_outcome(
        result,
        |u| format!("/users/{}?done=1", u.user.id),
        |m| render_users(&s, &p, lang, None, Some(m)),
    )
    .await
}

async fn render_user(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    id: i64,
    notice: Option<String>,
    error: Option<String>,
) -> PageResult {
    let view = s.app.get_user(p, id).await?;
    let tree = s.app.org_tree().await?;
    let org_name = |id: Option<i64>| {
        id.and_then(|i| tree.get(i))
            .map(|o| o.name.clone())
            .unwrap_or_else(|| text(lang.code(), "org.none"))
    };
    let grants: Vec<Value> = view
        .roles
        .iter()
        .map(|g| context! { id => g.id, role_name => lang.pick(g.role.zh(), g.role.en()), org_name => org_name(Some(g.org_id)) })
        .collect();
    let ctx = context! {
        user => view.user.clone(),
        kind_name => lang.pick(view.user.kind.zh(), view.user.kind.en()),
        org_name => org_name(view.user.org_id),
        grants => grants,
        orgs => org_rows(&tree, lang),
        role_options => options(lang, Role::ALL, |r| (r.as_str(), r.zh(), r.en())),
        notice => notice, error => error,
        ..base(s, p, lang, &format!("/users/{id}")).await
    };
    Ok(s.templates.render("user.html", ctx))
}

pub async fn user_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    Query(n): Query<Notice>,
) -> PageResult {
    render_user(&s, &p, lang, id, notice(lang, &n), None).await
}

#[derive(Deserialize)]
pub struct UpdateUserForm {
    password: Option<String>,
    disabled: Option<String>,
    display_name: Option<String>,
}

/// Runs a user-page action, then redirects back to the user or shows the error.
async fn user_action<T>(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    id: i64,
    r: Result<T, ServiceError>,
) -> PageResult {
    match r {
        Ok(_) => Ok(Redirect::to(&format!("/users/{id}?done=1")).into_response()),
        Err(e) if not_the_forms(&e) || matches!(e, ServiceError::NotFound { .. }) => Err(e.into()),
        Err(e) => render_user(s, p, lang, id, None, Some(e.to_string())).await,
    }
}

pub async fn update_user(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<UpdateUserForm>,
) -> PageResult {
    let req = UpdateUser {
        display_name: opt(&f.display_name),
        disabled: opt(&f.disabled).map(|v| v == "true"),
        password: opt(&f.password),
    };
    let r = s.app.update_user(&p, id, req).await;
    user_action(&s, &p, lang, id, r).await
}

#[derive(Deserialize)]
pub struct GrantForm {
    role: String,
    org_id: String,
}

pub async fn grant_role(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<GrantForm>,
) -> PageResult {
    let r = match f.org_id.trim().parse() {
        Ok(org_id) => {
            s.app
                .grant_role(
                    &p,
                    id,
                    GrantRole {
                        role: f.role.clone(),
                        org_id,
                    },
                )
                .await
        }
        Err(_) => Err(ServiceError::invalid("org_id", "not a valid id")),
    };
    user_action(&s, &p, lang, id, r).await
}

pub async fn revoke_role(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path((id, grant)): Path<(i64, i64)>,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> PageResult {
    let r = s.app.revoke_role(&p, id, grant).await;
    user_action(&s, &p, lang, id, r).await
}

// --- application tokens

async fn render_tokens(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    created: Option<String>,
    error: Option<String>,
) -> PageResult {
    let tokens = s.app.list_api_tokens(p).await?;
    let rows: Vec<Value> = tokens
        .iter()
        .map(|t| {
            context! { id => t.id, name => t.name.clone(), prefix => t.prefix.clone(), created => local_time(&t.created_at),
                       last_used => t.last_used_at.as_ref().map(local_time), revoked => t.revoked_at.as_ref().map(local_time) }
        })
        .collect();
    let ctx = context! { tokens => rows, created => created, error => error, ..base(s, p, lang, "/tokens").await };
    Ok(s.templates.render("tokens.html", ctx))
}

pub async fn tokens_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
) -> PageResult {
    render_tokens(&s, &p, lang, None, None).await
}

#[derive(Deserialize)]
pub struct TokenForm {
    name: String,
}

pub async fn create_token(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    CsrfForm(f): CsrfForm<TokenForm>,
) -> PageResult {
    match s
        .app
        .create_api_token(&p, CreateApiToken { name: f.name })
        .await
    {
        // Rendered, not redirected: the secret must not land in a URL or history.
        Ok(t) => render_tokens(&s, &p, lang, Some(t.token), None).await,
        Err(e) if not_the_forms(&e) => Err(e.into()),
        Err(e) => render_tokens(&s, &p, lang, None, Some(e.to_string())).await,
    }
}

pub async fn revoke_token(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    Path(id): Path<i64>,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> PageResult {
    match s.app.revoke_api_token(&p, id).await {
        Ok(_) => Ok(Redirect::to("/tokens").into_response()),
        Err(e) => Err(e.into()),
    }
}
