//! The JSON API under `/api/v1`: handlers per area, each annotated with
//! `#[utoipa::path]`. `crate::router` routes them and builds the OpenAPI
//! document from the same annotations; [`complete`] adds what every
//! operation shares.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

pub mod audit;
pub mod auth;
pub mod base;
pub mod calendar;
pub mod catalog;
pub mod ckan;
pub mod datasets;
pub mod derive;
pub mod disputes;
pub mod objections;
pub mod open;
pub mod open_plans;
pub mod open_proposals;
pub mod operation;
pub mod orgs;
pub mod procurement;
pub mod projects;
pub mod reminders;
pub mod security;
pub mod sharing;
pub mod supervision;
pub mod tokens;
pub mod users;
pub mod violations;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "pubdata API",
        description = "一网共享平台 (one-network public data sharing platform). Errors are application/problem+json with a stable `code`.",
        version = "1"
    ),
    modifiers(&Security),
    components(schemas(crate::error::Problem)),
    tags(
        (name = "auth", description = "登录与身份 Sign-in and identity"),
        (name = "org", description = "组织机构、用户与角色 Organisations, users and roles (ORG-1, ORG-2)"),
        (name = "calendar", description = "工作日历 Working-day calendar (CAL-1)"),
        (name = "audit", description = "审计日志 Audit chain (SEC-3)"),
        (name = "datasets", description = "数据汇聚 Datasets, loads, quality, staleness (AGG-1 … AGG-3, QLT-1)"),
        (name = "cases", description = "到期提醒 Case reminders: inbox and webhooks (CAL-2)"),
        (name = "catalog", description = "目录与采集 Catalogue, cases and collection list (CAT-1 … CAT-7, COL-1, COL-2)"),
        (name = "disputes", description = "争议处理 Disputes between agencies: negotiation, coordination, joint consultation, government decision (DSP-1, Art. 48)"),
        (name = "violations", description = "违规与整改 Violations of Art. 49–50, detected or recorded; rectification notices with time limits, escalated to the government's supervision list when missed (VIO-1, VIO-2)"),
        (name = "objections", description = "异议与更正 Objections to records and their correction (OBJ-1, Art. 28)"),
        (name = "operation", description = "授权运营 Authorised operation: agreements and their filing, earlier arrangements, revenue records (OPS-1 … OPS-3, Art. 39–42)"),
        (name = "procurement", description = "社会数据统一采购 Procurement of social data: demand, evaluation, unified procurement record (COL-3, Art. 17)"),
        (name = "projects", description = "政务信息化项目 Government IT projects: public data list at approval, compliance before acceptance (SUP-2, Art. 47)"),
        (name = "open", description = "数据开放 Open data for anyone: catalogue, rows, downloads (OPN-3)"),
        (name = "security", description = "安全管理 Security management: officers, grade protection, checks and drills, confidentiality reviews, unusual-access alerts (SEC-2 … SEC-4, Art. 44–45)"),
        (name = "supervision", description = "监督考核 Supervision figures, drill-down and evaluation reports (SUP-1, Art. 46)"),
        (name = "sharing", description = "数据共享 Share requests, grants, data service and verification (SHR-1 … SHR-9, VER-1, BACK-1), desensitised derivatives and masking rules (SHR-6)")
    )
)]
pub(crate) struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let c = openapi.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        c.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::extract::SESSION_COOKIE,
            ))),
        );
    }
}

/// Completes the generated document with the contract every operation
/// shares (see docs/API-DESIGN.md):
///
/// - every error response is `application/problem+json` with the `Problem`
///   schema (handlers' `body = Problem` annotations are retyped);
/// - each operation lists the problems it can answer, declared once here as
///   `components.responses` and referenced: 400 (unparseable query, cursor,
///   date or body syntax), 422 (well-formed but invalid) and 503 (database
///   unavailable) everywhere; 401 and 403 where the operation needs
///   credentials; 404 where a path names a resource; 409, 413 and 415 where
///   it takes a body.
pub fn complete(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};

    let problem = || {
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .build()
    };
    let common: [(&str, &str, &str); 9] = [
        (
            "400",
            "BadRequest",
            "unparseable request: JSON syntax, query parameter, cursor or date (`malformed_json`, `invalid_query`, `invalid_cursor`, `invalid_date` …)",
        ),
        (
            "401",
            "Unauthenticated",
            "no or bad credentials (`unauthenticated`)",
        ),
        (
            "403",
            "Forbidden",
            "the policy refuses the caller (`forbidden`), or a cookie-authenticated change lacks `X-CSRF-Token` (`csrf_failed`)",
        ),
        (
            "404",
            "NotFound",
            "no such resource, or none the caller may see (`not_found`)",
        ),
        (
            "409",
            "Conflict",
            "the request conflicts with the current state (`already_exists`, `invalid_transition` …)",
        ),
        (
            "413",
            "BodyTooLarge",
            "the body is larger than this operation accepts (`body_too_large`)",
        ),
        (
            "415",
            "UnsupportedMediaType",
            "the body is not of the documented content type (`unsupported_media_type`)",
        ),
        (
            "422",
            "Invalid",
            "well-formed but invalid: `errors` names each field (`invalid_body`, `invalid_field`, `catalog_rule` …)",
        ),
        (
            "503",
            "Unavailable",
            "the database is unavailable; nothing was kept; retry after `Retry-After` seconds (`database_unavailable`)",
        ),
    ];
    let components = doc.components.get_or_insert_with(Default::default);
    for (_, name, description) in common {
        components.responses.insert(
            name.to_string(),
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content("application/problem+json", problem())
                    .build(),
            ),
        );
    }
    for (path, item) in doc.paths.paths.iter_mut() {
        let has_path_params = path.contains('{');
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
            let has_body = op.request_body.is_some();
            for (status, response) in op.responses.responses.iter_mut() {
                if status.as_str() >= "400"
                    && let RefOr::T(r) = response
                {
                    if r.description.is_empty()
                        && let Some((_, _, d)) = common.iter().find(|(s, _, _)| s == status)
                    {
                        r.description = d.to_string();
                    }
                    r.content.clear();
                    r.content
                        .insert("application/problem+json".to_string(), problem());
                }
            }
            for (status, name, _) in common {
                let applies = match status {
                    "401" | "403" => secured,
                    "404" => has_path_params,
                    "409" | "413" | "415" => has_body,
                    _ => true,
                };
                if applies {
                    op.responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
                }
            }
        }
    }
}
