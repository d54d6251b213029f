//! The city's contractor (8.1): 株式会社青葉システム, a company holding a contract with the
//! city that 情報政策課 administers, asks to subcontract (8.1(2)⑧), which the section's
//! 管理者 permits, and to change the people it puts on the work (6.3(2)① 注8), which the
//! section's system manager permits. Each permission enters the section's permissions.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use super::{City, city};

/// The company, its person in charge (lg_contractor) and 情報政策課's 管理者.
struct Contract {
    company: String,
    contractor: Client,
    it_manager: Client,
}

async fn contract(w: &City) -> Contract {
    let company =
        w.t.org(&w.sys, "株式会社青葉システム", "company", None)
            .await;
    w.t.create(
        &w.sys,
        &format!("/api/v1/organisations/{company}/relations"),
        json!({"kind": "contracts_with", "other": w.it}),
    )
    .await;
    let mut people =
        w.t.people(
            &w.sys,
            &[
                (
                    "青葉システム 山田",
                    "yamada@aoba-system.example.co.jp",
                    company.as_str(),
                    "lg_contractor",
                ),
                (
                    "情報政策課長 八郎",
                    "it-manager@aoba.example.jp",
                    w.it.as_str(),
                    "lg_manager",
                ),
            ],
        )
        .await
        .into_iter();
    Contract {
        company,
        contractor: people.next().unwrap(),
        it_manager: people.next().unwrap(),
    }
}

fn subcontracting(subcontractor: &str) -> Value {
    json!({"contractor": "株式会社青葉システム", "requester": "青葉システム 山田",
           "contract": "住民情報システム運用保守業務", "subcontractor": subcontractor,
           "work": "夜間のバックアップ媒体の交換", "information": "バックアップ媒体（暗号化済み）の受け渡しのみ",
           "reason": "夜間の要員を自社で確保できないため",
           "measures": "ISMS認証を取得。作業者への教育、守秘義務契約、媒体の施錠保管を当社と同等に実施",
           "guarantee": true, "from_on": "2026-07-01", "until_on": "2027-03-31"})
}

fn staff_change() -> Value {
    json!({"contractor": "株式会社青葉システム", "requester": "青葉システム 山田",
           "contract": "住民情報システム運用保守業務", "system": "住民情報システム",
           "change": "replace", "leaving": "鈴木 一郎（運用担当）",
           "joining": "佐藤 花子（株式会社青葉システム、運用担当、情報政策課サーバ室）",
           "reason": "鈴木の異動に伴う交代", "from_on": "2026-06-15"})
}

#[tokio::test]
async fn a_subcontract_is_permitted_by_the_contracting_sections_manager_once_confirmed_and_recorded()
 {
    let w = city().await;
    let c = contract(&w).await;
    let mut unguaranteed = subcontracting("株式会社みどり技研");
    unguaranteed["guarantee"] = json!(false);
    let id = w
        .open(&c.contractor, "subcontracting", &c.company, unguaranteed)
        .await;
    // ⑧: the contractor must answer for the subcontractor's measures.
    let (status, body) = w.t.act(&c.contractor, &id, "submit", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["fields"]["guarantee"].is_string(), "{body}");
    let (status, _) =
        w.t.patch(
            &c.contractor,
            &format!("/api/v1/cases/{id}"),
            json!({"data": subcontracting("株式会社みどり技研")}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let case = w.t.act_ok(&c.contractor, &id, "submit", json!({})).await;
    assert_eq!(case["state"], "requested");
    assert!(w.t.inbox_ids(&c.it_manager).await.contains(&id));

    // The contractor does not permit its own request.
    let (status, _) =
        w.t.act(&c.contractor, &id, "permit", json!({"equivalent": true}))
            .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Only the 管理者 of the section the company contracts with: not 総務課's.
    let (status, _) =
        w.t.act(&w.manager, &id, "permit", json!({"equivalent": true}))
            .await;
    assert!(
        matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{status}"
    );
    // ⑧ 「同等の水準であることを確認し」: not permitted without confirming it.
    let (status, body) =
        w.t.act(&c.it_manager, &id, "permit", json!({"equivalent": false}))
            .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["fields"]["equivalent"].is_string(), "{body}");
    let case =
        w.t.act_ok(&c.it_manager, &id, "permit", json!({"equivalent": true}))
            .await;
    assert_eq!(case["state"], "granted");

    let rows = w.t.register_data(&w.chief, "permissions").await;
    let row = rows
        .iter()
        .find(|r| r["gate"] == "再委託")
        .unwrap_or_else(|| panic!("{rows:?}"));
    assert_eq!(row["subject"], "株式会社みどり技研");
    assert_eq!(row["requester"], "株式会社青葉システム");
    assert_eq!(row["approver"], "情報政策課長 八郎");
    assert_eq!(row["clause"], "8.1(2)⑧");
    assert_eq!(row["from_on"], "2026-07-01");
    assert_eq!(row["until_on"], "2027-03-31");
    assert_eq!(row["granted_on"], "2026-06-01");

    // 「再委託は原則禁止する」: refused with the reason, nothing recorded.
    let id = w
        .open(
            &c.contractor,
            "subcontracting",
            &c.company,
            subcontracting("株式会社ひがし情報"),
        )
        .await;
    w.t.act_ok(&c.contractor, &id, "submit", json!({})).await;
    let (status, body) =
        w.t.post(
            &c.it_manager,
            &format!("/api/v1/cases/{id}/actions/refuse"),
            json!({"fields": {}, "comment": "再委託先の対策が同等の水準と確認できません"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "refused");
    let rows = w.t.register_data(&w.chief, "permissions").await;
    assert!(
        !rows.iter().any(|r| r["subject"] == "株式会社ひがし情報"),
        "{rows:?}"
    );
    // The city's permissions are its own: neither the company nor 緑町 reads them.
    for outsider in [&c.contractor, &w.town_admin] {
        assert!(w.t.register_data(outsider, "permissions").await.is_empty());
    }
}

#[tokio::test]
async fn a_change_of_the_contractors_staff_is_permitted_by_the_system_manager_with_its_reason() {
    let w = city().await;
    let c = contract(&w).await;
    // 注8 「その理由を明確にして」, and who joins in place of whom.
    let mut incomplete = staff_change();
    incomplete["joining"] = json!("");
    incomplete["reason"] = json!("");
    let id = w
        .open(
            &c.contractor,
            "contractor_staff_change",
            &c.company,
            incomplete,
        )
        .await;
    let (status, body) = w.t.act(&c.contractor, &id, "submit", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["fields"]["joining"].is_string(), "{body}");
    assert!(body["error"]["fields"]["reason"].is_string(), "{body}");
    let (status, _) =
        w.t.patch(
            &c.contractor,
            &format!("/api/v1/cases/{id}"),
            json!({"data": staff_change()}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    w.t.act_ok(&c.contractor, &id, "submit", json!({})).await;
    assert!(w.t.inbox_ids(&w.sysman).await.contains(&id));

    // Not the contractor; not the section's 管理者: its system manager (6.3(2)①).
    let (status, _) = w.t.act(&c.contractor, &id, "permit", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = w.t.act(&c.it_manager, &id, "permit", json!({})).await;
    assert!(
        matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{status}"
    );
    let case = w.t.act_ok(&w.sysman, &id, "permit", json!({})).await;
    assert_eq!(case["state"], "granted");
    let rows = w.t.register_data(&w.chief, "permissions").await;
    let row = rows
        .iter()
        .find(|r| r["gate"] == "委託事業者の要員の変更")
        .unwrap_or_else(|| panic!("{rows:?}"));
    assert_eq!(row["subject"], "住民情報システム運用保守業務");
    assert_eq!(row["requester"], "株式会社青葉システム");
    assert_eq!(row["approver"], "基盤 六郎");
    assert_eq!(row["clause"], "6.3(2)① 注8");
    assert_eq!(row["from_on"], "2026-06-15");
    assert!(row["until_on"].is_null(), "{row}");

    // An increase refused: nothing recorded for it.
    let mut more = staff_change();
    more["change"] = json!("add");
    more["leaving"] = json!("");
    more["from_on"] = json!("2026-07-01");
    let id = w
        .open(&c.contractor, "contractor_staff_change", &c.company, more)
        .await;
    w.t.act_ok(&c.contractor, &id, "submit", json!({})).await;
    let (status, body) =
        w.t.post(
            &w.sysman,
            &format!("/api/v1/cases/{id}/actions/refuse"),
            json!({"fields": {}, "comment": "増員の理由が作業の遅れであり、体制の見直しが先です"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "refused");
    let rows = w.t.register_data(&w.chief, "permissions").await;
    assert_eq!(
        rows.iter()
            .filter(|r| r["gate"] == "委託事業者の要員の変更")
            .count(),
        1,
        "{rows:?}"
    );
}
