//! Roles held for one register row (the manager of one system).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use mamori_app::RowRoleInput;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::dto::ErrorBody;
use super::{ApiResult, created};
use crate::AppState;
use crate::extract::{ApiCaller, ApiJson, ApiPath};

/// A role held for a row.
#[derive(Serialize, ToSchema)]
pub struct RowRoleDto {
    id: Uuid,
    /// A role the register holds for its rows.
    role: String,
    person: Uuid,
    person_name: String,
    starts_on: String,
    ends_on: Option<String>,
    designated_by: String,
    /// When it was ended early, if it was.
    ended_at: Option<String>,
}

/// Designate someone of the organisation keeping the row.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RowRoleRequest {
    role: String,
    person: Option<Uuid>,
    /// From (YYYY-MM-DD).
    starts_on: String,
    /// Until (YYYY-MM-DD), left out for no end.
    #[serde(default)]
    ends_on: String,
}

/// Who holds which role for a row (the system's manager), ended designations too.
/// Whoever may read the row may.
#[utoipa::path(get, path = "/registers/{id}/rows/{row}/roles", tag = "registers",
    params(("id" = String, Path), ("row" = Uuid, Path)),
    responses((status = 200, body = Vec<RowRoleDto>), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn list_row_roles(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath((id, row)): ApiPath<(String, Uuid)>,
) -> ApiResult<axum::Json<Vec<RowRoleDto>>> {
    let held = state.app.row_roles(&s.caller, &id, row).await?;
    Ok(axum::Json(
        held.into_iter()
            .map(|d| RowRoleDto {
                id: d.id,
                role: d.role,
                person: d.person_id,
                person_name: d.person_name,
                starts_on: d.starts_on.0.to_string(),
                ends_on: d.ends_on.map(|e| e.0.to_string()),
                designated_by: d.designated_by_name,
                ended_at: d.ended_at.map(|t| t.0.to_string()),
            })
            .collect(),
    ))
}

/// Designate someone of the organisation keeping the row for one of the register's row
/// roles. Administrators over that organisation may.
#[utoipa::path(post, path = "/registers/{id}/rows/{row}/roles", tag = "registers",
    params(("id" = String, Path), ("row" = Uuid, Path)), request_body = RowRoleRequest,
    responses((status = 201, body = super::dto::Created), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn designate_for_row(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath((id, row)): ApiPath<(String, Uuid)>,
    ApiJson(body): ApiJson<RowRoleRequest>,
) -> ApiResult<Response> {
    let input = RowRoleInput {
        role: body.role,
        person: body.person,
        starts_on: body.starts_on,
        ends_on: body.ends_on,
    };
    let made = state
        .app
        .designate_for_row(&s.caller, &id, row, &input)
        .await?;
    Ok(created(
        format!("/api/v1/registers/{id}/rows/{row}/roles"),
        made,
    ))
}

/// End a role held for a row at once.
#[utoipa::path(delete, path = "/registers/{id}/rows/{row}/roles/{designation}", tag = "registers",
    params(("id" = String, Path), ("row" = Uuid, Path), ("designation" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn end_row_role(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath((id, row, designation)): ApiPath<(String, Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    state
        .app
        .end_row_role(&s.caller, &id, row, designation)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
