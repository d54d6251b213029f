//! The binary under stress: a `kill -9` in the middle of concurrent writes loses no
//! acknowledged write and leaves the audit chain intact; tampering is caught by
//! `mamori audit verify`, and a chain rewritten with every hash recomputed by its signed
//! anchors; a backup taken while serving restores; a server started with an
//! installation's own library opens its recurring rounds by itself. On SQLite by default,
//! on PostgreSQL with `TEST_DATABASE_URL`.

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mamori_test_support::TestDb;
use serde_json::json;

mod support;
use support::*;

fn verify(db: &TestDb) -> (bool, String) {
    verify_with(db, &[])
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
    execute_owned(db, sql.to_owned()).await;
}

async fn execute_owned(db: &TestDb, sql: String) {
    match &db.database_url {
        Some(url) => {
            use sqlx::Connection;
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut c)
                .await
                .unwrap();
        }
        None => {
            let path = db.data_dir.join("mamori.db");
            let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap();
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&pool)
                .await
                .unwrap();
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
    assert!(ok && report.contains("7 events verified"), "{report}");

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
        String::from_utf8_lossy(&out.stdout).contains("4 events verified"),
        "admin created, the day's anchor, login, one organisation"
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

/// Whoever can write to the database can rewrite the chain and recompute every hash: the
/// chain then verifies. This does exactly that, as such a person would, from the rows.
async fn rewrite_chain_from(db: &TestDb, target: i64) {
    use mamori_domain::audit::AuditEvent;
    use mamori_storage::Ts;
    type Row = (
        i64,
        Ts,
        Option<uuid::Uuid>,
        Option<uuid::Uuid>,
        String,
        String,
        Option<String>,
        String,
        String,
        Option<String>,
        i32,
        Option<String>,
        bool,
        Vec<u8>,
    );
    const READ: &str =
        "SELECT seq, occurred_at, actor_id, organisation_id, action, target_kind, target_id,
                               outcome, detail, ip, encoding, detail_sha256,
                               redacted_at IS NOT NULL, prev_hash
                        FROM audit_events ORDER BY seq";
    macro_rules! rewrite {
        ($conn:expr) => {{
            let rows: Vec<Row> = sqlx::query_as(READ).fetch_all($conn).await.unwrap();
            let mut prev: [u8; 32] = [0; 32];
            for r in rows {
                let mut event = AuditEvent {
                    seq: r.0,
                    occurred_at_us: r.1.micros(),
                    actor: r.2,
                    organisation: r.3,
                    action: r.4,
                    target_kind: r.5,
                    target_id: r.6,
                    outcome: r.7,
                    detail: r.8,
                    ip: r.9,
                    encoding: u8::try_from(r.10).unwrap(),
                    detail_sha256: r.11,
                    redacted: r.12,
                };
                if event.seq < target {
                    prev = r.13.try_into().unwrap();
                    prev = event.hash(&prev);
                    continue;
                }
                if event.seq == target {
                    // A refusal turned into a success, say.
                    event.outcome = "denied".into();
                    sqlx::query("UPDATE audit_events SET outcome = $1 WHERE seq = $2")
                        .bind(&event.outcome)
                        .bind(event.seq)
                        .execute($conn)
                        .await
                        .unwrap();
                }
                let hash = event.hash(&prev);
                sqlx::query("UPDATE audit_events SET prev_hash = $1, hash = $2 WHERE seq = $3")
                    .bind(&prev[..])
                    .bind(&hash[..])
                    .bind(event.seq)
                    .execute($conn)
                    .await
                    .unwrap();
                sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1 AND seq = $2")
                    .bind(&hash[..])
                    .bind(event.seq)
                    .execute($conn)
                    .await
                    .unwrap();
                prev = hash;
            }
        }};
    }
    match &db.database_url {
        Some(url) => {
            use sqlx::Connection;
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            rewrite!(&mut c);
        }
        None => {
            let path = db.data_dir.join("mamori.db");
            let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap();
            rewrite!(&pool);
            pool.close().await;
        }
    }
}

/// The sequence number an anchor file signed.
fn anchored_seq(file: &std::path::Path) -> i64 {
    let text = std::fs::read_to_string(file).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("seq: "))
        .unwrap()
        .parse()
        .unwrap()
}

fn verify_with(db: &TestDb, more: &[&str]) -> (bool, String) {
    let mut args = vec!["audit", "verify"];
    args.extend_from_slice(more);
    let out = mamori(db, &args).output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_anchors_catch_a_chain_rewritten_with_its_hashes_recomputed() {
    let db = TestDb::new().await;
    create_admin(&db);
    let sink = mamori_test_support::smtp::SmtpSink::start().await;
    let port = free_port();
    // The server signs the day's head at once, writes it and mails it to the auditors.
    let mut server = serve_with(
        &db,
        port,
        &["--smtp-url", &sink.url, "--anchor-mail", "kansa@example.jp"],
    )
    .await;
    let client = login(port).await;
    for name in ["甲社", "乙社", "丙社"] {
        let res = client
            .post(format!("http://127.0.0.1:{port}/api/v1/organisations"))
            .json(&json!({"name": name, "kind": "company"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
    }
    // On demand, from the console, while the server runs.
    let out = mamori(&db, &["audit", "anchor"]).output().unwrap();
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(printed.contains("mamori audit anchor v1"), "{printed}");
    let res = client
        .post(format!("http://127.0.0.1:{port}/api/v1/organisations"))
        .json(&json!({"name": "丁社", "kind": "company"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let deadline = Instant::now() + Duration::from_secs(20);
    while sink.received().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.kill().unwrap();
    server.wait().unwrap();

    let mails = sink.received();
    assert_eq!(mails.len(), 1, "one anchor mailed for the day: {mails:?}");
    assert_eq!(mails[0].to, vec!["kansa@example.jp".to_owned()]);
    let anchors = anchor_files(&db);
    assert_eq!(anchors.len(), 2, "{anchors:?}");
    let (daily, on_demand) = (anchored_seq(&anchors[0]), anchored_seq(&anchors[1]));
    assert!(daily >= 1 && on_demand > daily, "{daily} {on_demand}");
    // The auditor keeps the mail in a folder of their own, with the public key.
    let kept = db.data_dir.parent().unwrap().join("auditor");
    std::fs::create_dir_all(&kept).unwrap();
    std::fs::write(kept.join("daily.eml"), mails[0].text()).unwrap();
    let public = std::fs::read_to_string(db.data_dir.join("anchors/audit-anchor.pub")).unwrap();
    assert!(public.starts_with("ed25519:"), "{public}");
    let dir = db.data_dir.join("anchors");
    let dir = dir.to_str().unwrap();
    let kept = kept.to_str().unwrap();

    let (ok, report) = verify_with(&db, &["--anchors", dir]);
    assert!(ok && report.contains("anchors: 2 of 2 hold"), "{report}");
    let (ok, report) = verify_with(&db, &["--anchors", kept, "--anchor-public-key", &public]);
    assert!(ok && report.contains("anchors: 1 of 1 hold"), "{report}");
    // Checked against another key, the same anchors prove nothing.
    let stranger = "ed25519:3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
    let (ok, report) = verify_with(&db, &["--anchors", dir, "--anchor-public-key", stranger]);
    assert!(!ok && report.contains("NOT VALID"), "{report}");
    // An empty folder is not a pass.
    let empty = db.data_dir.parent().unwrap().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let (ok, report) = verify_with(&db, &["--anchors", empty.to_str().unwrap()]);
    assert!(!ok && report.contains("no anchors"), "{report}");

    // The first event, covered by both anchors, is changed and every hash after it
    // recomputed.
    rewrite_chain_from(&db, 1).await;
    let (ok, report) = verify(&db);
    assert!(
        ok,
        "the rewrite is consistent: the chain alone cannot tell: {report}"
    );
    let (ok, report) = verify_with(&db, &["--anchors", dir]);
    assert!(!ok, "the anchors must catch it: {report}");
    assert!(
        report.contains(&format!("event {daily} has the hash"))
            && report.contains(&format!("event {on_demand} has the hash"))
            && report.contains("anchors: 0 of 2 hold"),
        "{report}"
    );
    let (ok, report) = verify_with(&db, &["--anchors", kept, "--anchor-public-key", &public]);
    assert!(
        !ok && report.contains("rewritten"),
        "the mailed copy too: {report}"
    );

    // Cutting the chain back before the last anchor is caught as well.
    execute_owned(
        &db,
        format!("DELETE FROM audit_events WHERE seq >= {on_demand}"),
    )
    .await;
    let (ok, report) = verify_with(&db, &["--anchors", dir]);
    assert!(!ok && report.contains("events were removed"), "{report}");
}
