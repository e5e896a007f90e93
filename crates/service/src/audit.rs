//! Reading and verifying the audit chain (SEC-3).

use pubdata_domain::audit::{AuditRecord, ChainError, ChainVerifier};
use pubdata_store::{AuditFilter, Store};

use crate::App;
use crate::error::Result;
use crate::policy::Action;
use crate::principal::Principal;

pub const MAX_PAGE: u32 = 500;

impl App {
    /// A page of the audit log, newest first, for auditors, and whether
    /// more records follow it.
    pub async fn list_audit(
        &self,
        p: &Principal,
        mut filter: AuditFilter,
    ) -> Result<(Vec<AuditRecord>, bool)> {
        self.authorize(p, Action::ReadAudit).await?;
        let limit = filter.limit.clamp(1, MAX_PAGE) as usize;
        // One more than asked tells whether there is a next page.
        filter.limit = limit as u32 + 1;
        let mut items = self.store.list_audit(&filter).await?;
        let more = items.len() > limit;
        items.truncate(limit);
        Ok((items, more))
    }
}

/// Why verification failed.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Broken(#[from] ChainError),
    #[error("could not read the audit log: {0}")]
    Store(#[from] pubdata_store::StoreError),
}

/// Recomputes the whole chain; returns how many records were checked.
pub async fn verify_chain(store: &dyn Store) -> Result<u64, VerifyError> {
    let mut v = ChainVerifier::for_profile(store.crypto_profile().await?);
    let mut after = 0;
    loop {
        let batch = store.audit_batch(after, 5000).await?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        for r in &batch {
            v.check(r)?;
        }
    }
    let written = store.audit_written().await?;
    Ok(v.finish(written)?)
}
