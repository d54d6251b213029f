//! Personal API tokens: `/api/v1/me/tokens` for one's own, `/api/v1/persons/{id}/tokens`
//! for the people one manages, and the check of `Authorization: Bearer …` on every API
//! request that presents one.

use axum::extract::{OriginalUri, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use mamori_app::read::ApiTokenRow;
use mamori_app::{ApiTokenInput, SessionInfo, TokenRefusal, scopes_of};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::ApiResult;
use super::dto::ErrorBody;
use crate::AppState;
use crate::error::Failure;
use crate::extract::{ApiCaller, ApiJson, ApiPath, client_ip};

/// A token once accepted for this request, so that a second extraction neither checks it
/// again nor writes a second audit event.
#[derive(Clone)]
struct Accepted(SessionInfo);

/// Checks the bearer token of an API request; each check is an audit event.
pub(crate) async fn authenticate(
    parts: &mut Parts,
    state: &AppState,
    presented: String,
) -> Result<SessionInfo, Failure> {
    if let Some(Accepted(s)) = parts.extensions.get::<Accepted>() {
        return Ok(s.clone());
    }
    // Only GET (and HEAD, OPTIONS) reads; every other method may change something.
    let changes = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    // The full path: inside the nested API router `parts.uri` has lost its `/api/v1`.
    let path = parts
        .extensions
        .get::<OriginalUri>()
        .map_or_else(|| parts.uri.path().to_owned(), |u| u.path().to_owned());
    let outcome = state
        .app
        .api_token_session(
            &presented,
            changes,
            parts.method.as_str(),
            &path,
            client_ip(parts),
        )
        .await?;
    match outcome {
        Ok(s) => {
            parts.extensions.insert(Accepted(s.clone()));
            Ok(s)
        }
        Err(TokenRefusal::ReadOnly) => Err(Failure::token_read_only()),
        Err(TokenRefusal::PasswordChange) => Err(Failure::password_change_required()),
        Err(
            TokenRefusal::Unknown
            | TokenRefusal::Expired
            | TokenRefusal::Revoked
            | TokenRefusal::Inactive,
        ) => Err(Failure::token_invalid()),
    }
}

/// A personal API token, without its secret.
#[derive(Serialize, ToSchema)]
pub struct ApiToken {
    pub id: Uuid,
    /// The person it acts as.
    pub person: Uuid,
    /// What it is for.
    pub name: String,
    /// The token's public start, to recognise it (`mamori_` and 12 hex characters).
    pub prefix: String,
    /// `["read"]` (GET only) or `["read", "write"]` (every method).
    pub scopes: Vec<String>,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Refused from this moment on (RFC 3339).
    pub expires_at: String,
    /// Last request made with it.
    pub last_used_at: Option<String>,
    /// Revoked, if it was.
    pub revoked_at: Option<String>,
}

impl From<ApiTokenRow> for ApiToken {
    fn from(r: ApiTokenRow) -> Self {
        Self {
            id: r.id,
            person: r.person_id,
            name: r.name,
            prefix: r.prefix,
            scopes: scopes_of(&r.scope).into_iter().map(str::to_owned).collect(),
            created_at: r.created_at.0.to_string(),
            expires_at: r.expires_at.0.to_string(),
            last_used_at: r.last_used_at.map(|t| t.0.to_string()),
            revoked_at: r.revoked_at.map(|t| t.0.to_string()),
        }
    }
}

/// A token just made, with its secret: shown this once, never again.
#[derive(Serialize, ToSchema)]
pub struct ApiTokenCreated {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    /// The token's record.
    #[serde(flatten)]
    pub record: ApiToken,
}

/// Make a token.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiTokenCreate {
    /// What it is for (at most 100 characters).
    pub name: String,
    /// `["read"]` for GET only, `["write"]` (or both) for every method.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Days until it expires: 1 to 366, 90 when absent.
    pub expires_in_days: Option<i64>,
}

/// One's own tokens, newest first, revoked and expired ones included.
#[utoipa::path(get, path = "/me/tokens", tag = "me",
    responses((status = 200, body = Vec<ApiToken>), (status = 401, body = ErrorBody)))]
pub async fn list_my_tokens(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
) -> ApiResult<axum::Json<Vec<ApiToken>>> {
    let rows = state.app.my_api_tokens(&s.caller).await?;
    Ok(axum::Json(rows.into_iter().map(Into::into).collect()))
}

/// Make a token for oneself; the answer holds the secret, which is not shown again. Only
/// a login (the session cookie) may make one, not another token.
#[utoipa::path(post, path = "/me/tokens", tag = "me", request_body = ApiTokenCreate,
    responses((status = 201, body = ApiTokenCreated), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "Asked with a token (`token_login_required`)", body = ErrorBody)))]
pub async fn create_my_token(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiJson(body): ApiJson<ApiTokenCreate>,
) -> ApiResult<Response> {
    if s.caller.api_token.is_some() {
        return Err(Failure::token_login_required());
    }
    let made = state
        .app
        .create_api_token(
            &s.caller,
            &ApiTokenInput {
                name: body.name,
                scopes: body.scopes,
                expires_in_days: body.expires_in_days,
            },
        )
        .await?;
    let mut res = (
        StatusCode::CREATED,
        axum::Json(ApiTokenCreated {
            token: made.token,
            record: made.row.into(),
        }),
    )
        .into_response();
    res.headers_mut().insert(
        header::LOCATION,
        HeaderValue::from_static("/api/v1/me/tokens"),
    );
    Ok(res)
}

/// Revoke one of one's own tokens; at once, for good.
#[utoipa::path(delete, path = "/me/tokens/{id}", tag = "me", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Revoked (also when it already was)"), (status = 401, body = ErrorBody),
        (status = 404, description = "Not a token of the caller's", body = ErrorBody)))]
pub async fn revoke_my_token(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    state
        .app
        .revoke_api_token(&s.caller, s.caller.actor.person, id)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A person's tokens, for someone who may manage the person (never with their secrets).
#[utoipa::path(get, path = "/persons/{id}/tokens", tag = "persons", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<ApiToken>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_person_tokens(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<Vec<ApiToken>>> {
    let rows = state.app.person_api_tokens(&s.caller, id).await?;
    Ok(axum::Json(rows.into_iter().map(Into::into).collect()))
}

/// Revoke one of a person's tokens, as someone who may manage the person.
#[utoipa::path(delete, path = "/persons/{id}/tokens/{token}", tag = "persons",
    params(("id" = Uuid, Path), ("token" = Uuid, Path)),
    responses((status = 204, description = "Revoked (also when it already was)"), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn revoke_person_token(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath((id, token)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Response> {
    state.app.revoke_api_token(&s.caller, id, token).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
