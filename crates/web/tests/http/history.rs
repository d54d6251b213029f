//! A case's history read as sentences on its page and in its documents, its number read
//! aloud on the phone, and dates written in the calendar each reader or document uses.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::auth::hidden;
use crate::cases::{application, world_on};
use crate::support::{Hands, TestApp, pdf_text, upload};

/// Wednesday 2 December 2026, 10:00 in Tokyo.
const DAY: &str = "2026-12-02T01:00:00Z";
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

/// The shipped approval procedure, for the names its history must use.
fn approval() -> mamori_library::model::Procedure {
    let mut lib = mamori_library::shipped()
        .unwrap()
        .into_iter()
        .find(|l| l.id() == "mod-external-service")
        .unwrap();
    lib.procedures.remove("approval").unwrap()
}

async fn open(t: &TestApp, c: &Client, unit: &str) -> String {
    t.create(
        c,
        "/api/v1/cases",
        json!({"procedure": "approval", "organisation": unit, "data": application("翻訳サービス", "translation")}),
    )
    .await
}

#[tokio::test]
async fn the_history_reads_as_sentences_on_the_page_and_in_the_pdf() {
    let hands = Hands::at(DAY);
    let w = world_on(TestApp::shipped(&hands).await).await;
    let id = open(&w.t, &w.officer, &w.unit).await;
    let (status, body) = upload(
        &w.officer,
        &w.t.url(&format!("/api/v1/cases/{id}/attachments")),
        "nisc.pdf",
        PDF,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = w.act(&w.officer, &id, "submit", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let p = approval();
    let submit = p.transition("submit").unwrap();
    let (_, case) = w.t.get(&w.officer, &format!("/api/v1/cases/{id}")).await;
    let state = p.state(case["state"].as_str().unwrap()).unwrap();
    let sentence = format!(
        "申請 一郎さんが「{}」を行い、「{}」になりました。",
        submit.name.ja, state.name.ja
    );

    let page = w.t.html(&w.officer, &format!("/cases/{id}")).await;
    for want in [
        "案件を作成しました。",
        "nisc.pdf を添付しました。",
        sentence.as_str(),
    ] {
        assert!(page.contains(want), "page lacks {want}");
    }
    assert!(!page.contains("ファイルの添付"), "the old label is gone");

    // The API gives the same sentence in both languages beside the action's id.
    let last = case["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "submit");
    assert_eq!(last["sentence"]["ja"], sentence.as_str());
    assert!(
        last["sentence"]["en"]
            .as_str()
            .unwrap()
            .starts_with("申請 一郎 took"),
        "{last}"
    );

    let res = w
        .officer
        .get(w.t.url(&format!("/api/v1/cases/{id}/documents/application_pdf.pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let text = pdf_text(&res.bytes().await.unwrap());
    // pdftotext may break a long line; compare without line breaks and spaces.
    let flat: String = text.split_whitespace().collect();
    let flat_sentence: String = sentence.split_whitespace().collect();
    assert!(flat.contains("nisc.pdfを添付しました。"), "{text}");
    assert!(flat.contains(&flat_sentence), "{text}");
    assert!(!text.contains("attach ("), "{text}");
    // The footer names the case by its number, not its id.
    assert!(text.contains("2026-0001"), "{text}");
    assert!(!text.contains(&id), "{text}");
}

#[tokio::test]
async fn case_numbers_count_per_year_and_never_repeat() {
    let hands = Hands::at(DAY);
    let w = world_on(TestApp::shipped(&hands).await).await;
    // Twenty creations at once: each takes the next number of the year, none the same.
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (c, url, unit) = (
                w.officer.clone(),
                w.t.url("/api/v1/cases"),
                w.unit.clone(),
            );
            tokio::spawn(async move {
                let res = c
                    .post(url)
                    .json(&json!({"procedure": "approval", "organisation": unit, "data": application("同時", "translation")}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), StatusCode::CREATED);
                res.json::<Value>().await.unwrap()
            })
        })
        .collect();
    let mut numbers = Vec::new();
    for task in tasks {
        let id = task.await.unwrap()["id"].as_str().unwrap().to_owned();
        let (_, case) = w.t.get(&w.officer, &format!("/api/v1/cases/{id}")).await;
        numbers.push(case["number"].as_str().unwrap().to_owned());
    }
    numbers.sort();
    let want: Vec<String> = (1..=20).map(|n| format!("2026-{n:04}")).collect();
    assert_eq!(numbers, want);

    // A new year starts again from one.
    hands.set("2027-01-04T00:30:00Z");
    let id = open(&w.t, &w.officer, &w.unit).await;
    let (_, case) = w.t.get(&w.officer, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(case["number"], "2027-0001");
    let page = w.t.html(&w.officer, &format!("/cases/{id}")).await;
    assert!(
        page.contains(r#"data-test="case-number">2027-0001<"#),
        "the case page shows its number"
    );
    let list = w.t.html(&w.officer, "/cases").await;
    assert!(list.contains(">2026-0020<") && list.contains(">2027-0001<"));
}

#[tokio::test]
async fn choosing_wareki_makes_the_case_list_show_era_dates() {
    let hands = Hands::at(DAY);
    let w = world_on(TestApp::shipped(&hands).await).await;
    open(&w.t, &w.officer, &w.unit).await;
    let list = w.t.html(&w.officer, "/cases").await;
    assert!(list.contains("2026年12月2日 10:00"), "西暦 by default");
    assert!(!list.contains("令和8年12月2日"));

    let account = w.t.html(&w.officer, "/account").await;
    let csrf = hidden(&account, "_csrf");
    // A value that is neither is refused in Japanese, the page shown again as sent.
    let res = w
        .officer
        .post(w.t.url("/account/dates"))
        .form(&[("_csrf", csrf.as_str()), ("date_style", "julian")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("西暦か和暦のどちらかを選んでください。")
    );
    let res = w
        .officer
        .post(w.t.url("/account/dates"))
        .form(&[("_csrf", csrf.as_str()), ("date_style", "wareki")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    let list = w.t.html(&w.officer, "/cases").await;
    assert!(list.contains("令和8年12月2日 10:00"), "和暦 once chosen");
    assert!(!list.contains("2026年12月2日"));
    let account = w.t.html(&w.officer, "/account").await;
    assert!(account.contains(r#"<option value="wareki" selected>"#));
    // Only the person who chose it reads 和暦.
    let other = w.t.html(&w.chief, "/account").await;
    assert!(other.contains(r#"<option value="seireki" selected>"#));
}

#[tokio::test]
async fn a_notice_dated_in_the_era_prints_no_western_date() {
    let hands = Hands::at("2027-01-12T01:00:00Z");
    let t = TestApp::shipped(&hands).await;
    let sys = t.admin().await;
    let ministry = t.org(&sys, "防衛省", "ministry", None).await;
    let atla = t.org(&sys, "防衛装備庁", "agency", Some(&ministry)).await;
    let ko = t.org(&sys, "甲社", "company", None).await;
    t.create(
        &sys,
        &format!("/api/v1/organisations/{ko}/relations"),
        json!({"kind": "contracts_with", "other": atla}),
    )
    .await;
    let admin = t
        .people(
            &sys,
            &[("甲 管理者", "admin@ko.example.jp", &ko, "dsg_administrator")],
        )
        .await
        .remove(0);
    let id = t
        .create(
            &admin,
            "/api/v1/cases",
            json!({"procedure": "joining", "organisation": ko, "data": {
                "company": "甲社",
                "site_name": "第二事業所",
            }}),
        )
        .await;
    let res = admin
        .get(t.url(&format!(
            "/api/v1/cases/{id}/documents/completion_notice.pdf"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let text = pdf_text(&res.bytes().await.unwrap());
    assert!(text.contains("甲社"), "{text}");
    assert!(text.contains("2027-0001"), "the footer's number: {text}");
    let western = text
        .split(|c: char| !(c.is_ascii_digit() || c == '-'))
        .find(|w| w.len() == 10 && w.as_bytes()[4] == b'-' && w.as_bytes()[7] == b'-');
    assert_eq!(western, None, "{text}");
}
