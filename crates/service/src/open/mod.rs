//! Open data (数据开放, OPN-3): the public portal's catalogue of open
//! datasets — loaded datasets of published, unconditionally open entries —
//! searched with the abbreviations people type, previewed, read page by page
//! and downloaded, without an account. Every read goes through the one door
//! (`access::open_public_read`: only non-personal columns, the access record
//! first) and is recorded with an anonymised client; anonymous use is
//! rate-limited per client.
//!
//! Conditionally open datasets (有条件开放, OPN-4) are listed with their
//! metadata only; their rows reach an applicant under an approved
//! application whose data use agreement it accepted ([`applications`]).

pub mod applications;

pub mod ckan;
pub mod dcat;
pub(crate) mod listing;
pub mod plans;

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use chrono::{DateTime, Utc};
use pubdata_domain::calendar::today_cst;
use pubdata_store::Dataset;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::App;
use crate::error::{Result, ServiceError};
use crate::principal::{Principal, Via};

/// Anonymous requests a client may make per minute (bursts up to this), by
/// default; the operator sets another with `--open-rate-per-minute`
/// (`App::set_open_rate_per_minute`).
pub const ANONYMOUS_PER_MINUTE: f64 = 600.0;
/// Requests per minute for a signed-in person or application token, by
/// default.
pub const REGISTERED_PER_MINUTE: f64 = 6000.0;
/// A registered caller's limit is this many times the anonymous one.
pub const REGISTERED_FACTOR: f64 = REGISTERED_PER_MINUTE / ANONYMOUS_PER_MINUTE;

/// The portal's per-process state: a key that anonymises clients, the
/// anonymous limit (requests a minute, `f64` bits) and the rate buckets by
/// anonymised client.
pub(crate) struct OpenState {
    key: [u8; 32],
    anonymous_per_minute: AtomicU64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
    /// Match counts of `datastore_search` conditions, per dataset version.
    pub(crate) counts: indexes::CountCache,
    /// This server's copy of the search synonyms.
    pub(crate) synonyms: synonyms::SynonymCopy,
    /// This server's copy of the open list.
    pub(crate) list: listing::OpenListCopy,
}

impl Default for OpenState {
    fn default() -> Self {
        OpenState {
            key: rand::random(),
            anonymous_per_minute: AtomicU64::new(ANONYMOUS_PER_MINUTE.to_bits()),
            buckets: Mutex::default(),
            counts: indexes::CountCache::default(),
            synonyms: Default::default(),
            list: Default::default(),
        }
    }
}

/// A data item of an open dataset, as the portal shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OpenItem {
    pub name: String,
    pub data_type: String,
    pub description: String,
}

/// An open dataset's metadata.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OpenDataset {
    pub id: i64,
    pub name: String,
    pub entry_id: i64,
    /// 信息资源代码.
    pub entry_code: String,
    pub title: String,
    pub summary: String,
    pub org_id: i64,
    /// The providing agency (提供部门).
    pub org_name: String,
    pub classification: String,
    pub keywords: Vec<String>,
    /// `daily`, `monthly` …
    pub update_frequency: String,
    /// The published columns (personal items are never published); of a
    /// conditionally open dataset, every column an applicant may ask for.
    pub columns: Vec<String>,
    pub items: Vec<OpenItem>,
    pub row_count: i64,
    pub version: i64,
    pub updated_at: Option<DateTime<Utc>>,
    /// `unconditional` (read by anyone) or `conditional` (有条件开放: by
    /// application only; listed on the portal, never previewed).
    pub open_attribute: String,
    /// What a conditional dataset's applicant must meet (开放条件).
    pub open_conditions: String,
}

/// One page of open datasets.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OpenDatasetList {
    pub items: Vec<OpenDataset>,
    /// How many match in all.
    pub total: i64,
}

/// Rows of an open dataset, in key order.
#[derive(Debug, Clone, Serialize)]
pub struct OpenRows {
    pub columns: Vec<String>,
    pub rows: Vec<(String, Vec<Option<String>>)>,
}

mod indexes;
mod reident;
mod stats;
mod synonyms;

pub use reident::REVIEW_DAYS;
pub(crate) use reident::{ReidSpec, risk_refusal};
pub use stats::{AgencyOpenStats, OpenStats};
pub use synonyms::Synonym;

/// An open dataset as the portal shows it, with its entry and dataset.
pub(crate) struct Loaded {
    pub view: OpenDataset,
    pub entry: pubdata_store::CatalogEntry,
    pub dataset: Dataset,
}

/// Whether `d` is loaded and its entry published and unconditionally open
/// (无条件开放).
fn is_open(entry: &pubdata_store::CatalogEntry, d: &Dataset) -> bool {
    entry.content.open_attribute == pubdata_domain::catalog::OpenAttribute::Unconditional
        && entry.published_version.is_some()
        && entry.state != pubdata_domain::catalog::EntryState::Delisted
        && d.current_version > 0
}

/// Whether the public may apply for `d` (有条件开放): loaded, and its entry
/// published and conditionally open.
pub(crate) fn is_conditionally_open(entry: &pubdata_store::CatalogEntry, d: &Dataset) -> bool {
    entry.content.open_attribute == pubdata_domain::catalog::OpenAttribute::Conditional
        && entry.published_version.is_some()
        && entry.state != pubdata_domain::catalog::EntryState::Delisted
        && d.current_version > 0
}

impl App {
    /// Whether the public may read `d` — the one openness check of the door
    /// and the portal: loaded, its entry published and unconditionally
    /// open, and not a derivative withheld for re-identification risk.
    pub(crate) async fn public_may_read(&self, d: &Dataset) -> Result<bool> {
        Ok(self
            .open_list()
            .await?
            .public(d.id)
            .is_some_and(|l| is_open(&l.entry, d)))
    }

    /// The open dataset `id` for a public read: from the open list when it
    /// is there, else the store's (which the door then refuses, recorded);
    /// 404 `open dataset` when there is none.
    pub(crate) async fn open_candidate(&self, id: i64) -> Result<Dataset> {
        if let Some(l) = self.open_list().await?.public(id) {
            return Ok(l.dataset.clone());
        }
        self.load_dataset(id)
            .await
            .map_err(|_| ServiceError::NotFound {
                what: "open dataset",
            })
    }

    /// The public caller of a portal request: anonymised (a keyed hash of
    /// its address and the day, the same all day, unlinkable across days),
    /// or a signed-in caller as itself.
    pub fn public_principal(&self, signed_in: Option<Principal>, ip: Option<&str>) -> Principal {
        if let Some(p) = signed_in {
            return p;
        }
        let mut h = Sha256::new();
        h.update(self.open.key);
        h.update(today_cst().to_string());
        h.update(ip.unwrap_or("-"));
        let client = hex::encode(&h.finalize()[..8]);
        Principal {
            user_id: None,
            name: format!("public:{client}"),
            display_name: "公众".into(),
            kind: "public",
            org: None,
            roles: vec![],
            via: Via::Bearer,
            client_ip: None,
        }
    }

    /// The open data rate limit (operator setting `--open-rate-per-minute`,
    /// `PUBDATA_OPEN_RATE_PER_MINUTE`): requests a minute per anonymous
    /// client (at least 1); registered callers get `REGISTERED_FACTOR` times
    /// it. The limit is checked on every request whatever its value.
    pub fn set_open_rate_per_minute(&self, anonymous: u64) {
        let v = anonymous.max(1) as f64;
        self.open
            .anonymous_per_minute
            .store(v.to_bits(), Ordering::Relaxed);
        // Buckets filled under the old limit start again under the new one.
        self.open.buckets.lock().expect("open buckets").clear();
    }

    /// Requests a minute an anonymous client may make now.
    pub fn open_rate_per_minute(&self) -> f64 {
        f64::from_bits(self.open.anonymous_per_minute.load(Ordering::Relaxed))
    }

    /// Takes `cost` requests from the caller's bucket; 429 when empty.
    pub fn take_open_rate(&self, p: &Principal, cost: f64) -> Result<()> {
        let anonymous = self.open_rate_per_minute();
        let per_minute = if p.kind == "public" {
            anonymous
        } else {
            anonymous * REGISTERED_FACTOR
        };
        let per_sec = per_minute / 60.0;
        let mut b = self.open.buckets.lock().expect("open buckets");
        let now = Instant::now();
        if b.len() > 100_000 {
            // Idle clients' buckets are full again: forgetting them changes nothing.
            b.retain(|_, (_, at)| now.duration_since(*at).as_secs() < 60);
        }
        let (tokens, at) = b.entry(p.name.clone()).or_insert((per_minute, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * per_sec).min(per_minute);
        *at = now;
        if *tokens >= cost {
            *tokens -= cost;
            Ok(())
        } else {
            Err(ServiceError::RateLimited {
                retry_after_secs: ((cost - *tokens) / per_sec).ceil().max(1.0) as u64,
            })
        }
    }

    /// Open datasets matching `q` (with abbreviations spelled out), of one
    /// agency if `org`, conditionally open ones too if `conditional`; in id
    /// order.
    pub async fn open_datasets(
        &self,
        q: Option<&str>,
        org: Option<i64>,
        conditional: bool,
        limit: u32,
        offset: i64,
    ) -> Result<OpenDatasetList> {
        let terms = self.search_terms(q).await?;
        let list = self.open_list().await?;
        let tree = self.org_tree().await?;
        let mut total = 0;
        let mut items = vec![];
        let (skip, take) = (offset.max(0), i64::from(limit.clamp(1, 1000)));
        for l in list.matching(&terms, org, conditional) {
            if total >= skip && total < skip + take {
                items.push(open_view_of(&l.dataset, &l.entry, &tree));
            }
            total += 1;
        }
        Ok(OpenDatasetList { items, total })
    }

    /// `q` and its spellings with abbreviations spelled out (none: all).
    async fn search_terms(&self, q: Option<&str>) -> Result<Vec<String>> {
        let synonyms = self.search_synonyms().await?;
        Ok(
            q.map(|q| pubdata_domain::catalog::term_variants_with(q, &synonyms))
                .unwrap_or_default(),
        )
    }

    /// Every open dataset matching `q` (of `org`), in id order, with its
    /// entry and dataset (the CKAN API and the DCAT catalogue).
    pub(crate) async fn open_loaded(
        &self,
        q: Option<&str>,
        org: Option<i64>,
    ) -> Result<Vec<Loaded>> {
        let terms = self.search_terms(q).await?;
        let list = self.open_list().await?;
        let tree = self.org_tree().await?;
        Ok(list
            .matching(&terms, org, false)
            .map(|l| Loaded {
                view: open_view_of(&l.dataset, &l.entry, &tree),
                entry: l.entry.clone(),
                dataset: l.dataset.clone(),
            })
            .collect())
    }

    /// One open dataset's metadata (404 `open dataset` if it is not open).
    pub async fn open_dataset(&self, id: i64) -> Result<OpenDataset> {
        let list = self.open_list().await?;
        let l = list.public(id).ok_or(ServiceError::NotFound {
            what: "open dataset",
        })?;
        let tree = self.org_tree().await?;
        Ok(open_view_of(&l.dataset, &l.entry, &tree))
    }

    /// A conditionally open dataset's metadata (404 `open dataset` for
    /// anything else): what the portal shows and an application names.
    pub async fn conditional_dataset(&self, id: i64) -> Result<OpenDataset> {
        let list = self.open_list().await?;
        let l = list
            .get(id)
            .filter(|l| is_conditionally_open(&l.entry, &l.dataset))
            .ok_or(ServiceError::NotFound {
                what: "open dataset",
            })?;
        let (d, entry) = (&l.dataset, &l.entry);
        let tree = self.org_tree().await?;
        let mut view = open_view_of(d, entry, &tree);
        // An applicant chooses among every item, personal ones included
        // (they are masked when approved).
        view.columns = d.columns.iter().map(|c| c.name.clone()).collect();
        view.items = entry
            .content
            .items
            .iter()
            .filter(|i| view.columns.contains(&i.name))
            .map(|i| OpenItem {
                name: i.name.clone(),
                data_type: i.data_type.as_str().to_string(),
                description: i.description.clone(),
            })
            .collect();
        Ok(view)
    }

    /// Rows of an open dataset after the key `after` (the portal's preview
    /// and the open data API), through the door; recorded.
    pub async fn open_rows(
        &self,
        p: &Principal,
        id: i64,
        after: Option<&str>,
        limit: u32,
    ) -> Result<OpenRows> {
        self.take_open_rate(p, 1.0)?;
        let d = self.open_candidate(id).await?;
        let asked = serde_json::json!({"rows": {"after": after, "limit": limit}});
        let read = self.open_public_read(p, &d, asked).await?;
        let rows = read.page(after, limit.clamp(1, 1000)).await?;
        Ok(OpenRows {
            columns: read.columns(),
            rows,
        })
    }

    /// Streams an open dataset's rows to `send`, a page at a time, after the
    /// door has recorded the download; `started` gets the columns (or the
    /// refusal) before any row is sent. Memory stays at one page.
    pub async fn open_download(
        &self,
        p: &Principal,
        id: i64,
        format: &str,
        started: tokio::sync::oneshot::Sender<Result<Vec<String>>>,
        send: tokio::sync::mpsc::Sender<Vec<Vec<Option<String>>>>,
    ) {
        let d = match self.take_open_rate(p, 10.0) {
            Ok(()) => self.open_candidate(id).await,
            Err(e) => Err(e),
        };
        let d = match d {
            Ok(d) => d,
            Err(e) => {
                let _ = started.send(Err(e));
                return;
            }
        };
        let asked = serde_json::json!({"download": format});
        let read = match self.open_public_read(p, &d, asked).await {
            Ok(r) => r,
            Err(e) => {
                let _ = started.send(Err(e));
                return;
            }
        };
        stream_read(read, started, send).await;
    }
}

/// Rows a streamed download reads at a time: with two pages queued and one
/// being written, a download holds a few megabytes whatever its size.
const STREAM_PAGE: u32 = 1000;

/// Sends a whole read's columns to `started`, then its rows to `send` a
/// page at a time (memory stays at a few pages).
pub(crate) async fn stream_read(
    read: crate::access::WholeRead<'_>,
    started: tokio::sync::oneshot::Sender<Result<Vec<String>>>,
    send: tokio::sync::mpsc::Sender<Vec<Vec<Option<String>>>>,
) {
    if started.send(Ok(read.columns())).is_err() {
        return;
    }
    let mut after: Option<String> = None;
    loop {
        let page = match read.page(after.as_deref(), STREAM_PAGE).await {
            Ok(p) => p,
            Err(e) => {
                // The body ends short; the client sees a broken transfer.
                tracing::warn!(error = %e, "open download failed");
                return;
            }
        };
        let full = page.len() == STREAM_PAGE as usize;
        after = page.last().map(|(k, _)| k.clone());
        let rows = page.into_iter().map(|(_, v)| v).collect();
        if send.send(rows).await.is_err() || !full {
            return;
        }
    }
}

/// An open dataset's metadata as the portal shows it: its entry's
/// description, the agency's name, the columns that are not personal.
pub(crate) fn open_view_of(
    d: &Dataset,
    entry: &pubdata_store::CatalogEntry,
    tree: &crate::org_tree::OrgTree,
) -> OpenDataset {
    let c = &entry.content;

    let columns: Vec<String> = d
        .columns
        .iter()
        .filter(|c| !c.personal)
        .map(|c| c.name.clone())
        .collect();
    OpenDataset {
        id: d.id,
        name: d.name.clone(),
        entry_id: entry.id,
        entry_code: entry.code.clone(),
        title: c.name.clone(),
        summary: c.summary.clone(),
        org_id: d.org_id,
        org_name: tree
            .get(d.org_id)
            .map(|o| o.name.clone())
            .unwrap_or_default(),
        classification: c.classification.clone(),
        keywords: c.keywords.clone(),
        update_frequency: c.update_frequency.as_str().to_string(),
        items: c
            .items
            .iter()
            .filter(|i| columns.contains(&i.name))
            .map(|i| OpenItem {
                name: i.name.clone(),
                data_type: i.data_type.as_str().to_string(),
                description: i.description.clone(),
            })
            .collect(),
        columns,
        row_count: d.row_count,
        version: d.current_version,
        updated_at: d.last_load_at,
        open_attribute: c.open_attribute.as_str().to_string(),
        open_conditions: c.open_conditions.clone(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn abbreviations_find_their_full_terms_and_back() {
        use pubdata_domain::catalog::term_variants as search_terms;
        assert_eq!(search_terms("社保"), ["社保", "社会保险"]);
        assert_eq!(search_terms("社会保险参保"), ["社会保险参保", "社保参保"]);
        assert_eq!(search_terms(" 医保 定点 "), ["医保 定点", "医疗保障 定点"]);
        assert_eq!(search_terms("公交站点"), ["公交站点", "公共交通站点"]);
        assert_eq!(search_terms("空气质量"), ["空气质量"]);
        assert!(search_terms("  ").is_empty());
    }
}
