//! What can go wrong in storage, in terms the layers above can act on.

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The row asked for does not exist.
    #[error("not found")]
    NotFound,
    /// A unique constraint refused the write; the value names the constraint's field.
    #[error("already exists: {0}")]
    Conflict(&'static str),
    /// The configuration cannot work (bad URL, unwritable folder).
    #[error("{0}")]
    Config(String),
    /// Migrating the schema failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Anything else the driver reported.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// What SQLite reported to a direct reader (the audit trail's verifier).
    #[error("database error: {0}")]
    Direct(#[from] rusqlite::Error),
}

impl StorageError {
    /// Maps a unique violation to [`StorageError::Conflict`] naming `field`.
    pub fn unique(field: &'static str) -> impl FnOnce(sqlx::Error) -> StorageError {
        move |e| match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => StorageError::Conflict(field),
            _ => StorageError::Database(e),
        }
    }
}
