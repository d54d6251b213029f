//! Login, lockout, second factor, password changes, sessions, cross-site refusal.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::*;

/// The value of `name="_csrf"` (or another hidden field) in a page.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in page"))
        + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn health_answers_ok() {
    let t = TestApp::new().await;
    let (status, body) = t.get(&t.client(), "/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"status": "ok"}));
}

#[tokio::test]
async fn login_sets_a_session_and_logout_ends_it() {
    let t = TestApp::with_admin().await;
    let c = t.admin().await;
    let (status, me) = t.get(&c, "/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["email"], ADMIN_EMAIL);
    assert_eq!(me["roles"][0]["role"], "system_admin");
    let (status, _) = send(&c, Method::DELETE, &t.url("/api/v1/session"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = t.get(&c, "/api/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "unauthenticated");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("ログイン"),
        "Japanese by default: {body}"
    );
}

#[tokio::test]
async fn session_cookie_is_http_only_and_same_site() {
    let t = TestApp::with_admin().await;
    let res = t
        .client()
        .post(t.url("/api/v1/session"))
        .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("mamori_session="))
        .unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"),
        "{cookie}"
    );
}

#[tokio::test]
async fn wrong_passwords_lock_the_account_and_every_attempt_is_audited() {
    let t = TestApp::with_admin().await;
    let c = t.client();
    let before = t.audit_count().await;
    for _ in 0..2 {
        let (status, body) = t
            .post(
                &c,
                "/api/v1/session",
                json!({"email": ADMIN_EMAIL, "password": "wrong password!"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(body["error"]["code"], "bad_credentials");
    }
    // The third failure (threshold 3 in tests) locks, and answers like any other
    // failure: a lock would otherwise tell that the account exists.
    let (status, body) = t
        .post(
            &c,
            "/api/v1/session",
            json!({"email": ADMIN_EMAIL, "password": "wrong password!"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"]["code"], "bad_credentials");
    // Now even the right password is refused until the lock ends.
    let res = c
        .post(t.url("/api/v1/session"))
        .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.headers().get("retry-after").is_none());
    assert_eq!(
        t.audit_count().await,
        before + 4,
        "three failures and the locked attempt"
    );
    let admin = t.db.clone();
    let failures = mamori_storage::audit::list(
        &admin,
        &everything(),
        &mamori_storage::audit::AuditFilter {
            outcome: Some("failure".into()),
            ..Default::default()
        },
        10,
    )
    .await
    .unwrap();
    assert_eq!(failures.len(), 4);
    assert!(failures.iter().all(|e| e.action == "login"));
    t.verify_chain().await;
}

#[tokio::test]
async fn unknown_addresses_fail_like_wrong_passwords() {
    let t = TestApp::with_admin().await;
    let (status, body) = t
        .post(
            &t.client(),
            "/api/v1/session",
            json!({"email": "nobody@example.jp", "password": "whatever-123"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "bad_credentials");
}

pub fn everything() -> mamori_domain::policy::Scope {
    let root = mamori_domain::policy::Actor {
        person: uuid::Uuid::nil(),
        organisation: uuid::Uuid::nil(),
        grants: vec![mamori_domain::policy::Grant {
            role: "system_admin".into(),
            organisation: None,
        }],
    };
    mamori_domain::policy::scope(&root, mamori_domain::policy::Permission::ViewAudit, &[])
}

#[tokio::test]
async fn a_new_person_must_change_the_initial_password_first() {
    let t = TestApp::with_admin().await;
    let admin = t.admin().await;
    let org = t.org(&admin, "甲社", "company", None).await;
    t.person(&admin, "山田 花子", "hanako@example.jp", &org)
        .await;
    let c = t.client();
    let (status, body) = t
        .post(
            &c,
            "/api/v1/session",
            json!({"email": "hanako@example.jp", "password": "initial-pass-1"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("password_change_required"))
    );
    let (status, body) = t.get(&c, "/api/v1/me").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("password_change_required"))
    );
    // The same password again is refused; a short one too.
    let (status, body) = t
        .post(
            &c,
            "/api/v1/me/password",
            json!({"current": "initial-pass-1", "new": "initial-pass-1"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"]["fields"]["new"].is_string(), "{body}");
    let (status, body) = t
        .post(
            &c,
            "/api/v1/me/password",
            json!({"current": "initial-pass-1", "new": "short"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]["fields"]["new"]
            .as_str()
            .unwrap()
            .contains("10"),
        "{body}"
    );
    let (status, _) = t
        .post(
            &c,
            "/api/v1/me/password",
            json!({"current": "initial-pass-1", "new": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, me) = t.get(&c, "/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["name"], "山田 花子");
}

#[tokio::test]
async fn an_administrator_reset_forces_a_change_and_ends_sessions() {
    let t = TestApp::with_admin().await;
    let admin = t.admin().await;
    let org = t.org(&admin, "甲社", "company", None).await;
    let id = t
        .person(&admin, "山田 花子", "hanako@example.jp", &org)
        .await;
    let hanako = t.first_login("hanako@example.jp", "initial-pass-1").await;
    assert_eq!(t.get(&hanako, "/api/v1/me").await.0, StatusCode::OK);
    let (status, _) = t
        .post(
            &admin,
            &format!("/api/v1/persons/{id}/password-reset"),
            json!({"password": "temporary-pass-9"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        t.get(&hanako, "/api/v1/me").await.0,
        StatusCode::UNAUTHORIZED,
        "the reset ended her session"
    );
    let again = t.first_login("hanako@example.jp", "temporary-pass-9").await;
    assert_eq!(t.get(&again, "/api/v1/me").await.0, StatusCode::OK);
}

#[tokio::test]
async fn second_factor_enrolment_and_login() {
    let t = TestApp::with_admin().await;
    let c = t.admin().await;
    // Enrol in the browser: the page shows the secret; a code confirms it.
    let page = t.html(&c, "/account/totp").await;
    let secret = page
        .split("data-test=\"totp-secret\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    let csrf = hidden(&page, "_csrf");
    let now = jiff::Timestamp::now().as_second() as u64;
    let wrong = c
        .post(t.url("/account/totp"))
        .form(&[("_csrf", csrf.as_str()), ("code", "000000")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    let code = mamori_auth::totp::code_at(&secret, now).unwrap();
    let res = c
        .post(t.url("/account/totp"))
        .form(&[("_csrf", csrf.as_str()), ("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // What the database keeps is sealed: the seed itself is nowhere in it.
    let me = t.db.clone();
    let stored = mamori_storage::persons::credentials_by_email(&me, ADMIN_EMAIL)
        .await
        .unwrap()
        .unwrap()
        .totp_secret
        .unwrap();
    assert!(
        stored.starts_with("v1:") && !stored.contains(&secret),
        "{stored}"
    );

    // The API now wants the code with the password.
    let fresh = t.client();
    let (status, body) = t
        .post(
            &fresh,
            "/api/v1/session",
            json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("totp_required"))
    );
    // The code used for enrolment cannot be used again (single use).
    let (status, _) = t
        .post(
            &fresh,
            "/api/v1/session",
            json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "totp": code}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let next = mamori_auth::totp::code_at(&secret, now + 30).unwrap();
    let (status, body) = t
        .post(
            &fresh,
            "/api/v1/session",
            json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "totp": next}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn an_organisation_can_require_a_second_factor() {
    let t = TestApp::with_admin().await;
    let admin = t.admin().await;
    let org = t.org(&admin, "甲社", "company", None).await;
    let site = t.org(&admin, "甲社 本社", "site", Some(&org)).await;
    t.person(&admin, "山田 花子", "hanako@example.jp", &site)
        .await;
    let (status, body) = t
        .patch(
            &admin,
            &format!("/api/v1/organisations/{org}"),
            json!({"require_totp": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // A member of a site below it must enrol before anything else.
    let c = t.client();
    let (status, body) = t
        .post(
            &c,
            "/api/v1/session",
            json!({"email": "hanako@example.jp", "password": "initial-pass-1"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("totp_setup_required"))
    );
    let res = c.get(t.url("/")).send().await.unwrap();
    assert_eq!(res.headers()["location"], "/account/totp");
}

#[tokio::test]
async fn cross_site_requests_with_the_cookie_are_refused() {
    let t = TestApp::with_admin().await;
    let c = t.admin().await;
    let before = t.audit_count().await;
    for (header, value) in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
        ("origin", "null"),
    ] {
        let res = c
            .post(t.url("/api/v1/organisations"))
            .header(header, value)
            .json(&json!({"name": "罠", "kind": "unit"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{header}: {value}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "cross_site");
    }
    // Same-origin browsers and non-browser clients pass.
    let res = c
        .post(t.url("/api/v1/organisations"))
        .header("origin", &t.base)
        .header("sec-fetch-site", "same-origin")
        .json(&json!({"name": "本物", "kind": "unit"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(
        t.audit_count().await,
        before + 4,
        "three refusals and the real create"
    );
    let (_, refused) = t.get(&c, "/api/v1/audit?action=request.refused").await;
    assert_eq!(refused["items"].as_array().unwrap().len(), 3);
    assert_eq!(refused["items"][0]["detail"]["reason"], "cross_site");
    assert_eq!(refused["items"][0]["outcome"], "denied");
    let (_, orgs) = t.get(&c, "/api/v1/organisations?q=罠").await;
    assert_eq!(
        orgs["total"], 0,
        "nothing of the refused requests was written"
    );
}

#[tokio::test]
async fn html_forms_need_the_session_token() {
    let t = TestApp::with_admin().await;
    let c = t.admin().await;
    let res = c
        .post(t.url("/organisations"))
        .form(&[("name", "偽装"), ("kind", "unit")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("フォームの有効期限が切れました")
    );
    let page = t.html(&c, "/organisations/new").await;
    let csrf = hidden(&page, "_csrf");
    let res = c
        .post(t.url("/organisations"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("name", "正規の組織"),
            ("kind", "unit"),
            ("parent", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let wrong = c
        .post(t.url("/organisations"))
        .form(&[
            ("_csrf", "0".repeat(64).as_str()),
            ("name", "x"),
            ("kind", "unit"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    let (_, refused) = t.get(&c, "/api/v1/audit?action=request.refused").await;
    assert_eq!(
        refused["items"].as_array().unwrap().len(),
        2,
        "both forged forms are in the trail"
    );
    assert_eq!(refused["items"][0]["detail"]["reason"], "csrf_token");
}

#[tokio::test]
async fn security_headers_are_strict() {
    let t = TestApp::new().await;
    let res = t.client().get(t.url("/login")).send().await.unwrap();
    let h = res.headers();
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'")
            && csp.contains("script-src 'self'")
            && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "same-origin");
    let html = res.text().await.unwrap();
    assert!(html.contains("<html lang=\"ja\">"));
    assert!(!html.contains("style=\""), "no inline styles under the CSP");
}
