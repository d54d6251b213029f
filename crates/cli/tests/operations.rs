//! Running mamori as an office's IT staff do: HTTPS served by mamori itself with a
//! certificate renewed by SIGHUP, the metrics address scraped as Prometheus would, the log
//! as a collector reads it, and two servers on one database whose
//! schedulers and outboxes act once between them. On SQLite by default, on PostgreSQL
//! with `TEST_DATABASE_URL`.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
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

/// Runs openssl, as an office's certificate authority would.
fn openssl(args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl makes the test's certificates");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A certificate authority of the office's own: its certificate and key files.
fn make_authority(dir: &Path) -> (String, String) {
    let (cert, key) = (path_in(dir, "ca.crt"), path_in(dir, "ca.key"));
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=Test Office CA",
        "-keyout",
        &key,
        "-out",
        &cert,
    ]);
    (cert, key)
}

/// A server certificate for `localhost` issued by the authority, and its key.
fn make_certificate(
    dir: &Path,
    (ca_cert, ca_key): &(String, String),
    name: &str,
) -> (String, String) {
    let (cert, key, request, extensions) = (
        path_in(dir, &format!("{name}.crt")),
        path_in(dir, &format!("{name}.key")),
        path_in(dir, &format!("{name}.csr")),
        path_in(dir, &format!("{name}.ext")),
    );
    openssl(&[
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-subj",
        &format!("/CN=localhost/O={name}"),
        "-keyout",
        &key,
        "-out",
        &request,
    ]);
    std::fs::write(
        &extensions,
        "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        &request,
        "-CA",
        ca_cert,
        "-CAkey",
        ca_key,
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        &extensions,
        "-out",
        &cert,
    ]);
    (cert, key)
}

fn path_in(dir: &Path, name: &str) -> String {
    dir.join(name).to_str().unwrap().to_owned()
}

/// `GET /healthz` over TLS, trusting only `roots` (PEM files): the answer's status line
/// and the certificate the server presented.
async fn https_health(port: u16, roots: &[&str]) -> std::io::Result<(String, Vec<u8>)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
    use tokio_rustls::rustls::{ClientConfig, RootCertStore, crypto};
    let mut store = RootCertStore::empty();
    for root in roots {
        store
            .add(CertificateDer::from_pem_file(root).unwrap())
            .unwrap();
    }
    let config = ClientConfig::builder_with_provider(Arc::new(crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(store)
        .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    let mut tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await?;
    let presented = tls.get_ref().1.peer_certificates().unwrap()[0].to_vec();
    tls.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await?;
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    while !answer.windows(2).any(|w| w == b"\r\n") {
        let n = tls.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
    }
    let status = String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or("")
        .to_owned();
    Ok((status, presented))
}

fn der(pem_file: &str) -> Vec<u8> {
    use tokio_rustls::rustls::pki_types::CertificateDer;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    CertificateDer::from_pem_file(pem_file).unwrap().to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_is_served_with_a_certificate_that_sighup_renews() {
    let db = TestDb::new().await;
    let dir = db.data_dir.parent().unwrap().join("tls");
    std::fs::create_dir_all(&dir).unwrap();
    let authority = make_authority(&dir);
    let (first_cert, first_key) = make_certificate(&dir, &authority, "first");
    let (renewed_cert, renewed_key) = make_certificate(&dir, &authority, "renewed");
    // The files the server is told about; a renewal is copied over them.
    let (cert, key) = (
        dir.join("mamori.crt").to_str().unwrap().to_owned(),
        dir.join("mamori.key").to_str().unwrap().to_owned(),
    );
    std::fs::copy(&first_cert, &cert).unwrap();
    std::fs::copy(&first_key, &key).unwrap();

    // A key that is not the certificate's stops the start, saying so.
    let out = serve_command(
        &db,
        free_port(),
        &["--tls-cert", &cert, "--tls-key", &renewed_key],
    )
    .output()
    .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("TLS"),
        "{out:?}"
    );

    let port = free_port();
    let mut server = serve_command(&db, port, &["--tls-cert", &cert, "--tls-key", &key])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    // The client trusts the office's authority, as its browsers do.
    let roots = [authority.0.as_str()];
    let deadline = Instant::now() + Duration::from_secs(30);
    let (status, presented) = loop {
        match https_health(port, &roots).await {
            Ok(answer) => break answer,
            Err(e) if Instant::now() > deadline => panic!("no HTTPS answer: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    };
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(presented, der(&first_cert));
    // Plain HTTP on the HTTPS port gets no answer.
    assert!(
        reqwest::get(format!("http://127.0.0.1:{port}/healthz"))
            .await
            .is_err()
    );

    let hangup = || {
        let done = Command::new("kill")
            .args(["-HUP", &server.id().to_string()])
            .status()
            .unwrap();
        assert!(done.success());
    };
    // The renewal is copied in and the server told.
    std::fs::copy(&renewed_cert, &cert).unwrap();
    std::fs::copy(&renewed_key, &key).unwrap();
    hangup();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, presented) = https_health(port, &roots).await.unwrap();
        assert_eq!(status, "HTTP/1.1 200 OK");
        if presented == der(&renewed_cert) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the renewed certificate was not taken up"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A half-copied file is refused and the certificate in use stays.
    std::fs::write(&cert, "-----BEGIN CERTIFICATE-----\ntruncated").unwrap();
    hangup();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (status, presented) = https_health(port, &roots).await.unwrap();
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(presented, der(&renewed_cert));
    assert!(
        server.try_wait().unwrap().is_none(),
        "SIGHUP must not end the server"
    );
    server.kill().unwrap();
    server.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_passes_a_sound_installation_and_names_what_is_wrong() {
    use std::os::unix::fs::PermissionsExt;
    let db = TestDb::new().await;
    let doctor = |more: &[&str]| {
        let mut args = vec!["doctor"];
        args.extend_from_slice(more);
        let out = mamori(&db, &args).output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    // Nothing installed yet.
    let (ok, report) = doctor(&[]);
    assert!(!ok, "{report}");
    if !db.is_postgres() {
        assert!(report.contains("no database yet"), "{report}");
    }

    create_admin(&db);
    let port = free_port();
    let mut server = serve_with(&db, port, &[]).await;
    server.kill().unwrap();
    server.wait().unwrap();
    let sink = SmtpSink::start().await;
    let (ok, report) = doctor(&["--smtp-url", &sink.url, "--test-mail", "it@example.jp"]);
    assert!(ok, "{report}");
    for expected in [
        "[OK]   データフォルダ / data folder",
        "[OK]   封印鍵 / sealing key",
        "[OK]   アンカー鍵 / anchor key",
        "migrations applied",
        "the latest anchor",
        "a test e-mail was accepted for it@example.jp",
    ] {
        assert!(report.contains(expected), "{expected}: {report}");
    }
    assert!(!report.contains("[FAIL]"), "{report}");
    let mails = sink.received();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, vec!["it@example.jp".to_owned()]);

    // A data folder others may read is named, with the fix.
    let set_mode = |path: &Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap()
    };
    set_mode(&db.data_dir, 0o755);
    let (ok, report) = doctor(&[]);
    assert!(!ok && report.contains("[FAIL] データフォルダ"), "{report}");
    assert!(report.contains("chmod 700"), "{report}");
    set_mode(&db.data_dir, 0o700);
    // So is a key file.
    let key = db.data_dir.join("audit-anchor.key");
    set_mode(&key, 0o644);
    let (ok, report) = doctor(&[]);
    assert!(!ok && report.contains("[FAIL] アンカー鍵"), "{report}");
    set_mode(&key, 0o600);
    let (ok, report) = doctor(&[]);
    assert!(ok, "{report}");
}
