//! Working-day calendar use cases (CAL-1): the schedules live in the store,
//! the arithmetic in `pubdata_domain::calendar`.

use std::sync::Arc;

use chrono::NaiveDate;
use pubdata_domain::audit::Outcome;
use pubdata_domain::calendar::{Calendar, YearSchedule};
use serde::Deserialize;
use serde_json::json;

use crate::App;
use crate::error::Result;
use crate::policy::Action;
use crate::principal::Principal;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutYear {
    /// The notice that published the schedule, e.g. "国办发明电〔2026〕X号".
    pub source: String,
    /// Days off: `YYYY-MM-DD` or inclusive ranges `YYYY-MM-DD..YYYY-MM-DD`.
    #[serde(default, deserialize_with = "crate::json::or_default")]
    #[schema(nullable)]
    pub off: Vec<String>,
    /// Weekend days that are working days (调休).
    #[serde(default, deserialize_with = "crate::json::or_default")]
    #[schema(nullable)]
    pub work: Vec<String>,
}

impl App {
    /// Seeds the shipped schedules of years not yet stored, then loads all.
    pub async fn load_calendar(&self) -> Result<()> {
        let shipped: Vec<YearSchedule> = Calendar::shipped().years().cloned().collect();
        self.store.seed_calendar_years(&shipped).await?;
        self.reload_calendar().await
    }

    /// Re-reads the stored calendar (changes made through another server).
    /// One at a time: the periodic reload job reading the years just before
    /// a year is stored (the demo's placeholder, an admin's edit) must not
    /// set its older copy after that change's own reload — seen in CI as
    /// `CalendarUnknownYear(2027)` while the demo seeded.
    pub async fn reload_calendar(&self) -> Result<()> {
        let _one = self.calendar_load.lock().await;
        let cal = Calendar::new(self.store.calendar_years().await?);
        *self.calendar.write().expect("calendar lock") = Arc::new(cal);
        Ok(())
    }

    /// Next year (China Standard Time) when its official schedule is not
    /// yet entered: deadlines that reach into it cannot be computed.
    pub fn calendar_next_year_missing(&self) -> Option<i32> {
        let next = chrono::Datelike::year(&pubdata_domain::calendar::today_cst()) + 1;
        self.calendar().year(next).is_none().then_some(next)
    }

    pub fn calendar(&self) -> Arc<Calendar> {
        self.calendar.read().expect("calendar lock").clone()
    }

    pub fn add_working_days(
        &self,
        from: NaiveDate,
        days: pubdata_domain::calendar::WorkingDays,
    ) -> Result<NaiveDate> {
        Ok(self.calendar().add_working_days(from, days)?)
    }

    /// Adds or replaces a year's official schedule (platform admins).
    pub async fn put_calendar_year(
        &self,
        p: &Principal,
        year: i32,
        req: PutYear,
    ) -> Result<YearSchedule> {
        self.authorize(p, Action::ManageCalendar).await?;
        let schedule = YearSchedule::parse(year, &req.source, &req.off, &req.work)?;
        self.store_calendar_year(p, &schedule, json!({})).await?;
        self.load_calendar().await?;
        Ok(schedule)
    }

    /// Stores a year's schedule with its `calendar.put_year` audit record
    /// (`extra` joins the record's detail); the caller reloads the calendar.
    pub(crate) async fn store_calendar_year(
        &self,
        p: &Principal,
        schedule: &YearSchedule,
        extra: serde_json::Value,
    ) -> Result<()> {
        let mut detail = json!({"source": schedule.source, "off_days": schedule.off.len(),
                                "work_days": schedule.work.len(),
                                "replaced": self.calendar().year(schedule.year).is_some()});
        if let (Some(d), serde_json::Value::Object(extra)) = (detail.as_object_mut(), extra) {
            d.extend(extra);
        }
        let audit = p.event(
            "calendar.put_year",
            format!("calendar:{}", schedule.year),
            Outcome::Success,
            detail,
        );
        Ok(self.store.put_calendar_year(schedule, audit).await?)
    }
}
