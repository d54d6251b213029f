//! `/api/v1/emergencies` and `/api/v1/overrides`: what was done in an emergency, waiting to be
//! ratified, and the deadlines someone overrode, for those who review them.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::ApiResult;
use super::cases::CaseDto;
use super::dto::ErrorBody;
use crate::AppState;
use crate::extract::{ApiCaller, ApiJson, ApiPath};

/// What the ratifier decides.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatifyRequest {
    /// `true` ratifies what was done; `false` rejects it.
    accept: bool,
    /// A comment kept with the decision.
    #[serde(default)]
    comment: String,
}

/// Ratify or reject an action taken in an emergency (緊急時の例外措置), as one of the
/// roles the library names to report to.
#[utoipa::path(post, path = "/cases/{id}/emergencies/{seq}", tag = "cases",
    params(("id" = Uuid, Path), ("seq" = i64, Path)), request_body = RatifyRequest,
    responses((status = 200, body = CaseDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn ratify_emergency(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath((id, seq)): ApiPath<(Uuid, i64)>,
    ApiJson(body): ApiJson<RatifyRequest>,
) -> ApiResult<axum::Json<CaseDto>> {
    state
        .app
        .ratify(&s.caller, id, seq, body.accept, &body.comment)
        .await?;
    Ok(axum::Json(CaseDto::read(&state, &s, id).await?))
}

/// An action taken in an emergency, as listed for whoever ratifies it.
#[derive(Serialize, ToSchema)]
pub struct EmergencyListed {
    case: Uuid,
    number: String,
    title: String,
    seq: i64,
    at: String,
    actor: Option<String>,
    action: String,
    reason: String,
    /// When it must be ratified by (UTC).
    due_at: Option<String>,
}

/// The actions taken in an emergency that wait on the caller's ratification, the
/// earliest due first (at most 200).
#[utoipa::path(get, path = "/emergencies", tag = "cases",
    responses((status = 200, body = Vec<EmergencyListed>), (status = 401, body = ErrorBody)))]
pub async fn list_emergencies(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
) -> ApiResult<axum::Json<Vec<EmergencyListed>>> {
    let rows = state.app.emergencies(&s.caller).await?;
    Ok(axum::Json(
        rows.into_iter()
            .map(|e| EmergencyListed {
                case: e.case_id,
                number: e.number,
                title: e.title,
                seq: e.event.seq,
                at: e.event.occurred_at.0.to_string(),
                actor: e.event.actor_name,
                action: e.event.action,
                reason: mamori_app::emergency_reason(&e.event.detail),
                due_at: e.due_at.map(|d| d.0.to_string()),
            })
            .collect(),
    ))
}

/// An action taken in the unavoidable case by someone it excludes, as listed for whoever
/// oversees such exceptions.
#[derive(Serialize, ToSchema)]
pub struct OverrideDto {
    case: Uuid,
    /// The case's number (`2026-0012`).
    number: String,
    title: String,
    /// The history entry.
    seq: i64,
    at: String,
    actor: Option<String>,
    action: String,
    /// The reason given.
    reason: String,
}

/// The exceptions to a separation of duties (やむを得ない場合) taken in cases whose
/// library names the caller's role as their overseer (the CISO), latest first (at most
/// 200); an empty list for everyone else.
#[utoipa::path(get, path = "/overrides", tag = "cases",
    responses((status = 200, body = Vec<OverrideDto>), (status = 401, body = ErrorBody)))]
pub async fn list_overrides(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
) -> ApiResult<axum::Json<Vec<OverrideDto>>> {
    let rows = state.app.overrides(&s.caller).await?;
    Ok(axum::Json(
        rows.into_iter()
            .map(|o| OverrideDto {
                case: o.case_id,
                number: o.number,
                title: o.title,
                seq: o.event.seq,
                at: o.event.occurred_at.0.to_string(),
                actor: o.event.actor_name,
                action: o.event.action,
                reason: mamori_app::override_reason(&o.event.detail),
            })
            .collect(),
    ))
}
