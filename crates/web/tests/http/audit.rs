//! The audit trail: written with every change, chained, readable, exportable, verifiable.

use reqwest::StatusCode;

use crate::support::*;

#[tokio::test]
async fn each_change_is_one_event_with_its_detail() {
    let t = TestApp::with_admin().await;
    let c = t.admin().await;
    let org = t.org(&c, "甲社", "company", None).await;
    let (status, body) = t.get(&c, "/api/v1/audit?action=organisation.create").await;
    assert_eq!(status, StatusCode::OK);
    let event = &body["items"][0];
    assert_eq!(event["target_id"], org.as_str());
    assert_eq!(event["detail"]["name"], "甲社");
    assert_eq!(event["actor_name"], "管理 太郎");
    assert_eq!(event["outcome"], "success");
    assert_eq!(event["hash"].as_str().unwrap().len(), 64);
    t.verify_chain().await;
}

#[tokio::test]
async fn denied_access_is_recorded() {
    let t = TestApp::with_admin().await;
    let c = t.admin().await;
    let a = t.org(&c, "甲社", "company", None).await;
    let b = t.org(&c, "乙社", "company", None).await;
    t.person(&c, "乙 一郎", "ichiro@otsu.example.jp", &b).await;
    let ichiro = t
        .first_login("ichiro@otsu.example.jp", "initial-pass-1")
        .await;
    assert_eq!(
        t.get(&ichiro, &format!("/api/v1/organisations/{a}"))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (_, body) = t.get(&c, "/api/v1/audit?outcome=denied").await;
    assert_eq!(body["items"][0]["action"], "organisation.read");
    assert_eq!(body["items"][0]["actor_name"], "乙 一郎");
}

#[tokio::test]
async fn csv_export_carries_every_matching_event() {
    let t = TestApp::with_admin().await;
    let c = t.admin().await;
    for i in 0..3 {
        t.org(&c, &format!("=SUM(A{i})"), "unit", None).await;
    }
    let res = c
        .get(t.url("/api/v1/audit.csv?action=organisation.create"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = res.text().await.unwrap();
    assert!(text.starts_with('\u{feff}'), "BOM for Excel");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "header and three events: {text}");
    assert!(lines[0].contains("番号") && lines[0].contains("ハッシュ"));
    assert!(
        text.contains("{\"\"kind\"\":\"\"unit\"\""),
        "detail JSON is quoted"
    );
    // The page export is the same file.
    let page = t.html(&c, "/audit.csv?action=organisation.create").await;
    assert_eq!(page.lines().count(), 4);
    // The audit page shows the events too.
    let html = t.html(&c, "/audit?action=organisation.create").await;
    assert!(html.contains("organisation.create"));
}

#[tokio::test]
async fn tampering_with_the_database_is_detected() {
    let t = TestApp::with_admin().await;
    let c = t.admin().await;
    for name in ["甲社", "乙社", "丙社"] {
        t.org(&c, name, "company", None).await;
    }
    t.verify_chain().await;
    let (total, _) = mamori_storage::audit::head(&t.db).await.unwrap();
    // Someone with database access rewrites an event's detail.
    let sql = "UPDATE audit_events SET detail = '{\"name\":\"改ざん\"}' WHERE seq = 3";
    match &t.db {
        mamori_storage::Db::Sqlite { path, .. } => {
            let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap();
            sqlx::query(sql).execute(&pool).await.unwrap();
            pool.close().await;
        }
        mamori_storage::Db::Postgres(pool) => {
            sqlx::query(sql).execute(pool).await.unwrap();
        }
    }
    let result = mamori_storage::audit::verify(&t.db).await.unwrap();
    let err = result.unwrap_err();
    assert_eq!(err.seq(), 3, "{err}");
    assert!(total > 3);
}

#[tokio::test]
async fn the_action_filter_takes_underscores_literally() {
    let t = TestApp::with_admin().await;
    let c = t.admin().await;
    let org = t.org(&c, "甲社", "company", None).await;
    let p = t.person(&c, "甲 一郎", "ichiro@ko.example.jp", &org).await;
    let (status, body) = t
        .post(
            &c,
            &format!("/api/v1/persons/{p}/password-reset"),
            serde_json::json!({"password": "一時的なながいパスワード"}),
        )
        .await;
    assert!(status.is_success(), "{body}");
    let (_, body) = t
        .get(&c, "/api/v1/audit?action=person.reset_password")
        .await;
    assert_eq!(
        body["items"][0]["action"], "person.reset_password",
        "{body}"
    );
    // A wildcard in the filter is a character to find, not a pattern.
    for pattern in ["person.reset%25", "person_reset"] {
        let (_, body) = t.get(&c, &format!("/api/v1/audit?action={pattern}")).await;
        assert_eq!(
            body["items"].as_array().map(Vec::len),
            Some(0),
            "{pattern}: {body}"
        );
    }
}

/// The page's visible words outside the raw records: tags, attributes and every
/// `<details>` block removed.
fn visible_outside_raw(html: &str) -> String {
    let mut rest = html.to_owned();
    while let Some(start) = rest.find("<details") {
        let end = rest[start..]
            .find("</details>")
            .map_or(rest.len(), |e| start + e + "</details>".len());
        rest.replace_range(start..end, " ");
    }
    let mut text = String::new();
    let mut in_tag = false;
    for ch in rest.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}

/// Whether `text` holds something shaped like a UUID (8-4-4-4-12 hex digits).
fn has_uuid(text: &str) -> bool {
    let b = text.as_bytes();
    let shape = [8, 4, 4, 4, 12];
    (0..b.len()).any(|i| {
        let mut at = i;
        shape.iter().enumerate().all(|(n, len)| {
            let ok = b.len() >= at + len && b[at..at + len].iter().all(u8::is_ascii_hexdigit);
            at += len;
            let dash = n == shape.len() - 1
                || (b.get(at) == Some(&b'-') && {
                    at += 1;
                    true
                });
            ok && dash
        })
    })
}

/// The sentence cells of a page, in order.
fn sentences(html: &str) -> Vec<String> {
    html.split("data-test=\"audit-sentence\">")
        .skip(1)
        .map(|s| s.split("</p>").next().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn an_auditor_reads_each_event_as_a_sentence_with_names() {
    let w = crate::cases::world().await;
    let admin = w.t.admin().await;
    let auditor =
        w.t.person(&admin, "監査 花子", "auditor@mod.example.jp", &w.unit)
            .await;
    w.t.designate(&admin, "auditor", &w.unit, &auditor).await;
    let auditor =
        w.t.first_login("auditor@mod.example.jp", "initial-pass-1")
            .await;
    let id = w
        .apply(&w.officer, &w.unit, "ChatGPT", "generative_ai")
        .await;
    let (_, case) = w.t.get(&w.officer, &format!("/api/v1/cases/{id}")).await;
    let title = case["title"].as_str().unwrap().to_owned();
    assert!(title.contains("ChatGPT"), "{case}");

    let html = w.t.html(&auditor, "/audit").await;
    let said = sentences(&html);
    assert!(
        said.iter().any(|s| s.contains("申請 一郎")
            && s.contains(&title)
            && s.contains("「下書き」から「NISC照会の判断待ち」")
            && s.contains("「申請する」")),
        "the submission names who, the case and both states: {said:#?}"
    );
    assert!(
        said.iter().any(|s| s.contains("管理 太郎")
            && s.contains("「監査 花子」")
            && s.contains("情報通信課")
            && s.contains("監査担当者に指定")),
        "the designation names the person and the role: {said:#?}"
    );
    assert!(
        said.iter()
            .any(|s| s.contains("外部サービスの利用承認の案件") && s.contains(&title)),
        "the opening names the procedure: {said:#?}"
    );
    let outside = visible_outside_raw(&html);
    assert!(
        !has_uuid(&outside),
        "no id outside the raw records: {outside}"
    );
    assert!(
        !outside.contains("case.act"),
        "no operation code outside the raw records"
    );
    // The raw record is still there, one click away.
    assert!(html.contains("<summary>元の記録を表示</summary>"));
    assert!(
        html.contains(&format!("<code>{id}</code>")),
        "target id in the raw record"
    );
    assert!(html.contains("<code>case.act</code>"));
    assert!(
        has_uuid("x 0190f1c2-7d3a-7b4c-8d5e-6f7a8b9c0d1e y"),
        "the checker finds ids"
    );

    // The same in English, from the locale files.
    let page = w.t.html(&auditor, "/account").await;
    let csrf = page
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    let res = auditor
        .post(w.t.url("/account/language"))
        .form(&[("_csrf", csrf.as_str()), ("locale", "en")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let said = sentences(&w.t.html(&auditor, "/audit").await);
    assert!(
        said.iter()
            .any(|s| s.contains("took “Submit”") && s.contains("from “Draft”")),
        "{said:#?}"
    );
}

#[tokio::test]
async fn the_operation_filter_offers_japanese_names_and_keeps_the_choice() {
    let w = crate::cases::world().await;
    let admin = w.t.admin().await;
    w.apply(&w.officer, &w.unit, "ChatGPT", "generative_ai")
        .await;

    let html = w.t.html(&admin, "/audit").await;
    for option in [
        "<option value=\"case.act\">案件の操作</option>",
        "<option value=\"designation.create\">指定</option>",
        "<option value=\"login\">ログイン</option>",
        "<option value=\"case.\">案件に関するすべての操作</option>",
    ] {
        assert!(html.contains(option), "{option} offered");
    }
    assert!(
        !html.contains("<input id=\"f-action\""),
        "chosen, not typed"
    );

    let html =
        w.t.html(&admin, "/audit?action=case.act&outcome=success")
            .await;
    assert!(html.contains("<option value=\"case.act\" selected>案件の操作</option>"));
    assert!(html.contains("<option value=\"success\" selected>"));
    let said = sentences(&html);
    assert!(!said.is_empty());
    assert!(
        said.iter()
            .all(|s| s.contains("を行い、状態が") || s.contains("を行いました")),
        "only case actions: {said:#?}"
    );
}

#[tokio::test]
async fn a_bad_date_is_named_in_japanese_and_the_other_filters_stay() {
    let t = TestApp::with_admin().await;
    let c = t.admin().await;
    t.org(&c, "甲社", "company", None).await;
    let res = c
        .get(t.url(
            "/audit?action=organisation.create&outcome=success&from=2026-13-40&until=2026-04-30",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("日付を YYYY-MM-DD の形式で入力してください。"),
        "{html}"
    );
    assert!(
        html.contains("value=\"2026-13-40\""),
        "what was typed stays to correct"
    );
    assert!(html.contains("aria-invalid=\"true\""));
    assert!(
        html.contains("value=\"2026-04-30\""),
        "the other date stays"
    );
    assert!(html.contains("<option value=\"organisation.create\" selected>組織の登録</option>"));
    assert!(html.contains("<option value=\"success\" selected>"));
    assert!(
        sentences(&html).is_empty(),
        "no events under a filter that does not hold"
    );
}

#[tokio::test]
async fn the_csv_export_adds_the_sentence() {
    let t = TestApp::with_admin().await;
    let c = t.admin().await;
    t.org(&c, "甲社", "company", None).await;
    let text = t.html(&c, "/audit.csv?action=organisation.create").await;
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].ends_with(",記録"), "{}", lines[0]);
    assert!(
        lines[1].ends_with("管理 太郎が組織「甲社」を登録しました。"),
        "{}",
        lines[1]
    );
}
