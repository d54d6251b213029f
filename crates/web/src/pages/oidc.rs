//! Sign-in with the office's directory (OpenID Connect): `GET /login/oidc` sends the
//! browser to the directory, `GET /login/oidc/callback` brings it back signed in. Both
//! answer 404 when no directory is configured. The rules live in `mamori_app`'s
//! `finish_oidc_login`; here are only the redirects, the cookies and the login page
//! shown again with the reason when a sign-in is refused.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use mamori_app::{OidcCallback, OidcRefusal};
use serde::Deserialize;

use super::login::LoginPage;
use super::{FormErrors, Layout, render_status};
use crate::AppState;
use crate::error::Failure;
use crate::extract::{
    ClientIp, MaybeSession, continue_login, cookie, lang_cookie, request_locale, session_cookie,
    user_agent,
};

/// Where the directory sends the browser back; registered at the directory as
/// `{public-url}/login/oidc/callback`.
const CALLBACK: &str = "/login/oidc/callback";

/// How long the browser keeps the sign-in's `state` (as long as the server does).
const STATE_COOKIE_SECS: i64 = 600;

fn redirect_uri(state: &AppState) -> String {
    format!("{}{CALLBACK}", state.web.public_origin)
}

/// The cookie that ties the callback to the browser that left: without it, someone could
/// send a colleague a callback address of their own sign-in and have them work in mamori
/// as someone else (login CSRF). `SameSite=Lax`: the directory's redirect back is a
/// top-level navigation from another site, which carries Lax cookies.
fn state_cookie_name(state: &AppState) -> &'static str {
    if state.web.secure_cookies() {
        "__Host-mamori_oidc"
    } else {
        "mamori_oidc"
    }
}

fn state_cookie(state: &AppState, value: &str, max_age: i64) -> String {
    let secure = if state.web.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}",
        state_cookie_name(state)
    )
}

#[derive(Deserialize)]
pub struct StartQuery {
    next: Option<String>,
}

/// `GET /login/oidc`: to the directory.
pub async fn start(
    State(state): State<AppState>,
    headers: HeaderMap,
    session: MaybeSession,
    Query(q): Query<StartQuery>,
) -> Response {
    if state.app.oidc_label().is_none() {
        return Failure::not_found().into_response();
    }
    if let Some(s) = session.0 {
        return Redirect::to(continue_login(&s.stage)).into_response();
    }
    let next = q.next.as_deref().unwrap_or("/");
    match state
        .app
        .start_oidc_login(&redirect_uri(&state), next)
        .await
    {
        Ok(Some(Ok(to))) => (
            AppendHeaders([(
                header::SET_COOKIE,
                state_cookie(&state, &to.state, STATE_COOKIE_SECS),
            )]),
            Redirect::to(&to.url),
        )
            .into_response(),
        Ok(Some(Err(refusal))) => refused(&state, &headers, refusal),
        Ok(None) => Failure::not_found().into_response(),
        Err(e) => Failure::from(e).into_response(),
    }
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
}

/// `GET /login/oidc/callback`: back from the directory.
pub async fn callback(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Response {
    if state.app.oidc_label().is_none() {
        return Failure::not_found().into_response();
    }
    let input = OidcCallback {
        state: q.state,
        code: q.code,
        error: q.error,
        cookie_state: cookie(&headers, state_cookie_name(&state)).map(str::to_owned),
    };
    let answer = state
        .app
        .finish_oidc_login(
            &redirect_uri(&state),
            &input,
            ip.clone(),
            user_agent(&headers),
        )
        .await;
    // The state is spent whatever happened: the browser forgets it.
    let forget = state_cookie(&state, "", 0);
    let mut res = match answer {
        Ok(Some(Ok(signed_in))) => {
            let tr = request_locale(&headers);
            let locale = match state.app.session(&signed_in.login.token, ip).await {
                Ok(Some(s)) => s.locale,
                _ => tr.locale(),
            };
            let max_age = state.app.settings().session_max_hours * 3600;
            let to = if signed_in.login.stage == mamori_app::read::session_stage::FULL {
                signed_in.return_to
            } else {
                continue_login(signed_in.login.stage).to_owned()
            };
            (
                AppendHeaders([
                    (
                        header::SET_COOKIE,
                        session_cookie(&state.web, &signed_in.login.token, max_age),
                    ),
                    (header::SET_COOKIE, lang_cookie(&state.web, locale)),
                ]),
                Redirect::to(&to),
            )
                .into_response()
        }
        Ok(Some(Err(refusal))) => refused(&state, &headers, refusal),
        Ok(None) => Failure::not_found().into_response(),
        Err(e) => Failure::from(e).into_response(),
    };
    if let Ok(v) = header::HeaderValue::from_str(&forget) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// The login page again, with why the directory sign-in did not sign anyone in. 401
/// counts the refusal against the address's failure limit, as a wrong password does; a
/// directory that cannot be reached is nobody's failure (503).
fn refused(state: &AppState, headers: &HeaderMap, refusal: OidcRefusal) -> Response {
    let tr = request_locale(headers);
    let status = if refusal == OidcRefusal::ProviderUnavailable {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::UNAUTHORIZED
    };
    render_status(
        status,
        &LoginPage {
            l: Layout::public(tr, "login-title"),
            email: String::new(),
            errors: FormErrors::default(),
            summary: Some(tr.t(&format!("oidc-refused-{}", refusal.reason()))),
            first_run_open: false,
            oidc_label: state.app.oidc_label().map(str::to_owned),
        },
    )
}
