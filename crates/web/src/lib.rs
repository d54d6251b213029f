//! The HTTP face of mamori: server-rendered pages for people and a JSON API for programs,
//! both thin layers over the use cases in `mamori-app`.

mod api;
mod assets;
mod error;
mod extract;
mod i18n;
pub mod metrics;
mod pages;
mod rulebooks;
mod security;
mod serve;
mod throttle;
pub mod tls;
mod upload;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use mamori_app::App;

pub use i18n::Tr;
pub use serve::{serve, serve_with};

/// Largest request body accepted anywhere (forms and JSON are small; attachments will
/// get their own, larger limit on their own routes).
pub const BODY_LIMIT: usize = 64 * 1024;

/// How the server presents itself.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The origin browsers use, e.g. `https://mamori.example.go.jp`. Cross-site checks
    /// compare against it, and an `https` origin makes cookies `Secure` and `__Host-`.
    pub public_origin: String,
}

impl WebConfig {
    /// Whether cookies must be sent over HTTPS only.
    pub fn secure_cookies(&self) -> bool {
        self.public_origin.starts_with("https://")
    }

    /// The session cookie's name (`__Host-` pins it to this host over HTTPS).
    pub fn session_cookie(&self) -> &'static str {
        if self.secure_cookies() {
            "__Host-mamori_session"
        } else {
            "mamori_session"
        }
    }
}

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    /// The use cases.
    pub app: App,
    /// Presentation settings.
    pub web: Arc<WebConfig>,
    /// The one-time token that opens the first-run page while no administrator exists.
    pub first_run_token: Arc<Mutex<Option<String>>>,
    /// Failures per client address.
    throttle: Arc<throttle::Throttle>,
    /// The figures `/metrics` exposes, when the operator turned them on.
    metrics: Option<Arc<metrics::Metrics>>,
}

impl AppState {
    /// Builds the state; `first_run_token` is set when the server found no administrator.
    pub fn new(app: App, web: WebConfig, first_run_token: Option<String>) -> Self {
        i18n::learn_library_roles(app.libraries());
        let throttle = Arc::new(throttle::Throttle::new(&app.settings().edge));
        Self {
            throttle,
            app,
            web: Arc::new(web),
            first_run_token: Arc::new(Mutex::new(first_run_token)),
            metrics: None,
        }
    }

    /// The same state, measuring requests into `metrics`.
    pub fn with_metrics(mut self, metrics: Arc<metrics::Metrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }
}

/// The whole application: pages, API, assets, health, and the security layers.
pub fn router(state: AppState) -> Router {
    let (api, openapi) = api::router().split_for_parts();
    let openapi = Arc::new(openapi);
    Router::new()
        .merge(pages::router())
        .merge(api)
        .route(
            "/api/v1/openapi.json",
            axum::routing::get(move || {
                let doc = openapi.clone();
                async move { axum::Json(doc.as_ref().clone()) }
            }),
        )
        .route("/healthz", axum::routing::get(health))
        .merge(assets::router())
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::cross_site_guard,
        ))
        // Outside the cross-site guard, so that its refusals count as failures too.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            throttle::guard,
        ))
        .layer(axum::middleware::from_fn(error::render))
        .layer(axum::middleware::from_fn(security::headers))
        // Outermost: the latency counts every layer, and the span and its id cover them.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::measure,
        ))
        .layer(tracing_layer())
        .layer(tower_http::request_id::PropagateRequestIdLayer::x_request_id())
        .layer(tower_http::request_id::SetRequestIdLayer::x_request_id(
            tower_http::request_id::MakeRequestUuid,
        ))
        .with_state(state)
}

type ServerErrors =
    tower_http::classify::SharedClassifier<tower_http::classify::ServerErrorsAsFailures>;
type MakeSpan = fn(&axum::http::Request<axum::body::Body>) -> tracing::Span;

/// A span per request, named by its id (given by a proxy in `X-Request-Id`, or made here
/// and sent back in the answer) and its route pattern, so that every line a request logs
/// can be found together. Answers are logged at debug level, server errors as errors.
fn tracing_layer() -> tower_http::trace::TraceLayer<ServerErrors, MakeSpan> {
    fn span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
        let id = request
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        let route = request
            .extensions()
            .get::<axum::extract::MatchedPath>()
            .map_or("unmatched", |m| m.as_str());
        tracing::info_span!("request", id, method = %request.method(), route)
    }
    tower_http::trace::TraceLayer::new_for_http().make_span_with(span as fn(&_) -> _)
}

/// The OpenAPI document, for tests and for `mamori` to print.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api::router().split_for_parts().1
}

async fn health(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match state.app.ping().await {
        Ok(()) => axum::Json(serde_json::json!({ "status": "ok" })).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(serde_json::json!({ "status": "unavailable" })),
            )
                .into_response()
        }
    }
}
