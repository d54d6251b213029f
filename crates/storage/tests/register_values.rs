//! The values of register rows kept for filtering (`register_row_values`): written with the
//! row, replaced when it is written again, deleted when it is purged, derived by the
//! migration's SQL exactly as by `registers::write`; and a listing filtered by them, a page
//! at a time, in key order.

use mamori_domain::policy::{self, Actor, Grant, Permission, role};
use mamori_storage::organisations::{self, NewOrganisation};
use mamori_storage::persons::{self, NewPerson};
use mamori_storage::registers::{self, RowFilter, RowWrite};
use mamori_storage::{Db, DbConfig, PageRequest, PoolSize, Ts, row_lifecycle};
use mamori_test_support::TestDb;
use uuid::Uuid;

async fn open() -> (TestDb, Db) {
    let t = TestDb::new().await;
    let config = DbConfig::from_options(t.database_url.as_deref(), &t.data_dir).unwrap();
    let db = Db::open(&config, PoolSize { connections: 2 })
        .await
        .unwrap();
    (t, db)
}

/// An organisation and a person in it, who writes the rows.
async fn keeper(db: &Db) -> (Uuid, Uuid) {
    let now = Ts(jiff::Timestamp::now());
    let (org, person) = (Uuid::now_v7(), Uuid::now_v7());
    let mut tx = db.begin().await.unwrap();
    organisations::insert(
        &mut tx,
        &NewOrganisation {
            id: org,
            name: "総務部",
            kind: "unit",
            parent: None,
            now,
        },
    )
    .await
    .unwrap();
    persons::insert(
        &mut tx,
        &NewPerson {
            id: person,
            organisation: org,
            name: "総務 管理者",
            email: "keeper@example.jp",
            password_hash: "x",
            must_change_password: false,
            now,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    (org, person)
}

async fn write(db: &Db, org: Uuid, actor: Uuid, key: &str, data: &str) -> Uuid {
    let mut tx = db.begin().await.unwrap();
    let id = registers::write(
        &mut tx,
        &RowWrite {
            library: "mod-test",
            register: "assets",
            organisation: org,
            key_text: key,
            data,
            change: data,
            actor,
            case: None,
            action: "add",
            comment: "",
            now: Ts(jiff::Timestamp::now()),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

/// What is stored for filtering, in order: (row, column, value, key, keeper, retired).
type Stored = (Uuid, String, String, String, Uuid, bool);

async fn stored(db: &Db) -> Vec<Stored> {
    const SQL: &str =
        "SELECT row_id, column_id, value, key_text, organisation_id, retired_at IS NOT NULL
        FROM register_row_values ORDER BY row_id, column_id, value";
    mamori_storage::on_db!(db, p => sqlx::query_as(SQL).fetch_all(p).await).unwrap()
}

fn everything() -> policy::Scope {
    let actor = Actor {
        person: Uuid::now_v7(),
        organisation: Uuid::now_v7(),
        grants: vec![Grant {
            role: role::SYSTEM_ADMIN.into(),
            organisation: None,
        }],
    };
    policy::scope(&actor, Permission::ViewCases, &[])
}

async fn keys(db: &Db, filter: &RowFilter, limit: i64, offset: i64) -> (i64, Vec<String>) {
    let page = registers::list(
        db,
        "mod-test",
        "assets",
        &everything(),
        filter,
        PageRequest { limit, offset },
    )
    .await
    .unwrap();
    assert!(page.exact);
    (
        page.total,
        page.items.into_iter().map(|r| r.key_text).collect(),
    )
}

fn filter(values: &[(&str, &str)]) -> RowFilter {
    RowFilter {
        values: values
            .iter()
            .map(|(c, v)| ((*c).to_owned(), (*v).to_owned()))
            .collect(),
        ..RowFilter::default()
    }
}

#[test]
fn the_values_kept_are_those_equality_can_match() {
    let long = "長".repeat(registers::VALUE_CHARS + 1);
    let data = serde_json::json!({
        "asset": "台帳A", "copies": 3, "ratio": 2.5, "backed_up": true,
        "media": ["usb", "dvd", "usb"], "contact": {"name": "甲"}, "notes": long,
        "systems": [{"name": "基幹"}],
    });
    let pairs: Vec<(String, String)> = registers::filter_values(&data.to_string())
        .into_iter()
        .collect();
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(c, v)| (c.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("asset", "台帳A"),
            ("backed_up", "true"),
            ("copies", "3"),
            ("media", "dvd"),
            ("media", "usb"),
            ("ratio", "2.5"),
        ]
    );
    assert!(registers::filter_values("not json").is_empty());
}

#[tokio::test]
async fn values_follow_each_write_and_retirement_and_go_with_the_purged_row() {
    let (_t, db) = open().await;
    let (org, actor) = keeper(&db).await;
    let a = write(
        &db,
        org,
        actor,
        "a",
        r#"{"asset":"a","owner":"総務課","class":"c2"}"#,
    )
    .await;
    let b = write(
        &db,
        org,
        actor,
        "b",
        r#"{"asset":"b","owner":"人事課","class":"c2"}"#,
    )
    .await;
    assert_eq!(stored(&db).await.len(), 6);
    assert_eq!(
        keys(&db, &filter(&[("owner", "総務課"), ("class", "c2")]), 10, 0).await,
        (1, vec!["a".to_owned()])
    );

    // Written again (a correction): the old owner is gone, the new one found.
    write(
        &db,
        org,
        actor,
        "a",
        r#"{"asset":"a","owner":"人事課","class":"c2"}"#,
    )
    .await;
    assert_eq!(
        keys(&db, &filter(&[("owner", "総務課")]), 10, 0).await,
        (0, vec![])
    );
    assert_eq!(
        keys(&db, &filter(&[("class", "c2"), ("owner", "人事課")]), 10, 0).await,
        (2, vec!["a".to_owned(), "b".to_owned()])
    );
    // A page of one, and the page after the last.
    assert_eq!(
        keys(&db, &filter(&[("owner", "人事課")]), 1, 1).await,
        (2, vec!["b".to_owned()])
    );
    assert_eq!(
        keys(&db, &filter(&[("owner", "人事課")]), 1, 5).await,
        (2, vec![])
    );

    // Retired: gone from the live rows, among the retired ones; written again, live.
    let retired = |retired: bool| RowFilter {
        retired,
        ..filter(&[("owner", "人事課")])
    };
    let mut tx = db.begin().await.unwrap();
    assert!(
        registers::retire(&mut tx, b, actor, "廃棄", Ts(jiff::Timestamp::now()))
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    assert_eq!(
        keys(&db, &retired(false), 10, 0).await,
        (1, vec!["a".to_owned()])
    );
    assert_eq!(
        keys(&db, &retired(true), 10, 0).await,
        (1, vec!["b".to_owned()])
    );
    write(
        &db,
        org,
        actor,
        "b",
        r#"{"asset":"b","owner":"人事課","class":"c2"}"#,
    )
    .await;
    assert_eq!(keys(&db, &retired(false), 10, 0).await.0, 2);
    assert!(stored(&db).await.iter().all(|s| !s.5));

    // Purged: its values go with it; the other row's stay.
    let mut tx = db.begin().await.unwrap();
    assert!(row_lifecycle::purge(&mut tx, a).await.unwrap().is_some());
    tx.commit().await.unwrap();
    let left = stored(&db).await;
    assert_eq!(left.len(), 3);
    assert!(left.iter().all(|(row, ..)| *row == b));
}

#[tokio::test]
async fn the_migration_derives_the_values_as_a_write_does() {
    let (t, db) = open().await;
    let (org, actor) = keeper(&db).await;
    let data = [
        r#"{"asset":"a","copies":3,"ratio":2.5,"backed_up":false,"media":["usb","dvd"],"contact":{"name":"甲"}}"#,
        r#"{"asset":"b","notes":"短い備考","flags":[true,1,"x"],"rows":[{"n":1}]}"#,
    ];
    let mut rows = Vec::new();
    for (i, d) in data.iter().enumerate() {
        rows.push(write(&db, org, actor, &i.to_string(), d).await);
    }
    let mut tx = db.begin().await.unwrap();
    registers::retire(&mut tx, rows[1], actor, "", Ts(jiff::Timestamp::now()))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let written = stored(&db).await;
    // The backfill statements of the migration, run again on an emptied table.
    let folder = if t.is_postgres() {
        "postgres"
    } else {
        "sqlite"
    };
    let migration = std::fs::read_to_string(format!(
        "{}/migrations/{folder}/0037_register_row_values.sql",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let inserts: Vec<String> = migration
        .split(';')
        .map(|s| {
            s.lines()
                .filter(|l| !l.trim_start().starts_with("--"))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .filter(|s| s.trim_start().starts_with("INSERT"))
        .collect();
    assert_eq!(inserts.len(), 2);
    let mut tx = db.begin().await.unwrap();
    mamori_storage::on_tx!(&mut tx, c => sqlx::query("DELETE FROM register_row_values").execute(&mut *c).await.map(|r| r.rows_affected()))
        .unwrap();
    for sql in inserts {
        mamori_storage::on_tx!(&mut tx, c => sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *c).await.map(|r| r.rows_affected()))
            .unwrap();
    }
    tx.commit().await.unwrap();
    assert_eq!(stored(&db).await, written);
}
