//! `/api/v1/notifications`: what mamori told the caller, unread first.

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::ApiResult;
use super::dto::ErrorBody;
use crate::AppState;
use crate::extract::ApiCaller;

/// A notification.
#[derive(Serialize, ToSchema)]
pub struct NotificationDto {
    id: Uuid,
    case: Option<Uuid>,
    /// In the reader's language.
    subject: String,
    at: String,
    read: bool,
}

/// The caller's notifications (at most 50), unread first; opening a case reads its own.
#[utoipa::path(get, path = "/notifications", tag = "cases",
    responses((status = 200, body = Vec<NotificationDto>), (status = 401, body = ErrorBody)))]
pub async fn list_notifications(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
) -> ApiResult<axum::Json<Vec<NotificationDto>>> {
    let rows = state.app.notifications(&s.caller, 50).await?;
    let en = s.locale == mamori_domain::person::Locale::En;
    Ok(axum::Json(
        rows.into_iter()
            .map(|n| NotificationDto {
                id: n.id,
                case: n.case_id,
                subject: if en { n.subject_en } else { n.subject_ja },
                at: n.created_at.0.to_string(),
                read: n.read_at.is_some(),
            })
            .collect(),
    ))
}
