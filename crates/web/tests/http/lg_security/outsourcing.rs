//! Outsourcing (8.1): the section's 管理者 records a contractor's selection — having confirmed
//! its security fits the work — with the requirements the contract writes, into the contractor
//! files; each file is checked every six months (mamori's figure for 「定期的に」) in a round
//! opened with the contract named, reported to the 統括 and, when serious, to the CISO; the
//! return or disposal of the assets is owed from its day until recorded. The body's own
//! outsourcing criteria, social media accounts and cloud assessments are kept beside them.
//! 緑町 sees none of it.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::ledger_procedures::told_of;
use super::ledgers::{date, live};
use super::{City, city};

fn selection() -> Value {
    json!({"contractor": "青葉システム株式会社", "contract": "住民情報システムの運用保守",
           "work": "住民情報システムのサーバ運用と障害対応", "responsible": "保守 一郎",
           "workers": "青葉システム株式会社 運用部 3名", "work_place": "市役所 サーバ室",
           "selection": "ISO/IEC 27001 認証取得、令和7年度の外部監査で指摘なし",
           "contract_items": ["policy", "people_place", "secrecy", "return", "reports"],
           "ends_on": "2027-03-31", "return_by": "2027-04-30"})
}

/// The contractor file's row `c` reads.
async fn file(w: &City, c: &reqwest::Client) -> Value {
    let rows = live(w, c, "contractor_files").await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    rows[0].clone()
}

#[tokio::test]
async fn a_contractor_selected_with_its_security_confirmed_enters_the_files_and_is_checked_every_half_year()
 {
    let w = city().await;
    // 8.1(1)①: not recorded until the 管理者 confirms its security fits the work.
    let id = w
        .open(&w.manager, "outsourcing", &w.section, selection())
        .await;
    let (status, body) = w.t.act(&w.manager, &id, "record", json!({})).await;
    assert!(status.is_client_error(), "{body}");
    assert!(
        body["error"]["fields"]["measures_confirmed"].is_string(),
        "{body}"
    );
    let mut confirmed = selection();
    confirmed["measures_confirmed"] = json!(true);
    let (status, _) =
        w.t.patch(
            &w.manager,
            &format!("/api/v1/cases/{id}"),
            json!({"data": confirmed}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // Staff do not record contracts.
    let (status, _) = w.t.act(&w.staff, &id, "record", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    w.t.act_ok(&w.manager, &id, "record", json!({})).await;
    let row = file(&w, &w.manager).await;
    assert_eq!(row["organisation"], w.section.as_str());
    assert_eq!(row["data"]["selected_on"], "2026-06-01");
    assert_eq!(row["data"]["responsible"], "保守 一郎");
    assert_eq!(
        row["data"]["contract_items"],
        json!(["policy", "people_place", "secrecy", "return", "reports"])
    );

    // 8.1(3): the running half-year's check opens for the 管理者, the contract named.
    w.t.app.open_rounds().await.unwrap();
    let (status, board) =
        w.t.get(
            &w.manager,
            "/api/v1/obligations/mic-lg-security/contractor_check",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{board}");
    let lines = board["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 1, "{board}");
    let check = lines[0]["case"].as_str().unwrap().to_owned();
    let (_, case) = w.t.get(&w.manager, &format!("/api/v1/cases/{check}")).await;
    assert_eq!(case["data"]["contractor"], "青葉システム株式会社", "{case}");
    assert_eq!(case["data"]["contract"], "住民情報システムの運用保守");
    // Due at the end of September (the first half of the fiscal year).
    assert_eq!(case["due_at"], "2026-09-30T15:00:00Z", "{case}");
    let (status, _) =
        w.t.patch(
            &w.manager,
            &format!("/api/v1/cases/{check}"),
            json!({"data": {"contractor": "青葉システム株式会社", "contract": "住民情報システムの運用保守",
                            "checked_on": "2026-06-01", "how": "定期報告と作業場所の立入検査",
                            "findings": "作業者の私物USBメモリの持込みがあった。",
                            "measures": "契約に基づき是正を求めた。", "serious": true}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    w.t.act_ok(&w.manager, &check, "report", json!({})).await;
    assert!(told_of(&w, &w.chief).await.contains(&json!(check)));
    assert_eq!(
        file(&w, &w.manager).await["data"]["last_checked_on"],
        "2026-06-01"
    );
    // Serious: owed to the CISO too, once.
    assert!(w.t.inbox_ids(&w.manager).await.contains(&check));
    w.t.act_ok(&w.manager, &check, "report_to_ciso", json!({}))
        .await;
    assert!(told_of(&w, &w.ciso).await.contains(&json!(check)));
    assert!(!w.t.inbox_ids(&w.manager).await.contains(&check));
    let (status, _) =
        w.t.act(&w.manager, &check, "report_to_ciso", json!({}))
            .await;
    assert!(status.is_client_error());
    assert!(live(&w, &w.town_admin, "contractor_files").await.is_empty());
}

#[tokio::test]
async fn the_return_of_the_assets_is_owed_until_recorded_and_how_is_asked() {
    let w = city().await;
    let mut data = selection();
    data["measures_confirmed"] = json!(true);
    data["ends_on"] = json!("2026-05-31");
    data["return_by"] = json!("2026-06-15");
    let id = w.open(&w.manager, "outsourcing", &w.section, data).await;
    w.t.act_ok(&w.manager, &id, "record", json!({})).await;
    w.hands.set("2026-06-20T01:00:00Z");
    let row = file(&w, &w.manager).await;
    let path = format!(
        "/api/v1/registers/contractor_files/rows/{}",
        row["id"].as_str().unwrap()
    );
    assert_eq!(date(&w, &w.manager, &path, "return_by").await["late"], true);
    // Recording the return asks how.
    let (status, body) =
        w.t.patch(
            &w.manager,
            &path,
            json!({"data": {"returned_on": "2026-06-19"}, "comment": "返還を確認"}),
        )
        .await;
    assert!(status.is_client_error(), "{body}");
    assert!(
        body["error"]["fields"]["return_method"].is_string(),
        "{body}"
    );
    let (status, body) =
        w.t.patch(
            &w.manager,
            &path,
            json!({"data": {"returned_on": "2026-06-19",
                            "return_method": "記録媒体を返還し、事業者の消去証明書を受領"},
                   "comment": "返還を確認"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        date(&w, &w.manager, &path, "return_by").await["late"],
        false
    );
}

#[tokio::test]
async fn the_bodys_outsourcing_criteria_sns_accounts_and_cloud_assessments_are_its_own() {
    let w = city().await;
    w.t.create(
        &w.chief,
        "/api/v1/registers/outsourcing_criteria/rows",
        json!({"organisation": w.city, "data": {"scope": "住民情報システム", "decision": "conditional",
               "where_processed": "国内のデータセンターに限る"}}),
    )
    .await;
    w.t.create(
        &w.manager,
        "/api/v1/registers/sns_accounts/rows",
        json!({"organisation": w.section, "data": {"service": "X", "account": "@aoba_city_soumu",
               "responsible": "総務課長 四郎", "listed_on_site": true, "two_step": true}}),
    )
    .await;
    // 8.3③: an account without its responsible person is refused, naming the column.
    let (status, body) =
        w.t.post(
            &w.manager,
            "/api/v1/registers/sns_accounts/rows",
            json!({"organisation": w.section, "data": {"service": "Instagram", "account": "@aoba"}}),
        )
        .await;
    assert!(status.is_client_error(), "{body}");
    assert!(body["error"]["fields"]["responsible"].is_string(), "{body}");
    // 8.4②: the governing law and the court are part of every assessment.
    let (status, body) =
        w.t.post(
            &w.sysman,
            "/api/v1/registers/cloud_assessments/rows",
            json!({"organisation": w.it, "data": {"service": "文書共有クラウド", "provider": "某社",
                   "entrusted_class": "c2", "data_location": "東京都", "assessed_on": "2026-06-01"}}),
        )
        .await;
    assert!(status.is_client_error(), "{body}");
    assert!(body["error"]["fields"]["court"].is_string(), "{body}");
    // Staff keep none of these.
    let (status, _) =
        w.t.post(
            &w.staff,
            "/api/v1/registers/sns_accounts/rows",
            json!({"organisation": w.section, "data": {"service": "X", "account": "@x", "responsible": "職員"}}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for register in ["outsourcing_criteria", "sns_accounts"] {
        assert_eq!(live(&w, &w.chief, register).await.len(), 1, "{register}");
        assert!(live(&w, &w.town_admin, register).await.is_empty());
    }
}
