//! Storage for mamori: one set of repositories over SQLite or PostgreSQL.
//!
//! Every repository function takes either a [`Tx`] (writes, and reads that must see the
//! transaction's own rows) or anything that converts into a [`Src`]. Lists that cross
//! organisations demand a policy [`Scope`](mamori_domain::policy::Scope).

pub mod adaptations;
pub mod api_tokens;
pub mod assessments;
pub mod attachments;
pub mod audit;
pub mod case_retention;
pub mod case_schedules;
pub mod case_secrets;
pub mod cases;
pub mod db;
pub mod designations;
mod error;
pub mod evidence;
pub mod libraries;
pub mod matrix_corrections;
pub mod notifications;
pub mod oidc;
pub mod organisations;
pub mod passkeys;
pub mod persons;
pub mod posts;
pub mod registers;
pub mod rollup;
pub mod rounds;
pub mod row_designations;
pub mod row_lifecycle;
mod scope;
pub mod sessions;
pub mod setup_guide;
pub mod timers;
pub mod types;
pub mod writer;

pub use db::{Db, DbConfig, Inspection, PoolSize, Src, Tx, inspect};
pub use error::StorageError;
pub use scope::{COUNT_CAP, Page, PageRequest};
pub use types::{Day, Ts};
pub use writer::{WriteTx, Writer};

/// Writes a consistent copy of the database to `out` while the server keeps running.
///
/// SQLite only: PostgreSQL is backed up with `pg_dump` (see the README).
pub async fn backup(db: &Db, out: &std::path::Path) -> Result<(), StorageError> {
    match db {
        Db::Sqlite { read, .. } => {
            let path = out
                .to_str()
                .ok_or_else(|| StorageError::Config("the backup path is not valid UTF-8".into()))?;
            // The copy holds what the database holds: it is created empty and readable by
            // its owner only before SQLite writes into it (VACUUM INTO accepts an empty
            // file and keeps its mode). `create_new` also refuses an existing file
            // without a gap between checking and creating.
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            options.open(out).map_err(|e| {
                StorageError::Config(if e.kind() == std::io::ErrorKind::AlreadyExists {
                    format!("{} already exists; choose a new file", out.display())
                } else {
                    format!("cannot create {}: {e}", out.display())
                })
            })?;
            // VACUUM INTO reads one snapshot of the database and writes a compact copy.
            let copied = sqlx::query("VACUUM INTO $1")
                .bind(path)
                .execute(read)
                .await
                .map(|r| r.rows_affected());
            if let Err(e) = copied {
                // Leave no empty or partial file that looks like a backup.
                let _ = std::fs::remove_file(out);
                return Err(e.into());
            }
            Ok(())
        }
        Db::Postgres(_) => Err(StorageError::Config(
            "PostgreSQL is backed up with pg_dump (see the README's Backup section)".into(),
        )),
    }
}
