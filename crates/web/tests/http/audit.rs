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
