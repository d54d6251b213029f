//! Running mamori as an office's IT staff do: the metrics address scraped as Prometheus
//! would, the log as a collector reads it, and two servers on one database whose
//! schedulers and outboxes act once between them. On SQLite by default, on PostgreSQL
//! with `TEST_DATABASE_URL`.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use mamori_test_support::TestDb;
use mamori_test_support::smtp::SmtpSink;
use serde_json::json;

mod support;
use support::*;

/// The value of one series in a Prometheus text page.
fn series(page: &str, name_and_labels: &str) -> Option<f64> {
    page.lines()
        .find_map(|l| l.strip_prefix(name_and_labels))
        .and_then(|rest| rest.trim().parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_served_on_their_own_address_and_count_requests_per_route() {
    let db = TestDb::new().await;
    create_admin(&db);
    let (port, metrics_port) = (free_port(), free_port());
    let metrics_bind = format!("127.0.0.1:{metrics_port}");
    let mut server = serve_with(&db, port, &["--metrics-bind", &metrics_bind]).await;
    let client = login(port).await;
    for _ in 0..3 {
        let res = client
            .get(format!(
                "http://127.0.0.1:{port}/api/v1/organisations/{}",
                uuid::Uuid::nil()
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404);
    }
    let page = reqwest::get(format!("http://{metrics_bind}/metrics"))
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text"),
    );
    let page = page.text().await.unwrap();
    // Per route pattern, not per id: three lookups of one pattern make one series.
    assert_eq!(
        series(
            &page,
            r#"mamori_http_request_duration_seconds_count{method="GET",route="/api/v1/organisations/{id}",status="4xx"}"#
        ),
        Some(3.0),
        "{page}"
    );
    assert!(
        series(
            &page,
            r#"mamori_http_request_duration_seconds_count{method="POST",route="/api/v1/session",status="2xx"}"#
        ) == Some(1.0),
        "{page}"
    );
    // Nothing is waiting to be mailed (no mail server is configured, so nothing is written).
    assert_eq!(series(&page, "mamori_outbox_depth"), Some(0.0), "{page}");
    assert_eq!(series(&page, "mamori_outbox_oldest_age_seconds"), Some(0.0));
    // The scheduler has run (its first run wrote the day's anchor) and is not behind.
    assert_eq!(
        series(&page, "mamori_scheduler_lag_seconds"),
        Some(0.0),
        "{page}"
    );
    assert!(series(&page, "mamori_scheduler_run_duration_seconds").is_some_and(|s| s > 0.0));
    assert!(series(&page, "mamori_db_pool_connections").is_some_and(|c| c >= 1.0));
    // The first administrator, the day's anchor and a login at least.
    assert!(
        series(&page, "mamori_audit_events_total").is_some_and(|n| n >= 3.0),
        "{page}"
    );
    assert!(page.trim_end().ends_with("# EOF"));

    // The application's own address does not expose them.
    let res = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    server.kill().unwrap();
    server.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_json_log_carries_each_request_s_id_and_route() {
    let db = TestDb::new().await;
    create_admin(&db);
    let port = free_port();
    let log = db.data_dir.parent().unwrap().join("server.log");
    let mut command = serve_command(&db, port, &["--log-format", "json"]);
    command
        .env("MAMORI_LOG", "info,mamori_web=debug,tower_http=debug")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap());
    let mut server = start(&db, port, command).await;

    // A proxy's id is kept and sent back; without one, the server makes one.
    let client = reqwest::Client::new();
    let res = client
        .get(format!("http://127.0.0.1:{port}/login"))
        .header("x-request-id", "proxy-7f3a")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "proxy-7f3a");
    let res = client
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await
        .unwrap();
    let made = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(uuid::Uuid::parse_str(&made).is_ok(), "{made}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.kill().unwrap();
    server.wait().unwrap();

    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let of_request = |id: &str| {
        lines
            .iter()
            .filter(|l| l["span"]["name"] == "request" && l["span"]["id"] == id)
            .cloned()
            .collect::<Vec<_>>()
    };
    let login_page = of_request("proxy-7f3a");
    assert!(!login_page.is_empty(), "{text}");
    assert_eq!(login_page[0]["span"]["route"], "/login");
    assert_eq!(login_page[0]["span"]["method"], "GET");
    let health = of_request(&made);
    assert!(
        health
            .iter()
            .any(|l| l["fields"]["message"] == "finished processing request"
                && l["fields"]["status"] == 200),
        "{health:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_database_open_a_round_once_and_send_each_mail_once() {
    let db = TestDb::new().await;
    create_admin(&db);
    let yearly = std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap())
        .join("../../fixtures/libraries/mod-yearly");
    let yearly = yearly.to_str().unwrap();
    let sink = SmtpSink::start().await;
    let shared = [
        "--library",
        yearly,
        "--smtp-url",
        &sink.url,
        "--mail-from",
        "mamori <mamori@example.jp>",
    ];
    let (first, second) = (free_port(), free_port());
    let mut servers = vec![
        serve_with(&db, first, &shared).await,
        serve_with(&db, second, &shared).await,
    ];
    // Written through one server; both schedulers see it.
    let client = login(first).await;
    let url = |path: &str| format!("http://127.0.0.1:{first}{path}");
    let created = |res: reqwest::Response| async move {
        assert_eq!(res.status(), 201);
        res.json::<serde_json::Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let mut officers = Vec::new();
    for (city, email) in [
        ("青葉市", "officer@aoba.example.jp"),
        ("緑川町", "officer@midori.example.jp"),
        ("白浜村", "officer@shirahama.example.jp"),
    ] {
        let org = created(
            client
                .post(url("/api/v1/organisations"))
                .json(&json!({"name": city, "kind": "local_government"}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        let officer = created(
            client
                .post(url("/api/v1/persons"))
                .json(&json!({"name": "総務 一郎", "email": email, "organisation": org, "initial_password": "initial-pass-1"}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        created(
            client
                .post(url("/api/v1/designations"))
                .json(&json!({"role": "security_officer", "organisation": org, "person": officer, "starts_on": "2020-01-01"}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        officers.push(email);
    }
    // Both schedulers run every 15 seconds; the round opens at the first of them and its
    // notices leave by e-mail.
    let deadline = Instant::now() + Duration::from_secs(60);
    let board = loop {
        let board: serde_json::Value = client
            .get(url("/api/v1/obligations/mod-yearly/self_check"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mailed = sink.received().len();
        if (board["tally"]["open"] == 3 && mailed >= officers.len()) || Instant::now() > deadline {
            break board;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    // Another full period for a duplicate to show up, if one were coming.
    tokio::time::sleep(Duration::from_secs(16)).await;
    for s in &mut servers {
        s.kill().unwrap();
        s.wait().unwrap();
    }
    assert_eq!(
        board["tally"]["open"], 3,
        "one round case per city: {board}"
    );
    assert_eq!(board["lines"].as_array().unwrap().len(), 3, "{board}");

    let mails = sink.received();
    let mut per_id: BTreeMap<String, usize> = BTreeMap::new();
    for m in &mails {
        *per_id
            .entry(m.header("Message-ID").expect("every message has an id"))
            .or_default() += 1;
    }
    assert!(
        per_id.values().all(|n| *n == 1),
        "a message sent twice: {per_id:?}"
    );
    let mut recipients: Vec<String> = mails.iter().flat_map(|m| m.to.clone()).collect();
    recipients.sort();
    let mut expected: Vec<String> = officers.iter().map(|e| e.to_string()).collect();
    expected.sort();
    assert_eq!(
        recipients, expected,
        "each officer told once of their round"
    );
}
