//! Contact and table fields through the API and the HTML form: each part and each cell is
//! checked and named in its message, and what was typed comes back on a mistake.

use mamori_app::system_clock;
use mamori_library::Library;
use reqwest::StatusCode;
use serde_json::json;

use crate::auth::hidden;
use crate::cases::{application, world_on};
use crate::support::{PASSWORD, TestApp};

/// The shipped application form with a contact and a table of units added.
fn library_with_contact_and_table() -> Vec<Library> {
    crate::support::application_form_with(
        "  - id: contact
    type: contact
    label: { ja: 連絡担当者, en: Contact }
    required: true
  - id: units
    type: group
    label: { ja: 利用する部署, en: Units using it }
    max_rows: 5
    fields:
      - { id: unit, type: text, label: { ja: 部署名, en: Unit }, required: true }
      - { id: users, type: number, label: { ja: 利用者数, en: Users }, min: 1 }
",
    )
}

async fn server() -> TestApp {
    TestApp::build(system_clock(), library_with_contact_and_table(), |_| {})
        .await
        .add_admin()
        .await
}

#[tokio::test]
async fn contacts_and_tables_are_checked_part_by_part_through_the_api() {
    let w = world_on(server().await).await;
    let mut data = application("Box", "online_storage");
    data["contact"] = json!({"name": "連絡 花子", "email": "hanako@", "phone": "内線"});
    data["units"] = json!([{"unit": "情報通信課", "users": 3}, {"users": 0}]);
    let (status, body) =
        w.t.post(
            &w.officer,
            "/api/v1/cases",
            json!({"procedure": "approval", "organisation": w.unit, "data": data}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let fields = body["error"]["fields"].as_object().unwrap();
    assert_eq!(
        fields["contact.email"],
        "「連絡担当者（メールアドレス）」はメールアドレスの形式で入力してください（例: taro@example.go.jp）。"
    );
    assert!(
        fields["contact.phone"]
            .as_str()
            .unwrap()
            .contains("電話番号を数字とハイフンで")
    );
    assert!(
        !fields.contains_key("units.1.unit"),
        "a draft need not be complete"
    );
    assert_eq!(
        fields["units.1.users"],
        "「利用する部署 2行目の利用者数」は1以上にしてください。"
    );

    data["contact"] = json!({"name": "連絡 花子", "phone": "03-1234-5678"});
    data["units"] = json!([{"unit": "情報通信課", "users": 3}]);
    let id =
        w.t.create(
            &w.officer,
            "/api/v1/cases",
            json!({"procedure": "approval", "organisation": w.unit, "data": data}),
        )
        .await;
    // Submitting needs every row complete (a draft is saved whole).
    let mut incomplete = data.clone();
    incomplete["units"] = json!([{"users": 2}]);
    let (status, _) =
        w.t.patch(
            &w.officer,
            &format!("/api/v1/cases/{id}"),
            json!({"data": incomplete}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = w.act(&w.officer, &id, "submit", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        body["error"]["fields"]["units.0.unit"],
        "「利用する部署 1行目の部署名」を入力してください。"
    );
    let (status, _) =
        w.t.patch(
            &w.officer,
            &format!("/api/v1/cases/{id}"),
            json!({"data": data}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, case) = w.t.get(&w.officer, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(
        case["data"]["units"],
        json!([{"unit": "情報通信課", "users": 3}])
    );
    let group = case["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "units")
        .unwrap();
    assert_eq!(group["type"], "group");
    assert_eq!(group["fields"][1]["id"], "users");
    // The documents print them as people read them.
    let text =
        w.t.html(
            &w.officer,
            &format!("/api/v1/cases/{id}/documents/application.txt"),
        )
        .await;
    assert!(
        text.contains("連絡担当者: 連絡 花子 TEL 03-1234-5678"),
        "{text}"
    );
    assert!(text.contains("部署名: 情報通信課、利用者数: 3"), "{text}");
}

#[tokio::test]
async fn the_html_form_keeps_every_part_and_cell_that_was_typed() {
    let w = world_on(server().await).await;
    let browser = w.t.browser("officer@mod.example.jp", PASSWORD).await;
    let path = format!(
        "/cases/new?procedure=mod-external-service/approval&organisation={}",
        w.unit
    );
    let page = w.t.html(&browser, &path).await;
    assert!(page.contains("name=\"contact.phone\""));
    assert!(
        page.contains("name=\"units.1.users\""),
        "blank rows to fill"
    );
    let csrf = hidden(&page, "_csrf");
    let res = browser
        .post(w.t.url("/cases"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("_procedure", "mod-external-service/approval"),
            ("_organisation", w.unit.as_str()),
            ("service_name", "Box"),
            ("contact.name", "連絡 花子"),
            ("contact.email", "hanako@example"),
            ("units.0.unit", "情報通信課"),
            ("units.0.users", "３"),
            ("units.1.unit", ""),
            ("units.1.users", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("「連絡担当者（メールアドレス）」はメールアドレスの形式で"),
        "{page}"
    );
    assert!(page.contains("「利用する部署 2行目の利用者数」には数値を入力してください。"));
    for kept in [
        "value=\"連絡 花子\"",
        "value=\"hanako@example\"",
        "value=\"情報通信課\"",
        "value=\"x\"",
    ] {
        assert!(page.contains(kept), "{kept} kept");
    }
}
