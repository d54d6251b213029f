//! The procedures page: what the reader may start comes first; the rest is folded away,
//! each saying why the reader cannot start it.

use crate::support::{Hands, TestApp};

/// Where a procedure is on the page: `Some(true)` among those the reader may start,
/// `Some(false)` in the folded part, `None` not there.
fn placed(page: &str, key: &str) -> Option<bool> {
    let at = page.find(&format!("data-procedure=\"{key}\""))?;
    Some(
        page.find("data-test=\"procedures-others\"")
            .is_none_or(|folded| at < folded),
    )
}

/// The section of the folded part for one procedure.
fn folded<'a>(page: &'a str, key: &str) -> &'a str {
    let at = page.find(&format!("data-procedure=\"{key}\"")).unwrap();
    let rest = &page[at..];
    &rest[..rest.find("</section>").unwrap()]
}

const REPORT: &str = "mod-incident-report/report";
const APPROVAL: &str = "mod-external-service/approval";
const TERMINAL: &str = "mod-dsg/terminal";

#[tokio::test]
async fn the_procedures_one_may_start_come_first_and_the_rest_say_why_not() {
    let t = TestApp::shipped(&Hands::at("2026-12-02T01:00:00Z")).await;
    let sys = t.admin().await;
    let ministry = t.org(&sys, "防衛省", "ministry", None).await;
    let atla = t.org(&sys, "防衛装備庁", "agency", Some(&ministry)).await;
    let ko = t.org(&sys, "甲社", "company", None).await;
    let otsu = t.org(&sys, "乙社", "company", None).await;
    let people = [
        (
            "甲 報告",
            "reporter@ko.example.jp",
            &ko,
            "incident_reporter",
        ),
        ("乙 管理", "admin@otsu.example.jp", &otsu, "administrator"),
        (
            "装備 窓口",
            "contact@atla.example.jp",
            &atla,
            "emergency_contact",
        ),
    ];
    let clients = t.people(&sys, &people).await;
    let (_, admin_id) = t.get(&clients[1], "/api/v1/me").await;
    let admin_id = admin_id["id"].as_str().unwrap().to_owned();
    t.designate(&sys, "dsg_administrator", &otsu, &admin_id)
        .await;
    let page_of = async |email: &str| {
        let c = t.browser(email, crate::support::PASSWORD).await;
        t.html(&c, "/procedures").await
    };

    // A company's staff member reports incidents; approving an external service is the
    // Ministry officer's, folded away with the role that starts it.
    let page = page_of("reporter@ko.example.jp").await;
    assert_eq!(placed(&page, REPORT), Some(true), "{page}");
    assert!(page.contains("事故等の速報"), "{page}");
    assert!(page.contains(&format!("organisation={ko}")), "{page}");
    assert!(
        page.contains("その他の手続（開始する権限がありません）"),
        "{page}"
    );
    assert_eq!(placed(&page, APPROVAL), Some(false), "{page}");
    let why = folded(&page, APPROVAL);
    assert!(why.contains("機関等の情報保証責任者"), "{why}");
    assert!(
        why.contains("あなたはこれらの役割に指定されていません"),
        "{why}"
    );
    assert!(!why.contains("/cases/new"), "no way to start it: {why}");

    // An administrator who is also the company's protected-system administrator starts the
    // gateway's procedures; the report is not theirs.
    let page = page_of("admin@otsu.example.jp").await;
    assert_eq!(placed(&page, TERMINAL), Some(true), "{page}");
    assert!(page.contains(&format!("organisation={otsu}")), "{page}");
    assert_eq!(placed(&page, REPORT), Some(false), "{page}");
    assert!(
        folded(&page, REPORT).contains("事故等の報告担当者"),
        "{page}"
    );

    // A contact whose organisation has no contract yet holds the role but has nobody to
    // start the report for: the page says so rather than that the role is missing.
    let page = page_of("contact@atla.example.jp").await;
    assert_eq!(placed(&page, REPORT), Some(false), "{page}");
    let why = folded(&page, REPORT);
    assert!(why.contains("開始できる組織がありません"), "{why}");
    assert!(page.contains("開始できる手続はありません。"), "{page}");
}
