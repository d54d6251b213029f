//! A secret handed down the chain, through the API, in the world of seed 003: a body's
//! system staff ask for a user to be registered and the system's general manager sends back
//! the ID and the initial password. The password is sealed apart: never in the case's
//! data, history, audit trail, documents or exports; shown once to the staff who asked,
//! who confirm receiving it. The library is a test fixture (`fixtures/libraries/mod-operations`).

use serde_json::json;

use crate::support::TestApp;

const PASSWORD: &str = "Shoki-Pass-7f3k";

fn libraries() -> Vec<mamori_library::Library> {
    crate::support::with_fixtures(&["mod-operations"])
}

/// 防衛省 with 整備計画局: the system's general manager, two system staff, and a request to
/// register a user opened (not yet sent) by the first of them.
struct Bureau {
    t: TestApp,
    admin: reqwest::Client,
    gm: reqwest::Client,
    staff: reqwest::Client,
    other: reqwest::Client,
    id: String,
}

async fn bureau() -> Bureau {
    let t = TestApp::build(mamori_app::system_clock(), libraries(), |_| {})
        .await
        .add_admin()
        .await;
    let admin = t.admin().await;
    let ministry = t.org(&admin, "防衛省", "ministry", None).await;
    let bureau = t
        .org(&admin, "整備計画局", "department", Some(&ministry))
        .await;
    let mut clients = t
        .people(
            &admin,
            &[
                (
                    "統括 一郎",
                    "gm@mod.example.jp",
                    &ministry,
                    "general_manager",
                ),
                ("担当 二郎", "staff@mod.example.jp", &bureau, "user"),
                ("担当 三郎", "staff2@mod.example.jp", &bureau, "user"),
            ],
        )
        .await
        .into_iter();
    let (gm, staff, other) = (
        clients.next().unwrap(),
        clients.next().unwrap(),
        clients.next().unwrap(),
    );
    let id = t
        .create(
            &staff,
            "/api/v1/cases",
            json!({"procedure": "mod-operations/registration", "organisation": bureau,
                   "data": {"user_name": "利用 花子"}}),
        )
        .await;
    Bureau {
        t,
        admin,
        gm,
        staff,
        other,
        id,
    }
}

#[tokio::test]
async fn the_initial_password_is_shown_once_to_whoever_asked_and_kept_nowhere_else() {
    let Bureau {
        t,
        admin,
        gm,
        staff,
        other,
        id,
    } = bureau().await;
    let (status, _) = t.act(&staff, &id, "request", json!({})).await;
    assert_eq!(status, reqwest::StatusCode::OK);
    let (status, case) = t
        .act(
            &gm,
            &id,
            "register",
            json!({"login_id": "hanako01", "initial_password": PASSWORD}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{case}");
    assert!(
        !case.to_string().contains(PASSWORD),
        "the case answer holds no secret"
    );
    assert_eq!(case["data"]["login_id"], "hanako01");
    let secret = &case["secrets"][0];
    assert_eq!(secret["field"], "initial_password");
    assert_eq!(
        secret["may_reveal"], false,
        "not the general manager's to see"
    );
    let seq = secret["seq"].as_i64().unwrap();
    let reveal = format!("/api/v1/cases/{id}/secrets/{seq}/initial_password/reveal");
    let receipt = format!("/api/v1/cases/{id}/secrets/{seq}/initial_password/receipt");

    // Nobody but whoever it is for is shown it: not who typed it, not a colleague.
    let (status, _) = t.post(&gm, &reveal, json!({})).await;
    assert_eq!(status, reqwest::StatusCode::FORBIDDEN);
    let (status, _) = t.post(&other, &reveal, json!({})).await;
    assert!(matches!(
        status,
        reqwest::StatusCode::FORBIDDEN | reqwest::StatusCode::NOT_FOUND
    ));
    // Confirming before being shown it is refused.
    let (status, _) = t.post(&staff, &receipt, json!({})).await;
    assert_eq!(status, reqwest::StatusCode::UNPROCESSABLE_ENTITY);

    let (_, page) = t.get(&staff, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(page["secrets"][0]["may_reveal"], true);
    let (status, shown) = t.post(&staff, &reveal, json!({})).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{shown}");
    assert_eq!(shown["value"], PASSWORD);
    // Once only.
    let (status, again) = t.post(&staff, &reveal, json!({})).await;
    assert_eq!(status, reqwest::StatusCode::UNPROCESSABLE_ENTITY, "{again}");
    let (status, _) = t.post(&staff, &receipt, json!({})).await;
    assert_eq!(status, reqwest::StatusCode::NO_CONTENT);
    let (_, page) = t.get(&gm, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(page["secrets"][0]["shown_to"], "担当 二郎");
    assert!(page["secrets"][0]["received_at"].is_string(), "{page}");
    assert!(
        page["history"].to_string().contains("封をして渡しました"),
        "the history says a secret went, not what"
    );

    // Nowhere else: the stored case and history, the audit trail and its export, the
    // notifications, and the sealed row itself once shown.
    let dump = mamori_storage::cases::events(&t.db, id.parse().unwrap())
        .await
        .unwrap();
    assert!(
        dump.iter()
            .all(|e| !e.data.contains(PASSWORD) && !e.detail.contains(PASSWORD))
    );
    let row = mamori_storage::cases::get(&t.db, id.parse().unwrap())
        .await
        .unwrap();
    assert!(!row.data.contains(PASSWORD));
    let csv = admin
        .get(t.url("/api/v1/audit.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.contains("case.secret.show"), "the showing is audited");
    assert!(!csv.contains(PASSWORD));
    let (_, notices) = t.get(&staff, "/api/v1/notifications").await;
    assert!(!notices.to_string().contains(PASSWORD));
    let rows = mamori_storage::case_secrets::for_case(&t.db, id.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    t.verify_chain().await;
}

#[tokio::test]
async fn on_the_case_page_the_secret_is_shown_once_never_cached_and_its_receipt_confirmed() {
    let Bureau {
        t, gm, staff, id, ..
    } = bureau().await;
    t.act(&staff, &id, "request", json!({})).await;
    let (status, _) = t
        .act(
            &gm,
            &id,
            "register",
            json!({"login_id": "hanako01", "initial_password": PASSWORD}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::OK);

    let browser = t
        .browser("staff@mod.example.jp", crate::support::PASSWORD)
        .await;
    let page = t.html(&browser, &format!("/cases/{id}")).await;
    assert!(page.contains("初期パスワード: 未表示"), "{page}");
    assert!(page.contains("表示する（一度だけ）"));
    assert!(!page.contains(PASSWORD));
    let csrf = crate::auth::hidden(&page, "_csrf");
    let action = t.url(&format!(
        "/cases/{id}/secrets/{}/initial_password/reveal",
        seq_of(&page)
    ));
    let res = browser
        .post(&action)
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["cache-control"], "no-store");
    let shown = res.text().await.unwrap();
    assert!(shown.contains(PASSWORD), "{shown}");
    assert!(shown.contains("二度と表示できません"));
    // Asked again, the case page says it was shown already and shows nothing.
    let res = browser
        .post(&action)
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    let again = res.text().await.unwrap();
    assert!(again.contains("すでに表示されました"), "{again}");
    assert!(!again.contains(PASSWORD));
    let receipt = action.replace("/reveal", "/receipt");
    let res = browser
        .post(&receipt)
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert!(
        res.status().is_success() || res.status().is_redirection(),
        "{}",
        res.status()
    );
    let page = t.html(&browser, &format!("/cases/{id}")).await;
    assert!(page.contains("受領確認済み"), "{page}");
}

/// The history entry a secret of the page's case was handed over with.
fn seq_of(page: &str) -> String {
    let at = page.find("/secrets/").expect("a secret's form");
    page[at + "/secrets/".len()..]
        .split('/')
        .next()
        .unwrap()
        .to_owned()
}
