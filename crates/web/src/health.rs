//! `/healthz`, `/readyz` and `/metrics` (Prometheus text format).

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabels {
    job: String,
    /// `ran`, `skipped` (another server holds the lease) or `failed`.
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AlertLabels {
    /// `volume`, `odd_hours` or `enumeration`.
    kind: String,
}

type Hist = Family<RouteLabels, Histogram, fn() -> Histogram>;

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    duration: Hist,
    jobs: Family<JobLabels, Counter>,
    /// Unusual-access alerts ever raised, and those not acknowledged, by
    /// kind (SEC-3): read from the database at each scrape, so every
    /// server reports the platform's figures.
    alerts: Family<AlertLabels, Gauge>,
    alerts_open: Family<AlertLabels, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("pubdata");
        let requests = Family::<RequestLabels, Counter>::default();
        let duration: Hist =
            Family::new_with_constructor(|| Histogram::new(exponential_buckets(0.0005, 2.0, 16)));
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route",
            duration.clone(),
        );
        let jobs = Family::<JobLabels, Counter>::default();
        registry.register(
            "background_jobs",
            "Background job ticks of this server by outcome",
            jobs.clone(),
        );
        let alerts = Family::<AlertLabels, Gauge>::default();
        registry.register(
            "security_alerts",
            "Unusual-access alerts raised, by kind",
            alerts.clone(),
        );
        let alerts_open = Family::<AlertLabels, Gauge>::default();
        registry.register(
            "security_alerts_open",
            "Unusual-access alerts not yet acknowledged, by kind",
            alerts_open.clone(),
        );
        Metrics {
            registry,
            requests,
            duration,
            jobs,
            alerts,
            alerts_open,
        }
    }

    /// Counts one tick of a background job.
    pub fn job(&self, job: &str, outcome: &str) {
        self.jobs
            .get_or_create(&JobLabels {
                job: job.into(),
                outcome: outcome.into(),
            })
            .inc();
    }
}

/// Counts and times every request by its route template.
pub async fn track(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let start = Instant::now();
    let res = next.run(req).await;
    s.metrics
        .requests
        .get_or_create(&RequestLabels {
            method,
            route: route.clone(),
            status: res.status().as_u16(),
        })
        .inc();
    s.metrics
        .duration
        .get_or_create(&RouteLabels { route })
        .observe(start.elapsed().as_secs_f64());
    res
}

pub async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the database answers.
pub async fn readyz(State(s): State<AppState>) -> Response {
    match s.app.ping().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "database not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

pub async fn metrics(State(s): State<AppState>) -> Response {
    match s.app.security_alert_counts().await {
        Ok(counts) => {
            for c in counts {
                let l = AlertLabels {
                    kind: c.kind.as_str().into(),
                };
                s.metrics.alerts.get_or_create(&l).set(c.total);
                s.metrics.alerts_open.get_or_create(&l).set(c.open);
            }
        }
        Err(e) => tracing::warn!(error = %e, "alert counts unavailable for /metrics"),
    }
    let mut out = String::new();
    if prometheus_client::encoding::text::encode(&mut out, &s.metrics.registry).is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        out,
    )
        .into_response()
}
