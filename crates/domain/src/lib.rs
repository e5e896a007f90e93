//! Pure rules of pubdata, with no I/O. Area names follow REQUIREMENTS.md.

pub mod audit;
pub mod calendar;
pub mod org;
