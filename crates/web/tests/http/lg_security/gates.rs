//! The permission and approval gates (digest §4.1): each asked, refused to its own
//! requester (1(8)), given — by both parties where two must permit —, refused, and entered
//! in the register of permissions.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use super::{City, city};

/// A gate, who asks it from where, and who decides, in order.
struct Gate<'a> {
    procedure: &'static str,
    title: &'static str,
    requester: (&'a Client, &'static str, &'a str),
    approvers: Vec<(&'a Client, &'static str)>,
    action: &'static str,
}

pub(super) fn request(subject: &str, requester: &str) -> Value {
    json!({"requester": requester, "subject": subject, "details": "詳細は別紙のとおり",
           "reason": "業務上必要なため", "from_on": "2026-06-01", "until_on": "2026-06-30"})
}

fn gates(w: &City) -> Vec<Gate<'_>> {
    let staff = (&w.staff, "職員 五子", w.section.as_str());
    let sysman = (&w.sysman, "基盤 六郎", w.it.as_str());
    let manager = (&w.manager, "総務課長 四郎");
    let chief = (&w.chief, "情報 二郎");
    let system = (&w.sysman, "基盤 六郎");
    let ciso = (&w.ciso, "副市長 一郎");
    let officer = (&w.officer, "総務 三郎");
    let gate = |procedure, title, requester, approvers, action| Gate {
        procedure,
        title,
        requester,
        approvers,
        action,
    };
    vec![
        gate(
            "offsite_work",
            "外部での情報処理作業",
            staff,
            vec![manager],
            "permit",
        ),
        gate(
            "security_setting",
            "セキュリティ機能の設定変更",
            staff,
            vec![manager],
            "permit",
        ),
        gate(
            "third_party_view",
            "第三者による情報の閲覧",
            staff,
            vec![manager],
            "permit",
        ),
        gate(
            "software_install",
            "ソフトウェアの導入",
            staff,
            vec![chief, system],
            "permit",
        ),
        gate(
            "hardware_change",
            "機器の改造・増設・交換",
            staff,
            vec![chief, system],
            "permit",
        ),
        gate(
            "network_connect",
            "端末のネットワーク接続",
            staff,
            vec![chief],
            "permit",
        ),
        gate(
            "remote_access",
            "外部からのアクセス",
            staff,
            vec![chief, system],
            "permit",
        ),
        gate(
            "brought_in_device",
            "持ち込んだ端末の庁内ネットワーク接続",
            staff,
            vec![manager],
            "permit",
        ),
        gate(
            "public_wifi",
            "公衆通信回線の庁内ネットワーク接続",
            staff,
            vec![chief],
            "permit",
        ),
        gate(
            "external_network",
            "外部ネットワークとの接続",
            sysman,
            vec![ciso, chief],
            "permit",
        ),
        gate(
            "info_exchange",
            "他団体との情報システムに関する情報等の交換",
            sysman,
            vec![chief, officer],
            "permit",
        ),
        gate(
            "offsite_server",
            "庁外への機器の設置",
            sysman,
            vec![ciso],
            "approve",
        ),
        // privileged_deputy names the ID and its deputy on a form of its own: see
        // ledger_procedures.rs.
    ]
}

#[tokio::test]
async fn every_gate_is_asked_refused_to_its_requester_given_by_its_parties_and_recorded() {
    let w = city().await;
    for g in gates(&w) {
        let (requester, name, org) = g.requester;
        let subject = format!("{} の対象", g.title);
        let id = w
            .open(requester, g.procedure, org, request(&subject, name))
            .await;
        w.t.act_ok(requester, &id, "submit", json!({})).await;
        // 1(8)①: the requester never decides their own request.
        let (status, body) = w.t.act(requester, &id, g.action, json!({})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{}: {body}", g.procedure);
        // Another body decides nothing.
        let (status, _) = w.t.act(&w.town_admin, &id, g.action, json!({})).await;
        assert!(
            matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{}",
            g.procedure
        );
        let last = g.approvers.len() - 1;
        for (n, (approver, _)) in g.approvers.iter().enumerate() {
            let case = w.t.act_ok(approver, &id, g.action, json!({})).await;
            if n < last {
                // Two must permit: the first leaves it waiting on the other.
                assert_eq!(case["state"], "requested", "{}", g.procedure);
                let (_, again) = w.t.act(approver, &id, g.action, json!({})).await;
                assert!(
                    again.to_string().contains("すでに") || again["error"].is_object(),
                    "{}: the same party cannot give it twice: {again}",
                    g.procedure
                );
            } else {
                assert_eq!(case["state"], "granted", "{}: {case}", g.procedure);
            }
        }
        let rows = w.t.register_data(&w.chief, "permissions").await;
        let row = rows
            .iter()
            .find(|r| r["gate"] == g.title && r["subject"] == subject.as_str())
            .unwrap_or_else(|| panic!("{}: {rows:?}", g.procedure));
        assert_eq!(row["requester"], name);
        assert_eq!(row["approver"], g.approvers[last].1, "{}", g.procedure);
        assert_eq!(row["until_on"], "2026-06-30");

        // Refused once, by either party, with the reason: nothing enters the register.
        let refused = format!("{} の却下分", g.title);
        let id = w
            .open(requester, g.procedure, org, request(&refused, name))
            .await;
        w.t.act_ok(requester, &id, "submit", json!({})).await;
        let (status, body) =
            w.t.post(
                g.approvers[0].0,
                &format!("/api/v1/cases/{id}/actions/refuse"),
                json!({"fields": {}, "comment": "業務上の必要性が確認できません"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{}: {body}", g.procedure);
        assert_eq!(body["state"], "refused");
        assert!(
            !w.t.register_data(&w.chief, "permissions")
                .await
                .iter()
                .any(|r| r["subject"] == refused.as_str())
        );
    }
    // 緑町 reads none of the city's permissions.
    assert!(
        w.t.register_data(&w.town_admin, "permissions")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn a_take_out_is_permitted_by_the_manager_alone_and_enters_the_take_out_record() {
    let w = city().await;
    let take_out = |name: &str, return_on: &str| {
        json!({"section": "総務課", "requester": name, "kind": "mobile", "item": "ノートパソコン KT-0123",
               "quantity": 1, "purpose": "出張先での会議資料の説明", "destination": "県庁",
               "taken_at": "2026-06-02T09:00:00", "return_on": return_on})
    };
    // A return day already past is refused with the reason, the draft kept.
    let id = w
        .open(
            &w.staff,
            "take_out",
            &w.section,
            take_out("職員 五子", "2026-05-31"),
        )
        .await;
    let (status, body) = w.t.act(&w.staff, &id, "submit", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("返却日")
    );
    let (status, _) =
        w.t.patch(
            &w.staff,
            &format!("/api/v1/cases/{id}"),
            json!({"data": take_out("職員 五子", "2026-06-03")}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    w.t.act_ok(&w.staff, &id, "submit", json!({})).await;
    w.t.act_ok(&w.manager, &id, "permit", json!({})).await;
    let book = w.t.register_data(&w.manager, "take_out_book").await;
    assert_eq!(book.len(), 1, "{book:?}");
    assert_eq!(book[0]["item"], "ノートパソコン KT-0123");
    assert_eq!(book[0]["return_on"], "2026-06-03");
    assert!(book[0].get("confirmed_by").is_none(), "{book:?}");
    let (_, case) = w.t.get(&w.staff, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(case["state"], "granted");

    // The day before the return day the borrower and the manager are reminded, with the
    // case; once it has passed, both are told it is overdue.
    let subjects = |c: &Client| {
        let c = c.clone();
        let t = &w.t;
        async move {
            let (_, body) = t.get(&c, "/api/v1/notifications").await;
            body.as_array()
                .unwrap()
                .iter()
                .map(|n| (n["subject"].as_str().unwrap().to_owned(), n["case"].clone()))
                .collect::<Vec<_>>()
        }
    };
    // Two notices each time: the record's return day, and the permission, which ends on it.
    w.hands.set("2026-06-02T01:00:00Z");
    assert_eq!(w.t.app.send_row_notices().await.unwrap(), 2);
    let near = "持ち出し記録簿「ノートパソコン KT-0123 ／ 2026-06-02T09:00 ／ 職員 五子」: 返却日（2026-06-03）が近づいています";
    for c in [&w.staff, &w.manager] {
        let told = subjects(c).await;
        assert!(
            told.iter()
                .any(|(s, case)| s == near && *case == id.as_str()),
            "{told:?}"
        );
    }
    w.hands.set("2026-06-04T01:00:00Z");
    assert_eq!(w.t.app.send_row_notices().await.unwrap(), 2);
    let late = "持ち出し記録簿「ノートパソコン KT-0123 ／ 2026-06-02T09:00 ／ 職員 五子」: 返却日（2026-06-03）を過ぎました";
    for c in [&w.staff, &w.manager] {
        assert!(subjects(c).await.iter().any(|(s, _)| s == late));
    }
    // Only the 管理者 confirms the return: it completes the record and nothing is owed.
    let (status, _) = w.t.act(&w.staff, &id, "confirm_return", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let case =
        w.t.act_ok(&w.manager, &id, "confirm_return", json!({}))
            .await;
    assert_eq!(case["state"], "returned");
    let book = w.t.register_data(&w.manager, "take_out_book").await;
    assert_eq!(book[0]["returned_on"], "2026-06-04");
    assert_eq!(book[0]["confirmed_by"], "総務課長 四郎");
    w.hands.set("2026-06-10T01:00:00Z");
    assert_eq!(w.t.app.send_row_notices().await.unwrap(), 0);
    // Another body sees none of it.
    assert!(
        w.t.register_data(&w.town_admin, "take_out_book")
            .await
            .is_empty()
    );

    // The manager's own take-out waits on someone else: the manager cannot permit it.
    let own = w
        .open(
            &w.manager,
            "take_out",
            &w.section,
            take_out("総務課長 四郎", "2026-06-15"),
        )
        .await;
    w.t.act_ok(&w.manager, &own, "submit", json!({})).await;
    let (status, body) = w.t.act(&w.manager, &own, "permit", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("兼務の禁止"),
        "{body}"
    );
}

#[tokio::test]
async fn non_issued_devices_wait_for_the_ciso_and_allowed_software_skips_the_gate() {
    let w = city().await;
    let byod = w
        .open(
            &w.staff,
            "byod",
            &w.section,
            super::gates::request("私物のタブレット", "職員 五子"),
        )
        .await;
    let (status, body) = w.t.act(&w.staff, &byod, "submit", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("5.1(1)④(ア)"),
        "{body}"
    );
    // The CISO decides that such devices may be used at all; then the manager permits each.
    w.allow_byod().await;
    w.t.act_ok(&w.staff, &byod, "submit", json!({})).await;
    let case = w.t.act_ok(&w.manager, &byod, "permit", json!({})).await;
    assert_eq!(case["state"], "granted");

    // Software the 統括 has allowed for everyone needs no request.
    w.t.create(
        &w.chief,
        "/api/v1/registers/allowed_software/rows",
        json!({"organisation": w.city, "data": {"software_name": "PDF閲覧ソフト", "allowed_on": "2026-04-01"}}),
    )
    .await;
    let listed = w
        .open(
            &w.staff,
            "software_install",
            &w.section,
            super::gates::request("PDF閲覧ソフト", "職員 五子"),
        )
        .await;
    let case = w.t.act_ok(&w.staff, &listed, "submit", json!({})).await;
    assert_eq!(case["state"], "listed", "{case}");
}
