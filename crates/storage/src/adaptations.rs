//! Organisations' own variants of library forms, as the text of their `adaptation.yaml`.

use sqlx::FromRow;
use uuid::Uuid;

use crate::types::Ts;
use crate::{Src, StorageError, Tx, on_src, on_tx};

/// A stored variant.
#[derive(Debug, Clone, FromRow)]
pub struct AdaptationRow {
    /// The organisation it belongs to.
    pub organisation_id: Uuid,
    /// The library it adapts.
    pub library_id: String,
    /// The text of `adaptation.yaml`.
    pub spec: String,
    /// Who wrote it last.
    pub updated_by: Uuid,
    pub updated_at: Ts,
}

const COLUMNS: &str = "organisation_id, library_id, spec, updated_by, updated_at";

/// The variant an organisation keeps for a library, if any.
pub async fn get<'a>(
    src: impl Into<Src<'a>>,
    organisation: Uuid,
    library: &str,
) -> Result<Option<AdaptationRow>, StorageError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM library_adaptations WHERE organisation_id = $1 AND library_id = $2"
    );
    Ok(
        on_src!(src.into(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(organisation).bind(library).fetch_optional(c).await)?,
    )
}

/// The variants for a library kept by any of `organisations` (an organisation and its
/// ancestors); the caller picks the nearest.
pub async fn among<'a>(
    src: impl Into<Src<'a>>,
    organisations: &[Uuid],
    library: &str,
) -> Result<Vec<AdaptationRow>, StorageError> {
    if organisations.is_empty() {
        return Ok(vec![]);
    }
    let placeholders: Vec<String> = (0..organisations.len())
        .map(|i| format!("${}", i + 2))
        .collect();
    let sql = format!(
        "SELECT {COLUMNS} FROM library_adaptations WHERE library_id = $1 AND organisation_id IN ({})",
        placeholders.join(", ")
    );
    on_src!(src.into(), c => {
        let mut q = sqlx::query_as::<_, AdaptationRow>(sqlx::AssertSqlSafe(sql)).bind(library);
        for o in organisations {
            q = q.bind(*o);
        }
        q.fetch_all(c).await
    })
    .map_err(Into::into)
}

/// Stores an organisation's variant, replacing the one it had.
pub async fn put(
    tx: &mut Tx,
    organisation: Uuid,
    library: &str,
    spec: &str,
    by: Uuid,
    now: Ts,
) -> Result<(), StorageError> {
    const SQL: &str = "INSERT INTO library_adaptations (organisation_id, library_id, spec, updated_by, updated_at)
                       VALUES ($1, $2, $3, $4, $5)
                       ON CONFLICT (organisation_id, library_id)
                       DO UPDATE SET spec = excluded.spec, updated_by = excluded.updated_by, updated_at = excluded.updated_at";
    on_tx!(tx, c => sqlx::query(SQL).bind(organisation).bind(library).bind(spec).bind(by).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Removes an organisation's variant; false if it had none.
pub async fn remove(tx: &mut Tx, organisation: Uuid, library: &str) -> Result<bool, StorageError> {
    const SQL: &str =
        "DELETE FROM library_adaptations WHERE organisation_id = $1 AND library_id = $2";
    let n = on_tx!(tx, c => sqlx::query(SQL).bind(organisation).bind(library).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}
