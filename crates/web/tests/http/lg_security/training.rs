//! Training (5.2(2)②③⑤⑥⑦, 5.2(4)): every member of staff has a record for each fiscal
//! year, named after them, which their section's 管理者 fills in with what they attended
//! (entering the section's training records); new staff get the running year's record once
//! designated; the 統括 analyses the year and reports to the CISO, who reports to the
//! committee. The CISO's emergency drills (5.2(3)) are planned with their scope and recorded.

use reqwest::{Client, StatusCode};
use serde_json::json;

use super::ledger_procedures::{message, told_of};
use super::ledgers::live;
use super::{City, city};

/// The lines of the training records' board the reader sees: (attendee, case, state id).
async fn board(w: &City, c: &Client) -> Vec<(String, String, String)> {
    let (status, body) =
        w.t.get(c, "/api/v1/obligations/mic-lg-security/training_attendance")
            .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut lines: Vec<(String, String, String)> = body["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["person_name"].as_str().unwrap().to_owned(),
                l["case"].as_str().unwrap().to_owned(),
                l["standing"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    lines.sort();
    lines
}

#[tokio::test]
async fn each_member_of_staff_has_a_yearly_record_named_for_them_that_the_manager_fills_in() {
    let w = city().await;
    // 令和8年度 is running (1 June 2026): the section's two members of staff get theirs.
    w.t.app.open_rounds().await.unwrap();
    let lines = board(&w, &w.manager).await;
    let names: Vec<&str> = lines.iter().map(|l| l.0.as_str()).collect();
    assert_eq!(names, ["総務課長 四郎", "職員 五子"]);
    let goko = lines[1].1.clone();
    // The record names whose it is, as if they had opened it.
    let (status, case) = w.t.get(&w.manager, &format!("/api/v1/cases/{goko}")).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["data"]["attendee"], "職員 五子", "{case}");
    assert!(w.t.inbox_ids(&w.manager).await.contains(&goko));
    assert!(told_of(&w, &w.staff).await.contains(&json!(goko)));

    // 5.2(2)⑤: the 管理者 records it, not the attendee; a day not yet come is refused.
    let attended = json!({"course": "令和8年度 情報セキュリティ基礎研修", "attended_on": "2026-06-01",
                          "kind": "yearly", "method": "e_learning", "comprehension": 85});
    let (status, _) = w.t.act(&w.staff, &goko, "record", attended.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let mut later = attended.clone();
    later["attended_on"] = json!("2026-06-30");
    let (status, body) = w.t.act(&w.manager, &goko, "record", later).await;
    assert!(status.is_client_error(), "{body}");
    assert!(message(&body).contains("受講した日"), "{body}");
    let case = w.t.act_ok(&w.manager, &goko, "record", attended).await;
    assert_eq!(case["state"], "attended");
    let records = live(&w, &w.manager, "training_records").await;
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["organisation"], w.section.as_str());
    assert_eq!(records[0]["data"]["attendee"], "職員 五子");
    assert_eq!(records[0]["data"]["comprehension"], 85);
    let lines = board(&w, &w.chief).await;
    assert_eq!(lines[1].2, "done", "{lines:?}");
    assert_eq!(lines[0].2, "open", "{lines:?}");

    // 5.2(2)③: someone designated in July gets the running year's record at the next tick.
    w.hands.set("2026-07-01T00:30:00Z");
    let newcomer =
        w.t.person(&w.sys, "新人 九子", "kuko@aoba.example.jp", &w.section)
            .await;
    w.t.designate(&w.sys, "lg_staff", &w.section, &newcomer)
        .await;
    w.t.app.open_rounds().await.unwrap();
    let names: Vec<String> = board(&w, &w.manager)
        .await
        .into_iter()
        .map(|l| l.0)
        .collect();
    assert!(names.contains(&"新人 九子".to_owned()), "{names:?}");
    // 緑町 reads none of it.
    assert!(live(&w, &w.town_admin, "training_records").await.is_empty());
}

#[tokio::test]
async fn the_chief_reports_the_years_training_to_the_ciso_who_reports_it_to_the_committee() {
    let w = city().await;
    let member = w.t.id_of(&w.officer).await;
    w.t.designate(&w.sys, "lg_committee_member", &w.city, &member)
        .await;
    w.t.app.open_rounds().await.unwrap();
    let (status, body) =
        w.t.get(
            &w.chief,
            "/api/v1/obligations/mic-lg-security/training_results",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let lines = body["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 1, "{body}");
    let id = lines[0]["case"].as_str().unwrap().to_owned();
    let (status, _) =
        w.t.patch(
            &w.chief,
            &format!("/api/v1/cases/{id}"),
            json!({"data": {"attendance": "対象 2 名のうち受講 1 名（50%）",
                            "analysis": "総務課の未受講者に督促が必要。"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // ⑥ the 統括 reports to the CISO; ⑦ the CISO, not the 統括, to the committee.
    w.t.act_ok(&w.chief, &id, "report_to_ciso", json!({})).await;
    assert!(told_of(&w, &w.ciso).await.contains(&json!(id)));
    let reported = json!({"reported_on": "2026-06-01"});
    let (status, _) =
        w.t.act(&w.chief, &id, "report_to_committee", reported.clone())
            .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let case =
        w.t.act_ok(&w.ciso, &id, "report_to_committee", reported)
            .await;
    assert_eq!(case["state"], "reported");
    assert!(told_of(&w, &w.officer).await.contains(&json!(id)));
}

#[tokio::test]
async fn the_cisos_drill_is_planned_with_its_scope_told_to_those_taking_part_and_its_results_recorded()
 {
    let w = city().await;
    let drill = json!({"title": "令和8年度 標的型攻撃対応訓練",
                       "scenario": "標的型攻撃メールによる不正プログラム感染",
                       "structure": "CISO、統括情報セキュリティ責任者、CSIRT、情報システム管理者",
                       "scope": "庁内ネットワーク（LGWAN接続系）", "planned_on": "2026-07-15"});
    // 5.2(3): the CISO's to plan; the 統括 does not start one.
    let (status, _) =
        w.t.post(
            &w.chief,
            "/api/v1/cases",
            json!({"procedure": "mic-lg-security/drill", "organisation": w.city, "data": drill}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let id = w.open(&w.ciso, "drill", &w.city, drill).await;
    w.t.act_ok(&w.ciso, &id, "plan", json!({})).await;
    for c in [&w.chief, &w.sysman] {
        assert!(told_of(&w, c).await.contains(&json!(id)));
    }
    // Its results are recorded once it has been held, not before.
    let results = |held_on: &str| {
        json!({"held_on": held_on, "participants": "CISO、統括、CSIRT 3名、情報システム管理者 2名",
               "findings": "夜間の連絡網が古い番号のままだった。"})
    };
    w.hands.set("2026-07-15T08:00:00Z");
    let (status, body) =
        w.t.act(&w.chief, &id, "record_results", results("2026-07-16"))
            .await;
    assert!(status.is_client_error(), "{body}");
    assert!(message(&body).contains("実施した日"), "{body}");
    let case =
        w.t.act_ok(&w.chief, &id, "record_results", results("2026-07-15"))
            .await;
    assert_eq!(case["state"], "held");
    assert!(told_of(&w, &w.ciso).await.contains(&json!(id)));
    assert!(told_of(&w, &w.town_admin).await.is_empty());
}
