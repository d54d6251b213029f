//! The plans the information security committee approves (承): the CISO's training plan
//! (5.2(2)①) and the audit lead's audit plan (9.1(3)①), resolved by the members' votes and
//! entered in the register of plans; and the 統括 acting for the absent CISO under a
//! delegation (1(1)⑤, 1(2)⑤ and its commentary), which the case's history and the audit
//! trail record and which ends on its day.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use super::{City, city};

pub(super) const PDF: &[u8] = b"%PDF-1.4\n%%EOF\n";

/// The committee as the policy's test seats it: the CISO chairs it; the CISO, the 統括 and
/// the 責任者 are its members.
pub(super) async fn seat_committee(w: &City) {
    for (role, c) in [
        ("lg_committee_chair", &w.ciso),
        ("lg_committee_member", &w.ciso),
        ("lg_committee_member", &w.chief),
        ("lg_committee_member", &w.officer),
    ] {
        let person = w.t.id_of(c).await;
        w.t.designate(&w.sys, role, &w.city, &person).await;
    }
}

fn training_plan(year: &str) -> Value {
    json!({"fiscal_year": year, "title": format!("{year} 情報セキュリティ研修計画"),
           "contents": "全職員向けの基礎研修と、管理者・システム管理者向けの実務研修",
           "audience": "幹部を含む全ての職員等", "methods": ["e_learning", "classroom"],
           "schedule": "7月に基礎研修（e-ラーニング）、10月に集合研修",
           "lecturers": "統括情報セキュリティ責任者、外部講師",
           "structure": "情報政策課が事務局となり、各課室の情報セキュリティ管理者が受講を管理する",
           "new_staff": true, "yearly_for_all": true})
}

fn audit_plan(year: &str) -> Value {
    json!({"fiscal_year": year, "title": format!("{year} 情報セキュリティ監査実施計画"),
           "scope": "総務課、情報政策課の所管する情報システム",
           "items": "対策基準の遵守状況、許可・承認の記録、例外措置の記録",
           "auditors": "監査法人（外部監査人）", "independent": true,
           "authority": "被監査部門の記録の閲覧、関係者への聴取",
           "schedule": "11月から12月", "contractors": true})
}

/// Casts each member's vote.
pub(super) async fn votes(w: &City, id: &str, cast: &[(&Client, &str)]) {
    for (member, vote) in cast {
        w.t.act_ok(member, id, "vote", json!({"vote": vote})).await;
    }
}

#[tokio::test]
async fn the_cisos_training_plan_is_approved_by_the_committee_not_by_the_ciso_and_recorded() {
    let w = city().await;
    seat_committee(&w).await;
    // 5.2(2)①: the plan is the CISO's to draft; the 統括 does not open one.
    let (status, _) =
        w.t.post(
            &w.chief,
            "/api/v1/cases",
            json!({"procedure": "mic-lg-security/training_plan", "organisation": w.city,
                   "data": training_plan("令和8年度")}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // 5.2(2)③: training for new staff is a must, not a choice.
    let mut without_new_staff = training_plan("令和8年度");
    without_new_staff["new_staff"] = json!(false);
    let id = w
        .open(&w.ciso, "training_plan", &w.city, without_new_staff)
        .await;
    let (status, body) = w.t.act(&w.ciso, &id, "submit", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["fields"]["new_staff"].is_string(), "{body}");
    let (status, _) =
        w.t.patch(
            &w.ciso,
            &format!("/api/v1/cases/{id}"),
            json!({"data": training_plan("令和8年度")}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // One plan a year at a time.
    let (status, body) =
        w.t.post(
            &w.ciso,
            "/api/v1/cases",
            json!({"procedure": "mic-lg-security/training_plan", "organisation": w.city,
                   "data": training_plan("令和8年度")}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["fields"]["fiscal_year"].is_string(), "{body}");
    let case = w.t.act_ok(&w.ciso, &id, "submit", json!({})).await;
    assert_eq!(case["state"], "deliberating");

    // The CISO, who drafted it and chairs the committee, cannot approve it alone: one vote
    // of three is below the quorum (half the members, mamori's figure).
    votes(&w, &id, &[(&w.ciso, "for")]).await;
    w.t.attach_for(&w.ciso, &id, "minutes", "議事録.pdf", PDF)
        .await;
    let (status, body) = w.t.act(&w.ciso, &id, "resolve", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("定足数"),
        "{body}"
    );
    // A member who does not chair does not record the resolution; staff do not vote.
    let (status, _) = w.t.act(&w.chief, &id, "resolve", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = w.t.act(&w.staff, &id, "vote", json!({"vote": "for"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A second vote of the same member is refused.
    let (status, _) = w.t.act(&w.ciso, &id, "vote", json!({"vote": "for"})).await;
    assert_ne!(status, StatusCode::OK);

    votes(&w, &id, &[(&w.officer, "for")]).await;
    let case = w.t.act_ok(&w.ciso, &id, "resolve", json!({})).await;
    assert_eq!(case["state"], "approved", "{case}");
    // Nothing is in the register until the approval is recorded, with its day.
    assert!(w.t.register_data(&w.ciso, "lg_plans").await.is_empty());
    let (status, body) =
        w.t.act(&w.ciso, &id, "record", json!({"approved_on": "2026-06-02"}))
            .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let case =
        w.t.act_ok(&w.ciso, &id, "record", json!({"approved_on": "2026-06-01"}))
            .await;
    assert_eq!(case["state"], "recorded");
    let rows = w.t.register_data(&w.chief, "lg_plans").await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["kind"], "training");
    assert_eq!(rows[0]["fiscal_year"], "令和8年度");
    assert_eq!(rows[0]["title"], "令和8年度 情報セキュリティ研修計画");
    assert_eq!(rows[0]["approved_on"], "2026-06-01");
    assert_eq!(rows[0]["recorded_by"], "副市長 一郎");
    // 緑町 reads none of it.
    assert!(
        w.t.register_data(&w.town_admin, "lg_plans")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn the_audit_leads_plan_goes_back_when_the_committee_votes_it_down_and_enters_once_approved()
{
    let w = city().await;
    seat_committee(&w).await;
    let lead_id =
        w.t.person(&w.sys, "監査 七郎", "audit@aoba.example.jp", &w.city)
            .await;
    w.t.designate(&w.sys, "lg_audit_lead", &w.city, &lead_id)
        .await;
    let lead =
        w.t.first_login("audit@aoba.example.jp", "initial-pass-1")
            .await;

    // 9.1(3)①: the audit lead drafts it; the CISO does not.
    let (status, _) =
        w.t.post(
            &w.ciso,
            "/api/v1/cases",
            json!({"procedure": "mic-lg-security/audit_plan", "organisation": w.city,
                   "data": audit_plan("令和8年度")}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // 9.1(2)①: auditors independent of what they audit.
    let mut dependent = audit_plan("令和8年度");
    dependent["independent"] = json!(false);
    let id = w.open(&lead, "audit_plan", &w.city, dependent).await;
    let (status, body) = w.t.act(&lead, &id, "submit", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["fields"]["independent"].is_string(), "{body}");
    w.t.patch(
        &lead,
        &format!("/api/v1/cases/{id}"),
        json!({"data": audit_plan("令和8年度")}),
    )
    .await;
    w.t.act_ok(&lead, &id, "submit", json!({})).await;
    // The lead sits on no committee: neither votes nor resolves on their own plan.
    let (status, _) = w.t.act(&lead, &id, "vote", json!({"vote": "for"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = w.t.act(&lead, &id, "resolve", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Voted down: back to the lead's draft, nothing recorded.
    votes(
        &w,
        &id,
        &[
            (&w.chief, "against"),
            (&w.officer, "against"),
            (&w.ciso, "for"),
        ],
    )
    .await;
    w.t.attach_for(&w.ciso, &id, "minutes", "議事録1.pdf", PDF)
        .await;
    let case = w.t.act_ok(&w.ciso, &id, "resolve", json!({})).await;
    assert_eq!(case["state"], "draft", "{case}");
    let (status, _) =
        w.t.act(&w.ciso, &id, "record", json!({"approved_on": "2026-06-01"}))
            .await;
    assert_ne!(status, StatusCode::OK);
    assert!(w.t.register_data(&w.ciso, "lg_plans").await.is_empty());

    // Revised and put again: a new round of votes, approved, recorded.
    let mut revised = audit_plan("令和8年度");
    revised["disruption"] = json!("窓口の閉庁後に実施し、業務の中断を避ける");
    let (status, _) =
        w.t.patch(
            &lead,
            &format!("/api/v1/cases/{id}"),
            json!({"data": revised}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    w.t.act_ok(&lead, &id, "submit", json!({})).await;
    votes(&w, &id, &[(&w.chief, "for"), (&w.officer, "for")]).await;
    w.t.attach_for(&w.ciso, &id, "minutes", "議事録2.pdf", PDF)
        .await;
    let case = w.t.act_ok(&w.ciso, &id, "resolve", json!({})).await;
    assert_eq!(case["state"], "approved", "{case}");
    let case =
        w.t.act_ok(&w.ciso, &id, "record", json!({"approved_on": "2026-06-01"}))
            .await;
    assert_eq!(case["state"], "recorded");
    let rows = w.t.register_data(&w.ciso, "lg_plans").await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["kind"], "audit");
    assert_eq!(rows[0]["fiscal_year"], "令和8年度");
    assert_eq!(rows[0]["title"], "令和8年度 情報セキュリティ監査実施計画");
    assert_eq!(rows[0]["approved_on"], "2026-06-01");
}

fn exception(rule: &str) -> Value {
    json!({"requester": "総務課長 四郎", "rule": rule,
           "measure": "バックアップを外付けディスクに取る", "reason": "サーバ更改までの間、既定の方式で取得できないため",
           "compensating": "ディスクは施錠保管し、暗号化する", "from_on": "2026-06-01", "until_on": "2026-09-30"})
}

/// The section's 管理者 asks for an exception measure (7.4(1)): the case's id.
async fn asked(w: &City, rule: &str) -> String {
    let id = w
        .open(&w.manager, "exception", &w.section, exception(rule))
        .await;
    w.t.act_ok(&w.manager, &id, "submit", json!({})).await;
    id
}

/// The id of the designation `person` holds as `role` in their own right.
async fn own_designation(w: &City, person: &str, role: &str) -> String {
    let (status, list) =
        w.t.get(&w.sys, &format!("/api/v1/designations?person={person}"))
            .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["role"] == role && d["delegated_from"].is_null())
        .and_then(|d| d["id"].as_str())
        .unwrap_or_else(|| panic!("{list}"))
        .to_owned()
}

#[tokio::test]
async fn the_chief_permits_an_exception_for_the_absent_ciso_under_delegation_and_not_after_it() {
    let w = city().await;
    let (ciso_id, chief_id) = (w.t.id_of(&w.ciso).await, w.t.id_of(&w.chief).await);

    // 7.4(1): the CISO permits. Without a delegation the 統括 does not.
    let first = asked(&w, "6.1(5) バックアップの実施").await;
    let (status, _) = w.t.act(&w.chief, &first, "permit", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // 1(2)⑤ commentary: 「CISO が不在の場合には、統括情報セキュリティ責任者がその権限を CISO
    // に代わって行使できるよう、権限の委譲についても規定しておく。」 The CISO, away from
    // Monday to Wednesday, delegates the role to the 統括.
    let designation = own_designation(&w, &ciso_id, "lg_ciso").await;
    let (status, made) =
        w.t.post(
            &w.ciso,
            &format!("/api/v1/designations/{designation}/delegations"),
            json!({"person": chief_id, "starts_on": "2026-06-01", "ends_on": "2026-06-03",
                   "note": "CISO 出張による不在"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");

    let case = w.t.act_ok(&w.chief, &first, "permit", json!({})).await;
    assert_eq!(case["state"], "permitted");
    let last = case["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "permit", "{last}");
    assert_eq!(last["detail"]["delegated_by"], "副市長 一郎", "{last}");
    assert!(
        last["sentence"]["ja"]
            .as_str()
            .unwrap()
            .contains("副市長 一郎さんからの委任により"),
        "{last}"
    );
    let rows = w.t.register_data(&w.ciso, "exception_measures").await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["decision"], "permitted");
    assert_eq!(rows[0]["decided_by"], "情報 二郎");

    // The trail keeps the delegation — by whom, to whom, of what, until when — and the
    // 統括's permission.
    let (status, trail) =
        w.t.get(&w.sys, "/api/v1/audit?action=designation.delegate")
            .await;
    assert_eq!(status, StatusCode::OK, "{trail}");
    let event = &trail["items"][0];
    assert_eq!(event["actor_name"], "副市長 一郎", "{trail}");
    assert_eq!(event["detail"]["role"], "lg_ciso");
    assert_eq!(event["detail"]["person"], chief_id.as_str());
    assert_eq!(event["detail"]["from"], designation.as_str());
    assert_eq!(event["detail"]["ends_on"], "2026-06-03");
    let (_, acts) = w.t.get(&w.sys, "/api/v1/audit?action=case.act").await;
    assert!(
        acts["items"].as_array().unwrap().iter().any(|e| {
            e["target_id"] == first.as_str()
                && e["actor_name"] == "情報 二郎"
                && e["detail"]["action"] == "permit"
        }),
        "{acts}"
    );

    // Thursday: the delegation has ended. The 統括 no longer permits; the CISO does.
    w.hands.set("2026-06-04T01:00:00Z");
    let second = asked(&w, "6.2(1) アクセス制御").await;
    let (status, body) = w.t.act(&w.chief, &second, "permit", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let case = w.t.act_ok(&w.ciso, &second, "permit", json!({})).await;
    let last = case["history"].as_array().unwrap().last().unwrap().clone();
    assert!(last["detail"].get("delegated_by").is_none(), "{last}");
    let rows = w.t.register_data(&w.ciso, "exception_measures").await;
    assert!(
        rows.iter()
            .any(|r| r["rule"] == "6.2(1) アクセス制御" && r["decided_by"] == "副市長 一郎"),
        "{rows:?}"
    );
}
