//! `/metrics` in the Prometheus (OpenMetrics) text format, for an office's monitoring.
//!
//! Off unless `--metrics-bind` is given, and then served on that address only, never next
//! to the application: the figures say how busy the installation is and how far behind
//! its e-mail runs, which is nobody's business on the office network at large.
//!
//! Request latency is measured per route pattern (`/cases/{id}`, not each case), so the
//! number of series stays fixed whatever people open. The backlog figures are read from
//! the database at each scrape, so every server of an installation reports the same.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
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

/// How often the scheduler runs; lag is measured against it.
pub const SCHEDULER_PERIOD: Duration = Duration::from_secs(15);

/// One series of request latency.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    /// The route's pattern, or `unmatched` for what no route answers.
    route: String,
    /// `2xx`, `4xx`, …
    status: String,
}

/// Every figure this server exposes.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Histogram, fn() -> Histogram>,
    outbox_depth: Gauge,
    outbox_oldest: Gauge<f64, AtomicU64>,
    scheduler_lag: Gauge<f64, AtomicU64>,
    scheduler_run: Gauge<f64, AtomicU64>,
    pool_connections: Gauge,
    pool_idle: Gauge,
    audit_events: Counter,
    /// Microseconds after `started` at which the scheduler last finished a run.
    scheduler_done_us: AtomicI64,
    started: Instant,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

fn latency_histogram() -> Histogram {
    // 1 ms to about 16 s, doubling: a page answers in milliseconds, a large export in
    // seconds, and anything slower is a problem whatever its exact figure.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh set of figures, registered under `mamori_`.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("mamori");
        let requests = Family::<RequestLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        registry.register(
            "http_request_duration_seconds",
            "Time from a request's arrival to its answer, per route pattern",
            requests.clone(),
        );
        let outbox_depth = Gauge::default();
        registry.register(
            "outbox_depth",
            "E-mails written but not yet handed to the mail server",
            outbox_depth.clone(),
        );
        let outbox_oldest = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "outbox_oldest_age_seconds",
            "How long the oldest e-mail in the outbox has waited (0 when none waits)",
            outbox_oldest.clone(),
        );
        let scheduler_lag = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "scheduler_lag_seconds",
            "How far this server's scheduler (deadlines, rounds, e-mail, anchors) is behind its 15-second period",
            scheduler_lag.clone(),
        );
        let scheduler_run = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "scheduler_run_duration_seconds",
            "How long this server's last scheduler run took",
            scheduler_run.clone(),
        );
        let pool_connections = Gauge::default();
        registry.register(
            "db_pool_connections",
            "Database connections this server holds (SQLite: the readers)",
            pool_connections.clone(),
        );
        let pool_idle = Gauge::default();
        registry.register(
            "db_pool_idle_connections",
            "Idle database connections among them",
            pool_idle.clone(),
        );
        let audit_events = Counter::default();
        registry.register(
            "audit_events",
            "Events in the audit trail; rate() of it gives events per second",
            audit_events.clone(),
        );
        Self {
            registry,
            requests,
            outbox_depth,
            outbox_oldest,
            scheduler_lag,
            scheduler_run,
            pool_connections,
            pool_idle,
            audit_events,
            scheduler_done_us: AtomicI64::new(-1),
            started: Instant::now(),
        }
    }

    /// Called by the scheduler after each run, with how long the run took.
    pub fn scheduler_ran(&self, took: Duration) {
        self.scheduler_run.set(took.as_secs_f64());
        let at = i64::try_from(self.started.elapsed().as_micros()).unwrap_or(i64::MAX);
        self.scheduler_done_us.store(at, Ordering::Relaxed);
    }

    fn observe_request(&self, labels: RequestLabels, took: Duration) {
        self.requests
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
    }

    /// The text a scrape answers, with the database's figures read now.
    async fn render(&self, state: &AppState) -> Result<String, mamori_app::AppError> {
        let seen = state.app.observe().await?;
        self.outbox_depth.set(seen.outbox_depth);
        self.outbox_oldest.set(seen.outbox_oldest_seconds);
        self.pool_connections.set(i64::from(seen.pool_connections));
        self.pool_idle
            .set(i64::try_from(seen.pool_idle).unwrap_or(i64::MAX));
        // A counter only goes up: it follows the head (a new process starts from zero,
        // which Prometheus reads as a restart).
        let counted = i64::try_from(self.audit_events.get()).unwrap_or(i64::MAX);
        if seen.audit_events > counted {
            self.audit_events
                .inc_by(u64::try_from(seen.audit_events - counted).unwrap_or(0));
        }
        let done = self.scheduler_done_us.load(Ordering::Relaxed);
        // Before the first run, the lag counts from the start.
        let since = self.started.elapsed().as_secs_f64() - done.max(0) as f64 / 1e6;
        self.scheduler_lag
            .set((since - SCHEDULER_PERIOD.as_secs_f64()).max(0.0));
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .map_err(|e| mamori_app::AppError::Internal(e.to_string()))?;
        Ok(text)
    }
}

/// Measures each request's latency under its route pattern, when the figures are on.
pub(crate) async fn measure(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let Some(metrics) = state.metrics.clone() else {
        return next.run(request).await;
    };
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    let status = format!("{}xx", response.status().as_u16() / 100);
    metrics.observe_request(
        RequestLabels {
            method,
            route,
            status,
        },
        started.elapsed(),
    );
    response
}

/// The router of the metrics address: `/metrics` and nothing else.
pub fn router(state: AppState, metrics: Arc<Metrics>) -> Router {
    Router::new()
        .route(
            "/metrics",
            axum::routing::get(move |State(state): State<AppState>| async move {
                match metrics.render(&state).await {
                    Ok(text) => (
                        [(
                            header::CONTENT_TYPE,
                            "application/openmetrics-text; version=1.0.0; charset=utf-8",
                        )],
                        text,
                    )
                        .into_response(),
                    Err(e) => {
                        tracing::error!(error = %e, "metrics: the database did not answer");
                        StatusCode::SERVICE_UNAVAILABLE.into_response()
                    }
                }
            }),
        )
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_per_route_pattern_and_status_class() {
        let m = Metrics::new();
        for _ in 0..3 {
            m.observe_request(
                RequestLabels {
                    method: "GET".into(),
                    route: "/cases/{id}".into(),
                    status: "2xx".into(),
                },
                Duration::from_millis(3),
            );
        }
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &m.registry).unwrap();
        assert!(
            text.contains(
                r#"mamori_http_request_duration_seconds_count{method="GET",route="/cases/{id}",status="2xx"} 3"#
            ),
            "{text}"
        );
        // 3 ms falls in the 4 ms bucket and those above it, not in the 2 ms one.
        assert!(
            text.contains(r#"{le="0.002",method="GET",route="/cases/{id}",status="2xx"} 0"#)
                && text.contains(r#"{le="0.004",method="GET",route="/cases/{id}",status="2xx"} 3"#),
            "{text}"
        );
    }
}
