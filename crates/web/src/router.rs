//! Every route of the platform in one place: method, path and handler of
//! each `/api/v1` operation, each page, health, metrics and static files.
//! [`crate::router`] adds the middleware stack around these.
//!
//! API rows also feed the OpenAPI document: each handler's
//! `#[utoipa::path]` describes its operation, and building the router
//! asserts that the annotation names the same method and path as the row
//! here (a mismatch fails every test at once), so what is routed and what is
//! documented cannot drift. `API_ROUTES` and `PAGE_ROUTES` list the rows for
//! tests; `FOREIGN_API_ROUTES` lists the API routes that follow another
//! API's documentation and are deliberately not in the OpenAPI document
//! (CKAN's Action API under `/api/3/action/`).

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{MethodFilter, get, on};
use utoipa::OpenApi;
use utoipa::openapi::path::PathItem;
use utoipa::openapi::{RefOr, Schema};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use crate::api::{
    audit, auth, base, calendar, catalog, ckan, datasets, derive, disputes, objections, open,
    open_plans, open_proposals, operation, orgs, procurement, projects, reminders, security,
    sharing, supervision, tokens, users, violations,
};
use crate::error::ApiError;
use crate::{AppState, health, pages};

/// `/api/v1`: one row per operation — `METHOD "path" => area::handler`,
/// optionally followed by `, layer <tower layer>` (applied to that operation
/// only, first listed innermost).
///
/// A row may end in `, served_by "path"` instead: its path cannot be routed
/// as written (a parameter with a suffix, `{year}.pdf`, which the router
/// does not match), so the row is documented only and the route of the
/// named row, written for it, serves it.
macro_rules! api_routes {
    ($( $method:ident $path:literal => $area:ident :: $handler:ident $(, served_by $served:literal)? $(, layer $layer:expr)* ; )*) => {
        /// Every routed `/api/v1` operation as (method, path).
        pub const API_ROUTES: &[(&str, &str)] = &[$( (stringify!($method), $path) ),*];
        /// The `served_by` rows as (documented path, path of the route serving it).
        pub const SERVED_BY: &[(&str, &str)] = &[$( $( ($path, $served), )? )*];

        fn api_operations() -> OpenApiRouter<AppState> {
            let r = OpenApiRouter::with_openapi(crate::api::ApiDoc::openapi());
            let mut schemas = SchemaNames::new();
            $(
                let annotated = as_annotated(
                    &mut schemas,
                    stringify!($method),
                    $path,
                    routes!($area::$handler) $(.layer($layer))*,
                );
                let served_by: Option<&str> = None $(.or(Some($served)))?;
                let r = match served_by {
                    None => r.routes(annotated),
                    Some(via) => documented_only(r, stringify!($method), via, annotated),
                };
            )*
            r
        }
    };
}

/// Adds a `served_by` row's operation to the document without routing it,
/// after checking that the row it names is routed with the same method.
fn documented_only(
    mut r: OpenApiRouter<AppState>,
    method: &str,
    via: &str,
    (schemas, paths, _): UtoipaMethodRouter<AppState>,
) -> OpenApiRouter<AppState> {
    assert!(
        API_ROUTES
            .iter()
            .any(|(m, p)| *m == method && *p == via && !SERVED_BY.iter().any(|(d, _)| d == p)),
        "served_by names {method} {via}, which is not a routed row"
    );
    let doc = r.get_openapi_mut();
    for (path, item) in paths.paths {
        match doc.paths.paths.get_mut(&path) {
            Some(it) => it.merge_operations(item),
            None => {
                doc.paths.paths.insert(path, item);
            }
        }
    }
    doc.components
        .get_or_insert(utoipa::openapi::Components::new())
        .schemas
        .extend(schemas);
    r
}

/// Pages, health, metrics and static files: `METHOD "path" => handler`.
macro_rules! page_routes {
    ($( $method:ident $path:literal => $($seg:ident)::+ $(, layer $layer:expr)* ; )*) => {
        /// Every routed page, health, metrics and static path as (method, path).
        pub const PAGE_ROUTES: &[(&str, &str)] = &[$( (stringify!($method), $path) ),*];

        fn page_operations() -> Router<AppState> {
            let r = Router::new();
            $(
                let r = r.route(
                    $path,
                    on(MethodFilter::$method, $($seg)::+) $(.layer($layer))*,
                );
            )*
            r
        }
    };
}

/// Routes outside `/api/v1` that follow another API's documentation and so
/// are not in the OpenAPI document (CKAN's Action API): `METHOD "path" =>
/// handler`. Their errors are that API's, not problem+json pages.
macro_rules! foreign_api_routes {
    ($( $method:ident $path:literal => $($seg:ident)::+ ; )*) => {
        /// Every routed API path outside the OpenAPI document as (method, path).
        pub const FOREIGN_API_ROUTES: &[(&str, &str)] = &[$( (stringify!($method), $path) ),*];

        fn foreign_api_operations() -> Router<AppState> {
            let r = Router::new();
            $(
                let r = r.route($path, on(MethodFilter::$method, $($seg)::+));
            )*
            r
        }
    };
}

// CKAN 2.10's Action API read subset (crates/web/src/api/ckan.rs), at both
// addresses CKAN serves it: `/api/3/action/…` and `/api/action/…` (where
// the `ckanapi` client calls).
foreign_api_routes! {
    GET    "/api/3/action/{action}"                   => ckan::action;
    POST   "/api/3/action/{action}"                   => ckan::action;
    GET    "/api/action/{action}"                     => ckan::action;
    POST   "/api/action/{action}"                     => ckan::action;
}

api_routes! {
    POST   "/api/v1/auth/login"                                => auth::login;
    POST   "/api/v1/auth/logout"                               => auth::logout;
    GET    "/api/v1/me"                                        => auth::me;

    GET    "/api/v1/orgs"                                      => orgs::list_orgs;
    POST   "/api/v1/orgs"                                      => orgs::create_org;
    GET    "/api/v1/orgs/{id}"                                 => orgs::get_org;
    PATCH  "/api/v1/orgs/{id}"                                 => orgs::update_org;
    GET    "/api/v1/users"                                     => users::list_users;
    POST   "/api/v1/users"                                     => users::create_user;
    GET    "/api/v1/users/{id}"                                => users::get_user;
    PATCH  "/api/v1/users/{id}"                                => users::update_user;
    POST   "/api/v1/users/{id}/roles"                          => users::grant_role;
    DELETE "/api/v1/users/{id}/roles/{grant_id}"               => users::revoke_role;
    GET    "/api/v1/tokens"                                    => tokens::list_tokens;
    POST   "/api/v1/tokens"                                    => tokens::create_token;
    DELETE "/api/v1/tokens/{id}"                               => tokens::revoke_token;
    GET    "/api/v1/orgs/{id}/webhook"                         => reminders::webhook;
    PUT    "/api/v1/orgs/{id}/webhook"                         => reminders::put_webhook;
    GET    "/api/v1/orgs/{id}/webhook/deliveries"              => reminders::deliveries;
    GET    "/api/v1/inbox"                                     => reminders::inbox;
    POST   "/api/v1/inbox/{id}/read"                           => reminders::mark_read;

    GET    "/api/v1/calendar/add-working-days"                 => calendar::add_working_days;
    GET    "/api/v1/calendar/years"                            => calendar::list_years;
    PUT    "/api/v1/calendar/years/{year}"                     => calendar::put_year;

    GET    "/api/v1/audit"                                     => audit::list_audit;
    GET    "/api/v1/audit/checkpoints"                         => audit::checkpoints;
    GET    "/api/v1/system"                                    => audit::system;
    GET    "/api/v1/backups"                                   => audit::backups;

    GET    "/api/v1/catalog/classifications"                   => catalog::classifications;
    PUT    "/api/v1/catalog/classifications/{code}"            => catalog::put_classification;
    GET    "/api/v1/catalog/grades"                            => catalog::grades;
    PUT    "/api/v1/catalog/grades/{code}"                     => catalog::put_grade;
    GET    "/api/v1/catalog/export.xlsx"                       => catalog::export_xlsx;
    GET    "/api/v1/catalog/dcat.jsonld"                       => catalog::export_dcat;
    GET    "/api/v1/catalog/entries"                           => catalog::list_entries;
    POST   "/api/v1/catalog/entries"                           => catalog::create_entry;
    GET    "/api/v1/catalog/entries/{id}"                      => catalog::get_entry;
    PATCH  "/api/v1/catalog/entries/{id}"                      => catalog::update_entry;
    POST   "/api/v1/catalog/entries/{id}/submit"               => catalog::submit_entry;
    POST   "/api/v1/catalog/entries/{id}/review"               => catalog::review_entry;
    POST   "/api/v1/catalog/entries/{id}/delist"               => catalog::delist_entry;
    POST   "/api/v1/catalog/entries/{id}/consent"              => catalog::consent_entry;
    POST   "/api/v1/catalog/entries/{id}/update-obligation"    => catalog::update_obligation;
    GET    "/api/v1/catalog/entries/{id}/versions"             => catalog::versions;
    GET    "/api/v1/catalog/entries/{id}/diff"                 => catalog::diff;
    GET    "/api/v1/catalog/review-queue"                      => catalog::review_queue;
    GET    "/api/v1/cases/pending"                             => catalog::pending_cases;
    GET    "/api/v1/data-items"                                => catalog::data_items;
    GET    "/api/v1/collection-items"                          => catalog::collection_items;
    POST   "/api/v1/collection-items"                          => catalog::declare_item;

    GET    "/api/v1/datasets"                                  => datasets::list;
    POST   "/api/v1/datasets"                                  => datasets::create;
    GET    "/api/v1/datasets/{id}"                             => datasets::get;
    GET    "/api/v1/datasets/{id}/versions"                    => datasets::versions;
    GET    "/api/v1/datasets/{id}/quality"                     => datasets::quality;
    GET    "/api/v1/datasets/{id}/rows"                        => datasets::rows;
    // Multipart file loads: up to 1 GiB, streamed; refused early by
    // Content-Length.
    POST   "/api/v1/datasets/{id}/loads"                       => datasets::load,
        layer axum::extract::DefaultBodyLimit::max(datasets::MAX_UPLOAD + 1024 * 1024),
        layer axum::middleware::from_fn(datasets::refuse_oversized);
    // Pushed JSON batches: up to 64 MiB.
    POST   "/api/v1/datasets/{id}/records"                     => datasets::records,
        layer axum::extract::DefaultBodyLimit::max(datasets::MAX_BATCH);
    GET    "/api/v1/datasets/{id}/pull-source"                 => datasets::get_pull_source;
    PUT    "/api/v1/datasets/{id}/pull-source"                 => datasets::put_pull_source;
    POST   "/api/v1/datasets/{id}/pull"                        => datasets::pull;
    GET    "/api/v1/supervision/stale"                         => datasets::stale;
    GET    "/api/v1/aggregation/exemptions"                    => datasets::exemptions;
    POST   "/api/v1/aggregation/exemptions"                    => datasets::file_exemption;

    GET    "/api/v1/base"                                      => base::list;
    POST   "/api/v1/base/{code}/fields"                        => base::contribute;
    GET    "/api/v1/base/{code}/records/{key}"                 => base::record;
    GET    "/api/v1/base/{code}/conflicts"                     => base::conflicts;

    POST   "/api/v1/share-requests"                            => sharing::create_request;
    GET    "/api/v1/share-requests"                            => sharing::list_requests;
    GET    "/api/v1/share-requests/{id}"                       => sharing::get_request;
    POST   "/api/v1/share-requests/{id}/decision"              => sharing::decide;
    GET    "/api/v1/grants"                                    => sharing::list_grants;
    POST   "/api/v1/grants"                                    => sharing::create_backflow;
    GET    "/api/v1/grants/{id}"                               => sharing::get_grant;
    POST   "/api/v1/grants/{id}/implement"                     => sharing::implement;
    POST   "/api/v1/grants/{id}/revoke"                        => sharing::revoke;
    POST   "/api/v1/grants/{id}/suspend"                       => sharing::suspend;
    POST   "/api/v1/grants/{id}/resume"                        => sharing::resume;
    POST   "/api/v1/grants/{id}/usage-reports"                 => sharing::usage_report;
    GET    "/api/v1/grants/{id}/push-target"                   => sharing::get_push_target;
    PUT    "/api/v1/grants/{id}/push-target"                   => sharing::put_push_target;
    POST   "/api/v1/grants/{id}/push"                          => sharing::push;
    POST   "/api/v1/grants/{id}/deliveries"                    => sharing::record_delivery;
    GET    "/api/v1/grants/{id}/export"                        => sharing::export;
    POST   "/api/v1/data-demands"                              => sharing::create_demand;
    GET    "/api/v1/data-demands"                              => sharing::list_demands;
    GET    "/api/v1/data-demands/{id}"                         => sharing::get_demand;
    POST   "/api/v1/data-demands/{id}/answer"                  => sharing::answer_demand;
    POST   "/api/v1/data-demands/{id}/entry"                   => sharing::link_demand;
    POST   "/api/v1/derivations"                               => derive::create;
    GET    "/api/v1/derivations"                               => derive::list;
    GET    "/api/v1/derivations/{id}"                          => derive::get;
    POST   "/api/v1/derivations/{id}/refresh"                  => derive::refresh;
    POST   "/api/v1/derivations/check"                         => derive::check;
    POST   "/api/v1/derivations/{id}/reid-check"               => derive::reid_check;
    GET    "/api/v1/masking-rules"                             => derive::masking_rules;
    GET    "/api/v1/synonyms"                                  => catalog::synonyms;
    PUT    "/api/v1/synonyms"                                  => catalog::put_synonyms;
    PUT    "/api/v1/masking-rules"                             => derive::put_masking_rules;
    GET    "/api/v1/disputes"                                  => disputes::list;
    POST   "/api/v1/disputes"                                  => disputes::create;
    GET    "/api/v1/disputes/{id}"                             => disputes::get;
    POST   "/api/v1/disputes/{id}/statements"                  => disputes::statement;
    POST   "/api/v1/disputes/{id}/escalation"                  => disputes::escalate;
    POST   "/api/v1/disputes/{id}/settlement"                  => disputes::settle;
    GET    "/api/v1/violations"                                => violations::list;
    POST   "/api/v1/violations"                                => violations::create;
    POST   "/api/v1/violations/checks"                         => violations::check;
    GET    "/api/v1/violations/{id}"                           => violations::get;
    POST   "/api/v1/violations/{id}/dismissal"                 => violations::dismiss;
    GET    "/api/v1/rectifications"                            => violations::rectifications;
    POST   "/api/v1/rectifications"                            => violations::issue;
    GET    "/api/v1/rectifications/{id}"                       => violations::rectification;
    POST   "/api/v1/rectifications/{id}/report"                => violations::report;
    POST   "/api/v1/rectifications/{id}/decision"              => violations::decide;
    POST   "/api/v1/objections"                                => objections::create;
    GET    "/api/v1/objections"                                => objections::list;
    GET    "/api/v1/objections/{id}"                           => objections::get;
    POST   "/api/v1/objections/{id}/resolution"                => objections::resolve;
    // Proof documents: up to 5 MiB (and the multipart envelope).
    POST   "/api/v1/objections/{id}/proofs"                    => objections::add_proof,
        layer axum::extract::DefaultBodyLimit::max(pubdata_domain::objection::MAX_PROOF_BYTES + 64 * 1024);
    GET    "/api/v1/objections/{id}/proofs/{proof_id}"         => objections::get_proof;
    POST   "/api/v1/operation/agreements"                      => operation::create;
    GET    "/api/v1/operation/agreements"                      => operation::list;
    GET    "/api/v1/operation/agreements/{id}"                 => operation::get;
    POST   "/api/v1/operation/agreements/{id}/filing"          => operation::file;
    POST   "/api/v1/operation/agreements/{id}/review"          => operation::review;
    POST   "/api/v1/operation/agreements/{id}/termination"     => operation::terminate;
    POST   "/api/v1/operation/agreements/{id}/revenue"         => operation::add_revenue;
    GET    "/api/v1/operation/agreements/{id}/revenue"         => operation::revenue;
    POST   "/api/v1/operation/arrangements"                    => operation::create_arrangement;
    GET    "/api/v1/operation/arrangements"                    => operation::list_arrangements;
    GET    "/api/v1/operation/arrangements/{id}"               => operation::get_arrangement;
    POST   "/api/v1/operation/arrangements/{id}/review"        => operation::review_arrangement;
    GET    "/api/v1/procurement/demands"                       => procurement::list;
    POST   "/api/v1/procurement/demands"                       => procurement::create;
    GET    "/api/v1/procurement/demands/{id}"                  => procurement::get;
    POST   "/api/v1/procurement/demands/{id}/evaluation"       => procurement::evaluate;
    POST   "/api/v1/procurement/demands/{id}/record"           => procurement::record;
    GET    "/api/v1/projects"                                  => projects::list;
    POST   "/api/v1/projects"                                  => projects::create;
    GET    "/api/v1/projects/{id}"                             => projects::get;
    GET    "/api/v1/projects/{id}/compliance"                  => projects::compliance;
    POST   "/api/v1/projects/{id}/acceptance"                  => projects::accept;
    GET    "/api/v1/open/products"                             => operation::products;
    POST   "/api/v1/open/products"                             => operation::add_product;
    GET    "/api/v1/security/orgs/{org_id}"                    => security::overview;
    PUT    "/api/v1/security/orgs/{org_id}/officer"            => security::put_officer;
    PUT    "/api/v1/security/orgs/{org_id}/settings"           => security::put_settings;
    POST   "/api/v1/security/orgs/{org_id}/records"            => security::add_record;
    POST   "/api/v1/security/reviews"                          => security::add_review;
    GET    "/api/v1/security/reviews"                          => security::reviews;
    GET    "/api/v1/security/alerts"                           => security::alerts;
    POST   "/api/v1/security/alerts/{id}/acknowledgement"      => security::acknowledge;
    GET    "/api/v1/open/datasets"                             => open::list;
    GET    "/api/v1/open/stats"                                => open::stats;
    GET    "/api/v1/supervision/figures"                       => supervision::figures;
    GET    "/api/v1/supervision/evaluation"                    => supervision::evaluation;
    GET    "/api/v1/supervision/figures/{org_id}/{figure}/items" => supervision::items;
    GET    "/api/v1/supervision/reports/{level_org_id}"        => supervision::report;
    GET    "/api/v1/supervision/reports/{year}.xlsx"           => supervision::report_xlsx,
        served_by "/api/v1/supervision/reports/{level_org_id}";
    GET    "/api/v1/supervision/reports/{year}.pdf"            => supervision::report_pdf,
        served_by "/api/v1/supervision/reports/{level_org_id}";
    GET    "/api/v1/open/datasets/{id}"                        => open::get;
    GET    "/api/v1/open/datasets/{id}/rows"                   => open::rows;
    GET    "/api/v1/open/datasets/{id}/download"               => open::download;
    GET    "/api/v1/open/dcat"                                 => open::dcat;
    POST   "/api/v1/open/applications"                         => open::apply;
    GET    "/api/v1/open/applications"                         => open::list_applications;
    GET    "/api/v1/open/applications/{id}"                    => open::get_application;
    POST   "/api/v1/open/applications/{id}/decision"           => open::decide_application;
    POST   "/api/v1/open/applications/{id}/agreement"          => open::accept_agreement;
    GET    "/api/v1/open/applications/{id}/rows"               => open::application_rows;
    GET    "/api/v1/open/applications/{id}/download"           => open::application_download;
    GET    "/api/v1/open/filings"                              => open_proposals::filings;
    POST   "/api/v1/catalog/entries/{id}/open-proposals"       => open_proposals::propose;
    GET    "/api/v1/open/proposals"                            => open_proposals::list;
    GET    "/api/v1/open/proposals/{id}"                       => open_proposals::get;
    POST   "/api/v1/open/proposals/{id}/answer"                => open_proposals::answer;
    POST   "/api/v1/open/proposals/{id}/escalation"            => open_proposals::escalate;
    POST   "/api/v1/open/proposals/{id}/government-decision"   => open_proposals::decide;
    GET    "/api/v1/open/priorities"                           => open_plans::priorities;
    PUT    "/api/v1/open/priorities/{year}"                    => open_plans::put_priorities;
    GET    "/api/v1/open/plans"                                => open_plans::list_plans;
    POST   "/api/v1/open/plans"                                => open_plans::create_plan;
    GET    "/api/v1/open/plans/{id}"                           => open_plans::get_plan;
    PUT    "/api/v1/open/plans/{id}"                           => open_plans::edit_plan;
    POST   "/api/v1/open/plans/{id}/filing"                    => open_plans::file_plan;
    POST   "/api/v1/open/plans/{id}/review"                    => open_plans::review_plan;
    GET    "/api/v1/open/catalogue"                            => open_plans::catalogue;
    GET    "/api/v1/open/responsibility/{org_id}"              => open_plans::responsibility;
    PUT    "/api/v1/open/responsibility/{org_id}"              => open_plans::put_responsibility;
    GET    "/api/v1/data/{dataset_id}"                         => sharing::data;
    POST   "/api/v1/verify/{dataset_id}"                       => sharing::verify;
}

page_routes! {
    GET    "/healthz"                                 => health::healthz;
    GET    "/readyz"                                  => health::readyz;
    GET    "/metrics"                                 => health::metrics;
    GET    "/static/app.css"                          => pages::stylesheet;
    GET    "/static/open.js"                          => pages::open::script;
    GET    "/static/open-charts.js"                   => pages::open::charts_script;
    GET    "/static/supervision-charts.js"            => pages::supervision::charts_script;
    GET    "/static/vendor/echarts.min.js"            => pages::open::echarts;

    GET    "/login"                                   => pages::login::page;
    POST   "/login"                                   => pages::login::submit;
    POST   "/logout"                                  => pages::login::logout;
    GET    "/lang"                                    => pages::login::switch_lang;
    GET    "/"                                        => pages::home::page;
    GET    "/open"                                    => pages::open::portal;
    GET    "/open/datasets/{id}"                      => pages::open::dataset;
    GET    "/open/products"                           => pages::operation::products_page;
    GET    "/operation"                               => pages::operation::list_page;
    GET    "/operation/agreements/new"                => pages::operation::new_page;
    POST   "/operation/agreements/new"                => pages::operation::create;
    GET    "/operation/agreements/{id}"               => pages::operation::detail;
    POST   "/operation/agreements/{id}/filing"        => pages::operation::file;
    POST   "/operation/agreements/{id}/review"        => pages::operation::review;
    POST   "/operation/agreements/{id}/termination"   => pages::operation::terminate;
    POST   "/operation/agreements/{id}/revenue"       => pages::operation::add_revenue;
    POST   "/operation/arrangements/new"              => pages::operation::create_arrangement;
    GET    "/operation/arrangements/{id}"             => pages::operation::arrangement;
    POST   "/operation/arrangements/{id}/review"      => pages::operation::review_arrangement;
    GET    "/violations"                              => pages::violations::list_page;
    POST   "/violations"                              => pages::violations::create;
    POST   "/violations/checks"                       => pages::violations::check;
    GET    "/violations/{id}"                         => pages::violations::violation_page;
    POST   "/violations/{id}/notice"                  => pages::violations::notify;
    POST   "/violations/{id}/dismissal"               => pages::violations::dismiss;
    GET    "/rectifications/{id}"                     => pages::violations::notice_page;
    POST   "/rectifications/{id}/report"              => pages::violations::report;
    POST   "/rectifications/{id}/decision"            => pages::violations::decide;
    GET    "/procurement"                             => pages::procurement::list_page;
    POST   "/procurement/demands/new"                 => pages::procurement::create;
    GET    "/procurement/demands/{id}"                => pages::procurement::detail;
    POST   "/procurement/demands/{id}/evaluation"     => pages::procurement::evaluate;
    POST   "/procurement/demands/{id}/record"         => pages::procurement::record;
    GET    "/projects"                                => pages::projects::list_page;
    POST   "/projects/new"                            => pages::projects::create;
    GET    "/projects/{id}"                           => pages::projects::detail;
    POST   "/projects/{id}/acceptance"                => pages::projects::accept;
    GET    "/open/stats"                              => pages::open::stats_page;
    GET    "/supervision"                             => pages::supervision::dashboard;
    GET    "/supervision/items"                       => pages::supervision::items;
    GET    "/supervision/report"                      => pages::supervision::report_page;
    GET    "/open/plans"                              => pages::open_plans::portal_plans;
    GET    "/open/catalogue"                          => pages::open_plans::portal_catalogue;
    GET    "/plans"                                   => pages::open_plans::workspace;
    POST   "/plans/new"                               => pages::open_plans::create;
    POST   "/plans/priorities"                        => pages::open_plans::put_priorities;
    GET    "/plans/responsibility"                    => pages::open_plans::responsibility_page;
    POST   "/plans/responsibility"                    => pages::open_plans::put_responsibility;
    GET    "/plans/{id}"                              => pages::open_plans::plan_page;
    POST   "/plans/{id}/items"                        => pages::open_plans::add_item;
    POST   "/plans/{id}/items/{index}/remove"         => pages::open_plans::remove_item;
    POST   "/plans/{id}/filing"                       => pages::open_plans::file;
    POST   "/plans/{id}/review"                       => pages::open_plans::review;
    GET    "/open/applications"                       => pages::open_applications::list;
    GET    "/open/applications/new"                   => pages::open_applications::new_page;
    POST   "/open/applications/new"                   => pages::open_applications::apply;
    GET    "/open/applications/{id}"                  => pages::open_applications::detail;
    GET    "/open/filings"                            => pages::open_proposals::filings_page;
    POST   "/catalog/entries/{id}/open-proposals"     => pages::open_proposals::propose;
    GET    "/open/proposals/{id}"                     => pages::open_proposals::proposal_page;
    POST   "/open/proposals/{id}/answer"              => pages::open_proposals::answer;
    POST   "/open/proposals/{id}/escalation"          => pages::open_proposals::escalate;
    POST   "/open/proposals/{id}/government-decision" => pages::open_proposals::decide;
    POST   "/open/applications/{id}/decision"         => pages::open_applications::decide;
    POST   "/open/applications/{id}/agreement"        => pages::open_applications::accept;

    GET    "/orgs"                                    => pages::admin::orgs_page;
    POST   "/orgs"                                    => pages::admin::create_org;
    GET    "/orgs/{id}"                               => pages::admin::org_page;
    POST   "/orgs/{id}"                               => pages::admin::update_org;
    GET    "/users"                                   => pages::admin::users_page;
    POST   "/users"                                   => pages::admin::create_user;
    GET    "/users/{id}"                              => pages::admin::user_page;
    POST   "/users/{id}"                              => pages::admin::update_user;
    POST   "/users/{id}/roles"                        => pages::admin::grant_role;
    POST   "/users/{id}/roles/{grant}/revoke"         => pages::admin::revoke_role;
    GET    "/security"                                => pages::security::security_page;
    POST   "/security/orgs/{org}/officer"             => pages::security::put_officer;
    POST   "/security/orgs/{org}/settings"            => pages::security::put_settings;
    POST   "/security/orgs/{org}/records"             => pages::security::add_record;
    POST   "/security/reviews"                        => pages::security::add_review;
    POST   "/security/alerts/{id}/acknowledgement"    => pages::security::acknowledge;
    GET    "/inbox"                                   => pages::reminders::inbox_page;
    POST   "/inbox/{id}/read"                         => pages::reminders::mark_read;
    POST   "/inbox/webhook"                           => pages::reminders::put_webhook;
    GET    "/tokens"                                  => pages::admin::tokens_page;
    POST   "/tokens"                                  => pages::admin::create_token;
    POST   "/tokens/{id}/revoke"                      => pages::admin::revoke_token;

    GET    "/calendar"                                => pages::calendar::page;
    POST   "/calendar/years"                          => pages::calendar::put_year;
    GET    "/audit"                                   => pages::calendar::audit_page;
    GET    "/system"                                  => pages::calendar::system_page;

    GET    "/catalog"                                 => pages::catalog::browse;
    GET    "/catalog/new"                             => pages::catalog::new_page;
    POST   "/catalog/new"                             => pages::catalog::create;
    GET    "/catalog/review"                          => pages::catalog::review_page;
    GET    "/catalog/scheme"                          => pages::catalog::scheme_page;
    POST   "/catalog/scheme/grades"                   => pages::catalog::put_grade;
    POST   "/catalog/scheme/classes"                  => pages::catalog::put_class;
    POST   "/catalog/scheme/synonyms"                 => pages::catalog::put_synonyms;
    GET    "/catalog/entries/{id}"                    => pages::catalog::entry_page;
    GET    "/catalog/entries/{id}/edit"               => pages::catalog::edit_page;
    POST   "/catalog/entries/{id}/edit"               => pages::catalog::edit;
    POST   "/catalog/entries/{id}/submit"             => pages::catalog::submit;
    POST   "/catalog/entries/{id}/consent"            => pages::catalog::consent;
    POST   "/catalog/entries/{id}/review"             => pages::catalog::review;
    POST   "/catalog/entries/{id}/delist"             => pages::catalog::delist;
    POST   "/catalog/entries/{id}/update-obligation"  => pages::catalog::obligation;
    GET    "/collection"                              => pages::catalog::collection_page;
    POST   "/collection"                              => pages::catalog::declare;

    GET    "/sharing"                                 => pages::sharing::overview;
    POST   "/sharing/backflow"                        => pages::sharing::create_backflow;
    GET    "/sharing/new"                             => pages::sharing::new_page;
    POST   "/sharing/new"                             => pages::sharing::create;
    GET    "/sharing/requests/{id}"                   => pages::sharing::request_page;
    GET    "/sharing/demands"                         => pages::sharing::demands_page;
    POST   "/sharing/demands"                         => pages::sharing::file_demand;
    GET    "/sharing/demands/{id}"                    => pages::sharing::demand_page;
    POST   "/sharing/demands/{id}/answer"             => pages::sharing::answer_demand;
    POST   "/sharing/requests/{id}/decision"          => pages::sharing::decide;
    GET    "/sharing/derivations"                     => pages::derive::list_page;
    GET    "/sharing/derivations/new"                 => pages::derive::new_page;
    POST   "/sharing/derivations/new"                 => pages::derive::create;
    GET    "/sharing/derivations/{id}"                => pages::derive::detail;
    POST   "/sharing/derivations/{id}/refresh"        => pages::derive::refresh;
    POST   "/sharing/derivations/{id}/reid-check"     => pages::derive::reid_check;
    POST   "/sharing/masking-rules"                   => pages::derive::put_rules;
    GET    "/sharing/grants/{id}"                     => pages::sharing::grant_page;
    GET    "/objections"                              => pages::objections::list_page;
    GET    "/objections/new"                          => pages::objections::new_page;
    POST   "/objections/new"                          => pages::objections::create;
    GET    "/objections/{id}"                         => pages::objections::detail;
    POST   "/objections/{id}/resolution"              => pages::objections::resolve;
    POST   "/objections/{id}/proofs"                  => pages::objections::upload_proof,
        layer axum::extract::DefaultBodyLimit::max(pubdata_domain::objection::MAX_PROOF_BYTES + 64 * 1024);
    GET    "/objections/{id}/proofs/{proof_id}"       => pages::objections::proof;
    GET    "/disputes"                                => pages::disputes::list_page;
    GET    "/disputes/new"                            => pages::disputes::new_page;
    POST   "/disputes/new"                            => pages::disputes::create;
    GET    "/disputes/{id}"                           => pages::disputes::detail;
    POST   "/disputes/{id}/statements"                => pages::disputes::statement;
    POST   "/disputes/{id}/escalation"                => pages::disputes::escalate;
    POST   "/disputes/{id}/settlement"                => pages::disputes::settle;
    // export.csv or export.xlsx
    GET    "/sharing/grants/{id}/{action}"            => pages::sharing::export;
    POST   "/sharing/grants/{id}/deliveries"          => pages::sharing::record_delivery;
    POST   "/sharing/grants/{id}/verify"              => pages::sharing::verify;
    POST   "/sharing/grants/{id}/usage-reports"       => pages::sharing::usage_report;
    POST   "/sharing/grants/{id}/push-target"         => pages::sharing::put_push_target;
    POST   "/sharing/grants/{id}/{action}"            => pages::sharing::grant_action;

    GET    "/datasets"                                => pages::datasets::list;
    POST   "/datasets"                                => pages::datasets::create;
    POST   "/datasets/exemptions"                     => pages::datasets::file_exemption;
    GET    "/datasets/{id}"                           => pages::datasets::detail;
    POST   "/datasets/{id}/pull-source"               => pages::datasets::put_pull_source;
    POST   "/datasets/{id}/pull"                      => pages::datasets::pull_now;
    // The page form of a file load: same limits as the API's.
    POST   "/datasets/{id}/upload"                    => pages::datasets::upload,
        layer axum::extract::DefaultBodyLimit::max(datasets::MAX_UPLOAD + 1024 * 1024),
        layer axum::middleware::from_fn(datasets::refuse_oversized);
    GET    "/base"                                    => pages::bases::page;
    POST   "/base/{code}/fields"                      => pages::bases::contribute;
}

/// Schema names seen so far, with their schema.
type SchemaNames = std::collections::BTreeMap<String, RefOr<Schema>>;

/// The API operation of one row, after checking that its handler's
/// `#[utoipa::path]` annotation names the same method and path, and that
/// no schema it uses shares its name with a different one (two types named
/// alike would otherwise silently document one in place of the other).
fn as_annotated(
    schemas: &mut SchemaNames,
    method: &str,
    path: &str,
    r: UtoipaMethodRouter<AppState>,
) -> UtoipaMethodRouter<AppState> {
    let annotated: Vec<(String, Vec<&str>)> =
        r.1.paths
            .iter()
            .map(|(p, item)| (p.clone(), methods_of(item)))
            .collect();
    let same = annotated.len() == 1
        && annotated[0].0 == path
        && annotated[0].1 == [method.to_ascii_lowercase()];
    assert!(
        same,
        "router.rs routes {method} {path}, but the handler's #[utoipa::path] says {annotated:?}"
    );
    for (name, schema) in &r.0 {
        if let Some(seen) = schemas.insert(name.clone(), schema.clone()) {
            assert!(
                seen == *schema,
                "two different schemas are named {name} (seen again at {method} {path}): rename one with #[schema(as = …)]"
            );
        }
    }
    r
}

fn methods_of(item: &PathItem) -> Vec<&'static str> {
    [
        ("get", item.get.is_some()),
        ("put", item.put.is_some()),
        ("post", item.post.is_some()),
        ("delete", item.delete.is_some()),
        ("options", item.options.is_some()),
        ("head", item.head.is_some()),
        ("patch", item.patch.is_some()),
        ("trace", item.trace.is_some()),
    ]
    .into_iter()
    .filter(|(_, present)| *present)
    .map(|(m, _)| m)
    .collect()
}

/// The API routes and their OpenAPI document (with the common problem
/// responses added to every operation).
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (routes, mut doc) = api_operations().split_for_parts();
    crate::api::complete(&mut doc);
    (routes, doc)
}

/// Every route, without the middleware stack: the API (with its document at
/// `/api/v1/openapi.json`), the pages, health, metrics and static files.
/// Unknown paths answer 404 and known paths with another method 405, both
/// as problem+json.
pub fn routes() -> Router<AppState> {
    let (api, doc) = api();
    let doc = std::sync::Arc::new(doc);
    api.route(
        "/api/v1/openapi.json",
        get(move || {
            let doc = doc.clone();
            async move { axum::Json((*doc).clone()) }
        }),
    )
    .merge(foreign_api_operations())
    // Page errors render as the error page in the request's language.
    .merge(page_operations().layer(axum::middleware::from_fn(pages::render_errors)))
    .fallback(|| async { ApiError::not_found() })
    .method_not_allowed_fallback(|| async {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "this resource does not accept that method",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_api_row_matches_its_annotation_and_is_documented() {
        let (_, doc) = api();
        let mut documented: Vec<(String, String)> = doc
            .paths
            .paths
            .iter()
            .flat_map(|(p, item)| {
                methods_of(item)
                    .into_iter()
                    .map(|m| (m.to_ascii_uppercase(), p.clone()))
            })
            .collect();
        let mut routed: Vec<(String, String)> = API_ROUTES
            .iter()
            .map(|(m, p)| (m.to_string(), p.to_string()))
            .collect();
        documented.sort();
        routed.sort();
        assert_eq!(routed, documented);
    }

    #[test]
    fn every_reference_in_the_document_resolves() {
        let (_, doc) = api();
        let json = serde_json::to_value(&doc).unwrap();
        let mut refs = vec![];
        fn walk(v: &serde_json::Value, refs: &mut Vec<String>) {
            match v {
                serde_json::Value::Object(m) => {
                    if let Some(serde_json::Value::String(r)) = m.get("$ref") {
                        refs.push(r.clone());
                    }
                    m.values().for_each(|x| walk(x, refs));
                }
                serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, refs)),
                _ => {}
            }
        }
        walk(&json, &mut refs);
        assert!(!refs.is_empty());
        for r in refs {
            let pointer = r.strip_prefix('#').expect("a local reference");
            assert!(json.pointer(pointer).is_some(), "{r} does not resolve");
        }
    }

    #[test]
    fn foreign_api_routes_are_api_paths_outside_the_document() {
        let (_, doc) = api();
        assert!(!FOREIGN_API_ROUTES.is_empty());
        for (_, path) in FOREIGN_API_ROUTES {
            assert!(path.starts_with("/api/") && !path.starts_with("/api/v1/"));
            assert!(!doc.paths.paths.contains_key(*path));
        }
    }

    #[test]
    fn pages_build() {
        let _ = routes();
        assert!(PAGE_ROUTES.iter().all(|(_, p)| !p.starts_with("/api/")));
    }
}
