//! Working-day calendar (工作日历, CAL-1).
//!
//! Every deadline of the measures is counted in working days: weekends and
//! official holidays (法定节假日) are skipped, and weekend days declared working
//! days (调休上班) count. The schedule of each year is data published by the
//! State Council General Office; a computation that walks into a year with no
//! published schedule fails with [`CalendarError::UnknownYear`] instead of
//! guessing.
//!
//! Dates are civil dates in China Standard Time (UTC+8); see [`today_cst`].

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, Utc, Weekday};
use serde::{Deserialize, Serialize};

/// The largest number of working days one computation may add (about 15 years).
pub const MAX_DAYS: u32 = 3660;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("no official working-day schedule is known for year {0}")]
    UnknownYear(i32),
    #[error("invalid schedule for {year}: {reason}")]
    InvalidSchedule { year: i32, reason: String },
    #[error("days must be between 1 and {MAX_DAYS}")]
    DaysOutOfRange,
}

/// A number of working days (工作日), 1 to [`MAX_DAYS`]: a time limit of the
/// measures, or a count a caller asks to add. Parsed once at the edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct WorkingDays(u32);

impl WorkingDays {
    /// A time limit written in code; out of range fails at compile time in
    /// a `const`, else panics.
    pub const fn of(n: u32) -> WorkingDays {
        assert!(n >= 1 && n <= MAX_DAYS, "working days out of range");
        WorkingDays(n)
    }
    pub fn new(n: u32) -> Result<WorkingDays, CalendarError> {
        if n == 0 || n > MAX_DAYS {
            return Err(CalendarError::DaysOutOfRange);
        }
        Ok(WorkingDays(n))
    }
    pub fn get(self) -> u32 {
        self.0
    }
}

impl std::fmt::Display for WorkingDays {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for WorkingDays {
    type Err = CalendarError;
    fn from_str(s: &str) -> Result<Self, CalendarError> {
        let n: u32 = s
            .trim()
            .parse()
            .map_err(|_| CalendarError::DaysOutOfRange)?;
        WorkingDays::new(n)
    }
}

/// The official schedule of one year: holidays off and adjusted working weekends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearSchedule {
    pub year: i32,
    /// The notice that published the schedule, e.g. "国办发明电〔2025〕7号".
    pub source: String,
    /// Days off (法定节假日 and the days joined to them); weekdays here are not working days.
    pub off: BTreeSet<NaiveDate>,
    /// Weekend days that are working days (调休上班).
    pub work: BTreeSet<NaiveDate>,
}

impl YearSchedule {
    /// Parses a schedule from the range notation of `data/cn-workdays.toml`:
    /// single days `"2026-01-01"` or inclusive ranges `"2026-02-15..2026-02-23"`.
    pub fn parse(
        year: i32,
        source: &str,
        off: &[String],
        work: &[String],
    ) -> Result<Self, CalendarError> {
        let invalid = |reason: String| CalendarError::InvalidSchedule { year, reason };
        let expand = |items: &[String]| -> Result<BTreeSet<NaiveDate>, CalendarError> {
            let mut out = BTreeSet::new();
            for item in items {
                let (a, b) = match item.split_once("..") {
                    Some((a, b)) => (a.trim(), b.trim()),
                    None => (item.trim(), item.trim()),
                };
                let parse = |s: &str| {
                    NaiveDate::parse_from_str(s, "%Y-%m-%d")
                        .map_err(|_| invalid(format!("`{s}` is not a date (YYYY-MM-DD)")))
                };
                let (start, end) = (parse(a)?, parse(b)?);
                if end < start {
                    return Err(invalid(format!("range `{item}` ends before it starts")));
                }
                let mut d = start;
                while d <= end {
                    out.insert(d);
                    d += Duration::days(1);
                }
            }
            Ok(out)
        };
        let schedule = YearSchedule {
            year,
            source: source.trim().to_string(),
            off: expand(off)?,
            work: expand(work)?,
        };
        schedule.validate()?;
        Ok(schedule)
    }

    /// Checks that every day lies in the year, that adjusted working days are
    /// weekend days, and that no day is both off and working.
    pub fn validate(&self) -> Result<(), CalendarError> {
        let invalid = |reason: String| CalendarError::InvalidSchedule {
            year: self.year,
            reason,
        };
        if !(2000..=2100).contains(&self.year) {
            return Err(invalid("year must be between 2000 and 2100".into()));
        }
        if self.source.is_empty() {
            return Err(invalid("the source notice must be named".into()));
        }
        for d in self.off.iter().chain(self.work.iter()) {
            if d.year() != self.year {
                return Err(invalid(format!("{d} is not in {}", self.year)));
            }
        }
        for d in &self.work {
            if !is_weekend(*d) {
                return Err(invalid(format!(
                    "{d} is a weekday; only weekend days can be adjusted working days (调休)"
                )));
            }
            if self.off.contains(d) {
                return Err(invalid(format!("{d} is listed both as off and as working")));
            }
        }
        Ok(())
    }

    /// The schedule in the range-free notation used by the API: every day listed.
    pub fn off_strings(&self) -> Vec<String> {
        self.off.iter().map(|d| d.to_string()).collect()
    }

    pub fn work_strings(&self) -> Vec<String> {
        self.work.iter().map(|d| d.to_string()).collect()
    }
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The known official schedules, by year.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    years: BTreeMap<i32, YearSchedule>,
}

#[derive(Deserialize)]
struct TomlYear {
    source: String,
    #[serde(default)]
    off: Vec<String>,
    #[serde(default)]
    work: Vec<String>,
}

/// The official schedules shipped with pubdata (`data/cn-workdays.toml`).
pub const SHIPPED_SCHEDULES: &str = include_str!("../../../data/cn-workdays.toml");

impl Calendar {
    pub fn new(years: impl IntoIterator<Item = YearSchedule>) -> Self {
        Calendar {
            years: years.into_iter().map(|y| (y.year, y)).collect(),
        }
    }

    /// Parses the TOML notation of `data/cn-workdays.toml`.
    pub fn from_toml(text: &str) -> Result<Self, CalendarError> {
        let table: BTreeMap<String, TomlYear> =
            toml::from_str(text).map_err(|e| CalendarError::InvalidSchedule {
                year: 0,
                reason: e.to_string(),
            })?;
        let mut years = Vec::new();
        for (key, y) in table {
            let year: i32 = key.parse().map_err(|_| CalendarError::InvalidSchedule {
                year: 0,
                reason: format!("`{key}` is not a year"),
            })?;
            years.push(YearSchedule::parse(year, &y.source, &y.off, &y.work)?);
        }
        Ok(Calendar::new(years))
    }

    /// The schedules shipped with the binary.
    pub fn shipped() -> Self {
        Self::from_toml(SHIPPED_SCHEDULES).expect("shipped calendar data is valid")
    }

    pub fn years(&self) -> impl Iterator<Item = &YearSchedule> {
        self.years.values()
    }

    pub fn year(&self, year: i32) -> Option<&YearSchedule> {
        self.years.get(&year)
    }

    pub fn insert(&mut self, schedule: YearSchedule) {
        self.years.insert(schedule.year, schedule);
    }

    /// Whether `d` is a working day (工作日) on the official calendar.
    pub fn is_working_day(&self, d: NaiveDate) -> Result<bool, CalendarError> {
        let y = self
            .years
            .get(&d.year())
            .ok_or(CalendarError::UnknownYear(d.year()))?;
        Ok(if y.work.contains(&d) {
            true
        } else if y.off.contains(&d) {
            false
        } else {
            !is_weekend(d)
        })
    }

    /// The `days`-th working day after `from`; `from` itself is not counted
    /// (as Chinese administrative law counts time limits).
    pub fn add_working_days(
        &self,
        from: NaiveDate,
        days: WorkingDays,
    ) -> Result<NaiveDate, CalendarError> {
        let mut d = from;
        let mut left = days.get();
        while left > 0 {
            d += Duration::days(1);
            if self.is_working_day(d)? {
                left -= 1;
            }
        }
        Ok(d)
    }

    /// Working days in `(from, to]`: how many working days are left from
    /// `from` until a deadline `to` (0 when `to` is not after `from`).
    pub fn working_days_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<u32, CalendarError> {
        let mut n = 0;
        let mut d = from;
        while d < to {
            d += Duration::days(1);
            if self.is_working_day(d)? {
                n += 1;
            }
        }
        Ok(n)
    }
}

/// China Standard Time, the clock of every deadline.
pub fn cst() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// The civil date in China at instant `now`.
pub fn date_cst(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&cst()).date_naive()
}

/// Today's date in China, whatever the server's time zone.
pub fn today_cst() -> NaiveDate {
    date_cst(Utc::now())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn spring_festival_2026_is_skipped_and_adjusted_saturdays_count() {
        let cal = Calendar::shipped();
        // 2026-02-13 (Fri) → next working day is the adjusted Saturday 2026-02-14.
        assert_eq!(
            cal.add_working_days(d("2026-02-13"), WorkingDays::new(1).unwrap())
                .unwrap(),
            d("2026-02-14")
        );
        // After 02-14 the holiday runs to 02-23; 02-24 (Tue) is the next working day.
        assert_eq!(
            cal.add_working_days(d("2026-02-14"), WorkingDays::new(1).unwrap())
                .unwrap(),
            d("2026-02-24")
        );
        // 5 working days from 2026-02-12: 13, 14(Sat, 调休), 24, 25, 26.
        assert_eq!(
            cal.add_working_days(d("2026-02-12"), WorkingDays::new(5).unwrap())
                .unwrap(),
            d("2026-02-26")
        );
        // 2026-02-28 is an adjusted working Saturday.
        assert!(cal.is_working_day(d("2026-02-28")).unwrap());
    }

    #[test]
    fn national_day_2026_is_skipped() {
        let cal = Calendar::shipped();
        // 2026-09-30 (Wed) + 1 → 10-01..10-07 off, 10-08 (Thu) works.
        assert_eq!(
            cal.add_working_days(d("2026-09-30"), WorkingDays::new(1).unwrap())
                .unwrap(),
            d("2026-10-08")
        );
        // 10-08, 10-09, 10-10 (Sat, 调休), 10-12, 10-13.
        assert_eq!(
            cal.add_working_days(d("2026-09-30"), WorkingDays::new(5).unwrap())
                .unwrap(),
            d("2026-10-13")
        );
        assert!(!cal.is_working_day(d("2026-10-05")).unwrap());
        assert!(cal.is_working_day(d("2026-10-10")).unwrap());
        // 中秋 2026-09-25 (Fri) is off; 09-20 (Sun) works.
        assert!(!cal.is_working_day(d("2026-09-25")).unwrap());
        assert!(cal.is_working_day(d("2026-09-20")).unwrap());
    }

    #[test]
    fn walking_into_an_unknown_year_is_an_error() {
        let cal = Calendar::shipped();
        assert_eq!(
            cal.add_working_days(d("2026-12-28"), WorkingDays::new(5).unwrap()),
            Err(CalendarError::UnknownYear(2027))
        );
        assert_eq!(
            cal.is_working_day(d("2023-06-01")),
            Err(CalendarError::UnknownYear(2023))
        );
    }

    #[test]
    fn schedules_reject_weekday_adjusted_days_and_other_years() {
        let err = YearSchedule::parse(2027, "x", &[], &["2027-03-03".into()]).unwrap_err();
        assert!(matches!(err, CalendarError::InvalidSchedule { .. }));
        let err = YearSchedule::parse(2027, "x", &["2028-01-01".into()], &[]).unwrap_err();
        assert!(matches!(err, CalendarError::InvalidSchedule { .. }));
        let err = YearSchedule::parse(2027, "x", &["2027-13-01".into()], &[]).unwrap_err();
        assert!(matches!(err, CalendarError::InvalidSchedule { .. }));
    }

    #[test]
    fn shipped_data_covers_2024_to_2026() {
        let cal = Calendar::shipped();
        let years: Vec<i32> = cal.years().map(|y| y.year).collect();
        assert_eq!(years, vec![2024, 2025, 2026]);
        // 2025 National Day is eight days.
        assert_eq!(
            cal.year(2025)
                .unwrap()
                .off
                .iter()
                .filter(|d| d.month() == 10)
                .count(),
            8
        );
    }

    #[test]
    fn date_in_china_differs_from_utc_late_in_the_utc_day() {
        let now: DateTime<Utc> = "2026-02-13T17:00:00Z".parse().unwrap();
        assert_eq!(date_cst(now), d("2026-02-14"));
    }

    fn known_date() -> impl Strategy<Value = NaiveDate> {
        (0i64..(365 * 3 - 60)).prop_map(|n| d("2024-01-01") + Duration::days(n))
    }

    proptest! {
        #[test]
        fn result_is_always_a_working_day(from in known_date(), days in 1u32..30) {
            let cal = Calendar::shipped();
            let due = cal.add_working_days(from, WorkingDays::new(days).unwrap()).unwrap();
            prop_assert!(cal.is_working_day(due).unwrap());
            prop_assert!(due > from);
        }

        #[test]
        fn count_equals_a_day_by_day_walk(from in known_date(), days in 1u32..30) {
            let cal = Calendar::shipped();
            let due = cal.add_working_days(from, WorkingDays::new(days).unwrap()).unwrap();
            // Walk independently: count working days in (from, due].
            let mut n = 0;
            let mut x = from;
            while x < due {
                x += Duration::days(1);
                if cal.is_working_day(x).unwrap() { n += 1; }
            }
            prop_assert_eq!(n, days);
            prop_assert_eq!(cal.working_days_between(from, due).unwrap(), days);
        }

        #[test]
        fn adjusted_weekends_count_as_working_days(i in 0usize..19) {
            let cal = Calendar::shipped();
            let work: Vec<NaiveDate> = cal.years().flat_map(|y| y.work.iter().copied()).collect();
            let w = work[i % work.len()];
            prop_assert!(is_weekend(w));
            prop_assert!(cal.is_working_day(w).unwrap());
            // The day before an adjusted working day reaches it with one working day
            // unless that day is itself a working day before it, which it cannot skip.
            let prev = w - Duration::days(1);
            prop_assert_eq!(cal.add_working_days(prev, WorkingDays::new(1).unwrap()).unwrap(), w);
        }
    }
}
