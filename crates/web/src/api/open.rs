//! Open data (数据开放, OPN-3) for anyone: the open catalogue, one dataset's
//! metadata, its rows page by page (the open data API) and downloads as
//! CSV, JSON or XLSX — no account needed. A signed-in caller (token or
//! session) gets a higher rate limit; everyone else is an anonymised client.

use axum::Json;
use axum::body::Body;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use pubdata_domain::open::ApplicationState;
use pubdata_service::Principal;
use pubdata_service::open::applications::{
    AgreementAcceptance, ApplicationDecision, NewApplication, OpenApplicationView,
};
use pubdata_service::open::{OpenDataset, OpenDatasetList, OpenStats};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{
    ApiJson, ApiPath, ApiQuery, Caller, client_ip, decode_key_cursor, encode_key_cursor,
    request_token,
};

/// The caller of a portal route: signed in (a valid token or session), or
/// an anonymised client. An invalid token is refused (401), not ignored.
pub struct PublicCaller(pub Principal);

impl FromRequestParts<AppState> for PublicCaller {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, ApiError> {
        let ip = client_ip(parts);
        let signed_in = match request_token(&parts.headers) {
            Some((token, _)) => Some(s.app.authenticate(&token, ip.clone()).await?),
            None => None,
        };
        Ok(PublicCaller(
            s.app.public_principal(signed_in, ip.as_deref()),
        ))
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OpenListQuery {
    /// Words to find in names, summaries and keywords; abbreviations are
    /// understood (社保 finds 社会保险). At most 100 characters.
    #[param(max_length = 100)]
    pub q: Option<String>,
    /// Only this agency's datasets.
    #[param(minimum = 1)]
    pub org: Option<i64>,
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// Skip this many, default 0.
    #[param(minimum = 0, maximum = 1000000)]
    pub offset: Option<i64>,
    /// Conditionally open (有条件开放) datasets too — metadata only; their
    /// rows are read under an application. Default false.
    pub conditional: Option<bool>,
}

fn bad(field: &str, msg: &str) -> ApiError {
    ApiError::field(StatusCode::BAD_REQUEST, "invalid_query", field, msg)
}

/// What each agency has opened and how it is used: open datasets and rows
/// per agency and the public's reads of them in the last 30 days, counted
/// from the access records (no account needed; the portal's charts).
#[utoipa::path(get, path = "/api/v1/open/stats", tag = "open",
    security((), ("bearer" = [])),
    responses((status = 200, body = OpenStats), (status = 429, body = Problem)))]
pub async fn stats(
    State(s): State<AppState>,
    PublicCaller(p): PublicCaller,
) -> ApiResult<Json<OpenStats>> {
    s.app.take_open_rate(&p, 1.0)?;
    Ok(Json(s.app.open_stats().await?))
}

/// Open datasets (no account needed).
#[utoipa::path(get, path = "/api/v1/open/datasets", tag = "open",
    security((), ("bearer" = [])), params(OpenListQuery),
    responses((status = 200, body = OpenDatasetList), (status = 400, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    PublicCaller(p): PublicCaller,
    ApiQuery(q): ApiQuery<OpenListQuery>,
) -> ApiResult<Json<OpenDatasetList>> {
    s.app.take_open_rate(&p, 1.0)?;
    let limit = q.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(bad("limit", "1 to 100"));
    }
    let offset = q.offset.unwrap_or(0);
    if !(0..=1_000_000).contains(&offset) {
        return Err(bad("offset", "0 to 1000000"));
    }
    if q.q.as_deref().is_some_and(|t| t.chars().count() > 100) {
        return Err(bad("q", "at most 100 characters"));
    }
    if q.org.is_some_and(|o| o < 1) {
        return Err(bad("org", "an organisation id"));
    }
    Ok(Json(
        s.app
            .open_datasets(
                q.q.as_deref(),
                q.org,
                q.conditional.unwrap_or(false),
                limit,
                offset,
            )
            .await?,
    ))
}

/// One open dataset's metadata — unconditionally open, or conditionally
/// open (`open_attribute: conditional`: apply to read it); 404 for
/// anything not open.
#[utoipa::path(get, path = "/api/v1/open/datasets/{id}", tag = "open",
    security((), ("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = OpenDataset), (status = 404, body = Problem)))]
pub async fn get(
    State(s): State<AppState>,
    PublicCaller(p): PublicCaller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<OpenDataset>> {
    s.app.take_open_rate(&p, 1.0)?;
    match s.app.open_dataset(id).await {
        Err(pubdata_service::ServiceError::NotFound { .. }) => {
            Ok(Json(s.app.conditional_dataset(id).await?))
        }
        d => Ok(Json(d?)),
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OpenRowsQuery {
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1–1000, default 100.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// A page of an open dataset's rows.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OpenRowsPage {
    pub columns: Vec<String>,
    /// Rows as objects of column → value (null when empty).
    pub items: Vec<serde_json::Map<String, serde_json::Value>>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// The open data API: an open dataset's rows in key order, page by page.
#[utoipa::path(get, path = "/api/v1/open/datasets/{id}/rows", tag = "open",
    security((), ("bearer" = [])), params(("id" = i64, Path), OpenRowsQuery),
    responses((status = 200, body = OpenRowsPage), (status = 400, body = Problem), (status = 404, body = Problem), (status = 429, body = Problem)))]
pub async fn rows(
    State(s): State<AppState>,
    PublicCaller(p): PublicCaller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<OpenRowsQuery>,
) -> ApiResult<Json<OpenRowsPage>> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(bad("limit", "1 to 1000"));
    }
    let after = q.cursor.as_deref().map(decode_key_cursor).transpose()?;
    // One more row than asked tells whether more follow.
    let page = s.app.open_rows(&p, id, after.as_deref(), limit + 1).await?;
    Ok(Json(rows_page(page, limit)))
}

/// A page of rows read with one more than `limit` (which tells whether
/// more follow) as the API answers it.
fn rows_page(mut page: pubdata_service::open::OpenRows, limit: u32) -> OpenRowsPage {
    let more = page.rows.len() > limit as usize;
    page.rows.truncate(limit as usize);
    let next_cursor = more
        .then(|| page.rows.last().map(|(k, _)| encode_key_cursor(k)))
        .flatten();
    let items = page
        .rows
        .into_iter()
        .map(|(_, v)| {
            page.columns
                .iter()
                .cloned()
                .zip(
                    v.into_iter()
                        .map(|x| x.map_or(serde_json::Value::Null, Into::into)),
                )
                .collect()
        })
        .collect();
    OpenRowsPage {
        columns: page.columns,
        items,
        next_cursor,
    }
}

#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DownloadFormat {
    Csv,
    Json,
    Xlsx,
}

impl DownloadFormat {
    fn name(self) -> &'static str {
        match self {
            DownloadFormat::Csv => "csv",
            DownloadFormat::Json => "json",
            DownloadFormat::Xlsx => "xlsx",
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DownloadQuery {
    /// `csv` (default), `json` or `xlsx` (at most 1,048,575 rows).
    #[param(inline)]
    pub format: Option<DownloadFormat>,
}

/// Rows in one XLSX download (a worksheet's limit).
const XLSX_ROWS: usize = 1_048_575;

/// CSV lines of `rows` (one writer per page, not per row).
fn csv_lines(rows: &[Vec<Option<String>>]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for cells in rows {
        let _ = w.write_record(cells.iter().map(|c| c.as_deref().unwrap_or("")));
    }
    w.into_inner().unwrap_or_default()
}

/// Downloads an open dataset whole: CSV and JSON stream (memory stays at
/// one page), XLSX is built in memory.
#[utoipa::path(get, path = "/api/v1/open/datasets/{id}/download", tag = "open",
    security((), ("bearer" = [])), params(("id" = i64, Path), DownloadQuery),
    responses((status = 200, description = "the file: `format=csv` (default) UTF-8 with BOM and a header row; `json` an array of row objects; `xlsx` one worksheet",
                content(
                    (String = "text/csv"),
                    (Vec<std::collections::HashMap<String, Option<String>>> = "application/json"),
                    (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
              (status = 400, body = Problem), (status = 404, body = Problem), (status = 429, body = Problem)))]
pub async fn download(
    State(s): State<AppState>,
    PublicCaller(p): PublicCaller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<DownloadQuery>,
) -> ApiResult<Response> {
    let format = q.format.unwrap_or(DownloadFormat::Csv);
    let name = format.name();
    let (started_tx, started_rx) = tokio::sync::oneshot::channel();
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    let app = s.app.clone();
    tokio::spawn(async move { app.open_download(&p, id, name, started_tx, tx).await });
    file_response(format, &format!("open-{id}"), started_rx, rx).await
}

/// The columns sent on `started`, then the rows arriving on `rx`
/// as a file: CSV and JSON stream (memory stays at one page), XLSX is
/// built in memory.
pub(crate) async fn file_response(
    format: DownloadFormat,
    stem: &str,
    started: tokio::sync::oneshot::Receiver<pubdata_service::Result<Vec<String>>>,
    mut rx: tokio::sync::mpsc::Receiver<Vec<Vec<Option<String>>>>,
) -> ApiResult<Response> {
    let name = format.name();
    let columns = started
        .await
        .map_err(|_| ApiError::from(pubdata_service::ServiceError::Unavailable))??;
    let disposition = format!("attachment; filename=\"{stem}.{name}\"");
    if let DownloadFormat::Xlsx = format {
        let mut all = Vec::new();
        while let Some(rows) = rx.recv().await {
            all.extend(rows);
            if all.len() >= XLSX_ROWS {
                all.truncate(XLSX_ROWS);
                break;
            }
        }
        let bytes = pubdata_service::sharing::files::xlsx_file(&columns, &all)?;
        return Ok((
            [
                (
                    header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
                ),
                (header::CONTENT_DISPOSITION, disposition),
            ],
            bytes,
        )
            .into_response());
    }
    let json = matches!(format, DownloadFormat::Json);
    let head: Vec<u8> = if json {
        b"[".to_vec()
    } else {
        let mut h = b"\xEF\xBB\xBF".to_vec();
        h.extend(csv_lines(&[columns.iter().cloned().map(Some).collect()]));
        h
    };
    let stream = futures_util::stream::unfold(
        (Some(head), rx, columns, true, false),
        move |(head, mut rx, columns, first, done)| async move {
            if let Some(h) = head {
                return Some((Ok::<_, std::io::Error>(h), (None, rx, columns, first, done)));
            }
            if done {
                return None;
            }
            match rx.recv().await {
                Some(rows) if !json => {
                    Some((Ok(csv_lines(&rows)), (None, rx, columns, first, false)))
                }
                Some(rows) => {
                    let mut out = Vec::new();
                    let mut first = first;
                    for r in rows {
                        if !first {
                            out.push(b',');
                        }
                        first = false;
                        let obj: serde_json::Map<String, serde_json::Value> = columns
                            .iter()
                            .cloned()
                            .zip(
                                r.into_iter()
                                    .map(|x| x.map_or(serde_json::Value::Null, Into::into)),
                            )
                            .collect();
                        let _ = serde_json::to_writer(&mut out, &obj);
                    }
                    Some((Ok(out), (None, rx, columns, first, false)))
                }
                None if json => Some((Ok(b"]".to_vec()), (None, rx, columns, first, true))),
                None => None,
            }
        },
    );
    let content_type = if json {
        "application/json"
    } else {
        "text/csv; charset=utf-8"
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

/// The open data as a DCAT-AP catalogue (JSON-LD) for harvesters: the
/// platform's `dcat:Catalog` (home page `/open`), each open dataset a
/// `dcat:Dataset` with a `dcat:Distribution` per download format and its
/// open data API as a `dcat:DataService`. Only open datasets are listed.
#[utoipa::path(get, path = "/api/v1/open/dcat", tag = "open",
    security((), ("bearer" = [])),
    responses((status = 200, description = "the DCAT-AP catalogue of the open data", content_type = "application/ld+json", body = Object),
              (status = 429, body = Problem)))]
pub async fn dcat(
    State(s): State<AppState>,
    PublicCaller(p): PublicCaller,
    headers: axum::http::HeaderMap,
) -> ApiResult<Response> {
    s.app.take_open_rate(&p, 1.0)?;
    let doc = s.app.open_dcat(&super::ckan::site(&headers)).await?;
    Ok(([(header::CONTENT_TYPE, "application/ld+json")], Json(doc)).into_response())
}

// --- Conditional open data applications (有条件开放申请, OPN-4)

/// Applies for a conditionally open dataset (a registered person or
/// enterprise; agency staff are refused with `staff_cannot_apply`). The
/// source agency answers within 10 working days. Unconditional data:
/// `not_conditional_open`; not open: `not_open` (both 422).
#[utoipa::path(post, path = "/api/v1/open/applications", tag = "open",
    security(("bearer" = []), ("session" = [])), request_body = NewApplication,
    responses((status = 201, body = OpenApplicationView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn apply(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiJson(req): ApiJson<NewApplication>,
) -> ApiResult<(StatusCode, Json<OpenApplicationView>)> {
    let a = s.app.apply_open(&p, req).await?;
    Ok((
        StatusCode::CREATED,
        Json(s.app.open_application(&p, a.id).await?),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ApplicationListQuery {
    #[param(inline)]
    pub state: Option<ApplicationState>,
    /// 1–200, default 100.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// Applications: an applicant's own; an agency's incoming; a data
/// authority's those of its level; administrators and auditors all.
#[utoipa::path(get, path = "/api/v1/open/applications", tag = "open",
    security(("bearer" = []), ("session" = [])), params(ApplicationListQuery),
    responses((status = 200, body = Vec<OpenApplicationView>), (status = 400, body = Problem)))]
pub async fn list_applications(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<ApplicationListQuery>,
) -> ApiResult<Json<Vec<OpenApplicationView>>> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=200).contains(&limit) {
        return Err(bad("limit", "1 to 200"));
    }
    Ok(Json(s.app.open_applications(&p, q.state, limit).await?))
}

/// One application: its state, answer deadline, decision and agreement.
#[utoipa::path(get, path = "/api/v1/open/applications/{id}", tag = "open",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = OpenApplicationView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_application(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<OpenApplicationView>> {
    Ok(Json(s.app.open_application(&p, id).await?))
}

/// The source agency's answer: refuse with reasons (`reason_required`
/// without), or approve — optionally narrowing fields and the term — which
/// offers the data use agreement (利用协议). The case closes.
#[utoipa::path(post, path = "/api/v1/open/applications/{id}/decision", tag = "open",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)), request_body = ApplicationDecision,
    responses((status = 200, body = OpenApplicationView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn decide_application(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(d): ApiJson<ApplicationDecision>,
) -> ApiResult<Json<OpenApplicationView>> {
    s.app.decide_open_application(&p, id, d).await?;
    Ok(Json(s.app.open_application(&p, id).await?))
}

/// The applicant accepts the data use agreement of the version shown; only
/// then is data delivered. Anyone else: 403 `not_applicant` (recorded).
#[utoipa::path(post, path = "/api/v1/open/applications/{id}/agreement", tag = "open",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)), request_body = AgreementAcceptance,
    responses((status = 200, body = OpenApplicationView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn accept_agreement(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(acc): ApiJson<AgreementAcceptance>,
) -> ApiResult<Json<OpenApplicationView>> {
    s.app.accept_open_agreement(&p, id, acc).await?;
    Ok(Json(s.app.open_application(&p, id).await?))
}

/// The approved fields' rows under an accepted application, page by page
/// (the applicant only, within the term; personal items masked). Before
/// acceptance: 403 `agreement_not_accepted`; after the term: 403
/// `application_expired`.
#[utoipa::path(get, path = "/api/v1/open/applications/{id}/rows", tag = "open",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path), OpenRowsQuery),
    responses((status = 200, body = OpenRowsPage), (status = 400, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 429, body = Problem)))]
pub async fn application_rows(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<OpenRowsQuery>,
) -> ApiResult<Json<OpenRowsPage>> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(bad("limit", "1 to 1000"));
    }
    let after = q.cursor.as_deref().map(decode_key_cursor).transpose()?;
    let page = s
        .app
        .open_application_rows(&p, id, after.as_deref(), limit + 1)
        .await?;
    Ok(Json(rows_page(page, limit)))
}

/// Downloads the data under an accepted application whole, like the
/// portal's downloads (same refusals as the rows).
#[utoipa::path(get, path = "/api/v1/open/applications/{id}/download", tag = "open",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path), DownloadQuery),
    responses((status = 200, description = "the file: `format=csv` (default) UTF-8 with BOM and a header row; `json` an array of row objects; `xlsx` one worksheet",
                content(
                    (String = "text/csv"),
                    (Vec<std::collections::HashMap<String, Option<String>>> = "application/json"),
                    (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
              (status = 400, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 429, body = Problem)))]
pub async fn application_download(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<DownloadQuery>,
) -> ApiResult<Response> {
    let format = q.format.unwrap_or(DownloadFormat::Csv);
    let name = format.name();
    let (started_tx, started_rx) = tokio::sync::oneshot::channel();
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    let app = s.app.clone();
    tokio::spawn(async move {
        app.open_application_download(&p, id, name, started_tx, tx)
            .await
    });
    file_response(format, &format!("application-{id}"), started_rx, rx).await
}
