//! Item 8: maintenance, interruptions and restarts announced to every body's system
//! administrator, an emergency stop recorded with the telephone calls made first; each
//! announcement shows who has read it.

use reqwest::StatusCode;
use serde_json::json;

use super::{CALS, told, world};

#[tokio::test]
async fn maintenance_reaches_every_administrator_and_an_emergency_stop_names_its_calls() {
    let w = world().await;
    // Only the general manager announces: not a body's administrator.
    let (status, _) =
        w.t.post(
            &w.nda_admin,
            "/api/v1/cases",
            json!({"procedure": "mod-system-ops/announcement", "organisation": w.ministry,
                   "data": {"system_name": CALS, "kind": "planned", "summary": "定期保守"}}),
        )
        .await;
    assert_ne!(status, StatusCode::CREATED);

    let planned = w
        .open(
            &w.gm,
            "announcement",
            &w.ministry,
            json!({"system_name": CALS, "kind": "planned", "summary": "定期保守のため停止します",
                   "starts_at": "2026-06-06T09:00:00", "ends_at": "2026-06-06T08:00:00"}),
        )
        .await;
    let (status, body) = w.t.act(&w.gm, &planned, "announce", json!({})).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the end before the start: {body}"
    );
    let (status, body) = w
        .t
        .patch(
            &w.gm,
            &format!("/api/v1/cases/{planned}"),
            json!({"data": {"system_name": CALS, "kind": "planned", "summary": "定期保守のため停止します",
                   "starts_at": "2026-06-06T09:00:00", "ends_at": "2026-06-06T17:00:00"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    w.t.act_ok(&w.gm, &planned, "announce", json!({})).await;
    let names: Vec<String> = told(&w.case(&w.gm, &planned).await)
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    for admin in ["防大 管理者", "北関東 管理者"] {
        assert!(names.contains(&admin.to_owned()), "{names:?}");
    }
    assert!(
        w.notices(&w.ko_admin).await.is_empty(),
        "never another tree"
    );

    // 第6 1(2)ウ: stopped at once, telephoned, then recorded — the calls are required.
    let stop = w
        .open(
            &w.gm,
            "announcement",
            &w.ministry,
            json!({"system_name": CALS, "kind": "emergency_stop", "summary": "不正アクセスの疑いにより緊急停止",
                   "starts_at": "2026-06-01T09:40:00"}),
        )
        .await;
    let (status, body) = w.t.act(&w.gm, &stop, "announce", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["fields"]["phoned"]
            .as_str()
            .unwrap()
            .contains("電話等で連絡した相手と日時"),
        "{body}"
    );
    let (status, _) = w
        .t
        .patch(
            &w.gm,
            &format!("/api/v1/cases/{stop}"),
            json!({"data": {"system_name": CALS, "kind": "emergency_stop", "summary": "不正アクセスの疑いにより緊急停止",
                   "starts_at": "2026-06-01T09:40:00",
                   "phoned": "09:45 防衛大学校 管理者、09:47 北関東防衛局 管理者"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let case = w.t.act_ok(&w.gm, &stop, "announce", json!({})).await;
    assert_eq!(case["state"], "announced");
    let _ = w.case(&w.nda_admin, &stop).await;
    let read = told(&w.case(&w.gm, &stop).await);
    assert!(read.contains(&("防大 管理者".to_owned(), true)), "{read:?}");
    assert!(
        read.contains(&("北関東 管理者".to_owned(), false)),
        "{read:?}"
    );
}
