//! The setup guide on an administrator's home page: the steps in order, what each still
//! lacks, named, and only within what the reader manages.

use reqwest::{Client, StatusCode};
use serde_json::json;

use crate::support::TestApp;

/// The guide's section of the home page, if the page has one.
async fn guide(t: &TestApp, c: &Client) -> Option<String> {
    let html = t.html(c, "/").await;
    let start = html.find("data-test=\"setup-guide\"")?;
    let end = html[start..].find("</section>").unwrap() + start;
    Some(html[start..end].to_owned())
}

/// The text of every finding, tags stripped and spaces made one.
fn findings(guide: &str) -> Vec<String> {
    let mut out = Vec::new();
    for list in guide.split("<ul data-test=\"guide-findings\">").skip(1) {
        let list = list.split("</ul>").next().unwrap();
        for item in list.split("<li").skip(1) {
            let item = item.split("</li>").next().unwrap();
            let mut text = String::new();
            let mut in_tag = true; // the rest of `<li …>`
            for ch in item.chars() {
                match ch {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    c if !in_tag => text.push(c),
                    _ => {}
                }
            }
            out.push(text.split_whitespace().collect::<Vec<_>>().join(" "));
        }
    }
    out
}

fn done(guide: &str, step: &str) -> bool {
    guide.contains(&format!(
        "data-test=\"guide-step-{step}\" data-done=\"true\""
    ))
}

/// The step marked as where to go next.
fn next(guide: &str) -> Option<&str> {
    let at = guide.find("aria-current=\"step\"")?;
    let before = &guide[..at];
    let id = before.rsplit("data-test=\"guide-step-").next()?;
    id.split('"').next()
}

async fn set_desk(t: &TestApp, c: &Client, org: &str) {
    let csrf = crate::auth::hidden(&t.html(c, "/account").await, "_csrf");
    let res = c
        .post(t.url(&format!("/organisations/{org}/desk")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("desk_name", "総務部 情報セキュリティ担当"),
            ("desk_phone", "03-1234-5678"),
            ("desk_night_phone", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_fresh_system_administrator_starts_with_organisations_and_nothing_done() {
    let t = TestApp::with_admin().await;
    let sys = t
        .browser(crate::support::ADMIN_EMAIL, crate::support::ADMIN_PASSWORD)
        .await;
    let g = guide(&t, &sys)
        .await
        .expect("a system administrator sees the guide");
    assert_eq!(next(&g), Some("organisations"));
    for step in ["organisations", "people", "designations", "relations"] {
        assert!(!done(&g, step), "{step} is not done yet");
    }
    let lines = findings(&g);
    assert_eq!(
        lines[0],
        "あなたの所属組織のほかに、まだ組織が登録されていません。 組織を登録する"
    );
    assert!(g.contains("href=\"/organisations/new\""));
    assert!(!g.contains("data-test=\"guide-complete\""));
}

#[tokio::test]
async fn the_guide_names_the_missing_desk_and_the_waiting_relation_until_they_are_fixed() {
    let t = TestApp::with_admin().await;
    let api = t.admin().await;
    let sys = t
        .browser(crate::support::ADMIN_EMAIL, crate::support::ADMIN_PASSWORD)
        .await;
    let ministry = t.org(&api, "防衛省", "ministry", None).await;
    let ko = t.org(&api, "甲重工業株式会社", "company", None).await;
    let hei = t.org(&api, "丙電子株式会社", "company", None).await;
    let g = guide(&t, &sys).await.unwrap();
    assert!(done(&g, "organisations"));
    assert_eq!(next(&g), Some("people"));
    assert!(
        findings(&g).contains(
            &"丙電子株式会社には、所属する職員が一人も登録されていません。 職員を登録する"
                .to_owned()
        ),
        "{:?}",
        findings(&g)
    );
    assert!(g.contains(&format!("href=\"/persons/new?organisation={hei}\"")));

    t.person(&api, "防衛 一郎", "ichiro@mod.example.jp", &ministry)
        .await;
    let ko_admin = t
        .person(&api, "甲 管理者", "admin@ko.example.jp", &ko)
        .await;
    let hei_admin = t
        .person(&api, "丙 管理者", "admin@hei.example.jp", &hei)
        .await;
    let g = guide(&t, &sys).await.unwrap();
    assert!(done(&g, "people"));
    assert!(
        findings(&g).contains(
            &"甲重工業株式会社に組織管理者が指定されていません。 組織管理者を指定する".to_owned()
        ),
        "{:?}",
        findings(&g)
    );
    t.designate(&api, "administrator", &ko, &ko_admin).await;
    t.designate(&api, "administrator", &hei, &hei_admin).await;
    let ko_c = t.first_login("admin@ko.example.jp", "initial-pass-1").await;
    let hei_c = t
        .first_login("admin@hei.example.jp", "initial-pass-1")
        .await;
    t.create(
        &api,
        &format!("/api/v1/organisations/{ko}/relations"),
        json!({"kind": "contracts_with", "other": ministry}),
    )
    .await;
    // 丙 states its subcontract itself: it waits for 甲.
    let rel = t
        .create(
            &hei_c,
            &format!("/api/v1/organisations/{hei}/relations"),
            json!({"kind": "subcontractor_of", "other": ko}),
        )
        .await;

    let g = guide(&t, &sys).await.unwrap();
    for step in ["organisations", "people", "designations"] {
        assert!(done(&g, step), "{step}: {:?}", findings(&g));
    }
    assert!(!done(&g, "relations"));
    assert_eq!(
        findings(&g),
        [
            "「丙電子株式会社は甲重工業株式会社の下請負者である」との登録が、甲重工業株式会社の承認を待っています。承認するまで効力はありません。 承認する",
            "丙電子株式会社は甲重工業株式会社の下請負者ですが、甲重工業株式会社に緊急連絡窓口が登録されていません。 緊急連絡窓口を登録する",
        ]
    );
    assert!(g.contains(&format!("href=\"/organisations/{ko}#desk\"")));
    assert!(g.contains(&format!("href=\"/organisations/{ko}#relations-h\"")));

    // 丙's administrator is told whom the relation waits for, and nothing of 甲's desk.
    let hei_page = t
        .browser("admin@hei.example.jp", crate::support::PASSWORD)
        .await;
    let g = guide(&t, &hei_page).await.unwrap();
    assert_eq!(
        findings(&g),
        [
            "あなたのほかに、まだ職員が登録されていません。 職員を登録する",
            "あなたのほかに、役割を指定された職員がいません。 役割を指定する",
            "「丙電子株式会社は甲重工業株式会社の下請負者である」との登録が、相手方である甲重工業株式会社の組織管理者の承認を待っています。 関係を確認する",
        ]
    );

    set_desk(&t, &sys, &ko).await;
    let (status, body) = t
        .post(&ko_c, &format!("/api/v1/relations/{rel}/accept"), json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let g = guide(&t, &sys).await.unwrap();
    assert!(findings(&g).is_empty(), "{:?}", findings(&g));
    assert!(g.contains("data-test=\"guide-complete\""));
    assert!(g.contains("初期設定は完了しています。"));
    assert!(g.contains("<details>"), "the steps fold away");
}

#[tokio::test]
async fn a_company_administrators_guide_never_names_another_companys_organisations() {
    let t = TestApp::with_admin().await;
    let api = t.admin().await;
    let ko = t.org(&api, "甲重工業株式会社", "company", None).await;
    t.org(&api, "甲重工業 横浜工場", "site", Some(&ko)).await;
    let tei = t.org(&api, "丁通信株式会社", "company", None).await;
    t.create(
        &api,
        &format!("/api/v1/organisations/{tei}/relations"),
        json!({"kind": "subcontractor_of", "other": ko}),
    )
    .await;
    let otsu = t.org(&api, "乙精機株式会社", "company", None).await;
    t.org(&api, "乙精機 名古屋工場", "site", Some(&otsu)).await;
    let admin = t
        .person(&api, "乙 管理者", "admin@otsu.example.jp", &otsu)
        .await;
    t.designate(&api, "administrator", &otsu, &admin).await;
    t.first_login("admin@otsu.example.jp", "initial-pass-1")
        .await;
    let otsu_c = t
        .browser("admin@otsu.example.jp", crate::support::PASSWORD)
        .await;

    // The system administrator's guide has 甲's and 丁's gaps to leak…
    let all = guide(
        &t,
        &t.browser(crate::support::ADMIN_EMAIL, crate::support::ADMIN_PASSWORD)
            .await,
    )
    .await
    .unwrap();
    for name in ["甲重工業 横浜工場", "丁通信株式会社", "乙精機 名古屋工場"]
    {
        assert!(all.contains(name), "{name} in {:?}", findings(&all));
    }
    // …but 乙's administrator sees only 乙's own.
    let g = guide(&t, &otsu_c).await.unwrap();
    let lines = findings(&g);
    assert_eq!(
        lines,
        [
            "乙精機 名古屋工場には、所属する職員が一人も登録されていません。 職員を登録する",
            "あなたのほかに、役割を指定された職員がいません。 役割を指定する",
            "乙精機株式会社には、契約や元請負者などの関係が一つも登録されていません。 関係を登録する",
        ]
    );
    for name in ["甲重工業", "丁通信", &ko, &tei] {
        assert!(!g.contains(name), "{name} leaked into 乙's guide");
    }
}

#[tokio::test]
async fn a_plain_member_sees_no_guide() {
    let t = TestApp::with_admin().await;
    let api = t.admin().await;
    let ko = t.org(&api, "甲重工業株式会社", "company", None).await;
    t.person(&api, "甲 職員", "staff@ko.example.jp", &ko).await;
    t.first_login("staff@ko.example.jp", "initial-pass-1").await;
    let staff = t
        .browser("staff@ko.example.jp", crate::support::PASSWORD)
        .await;
    let home = t.html(&staff, "/").await;
    assert!(
        home.contains("data-test=\"inbox"),
        "the home page itself renders"
    );
    assert!(!home.contains("setup-guide"));
    assert!(!home.contains("初期設定"));
}
