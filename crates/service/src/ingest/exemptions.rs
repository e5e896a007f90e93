//! Exemptions from aggregation (汇聚备案).

use pubdata_domain::audit::Outcome;
use serde_json::json;

use crate::App;
use crate::error::{Result, ServiceError};
use crate::policy::Action;
use crate::principal::Principal;

use super::*;

impl App {
    /// Files an exemption from aggregation (备案) for the caller's agency.
    pub async fn file_exemption(
        &self,
        p: &Principal,
        req: FileExemption,
    ) -> Result<pubdata_store::Exemption> {
        let org = p
            .org_id()
            .ok_or_else(|| ServiceError::Forbidden("you act for no organisation".into()))?;
        self.authorize(p, Action::WriteDataset(org)).await?;
        let reason = req.reason.trim();
        if reason.is_empty() || reason.chars().count() > 2000 {
            return Err(ServiceError::invalid(
                "reason",
                "写明无法通过接口、库表或文件汇聚的原因 (state why no mode can be used)",
            ));
        }
        if let Some(e) = req.entry_id {
            let entry = self
                .store
                .get_entry(e)
                .await
                .map_err(|_| ServiceError::invalid("entry_id", "no such catalogue entry"))?;
            if entry.org_id != org {
                return Err(ServiceError::invalid(
                    "entry_id",
                    "the entry belongs to another organisation",
                ));
            }
        }
        let audit = p.event(
            "aggregation.exemption",
            "",
            Outcome::Success,
            json!({"entry_id": req.entry_id, "reason": reason}),
        );
        Ok(self
            .store
            .file_exemption(org, req.entry_id, reason, &p.name, audit)
            .await?)
    }

    /// Exemptions: all for supervisors (the authority sees every filing), else the caller's agency's.
    pub async fn exemptions(&self, p: &Principal) -> Result<Vec<pubdata_store::Exemption>> {
        let org = if self.can(p, Action::Supervise).await {
            None
        } else {
            Some(
                p.org_id()
                    .ok_or_else(|| ServiceError::Forbidden("you act for no organisation".into()))?,
            )
        };
        Ok(self.store.exemptions(org).await?)
    }

    /// The exemptions the caller may see, each with its entry's name.
    pub async fn exemption_views(
        &self,
        p: &Principal,
    ) -> Result<Vec<(pubdata_store::Exemption, Option<String>)>> {
        let mut out = Vec::new();
        for x in self.exemptions(p).await? {
            let name = match x.entry_id {
                Some(e) => match self.store.get_entry(e).await {
                    Ok(e) => Some(e.content.name),
                    Err(StoreError::NotFound) => None,
                    Err(e) => return Err(e.into()),
                },
                None => None,
            };
            out.push((x, name));
        }
        Ok(out)
    }
}
