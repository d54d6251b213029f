//! Classification and handling marks: a case marked 注意 is read only by those who need to
//! know, lists leave it out for everyone else, and every document carries the mark.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::cases::{application, world};

fn ids(list: &Value) -> Vec<&str> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_case_marked_caution_is_read_only_by_those_who_need_to_know() {
    let w = world().await;
    let admin = w.t.admin().await;
    let mut data = application("内部翻訳AI", "generative_ai");
    data["handling_mark"] = json!("caution");
    let marked =
        w.t.create(
            &w.officer,
            "/api/v1/cases",
            json!({"procedure": "approval", "organisation": w.unit, "data": data}),
        )
        .await;
    let plain = w.apply(&w.officer, &w.unit, "DeepL", "translation").await;
    let path = format!("/api/v1/cases/{marked}");

    // A colleague of the unit reads the unit's cases, but not this one, nor finds it;
    // neither does the administrator over every organisation.
    for reader in [&w.bystander, &admin] {
        let (status, _) = w.t.get(reader, &path).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (_, list) = w.t.get(reader, "/api/v1/cases").await;
        assert_eq!(ids(&list), [plain.as_str()], "{list}");
        let (_, found) = w.t.get(reader, "/api/v1/cases?q=内部翻訳").await;
        assert_eq!(found["total"], 0, "{found}");
        let (status, _) =
            w.t.get(reader, &format!("{path}/documents/application.txt"))
                .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    // The chief takes no part while it is a draft.
    let (status, _) = w.t.get(&w.chief, &path).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, body) = w.act(&w.officer, &marked, "submit", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Now it waits on the chief, who reads it, and keeps reading it after acting.
    let (status, case) = w.t.get(&w.chief, &path).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["mark"]["id"], "caution");
    assert_eq!(case["mark"]["label"]["ja"], "注意");
    assert_eq!(case["mark"]["need_to_know"], true);
    let (status, body) = w
        .act(
            &w.chief,
            &marked,
            "refuse",
            json!({"comment": "生成AIには入力できない情報を扱うため"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = w.t.get(&w.chief, &path).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = w.t.get(&w.bystander, &path).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The applicant reads it and lists it, with its mark.
    let (_, list) = w.t.get(&w.officer, "/api/v1/cases").await;
    let line = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == marked.as_str())
        .unwrap_or_else(|| panic!("{list}"));
    assert_eq!(line["mark"]["label"]["ja"], "注意");
    let text =
        w.t.html(&w.officer, &format!("{path}/documents/application.txt"))
            .await;
    assert!(text.starts_with("【注意】\n"), "{text}");
    // The PDF template gets the mark put above it and still typesets.
    let pdf = w
        .officer
        .get(w.t.url(&format!("{path}/documents/application_pdf.pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status(), StatusCode::OK);
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF-"));
    let page = w.t.html(&w.officer, &format!("/cases/{marked}")).await;
    assert!(page.contains("data-test=\"case-mark\">注意"), "{page}");
    let list_page = w.t.html(&w.officer, "/cases").await;
    assert!(list_page.contains("data-test=\"mark\">注意"), "{list_page}");

    // An unmarked case's documents carry no mark.
    let text =
        w.t.html(
            &w.officer,
            &format!("/api/v1/cases/{plain}/documents/application.txt"),
        )
        .await;
    assert!(!text.starts_with('【'), "{text}");
}

#[tokio::test]
async fn a_mark_the_library_does_not_have_is_refused_on_its_field_and_the_draft_is_kept() {
    let w = world().await;
    let mut data = application("Zoom", "web_meeting");
    data["handling_mark"] = json!("internal_only");
    let id =
        w.t.create(
            &w.officer,
            "/api/v1/cases",
            json!({"procedure": "approval", "organisation": w.unit, "data": data}),
        )
        .await;
    let path = format!("/api/v1/cases/{id}");
    let mut wrong = application("Zoom", "web_meeting");
    wrong["handling_mark"] = json!("top_secret");
    let (status, body) = w.t.patch(&w.officer, &path, json!({"data": wrong})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        body["error"]["fields"]["handling_mark"], "「取扱区分」は選択肢から選んでください。",
        "{body}"
    );
    let (_, case) = w.t.get(&w.officer, &path).await;
    assert_eq!(case["data"]["handling_mark"], "internal_only");
    // 部内限り does not restrict reading inside the organisation.
    assert_eq!(case["mark"]["need_to_know"], false);
    let (status, _) = w.t.get(&w.bystander, &path).await;
    assert_eq!(status, StatusCode::OK);
    // The field heads the form, as the mark heads a paper form.
    assert_eq!(case["fields"][0]["id"], "handling_mark");
}

#[tokio::test]
async fn a_marked_case_marks_the_register_rows_it_writes() {
    let w = world().await;
    let admin = w.t.admin().await;
    let mut data = application("内部翻訳AI", "generative_ai");
    data["handling_mark"] = json!("caution");
    let marked =
        w.t.create(
            &w.officer,
            "/api/v1/cases",
            json!({"procedure": "approval", "organisation": w.unit, "data": data}),
        )
        .await;
    let (status, body) = w.act(&w.officer, &marked, "submit", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = w.act(&w.chief, &marked, "ask_nisc", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = w
        .act(
            &w.chief,
            &marked,
            "record_nisc_advice",
            json!({"fields": {"nisc_advice_on": "2026-11-20", "nisc_advice": "利用可"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let rows = "/api/v1/registers/external_services/rows";
    let (_, list) = w.t.get(&w.chief, rows).await;
    let row = &list["rows"][0];
    assert_eq!(row["data"]["handling_mark"], "caution", "{list}");
    let row_path = format!("{rows}/{}", row["id"].as_str().unwrap());

    // The administrator reads registers by office: the marked row is not for them.
    let (_, list) = w.t.get(&admin, rows).await;
    assert_eq!(list["rows"].as_array().unwrap().len(), 0, "{list}");
    let (status, _) = w.t.get(&admin, &row_path).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = w.t.get(&w.chief, &row_path).await;
    assert_eq!(status, StatusCode::OK);

    // The editor's export carries the mark on every sheet.
    let export = |c: &reqwest::Client| {
        c.get(w.t.url("/api/v1/registers/external_services/export.xlsx"))
            .send()
    };
    let bytes = export(&w.chief).await.unwrap().bytes().await.unwrap();
    let table = mamori_sheets::read(&bytes, mamori_sheets::Limits::default()).unwrap();
    assert_eq!(table.meta("mark"), Some("注意"));
    assert_eq!(table.rows.len(), 1);
    // Sent outside, the encrypted archive says how to handle it before it is opened.
    let zip = w
        .chief
        .post(w.t.url("/api/v1/registers/external_services/export.zip"))
        .json(&json!({"password": "台帳送付用の合言葉 2026"}))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let archive = zip::ZipArchive::new(std::io::Cursor::new(zip.to_vec())).unwrap();
    assert_eq!(archive.comment(), "取扱区分: 注意".as_bytes());
    let bytes = export(&admin).await.unwrap().bytes().await.unwrap();
    let table = mamori_sheets::read(&bytes, mamori_sheets::Limits::default()).unwrap();
    assert!(table.rows.is_empty() && table.meta("mark").is_none());
}
