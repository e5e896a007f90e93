//! This server's copy of the open list (开放目录, OPN-3): every loaded
//! dataset of a published, unconditionally or conditionally open entry
//! that is not withheld for re-identification risk, with its entry — what
//! the portal's search and dataset pages, the CKAN API, the DCAT catalogue
//! and the door's openness check read on every request.
//!
//! The copy is kept while the store's open generation stays the same: a
//! counter that triggers move with every change to catalogue entries,
//! datasets, derivations and re-identification checks, whichever server or
//! job made it. A request reads that one row (on SQLite, on its own
//! thread) instead of the catalogue queries and their `LIKE` scan, and is
//! never answered from a list older than the last committed change.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use pubdata_domain::catalog::OpenAttribute;
use pubdata_store::{CatalogEntry, Dataset, OpenFilter};

use crate::App;
use crate::error::Result;

/// Datasets read from the store a page at a time while the copy is built.
const BUILD_PAGE: u32 = 1000;

/// One open dataset with its entry and what its search matches.
pub(crate) struct Listed {
    pub dataset: Dataset,
    pub entry: CatalogEntry,
    /// The entry's search text and the dataset's name, lower case: a term
    /// matches when either contains it.
    search_text: String,
    name: String,
}

impl Listed {
    /// Unconditionally open (无条件开放): anyone reads it.
    pub fn unconditional(&self) -> bool {
        self.entry.content.open_attribute == OpenAttribute::Unconditional
    }

    /// Whether any of `terms` (lower case) is in its search text or name.
    fn matches(&self, terms: &[String]) -> bool {
        terms.is_empty()
            || terms
                .iter()
                .any(|t| self.search_text.contains(t.as_str()) || self.name.contains(t.as_str()))
    }
}

/// The open list at one generation, in dataset id order.
pub(crate) struct OpenList {
    generation: i64,
    items: Vec<Listed>,
    by_id: HashMap<i64, usize>,
}

impl OpenList {
    /// The open dataset `id` (unconditional or conditional), if it is one.
    pub fn get(&self, id: i64) -> Option<&Listed> {
        self.by_id.get(&id).map(|i| &self.items[*i])
    }

    /// The unconditionally open dataset `id`, if it is one.
    pub fn public(&self, id: i64) -> Option<&Listed> {
        self.get(id).filter(|l| l.unconditional())
    }

    /// Those matching any of `terms` (case-insensitive; all when none), of
    /// agency `org` when given, conditionally open ones too when
    /// `conditional`; in id order.
    pub fn matching<'a>(
        &'a self,
        terms: &[String],
        org: Option<i64>,
        conditional: bool,
    ) -> impl Iterator<Item = &'a Listed> + 'a {
        let terms: Vec<String> = terms.iter().map(|t| t.to_lowercase()).collect();
        self.items.iter().filter(move |l| {
            (conditional || l.unconditional())
                && org.is_none_or(|o| l.dataset.org_id == o)
                && l.matches(&terms)
        })
    }
}

/// The copy, shared by the server's requests, and the lock one rebuild
/// holds: after a change the requests that find the copy old wait for one
/// rebuild instead of each building their own.
#[derive(Default)]
pub(crate) struct OpenListCopy {
    copy: RwLock<Option<Arc<OpenList>>>,
    rebuild: tokio::sync::Mutex<()>,
}

impl OpenListCopy {
    /// The copy if it was built at `generation` or later.
    fn current(&self, generation: i64) -> Option<Arc<OpenList>> {
        self.copy
            .read()
            .expect("open list")
            .as_ref()
            .filter(|l| l.generation >= generation)
            .cloned()
    }
}

impl App {
    /// The open list as of the last committed change.
    pub(crate) async fn open_list(&self) -> Result<Arc<OpenList>> {
        // Read before the list: a change committed while it is built moves
        // the generation past this value, and the next request builds anew.
        let generation = self.store.open_generation().await?;
        if let Some(list) = self.open.list.current(generation) {
            return Ok(list);
        }
        let _one = self.open.list.rebuild.lock().await;
        // Built by the request this one waited for.
        if let Some(list) = self.open.list.current(generation) {
            return Ok(list);
        }
        let mut loaded: Vec<(Dataset, CatalogEntry)> = vec![];
        loop {
            let (page, total) = self
                .store
                .open_datasets_loaded(&OpenFilter {
                    org: None,
                    conditional: true,
                    limit: BUILD_PAGE,
                    offset: loaded.len() as i64,
                })
                .await?;
            let n = page.len();
            loaded.extend(page);
            if n == 0 || loaded.len() as i64 >= total {
                break;
            }
        }
        let items: Vec<Listed> = loaded
            .into_iter()
            .map(|(dataset, entry)| Listed {
                search_text: entry.content.search_text(),
                name: dataset.name.to_lowercase(),
                dataset,
                entry,
            })
            .collect();
        let by_id = items
            .iter()
            .enumerate()
            .map(|(i, l)| (l.dataset.id, i))
            .collect();
        let list = Arc::new(OpenList {
            generation,
            items,
            by_id,
        });
        *self.open.list.copy.write().expect("open list") = Some(list.clone());
        Ok(list)
    }
}
