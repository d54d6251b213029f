//! Items 6 and 7: a failure reported up the chain with its instructions coming back down;
//! a cyber attack reported at once to the officer, who alerts every body and orders the
//! measures, the case showing who has read the alert.

use reqwest::StatusCode;
use serde_json::json;

use super::{CALS, told, world};
use crate::support::history_actions;

#[tokio::test]
async fn a_failure_goes_up_to_the_officer_and_the_instructions_come_back_down() {
    let w = world().await;
    let id = w
        .open(
            &w.user,
            "failure_report",
            &w.section,
            json!({"system_name": CALS, "occurred_at": "2026-06-01T09:30:00",
                   "device": "NDA-PC-101", "symptoms": "電子納品データが開けない",
                   "contact": {"name": "防大 利用", "phone": "03-1234-5678"}}),
        )
        .await;
    w.t.act_ok(&w.user, &id, "report", json!({})).await;
    // The operation manager first; the central administrator cannot take it over yet.
    assert!(w.inbox(&w.ops).await.contains(&id));
    let (status, _) =
        w.t.act(&w.central, &id, "report_to_ia_officer", json!({}))
            .await;
    assert_ne!(status, StatusCode::OK);
    w.t.act_ok(&w.ops, &id, "pass_to_administrator", json!({}))
        .await;
    // Isolation and first aid come back down to the reporter and the operation manager.
    w.t.act_ok(
        &w.nda_admin,
        &id,
        "instruct_first_aid",
        json!({"first_aid": "LANケーブルを抜いて端末を隔離してください"}),
    )
    .await;
    assert!(
        w.notices(&w.user)
            .await
            .iter()
            .any(|s| s.contains("切り分け・応急措置を指示する"))
    );
    assert!(
        w.notices(&w.ops)
            .await
            .iter()
            .any(|s| s.contains("切り分け・応急措置を指示する"))
    );
    w.t.act_ok(
        &w.nda_admin,
        &id,
        "notify_central",
        json!({"failure_summary": "端末1台でデータが開けない。隔離済み"}),
    )
    .await;
    w.t.act_ok(&w.central, &id, "report_to_ia_officer", json!({}))
        .await;
    assert!(
        w.notices(&w.gm)
            .await
            .iter()
            .any(|s| s.contains("情報保証責任者へ報告する"))
    );
    w.t.act_ok(
        &w.central,
        &id,
        "instruct_recovery",
        json!({"recovery_instructions": "再起動後にログを送付してください"}),
    )
    .await;
    assert!(
        w.notices(&w.staff)
            .await
            .iter()
            .any(|s| s.contains("復旧への協力を指示する"))
    );
    // A restoration dated before the failure is refused; the right one ends the case.
    let mut restored = json!({"logs_collected": "イベントログ一式", "cause": "ディスクの破損",
                              "measures": "ディスク交換と複製からの復元",
                              "restored_at": "2026-06-01T08:00:00"});
    let (status, body) =
        w.t.act(&w.central, &id, "record_restoration", restored.clone())
            .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    restored["restored_at"] = json!("2026-06-02T15:00:00");
    let case =
        w.t.act_ok(&w.central, &id, "record_restoration", restored)
            .await;
    assert_eq!(case["state"], "restored");
    assert_eq!(
        history_actions(&case),
        [
            "open",
            "report",
            "pass_to_administrator",
            "instruct_first_aid",
            "notify_central",
            "report_to_ia_officer",
            "instruct_recovery",
            "record_restoration"
        ]
    );
    // 北関東防衛局 had no part in it.
    let (status, _) =
        w.t.get(&w.kanto_admin, &format!("/api/v1/cases/{id}"))
            .await;
    assert!(matches!(
        status,
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ));
}

#[tokio::test]
async fn an_attack_alert_reaches_every_body_and_the_case_shows_who_has_read_it() {
    let w = world().await;
    let id = w
        .open(
            &w.staff,
            "cyber_attack",
            &w.section,
            json!({"system_name": CALS, "kind": "occurred", "detected_at": "2026-06-01T09:50:00",
                   "what_happened": "不審な添付ファイルを開いた端末から外部への通信",
                   "contact": {"name": "防大 担当", "phone": "03-1234-5679"}}),
        )
        .await;
    w.t.act_ok(&w.staff, &id, "report", json!({})).await;
    // At once to the officer, and to the operation manager to relay to the body's assistant.
    let told_gm = w.notices(&w.gm).await;
    assert!(
        told_gm.iter().any(|s| s.contains("通報する")),
        "{told_gm:?}"
    );
    assert!(
        w.notices(&w.ops)
            .await
            .iter()
            .any(|s| s.contains("通報する"))
    );
    w.t.act_ok(&w.ops, &id, "relay_to_administrator", json!({}))
        .await;
    assert!(
        w.notices(&w.nda_admin)
            .await
            .iter()
            .any(|s| s.contains("システム管理者（補助者）へ通報する"))
    );

    let (status, body) = w.t.act(&w.gm, &id, "alert_other_bodies", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "the alert's text: {body}");
    w.t.act_ok(
        &w.gm,
        &id,
        "alert_other_bodies",
        json!({"alert": "不審メールの添付ファイルを開かないでください"}),
    )
    .await;
    // Every body's system administrator was told; none has opened it yet.
    let case = w.case(&w.gm, &id).await;
    let told_now = told(&case);
    assert!(
        told_now.contains(&("北関東 管理者".to_owned(), false)),
        "{told_now:?}"
    );
    // Opening it is reading it.
    let _ = w.case(&w.kanto_admin, &id).await;
    let told_now = told(&w.case(&w.gm, &id).await);
    assert!(
        told_now.contains(&("北関東 管理者".to_owned(), true)),
        "{told_now:?}"
    );
    // 甲社, in another tree, is told nothing and reads nothing.
    assert!(w.notices(&w.ko_admin).await.is_empty());
    let (status, _) = w.t.get(&w.ko_admin, &format!("/api/v1/cases/{id}")).await;
    assert!(matches!(
        status,
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ));

    w.t.act_ok(
        &w.gm,
        &id,
        "order_measures",
        json!({"first_aid": "当該端末をネットワークから切り離す", "recovery": "再インストールとパスワード変更"}),
    )
    .await;
    assert!(w.inbox(&w.central).await.contains(&id));
    let case = w.t.act_ok(
            &w.central,
            &id,
            "record_recovery",
            json!({"measures_taken": "端末を再インストール", "recovered_at": "2026-06-02T12:00:00"}),
        )
        .await;
    assert_eq!(case["state"], "recovered");
}
