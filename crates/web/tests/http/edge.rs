//! The server's edge: slow clients, floods of failing requests from one address, the
//! lockout that must not tell which accounts exist, and session tokens renewed at each
//! step of a login.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{COOKIE, HeaderMap, RETRY_AFTER, SET_COOKIE};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::auth::hidden;
use crate::support::*;

fn addr(t: &TestApp) -> String {
    t.base.trim_start_matches("http://").to_owned()
}

/// Reads until the server closes the connection (or resets it); how long that took, or
/// `None` if it was still open after `limit`.
async fn closed_within(s: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buf = [0u8; 4096];
    let read_all = async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(limit, read_all)
        .await
        .ok()
        .map(|()| started.elapsed())
}

/// A socket that has sent half a request line and nothing more.
async fn slow_socket(t: &TestApp) -> TcpStream {
    let mut s = TcpStream::connect(addr(t)).await.unwrap();
    s.write_all(b"GET /healthz HT").await.unwrap();
    s
}

fn open_descriptors() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

#[tokio::test]
async fn a_request_head_that_never_ends_is_cut_off() {
    let t = TestApp::with(|s| s.edge.header_read_timeout = Duration::from_secs(1)).await;
    let mut s = slow_socket(&t).await;
    let took = closed_within(&mut s, Duration::from_secs(10))
        .await
        .expect("the server closes a socket whose request head does not arrive");
    assert!(
        took >= Duration::from_millis(800) && took < Duration::from_secs(4),
        "closed after {took:?}, the timeout being 1 s"
    );
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed() {
    let t = TestApp::with(|s| {
        s.edge.keep_alive_idle = Duration::from_secs(1);
        s.edge.header_read_timeout = Duration::from_secs(30);
    })
    .await;
    let mut s = TcpStream::connect(addr(&t)).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: mamori\r\n\r\n")
        .await
        .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&got).contains("\"ok\"") {
        let n = s.read(&mut buf).await.unwrap();
        assert!(n > 0, "closed before answering");
        got.extend_from_slice(&buf[..n]);
    }
    assert!(String::from_utf8_lossy(&got).starts_with("HTTP/1.1 200"));
    // Kept alive, then closed for idleness well before the 30 s header timeout.
    let took = closed_within(&mut s, Duration::from_secs(10))
        .await
        .expect("an idle connection is closed");
    assert!(took < Duration::from_secs(5), "closed after {took:?}");
}

#[tokio::test]
async fn health_answers_while_many_slow_sockets_are_open() {
    let t = TestApp::with(|s| {
        s.edge.header_read_timeout = Duration::from_secs(1);
        s.edge.max_connections = 16;
    })
    .await;
    let before = open_descriptors();
    let mut slow = Vec::new();
    for _ in 0..64 {
        slow.push(slow_socket(&t).await);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Our 64 client sockets, and no more than 16 taken by the server: the rest wait in
    // the listen queue, where they hold no descriptor of the process.
    let held = open_descriptors().saturating_sub(before);
    assert!(
        held <= 64 + 16 + 8,
        "{held} descriptors for 64 slow clients: the server took more than its 16"
    );
    let started = Instant::now();
    let res = reqwest::Client::new()
        .get(t.url("/healthz"))
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .expect("the health check answers");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "answered after {:?}",
        started.elapsed()
    );
    for s in &mut slow {
        assert!(
            closed_within(s, Duration::from_secs(10)).await.is_some(),
            "every slow socket is closed"
        );
    }
}

/// The `Set-Cookie` value of the session cookie (`mamori_session=…`), if set.
fn session_set(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("mamori_session=") && !c.starts_with("mamori_session=;"))
        .map(|c| c.split(';').next().unwrap_or("").to_owned())
}

/// A client that sends only the cookies it is given.
fn bare() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn me_with(t: &TestApp, cookie: &str) -> StatusCode {
    bare()
        .get(t.url("/api/v1/me"))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn a_cross_site_flood_writes_a_handful_of_events_and_one_count() {
    // The app's clock stands still during the flood, so that it all falls in one window
    // however long it takes.
    let hands = Hands::at("2026-11-02T09:00:00+09:00[Asia/Tokyo]");
    let t = TestApp::build(hands.clock(), mamori_library::shipped().unwrap(), |s| {
        s.edge.failure_burst = 20;
    })
    .await
    .add_admin()
    .await;
    // Signed in before the flood, from the same address.
    let admin = t.admin().await;
    let before = t.audit_count().await;
    let c = bare();
    let (mut refused, mut limited) = (0, 0);
    let mut last_limited = None;
    for _ in 0..500 {
        let res = c
            .post(t.url("/api/v1/organisations"))
            .header("origin", "https://evil.example")
            .json(&json!({"name": "罠", "kind": "unit"}))
            .send()
            .await
            .unwrap();
        match res.status() {
            StatusCode::FORBIDDEN => refused += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                limited += 1;
                let retry = res.headers().get(RETRY_AFTER).cloned();
                last_limited = Some((retry, res.json::<Value>().await.unwrap()));
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!((refused, limited), (20, 480));
    let (retry, body) = last_limited.unwrap();
    let retry: u64 = retry.unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    assert_eq!(body["error"]["code"], "too_many_requests");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("接続元"),
        "{body}"
    );
    assert_eq!(
        t.audit_count().await - before,
        5,
        "the first five refusals are written, the rest only counted"
    );
    // Someone signed in at that address goes on working.
    let (status, _) = t.get(&admin, "/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);

    // Nothing to write while the window (a minute) is open; once it has closed, the
    // count is written as one event.
    assert_eq!(t.app.flush_refusals().await.unwrap(), 0);
    hands.set("2026-11-02T09:01:00+09:00[Asia/Tokyo]");
    assert_eq!(t.app.flush_refusals().await.unwrap(), 1);
    assert_eq!(t.audit_count().await - before, 6);
    let (status, events) = t.get(&admin, "/api/v1/audit?action=request.").await;
    assert_eq!(status, StatusCode::OK, "{events}");
    let events: Vec<&Value> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "request.refused_repeated")
        .collect();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["detail"]["count"], 495, "{}", events[0]);
    assert_eq!(
        events[0]["detail"]["reasons"],
        json!({"cross_site": 15, "rate_limited": 480})
    );
    assert_eq!(events[0]["ip"], "127.0.0.1");
    t.verify_chain().await;
}

#[tokio::test]
async fn logins_beyond_the_address_limit_get_429() {
    let t = TestApp::with(|s| {
        s.edge.failure_burst = 5;
        s.lockout_threshold = 100;
    })
    .await
    .add_admin()
    .await;
    let c = bare();
    for i in 0..5 {
        let (status, body) = send(
            &c,
            reqwest::Method::POST,
            &t.url("/api/v1/session"),
            Some(json!({"email": format!("guess{i}@example.jp"), "password": "wrong password"})),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    }
    let logins_written = t.audit_count().await;
    // Beyond the limit even the right password waits: no hashing, no event each.
    for _ in 0..20 {
        let res = c
            .post(t.url("/api/v1/session"))
            .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(res.headers().contains_key(RETRY_AFTER));
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "too_many_requests");
    }
    // The login form too.
    let res = c
        .post(t.url("/login"))
        .form(&[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key(RETRY_AFTER));
    assert!(
        t.audit_count().await - logins_written <= 5,
        "refusals beyond the first few are only counted"
    );
    t.verify_chain().await;
}

/// Status, body and whether `Retry-After` is present, of a JSON login.
async fn api_login(t: &TestApp, email: &str, password: &str) -> (StatusCode, Value, bool) {
    let res = bare()
        .post(t.url("/api/v1/session"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap();
    let status = res.status();
    let retry = res.headers().contains_key(RETRY_AFTER);
    (status, res.json().await.unwrap(), retry)
}

/// The same for the login form, with the address typed back in the page taken out.
async fn form_login(t: &TestApp, email: &str, password: &str) -> (StatusCode, String, bool) {
    let res = bare()
        .post(t.url("/login"))
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap();
    let status = res.status();
    let retry = res.headers().contains_key(RETRY_AFTER);
    (status, res.text().await.unwrap().replace(email, "…"), retry)
}

#[tokio::test]
async fn a_locked_account_answers_like_an_unknown_address() {
    let hands = Hands::at("2026-11-02T09:00:00+09:00[Asia/Tokyo]");
    let t = TestApp::build(hands.clock(), mamori_library::shipped().unwrap(), |_| {})
        .await
        .add_admin()
        .await;
    const UNKNOWN: &str = "nobody@example.jp";
    // Past the threshold (3 in tests) for both.
    for _ in 0..4 {
        for email in [ADMIN_EMAIL, UNKNOWN] {
            let (status, body, _) = api_login(&t, email, "wrong password!").await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{email}: {body}");
        }
    }
    let locked = api_login(&t, ADMIN_EMAIL, "wrong password!").await;
    let unknown = api_login(&t, UNKNOWN, "wrong password!").await;
    assert_eq!(locked, unknown, "the API answers both alike");
    assert_eq!(locked.0, StatusCode::UNAUTHORIZED);
    assert!(!locked.2, "no Retry-After for either");
    // The right password of the locked account answers the same, and does not open it.
    assert_eq!(api_login(&t, ADMIN_EMAIL, ADMIN_PASSWORD).await, unknown);

    let locked = form_login(&t, ADMIN_EMAIL, "wrong password!").await;
    let unknown = form_login(&t, UNKNOWN, "wrong password!").await;
    assert_eq!(locked, unknown, "the login page answers both alike");
    assert_eq!(locked.0, StatusCode::UNAUTHORIZED);
    assert!(
        locked.1.contains("しばらくの間"),
        "the message tells a locked person to wait"
    );
    assert_eq!(form_login(&t, ADMIN_EMAIL, ADMIN_PASSWORD).await, unknown);

    // The lock ends after its 15 minutes, and only then.
    hands.set("2026-11-02T09:14:00+09:00[Asia/Tokyo]");
    assert_eq!(
        api_login(&t, ADMIN_EMAIL, ADMIN_PASSWORD).await.0,
        StatusCode::UNAUTHORIZED
    );
    hands.set("2026-11-02T09:16:00+09:00[Asia/Tokyo]");
    let (status, body, _) = api_login(&t, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    t.verify_chain().await;
}

#[tokio::test]
async fn the_cookie_from_before_the_second_factor_stops_working() {
    let t = TestApp::with_admin().await;
    let c = t.admin().await;
    let page = t.html(&c, "/account/totp").await;
    let secret = page
        .split("data-test=\"totp-secret\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    let now = jiff::Timestamp::now().as_second() as u64;
    let code = mamori_auth::totp::code_at(&secret, now).unwrap();
    let res = c
        .post(t.url("/account/totp"))
        .form(&[("_csrf", hidden(&page, "_csrf").as_str()), ("code", &code)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // Password first: a session waiting for the code.
    let res = bare()
        .post(t.url("/login"))
        .form(&[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/login/totp");
    let before = session_set(res.headers()).unwrap();
    let page = bare()
        .get(t.url("/login/totp"))
        .header(COOKIE, &before)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let next = mamori_auth::totp::code_at(&secret, now + 30).unwrap();
    let res = bare()
        .post(t.url("/login/totp"))
        .header(COOKIE, &before)
        .form(&[("_csrf", hidden(&page, "_csrf").as_str()), ("code", &next)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let after = session_set(res.headers()).expect("a new session cookie");
    assert_ne!(after, before);
    assert_eq!(me_with(&t, &before).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me_with(&t, &after).await, StatusCode::OK);
}

#[tokio::test]
async fn the_cookie_from_before_the_forced_password_change_stops_working() {
    let t = TestApp::with_admin().await;
    let admin = t.admin().await;
    let org = t.org(&admin, "甲社", "company", None).await;
    t.person(&admin, "山田 花子", "hanako@example.jp", &org)
        .await;
    t.person(&admin, "鈴木 一郎", "ichiro@example.jp", &org)
        .await;

    // Through the API.
    let res = bare()
        .post(t.url("/api/v1/session"))
        .json(&json!({"email": "hanako@example.jp", "password": "initial-pass-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let before = session_set(res.headers()).unwrap();
    let res = bare()
        .post(t.url("/api/v1/me/password"))
        .header(COOKIE, &before)
        .json(&json!({"current": "initial-pass-1", "new": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let after = session_set(res.headers()).expect("a new session cookie");
    assert_ne!(after, before);
    assert_eq!(me_with(&t, &before).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me_with(&t, &after).await, StatusCode::OK);

    // Through the pages.
    let res = bare()
        .post(t.url("/login"))
        .form(&[
            ("email", "ichiro@example.jp"),
            ("password", "initial-pass-1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let before = session_set(res.headers()).unwrap();
    let page = bare()
        .get(t.url("/account/password"))
        .header(COOKIE, &before)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let res = bare()
        .post(t.url("/account/password"))
        .header(COOKIE, &before)
        .form(&[
            ("_csrf", hidden(&page, "_csrf").as_str()),
            ("current", "initial-pass-1"),
            ("new", PASSWORD),
            ("confirm", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let after = session_set(res.headers()).expect("a new session cookie");
    assert_ne!(after, before);
    assert_eq!(me_with(&t, &before).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me_with(&t, &after).await, StatusCode::OK);
}
