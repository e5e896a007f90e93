//! The search synonyms (同义词表): abbreviations people type and the full
//! terms they stand for (社保 → 社会保险 …). A search for either finds
//! both, in the catalogue and on the open data portal. Data the authority
//! (those who keep the catalogue scheme) edits, seeded with
//! `domain::catalog::SYNONYMS`.

use pubdata_domain::audit::Outcome;
use pubdata_domain::catalog::SYNONYMS;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::App;
use crate::error::{Result, ServiceError};
use crate::policy::Action;
use crate::principal::Principal;

/// At most this many pairs.
const MAX_SYNONYMS: usize = 200;
/// At most this many characters in a term.
const MAX_CHARS: usize = 30;
/// How long a server uses its copy of the list before reading it again
/// (another server may have changed it; this one's own changes apply at once).
const COPY_FOR: std::time::Duration = std::time::Duration::from_secs(2);

/// This server's copy of the list, as searches use it.
pub(crate) type SynonymCopy =
    std::sync::Mutex<Option<(std::sync::Arc<Vec<(String, String)>>, std::time::Instant)>>;

/// One pair of the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Synonym {
    /// What people type (简称), e.g. 社保.
    pub abbreviation: String,
    /// The full term (全称), e.g. 社会保险.
    pub term: String,
}

impl App {
    /// Seeds the list when it is empty.
    pub(crate) async fn seed_synonyms(&self) -> Result<()> {
        if self.store.synonyms().await?.is_empty() {
            let pairs: Vec<(String, String)> = SYNONYMS
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect();
            self.store.put_synonyms(&pairs, "system", None).await?;
        }
        Ok(())
    }

    /// The list as searches use it.
    pub(crate) async fn search_synonyms(&self) -> Result<std::sync::Arc<Vec<(String, String)>>> {
        if let Some((list, at)) = &*self.open.synonyms.lock().expect("synonyms")
            && at.elapsed() < COPY_FOR
        {
            return Ok(list.clone());
        }
        let list = std::sync::Arc::new(self.store.synonyms().await?);
        *self.open.synonyms.lock().expect("synonyms") =
            Some((list.clone(), std::time::Instant::now()));
        Ok(list)
    }

    /// The list (anyone who may see the catalogue).
    pub async fn synonyms(&self, p: &Principal) -> Result<Vec<Synonym>> {
        self.authorize(p, Action::ViewCatalog).await?;
        Ok(self
            .store
            .synonyms()
            .await?
            .into_iter()
            .map(|(abbreviation, term)| Synonym { abbreviation, term })
            .collect())
    }

    /// Replaces the list (those who keep the catalogue scheme).
    pub async fn put_synonyms(&self, p: &Principal, list: Vec<Synonym>) -> Result<Vec<Synonym>> {
        self.authorize(p, Action::ManageCatalogScheme).await?;
        if list.len() > MAX_SYNONYMS {
            return Err(ServiceError::invalid(
                "synonyms",
                format!("at most {MAX_SYNONYMS} pairs"),
            ));
        }
        let mut clean: Vec<Synonym> = Vec::with_capacity(list.len());
        for (i, s) in list.into_iter().enumerate() {
            let (a, t) = (s.abbreviation.trim(), s.term.trim());
            let n = i + 1;
            if a.is_empty() || t.is_empty() {
                return Err(ServiceError::invalid(
                    "synonyms",
                    format!("pair {n}: both the abbreviation and the term are needed"),
                ));
            }
            if a.chars().count() > MAX_CHARS || t.chars().count() > MAX_CHARS {
                return Err(ServiceError::invalid(
                    "synonyms",
                    format!("pair {n}: at most {MAX_CHARS} characters each"),
                ));
            }
            if a == t {
                return Err(ServiceError::invalid(
                    "synonyms",
                    format!("pair {n}: 「{a}」 stands for itself"),
                ));
            }
            if clean.iter().any(|c| c.abbreviation == a) {
                return Err(ServiceError::invalid(
                    "synonyms",
                    format!("pair {n}: 「{a}」 is listed twice"),
                ));
            }
            clean.push(Synonym {
                abbreviation: a.to_string(),
                term: t.to_string(),
            });
        }
        let pairs: Vec<(String, String)> = clean
            .iter()
            .map(|s| (s.abbreviation.clone(), s.term.clone()))
            .collect();
        let audit = p.event(
            "catalog.put_synonyms",
            "synonyms",
            Outcome::Success,
            json!({"synonyms": clean}),
        );
        self.store
            .put_synonyms(&pairs, &p.name, Some(audit))
            .await?;
        *self.open.synonyms.lock().expect("synonyms") = None;
        Ok(clean)
    }
}
