//! Files posted as `multipart/form-data`: a page's upload form (with its CSRF token) and
//! the API's upload. The size limit is the installation's and is enforced here, while
//! reading, so that an oversized file is never held whole in memory; the use case then
//! judges the file and words the refusal.

use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use mamori_app::{Upload, UploadTurn};
use mamori_domain::FieldError;

use crate::AppState;
use crate::error::Failure;
use crate::extract::{MaybeSession, check_csrf, client_ip};

/// The upload form's file input.
const FILE: &str = "file";

/// A file uploaded from a page; the form's CSRF token has been checked.
pub struct UploadForm(pub Uploaded);

/// A file uploaded through the API (cookies of a browser are covered by the cross-site
/// guard, like every other API write).
pub struct ApiUpload(pub Uploaded);

/// The file and the form's other (short) fields.
pub struct Uploaded {
    /// The file.
    pub file: Upload,
    /// Other fields, as (name, value).
    pub fields: Vec<(String, String)>,
    /// This upload's turn, held until the handler is done with the file (the handler
    /// keeps `Uploaded` to its end even when it moves the file out).
    _turn: UploadTurn,
}

impl Uploaded {
    /// A field's value, or "".
    pub fn field(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// The `organisation` field, which an import names the rows' keeper or the people's
    /// organisation by; refused as a required field when missing or not an id.
    pub fn organisation(&self) -> Result<uuid::Uuid, Failure> {
        self.field("organisation").trim().parse().map_err(|_| {
            Failure::field(FieldError {
                field: "organisation",
                code: "required",
                limit: None,
            })
        })
    }
}

struct Parts {
    turn: UploadTurn,
    csrf: String,
    file: Option<Upload>,
    fields: Vec<(String, String)>,
    /// A text field was not UTF-8: the form is refused (after the CSRF check, so that a
    /// forged post is still recorded as one) rather than stored with U+FFFD in it.
    not_utf8: bool,
}

/// Other fields kept, and their length: enough for an organisation id or a comment.
const MAX_FIELDS: usize = 20;
const MAX_FIELD_BYTES: usize = 8000;

async fn read(req: Request, state: &AppState) -> Result<Parts, Failure> {
    // The turn is taken before the body is read, so that uploads waiting for one are not
    // yet held in memory.
    let turn = state.app.upload_turn().await.ok_or_else(Failure::busy)?;
    let limit = state.app.attachment_limit();
    let mut form = Multipart::from_request(req, state)
        .await
        .map_err(|e| Failure::bad_request("invalid_form", e.body_text()))?;
    let broken = |e: axum::extract::multipart::MultipartError| {
        Failure::bad_request("invalid_form", e.body_text())
    };
    let mut parts = Parts {
        turn,
        csrf: String::new(),
        file: None,
        fields: Vec::new(),
        not_utf8: false,
    };
    while let Some(mut field) = form.next_field().await.map_err(broken)? {
        match field.name() {
            Some("_csrf") => {
                let text = capped(&mut field, 128).await.map_err(broken)?;
                parts.csrf = String::from_utf8_lossy(&text).into_owned();
            }
            Some(FILE) if parts.file.is_none() => {
                let file_name = field.file_name().unwrap_or_default().to_owned();
                // A byte more than the limit is kept so that the use case sees the file is
                // too large.
                let content = capped(&mut field, limit + 1).await.map_err(broken)?;
                // A file input left empty still sends a part, without a name or content.
                if !(file_name.is_empty() && content.is_empty()) {
                    parts.file = Some(Upload { file_name, content });
                }
            }
            Some(name) if field.file_name().is_none() && parts.fields.len() < MAX_FIELDS => {
                let name = name.to_owned();
                let text = capped(&mut field, MAX_FIELD_BYTES).await.map_err(broken)?;
                match String::from_utf8(text) {
                    Ok(text) => parts.fields.push((name, text)),
                    Err(_) => parts.not_utf8 = true,
                }
            }
            _ => {
                capped(&mut field, 0).await.map_err(broken)?;
            }
        }
    }
    Ok(parts)
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

fn file_missing() -> Failure {
    Failure::field(FieldError {
        field: FILE,
        code: "required",
        limit: None,
    })
}

impl FromRequest<AppState> for UploadForm {
    type Rejection = Failure;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut head, body) = req.into_parts();
        let session = MaybeSession::from_request_parts(&mut head, state).await?.0;
        let ip = client_ip(&head);
        let path = head.uri.path().to_owned();
        let parts = read(Request::from_parts(head, body), state).await?;
        check_csrf(state, session.as_ref(), ip, &path, &parts.csrf).await?;
        if parts.not_utf8 {
            return Err(Failure::invalid_utf8());
        }
        let (fields, _turn) = (parts.fields, parts.turn);
        parts
            .file
            .map(|file| {
                UploadForm(Uploaded {
                    file,
                    fields,
                    _turn,
                })
            })
            .ok_or_else(file_missing)
    }
}

impl FromRequest<AppState> for ApiUpload {
    type Rejection = Failure;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let parts = read(req, state).await?;
        if parts.not_utf8 {
            return Err(Failure::invalid_utf8());
        }
        let (fields, _turn) = (parts.fields, parts.turn);
        parts
            .file
            .map(|file| {
                ApiUpload(Uploaded {
                    file,
                    fields,
                    _turn,
                })
            })
            .ok_or_else(file_missing)
    }
}

/// `Content-Disposition` naming a file: an ASCII fallback and the UTF-8 name (RFC 6266),
/// so that Japanese names survive in every browser.
pub fn disposition(kind: &str, file_name: &str) -> String {
    let fallback: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ' | '(' | ')') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in file_name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::disposition;

    #[test]
    fn names_files_for_every_browser() {
        assert_eq!(
            disposition("attachment", "申請書 v2.pdf"),
            "attachment; filename=\"___ v2.pdf\"; filename*=UTF-8''%E7%94%B3%E8%AB%8B%E6%9B%B8%20v2.pdf"
        );
        assert_eq!(
            disposition("inline", "a\"b.txt"),
            "inline; filename=\"a_b.txt\"; filename*=UTF-8''a%22b.txt"
        );
    }
}
