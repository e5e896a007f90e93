//! Catalogue pages: browse and search, entry detail with versions and diff,
//! the entry editor, the authority's review queue, the collection list.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};
use pubdata_domain::catalog::{
    DataForm, DataItem, DataType, EntryState, Frequency, OpenAttribute, ShareMode, ShareType,
};
use pubdata_service::catalog::{
    CaseView, Decision, EntryInput, EntryPatch, EntryView, ReasonInput, ReviewInput,
};
use pubdata_service::collection::DeclareItem;
use pubdata_service::policy::Action;
use pubdata_service::{Principal, ServiceError};
use pubdata_store::EntryFilter;
use serde::Deserialize;

use super::{CsrfForm, NoFields, PageCaller, base, error_page, local_time, text, urlencode};
use crate::AppState;
use crate::extract::{Lang, decode_cursor, encode_cursor};

macro_rules! opts {
    ($lang:expr, $t:ty) => {
        <$t>::ALL
            .iter()
            .map(|v| context! { value => v.as_str(), name => $lang.pick(v.zh(), v.en()) })
            .collect::<Vec<_>>()
    };
}

fn parse_opt<T: std::str::FromStr>(
    field: &str,
    v: &Option<String>,
) -> Result<Option<T>, ServiceError> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|_| ServiceError::invalid(field, format!("`{s}` is not an allowed value"))),
    }
}

/// A case for a table row: kind, link, due date, time left.
fn case_row(lang: Lang, c: &CaseView) -> Value {
    let title = c
        .subject_title
        .clone()
        .unwrap_or_else(|| c.case.subject.clone());
    let d = c.deadline.as_ref();
    context! {
        kind => lang.pick(c.case.kind.zh(), c.case.kind.en()),
        link => c.subject_link.clone(),
        title => title,
        due => c.case.due_on.to_string(),
        left => d.and_then(|d| d.working_days_left),
        overdue => d.is_some_and(|d| d.overdue),
    }
}

/// Pending and outgoing cases for the dashboard.
pub async fn dashboard_cases(s: &AppState, p: &Principal, lang: Lang) -> (Vec<Value>, Vec<Value>) {
    let mut pending = Vec::new();
    for c in s.app.pending_cases(p).await.unwrap_or_default() {
        pending.push(case_row(lang, &c));
    }
    let mut outgoing = Vec::new();
    for c in s.app.outgoing_cases(p).await.unwrap_or_default() {
        outgoing.push(case_row(lang, &c));
    }
    (pending, outgoing)
}

/// A case outcome as people read it.
fn outcome_name(lang: Lang, o: &str) -> &'static str {
    match o {
        "approved" => lang.pick("审核通过", "approved"),
        "returned" => lang.pick("退回", "returned"),
        "submitted" => lang.pick("已提交更新", "update submitted"),
        "delisted" => lang.pick("已下架", "delisted"),
        _ => lang.pick("已办结", "closed"),
    }
}

#[derive(Deserialize, Default)]
pub struct CatalogQuery {
    q: Option<String>,
    org: Option<String>,
    classification: Option<String>,
    grade: Option<String>,
    share_type: Option<String>,
    open_attribute: Option<String>,
    frequency: Option<String>,
    state: Option<String>,
    cursor: Option<String>,
}

const PAGE: u32 = 50;

pub async fn browse(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Query(q): Query<CatalogQuery>,
) -> Response {
    let filter = (|| -> Result<EntryFilter, ServiceError> {
        Ok(EntryFilter {
            terms: q
                .q
                .as_deref()
                .unwrap_or("")
                .split_whitespace()
                .map(String::from)
                .collect(),
            org_ids: parse_opt::<i64>("org", &q.org)?.map(|o| vec![o]),
            classification: q.classification.clone().filter(|c| !c.is_empty()),
            grade: q.grade.clone().filter(|c| !c.is_empty()),
            share_type: parse_opt::<ShareType>("share_type", &q.share_type)?,
            open_attribute: parse_opt::<OpenAttribute>("open_attribute", &q.open_attribute)?,
            frequency: parse_opt::<Frequency>("frequency", &q.frequency)?,
            state: parse_opt::<EntryState>("state", &q.state)?,
            before_id: q
                .cursor
                .as_deref()
                .filter(|c| !c.is_empty())
                .map(|c| {
                    decode_cursor("entry", c).map_err(|e| ServiceError::invalid("cursor", e.detail))
                })
                .transpose()?,
            limit: PAGE + 1,
            ..Default::default()
        })
    })();
    let filter = match filter {
        Ok(f) => f,
        Err(e) => return error_page(&s, lang, &e),
    };
    let mut entries = match s.app.list_entries(&p, filter).await {
        Ok(e) => e,
        Err(e) => return error_page(&s, lang, &e),
    };
    let more = entries.len() > PAGE as usize;
    entries.truncate(PAGE as usize);
    let tree = match s.app.org_tree().await {
        Ok(t) => t,
        Err(e) => return error_page(&s, lang, &e),
    };
    let next_url = entries.last().filter(|_| more).map(|last| {
        let mut url = format!("/catalog?cursor={}", encode_cursor("entry", last.id));
        for (k, v) in [
            ("q", &q.q),
            ("org", &q.org),
            ("classification", &q.classification),
            ("grade", &q.grade),
            ("share_type", &q.share_type),
            ("open_attribute", &q.open_attribute),
            ("frequency", &q.frequency),
            ("state", &q.state),
        ] {
            if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
                url.push_str(&format!("&{k}={}", urlencode(v)));
            }
        }
        url
    });
    let rows: Vec<Value> = entries
        .iter()
        .map(|e| {
            context! {
                id => e.id, code => e.code.clone(), name => e.content.name.clone(),
                org => tree.get(e.org_id).map(|o| o.name.clone()).unwrap_or_default(),
                share_type => lang.pick(e.content.share_type.zh(), e.content.share_type.en()),
                open_attribute => lang.pick(e.content.open_attribute.zh(), e.content.open_attribute.en()),
                frequency => lang.pick(e.content.update_frequency.zh(), e.content.update_frequency.en()),
                state => lang.pick(e.state.zh(), e.state.en()),
            }
        })
        .collect();
    let orgs: Vec<Value> = tree
        .walk()
        .into_iter()
        .filter(|(_, o)| {
            matches!(
                o.kind,
                pubdata_domain::org::OrgKind::Region
                    | pubdata_domain::org::OrgKind::Agency
                    | pubdata_domain::org::OrgKind::Authority
            )
        })
        .map(|(depth, o)| context! { id => o.id, name => o.name.clone(), depth => depth })
        .collect();
    let classes = s.app.classifications(&p).await.unwrap_or_default();
    let grades = s.app.grades(&p).await.unwrap_or_default();
    let mut export_query = String::new();
    for (k, v) in [
        ("q", &q.q),
        ("org", &q.org),
        ("classification", &q.classification),
        ("grade", &q.grade),
        ("share_type", &q.share_type),
        ("open_attribute", &q.open_attribute),
        ("frequency", &q.frequency),
    ] {
        if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
            export_query.push(if export_query.is_empty() { '?' } else { '&' });
            export_query.push_str(&format!("{k}={}", urlencode(v)));
        }
    }
    let ctx = context! {
        export_query => export_query,
        grades => grades,
        entries => rows, next_url => next_url, orgs => orgs, classes => classes,
        q => context! { q => q.q.clone(), org => q.org.as_deref().and_then(|o| o.parse::<i64>().ok()), classification => q.classification.clone(), grade => q.grade.clone(),
                        share_type => q.share_type.clone(), open_attribute => q.open_attribute.clone(), frequency => q.frequency.clone(), state => q.state.clone() },
        share_types => opts!(lang, ShareType), open_attributes => opts!(lang, OpenAttribute),
        frequencies => opts!(lang, Frequency), states => opts!(lang, EntryState),
        ..base(&s, &p, lang, "/catalog").await
    };
    s.templates.render("catalog.html", ctx)
}

#[derive(Deserialize, Default)]
pub struct DiffQuery {
    from: Option<i64>,
    to: Option<i64>,
}

async fn render_entry(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    id: i64,
    diff: DiffQuery,
    error: Option<String>,
) -> Response {
    let v: EntryView = match s.app.get_entry(p, id).await {
        Ok(v) => v,
        Err(e) => return error_page(s, lang, &e),
    };
    let e = &v.entry;
    let tree = match s.app.org_tree().await {
        Ok(t) => t,
        Err(err) => return error_page(s, lang, &err),
    };
    let versions = s.app.entry_versions(p, id).await.unwrap_or_default();
    let changes = match (diff.from, diff.to) {
        (Some(f), Some(t)) => s
            .app
            .entry_diff(p, id, f, t)
            .await
            .map(|d| d.changes)
            .unwrap_or_default(),
        _ => vec![],
    };
    let classes = s.app.classifications(p).await.unwrap_or_default();
    let owners: Vec<i64> = std::iter::once(e.org_id)
        .chain(e.co_owners.iter().copied())
        .collect();
    let mut can_edit = false;
    for o in &owners {
        can_edit |= s.app.can(p, Action::EditCatalog(*o)).await;
    }
    let authority = pubdata_service::catalog::authority_of(&tree, e.org_id).unwrap_or(-1);
    let can_consent = {
        let mut c = false;
        for o in &e.co_owners {
            c |= s.app.can(p, Action::EditCatalog(*o)).await;
        }
        c && v
            .consent_missing
            .iter()
            .any(|m| p.roles.iter().any(|g| g.org_id == *m))
    };
    let reviewer = s.app.can(p, Action::ReviewCatalog(authority)).await;
    let actions = context! {
        edit => can_edit && matches!(e.state, EntryState::Draft | EntryState::Returned | EntryState::Published),
        submit => can_edit && matches!(e.state, EntryState::Draft | EntryState::Returned),
        consent => can_consent,
        review => reviewer && e.state == EntryState::Submitted,
        obligation => reviewer && e.state == EntryState::Published && v.update_due.is_none(),
        delist => s.app.can(p, Action::DelistCatalog(e.org_id)).await && e.state == EntryState::Published,
    };
    let cases: Vec<Value> = v
        .cases
        .iter()
        .map(|c| {
            let d = c.deadline.as_ref();
            context! {
                kind => lang.pick(c.case.kind.zh(), c.case.kind.en()),
                state => lang.pick(c.case.state.zh(), c.case.state.en()),
                due => c.case.due_on.to_string(), left => d.and_then(|d| d.working_days_left),
                overdue => d.is_some_and(|d| d.overdue), outcome => c.case.outcome.as_deref().map(|o| outcome_name(lang, o)), basis => c.case.basis.clone(),
            }
        })
        .collect();
    let ctx = context! {
        e => e.content.clone(),
        state_name => lang.pick(e.state.zh(), e.state.en()),
        org_name => v.providing_org_name.clone(),
        class_name => classes.iter().find(|c| c.code == e.content.classification).map(|c| c.name.clone()),
        data_form => lang.pick(e.content.data_form.zh(), e.content.data_form.en()),
        share_type => lang.pick(e.content.share_type.zh(), e.content.share_type.en()),
        share_modes => e.content.share_modes.iter().map(|m| lang.pick(m.zh(), m.en())).collect::<Vec<_>>(),
        open_attribute => lang.pick(e.content.open_attribute.zh(), e.content.open_attribute.en()),
        frequency => lang.pick(e.content.update_frequency.zh(), e.content.update_frequency.en()),
        items => e.content.items.iter().map(|i| context! { name => i.name.clone(), type => lang.pick(i.data_type.zh(), i.data_type.en()), personal => i.personal }).collect::<Vec<_>>(),
        collecting_org => e.content.collecting_org.and_then(|o| tree.get(o)).map(|o| o.name.clone()),
        approving_org => e.content.approving_org.and_then(|o| tree.get(o)).map(|o| o.name.clone()),
        review_due => v.review_due.map(|d| d.to_string()),
        update_due => v.update_due.map(|d| d.to_string()),
        consent_missing => v.consent_missing.iter().map(|o| tree.get(*o).map(|x| x.name.clone()).unwrap_or_default()).collect::<Vec<_>>(),
        cases => cases,
        actions => actions,
        versions => versions.iter().map(|x| context! { version => x.version, state => lang.pick(x.state.zh(), x.state.en()), actor => x.actor.clone(), at => local_time(&x.created_at), note => x.note.clone() }).collect::<Vec<_>>(),
        changes => changes.iter().map(|c| context! { field => c.field.clone(), before => c.before.to_string(), after => c.after.to_string() }).collect::<Vec<_>>(),
        diff_from => diff.from, diff_to => diff.to,
        error => error,
        ..base(s, p, lang, &format!("/catalog/entries/{id}")).await
    };
    // The content fields and the entry's own fields side by side.
    let ctx = context! { e => context! { id => e.id, code => e.code.clone(), version => e.version, published_version => e.published_version, published_on => e.published_on.map(|d| d.to_string()), ..Value::from_serialize(&e.content) }, ..ctx };
    s.templates.render("entry.html", ctx)
}

pub async fn entry_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    Query(d): Query<DiffQuery>,
) -> Response {
    render_entry(&s, &p, lang, id, d, None).await
}

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
    #[serde(default)]
    open_conditions: String,
    #[serde(default)]
    open_grounds: String,
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

fn parse_field<T: std::str::FromStr>(field: &str, v: &str) -> Result<T, ServiceError> {
    v.trim()
        .parse()
        .map_err(|_| ServiceError::invalid(field, format!("`{v}` is not an allowed value")))
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
        open_conditions: e.open_conditions.clone(),
        open_grounds: e.open_grounds.clone(),
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
        open_conditions: Some(f.open_conditions.clone()),
        open_grounds: Some(f.open_grounds.clone()),
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
) -> Response {
    let classes = s.app.classifications(p).await.unwrap_or_default();
    let grades = s.app.grades(p).await.unwrap_or_default();
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
    let orgs: Vec<Value> = match s.app.org_tree().await {
        Ok(tree) => tree
            .walk()
            .into_iter()
            .filter(|(_, o)| {
                matches!(
                    o.kind,
                    pubdata_domain::org::OrgKind::Agency | pubdata_domain::org::OrgKind::Authority
                )
            })
            .map(|(_, o)| context! { id => o.id.to_string(), name => o.name.clone() })
            .collect(),
        Err(e) => return error_page(s, lang, &e),
    };
    let ctx = context! {
        orgs => orgs,
        entry_id => entry_id, action => action, f => Value::from_serialize(f),
        classes => classes, grades => grades,
        data_forms => opts!(lang, DataForm), share_types => opts!(lang, ShareType), share_modes => opts!(lang, ShareMode),
        open_attributes => opts!(lang, OpenAttribute), frequencies => opts!(lang, Frequency),
        field_errors => field_errors,
        error => error.filter(|e| !matches!(e, ServiceError::Invalid { .. })).map(|e| e.to_string()),
        ..base(s, p, lang, &action).await
    };
    s.templates.render("entry_form.html", ctx)
}

pub async fn new_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
) -> Response {
    let f = EntryForm {
        classification: "101".into(),
        grade: "L1".into(),
        data_form: "database".into(),
        share_type: "conditional".into(),
        open_attribute: "none".into(),
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
) -> Response {
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
            open_conditions: patch.open_conditions.unwrap_or_default(),
            open_grounds: patch.open_grounds.unwrap_or_default(),
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
        Ok(v) => Redirect::to(&format!("/catalog/entries/{}", v.entry.id)).into_response(),
        Err(e @ (ServiceError::Forbidden(_) | ServiceError::Internal(_))) => {
            error_page(&s, lang, &e)
        }
        Err(e) => render_form(&s, &p, lang, None, &f, Some(&e)).await,
    }
}

pub async fn edit_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
) -> Response {
    match s.app.get_entry(&p, id).await {
        Ok(v) => render_form(&s, &p, lang, Some(id), &form_from(&v.entry.content), None).await,
        Err(e) => error_page(&s, lang, &e),
    }
}

pub async fn edit(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<EntryForm>,
) -> Response {
    let result = async { s.app.update_entry(&p, id, patch_from(&f)?).await }.await;
    match result {
        Ok(_) => Redirect::to(&format!("/catalog/entries/{id}")).into_response(),
        Err(
            e @ (ServiceError::Forbidden(_)
            | ServiceError::Internal(_)
            | ServiceError::NotFound { .. }),
        ) => error_page(&s, lang, &e),
        Err(e) => render_form(&s, &p, lang, Some(id), &f, Some(&e)).await,
    }
}

#[derive(Deserialize)]
pub struct StepForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    decision: String,
}

/// Runs a lifecycle step from the entry page, then shows the entry again.
async fn step(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    id: i64,
    r: Result<EntryView, ServiceError>,
) -> Response {
    match r {
        Ok(_) => Redirect::to(&format!("/catalog/entries/{id}")).into_response(),
        Err(
            e @ (ServiceError::Forbidden(_)
            | ServiceError::Internal(_)
            | ServiceError::NotFound { .. }),
        ) => error_page(s, lang, &e),
        Err(e) => render_entry(s, p, lang, id, DiffQuery::default(), Some(e.to_string())).await,
    }
}

pub async fn submit(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Response {
    let r = s.app.submit_entry(&p, id).await;
    step(&s, &p, lang, id, r).await
}

pub async fn consent(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Response {
    let r = s.app.consent_entry(&p, id).await;
    step(&s, &p, lang, id, r).await
}

pub async fn review(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<StepForm>,
) -> Response {
    let decision = if f.decision == "approve" {
        Decision::Approve
    } else {
        Decision::Return
    };
    let r = s
        .app
        .review_entry(
            &p,
            id,
            ReviewInput {
                decision,
                reason: f.reason,
            },
        )
        .await;
    step(&s, &p, lang, id, r).await
}

pub async fn delist(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<StepForm>,
) -> Response {
    let r = s
        .app
        .delist_entry(&p, id, ReasonInput { reason: f.reason })
        .await;
    step(&s, &p, lang, id, r).await
}

pub async fn obligation(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<StepForm>,
) -> Response {
    let r = s
        .app
        .open_update_obligation(&p, id, ReasonInput { reason: f.reason })
        .await;
    step(&s, &p, lang, id, r).await
}

pub async fn review_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
) -> Response {
    let queue = match s.app.review_queue(&p).await {
        Ok(q) => q,
        Err(e) => return error_page(&s, lang, &e),
    };
    let tree = s.app.org_tree().await.ok();
    let items: Vec<Value> = queue
        .iter()
        .map(|(c, e)| {
            let d = c.deadline.as_ref();
            context! {
                id => e.id, code => e.code.clone(), name => e.content.name.clone(),
                org => tree.as_ref().and_then(|t| t.get(e.org_id)).map(|o| o.name.clone()),
                due => c.case.due_on.to_string(), left => d.and_then(|d| d.working_days_left), overdue => d.is_some_and(|d| d.overdue),
            }
        })
        .collect();
    // Entries filed as not shared (不予共享备案) within the reviewer's levels.
    let mut filed = Vec::new();
    if let Some(tree) = &tree {
        for g in &p.roles {
            if !s.app.can(&p, Action::ReviewCatalog(g.org_id)).await {
                continue;
            }
            let Some(region) = tree.parent(g.org_id) else {
                continue;
            };
            let f = EntryFilter {
                org_ids: Some(vec![region]),
                share_type: Some(ShareType::None),
                limit: 200,
                ..Default::default()
            };
            for e in s.app.list_entries(&p, f).await.unwrap_or_default() {
                filed.push(context! {
                    id => e.id, code => e.code.clone(), name => e.content.name.clone(),
                    org => tree.get(e.org_id).map(|o| o.name.clone()), basis => e.content.share_basis.clone(),
                    state => lang.pick(e.state.zh(), e.state.en()),
                });
            }
        }
    }
    let ctx =
        context! { items => items, filed => filed, ..base(&s, &p, lang, "/catalog/review").await };
    s.templates.render("review.html", ctx)
}

#[derive(Deserialize, Default)]
pub struct ItemSearch {
    q: Option<String>,
}

async fn render_collection(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    q: Option<String>,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let q = q.filter(|q| !q.trim().is_empty());
    let found: Vec<Value> = match &q {
        Some(q) => match s.app.find_data_items(p, q).await {
            Ok(items) => items
                .into_iter()
                .map(|i| {
                    let via: Vec<String> = i
                        .available_via
                        .iter()
                        .map(|v| if v == "share" { lang.pick("共享", "sharing") } else { lang.pick("核验比对", "verification") }.to_string())
                        .collect();
                    context! { name => i.name, source_org_name => i.source_org_name, via => via,
                               entries => i.entries.iter().map(|e| context! { id => e.id, name => e.name.clone() }).collect::<Vec<_>>() }
                })
                .collect(),
            Err(e) => return error_page(s, lang, &e),
        },
        None => vec![],
    };
    let mine: Vec<Value> = match p.org_id() {
        Some(org) => s
            .app
            .collection_list(p, Some(org))
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|i| context! { name => i.name, basis => i.basis, at => local_time(&i.created_at) })
            .collect(),
        None => vec![],
    };
    let collect = match p.org_id() {
        Some(org) => s.app.can(p, Action::ManageCollection(org)).await,
        None => false,
    };
    let ctx = context! {
        q => q, found => found, mine => mine, notice => notice, error => error,
        ..base(s, p, lang, "/collection").await
    };
    let ctx = context! { can => context! { collect => collect, ..ctx.get_attr("can").unwrap_or_default() }, ..ctx };
    s.templates.render("collection.html", ctx)
}

pub async fn collection_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    Query(q): Query<ItemSearch>,
) -> Response {
    render_collection(&s, &p, lang, q.q, None, None).await
}

#[derive(Deserialize)]
pub struct DeclareForm {
    data_item: String,
    basis: String,
}

pub async fn declare(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
    CsrfForm(f): CsrfForm<DeclareForm>,
) -> Response {
    match s
        .app
        .declare_collection_item(
            &p,
            DeclareItem {
                data_item: f.data_item,
                basis: f.basis,
            },
        )
        .await
    {
        Ok(_) => {
            render_collection(
                &s,
                &p,
                lang,
                None,
                Some(text(lang.code(), "common.saved")),
                None,
            )
            .await
        }
        Err(e @ (ServiceError::Forbidden(_) | ServiceError::Internal(_))) => {
            error_page(&s, lang, &e)
        }
        Err(e) => render_collection(&s, &p, lang, None, None, Some(e.to_string())).await,
    }
}

/// Whether the caller reviews for any authority (for the navigation).
pub async fn reviews_anything(s: &AppState, p: &Principal) -> bool {
    for g in &p.roles {
        if s.app.can(p, Action::ReviewCatalog(g.org_id)).await {
            return true;
        }
    }
    false
}

async fn render_scheme(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    error: Option<String>,
    notice: Option<String>,
) -> Response {
    let classes = match s.app.classifications(p).await {
        Ok(c) => c,
        Err(e) => return error_page(s, lang, &e),
    };
    let grades = s.app.grades(p).await.unwrap_or_default();
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
        error => error, notice => notice,
        ..base(s, p, lang, "/catalog/scheme").await
    };
    s.templates.render("scheme.html", ctx)
}

pub async fn scheme_page(
    State(s): State<AppState>,
    PageCaller(p): PageCaller,
    lang: Lang,
) -> Response {
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
) -> Response {
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
) -> Response {
    let c = pubdata_store::Classification {
        code: f.code.trim().to_string(),
        name: f.name.trim().to_string(),
        parent: Some(f.parent.trim().to_string()).filter(|x| !x.is_empty()),
    };
    let r = s.app.put_classification(&p, c).await.map(|_| ());
    scheme_result(&s, &p, lang, r).await
}

async fn scheme_result(
    s: &AppState,
    p: &Principal,
    lang: Lang,
    r: Result<(), ServiceError>,
) -> Response {
    match r {
        Ok(()) => render_scheme(s, p, lang, None, Some(text(lang.code(), "common.saved"))).await,
        Err(e @ (ServiceError::Forbidden(_) | ServiceError::Internal(_))) => {
            error_page(s, lang, &e)
        }
        Err(e) => render_scheme(s, p, lang, Some(e.to_string()), None).await,
    }
}
