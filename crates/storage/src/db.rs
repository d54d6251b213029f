//! The database handle: SQLite (zero setup, one node) or PostgreSQL (any number of nodes).
//!
//! Queries are written once, with `$N` placeholders that both drivers understand, and run
//! on whichever pool is behind the handle through [`on_tx!`](crate::on_tx) and
//! [`on_db!`](crate::on_db). Each expansion is type-checked against its own driver.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, PgPool, Postgres, SqliteConnection, SqlitePool, Transaction};

use crate::StorageError;
use crate::types::Ts;
use crate::writer::{WriteTx, Writer};

/// Where the data lives.
#[derive(Clone)]
pub enum DbConfig {
    /// A SQLite file inside a data folder (created if missing).
    Sqlite {
        /// The data folder; the database is `mamori.db` inside it.
        data_dir: PathBuf,
    },
    /// A PostgreSQL database.
    Postgres {
        /// `postgres://…`; may carry `options=-csearch_path%3D…`.
        url: String,
    },
}

impl std::fmt::Debug for DbConfig {
    // The URL may hold a password: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DbConfig::Sqlite { data_dir } => write!(f, "SQLite in {}", data_dir.display()),
            DbConfig::Postgres { url } => {
                let host = url.rsplit_once('@').map_or(url.as_str(), |(_, h)| h);
                let host = host
                    .trim_start_matches("postgres://")
                    .trim_start_matches("postgresql://");
                write!(
                    f,
                    "PostgreSQL at {}",
                    host.split('?').next().unwrap_or(host)
                )
            }
        }
    }
}

impl DbConfig {
    /// Chooses PostgreSQL when a URL is given, otherwise SQLite in `data_dir`.
    pub fn from_options(database_url: Option<&str>, data_dir: &Path) -> Result<Self, StorageError> {
        match database_url {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Ok(DbConfig::Postgres {
                    url: url.to_owned(),
                })
            }
            Some(url) if url.starts_with("sqlite:") => Ok(DbConfig::Sqlite {
                data_dir: PathBuf::from(
                    url.trim_start_matches("sqlite://")
                        .trim_start_matches("sqlite:"),
                ),
            }),
            Some(_) => Err(StorageError::Config(
                "the database URL must start with postgres:// (or use --data-dir for SQLite)"
                    .into(),
            )),
            None => Ok(DbConfig::Sqlite {
                data_dir: data_dir.to_owned(),
            }),
        }
    }
}

/// The open database.
#[derive(Clone, Debug)]
pub enum Db {
    /// SQLite: one writer connection (SQLite serialises writes anyway; queueing them in
    /// the pool avoids busy retries) and a pool of readers that WAL lets run alongside.
    Sqlite {
        /// Readers.
        read: SqlitePool,
        /// The single writer.
        writer: Writer,
        /// The database file.
        path: PathBuf,
    },
    /// PostgreSQL.
    Postgres(PgPool),
}

/// A write transaction on either backend.
pub enum Tx {
    /// On SQLite: a savepoint within the writer's current batch.
    Sqlite(WriteTx),
    /// On PostgreSQL.
    Postgres(Transaction<'static, Postgres>),
}

/// Runs `$body` with `$c` bound to the transaction's connection, once per backend.
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, $c:ident => $body:expr) => {
        match $tx {
            $crate::Tx::Sqlite(w) => {
                let $c = w.conn();
                $body
            }
            $crate::Tx::Postgres(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}

/// Runs `$body` with `$p` bound to a reading pool, once per backend.
#[macro_export]
macro_rules! on_db {
    ($db:expr, $p:ident => $body:expr) => {
        match $db {
            $crate::Db::Sqlite { read, .. } => {
                let $p = read;
                $body
            }
            $crate::Db::Postgres(pool) => {
                let $p = pool;
                $body
            }
        }
    };
}

/// Tuning that differs between a server and a one-shot command.
#[derive(Debug, Clone, Copy)]
pub struct PoolSize {
    /// Reader connections (SQLite) or all connections (PostgreSQL).
    pub connections: u32,
}

impl Default for PoolSize {
    fn default() -> Self {
        Self { connections: 8 }
    }
}

/// What `mamori doctor` reads of a database without changing anything in it.
#[derive(Debug, Clone)]
pub struct Inspection {
    /// Migrations this mamori knows.
    pub known: usize,
    /// Those of them applied.
    pub applied: usize,
    /// Versions this mamori knows that are not applied (the next start applies them).
    pub pending: Vec<i64>,
    /// Versions applied that this mamori does not know: a newer mamori ran here.
    pub unknown: Vec<i64>,
    /// The database server's clock (PostgreSQL; SQLite has none of its own).
    pub server_time: Option<Ts>,
    /// The audit chain's head, once the schema has one.
    pub audit_head: Option<(i64, Vec<u8>)>,
    /// The hash of the event asked about (the latest anchor's), if the chain holds it.
    pub hash_at: Option<Vec<u8>>,
}

/// Reads a database's state without migrating it or creating it, with the hash of event
/// `seq` if asked: `None` when a SQLite data folder holds no database yet.
pub async fn inspect(
    config: &DbConfig,
    seq: Option<i64>,
) -> Result<Option<Inspection>, StorageError> {
    // A missing table (a database no mamori has migrated) reads as nothing applied; so
    // does a schema without the audit chain yet.
    macro_rules! read_state {
        ($conn:expr) => {{
            let done: Vec<i64> = sqlx::query_scalar(
                "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version",
            )
            .fetch_all(&mut *$conn)
            .await
            .unwrap_or_default();
            let head: Option<(i64, Vec<u8>)> =
                sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
                    .fetch_optional(&mut *$conn)
                    .await
                    .unwrap_or_default();
            let at: Option<Vec<u8>> = match seq {
                None => None,
                Some(seq) => sqlx::query_scalar("SELECT hash FROM audit_events WHERE seq = $1")
                    .bind(seq)
                    .fetch_optional(&mut *$conn)
                    .await
                    .unwrap_or_default(),
            };
            (done, head, at)
        }};
    }
    let (known, done, server_time, audit_head, hash_at): (Vec<i64>, Vec<i64>, Option<Ts>, _, _) =
        match config {
            DbConfig::Sqlite { data_dir } => {
                let path = data_dir.join("mamori.db");
                if !path.exists() {
                    return Ok(None);
                }
                let options = SqliteConnectOptions::new().filename(&path).read_only(true);
                let mut conn = SqliteConnection::connect_with(&options).await?;
                let (done, head, at) = read_state!(&mut conn);
                conn.close().await?;
                let known = sqlx::migrate!("./migrations/sqlite")
                    .iter()
                    .map(|m| m.version)
                    .collect();
                (known, done, None, head, at)
            }
            DbConfig::Postgres { url } => {
                let mut conn =
                    sqlx::PgConnection::connect_with(&PgConnectOptions::from_str(url)?).await?;
                let (done, head, at) = read_state!(&mut conn);
                let now: Ts = sqlx::query_scalar("SELECT now()")
                    .fetch_one(&mut conn)
                    .await?;
                conn.close().await?;
                let known = sqlx::migrate!("./migrations/postgres")
                    .iter()
                    .map(|m| m.version)
                    .collect();
                (known, done, Some(now), head, at)
            }
        };
    Ok(Some(Inspection {
        known: known.len(),
        applied: done.iter().filter(|v| known.contains(v)).count(),
        pending: known
            .iter()
            .filter(|v| !done.contains(v))
            .copied()
            .collect(),
        unknown: done
            .iter()
            .filter(|v| !known.contains(v))
            .copied()
            .collect(),
        server_time,
        audit_head,
        hash_at,
    }))
}

impl Db {
    /// Opens (creating the SQLite file if needed) and migrates.
    pub async fn open(config: &DbConfig, size: PoolSize) -> Result<Self, StorageError> {
        let db = match config {
            DbConfig::Sqlite { data_dir } => {
                let mut folder = std::fs::DirBuilder::new();
                folder.recursive(true);
                // A new data folder (database, key file) is the owner's alone.
                #[cfg(unix)]
                std::os::unix::fs::DirBuilderExt::mode(&mut folder, 0o700);
                folder.create(data_dir).map_err(|e| {
                    StorageError::Config(format!(
                        "cannot create the data folder {}: {e}",
                        data_dir.display()
                    ))
                })?;
                let path = data_dir.join("mamori.db");
                // The database holds every person's hash and the sealed files: readable by
                // the server's account only. SQLite gives the -wal and -shm files it
                // creates the mode of the database file, so creating that file 0600
                // before SQLite opens it covers all three without touching the process's
                // umask; an older installation's files are narrowed here too.
                owner_only(&path)?;
                let options = SqliteConnectOptions::new()
                    .filename(&path)
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    // NORMAL: COMMIT does not wait for the disk, but nothing is acknowledged
                    // before the writer's syncer has flushed the log (see `writer.rs`), so
                    // an acknowledged write survives a power cut, not only a crash.
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10))
                    .pragma("temp_store", "memory")
                    .pragma("cache_size", "-16000");
                let mut conn = SqliteConnection::connect_with(&options).await?;
                for suffix in ["-wal", "-shm"] {
                    let mut side = path.clone().into_os_string();
                    side.push(suffix);
                    let side = PathBuf::from(side);
                    if side.exists() {
                        owner_only(&side)?;
                    }
                }
                sqlx::migrate!("./migrations/sqlite").run(&mut conn).await?;
                let writer = Writer::new(conn, &path)?;
                // A local file cannot drop a connection; sqlx's ping before each acquire
                // would only add a round trip to every query.
                let read = SqlitePoolOptions::new()
                    .max_connections(size.connections)
                    .test_before_acquire(false)
                    .connect_with(options.read_only(true))
                    .await?;
                Db::Sqlite { read, writer, path }
            }
            DbConfig::Postgres { url } => {
                let options = PgConnectOptions::from_str(url)?;
                let pool = PgPoolOptions::new()
                    .max_connections(size.connections)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await?;
                // The migrator takes an advisory lock: two servers starting together are safe.
                sqlx::migrate!("./migrations/postgres").run(&pool).await?;
                Db::Postgres(pool)
            }
        };
        Ok(db)
    }

    /// Starts a write transaction.
    pub async fn begin(&self) -> Result<Tx, StorageError> {
        Ok(match self {
            // The batch's IMMEDIATE transaction takes the write lock up front, so a
            // transaction that reads before it writes never fails on a lock upgrade.
            Db::Sqlite { writer, .. } => Tx::Sqlite(writer.begin().await?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// `sqlite` or `postgres`, for logs and health checks.
    pub fn backend(&self) -> &'static str {
        match self {
            Db::Sqlite { .. } => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// Connections the pool holds now, and how many of them are idle (on SQLite, the
    /// readers; the single writer is not counted).
    pub fn pool_usage(&self) -> (u32, usize) {
        match self {
            Db::Sqlite { read, .. } => (read.size(), read.num_idle()),
            Db::Postgres(pool) => (pool.size(), pool.num_idle()),
        }
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), StorageError> {
        on_db!(self, p => sqlx::query("SELECT 1").execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Closes every connection (SQLite checkpoints its WAL on the last close).
    pub async fn close(&self) {
        match self {
            // The writer's connection closes when the last handle is dropped.
            Db::Sqlite { read, .. } => read.close().await,
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

/// Creates `path` (empty) readable and writable by its owner only, or narrows an existing
/// file to that. The mode is given at creation, so a new file is never readable by others
/// even for a moment, whatever the umask. An existing file that cannot be narrowed (it
/// belongs to another account) is left as it is, with a warning, rather than stopping a
/// server that could run before.
pub(crate) fn owner_only(path: &Path) -> Result<(), StorageError> {
    let mut options = std::fs::OpenOptions::new();
    // Append: an existing database is opened without being truncated or written.
    options.append(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path).map_err(|e| {
        StorageError::Config(format!("cannot open or create {}: {e}", path.display()))
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let loose = file
            .metadata()
            .map(|m| m.permissions().mode() & 0o077 != 0)
            .unwrap_or(true);
        if loose && let Err(e) = file.set_permissions(std::fs::Permissions::from_mode(0o600)) {
            tracing::warn!(path = %path.display(), error = %e, "cannot make the file readable by its owner only");
        }
    }
    drop(file);
    Ok(())
}

impl Tx {
    /// Makes every change of the transaction durable.
    pub async fn commit(self) -> Result<(), StorageError> {
        match self {
            Tx::Sqlite(w) => w.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }
}

/// Somewhere to read from: the reader pool, or inside a write transaction (to see its own
/// uncommitted rows and, on PostgreSQL, to read under its locks).
pub enum Src<'a> {
    /// The reader pool.
    Db(&'a Db),
    /// An open write transaction.
    Tx(&'a mut Tx),
}

impl Src<'_> {
    /// The same source for one more query, so that one `Src` can serve several in a row.
    pub fn reborrow(&mut self) -> Src<'_> {
        match self {
            Src::Db(db) => Src::Db(db),
            Src::Tx(tx) => Src::Tx(tx),
        }
    }
}

impl<'a> From<&'a Db> for Src<'a> {
    fn from(db: &'a Db) -> Self {
        Src::Db(db)
    }
}

impl<'a> From<&'a mut Tx> for Src<'a> {
    fn from(tx: &'a mut Tx) -> Self {
        Src::Tx(tx)
    }
}

/// Runs `$body` with `$c` bound to whatever executor a [`Src`] holds, once per backend.
#[macro_export]
macro_rules! on_src {
    ($src:expr, $c:ident => $body:expr) => {
        match $src {
            $crate::Src::Db($crate::Db::Sqlite { read, .. }) => {
                let $c = read;
                $body
            }
            $crate::Src::Db($crate::Db::Postgres(pool)) => {
                let $c = pool;
                $body
            }
            $crate::Src::Tx($crate::Tx::Sqlite(w)) => {
                let $c = w.conn();
                $body
            }
            $crate::Src::Tx($crate::Tx::Postgres(t)) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}
