//! Exception measures (7.4): permitted by the CISO and recorded; taken in an emergency,
//! reported to the CISO afterwards and overdue when not ratified in time.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::city;

fn exception(rule: &str) -> Value {
    json!({"requester": "総務課長 四郎", "rule": rule,
           "measure": "バックアップを外付けディスクに取る", "reason": "サーバ更改までの間、既定の方式で取得できないため",
           "compensating": "ディスクは施錠保管し、暗号化する", "from_on": "2026-06-01", "until_on": "2026-09-30"})
}

#[tokio::test]
async fn an_exception_is_permitted_by_the_ciso_never_by_its_applicant_and_recorded() {
    let w = city().await;
    let id = w
        .open(
            &w.manager,
            "exception",
            &w.section,
            exception("6.1(5) バックアップの実施"),
        )
        .await;
    w.t.act_ok(&w.manager, &id, "submit", json!({})).await;
    // Before the permission, the measure waits (outside an emergency).
    let (status, body) = w.t.act(&w.manager, &id, "take_measure", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = w.t.act(&w.manager, &id, "permit", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    w.t.act_ok(&w.ciso, &id, "permit", json!({})).await;
    let case = w.t.act_ok(&w.manager, &id, "take_measure", json!({})).await;
    assert_eq!(case["state"], "in_effect");
    let rows = w.t.register_data(&w.ciso, "exception_measures").await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["decision"], "permitted");
    assert_eq!(rows[0]["decided_by"], "副市長 一郎");
    assert_eq!(rows[0]["until_on"], "2026-09-30");
}

#[tokio::test]
async fn an_emergency_exception_is_reported_after_and_overdue_until_the_ciso_ratifies_it() {
    let w = city().await;
    let id = w
        .open(
            &w.manager,
            "exception",
            &w.section,
            exception("6.2(1) アクセス制御"),
        )
        .await;
    w.t.act_ok(&w.manager, &id, "submit", json!({})).await;
    let reason = "災害対応で窓口システムを直ちに使う必要があるため";
    let (status, case) =
        w.t.post(
            &w.manager,
            &format!("/api/v1/cases/{id}/actions/take_measure"),
            json!({"fields": {}, "emergency": reason}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["state"], "in_effect");
    let pending = case["emergencies"].as_array().unwrap();
    assert_eq!(pending.len(), 1, "{case}");
    assert_eq!(pending[0]["overdue"], false);
    let rows = w.t.register_data(&w.ciso, "exception_measures").await;
    assert_eq!(rows[0]["decision"], "emergency", "{rows:?}");
    assert!(w.t.inbox_ids(&w.ciso).await.contains(&id));

    // Not ratified by the end of the next business day: overdue, in the CISO's list.
    w.hands.set("2026-06-03T01:00:00Z");
    let (status, listed) = w.t.get(&w.ciso, "/api/v1/emergencies").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed[0]["due_at"], "2026-06-02T15:00:00Z", "{listed}");
    let (_, seen) = w.t.get(&w.ciso, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(seen["emergencies"][0]["overdue"], true, "{seen}");
    let seq = listed[0]["seq"].as_i64().unwrap();
    let (status, case) =
        w.t.post(
            &w.ciso,
            &format!("/api/v1/cases/{id}/emergencies/{seq}"),
            json!({"accept": true, "comment": "やむを得ない措置と認める"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert!(case["emergencies"].as_array().unwrap().is_empty());
    // 緑町 sees neither the case nor the record.
    let (status, _) = w.t.get(&w.town_admin, &format!("/api/v1/cases/{id}")).await;
    assert!(matches!(
        status,
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ));
    assert!(
        w.t.register_data(&w.town_admin, "exception_measures")
            .await
            .is_empty()
    );
}
