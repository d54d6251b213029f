//! An upload posted as `multipart/form-data`, read the way `crates/web/src/upload.rs`
//! reads one: axum's `Multipart` (multer underneath) over the body, part by part, keeping
//! the CSRF token, the first `file` part up to the size limit, and up to 20 short text
//! fields. The body arrives in chunks of varied sizes, so that the boundary is also found
//! when it straddles two of them.

#![no_main]

use axum::body::{Body, Bytes};
use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{FromRequest, Multipart, Request};
use libfuzzer_sys::fuzz_target;

const BOUNDARY: &str = "mamori-fuzz-boundary";
/// The attachment limit of these runs: small, so that inputs reach it.
const FILE_LIMIT: usize = 1024;
/// As in upload.rs.
const MAX_FIELDS: usize = 20;
const MAX_FIELD_BYTES: usize = 8000;
/// The sizes the body is cut into, in turn.
const CHUNKS: [usize; 6] = [1, 7, 64, 2, 513, 4096];

/// upload.rs's `capped`: keeps at most `cap` bytes and reads the rest to the end.
async fn capped(field: &mut Field<'_>, cap: usize) -> Result<Vec<u8>, MultipartError> {
    let mut kept = Vec::new();
    while let Some(chunk) = field.chunk().await? {
        let room = cap.saturating_sub(kept.len());
        kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }
    assert!(kept.len() <= cap, "kept past the cap");
    Ok(kept)
}

async fn read(body: Vec<u8>) -> Result<(), MultipartError> {
    let mut chunks: Vec<Result<Bytes, std::io::Error>> = Vec::new();
    let mut rest = Bytes::from(body);
    for size in CHUNKS.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        chunks.push(Ok(rest.split_to((*size).min(rest.len()))));
    }
    let request = Request::builder()
        .method("POST")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from_stream(futures_util::stream::iter(chunks)));
    let Ok(request) = request else {
        return Ok(());
    };
    let Ok(mut form) = Multipart::from_request(request, &()).await else {
        return Ok(());
    };
    let mut file = None;
    let mut fields: Vec<(String, String)> = Vec::new();
    while let Some(mut field) = form.next_field().await? {
        match field.name() {
            Some("_csrf") => {
                let text = capped(&mut field, 128).await?;
                let _ = String::from_utf8_lossy(&text);
            }
            Some("file") if file.is_none() => {
                let file_name = field.file_name().unwrap_or_default().to_owned();
                let content = capped(&mut field, FILE_LIMIT + 1).await?;
                if !(file_name.is_empty() && content.is_empty()) {
                    file = Some((file_name, content));
                }
            }
            Some(name) if field.file_name().is_none() && fields.len() < MAX_FIELDS => {
                let name = name.to_owned();
                let text = capped(&mut field, MAX_FIELD_BYTES).await?;
                fields.push((name, String::from_utf8_lossy(&text).into_owned()));
            }
            _ => {
                capped(&mut field, 0).await?;
            }
        }
    }
    assert!(fields.len() <= MAX_FIELDS);
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = futures_executor::block_on(read(data.to_vec()));
});
