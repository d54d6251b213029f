//! `POST /api/v1/session` (log in) and `DELETE /api/v1/session` (log out).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse, Response};
use mamori_app::LoginMode;
use mamori_app::read::session_stage as stage;

use super::ApiResult;
use super::dto::{ErrorBody, LoginRequest, Me};
use crate::AppState;
use crate::error::Failure;
use crate::extract::{
    ApiJson, ClientIp, MaybeSession, clear_session_cookie, lang_cookie, session_cookie, user_agent,
};

/// Log in; sets the session cookie and answers with the person.
#[utoipa::path(post, path = "/session", tag = "session", request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in; the `mamori_session` cookie is set", body = Me),
        (status = 400, body = ErrorBody), (status = 401, description = "Wrong credentials, or `totp_required`", body = ErrorBody),
        (status = 403, description = "Logged in, but the password must be changed first (`password_change_required`)", body = ErrorBody),
        (status = 429, description = "Locked after repeated failures", body = ErrorBody),
    ))]
pub async fn create_session(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(body): ApiJson<LoginRequest>,
) -> ApiResult<Response> {
    let outcome = state
        .app
        .login(
            &body.email,
            &body.password,
            body.totp.as_deref(),
            LoginMode::Api,
            ip.clone(),
            user_agent(&headers),
        )
        .await?;
    let max_age = state.app.settings().session_max_hours * 3600;
    let session = state
        .app
        .session(&outcome.token, ip)
        .await?
        .ok_or(Failure::unauthenticated())?;
    let cookies = AppendHeaders([
        (
            header::SET_COOKIE,
            session_cookie(&state.web, &outcome.token, max_age),
        ),
        (header::SET_COOKIE, lang_cookie(&state.web, session.locale)),
    ]);
    if !session.is_full() {
        // The cookie is still set: with it, the client can change the password and go on.
        let failure = if session.stage == stage::PASSWORD_CHANGE {
            Failure::password_change_required()
        } else if session.stage == stage::TOTP {
            // Only a person with a passkey and no TOTP gets here: the API asks for the
            // TOTP code with the password.
            Failure::passkey_required()
        } else {
            Failure::totp_setup_required()
        };
        return Ok((cookies, failure).into_response());
    }
    let me = super::me::me(&state, &session).await?;
    Ok((StatusCode::OK, cookies, axum::Json(me)).into_response())
}

/// Log out: ends the session and clears the cookie.
#[utoipa::path(delete, path = "/session", tag = "session",
    responses((status = 204, description = "Logged out (also when no session was open)")))]
pub async fn delete_session(
    State(state): State<AppState>,
    session: MaybeSession,
) -> ApiResult<Response> {
    if let Some(s) = session.0 {
        state.app.logout(&s.caller).await?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        AppendHeaders([(header::SET_COOKIE, clear_session_cookie(&state.web))]),
    )
        .into_response())
}
