//! The catalogue API (CAT-1 … CAT-7) and the collection list (COL-1, COL-2).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pubdata_domain::catalog::{EntryState, Frequency, Grade, OpenAttribute, ShareType};
use pubdata_domain::org::Level;
use pubdata_service::catalog::{
    CaseView, EntryInput, EntryPatch, EntryView, ReasonInput, ReviewInput, VersionDiff,
};
use pubdata_service::collection::{DeclareItem, ItemAvailability};
use pubdata_service::model::{
    CatalogEntry, Classification, DataItemSource, EntryFilter, EntryVersion,
};
use pubdata_service::open::Synonym;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, decode_cursor, keyset_page};

#[derive(Serialize, utoipa::ToSchema)]
pub struct ClassificationList {
    pub items: Vec<Classification>,
}

/// The classification tree (类/项/目/细目).
#[utoipa::path(get, path = "/api/v1/catalog/classifications", tag = "catalog",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = ClassificationList), (status = 401, body = Problem)))]
pub async fn classifications(
    State(s): State<AppState>,
    Caller(p): Caller,
) -> ApiResult<Json<ClassificationList>> {
    Ok(Json(ClassificationList {
        items: s.app.classifications(&p).await?,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutClassification {
    pub name: String,
    pub parent: Option<String>,
}

/// Adds or renames a classification (city data authority).
#[utoipa::path(put, path = "/api/v1/catalog/classifications/{code}", tag = "catalog",
    security(("bearer" = []), ("session" = [])), params(("code" = String, Path)),
    request_body = PutClassification,
    responses((status = 200, body = Classification), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn put_classification(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(code): ApiPath<String>,
    ApiJson(req): ApiJson<PutClassification>,
) -> ApiResult<Json<Classification>> {
    let c = Classification {
        code,
        name: req.name.trim().to_string(),
        parent: req.parent.filter(|x| !x.is_empty()),
    };
    Ok(Json(s.app.put_classification(&p, c).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct GradeList {
    pub items: Vec<Grade>,
}

/// The grading scheme: levels and what each allows for sharing and opening.
#[utoipa::path(get, path = "/api/v1/catalog/grades", tag = "catalog",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = GradeList)))]
pub async fn grades(State(s): State<AppState>, Caller(p): Caller) -> ApiResult<Json<GradeList>> {
    Ok(Json(GradeList {
        items: s.app.grades(&p).await?,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutGrade {
    pub name: String,
    pub rank: i32,
    pub allows_unconditional_share: bool,
    pub max_open: OpenAttribute,
}

/// Adds or changes a grade (city data authority).
#[utoipa::path(put, path = "/api/v1/catalog/grades/{code}", tag = "catalog",
    security(("bearer" = []), ("session" = [])), params(("code" = String, Path)),
    request_body = PutGrade,
    responses((status = 200, body = Grade), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn put_grade(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(code): ApiPath<String>,
    ApiJson(req): ApiJson<PutGrade>,
) -> ApiResult<Json<Grade>> {
    let g = Grade {
        code,
        name: req.name,
        rank: req.rank,
        allows_unconditional_share: req.allows_unconditional_share,
        max_open: req.max_open,
    };
    Ok(Json(s.app.put_grade(&p, g).await?))
}

/// Drafts a catalogue entry for the caller's agency (or `providing_org`).
#[utoipa::path(post, path = "/api/v1/catalog/entries", tag = "catalog",
    security(("bearer" = []), ("session" = [])), request_body = EntryInput,
    responses((status = 201, body = EntryView), (status = 403, body = Problem), (status = 422, description = "a rule of Art. 11–14 or of the grading scheme is broken; `errors` names each field", body = Problem)))]
pub async fn create_entry(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiJson(req): ApiJson<EntryInput>,
) -> ApiResult<(StatusCode, Json<EntryView>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.create_entry(&p, req).await?),
    ))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EntryQuery {
    /// Words to find (all must occur); Chinese substrings work (人口 finds 人口基础信息).
    pub q: Option<String>,
    /// An organisation id; a region id means its whole roll-up (city includes counties).
    pub org: Option<i64>,
    pub level: Option<Level>,
    /// Classification code or prefix.
    pub classification: Option<String>,
    pub grade: Option<String>,
    pub share_type: Option<ShareType>,
    pub open_attribute: Option<OpenAttribute>,
    pub frequency: Option<Frequency>,
    pub state: Option<EntryState>,
    pub cursor: Option<String>,
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

impl EntryQuery {
    pub fn to_filter(&self) -> Result<EntryFilter, ApiError> {
        let limit = self.limit.unwrap_or(50);
        if !(1..=200).contains(&limit) {
            return Err(ApiError::field(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                "limit",
                "1 to 200",
            ));
        }
        let nonempty = |v: &Option<String>| {
            v.as_ref()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        Ok(EntryFilter {
            terms: self
                .q
                .as_deref()
                .unwrap_or("")
                .split_whitespace()
                .map(String::from)
                .collect(),
            org_ids: self.org.map(|o| vec![o]),
            level: self.level,
            classification: nonempty(&self.classification),
            grade: nonempty(&self.grade),
            share_type: self.share_type,
            open_attribute: self.open_attribute,
            frequency: self.frequency,
            state: self.state,
            published_only: false,
            code: None,
            // The service fills in the synonym list.
            synonyms: vec![],
            before_id: nonempty(&self.cursor)
                .map(|c| decode_cursor("entry", &c))
                .transpose()?,
            // One more than asked tells whether a next page exists.
            limit: limit + 1,
        })
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct EntryPage {
    pub items: Vec<CatalogEntry>,
    pub next_cursor: Option<String>,
}

/// Searches the catalogue, newest first, with cursor paging. Others'
/// unpublished entries are not listed.
#[utoipa::path(get, path = "/api/v1/catalog/entries", tag = "catalog",
    security(("bearer" = []), ("session" = [])), params(EntryQuery),
    responses((status = 200, body = EntryPage), (status = 400, body = Problem)))]
pub async fn list_entries(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<EntryQuery>,
) -> ApiResult<Json<EntryPage>> {
    let f = q.to_filter()?;
    let limit = (f.limit - 1) as usize;
    let items = s.app.list_entries(&p, f).await?;
    let (items, next_cursor) = keyset_page(items, limit, "entry", |e| e.id);
    Ok(Json(EntryPage { items, next_cursor }))
}

#[utoipa::path(get, path = "/api/v1/catalog/entries/{id}", tag = "catalog",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = EntryView), (status = 404, body = Problem)))]
pub async fn get_entry(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<EntryView>> {
    Ok(Json(s.app.get_entry(&p, id).await?))
}

/// Changes an entry: a draft or returned entry is edited, a published one
/// starts a change (变更) that is reviewed again. Each change is a new version.
#[utoipa::path(patch, path = "/api/v1/catalog/entries/{id}", tag = "catalog",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)), request_body = EntryPatch,
    responses((status = 200, body = EntryView), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update_entry(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<EntryPatch>,
) -> ApiResult<Json<EntryView>> {
    Ok(Json(s.app.update_entry(&p, id, req).await?))
}

/// Submits for the data authority's review, due in 5 working days (`review_due`).
#[utoipa::path(post, path = "/api/v1/catalog/entries/{id}/submit", tag = "catalog",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = EntryView), (status = 403, body = Problem), (status = 409, description = "not a draft, or a co-owner has not consented (`consent_required`)", body = Problem)))]
pub async fn submit_entry(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<EntryView>> {
    Ok(Json(s.app.submit_entry(&p, id).await?))
}

/// The level's data authority approves (→ published) or returns with reasons.
#[utoipa::path(post, path = "/api/v1/catalog/entries/{id}/review", tag = "catalog",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)), request_body = ReviewInput,
    responses((status = 200, body = EntryView), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn review_entry(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<ReviewInput>,
) -> ApiResult<Json<EntryView>> {
    Ok(Json(s.app.review_entry(&p, id, req).await?))
}

/// Delists (下架) a published entry, with a reason.
#[utoipa::path(post, path = "/api/v1/catalog/entries/{id}/delist", tag = "catalog",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)), request_body = ReasonInput,
    responses((status = 200, body = EntryView), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn delist_entry(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<ReasonInput>,
) -> ApiResult<Json<EntryView>> {
    Ok(Json(s.app.delist_entry(&p, id, req).await?))
}

/// A co-owning agency consents to the entry's current version.
#[utoipa::path(post, path = "/api/v1/catalog/entries/{id}/consent", tag = "catalog",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = EntryView), (status = 403, body = Problem)))]
pub async fn consent_entry(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<EntryView>> {
    Ok(Json(s.app.consent_entry(&p, id).await?))
}

/// The authority records that a legal basis or duty changed: the agency must
/// update the entry within 15 working days.
#[utoipa::path(post, path = "/api/v1/catalog/entries/{id}/update-obligation", tag = "catalog",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)), request_body = ReasonInput,
    responses((status = 200, body = EntryView), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn update_obligation(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<ReasonInput>,
) -> ApiResult<Json<EntryView>> {
    Ok(Json(s.app.open_update_obligation(&p, id, req).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = EntryVersionList)]
pub struct VersionList {
    pub items: Vec<EntryVersion>,
}

/// Every version of an entry, oldest first.
#[utoipa::path(get, path = "/api/v1/catalog/entries/{id}/versions", tag = "catalog",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = VersionList), (status = 404, body = Problem)))]
pub async fn versions(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<VersionList>> {
    Ok(Json(VersionList {
        items: s.app.entry_versions(&p, id).await?,
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DiffQuery {
    pub from: i64,
    pub to: i64,
}

/// What changed between two versions.
#[utoipa::path(get, path = "/api/v1/catalog/entries/{id}/diff", tag = "catalog",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path), DiffQuery),
    responses((status = 200, body = VersionDiff), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn diff(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<DiffQuery>,
) -> ApiResult<Json<VersionDiff>> {
    Ok(Json(s.app.entry_diff(&p, id, q.from, q.to).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ReviewItem {
    pub case: CaseView,
    pub entry: CatalogEntry,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ReviewQueue {
    /// Soonest due first.
    pub items: Vec<ReviewItem>,
}

/// The caller's authority's open catalogue reviews with due dates.
#[utoipa::path(get, path = "/api/v1/catalog/review-queue", tag = "catalog",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = ReviewQueue), (status = 403, body = Problem)))]
pub async fn review_queue(
    State(s): State<AppState>,
    Caller(p): Caller,
) -> ApiResult<Json<ReviewQueue>> {
    let items = s
        .app
        .review_queue(&p)
        .await?
        .into_iter()
        .map(|(case, entry)| ReviewItem { case, entry })
        .collect();
    Ok(Json(ReviewQueue { items }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CaseList {
    pub items: Vec<CaseView>,
}

/// Open cases the caller's organisations must answer, with deadlines (the dashboard).
#[utoipa::path(get, path = "/api/v1/cases/pending", tag = "catalog",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = CaseList)))]
pub async fn pending_cases(
    State(s): State<AppState>,
    Caller(p): Caller,
) -> ApiResult<Json<CaseList>> {
    Ok(Json(CaseList {
        items: s.app.pending_cases(&p).await?,
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ItemQuery {
    /// Part of a data item's name, e.g. 身份证.
    #[param(min_length = 1, pattern = r"\S")]
    pub q: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ItemList {
    pub items: Vec<ItemAvailability>,
}

/// Whether data items are already available (by sharing or verification)
/// and from whom — ask before collecting (COL-2).
#[utoipa::path(get, path = "/api/v1/data-items", tag = "catalog",
    security(("bearer" = []), ("session" = [])), params(ItemQuery),
    responses((status = 200, body = ItemList), (status = 422, body = Problem)))]
pub async fn data_items(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<ItemQuery>,
) -> ApiResult<Json<ItemList>> {
    Ok(Json(ItemList {
        items: s.app.find_data_items(&p, &q.q).await?,
    }))
}

/// Declares the caller's agency the source department of a data item. A
/// second source is refused: 409 `data_item_has_source` with `source_org`.
#[utoipa::path(post, path = "/api/v1/collection-items", tag = "catalog",
    security(("bearer" = []), ("session" = [])), request_body = DeclareItem,
    responses((status = 201, body = DataItemSource), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn declare_item(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiJson(req): ApiJson<DeclareItem>,
) -> ApiResult<(StatusCode, Json<DataItemSource>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.declare_collection_item(&p, req).await?),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CollectionQuery {
    /// An agency; absent: every declared item.
    pub org: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CollectionList {
    pub items: Vec<DataItemSource>,
}

/// A collection list (采集清单): the items an agency is the source of.
#[utoipa::path(get, path = "/api/v1/collection-items", tag = "catalog",
    security(("bearer" = []), ("session" = [])), params(CollectionQuery),
    responses((status = 200, body = CollectionList), (status = 403, body = Problem)))]
pub async fn collection_items(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<CollectionQuery>,
) -> ApiResult<Json<CollectionList>> {
    Ok(Json(CollectionList {
        items: s.app.collection_list(&p, q.org).await?,
    }))
}

fn export_filter(q: &EntryQuery) -> Result<EntryFilter, ApiError> {
    let mut f = q.to_filter()?;
    f.before_id = None;
    Ok(f)
}

/// The published catalogue as a spreadsheet (sheets 目录 and 信息项), with
/// the same filters as the search.
#[utoipa::path(get, path = "/api/v1/catalog/export.xlsx", tag = "catalog",
    security(("bearer" = []), ("session" = [])), params(EntryQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>), (status = 400, body = Problem)))]
pub async fn export_xlsx(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<EntryQuery>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let bytes = s.app.export_catalog_xlsx(&p, export_filter(&q)?).await?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                "attachment; filename=\"catalog.xlsx\"",
            ),
        ],
        bytes,
    )
        .into_response())
}

/// The published catalogue as DCAT (JSON-LD, DCAT-AP style).
#[utoipa::path(get, path = "/api/v1/catalog/dcat.jsonld", tag = "catalog",
    security(("bearer" = []), ("session" = [])), params(EntryQuery),
    responses((status = 200, content_type = "application/ld+json", body = Object), (status = 400, body = Problem)))]
pub async fn export_dcat(
    State(s): State<AppState>,
    Caller(p): Caller,
    headers: axum::http::HeaderMap,
    ApiQuery(q): ApiQuery<EntryQuery>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("localhost");
    let doc = s
        .app
        .export_catalog_dcat(&p, export_filter(&q)?, &format!("http://{host}"))
        .await?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/ld+json")],
        Json(doc),
    )
        .into_response())
}

/// The search synonyms (同义词): abbreviations and the full terms they stand
/// for, used by the catalogue search and the open data portal.
#[utoipa::path(get, path = "/api/v1/synonyms", tag = "catalog",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Vec<Synonym>), (status = 403, body = Problem)))]
pub async fn synonyms(
    State(s): State<AppState>,
    Caller(p): Caller,
) -> ApiResult<Json<Vec<Synonym>>> {
    Ok(Json(s.app.synonyms(&p).await?))
}

/// Replaces the search synonyms, in order (those who keep the catalogue scheme).
#[utoipa::path(put, path = "/api/v1/synonyms", tag = "catalog",
    security(("bearer" = []), ("session" = [])), request_body = Vec<Synonym>,
    responses((status = 200, body = Vec<Synonym>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn put_synonyms(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiJson(list): ApiJson<Vec<Synonym>>,
) -> ApiResult<Json<Vec<Synonym>>> {
    Ok(Json(s.app.put_synonyms(&p, list).await?))
}
