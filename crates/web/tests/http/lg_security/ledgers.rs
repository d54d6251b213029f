//! The ledgers of part 2 kept by hand (seed 004 §5: L2, L4, L7, L8, L10, L13, L24–L26, L36,
//! L37): each leaves as a workbook and comes back equal, a wrong cell is named with its
//! column, a day owed is late until it is settled, and only the roles the guideline names
//! keep them — in their own organisation, never another body's.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use super::{City, city};
use crate::support::PASSWORD;

/// A sample row of one ledger: who keeps it, where, and, for a ledger the 統括 keeps for the
/// whole city, a section below where the same workbook is imported again.
struct Sample<'a> {
    register: &'static str,
    editor: &'a Client,
    org: String,
    data: Value,
    elsewhere: Option<String>,
}

fn samples(w: &City) -> Vec<Sample<'_>> {
    let sample = |register, editor, org: &String, data, elsewhere: Option<&String>| Sample {
        register,
        editor,
        org: org.clone(),
        data,
        elsewhere: elsewhere.cloned(),
    };
    vec![
        sample(
            "bring_in_book",
            &w.manager,
            &w.section,
            json!({"section": "総務課", "requester": "職員 五子", "brought_at": "2026-06-01T09:30",
                   "item": "私物タブレット", "quantity": 1, "purpose": "避難所での資料閲覧",
                   "place": "総務課 執務室", "take_home_on": "2026-06-05",
                   "confirmed_by": "総務課長 四郎"}),
            None,
        ),
        sample(
            "device_inventory",
            &w.sysman,
            &w.it,
            json!({"device": "SV-001 住民記録サーバ", "kind": "server", "system_name": "住民記録システム",
                   "managed_by": "基盤 六郎", "users": "市民課 職員（窓口端末から利用）",
                   "model": "PRIMERGY RX2540 M7", "software": "Windows Server 2022\nSQL Server 2022",
                   "dependencies": ".NET 8.0.6\nOpenSSL 3.0.13",
                   "documents": "住民記録システム 設計書 第3版",
                   "collected_by": "IT資産管理ソフトウェアによる自動収集"}),
            None,
        ),
        sample(
            "mynumber_media",
            &w.manager,
            &w.section,
            json!({"media_number": "MN-USB-003", "media_kind": "USBメモリ",
                   "used_at": "2026-06-01T14:00", "user": "職員 五子", "data": "口座振替情報（6月分）",
                   "purpose": "指定金融機関への口座振替情報の提供", "recipient": "青葉銀行",
                   "permitted_medium": true, "encrypted": true, "approved_by": "総務課長 四郎",
                   "approved_on": "2026-06-01", "confidentiality": "c3"}),
            None,
        ),
        sample(
            "software_licences",
            &w.sysman,
            &w.it,
            json!({"software_name": "一太郎", "version": "2026", "device": "PC-SOMU-012",
                   "installed_on": "2026-06-01", "licence_kind": "ボリュームライセンス",
                   "licence_count": 50, "licence_ref": "証書 LIC-2026-07（情報政策課 金庫）",
                   "permitted_by": "情報 二郎、基盤 六郎", "expires_on": "2027-03-31"}),
            None,
        ),
        sample(
            "area_entry_log",
            &w.sysman,
            &w.it,
            json!({"area": "サーバ室", "entered_at": "2026-06-01T10:15", "left_at": "2026-06-01T11:40",
                   "visitor": "保守 太郎", "company": "青葉システム株式会社", "purpose": "サーバの定期保守",
                   "id_shown": true, "escorted_by": "基盤 六郎", "confidentiality": "c2"}),
            None,
        ),
        sample(
            "user_ids",
            &w.chief,
            &w.city,
            json!({"system_name": "文書管理システム", "user_id": "somu005", "user_name": "職員 五子",
                   "staff_number": "2001", "section": "総務課", "registered_on": "2026-04-01", "changed_on": "2026-05-15",
                   "change": "異動による権限の変更", "deleted_on": "2026-05-31",
                   "deletion_reason": "transfer", "reviewed_on": "2026-05-31"}),
            Some(&w.section),
        ),
        sample(
            "privileged_ids",
            &w.sysman,
            &w.it,
            json!({"system_name": "庁内ネットワーク", "privileged_id": "aoba-netadm",
                   "holder": "基盤 六郎", "deputy": "情報 二郎", "nominated_by": "基盤 六郎",
                   "ciso_approved_on": "2026-05-20", "notified_on": "2026-05-21"}),
            None,
        ),
        sample(
            "ic_cards",
            &w.chief,
            &w.city,
            json!({"card_number": "IC-0042", "kind": "ICカード", "holder": "職員 五子",
                   "issued_on": "2026-04-01", "lost_reported_at": "2026-05-10T08:45",
                   "stopped_at": "2026-05-10T09:05", "collected_on": "2026-05-12",
                   "destroyed_on": "2026-05-13", "destruction": "破砕"}),
            Some(&w.it),
        ),
        sample(
            "backup_records",
            &w.sysman,
            &w.it,
            json!({"target": "ファイルサーバ", "taken_at": "2026-05-31T22:00", "result": "succeeded",
                   "kept_at": "北部支所 サーバ室", "offsite": true,
                   "restore_procedure": "ファイルサーバ リストア手順書 第2版",
                   "restore_tested_on": "2026-06-01", "restore_result": "restored"}),
            None,
        ),
        sample(
            "vulnerabilities",
            &w.chief,
            &w.city,
            json!({"vulnerability": "CVE-2026-12345", "system_name": "グループウェア",
                   "source": "JPCERT/CC", "learned_on": "2026-06-01", "urgency": "high",
                   "plan": "検証環境で確認してから本番に適用する。適用前にバックアップを取得する。",
                   "planned_on": "2026-06-12", "applied_on": "2026-06-11",
                   "verified_on": "2026-06-15", "verified_by": "情報 二郎"}),
            Some(&w.it),
        ),
        sample(
            "personnel_roster",
            &w.chief,
            &w.city,
            json!({"staff_number": "2001", "staff_name": "職員 五子", "section": "税務課",
                   "status": "transferred", "effective_on": "2026-04-01", "listed_on": "2026-05-31"}),
            None,
        ),
        sample(
            "log_settings",
            &w.sysman,
            &w.it,
            json!({"system_name": "インターネット接続系 プロキシサーバ", "log": "アクセスログ",
                   "items": "日時、送信元IPアドレス、利用者ID、URL、結果", "retention_months": 12,
                   "handling": "改ざんを防ぐため別のサーバに転送して保存する",
                   "on_failure": "統括情報セキュリティ責任者に報告し、復旧までの操作を記録する",
                   "review": "毎月、不審な通信の有無を点検する"}),
            None,
        ),
    ]
}

fn rows_path(register: &str) -> String {
    format!("/api/v1/registers/{register}/rows")
}

/// The live rows of a register the reader sees.
pub(super) async fn live(w: &City, c: &Client, register: &str) -> Vec<Value> {
    let (status, body) = w.t.get(c, &rows_path(register)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["rows"].as_array().unwrap().clone()
}

async fn export(w: &City, c: &Client, register: &str) -> Vec<u8> {
    let res = c
        .get(w.t.url(&format!("/api/v1/registers/{register}/export.xlsx")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{register}");
    res.bytes().await.unwrap().to_vec()
}

fn read(workbook: &[u8]) -> mamori_sheets::ReadTable {
    mamori_sheets::read(workbook, mamori_sheets::Limits::default()).unwrap()
}

pub(super) async fn import(
    w: &City,
    c: &Client,
    register: &str,
    org: &str,
    workbook: Vec<u8>,
) -> (StatusCode, Value) {
    w.t.import_rows(c, register, org, workbook).await
}

/// An exported workbook written again with `rows`, as Excel would save it.
fn rewrite(exported: &mamori_sheets::ReadTable, rows: &[Vec<String>]) -> Vec<u8> {
    let ids: Vec<&str> = exported.meta("columns").unwrap().split(',').collect();
    mamori_sheets::write(&mamori_sheets::Table {
        sheet: "台帳".into(),
        meta: exported
            .meta
            .iter()
            .filter(|(k, _)| k != "columns")
            .cloned()
            .collect(),
        columns: ids
            .iter()
            .zip(&exported.header)
            .map(|(id, label)| mamori_sheets::Column {
                id: (*id).to_owned(),
                label: label.clone(),
                width: 20.0,
            })
            .collect(),
        rows: rows.to_vec(),
    })
    .unwrap()
}

fn field_messages(body: &Value) -> Vec<String> {
    let mut found: Vec<String> = body["error"]["fields"]
        .as_object()
        .unwrap_or_else(|| panic!("no field messages in {body}"))
        .values()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    found.sort();
    found
}

/// The row's date in `column`, as the API shows where it stands.
pub(super) async fn date(w: &City, c: &Client, path: &str, column: &str) -> Value {
    let (status, body) = w.t.get(c, path).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["dates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["column"] == column)
        .unwrap_or_else(|| panic!("no date {column} in {body}"))
        .clone()
}

#[tokio::test]
async fn every_ledger_leaves_as_a_workbook_and_comes_back_equal() {
    let w = city().await;
    for s in samples(&w) {
        let register = s.register;
        let path = rows_path(register);
        let id =
            w.t.create(
                s.editor,
                &path,
                json!({"organisation": s.org, "data": s.data}),
            )
            .await;
        // Every column of the sample is one of the ledger's, kept as typed.
        let (status, row) = w.t.get(s.editor, &format!("{path}/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{register}: {row}");
        let stored = row["data"].clone();
        assert_eq!(stored, s.data, "{register}");

        let workbook = export(&w, s.editor, register).await;
        let table = read(&workbook);
        assert_eq!(table.meta("register"), Some(register));
        assert_eq!(table.rows.len(), 1, "{register}: {:?}", table.rows);

        // Into another organisation, or into the same once the row is retired.
        let target = match &s.elsewhere {
            Some(other) => other.clone(),
            None => {
                let (status, body) =
                    w.t.post(
                        s.editor,
                        &format!("{path}/{id}/retire"),
                        json!({"comment": "取込みの確認"}),
                    )
                    .await;
                assert_eq!(status, StatusCode::OK, "{register}: {body}");
                s.org.clone()
            }
        };
        let (status, body) = import(&w, s.editor, register, &target, workbook.clone()).await;
        assert_eq!(status, StatusCode::OK, "{register}: {body}");
        assert_eq!(
            body,
            json!({"added": 1, "updated": 0, "unchanged": 0}),
            "{register}"
        );
        let back: Vec<Value> = live(&w, s.editor, register)
            .await
            .into_iter()
            .filter(|r| r["organisation"] == target.as_str())
            .collect();
        assert_eq!(back.len(), 1, "{register}: {back:?}");
        assert_eq!(back[0]["data"], stored, "{register}");
        // Every column came from the workbook (a retired row comes back under its id).
        let (_, detail) =
            w.t.get(
                s.editor,
                &format!("{path}/{}", back[0]["id"].as_str().unwrap()),
            )
            .await;
        let last = detail["history"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .clone();
        assert_eq!(last["action"], "import", "{register}: {detail}");
        assert_eq!(last["change"], stored, "{register}");
        // The same workbook again changes nothing.
        let (status, body) = import(&w, s.editor, register, &target, workbook).await;
        assert_eq!(status, StatusCode::OK, "{register}: {body}");
        assert_eq!(
            body,
            json!({"added": 0, "updated": 0, "unchanged": 1}),
            "{register}"
        );
    }

    // The bring-in record's columns read as 5.1 注6 lists them, in its order.
    let table = read(&export(&w, &w.manager, "bring_in_book").await);
    assert_eq!(
        table.header[..11],
        [
            "組織",
            "所属課室名",
            "名前",
            "日時",
            "持込物",
            "個数",
            "用途",
            "持込の場所",
            "持ち帰り日",
            "持ち帰った日",
            "管理者の確認"
        ]
    );
}

#[tokio::test]
async fn a_wrong_cell_is_refused_with_its_column_named_and_nothing_is_stored() {
    let w = city().await;

    // By hand: no name, no bring-in of nothing, no 31 June.
    let (status, body) =
        w.t.post(
            &w.manager,
            &rows_path("bring_in_book"),
            json!({"organisation": w.section, "data": {"brought_at": "2026-06-01T09:30",
                   "item": "私物タブレット", "quantity": 0, "take_home_on": "2026-06-31"}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        field_messages(&body),
        [
            "「個数」は1以上にしてください。",
            "「名前」を入力してください。",
            "「持ち帰り日」は日付（例: 2026-11-22）で入力してください。",
        ]
    );
    assert!(live(&w, &w.manager, "bring_in_book").await.is_empty());

    // A deputy the CISO has not approved (6.2(1)③(イ)) is not recorded.
    let (status, body) =
        w.t.post(
            &w.sysman,
            &rows_path("privileged_ids"),
            json!({"organisation": w.it, "data": {"system_name": "庁内ネットワーク",
                   "privileged_id": "aoba-netadm", "holder": "基盤 六郎", "deputy": "情報 二郎"}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        body["error"]["fields"]["ciso_approved_on"], "「CISOが認めた日」を入力してください。",
        "{body}"
    );

    // Data leaves the My Number domain only encrypted (3 解説(1)②(イ)).
    let (status, body) =
        w.t.post(
            &w.manager,
            &rows_path("mynumber_media"),
            json!({"organisation": w.section, "data": {"media_number": "MN-USB-003",
                   "used_at": "2026-06-01T14:00", "user": "職員 五子", "data": "口座振替情報",
                   "permitted_medium": true, "encrypted": false, "approved_by": "総務課長 四郎",
                   "approved_on": "2026-06-01"}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        field_messages(&body),
        ["「データを暗号化しパスワードを設定した」を確認のうえ「はい」を選んでください。"]
    );

    // A log whose failure nobody has planned for is not a setting (6.1(6)②).
    let (status, body) =
        w.t.post(
            &w.sysman,
            &rows_path("log_settings"),
            json!({"organisation": w.it, "data": {"system_name": "プロキシサーバ", "log": "アクセスログ",
                   "items": "日時、URL", "retention_months": 12}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        field_messages(&body),
        ["「ログが取得できなくなった場合の対処」を入力してください。"]
    );

    // Through Excel: each wrong cell is named by its row and column, and none is stored.
    w.t.create(
        &w.chief,
        &rows_path("vulnerabilities"),
        json!({"organisation": w.city, "data": {"vulnerability": "CVE-2026-12345",
               "system_name": "グループウェア", "urgency": "high", "planned_on": "2026-06-12"}}),
    )
    .await;
    let exported = read(&export(&w, &w.chief, "vulnerabilities").await);
    let ids: Vec<&str> = exported.meta("columns").unwrap().split(',').collect();
    let at = |column: &str| ids.iter().position(|i| *i == column).unwrap();
    let mut rows: Vec<Vec<String>> = exported.rows.iter().map(|(_, r)| r.clone()).collect();
    let mut add = |hole: &str, urgency: &str, planned: &str| {
        let mut r = vec![String::new(); ids.len()];
        r[at("vulnerability")] = hole.into();
        r[at("system_name")] = "メールサーバ".into();
        r[at("urgency")] = urgency.into();
        r[at("planned_on")] = planned.into();
        rows.push(r);
    };
    add("CVE-2026-20001", "至急", "2026-06-20");
    add("CVE-2026-20002", "深刻（直ちに対応）", "2026-06-31");
    add("CVE-2026-20003", "低", "2026-07-01");
    let (status, body) = import(
        &w,
        &w.chief,
        "vulnerabilities",
        &w.city,
        rewrite(&exported, &rows),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        field_messages(&body),
        [
            "「3行目 緊急度」は選択肢から選んでください。",
            "「4行目 実施予定日」は日付（例: 2026-11-22）で入力してください。",
        ]
    );
    assert_eq!(live(&w, &w.chief, "vulnerabilities").await.len(), 1);
    // Put right, the rows go in: a choice by its label, as the workbook shows it.
    rows[1][at("urgency")] = "高".into();
    rows[2][at("planned_on")] = "2026-06-30".into();
    let (status, body) = import(
        &w,
        &w.chief,
        "vulnerabilities",
        &w.city,
        rewrite(&exported, &rows),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"added": 3, "updated": 0, "unchanged": 1}));
    let rows = live(&w, &w.chief, "vulnerabilities").await;
    let serious = rows
        .iter()
        .find(|r| r["data"]["vulnerability"] == "CVE-2026-20002")
        .unwrap();
    assert_eq!(serious["data"]["urgency"], "critical", "{serious}");
}

#[tokio::test]
async fn a_day_owed_is_late_once_past_until_it_is_settled() {
    let w = city().await;

    // 持ち帰り日 (5.1 注6): owed until the device has been taken home.
    let id =
        w.t.create(
            &w.manager,
            &rows_path("bring_in_book"),
            json!({"organisation": w.section, "data": {"requester": "職員 五子",
                   "brought_at": "2026-06-01T09:30", "item": "私物タブレット", "quantity": 1,
                   "take_home_on": "2026-06-03"}}),
        )
        .await;
    let path = format!("{}/{id}", rows_path("bring_in_book"));
    let day = date(&w, &w.manager, &path, "take_home_on").await;
    assert_eq!(day["means"], "due", "{day}");
    assert_eq!(day["late"], false, "{day}");
    // Still owed all through the day itself (3 June, Tokyo).
    w.hands.set("2026-06-03T14:00:00Z");
    assert_eq!(
        date(&w, &w.manager, &path, "take_home_on").await["late"],
        false
    );
    // 4 June, 10:00 in Tokyo: overdue.
    w.hands.set("2026-06-04T01:00:00Z");
    let day = date(&w, &w.manager, &path, "take_home_on").await;
    assert_eq!((&day["passed"], &day["late"]), (&json!(true), &json!(true)));
    let (status, body) =
        w.t.patch(
            &w.manager,
            &path,
            json!({"data": {"taken_home_on": "2026-06-04"}, "comment": "持ち帰りを確認"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let day = date(&w, &w.manager, &path, "take_home_on").await;
    assert_eq!(day["settled"], true, "{day}");
    assert_eq!(day["late"], false, "{day}");

    // The fix planned for a security hole (6.6 注2): owed until applied.
    let id =
        w.t.create(
            &w.sysman,
            &rows_path("vulnerabilities"),
            json!({"organisation": w.it, "data": {"vulnerability": "CVE-2026-12345",
                   "system_name": "グループウェア", "source": "IPA", "urgency": "high",
                   "plan": "夜間に適用する", "planned_on": "2026-06-10"}}),
        )
        .await;
    let path = format!("{}/{id}", rows_path("vulnerabilities"));
    assert_eq!(
        date(&w, &w.sysman, &path, "planned_on").await["late"],
        false
    );
    w.hands.set("2026-06-11T01:00:00Z");
    let day = date(&w, &w.sysman, &path, "planned_on").await;
    assert_eq!(day["late"], true, "{day}");
    // Checking it is no substitute for applying it: still late.
    let (status, body) =
        w.t.patch(
            &w.sysman,
            &path,
            json!({"data": {"verified_on": "2026-06-11"}, "comment": "未適用を確認"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(date(&w, &w.sysman, &path, "planned_on").await["late"], true);
    let (status, body) =
        w.t.patch(
            &w.sysman,
            &path,
            json!({"data": {"applied_on": "2026-06-11"}, "comment": "パッチを適用"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let day = date(&w, &w.sysman, &path, "planned_on").await;
    assert_eq!(
        (&day["settled"], &day["late"]),
        (&json!(true), &json!(false))
    );

    // A licence holds through its last day and has lapsed after it.
    let id =
        w.t.create(
            &w.sysman,
            &rows_path("software_licences"),
            json!({"organisation": w.it, "data": {"software_name": "一太郎", "device": "PC-SOMU-012",
                   "expires_on": "2026-06-30"}}),
        )
        .await;
    let path = format!("{}/{id}", rows_path("software_licences"));
    w.hands.set("2026-06-30T14:00:00Z");
    let day = date(&w, &w.sysman, &path, "expires_on").await;
    assert_eq!(
        (&day["means"], &day["late"]),
        (&json!("expires"), &json!(false))
    );
    w.hands.set("2026-06-30T15:00:00Z");
    assert_eq!(date(&w, &w.sysman, &path, "expires_on").await["late"], true);

    // Where the guideline gives no reminder, the procedures page says whose figure it is.
    let browser = w.t.browser("manager@aoba.example.jp", PASSWORD).await;
    let page = w.t.html(&browser, "/procedures").await;
    assert!(
        page.contains("持ち込みの持ち帰り日の前日")
            && page.contains("セキュリティホールへの対策の実施予定日の3日前")
            && page.contains("mamori の既定値"),
        "{page}"
    );
}

#[tokio::test]
async fn only_the_keepers_the_guideline_names_write_and_another_body_sees_nothing() {
    let w = city().await;
    let bring_in = |org: &str| {
        json!({"organisation": org, "data": {"requester": "職員 五子",
               "brought_at": "2026-06-01T09:30", "item": "私物タブレット"}})
    };
    // The 持ち込み記録簿 is the 管理者's (5.1(1)⑤): not the staff's, and the refusal names
    // who keeps it.
    let (status, body) =
        w.t.post(&w.staff, &rows_path("bring_in_book"), bring_in(&w.section))
            .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("「情報セキュリティ管理者」"),
        "{body}"
    );
    // Nor the system manager's, nor the 管理者's in a section not theirs.
    let (status, _) =
        w.t.post(&w.sysman, &rows_path("bring_in_book"), bring_in(&w.it))
            .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) =
        w.t.post(&w.manager, &rows_path("bring_in_book"), bring_in(&w.it))
            .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let id =
        w.t.create(
            &w.manager,
            &rows_path("bring_in_book"),
            bring_in(&w.section),
        )
        .await;
    let path = format!("{}/{id}", rows_path("bring_in_book"));
    let (status, _) =
        w.t.patch(
            &w.staff,
            &path,
            json!({"data": {"taken_home_on": "2026-06-02"}, "comment": "持ち帰った"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) =
        w.t.post(
            &w.staff,
            &format!("{path}/retire"),
            json!({"comment": "不要"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let workbook = export(&w, &w.manager, "bring_in_book").await;
    let (status, _) = import(&w, &w.staff, "bring_in_book", &w.section, workbook).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The My Number media record: the 管理者 or the system manager, not the staff.
    let (status, _) =
        w.t.post(
            &w.staff,
            &rows_path("mynumber_media"),
            json!({"organisation": w.section, "data": {"media_number": "MN-USB-003",
                   "used_at": "2026-06-01T14:00", "user": "職員 五子", "data": "口座振替情報",
                   "permitted_medium": true, "encrypted": true, "approved_by": "職員 五子",
                   "approved_on": "2026-06-01"}}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The 統括 and the system manager keep the user IDs (6.2(1)②), not the 管理者; the
    // system manager only for 情報政策課, the 統括 anywhere in the city.
    let ids = |org: &str| {
        json!({"organisation": org, "data": {"system_name": "文書管理システム",
               "user_id": "somu005", "user_name": "職員 五子"}})
    };
    let (status, _) =
        w.t.post(&w.manager, &rows_path("user_ids"), ids(&w.section))
            .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) =
        w.t.post(&w.sysman, &rows_path("user_ids"), ids(&w.section))
            .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    w.t.create(&w.sysman, &rows_path("user_ids"), ids(&w.it))
        .await;
    w.t.create(&w.chief, &rows_path("user_ids"), ids(&w.section))
        .await;

    // 緑町 sees none of 青葉市's rows, nor writes any.
    for s in samples(&w) {
        if s.register != "bring_in_book" && s.register != "user_ids" {
            w.t.create(
                s.editor,
                &rows_path(s.register),
                json!({"organisation": s.org, "data": s.data}),
            )
            .await;
        }
        let ours = live(&w, s.editor, s.register).await;
        assert!(!ours.is_empty(), "{}", s.register);
        assert!(
            live(&w, &w.town_admin, s.register).await.is_empty(),
            "{}",
            s.register
        );
        let (status, _) =
            w.t.get(
                &w.town_admin,
                &format!(
                    "{}/{}",
                    rows_path(s.register),
                    ours[0]["id"].as_str().unwrap()
                ),
            )
            .await;
        assert!(
            matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{}: {status}",
            s.register
        );
        assert!(
            read(&export(&w, &w.town_admin, s.register).await)
                .rows
                .is_empty(),
            "{}",
            s.register
        );
        let (status, _) =
            w.t.post(
                &w.town_admin,
                &rows_path(s.register),
                json!({"organisation": s.org, "data": s.data}),
            )
            .await;
        assert!(
            matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{}: {status}",
            s.register
        );
    }
}
