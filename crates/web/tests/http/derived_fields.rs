//! Fields mamori fills in itself: a computed total replaces whatever a client sends, and an
//! attachment field holds the files attached for it, so a required one stops a submission
//! until a file is there.

use mamori_app::system_clock;
use mamori_library::Library;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::cases::{World, application, world_on};
use crate::support::{PASSWORD, TestApp};

const PDF: &[u8] = b"%PDF-1.7\n%%EOF\n";

/// The shipped application form with a table of units, two computed fields and a required
/// attachment field.
fn library_with_derived_fields() -> Vec<Library> {
    crate::support::application_form_with(
        "  - id: units
    type: group
    label: { ja: 利用する部署, en: Units using it }
    fields:
      - { id: unit, type: text, label: { ja: 部署名, en: Unit } }
      - { id: people, type: number, label: { ja: 利用者数, en: Users } }
  - id: unit_count
    type: computed
    label: { ja: 部署数, en: Units }
    compute: { count: units }
  - id: people_total
    type: computed
    label: { ja: 利用者数の計, en: Users in all }
    compute: { sum: units.people }
  - id: evidence
    type: attachment
    label: { ja: 利用規約の写し, en: Copy of the terms }
    required: true
",
    )
}

async fn server() -> TestApp {
    TestApp::build(system_clock(), library_with_derived_fields(), |_| {})
        .await
        .add_admin()
        .await
}

/// Uploads a file for a field through the API.
async fn attach_for(w: &World, c: &Client, case: &str, field: &str) -> (StatusCode, Value) {
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(PDF.to_vec()).file_name("利用規約.pdf"),
        )
        .text("field", field.to_owned());
    let res = c
        .post(w.t.url(&format!("/api/v1/cases/{case}/attachments")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap())
}

#[tokio::test]
async fn computed_fields_and_attachment_fields_are_filled_in_by_mamori() {
    let w = world_on(server().await).await;
    let mut data = application("Box", "online_storage");
    data["units"] =
        json!([{"unit": "情報通信課", "people": 3}, {"unit": "サイバー整備課", "people": "４"}]);
    // Sent values for derived fields are not taken.
    data["people_total"] = json!(999);
    data["evidence"] = json!(["偽.pdf"]);
    let id =
        w.t.create(
            &w.officer,
            "/api/v1/cases",
            json!({"procedure": "approval", "organisation": w.unit, "data": data}),
        )
        .await;
    let (_, case) = w.t.get(&w.officer, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(case["data"]["people_total"], json!(7), "{case}");
    assert_eq!(case["data"]["unit_count"], json!(2));
    assert!(case["data"].get("evidence").is_none(), "{case}");
    let kinds: Vec<&str> = case["fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| ["people_total", "evidence"].contains(&f["id"].as_str().unwrap()))
        .map(|f| f["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["computed", "attachment"]);

    // Submitting without the required file is refused, and says where to attach it.
    let (status, body) = w.act(&w.officer, &id, "submit", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        body["error"]["fields"]["evidence"],
        "「利用規約の写し」のファイルを添付してください（「添付ファイル」欄で項目に「利用規約の写し」を選びます）。"
    );
    // A field the form does not have, or one that takes no files, is refused.
    for wrong in ["nonexistent", "purpose"] {
        let (status, body) = attach_for(&w, &w.officer, &id, wrong).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(body["error"]["fields"]["field"].is_string(), "{body}");
    }
    let (status, added) = attach_for(&w, &w.officer, &id, "evidence").await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!(added["field"], "evidence");
    let (_, case) = w.t.get(&w.officer, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(case["data"]["evidence"], json!(["利用規約.pdf"]));

    // The page shows the total and the file under its field, and offers the field.
    let browser = w.t.browser("officer@mod.example.jp", PASSWORD).await;
    let page = w.t.html(&browser, &format!("/cases/{id}")).await;
    assert!(page.contains("data-test=\"computed\">7</output>"), "{page}");
    assert!(page.contains("<li>利用規約.pdf</li>"), "{page}");
    assert!(page.contains("<option value=\"evidence\">利用規約の写し</option>"));

    let (status, body) = w.act(&w.officer, &id, "submit", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let text =
        w.t.html(
            &w.officer,
            &format!("/api/v1/cases/{id}/documents/application.txt"),
        )
        .await;
    assert!(text.contains("利用者数の計: 7"), "{text}");
    assert!(text.contains("利用規約の写し: 利用規約.pdf"), "{text}");
}
