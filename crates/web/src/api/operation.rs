//! Authorised operation (公共数据授权运营, OPS-1..3, Art. 39–42):
//! agreements and their filing with the city authority, earlier
//! arrangements, revenue records, and the registry of products built on
//! open data.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pubdata_service::model::RevenueRecord;
use pubdata_service::operation::{
    AgreementInput, AgreementView, ArrangementInput, ArrangementReview, ArrangementView,
    FilingReview, ProductInput, ProductView, RevenueInput, RevenueList, Termination,
};

use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, ApiPath, Caller};

/// Records an operation agreement draft (授权运营协议) with a third-party
/// operator: datasets of the signing agency (or county), scenarios, term
/// and revenue terms.
#[utoipa::path(post, path = "/api/v1/operation/agreements", tag = "operation",
    security(("bearer" = []), ("session" = [])), request_body = AgreementInput,
    responses((status = 201, body = AgreementView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiJson(a): ApiJson<AgreementInput>,
) -> ApiResult<(StatusCode, Json<AgreementView>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.create_agreement(&p, a).await?),
    ))
}

/// Agreements the caller may see (all for the city authority and
/// auditors), newest first, each with its status today.
#[utoipa::path(get, path = "/api/v1/operation/agreements", tag = "operation",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Vec<AgreementView>)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(p): Caller,
) -> ApiResult<Json<Vec<AgreementView>>> {
    Ok(Json(s.app.operation_agreements(&p).await?))
}

/// One agreement.
#[utoipa::path(get, path = "/api/v1/operation/agreements/{id}", tag = "operation",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = AgreementView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<AgreementView>> {
    Ok(Json(s.app.operation_agreement(&p, id).await?))
}

/// The agency files a draft or returned agreement with the city authority
/// (备案, Art. 40).
#[utoipa::path(post, path = "/api/v1/operation/agreements/{id}/filing", tag = "operation",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = AgreementView), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem)))]
pub async fn file(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<AgreementView>> {
    Ok(Json(s.app.file_agreement(&p, id).await?))
}

/// The city authority accepts a filed agreement or returns it with reasons.
#[utoipa::path(post, path = "/api/v1/operation/agreements/{id}/review", tag = "operation",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)), request_body = FilingReview,
    responses((status = 200, body = AgreementView), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn review(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(r): ApiJson<FilingReview>,
) -> ApiResult<Json<AgreementView>> {
    Ok(Json(s.app.review_agreement(&p, id, r).await?))
}

/// The agency or the city authority terminates an agreement (with a reason).
#[utoipa::path(post, path = "/api/v1/operation/agreements/{id}/termination", tag = "operation",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)), request_body = Termination,
    responses((status = 200, body = AgreementView), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn terminate(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(t): ApiJson<Termination>,
) -> ApiResult<Json<AgreementView>> {
    Ok(Json(s.app.terminate_agreement(&p, id, t).await?))
}

/// The operator or the agency records one period's revenue, contribution
/// (分成) and products (Art. 41) on an accepted agreement.
#[utoipa::path(post, path = "/api/v1/operation/agreements/{id}/revenue", tag = "operation",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)), request_body = RevenueInput,
    responses((status = 201, body = RevenueRecord), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn add_revenue(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(r): ApiJson<RevenueInput>,
) -> ApiResult<(StatusCode, Json<RevenueRecord>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.add_revenue(&p, id, r).await?),
    ))
}

/// An agreement's revenue records with their totals.
#[utoipa::path(get, path = "/api/v1/operation/agreements/{id}/revenue", tag = "operation",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = RevenueList), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn revenue(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<RevenueList>> {
    Ok(Json(s.app.revenue_records(&p, id).await?))
}

/// Registers an earlier arrangement (前期安排) that gave a third party data,
/// for the city authority's review within 20 working days (a platform
/// default; Art. 40 sets no limit).
#[utoipa::path(post, path = "/api/v1/operation/arrangements", tag = "operation",
    security(("bearer" = []), ("session" = [])), request_body = ArrangementInput,
    responses((status = 201, body = ArrangementView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_arrangement(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiJson(a): ApiJson<ArrangementInput>,
) -> ApiResult<(StatusCode, Json<ArrangementView>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.register_arrangement(&p, a).await?),
    ))
}

/// Earlier arrangements the caller may see, newest first.
#[utoipa::path(get, path = "/api/v1/operation/arrangements", tag = "operation",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Vec<ArrangementView>)))]
pub async fn list_arrangements(
    State(s): State<AppState>,
    Caller(p): Caller,
) -> ApiResult<Json<Vec<ArrangementView>>> {
    Ok(Json(s.app.operation_arrangements(&p).await?))
}

/// One earlier arrangement.
#[utoipa::path(get, path = "/api/v1/operation/arrangements/{id}", tag = "operation",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = ArrangementView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_arrangement(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ArrangementView>> {
    Ok(Json(s.app.operation_arrangement(&p, id).await?))
}

/// The city authority decides an earlier arrangement: `resign` (a new
/// agreement draft linked to it) or `terminate`, with a reason.
#[utoipa::path(post, path = "/api/v1/operation/arrangements/{id}/review", tag = "operation",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)), request_body = ArrangementReview,
    responses((status = 200, body = ArrangementView), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn review_arrangement(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(r): ApiJson<ArrangementReview>,
) -> ApiResult<Json<ArrangementView>> {
    Ok(Json(s.app.review_arrangement(&p, id, r).await?))
}

/// Products and services built on open data (Art. 42), for anyone.
#[utoipa::path(get, path = "/api/v1/open/products", tag = "open",
    security((), ("bearer" = [])),
    responses((status = 200, body = Vec<ProductView>)))]
pub async fn products(State(s): State<AppState>) -> ApiResult<Json<Vec<ProductView>>> {
    Ok(Json(s.app.open_products().await?))
}

/// Registers a product or service built on open data, for the caller's
/// organisation.
#[utoipa::path(post, path = "/api/v1/open/products", tag = "open",
    security(("bearer" = []), ("session" = [])), request_body = ProductInput,
    responses((status = 201, body = ProductView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn add_product(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiJson(i): ApiJson<ProductInput>,
) -> ApiResult<(StatusCode, Json<ProductView>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.add_open_product(&p, i).await?),
    ))
}
