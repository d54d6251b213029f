//! Evidence kept by organisations (`/organisations/{id}/evidence`, `/evidence/{id}`) and
//! its links to assessments (`/assessments/{id}/evidence`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use mamori_app::EvidenceInput;
use mamori_app::read::EvidenceRow;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::dto::ErrorBody;
use super::{ApiResult, created};
use crate::AppState;
use crate::extract::{ApiCaller, ApiJson, ApiPath};
use crate::upload::ApiUpload;

/// A piece of evidence.
#[derive(Serialize, ToSchema)]
pub struct EvidenceDto {
    id: Uuid,
    title: String,
    file_name: String,
    media_type: String,
    size: i64,
    /// From when it holds.
    effective_on: String,
    /// Until when (inclusive), if it expires.
    expires_on: Option<String>,
    added_by: String,
    added_at: String,
    /// Where to download it.
    href: String,
}

impl From<EvidenceRow> for EvidenceDto {
    fn from(e: EvidenceRow) -> Self {
        Self {
            href: format!("/api/v1/evidence/{}", e.id),
            id: e.id,
            title: e.title,
            file_name: e.file_name,
            media_type: e.media_type,
            size: e.size,
            effective_on: e.effective_on.0.to_string(),
            expires_on: e.expires_on.map(|d| d.0.to_string()),
            added_by: e.added_by_name,
            added_at: e.added_at.0.to_string(),
        }
    }
}

/// The upload: `file`, `title`, `effective_on` and optionally `expires_on`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct EvidenceUpload {
    #[schema(format = Binary, content_media_type = "application/octet-stream")]
    file: String,
    title: String,
    /// `YYYY-MM-DD`.
    effective_on: String,
    /// `YYYY-MM-DD`, inclusive; left out if it does not expire.
    expires_on: Option<String>,
}

/// Link evidence to a requirement.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvidenceLink {
    requirement: String,
    evidence: Uuid,
}

/// Add evidence to an organisation (whoever answers its assessments); stored encrypted.
#[utoipa::path(post, path = "/organisations/{id}/evidence", tag = "assessments",
    params(("id" = Uuid, Path)),
    request_body(content = EvidenceUpload, content_type = "multipart/form-data"),
    responses((status = 201, body = super::dto::Created), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn add_evidence(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
    ApiUpload(upload): ApiUpload,
) -> ApiResult<Response> {
    let input = EvidenceInput {
        title: upload.field("title").to_owned(),
        effective_on: upload.field("effective_on").to_owned(),
        expires_on: upload.field("expires_on").to_owned(),
        file: upload.file,
    };
    let evidence = state.app.add_evidence(&s.caller, id, input).await?;
    Ok(created(format!("/api/v1/evidence/{evidence}"), evidence))
}

/// The evidence an organisation keeps, newest first.
#[utoipa::path(get, path = "/organisations/{id}/evidence", tag = "assessments",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<EvidenceDto>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_evidence(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<Vec<EvidenceDto>>> {
    let rows = state.app.evidence(&s.caller, id).await?;
    Ok(axum::Json(rows.into_iter().map(Into::into).collect()))
}

/// Download evidence; every download is recorded.
#[utoipa::path(get, path = "/evidence/{id}", tag = "assessments", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The file", content_type = "application/octet-stream"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_evidence(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    let file = state.app.evidence_file(&s.caller, id).await?;
    Ok(super::attachments::file_download(file))
}

/// Link the organisation's evidence, in force today, to a requirement of an open
/// assessment.
#[utoipa::path(post, path = "/assessments/{id}/evidence", tag = "assessments",
    params(("id" = Uuid, Path)), request_body = EvidenceLink,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn link_evidence(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<EvidenceLink>,
) -> ApiResult<StatusCode> {
    state
        .app
        .link_evidence(&s.caller, id, &body.requirement, body.evidence)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
