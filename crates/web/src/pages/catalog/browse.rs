//! The catalogue: search, filters, keyset pages, export links.
use axum::extract::{Query, State};
use minijinja::{Value, context};
use pubdata_domain::catalog::{EntryState, Frequency, OpenAttribute, ShareType};
use pubdata_service::ServiceError;
use pubdata_service::model::EntryFilter;
use serde::Deserialize;

use super::parse_opt;
use crate::AppState;
use crate::extract::{Lang, decode_cursor, encode_cursor};
use crate::pages::{PageCaller, PageResult, base, urlencode};

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
) -> PageResult {
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
    let filter = filter?;
    let mut entries = s.app.list_entries(&p, filter).await?;
    let more = entries.len() > PAGE as usize;
    entries.truncate(PAGE as usize);
    let tree = s.app.org_tree().await?;
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
    let classes = s.app.classifications(&p).await?;
    let grades = s.app.grades(&p).await?;
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
    Ok(s.templates.render("catalog.html", ctx))
}
