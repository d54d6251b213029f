//! A running mamori for one test, with helpers named after what a person does.

use mamori_app::{App, Clock, FirstAdmin, Settings, system_clock};
use mamori_auth::password::Cost;
use mamori_storage::{Db, DbConfig, PoolSize};
use mamori_test_support::TestDb;
use mamori_web::{AppState, WebConfig};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use tokio::sync::oneshot;

pub const ADMIN_EMAIL: &str = "admin@example.jp";
pub const ADMIN_PASSWORD: &str = "管理者のながいパスワード";
pub const PASSWORD: &str = "correct horse battery";

/// A server on 127.0.0.1 with its own database and a system administrator.
pub struct TestApp {
    pub base: String,
    pub db: Db,
    pub app: App,
    pub first_run_token: String,
    _testdb: TestDb,
    _stop: oneshot::Sender<()>,
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with(|_| {}).await
    }

    pub async fn with(tune: impl FnOnce(&mut Settings)) -> Self {
        Self::build(system_clock(), mamori_library::shipped().unwrap(), tune).await
    }

    /// A server with its own clock and libraries (adapted shipped ones, say).
    pub async fn build(
        clock: Clock,
        libraries: Vec<mamori_library::Library>,
        tune: impl FnOnce(&mut Settings),
    ) -> Self {
        let testdb = TestDb::new().await;
        let config =
            DbConfig::from_options(testdb.database_url.as_deref(), &testdb.data_dir).unwrap();
        let db = Db::open(&config, PoolSize { connections: 4 })
            .await
            .unwrap();
        let mut settings = Settings {
            password_cost: Cost::TESTING,
            lockout_threshold: 3,
            // Every test client is 127.0.0.1 and many tests fail on purpose (anonymous
            // requests, wrong passwords); the tests of the limit itself set their own.
            edge: mamori_app::EdgeLimits {
                failure_burst: 100_000,
                ..mamori_app::EdgeLimits::default()
            },
            ..Settings::default()
        };
        tune(&mut settings);
        let app = App::new(db.clone(), clock, settings)
            .unwrap()
            .install_libraries(libraries)
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let first_run_token = "f".repeat(64);
        let state = AppState::new(
            app.clone(),
            WebConfig {
                public_origin: base.clone(),
            },
            Some(first_run_token.clone()),
        );
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            mamori_web::serve(listener, state, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        Self {
            base,
            db,
            app,
            first_run_token,
            _testdb: testdb,
            _stop: stop,
        }
    }

    /// The shipped libraries on `hands`'s clock, with sessions that outlast the days a
    /// scenario moves the clock over, and the first administrator.
    pub async fn shipped(hands: &Hands) -> Self {
        TestApp::build(hands.clock(), mamori_library::shipped().unwrap(), |s| {
            s.session_idle_minutes = 60 * 24 * 365;
            s.session_max_hours = 24 * 365;
        })
        .await
        .add_admin()
        .await
    }

    /// Registers each (name, e-mail, organisation, role) as `sys`, designates them and
    /// signs them in: their clients, in order.
    pub async fn people<O: AsRef<str>>(
        &self,
        sys: &Client,
        people: &[(&str, &str, O, &str)],
    ) -> Vec<Client> {
        let mut clients = Vec::new();
        for (name, email, org, role) in people {
            let id = self.person(sys, name, email, org.as_ref()).await;
            self.designate(sys, role, org.as_ref(), &id).await;
            clients.push(self.first_login(email, "initial-pass-1").await);
        }
        clients
    }

    /// Takes an action on a case with these fields: the status and the answer.
    pub async fn act(
        &self,
        c: &Client,
        case: &str,
        action: &str,
        fields: Value,
    ) -> (StatusCode, Value) {
        self.post(
            c,
            &format!("/api/v1/cases/{case}/actions/{action}"),
            serde_json::json!({ "fields": fields }),
        )
        .await
    }

    /// Takes an action that must succeed: the case after it.
    pub async fn act_ok(&self, c: &Client, case: &str, action: &str, fields: Value) -> Value {
        let (status, body) = self.act(c, case, action, fields).await;
        assert_eq!(status, StatusCode::OK, "{action}: {body}");
        body
    }

    /// The signed-in person's id.
    pub async fn id_of(&self, c: &Client) -> String {
        let (_, me) = self.get(c, "/api/v1/me").await;
        me["id"].as_str().unwrap().to_owned()
    }

    /// The columns of each live row of a register `c` reads.
    pub async fn register_data(&self, c: &Client, register: &str) -> Vec<Value> {
        let (status, body) = self
            .get(c, &format!("/api/v1/registers/{register}/rows"))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["data"].clone())
            .collect()
    }

    /// Imports a workbook into a register for `org`: the status and the report.
    pub async fn import_rows(
        &self,
        c: &Client,
        register: &str,
        org: &str,
        workbook: Vec<u8>,
    ) -> (StatusCode, Value) {
        let form = reqwest::multipart::Form::new()
            .text("organisation", org.to_owned())
            .part(
                "file",
                reqwest::multipart::Part::bytes(workbook).file_name("台帳.xlsx"),
            );
        let res = c
            .post(self.url(&format!("/api/v1/registers/{register}/import")))
            .multipart(form)
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// Attaches a file to a case for one of its form's attachment fields.
    pub async fn attach_for(
        &self,
        c: &Client,
        case: &str,
        field: &str,
        name: &str,
        content: &[u8],
    ) -> (StatusCode, Value) {
        let form = reqwest::multipart::Form::new()
            .text("field", field.to_owned())
            .part(
                "file",
                reqwest::multipart::Part::bytes(content.to_vec()).file_name(name.to_owned()),
            );
        let res = c
            .post(self.url(&format!("/api/v1/cases/{case}/attachments")))
            .multipart(form)
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// A second server on the same database, as a second instance behind a load balancer
    /// would be: it shares nothing with the first but the database. Returns its base URL;
    /// it stops when the returned sender is dropped.
    pub async fn second_instance(&self) -> (String, oneshot::Sender<()>) {
        let settings = Settings {
            password_cost: Cost::TESTING,
            ..Settings::default()
        };
        let app = App::new(self.db.clone(), system_clock(), settings)
            .unwrap()
            .install_libraries(mamori_library::shipped().unwrap())
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = AppState::new(
            app,
            WebConfig {
                public_origin: base.clone(),
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

    /// Creates the system administrator the way the command line does.
    pub async fn with_admin() -> Self {
        Self::new().await.add_admin().await
    }

    /// Creates the system administrator on a server built otherwise.
    pub async fn add_admin(self) -> Self {
        let t = self;
        t.app
            .create_system_admin(
                &FirstAdmin {
                    organisation: "運用管理室".into(),
                    name: "管理 太郎".into(),
                    email: ADMIN_EMAIL.into(),
                    password: ADMIN_PASSWORD.into(),
                },
                false,
                "test",
            )
            .await
            .unwrap();
        t
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A browser-like client that keeps cookies and does not follow redirects.
    pub fn client(&self) -> Client {
        Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    pub async fn login(&self, email: &str, password: &str) -> Client {
        let c = self.client();
        let (status, body) = send(
            &c,
            Method::POST,
            &self.url("/api/v1/session"),
            Some(json!({"email": email, "password": password})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "login {email}: {body}");
        c
    }

    /// Logs in through the HTML form, as a browser does.
    pub async fn browser(&self, email: &str, password: &str) -> Client {
        let c = self.client();
        let res = c
            .post(self.url("/login"))
            .form(&[("email", email), ("password", password)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "form login {email}");
        c
    }

    /// The HTML of a page.
    pub async fn html(&self, c: &Client, path: &str) -> String {
        c.get(self.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub async fn admin(&self) -> Client {
        self.login(ADMIN_EMAIL, ADMIN_PASSWORD).await
    }

    /// Logs in a person created with an initial password and sets their own password.
    pub async fn first_login(&self, email: &str, initial: &str) -> Client {
        let c = self.client();
        let (status, body) = send(
            &c,
            Method::POST,
            &self.url("/api/v1/session"),
            Some(json!({"email": email, "password": initial})),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["error"]["code"], "password_change_required");
        let (status, body) = send(
            &c,
            Method::POST,
            &self.url("/api/v1/me/password"),
            Some(json!({"current": initial, "new": PASSWORD})),
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        c
    }

    pub async fn get(&self, c: &Client, path: &str) -> (StatusCode, Value) {
        send(c, Method::GET, &self.url(path), None).await
    }

    pub async fn post(&self, c: &Client, path: &str, body: Value) -> (StatusCode, Value) {
        send(c, Method::POST, &self.url(path), Some(body)).await
    }

    pub async fn send_delete(&self, c: &Client, path: &str) -> (StatusCode, Value) {
        send(c, Method::DELETE, &self.url(path), None).await
    }

    pub async fn patch(&self, c: &Client, path: &str, body: Value) -> (StatusCode, Value) {
        send(c, Method::PATCH, &self.url(path), Some(body)).await
    }

    /// Creates and returns an id, asserting 201.
    pub async fn create(&self, c: &Client, path: &str, body: Value) -> String {
        let (status, res) = self.post(c, path, body.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "POST {path} {body}: {res}");
        res["id"].as_str().unwrap().to_owned()
    }

    pub async fn org(&self, c: &Client, name: &str, kind: &str, parent: Option<&str>) -> String {
        self.create(
            c,
            "/api/v1/organisations",
            json!({"name": name, "kind": kind, "parent": parent}),
        )
        .await
    }

    pub async fn person(&self, c: &Client, name: &str, email: &str, org: &str) -> String {
        self.create(c, "/api/v1/persons", json!({"name": name, "email": email, "organisation": org, "initial_password": "initial-pass-1"}))
            .await
    }

    pub async fn designate(&self, c: &Client, role: &str, org: &str, person: &str) -> String {
        self.create(
            c,
            "/api/v1/designations",
            json!({"role": role, "organisation": org, "person": person, "starts_on": "2020-01-01"}),
        )
        .await
    }

    /// Number of audit events (read straight from the database).
    /// The ids of the cases in a person's inbox, in its order.
    pub async fn inbox_ids(&self, c: &Client) -> Vec<String> {
        let (status, body) = self.get(c, "/api/v1/inbox").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect()
    }

    pub async fn audit_count(&self) -> i64 {
        mamori_storage::audit::head(&self.db).await.unwrap().0
    }

    pub async fn verify_chain(&self) {
        let result = mamori_storage::audit::verify(&self.db).await.unwrap();
        assert!(result.is_ok(), "audit chain: {result:?}");
    }
}

/// Uploads a file as the `file` part of a multipart form.
pub async fn upload(c: &Client, url: &str, file_name: &str, content: &[u8]) -> (StatusCode, Value) {
    let part = reqwest::multipart::Part::bytes(content.to_vec()).file_name(file_name.to_owned());
    let form = reqwest::multipart::Form::new().part("file", part);
    let res = c.post(url).multipart(form).send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Sends a JSON request; the answer's body as JSON (or a string for non-JSON).
pub async fn send(
    c: &Client,
    method: Method,
    url: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = c.request(method, url);
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

/// The shipped libraries, with `fields` (YAML list items) added to the end of the
/// external-service application form.
pub fn application_form_with(fields: &str) -> Vec<mamori_library::Library> {
    let mut all = mamori_library::shipped_sources();
    let sources = all.get_mut("mod-external-service").unwrap();
    let form = sources
        .iter_mut()
        .find(|s| s.path == "forms/application.yaml")
        .unwrap();
    form.content.push_str(fields);
    all.into_values()
        .map(|s| mamori_library::load_sources(s).unwrap_or_else(|p| panic!("{p:?}")))
        .collect()
}

/// A clock the test sets.
#[derive(Clone)]
pub struct Hands(std::sync::Arc<std::sync::Mutex<jiff::Timestamp>>);

impl Hands {
    /// Stopped at `when` (RFC 3339).
    pub fn at(when: &str) -> Self {
        Self(std::sync::Arc::new(std::sync::Mutex::new(
            when.parse().unwrap(),
        )))
    }
    /// Moved to `when`.
    pub fn set(&self, when: &str) {
        *self.0.lock().unwrap() = when.parse().unwrap();
    }
    /// The clock a server reads.
    pub fn clock(&self) -> Clock {
        let hands = self.0.clone();
        std::sync::Arc::new(move || *hands.lock().unwrap())
    }
}

/// The actions of a case's history, in order.
/// The shipped libraries and the test libraries of `fixtures/libraries` named.
pub fn with_fixtures(names: &[&str]) -> Vec<mamori_library::Library> {
    let mut all = mamori_library::shipped().unwrap();
    for name in names {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/libraries")
            .join(name);
        all.push(mamori_library::load_dir(&dir).unwrap_or_else(|p| panic!("{p:?}")));
    }
    all
}

pub fn history_actions(case: &Value) -> Vec<String> {
    case["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap().to_owned())
        .collect()
}

/// Compares with a file under `tests/http/golden/`; `MAMORI_BLESS=1` rewrites it.
pub fn golden(name: &str, got: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/http/golden")
        .join(name);
    if std::env::var_os("MAMORI_BLESS").is_some() {
        std::fs::write(&path, got).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(got, want, "{} differs", path.display());
}

/// The PDF's text layer as `pdftotext` reads it, one line per non-empty line with runs
/// of spaces made one, so that the comparison is about words rather than layout.
pub fn pdf_text(pdf: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!("mamori-pdf-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("form.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed by scripts/test");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_dir_all(&dir).ok();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .map(|l| l + "\n")
        .collect()
}
