//! Library versions the server has loaded, kept with their files.

use sqlx::FromRow;

use crate::types::Ts;
use crate::{Db, Src, StorageError, Tx, on_db, on_src, on_tx};

/// A stored library version.
#[derive(Debug, Clone, FromRow)]
pub struct LibraryVersionRow {
    /// Library id.
    pub library_id: String,
    /// Version.
    pub version: String,
    /// Digest of its files.
    pub digest: String,
    /// Its files as JSON `[[path, content], …]`.
    pub files: String,
}

/// Stores a version unless it is there. A stored version whose files differ is refused:
/// a library must not change without a new version, or running cases would change.
pub async fn ensure(tx: &mut Tx, row: &LibraryVersionRow, now: Ts) -> Result<(), StorageError> {
    const FIND: &str = "SELECT digest FROM library_versions WHERE library_id = $1 AND version = $2";
    let found: Option<(String,)> = on_tx!(tx, c => sqlx::query_as(FIND).bind(&row.library_id).bind(&row.version).fetch_optional(c).await)?;
    match found {
        Some((digest,)) if digest == row.digest => Ok(()),
        Some(_) => Err(StorageError::Config(format!(
            "library {} version {} differs from the copy stored when it was first loaded; give the changed library a new version",
            row.library_id, row.version
        ))),
        None => {
            // Two servers may build the same version at once; the first one stored stands.
            const INSERT: &str =
                "INSERT INTO library_versions (library_id, version, digest, files, loaded_at)
                                  VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING";
            on_tx!(tx, c => sqlx::query(INSERT).bind(&row.library_id).bind(&row.version).bind(&row.digest).bind(&row.files).bind(now)
                .execute(c).await.map(|r| r.rows_affected()))?;
            Ok(())
        }
    }
}

/// Every stored version.
pub async fn all(db: &Db) -> Result<Vec<LibraryVersionRow>, StorageError> {
    const SQL: &str = "SELECT library_id, version, digest, files FROM library_versions ORDER BY library_id, loaded_at";
    Ok(on_db!(db, p => sqlx::query_as(SQL).fetch_all(p).await)?)
}

/// One stored version.
pub async fn get<'a>(
    src: impl Into<Src<'a>>,
    library: &str,
    version: &str,
) -> Result<LibraryVersionRow, StorageError> {
    const SQL: &str = "SELECT library_id, version, digest, files FROM library_versions
                       WHERE library_id = $1 AND version = $2";
    on_src!(src.into(), c => sqlx::query_as(SQL).bind(library).bind(version).fetch_optional(c).await)?
        .ok_or(StorageError::NotFound)
}
