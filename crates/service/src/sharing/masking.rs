//! Masking rules by data item name (脱敏规则, SHR-4, SHR-6): the default
//! mask of a personal item in a grant comes from the first rule one of whose
//! words is in the item's name. The rules are data, seeded with DOMAIN.md's
//! defaults (`domain::masking::DEFAULT_RULES`) and edited by those who keep
//! the catalogue scheme.

use std::collections::BTreeMap;

use pubdata_domain::audit::Outcome;
use pubdata_domain::catalog::EntryContent;
use pubdata_domain::masking::{DEFAULT_RULES, Mask, rule_for};
use pubdata_store::MaskingRule;
use serde_json::json;

use crate::App;
use crate::error::{Result, ServiceError};
use crate::policy::Action;
use crate::principal::Principal;

/// At most this many rules.
const MAX_RULES: usize = 50;

fn defaults() -> Vec<MaskingRule> {
    DEFAULT_RULES
        .iter()
        .map(|(words, m)| MaskingRule {
            words: words.iter().map(|w| w.to_string()).collect(),
            rule: m.to_string(),
        })
        .collect()
}

impl App {
    /// Seeds DOMAIN.md's default rules when there are none.
    pub(crate) async fn seed_masking_rules(&self) -> Result<()> {
        if self.store.masking_rules().await?.is_empty() {
            self.store
                .put_masking_rules(&defaults(), "system", None)
                .await?;
        }
        Ok(())
    }

    pub async fn masking_rules(&self, p: &Principal) -> Result<Vec<MaskingRule>> {
        self.authorize(p, Action::ViewCatalog).await?;
        Ok(self.store.masking_rules().await?)
    }

    /// Replaces the rules (in order; the first match wins).
    pub async fn put_masking_rules(
        &self,
        p: &Principal,
        rules: Vec<MaskingRule>,
    ) -> Result<Vec<MaskingRule>> {
        self.authorize(p, Action::ManageCatalogScheme).await?;
        if rules.len() > MAX_RULES {
            return Err(ServiceError::invalid(
                "rules",
                format!("at most {MAX_RULES} rules"),
            ));
        }
        let mut clean = Vec::with_capacity(rules.len());
        for (i, r) in rules.into_iter().enumerate() {
            let words: Vec<String> = r
                .words
                .iter()
                .map(|w| w.trim().to_string())
                .filter(|w| !w.is_empty())
                .collect();
            if words.is_empty() || words.iter().any(|w| w.chars().count() > 20) {
                return Err(ServiceError::invalid(
                    "words",
                    format!("rule {}: one or more words of 1 to 20 characters", i + 1),
                ));
            }
            let rule: Mask = r
                .rule
                .parse()
                .map_err(|e| ServiceError::invalid("rule", format!("rule {}: {e}", i + 1)))?;
            clean.push(MaskingRule {
                words,
                rule: rule.to_string(),
            });
        }
        let audit = p.event(
            "masking.put_rules",
            "masking_rules",
            Outcome::Success,
            json!({"rules": clean}),
        );
        self.store
            .put_masking_rules(&clean, &p.name, Some(audit))
            .await?;
        Ok(clean)
    }

    /// The default mask of each named item by the rules (items no rule
    /// matches are left out): `{item: rule}`.
    pub async fn default_masks_for(&self, items: &[String]) -> Result<BTreeMap<String, String>> {
        let rules: Vec<(Vec<String>, Mask)> = self
            .store
            .masking_rules()
            .await?
            .into_iter()
            .filter_map(|r| Some((r.words, r.rule.parse().ok()?)))
            .collect();
        Ok(items
            .iter()
            .filter_map(|f| {
                rule_for(rules.iter().map(|(w, m)| (w.as_slice(), *m)), f)
                    .map(|m| (f.clone(), m.to_string()))
            })
            .collect())
    }

    /// Default masks of the granted fields: the first matching rule for each
    /// personal item.
    pub(crate) async fn default_masks(
        &self,
        content: &EntryContent,
        fields: &[String],
    ) -> Result<BTreeMap<String, String>> {
        let personal: Vec<String> = fields
            .iter()
            .filter(|f| content.items.iter().any(|i| &i.name == *f && i.personal))
            .cloned()
            .collect();
        self.default_masks_for(&personal).await
    }
}
