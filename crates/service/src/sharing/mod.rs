//! Sharing (数据共享, Art. 23–29): share requests on statutory deadlines,
//! grants of minimum authorisation, usage reports. Reads of shared data go
//! through the one door for dataset contents (`access.rs`), which resolves
//! the caller's grant.
//!
//! - [`requests`]: a request for a published entry's dataset; unconditional
//!   entries are granted at once (SHR-2), conditional ones open a case for
//!   the source department (answer within 2 working days; an approval opens
//!   the implementation case, 3 working days; a refusal cites its basis).
//! - [`grants`]: what each grant allows, its life (implement, suspend,
//!   resume, revoke, expire by date), backflow grants (BACK-1), usage.

pub mod demands;
pub mod derive;
pub mod files;
pub mod grants;
pub mod masking;
pub mod push;
pub mod requests;

use std::collections::BTreeSet;

use pubdata_domain::org::Role;

use crate::App;
use crate::error::{Result, ServiceError};
use crate::principal::Principal;

pub use demands::{DemandAnswer, DemandInput, DemandView};
pub use derive::{DerivationInput, DerivationView};
pub use files::{ExportFormat, OfflineDelivery};
pub use grants::{BackflowGrant, GrantView, UsageReportInput};
pub use push::{PushOutcome, PushTargetInput};
pub use requests::{Decision, NewRequest, RequestForm, ShareRequestView, Side};

/// `v` trimmed, required and at most `max` characters (else 422 naming `field`).
pub(crate) fn required_text(field: &str, v: &str, max: usize) -> Result<String> {
    let v = v.trim();
    if v.is_empty() || v.chars().count() > max {
        return Err(ServiceError::invalid(
            field,
            format!("1 to {max} characters"),
        ));
    }
    Ok(v.to_string())
}

impl App {
    /// The organisations a caller acts for: where it holds a role, and its
    /// own (an application token's).
    pub(crate) fn own_orgs(p: &Principal) -> Vec<i64> {
        p.roles
            .iter()
            .map(|g| g.org_id)
            .chain(p.org_id())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    }

    /// Whether the caller acts for organisation `org` (holds a role there or
    /// is its application).
    pub fn acts_for(p: &Principal, org: i64) -> bool {
        Self::own_orgs(p).contains(&org)
    }

    /// The organisations whose sharing the caller may list: `None` for all
    /// (administrators, auditors); else its own, and for a data authority's
    /// reviewer every organisation of its level (the filings it supervises).
    pub(crate) async fn sharing_orgs(&self, p: &Principal) -> Result<Option<Vec<i64>>> {
        if p.roles
            .iter()
            .any(|g| matches!(g.role, Role::PlatformAdmin | Role::Auditor))
        {
            return Ok(None);
        }
        let tree = self.org_tree().await?;
        let mut orgs: BTreeSet<i64> = Self::own_orgs(p).into_iter().collect();
        for g in p.roles.iter().filter(|g| g.role == Role::AuthorityReviewer) {
            if let Some(region) = tree.parent(g.org_id) {
                orgs.extend(
                    tree.walk()
                        .into_iter()
                        .map(|(_, o)| o.id)
                        .filter(|id| tree.is_within(*id, region)),
                );
            }
        }
        Ok(Some(orgs.into_iter().collect()))
    }

    /// An organisation's name for people (its id when unknown).
    pub(crate) async fn org_name(&self, id: i64) -> Result<String> {
        let tree = self.org_tree().await?;
        Ok(tree
            .get(id)
            .map(|o| o.name.clone())
            .unwrap_or_else(|| format!("#{id}")))
    }
}
