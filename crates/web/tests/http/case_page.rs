//! The case page without the script: the action the case waits for first and withdrawing
//! set apart behind a second step, jump links to its sections, a file chosen in a new
//! form attached as the draft opens, and table rows added and removed by submitting.

use mamori_app::system_clock;
use reqwest::{Client, StatusCode};
use serde_json::json;

use crate::auth::hidden;
use crate::cases::{World, application, world, world_on};
use crate::support::{PASSWORD, TestApp};

const PDF: &[u8] = b"%PDF-1.7\n% terms\n%%EOF\n";
const NEW: &str = "/cases/new?procedure=mod-external-service/approval&organisation=";

/// Where `needle` first stands in `page`, failing with the page when it is missing.
fn at(page: &str, needle: &str) -> usize {
    page.find(needle)
        .unwrap_or_else(|| panic!("{needle} missing from {page}"))
}

/// How many rows of table `group` the page offers.
fn rows(page: &str, group: &str) -> usize {
    (0..)
        .take_while(|i| page.contains(&format!("name=\"{group}.{i}.unit\"")))
        .count()
}

async fn submitted(w: &World) -> String {
    let id = w
        .t
        .create(
            &w.officer,
            "/api/v1/cases",
            json!({"procedure": "approval", "organisation": w.unit, "data": application("Webex", "web_meeting")}),
        )
        .await;
    let (status, case) = w.act(&w.officer, &id, "submit", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    id
}

#[tokio::test]
async fn the_expected_action_comes_first_and_withdrawing_waits_behind_a_second_step() {
    let w = world().await;
    let id = submitted(&w).await;

    // The chief is expected to decide on NISC: the step that can be taken now is the main
    // one, before the one whose condition is not met; nothing of theirs ends the case.
    let chief = w.t.browser("chief@mod.example.jp", PASSWORD).await;
    let page = w.t.html(&chief, &format!("/cases/{id}")).await;
    let primary = &page[page[..at(&page, "data-test=\"primary-action\"")]
        .rfind("<form")
        .unwrap()..];
    let primary = &primary[..primary.find("</form>").unwrap()];
    assert!(primary.contains("data-action=\"ask_nisc\""), "{primary}");
    assert!(at(&page, "data-action=\"ask_nisc\"") < at(&page, "data-action=\"skip_nisc\""));
    assert!(!page.contains("data-test=\"case-closing\""));
    assert!(
        page.contains("href=\"#action-ask_nisc\""),
        "the contents lead to it"
    );

    // The applicant may only withdraw: it is folded away, with the question asked again.
    let officer = w.t.browser("officer@mod.example.jp", PASSWORD).await;
    let page = w.t.html(&officer, &format!("/cases/{id}")).await;
    assert!(!page.contains("data-test=\"primary-action\""));
    let closing = at(
        &page,
        "<details class=\"closing\" data-test=\"case-closing\">",
    );
    let withdraw = at(&page, "data-action=\"withdraw\"");
    assert!(closing < withdraw && withdraw < at(&page, "</details>"));
    assert!(page[withdraw..].starts_with(
        "data-action=\"withdraw\" data-confirm=\"「取り下げる」を行うと、この案件は終了し、元に戻せません。よろしいですか。\""
    ));
    assert!(page[withdraw..].contains("class=\"danger\">取り下げる</button>"));

    // Pressed (the section opened), it is taken as before.
    let csrf = hidden(&page, "_csrf");
    let res = officer
        .post(w.t.url(&format!("/cases/{id}/actions/withdraw")))
        .form(&[("_csrf", csrf.as_str()), ("comment", "見直します")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, case) = w.t.get(&w.officer, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(case["state"], "withdrawn");
}

#[tokio::test]
async fn the_contents_jump_to_each_section() {
    let w = world().await;
    let id = submitted(&w).await;
    let officer = w.t.browser("officer@mod.example.jp", PASSWORD).await;
    let page = w.t.html(&officer, &format!("/cases/{id}")).await;
    let toc = &page[at(&page, "data-test=\"case-toc\"")..];
    let toc = &toc[..toc.find("</nav>").unwrap()];
    for section in ["form", "actions", "attachments", "bundle", "history"] {
        assert!(
            toc.contains(&format!("href=\"#{section}\"")),
            "{section}: {toc}"
        );
        assert!(
            page.contains(&format!("<section id=\"{section}\"")),
            "{section} has its anchor"
        );
    }
    assert!(toc.contains("添付ファイル（0）"), "{toc}");
}

#[tokio::test]
async fn a_new_form_posted_with_a_file_opens_the_case_with_the_file_attached() {
    let w = world().await;
    let browser = w.t.browser("officer@mod.example.jp", PASSWORD).await;
    let page = w.t.html(&browser, &format!("{NEW}{}", w.unit)).await;
    assert!(page.contains("enctype=\"multipart/form-data\""), "{page}");
    assert!(page.contains("type=\"file\" id=\"file-terms\" name=\"file.terms\""));
    let form = reqwest::multipart::Form::new()
        .text("_csrf", hidden(&page, "_csrf"))
        .text("_procedure", "mod-external-service/approval")
        .text("_organisation", w.unit.clone())
        .text("service_name", "Box")
        .text("purpose", "共有フォルダ\n二行目")
        .part(
            "file.terms",
            reqwest::multipart::Part::bytes(PDF.to_vec()).file_name("利用規約.pdf"),
        )
        .text("_do", "save");
    let res = browser
        .post(w.t.url("/cases"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = res.headers()["location"].to_str().unwrap().to_owned();
    let id = to
        .strip_prefix("/cases/")
        .and_then(|r| r.strip_suffix("?notice=case-saved"))
        .unwrap_or_else(|| panic!("{to}"));
    let (_, case) = w.t.get(&w.officer, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(case["data"]["service_name"], "Box");
    assert_eq!(case["data"]["purpose"], "共有フォルダ\n二行目");
    assert_eq!(case["attachments"][0]["file_name"], "利用規約.pdf");
    assert_eq!(case["attachments"][0]["field"], "terms");
    // The draft's page lists it under its field.
    let page = w.t.html(&browser, &to).await;
    let field = &page[at(&page, "data-attached=\"terms\"")..];
    assert!(field.starts_with("data-attached=\"terms\"><ul class=\"attached\" data-test=\"attached\"><li>利用規約.pdf</li>"), "{field}");

    // A file the server refuses leaves the draft and what was typed in place, and says why.
    let page = w.t.html(&browser, &format!("{NEW}{}", w.unit)).await;
    let form = reqwest::multipart::Form::new()
        .text("_csrf", hidden(&page, "_csrf"))
        .text("_procedure", "mod-external-service/approval")
        .text("_organisation", w.unit.clone())
        .text("service_name", "Dropbox")
        .part(
            "file.terms",
            reqwest::multipart::Part::bytes(b"MZ".to_vec()).file_name("規約.pdf"),
        );
    let res = browser
        .post(w.t.url("/cases"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("ファイルの中身が拡張子と一致しません。"),
        "{page}"
    );
    assert!(page.contains("value=\"Dropbox\""));
    let (_, list) = w.t.get(&w.officer, "/api/v1/cases").await;
    assert_eq!(list["total"], 2, "both drafts were kept");
}

/// The shipped application form with a table of units added.
async fn with_table() -> World {
    let libs = crate::support::application_form_with(
        "  - id: units
    type: group
    label: { ja: 利用する部署, en: Units using it }
    max_rows: 5
    fields:
      - { id: unit, type: text, label: { ja: 部署名, en: Unit } }
      - { id: users, type: number, label: { ja: 利用者数, en: Users } }
",
    );
    world_on(
        TestApp::build(system_clock(), libs, |_| {})
            .await
            .add_admin()
            .await,
    )
    .await
}

async fn post(w: &World, c: &Client, path: &str, pairs: &[(&str, &str)]) -> (StatusCode, String) {
    let res = c.post(w.t.url(path)).form(pairs).send().await.unwrap();
    (res.status(), res.text().await.unwrap())
}

#[tokio::test]
async fn a_row_is_added_and_removed_by_submitting_keeping_what_was_typed() {
    let w = with_table().await;
    let browser = w.t.browser("officer@mod.example.jp", PASSWORD).await;
    let page = w.t.html(&browser, &format!("{NEW}{}", w.unit)).await;
    assert_eq!(rows(&page, "units"), 2);
    assert!(page.contains("name=\"_do\" value=\"add_row:units\""));
    assert!(page.contains("value=\"remove_row:units:1\""));
    let csrf = hidden(&page, "_csrf");
    let typed = [
        ("_csrf", csrf.as_str()),
        ("_procedure", "mod-external-service/approval"),
        ("_organisation", w.unit.as_str()),
        ("service_name", "Box"),
        ("units.0.unit", "情報通信課"),
        ("units.0.users", "3"),
        ("units.1.unit", "サイバー整備課"),
        ("units.1.users", ""),
    ];
    let mut add = typed.to_vec();
    add.push(("_do", "add_row:units"));
    let (status, page) = post(&w, &browser, "/cases", &add).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rows(&page, "units"), 3, "one more row than was sent");
    for kept in [
        "value=\"Box\"",
        "value=\"情報通信課\"",
        "value=\"3\"",
        "value=\"サイバー整備課\"",
    ] {
        assert!(page.contains(kept), "{kept} kept");
    }
    let (_, list) = w.t.get(&w.officer, "/api/v1/cases").await;
    assert_eq!(list["total"], 0, "nothing is saved by adding a row");

    let mut remove = typed.to_vec();
    remove.push(("_do", "remove_row:units:0"));
    let (status, page) = post(&w, &browser, "/cases", &remove).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("value=\"情報通信課\""), "the row is gone");
    assert!(page.contains("name=\"units.0.unit\" type=\"text\" value=\"サイバー整備課\""));

    // On a saved draft the same: the form comes back with the row, the draft unchanged.
    let mut save = typed.to_vec();
    save.push(("_do", "save"));
    let (status, _) = post(&w, &browser, "/cases", &save).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, list) = w.t.get(&w.officer, "/api/v1/cases").await;
    let id = list["items"][0]["id"].as_str().unwrap().to_owned();
    let page = w.t.html(&browser, &format!("/cases/{id}")).await;
    assert_eq!(rows(&page, "units"), 4, "two filled, two blank");
    let mut add = vec![("_csrf", csrf.as_str()), ("service_name", "Box 改")];
    add.extend(typed[4..].iter().copied());
    add.push(("units.2.unit", "追加の課"));
    add.push(("_do", "add_row:units"));
    let (status, page) = post(&w, &browser, &format!("/cases/{id}"), &add).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rows(&page, "units"), 4, "three sent, one more");
    assert!(page.contains("value=\"Box 改\"") && page.contains("value=\"追加の課\""));
    let (_, case) = w.t.get(&w.officer, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(case["data"]["service_name"], "Box");
}
