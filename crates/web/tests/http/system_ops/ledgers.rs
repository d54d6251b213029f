//! Item 4: the equipment ledger of mobile terminals (付紙様式第2), overdue when a period of
//! use ends without the terminal coming back; only centrally stored media may be used.

use reqwest::StatusCode;
use serde_json::json;

use super::{CALS, squeezed, world};
use crate::support::pdf_text;

#[tokio::test]
async fn a_terminal_not_back_when_its_period_ends_is_overdue_until_returned() {
    let w = world().await;
    let row = |until: &str| {
        json!({"organisation": w.section, "data": {
            "system_name": CALS, "control_number": "DFIS-T-012", "model": "TB-20",
            "use_from": "2026-05-25", "use_until": until, "user_name": "防衛 一郎",
            "purpose": "データ入力作業", "storage": "管理施設課 施錠書庫"}})
    };
    // A missing item is named, and nothing is stored.
    let (status, body) = w
        .t
        .post(
            &w.staff,
            "/api/v1/registers/mobile_terminals/rows",
            json!({"organisation": w.section, "data": {"system_name": CALS, "control_number": "DFIS-T-012"}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["fields"]["model"].is_string(), "{body}");
    // Only the system staff keep it: not the user.
    let (status, _) =
        w.t.post(
            &w.user,
            "/api/v1/registers/mobile_terminals/rows",
            row("2026-05-29"),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, body) =
        w.t.post(
            &w.staff,
            "/api/v1/registers/mobile_terminals/rows",
            row("2026-05-29"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/registers/mobile_terminals/rows/{id}");
    let (_, body) = w.t.get(&w.staff, &path).await;
    assert_eq!(body["dates"][0]["late"], true, "{body}");

    // Returned: nothing is owed any more.
    let (status, body) =
        w.t.patch(
            &w.staff,
            &path,
            json!({"data": {"returned_on": "2026-06-01"}, "comment": "返却を確認"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, body) = w.t.get(&w.staff, &path).await;
    assert_eq!(body["dates"][0]["settled"], true, "{body}");
    assert_eq!(body["dates"][0]["late"], false, "{body}");
    // Another tree sees none of it.
    let (status, _) = w.t.get(&w.ko_admin, &path).await;
    assert!(matches!(
        status,
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ));

    // Printed as 付紙様式第2: the section's ledger, one line per period of use.
    let ledger = |file: &str, org: &str| {
        format!("/api/v1/registers/mobile_terminals/documents/{file}?organisation={org}")
    };
    let (status, pdf) = w
        .file(&w.staff, &ledger("ledger_pdf.pdf", &w.section))
        .await;
    assert_eq!(status, StatusCode::OK);
    let text = squeezed(&pdf_text(&pdf));
    for words in [
        "付紙様式第2",
        "機器等管理簿",
        "管理施設課",
        "DFIS-T-012",
        "令和8年5月25日～",
        "防衛一郎",
        "データ入力作業",
        "返却",
    ] {
        assert!(text.contains(&squeezed(words)), "{words} in {text}");
    }
    let (status, xlsx) = w
        .file(&w.staff, &ledger("ledger_xlsx.xlsx", &w.section))
        .await;
    assert_eq!(status, StatusCode::OK);
    let sheet = mamori_sheets::read(&xlsx, mamori_sheets::Limits::default()).unwrap();
    let lines: Vec<String> = sheet.rows.iter().map(|(_, r)| r.join("|")).collect();
    assert!(
        lines.contains(
            &"システム名称|管理番号|型式|利用期間（年月日～年月日）|使用者名|使用目的|備考"
                .to_owned()
        ),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with(
            "建設CALS|DFIS-T-012|TB-20|令和8年5月25日～令和8年5月29日|防衛 一郎|データ入力作業|"
        )),
        "{lines:?}"
    );
    // 甲社 may not print the section's ledger, nor learn its name; its own is empty.
    let (status, body) = w
        .file(&w.ko_admin, &ledger("ledger_pdf.pdf", &w.section))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!String::from_utf8_lossy(&body).contains("管理施設課"));
    let (status, xlsx) = w
        .file(
            &w.ko_admin,
            "/api/v1/registers/mobile_terminals/documents/ledger_xlsx.xlsx",
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let sheet = mamori_sheets::read(&xlsx, mamori_sheets::Limits::default()).unwrap();
    assert!(
        !sheet.rows.iter().any(|(_, r)| r.join("").contains("DFIS")),
        "{:?}",
        sheet.rows
    );
    // The register's page links both, where the staff print the ledger from.
    let browser =
        w.t.browser("staff@nda.example.jp", crate::support::PASSWORD)
            .await;
    let page = w.t.html(&browser, "/registers/mobile_terminals").await;
    for link in [
        "/api/v1/registers/mobile_terminals/documents/ledger_pdf.pdf",
        "/api/v1/registers/mobile_terminals/documents/ledger_xlsx.xlsx",
        "機器等管理簿 付紙様式第2（PDF）",
    ] {
        assert!(page.contains(link), "{link} in {page}");
    }
    // Where the rules give no figure, the procedures page says the one used is mamori's.
    let page = w.t.html(&browser, "/procedures").await;
    assert!(
        page.contains("移動端末の利用期間の終了前日の通知") && page.contains("mamori の既定値"),
        "{page}"
    );
    // An unknown document is not found.
    let (status, _) = w
        .file(
            &w.staff,
            "/api/v1/registers/mobile_terminals/documents/ledger_pdf.xlsx",
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn only_a_centrally_stored_medium_may_carry_data_out() {
    let w = world().await;
    let release = w
        .open(
            &w.staff,
            "encryption_release",
            &w.section,
            json!({"system_name": CALS, "contents": "neither", "data_description": "工事写真",
                   "purpose": "工事業者への提供", "recipient": "乙建設", "media_number": "USB-007"}),
        )
        .await;
    let (status, body) = w.t.act(&w.staff, &release, "request", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("集中保管"),
        "{body}"
    );
    let (status, body) =
        w.t.post(
            &w.nda_admin,
            "/api/v1/registers/stored_media/rows",
            json!({"organisation": w.nda, "data": {"media_number": "USB-007", "kind": "usb",
                   "stored_by": "防衛大学校 部隊等情報保証責任者", "stored_at": "総務課 金庫"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let case = w.t.act_ok(&w.staff, &release, "request", json!({})).await;
    assert_eq!(case["state"], "at_system_administrator");
}
