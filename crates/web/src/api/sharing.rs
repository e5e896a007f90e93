//! Sharing (SHR-1 … SHR-9, VER-1, BACK-1): share requests and decisions,
//! grants, the data service (数据服务接口) and verification (核实比对).

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use pubdata_domain::share::{DeliveryMode, Filter, GrantState, RequestState};
use pubdata_service::access::{MAX_PAGE, SharedQuery, VerifyItem, VerifyResult};
use pubdata_service::model::{Delivery, PushTarget, UsageReport};
use pubdata_service::sharing::{
    BackflowGrant, Decision, DemandAnswer, DemandInput, DemandView, GrantView, NewRequest,
    OfflineDelivery, PushOutcome, PushTargetInput, ShareRequestView, Side, UsageReportInput,
};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, decode_key_cursor, encode_key_cursor};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RequestListQuery {
    /// `incoming` (to answer), `outgoing` (made), `all` (both; supervisors: their level), `filed` (备案 with the caller's authority). Default `all`.
    #[param(inline)]
    pub side: Option<Side>,
    #[param(inline)]
    pub state: Option<RequestState>,
    /// 1–200, default 100.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

fn limit_of(v: Option<u32>, default: u32, max: u32) -> ApiResult<u32> {
    let l = v.unwrap_or(default);
    if !(1..=max).contains(&l) {
        return Err(ApiError::field(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "limit",
            format!("1 to {max}"),
        ));
    }
    Ok(l)
}

/// Files a share request: granted at once for an unconditional entry
/// (`state: granted`), else `pending` with the source's answer due in 2
/// working days.
#[utoipa::path(post, path = "/api/v1/share-requests", tag = "sharing",
    security(("bearer" = []), ("session" = [])), request_body = NewRequest,
    responses((status = 201, body = ShareRequestView), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_request(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiJson(req): ApiJson<NewRequest>,
) -> ApiResult<(StatusCode, Json<ShareRequestView>)> {
    let (r, _) = s.app.request_share(&p, req).await?;
    Ok((
        StatusCode::CREATED,
        Json(s.app.share_request(&p, r.id).await?),
    ))
}

/// Share requests of the caller's organisations, newest first.
#[utoipa::path(get, path = "/api/v1/share-requests", tag = "sharing",
    security(("bearer" = []), ("session" = [])), params(RequestListQuery),
    responses((status = 200, body = Vec<ShareRequestView>)))]
pub async fn list_requests(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<RequestListQuery>,
) -> ApiResult<Json<Vec<ShareRequestView>>> {
    let limit = limit_of(q.limit, 100, 200)?;
    Ok(Json(
        s.app
            .share_requests(&p, q.side.unwrap_or(Side::All), q.state, limit)
            .await?,
    ))
}

/// One share request, with its deadlines.
#[utoipa::path(get, path = "/api/v1/share-requests/{id}", tag = "sharing",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = ShareRequestView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_request(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ShareRequestView>> {
    Ok(Json(s.app.share_request(&p, id).await?))
}

/// The source department's answer: approve (optionally narrowing fields,
/// mode, end date; setting masks) or refuse citing a law, regulation or
/// rule (`basis_required` without one).
#[utoipa::path(post, path = "/api/v1/share-requests/{id}/decision", tag = "sharing",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)), request_body = Decision,
    responses((status = 200, body = ShareRequestView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn decide(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(d): ApiJson<Decision>,
) -> ApiResult<Json<ShareRequestView>> {
    s.app.decide_share(&p, id, d).await?;
    Ok(Json(s.app.share_request(&p, id).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct GrantListQuery {
    /// `received`, `given` or `all` (default; supervisors: their level).
    #[param(inline)]
    pub side: Option<GrantSide>,
    /// 1–200, default 100.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GrantSide {
    Received,
    Given,
    All,
}

/// Grants received or given by the caller's organisations, newest first.
#[utoipa::path(get, path = "/api/v1/grants", tag = "sharing",
    security(("bearer" = []), ("session" = [])), params(GrantListQuery),
    responses((status = 200, body = Vec<GrantView>)))]
pub async fn list_grants(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<GrantListQuery>,
) -> ApiResult<Json<Vec<GrantView>>> {
    let limit = limit_of(q.limit, 100, 200)?;
    let received = match q.side.unwrap_or(GrantSide::All) {
        GrantSide::Received => Some(true),
        GrantSide::Given => Some(false),
        GrantSide::All => None,
    };
    Ok(Json(s.app.share_grants(&p, received, limit).await?))
}

/// Backflow (回流): the data authority grants a source department's data to
/// a county or department, limited to its rows by `row_filter`.
#[utoipa::path(post, path = "/api/v1/grants", tag = "sharing",
    security(("bearer" = []), ("session" = [])), request_body = BackflowGrant,
    responses((status = 201, body = GrantView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create_backflow(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiJson(b): ApiJson<BackflowGrant>,
) -> ApiResult<(StatusCode, Json<GrantView>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.grant_backflow(&p, b).await?),
    ))
}

/// One grant: what it allows, whether usable today, access statistics and usage reports.
#[utoipa::path(get, path = "/api/v1/grants/{id}", tag = "sharing",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = GrantView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_grant(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<GrantView>> {
    Ok(Json(s.app.share_grant(&p, id).await?))
}

/// The source department implements an approved grant (Art. 24: within 3
/// working days of its answer): the grant becomes usable.
#[utoipa::path(post, path = "/api/v1/grants/{id}/implement", tag = "sharing",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = GrantView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn implement(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<GrantView>> {
    Ok(Json(s.app.implement_grant(&p, id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    pub reason: String,
}

async fn change(
    s: &AppState,
    p: &pubdata_service::Principal,
    id: i64,
    to: GrantState,
    r: Reason,
) -> ApiResult<Json<GrantView>> {
    Ok(Json(s.app.change_grant(p, id, to, &r.reason).await?))
}

/// Revokes a grant, with a reason (the source department or its data authority).
#[utoipa::path(post, path = "/api/v1/grants/{id}/revoke", tag = "sharing",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)), request_body = Reason,
    responses((status = 200, body = GrantView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn revoke(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(r): ApiJson<Reason>,
) -> ApiResult<Json<GrantView>> {
    change(&s, &p, id, GrantState::Revoked, r).await
}

/// Suspends an active grant, with a reason.
#[utoipa::path(post, path = "/api/v1/grants/{id}/suspend", tag = "sharing",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)), request_body = Reason,
    responses((status = 200, body = GrantView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn suspend(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(r): ApiJson<Reason>,
) -> ApiResult<Json<GrantView>> {
    change(&s, &p, id, GrantState::Suspended, r).await
}

/// Resumes a suspended grant, with a reason.
#[utoipa::path(post, path = "/api/v1/grants/{id}/resume", tag = "sharing",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)), request_body = Reason,
    responses((status = 200, body = GrantView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn resume(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(r): ApiJson<Reason>,
) -> ApiResult<Json<GrantView>> {
    change(&s, &p, id, GrantState::Active, r).await
}

/// The grantee files a periodic usage report (SHR-1).
#[utoipa::path(post, path = "/api/v1/grants/{id}/usage-reports", tag = "sharing",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)), request_body = UsageReportInput,
    responses((status = 201, body = UsageReport), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn usage_report(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(r): ApiJson<UsageReportInput>,
) -> ApiResult<(StatusCode, Json<UsageReport>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.file_usage_report(&p, id, r).await?),
    ))
}

/// The reserved query parameters of the data service; every other
/// parameter is a filter: `字段=值`, `字段.gte=值`, `字段.lte=值`.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct DataQueryDoc {
    /// Comma-separated granted fields; every granted field when absent.
    #[param(min_length = 1, pattern = "[^,\\s]")]
    pub fields: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1–1000, default 100.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// `json` (default) or `csv`.
    #[param(inline)]
    pub format: Option<DataFormat>,
    /// The grant to read under; the caller's usable grant when absent.
    #[param(minimum = 1)]
    pub grant: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DataFormat {
    Json,
    Csv,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DataPage {
    pub grant: i64,
    pub columns: Vec<String>,
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<serde_json::Map<String, serde_json::Value>>,
    pub next_cursor: Option<String>,
}

fn bad_query(field: &str, message: &str) -> ApiError {
    ApiError::field(StatusCode::BAD_REQUEST, "invalid_query", field, message)
}

/// The data service (数据服务接口): current rows of a dataset through the
/// caller's grant — granted fields only, its row filter, masked as granted,
/// in key order. Filters on granted fields: `字段=值` (equality), `字段.gte=`,
/// `字段.lte=` (text order: dates and codes). Each read is in the audit
/// chain before its answer. Refusals: 403 `grant_required`,
/// `field_not_granted`, `grant_expired`, `grant_revoked`; 429 `rate_limited`.
#[utoipa::path(get, path = "/api/v1/data/{dataset_id}", tag = "sharing",
    security(("bearer" = []), ("session" = [])), params(("dataset_id" = i64, Path), DataQueryDoc),
    responses((status = 200, body = DataPage, content_type = "application/json"),
              (status = 200, description = "`format=csv`: the same page as CSV (UTF-8, header row)", content_type = "text/csv"),
              (status = 403, body = Problem), (status = 404, body = Problem), (status = 429, body = Problem)))]
pub async fn data(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(dataset_id): ApiPath<i64>,
    Query(params): Query<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let mut q = SharedQuery {
        grant: None,
        fields: None,
        filters: vec![],
        after: None,
        limit: 100,
        mode: DeliveryMode::Api,
    };
    let mut format = DataFormat::Json;
    let mut seen = std::collections::BTreeSet::new();
    for (name, value) in params {
        if !seen.insert(name.clone()) && !matches!(name.as_str(), "fields") {
            return Err(bad_query(&name, "given more than once"));
        }
        match name.as_str() {
            "fields" => {
                let fields: Vec<String> = value
                    .split(',')
                    .map(|f| f.trim().to_string())
                    .filter(|f| !f.is_empty())
                    .collect();
                if fields.is_empty() {
                    return Err(bad_query("fields", "name at least one field"));
                }
                q.fields = Some(fields);
            }
            "cursor" => q.after = Some(decode_key_cursor(&value)?),
            "limit" => {
                let l: u32 = value
                    .parse()
                    .map_err(|_| bad_query("limit", "a whole number"))?;
                q.limit = limit_of(Some(l), 100, MAX_PAGE)?;
            }
            "format" => {
                format = match value.as_str() {
                    "json" => DataFormat::Json,
                    "csv" => DataFormat::Csv,
                    _ => return Err(bad_query("format", "json or csv")),
                }
            }
            "grant" => {
                q.grant = Some(
                    value
                        .parse()
                        .ok()
                        .filter(|g: &i64| *g > 0)
                        .ok_or_else(|| bad_query("grant", "a grant id"))?,
                )
            }
            _ => {
                if q.filters.len() >= 20 {
                    return Err(bad_query(&name, "at most 20 filters"));
                }
                q.filters.push(Filter::from_param(&name, &value));
            }
        }
    }
    let limit = q.limit as usize;
    q.limit += 1;
    let read = s.app.read_shared(&p, dataset_id, q).await?;
    let more = read.rows.len() > limit;
    let rows = &read.rows[..read.rows.len().min(limit)];
    let next_cursor = rows
        .last()
        .filter(|_| more)
        .map(|(k, _)| encode_key_cursor(k));
    if format == DataFormat::Csv {
        let mut w = csv::Writer::from_writer(Vec::new());
        let csv_err =
            |e: csv::Error| ApiError::from(pubdata_service::ServiceError::Internal(e.into()));
        w.write_record(&read.columns).map_err(csv_err)?;
        for (_, values) in rows {
            w.write_record(values.iter().map(|v| v.as_deref().unwrap_or("")))
                .map_err(csv_err)?;
        }
        let body = w.into_inner().map_err(|e| csv_err(e.into_error().into()))?;
        let mut res = ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], body).into_response();
        if let Some(c) = next_cursor
            && let Ok(v) = c.parse()
        {
            res.headers_mut().insert("x-next-cursor", v);
        }
        return Ok(res);
    }
    let items = rows
        .iter()
        .map(|(_, values)| {
            read.columns
                .iter()
                .cloned()
                .zip(values.iter().map(|v| {
                    v.clone()
                        .map(serde_json::Value::String)
                        .unwrap_or(serde_json::Value::Null)
                }))
                .collect()
        })
        .collect();
    Ok(Json(DataPage {
        grant: read.grant_id,
        columns: read.columns,
        items,
        next_cursor,
    })
    .into_response())
}

/// A verification: one record (`key`, `claims`) or a batch (`items`).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum VerifyRequest {
    Batch {
        /// Up to 1,000 records.
        items: Vec<VerifyItem>,
        #[serde(default)]
        grant: Option<i64>,
    },
    One {
        key: BTreeMap<String, String>,
        claims: BTreeMap<String, String>,
        #[serde(default)]
        grant: Option<i64>,
    },
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum VerifyResponse {
    Batch { results: Vec<VerifyResult> },
    One(VerifyResult),
}

/// Verification (核实比对): whether a record with the key exists and, per
/// claimed field, whether the claim matches — never a stored value. Needs a
/// `verify` grant; rate-limited and audited like any read.
#[utoipa::path(post, path = "/api/v1/verify/{dataset_id}", tag = "sharing",
    security(("bearer" = []), ("session" = [])), params(("dataset_id" = i64, Path)), request_body = VerifyRequest,
    responses((status = 200, body = VerifyResponse), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn verify(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(dataset_id): ApiPath<i64>,
    ApiJson(req): ApiJson<VerifyRequest>,
) -> ApiResult<Json<VerifyResponse>> {
    Ok(Json(match req {
        VerifyRequest::Batch { items, grant } => VerifyResponse::Batch {
            results: s.app.verify(&p, dataset_id, grant, items).await?,
        },
        VerifyRequest::One { key, claims, grant } => {
            let mut r = s
                .app
                .verify(&p, dataset_id, grant, vec![VerifyItem { key, claims }])
                .await?;
            VerifyResponse::One(r.remove(0))
        }
    }))
}

/// The grantee registers where its table-push grant writes (库表推送): a
/// SQLite file or a PostgreSQL database; pushed at once, then on schedule.
#[utoipa::path(put, path = "/api/v1/grants/{id}/push-target", tag = "sharing",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)), request_body = PushTargetInput,
    responses((status = 200, body = PushTarget), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn put_push_target(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(t): ApiJson<PushTargetInput>,
) -> ApiResult<Json<PushTarget>> {
    Ok(Json(s.app.set_push_target(&p, id, t).await?))
}

/// A table-push grant's target: where, how often, the version it holds, the last error.
#[utoipa::path(get, path = "/api/v1/grants/{id}/push-target", tag = "sharing",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = PushTarget), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn get_push_target(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<PushTarget>> {
    Ok(Json(s.app.push_target(&p, id).await?))
}

/// Pushes the changes since the version the target holds, now, all or nothing.
#[utoipa::path(post, path = "/api/v1/grants/{id}/push", tag = "sharing",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = PushOutcome), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn push(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<PushOutcome>> {
    Ok(Json(s.app.push_now(&p, id).await?))
}

/// Files a demand for data not in the catalogue with a chosen source
/// department, which confirms within 5 working days.
#[utoipa::path(post, path = "/api/v1/data-demands", tag = "sharing",
    security(("bearer" = []), ("session" = [])), request_body = DemandInput,
    responses((status = 201, body = DemandView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_demand(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiJson(d): ApiJson<DemandInput>,
) -> ApiResult<(StatusCode, Json<DemandView>)> {
    Ok((StatusCode::CREATED, Json(s.app.file_demand(&p, d).await?)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DemandListQuery {
    /// `received` (to confirm, default) or `made`.
    #[param(inline)]
    pub side: Option<DemandSide>,
    /// 1–200, default 100.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DemandSide {
    Received,
    Made,
}

/// Demands made of (or by) the caller's organisations, newest first.
#[utoipa::path(get, path = "/api/v1/data-demands", tag = "sharing",
    security(("bearer" = []), ("session" = [])), params(DemandListQuery),
    responses((status = 200, body = Vec<DemandView>)))]
pub async fn list_demands(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<DemandListQuery>,
) -> ApiResult<Json<Vec<DemandView>>> {
    let limit = limit_of(q.limit, 100, 200)?;
    let made = matches!(q.side, Some(DemandSide::Made));
    Ok(Json(s.app.data_demands(&p, made, limit).await?))
}

/// One demand with its deadline.
#[utoipa::path(get, path = "/api/v1/data-demands/{id}", tag = "sharing",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = DemandView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_demand(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<DemandView>> {
    Ok(Json(s.app.data_demand(&p, id).await?))
}

/// The source department confirms: shareable (with the published entry,
/// if already catalogued) or not, citing the basis (`basis_required`).
#[utoipa::path(post, path = "/api/v1/data-demands/{id}/answer", tag = "sharing",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)), request_body = DemandAnswer,
    responses((status = 200, body = DemandView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn answer_demand(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(a): ApiJson<DemandAnswer>,
) -> ApiResult<Json<DemandView>> {
    Ok(Json(s.app.answer_demand(&p, id, a).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DemandEntry {
    pub entry_id: i64,
}

/// Links a confirmed demand to the published entry its data was catalogued as.
#[utoipa::path(post, path = "/api/v1/data-demands/{id}/entry", tag = "sharing",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)), request_body = DemandEntry,
    responses((status = 200, body = DemandView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn link_demand(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(e): ApiJson<DemandEntry>,
) -> ApiResult<Json<DemandView>> {
    Ok(Json(s.app.link_demand(&p, id, e.entry_id).await?))
}

/// The source department records an offline delivery (表格, 文档, 拷贝) of a
/// file grant, with who received what.
#[utoipa::path(post, path = "/api/v1/grants/{id}/deliveries", tag = "sharing",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)), request_body = OfflineDelivery,
    responses((status = 201, body = Delivery), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn record_delivery(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(d): ApiJson<OfflineDelivery>,
) -> ApiResult<(StatusCode, Json<Delivery>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.record_offline_delivery(&p, id, d).await?),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// `csv` (default) or `xlsx`.
    #[param(inline)]
    pub format: Option<ExportKind>,
}

#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportKind {
    Csv,
    Xlsx,
}

/// The grantee exports its granted view as a file (CSV or XLSX), every row
/// through the one door, the export recorded as a delivery.
#[utoipa::path(get, path = "/api/v1/grants/{id}/export", tag = "sharing",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path), ExportQuery),
    responses((status = 200, description = "the file", content_type = "text/csv"),
              (status = 403, body = Problem), (status = 404, body = Problem), (status = 429, body = Problem)))]
pub async fn export(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> ApiResult<Response> {
    use pubdata_service::sharing::ExportFormat;
    let format = match q.format.unwrap_or(ExportKind::Csv) {
        ExportKind::Csv => ExportFormat::Csv,
        ExportKind::Xlsx => ExportFormat::Xlsx,
    };
    let (body, _) = s.app.export_grant(&p, id, format).await?;
    Ok(([(header::CONTENT_TYPE, format.content_type())], body).into_response())
}
