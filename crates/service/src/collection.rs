//! The collection list (采集清单, COL-1) and "no repeated collection"
//! (COL-2): every data item has exactly one source department, and before
//! collecting an agency can ask whether an item is already available.

use std::collections::BTreeSet;

use pubdata_domain::audit::Outcome;
use pubdata_domain::catalog::ShareType;
use pubdata_store::{DataItemSource, EntryFilter, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::App;
use crate::error::{Result, ServiceError};
use crate::policy::Action;
use crate::principal::Principal;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclareItem {
    /// The data item, e.g. 公民身份号码.
    pub data_item: String,
    /// The law or duty under which the agency collects it.
    pub basis: String,
}

/// How a data item can be obtained without collecting it again.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemAvailability {
    pub name: String,
    /// The source department, when one is declared.
    pub source_org: Option<i64>,
    pub source_org_name: Option<String>,
    /// `share` (a published shareable entry holds it) and/or `verification`
    /// (only a not-shared entry holds it: 核实、比对).
    pub available_via: Vec<String>,
    /// Published catalogue entries that hold the item.
    pub entries: Vec<ItemEntry>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemEntry {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub org_id: i64,
    pub share_type: ShareType,
}

/// A data item's name as compared: trimmed, inner spaces removed.
pub fn normalise_item(name: &str) -> String {
    name.split_whitespace().collect::<String>()
}

impl App {
    /// Declares the caller's agency the source of a data item (COL-1).
    pub async fn declare_collection_item(
        &self,
        p: &Principal,
        req: DeclareItem,
    ) -> Result<DataItemSource> {
        let org = p
            .org_id()
            .ok_or_else(|| ServiceError::Forbidden("you act for no organisation".into()))?;
        self.authorize(p, Action::ManageCollection(org)).await?;
        let name = normalise_item(&req.data_item);
        if name.is_empty() || name.chars().count() > 100 {
            return Err(ServiceError::invalid("data_item", "1 to 100 characters"));
        }
        let basis = req.basis.trim();
        if basis.is_empty() {
            return Err(ServiceError::invalid(
                "basis",
                "采集须有法定依据 (collection needs a legal basis)",
            ));
        }
        let audit = p.event(
            "collection.declare",
            format!("data_item:{name}"),
            Outcome::Success,
            json!({"basis": basis}),
        );
        match self.store.create_data_item(&name, org, basis, audit).await {
            Ok(item) => Ok(item),
            Err(StoreError::Conflict { .. }) => {
                let owner = self.store.get_data_item(&name).await?.map(|i| i.source_org);
                let tree = self.org_tree().await?;
                let owner_name = owner
                    .and_then(|o| tree.get(o))
                    .map(|o| o.name.clone())
                    .unwrap_or_default();
                self.store
                    .append_audit(p.event(
                        "collection.declare",
                        format!("data_item:{name}"),
                        Outcome::Failure,
                        json!({"source_org": owner}),
                    ))
                    .await?;
                Err(ServiceError::DataItemHasSource {
                    item: name,
                    source_org: owner.unwrap_or(0),
                    source_org_name: owner_name,
                })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Whether items matching `q` are already available, and from whom (COL-2).
    pub async fn find_data_items(&self, p: &Principal, q: &str) -> Result<Vec<ItemAvailability>> {
        self.authorize(p, Action::ViewCatalog).await?;
        let term = normalise_item(q);
        if term.is_empty() {
            return Err(ServiceError::invalid(
                "q",
                "give part of a data item's name",
            ));
        }
        let tree = self.org_tree().await?;
        let declared = self.store.find_data_items(&term, 50).await?;
        // Published entries that list a matching item.
        let entries = self
            .store
            .list_entries(&EntryFilter {
                terms: vec![term.clone()],
                published_only: true,
                limit: 500,
                ..Default::default()
            })
            .await?;
        let mut names: BTreeSet<String> = declared.iter().map(|d| d.name.clone()).collect();
        for e in &entries {
            for i in &e.content.items {
                let n = normalise_item(&i.name);
                if n.to_lowercase().contains(&term.to_lowercase()) {
                    names.insert(n);
                }
            }
        }
        Ok(names
            .into_iter()
            .map(|name| {
                let source = declared
                    .iter()
                    .find(|d| d.name == name)
                    .map(|d| d.source_org);
                let holding: Vec<ItemEntry> = entries
                    .iter()
                    .filter(|e| {
                        e.content
                            .items
                            .iter()
                            .any(|i| normalise_item(&i.name) == name)
                    })
                    .map(|e| ItemEntry {
                        id: e.id,
                        code: e.code.clone(),
                        name: e.content.name.clone(),
                        org_id: e.org_id,
                        share_type: e.content.share_type,
                    })
                    .collect();
                let mut via = BTreeSet::new();
                for h in &holding {
                    via.insert(if h.share_type == ShareType::None {
                        "verification"
                    } else {
                        "share"
                    });
                }
                ItemAvailability {
                    source_org_name: source.and_then(|o| tree.get(o)).map(|o| o.name.clone()),
                    source_org: source,
                    available_via: via.into_iter().map(String::from).collect(),
                    entries: holding,
                    name,
                }
            })
            .collect())
    }

    /// An agency's collection list; all items for platform admins and auditors.
    pub async fn collection_list(
        &self,
        p: &Principal,
        org: Option<i64>,
    ) -> Result<Vec<DataItemSource>> {
        match org {
            Some(o) => self.authorize(p, Action::ViewUnpublishedCatalog(o)).await?,
            None => self.authorize(p, Action::ViewCatalog).await?,
        }
        Ok(self.store.list_data_items(org).await?)
    }
}
