//! `/api/v1/persons`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use mamori_app::read::PageRequest;
use mamori_app::read::PersonFilter;
use mamori_app::{PersonInput, PersonUpdate};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::dto::{ErrorBody, PasswordReset, Person, PersonCreate, PersonList, PersonPatch};
use super::{ApiResult, created};
use crate::AppState;
use crate::extract::{ApiCaller, ApiJson, ApiPath, ApiQuery};

/// List filters.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only members of this organisation.
    organisation: Option<Uuid>,
    /// Name or e-mail contains.
    q: Option<String>,
    /// Rows per page (1–200, default 50).
    limit: Option<i64>,
    /// Rows to skip.
    offset: Option<i64>,
}

/// People the caller may see, by name.
#[utoipa::path(get, path = "/persons", tag = "persons", params(ListQuery),
    responses((status = 200, body = PersonList), (status = 401, body = ErrorBody)))]
pub async fn list_persons(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<axum::Json<PersonList>> {
    let filter = PersonFilter {
        organisation: q.organisation,
        q: q.q.filter(|s| !s.trim().is_empty()),
    };
    let page = state
        .app
        .persons(&s.caller, &filter, PageRequest::new(q.limit, q.offset))
        .await?;
    Ok(axum::Json(PersonList {
        items: page.items.into_iter().map(Into::into).collect(),
        total: page.total,
    }))
}

/// Add a person; they must change the initial password at first login.
#[utoipa::path(post, path = "/persons", tag = "persons", request_body = PersonCreate,
    responses((status = 201, body = super::dto::Created), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "The e-mail address is taken", body = ErrorBody)))]
pub async fn create_person(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiJson(body): ApiJson<PersonCreate>,
) -> ApiResult<Response> {
    let input = PersonInput {
        name: body.name,
        email: body.email,
        organisation: Some(body.organisation),
        initial_password: body.initial_password,
    };
    let id = state.app.create_person(&s.caller, &input).await?;
    Ok(created(format!("/api/v1/persons/{id}"), id))
}

/// One person.
#[utoipa::path(get, path = "/persons/{id}", tag = "persons", params(("id" = Uuid, Path)),
    responses((status = 200, body = Person), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_person(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<Person>> {
    Ok(axum::Json(state.app.person(&s.caller, id).await?.into()))
}

/// Change a person: name, organisation, whether they may log in.
#[utoipa::path(patch, path = "/persons/{id}", tag = "persons", params(("id" = Uuid, Path)), request_body = PersonPatch,
    responses((status = 200, body = Person), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn update_person(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<PersonPatch>,
) -> ApiResult<axum::Json<Person>> {
    let current = state.app.person(&s.caller, id).await?;
    let update = PersonUpdate {
        name: body.name.unwrap_or(current.name),
        organisation: body.organisation.unwrap_or(current.organisation_id),
        active: body.active.unwrap_or(current.active),
    };
    state.app.update_person(&s.caller, id, &update).await?;
    Ok(axum::Json(state.app.person(&s.caller, id).await?.into()))
}

/// Set a temporary password; the person must change it at next login, and their sessions end.
#[utoipa::path(post, path = "/persons/{id}/password-reset", tag = "persons", params(("id" = Uuid, Path)),
    request_body = PasswordReset,
    responses((status = 204, description = "Reset"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn reset_person_password(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<PasswordReset>,
) -> ApiResult<Response> {
    state
        .app
        .reset_password(&s.caller, id, &body.password)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Remove a person's second factor (a lost phone); their sessions end.
#[utoipa::path(post, path = "/persons/{id}/totp-reset", tag = "persons", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Removed"), (status = 403, body = ErrorBody)))]
pub async fn reset_person_totp(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    state.app.reset_totp(&s.caller, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
