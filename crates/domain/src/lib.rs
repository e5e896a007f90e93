//! Pure rules of pubdata, with no I/O. Area names follow REQUIREMENTS.md.

#[macro_use]
mod macros;

pub mod audit;
pub mod calendar;
pub mod case;
pub mod catalog;
pub mod dataset;
pub mod derive;
pub mod dispute;
pub mod ids;
pub mod masking;
pub mod objection;
pub mod open;
pub mod open_plan;
pub mod open_proposal;
pub mod operation;
pub mod org;
pub mod procurement;
pub mod project;
pub mod reident;
pub mod secret;
pub mod security;
pub mod share;
pub mod violation;

/// A string that is not one of an enumeration's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a valid {kind}")]
pub struct UnknownValue {
    pub kind: &'static str,
    pub value: String,
}
