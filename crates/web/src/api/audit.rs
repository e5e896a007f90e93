use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use pubdata_domain::audit::AuditRecord;
use pubdata_service::model::AuditFilter;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiQuery, Caller};

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Username of the actor.
    pub actor: Option<String>,
    /// Action prefix, e.g. `auth.` or `user.create`.
    pub action: Option<String>,
    pub org_id: Option<i64>,
    /// `success`, `failure` or `denied`.
    #[param(value_type = Option<AuditOutcome>, inline)]
    pub outcome: Option<String>,
    /// Exact target, e.g. `user:12`.
    pub target: Option<String>,
    /// RFC 3339 time (or `YYYY-MM-DD`: midnight in China), inclusive.
    #[param(schema_with = time_or_date)]
    pub since: Option<String>,
    /// RFC 3339 time (or `YYYY-MM-DD`: midnight in China), exclusive.
    #[param(schema_with = time_or_date)]
    pub until: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1–500, default 50.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// What an audited action came to (documents `outcome`).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
#[schema(rename_all = "snake_case")]
pub enum AuditOutcome {
    Success,
    Failure,
    Denied,
}

/// An RFC 3339 time or a `YYYY-MM-DD` date.
fn time_or_date() -> utoipa::openapi::Schema {
    use utoipa::openapi::schema::{AnyOfBuilder, KnownFormat, ObjectBuilder, SchemaFormat, Type};
    let string = |f| {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(f)))
    };
    AnyOfBuilder::new()
        .item(string(KnownFormat::DateTime))
        .item(string(KnownFormat::Date))
        .build()
        .into()
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    /// Newest first.
    pub items: Vec<AuditRecord>,
    pub next_cursor: Option<String>,
}

pub fn encode_cursor(id: i64) -> String {
    crate::extract::encode_cursor("audit", id)
}

pub fn decode_cursor(c: &str) -> Result<i64, ApiError> {
    crate::extract::decode_cursor("audit", c)
}

fn parse_time(field: &str, s: &str) -> Result<DateTime<Utc>, ApiError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| {
            chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map(|d| {
                // A bare date means midnight in China.
                d.and_hms_opt(0, 0, 0)
                    .expect("midnight")
                    .and_local_timezone(pubdata_domain::calendar::cst())
                    .unwrap()
                    .with_timezone(&Utc)
            })
        })
        .map_err(|_| {
            ApiError::field(
                StatusCode::BAD_REQUEST,
                "invalid_time",
                field,
                "an RFC 3339 time or YYYY-MM-DD",
            )
        })
}

impl AuditQuery {
    pub fn to_filter(&self) -> Result<AuditFilter, ApiError> {
        // Empty parameters (as a submitted filter form sends them) mean "any".
        let nonempty = |v: &Option<String>| {
            v.as_ref()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        let outcome = nonempty(&self.outcome);
        if let Some(o) = &outcome
            && pubdata_domain::audit::Outcome::parse(o).is_none()
        {
            return Err(ApiError::field(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                "outcome",
                "success, failure or denied",
            ));
        }
        let limit = self.limit.unwrap_or(50);
        if !(1..=500).contains(&limit) {
            return Err(ApiError::field(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                "limit",
                "1 to 500",
            ));
        }
        Ok(AuditFilter {
            actor: nonempty(&self.actor),
            action: nonempty(&self.action),
            org_id: self.org_id,
            outcome,
            target: nonempty(&self.target),
            since: nonempty(&self.since)
                .map(|s| parse_time("since", &s))
                .transpose()?,
            until: nonempty(&self.until)
                .map(|s| parse_time("until", &s))
                .transpose()?,
            before_id: nonempty(&self.cursor)
                .map(|c| decode_cursor(&c))
                .transpose()?,
            limit,
        })
    }
}

/// The audit log, newest first, with filters and cursor paging (auditors).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit",
    security(("bearer" = []), ("session" = [])), params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 400, body = Problem), (status = 403, body = Problem)))]
pub async fn list_audit(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<AuditPage>> {
    // The page's filter form sends empty values for "any"; the API's
    // document has no empty time or outcome, so it refuses them.
    for (field, v) in [
        ("since", &q.since),
        ("until", &q.until),
        ("outcome", &q.outcome),
    ] {
        if v.as_deref().is_some_and(|s| s.trim().is_empty()) {
            return Err(ApiError::field(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                field,
                "must not be empty",
            ));
        }
    }
    let filter = q.to_filter()?;
    let (items, more) = s.app.list_audit(&p, filter).await?;
    let next_cursor = items.last().filter(|_| more).map(|r| encode_cursor(r.id));
    Ok(Json(AuditPage { items, next_cursor }))
}

/// The platform's backend, this server, and which server runs each
/// background job (platform administrators and auditors).
#[utoipa::path(get, path = "/api/v1/system", tag = "audit",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = pubdata_service::jobs::SystemStatus), (status = 403, body = Problem)))]
pub async fn system(
    State(s): State<AppState>,
    Caller(p): Caller,
) -> ApiResult<Json<pubdata_service::jobs::SystemStatus>> {
    Ok(Json(s.app.system_status(&p).await?))
}

/// Backup runs, newest first (the 50 latest): when, how long, how large,
/// how many copies, and why a run failed (platform administrators and
/// auditors).
#[utoipa::path(get, path = "/api/v1/backups", tag = "audit",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Vec<pubdata_service::model::BackupRun>), (status = 403, body = Problem)))]
pub async fn backups(
    State(s): State<AppState>,
    Caller(p): Caller,
) -> ApiResult<Json<Vec<pubdata_service::model::BackupRun>>> {
    Ok(Json(s.app.list_backup_runs(&p, 50).await?))
}

/// Audit checkpoint runs (审计检查点), newest first (the 50 latest): the
/// signed chain head — records, head hash, time, algorithm, public key and
/// signature — and where the file went, or why the run failed (platform
/// administrators and auditors).
#[utoipa::path(get, path = "/api/v1/audit/checkpoints", tag = "audit",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Vec<pubdata_service::model::AuditCheckpoint>), (status = 403, body = Problem)))]
pub async fn checkpoints(
    State(s): State<AppState>,
    Caller(p): Caller,
) -> ApiResult<Json<Vec<pubdata_service::model::AuditCheckpoint>>> {
    Ok(Json(s.app.list_audit_checkpoints(&p, 50).await?))
}
