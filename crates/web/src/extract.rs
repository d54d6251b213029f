//! Request extractors: who is calling, in which language, and typed bodies whose errors
//! become [`Failure`]s.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use mamori_app::SessionInfo;
use mamori_app::read::session_stage as stage;
use mamori_domain::person::Locale;
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::error::Failure;
use crate::i18n::Tr;

/// The cookie that remembers the reading language (also before login).
pub const LANG_COOKIE: &str = "mamori_lang";

/// The value of cookie `name`, if sent.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The language of a request: the language cookie, then `Accept-Language`, then Japanese.
pub fn request_locale(headers: &HeaderMap) -> Tr {
    if let Some(lang) = cookie(headers, LANG_COOKIE) {
        return Tr::new(Locale::parse_or_default(lang));
    }
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let first = accept
        .split(',')
        .next()
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim();
    Tr::new(Locale::parse_or_default(first))
}

/// The token of an `Authorization: Bearer …` header, if the request sends one. A request
/// that does is authenticated by that token alone, never by a cookie sent along with it:
/// the cross-site check is skipped for it (a page on another site cannot set this header),
/// so its cookie must count for nothing.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

pub(crate) fn client_ip(parts: &Parts) -> Option<String> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
}

/// The session behind the request's cookie, in whatever stage, if any.
#[derive(Clone)]
pub struct MaybeSession(pub Option<SessionInfo>);

impl FromRequestParts<AppState> for MaybeSession {
    type Rejection = Failure;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(cached) = parts.extensions.get::<MaybeSession>() {
            return Ok(cached.clone());
        }
        // A request with a bearer token is never cookie-authenticated (see [`bearer`]).
        let token = match bearer(&parts.headers) {
            Some(_) => None,
            None => cookie(&parts.headers, state.web.session_cookie()).map(str::to_owned),
        };
        let session = match token {
            Some(t) if t.len() == 64 => state.app.session(&t, client_ip(parts)).await?,
            _ => None,
        };
        let found = MaybeSession(session);
        parts.extensions.insert(found.clone());
        Ok(found)
    }
}

/// A logged-in caller of the API, by session cookie or personal API token; anything less
/// is 401 (or 403 while a password change is pending, or for a read-only token asked to
/// change something).
pub struct ApiCaller(pub SessionInfo);

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = Failure;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(presented) = bearer(&parts.headers) {
            return crate::api::tokens::authenticate(parts, state, presented.to_owned())
                .await
                .map(ApiCaller);
        }
        match MaybeSession::from_request_parts(parts, state).await?.0 {
            Some(s) if s.is_full() => Ok(ApiCaller(s)),
            Some(s) if s.stage == stage::PASSWORD_CHANGE => {
                Err(Failure::password_change_required())
            }
            _ => Err(Failure::unauthenticated()),
        }
    }
}

/// A logged-in person on a page; anyone else is sent to where their login continues.
pub struct PageSession(pub SessionInfo);

/// Where a person without a complete login is sent.
pub struct LoginRedirect(&'static str);

impl IntoResponse for LoginRedirect {
    fn into_response(self) -> Response {
        Redirect::to(self.0).into_response()
    }
}

impl FromRequestParts<AppState> for PageSession {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let session = MaybeSession::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        match session.0 {
            Some(s) if s.is_full() => Ok(PageSession(s)),
            Some(s) => Err(LoginRedirect(continue_login(&s.stage)).into_response()),
            None => Err(LoginRedirect("/login").into_response()),
        }
    }
}

/// The page that continues a login stuck at `stage`.
pub fn continue_login(stage_id: &str) -> &'static str {
    match stage_id {
        stage::TOTP => "/login/totp",
        stage::TOTP_SETUP => "/account/totp",
        stage::PASSWORD_CHANGE => "/account/password",
        stage::FULL => "/",
        _ => "/login",
    }
}

/// A session in any stage (for the pages that complete a login).
pub struct AnySession(pub SessionInfo);

impl FromRequestParts<AppState> for AnySession {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match MaybeSession::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?
            .0
        {
            Some(s) => Ok(AnySession(s)),
            None => Err(LoginRedirect("/login").into_response()),
        }
    }
}

/// A JSON body; every problem becomes a JSON error. The body must be a JSON object, as
/// every endpoint documents: serde reads a struct from an array too, by position, so
/// without this `["mod-…/report", "<org id>"]` would open a case with no field named.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = Failure;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !json_content_type(req.headers()) {
            return Err(Failure::unsupported_media_type());
        }
        // Bytes honours the body limit of the route, as axum's Json does.
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| Failure::from(axum::extract::rejection::JsonRejection::from(e)))?;
        // JSON's top-level value is an object exactly when its first non-blank byte is `{`;
        // anything else that parses (array, string, number) is refused before serde sees it.
        let first = bytes
            .iter()
            .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
        if first.is_some_and(|b| *b != b'{') {
            return Err(Failure::json_object_expected());
        }
        axum::Json::<T>::from_bytes(&bytes)
            .map(|axum::Json(value)| ApiJson(value))
            .map_err(Failure::from)
    }
}

/// Whether the body is declared JSON: `application/json` or `application/…+json`, with
/// any parameters (the same rule as axum's `Json`).
fn json_content_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim();
    let Some((kind, sub)) = essence.split_once('/') else {
        return false;
    };
    kind.eq_ignore_ascii_case("application")
        && (sub.eq_ignore_ascii_case("json") || sub.to_ascii_lowercase().ends_with("+json"))
}

/// Refuses a URL-encoded form whose names or values, once percent-decoded, are not UTF-8.
/// The form parser would put U+FFFD in their place and the handler store what nobody
/// sent; the JSON API refuses such bytes, and so do the forms.
fn form_utf8(bytes: &[u8]) -> Result<(), Failure> {
    for pair in bytes.split(|b| *b == b'&') {
        let mut decoded = Vec::with_capacity(pair.len());
        let mut i = 0;
        while i < pair.len() {
            let hex = |b: u8| char::from(b).to_digit(16);
            match pair[i] {
                b'%' if i + 2 < pair.len() => match (hex(pair[i + 1]), hex(pair[i + 2])) {
                    (Some(h), Some(l)) => {
                        decoded.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                        i += 3;
                        continue;
                    }
                    _ => decoded.push(b'%'),
                },
                b => decoded.push(b),
            }
            i += 1;
        }
        if std::str::from_utf8(&decoded).is_err() {
            return Err(Failure::invalid_utf8());
        }
    }
    Ok(())
}

/// Path parameters; a malformed id is a 404.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(Failure))]
pub struct ApiPath<T>(pub T);

/// Query parameters.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(Failure))]
pub struct ApiQuery<T>(pub T);

/// A form posted from one of our pages: its `_csrf` field must match the session's token.
pub struct CsrfForm<T>(pub T);

#[derive(serde::Deserialize)]
struct CsrfOnly {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

impl<T: DeserializeOwned> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = Failure;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let session = MaybeSession::from_request_parts(&mut parts, state).await?.0;
        let bytes = axum::body::to_bytes(body, crate::BODY_LIMIT)
            .await
            .map_err(|_| Failure::bad_request("payload_too_large", "form"))?;
        let token: CsrfOnly = serde_urlencoded::from_bytes(&bytes)
            .map_err(|e| Failure::bad_request("invalid_form", e.to_string()))?;
        check_csrf(
            state,
            session.as_ref(),
            client_ip(&parts),
            parts.uri.path(),
            &token.csrf,
        )
        .await?;
        form_utf8(&bytes)?;
        let value = serde_urlencoded::from_bytes(&bytes)
            .map_err(|e| Failure::bad_request("invalid_form", e.to_string()))?;
        Ok(CsrfForm(value))
    }
}

/// Refuses, and records the refusal of, a posted token that is not the session's own.
pub(crate) async fn check_csrf(
    state: &AppState,
    session: Option<&SessionInfo>,
    ip: Option<String>,
    path: &str,
    given: &str,
) -> Result<(), Failure> {
    let expected = session.map_or("", |s| s.csrf_token.as_str());
    if expected.is_empty() || !mamori_auth::token::same_secret(expected, given) {
        state
            .app
            .record_refused_request(session.map(|s| &s.caller), ip, "csrf_token", path)
            .await?;
        return Err(Failure::bad_csrf_token());
    }
    Ok(())
}

/// A form posted before login (login itself, first run): protected by the cross-site
/// guard only, since there is no session to bind a token to.
pub struct PublicForm<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for PublicForm<T> {
    type Rejection = Failure;

    async fn from_request(req: Request, _state: &AppState) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::to_bytes(req.into_body(), crate::BODY_LIMIT)
            .await
            .map_err(|_| Failure::bad_request("payload_too_large", "form"))?;
        form_utf8(&bytes)?;
        serde_urlencoded::from_bytes(&bytes)
            .map(PublicForm)
            .map_err(|e| Failure::bad_request("invalid_form", e.to_string()))
    }
}

/// The client's address, for audit events of requests without a session.
pub struct ClientIp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(parts)))
    }
}

/// The `User-Agent`, shortened.
pub fn user_agent(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(200).collect())
}

/// `Set-Cookie` for a new session: HttpOnly, SameSite=Lax, Secure over HTTPS.
pub fn session_cookie(web: &crate::WebConfig, token: &str, max_age_secs: i64) -> String {
    let secure = if web.secure_cookies() { "; Secure" } else { "" };
    format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}",
        web.session_cookie()
    )
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_session_cookie(web: &crate::WebConfig) -> String {
    session_cookie(web, "", 0)
}

/// `Set-Cookie` remembering the reading language for a year.
pub fn lang_cookie(web: &crate::WebConfig, locale: Locale) -> String {
    let secure = if web.secure_cookies() { "; Secure" } else { "" };
    format!(
        "{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000{secure}",
        locale.as_str()
    )
}
