//! Sign-in with the office's directory, against a real OpenID provider: panva's certified
//! `oidc-provider`, configured by `e2e/oidc/provider.mjs` and started by each test (it
//! needs `node` and `e2e/node_modules`, which `scripts/test` installs first; without them
//! the tests that need the provider say so and pass, except under CI, where they fail).

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use std::sync::Arc;

use mamori_app::{App, OidcMatch, OidcOptions, Settings, system_clock};
use mamori_web::{AppState, WebConfig};
use reqwest::cookie::Jar;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::oneshot;

use crate::support::*;

const SECRET: &str = "mamori-test-secret";

fn e2e_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../e2e")
}

/// Whether the provider can run here.
fn provider_available() -> bool {
    let ok = e2e_dir().join("node_modules/oidc-provider").is_dir()
        && std::process::Command::new("node")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
    assert!(
        ok || std::env::var_os("CI").is_none(),
        "CI must run the directory tests: install e2e/node_modules (npm ci in e2e/)"
    );
    if !ok {
        eprintln!("skipped: no node or e2e/node_modules/oidc-provider (run `npm ci` in e2e/)");
    }
    ok
}

/// A port nothing listens on now (the provider binds it a moment later).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The provider process; killed when dropped (and it stops by itself when its standard
/// input closes, should the test process die first).
struct Idp {
    _child: Child,
    /// Claims that replace the made-up ones, by login (`OIDC_ACCOUNTS`).
    accounts: PathBuf,
}

impl Drop for Idp {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.accounts);
    }
}

impl Idp {
    /// The directory changes what it says about the account `login`.
    fn change(&self, login: &str, claims: Value) {
        let mut all: Value = std::fs::read(&self.accounts)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_else(|| json!({}));
        all[login] = claims;
        std::fs::write(&self.accounts, all.to_string()).unwrap();
    }
}

async fn start_idp(port: u16, redirect_uri: &str) -> Idp {
    let accounts = std::env::temp_dir().join(format!(
        "mamori-oidc-accounts-{}-{port}.json",
        std::process::id()
    ));
    let mut child = Command::new("node")
        .arg(e2e_dir().join("oidc/provider.mjs"))
        .env("OIDC_ACCOUNTS", &accounts)
        .env("OIDC_PORT", port.to_string())
        .env("OIDC_REDIRECT_URIS", redirect_uri)
        .env("OIDC_STOP_WITH_STDIN", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("node starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let ready = tokio::time::timeout(Duration::from_secs(30), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if line.trim() == "ready" {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(ready, Ok(true), "the OpenID provider did not start");
    Idp {
        _child: child,
        accounts,
    }
}

fn options(issuer: &str) -> OidcOptions {
    OidcOptions {
        issuer: issuer.to_owned(),
        client_id: "mamori".into(),
        client_secret: Some(SECRET.into()),
        label: String::new(),
        matching: OidcMatch::Email,
        create_in: None,
        ca_file: None,
        trust_amr: false,
    }
}

/// mamori configured for a provider on a port chosen now, and the provider, started once
/// mamori's address (its redirect URI) is known.
async fn with_directory(tune: impl FnOnce(&mut OidcOptions)) -> (TestApp, Idp) {
    let port = free_port();
    let mut o = options(&format!("http://127.0.0.1:{port}"));
    tune(&mut o);
    let t = TestApp::with(|s: &mut Settings| s.oidc = Some(o.into_settings().unwrap()))
        .await
        .add_admin()
        .await;
    let idp = start_idp(port, &t.url("/login/oidc/callback")).await;
    (t, idp)
}

/// A browser: one cookie jar, and a client that follows redirects and one that does not.
struct Browser {
    follow: Client,
    manual: Client,
}

fn new_browser() -> Browser {
    let jar = Arc::new(Jar::default());
    let build = |policy| {
        Client::builder()
            .cookie_provider(jar.clone())
            .redirect(policy)
            .build()
            .unwrap()
    };
    Browser {
        follow: build(reqwest::redirect::Policy::limited(20)),
        manual: build(reqwest::redirect::Policy::none()),
    }
}

/// Starts a sign-in at `base`, signs in at the directory's own page as `login`, and
/// answers the address the directory sends the browser back to, without following it.
async fn to_callback(base: &str, b: &Browser, login: &str) -> String {
    let res = b
        .follow
        .get(format!("{base}/login/oidc"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "the provider's sign-in page");
    let page_url = res.url().clone();
    let html = res.text().await.unwrap();
    let action = html
        .split("action=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("a sign-in form on {page_url}: {html}"));
    let action = page_url.join(action).unwrap();
    let mut res = b
        .manual
        .post(action)
        .form(&[
            ("prompt", "login"),
            ("login", login),
            ("password", "directory password"),
        ])
        .send()
        .await
        .unwrap();
    for _ in 0..10 {
        let location = res
            .headers()
            .get("location")
            .unwrap_or_else(|| panic!("a redirect from the provider: {}", res.status()))
            .to_str()
            .unwrap()
            .to_owned();
        let next = res.url().join(&location).unwrap();
        if next.path() == "/login/oidc/callback" {
            return next.to_string();
        }
        res = b.manual.get(next).send().await.unwrap();
    }
    panic!("the provider never sent the browser back");
}

/// Signs in at the directory as `login` and comes back: mamori's final answer (status,
/// path and page after its redirects).
async fn sign_in(base: &str, login: &str) -> (Client, StatusCode, String, String) {
    let b = new_browser();
    let callback = to_callback(base, &b, login).await;
    // Back to the server it started on, whatever the public address (the servers behind
    // one load balancer share it).
    let mut callback = reqwest::Url::parse(&callback).unwrap();
    let start = reqwest::Url::parse(base).unwrap();
    callback.set_port(start.port()).unwrap();
    let res = b.follow.get(callback).send().await.unwrap();
    let status = res.status();
    let path = res.url().path().to_owned();
    let body = res.text().await.unwrap();
    (b.manual, status, path, body)
}

/// A second server over the same database with its own settings, as another server behind
/// the same load balancer would be (the same public address unless `public` is `None`).
async fn second_server(
    t: &TestApp,
    public: Option<&str>,
    tune: impl FnOnce(&mut Settings),
) -> (String, oneshot::Sender<()>) {
    let mut settings = Settings {
        password_cost: mamori_auth::password::Cost::TESTING,
        ..Settings::default()
    };
    tune(&mut settings);
    let app = App::new(t.db.clone(), system_clock(), settings)
        .unwrap()
        .install_libraries(mamori_library::shipped().unwrap())
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = AppState::new(
        app,
        WebConfig {
            public_origin: public.unwrap_or(&base).to_owned(),
        },
        None,
    );
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        mamori_web::serve(listener, state, async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    (base, stop)
}

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

fn reasons(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["detail"]["method"] == "oidc" && e["outcome"] != "success")
        .map(|e| e["detail"]["reason"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[tokio::test]
async fn matched_by_email_then_by_the_bound_subject() {
    if !provider_available() {
        return;
    }
    let (t, idp) = with_directory(|_| {}).await;
    let sys = t.admin().await;
    let org = t.org(&sys, "甲省", "ministry", None).await;
    // Added with an initial password: a password login would have to change it first; a
    // directory sign-in does not.
    let tanaka = t
        .person(&sys, "田中 一郎", "tanaka@ko.example.jp", &org)
        .await;

    let (c, status, path, _) = sign_in(&t.base, "Tanaka@ko.example.jp").await;
    assert_eq!((status, path.as_str()), (StatusCode::OK, "/"));
    let (_, me) = t.get(&c, "/api/v1/me").await;
    assert_eq!(me["id"], tanaka.as_str());

    let logins = events(&t, &sys, "login").await;
    let ok = logins
        .iter()
        .find(|e| e["detail"]["method"] == "oidc" && e["outcome"] == "success")
        .expect("the sign-in is an audit event");
    assert_eq!(ok["target_id"], tanaka.as_str());
    assert_eq!(ok["detail"]["subject"], "Tanaka@ko.example.jp");
    assert_eq!(ok["detail"]["stage"], "full");
    let bound = events(&t, &sys, "person.bind_directory").await;
    assert_eq!(bound.len(), 1, "{bound:?}");

    // The directory changes Tanaka's address to one that another person of mamori has:
    // the bound subject still names Tanaka.
    t.person(&sys, "田中 一郎（別人）", "ichiro@ko.example.jp", &org)
        .await;
    idp.change(
        "Tanaka@ko.example.jp",
        json!({"email": "ichiro@ko.example.jp", "email_verified": true}),
    );
    let (c, status, path, _) = sign_in(&t.base, "Tanaka@ko.example.jp").await;
    assert_eq!((status, path.as_str()), (StatusCode::OK, "/"));
    assert_eq!(t.get(&c, "/api/v1/me").await.1["id"], tanaka.as_str());

    // Another directory account with Tanaka's present address does not take him over.
    let (_, status, _, body) = sign_in(&t.base, "resub+2+tanaka@ko.example.jp").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body.contains("別の組織のアカウントと結び付けられている"),
        "{body}"
    );
    assert_eq!(
        reasons(&events(&t, &sys, "login").await),
        vec!["other_subject"]
    );
    t.verify_chain().await;
}

#[tokio::test]
async fn refusals_are_explained_and_audited_and_lock_nobody() {
    if !provider_available() {
        return;
    }
    let (t, _idp) = with_directory(|_| {}).await;
    let sys = t.admin().await;
    let org = t.org(&sys, "甲省", "ministry", None).await;
    let suzuki = t
        .person(&sys, "鈴木 花子", "suzuki@ko.example.jp", &org)
        .await;

    // Unknown to mamori, and nobody is created.
    let (_, status, path, body) = sign_in(&t.base, "stranger@ko.example.jp").await;
    assert_eq!(
        (status, path.as_str()),
        (StatusCode::UNAUTHORIZED, "/login/oidc/callback")
    );
    assert!(body.contains("mamori に登録されていません"), "{body}");
    // Unverified address.
    let (_, status, _, body) = sign_in(&t.base, "unverified+suzuki@ko.example.jp").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("確認済みではない"), "{body}");
    // No address at all.
    let (_, status, _, _) = sign_in(&t.base, "noemail+x").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Deactivated.
    let (status, _) = t
        .patch(
            &sys,
            &format!("/api/v1/persons/{suzuki}"),
            json!({"active": false}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    for _ in 0..4 {
        let (_, status, _, body) = sign_in(&t.base, "suzuki@ko.example.jp").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(body.contains("利用停止中"), "{body}");
    }
    // The directory refused (the person cancelled at the provider).
    let c = new_browser().follow;
    let res = c
        .get(t.url("/login/oidc/callback?error=access_denied&state=whatever"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.text().await.unwrap().contains("拒否されました"));

    let logins = events(&t, &sys, "login").await;
    let mut got = reasons(&logins);
    got.reverse();
    assert_eq!(
        got,
        vec![
            "no_match",
            "email_unverified",
            "no_email",
            "inactive",
            "inactive",
            "inactive",
            "inactive",
            "provider_error"
        ]
    );
    let denied = logins
        .iter()
        .find(|e| e["detail"]["reason"] == "inactive")
        .unwrap();
    assert_eq!(denied["outcome"], "denied");
    assert_eq!(denied["target_id"], suzuki.as_str());

    // Four refusals past the lockout threshold (3 here) locked nothing: reactivated, the
    // password still logs in.
    let (status, _) = t
        .patch(
            &sys,
            &format!("/api/v1/persons/{suzuki}"),
            json!({"active": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // (The right password answers "change it first", not "wrong or locked".)
    let (_, body) = t
        .post(
            &t.client(),
            "/api/v1/session",
            json!({"email": "suzuki@ko.example.jp", "password": "initial-pass-1"}),
        )
        .await;
    assert_eq!(
        body["error"]["code"], "password_change_required",
        "not locked by directory refusals: {body}"
    );
    t.verify_chain().await;
}

#[tokio::test]
async fn a_state_signs_in_once_and_only_in_the_browser_that_left() {
    if !provider_available() {
        return;
    }
    let (t, _idp) = with_directory(|_| {}).await;
    let sys = t.admin().await;
    let org = t.org(&sys, "甲省", "ministry", None).await;
    t.person(&sys, "佐藤 次郎", "sato@ko.example.jp", &org)
        .await;

    // Another browser (an attacker's link) cannot use someone's callback address.
    let callback = to_callback(&t.base, &new_browser(), "sato@ko.example.jp").await;
    let res = new_browser().follow.get(&callback).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.text().await.unwrap().contains("確認できませんでした"));

    // The browser that left signs in once; the same address again is refused, even with
    // the state's cookie put back.
    let b = new_browser();
    let callback = to_callback(&t.base, &b, "sato@ko.example.jp").await;
    let state = url_param(&callback, "state");
    let res = b.manual.get(&callback).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/");
    let replay = new_browser()
        .manual
        .get(&callback)
        .header("cookie", format!("mamori_oidc={state}"))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        reasons(&events(&t, &sys, "login").await),
        vec!["bad_state", "bad_state"]
    );
}

#[tokio::test]
async fn a_sign_in_started_on_one_server_finishes_on_another() {
    if !provider_available() {
        return;
    }
    let (t, _idp) = with_directory(|_| {}).await;
    let sys = t.admin().await;
    let org = t.org(&sys, "甲省", "ministry", None).await;
    let sato = t
        .person(&sys, "佐藤 次郎", "sato@ko.example.jp", &org)
        .await;
    let issuer = t
        .app
        .settings()
        .oidc
        .as_ref()
        .unwrap()
        .provider
        .issuer()
        .to_owned();
    let (other, _stop) = second_server(&t, Some(&t.base), |s| {
        s.oidc = Some(options(&issuer).into_settings().unwrap())
    })
    .await;
    let b = new_browser();
    let callback = to_callback(&t.base, &b, "sato@ko.example.jp").await;
    // The load balancer sends the way back to the other server.
    let callback = callback.replace(&t.base, &other);
    let res = b.manual.get(&callback).send().await.unwrap();
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}",
        res.text().await.unwrap()
    );
    assert_eq!(t.get(&b.manual, "/api/v1/me").await.1["id"], sato.as_str());
}

fn url_param(url: &str, name: &str) -> String {
    let url = reqwest::Url::parse(url).unwrap();
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap()
}

#[tokio::test]
async fn unknown_people_are_created_only_where_allowed() {
    if !provider_available() {
        return;
    }
    let (t, _idp) = with_directory(|_| {}).await;
    let sys = t.admin().await;
    let org = t.org(&sys, "乙市", "ministry", None).await;
    // Without `--oidc-create-in`, nobody is created.
    let (_, status, _, _) = sign_in(&t.base, "yamada@otsu.example.jp").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A server told to create people in 乙市 (and to match by subject only); the same
    // public address, so the directory's redirect URI holds.
    let issuer = t
        .app
        .settings()
        .oidc
        .as_ref()
        .unwrap()
        .provider
        .issuer()
        .to_owned();
    let (other, _stop) = second_server(&t, Some(&t.base), |s| {
        let mut o = options(&issuer);
        o.create_in = Some(org.parse().unwrap());
        o.matching = OidcMatch::Subject;
        s.oidc = Some(o.into_settings().unwrap());
    })
    .await;
    let (c, status, path, _) = sign_in(&other, "yamada@otsu.example.jp").await;
    assert_eq!((status, path.as_str()), (StatusCode::OK, "/"));
    let (_, me) = t.get(&c, "/api/v1/me").await;
    assert_eq!(me["email"], "yamada@otsu.example.jp");
    assert_eq!(me["name"], "組織 yamada");
    assert_eq!(me["organisation"]["id"], org.as_str());
    let created = events(&t, &sys, "person.create").await;
    let created = created
        .iter()
        .find(|e| e["detail"]["source"] == "oidc")
        .expect("the creation is an audit event");
    assert_eq!(created["target_id"], me["id"]);
    assert!(created["actor_id"].is_null());
    // With no roles: nothing of the organisation is theirs to manage.
    assert_eq!(me["roles"], json!([]), "{me}");

    // Matching by subject: an existing person's address is not enough to sign in as them,
    // nor to be created over them.
    t.person(&sys, "既存 職員", "kizon@otsu.example.jp", &org)
        .await;
    let (_, status, _, body) = sign_in(&other, "kizon@otsu.example.jp").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("別の職員が使用している"), "{body}");
    t.verify_chain().await;
}

#[tokio::test]
async fn the_second_factor_is_asked_as_after_a_password() {
    if !provider_available() {
        return;
    }
    let (t, _idp) = with_directory(|_| {}).await;
    let sys = t.admin().await;
    let org = t.org(&sys, "甲省", "ministry", None).await;
    t.person(&sys, "高橋 三郎", "takahashi@ko.example.jp", &org)
        .await;
    let (status, _) = t
        .patch(
            &sys,
            &format!("/api/v1/organisations/{org}"),
            json!({"require_totp": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (c, status, path, _) = sign_in(&t.base, "takahashi@ko.example.jp").await;
    assert_eq!((status, path.as_str()), (StatusCode::OK, "/account/totp"));
    // Not signed in fully yet: the API refuses until the second factor is enrolled.
    assert_eq!(t.get(&c, "/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_directory_that_is_down_is_a_message_and_is_tried_again() {
    if !provider_available() {
        return;
    }
    let port = free_port();
    let t = TestApp::with(|s| {
        s.oidc = Some(
            options(&format!("http://127.0.0.1:{port}"))
                .into_settings()
                .unwrap(),
        )
    })
    .await
    .add_admin()
    .await;
    let login = t.html(&t.client(), "/login").await;
    assert!(login.contains("組織のアカウントでログイン"), "{login}");
    let res = new_browser()
        .follow
        .get(t.url("/login/oidc"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(res.text().await.unwrap().contains("接続できませんでした"));

    // Once it is up, the next sign-in discovers it.
    let _idp = start_idp(port, &t.url("/login/oidc/callback")).await;
    let sys = t.admin().await;
    let org = t.org(&sys, "甲省", "ministry", None).await;
    t.person(&sys, "伊藤 四郎", "ito@ko.example.jp", &org).await;
    let (_, status, path, _) = sign_in(&t.base, "ito@ko.example.jp").await;
    assert_eq!((status, path.as_str()), (StatusCode::OK, "/"));
}
