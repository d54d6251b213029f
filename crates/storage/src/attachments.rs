//! Sealed file contents and the attachments of cases that name them.

use sqlx::FromRow;
use uuid::Uuid;

use crate::types::Ts;
use crate::{Src, StorageError, Tx, on_src, on_tx};

/// An attachment as listed on its case (the content is read separately).
#[derive(Debug, Clone, FromRow)]
pub struct AttachmentRow {
    pub id: Uuid,
    /// The case.
    pub case_id: Uuid,
    /// Where the content is kept.
    pub file_address: String,
    /// The name it was uploaded with (cleaned).
    pub file_name: String,
    /// Its media type, decided from its extension and content.
    pub media_type: String,
    /// Bytes.
    pub size: i64,
    /// Who attached it.
    pub added_by: Uuid,
    /// Their name.
    pub added_by_name: String,
    pub added_at: Ts,
    /// When it was withdrawn, if it was.
    pub withdrawn_at: Option<Ts>,
    /// The form field it was attached for, if any.
    pub field: Option<String>,
    /// Its class, as the case stores one (the case's when it was attached).
    pub class: Option<String>,
}

/// A new attachment.
#[derive(Debug, Clone)]
pub struct NewAttachment<'a> {
    pub id: Uuid,
    /// The case.
    pub case: Uuid,
    /// The content's address.
    pub address: &'a str,
    /// The sealed content, stored unless the address is already known.
    pub sealed: &'a [u8],
    /// Plain size in bytes.
    pub size: i64,
    /// File name.
    pub file_name: &'a str,
    /// The form field it is attached for, if any.
    pub field: Option<&'a str>,
    /// Media type.
    pub media_type: &'a str,
    /// Its class, as the case stores one.
    pub class: Option<&'a str>,
    pub by: Uuid,
    pub now: Ts,
}

/// Stores sealed content under its address, unless the same content is already there.
pub async fn store_file(
    tx: &mut Tx,
    address: &str,
    size: i64,
    sealed: &[u8],
    now: Ts,
) -> Result<(), StorageError> {
    const FILE: &str =
        "INSERT INTO files (address, size, sealed, created_at) VALUES ($1, $2, $3, $4)
                        ON CONFLICT (address) DO NOTHING";
    on_tx!(tx, c => sqlx::query(FILE).bind(address).bind(size).bind(sealed).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Stores the content (once per address) and the attachment.
pub async fn insert(tx: &mut Tx, a: &NewAttachment<'_>) -> Result<(), StorageError> {
    store_file(tx, a.address, a.size, a.sealed, a.now).await?;
    const ROW: &str = "INSERT INTO case_attachments (id, case_id, file_address, file_name, media_type, size, added_by, added_at, field, class)
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
    on_tx!(tx, c => sqlx::query(ROW).bind(a.id).bind(a.case).bind(a.address).bind(a.file_name)
        .bind(a.media_type).bind(a.size).bind(a.by).bind(a.now).bind(a.field).bind(a.class)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

const COLUMNS: &str =
    "a.id, a.case_id, a.file_address, a.file_name, a.media_type, a.size, a.added_by,
    p.name AS added_by_name, a.added_at, a.withdrawn_at, a.field, a.class";

/// The attachments of a case still in it, oldest first.
pub async fn for_case<'a>(
    src: impl Into<Src<'a>>,
    case: Uuid,
) -> Result<Vec<AttachmentRow>, StorageError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM case_attachments a JOIN persons p ON p.id = a.added_by
         WHERE a.case_id = $1 AND a.withdrawn_at IS NULL ORDER BY a.added_at, a.id"
    );
    Ok(
        on_src!(src.into(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(case).fetch_all(c).await)?,
    )
}

/// One attachment of a case, withdrawn or not.
pub async fn get<'a>(
    src: impl Into<Src<'a>>,
    case: Uuid,
    id: Uuid,
) -> Result<AttachmentRow, StorageError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM case_attachments a JOIN persons p ON p.id = a.added_by
         WHERE a.case_id = $1 AND a.id = $2"
    );
    on_src!(src.into(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(case).bind(id).fetch_optional(c).await)?
        .ok_or(StorageError::NotFound)
}

/// The sealed content at an address.
pub async fn sealed<'a>(src: impl Into<Src<'a>>, address: &str) -> Result<Vec<u8>, StorageError> {
    const SQL: &str = "SELECT sealed FROM files WHERE address = $1";
    let found: Option<(Vec<u8>,)> =
        on_src!(src.into(), c => sqlx::query_as(SQL).bind(address).fetch_optional(c).await)?;
    found.map(|(s,)| s).ok_or(StorageError::NotFound)
}

/// Withdraws an attachment from its case; false if it was already withdrawn.
pub async fn withdraw(tx: &mut Tx, id: Uuid, by: Uuid, now: Ts) -> Result<bool, StorageError> {
    const SQL: &str = "UPDATE case_attachments SET withdrawn_by = $2, withdrawn_at = $3
                       WHERE id = $1 AND withdrawn_at IS NULL";
    let n = on_tx!(tx, c => sqlx::query(SQL).bind(id).bind(by).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}
