use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use pubdata_domain::calendar::WorkingDays;
use pubdata_domain::calendar::YearSchedule;
use pubdata_service::calendar::PutYear;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AddQuery {
    /// Start date `YYYY-MM-DD` (not counted).
    #[param(format = Date)]
    pub from: String,
    /// Working days to add, 1–3660.
    #[param(value_type = u32, minimum = 1, maximum = 3660)]
    pub days: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DateAnswer {
    /// `YYYY-MM-DD`
    pub date: String,
}

pub fn parse_date(field: &str, s: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        ApiError::field(
            StatusCode::BAD_REQUEST,
            "invalid_date",
            field,
            format!("`{s}` is not a date YYYY-MM-DD"),
        )
    })
}

/// The N-th working day after `from` on the official calendar (public).
/// The start day is not counted. Past the known years: 422 `calendar_unknown_year`.
#[utoipa::path(get, path = "/api/v1/calendar/add-working-days", tag = "calendar",
    params(AddQuery),
    responses((status = 200, body = DateAnswer), (status = 400, body = Problem), (status = 422, body = Problem)))]
pub async fn add_working_days(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<AddQuery>,
) -> ApiResult<Json<DateAnswer>> {
    let from = parse_date("from", &q.from)?;
    let days: u32 = q.days.trim().parse().map_err(|_| {
        ApiError::field(
            StatusCode::BAD_REQUEST,
            "invalid_days",
            "days",
            "a whole number from 1 to 3660",
        )
    })?;
    // A number out of range is a well-formed request the calendar refuses (422).
    let days = WorkingDays::new(days).map_err(pubdata_service::ServiceError::from)?;
    let date = s.app.add_working_days(from, days)?;
    Ok(Json(DateAnswer {
        date: date.to_string(),
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct YearView {
    pub year: i32,
    pub source: String,
    /// Days off, each listed.
    pub off: Vec<String>,
    /// Adjusted working weekend days (调休).
    pub work: Vec<String>,
}

impl From<&YearSchedule> for YearView {
    fn from(y: &YearSchedule) -> Self {
        YearView {
            year: y.year,
            source: y.source.clone(),
            off: y.off_strings(),
            work: y.work_strings(),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct YearList {
    pub items: Vec<YearView>,
}

/// The known official schedules (public).
#[utoipa::path(get, path = "/api/v1/calendar/years", tag = "calendar",
    responses((status = 200, body = YearList)))]
pub async fn list_years(State(s): State<AppState>) -> Json<YearList> {
    let cal = s.app.calendar();
    Json(YearList {
        items: cal.years().map(YearView::from).collect(),
    })
}

/// Adds or replaces a year's official schedule (platform administrators).
#[utoipa::path(put, path = "/api/v1/calendar/years/{year}", tag = "calendar",
    security(("bearer" = []), ("session" = [])),
    params(("year" = i32, Path)), request_body = PutYear,
    responses((status = 200, body = YearView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn put_year(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(year): ApiPath<i32>,
    ApiJson(req): ApiJson<PutYear>,
) -> ApiResult<Json<YearView>> {
    let y = s.app.put_calendar_year(&p, year, req).await?;
    Ok(Json(YearView::from(&y)))
}
