//! `/api/v1/designations`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use mamori_app::read::Day;
use mamori_app::read::DesignationFilter;
use mamori_app::{DelegationInput, DesignationInput};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::dto::{
    DelegationCreate, Designation, DesignationCreate, DesignationEnd, DesignationList, ErrorBody,
};
use super::{ApiResult, created};
use crate::AppState;
use crate::error::Failure;
use crate::extract::{ApiCaller, ApiJson, ApiPath, ApiQuery};

/// List filters.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only for this organisation.
    organisation: Option<Uuid>,
    /// Only of this person (designated by name).
    person: Option<Uuid>,
    /// Only those in force on this day (YYYY-MM-DD).
    active_on: Option<String>,
}

/// Designations the caller may see, newest first, with their history.
#[utoipa::path(get, path = "/designations", tag = "designations", params(ListQuery),
    responses((status = 200, body = DesignationList), (status = 400, body = ErrorBody)))]
pub async fn list_designations(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<axum::Json<DesignationList>> {
    let active_on = match q.active_on.as_deref() {
        Some(day) => Some(Day(
            mamori_domain::period::parse_day("active_on", day).map_err(Failure::field)?
        )),
        None => None,
    };
    let filter = DesignationFilter {
        organisation: q.organisation,
        person: q.person,
        active_on,
    };
    let rows = state.app.designations(&s.caller, &filter).await?;
    Ok(axum::Json(DesignationList {
        items: rows.into_iter().map(Into::into).collect(),
    }))
}

/// Designate a role to a person or a post, within an organisation, for a period.
#[utoipa::path(post, path = "/designations", tag = "designations", request_body = DesignationCreate,
    responses((status = 201, body = super::dto::Created), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_designation(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiJson(body): ApiJson<DesignationCreate>,
) -> ApiResult<Response> {
    let input = DesignationInput {
        role: body.role,
        organisation: body.organisation,
        person: body.person,
        post: body.post,
        starts_on: body.starts_on,
        ends_on: body.ends_on.unwrap_or_default(),
        note: body.note.unwrap_or_default(),
        from_elsewhere: body.from_another_organisation,
    };
    let id = state.app.designate(&s.caller, &input).await?;
    Ok(created(format!("/api/v1/designations/{id}"), id))
}

/// One designation.
#[utoipa::path(get, path = "/designations/{id}", tag = "designations", params(("id" = Uuid, Path)),
    responses((status = 200, body = Designation), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_designation(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<Designation>> {
    Ok(axum::Json(
        state.app.designation(&s.caller, id).await?.into(),
    ))
}

/// End a designation on a day (today if none is given); its history stays.
#[utoipa::path(post, path = "/designations/{id}/end", tag = "designations", params(("id" = Uuid, Path)),
    request_body = DesignationEnd,
    responses((status = 204, description = "Ended"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn end_designation(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<DesignationEnd>,
) -> ApiResult<Response> {
    state
        .app
        .end_designation(&s.caller, id, body.ends_on.as_deref())
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Delegate a designation the caller holds to another person of its organisation for a
/// period within it (委任): the CISO to the deputy while away. Only roles the library lets
/// be delegated; what the delegate does under it says so in the case's history.
#[utoipa::path(post, path = "/designations/{id}/delegations", tag = "designations",
    params(("id" = Uuid, Path)), request_body = DelegationCreate,
    responses((status = 201, body = super::dto::Created), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn delegate_designation(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<DelegationCreate>,
) -> ApiResult<Response> {
    let input = DelegationInput {
        person: body.person,
        starts_on: body.starts_on,
        ends_on: body.ends_on,
        note: body.note.unwrap_or_default(),
    };
    let new = state.app.delegate(&s.caller, id, &input).await?;
    Ok(created(format!("/api/v1/designations/{new}"), new))
}
