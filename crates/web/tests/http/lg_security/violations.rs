//! Policy violations (7.2(3), 7.6(2)): reported at once to the 統括 and the offender's
//! 管理者; the 管理者 guides; only when guidance has not corrected it does the 統括 suspend
//! or revoke the offender's rights, telling the CISO and the 管理者 — and in mamori the
//! suspension ends the offender's designation as 職員等 until the 統括 restores it. A problem
//! found checking compliance (7.2(1)) goes to the CISO and the 統括 and the CISO deals with it;
//! a part-time member of staff is entered with the rules explained (5.1(2)).

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use super::ledger_procedures::{closed_to_the_town, message, told_of};
use super::ledgers::live;
use super::{City, city};

/// A member of staff of 総務課 who breaks the rules.
async fn offender(w: &City) -> Client {
    w.t.people(
        &w.sys,
        &[(
            "違反 八郎",
            "hachiro@aoba.example.jp",
            &w.section,
            "lg_staff",
        )],
    )
    .await
    .remove(0)
}

fn violation(offender: &str) -> Value {
    json!({"reporter": "職員 五子", "offender": offender,
           "rule": "対策基準 5.1(1)③ 持ち出しの許可", "found_at": "2026-06-01T09:00",
           "conduct": "許可を得ずにノートパソコンを自宅に持ち帰った。"})
}

/// Whether `c` may still open a case as a member of staff of 総務課.
async fn opens_as_staff(w: &City, c: &Client) -> StatusCode {
    let (status, _) =
        w.t.post(
            c,
            "/api/v1/cases",
            json!({"procedure": "mic-lg-security/incident", "organisation": w.section,
                   "data": {"subject": "不審なメール"}}),
        )
        .await;
    status
}

#[tokio::test]
async fn rights_are_suspended_only_after_guidance_fails_and_the_suspension_is_real_until_restored()
{
    let w = city().await;
    let hachiro = offender(&w).await;
    assert_eq!(opens_as_staff(&w, &hachiro).await, StatusCode::CREATED);
    let id = w
        .open(
            &w.staff,
            "violation",
            &w.section,
            violation("hachiro@aoba.example.jp"),
        )
        .await;
    // 7.2(3)①: at once to the 統括 and the 管理者.
    let case = w.t.act_ok(&w.staff, &id, "report", json!({})).await;
    assert_eq!(case["state"], "reported");
    for c in [&w.chief, &w.manager] {
        assert!(told_of(&w, c).await.contains(&json!(id)));
    }
    closed_to_the_town(&w, &id, "suspend").await;

    // 7.6(2)③: not before the 管理者's guidance has failed; never by the 管理者.
    let suspension =
        json!({"measure": "suspend", "rights": "庁内ネットワーク及び住民情報システムの利用"});
    let (status, body) = w.t.act(&w.chief, &id, "suspend", suspension.clone()).await;
    assert!(status.is_client_error(), "{body}");
    assert!(message(&body).contains("指導"), "{body}");
    w.t.act_ok(
        &w.manager,
        &id,
        "guide",
        json!({"guided_on": "2026-06-01", "guidance": "持ち出しの許可の手続を説明した。"}),
    )
    .await;
    let (status, _) =
        w.t.act(&w.manager, &id, "suspend", suspension.clone())
            .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let case = w.t.act_ok(&w.chief, &id, "suspend", suspension).await;
    assert_eq!(case["state"], "suspended");
    for c in [&w.ciso, &w.manager] {
        assert!(told_of(&w, c).await.contains(&json!(id)));
    }
    // The offender is no longer 職員等 of the section in mamori.
    assert_eq!(opens_as_staff(&w, &hachiro).await, StatusCode::FORBIDDEN);

    // Restored by the 統括, with the reason.
    let (status, body) = w.t.act(&w.chief, &id, "reinstate", json!({})).await;
    assert!(status.is_client_error(), "{body}");
    let case =
        w.t.act_ok(
            &w.chief,
            &id,
            "reinstate",
            json!({"reinstated_because": "研修を受講し、改善を確認した。"}),
        )
        .await;
    assert_eq!(case["state"], "reinstated");
    assert_eq!(opens_as_staff(&w, &hachiro).await, StatusCode::CREATED);
}

#[tokio::test]
async fn a_manager_reported_does_not_guide_themselves_and_a_revocation_ends_the_case() {
    let w = city().await;
    // The system manager finds that the section's 管理者 broke a rule (7.6(2)②).
    let id = w
        .open(
            &w.sysman,
            "violation",
            &w.section,
            violation("manager@aoba.example.jp"),
        )
        .await;
    w.t.act_ok(&w.sysman, &id, "report", json!({})).await;
    assert!(told_of(&w, &w.chief).await.contains(&json!(id)));
    let guidance = json!({"guided_on": "2026-06-01", "guidance": "自分自身への指導"});
    let (status, body) = w.t.act(&w.manager, &id, "guide", guidance).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(message(&body).contains("兼務の禁止"), "{body}");
    // Nothing corrected without guidance, by anyone.
    let (status, body) =
        w.t.act(
            &w.chief,
            &id,
            "confirm_corrected",
            json!({"correction": "—"}),
        )
        .await;
    assert!(status.is_client_error(), "{body}");

    // A second 管理者 is designated for the section and guides; the guidance fails and the
    // 統括 revokes the rights: the case ends there.
    let deputy =
        w.t.people(
            &w.sys,
            &[(
                "総務課 課長補佐",
                "deputy@aoba.example.jp",
                &w.section,
                "lg_manager",
            )],
        )
        .await
        .remove(0);
    w.t.act_ok(
        &deputy,
        &id,
        "guide",
        json!({"guided_on": "2026-06-01", "guidance": "許可の手続を守るよう指導した。"}),
    )
    .await;
    let case =
        w.t.act_ok(
            &w.chief,
            &id,
            "suspend",
            json!({"measure": "revoke", "rights": "庁内ネットワークの利用"}),
        )
        .await;
    assert_eq!(case["state"], "revoked");
    assert_eq!(opens_as_staff(&w, &w.manager).await, StatusCode::FORBIDDEN);
    // The 管理者 role itself is not what was suspended.
    let (status, _) = w.t.get(&w.manager, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_problem_found_checking_compliance_goes_to_the_ciso_and_the_chief_and_the_ciso_deals_with_it()
 {
    let w = city().await;
    // 7.2(1)①: the 管理者 who finds it reports; staff do not open these.
    let problem = json!({"checked_on": "2026-06-01", "scope": "総務課の記録媒体の管理",
                         "problem": "持ち出し記録簿に返却日の記入がない行が3件ある。",
                         "rule": "5.1(1)⑤"});
    let (status, _) =
        w.t.post(
            &w.staff,
            "/api/v1/cases",
            json!({"procedure": "mic-lg-security/compliance_problem", "organisation": w.section,
                   "data": problem}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let id = w
        .open(&w.manager, "compliance_problem", &w.section, problem)
        .await;
    w.t.act_ok(&w.manager, &id, "report", json!({})).await;
    for c in [&w.ciso, &w.chief] {
        assert!(told_of(&w, c).await.contains(&json!(id)));
    }
    // ②: the CISO deals with it, with what was done; not the 統括.
    let (status, _) =
        w.t.act(
            &w.chief,
            &id,
            "deal_with",
            json!({"handling": "記録簿の様式を改める。"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = w.t.act(&w.ciso, &id, "deal_with", json!({})).await;
    assert!(status.is_client_error(), "{body}");
    assert!(body["error"]["fields"]["handling"].is_string(), "{body}");
    let case =
        w.t.act_ok(
            &w.ciso,
            &id,
            "deal_with",
            json!({"handling": "返却時に管理者の確認欄を設けるよう全課に指示した。"}),
        )
        .await;
    assert_eq!(case["state"], "dealt_with");
    assert!(told_of(&w, &w.manager).await.contains(&json!(id)));
    closed_to_the_town(&w, &id, "deal_with").await;
}

#[tokio::test]
async fn a_temporary_member_of_staff_is_entered_with_the_rules_explained_and_internet_use_decided()
{
    let w = city().await;
    let path = "/api/v1/registers/consent_forms/rows";
    // 5.1(2)①③: when the rules were explained and whether the internet is needed are asked.
    let (status, body) =
        w.t.post(
            &w.manager,
            path,
            json!({"organisation": w.section, "data": {"name": "臨時 十子", "hired_on": "2026-06-01"}}),
        )
        .await;
    assert!(status.is_client_error(), "{body}");
    for column in ["explained_on", "internet_mail"] {
        assert!(body["error"]["fields"][column].is_string(), "{body}");
    }
    w.t.create(
        &w.manager,
        path,
        json!({"organisation": w.section, "data": {"name": "臨時 十子", "hired_on": "2026-06-01",
               "explained_on": "2026-06-01", "signed_on": "2026-06-01", "internet_mail": "blocked"}}),
    )
    .await;
    // Staff keep no consent forms; 緑町 reads none.
    let (status, _) =
        w.t.post(
            &w.staff,
            path,
            json!({"organisation": w.section, "data": {"name": "臨時 十一", "hired_on": "2026-06-01",
                   "explained_on": "2026-06-01", "internet_mail": "needed"}}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(live(&w, &w.manager, "consent_forms").await.len(), 1);
    assert!(live(&w, &w.town_admin, "consent_forms").await.is_empty());
}
