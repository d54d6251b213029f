//! Headers every response carries, and the refusal of state-changing requests that a
//! browser says come from another site.

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::error::Failure;

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
                   form-action 'self'; frame-ancestors 'none'";

/// Adds the security headers; pages that show personal data are never cached.
pub async fn headers(req: Request, next: Next) -> Response {
    let is_asset = req.uri().path().starts_with("/assets/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if !is_asset {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// Refuses a state-changing request that a browser marks as cross-site (by
/// `Sec-Fetch-Site`, or an `Origin` that is neither ours nor the `Host`). Requests
/// without either header come from programs, not from a browser tricked by a page.
pub async fn cross_site_guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    // A program calling the API with a personal token: a page on another site cannot set
    // `Authorization`, and such a request is never authenticated by its cookie
    // (`extract::bearer`), so there is nothing here for another site to borrow.
    if req.uri().path().starts_with("/api/") && crate::extract::bearer(req.headers()).is_some() {
        return next.run(req).await;
    }
    let headers = req.headers();
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let same_site_fetch = match fetch_site {
        Some(v) => v == "same-origin" || v == "none",
        None => true,
    };
    let same_origin = match origin {
        None => true,
        Some(o) => {
            o == state.web.public_origin
                || host.is_some_and(|h| {
                    o.strip_prefix("http://")
                        .or_else(|| o.strip_prefix("https://"))
                        == Some(h)
                })
        }
    };
    if same_site_fetch && same_origin {
        return next.run(req).await;
    }
    tracing::warn!(origin, fetch_site, path = %req.uri().path(), "cross-site request refused");
    let ip = req
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    if let Err(e) = state
        .app
        .record_refused_request(None, ip, "cross_site", req.uri().path())
        .await
    {
        return crate::error::Failure::from(e).into_response();
    }
    Failure::cross_site().into_response()
}
