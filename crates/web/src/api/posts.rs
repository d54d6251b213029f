//! `/api/v1/posts` and who holds them.

use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::dto::{ErrorBody, HolderCreate, Post, PostCreate, PostPatch};
use super::{ApiResult, created};
use crate::AppState;
use crate::extract::{ApiCaller, ApiJson, ApiPath, ApiQuery};

/// List filters.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only posts of this organisation.
    organisation: Option<Uuid>,
}

/// Posts the caller may see.
#[utoipa::path(get, path = "/posts", tag = "posts", params(ListQuery),
    responses((status = 200, body = Vec<Post>), (status = 401, body = ErrorBody)))]
pub async fn list_posts(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<axum::Json<Vec<Post>>> {
    let rows = state.app.posts(&s.caller, q.organisation).await?;
    Ok(axum::Json(
        rows.into_iter().map(|r| Post::new(r, None)).collect(),
    ))
}

/// Create a post in an organisation the caller administers.
#[utoipa::path(post, path = "/posts", tag = "posts", request_body = PostCreate,
    responses((status = 201, body = super::dto::Created), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "The organisation already has a post of that name", body = ErrorBody)))]
pub async fn create_post(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiJson(body): ApiJson<PostCreate>,
) -> ApiResult<Response> {
    let id = state
        .app
        .create_post(&s.caller, body.organisation, &body.name)
        .await?;
    Ok(created(format!("/api/v1/posts/{id}"), id))
}

/// One post with everyone who has held it.
#[utoipa::path(get, path = "/posts/{id}", tag = "posts", params(("id" = Uuid, Path)),
    responses((status = 200, body = Post), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_post(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<Post>> {
    let (post, holders) = state.app.post(&s.caller, id).await?;
    Ok(axum::Json(Post::new(post, Some(holders))))
}

/// Rename a post.
#[utoipa::path(patch, path = "/posts/{id}", tag = "posts", params(("id" = Uuid, Path)), request_body = PostPatch,
    responses((status = 200, body = Post), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn update_post(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<PostPatch>,
) -> ApiResult<axum::Json<Post>> {
    state.app.rename_post(&s.caller, id, &body.name).await?;
    let (post, holders) = state.app.post(&s.caller, id).await?;
    Ok(axum::Json(Post::new(post, Some(holders))))
}

/// Record that a person holds the post for a period.
#[utoipa::path(post, path = "/posts/{id}/holders", tag = "posts", params(("id" = Uuid, Path)), request_body = HolderCreate,
    responses((status = 201, body = super::dto::Created), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_post_holder(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<HolderCreate>,
) -> ApiResult<Response> {
    let holder = state
        .app
        .assign_post(
            &s.caller,
            id,
            Some(body.person),
            &body.starts_on,
            body.ends_on.as_deref().unwrap_or(""),
        )
        .await?;
    Ok(created(format!("/api/v1/posts/{id}"), holder))
}
