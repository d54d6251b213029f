//! What the tests of the binary share: running `mamori` against a test database, starting
//! a server and waiting until it serves, logging in.

// Each test binary that includes this module uses only part of it.
#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mamori_test_support::TestDb;
use serde_json::json;

pub const BIN: &str = env!("CARGO_BIN_EXE_mamori");
pub const PASSWORD: &str = "durability-test-password";

pub fn mamori(db: &TestDb, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args).args(db.cli_args()).env("MAMORI_LOG", "warn");
    c
}

pub fn create_admin(db: &TestDb) {
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

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `mamori serve` and waits until it answers.
pub async fn serve(db: &TestDb, port: u16) -> Child {
    serve_with(db, port, &[]).await
}

/// The anchors of the audit trail in the data folder (files only mamori names so).
pub fn anchor_files(db: &TestDb) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(db.data_dir.join("anchors"))
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("audit-anchor-"))
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Starts `mamori serve` with more arguments and waits until it answers and has written
/// the day's anchor of the audit trail (its first scheduler run does, recording it in the
/// trail first), so that the events a test counts do not depend on when that run comes.
pub async fn serve_with(db: &TestDb, port: u16, more: &[&str]) -> Child {
    let mut command = serve_command(db, port, more);
    command.stdout(Stdio::null());
    start(db, port, command).await
}

/// The `mamori serve` command on `port`, with more arguments, not started yet.
pub fn serve_command(db: &TestDb, port: u16, more: &[&str]) -> Command {
    let bind = format!("127.0.0.1:{port}");
    let mut args = vec!["serve", "--bind", &bind];
    args.extend_from_slice(more);
    mamori(db, &args)
}

/// Starts a `mamori serve` command and waits as [`serve_with`] does.
pub async fn start(db: &TestDb, port: u16, mut command: Command) -> Child {
    let anchors_before = anchor_files(db).len();
    let child = command.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(r) = reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await
            && r.status().is_success()
            && (anchors_before > 0 || !anchor_files(db).is_empty())
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

pub async fn login(port: u16) -> reqwest::Client {
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
