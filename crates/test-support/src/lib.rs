//! Test databases: a fresh SQLite folder per test by default, or a fresh PostgreSQL schema
//! per test when `TEST_DATABASE_URL` names a server. The same tests run on both.

pub mod smtp;

use std::path::PathBuf;

use sqlx::Connection;

/// Where one test's data lives; dropping it removes the SQLite folder (PostgreSQL
/// schemas are dropped by the test script before each run, since dropping needs async).
pub struct TestDb {
    /// `--database-url` for PostgreSQL, or `None` for SQLite.
    pub database_url: Option<String>,
    /// `--data-dir` for SQLite (unused on PostgreSQL).
    pub data_dir: PathBuf,
    _dir: TempDir,
}

impl TestDb {
    /// A new, empty database of the backend the environment asks for.
    pub async fn new() -> Self {
        tls_for_test_clients();
        let dir = TempDir::new();
        let data_dir = dir.0.join("data");
        let database_url = match std::env::var("TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => Some(new_schema(&url).await),
            _ => None,
        };
        Self {
            database_url,
            data_dir,
            _dir: dir,
        }
    }

    /// Whether this run is on PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.database_url.is_some()
    }

    /// The arguments that point a `mamori` command at this database.
    pub fn cli_args(&self) -> Vec<String> {
        // The data folder is passed on PostgreSQL too: it holds the server's key file.
        let mut args = vec!["--data-dir".into(), self.data_dir.display().to_string()];
        if let Some(url) = &self.database_url {
            args.extend(["--database-url".into(), url.clone()]);
        }
        args
    }
}

/// Creates a schema named after a fresh UUID and returns a URL whose connections use it.
async fn new_schema(url: &str) -> String {
    let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .expect("TEST_DATABASE_URL must name a reachable PostgreSQL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut conn)
        .await
        .expect("create test schema");
    let _ = conn.close().await;
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-csearch_path%3D{schema}")
}

/// A temporary folder removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let path =
            std::env::temp_dir().join(format!("mamori-test-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&path).expect("create temp dir");
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Gives the tests' HTTP clients TLS: the workspace's reqwest is built with rustls and no
/// default cryptography (mamori's own client, for the directory's sign-in, brings ring
/// itself), and a client built without one panics. Plain `http://` clients need it too.
pub fn tls_for_test_clients() {
    // Already installed by another test of the process: fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
