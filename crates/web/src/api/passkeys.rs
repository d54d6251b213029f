//! Passkeys (WebAuthn): `/api/v1/me/passkeys` to register, list and remove one's own,
//! `/api/v1/persons/{id}/passkeys` for the people one manages (a lost key), and
//! `/api/v1/session/passkey` to log in with one — as the second factor after a password,
//! or without a password. Each ceremony is a pair of calls: "start" answers with the
//! options for `navigator.credentials.create/get` (WebAuthn's JSON form, under
//! `publicKey`), "finish" takes the browser's `PublicKeyCredential` as JSON.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse, Response};
use mamori_app::read::PasskeyRow;
use mamori_app::read::session_stage as stage;
use mamori_auth::webauthn::{self, RelyingParty};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::ApiResult;
use super::dto::{ErrorBody, Me};
use crate::AppState;
use crate::error::Failure;
use crate::extract::{
    ApiCaller, ApiJson, ApiPath, ClientIp, MaybeSession, lang_cookie, session_cookie, user_agent,
};

/// A registered passkey.
#[derive(Serialize, ToSchema)]
pub struct Passkey {
    pub id: Uuid,
    /// Whose it is.
    pub person: Uuid,
    /// The name its owner gave it.
    pub name: String,
    /// The authenticator's credential id (base64url).
    pub credential_id: String,
    /// How the browser reaches the authenticator (`internal`, `usb`, `hybrid`…).
    pub transports: Vec<String>,
    /// The authenticator's signature counter last seen (0 for those that keep none).
    pub sign_count: i64,
    /// Registered (RFC 3339).
    pub created_at: String,
    /// Last login with it.
    pub last_used_at: Option<String>,
}

impl From<PasskeyRow> for Passkey {
    fn from(r: PasskeyRow) -> Self {
        Self {
            id: r.id,
            person: r.person_id,
            name: r.name,
            credential_id: webauthn::encode_id(&r.credential_id),
            transports: webauthn::transport_names(u8::try_from(r.transports).unwrap_or(0))
                .into_iter()
                .map(str::to_owned)
                .collect(),
            sign_count: r.sign_count,
            created_at: r.created_at.0.to_string(),
            last_used_at: r.last_used_at.map(|t| t.0.to_string()),
        }
    }
}

/// Start registering a passkey.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasskeyRegistrationStart {
    /// A name to recognise it by (at most 100 characters), e.g. 「業務用PC」.
    pub name: String,
}

/// Options for `navigator.credentials.create` or `.get`.
#[derive(Serialize, ToSchema)]
pub struct PasskeyOptions {
    /// WebAuthn's `PublicKeyCredentialCreationOptionsJSON` or
    /// `PublicKeyCredentialRequestOptionsJSON`.
    #[serde(rename = "publicKey")]
    #[schema(value_type = Object)]
    pub public_key: serde_json::Value,
}

/// The relying party of this server, from its public URL.
fn relying_party(state: &AppState) -> Result<RelyingParty, Failure> {
    RelyingParty::from_public_origin(&state.web.public_origin)
        .map_err(|e| Failure::from(mamori_app::AppError::Internal(e.to_string())))
}

fn body_bytes(body: &serde_json::Value) -> Result<Vec<u8>, Failure> {
    serde_json::to_vec(body)
        .map_err(|e| Failure::from(mamori_app::AppError::Internal(e.to_string())))
}

/// One's own passkeys.
#[utoipa::path(get, path = "/me/passkeys", tag = "me",
    responses((status = 200, body = Vec<Passkey>), (status = 401, body = ErrorBody)))]
pub async fn list_my_passkeys(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
) -> ApiResult<axum::Json<Vec<Passkey>>> {
    let rows = state.app.my_passkeys(&s.caller).await?;
    Ok(axum::Json(rows.into_iter().map(Into::into).collect()))
}

/// Start registering a passkey (a login with the session cookie only, not an API token).
#[utoipa::path(post, path = "/me/passkeys/registration", tag = "me", request_body = PasskeyRegistrationStart,
    responses((status = 200, body = PasskeyOptions), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn start_passkey_registration(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiJson(body): ApiJson<PasskeyRegistrationStart>,
) -> ApiResult<axum::Json<PasskeyOptions>> {
    let rp = relying_party(&state)?;
    let options = state
        .app
        .start_passkey_registration(&s, &rp, &body.name)
        .await?;
    Ok(axum::Json(PasskeyOptions {
        public_key: options,
    }))
}

/// Finish registering: the body is the `PublicKeyCredential` from
/// `navigator.credentials.create`, as JSON.
#[utoipa::path(post, path = "/me/passkeys/registration/finish", tag = "me",
    request_body(content = Object, description = "RegistrationResponseJSON"),
    responses((status = 201, body = Passkey), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "Not verified, expired or already registered", body = ErrorBody)))]
pub async fn finish_passkey_registration(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> ApiResult<Response> {
    let rp = relying_party(&state)?;
    let row = state
        .app
        .finish_passkey_registration(&s, &rp, &body_bytes(&body)?)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(Passkey::from(row))).into_response())
}

/// Remove one of one's own passkeys.
#[utoipa::path(delete, path = "/me/passkeys/{id}", tag = "me", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Removed"), (status = 401, body = ErrorBody),
        (status = 404, description = "Not a passkey of the caller's", body = ErrorBody)))]
pub async fn remove_my_passkey(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    state
        .app
        .remove_passkey(&s.caller, s.caller.actor.person, id)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A person's passkeys, for someone who may manage the person.
#[utoipa::path(get, path = "/persons/{id}/passkeys", tag = "persons", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<Passkey>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_person_passkeys(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<Vec<Passkey>>> {
    let rows = state.app.person_passkeys(&s.caller, id).await?;
    Ok(axum::Json(rows.into_iter().map(Into::into).collect()))
}

/// Remove a person's passkey (a lost key), as someone who may manage the person.
#[utoipa::path(delete, path = "/persons/{id}/passkeys/{passkey}", tag = "persons",
    params(("id" = Uuid, Path), ("passkey" = Uuid, Path)),
    responses((status = 204, description = "Removed"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove_person_passkey(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath((id, passkey)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Response> {
    state.app.remove_passkey(&s.caller, id, passkey).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Start a passkey login: the second factor when the session cookie's login waits for
/// one, otherwise a login without a password (the passkey names the person).
#[utoipa::path(post, path = "/session/passkey", tag = "session",
    responses((status = 200, body = PasskeyOptions)))]
pub async fn start_passkey_login(
    State(state): State<AppState>,
    session: MaybeSession,
) -> ApiResult<axum::Json<PasskeyOptions>> {
    let rp = relying_party(&state)?;
    let options = state
        .app
        .start_passkey_login(session.0.as_ref(), &rp)
        .await?;
    Ok(axum::Json(PasskeyOptions {
        public_key: options,
    }))
}

/// Finish a passkey login: the body is the `PublicKeyCredential` from
/// `navigator.credentials.get`, as JSON. Sets the session cookie and answers with the
/// person, as `POST /session` does.
#[utoipa::path(post, path = "/session/passkey/finish", tag = "session",
    request_body(content = Object, description = "AuthenticationResponseJSON"),
    responses(
        (status = 200, description = "Logged in; the `mamori_session` cookie is set", body = Me),
        (status = 401, description = "The passkey did not log in (`passkey_failed`)", body = ErrorBody),
        (status = 403, description = "Logged in, but the password must be changed first (`password_change_required`)", body = ErrorBody),
    ))]
pub async fn finish_passkey_login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    session: MaybeSession,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> ApiResult<Response> {
    let rp = relying_party(&state)?;
    let outcome = state
        .app
        .finish_passkey_login(
            session.0.as_ref(),
            &rp,
            &body_bytes(&body)?,
            ip.clone(),
            user_agent(&headers),
        )
        .await?
        .map_err(|_| Failure::passkey_failed())?;
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
    if session.stage == stage::PASSWORD_CHANGE {
        return Ok((cookies, Failure::password_change_required()).into_response());
    }
    let me = super::me::me(&state, &session).await?;
    Ok((StatusCode::OK, cookies, axum::Json(me)).into_response())
}
