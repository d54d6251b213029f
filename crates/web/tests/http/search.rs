//! Finding cases: words in any part of the form (Japanese by any three characters, shorter
//! words too), every word required, and filters by procedure, state, organisation and
//! deadline; never a case the reader may not see.

use reqwest::{Client, StatusCode};
use serde_json::json;

use crate::cases::{World, application, world};

impl World {
    async fn found(&self, c: &Client, query: &str) -> Vec<String> {
        let (status, body) = self.t.get(c, &format!("/api/v1/cases?{query}")).await;
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
        let items = body["items"].as_array().unwrap();
        assert_eq!(body["total"], items.len(), "{query}");
        let mut titles: Vec<String> = items
            .iter()
            .map(|c| c["title"].as_str().unwrap().to_owned())
            .collect();
        titles.sort();
        titles
    }
}

fn q(words: &str) -> String {
    format!("q={}", urlencode(words))
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn words_are_found_anywhere_in_the_form_and_must_all_match() {
    let w = world().await;
    let mut zoom = application("Zoom", "web_meeting");
    zoom["purpose"] = json!("取引先との定例会議に使う");
    w.t.create(
        &w.officer,
        "/api/v1/cases",
        json!({"procedure": "approval", "organisation": w.unit, "data": zoom}),
    )
    .await;
    w.apply(&w.officer, &w.unit, "DeepL", "translation").await;

    // A Japanese phrase inside the purpose, not in the title; two characters too.
    assert_eq!(w.found(&w.officer, &q("定例会議")).await, ["Zoom"]);
    assert_eq!(w.found(&w.officer, &q("会議")).await, ["Zoom"]);
    // Every word must match; case does not matter; full-width spaces separate words.
    assert_eq!(w.found(&w.officer, &q("zoom 取引先")).await, ["Zoom"]);
    assert_eq!(
        w.found(&w.officer, &q("ZOOM　要約")).await,
        Vec::<String>::new()
    );
    assert_eq!(w.found(&w.officer, &q("公開情報の要約")).await, ["DeepL"]);
    assert_eq!(w.found(&w.officer, &q("提供会社")).await, ["DeepL", "Zoom"]);
    // What would be syntax to the index or to LIKE is only text.
    for odd in ["\"", "%", "\"%_ OR *", "NEAR(a b)", "会_"] {
        assert!(w.found(&w.officer, &q(odd)).await.is_empty(), "{odd}");
    }
    // Another unit's officer finds nothing of it.
    assert!(w.found(&w.other_officer, &q("提供会社")).await.is_empty());
}

#[tokio::test]
async fn the_search_follows_what_a_draft_now_says() {
    let w = world().await;
    let mut data = application("Miro", "other");
    data["purpose"] = json!("ホワイトボードで設計レビュー");
    let id =
        w.t.create(
            &w.officer,
            "/api/v1/cases",
            json!({"procedure": "approval", "organisation": w.unit, "data": data}),
        )
        .await;
    assert_eq!(w.found(&w.officer, &q("設計レビュー")).await, ["Miro"]);
    data["purpose"] = json!("ワークショップの記録");
    let (status, _) =
        w.t.patch(
            &w.officer,
            &format!("/api/v1/cases/{id}"),
            json!({"data": data}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(w.found(&w.officer, &q("設計レビュー")).await.is_empty());
    assert_eq!(w.found(&w.officer, &q("ワークショップ")).await, ["Miro"]);
}

#[tokio::test]
async fn filters_narrow_by_procedure_state_organisation_and_deadline() {
    let w = world().await;
    let slack = w.apply(&w.officer, &w.unit, "Slack", "sns").await;
    w.t.create(&w.officer, "/api/v1/cases", json!({"procedure": "approval", "organisation": w.unit, "data": application("Box", "online_storage")}))
        .await;
    w.apply(&w.other_officer, &w.other_unit, "Teams", "web_meeting")
        .await;

    assert_eq!(
        w.found(&w.chief, "state=received").await,
        ["Slack", "Teams"]
    );
    assert_eq!(w.found(&w.chief, "state=draft").await, ["Box"]);
    assert_eq!(
        w.found(&w.chief, &format!("organisation={}", w.unit))
            .await
            .len(),
        w.found(&w.officer, "").await.len()
    );
    assert_eq!(
        w.found(
            &w.chief,
            "procedure=mod-external-service/approval&state=received"
        )
        .await,
        ["Slack", "Teams"]
    );
    let (status, body) = w.t.get(&w.chief, "/api/v1/cases?procedure=nothing").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // Overdue: none yet; the inbox filters the same way.
    assert!(w.found(&w.chief, "overdue=true").await.is_empty());
    set_due_in_the_past(&w, &slack).await;
    assert_eq!(w.found(&w.chief, "overdue=true").await, ["Slack"]);
    let (_, inbox) = w.t.get(&w.chief, "/api/v1/inbox?overdue=true").await;
    assert_eq!(inbox["total"], 1);
    assert_eq!(inbox["items"][0]["id"], slack.as_str());
}

/// Sets a case's deadline to a day long past, as a timer would have.
async fn set_due_in_the_past(w: &World, id: &str) {
    let id: uuid::Uuid = id.parse().unwrap();
    let past = mamori_storage::Ts("2026-01-05T00:00:00Z".parse().unwrap());
    let sql = "UPDATE cases SET due_at = $1 WHERE id = $2";
    match &w.t.db {
        mamori_storage::Db::Sqlite { path, .. } => {
            let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap();
            sqlx::query(sql)
                .bind(past)
                .bind(id)
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
        }
        mamori_storage::Db::Postgres(pool) => {
            sqlx::query(sql)
                .bind(past)
                .bind(id)
                .execute(pool)
                .await
                .unwrap();
        }
    }
}

#[tokio::test]
async fn the_case_list_keeps_the_search_and_filters_it_was_given() {
    let w = world().await;
    w.apply(&w.officer, &w.unit, "Slack", "sns").await;
    let browser =
        w.t.browser("officer@mod.example.jp", crate::support::PASSWORD)
            .await;
    let page =
        w.t.html(
            &browser,
            &format!(
                "/cases?{}&procedure=mod-external-service%2Fapproval&open=open",
                q("slack")
            ),
        )
        .await;
    assert!(page.contains("value=\"slack\""), "{page}");
    assert!(page.contains("value=\"mod-external-service/approval\" selected"));
    assert!(page.contains(">Slack<"), "found");
    let page =
        w.t.html(&browser, &format!("/cases?{}&overdue=1", q("slack")))
            .await;
    assert!(page.contains("name=\"overdue\" value=\"1\" checked"));
    assert!(
        !page.contains(">Slack<") && page.contains("案件はありません。"),
        "nothing overdue"
    );
}
