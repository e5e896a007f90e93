//! Objections and corrections (异议与更正, OBJ-1, Art. 28).

use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use pubdata_domain::objection::{MAX_PROOF_BYTES, ObjectionState};
use pubdata_service::model::ObjectionProof;
use pubdata_service::objections::{ObjectionInput, ObjectionSide, ObjectionView, ResolutionInput};
use serde::Deserialize;

use crate::AppState;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};

/// Files an objection to one record (异议): a data user about data it
/// received under a grant, a person about a record keyed by their own
/// identity number, or counter staff for a person (`subject_id_card_no`).
/// Opens a case for the source department, due in 5 working days. Data the
/// caller cannot see answers 403 (no grant, field not granted) or 404 (no
/// such record, or outside the grant's rows — alike).
#[utoipa::path(post, path = "/api/v1/objections", tag = "objections",
    security(("bearer" = []), ("session" = [])), request_body = ObjectionInput,
    responses((status = 201, body = ObjectionView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiJson(o): ApiJson<ObjectionInput>,
) -> ApiResult<(StatusCode, Json<ObjectionView>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.file_objection(&p, o).await?),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ObjectionListQuery {
    /// `mine` (filed by the caller), `incoming` (to answer) or `all` (default).
    #[param(inline)]
    pub side: Option<ObjectionSide>,
    #[param(inline)]
    pub state: Option<ObjectionState>,
}

/// Objections: the caller's own, those its organisations answer, or (for
/// supervisors) all; newest first.
#[utoipa::path(get, path = "/api/v1/objections", tag = "objections",
    security(("bearer" = []), ("session" = [])), params(ObjectionListQuery),
    responses((status = 200, body = Vec<ObjectionView>)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<ObjectionListQuery>,
) -> ApiResult<Json<Vec<ObjectionView>>> {
    Ok(Json(
        s.app
            .objections(&p, q.side.unwrap_or(ObjectionSide::All), q.state)
            .await?,
    ))
}

/// One objection: state, deadline, reply, proofs and the record before and
/// after the correction — only the fields the viewer may see.
#[utoipa::path(get, path = "/api/v1/objections/{id}", tag = "objections",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = ObjectionView), (status = 404, body = Problem)))]
pub async fn get(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ObjectionView>> {
    Ok(Json(s.app.objection(&p, id).await?))
}

/// The source department resolves an objection: `corrected` (with
/// `corrections`, written as a new dataset version) or `confirmed` (with a
/// `reply`). The case closes.
#[utoipa::path(post, path = "/api/v1/objections/{id}/resolution", tag = "objections",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)), request_body = ResolutionInput,
    responses((status = 200, body = ObjectionView), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn resolve(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(r): ApiJson<ResolutionInput>,
) -> ApiResult<Json<ObjectionView>> {
    Ok(Json(s.app.resolve_objection(&p, id, r).await?))
}

/// The multipart form of a proof upload (only used to document it).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ProofUpload {
    /// A PDF, PNG or JPEG file, at most 5 MiB.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Reads the multipart field `file` (at most [`MAX_PROOF_BYTES`] + 1 bytes
/// are kept: more is refused by the service as too large).
pub async fn receive_proof(
    mp: Result<Multipart, MultipartRejection>,
) -> Result<(String, Vec<u8>), ApiError> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "proof_too_large",
            format!("a proof document is at most {MAX_PROOF_BYTES} bytes"),
        )
    };
    let bad = |m: String| {
        if m.contains("length limit") {
            too_large()
        } else {
            ApiError::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_upload",
                "file",
                m,
            )
        }
    };
    let mut mp = mp.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            bad(e.body_text())
        }
    })?;
    while let Some(mut field) = mp.next_field().await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            bad(e.body_text())
        }
    })? {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or("proof").to_string();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large()
            } else {
                bad(e.body_text())
            }
        })? {
            bytes.extend_from_slice(&chunk);
            if bytes.len() > MAX_PROOF_BYTES {
                return Err(too_large());
            }
        }
        return Ok((name, bytes));
    }
    Err(ApiError::field(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_upload",
        "file",
        "send the document in the multipart field `file`",
    ))
}

/// Attaches a proof document (证明材料) to an objection, for its objector:
/// PDF, PNG or JPEG recognised by content (else 415
/// `proof_type_unsupported`), at most 5 MiB (else 413 `proof_too_large`).
#[utoipa::path(post, path = "/api/v1/objections/{id}/proofs", tag = "objections",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path)),
    request_body(content_type = "multipart/form-data", content = ProofUpload, description = "field `file`"),
    responses((status = 201, body = ObjectionProof), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 413, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn add_proof(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<i64>,
    mp: Result<Multipart, MultipartRejection>,
) -> ApiResult<(StatusCode, Json<ObjectionProof>)> {
    let (name, bytes) = receive_proof(mp).await?;
    Ok((
        StatusCode::CREATED,
        Json(s.app.add_objection_proof(&p, id, &name, bytes).await?),
    ))
}

/// One proof document, for the objector, the source department and supervisors.
#[utoipa::path(get, path = "/api/v1/objections/{id}/proofs/{proof_id}", tag = "objections",
    security(("bearer" = []), ("session" = [])), params(("id" = i64, Path), ("proof_id" = i64, Path)),
    responses((status = 200, description = "the document, as its content was recognised",
                content((Vec<u8> = "application/pdf"), (Vec<u8> = "image/png"), (Vec<u8> = "image/jpeg"))),
              (status = 404, body = Problem)))]
pub async fn get_proof(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath((id, proof_id)): ApiPath<(i64, i64)>,
) -> ApiResult<Response> {
    Ok(proof_response(
        s.app.objection_proof(&p, id, proof_id).await?,
    ))
}

/// A proof document as a download.
pub fn proof_response((proof, bytes): (ObjectionProof, Vec<u8>)) -> Response {
    let disposition = format!(
        "attachment; filename=\"proof-{}\"; filename*=UTF-8''{}",
        proof.id,
        utf8_percent(&proof.file_name)
    );
    (
        [
            (header::CONTENT_TYPE, proof.media_type.clone()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        bytes,
    )
        .into_response()
}

fn utf8_percent(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
