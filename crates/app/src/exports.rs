//! A case as one file to send outside mamori: its documents, its attachments and its
//! record, in a ZIP encrypted with AES-256 under a password the reader chooses and sends
//! by another way, as the procedures require for anything leaving by e-mail.

use std::io::{Cursor, Write};

use mamori_domain::FieldErrors;
use mamori_storage::attachments;
use serde_json::{Value, json};
use uuid::Uuid;
use zip::write::SimpleFileOptions;
use zip::{AesMode, CompressionMethod, ZipWriter};

use crate::{App, AppError, Caller, RenderedDocument};

/// The shortest password accepted: the ZIP is as strong as it.
pub const MIN_PASSWORD_CHARS: usize = 12;

impl App {
    /// The case as an AES-256 ZIP: every document, every attached file, and `case.json`
    /// with its data and history. One audit event records what left and who took it.
    pub async fn case_bundle(
        &self,
        caller: &Caller,
        id: Uuid,
        password: &str,
    ) -> Result<RenderedDocument, AppError> {
        let view = self.case(caller, id).await?;
        check_password(password)?;
        let mut files: Vec<(String, Vec<u8>)> = Vec::new();
        for doc in &view.procedure().documents {
            let rendered = self.render_document(&view, doc).await?;
            files.push((rendered.file_name, rendered.body));
        }
        for a in &view.attachments {
            let sealed = attachments::sealed(&self.db, &a.file_address).await?;
            let content = self
                .settings
                .sealer
                .open_file(&sealed, &a.file_address)
                .ok_or_else(|| AppError::Internal(format!("attachment {} does not open", a.id)))?;
            files.push((format!("添付/{}", a.file_name), content));
        }
        let mark = view.class_label();
        let record = json!({
            "id": view.row.id,
            "title": view.row.title,
            "library": format!("{} {}", view.row.library_id, view.row.library_version),
            "procedure": view.row.procedure_id,
            "organisation": view.row.organisation_name,
            "state": view.row.state,
            "mark": mark,
            "data": Value::Object(view.data.clone()),
            "history": view.events.iter().map(|e| json!({
                "at": e.occurred_at.0.to_string(),
                "actor": e.actor_name,
                "action": e.action,
                "from": e.from_state,
                "to": e.to_state,
                "comment": e.comment,
            })).collect::<Vec<_>>(),
        });
        let record =
            serde_json::to_vec_pretty(&record).map_err(|e| AppError::Internal(e.to_string()))?;
        files.push(("case.json".into(), record));
        unique_names(&mut files);

        let names: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
        // The archive's comment, readable without the password, says how to handle it, as
        // the cover of a marked paper file does.
        let comment = mark.map(|m| format!("取扱区分: {m}"));
        let body = sealed_off_thread(files, password, comment).await?;

        let mut tx = self.db.begin().await?;
        let detail = json!({ "files": names, "encryption": "AES-256" });
        self.record_done(
            &mut tx,
            caller,
            "case.export",
            view.row.organisation_id,
            ("case", id.to_string()),
            detail,
        )
        .await?;
        tx.commit().await?;
        Ok(RenderedDocument {
            file_name: format!("case-{}.zip", &id.simple().to_string()[..8]),
            download_name: None,
            content_type: "application/zip",
            body,
        })
    }
}

/// Names every entry once: a ZIP may not hold two entries of one name (the `zip` crate
/// refuses the second), and Windows cannot unpack two names that differ only in case. Two
/// attachments named `report.pdf` leave as `report.pdf` and `report (2).pdf`, as a file
/// manager names a copy.
fn unique_names(files: &mut [(String, Vec<u8>)]) {
    let mut taken = std::collections::HashSet::new();
    for (name, _) in files.iter_mut() {
        if taken.insert(name.to_lowercase()) {
            continue;
        }
        // The extension starts at the last dot of the file's own name, not at one of a
        // folder's, and a leading dot (`.profile`) is part of the name.
        let file_start = name.rfind('/').map_or(0, |i| i + 1);
        let dot = name[file_start..]
            .rfind('.')
            .filter(|&i| i > 0)
            .map_or(name.len(), |i| file_start + i);
        let (stem, ext) = name.split_at(dot);
        let renamed = (2..)
            .map(|n| format!("{stem} ({n}){ext}"))
            .find(|candidate| !taken.contains(&candidate.to_lowercase()))
            .unwrap_or_default();
        taken.insert(renamed.to_lowercase());
        *name = renamed;
    }
}

/// Refuses a password too short to protect what leaves.
pub(crate) fn check_password(password: &str) -> Result<(), AppError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        let mut errors = FieldErrors::default();
        errors.push_limit("password", "too-short", MIN_PASSWORD_CHARS as u32);
        return Err(AppError::Invalid(errors));
    }
    Ok(())
}

/// [`seal_zip`] on a blocking thread: key derivation and encryption are CPU work that
/// would hold up the async workers.
pub(crate) async fn sealed_off_thread(
    files: Vec<(String, Vec<u8>)>,
    password: &str,
    comment: Option<String>,
) -> Result<Vec<u8>, AppError> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || seal_zip(&files, &password, comment))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(format!("encrypted export: {e}")))
}

/// Writes `files` into a ZIP, each encrypted with AES-256 (WinZip AE-2) under `password`.
fn seal_zip(
    files: &[(String, Vec<u8>)],
    password: &str,
    comment: Option<String>,
) -> zip::result::ZipResult<Vec<u8>> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    if let Some(comment) = comment {
        zip.set_comment(comment)?;
    }
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .with_aes_encryption(AesMode::Aes256, password);
    for (name, content) in files {
        zip.start_file(name.as_str(), options)?;
        zip.write_all(content)?;
    }
    Ok(zip.finish()?.into_inner())
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn entries_of_one_name_are_numbered() {
        let mut files: Vec<(String, Vec<u8>)> = [
            "添付/report.pdf",
            "添付/report.pdf",
            "添付/Report.PDF",
            "添付/report (2).pdf",
            "添付/v1.2/notes",
            "添付/v1.2/notes",
            "添付/.profile",
            "添付/.profile",
        ]
        .into_iter()
        .map(|n| (n.to_owned(), vec![]))
        .collect();
        unique_names(&mut files);
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "添付/report.pdf",
                "添付/report (2).pdf",
                "添付/Report (3).PDF",
                "添付/report (2) (2).pdf",
                "添付/v1.2/notes",
                "添付/v1.2/notes (2)",
                "添付/.profile",
                "添付/.profile (2)",
            ]
        );
        // And the archive takes them all.
        assert!(seal_zip(&files, "correct horse battery", None).is_ok());
    }

    #[test]
    fn the_zip_opens_with_its_password_only() {
        let files = vec![
            (
                "申請書.txt".to_owned(),
                "外部サービス利用承認申請書 SECRET".as_bytes().to_vec(),
            ),
            ("添付/a.pdf".to_owned(), b"%PDF-1.7".to_vec()),
        ];
        let bytes = seal_zip(
            &files,
            "correct horse battery",
            Some("取扱区分: 注意".into()),
        )
        .unwrap();
        assert!(!bytes.windows(6).any(|w| w == b"SECRET"));
        let mut zip = zip::ZipArchive::new(Cursor::new(&bytes)).unwrap();
        assert_eq!(zip.comment(), "取扱区分: 注意".as_bytes());
        let mut text = String::new();
        zip.by_name_decrypt("申請書.txt", b"correct horse battery")
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "外部サービス利用承認申請書 SECRET");
        assert!(
            zip.by_name_decrypt("添付/a.pdf", b"wrong password")
                .is_err()
        );
        assert!(
            zip.by_name("添付/a.pdf").is_err(),
            "nothing opens without it"
        );
    }
}
