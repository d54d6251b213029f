//! `/api/v1/cases/{id}/secrets`: a secret handed over in a case (an initial password),
//! shown once to one of the people it is for, who then confirm receiving it.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::ApiResult;
use super::dto::ErrorBody;
use crate::AppState;
use crate::extract::{ApiCaller, ApiPath};

/// A secret, shown this once.
#[derive(Serialize, ToSchema)]
pub struct SecretShown {
    /// The value: it is wiped from mamori as it is sent, so keep it now.
    value: String,
}

/// Show a secret of a case once, to one of the people it is for: the value is wiped as it
/// is sent, and asking again is refused (422). Never cached.
#[utoipa::path(post, path = "/cases/{id}/secrets/{seq}/{field}/reveal", tag = "cases",
    params(("id" = Uuid, Path), ("seq" = i64, Path), ("field" = String, Path)),
    responses((status = 200, body = SecretShown), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reveal_secret(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath((id, seq, field)): ApiPath<(Uuid, i64, String)>,
) -> ApiResult<Response> {
    let value = state.app.reveal_secret(&s.caller, id, seq, &field).await?;
    let mut response = axum::Json(SecretShown { value }).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Confirm receiving a secret one was shown.
#[utoipa::path(post, path = "/cases/{id}/secrets/{seq}/{field}/receipt", tag = "cases",
    params(("id" = Uuid, Path), ("seq" = i64, Path), ("field" = String, Path)),
    responses((status = 204, description = "Received"), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn receive_secret(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath((id, seq, field)): ApiPath<(Uuid, i64, String)>,
) -> ApiResult<Response> {
    state.app.receive_secret(&s.caller, id, seq, &field).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
