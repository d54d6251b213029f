//! The policy itself (W1, W2): drafted by the 統括, resolved by the committee, adopted by the
//! head's decision and entered among the policy's versions; evaluated every fiscal year.

use reqwest::StatusCode;
use serde_json::json;

use super::city;

#[tokio::test]
async fn a_revision_is_resolved_by_the_committee_and_adopted_by_the_head() {
    let w = city().await;
    // The committee: the CISO chairs it; the CISO, the 統括 and the 責任者 sit on it.
    for (role, c) in [
        ("lg_committee_chair", &w.ciso),
        ("lg_committee_member", &w.ciso),
        ("lg_committee_member", &w.chief),
        ("lg_committee_member", &w.officer),
    ] {
        let person = w.t.id_of(c).await;
        w.t.designate(&w.sys, role, &w.city, &person).await;
    }
    let mayor =
        w.t.person(&w.sys, "青葉 市長", "mayor@aoba.example.jp", &w.city)
            .await;
    w.t.designate(&w.sys, "lg_head", &w.city, &mayor).await;
    let head =
        w.t.first_login("mayor@aoba.example.jp", "initial-pass-1")
            .await;

    let id = w
        .open(
            &w.chief,
            "policy",
            &w.city,
            json!({"document": "standard", "version": "令和8年6月改定",
                   "change_summary": "生成AIの利用に関する規定を追加", "effective_on": "2026-07-01"}),
        )
        .await;
    // The text is required before it goes to the committee.
    let (status, body) = w.t.act(&w.chief, &id, "submit", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["fields"]["text"].is_string(), "{body}");
    let (status, _) =
        w.t.attach_for(&w.chief, &id, "text", "対策基準.pdf", b"%PDF-1.4\n%%EOF\n")
            .await;
    assert_eq!(status, StatusCode::CREATED);
    w.t.act_ok(&w.chief, &id, "submit", json!({})).await;

    // Two of the three members vote; the chair records the resolution with the minutes.
    w.t.act_ok(&w.chief, &id, "vote", json!({"vote": "for"}))
        .await;
    let (status, body) = w.t.act(&w.ciso, &id, "resolve", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    w.t.act_ok(&w.officer, &id, "vote", json!({"vote": "for"}))
        .await;
    let (status, _) =
        w.t.attach_for(&w.ciso, &id, "minutes", "議事録.pdf", b"%PDF-1.4\n%%EOF\n")
            .await;
    assert_eq!(status, StatusCode::CREATED);
    let case = w.t.act_ok(&w.ciso, &id, "resolve", json!({})).await;
    assert_eq!(case["state"], "deciding", "{case}");

    // Only the head decides.
    let (status, _) = w.t.act(&w.chief, &id, "decide", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let case = w.t.act_ok(&head, &id, "decide", json!({})).await;
    assert_eq!(case["state"], "adopted");
    let rows = w.t.register_data(&w.chief, "policy_documents").await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["version"], "令和8年6月改定");
    assert_eq!(rows[0]["decided_by"], "青葉 市長");
    assert_eq!(rows[0]["effective_on"], "2026-07-01");
}

#[tokio::test]
async fn the_committee_evaluates_the_policy_every_fiscal_year() {
    let w = city().await;
    let chair = w.t.id_of(&w.ciso).await;
    w.t.designate(&w.sys, "lg_committee_chair", &w.city, &chair)
        .await;
    assert!(w.t.app.open_rounds().await.unwrap() >= 1);
    let (status, board) =
        w.t.get(&w.ciso, "/api/v1/obligations/mic-lg-security/policy_review")
            .await;
    assert_eq!(status, StatusCode::OK, "{board}");
    assert_eq!(board["lines"][0]["organisation_name"], "青葉市");
    assert_ne!(board["lines"][0]["standing"], "done");
    let (_, inbox) = w.t.get(&w.ciso, "/api/v1/inbox").await;
    let id = inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["title"].as_str().unwrap().contains("令和8年度"))
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .unwrap_or_else(|| panic!("{inbox}"));
    let (status, _) =
        w.t.patch(
            &w.ciso,
            &format!("/api/v1/cases/{id}"),
            json!({"data": {"evaluated_on": "2026-06-01", "inputs": ["audit", "self_check"],
                   "results": "規定と運用に大きな乖離はない", "revision_needed": false,
                   "improvement_plan": "研修の受講率を高める"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = w.t.act(&w.ciso, &id, "record", json!({})).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "the minutes are required: {body}"
    );
    w.t.attach_for(&w.ciso, &id, "minutes", "議事録.pdf", b"%PDF-1.4\n%%EOF\n")
        .await;
    let case = w.t.act_ok(&w.ciso, &id, "record", json!({})).await;
    assert_eq!(case["state"], "recorded");
    let (_, board) =
        w.t.get(&w.ciso, "/api/v1/obligations/mic-lg-security/policy_review")
            .await;
    assert_eq!(board["lines"][0]["standing"], "done", "{board}");
}
