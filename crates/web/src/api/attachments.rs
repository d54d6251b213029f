//! `/api/v1/cases/{id}/attachments`: files attached to a case.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use mamori_app::read::AttachmentRow;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::ApiResult;
use super::dto::ErrorBody;
use crate::AppState;
use crate::extract::{ApiCaller, ApiJson, ApiPath};
use crate::upload::{ApiUpload, disposition};

/// A file attached to a case.
#[derive(Serialize, ToSchema)]
pub struct AttachmentDto {
    id: Uuid,
    file_name: String,
    media_type: String,
    /// Bytes.
    size: i64,
    added_by: String,
    added_at: String,
    /// The form field (of type `attachment`) it was attached for, if any.
    field: Option<String>,
    /// The class it carries (the case's when it was attached), as printed.
    class: Option<String>,
    /// Where to download it.
    href: String,
}

impl AttachmentDto {
    pub(super) fn new(lib: &mamori_library::Library, a: &AttachmentRow) -> Self {
        Self {
            id: a.id,
            file_name: a.file_name.clone(),
            media_type: a.media_type.clone(),
            size: a.size,
            added_by: a.added_by_name.clone(),
            added_at: a.added_at.0.to_string(),
            field: a.field.clone(),
            class: lib
                .printed_class(a.class.as_deref())
                .map(|(label, _)| label.ja),
            href: format!("/api/v1/cases/{}/attachments/{}", a.case_id, a.id),
        }
    }
}

/// The upload: one part named `file`, and optionally one named `field`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadBody {
    /// PDF, PNG, JPEG, text, CSV, or a Word, Excel or PowerPoint file; the content must
    /// match the extension.
    #[schema(format = Binary, content_media_type = "application/octet-stream")]
    file: String,
    /// The id of the form's `attachment` field the file is for (監査結果通知書, say);
    /// left out, the file belongs to the case as a whole.
    field: Option<String>,
}

/// Attach a file to a case: allowed to whoever the case waits on now, and to the applicant
/// while it is a draft. The file is stored encrypted.
#[utoipa::path(post, path = "/cases/{id}/attachments", tag = "cases", params(("id" = Uuid, Path)),
    request_body(content = UploadBody, content_type = "multipart/form-data"),
    responses((status = 201, body = AttachmentDto),
        (status = 400, description = "No file, an empty or too large file, or a format not accepted", body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn add_attachment(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
    ApiUpload(upload): ApiUpload,
) -> ApiResult<Response> {
    let field = upload.field("field").to_owned();
    let added = state
        .app
        .attach(&s.caller, id, upload.file, Some(&field))
        .await?;
    let view = state.app.case(&s.caller, id).await?;
    let row = view
        .attachments
        .iter()
        .find(|a| a.id == added)
        .ok_or_else(crate::error::Failure::not_found)?;
    let location = format!("/api/v1/cases/{id}/attachments/{added}");
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        axum::Json(AttachmentDto::new(&view.library, row)),
    )
        .into_response())
}

/// Download an attached file; every download is recorded in the audit trail.
#[utoipa::path(get, path = "/cases/{id}/attachments/{attachment}", tag = "cases",
    params(("id" = Uuid, Path), ("attachment" = Uuid, Path)),
    responses((status = 200, description = "The file, with its media type", content_type = "application/octet-stream"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_attachment(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath((id, attachment)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Response> {
    let file = state.app.attachment(&s.caller, id, attachment).await?;
    Ok(file_download(file))
}

/// A stored file as a download, with its own media type.
pub(crate) fn file_download(file: mamori_app::Download) -> Response {
    (
        [
            (header::CONTENT_TYPE, file.media_type),
            (
                header::CONTENT_DISPOSITION,
                disposition("attachment", &file.file_name),
            ),
        ],
        file.content,
    )
        .into_response()
}

/// Withdraw a file attached by mistake (only its uploader, while they may still attach).
/// The case's history keeps that it was attached and withdrawn.
#[utoipa::path(delete, path = "/cases/{id}/attachments/{attachment}", tag = "cases",
    params(("id" = Uuid, Path), ("attachment" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn withdraw_attachment(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath((id, attachment)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    state
        .app
        .withdraw_attachment(&s.caller, id, attachment)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The password that locks an export (a case bundle, a register).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BundleRequest {
    /// At least 12 characters; send it to the recipient by another way than the file.
    pub(super) password: String,
}

/// The case as one AES-256 ZIP to send outside mamori: its documents, attached files and
/// `case.json` (data and history). The export is recorded in the audit trail.
#[utoipa::path(post, path = "/cases/{id}/bundle", tag = "cases", params(("id" = Uuid, Path)),
    request_body = BundleRequest,
    responses((status = 200, description = "The encrypted ZIP", content_type = "application/zip"),
        (status = 400, description = "The password is too short", body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn export_case_bundle(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<BundleRequest>,
) -> ApiResult<Response> {
    let zip = state.app.case_bundle(&s.caller, id, &body.password).await?;
    Ok(download_response(zip))
}

/// A rendered file (a bundle, an encrypted export) as a download.
pub(crate) fn download_response(zip: mamori_app::RenderedDocument) -> Response {
    (
        [
            (header::CONTENT_TYPE, zip.content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                disposition("attachment", &zip.file_name),
            ),
        ],
        zip.body,
    )
        .into_response()
}
