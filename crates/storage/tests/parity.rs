//! The SQLite and PostgreSQL migrations describe the same schema: the same tables, the same
//! columns, the same nullability. A migration added to one folder only fails here.
//! Needs `TEST_DATABASE_URL` (the PostgreSQL run of the suite); the SQLite run skips it.

use std::collections::BTreeSet;

use mamori_storage::{Db, DbConfig, PoolSize};
use mamori_test_support::TestDb;

type Columns = BTreeSet<(String, String, bool)>;

#[tokio::test]
async fn both_backends_have_the_same_schema() {
    let pg = TestDb::new().await;
    let Some(url) = pg.database_url.clone() else {
        eprintln!("skipped: needs TEST_DATABASE_URL");
        return;
    };
    let lite_dir = std::env::temp_dir().join(format!("mamori-parity-{}", std::process::id()));
    let lite = Db::open(
        &DbConfig::Sqlite {
            data_dir: lite_dir.clone(),
        },
        PoolSize::default(),
    )
    .await
    .unwrap();
    let postgres = Db::open(&DbConfig::Postgres { url }, PoolSize::default())
        .await
        .unwrap();

    let Db::Sqlite { read, .. } = &lite else {
        unreachable!()
    };
    let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT m.name, p.name, p.\"notnull\", p.pk FROM sqlite_master m, pragma_table_info(m.name) p
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%'",
    )
    .fetch_all(read)
    .await
    .unwrap();
    // SQLite lets a non-integer primary key be NULL; PostgreSQL never does. Read both as NOT NULL.
    // The one difference by design: SQLite's full-text index of cases (the FTS5 table and
    // its shadow tables, and the stable key `cases.seq` it is keyed by); PostgreSQL
    // searches the same `search_text` column with a trigram index instead.
    let sqlite: Columns = rows
        .into_iter()
        .filter(|(t, c, _, _)| !(t.starts_with("case_search") || (t == "cases" && c == "seq")))
        .map(|(t, c, nn, pk)| (t, c, nn == 1 || pk > 0))
        .collect();

    let Db::Postgres(pool) = &postgres else {
        unreachable!()
    };
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, is_nullable::text FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name NOT LIKE '\\_sqlx%'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let postgresql: Columns = rows
        .into_iter()
        .map(|(t, c, n)| (t, c, n == "NO"))
        .collect();

    assert!(
        sqlite.len() > 50,
        "the schema was read ({} columns)",
        sqlite.len()
    );
    let only_sqlite: Vec<_> = sqlite.difference(&postgresql).collect();
    let only_pg: Vec<_> = postgresql.difference(&sqlite).collect();
    assert!(
        only_sqlite.is_empty() && only_pg.is_empty(),
        "only in SQLite: {only_sqlite:?}\nonly in PostgreSQL: {only_pg:?}"
    );
    lite.close().await;
    let _ = std::fs::remove_dir_all(lite_dir);
}
