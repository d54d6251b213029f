//! The HTML pages: first run, login, forms that keep what was typed.

use reqwest::StatusCode;

use crate::auth::hidden;
use crate::support::*;

#[tokio::test]
async fn the_first_run_page_needs_the_token_and_closes_after_use() {
    let t = TestApp::new().await;
    let c = t.client();
    assert_eq!(
        c.get(t.url("/first-run")).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        c.get(t.url(&format!("/first-run?token={}", "0".repeat(64))))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    let page = c
        .get(t.url(&format!("/first-run?token={}", t.first_run_token)))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    // A mistake keeps what was typed (but never the password).
    let res = c
        .post(t.url("/first-run"))
        .form(&[
            ("token", t.first_run_token.as_str()),
            ("organisation", "防衛装備庁"),
            ("name", "装備 太郎"),
            ("email", "bad"),
            ("password", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let html = res.text().await.unwrap();
    assert!(html.contains("value=\"装備 太郎\"") && html.contains("value=\"bad\""));
    assert!(html.contains("メールアドレスの形式が正しくありません"));
    assert!(html.contains("10文字以上"));
    let res = c
        .post(t.url("/first-run"))
        .form(&[
            ("token", t.first_run_token.as_str()),
            ("organisation", "防衛装備庁"),
            ("name", "装備 太郎"),
            ("email", "taro@atla.example.go.jp"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        c.get(t.url(&format!("/first-run?token={}", t.first_run_token)))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    t.login("taro@atla.example.go.jp", PASSWORD).await;
}

#[tokio::test]
async fn a_failed_login_keeps_the_address_and_says_why() {
    let t = TestApp::with_admin().await;
    let c = t.client();
    let res = c
        .post(t.url("/login"))
        .form(&[("email", ADMIN_EMAIL), ("password", "wrong-password")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let html = res.text().await.unwrap();
    assert!(html.contains(&format!("value=\"{ADMIN_EMAIL}\"")));
    assert!(html.contains("メールアドレスまたはパスワードが正しくありません"));
    let res = c
        .post(t.url("/login"))
        .form(&[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/");
    let home = t.html(&c, "/").await;
    assert!(home.contains("受信箱") && home.contains("管理 太郎"));
}

#[tokio::test]
async fn pages_need_a_login() {
    let t = TestApp::with_admin().await;
    for path in ["/", "/organisations", "/persons", "/audit", "/account"] {
        let res = t.client().get(t.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(res.headers()["location"], "/login", "{path}");
    }
}

#[tokio::test]
async fn a_form_with_mistakes_is_shown_again_with_what_was_typed() {
    let t = TestApp::with_admin().await;
    let c = t.browser(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let page = t.html(&c, "/organisations/new").await;
    let csrf = hidden(&page, "_csrf");
    let long = "長".repeat(201);
    let res = c
        .post(t.url("/organisations"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("name", long.as_str()),
            ("kind", "company"),
            ("parent", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let html = res.text().await.unwrap();
    assert!(
        html.contains(&long),
        "the long name is still there to shorten"
    );
    assert!(html.contains("200文字以内"));
    assert!(html.contains("<option value=\"company\" selected>"));
    assert!(html.contains("aria-invalid=\"true\""));
}

#[tokio::test]
async fn english_can_be_chosen_per_person() {
    let t = TestApp::with_admin().await;
    let c = t.browser(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let page = t.html(&c, "/account").await;
    let csrf = hidden(&page, "_csrf");
    let res = c
        .post(t.url("/account/language"))
        .form(&[("_csrf", csrf.as_str()), ("locale", "en")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let home = t.html(&c, "/").await;
    assert!(
        home.contains("<html lang=\"en\">") && home.contains("Inbox"),
        "{home}"
    );
    // The choice is the person's, and survives a new login.
    let again = t.browser(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let home = t.html(&again, "/").await;
    assert!(home.contains("<html lang=\"en\">"));
}

#[tokio::test]
async fn assets_are_served_and_htmx_matches_its_recorded_hash() {
    let t = TestApp::new().await;
    let c = t.client();
    let css = c.get(t.url("/assets/app.css")).send().await.unwrap();
    assert_eq!(css.status(), StatusCode::OK);
    assert!(
        css.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    let js = c
        .get(t.url("/assets/vendor/htmx-2.0.11.min.js"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let sums = std::fs::read_to_string(
        std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap())
            .join("../../assets/vendor/SHA384SUMS"),
    )
    .unwrap();
    let recorded = sums.split_whitespace().next().unwrap();
    use sha2::Digest;
    let actual: String = sha2::Sha384::digest(&js)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(actual, recorded);
    assert_eq!(
        c.get(t.url("/assets/../Cargo.toml"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_organisation_list_heads_its_names_as_organisation_names() {
    let t = TestApp::with_admin().await;
    let c = t.browser(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let page = t.html(&c, "/organisations").await;
    // 「氏名」 is a person's name; an organisation has a 組織名.
    assert!(page.contains("<th scope=\"col\">組織名</th>"), "{page}");
    assert!(!page.contains("<th scope=\"col\">氏名</th>"), "{page}");
}
