//! Media in the My Number domain (3(1)②(イ) and its commentary): blocked as a rule, each
//! take-out approved by the section's 管理者 (an import permitted by the system manager,
//! 3 解説(1)① 注2), entered in the media use record, the terminal unblocked for a window
//! holding the hand-off and blocked again; a medium not permitted or data not encrypted is
//! refused with the clause.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{City, city};

/// A take-out of the June direct-debit data for the designated bank, on 3 June at 10:00.
fn take_out() -> Value {
    json!({"requester": "職員 五子", "section": "総務課", "direction": "out",
           "media_number": "MN-USB-003", "media_kind": "USBメモリ", "terminal": "MN-PC-012",
           "data": "口座振替情報（6月分）", "purpose": "指定金融機関への口座振替情報の提供",
           "reason": "指定金融機関との間に特定通信の回線がなく、媒体で渡すほかないため",
           "counterpart": "青葉銀行", "used_at": "2026-06-03T10:00",
           "permitted_medium": true, "encrypted": true, "confidentiality": "c3"})
}

/// Settled-payment data from the bank brought in on 4 June at 15:00, another member of
/// staff present.
fn import() -> Value {
    json!({"requester": "職員 五子", "section": "総務課", "direction": "in",
           "media_number": "MN-USB-007", "media_kind": "USBメモリ", "terminal": "MN-PC-012",
           "data": "消し込みデータ（6月分）", "purpose": "指定金融機関からの消し込みデータの取り込み",
           "reason": "LGWAN-ASPで受信したデータを専用の媒体で移すほかないため",
           "counterpart": "青葉銀行", "used_at": "2026-06-04T15:00",
           "permitted_medium": true, "observation": "witness", "witness": "総務課長 四郎",
           "in_secure_area": true, "confidentiality": "c3"})
}

fn message(body: &Value) -> String {
    body["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn case(w: &City, c: &reqwest::Client, id: &str) -> Value {
    let (status, case) = w.t.get(c, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    case
}

/// The media use record's row of `media`, as the 管理者 reads it.
async fn row(w: &City, media: &str) -> Value {
    let rows = w.t.register_data(&w.manager, "mynumber_media").await;
    rows.into_iter()
        .find(|r| r["media_number"] == media)
        .unwrap_or_else(|| panic!("no row of {media}"))
}

#[tokio::test]
async fn a_take_out_is_approved_by_the_manager_recorded_unblocked_for_its_window_and_blocked_again()
{
    let w = city().await;
    let id = w
        .open(&w.staff, "mynumber_media", &w.section, take_out())
        .await;
    let case_now = w.t.act_ok(&w.staff, &id, "submit", json!({})).await;
    assert_eq!(case_now["state"], "requested");
    assert!(w.t.inbox_ids(&w.manager).await.contains(&id));

    // The system manager does not approve a take-out in the 管理者's place: the commentary
    // gives the approval to the 情報セキュリティ管理者 (3 解説(1)②(イ)).
    let (status, body) = w.t.act(&w.sysman, &id, "approve", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = w.t.act(&w.sysman, &id, "permit_import", json!({})).await;
    assert!(status.is_client_error(), "{body}");
    // Nor unblocks the terminal before the hand-off is approved.
    let window = json!({"unblock_from": "2026-06-03T09:30", "unblock_until": "2026-06-03T11:00"});
    let (status, body) = w.t.act(&w.sysman, &id, "unblock", window.clone()).await;
    assert!(status.is_client_error(), "{body}");
    assert!(
        w.t.register_data(&w.manager, "mynumber_media")
            .await
            .is_empty()
    );

    // The 管理者's approval is the approval record: a row of the media use record.
    let approved = w.t.act_ok(&w.manager, &id, "approve", json!({})).await;
    assert_eq!(approved["state"], "approved");
    assert!(w.t.inbox_ids(&w.sysman).await.contains(&id));
    let r = row(&w, "MN-USB-003").await;
    assert_eq!(r["direction"], "out");
    assert_eq!(r["media_kind"], "USBメモリ");
    assert_eq!(r["used_at"], "2026-06-03T10:00");
    assert_eq!(r["terminal"], "MN-PC-012");
    assert_eq!(r["user"], "職員 五子");
    assert_eq!(r["data"], "口座振替情報（6月分）");
    assert_eq!(r["purpose"], "指定金融機関への口座振替情報の提供");
    assert_eq!(r["recipient"], "青葉銀行");
    assert_eq!(r["permitted_medium"], true);
    assert_eq!(r["encrypted"], true);
    assert_eq!(r["approved_by"], "総務課長 四郎");
    assert_eq!(r["approved_on"], "2026-06-01");
    assert_eq!(r["confidentiality"], "c3");
    assert!(r["permitted_by"].is_null(), "{r}");
    assert!(r["unblocked_by"].is_null(), "{r}");

    // A window that ends before it starts, or leaves out the hand-off, is refused with why,
    // and nothing is unblocked.
    for (bad, needle) in [
        (
            json!({"unblock_from": "2026-06-03T11:00", "unblock_until": "2026-06-03T09:30"}),
            "「解除の終了日時」が「解除の開始日時」より前",
        ),
        (
            json!({"unblock_from": "2026-06-03T10:30", "unblock_until": "2026-06-03T11:00"}),
            "受け渡しの日時を含む時間帯",
        ),
        (
            json!({"unblock_from": "2026-06-03T08:00", "unblock_until": "2026-06-03T09:00"}),
            "受け渡しの日時を含む時間帯",
        ),
    ] {
        let (status, body) = w.t.act(&w.sysman, &id, "unblock", bad.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        assert!(message(&body).contains(needle), "{bad}: {body}");
    }
    assert_eq!(case(&w, &w.manager, &id).await["state"], "approved");
    assert!(row(&w, "MN-USB-003").await["unblocked_by"].is_null());

    // The system manager unblocks the terminal for the window: on the case and in the row,
    // and the block is owed again a quarter of an hour after the window (mamori's figure).
    let unblocked = w.t.act_ok(&w.sysman, &id, "unblock", window).await;
    assert_eq!(unblocked["state"], "unblocked");
    assert_eq!(unblocked["data"]["unblock_from"], "2026-06-03T09:30");
    assert_eq!(unblocked["data"]["unblock_until"], "2026-06-03T11:00");
    assert_eq!(unblocked["due_at"], "2026-06-03T02:15:00Z", "{unblocked}");
    let r = row(&w, "MN-USB-003").await;
    assert_eq!(r["unblocked_by"], "基盤 六郎");
    assert_eq!(r["unblocked_from"], "2026-06-03T09:30");
    assert_eq!(r["unblocked_until"], "2026-06-03T11:00");
    assert_eq!(r["approved_by"], "総務課長 四郎", "the approval stays: {r}");

    // Past it, the case is overdue until the block is recorded again.
    w.hands.set("2026-06-03T02:30:00Z");
    assert_eq!(case(&w, &w.manager, &id).await["overdue"], true);
    let (status, body) =
        w.t.act(
            &w.sysman,
            &id,
            "reblock",
            json!({"reblocked_at": "2026-06-03T09:00"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(message(&body).contains("再設定した日時"), "{body}");
    let done =
        w.t.act_ok(
            &w.sysman,
            &id,
            "reblock",
            json!({"reblocked_at": "2026-06-03T11:05"}),
        )
        .await;
    assert_eq!(done["state"], "done");
    assert_eq!(done["data"]["reblocked_at"], "2026-06-03T11:05");
    let rows = w.t.register_data(&w.manager, "mynumber_media").await;
    assert_eq!(rows.len(), 1, "one hand-off, one row: {rows:?}");
    assert_eq!(rows[0]["reblocked_at"], "2026-06-03T11:05");

    // 緑町 sees neither the case nor the record.
    let (status, _) = w.t.get(&w.town_admin, &format!("/api/v1/cases/{id}")).await;
    assert!(matches!(
        status,
        StatusCode::NOT_FOUND | StatusCode::FORBIDDEN
    ));
    assert!(
        w.t.register_data(&w.town_admin, "mynumber_media")
            .await
            .is_empty()
    );
    let (status, _) = w.t.act(&w.town_admin, &id, "reblock", json!({})).await;
    assert!(status.is_client_error());
}

#[tokio::test]
async fn a_medium_not_permitted_or_data_not_encrypted_is_refused_at_submit_and_the_draft_kept() {
    let w = city().await;
    let mut data = take_out();
    data["permitted_medium"] = json!(false);
    let id = w.open(&w.staff, "mynumber_media", &w.section, data).await;
    let (status, body) = w.t.act(&w.staff, &id, "submit", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let said = message(&body);
    assert!(
        said.contains("利用許可された媒体でないため申請できません"),
        "{body}"
    );
    assert!(said.contains("3 解説(1)②(イ)"), "{body}");
    let draft = case(&w, &w.staff, &id).await;
    assert_eq!(draft["state"], "draft");
    assert_eq!(draft["data"]["permitted_medium"], false);
    assert_eq!(draft["data"]["media_number"], "MN-USB-003");
    assert_eq!(draft["data"]["data"], "口座振替情報（6月分）");

    // A permitted medium, but the data is not encrypted.
    let mut data = take_out();
    data["encrypted"] = json!(false);
    let (status, body) =
        w.t.patch(
            &w.staff,
            &format!("/api/v1/cases/{id}"),
            json!({"data": data}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = w.t.act(&w.staff, &id, "submit", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let said = message(&body);
    assert!(said.contains("暗号化しパスワードを設定しないと"), "{body}");
    assert!(said.contains("3 解説(1)②(イ)"), "{body}");
    assert!(!said.contains("利用許可された媒体でない"), "{body}");
    let draft = case(&w, &w.staff, &id).await;
    assert_eq!(draft["state"], "draft");
    assert_eq!(draft["data"]["encrypted"], false);
    assert_eq!(draft["data"]["permitted_medium"], true);

    // Put right, it goes to the 管理者; nothing was recorded on the way.
    let (status, body) =
        w.t.patch(
            &w.staff,
            &format!("/api/v1/cases/{id}"),
            json!({"data": take_out()}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let submitted = w.t.act_ok(&w.staff, &id, "submit", json!({})).await;
    assert_eq!(submitted["state"], "requested");
    assert!(
        w.t.register_data(&w.manager, "mynumber_media")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn the_applicant_never_approves_their_own_hand_off() {
    let w = city().await;
    // The 管理者 asks as a member of the section's staff.
    let mut data = take_out();
    data["requester"] = json!("総務課長 四郎");
    let id = w.open(&w.manager, "mynumber_media", &w.section, data).await;
    w.t.act_ok(&w.manager, &id, "submit", json!({})).await;
    let (status, body) = w.t.act(&w.manager, &id, "approve", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(message(&body).contains("兼務の禁止"), "{body}");
    // Nor does the staff, or the system manager, approve it in the 管理者's place.
    for other in [&w.staff, &w.sysman] {
        let (status, body) = w.t.act(other, &id, "approve", json!({})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }
    assert_eq!(case(&w, &w.manager, &id).await["state"], "requested");
    assert!(
        w.t.register_data(&w.manager, "mynumber_media")
            .await
            .is_empty()
    );
    // Nor is its terminal unblocked.
    let (status, _) =
        w.t.act(
            &w.sysman,
            &id,
            "unblock",
            json!({"unblock_from": "2026-06-03T09:30", "unblock_until": "2026-06-03T11:00"}),
        )
        .await;
    assert!(status.is_client_error());
}

#[tokio::test]
async fn an_import_is_permitted_by_the_system_manager_observed_and_recorded() {
    let w = city().await;
    // 注2: another member of staff present or a camera, in the secured area.
    let mut data = import();
    data["observation"] = Value::Null;
    data["witness"] = Value::Null;
    let id = w.open(&w.staff, "mynumber_media", &w.section, data).await;
    let (status, body) = w.t.act(&w.staff, &id, "submit", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["fields"]["observation"].is_string(), "{body}");
    let (status, body) =
        w.t.patch(
            &w.staff,
            &format!("/api/v1/cases/{id}"),
            json!({"data": import()}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Data brought in need not be encrypted (the commentary asks it of a take-out); the
    // medium must still be a permitted one.
    w.t.act_ok(&w.staff, &id, "submit", json!({})).await;
    assert!(w.t.inbox_ids(&w.sysman).await.contains(&id));

    // The seed gives this permission to the system manager (注2), not to the 管理者.
    let (status, body) = w.t.act(&w.manager, &id, "permit_import", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = w.t.act(&w.manager, &id, "approve", json!({})).await;
    assert!(status.is_client_error(), "{body}");
    let permitted = w.t.act_ok(&w.sysman, &id, "permit_import", json!({})).await;
    assert_eq!(permitted["state"], "approved");
    let r = row(&w, "MN-USB-007").await;
    assert_eq!(r["direction"], "in");
    assert_eq!(r["permitted_by"], "基盤 六郎");
    assert_eq!(r["approved_on"], "2026-06-01");
    assert_eq!(r["observation"], "witness");
    assert_eq!(r["recipient"], "青葉銀行");
    assert!(r["approved_by"].is_null(), "{r}");
    assert!(r["encrypted"].is_null(), "{r}");

    w.t.act_ok(
        &w.sysman,
        &id,
        "unblock",
        json!({"unblock_from": "2026-06-04T14:45", "unblock_until": "2026-06-04T15:30"}),
    )
    .await;
    let done =
        w.t.act_ok(
            &w.sysman,
            &id,
            "reblock",
            json!({"reblocked_at": "2026-06-04T15:20"}),
        )
        .await;
    assert_eq!(done["state"], "done");
    let r = row(&w, "MN-USB-007").await;
    assert_eq!(r["unblocked_by"], "基盤 六郎");
    assert_eq!(r["reblocked_at"], "2026-06-04T15:20");
}
