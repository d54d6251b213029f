//! Information assets by their class (2(1), 2(2)): the asset ledger, transport and provision
//! of C2+ only with the 管理者's permission, C3 never on a non-issued device, and disposal by
//! the tiers of 図表24 with its record and the contractor's certificate.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::city;

fn handling(class: Option<&str>, protection: &str) -> Value {
    let mut data = json!({"requester": "職員 五子", "asset": "職員名簿（令和8年度）",
        "counterpart": "支所", "purpose": "異動の事務", "on": "2026-06-03", "protection": protection});
    if let Some(c) = class {
        data["confidentiality"] = json!(c);
    }
    data
}

fn message(body: &Value) -> String {
    body["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn the_asset_ledger_is_kept_by_the_section_with_the_class_and_the_recovery_time_of_a2() {
    let w = city().await;
    let row = |recovery: &str| {
        json!({"organisation": w.section, "data": {"asset": "住民記録システムの帳票", "kind": "information",
               "location": "総務課 書庫", "domain": "mynumber", "confidentiality": "c3",
               "availability": "a2", "recovery_time": recovery}})
    };
    // Staff do not keep the ledger; the 管理者 does.
    let (status, _) =
        w.t.post(
            &w.staff,
            "/api/v1/registers/information_assets/rows",
            row("4時間"),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // 可用性2: the time to recover within is asked for.
    let (status, body) =
        w.t.post(
            &w.manager,
            "/api/v1/registers/information_assets/rows",
            row(""),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["fields"]["recovery_time"].is_string(),
        "{body}"
    );
    let (status, body) =
        w.t.post(
            &w.manager,
            "/api/v1/registers/information_assets/rows",
            row("4時間"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let rows = w.t.register_data(&w.manager, "information_assets").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["confidentiality"], "c3");
    assert_eq!(rows[0]["recovery_time"], "4時間");
    // Another body sees none of it.
    let rows = w.t.register_data(&w.town_admin, "information_assets").await;
    assert!(rows.is_empty(), "{rows:?}");
}

#[tokio::test]
async fn a_c2_asset_moves_only_protected_and_with_the_managers_permission_a_c1_on_its_record() {
    let w = city().await;
    // C2 without protection: refused with the rule, and what was typed stays.
    let roster = w
        .open(
            &w.staff,
            "transport",
            &w.section,
            handling(Some("c2"), "none"),
        )
        .await;
    let (status, body) = w.t.act(&w.staff, &roster, "submit", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(message(&body).contains("2(1)"), "{body}");
    let (_, case) = w.t.get(&w.staff, &format!("/api/v1/cases/{roster}")).await;
    assert_eq!(case["state"], "draft");
    assert_eq!(case["data"]["protection"], "none");
    let (status, body) =
        w.t.patch(
            &w.staff,
            &format!("/api/v1/cases/{roster}"),
            json!({"data": handling(Some("c2"), "locked_case")}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let case = w.t.act_ok(&w.staff, &roster, "submit", json!({})).await;
    assert_eq!(case["state"], "requested");
    let case = w.t.act_ok(&w.manager, &roster, "permit", json!({})).await;
    assert_eq!(case["state"], "done");
    let rows = w.t.register_data(&w.manager, "permissions").await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["clause"], "2(2)⑧(イ)");
    assert_eq!(rows[0]["approver"], "総務課長 四郎");
    assert_eq!(rows[0]["confidentiality"], "c2");

    // The manager's own C2 provision: not the manager's to permit (1(8)①) unless it is
    // unavoidable, which needs its reason and is overseen by the CISO.
    let own = w
        .open(
            &w.manager,
            "provision",
            &w.section,
            handling(Some("c2"), "encryption"),
        )
        .await;
    w.t.act_ok(&w.manager, &own, "submit", json!({})).await;
    let (status, body) = w.t.act(&w.manager, &own, "permit", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (_, case) = w.t.get(&w.manager, &format!("/api/v1/cases/{own}")).await;
    assert_eq!(case["state"], "requested");

    // A C1 notice (or one without a mark, 注4) needs no permission.
    let notice = w
        .open(&w.staff, "transport", &w.section, handling(None, "none"))
        .await;
    let case = w.t.act_ok(&w.staff, &notice, "submit", json!({})).await;
    assert_eq!(case["state"], "done");
    assert_eq!(w.t.register_data(&w.manager, "permissions").await.len(), 1);
}

#[tokio::test]
async fn c3_is_never_worked_on_a_device_the_office_did_not_issue() {
    let w = city().await;
    w.allow_byod().await;
    let data = |class: &str| {
        json!({"requester": "職員 五子", "subject": "私物タブレットでの資料閲覧", "details": "避難所で配布資料を閲覧する",
               "reason": "支給端末が不足するため",
               "from_on": "2026-06-01", "until_on": "2026-06-30", "confidentiality": class})
    };
    let c3 = w.open(&w.staff, "byod", &w.section, data("c3")).await;
    let (status, body) = w.t.act(&w.staff, &c3, "submit", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(message(&body).contains("機密性3"), "{body}");
    let c2 = w.open(&w.staff, "byod", &w.section, data("c2")).await;
    let case = w.t.act_ok(&w.staff, &c2, "submit", json!({})).await;
    assert_eq!(case["state"], "requested");
}

#[tokio::test]
async fn a_medium_is_disposed_of_by_its_tier_recorded_and_its_certificate_owed_until_received() {
    let w = city().await;
    let disposal = |class: &str, tier: &str, method: &str, check_by: &str| {
        json!({"requester": "職員 五子", "asset": "ファイルサーバのHDD（SN-0042）", "confidentiality": class,
               "tier": tier, "method": method, "check_by": check_by,
               "contractor": "株式会社青葉リサイクル", "certificate_due_on": "2026-06-10"})
    };
    // Each mismatch with figure 24 is refused with its rule.
    for (data, needle) in [
        (
            disposal("c2", "t3", "overwrite_os", "staff_confirmed"),
            "4.1(7)",
        ),
        (
            disposal("c2", "t1", "crypto_erase", "witness"),
            "物理的に破壊",
        ),
        (
            disposal("c2", "t2", "overwrite_os", "erasure_certificate"),
            "図表24（２）",
        ),
        (
            disposal("c2", "t2", "block_erase", "staff_confirmed"),
            "完了証明書",
        ),
    ] {
        let id = w.open(&w.staff, "disposal", &w.section, data).await;
        let (status, body) = w.t.act(&w.staff, &id, "submit", json!({})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(message(&body).contains(needle), "{needle}: {body}");
    }
    let id = w
        .open(
            &w.staff,
            "disposal",
            &w.section,
            disposal("c2", "t2", "crypto_erase", "erasure_certificate"),
        )
        .await;
    w.t.act_ok(&w.staff, &id, "submit", json!({})).await;
    // Not recorded before the 管理者 permits it (2(2)⑩(ウ)).
    let (status, _) =
        w.t.act(
            &w.staff,
            &id,
            "record",
            json!({"disposed_at": "2026-06-02T10:00", "what_was_done": "暗号化消去"}),
        )
        .await;
    assert!(status.is_client_error());
    w.t.act_ok(&w.manager, &id, "permit", json!({})).await;
    let case = w
        .t
        .act_ok(
            &w.staff,
            &id,
            "record",
            json!({"disposed_at": "2026-06-02T10:00", "what_was_done": "暗号化消去の上、委託事業者へ引渡し"}),
        )
        .await;
    assert_eq!(case["state"], "awaiting_certificate");
    let (_, rows) =
        w.t.get(&w.manager, "/api/v1/registers/disposal_records/rows")
            .await;
    let row = &rows["rows"][0];
    assert_eq!(row["data"]["done_by"], "職員 五子");
    assert_eq!(
        row["data"]["what_was_done"],
        "暗号化消去の上、委託事業者へ引渡し"
    );
    assert_eq!(row["data"]["certificate_due_on"], "2026-06-10");
    // Past its day the certificate is late.
    w.hands.set("2026-06-11T01:00:00Z");
    let path = format!(
        "/api/v1/registers/disposal_records/rows/{}",
        row["id"].as_str().unwrap()
    );
    let (_, body) = w.t.get(&w.manager, &path).await;
    assert_eq!(body["dates"][0]["late"], true, "{body}");
    let case =
        w.t.act_ok(
            &w.manager,
            &id,
            "receive_certificate",
            json!({"certificate_received_on": "2026-06-11"}),
        )
        .await;
    assert_eq!(case["state"], "disposed");
    let (_, body) = w.t.get(&w.manager, &path).await;
    assert_eq!(body["dates"][0]["settled"], true, "{body}");
}

#[tokio::test]
async fn a_terms_of_service_service_never_holds_c2_and_is_used_with_the_managers_permission() {
    let w = city().await;
    let data = |class: &str| {
        json!({"requester": "職員 五子", "section": "総務課", "service": "オンラインストレージ（無料版）",
               "purpose": "市民向けイベントの告知資料の共有", "from_on": "2026-06-01", "until_on": "2027-03-31",
               "account_owner": "総務課長 四郎", "risk_accepted": true,
               "incident_terms": "約款第12条により事業者が利用者へ通知する", "confidentiality": class})
    };
    let roster = w
        .open(&w.staff, "terms_service", &w.section, data("c2"))
        .await;
    let (status, body) = w.t.act(&w.staff, &roster, "submit", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(message(&body).contains("8.2(1)"), "{body}");
    let (_, case) = w.t.get(&w.staff, &format!("/api/v1/cases/{roster}")).await;
    assert_eq!(case["state"], "draft");

    let notice = w
        .open(&w.staff, "terms_service", &w.section, data("c1"))
        .await;
    w.t.act_ok(&w.staff, &notice, "submit", json!({})).await;
    let case = w.t.act_ok(&w.manager, &notice, "permit", json!({})).await;
    assert_eq!(case["state"], "granted");
    let rows = w.t.register_data(&w.manager, "permissions").await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["clause"], "8.2(2)");
    assert_eq!(rows[0]["until_on"], "2027-03-31");
}
