//! The yardstick for mamori's load tests.
//!
//! A deliberately bare server: axum and one SQLite file, no sessions, no
//! authorisation, no audit log, no templates. It answers the same paged person
//! list that mamori serves behind its login, in the same JSON shape, so that
//! `bench/run.sh` can show what mamori's extra layers cost on this machine.
//!
//! Usage: `mamori-bench-baseline [--bind 127.0.0.1:8090] [--db PATH]`.

use axum::{Json, Router, extract::Query, extract::State, http::StatusCode, routing::get};
use serde::{Deserialize, Serialize};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use uuid::Uuid;

const SCHEMA: [&str; 2] = [
    "CREATE TABLE IF NOT EXISTS persons(id BLOB PRIMARY KEY, organisation_id BLOB NOT NULL, \
     name TEXT NOT NULL, email TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL) STRICT",
    "CREATE INDEX IF NOT EXISTS persons_org_name ON persons(organisation_id, name)",
];

#[derive(Deserialize)]
struct Page {
    limit: Option<i64>,
    offset: Option<i64>,
}

#[derive(Serialize)]
struct Person {
    id: Uuid,
    name: String,
    email: String,
    organisation: Uuid,
}

#[derive(Serialize)]
struct List {
    items: Vec<Person>,
    total: i64,
}

async fn list_persons(
    State(pool): State<SqlitePool>,
    Query(page): Query<Page>,
) -> Result<Json<List>, (StatusCode, String)> {
    let limit = page.limit.unwrap_or(10).clamp(1, 100);
    let offset = page.offset.unwrap_or(0).max(0);
    let rows: Vec<(Uuid, String, String, Uuid)> = sqlx::query_as(
        "SELECT id, name, email, organisation_id FROM persons ORDER BY name, id LIMIT ? OFFSET ?",
    )
    .bind(limit)
    .bind(offset)
    .fetch_all(&pool)
    .await
    .map_err(fail)?;
    let total = sqlx::query_scalar("SELECT COUNT(*) FROM persons")
        .fetch_one(&pool)
        .await
        .map_err(fail)?;
    let items = rows
        .into_iter()
        .map(|(id, name, email, organisation)| Person {
            id,
            name,
            email,
            organisation,
        })
        .collect();
    Ok(Json(List { items, total }))
}

fn fail(e: sqlx::Error) -> (StatusCode, String) {
    (StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}

/// Creates the table and, on an empty database, 1,000 people in one organisation.
async fn prepare(pool: &SqlitePool) -> Result<(), sqlx::Error> {
    for statement in SCHEMA {
        sqlx::query(statement).execute(pool).await?;
    }
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM persons")
        .fetch_one(pool)
        .await?;
    if count == 0 {
        let organisation = Uuid::now_v7();
        let mut tx = pool.begin().await?;
        for n in 1..=1000 {
            sqlx::query("INSERT INTO persons VALUES (?, ?, ?, ?, unixepoch())")
                .bind(Uuid::now_v7())
                .bind(organisation)
                .bind(format!("職員 {n:04}"))
                .bind(format!("person{n:04}@example.jp"))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut bind = "127.0.0.1:8090".to_string();
    let mut db = format!(
        "{}/mamori-baseline-{}.db",
        std::env::temp_dir().display(),
        std::process::id()
    );
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let slot = match flag.as_str() {
            "--bind" => &mut bind,
            "--db" => &mut db,
            _ => return Err(format!("unknown argument {flag}; expected --bind or --db").into()),
        };
        *slot = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
    }
    let options = SqliteConnectOptions::new()
        .filename(&db)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal);
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await?;
    prepare(&pool).await?;
    let app = Router::new()
        .route("/api/v1/persons", get(list_persons))
        .with_state(pool);
    let listener = tokio::net::TcpListener::bind(&bind).await?;
    println!("baseline listening on http://{bind} (database {db})");
    axum::serve(listener, app).await?;
    Ok(())
}
