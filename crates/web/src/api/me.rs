//! `GET /api/v1/me` and `POST /api/v1/me/password`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use mamori_app::SessionInfo;
use mamori_app::read::session_stage as stage;

use super::ApiResult;
use super::dto::{ErrorBody, Me, OrgRef, PasswordChange, RoleGrant};
use crate::AppState;
use crate::error::Failure;
use crate::extract::{ApiCaller, ApiJson, MaybeSession};

pub(super) async fn me(state: &AppState, s: &SessionInfo) -> Result<Me, Failure> {
    let person = state.app.person(&s.caller, s.caller.actor.person).await?;
    Ok(Me {
        id: person.id,
        name: person.name,
        email: person.email,
        locale: person.locale,
        organisation: OrgRef {
            id: person.organisation_id,
            name: person.organisation_name,
        },
        roles: s
            .caller
            .actor
            .grants
            .iter()
            .map(|g| RoleGrant {
                role: g.role.clone(),
                organisation: g.organisation,
            })
            .collect(),
    })
}

/// The logged-in person and the roles they hold today.
#[utoipa::path(get, path = "/me", tag = "me",
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn get_me(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
) -> ApiResult<axum::Json<Me>> {
    Ok(axum::Json(me(&state, &s).await?))
}

/// Change one's own password (also completes a login that requires a change). Other
/// sessions of the person end.
#[utoipa::path(post, path = "/me/password", tag = "me", request_body = PasswordChange,
    responses((status = 204, description = "Changed"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn change_my_password(
    State(state): State<AppState>,
    session: MaybeSession,
    ApiJson(body): ApiJson<PasswordChange>,
) -> ApiResult<Response> {
    let s = session
        .0
        .filter(|s| s.stage == stage::FULL || s.stage == stage::PASSWORD_CHANGE)
        .ok_or(Failure::unauthenticated())?;
    let rotated = state
        .app
        .change_password(&s, &body.current, &body.new)
        .await?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    // A login that waited for this change goes on under a new session token.
    if let Some(token) = rotated {
        let max_age = state.app.settings().session_max_hours * 3600;
        let cookie = crate::extract::session_cookie(&state.web, &token, max_age);
        if let Ok(v) = axum::http::HeaderValue::from_str(&cookie) {
            res.headers_mut().append(axum::http::header::SET_COOKIE, v);
        }
    }
    Ok(res)
}
