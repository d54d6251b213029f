//! The procedures that write the ledgers of part 2 (seed 004 §5): a bring-in permitted by the
//! 管理者 enters the bring-in record (5.1 注6) and is owed until the 管理者 confirms it was
//! taken home; a lost IC card is reported and stopped into the card ledger (5.4(1)); the
//! CISO's approval of a privileged-ID deputy enters the privileged-ID ledger (6.2(1)③); and a
//! log kept past its term is overdue, its keepers told, until its erasure is recorded (6.1
//! 注4). The applicant never decides their own request, and 緑町 sees none of it.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use super::ledgers::live;
use super::{City, city};

pub(super) fn message(body: &Value) -> String {
    body["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The row's date in `column`, as the API shows where it stands.
async fn date(w: &City, c: &Client, register: &str, row: &Value, column: &str) -> Value {
    let path = format!(
        "/api/v1/registers/{register}/rows/{}",
        row["id"].as_str().unwrap()
    );
    super::ledgers::date(w, c, &path, column).await
}

/// The cases `c`'s notifications are about.
pub(super) async fn told_of(w: &City, c: &Client) -> Vec<Value> {
    let (status, body) = w.t.get(c, "/api/v1/notifications").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array()
        .unwrap()
        .iter()
        .map(|n| n["case"].clone())
        .collect()
}

async fn subjects(w: &City, c: &Client) -> Vec<String> {
    let (status, body) = w.t.get(c, "/api/v1/notifications").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array()
        .unwrap()
        .iter()
        .map(|n| n["subject"].as_str().unwrap().to_owned())
        .collect()
}

/// 緑町 neither reads the case nor acts in it.
pub(super) async fn closed_to_the_town(w: &City, case: &str, action: &str) {
    let (status, _) =
        w.t.get(&w.town_admin, &format!("/api/v1/cases/{case}"))
            .await;
    assert!(
        matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{status}"
    );
    let (status, _) = w.t.act(&w.town_admin, case, action, json!({})).await;
    assert!(
        matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{status}"
    );
}

fn bring_in(requester: &str, item: &str, take_home_on: &str) -> Value {
    json!({"section": "総務課", "requester": requester, "item": item, "quantity": 1,
           "purpose": "避難所での資料閲覧", "place": "総務課 執務室",
           "brought_at": "2026-06-01T13:00", "take_home_on": take_home_on})
}

#[tokio::test]
async fn a_bring_in_the_manager_permits_enters_the_book_and_is_owed_until_confirmed_taken_home() {
    let w = city().await;
    // 5.1(1)④(ア): nothing the office did not issue comes in before the CISO's decision.
    let id = w
        .open(
            &w.staff,
            "bring_in",
            &w.section,
            bring_in("職員 五子", "私物タブレット ABC-10", "2026-05-31"),
        )
        .await;
    let (status, body) = w.t.act(&w.staff, &id, "submit", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(message(&body).contains("5.1(1)④(ア)"), "{body}");
    w.allow_byod().await;
    // A take-home day already past is refused with the reason, the draft kept.
    let (status, body) = w.t.act(&w.staff, &id, "submit", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        message(&body),
        "「持ち帰り日」が今日より前になっています。",
        "{body}"
    );
    let (status, body) =
        w.t.patch(
            &w.staff,
            &format!("/api/v1/cases/{id}"),
            json!({"data": bring_in("職員 五子", "私物タブレット ABC-10", "2026-06-03")}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let case = w.t.act_ok(&w.staff, &id, "submit", json!({})).await;
    assert_eq!(case["state"], "requested");

    // The applicant does not permit it, nor does another body.
    let (status, _) = w.t.act(&w.staff, &id, "permit", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    closed_to_the_town(&w, &id, "permit").await;
    assert!(live(&w, &w.manager, "bring_in_book").await.is_empty());

    // The 管理者 permits: a row of the bring-in record with 注6's items, and the permission.
    let case = w.t.act_ok(&w.manager, &id, "permit", json!({})).await;
    assert_eq!(case["state"], "brought_in", "{case}");
    let book = live(&w, &w.manager, "bring_in_book").await;
    assert_eq!(book.len(), 1, "{book:?}");
    assert_eq!(book[0]["organisation"], w.section.as_str());
    assert_eq!(
        book[0]["data"],
        json!({"section": "総務課", "requester": "職員 五子", "brought_at": "2026-06-01T13:00",
               "item": "私物タブレット ABC-10", "quantity": 1, "purpose": "避難所での資料閲覧",
               "place": "総務課 執務室", "take_home_on": "2026-06-03"})
    );
    let permissions = w.t.register_data(&w.manager, "permissions").await;
    let granted = permissions
        .iter()
        .find(|r| r["gate"] == "支給以外の端末等の持ち込み")
        .unwrap_or_else(|| panic!("{permissions:?}"));
    assert_eq!(granted["clause"], "5.1(1)④(ア)");
    assert_eq!(granted["subject"], "私物タブレット ABC-10");
    assert_eq!(granted["approver"], "総務課長 四郎");
    assert_eq!(granted["until_on"], "2026-06-03");

    // While the item is in the office the case waits on the 管理者, and the day is owed.
    assert!(w.t.inbox_ids(&w.manager).await.contains(&id));
    let day = date(&w, &w.manager, "bring_in_book", &book[0], "take_home_on").await;
    assert_eq!(
        (&day["means"], &day["late"]),
        (&json!("due"), &json!(false))
    );
    // 4 June, 10:00 in Tokyo: past the take-home day.
    w.hands.set("2026-06-04T01:00:00Z");
    let day = date(&w, &w.manager, "bring_in_book", &book[0], "take_home_on").await;
    assert_eq!((&day["passed"], &day["late"]), (&json!(true), &json!(true)));

    // Only the 管理者 confirms it was taken home, and not ahead of the day.
    let (status, _) =
        w.t.act(
            &w.staff,
            &id,
            "confirm_taken_home",
            json!({"taken_home_on": "2026-06-04"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    closed_to_the_town(&w, &id, "confirm_taken_home").await;
    let (status, body) =
        w.t.act(
            &w.manager,
            &id,
            "confirm_taken_home",
            json!({"taken_home_on": "2026-06-05"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        message(&body).contains("「持ち帰った日」が今日より後になっています。"),
        "{body}"
    );
    let case =
        w.t.act_ok(
            &w.manager,
            &id,
            "confirm_taken_home",
            json!({"taken_home_on": "2026-06-04"}),
        )
        .await;
    assert_eq!(case["state"], "taken_home", "{case}");
    assert!(!w.t.inbox_ids(&w.manager).await.contains(&id));
    // The same row gains the day and the 管理者の確認, and is settled.
    let book = live(&w, &w.manager, "bring_in_book").await;
    assert_eq!(book.len(), 1, "{book:?}");
    assert_eq!(book[0]["data"]["taken_home_on"], "2026-06-04");
    assert_eq!(book[0]["data"]["confirmed_by"], "総務課長 四郎");
    assert_eq!(book[0]["data"]["take_home_on"], "2026-06-03");
    let day = date(&w, &w.manager, "bring_in_book", &book[0], "take_home_on").await;
    assert_eq!(
        (&day["settled"], &day["late"]),
        (&json!(true), &json!(false))
    );
    assert!(told_of(&w, &w.staff).await.contains(&json!(id)));

    // Refused, with the reason: nothing enters the record.
    let refused = w
        .open(
            &w.staff,
            "bring_in",
            &w.section,
            bring_in("職員 五子", "私物ノートパソコン", "2026-06-10"),
        )
        .await;
    w.t.act_ok(&w.staff, &refused, "submit", json!({})).await;
    let (status, body) =
        w.t.post(
            &w.manager,
            &format!("/api/v1/cases/{refused}/actions/refuse"),
            json!({"fields": {}, "comment": "業務上の必要性が確認できません"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "refused");

    // The 管理者's own bring-in is not the 管理者's to permit (1(8)①).
    let own = w
        .open(
            &w.manager,
            "bring_in",
            &w.section,
            bring_in("総務課長 四郎", "私物スマートフォン", "2026-06-10"),
        )
        .await;
    w.t.act_ok(&w.manager, &own, "submit", json!({})).await;
    let (status, body) = w.t.act(&w.manager, &own, "permit", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(message(&body).contains("兼務の禁止"), "{body}");
    assert_eq!(live(&w, &w.manager, "bring_in_book").await.len(), 1);

    // 緑町 reads none of the record.
    assert!(live(&w, &w.town_admin, "bring_in_book").await.is_empty());
}

fn lost(card: &str, reported_at: &str) -> Value {
    json!({"holder": "職員 五子", "card_number": card, "kind": "ICカード",
           "lost_reported_at": reported_at,
           "circumstances": "6月1日朝、通勤途中に紛失に気付いた。最後に使ったのは5月29日の退庁時。"})
}

#[tokio::test]
async fn a_lost_ic_card_is_reported_to_both_stopped_by_either_and_recorded_in_the_card_ledger() {
    let w = city().await;
    // The 統括 keeps the city's card ledger; the card was issued in April.
    w.t.create(
        &w.chief,
        "/api/v1/registers/ic_cards/rows",
        json!({"organisation": w.city, "data": {"card_number": "IC-0042", "kind": "ICカード",
               "holder": "職員 五子", "issued_on": "2026-04-01"}}),
    )
    .await;

    // 5.4(1)①(ウ): the staff report it to the 統括 and the system manager.
    let id = w
        .open(
            &w.staff,
            "ic_card_loss",
            &w.section,
            lost("IC-0042", "2026-06-01T09:50"),
        )
        .await;
    let case = w.t.act_ok(&w.staff, &id, "report", json!({})).await;
    assert_eq!(case["state"], "reported");
    for keeper in [&w.chief, &w.sysman] {
        assert!(w.t.inbox_ids(keeper).await.contains(&id));
        assert!(told_of(&w, keeper).await.contains(&json!(id)));
    }
    // An hour from the report (mamori's figure for 「速やかに」).
    let (_, case) = w.t.get(&w.chief, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(case["due_at"], "2026-06-01T01:50:00Z", "{case}");
    assert_eq!(case["overdue"], false, "{case}");

    // 5.4(1)②: neither the reporter nor the 管理者 stops it, nor another body.
    let stop =
        json!({"stopped_at": "2026-06-01T10:05", "instructions": "再交付を申請してください。"});
    for c in [&w.staff, &w.manager] {
        let (status, _) = w.t.act(c, &id, "stop", stop.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    closed_to_the_town(&w, &id, "stop").await;
    // The time of the stop is recorded.
    let (status, body) = w.t.act(&w.chief, &id, "stop", json!({})).await;
    assert!(status.is_client_error(), "{body}");
    assert!(body["error"]["fields"]["stopped_at"].is_string(), "{body}");
    let case = w.t.act_ok(&w.chief, &id, "stop", stop).await;
    assert_eq!(case["state"], "stopped", "{case}");
    assert!(!w.t.inbox_ids(&w.sysman).await.contains(&id));
    assert!(told_of(&w, &w.staff).await.contains(&json!(id)));
    // The card's row keeps its issue day and gains the report and the stop.
    let cards = live(&w, &w.chief, "ic_cards").await;
    assert_eq!(cards.len(), 1, "{cards:?}");
    assert_eq!(cards[0]["organisation"], w.city.as_str());
    assert_eq!(
        cards[0]["data"],
        json!({"card_number": "IC-0042", "kind": "ICカード", "holder": "職員 五子",
               "issued_on": "2026-04-01", "lost_reported_at": "2026-06-01T09:50",
               "stopped_at": "2026-06-01T10:05"})
    );
}

#[tokio::test]
async fn the_system_managers_stop_enters_their_own_ledger_and_the_hour_runs_from_the_report() {
    let w = city().await;
    let id = w
        .open(
            &w.staff,
            "ic_card_loss",
            &w.section,
            lost("IC-0077", "2026-06-01T10:00"),
        )
        .await;
    w.t.act_ok(&w.staff, &id, "report", json!({})).await;
    let (_, case) = w.t.get(&w.sysman, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(case["due_at"], "2026-06-01T02:00:00Z", "{case}");
    assert_eq!(case["overdue"], false, "{case}");
    w.hands.set("2026-06-01T02:30:00Z");
    let (_, case) = w.t.get(&w.sysman, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(case["overdue"], true, "{case}");

    let case =
        w.t.act_ok(
            &w.sysman,
            &id,
            "stop",
            json!({"stopped_at": "2026-06-01T11:20"}),
        )
        .await;
    assert_eq!(case["state"], "stopped");
    let cards = live(&w, &w.sysman, "ic_cards").await;
    assert_eq!(cards.len(), 1, "{cards:?}");
    assert_eq!(cards[0]["organisation"], w.it.as_str());
    assert_eq!(cards[0]["data"]["card_number"], "IC-0077");
    assert_eq!(cards[0]["data"]["holder"], "職員 五子");
    assert_eq!(cards[0]["data"]["lost_reported_at"], "2026-06-01T10:00");
    assert_eq!(cards[0]["data"]["stopped_at"], "2026-06-01T11:20");
    // 緑町 reads none of the ledger.
    assert!(live(&w, &w.town_admin, "ic_cards").await.is_empty());
}

fn nomination(requester: &str, holder: &str, deputy: &str) -> Value {
    json!({"requester": requester, "system_name": "庁内ネットワーク", "privileged_id": "aoba-netadm",
           "holder": holder, "deputy": deputy, "reason": "夜間・休日の障害対応のため",
           "from_on": "2026-06-01", "until_on": "2027-03-31"})
}

#[tokio::test]
async fn a_deputy_the_ciso_approves_enters_the_privileged_id_ledger_and_everyone_is_told() {
    let w = city().await;
    // The ID is already in the system manager's ledger, without a deputy.
    w.t.create(
        &w.sysman,
        "/api/v1/registers/privileged_ids/rows",
        json!({"organisation": w.it, "data": {"system_name": "庁内ネットワーク",
               "privileged_id": "aoba-netadm", "holder": "基盤 六郎"}}),
    )
    .await;
    let id = w
        .open(
            &w.sysman,
            "privileged_deputy",
            &w.it,
            nomination("基盤 六郎", "基盤 六郎", "情報 二郎"),
        )
        .await;
    let case = w.t.act_ok(&w.sysman, &id, "submit", json!({})).await;
    assert_eq!(case["state"], "requested");
    // Only the CISO approves (6.2(1)③(イ)): not the nominator, not the 統括.
    for c in [&w.sysman, &w.chief] {
        let (status, _) = w.t.act(c, &id, "approve", json!({})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    closed_to_the_town(&w, &id, "approve").await;
    let case = w.t.act_ok(&w.ciso, &id, "approve", json!({})).await;
    assert_eq!(case["state"], "granted", "{case}");

    // The ID's row gains its deputy, who nominated them and the days; still one row.
    let ids = live(&w, &w.sysman, "privileged_ids").await;
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(ids[0]["organisation"], w.it.as_str());
    assert_eq!(
        ids[0]["data"],
        json!({"system_name": "庁内ネットワーク", "privileged_id": "aoba-netadm",
               "holder": "基盤 六郎", "deputy": "情報 二郎", "nominated_by": "基盤 六郎",
               "ciso_approved_on": "2026-06-01", "notified_on": "2026-06-01"})
    );
    let permissions = w.t.register_data(&w.chief, "permissions").await;
    let granted = permissions
        .iter()
        .find(|r| r["gate"] == "特権を代行する者の指名")
        .unwrap_or_else(|| panic!("{permissions:?}"));
    assert_eq!(granted["clause"], "6.2(1)③(イ)");
    assert_eq!(granted["subject"], "aoba-netadm");
    assert_eq!(granted["requester"], "基盤 六郎");
    assert_eq!(granted["approver"], "副市長 一郎");
    assert_eq!(granted["until_on"], "2027-03-31");
    // (ウ): the 統括, the 責任者, the 管理者 and the system manager are told at once.
    for c in [&w.chief, &w.officer, &w.manager] {
        assert!(told_of(&w, c).await.contains(&json!(id)));
    }

    // Refused, with the reason: the deputy on the ledger does not change.
    let other = w
        .open(
            &w.sysman,
            "privileged_deputy",
            &w.it,
            nomination("基盤 六郎", "基盤 六郎", "職員 五子"),
        )
        .await;
    w.t.act_ok(&w.sysman, &other, "submit", json!({})).await;
    let (status, body) =
        w.t.post(
            &w.ciso,
            &format!("/api/v1/cases/{other}/actions/refuse"),
            json!({"fields": {}, "comment": "情報システムの担当ではないため認めません"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "refused");
    let ids = live(&w, &w.sysman, "privileged_ids").await;
    assert_eq!(ids[0]["data"]["deputy"], "情報 二郎");

    // A CISO who also manages a system does not approve their own nomination (1(8)①).
    let ciso_id = w.t.id_of(&w.ciso).await;
    w.t.designate(&w.sys, "lg_system_manager", &w.city, &ciso_id)
        .await;
    let own = w
        .open(
            &w.ciso,
            "privileged_deputy",
            &w.city,
            nomination("副市長 一郎", "副市長 一郎", "情報 二郎"),
        )
        .await;
    w.t.act_ok(&w.ciso, &own, "submit", json!({})).await;
    let (status, body) = w.t.act(&w.ciso, &own, "approve", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(message(&body).contains("兼務の禁止"), "{body}");
    assert_eq!(live(&w, &w.ciso, "privileged_ids").await.len(), 1);

    // 緑町 reads none of the ledger.
    assert!(live(&w, &w.town_admin, "privileged_ids").await.is_empty());
}

#[tokio::test]
async fn a_log_past_its_term_is_overdue_and_its_keepers_told_until_its_erasure_is_recorded() {
    let w = city().await;
    let archive = |org: &str| {
        json!({"organisation": org, "data": {"system_name": "プロキシサーバ", "log": "アクセスログ",
               "period_from": "2025-04-01", "period_to": "2025-05-31",
               "kept_at": "ログ保管サーバ", "erase_by": "2026-06-10"}})
    };
    // The 統括 and the system manager keep it (6.1(6)), not the 管理者 nor the staff; the
    // refusal names who does.
    for (c, org) in [(&w.manager, &w.section), (&w.staff, &w.section)] {
        let (status, body) =
            w.t.post(c, "/api/v1/registers/log_archives/rows", archive(org))
                .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert!(message(&body).contains("「情報システム管理者」"), "{body}");
    }
    w.t.create(
        &w.sysman,
        "/api/v1/registers/log_archives/rows",
        archive(&w.it),
    )
    .await;
    let row = live(&w, &w.sysman, "log_archives").await[0].clone();
    let day = date(&w, &w.sysman, "log_archives", &row, "erase_by").await;
    assert_eq!(
        day,
        json!({"column": "erase_by", "day": "2026-06-10", "means": "due", "passed": false,
               "settled": false, "late": false})
    );

    // Seven days before, at 09:00 in Tokyo (mamori's figure), the keeper is reminded.
    w.hands.set("2026-06-02T23:59:00Z");
    assert_eq!(w.t.app.send_row_notices().await.unwrap(), 0);
    w.hands.set("2026-06-03T00:00:00Z");
    assert_eq!(w.t.app.send_row_notices().await.unwrap(), 1);
    let name = "ログの保管と消去の記録「プロキシサーバ ／ アクセスログ ／ 2025-04-01」";
    assert!(
        subjects(&w, &w.sysman)
            .await
            .contains(&format!("{name}: 保管期限（2026-06-10）が近づいています")),
    );
    // Still owed all through the day itself; after it, overdue and the keeper told once.
    w.hands.set("2026-06-10T14:59:00Z");
    assert_eq!(
        date(&w, &w.sysman, "log_archives", &row, "erase_by").await["late"],
        false
    );
    w.hands.set("2026-06-10T15:00:00Z");
    assert_eq!(w.t.app.send_row_notices().await.unwrap(), 1);
    assert_eq!(w.t.app.send_row_notices().await.unwrap(), 0);
    let day = date(&w, &w.sysman, "log_archives", &row, "erase_by").await;
    assert_eq!((&day["passed"], &day["late"]), (&json!(true), &json!(true)));
    assert!(
        subjects(&w, &w.sysman)
            .await
            .contains(&format!("{name}: 保管期限（2026-06-10）を過ぎました")),
    );

    // An erasure is recorded with who erased it and how; then nothing is owed.
    let path = format!(
        "/api/v1/registers/log_archives/rows/{}",
        row["id"].as_str().unwrap()
    );
    let (status, body) =
        w.t.patch(
            &w.sysman,
            &path,
            json!({"data": {"erased_on": "2026-06-11"}, "comment": "消去した"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let mut found: Vec<&str> = body["error"]["fields"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_str().unwrap())
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            "「消去した者」を入力してください。",
            "「消去の方法」を入力してください。"
        ]
    );
    let day = date(&w, &w.sysman, "log_archives", &row, "erase_by").await;
    assert_eq!(day["late"], true, "{day}");
    let (status, body) =
        w.t.patch(
            &w.sysman,
            &path,
            json!({"data": {"erased_on": "2026-06-11", "erased_by": "基盤 六郎",
                   "method": "ログ保管サーバから削除し、消去ソフトウェアで上書き"},
                   "comment": "保管期限切れのログを消去"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let day = date(&w, &w.sysman, "log_archives", &row, "erase_by").await;
    assert_eq!(
        (&day["settled"], &day["late"]),
        (&json!(true), &json!(false))
    );
    w.hands.set("2026-07-01T00:00:00Z");
    assert_eq!(w.t.app.send_row_notices().await.unwrap(), 0);

    // The 統括 keeps the city's own; 緑町 reads none of it.
    w.t.create(
        &w.chief,
        "/api/v1/registers/log_archives/rows",
        archive(&w.city),
    )
    .await;
    assert_eq!(live(&w, &w.chief, "log_archives").await.len(), 2);
    assert!(live(&w, &w.town_admin, "log_archives").await.is_empty());
}
