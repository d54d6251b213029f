//! The binary under stress: a `kill -9` in the middle of concurrent writes loses no
//! acknowledged write and leaves the audit chain intact; tampering is caught by
//! `mamori audit verify`; a backup taken while serving restores; a server started with an
//! installation's own library opens its recurring rounds by itself. On SQLite by default,
//! on PostgreSQL with `TEST_DATABASE_URL`.

use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mamori_test_support::TestDb;
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_mamori");
const PASSWORD: &str = "durability-test-password";

fn mamori(db: &TestDb, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args).args(db.cli_args()).env("MAMORI_LOG", "warn");
    c
}

fn create_admin(db: &TestDb) {
    let mut child = mamori(
        db,
        &[
            "admin",
            "create",
            "--email",
            "admin@example.jp",
            "--name",
            "管理者",
            "--password-stdin",
        ],
    )
    .stdin(Stdio::piped())
    .stdout(Stdio::null())
    .spawn()
    .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(PASSWORD.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `mamori serve` and waits until it answers.
async fn serve(db: &TestDb, port: u16) -> Child {
    serve_with(db, port, &[]).await
}

/// Starts `mamori serve` with more arguments and waits until it answers.
async fn serve_with(db: &TestDb, port: u16, more: &[&str]) -> Child {
    let bind = format!("127.0.0.1:{port}");
    let mut args = vec!["serve", "--bind", &bind];
    args.extend_from_slice(more);
    let child = mamori(db, &args).stdout(Stdio::null()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(r) = reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await
            && r.status().is_success()
        {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut child = child;
    let _ = child.kill();
    let _ = child.wait();
    panic!("mamori did not start");
}

async fn login(port: u16) -> reqwest::Client {
    let c = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let res = c
        .post(format!("http://127.0.0.1:{port}/api/v1/session"))
        .json(&json!({"email": "admin@example.jp", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    c
}

fn verify(db: &TestDb) -> (bool, String) {
    let out = mamori(db, &["audit", "verify"]).output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_under_write_load_loses_no_acknowledged_write() {
    let db = TestDb::new().await;
    create_admin(&db);
    let port = free_port();
    let mut server = serve(&db, port).await;
    let client = login(port).await;

    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut writers = Vec::new();
    for w in 0..8 {
        let (client, acknowledged) = (client.clone(), acknowledged.clone());
        writers.push(tokio::spawn(async move {
            for i in 0.. {
                let res = client
                    .post(format!("http://127.0.0.1:{port}/api/v1/organisations"))
                    .json(&json!({"name": format!("書込{w}-{i}"), "kind": "unit"}))
                    .send()
                    .await;
                // Only a complete 201 answer counts as acknowledged.
                let Ok(res) = res else { break };
                if res.status() != 201 {
                    break;
                }
                let Ok(body) = res.json::<serde_json::Value>().await else {
                    break;
                };
                acknowledged
                    .lock()
                    .unwrap()
                    .push(body["id"].as_str().unwrap().to_owned());
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill().unwrap(); // SIGKILL: no shutdown, no checkpoint.
    server.wait().unwrap();
    for w in writers {
        w.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() > 20,
        "the load ran ({} writes)",
        acknowledged.len()
    );

    let (ok, report) = verify(&db);
    assert!(ok, "audit chain after SIGKILL: {report}");

    let mut server = serve(&db, port).await;
    let client = login(port).await;
    let mut missing = Vec::new();
    for id in &acknowledged {
        let res = client
            .get(format!("http://127.0.0.1:{port}/api/v1/organisations/{id}"))
            .send()
            .await
            .unwrap();
        if res.status() != 200 {
            missing.push(id.clone());
        }
    }
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged writes lost",
        missing.len(),
        acknowledged.len()
    );
}

async fn execute(db: &TestDb, sql: &'static str) {
    match &db.database_url {
        Some(url) => {
            use sqlx::Connection;
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query(sql).execute(&mut c).await.unwrap();
        }
        None => {
            let path = db.data_dir.join("mamori.db");
            let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap();
            sqlx::query(sql).execute(&pool).await.unwrap();
            pool.close().await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_verify_names_the_first_altered_or_removed_event() {
    let db = TestDb::new().await;
    create_admin(&db);
    let port = free_port();
    let mut server = serve(&db, port).await;
    let client = login(port).await;
    for name in ["甲社", "乙社", "丙社", "丁社"] {
        let res = client
            .post(format!("http://127.0.0.1:{port}/api/v1/organisations"))
            .json(&json!({"name": name, "kind": "company"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
    }
    server.kill().unwrap();
    server.wait().unwrap();
    let (ok, report) = verify(&db);
    assert!(ok && report.contains("6 events verified"), "{report}");

    execute(&db, "DELETE FROM audit_events WHERE seq = 4").await;
    let (ok, report) = verify(&db);
    assert!(!ok, "a removed event must be detected");
    assert!(report.contains("event 4"), "{report}");

    execute(
        &db,
        "UPDATE audit_events SET outcome = 'denied' WHERE seq = 2",
    )
    .await;
    let (ok, report) = verify(&db);
    assert!(
        !ok && report.contains("BROKEN at event 2"),
        "the first bad event is named: {report}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_serving_restores() {
    let db = TestDb::new().await;
    if db.is_postgres() {
        // PostgreSQL is backed up with pg_dump; the command says so rather than pretending.
        let out = mamori(&db, &["backup", "--out", "/tmp/never.db"])
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
        return;
    }
    create_admin(&db);
    let port = free_port();
    let mut server = serve(&db, port).await;
    let client = login(port).await;
    let res = client
        .post(format!("http://127.0.0.1:{port}/api/v1/organisations"))
        .json(&json!({"name": "バックアップ前", "kind": "unit"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let restore_dir = db.data_dir.parent().unwrap().join("restored");
    std::fs::create_dir_all(&restore_dir).unwrap();
    let out = mamori(
        &db,
        &[
            "backup",
            "--out",
            restore_dir.join("mamori.db").to_str().unwrap(),
        ],
    )
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    server.kill().unwrap();
    server.wait().unwrap();
    // Restoring is putting the file in a data folder.
    let out = Command::new(BIN)
        .args([
            "audit",
            "verify",
            "--data-dir",
            restore_dir.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("3 events verified"),
        "admin created, login, one organisation"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_with_its_own_library_opens_the_running_round_by_itself() {
    let db = TestDb::new().await;
    create_admin(&db);
    let yearly = std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap())
        .join("../../fixtures/libraries/mod-yearly");
    let yearly = yearly.to_str().unwrap();
    let port = free_port();
    let mut server = serve_with(&db, port, &["--library", yearly]).await;
    let client = login(port).await;
    let url = |path: &str| format!("http://127.0.0.1:{port}{path}");
    let created = |res: reqwest::Response| async move {
        assert_eq!(res.status(), 201);
        res.json::<serde_json::Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let city = created(
        client
            .post(url("/api/v1/organisations"))
            .json(&json!({"name": "青葉市", "kind": "local_government"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let officer = created(
        client
            .post(url("/api/v1/persons"))
            .json(&json!({"name": "総務 一郎", "email": "officer@aoba.example.jp", "organisation": city, "initial_password": "initial-pass-1"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    created(
        client
            .post(url("/api/v1/designations"))
            .json(&json!({"role": "security_officer", "organisation": city, "person": officer, "starts_on": "2020-01-01"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    // The ticker opens the round at its next tick (every 15 seconds).
    let deadline = Instant::now() + Duration::from_secs(40);
    let board = loop {
        let board: serde_json::Value = client
            .get(url("/api/v1/obligations/mod-yearly/self_check"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if board["tally"]["open"] == 1 || Instant::now() > deadline {
            break board;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    server.kill().unwrap();
    server.wait().unwrap();
    assert_eq!(board["tally"]["open"], 1, "{board}");
    assert_eq!(board["lines"][0]["organisation_name"], "青葉市");
    assert_eq!(board["lines"][0]["person_name"], "総務 一郎");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_installation_s_own_figures_make_the_version_every_case_opens_under() {
    let db = TestDb::new().await;
    create_admin(&db);
    let file = db.data_dir.parent().unwrap().join("atla.yaml");
    std::fs::write(
        &file,
        "schedules:\n  - { procedure: joining, step: s2, days: 40 }\n",
    )
    .unwrap();
    let adapt = format!("mod-dsg={}", file.display());
    let port = free_port();
    let mut server = serve_with(&db, port, &["--adapt", &adapt]).await;
    let client = login(port).await;
    let libraries: serde_json::Value = client
        .get(format!("http://127.0.0.1:{port}/api/v1/libraries"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    server.kill().unwrap();
    server.wait().unwrap();
    let dsg = libraries
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == "mod-dsg")
        .unwrap();
    let version = dsg["version"].as_str().unwrap();
    assert!(version.contains("+installation."), "{version}");
}
