//! The classification tree and grading scheme (data, not code).
use axum::extract::State;
use minijinja::context;
use pubdata_domain::catalog::OpenAttribute;
use pubdata_service::open::Synonym;
use pubdata_service::{Principal, ServiceError};
use serde::Deserialize;

use super::parse_field;
use crate::AppState;
use crate::extract::{CsrfForm, Lang};
use crate::pages::{PageCaller, PageResult, base, not_the_forms, text};

async fn render_scheme(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    error: Option<String>,
    notice: Option<String>,
) -> PageResult {
    let classes = s.app.classifications(p).await?;
    let grades = s.app.grades(p).await?;
    let synonyms = s.app.synonyms(p).await?;
    let depth = |code: &str| {
        classes
            .iter()
            .find(|c| c.code == code)
            .map(|c| c.parent.is_some() as usize)
            .unwrap_or(0)
    };
    let ctx = context! {
        classes => classes.iter().map(|c| context! { code => c.code.clone(), name => c.name.clone(), depth => depth(&c.code) }).collect::<Vec<_>>(),
        grades => grades.iter().map(|g| context! { code => g.code.clone(), name => g.name.clone(), rank => g.rank,
            allows_unconditional_share => g.allows_unconditional_share, max_open => lang.pick(g.max_open.zh(), g.max_open.en()) }).collect::<Vec<_>>(),
        open_attributes => opts!(lang, OpenAttribute),
        synonyms => synonyms.iter().map(|x| context! { abbreviation => x.abbreviation.clone(), term => x.term.clone() }).collect::<Vec<_>>(),
        synonyms_text => synonyms.iter().map(|x| format!("{}={}", x.abbreviation, x.term)).collect::<Vec<_>>().join("\n"),
        error => error, notice => notice,
        ..base(s, p, lang, "/catalog/scheme").await
    };
    Ok(s.templates.render("scheme.html", ctx))
}

pub async fn scheme_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
) -> PageResult {
    render_scheme(&s, &p, lang, None, None).await
}

#[derive(Deserialize)]
pub struct GradeForm {
    code: String,
    name: String,
    rank: String,
    allows_unconditional_share: String,
    max_open: String,
}

pub async fn put_grade(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    CsrfForm(f): CsrfForm<GradeForm>,
) -> PageResult {
    let r = async {
        let g = pubdata_domain::catalog::Grade {
            code: f.code.trim().to_string(),
            name: f.name.trim().to_string(),
            rank: parse_field("rank", &f.rank)?,
            allows_unconditional_share: f.allows_unconditional_share == "true",
            max_open: parse_field("max_open", &f.max_open)?,
        };
        s.app.put_grade(&p, g).await
    }
    .await;
    scheme_result(&s, &p, lang, r.map(|_| ())).await
}

#[derive(Deserialize)]
pub struct ClassForm {
    code: String,
    name: String,
    parent: String,
}

pub async fn put_class(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    CsrfForm(f): CsrfForm<ClassForm>,
) -> PageResult {
    let c = pubdata_service::model::Classification {
        code: f.code.trim().to_string(),
        name: f.name.trim().to_string(),
        parent: Some(f.parent.trim().to_string()).filter(|x| !x.is_empty()),
    };
    let r = s.app.put_classification(&p, c).await.map(|_| ());
    scheme_result(&s, &p, lang, r).await
}

#[derive(Deserialize)]
pub struct SynonymsForm {
    /// One pair a line: `简称=全称`.
    synonyms: String,
}

/// Replaces the search synonyms from the page's text.
pub async fn put_synonyms(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    CsrfForm(f): CsrfForm<SynonymsForm>,
) -> PageResult {
    let parsed: Result<Vec<Synonym>, ServiceError> = f
        .synonyms
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(i, l)| {
            let (a, t) = l.split_once(['=', '＝']).ok_or_else(|| {
                ServiceError::invalid("synonyms", format!("line {}: 简称=全称", i + 1))
            })?;
            Ok(Synonym {
                abbreviation: a.trim().to_string(),
                term: t.trim().to_string(),
            })
        })
        .collect();
    let r = match parsed {
        Ok(list) => s.app.put_synonyms(&p, list).await.map(|_| ()),
        Err(e) => Err(e),
    };
    scheme_result(&s, &p, lang, r).await
}

async fn scheme_result(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    r: Result<(), ServiceError>,
) -> PageResult {
    match r {
        Ok(()) => render_scheme(s, p, lang, None, Some(text(lang.code(), "common.saved"))).await,
        Err(e) if not_the_forms(&e) => Err(e.into()),
        Err(e) => render_scheme(s, p, lang, Some(e.to_string()), None).await,
    }
}
