//! Demo working-day calendar (工作日历, CAL-1): a placeholder schedule for
//! the years the platform ships no official schedule for, up to next year.
//!
//! Production never guesses: a deadline that walks into a year without a
//! published schedule fails with `calendar_unknown_year` until an admin
//! enters the State Council's notice. A demo (and the test suite, which runs
//! on the demo) must keep working in December, when a 15- or 20-working-day
//! limit reaches into a year whose notice is not in the repository. It gets
//! a weekends-only schedule whose source says, in Chinese and English, that
//! it is not the official schedule; an admin replaces it with the real one
//! like any other year.

use pubdata_domain::calendar::{YearSchedule, today_cst};
use serde_json::json;

use crate::App;
use crate::error::Result;
use crate::principal::Principal;

/// The source notice named by the placeholder schedule.
pub const PLACEHOLDER_SOURCE: &str = "演示占位：仅按周末计算，非国务院办公厅公布的安排 (demo placeholder: weekends only, not the official schedule)";

impl App {
    /// Adds the placeholder schedule for every year after the last known one
    /// up to next year (China Standard Time); returns the years added.
    pub async fn seed_demo_calendar(&self) -> Result<Vec<i32>> {
        let last_known = self.calendar().years().map(|y| y.year).max();
        let next_year = chrono::Datelike::year(&today_cst()) + 1;
        let Some(last_known) = last_known else {
            return Ok(Vec::new());
        };
        let p = Principal::system();
        let mut added = Vec::new();
        for year in last_known + 1..=next_year {
            let schedule = YearSchedule::parse(year, PLACEHOLDER_SOURCE, &[], &[])?;
            self.store_calendar_year(&p, &schedule, json!({"placeholder": true}))
                .await?;
            added.push(year);
        }
        if !added.is_empty() {
            self.reload_calendar().await?;
        }
        Ok(added)
    }
}
