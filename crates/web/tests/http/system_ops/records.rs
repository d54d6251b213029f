//! Items 9 and 11: the yearly user education opened for every operation manager and its
//! record (付紙様式第4); backups recorded each month for each system; access trails kept
//! until the system is renewed; local rules reported to the general manager.

use reqwest::StatusCode;
use serde_json::json;

use super::{CALS, squeezed, world};
use crate::support::pdf_text;

#[tokio::test]
async fn education_is_owed_each_fiscal_year_by_each_operation_manager_and_recorded() {
    let w = world().await;
    // The running year's rounds open: education for 管理施設課, a backup for CALS.
    assert!(w.t.app.open_rounds().await.unwrap() >= 2);
    let (status, board) =
        w.t.get(&w.ops, "/api/v1/obligations/mod-system-ops/education")
            .await;
    assert_eq!(status, StatusCode::OK, "{board}");
    let lines = board["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 1, "{board}");
    assert_eq!(lines[0]["organisation_name"], "管理施設課");
    assert_ne!(lines[0]["standing"], "done");

    let inbox = w.inbox(&w.ops).await;
    let (_, listed) = w.t.get(&w.ops, "/api/v1/inbox").await;
    let id = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["title"].as_str().unwrap().contains("令和8年度"))
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .unwrap_or_else(|| panic!("{inbox:?}"));
    let data = json!({"system_name": CALS, "held_on": "2026-06-20", "subjects": ["assurance", "operation"],
                      "instructor": "防大 運用", "materials": "統括システム管理者作成の教育資料",
                      "attendees": [{"name": "防大 利用", "unit": "管理施設課"}, {"name": "防大 担当", "unit": "管理施設課"}]});
    let (status, body) =
        w.t.patch(
            &w.ops,
            &format!("/api/v1/cases/{id}"),
            json!({"data": data}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Not before it has been held.
    let (status, body) = w.t.act(&w.ops, &id, "record", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    w.hands.set("2026-06-22T01:00:00Z");
    let case = w.t.act_ok(&w.ops, &id, "record", json!({})).await;
    assert_eq!(case["state"], "recorded");
    assert_eq!(case["data"]["attendee_count"], 2);
    let (_, board) =
        w.t.get(&w.ops, "/api/v1/obligations/mod-system-ops/education")
            .await;
    assert_eq!(board["lines"][0]["standing"], "done", "{board}");

    let (status, pdf) = w.document(&w.ops, &id, "record_pdf.pdf").await;
    assert_eq!(status, StatusCode::OK);
    let text = squeezed(&pdf_text(&pdf));
    for words in [
        "付紙様式第4",
        "教育実施状況記録",
        "令和8年6月20日",
        "防大 利用",
        "情報保証",
    ] {
        assert!(text.contains(&squeezed(words)), "{words} in {text}");
    }
}

#[tokio::test]
async fn education_not_held_by_the_year_s_end_is_overdue_on_the_board() {
    let w = world().await;
    w.t.app.open_rounds().await.unwrap();
    // 令和9年度 begins: 令和8年度's record was never made.
    w.hands.set("2027-04-01T01:00:00Z");
    w.t.app.open_rounds().await.unwrap();
    let (status, board) =
        w.t.get(
            &w.nda_admin,
            "/api/v1/obligations/mod-system-ops/education?on=2026-10-01",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{board}");
    assert_eq!(board["lines"][0]["organisation_name"], "管理施設課");
    assert_eq!(board["lines"][0]["standing"], "overdue", "{board}");
    // The new year has its own record to make.
    let (_, board) =
        w.t.get(&w.ops, "/api/v1/obligations/mod-system-ops/education")
            .await;
    assert_eq!(board["lines"][0]["standing"], "open", "{board}");
}

#[tokio::test]
async fn a_backup_is_recorded_each_month_for_each_system_and_trails_go_when_it_is_renewed() {
    let w = world().await;
    w.t.app.open_rounds().await.unwrap();
    let (_, listed) = w.t.get(&w.central, "/api/v1/inbox").await;
    let id = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["title"].as_str().unwrap().contains(CALS))
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .unwrap_or_else(|| panic!("{listed}"));
    let case = w.case(&w.central, &id).await;
    assert_eq!(
        case["data"]["system_name"], CALS,
        "the round names its system"
    );
    let (status, body) =
        w.t.patch(
            &w.central,
            &format!("/api/v1/cases/{id}"),
            json!({"data": {"system_name": CALS, "taken_on": "2026-06-01", "method": "automatic",
                   "stored_at": "データセンター"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    w.t.act_ok(&w.central, &id, "record", json!({})).await;
    let rows = w.t.register_data(&w.central, "system_backups").await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["method"], "automatic");

    // 第6 3: a trail is kept until the system is modified or renewed.
    let row = w
        .t
        .create(
            &w.central,
            "/api/v1/registers/system_trails/rows",
            json!({"organisation": w.ministry, "data": {"system_name": CALS, "trail": "利用者のアクセス記録",
                   "kept_at": "ログサーバ", "kept_from": "2021-01-08"}}),
        )
        .await;
    assert_eq!(
        w.t.app.purge_expired_rows().await.unwrap(),
        0,
        "kept while no renewal is set"
    );
    let (status, _) =
        w.t.patch(
            &w.central,
            &format!("/api/v1/registers/system_trails/rows/{row}"),
            json!({"data": {"renewed_on": "2026-06-30"}, "comment": "更新の日が決まった"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        w.t.app.purge_expired_rows().await.unwrap(),
        0,
        "kept until that day"
    );
    w.hands.set("2026-07-01T01:00:00Z");
    assert_eq!(w.t.app.purge_expired_rows().await.unwrap(), 1);
}

#[tokio::test]
async fn local_rules_are_reported_to_the_general_manager_with_their_text() {
    let w = world().await;
    let id = w
        .open(
            &w.nda_admin,
            "local_rules",
            &w.nda,
            json!({"system_name": CALS, "change": "made", "rules_title": "防衛大学校建設CALS運用細則",
                   "effective_on": "2026-07-01", "summary": "移動端末の保管場所を定める"}),
        )
        .await;
    // The rules themselves are required.
    let (status, body) = w.t.act(&w.nda_admin, &id, "report", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["fields"]["text"].is_string(), "{body}");
    let (status, body) =
        w.t.attach_for(&w.nda_admin, &id, "text", "細則.pdf", b"%PDF-1.4\n%%EOF\n")
            .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    w.t.act_ok(&w.nda_admin, &id, "report", json!({})).await;
    assert!(w.inbox(&w.gm).await.contains(&id));
    let case = w.t.act_ok(&w.gm, &id, "acknowledge", json!({})).await;
    assert_eq!(case["state"], "acknowledged");
}
