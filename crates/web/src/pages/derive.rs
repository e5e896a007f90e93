//! Desensitised derivatives (脱敏衍生, SHR-6) and masking rules (脱敏规则):
//! the list with the rules, the form that derives from a dataset (one
//! transformation per field), and a derivative's page with "refresh now".

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use minijinja::{Value, context};
use pubdata_domain::catalog::{OpenAttribute, ShareType};
use pubdata_domain::reident::{DEFAULT_K, default_quasi_identifier};
use pubdata_service::model::MaskingRule;
use pubdata_service::policy::Action;
use pubdata_service::sharing::{DerivationInput, DerivationView};
use pubdata_service::{Principal, ServiceError};
use serde::Deserialize;

use super::{PageCaller, PageResult, base, form_outcome, local_time, not_the_forms};
use crate::AppState;
use crate::extract::{CsrfForm, Lang};

/// The transformations a page offers for a field, as (text, zh, en).
const CHOICES: [(&str, &str, &str); 14] = [
    ("keep", "保留原值", "keep"),
    ("drop", "删除字段", "drop"),
    ("pseudonym", "假名化（HMAC）", "pseudonymise (HMAC)"),
    ("mask:name", "遮盖：姓名", "mask: name"),
    (
        "mask:keep:6,4",
        "遮盖：保留前6后4",
        "mask: keep first 6, last 4",
    ),
    (
        "mask:keep:3,4",
        "遮盖：保留前3后4",
        "mask: keep first 3, last 4",
    ),
    (
        "mask:address",
        "遮盖：地址到街道",
        "mask: address to street",
    ),
    ("mask:email", "遮盖：邮箱", "mask: e-mail"),
    ("mask:suppress", "置空", "suppress"),
    ("year", "泛化：年份", "generalise: year"),
    ("month", "泛化：年月", "generalise: month"),
    ("district", "泛化：区县", "generalise: district"),
    (
        "age_band:10",
        "泛化：10岁年龄段",
        "generalise: 10-year age band",
    ),
    (
        "age_band:5",
        "泛化：5岁年龄段",
        "generalise: 5-year age band",
    ),
];

fn row(lang: Lang, d: &DerivationView) -> Value {
    context! {
        id => d.derivation.id,
        entry_id => d.derivation.entry_id,
        entry => format!("{} {}", d.entry_code, d.entry_name),
        entry_state => lang.pick(d.entry_state.zh(), d.entry_state.en()),
        parent_id => d.derivation.parent_dataset_id,
        parent => d.parent_name.clone(),
        parent_share => lang.pick(d.parent_share_type.zh(), d.parent_share_type.en()),
        share => lang.pick(d.share_type.zh(), d.share_type.en()),
        dataset_id => d.derivation.dataset_id,
        parent_version => d.derivation.parent_version,
        parent_current => d.parent_current_version,
        up_to_date => d.up_to_date,
        described => d.described.clone(),
        last_refresh => d.derivation.last_refresh_at.as_ref().map(local_time),
        last_error => d.derivation.last_error.clone(),
        created_by => d.derivation.created_by.clone(),
        open => lang.pick(d.open_attribute.zh(), d.open_attribute.en()),
        reid_required => d.derivation.reid_required,
        quasi_identifiers => d.derivation.quasi_identifiers.join("、"),
        k => d.derivation.k,
        withheld => d.withheld,
        checks => d.reid_checks.iter().map(|c| context! {
            at => local_time(&c.checked_at),
            purpose => c.purpose.clone(),
            version => c.version,
            passed => c.report.passed,
            summary => c.report.summary_zh(),
            at_risk => c.report.at_risk.iter().take(10).map(|r| {
                let values: Vec<String> = c.report.quasi_identifiers.iter().zip(&r.values)
                    .map(|(q, v)| format!("{q}={}", v.as_deref().unwrap_or("—")))
                    .collect();
                format!("{}（{}）", values.join("，"), r.records)
            }).collect::<Vec<_>>(),
        }).collect::<Vec<_>>(),
    }
}

async fn render_list(s: &AppState, p: &Principal, lang: Lang, error: Option<String>) -> PageResult {
    let list = s.app.derivations(p, None).await?;
    let rules = s.app.masking_rules(p).await?;
    // The caller's own datasets, to derive from.
    let datasets = match p.org_id() {
        Some(o) if s.app.can(p, Action::WriteDataset(o)).await => s
            .app
            .list_datasets(p, Some(o), None, None, 200)
            .await?
            .into_iter()
            .map(|d| context! { id => d.dataset.id, name => d.dataset.name.clone() })
            .collect(),
        _ => vec![],
    };
    let rules_text = rules
        .iter()
        .map(|r| format!("{} = {}", r.words.join("、"), r.rule))
        .collect::<Vec<_>>()
        .join("\n");
    let ctx = context! {
        derivations => list.iter().map(|d| row(lang, d)).collect::<Vec<_>>(),
        datasets => datasets,
        rules => rules.iter().map(|r| context! { words => r.words.join("、"), rule => r.rule.clone() }).collect::<Vec<_>>(),
        rules_text => rules_text,
        can_edit_rules => s.app.can(p, Action::ManageCatalogScheme).await,
        error => error,
        ..base(s, p, lang, "/sharing").await
    };
    Ok(s.templates.render("derivations.html", ctx))
}

/// Derivatives the caller's agency made, the datasets it may derive from,
/// and the masking rules.
pub async fn list_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
) -> PageResult {
    render_list(&s, &p, lang, None).await
}

#[derive(Deserialize)]
pub struct RulesForm {
    rules: String,
}

/// Parses `词、词 = rule` lines.
fn parse_rules(text: &str) -> Result<Vec<MaskingRule>, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(i, l)| {
            let (words, rule) = l
                .rsplit_once('=')
                .ok_or_else(|| format!("line {}: words = rule", i + 1))?;
            Ok(MaskingRule {
                words: words
                    .split(['、', ',', '，'])
                    .map(|w| w.trim().to_string())
                    .filter(|w| !w.is_empty())
                    .collect(),
                rule: rule.trim().to_string(),
            })
        })
        .collect()
}

pub async fn put_rules(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    CsrfForm(f): CsrfForm<RulesForm>,
) -> PageResult {
    let rules = match parse_rules(&f.rules) {
        Ok(r) => r,
        Err(e) => return render_list(&s, &p, lang, Some(e)).await,
    };
    form_outcome(
        s.app.put_masking_rules(&p, rules).await,
        |_| "/sharing/derivations".to_string(),
        |m| render_list(&s, &p, lang, Some(m)),
    )
    .await
}

#[derive(Deserialize)]
pub struct NewQuery {
    dataset: i64,
}

async fn render_new(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    dataset: i64,
    error: Option<String>,
) -> PageResult {
    let d = s.app.get_dataset(p, dataset).await?;
    let entry = s.app.get_entry(p, d.dataset.entry_id).await?;
    let grades = s.app.grades(p).await?;
    let content = &entry.entry.content;
    let personal: Vec<String> = d
        .dataset
        .columns
        .iter()
        .filter(|c| c.personal)
        .map(|c| c.name.clone())
        .collect();
    let masks = s.app.default_masks_for(&personal).await?;
    let fields: Vec<Value> = d
        .dataset
        .columns
        .iter()
        .map(|c| {
            let key = d.dataset.key.contains(&c.name);
            // A sensible default: the key pseudonymised, a personal item
            // masked by the masking rules (dropped if none applies), else the
            // value kept.
            let default = if key && c.personal {
                "pseudonym".to_string()
            } else if c.personal {
                masks
                    .get(&c.name)
                    .map(|m| format!("mask:{m}"))
                    .unwrap_or_else(|| "drop".into())
            } else {
                "keep".into()
            };
            context! {
                name => c.name.clone(),
                data_type => lang.pick(c.data_type.zh(), c.data_type.en()),
                personal => c.personal,
                key => key,
                default => default,
                quasi => !key && default_quasi_identifier(&c.name),
            }
        })
        .collect();
    let share_types: Vec<Value> = [
        ShareType::Unconditional,
        ShareType::Conditional,
        ShareType::None,
    ]
    .iter()
    .map(|t| context! { value => t.as_str(), name => lang.pick(t.zh(), t.en()) })
    .collect();
    let opens: Vec<Value> = [
        OpenAttribute::None,
        OpenAttribute::Conditional,
        OpenAttribute::Unconditional,
    ]
    .iter()
    .map(|o| {
        context! { value => o.as_str(), name => lang.pick(o.zh(), o.en()),
        selected => *o == content.open_attribute }
    })
    .collect();
    let ctx = context! {
        opens => opens,
        default_k => DEFAULT_K,
        dataset => context! { id => d.dataset.id, name => d.dataset.name.clone() },
        entry => context! { id => entry.entry.id, code => entry.entry.code.clone(), name => content.name.clone(),
                            share => lang.pick(content.share_type.zh(), content.share_type.en()),
                            grade => content.grade.clone() },
        fields => fields,
        choices => CHOICES.iter().map(|(v, zh, en)| context! { value => *v, name => lang.pick(zh, en) }).collect::<Vec<_>>(),
        share_types => share_types,
        grades => grades.iter().map(|g| context! { code => g.code.clone(), name => g.name.clone() }).collect::<Vec<_>>(),
        error => error,
        ..base(s, p, lang, "/sharing").await
    };
    Ok(s.templates.render("derivation_new.html", ctx))
}

/// The form deriving from one dataset.
pub async fn new_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Query(q): Query<NewQuery>,
) -> PageResult {
    render_new(&s, &p, lang, q.dataset, None).await
}

#[derive(Deserialize)]
pub struct DeriveForm {
    dataset: i64,
    name: String,
    share_type: ShareType,
    grade: String,
    #[serde(default)]
    share_conditions: String,
    /// The fields, in the page's order …
    #[serde(default)]
    field: Vec<String>,
    /// … and each one's transformation.
    #[serde(default)]
    transform: Vec<String>,
    open_attribute: OpenAttribute,
    /// The fields ticked as quasi-identifiers.
    #[serde(default)]
    qi: Vec<String>,
    k: u32,
}

pub async fn create(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    CsrfForm(f): CsrfForm<DeriveForm>,
) -> PageResult {
    // A field ticked as a quasi-identifier but dropped is not derived.
    let dropped: Vec<&String> = f
        .field
        .iter()
        .zip(&f.transform)
        .filter(|(_, t)| t.as_str() == "drop")
        .map(|(name, _)| name)
        .collect();
    let qi: Vec<String> =
        f.qi.iter()
            .filter(|q| !dropped.contains(q))
            .cloned()
            .collect();
    let input = DerivationInput {
        parent_dataset_id: f.dataset,
        name: f.name,
        summary: None,
        share_type: f.share_type,
        share_conditions: Some(f.share_conditions).filter(|c| !c.trim().is_empty()),
        share_modes: None,
        grade: Some(f.grade),
        transforms: f.field.into_iter().zip(f.transform).collect(),
        open_attribute: Some(f.open_attribute),
        quasi_identifiers: Some(qi),
        k: Some(f.k),
    };
    match s.app.create_derivation(&p, input).await {
        Ok(d) => {
            Ok(Redirect::to(&format!("/sharing/derivations/{}", d.derivation.id)).into_response())
        }
        Err(e) if not_the_forms(&e) => Err(e.into()),
        Err(ServiceError::Invalid {
            code: "reidentification_risk",
            detail,
            errors,
        }) => {
            // The re-identification refusal names the classes at risk.
            let more: Vec<String> = errors.into_iter().map(|e| e.message).collect();
            let text = format!("{detail} {}", more.join(" "));
            render_new(&s, &p, lang, f.dataset, Some(text)).await
        }
        Err(e) => render_new(&s, &p, lang, f.dataset, Some(e.to_string())).await,
    }
}

async fn render_detail(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    id: i64,
    message: Option<String>,
    error: Option<String>,
) -> PageResult {
    let d = s.app.derivation(p, id).await?;
    let ctx = context! {
        d => row(lang, &d),
        can_refresh => s.app.can(p, Action::WriteDataset(d.derivation.org_id)).await,
        message => message,
        error => error,
        ..base(s, p, lang, "/sharing").await
    };
    Ok(s.templates.render("derivation.html", ctx))
}

pub async fn detail(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
) -> PageResult {
    render_detail(&s, &p, lang, id, None, None).await
}

#[derive(Deserialize)]
pub struct Empty {}

/// "Check now": the re-identification check of the current version.
pub async fn reid_check(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> PageResult {
    match s.app.review_derivation_risk(&p, id).await {
        Ok(c) => render_detail(&s, &p, lang, id, Some(c.report.summary_zh()), None).await,
        Err(e @ ServiceError::Conflict { .. }) => {
            render_detail(&s, &p, lang, id, None, Some(e.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}

/// "Refresh now": the derived dataset from the parent's current rows.
pub async fn refresh(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> PageResult {
    match s.app.refresh_derivation(&p, id).await {
        Ok(v) => {
            let msg = lang
                .pick(
                    "已刷新：第 {v} 版，{n} 行",
                    "Refreshed: version {v}, {n} rows",
                )
                .replace("{v}", &v.version.to_string())
                .replace("{n}", &v.rows_in.to_string());
            render_detail(&s, &p, lang, id, Some(msg), None).await
        }
        Err(e @ ServiceError::Conflict { .. }) => {
            render_detail(&s, &p, lang, id, None, Some(e.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}
