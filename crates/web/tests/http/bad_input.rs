//! Bad input gets a clear answer, and nothing is half-written.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn malformed_bodies_are_refused_with_reasons_and_write_nothing() {
    let t = TestApp::with_admin().await;
    let c = t.admin().await;
    let org = t.org(&c, "甲社", "company", None).await;
    let before = t.audit_count().await;
    let url = t.url("/api/v1/organisations");
    let cases: Vec<(Vec<u8>, &str, StatusCode, &str)> = vec![
        (
            b"{\"name\": ".to_vec(),
            "application/json",
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            br#"{"name": 5, "kind": "unit"}"#.to_vec(),
            "application/json",
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            br#"{"name": "x", "kind": "unit", "colour": "red"}"#.to_vec(),
            "application/json",
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            b"{\"name\": \"\xff\xfe\", \"kind\": \"unit\"}".to_vec(),
            "application/json",
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            br#"{"name": "x", "kind": "unit"}"#.to_vec(),
            "text/plain",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            format!(r#"{{"name": "{}", "kind": "unit"}}"#, "あ".repeat(40_000)).into_bytes(),
            "application/json",
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
    ];
    for (body, content_type, status, code) in cases {
        let res = c
            .post(&url)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{code}");
        let answer: serde_json::Value = res.json().await.unwrap();
        assert_eq!(answer["error"]["code"], code, "{answer}");
        assert!(!answer["error"]["message"].as_str().unwrap().is_empty());
    }
    let (status, body) = t
        .post(
            &c,
            "/api/v1/organisations",
            json!({"name": "x".repeat(201), "kind": "galaxy", "parent": org}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "validation_failed");
    assert!(
        body["error"]["fields"]["name"]
            .as_str()
            .unwrap()
            .contains("200"),
        "{body}"
    );
    assert!(body["error"]["fields"]["kind"].is_string());
    assert_eq!(t.audit_count().await, before, "nothing was written");
    let (_, list) = t.get(&c, "/api/v1/organisations").await;
    assert_eq!(
        list["total"], 2,
        "the admin's own organisation and 甲社 only"
    );
}

#[tokio::test]
async fn messages_follow_the_requested_language() {
    let t = TestApp::with_admin().await;
    // Before login, the browser's language decides.
    let res = t
        .client()
        .post(t.url("/api/v1/session"))
        .header("accept-language", "en-GB,en;q=0.9")
        .json(&json!({"email": "x@example.jp", "password": "wrong-password"}))
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        body["error"]["message"],
        "The e-mail address or password is wrong. After repeated failures, the account cannot log in for a while."
    );
    // After login, the person's own choice (Japanese by default) decides.
    let c = t.admin().await;
    let (_, body) = t
        .post(
            &c,
            "/api/v1/organisations",
            json!({"name": "", "kind": "unit"}),
        )
        .await;
    assert_eq!(body["error"]["fields"]["name"], "入力してください。");
}

#[tokio::test]
async fn duplicates_conflict_and_bad_persons_are_explained() {
    let t = TestApp::with_admin().await;
    let c = t.admin().await;
    let org = t.org(&c, "甲社", "company", None).await;
    t.person(&c, "甲 太郎", "taro@ko.example.jp", &org).await;
    let (status, body) = t
        .post(&c, "/api/v1/persons", json!({"name": "別人", "email": "TARO@ko.example.jp", "organisation": org, "initial_password": "initial-pass-1"}))
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "addresses are compared case-insensitively: {body}"
    );
    assert!(body["error"]["fields"]["email"].is_string());
    let (status, body) = t
        .post(&c, "/api/v1/persons", json!({"name": " ", "email": "not-an-address", "organisation": org, "initial_password": "short"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let fields = body["error"]["fields"].as_object().unwrap();
    assert!(
        fields.contains_key("name")
            && fields.contains_key("email")
            && fields.contains_key("initial_password"),
        "{body}"
    );
    let (status, body) = t
        .post(&c, "/api/v1/persons", json!({"name": "甲 次郎", "email": "jiro@ko.example.jp", "organisation": uuid::Uuid::now_v7(), "initial_password": "initial-pass-1"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["fields"]["organisation"].is_string());
}

#[tokio::test]
async fn designation_periods_and_choices_are_checked() {
    let t = TestApp::with_admin().await;
    let c = t.admin().await;
    let org = t.org(&c, "甲社", "company", None).await;
    let p = t.person(&c, "甲 太郎", "taro@ko.example.jp", &org).await;
    let before = t.audit_count().await;
    let (status, body) = t
        .post(&c, "/api/v1/designations", json!({"role": "administrator", "organisation": org, "person": p, "starts_on": "2026-04-01", "ends_on": "2026-03-31"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["error"]["fields"]["ends_on"],
        "終了日は開始日以降の日付にしてください。"
    );
    let (status, body) = t
        .post(
            &c,
            "/api/v1/designations",
            json!({"role": "emperor", "organisation": org, "starts_on": "2026-13-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let fields = body["error"]["fields"].as_object().unwrap();
    assert!(
        fields.contains_key("role")
            && fields.contains_key("person")
            && fields.contains_key("starts_on"),
        "{body}"
    );
    assert_eq!(t.audit_count().await, before);
}

#[tokio::test]
async fn unknown_ids_are_not_found() {
    let t = TestApp::with_admin().await;
    let c = t.admin().await;
    assert_eq!(
        t.get(&c, "/api/v1/organisations/not-a-uuid").await.0,
        StatusCode::NOT_FOUND
    );
    let (status, body) = t
        .get(&c, &format!("/api/v1/persons/{}", uuid::Uuid::now_v7()))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
}
