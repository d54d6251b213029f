//! Files attached to cases: checked, sealed at rest, stored once per content, and every
//! download recorded, since a download is how evidence leaves mamori.
//!
//! Whoever the case waits on (or the applicant, while it is a draft) may attach; whoever
//! may read the case may download; only the person who attached a file may withdraw it,
//! and only while they could still attach.

use std::sync::Arc;

use mamori_domain::FieldErrors;
use mamori_domain::attachment::{self, Refusal};
use mamori_library::model::FieldType;
use mamori_storage::attachments::{self, NewAttachment};
use mamori_storage::cases::{self as case_store, NewCaseEvent};
use serde_json::json;
use tokio::sync::OwnedSemaphorePermit;
use uuid::Uuid;

use crate::{App, AppError, Caller};

/// A file as uploaded.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The name the browser or program gave.
    pub file_name: String,
    /// The content.
    pub content: Vec<u8>,
}

/// A file to hand back.
#[derive(Debug, Clone)]
pub struct Download {
    /// Its name.
    pub file_name: String,
    /// Its media type.
    pub media_type: String,
    /// Its content.
    pub content: Vec<u8>,
}

/// A turn to receive and handle one upload; the next waiting upload goes when it is
/// dropped.
#[derive(Debug)]
pub struct UploadTurn(#[expect(dead_code, reason = "held for its drop")] OwnedSemaphorePermit);

impl App {
    /// The largest file accepted, in bytes.
    pub fn attachment_limit(&self) -> usize {
        self.settings.attachment_max_bytes
    }

    /// Waits for a turn to receive an upload, at most [`Settings::upload_wait`]: `None`
    /// when the server is busy with others, so that a burst of uploads is told to come
    /// back rather than held in memory all at once.
    ///
    /// [`Settings::upload_wait`]: crate::Settings::upload_wait
    pub async fn upload_turn(&self) -> Option<UploadTurn> {
        let slots = Arc::clone(&self.upload_slots);
        tokio::time::timeout(self.settings.upload_wait, slots.acquire_owned())
            .await
            .ok()?
            .ok()
            .map(UploadTurn)
    }

    fn refused(&self, r: Refusal) -> AppError {
        let mut errors = FieldErrors::default();
        self.file_refused(&mut errors, r);
        AppError::Invalid(errors)
    }

    /// Names why a file is refused under the `file` input, with the limit if it is too big.
    pub(crate) fn file_refused(&self, errors: &mut FieldErrors, r: Refusal) {
        match r {
            Refusal::TooLarge => {
                let mib = self.settings.attachment_max_bytes.div_ceil(1024 * 1024);
                errors.push_limit("file", r.code(), u32::try_from(mib).unwrap_or(u32::MAX));
            }
            _ => errors.push("file", r.code()),
        }
    }

    /// Attaches a file to a case, for one of its form's attachment fields or for the case
    /// as a whole; returns the attachment's id.
    pub async fn attach(
        &self,
        caller: &Caller,
        case: Uuid,
        upload: Upload,
        field: Option<&str>,
    ) -> Result<Uuid, AppError> {
        let name = attachment::clean_file_name(&upload.file_name).map_err(|r| self.refused(r))?;
        let kind = attachment::classify(&name, &upload.content, self.settings.attachment_max_bytes)
            .map_err(|r| self.refused(r))?;
        let view = self.case(caller, case).await?;
        let field = field.filter(|f| !f.is_empty());
        if let Some(f) = field {
            let Some(def) = view
                .fields()
                .iter()
                .find(|x| x.id() == f && x.kind == FieldType::Attachment)
            else {
                let mut errors = FieldErrors::default();
                errors.push("field", "not-found");
                return Err(AppError::Invalid(errors));
            };
            if def.pdf_only && kind != attachment::FileKind::Pdf {
                return Err(self.refused(Refusal::PdfOnly));
            }
        }
        if !view.may_attach {
            return self
                .deny(
                    caller,
                    "case.attach",
                    Some(view.row.organisation_id),
                    "case",
                    Some(case.to_string()),
                )
                .await;
        }
        let address = self.settings.sealer.address(&upload.content);
        let sealed = self.settings.sealer.seal_file(&upload.content, &address);
        let id = Uuid::now_v7();
        let size = i64::try_from(upload.content.len()).unwrap_or(i64::MAX);
        let now = self.now();
        // A file added to a classified case is classified as the case is: what is given
        // with a record carries its class.
        let class = crate::cases::case_class(&view.library, &view.data, &view.attachments);
        let class = view.library.class_key(&class);
        let mut tx = self.db.begin().await?;
        attachments::insert(
            &mut tx,
            &NewAttachment {
                id,
                case,
                address: &address,
                sealed: &sealed,
                size,
                file_name: &name,
                field,
                media_type: kind.media_type(),
                class: class.as_deref(),
                by: caller.actor.person,
                now,
            },
        )
        .await?;
        case_store::append_event(
            &mut tx,
            case,
            &NewCaseEvent {
                actor: Some(caller.actor.person),
                action: "attach",
                from_state: None,
                to_state: None,
                comment: &name,
                data: &field.map_or_else(|| "{}".to_owned(), |f| json!({ "field": f }).to_string()),
                detail: "{}",
                now,
            },
        )
        .await?;
        self.record_done(&mut tx, caller, "case.attach", view.row.organisation_id, ("case", case.to_string()),
            json!({ "attachment": id, "file_name": name, "size": size, "media_type": kind.media_type(), "field": field }))
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The plain content of a stored file (an attachment's, a piece of evidence's).
    pub(crate) async fn open_stored(&self, address: &str) -> Result<Vec<u8>, AppError> {
        let sealed = attachments::sealed(&self.db, address).await?;
        self.settings
            .sealer
            .open_file(&sealed, address)
            .ok_or_else(|| {
                AppError::Internal(format!(
                    "file {address} does not open under this installation's key"
                ))
            })
    }

    /// Seals and stores a file's content once per content; returns its address and size.
    pub(crate) async fn store_sealed(
        &self,
        tx: &mut mamori_storage::Tx,
        content: &[u8],
    ) -> Result<(String, i64), AppError> {
        let address = self.settings.sealer.address(content);
        let sealed = self.settings.sealer.seal_file(content, &address);
        let size = i64::try_from(content.len()).unwrap_or(i64::MAX);
        attachments::store_file(tx, &address, size, &sealed, self.now()).await?;
        Ok((address, size))
    }

    /// A file attached to a case, for a reader of the case.
    pub async fn attachment(
        &self,
        caller: &Caller,
        case: Uuid,
        id: Uuid,
    ) -> Result<Download, AppError> {
        let view = self.case(caller, case).await?;
        let row = attachments::get(&self.db, case, id).await?;
        if row.withdrawn_at.is_some() {
            return Err(AppError::NotFound);
        }
        let content = self.open_stored(&row.file_address).await?;
        let mut tx = self.db.begin().await?;
        self.record_done(
            &mut tx,
            caller,
            "case.attachment.download",
            view.row.organisation_id,
            ("case", case.to_string()),
            json!({ "attachment": id, "file_name": row.file_name }),
        )
        .await?;
        tx.commit().await?;
        Ok(Download {
            file_name: row.file_name,
            media_type: row.media_type,
            content,
        })
    }

    /// Withdraws a file its uploader attached by mistake; the content stays on record.
    pub async fn withdraw_attachment(
        &self,
        caller: &Caller,
        case: Uuid,
        id: Uuid,
    ) -> Result<(), AppError> {
        let view = self.case(caller, case).await?;
        let row = attachments::get(&self.db, case, id).await?;
        if row.withdrawn_at.is_some() {
            return Err(AppError::NotFound);
        }
        if row.added_by != caller.actor.person || !view.may_attach {
            return self
                .deny(
                    caller,
                    "case.attachment.withdraw",
                    Some(view.row.organisation_id),
                    "case",
                    Some(case.to_string()),
                )
                .await;
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if !attachments::withdraw(&mut tx, id, caller.actor.person, now).await? {
            return Err(AppError::NotFound);
        }
        case_store::append_event(
            &mut tx,
            case,
            &NewCaseEvent {
                actor: Some(caller.actor.person),
                action: "attach.withdraw",
                from_state: None,
                to_state: None,
                comment: &row.file_name,
                data: "{}",
                detail: "{}",
                now,
            },
        )
        .await?;
        self.record_done(
            &mut tx,
            caller,
            "case.attachment.withdraw",
            view.row.organisation_id,
            ("case", case.to_string()),
            json!({ "attachment": id, "file_name": row.file_name }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
