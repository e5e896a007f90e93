//! `pubdata calendar add YYYY-MM-DD N`.

use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;
use pubdata_domain::calendar::Calendar;

use super::open_store;

#[derive(clap::Subcommand)]
pub enum CalendarCmd {
    /// Print the N-th working day after a date (the date itself is not counted).
    Add {
        /// Start date, YYYY-MM-DD.
        from: String,
        /// Working days to add.
        days: u32,
        /// Use the schedules stored in this database (including years added
        /// by administrators) instead of the shipped ones.
        #[arg(long, env = "PUBDATA_DATABASE_URL")]
        database: Option<String>,
    },
}

pub async fn run(c: CalendarCmd) -> anyhow::Result<ExitCode> {
    match c {
        CalendarCmd::Add {
            from,
            days,
            database,
        } => {
            let from = NaiveDate::parse_from_str(&from, "%Y-%m-%d")
                .with_context(|| format!("`{from}` is not a date YYYY-MM-DD"))?;
            let cal = match database {
                Some(url) => Calendar::new(open_store(&url).await?.calendar_years().await?),
                None => Calendar::shipped(),
            };
            match pubdata_domain::calendar::WorkingDays::new(days)
                .and_then(|n| cal.add_working_days(from, n))
            {
                Ok(d) => {
                    println!("{d}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    let code = match e {
                        pubdata_domain::calendar::CalendarError::UnknownYear(_) => {
                            "calendar_unknown_year"
                        }
                        _ => "invalid_days",
                    };
                    eprintln!("error [{code}]: {e}");
                    Ok(ExitCode::from(2))
                }
            }
        }
    }
}
