//! The SQLite files and backups hold every person's password hash and the sealed files:
//! they are created readable by their owner only, whatever the process's umask.
//! SQLite only (PostgreSQL keeps no files of ours), so it runs the same on both runs.
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use mamori_storage::{Db, DbConfig, PoolSize};
use mamori_test_support::TestDb;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test]
async fn the_database_its_log_and_a_backup_are_readable_by_their_owner_only() {
    let t = TestDb::new().await;
    let config = DbConfig::from_options(None, &t.data_dir).unwrap();
    let db = Db::open(&config, PoolSize { connections: 2 })
        .await
        .unwrap();
    for name in ["mamori.db", "mamori.db-wal", "mamori.db-shm"] {
        assert_eq!(mode(&t.data_dir.join(name)), 0o600, "{name}");
    }
    assert_eq!(mode(&t.data_dir) & 0o077, 0, "the data folder");

    let out = t.data_dir.with_file_name("backup.db");
    mamori_storage::backup(&db, &out).await.unwrap();
    assert!(std::fs::metadata(&out).unwrap().len() > 0, "a real copy");
    assert_eq!(mode(&out), 0o600, "the backup");
    // A second backup to the same file is refused, and the first is left alone.
    let again = mamori_storage::backup(&db, &out).await.unwrap_err();
    assert!(again.to_string().contains("already exists"), "{again}");
    assert!(std::fs::metadata(&out).unwrap().len() > 0);
    db.close().await;
}

#[tokio::test]
async fn an_older_installations_readable_database_is_narrowed_on_open() {
    let t = TestDb::new().await;
    let config = DbConfig::from_options(None, &t.data_dir).unwrap();
    let db = Db::open(&config, PoolSize { connections: 2 })
        .await
        .unwrap();
    db.close().await;
    drop(db);
    let file = t.data_dir.join("mamori.db");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let db = Db::open(&config, PoolSize { connections: 2 })
        .await
        .unwrap();
    assert_eq!(mode(&file), 0o600);
    db.close().await;
}
