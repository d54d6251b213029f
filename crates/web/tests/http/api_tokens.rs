//! Personal API tokens: made by a login, used by scripts as `Authorization: Bearer …`,
//! never worth more than their person, refused once expired, revoked or the person
//! deactivated, stored only as a hash, and each use in the audit trail.

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::auth::hidden;
use crate::support::*;

/// Makes a token as the logged-in client: (id, secret).
async fn make_token(t: &TestApp, c: &Client, scopes: &[&str], days: i64) -> (String, String) {
    let (status, body) = t
        .post(
            c,
            "/api/v1/me/tokens",
            json!({"name": "集計スクリプト", "scopes": scopes, "expires_in_days": days}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    (
        body["id"].as_str().unwrap().to_owned(),
        body["token"].as_str().unwrap().to_owned(),
    )
}

/// A request from a program: no cookie, only the token.
async fn with_token(
    t: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    send_with(&Client::new(), t, method, path, token, body).await
}

async fn send_with(
    c: &Client,
    t: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = c.request(method, t.url(path)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// 甲 with its administrator and a member, 乙 with its administrator and a member:
/// (system administrator, 甲, [admin 甲, member 甲, admin 乙, member 乙], member 甲's id).
async fn companies(t: &TestApp) -> (Client, String, Vec<Client>, String) {
    let sys = t.admin().await;
    let a = t.org(&sys, "甲社", "company", None).await;
    let b = t.org(&sys, "乙社", "company", None).await;
    let admin_a = t.person(&sys, "甲 管理", "admin@ko.example.jp", &a).await;
    let member_a = t.person(&sys, "甲 職員", "member@ko.example.jp", &a).await;
    let admin_b = t.person(&sys, "乙 管理", "admin@otsu.example.jp", &b).await;
    t.person(&sys, "乙 職員", "member@otsu.example.jp", &b)
        .await;
    t.designate(&sys, "administrator", &a, &admin_a).await;
    t.designate(&sys, "administrator", &b, &admin_b).await;
    let mut clients = Vec::new();
    for email in [
        "admin@ko.example.jp",
        "member@ko.example.jp",
        "admin@otsu.example.jp",
        "member@otsu.example.jp",
    ] {
        clients.push(t.first_login(email, "initial-pass-1").await);
    }
    (sys, a, clients, member_a)
}

/// The audit events with `action`, newest first, as the system administrator reads them.
/// (Picked here: the trail's `action` filter leaves out `_`, a LIKE wildcard.)
async fn events(t: &TestApp, sys: &Client, action: &str) -> Vec<Value> {
    let (status, body) = t.get(sys, "/api/v1/audit?limit=1000").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == action)
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_token_reads_as_its_person() {
    let t = TestApp::with_admin().await;
    let (_, _, clients, member_a) = companies(&t).await;
    let (id, token) = make_token(&t, &clients[1], &["read"], 30).await;
    assert!(token.starts_with("mamori_"), "{token}");

    let (status, me) = with_token(&t, Method::GET, "/api/v1/me", &token, None).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["id"], member_a.as_str());
    let (status, body) = with_token(&t, Method::GET, "/api/v1/organisations", &token, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The list shows the token by its prefix, with its last use, and never its secret.
    let (status, list) = t.get(&clients[1], "/api/v1/me/tokens").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["scopes"], json!(["read"]));
    let prefix = list[0]["prefix"].as_str().unwrap();
    assert!(token.starts_with(prefix) && prefix.len() < token.len() / 2);
    assert!(list[0]["last_used_at"].is_string(), "{list}");
    assert!(!list.to_string().contains(&token[prefix.len()..]));

    // Without the token, or with a made-up one, the API answers 401.
    let (status, _) = with_token(&t, Method::GET, "/api/v1/me", "mamori_0", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let forged = format!("{prefix}_{}", "0".repeat(64));
    let (status, body) = with_token(&t, Method::GET, "/api/v1/me", &forged, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"]["code"], "token_invalid");
}

#[tokio::test]
async fn a_read_token_cannot_change_anything() {
    let t = TestApp::with_admin().await;
    let sys = t.admin().await;
    let (_, read) = make_token(&t, &sys, &["read"], 30).await;
    let (_, write) = make_token(&t, &sys, &["read", "write"], 30).await;
    let new_org = json!({"name": "丙社", "kind": "company"});

    let (status, body) = with_token(
        &t,
        Method::POST,
        "/api/v1/organisations",
        &read,
        Some(new_org.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "token_read_only");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("読み取り専用")
    );
    let (_, orgs) = t.get(&sys, "/api/v1/organisations").await;
    assert!(!orgs.to_string().contains("丙社"), "nothing was created");

    let (status, body) = with_token(
        &t,
        Method::POST,
        "/api/v1/organisations",
        &write,
        Some(new_org),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let hands = Hands::at("2026-11-02T01:00:00Z");
    let t = TestApp::shipped(&hands).await;
    let sys = t.admin().await;
    let (_, token) = make_token(&t, &sys, &["read"], 1).await;
    let (status, _) = with_token(&t, Method::GET, "/api/v1/me", &token, None).await;
    assert_eq!(status, StatusCode::OK);

    hands.set("2026-11-03T01:00:01Z");
    let (status, body) = with_token(&t, Method::GET, "/api/v1/me", &token, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"]["code"], "token_invalid");
    let (_, list) = t.get(&sys, "/api/v1/me/tokens").await;
    assert!(list[0]["revoked_at"].is_null(), "expired, not revoked");
}

#[tokio::test]
async fn a_revoked_token_is_refused() {
    let t = TestApp::with_admin().await;
    let (_, _, clients, _) = companies(&t).await;
    let (id, token) = make_token(&t, &clients[1], &["read", "write"], 90).await;
    let (other_id, other) = make_token(&t, &clients[3], &["read"], 90).await;

    // Someone else's token is not found under one's own, and keeps working.
    let (status, _) = send(
        &clients[1],
        Method::DELETE,
        &t.url(&format!("/api/v1/me/tokens/{other_id}")),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = with_token(&t, Method::GET, "/api/v1/me", &other, None).await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = send(
        &clients[1],
        Method::DELETE,
        &t.url(&format!("/api/v1/me/tokens/{id}")),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = with_token(&t, Method::GET, "/api/v1/me", &token, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"]["code"], "token_invalid");
}

#[tokio::test]
async fn a_deactivated_persons_token_is_refused() {
    let t = TestApp::with_admin().await;
    let (sys, a, clients, member_a) = companies(&t).await;
    let (_, token) = make_token(&t, &clients[1], &["read"], 90).await;
    let (status, _) = with_token(&t, Method::GET, "/api/v1/me", &token, None).await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = t
        .patch(
            &sys,
            &format!("/api/v1/persons/{member_a}"),
            json!({"active": false, "name": "甲 職員", "organisation": a}),
        )
        .await;
    assert!(status.is_success(), "{body}");
    let (status, body) = with_token(&t, Method::GET, "/api/v1/me", &token, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"]["code"], "token_invalid");
}

#[tokio::test]
async fn a_token_of_otsu_never_reads_ko() {
    let t = TestApp::with_admin().await;
    let (_, a, clients, member_a) = companies(&t).await;
    // 乙's administrator, with a token that may write: still nothing of 甲.
    let (_, token) = make_token(&t, &clients[2], &["write"], 90).await;
    for path in [
        format!("/api/v1/organisations/{a}"),
        format!("/api/v1/persons/{member_a}"),
        format!("/api/v1/persons/{member_a}/tokens"),
    ] {
        let (status, body) = with_token(&t, Method::GET, &path, &token, None).await;
        assert!(
            status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
            "{path}: {status} {body}"
        );
        assert!(!body.to_string().contains("甲"), "{path}: {body}");
    }
    let (_, list) = with_token(&t, Method::GET, "/api/v1/organisations", &token, None).await;
    assert!(!list.to_string().contains("甲"), "{list}");
    let (status, _) = with_token(
        &t,
        Method::PATCH,
        &format!("/api/v1/organisations/{a}"),
        &token,
        Some(json!({"name": "乙が改名"})),
    )
    .await;
    assert!(status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND);
    // A member's write token gives no more than the member has.
    let (_, member_token) = make_token(&t, &clients[3], &["write"], 90).await;
    let (status, _) = with_token(
        &t,
        Method::POST,
        "/api/v1/organisations",
        &member_token,
        Some(json!({"name": "乙社 新部署", "kind": "unit"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn token_secrets_are_not_stored() {
    let t = TestApp::with_admin().await;
    let sys = t.admin().await;
    let (id, token) = make_token(&t, &sys, &["read"], 90).await;
    let rows: Vec<(String, Vec<u8>, String)> = mamori_storage::on_db!(&t.db, p =>
        sqlx::query_as("SELECT prefix, secret_hash, name FROM api_tokens").fetch_all(p).await)
    .unwrap();
    assert_eq!(rows.len(), 1);
    let (prefix, hash, _) = &rows[0];
    assert!(token.starts_with(prefix.as_str()));
    assert_eq!(hash.as_slice(), Sha256::digest(token.as_bytes()).as_slice());
    let secret = &token[prefix.len() + 1..];
    assert!(!String::from_utf8_lossy(hash).contains(secret));
    // Nor in the audit trail.
    let (_, trail) = t.get(&sys, "/api/v1/audit?limit=1000").await;
    assert!(trail.to_string().contains(&id));
    assert!(!trail.to_string().contains(secret));
}

#[tokio::test]
async fn the_audit_trail_records_create_use_and_revoke() {
    let t = TestApp::with_admin().await;
    let sys = t.admin().await;
    let (id, token) = make_token(&t, &sys, &["read"], 90).await;
    let created = events(&t, &sys, "api_token.create").await;
    assert_eq!(created.len(), 1);
    assert_eq!(created[0]["target_id"], id.as_str());

    for _ in 0..2 {
        let (status, _) = with_token(
            &t,
            Method::GET,
            "/api/v1/organisations?limit=5",
            &token,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, _) = with_token(
        &t,
        Method::POST,
        "/api/v1/organisations",
        &token,
        Some(json!({"name": "丙社", "kind": "company"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let used = events(&t, &sys, "api_token.use").await;
    assert_eq!(used.len(), 3, "one event per request: {used:?}");
    assert!(used.iter().all(|e| e["target_id"] == id.as_str()));
    assert_eq!(used[0]["outcome"], "denied");
    assert_eq!(used[0]["detail"]["method"], "POST");
    assert_eq!(used[0]["detail"]["reason"], "read_only");
    assert_eq!(used[1]["outcome"], "success");
    assert_eq!(used[1]["detail"]["method"], "GET");
    assert_eq!(used[1]["detail"]["path"], "/api/v1/organisations");

    let (status, _) = send(
        &sys,
        Method::DELETE,
        &t.url(&format!("/api/v1/me/tokens/{id}")),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let revoked = events(&t, &sys, "api_token.revoke").await;
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0]["target_id"], id.as_str());
    let (status, _) = with_token(&t, Method::GET, "/api/v1/me", &token, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let used = events(&t, &sys, "api_token.use").await;
    assert_eq!(used[0]["detail"]["reason"], "revoked");
    t.verify_chain().await;
}

#[tokio::test]
async fn a_cookie_beside_a_bearer_counts_for_nothing() {
    let t = TestApp::with_admin().await;
    let sys = t.admin().await;
    let (_, read) = make_token(&t, &sys, &["read"], 90).await;
    let new_org = json!({"name": "丙社", "kind": "company"});
    // As a page on another site would send it: the administrator's cookie rides along.
    let cross_site = |token: &str| {
        sys.post(t.url("/api/v1/organisations"))
            .header("origin", "https://evil.example")
            .header("sec-fetch-site", "cross-site")
            .bearer_auth(token.to_owned())
            .json(&new_org)
    };
    // The request is the read token's, not the administrator's session's.
    let res = cross_site(&read).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "token_read_only");
    // A worthless bearer beside a good cookie is refused, not let in by the cookie.
    let res = cross_site("mamori_not-a-token").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let (status, _) = send_with(&sys, &t, Method::GET, "/api/v1/me", "garbage", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, orgs) = t.get(&sys, "/api/v1/organisations").await;
    assert!(!orgs.to_string().contains("丙社"), "nothing was created");
    // The same cookie without a bearer still meets the cross-site check.
    let res = sys
        .post(t.url("/api/v1/organisations"))
        .header("origin", "https://evil.example")
        .json(&new_org)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Pages take no tokens, and a bearer there hides the cookie too.
    let res = sys
        .get(t.url("/account"))
        .bearer_auth(&read)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(t.url("/organisations"))
        .bearer_auth(&read)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_token_cannot_make_tokens_or_change_the_password() {
    let t = TestApp::with_admin().await;
    let sys = t.admin().await;
    let (_, write) = make_token(&t, &sys, &["write"], 90).await;
    let (status, body) = with_token(
        &t,
        Method::POST,
        "/api/v1/me/tokens",
        &write,
        Some(json!({"name": "後継", "scopes": ["write"], "expires_in_days": 366})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "token_login_required");
    let (status, _) = with_token(
        &t,
        Method::POST,
        "/api/v1/me/password",
        &write,
        Some(json!({"current": ADMIN_PASSWORD, "new": "乗っ取るための新しいパスワード"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, list) = t.get(&sys, "/api/v1/me/tokens").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
}

#[tokio::test]
async fn token_input_is_checked() {
    let t = TestApp::with_admin().await;
    let sys = t.admin().await;
    for (body, field) in [
        (
            json!({"name": "集計", "scopes": ["read"], "expires_in_days": 367}),
            "expires_in_days",
        ),
        (
            json!({"name": "集計", "scopes": ["read"], "expires_in_days": 0}),
            "expires_in_days",
        ),
        (json!({"name": "集計", "scopes": []}), "scopes"),
        (json!({"name": "集計", "scopes": ["admin"]}), "scopes"),
        (json!({"name": " ", "scopes": ["read"]}), "name"),
    ] {
        let (status, answer) = t.post(&sys, "/api/v1/me/tokens", body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert!(
            answer["error"]["fields"][field].is_string(),
            "{body}: {answer}"
        );
    }
    let (_, answer) = t
        .post(
            &sys,
            "/api/v1/me/tokens",
            json!({"name": "集計", "scopes": ["read"], "expires_in_days": 400}),
        )
        .await;
    assert_eq!(
        answer["error"]["fields"]["expires_in_days"],
        "有効期間は 1 日から 366 日までの日数で指定してください。"
    );
    // Without an expiry, 90 days.
    let (status, made) = t
        .post(
            &sys,
            "/api/v1/me/tokens",
            json!({"name": "集計", "scopes": ["read"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let created: jiff::Timestamp = made["created_at"].as_str().unwrap().parse().unwrap();
    let expires: jiff::Timestamp = made["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(expires.duration_since(created).as_hours(), 90 * 24);
}

#[tokio::test]
async fn administrators_list_and_revoke_the_tokens_of_their_people() {
    let t = TestApp::with_admin().await;
    let (sys, _, clients, member_a) = companies(&t).await;
    let (id, token) = make_token(&t, &clients[1], &["read"], 90).await;
    let list_path = format!("/api/v1/persons/{member_a}/tokens");
    let revoke_url = t.url(&format!("/api/v1/persons/{member_a}/tokens/{id}"));

    // 乙's administrator may neither list nor revoke them.
    let (status, _) = t.get(&clients[2], &list_path).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = send(&clients[2], Method::DELETE, &revoke_url, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = with_token(&t, Method::GET, "/api/v1/me", &token, None).await;
    assert_eq!(status, StatusCode::OK, "still in force");

    // 甲's administrator and the system administrator may; nobody sees the secret.
    for c in [&clients[0], &sys] {
        let (status, list) = t.get(c, &list_path).await;
        assert_eq!(status, StatusCode::OK, "{list}");
        assert_eq!(list[0]["id"], id.as_str());
        assert!(list[0].get("token").is_none());
        assert!(!list.to_string().contains(&token[20..]));
    }
    let (status, body) = send(&clients[0], Method::DELETE, &revoke_url, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, _) = with_token(&t, Method::GET, "/api/v1/me", &token, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // 乙's attempt is in the trail as refused, 甲's revocation as done.
    let revoked = events(&t, &sys, "api_token.revoke").await;
    assert_eq!(revoked.len(), 2, "{revoked:?}");
    assert_eq!(revoked[0]["outcome"], "success");
    assert_eq!(revoked[0]["target_id"], id.as_str());
    assert_eq!(revoked[1]["outcome"], "denied");
}

#[tokio::test]
async fn the_account_page_makes_shows_once_and_revokes_a_token() {
    let t = TestApp::with_admin().await;
    let c = t.browser(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let page = t.html(&c, "/account").await;
    assert!(page.contains("API トークン"), "{page}");
    let csrf = hidden(&page, "_csrf");
    let res = c
        .post(t.url("/account/tokens"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("name", "月次集計"),
            ("scope", "read"),
            ("days", "30"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let shown = res.text().await.unwrap();
    let start = shown
        .find("value=\"mamori_")
        .expect("the new token on the page")
        + 7;
    let token = shown[start..].split('"').next().unwrap().to_owned();
    assert!(token.starts_with("mamori_"), "{token}");
    let (status, _) = with_token(&t, Method::GET, "/api/v1/me", &token, None).await;
    assert_eq!(status, StatusCode::OK);

    // Shown once: the account page lists it by its prefix only.
    let page = t.html(&c, "/account").await;
    assert!(page.contains("月次集計"));
    assert!(!page.contains(&token));

    // A mistake is shown on the form, in Japanese.
    let res = c
        .post(t.url("/account/tokens"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("name", "長すぎる"),
            ("scope", "write"),
            ("days", "400"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.unwrap().contains("366 日まで"));

    let (_, list) = t.get(&c, "/api/v1/me/tokens").await;
    let id = list[0]["id"].as_str().unwrap();
    let res = c
        .post(t.url(&format!("/account/tokens/{id}/revoke")))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (status, _) = with_token(&t, Method::GET, "/api/v1/me", &token, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
