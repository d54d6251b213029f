//! `/api/v1/emergencies` and `/api/v1/overrides`: what was done in an emergency, waiting to be
//! ratified, and the deadlines someone overrode, for those who review them.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use mamori_app::read::CaseEventRow;

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

/// An action in a case's history that someone reviews: which case, who took it, when, and
/// the reason they gave.
#[derive(Serialize, ToSchema)]
pub struct ReviewedAction {
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

impl ReviewedAction {
    fn new(case: Uuid, number: String, title: String, event: CaseEventRow, reason: String) -> Self {
        Self {
            case,
            number,
            title,
            seq: event.seq,
            at: event.occurred_at.0.to_string(),
            actor: event.actor_name,
            action: event.action,
            reason,
        }
    }
}

/// An action taken in an emergency, as listed for whoever ratifies it.
#[derive(Serialize, ToSchema)]
pub struct EmergencyListed {
    #[serde(flatten)]
    taken: ReviewedAction,
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
            .map(|e| {
                let reason = mamori_app::emergency_reason(&e.event.detail);
                EmergencyListed {
                    due_at: e.due_at.map(|d| d.0.to_string()),
                    taken: ReviewedAction::new(e.case_id, e.number, e.title, e.event, reason),
                }
            })
            .collect(),
    ))
}

/// The exceptions to a separation of duties (やむを得ない場合) taken in cases whose
/// library names the caller's role as their overseer (the CISO), latest first (at most
/// 200); an empty list for everyone else.
#[utoipa::path(get, path = "/overrides", tag = "cases",
    responses((status = 200, body = Vec<ReviewedAction>), (status = 401, body = ErrorBody)))]
pub async fn list_overrides(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
) -> ApiResult<axum::Json<Vec<ReviewedAction>>> {
    let rows = state.app.overrides(&s.caller).await?;
    Ok(axum::Json(
        rows.into_iter()
            .map(|o| {
                let reason = mamori_app::override_reason(&o.event.detail);
                ReviewedAction::new(o.case_id, o.number, o.title, o.event, reason)
            })
            .collect(),
    ))
}
