//! The JSON API under `/api/v1`. Every route is registered through
//! [`OpenApiRouter`], so the OpenAPI document covers each one by construction.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

pub mod audit;
pub mod auth;
pub mod base;
pub mod calendar;
pub mod catalog;
pub mod datasets;
pub mod orgs;
pub mod tokens;
pub mod users;

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
        (name = "catalog", description = "目录与采集 Catalogue, cases and collection list (CAT-1 … CAT-7, COL-1, COL-2)")
    )
)]
struct ApiDoc;

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

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(orgs::list_orgs, orgs::create_org))
        .routes(routes!(orgs::get_org, orgs::update_org))
        .routes(routes!(users::list_users, users::create_user))
        .routes(routes!(users::get_user, users::update_user))
        .routes(routes!(users::grant_role))
        .routes(routes!(users::revoke_role))
        .routes(routes!(tokens::list_tokens, tokens::create_token))
        .routes(routes!(tokens::revoke_token))
        .routes(routes!(calendar::add_working_days))
        .routes(routes!(calendar::list_years))
        .routes(routes!(calendar::put_year))
        .routes(routes!(audit::list_audit))
        .routes(routes!(audit::system))
        .routes(routes!(catalog::classifications))
        .routes(routes!(catalog::export_xlsx))
        .routes(routes!(catalog::export_dcat))
        .routes(routes!(catalog::put_classification))
        .routes(routes!(catalog::grades))
        .routes(routes!(catalog::put_grade))
        .routes(routes!(catalog::list_entries, catalog::create_entry))
        .routes(routes!(catalog::get_entry, catalog::update_entry))
        .routes(routes!(catalog::submit_entry))
        .routes(routes!(catalog::review_entry))
        .routes(routes!(catalog::delist_entry))
        .routes(routes!(catalog::consent_entry))
        .routes(routes!(catalog::update_obligation))
        .routes(routes!(catalog::versions))
        .routes(routes!(catalog::diff))
        .routes(routes!(catalog::review_queue))
        .routes(routes!(catalog::pending_cases))
        .routes(routes!(catalog::data_items))
        .routes(routes!(catalog::collection_items, catalog::declare_item))
        .routes(routes!(datasets::list, datasets::create))
        .routes(routes!(datasets::get))
        .routes(routes!(datasets::versions))
        .routes(routes!(datasets::quality))
        .routes(routes!(datasets::rows))
        .routes(routes!(datasets::stale))
        .routes(routes!(datasets::exemptions, datasets::file_exemption))
        .routes(routes!(
            datasets::get_pull_source,
            datasets::put_pull_source
        ))
        .routes(routes!(datasets::pull))
        .routes(routes!(base::list))
        .routes(routes!(base::contribute))
        .routes(routes!(base::record))
        .routes(routes!(base::conflicts))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(datasets::load))
                .layer(axum::extract::DefaultBodyLimit::max(
                    datasets::MAX_UPLOAD + 1024 * 1024,
                ))
                .layer(axum::middleware::from_fn(datasets::refuse_oversized)),
        )
        .merge(
            OpenApiRouter::new()
                .routes(routes!(datasets::records))
                .layer(axum::extract::DefaultBodyLimit::max(datasets::MAX_BATCH)),
        )
}
