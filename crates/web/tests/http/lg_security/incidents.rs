//! Security incidents (5.3, 1(9)⑤⑥, 7.3 解説(2)②④): a member of staff reports to the
//! section's 管理者 and the CSIRT at once; the 管理者 passes it on; the CSIRT judges it
//! against the criteria it wrote in advance, reports an incident to the CISO, orders
//! containment from the 責任者, reports to the prefecture, MIC and NISC with a printed report,
//! and closes it into the section's incident records; the CISO orders the measures. A report
//! from a resident is answered; the committee approves the recurrence prevention plan and
//! every member of staff is told. 緑町 sees none of it.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use super::ledger_procedures::{closed_to_the_town, message, told_of};
use super::ledgers::live;
use super::plans::{PDF, seat_committee, votes};
use super::{City, city};
use crate::support::pdf_text;

/// The city's CSIRT (the unified contact point), and the criteria it wrote in advance.
pub(super) async fn csirt(w: &City) -> Client {
    let csirt =
        w.t.people(
            &w.sys,
            &[("窓口 七海", "csirt@aoba.example.jp", &w.city, "lg_csirt")],
        )
        .await
        .remove(0);
    w.t.create(
        &csirt,
        "/api/v1/registers/incident_criteria/rows",
        json!({"organisation": w.city, "data": {"criterion": "基準1 個人情報の漏えい",
               "description": "個人情報を含む情報資産が庁外の者に渡った、又はそのおそれがある。",
               "response": "CISO に報告し、都道府県・総務省に報告する。"}}),
    )
    .await;
    csirt
}

pub(super) fn usb_lost() -> Value {
    json!({"subject": "住民情報を含むUSBメモリの紛失", "reporter": "職員 五子",
           "found_at": "2026-06-01T09:30", "channel": "staff",
           "situation": "窓口業務で使ったUSBメモリが見当たらない。",
           "presumed_cause": "庁外での打合せの後に置き忘れた可能性がある。",
           "damage_kind": "機器の紛失", "damage_scale": "住民約120名の氏名・住所",
           "recovery_cost": 0})
}

#[tokio::test]
async fn a_staff_report_reaches_both_and_an_incident_goes_to_the_ciso_outside_and_into_the_record()
{
    let w = city().await;
    let csirt = csirt(&w).await;
    let id = w.open(&w.staff, "incident", &w.section, usb_lost()).await;
    // 5.3(1)①: to the 管理者 and the unified contact point at once.
    let case = w.t.act_ok(&w.staff, &id, "report", json!({})).await;
    assert_eq!(case["state"], "reported");
    for c in [&w.manager, &csirt] {
        assert!(w.t.inbox_ids(c).await.contains(&id));
        assert!(told_of(&w, c).await.contains(&json!(id)));
    }
    closed_to_the_town(&w, &id, "judge_incident").await;

    // ②③: the 管理者 passes it on to the 統括, the system managers, the CISO and the 責任者,
    // once; the reporter does not.
    let (status, _) = w.t.act(&w.staff, &id, "escalate", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    w.t.act_ok(&w.manager, &id, "escalate", json!({})).await;
    for c in [&w.chief, &w.sysman, &w.ciso, &w.officer] {
        assert!(told_of(&w, c).await.contains(&json!(id)));
    }
    let (status, _) = w.t.act(&w.manager, &id, "escalate", json!({})).await;
    assert!(status.is_client_error());

    // 5.3(3)①: the CSIRT judges, and only against a criterion written in advance; the
    // 管理者 does not judge.
    let judgement = |criterion: &str| {
        json!({"criterion": criterion,
               "assessment": "住民の個人情報を含む媒体の所在不明であり、漏えいのおそれがある。"})
    };
    let (status, _) =
        w.t.act(
            &w.manager,
            &id,
            "judge_incident",
            judgement("基準1 個人情報の漏えい"),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) =
        w.t.act(&csirt, &id, "judge_incident", judgement("基準9 思いつき"))
            .await;
    assert!(status.is_client_error(), "{body}");
    assert!(message(&body).contains("判断基準"), "{body}");
    // ②: an incident goes to the CISO.
    let before = told_of(&w, &w.ciso).await.len();
    let case =
        w.t.act_ok(
            &csirt,
            &id,
            "judge_incident",
            judgement("基準1 個人情報の漏えい"),
        )
        .await;
    assert_eq!(case["state"], "incident");
    assert!(told_of(&w, &w.ciso).await.len() > before);
    assert!(told_of(&w, &w.staff).await.contains(&json!(id)));

    // ④ needs ③ first: containment and recovery are ordered from the 責任者.
    let closing = json!({"timeline": "6/1 9:30 認知、9:40 報告、10:00 インシデントと評価、6/2 発見・回収",
                         "root_cause": "持ち出しの許可を得ずに庁外へ持ち出した。",
                         "prevention": "USBメモリの持ち出しを台帳で管理し、暗号化を徹底する。"});
    let (status, body) = w.t.act(&csirt, &id, "close", closing.clone()).await;
    assert!(status.is_client_error(), "{body}");
    assert!(message(&body).contains("応急措置"), "{body}");
    let officer_told = told_of(&w, &w.officer).await.len();
    w.t.act_ok(
        &csirt,
        &id,
        "order_containment",
        json!({"instructions": "立ち寄り先への照会と、媒体に保存した情報の特定を行うこと。"}),
    )
    .await;
    assert!(told_of(&w, &w.officer).await.len() > officer_told);

    // 1(9)⑤, 注15(b): reported to the prefecture, MIC and NISC with the printed report.
    let (status, body) =
        w.t.act(
            &csirt,
            &id,
            "report_outside",
            json!({"reported_at": "2026-06-01T11:00"}),
        )
        .await;
    assert!(status.is_client_error(), "{body}");
    assert!(body["error"]["fields"]["reported_to"].is_string(), "{body}");
    w.t.act_ok(
        &csirt,
        &id,
        "report_outside",
        json!({"reported_to": ["prefecture", "mic", "nisc"], "reported_at": "2026-06-01T11:00",
               "response_status": "立ち寄り先に照会中。"}),
    )
    .await;
    let res = w
        .ciso
        .get(w.t.url(&format!(
            "/api/v1/cases/{id}/documents/outside_report_pdf.pdf"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let text = pdf_text(&res.bytes().await.unwrap()).replace([' ', '\n'], "");
    for expected in [
        "情報セキュリティインシデント報告",
        "都道府県、総務省",
        "住民情報を含むUSBメモリの紛失",
        "基準1個人情報の漏えい",
        "立ち寄り先に照会中。",
    ] {
        assert!(text.contains(expected), "{expected} not in {text}");
    }

    // ④: closed into the section's incident records, the CISO told; ⑤ the CISO then
    // orders the measures, which the case waits on.
    let case = w.t.act_ok(&csirt, &id, "close", closing).await;
    assert_eq!(case["state"], "closed");
    let records = live(&w, &w.manager, "incident_records").await;
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["organisation"], w.section.as_str());
    let record = &records[0]["data"];
    assert_eq!(record["subject"], "住民情報を含むUSBメモリの紛失");
    assert_eq!(record["criterion"], "基準1 個人情報の漏えい");
    assert_eq!(
        record["root_cause"],
        "持ち出しの許可を得ずに庁外へ持ち出した。"
    );
    assert_eq!(record["reported_outside_at"], "2026-06-01T11:00");
    assert_eq!(record["closed_on"], "2026-06-01");
    assert!(w.t.inbox_ids(&w.ciso).await.contains(&id));
    w.t.act_ok(
        &w.ciso,
        &id,
        "instruct_measures",
        json!({"measures": "全課室に USB メモリの棚卸しを指示する。"}),
    )
    .await;
    assert!(!w.t.inbox_ids(&w.ciso).await.contains(&id));
    // 緑町 reads neither the case nor the record.
    closed_to_the_town(&w, &id, "instruct_measures").await;
    assert!(live(&w, &w.town_admin, "incident_records").await.is_empty());
}

#[tokio::test]
async fn a_residents_report_names_whom_to_answer_and_a_case_that_is_no_incident_is_answered_too() {
    let w = city().await;
    let csirt = csirt(&w).await;
    let mut report = usb_lost();
    report["subject"] = json!("ホームページの表示がおかしいとの住民からの連絡");
    report["channel"] = json!("outside");
    let id = w
        .open(&w.staff, "incident", &w.section, report.clone())
        .await;
    // 5.3 解説 注4: whom to tell the outcome is asked before the report goes.
    let (status, body) = w.t.act(&w.staff, &id, "report", json!({})).await;
    assert!(status.is_client_error(), "{body}");
    assert!(
        body["error"]["fields"]["outside_reporter"].is_string(),
        "{body}"
    );
    report["outside_reporter"] = json!({"name": "青葉 太郎", "phone": "022-000-0000"});
    let (status, body) =
        w.t.patch(
            &w.staff,
            &format!("/api/v1/cases/{id}"),
            json!({"data": report}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    w.t.act_ok(&w.staff, &id, "report", json!({})).await;

    let case =
        w.t.act_ok(
            &csirt,
            &id,
            "judge_not_incident",
            json!({"criterion_against": "基準1 個人情報の漏えい",
                   "finding": "閲覧者の端末の表示設定によるもので、改ざんはない。"}),
        )
        .await;
    assert_eq!(case["state"], "not_incident");
    // The answer to the resident is recorded once, after the case has ended.
    let reply =
        json!({"replied_on": "2026-06-02", "reply": "調査の結果、改ざん等はありませんでした。"});
    w.t.act_ok(&w.manager, &id, "reply_outside", reply.clone())
        .await;
    let (status, _) = w.t.act(&w.manager, &id, "reply_outside", reply).await;
    assert!(status.is_client_error());

    // A report the staff noticed themselves has nobody outside to answer.
    let other = w.open(&w.staff, "incident", &w.section, usb_lost()).await;
    w.t.act_ok(&w.staff, &other, "report", json!({})).await;
    w.t.act_ok(
        &csirt,
        &other,
        "judge_not_incident",
        json!({"criterion_against": "基準1 個人情報の漏えい", "finding": "机の中から見つかった。"}),
    )
    .await;
    let (status, _) =
        w.t.act(
            &w.manager,
            &other,
            "reply_outside",
            json!({"replied_on": "2026-06-02", "reply": "—"}),
        )
        .await;
    assert!(status.is_client_error());
}

#[tokio::test]
async fn the_recurrence_plan_the_committee_approves_is_told_to_every_member_of_staff() {
    let w = city().await;
    seat_committee(&w).await;
    // 7.3 解説(2)④(ア): the 統括's plan; the CISO does not draft it.
    let plan = json!({"subject": "住民情報を含むUSBメモリの紛失",
                      "summary": "窓口業務のUSBメモリを庁外で紛失し、翌日回収した。",
                      "investigation": "許可を得ない持ち出しが常態化していた。",
                      "plan": "持ち出しの台帳管理と暗号化USBメモリへの切替え",
                      "policy_changes": "実施手順に持ち出し時の暗号化を追記する。"});
    let (status, _) =
        w.t.post(
            &w.ciso,
            "/api/v1/cases",
            json!({"procedure": "mic-lg-security/recurrence_plan", "organisation": w.city,
                   "data": plan}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let id = w.open(&w.chief, "recurrence_plan", &w.city, plan).await;
    w.t.act_ok(&w.chief, &id, "submit", json!({})).await;
    votes(&w, &id, &[(&w.ciso, "for"), (&w.officer, "for")]).await;
    let (status, body) = w.t.act(&w.ciso, &id, "resolve", json!({})).await;
    assert!(status.is_client_error(), "{body}");
    assert!(message(&body).contains("議事録"), "{body}");
    let (status, body) =
        w.t.attach_for(&w.ciso, &id, "minutes", "議事録.pdf", PDF)
            .await;
    assert!(status.is_success(), "{body}");
    let case = w.t.act_ok(&w.ciso, &id, "resolve", json!({})).await;
    assert_eq!(case["state"], "approved", "{case}");

    // (イ): announced with the case's summary to every member of staff, and recorded.
    let staff_told = told_of(&w, &w.staff).await.len();
    let (status, body) =
        w.t.act(
            &w.ciso,
            &id,
            "announce",
            json!({"approved_on": "2026-06-02"}),
        )
        .await;
    assert!(status.is_client_error(), "{body}");
    let case =
        w.t.act_ok(
            &w.ciso,
            &id,
            "announce",
            json!({"approved_on": "2026-06-01"}),
        )
        .await;
    assert_eq!(case["state"], "announced");
    assert!(told_of(&w, &w.staff).await.len() > staff_told);
    assert!(told_of(&w, &w.manager).await.contains(&json!(id)));
    let plans = live(&w, &w.ciso, "recurrence_plans").await;
    assert_eq!(plans.len(), 1, "{plans:?}");
    assert_eq!(
        plans[0]["data"]["plan"],
        "持ち出しの台帳管理と暗号化USBメモリへの切替え"
    );
    assert_eq!(plans[0]["data"]["approved_on"], "2026-06-01");
    assert!(told_of(&w, &w.town_admin).await.is_empty());
}
