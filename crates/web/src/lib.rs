//! HTTP layer of pubdata: `/api/v1` JSON API, server-rendered pages,
//! health and metrics. [`router`] lists every route.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use pubdata_service::App;
use pubdata_service::jobs::Job;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub mod api;
pub mod error;
pub mod extract;
pub mod health;
pub mod pages;

use error::ApiError;

/// Largest request body accepted by the JSON API (uploads get their own limits).
pub const MAX_BODY: usize = 1024 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub app: Arc<App>,
    pub templates: Arc<pages::Templates>,
    pub metrics: Arc<health::Metrics>,
    /// Mark cookies `Secure` (the platform is reached over HTTPS, e.g.
    /// behind a TLS-terminating load balancer).
    pub secure_cookies: bool,
}

impl AppState {
    pub fn new(app: Arc<App>) -> Self {
        AppState {
            app,
            templates: Arc::new(pages::Templates::new()),
            metrics: Arc::new(health::Metrics::new()),
            secure_cookies: false,
        }
    }
}

/// The OpenAPI document of every `/api/v1` route.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api::router().split_for_parts().1
}

/// Every route of the platform, with the middleware stack.
pub fn router(state: AppState) -> Router {
    let (api, doc) = api::router().split_for_parts();
    let doc = Arc::new(doc);
    let api = api
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let doc = doc.clone();
                async move { axum::Json((*doc).clone()) }
            }),
        )
        .fallback(|| async { ApiError::not_found() })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this resource does not accept that method",
            )
        });

    let x_request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .merge(api)
        // Page errors render as the error page in the request's language.
        .merge(pages::router().layer(axum::middleware::from_fn(pages::render_errors)))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn_with_state(state.clone(), health::track))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request<_>| {
                    let id = req
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
                })
                .on_request(())
                .on_response(
                    |res: &Response, latency: Duration, _span: &tracing::Span| {
                        tracing::info!(status = res.status().as_u16(), latency_us = latency.as_micros() as u64, "response");
                    },
                ),
        )
        .layer(PropagateRequestIdLayer::new(x_request_id.clone()))
        .layer(SetRequestIdLayer::new(x_request_id, RequestIds::default()))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error").into_response()
        }))
        .layer(security_header("x-content-type-options", "nosniff"))
        .layer(security_header("x-frame-options", "DENY"))
        .layer(security_header("referrer-policy", "same-origin"))
        .layer(security_header("cross-origin-opener-policy", "same-origin"))
        .layer(security_header(
            "content-security-policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ))
        .with_state(state)
}

/// Request ids: a random per-process prefix and a counter — unique without a
/// random-number syscall per request.
#[derive(Clone)]
struct RequestIds {
    prefix: Arc<str>,
    next: Arc<std::sync::atomic::AtomicU64>,
}

impl Default for RequestIds {
    fn default() -> Self {
        RequestIds {
            prefix: format!("{:08x}", rand::random::<u32>()).into(),
            next: Arc::new(std::sync::atomic::AtomicU64::new(1)),
        }
    }
}

impl MakeRequestId for RequestIds {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        HeaderValue::from_str(&format!("{}-{n:x}", self.prefix))
            .ok()
            .map(RequestId::new)
    }
}

fn security_header(name: &'static str, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(
        HeaderName::from_static(name),
        HeaderValue::from_static(value),
    )
}

/// A job's period; `PUBDATA_JOB_PERIOD_SECS` shortens every period (tests
/// of several servers).
fn job_period(job: Job) -> Duration {
    std::env::var("PUBDATA_JOB_PERIOD_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map(Duration::from_secs)
        .unwrap_or_else(|| job.every())
}

/// Serves until `shutdown` resolves, then finishes in-flight requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Arc<App>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_state(listener, AppState::new(app), shutdown).await
}

/// [`serve`] with a prepared state (options such as `secure_cookies`).
pub async fn serve_state(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = state.app.clone();
    // Background jobs: token uses in batches, calendar refresh, the deadline
    // sweep (deadlines turn overdue by themselves) and scheduled pulls; the
    // last two on one server at a time (leases, see pubdata_service::jobs).
    let jobs: Vec<_> = Job::ALL
        .into_iter()
        .map(|job| {
            let app = app.clone();
            let metrics = state.metrics.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(job_period(job));
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tick.tick().await;
                    let outcome = match app.run_job(job).await {
                        Ok(true) => "ran",
                        Ok(false) => "skipped",
                        Err(e) => {
                            tracing::warn!(job = job.name(), error = %e, "background job failed");
                            "failed"
                        }
                    };
                    metrics.job(job.name(), outcome);
                }
            })
        })
        .collect();
    let r = axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    for j in jobs {
        j.abort();
    }
    let _ = app.flush_token_uses().await;
    r
}
