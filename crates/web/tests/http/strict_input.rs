//! Input the server must not read generously: a JSON array standing for an object, text
//! that reorders itself on screen (direction controls), bytes that are not UTF-8; and
//! errors that answer in the API's format even when no handler wrote them.

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

use crate::auth::hidden;
use crate::cases::{application, world};
use crate::support::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, send, upload};

const PDF: &[u8] = b"%PDF-1.7\n%%EOF\n";

async fn case_count(t: &TestApp, c: &Client) -> usize {
    let (status, body) = t.get(c, "/api/v1/cases").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().unwrap().len()
}

#[tokio::test]
async fn a_json_array_does_not_stand_for_an_object() {
    let w = world().await;
    // Positionally, the fields of a case to open: procedure, organisation, data.
    let data = application("翻訳サービスA", "translation");
    let (status, body) =
        w.t.post(
            &w.officer,
            "/api/v1/cases",
            json!(["mod-external-service/approval", w.unit, data]),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "json_object_expected", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("JSON のオブジェクト"), "{message}");
    assert_eq!(case_count(&w.t, &w.officer).await, 0, "no case was opened");

    // A string or a number at the top is no object either.
    for bad in [json!("approval"), json!(42)] {
        let (status, body) = w.t.post(&w.officer, "/api/v1/cases", bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["error"]["code"], "json_object_expected");
    }
    // The same fields named, as an object, open the case.
    let (status, body) = w
        .t
        .post(
            &w.officer,
            "/api/v1/cases",
            json!({"procedure": "mod-external-service/approval", "organisation": w.unit, "data": data}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(case_count(&w.t, &w.officer).await, 1);
}

#[tokio::test]
async fn errors_no_handler_wrote_still_answer_in_the_api_format() {
    let t = TestApp::with_admin().await;
    let admin = t.admin().await;
    // `/api/v1/inbox` is read-only.
    let res = admin.delete(t.url("/api/v1/inbox")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(res.headers().contains_key("allow"), "{:?}", res.headers());
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "method_not_allowed", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("受け付けません"),
        "{body}"
    );

    let (status, body) = send(&admin, Method::GET, &t.url("/api/v1/no-such-thing"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found", "{body}");

    // In English when asked (by a client without the language cookie of a login).
    let res = t
        .client()
        .put(t.url("/api/v1/inbox"))
        .header("Accept-Language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["error"]["message"],
        "This address does not accept that method."
    );
}

#[tokio::test]
async fn names_with_direction_controls_are_refused_with_a_reason() {
    let t = TestApp::with_admin().await;
    let admin = t.admin().await;
    let org = t.org(&admin, "防衛省", "ministry", None).await;
    // Shown as "山田 太郎moc.elpmaxe", say: the name reads other than it is.
    for name in [
        "山田\u{202E}太郎",
        "\u{2067}山田 太郎\u{2069}",
        "山田\u{200F}太郎",
    ] {
        let (status, body) = t
            .post(
                &admin,
                "/api/v1/persons",
                json!({"name": name, "email": "yamada@example.jp", "organisation": org, "initial_password": "initial-pass-1"}),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{name:?}: {body}");
        let message = body["error"]["fields"]["name"].as_str().unwrap();
        assert!(
            message.contains("文字の表示方向を変える制御文字"),
            "{message}"
        );
    }
    let (status, body) = t
        .post(
            &admin,
            "/api/v1/organisations",
            json!({"name": "情報\u{202E}通信課", "kind": "unit", "parent": org}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["fields"]["name"].is_string(), "{body}");
    let (status, body) = t.get(&admin, "/api/v1/persons").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!body.to_string().contains("yamada@"), "{body}");
}

#[tokio::test]
async fn an_attachment_name_loses_its_direction_controls() {
    let w = world().await;
    let id = w
        .t
        .create(
            &w.officer,
            "/api/v1/cases",
            json!({"procedure": "approval", "organisation": w.unit, "data": application("Box", "web_meeting")}),
        )
        .await;
    let url = w.t.url(&format!("/api/v1/cases/{id}/attachments"));
    let (status, added) = upload(&w.officer, &url, "規約\u{202E}fdp.pdf", PDF).await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!(added["file_name"], "規約fdp.pdf");
    let (_, case) = w.t.get(&w.officer, &format!("/api/v1/cases/{id}")).await;
    assert!(!case.to_string().contains('\u{202E}'), "{case}");
    // `evil\u{202E}fdp.exe` shows as "evilexe.pdf"; it is judged, and refused, as .exe.
    let (status, body) = upload(&w.officer, &url, "evil\u{202E}fdp.exe", PDF).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["fields"]["file"]
            .as_str()
            .unwrap()
            .contains("この形式のファイルは添付できません"),
        "{body}"
    );
}

#[tokio::test]
async fn text_that_is_not_utf8_is_refused_and_nothing_is_stored() {
    let t = TestApp::with_admin().await;
    let c = t.browser(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let api = t.admin().await;
    let organisations = |body: Value| body["items"].as_array().unwrap().len();
    let (_, before) = t.get(&api, "/api/v1/organisations").await;
    let page = t.html(&c, "/organisations/new").await;
    let csrf = hidden(&page, "_csrf");
    // "防" then two bytes that begin no UTF-8 character: the form parser would store
    // "防\u{FFFD}\u{FFFD}".
    let res = c
        .post(t.url("/organisations"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!(
            "_csrf={csrf}&name=%E9%98%B2%FF%FE&kind=company&parent="
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let html = res.text().await.unwrap();
    assert!(html.contains("UTF-8 として読めない文字"), "{html}");
    // Raw bytes, not percent-encoded, likewise.
    let mut raw = format!("_csrf={csrf}&kind=company&parent=&name=").into_bytes();
    raw.extend_from_slice(b"\xe9\x98\xb2\xff");
    let res = c
        .post(t.url("/organisations"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(raw)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let (_, after) = t.get(&api, "/api/v1/organisations").await;
    assert_eq!(
        organisations(after),
        organisations(before),
        "nothing stored"
    );

    // The text fields of an upload form likewise.
    let w = world().await;
    let id = w
        .t
        .create(
            &w.officer,
            "/api/v1/cases",
            json!({"procedure": "approval", "organisation": w.unit, "data": application("Box", "web_meeting")}),
        )
        .await;
    let form = reqwest::multipart::Form::new()
        .part(
            "field",
            reqwest::multipart::Part::bytes(b"\xff\xfe".to_vec()),
        )
        .part(
            "file",
            reqwest::multipart::Part::bytes(PDF.to_vec()).file_name("規約.pdf"),
        );
    let res = w
        .officer
        .post(w.t.url(&format!("/api/v1/cases/{id}/attachments")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_utf8", "{body}");
    let (_, case) = w.t.get(&w.officer, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(case["attachments"], json!([]), "nothing stored");
}
