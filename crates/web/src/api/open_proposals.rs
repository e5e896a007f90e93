//! Filing of open attributes and the authority's change proposals (开放属性
//! 备案与修改建议, OPN-1, Art. 32–34).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pubdata_domain::catalog::OpenAttribute;
use pubdata_service::open_proposals::{
    AnswerInput, DecisionInput, EscalationInput, FilingQuery, FilingView, ProposalInput,
    ProposalView,
};
use serde::Deserialize;

use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FilingListQuery {
    /// Only the filings of this agency.
    pub org_id: Option<i64>,
    /// Only filings of this attribute (`none` or `conditional`).
    #[param(inline)]
    pub attribute: Option<OpenAttribute>,
}

/// The filed open attributes (开放属性备案, Art. 33, 34) standing with the
/// authorities the caller reviews for: every published not-open or
/// conditionally open entry of their levels, with its clauses and the
/// agency's basis; newest first. Other callers get 403.
#[utoipa::path(get, path = "/api/v1/open/filings", tag = "open",
    security(("bearer" = []), ("session" = [])), params(FilingListQuery),
    responses((status = 200, body = Vec<FilingView>), (status = 403, body = Problem)))]
pub async fn filings(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<FilingListQuery>,
) -> ApiResult<Json<Vec<FilingView>>> {
    let q = FilingQuery {
        org_id: q.org_id,
        attribute: q.attribute,
    };
    Ok(Json(s.app.list_open_filings(&p, &q).await?))
}

/// The level's authority proposes another open attribute for a published
/// entry (修改建议, Art. 32), with clauses and reasons: a case for the
/// agency, due in 10 working days (platform default). 409
/// `proposal_pending` while another proposal on the entry is pending,
/// `entry_not_published` for an unpublished entry.
#[utoipa::path(post, path = "/api/v1/catalog/entries/{id}/open-proposals", tag = "open",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)), request_body = ProposalInput,
    responses((status = 201, body = ProposalView), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn propose(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<ProposalInput>,
) -> ApiResult<(StatusCode, Json<ProposalView>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.propose_open_attribute(&p, id, input).await?),
    ))
}

/// Proposals the caller's organisations made or must answer, newest first.
#[utoipa::path(get, path = "/api/v1/open/proposals", tag = "open",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Vec<ProposalView>)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(p): Caller,
) -> ApiResult<Json<Vec<ProposalView>>> {
    Ok(Json(s.app.list_open_proposals(&p).await?))
}

/// One proposal: its state, each side's position, the government's
/// decision, and its cases with their deadlines.
#[utoipa::path(get, path = "/api/v1/open/proposals/{id}", tag = "open",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = ProposalView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ProposalView>> {
    Ok(Json(s.app.get_open_proposal(&p, id).await?))
}

/// The agency answers: `agree` writes the proposed attribute as a new
/// version of the entry (checked as any edit, then submitted for review as
/// usual); disagreeing needs `reasons`. The case closes. 409
/// `proposal_not_open` when already answered.
#[utoipa::path(post, path = "/api/v1/open/proposals/{id}/answer", tag = "open",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)), request_body = AnswerInput,
    responses((status = 200, body = ProposalView), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn answer(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<AnswerInput>,
) -> ApiResult<Json<ProposalView>> {
    Ok(Json(s.app.answer_open_proposal(&p, id, input).await?))
}

/// Without agreement, the authority escalates to the people's government
/// of the level (报本级人民政府决定, Art. 32) with its position: a case for
/// the authority to record the decision, due in 20 working days (platform
/// default). 409 `not_disagreed` unless the agency disagreed.
#[utoipa::path(post, path = "/api/v1/open/proposals/{id}/escalation", tag = "open",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)), request_body = EscalationInput,
    responses((status = 200, body = ProposalView), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn escalate(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<EscalationInput>,
) -> ApiResult<Json<ProposalView>> {
    Ok(Json(s.app.escalate_open_proposal(&p, id, input).await?))
}

/// The authority records the government's decision (document number,
/// date, attribute, clauses); it is applied to the entry as a new version
/// (published and filed when the entry is published) and the case closes.
/// 409 `not_escalated` unless escalated.
#[utoipa::path(post, path = "/api/v1/open/proposals/{id}/government-decision", tag = "open",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)), request_body = DecisionInput,
    responses((status = 200, body = ProposalView), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn decide(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<DecisionInput>,
) -> ApiResult<Json<ProposalView>> {
    Ok(Json(s.app.record_government_decision(&p, id, input).await?))
}
