//! Datasets and loads (AGG-1 … AGG-3, QLT-1).

use std::io::Write;

use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use pubdata_domain::dataset::RowError;
use pubdata_service::ingest::{CreateDataset, DatasetView, LoadOutcome, Quality, RecordBatch};
use pubdata_service::model::{Dataset, DatasetVersion};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{
    ApiJson, ApiPath, ApiQuery, Caller, decode_cursor, decode_key_cursor, encode_key_cursor,
    keyset_page,
};

/// Largest file a load accepts.
pub const MAX_UPLOAD: usize = 1024 * 1024 * 1024;
/// Largest pushed batch body.
pub const MAX_BATCH: usize = 64 * 1024 * 1024;

/// Defines a dataset of a published catalogue entry (its source department).
#[utoipa::path(post, path = "/api/v1/datasets", tag = "datasets",
    security(("bearer" = []), ("session" = [])), request_body = CreateDataset,
    responses((status = 201, body = Dataset), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiJson(req): ApiJson<CreateDataset>,
) -> ApiResult<(StatusCode, Json<Dataset>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.create_dataset(&p, req).await?),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub org: Option<i64>,
    /// Words of the dataset's name or its catalogue entry's name (any case).
    #[param(max_length = 100)]
    pub q: Option<String>,
    pub cursor: Option<String>,
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DatasetPage {
    pub items: Vec<DatasetView>,
    pub next_cursor: Option<String>,
}

/// Datasets of the caller's organisation (supervisors: all, or `org`).
#[utoipa::path(get, path = "/api/v1/datasets", tag = "datasets",
    security(("bearer" = []), ("session" = [])), params(ListQuery),
    responses((status = 200, body = DatasetPage), (status = 400, body = Problem), (status = 403, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<DatasetPage>> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::field(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "limit",
            "1 to 200",
        ));
    }
    let before = q
        .cursor
        .as_deref()
        .map(|c| decode_cursor("dataset", c))
        .transpose()?;
    if q.q.as_ref().is_some_and(|t| t.chars().count() > 100) {
        return Err(ApiError::field(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "q",
            "at most 100 characters",
        ));
    }
    let items = s
        .app
        .list_datasets(&p, q.org, q.q.as_deref(), before, limit + 1)
        .await?;
    let (items, next_cursor) = keyset_page(items, limit as usize, "dataset", |d| d.dataset.id);
    Ok(Json(DatasetPage { items, next_cursor }))
}

#[utoipa::path(get, path = "/api/v1/datasets/{id}", tag = "datasets",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = DatasetView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<DatasetView>> {
    Ok(Json(s.app.get_dataset(&p, id).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = DatasetVersionList)]
pub struct VersionList {
    /// Newest first.
    pub items: Vec<DatasetVersion>,
}

#[utoipa::path(get, path = "/api/v1/datasets/{id}/versions", tag = "datasets",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = VersionList), (status = 404, body = Problem)))]
pub async fn versions(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<VersionList>> {
    Ok(Json(VersionList {
        items: s.app.dataset_versions(&p, id).await?,
    }))
}

#[utoipa::path(get, path = "/api/v1/datasets/{id}/quality", tag = "datasets",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = Quality), (status = 404, body = Problem)))]
pub async fn quality(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Quality>> {
    Ok(Json(s.app.dataset_quality(&p, id).await?))
}

/// The refused-load problem: 422 `load_rejected` with every row error.
#[derive(Serialize, utoipa::ToSchema)]
pub struct LoadProblem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub code: String,
    /// Row, column, value and rule of each problem (at most 1,000).
    pub errors: Vec<RowError>,
    pub total_errors: u64,
    pub rows_read: u64,
}

pub fn load_response(outcome: LoadOutcome, created: StatusCode) -> Response {
    match outcome {
        Ok(v) => (created, Json(v)).into_response(),
        Err(r) => {
            let body = LoadProblem {
                kind: "/problems/load_rejected".into(),
                title: "Unprocessable Entity".into(),
                status: 422,
                detail: format!(
                    "{} problems in {} rows; nothing was changed and the previous version stays current",
                    r.total_errors, r.rows_read
                ),
                code: "load_rejected".into(),
                errors: r.errors,
                total_errors: r.total_errors,
                rows_read: r.rows_read,
            };
            let mut res = (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response();
            res.headers_mut().insert(
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("application/problem+json"),
            );
            res
        }
    }
}

/// Streams the multipart field `file` to a temporary file; returns it and its name.
pub async fn receive_file(mp: Multipart) -> Result<(tempfile::NamedTempFile, String), ApiError> {
    receive(mp, false).await
}

/// [`receive_file`] for the API, whose document allows the field `file`
/// only: another field answers 422 `invalid_upload`.
async fn receive_only_file(
    mp: Result<Multipart, MultipartRejection>,
) -> Result<(tempfile::NamedTempFile, String), ApiError> {
    let mp = mp.map_err(|e| upload_error(e.status(), e.body_text()))?;
    receive(mp, true).await
}

async fn receive(
    mut mp: Multipart,
    only_file: bool,
) -> Result<(tempfile::NamedTempFile, String), ApiError> {
    let bad = |m: String| ApiError::field(StatusCode::BAD_REQUEST, "invalid_upload", "file", m);
    while let Some(mut field) = mp
        .next_field()
        .await
        .map_err(|e| upload_error(e.status(), e.body_text()))?
    {
        if field.name() != Some("file") {
            if only_file {
                return Err(ApiError::field(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_upload",
                    field.name().unwrap_or("body"),
                    "the only field of a load is `file`",
                ));
            }
            continue;
        }
        let name = field.file_name().unwrap_or("upload.csv").to_string();
        let mut tmp = tempfile::NamedTempFile::new().map_err(|e| bad(e.to_string()))?;
        let mut total = 0usize;
        while let Some(chunk) = field
            .chunk()
            .await
            .map_err(|e| upload_error(e.status(), e.body_text()))?
        {
            total += chunk.len();
            if total > MAX_UPLOAD {
                return Err(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "body_too_large",
                    "a load accepts files up to 1 GiB",
                ));
            }
            tmp.write_all(&chunk).map_err(|e| bad(e.to_string()))?;
        }
        tmp.flush().map_err(|e| bad(e.to_string()))?;
        return Ok((tmp, name));
    }
    Err(bad("send the file in the multipart field `file`".into()))
}

/// Refuses an upload whose declared length is over the limit before reading
/// any of it (a streamed body without a length is counted as it arrives).
pub async fn refuse_oversized(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > (MAX_UPLOAD + 1024 * 1024) as u64) {
        return axum::response::IntoResponse::into_response(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            "a load accepts files up to 1 GiB",
        ));
    }
    next.run(req).await
}

fn upload_error(status: StatusCode, text: String) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(status, "body_too_large", "a load accepts files up to 1 GiB")
    } else {
        ApiError::field(StatusCode::BAD_REQUEST, "invalid_upload", "file", text)
    }
}

/// The multipart form of a file load (only used to document it).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct LoadUpload {
    /// The file: CSV (UTF-8 or GB18030), XLSX, JSON or NDJSON.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Loads a file (CSV in UTF-8 or GB18030, XLSX, JSON or NDJSON; multipart
/// field `file`) as the dataset's new version — all or nothing.
#[utoipa::path(post, path = "/api/v1/datasets/{id}/loads", tag = "datasets",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)),
    request_body(content_type = "multipart/form-data", content = LoadUpload, description = "field `file`"),
    responses((status = 201, body = DatasetVersion), (status = 403, body = Problem), (status = 413, body = Problem),
              (status = 422, description = "refused: `errors` lists row, column, value and rule", body = LoadProblem)))]
pub async fn load(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    mp: Result<Multipart, MultipartRejection>,
) -> ApiResult<Response> {
    let (tmp, name) = receive_only_file(mp).await?;
    let file = std::io::BufReader::with_capacity(
        256 * 1024,
        tmp.reopen().map_err(|e| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
        })?,
    );
    let outcome = s
        .app
        .load_file(&p, id, &name, Box::new(file), &mut ())
        .await?;
    Ok(load_response(outcome, StatusCode::CREATED))
}

/// Applies a batch of upserts and deletions by key from the agency's system
/// (application token), all or nothing, as a new version.
#[utoipa::path(post, path = "/api/v1/datasets/{id}/records", tag = "datasets",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)), request_body = RecordBatch,
    responses((status = 200, body = DatasetVersion), (status = 403, body = Problem), (status = 422, body = LoadProblem)))]
pub async fn records(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(batch): ApiJson<RecordBatch>,
) -> ApiResult<Response> {
    let outcome = s.app.push_records(&p, id, batch).await?;
    Ok(load_response(outcome, StatusCode::OK))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RowQuery {
    /// A past version; the current rows when absent.
    pub version: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1–1000, default 100.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RowPage {
    pub columns: Vec<String>,
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<serde_json::Map<String, serde_json::Value>>,
    pub next_cursor: Option<String>,
}

/// Rows of the dataset (current or a past version), for its source department; audited.
#[utoipa::path(get, path = "/api/v1/datasets/{id}/rows", tag = "datasets",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path), RowQuery),
    responses((status = 200, body = RowPage), (status = 403, body = Problem)))]
pub async fn rows(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<RowQuery>,
) -> ApiResult<Json<RowPage>> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::field(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "limit",
            "1 to 1000",
        ));
    }
    let after = q.cursor.as_deref().map(decode_key_cursor).transpose()?;
    let (columns, rows) = s
        .app
        .dataset_rows(&p, id, q.version, after.as_deref(), limit + 1)
        .await?;
    let more = rows.len() > limit as usize;
    let rows = &rows[..rows.len().min(limit as usize)];
    let next_cursor = rows
        .last()
        .filter(|_| more)
        .map(|(k, _)| encode_key_cursor(k));
    let items = rows
        .iter()
        .map(|(_, values)| {
            columns
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
    Ok(Json(RowPage {
        columns,
        items,
        next_cursor,
    }))
}

/// The dataset's table-pull source (库表), if configured.
#[utoipa::path(get, path = "/api/v1/datasets/{id}/pull-source", tag = "datasets",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = pubdata_service::model::PullSource), (status = 404, body = Problem)))]
pub async fn get_pull_source(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<pubdata_service::model::PullSource>> {
    let src = s
        .app
        .get_pull_source(&p, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(src))
}

/// Configures where the platform pulls the dataset from, on the schedule of
/// its update frequency.
#[utoipa::path(put, path = "/api/v1/datasets/{id}/pull-source", tag = "datasets",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)), request_body = pubdata_service::ingest::PullConfig,
    responses((status = 200, body = pubdata_service::model::PullSource), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn put_pull_source(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<pubdata_service::ingest::PullConfig>,
) -> ApiResult<Json<pubdata_service::model::PullSource>> {
    let src = s.app.put_pull_source(&p, id, req).await?;
    Ok(Json(src))
}

/// Pulls now: a new version from the source (incremental when configured).
#[utoipa::path(post, path = "/api/v1/datasets/{id}/pull", tag = "datasets",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)),
    responses((status = 201, body = DatasetVersion), (status = 409, body = Problem), (status = 422, description = "the source cannot be read, or the rows break rules", body = LoadProblem)))]
pub async fn pull(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let outcome = s.app.pull_now(&p, id).await?;
    Ok(load_response(outcome, StatusCode::CREATED))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ExemptionList {
    pub items: Vec<pubdata_service::model::Exemption>,
}

/// Files an exemption (备案) when no aggregation mode can be used (AGG-1).
#[utoipa::path(post, path = "/api/v1/aggregation/exemptions", tag = "datasets",
    security(("bearer" = []), ("session" = [])), request_body = pubdata_service::ingest::FileExemption,
    responses((status = 201, body = pubdata_service::model::Exemption), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn file_exemption(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiJson(req): ApiJson<pubdata_service::ingest::FileExemption>,
) -> ApiResult<(StatusCode, Json<pubdata_service::model::Exemption>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.file_exemption(&p, req).await?),
    ))
}

/// Filed exemptions: the authority sees all, an agency its own.
#[utoipa::path(get, path = "/api/v1/aggregation/exemptions", tag = "datasets",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = ExemptionList)))]
pub async fn exemptions(
    State(s): State<AppState>,
    Caller(p): Caller,
) -> ApiResult<Json<ExemptionList>> {
    Ok(Json(ExemptionList {
        items: s.app.exemptions(&p).await?,
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct StaleList {
    pub items: Vec<DatasetView>,
}

/// Datasets not refreshed within their update frequency (AGG-2).
#[utoipa::path(get, path = "/api/v1/supervision/stale", tag = "datasets",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = StaleList)))]
pub async fn stale(State(s): State<AppState>, Caller(p): Caller) -> ApiResult<Json<StaleList>> {
    Ok(Json(StaleList {
        items: s.app.stale_datasets(&p).await?,
    }))
}
