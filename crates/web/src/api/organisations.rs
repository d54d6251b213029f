//! `/api/v1/organisations` and their relations.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use mamori_app::OrganisationInput;
use mamori_app::read::OrganisationFilter;
use mamori_app::read::PageRequest;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::dto::{
    ErrorBody, Organisation, OrganisationCreate, OrganisationList, OrganisationPatch, Relation,
    RelationCreate,
};
use super::{ApiResult, created};
use crate::AppState;
use crate::extract::{ApiCaller, ApiJson, ApiPath, ApiQuery};

/// List filters.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only children of this organisation.
    parent: Option<Uuid>,
    /// Name contains.
    q: Option<String>,
    /// Rows per page (1–200, default 50).
    limit: Option<i64>,
    /// Rows to skip.
    offset: Option<i64>,
}

/// Organisations the caller may see, by name.
#[utoipa::path(get, path = "/organisations", tag = "organisations", params(ListQuery),
    responses((status = 200, body = OrganisationList), (status = 401, body = ErrorBody)))]
pub async fn list_organisations(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<axum::Json<OrganisationList>> {
    let filter = OrganisationFilter {
        parent: q.parent,
        roots_only: false,
        q: q.q.filter(|s| !s.trim().is_empty()),
    };
    let page = state
        .app
        .organisations(&s.caller, &filter, PageRequest::new(q.limit, q.offset))
        .await?;
    Ok(axum::Json(OrganisationList {
        items: page.items.into_iter().map(Into::into).collect(),
        total: page.total,
        total_exact: page.exact,
    }))
}

/// Create an organisation under a parent the caller administers.
#[utoipa::path(post, path = "/organisations", tag = "organisations", request_body = OrganisationCreate,
    responses((status = 201, body = super::dto::Created), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_organisation(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiJson(body): ApiJson<OrganisationCreate>,
) -> ApiResult<Response> {
    let input = OrganisationInput {
        name: body.name,
        kind: body.kind,
        parent: body.parent,
        require_totp: false,
    };
    let id = state.app.create_organisation(&s.caller, &input).await?;
    Ok(created(format!("/api/v1/organisations/{id}"), id))
}

/// One organisation.
#[utoipa::path(get, path = "/organisations/{id}", tag = "organisations", params(("id" = Uuid, Path)),
    responses((status = 200, body = Organisation), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_organisation(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<Organisation>> {
    Ok(axum::Json(
        state
            .app
            .organisation(&s.caller, id)
            .await?
            .organisation
            .into(),
    ))
}

/// Change an organisation; giving `parent` moves it with its subtree.
#[utoipa::path(patch, path = "/organisations/{id}", tag = "organisations", params(("id" = Uuid, Path)),
    request_body = OrganisationPatch,
    responses((status = 200, body = Organisation), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "The move would put the organisation inside itself (`rule_violated`)", body = ErrorBody)))]
pub async fn update_organisation(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<OrganisationPatch>,
) -> ApiResult<axum::Json<Organisation>> {
    let current = state.app.organisation(&s.caller, id).await?.organisation;
    if body.name.is_some() || body.kind.is_some() || body.require_totp.is_some() {
        let input = OrganisationInput {
            name: body.name.unwrap_or(current.name),
            kind: body.kind.unwrap_or(current.kind),
            parent: None,
            require_totp: body.require_totp.unwrap_or(current.require_totp),
        };
        state.app.update_organisation(&s.caller, id, &input).await?;
    }
    if let Some(parent) = body.parent
        && parent != current.parent_id
    {
        state.app.move_organisation(&s.caller, id, parent).await?;
    }
    Ok(axum::Json(
        state
            .app
            .organisation(&s.caller, id)
            .await?
            .organisation
            .into(),
    ))
}

/// Delete an organisation with nothing left in it.
#[utoipa::path(delete, path = "/organisations/{id}", tag = "organisations", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted"), (status = 403, body = ErrorBody),
        (status = 422, description = "Still has children, people, posts, designations or relations", body = ErrorBody)))]
pub async fn delete_organisation(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    state.app.delete_organisation(&s.caller, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Relations of an organisation (contracts with, subcontractor of), both directions.
#[utoipa::path(get, path = "/organisations/{id}/relations", tag = "organisations", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<Relation>), (status = 403, body = ErrorBody)))]
pub async fn list_relations(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<Vec<Relation>>> {
    let view = state.app.organisation(&s.caller, id).await?;
    Ok(axum::Json(
        view.relations.into_iter().map(Into::into).collect(),
    ))
}

/// State that this organisation contracts with, or is a subcontractor of, another.
#[utoipa::path(post, path = "/organisations/{id}/relations", tag = "organisations", params(("id" = Uuid, Path)),
    request_body = RelationCreate,
    responses((status = 201, body = super::dto::Created), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "Already stated", body = ErrorBody)))]
pub async fn create_relation(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<RelationCreate>,
) -> ApiResult<Response> {
    let rel = state
        .app
        .add_relation(&s.caller, id, &body.kind, body.other)
        .await?;
    Ok(created(
        format!("/api/v1/organisations/{id}/relations"),
        rel,
    ))
}

/// Accept a relation another organisation stated towards this one. Until accepted it gives
/// neither side anything of the other.
#[utoipa::path(post, path = "/relations/{id}/accept", tag = "organisations", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Accepted"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "Already accepted", body = ErrorBody)))]
pub async fn accept_relation(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    state.app.accept_relation(&s.caller, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Remove a relation.
#[utoipa::path(delete, path = "/relations/{id}", tag = "organisations", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Removed"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_relation(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    state.app.remove_relation(&s.caller, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
