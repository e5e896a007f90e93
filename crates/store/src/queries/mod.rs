//! The store's queries, written once: every trait of the store is
//! implemented here for any [`Dialect`], so SQLite and PostgreSQL run the
//! same SQL. Only what really differs lives beside each backend
//! (`sqlite.rs`, `postgres.rs`: binding, locks, dataset DDL, bulk loads).

use pubdata_domain::audit::AuditEvent;

use crate::Result;
use crate::sql::Dialect;

mod cases;
mod catalog;
mod contents;
mod datasets;
mod derive;
mod disputes;
mod foundation;
pub(crate) mod load;
mod notify;
mod objections;
mod open;
mod open_applications;
mod open_plans;
mod open_proposals;
mod operation;
mod procurement;
mod projects;
mod security;
mod sharing;
mod supervision;
mod violations;

pub(crate) use cases::{CaseStep, open_case_of, step_case};

/// Appends `e` to the audit chain inside `tx`.
async fn audit<D: Dialect>(tx: &mut D::Tx, e: &AuditEvent) -> Result<i64> {
    crate::sql::append(tx, D::FOR_UPDATE, e).await
}

/// A LIKE pattern (with `ESCAPE '\'`) matching `term` literally anywhere,
/// lower-cased.
fn contains_pattern(term: &str) -> String {
    let escaped = term
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{}%", escaped.to_lowercase())
}
