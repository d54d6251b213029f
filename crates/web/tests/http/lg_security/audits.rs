//! Audits (9.1): under the plan the committee approved, the audit lead has the audited
//! section audited and reports to the committee with the working papers and the report kept;
//! the CISO orders the section's 管理者 to deal with the findings and every other 管理者 to
//! check for the same issue, each answering on the case; the section records its
//! improvement and the follow-up audit closes it into the audit results. 緑町 sees none of it.

use reqwest::StatusCode;
use serde_json::json;

use super::city;
use super::ledger_procedures::{closed_to_the_town, message, told_of};
use super::ledgers::live;
use super::plans::{PDF, seat_committee};

#[tokio::test]
async fn an_audit_under_the_approved_plan_is_reported_ordered_answered_improved_and_followed_up() {
    let w = city().await;
    seat_committee(&w).await;
    let tax = w.t.org(&w.sys, "税務課", "department", Some(&w.city)).await;
    let mut people =
        w.t.people(
            &w.sys,
            &[
                (
                    "監査 統括",
                    "audit@aoba.example.jp",
                    &w.city,
                    "lg_audit_lead",
                ),
                ("税務課長 九郎", "tax@aoba.example.jp", &tax, "lg_manager"),
            ],
        )
        .await
        .into_iter();
    let (lead, tax_manager) = (people.next().unwrap(), people.next().unwrap());
    let audit = json!({"fiscal_year": "令和7年度", "subject": "総務課の情報セキュリティ監査",
                       "items": "記録媒体の管理、持ち出しの管理", "auditors": "監査法人（外部監査人）",
                       "independent": true});
    let id = w.open(&lead, "audit", &w.section, audit.clone()).await;
    // 9.1(3)①: no audit without the year's plan approved by the committee.
    let (status, body) = w.t.act(&lead, &id, "begin", json!({})).await;
    assert!(status.is_client_error(), "{body}");
    assert!(message(&body).contains("監査実施計画"), "{body}");
    w.t.create(
        &w.ciso,
        "/api/v1/registers/lg_plans/rows",
        json!({"organisation": w.city, "data": {"kind": "audit", "fiscal_year": "令和8年度",
               "title": "令和8年度 情報セキュリティ監査実施計画", "approved_on": "2026-05-20"}}),
    )
    .await;
    let mut this_year = audit;
    this_year["fiscal_year"] = json!("令和8年度");
    let (status, _) =
        w.t.patch(
            &lead,
            &format!("/api/v1/cases/{id}"),
            json!({"data": this_year}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    w.t.act_ok(&lead, &id, "begin", json!({})).await;
    // 9.1(3)②: the audited section is told, to cooperate.
    assert!(told_of(&w, &w.manager).await.contains(&json!(id)));
    closed_to_the_town(&w, &id, "report").await;

    // 9.1(5)(6): reported to the committee with the working papers and the report kept.
    let findings =
        json!({"findings": "持ち出し記録簿に返却の確認の記載漏れがある。", "cross_cutting": false});
    let (status, body) = w.t.act(&lead, &id, "report", findings.clone()).await;
    assert!(status.is_client_error(), "{body}");
    assert!(message(&body).contains("監査調書"), "{body}");
    for (field, name) in [
        ("working_papers", "監査調書.pdf"),
        ("report_document", "監査報告書.pdf"),
    ] {
        let (status, body) = w.t.attach_for(&lead, &id, field, name, PDF).await;
        assert!(status.is_success(), "{body}");
    }
    w.t.act_ok(&lead, &id, "report", findings).await;
    for member in [&w.chief, &w.officer] {
        assert!(told_of(&w, member).await.contains(&json!(id)));
    }

    // 9.1(7): the CISO, not the lead, orders; every 管理者 is told, the other section's too,
    // and answers whether the same issue is found there.
    let orders = json!({"orders": "総務課は返却確認の運用を改め、各課は同種の記載漏れの有無を確認すること。"});
    let (status, _) = w.t.act(&lead, &id, "order", orders.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    w.t.act_ok(&w.ciso, &id, "order", orders).await;
    assert!(told_of(&w, &tax_manager).await.contains(&json!(id)));
    w.t.act_ok(
        &tax_manager,
        &id,
        "check_same",
        json!({"same_found": false, "same_notes": "税務課の持ち出し記録簿に記載漏れはない。"}),
    )
    .await;
    // The other section's 管理者 does not record the audited section's improvement.
    let improvement = json!({"improvement": "返却時に管理者が確認欄に記入する運用に改めた。"});
    let (status, _) =
        w.t.act(&tax_manager, &id, "record_improvement", improvement.clone())
            .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    w.t.act_ok(&w.manager, &id, "record_improvement", improvement)
        .await;

    // The follow-up audit closes it into the section's audit results.
    let case =
        w.t.act_ok(
            &lead,
            &id,
            "close",
            json!({"follow_up": "改善された運用を確認した。"}),
        )
        .await;
    assert_eq!(case["state"], "closed");
    let results = live(&w, &lead, "audit_results").await;
    assert_eq!(results.len(), 1, "{results:?}");
    assert_eq!(results[0]["organisation"], w.section.as_str());
    assert_eq!(
        results[0]["data"]["findings"],
        "持ち出し記録簿に返却の確認の記載漏れがある。"
    );
    assert_eq!(results[0]["data"]["closed_on"], "2026-06-01");
    assert!(live(&w, &w.town_admin, "audit_results").await.is_empty());
}
