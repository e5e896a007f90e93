//! The entry editor: a new entry and edits (变更 of a published one);
//! enumerations as codes, data items one per line.
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use minijinja::{Value, context};
use pubdata_domain::catalog::{
    DataForm, DataItem, DataType, Frequency, OpenAttribute, OpenClause, ShareMode, ShareType,
};
use pubdata_service::catalog::{EntryInput, EntryPatch};
use pubdata_service::{Principal, ServiceError};
use serde::Deserialize;

use super::{parse_field, parse_opt};
use crate::AppState;
use crate::extract::{CsrfForm, Lang};
use crate::pages::{PageCaller, PageResult, base, not_the_forms};

/// The editor's form: enumerations as codes, items one per line.
#[derive(Deserialize, Default, Clone, serde::Serialize)]
pub struct EntryForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    classification: String,
    #[serde(default)]
    grade: String,
    #[serde(default)]
    data_form: String,
    #[serde(default)]
    items: String,
    #[serde(default)]
    share_type: String,
    #[serde(default)]
    share_conditions: String,
    #[serde(default)]
    share_basis: String,
    #[serde(default)]
    share_scope: String,
    #[serde(default)]
    share_modes: Vec<String>,
    #[serde(default)]
    open_attribute: String,
    /// The ticked clauses of Art. 33 / 34.
    #[serde(default)]
    open_clauses: Vec<String>,
    #[serde(default)]
    open_conditions: String,
    #[serde(default)]
    open_grounds: String,
    #[serde(default)]
    open_basis: String,
    #[serde(default)]
    update_frequency: String,
    #[serde(default)]
    keywords: String,
    #[serde(default)]
    collecting_org: String,
    #[serde(default)]
    approving_org: String,
    #[serde(default)]
    related_codes: String,
}

fn parse_items(text: &str) -> Result<Vec<DataItem>, ServiceError> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(n, line)| {
            let parts: Vec<&str> = line.split(['|', '｜']).map(str::trim).collect();
            let data_type = match parts.get(1).filter(|t| !t.is_empty()) {
                Some(t) => t.parse::<DataType>().map_err(|_| {
                    ServiceError::invalid(
                        "items",
                        format!("line {}: `{t}` is not a data type", n + 1),
                    )
                })?,
                None => DataType::String,
            };
            let personal = matches!(
                parts.get(2).copied(),
                Some("是" | "yes" | "true" | "y" | "1")
            );
            Ok(DataItem {
                name: parts[0].to_string(),
                data_type,
                description: String::new(),
                personal,
            })
        })
        .collect()
}

fn form_from(e: &pubdata_domain::catalog::EntryContent) -> EntryForm {
    EntryForm {
        name: e.name.clone(),
        summary: e.summary.clone(),
        classification: e.classification.clone(),
        grade: e.grade.clone(),
        data_form: e.data_form.as_str().into(),
        items: e
            .items
            .iter()
            .map(|i| {
                format!(
                    "{}|{}|{}",
                    i.name,
                    i.data_type.as_str(),
                    if i.personal { "是" } else { "否" }
                )
            })
            .collect::<Vec<_>>()
            .join("\n"),
        share_type: e.share_type.as_str().into(),
        share_conditions: e.share_conditions.clone(),
        share_basis: e.share_basis.clone(),
        share_scope: e.share_scope.clone(),
        share_modes: e
            .share_modes
            .iter()
            .map(|m| m.as_str().to_string())
            .collect(),
        open_attribute: e.open_attribute.as_str().into(),
        open_clauses: e
            .open_clauses
            .iter()
            .map(|c| c.as_str().to_string())
            .collect(),
        open_conditions: e.open_conditions.clone(),
        open_grounds: e.open_grounds.clone(),
        open_basis: e.open_basis.clone(),
        update_frequency: e.update_frequency.as_str().into(),
        keywords: e.keywords.join("，"),
        collecting_org: e.collecting_org.map(|o| o.to_string()).unwrap_or_default(),
        approving_org: e.approving_org.map(|o| o.to_string()).unwrap_or_default(),
        related_codes: e.related_codes.join(" "),
    }
}

fn patch_from(f: &EntryForm) -> Result<EntryPatch, ServiceError> {
    Ok(EntryPatch {
        name: Some(f.name.clone()),
        summary: Some(f.summary.clone()),
        classification: Some(f.classification.clone()),
        grade: Some(f.grade.clone()),
        data_form: Some(parse_field::<DataForm>("data_form", &f.data_form)?),
        items: Some(parse_items(&f.items)?),
        share_type: Some(parse_field::<ShareType>("share_type", &f.share_type)?),
        share_conditions: Some(f.share_conditions.clone()),
        share_basis: Some(f.share_basis.clone()),
        share_scope: Some(f.share_scope.clone()),
        share_modes: Some(
            f.share_modes
                .iter()
                .map(|m| parse_field::<ShareMode>("share_modes", m))
                .collect::<Result<_, _>>()?,
        ),
        open_attribute: Some(parse_field::<OpenAttribute>(
            "open_attribute",
            &f.open_attribute,
        )?),
        open_clauses: Some(
            f.open_clauses
                .iter()
                .map(|c| parse_field::<OpenClause>("open_clauses", c))
                .collect::<Result<_, _>>()?,
        ),
        open_conditions: Some(f.open_conditions.clone()),
        open_grounds: Some(f.open_grounds.clone()),
        open_basis: Some(f.open_basis.clone()),
        update_frequency: Some(parse_field::<Frequency>(
            "update_frequency",
            &f.update_frequency,
        )?),
        keywords: Some(
            f.keywords
                .split([',', '，', '、'])
                .map(|k| k.trim().to_string())
                .filter(|k| !k.is_empty())
                .collect(),
        ),
        collecting_org: Some(parse_opt::<i64>(
            "collecting_org",
            &Some(f.collecting_org.clone()),
        )?),
        approving_org: Some(parse_opt::<i64>(
            "approving_org",
            &Some(f.approving_org.clone()),
        )?),
        related_codes: Some(
            f.related_codes
                .split([' ', ',', '，', '、', '\n'])
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty())
                .collect(),
        ),
        note: None,
    })
}

async fn render_form(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    entry_id: Option<i64>,
    f: &EntryForm,
    error: Option<&ServiceError>,
) -> PageResult {
    let classes = s.app.classifications(p).await?;
    let grades = s.app.grades(p).await?;
    let field_errors: Vec<Value> = match error {
        Some(ServiceError::Invalid { errors, .. }) => errors
            .iter()
            .map(|e| context! { field => e.field.clone(), message => e.message.clone() })
            .collect(),
        _ => vec![],
    };
    let action = match entry_id {
        Some(id) => format!("/catalog/entries/{id}/edit"),
        None => "/catalog/new".into(),
    };
    let orgs: Vec<Value> = s
        .app
        .org_tree()
        .await?
        .walk()
        .into_iter()
        .filter(|(_, o)| {
            matches!(
                o.kind,
                pubdata_domain::org::OrgKind::Agency | pubdata_domain::org::OrgKind::Authority
            )
        })
        .map(|(_, o)| context! { id => o.id.to_string(), name => o.name.clone() })
        .collect();
    let ctx = context! {
        orgs => orgs,
        entry_id => entry_id, action => action, f => Value::from_serialize(f),
        classes => classes, grades => grades,
        data_forms => opts!(lang, DataForm), share_types => opts!(lang, ShareType), share_modes => opts!(lang, ShareMode),
        open_attributes => opts!(lang, OpenAttribute), frequencies => opts!(lang, Frequency),
        open_clauses => OpenClause::ALL.iter().map(|c| context! {
            value => c.as_str(), name => lang.pick(c.zh(), c.en()), attribute => c.attribute().as_str(),
        }).collect::<Vec<_>>(),
        field_errors => field_errors,
        error => error.filter(|e| !matches!(e, ServiceError::Invalid { .. })).map(|e| e.to_string()),
        ..base(s, p, lang, &action).await
    };
    Ok(s.templates.render("entry_form.html", ctx))
}

pub async fn new_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
) -> PageResult {
    let f = EntryForm {
        classification: "101".into(),
        grade: "L1".into(),
        data_form: "database".into(),
        share_type: "conditional".into(),
        // Art. 35: open unless a clause of Art. 33 or 34 applies.
        open_attribute: "unconditional".into(),
        update_frequency: "monthly".into(),
        share_modes: vec!["api".into()],
        ..Default::default()
    };
    render_form(&s, &p, lang, None, &f, None).await
}

pub async fn create(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    CsrfForm(f): CsrfForm<EntryForm>,
) -> PageResult {
    let result = async {
        let patch = patch_from(&f)?;
        let input = EntryInput {
            name: patch.name.unwrap_or_default(),
            summary: patch.summary.unwrap_or_default(),
            classification: patch.classification.unwrap_or_default(),
            grade: patch.grade.filter(|g| !g.is_empty()),
            data_form: patch.data_form.expect("set"),
            items: patch.items.unwrap_or_default(),
            share_type: patch.share_type.expect("set"),
            share_conditions: patch.share_conditions.unwrap_or_default(),
            share_basis: patch.share_basis.unwrap_or_default(),
            share_scope: patch.share_scope.unwrap_or_default(),
            share_modes: patch.share_modes.unwrap_or_default(),
            open_attribute: patch.open_attribute.expect("set"),
            open_clauses: patch.open_clauses.unwrap_or_default(),
            open_conditions: patch.open_conditions.unwrap_or_default(),
            open_grounds: patch.open_grounds.unwrap_or_default(),
            open_basis: patch.open_basis.unwrap_or_default(),
            update_frequency: patch.update_frequency.expect("set"),
            providing_org: None,
            keywords: patch.keywords.unwrap_or_default(),
            co_owners: vec![],
            collecting_org: patch.collecting_org.flatten(),
            approving_org: patch.approving_org.flatten(),
            related_codes: patch.related_codes.unwrap_or_default(),
        };
        s.app.create_entry(&p, input).await
    }
    .await;
    match result {
        Ok(v) => Ok(Redirect::to(&format!("/catalog/entries/{}", v.entry.id)).into_response()),
        Err(e) if not_the_forms(&e) => Err(e.into()),
        Err(e) => render_form(&s, &p, lang, None, &f, Some(&e)).await,
    }
}

pub async fn edit_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
) -> PageResult {
    match s.app.get_entry(&p, id).await {
        Ok(v) => render_form(&s, &p, lang, Some(id), &form_from(&v.entry.content), None).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn edit(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<EntryForm>,
) -> PageResult {
    let result = async { s.app.update_entry(&p, id, patch_from(&f)?).await }.await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/catalog/entries/{id}")).into_response()),
        Err(e) if not_the_forms(&e) || matches!(e, ServiceError::NotFound { .. }) => Err(e.into()),
        Err(e) => render_form(&s, &p, lang, Some(id), &f, Some(&e)).await,
    }
}
