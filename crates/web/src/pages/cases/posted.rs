//! A case form as posted. A form with attachment fields is sent as `multipart/form-data`
//! so that a file chosen before the first save travels with what was typed; any other
//! form (and the script's autosave) is URL-encoded. Both are read here into the same
//! pairs, with the files beside them.

use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use axum::http::header;
use mamori_app::{Upload, UploadTurn};

use crate::AppState;
use crate::error::Failure;
use crate::extract::{CsrfForm, MaybeSession, check_csrf, client_ip};

/// The name of a file input of an attachment field: `file.<field id>`.
pub const FILE_PREFIX: &str = "file.";

/// Files one form may carry: more attachment fields than any form has.
const MAX_FILES: usize = 20;
/// Text a multipart form may carry in all, as much as a URL-encoded one.
const MAX_TEXT_BYTES: usize = crate::BODY_LIMIT;

/// What a case form posted: its fields, and the files chosen in it with the attachment
/// field each is for. The CSRF token has been checked.
pub struct CaseForm {
    /// The fields, as (name, value).
    pub pairs: Vec<(String, String)>,
    /// (attachment field id, file).
    pub files: Vec<(String, Upload)>,
    /// The upload's turn, held while the files are handled (a multipart form only).
    _turn: Option<UploadTurn>,
}

fn is_multipart(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"))
}

impl FromRequest<AppState> for CaseForm {
    type Rejection = Failure;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        if !is_multipart(&req) {
            let CsrfForm(pairs) = CsrfForm::from_request(req, state).await?;
            return Ok(CaseForm {
                pairs,
                files: vec![],
                _turn: None,
            });
        }
        let (mut head, body) = req.into_parts();
        let session = MaybeSession::from_request_parts(&mut head, state).await?.0;
        let ip = client_ip(&head);
        let path = head.uri.path().to_owned();
        // Taken before the body is read, as for any upload, so that forms waiting for a
        // turn are not yet held in memory.
        let turn = state.app.upload_turn().await.ok_or_else(Failure::busy)?;
        let limit = state.app.attachment_limit();
        let mut form = Multipart::from_request(Request::from_parts(head, body), state)
            .await
            .map_err(|e| Failure::bad_request("invalid_form", e.body_text()))?;
        let broken = |e: axum::extract::multipart::MultipartError| {
            Failure::bad_request("invalid_form", e.body_text())
        };
        let (mut csrf, mut pairs, mut files) = (String::new(), Vec::new(), Vec::new());
        let (mut text_bytes, mut not_utf8) = (0usize, false);
        while let Some(mut field) = form.next_field().await.map_err(broken)? {
            let name = field.name().unwrap_or_default().to_owned();
            if name == "_csrf" {
                csrf = String::from_utf8_lossy(&capped(&mut field, 128).await.map_err(broken)?)
                    .into_owned();
            } else if let Some(id) = name.strip_prefix(FILE_PREFIX)
                && files.len() < MAX_FILES
            {
                let file_name = field.file_name().unwrap_or_default().to_owned();
                // A byte over the limit is kept, so that the use case sees it is too large.
                let content = capped(&mut field, limit + 1).await.map_err(broken)?;
                // A file input left empty still sends a part, without a name or content.
                if !(file_name.is_empty() && content.is_empty()) {
                    files.push((id.to_owned(), Upload { file_name, content }));
                }
            } else if field.file_name().is_none() {
                let room = MAX_TEXT_BYTES.saturating_sub(text_bytes);
                let text = capped(&mut field, room + 1).await.map_err(broken)?;
                text_bytes += name.len() + text.len();
                if text_bytes > MAX_TEXT_BYTES {
                    return Err(Failure::bad_request("payload_too_large", "form"));
                }
                match String::from_utf8(text) {
                    Ok(text) => pairs.push((name, text)),
                    Err(_) => not_utf8 = true,
                }
            } else {
                capped(&mut field, 0).await.map_err(broken)?;
            }
        }
        check_csrf(state, session.as_ref(), ip, &path, &csrf).await?;
        if not_utf8 {
            return Err(Failure::invalid_utf8());
        }
        Ok(CaseForm {
            pairs,
            files,
            _turn: Some(turn),
        })
    }
}

/// Reads a part, keeping at most `cap` bytes; the rest is read and dropped, so that the
/// browser gets the answer rather than a reset connection.
async fn capped(
    field: &mut axum::extract::multipart::Field<'_>,
    cap: usize,
) -> Result<Vec<u8>, axum::extract::multipart::MultipartError> {
    let mut kept = Vec::new();
    while let Some(chunk) = field.chunk().await? {
        let room = cap.saturating_sub(kept.len());
        kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }
    Ok(kept)
}
