//! Item 4: the equipment ledger of mobile terminals (付紙様式第2), overdue when a period of
//! use ends without the terminal coming back; only centrally stored media may be used.

use reqwest::StatusCode;
use serde_json::json;

use super::{CALS, world};

#[tokio::test]
async fn a_terminal_not_back_when_its_period_ends_is_overdue_until_returned() {
    let w = world().await;
    let row = |until: &str| {
        json!({"organisation": w.section, "data": {
            "system_name": CALS, "control_number": "DFIS-T-012", "model": "TB-20",
            "use_from": "2026-05-25", "use_until": until, "user_name": "防衛 一郎",
            "purpose": "データ入力作業", "storage": "管理施設課 施錠書庫"}})
    };
    // A missing item is named, and nothing is stored.
    let (status, body) = w
        .t
        .post(
            &w.staff,
            "/api/v1/registers/mobile_terminals/rows",
            json!({"organisation": w.section, "data": {"system_name": CALS, "control_number": "DFIS-T-012"}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["fields"]["model"].is_string(), "{body}");
    // Only the system staff keep it: not the user.
    let (status, _) =
        w.t.post(
            &w.user,
            "/api/v1/registers/mobile_terminals/rows",
            row("2026-05-29"),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, body) =
        w.t.post(
            &w.staff,
            "/api/v1/registers/mobile_terminals/rows",
            row("2026-05-29"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/registers/mobile_terminals/rows/{id}");
    let (_, body) = w.t.get(&w.staff, &path).await;
    assert_eq!(body["dates"][0]["late"], true, "{body}");

    // Returned: nothing is owed any more.
    let (status, body) =
        w.t.patch(
            &w.staff,
            &path,
            json!({"data": {"returned_on": "2026-06-01"}, "comment": "返却を確認"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, body) = w.t.get(&w.staff, &path).await;
    assert_eq!(body["dates"][0]["settled"], true, "{body}");
    assert_eq!(body["dates"][0]["late"], false, "{body}");
    // Another tree sees none of it.
    let (status, _) = w.t.get(&w.ko_admin, &path).await;
    assert!(matches!(
        status,
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ));
}

#[tokio::test]
async fn only_a_centrally_stored_medium_may_carry_data_out() {
    let w = world().await;
    let release = w
        .open(
            &w.staff,
            "encryption_release",
            &w.section,
            json!({"system_name": CALS, "contents": "neither", "data_description": "工事写真",
                   "purpose": "工事業者への提供", "recipient": "乙建設", "media_number": "USB-007"}),
        )
        .await;
    let (status, body) = w.t.act(&w.staff, &release, "request", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("集中保管"),
        "{body}"
    );
    let (status, body) =
        w.t.post(
            &w.nda_admin,
            "/api/v1/registers/stored_media/rows",
            json!({"organisation": w.nda, "data": {"media_number": "USB-007", "kind": "usb",
                   "stored_by": "防衛大学校 部隊等情報保証責任者", "stored_at": "総務課 金庫"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let case = w.ok(&w.staff, &release, "request", json!({})).await;
    assert_eq!(case["state"], "at_system_administrator");
}
