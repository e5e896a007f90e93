//! The entities the store reads and writes, one file per area. Every type is
//! also re-exported at the crate root (`pubdata_store::Org`).

mod audit;
mod auth;
mod base;
mod case;
mod catalog;
mod dataset;
mod dispute;
mod jobs;
mod notify;
mod objection;
mod open;
mod open_plan;
mod open_proposal;
mod operation;
mod org;
mod procurement;
mod project;
mod security;
mod share;
mod supervision;
mod violation;

pub use audit::*;
pub use auth::*;
pub use base::*;
pub use case::*;
pub use catalog::*;
pub use dataset::*;
pub use dispute::*;
pub use jobs::*;
pub use notify::*;
pub use objection::*;
pub use open::*;
pub use open_plan::*;
pub use open_proposal::*;
pub use operation::*;
pub use org::*;
pub use procurement::*;
pub use project::*;
pub use security::*;
pub use share::*;
pub use supervision::*;
pub use violation::*;
