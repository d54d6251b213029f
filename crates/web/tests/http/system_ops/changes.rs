//! Item 5: a system change request (付紙様式第3) up the chain to the central administrator,
//! who asks the information-assurance officer before carrying it out.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{CALS, World, squeezed, world};
use crate::support::{history_actions, pdf_text};

fn software(action: &str) -> Value {
    json!({"system_name": CALS, "body": "防衛大学校", "staff_unit": "管理施設課",
           "staff_name": "防大 担当", "extension": "2345", "change_kind": "software",
           "change_action": action, "reason": "図面の閲覧に必要", "desired_on": "2026-06-15",
           "software_name": "図面ビューア", "software_version": "3.2", "maker": "図面社",
           "user": "防大 利用", "control_number": "NDA-PC-101"})
}

/// A request submitted and passed up to the information-assurance officer.
async fn asked(w: &World) -> String {
    let id = w
        .open(&w.staff, "change_request", &w.section, software("install"))
        .await;
    w.t.act_ok(&w.staff, &id, "submit", json!({})).await;
    w.t.act_ok(&w.ops, &id, "pass_to_administrator", json!({}))
        .await;
    w.t.act_ok(&w.nda_admin, &id, "pass_to_central", json!({}))
        .await;
    w.t.act_ok(&w.central, &id, "ask_ia_officer", json!({}))
        .await;
    id
}

#[tokio::test]
async fn a_change_goes_up_is_reviewed_for_security_and_carried_out() {
    let w = world().await;
    let id = asked(&w).await;
    // Only the system's officer answers — not the central administrator themselves.
    let (status, _) =
        w.t.act(&w.central, &id, "answer", json!({"ia_finding": "no_issue"}))
            .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    w.t.act_ok(&w.gm, &id, "answer", json!({"ia_finding": "no_issue"}))
        .await;
    let case = w.t.act_ok(
            &w.central,
            &id,
            "implement",
            json!({"implemented_on": "2026-06-12", "result": "NDA-PC-101 に図面ビューア 3.2 を導入"}),
        )
        .await;
    assert_eq!(case["state"], "implemented");
    assert_eq!(
        history_actions(&case),
        [
            "open",
            "submit",
            "pass_to_administrator",
            "pass_to_central",
            "ask_ia_officer",
            "answer",
            "implement"
        ]
    );
    assert!(
        w.notices(&w.staff)
            .await
            .iter()
            .any(|s| s.contains("変更を実施した"))
    );

    let (status, pdf) = w.document(&w.staff, &id, "request_pdf.pdf").await;
    assert_eq!(status, StatusCode::OK);
    let text = squeezed(&pdf_text(&pdf));
    for words in [
        "付紙様式第3",
        "システム変更申請書",
        "情報システム情報保証責任者 殿",
        "■ソフトウェア",
        "■インストール",
        "図面ビューア",
        "NDA-PC-101",
        "問題なし",
    ] {
        assert!(text.contains(&squeezed(words)), "{words} in {text}");
    }
    // The workbook is laid out like the form: its items in their order, then the review.
    let (status, xlsx) = w.document(&w.staff, &id, "request_xlsx.xlsx").await;
    assert_eq!(status, StatusCode::OK);
    let sheet = mamori_sheets::read(&xlsx, mamori_sheets::Limits::default()).unwrap();
    assert_eq!(sheet.header[0], "付紙様式第3");
    assert_eq!(sheet.meta("case"), Some(id.as_str()));
    let lines: Vec<String> = sheet.rows.iter().map(|(_, r)| r.join("|")).collect();
    let at = |wanted: &str| {
        lines
            .iter()
            .position(|l| l.starts_with(wanted))
            .unwrap_or_else(|| panic!("{wanted} in {lines:?}"))
    };
    assert!(at("システム変更申請書") < at("変更種別"));
    assert!(
        lines.contains(&"変更種別|ソフトウェア".to_owned()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"ソフトウェア名|図面ビューア".to_owned()),
        "{lines:?}"
    );
    assert!(at("変更種別") < at("管理番号") && at("管理番号") < at("情報保証上の影響"));
}

#[tokio::test]
async fn an_issue_found_stops_the_change() {
    let w = world().await;
    let id = asked(&w).await;
    // An issue needs its description.
    let (status, body) =
        w.t.act(&w.gm, &id, "answer", json!({"ia_finding": "issue"}))
            .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["fields"]["ia_remarks"].is_string(), "{body}");
    w.t.act_ok(
        &w.gm,
        &id,
        "answer",
        json!({"ia_finding": "issue", "ia_remarks": "外部通信を行うため不可"}),
    )
    .await;
    let (status, body) =
        w.t.act(
            &w.central,
            &id,
            "implement",
            json!({"implemented_on": "2026-06-12", "result": "導入"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("問題なし"),
        "{body}"
    );
    let (status, body) =
        w.t.post(
            &w.central,
            &format!("/api/v1/cases/{id}/actions/decline"),
            json!({"fields": {}, "comment": "情報保証上の問題があるため実施しません"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "declined");
}

#[tokio::test]
async fn a_request_that_does_not_fit_its_kind_is_refused_with_the_rule_and_kept() {
    let w = world().await;
    // Software is installed or uninstalled, never 増設.
    let id = w
        .open(&w.staff, "change_request", &w.section, software("add"))
        .await;
    let (status, body) = w.t.act(&w.staff, &id, "submit", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("第7 7(1)"),
        "{body}"
    );
    // A peripheral needs its name; the message names the field.
    let mut peripheral = software("add");
    peripheral["change_kind"] = json!("peripheral");
    peripheral["software_name"] = json!(null);
    peripheral["software_version"] = json!(null);
    let other = w
        .open(&w.staff, "change_request", &w.section, peripheral)
        .await;
    let (status, body) = w.t.act(&w.staff, &other, "submit", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["fields"]["device_name"]
            .as_str()
            .unwrap()
            .contains("周辺機器名"),
        "{body}"
    );
    // Both drafts keep what was typed.
    let case = w.case(&w.staff, &id).await;
    assert_eq!(case["state"], "draft");
    assert_eq!(case["data"]["software_name"], "図面ビューア");
    // Another tree may not open a request about the ministry's system.
    let (status, _) = w
        .t
        .post(
            &w.ko_admin,
            "/api/v1/cases",
            json!({"procedure": "mod-system-ops/change_request", "organisation": w.ko, "data": software("install")}),
        )
        .await;
    assert_ne!(status, StatusCode::CREATED);
}
