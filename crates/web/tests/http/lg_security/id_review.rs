//! 6.2(1)②(ウ): unused user IDs are checked with the personnel section. Its staff list comes
//! in as a workbook; the review opens with every ID of the ledger and, beside each, what the
//! list says of its holder, and writes back the day of the review and each deletion.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use super::{City, city};

const IDS: &str = "/api/v1/registers/user_ids/rows";

/// The personnel section's list as it arrives: a workbook with its own header labels.
fn staff_list(rows: &[[&str; 4]]) -> Vec<u8> {
    let column = |id: &str, label: &str| mamori_sheets::Column {
        id: id.to_owned(),
        label: label.to_owned(),
        width: 16.0,
    };
    mamori_sheets::write(&mamori_sheets::Table {
        sheet: "職員一覧".into(),
        meta: vec![],
        columns: vec![
            column("a", "職員番号"),
            column("b", "氏名"),
            column("c", "所属"),
            column("d", "在職状況"),
        ],
        rows: rows
            .iter()
            .map(|r| r.iter().map(|c| (*c).to_owned()).collect())
            .collect(),
    })
    .unwrap()
}

/// The list imported into the register of the system manager's section.
async fn import(w: &City, c: &Client, workbook: Vec<u8>) -> (StatusCode, Value) {
    super::ledgers::import(w, c, "personnel_roster", &w.it, workbook).await
}

async fn add_id(w: &City, user_id: &str, name: &str, staff_number: Option<&str>) {
    let mut data = json!({"system_name": "文書管理システム", "user_id": user_id, "user_name": name,
                          "section": "総務課", "registered_on": "2025-04-01"});
    if let Some(n) = staff_number {
        data["staff_number"] = json!(n);
    }
    w.t.create(&w.sysman, IDS, json!({"organisation": w.it, "data": data}))
        .await;
}

fn by_id<'a>(rows: &'a [Value], user_id: &str) -> &'a Value {
    rows.iter().find(|r| r["user_id"] == user_id).unwrap()
}

#[tokio::test]
async fn ids_are_reviewed_beside_the_personnel_list_and_the_ledger_records_each_finding() {
    let w = city().await;
    add_id(&w, "somu001", "総務 花子", Some("1001")).await;
    add_id(&w, "somu002", "退職 太郎", Some("1002")).await;
    add_id(&w, "somu003", "委託 次郎", None).await;

    // A list whose status is not one the register knows is refused, naming the cell.
    let (status, body) = import(
        &w,
        &w.sysman,
        staff_list(&[["1001", "総務 花子", "総務課", "在籍"]]),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["fields"]["row2.status"]
            .as_str()
            .unwrap()
            .contains("2行目 在職状況"),
        "{body}"
    );
    // The section's 管理者 keeps no such list.
    let (status, _) = import(
        &w,
        &w.manager,
        staff_list(&[["1001", "総務 花子", "総務課", "在職"]]),
    )
    .await;
    assert!(
        matches!(status, StatusCode::FORBIDDEN | StatusCode::BAD_REQUEST),
        "{status}"
    );
    let (status, body) = import(
        &w,
        &w.sysman,
        staff_list(&[
            ["1001", "総務 花子", "総務課", "在職"],
            ["1002", "退職 太郎", "総務課", "退職"],
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The review opens with each ID and what the list says of its holder.
    let id = w
        .open(
            &w.sysman,
            "id_review",
            &w.it,
            json!({"reviewer": "基盤 六郎", "hr_list_on": "2026-05-31"}),
        )
        .await;
    let (_, case) = w.t.get(&w.sysman, &format!("/api/v1/cases/{id}")).await;
    let record = case["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == "record")
        .unwrap();
    let rows = record["prefill"]["ids"].as_array().unwrap().clone();
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!(by_id(&rows, "somu001")["hr_status"], "in_post");
    assert_eq!(by_id(&rows, "somu002")["hr_status"], "retired");
    assert_eq!(by_id(&rows, "somu003")["hr_status"], "not_listed");
    assert_eq!(by_id(&rows, "somu001")["hr_section"], "総務課");

    // Keeping the ID of someone who has left, or one not on the list, needs a reason.
    let mut answered: Vec<Value> = rows
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r["finding"] = json!("keep");
            r
        })
        .collect();
    let (status, body) =
        w.t.act(&w.sysman, &id, "record", json!({"ids": answered}))
            .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let fields = body["error"]["fields"].as_object().unwrap();
    let retired = rows.iter().position(|r| r["user_id"] == "somu002").unwrap();
    let unlisted = rows.iter().position(|r| r["user_id"] == "somu003").unwrap();
    let kept = rows.iter().position(|r| r["user_id"] == "somu001").unwrap();
    assert!(
        fields.contains_key(&format!("ids.{retired}.keep_reason")),
        "{body}"
    );
    assert!(
        fields.contains_key(&format!("ids.{unlisted}.keep_reason")),
        "{body}"
    );
    assert!(
        !fields.contains_key(&format!("ids.{kept}.keep_reason")),
        "{body}"
    );

    // The retired holder's ID is deleted; the contractor's kept, with why.
    answered[retired]["finding"] = json!("delete");
    answered[retired]["deleted_on"] = json!("2026-06-01");
    answered[retired]["deletion_reason"] = json!("retirement");
    answered[unlisted]["keep_reason"] = json!("委託事業者の保守用ID（契約期間中）");
    let case =
        w.t.act_ok(&w.sysman, &id, "record", json!({"ids": answered}))
            .await;
    assert_eq!(case["state"], "reviewed");
    let ledger = w.t.register_data(&w.sysman, "user_ids").await;
    assert_eq!(ledger.len(), 3, "{ledger:?}");
    for row in &ledger {
        assert_eq!(row["reviewed_on"], "2026-06-01", "{row}");
    }
    assert_eq!(by_id(&ledger, "somu002")["deleted_on"], "2026-06-01");
    assert_eq!(by_id(&ledger, "somu002")["deletion_reason"], "retirement");
    assert!(by_id(&ledger, "somu001").get("deleted_on").is_none());

    // Another body sees neither the list nor the IDs.
    assert!(
        w.t.register_data(&w.town_admin, "personnel_roster")
            .await
            .is_empty()
    );
    assert!(
        w.t.register_data(&w.town_admin, "user_ids")
            .await
            .is_empty()
    );
}
