//! The self-check (9.2): a questionnaire per role read from the responsibility matrix — the
//! 管理者 is asked the clauses where the 管理者 holds ○, 許 or 承, and nothing of another
//! role's —, run by the 統括 as a campaign across the departments, and reported with the
//! improvements to the committee every fiscal year.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::city;
use super::ledger_procedures::told_of;
use crate::support::send;

/// The 管理者's questionnaire as the shipped matrix gives it: the ids of the rows where the
/// 管理者's column holds ○, 許 or 承.
pub(super) fn manager_rows() -> Vec<String> {
    let lib = mamori_library::shipped()
        .unwrap()
        .into_iter()
        .find(|l| l.manifest.id.value == "mic-lg-security")
        .unwrap();
    lib.matrices["responsibilities"]
        .rows
        .iter()
        .filter(|r| {
            r.cells
                .get("manager")
                .is_some_and(|m| ["○", "許", "承"].contains(&m.as_str()))
        })
        .map(|r| format!("{}:manager", r.id.value))
        .collect()
}

#[tokio::test]
async fn each_role_is_asked_the_clauses_it_holds_and_the_chief_runs_it_across_the_departments() {
    let w = city().await;
    // The 管理者's questionnaire: the rows where the 管理者's column holds ○, 許 or 承.
    let id =
        w.t.create(
            &w.manager,
            "/api/v1/assessments",
            json!({"catalog": "lg_self_check", "organisation": w.section,
                   "title": "令和8年度 自己点検（情報セキュリティ管理者）", "groups": ["manager"]}),
        )
        .await;
    let path = format!("/api/v1/assessments/{id}");
    let (status, a) = w.t.get(&w.manager, &path).await;
    assert_eq!(status, StatusCode::OK, "{a}");
    let asked = a["asked"].as_i64().unwrap();
    let held = manager_rows().len();
    assert_eq!(asked as usize, held, "{a}");
    assert!(held > 50, "{held}");
    // Only the 管理者's rows are listed, the first page of them full.
    assert_eq!(a["total"].as_i64(), Some(asked), "{a}");
    let ids: Vec<&str> = a["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 50, "{a}");
    assert!(ids.iter().all(|i| i.ends_with(":manager")), "{ids:?}");

    // Answered: the take-out permission is not kept as it should be — a finding.
    let url = w.t.url(&format!("{path}/answers"));
    let (status, body) = send(
        &w.manager,
        Method::PUT,
        &url,
        Some(
            json!({"answers": [{"requirement": "5.1(1)③(イ):manager", "answer": "no",
                                 "note": "口頭で許可している例がある"}]}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, a) = w.t.get(&w.manager, &path).await;
    assert_eq!(a["fail"], 1, "{a}");
    // Staff do not answer the section's self-check.
    let (status, _) = send(
        &w.staff,
        Method::PUT,
        &url,
        Some(json!({"answers": [{"requirement": "5.1(1)③(イ):manager", "answer": "yes"}]})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // 9.2(1): the 統括 runs it across the departments below the city; a 管理者 does not.
    let campaign = json!({"catalog": "lg_self_check", "organisation": w.city,
                          "title": "令和8年度 一斉自己点検", "campaign": true, "groups": ["officer"]});
    let (status, _) =
        w.t.post(&w.manager, "/api/v1/assessments", campaign.clone())
            .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let run = w.t.create(&w.chief, "/api/v1/assessments", campaign).await;
    let (_, c) =
        w.t.get(&w.chief, &format!("/api/v1/assessments/{run}"))
            .await;
    let parts: Vec<&str> = c["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["organisation_name"].as_str().unwrap())
        .collect();
    assert_eq!(parts, ["総務部"], "{c}");
    // 緑町 reads none of it.
    let (status, _) = w.t.get(&w.town_admin, &path).await;
    assert!(matches!(
        status,
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ));

    // 9.2(2): the year's results and improvements go to the committee.
    let member = w.t.id_of(&w.officer).await;
    w.t.designate(&w.sys, "lg_committee_member", &w.city, &member)
        .await;
    w.t.app.open_rounds().await.unwrap();
    let (status, board) =
        w.t.get(
            &w.chief,
            "/api/v1/obligations/mic-lg-security/self_check_report",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{board}");
    let report = board["lines"][0]["case"].as_str().unwrap().to_owned();
    let (status, _) =
        w.t.patch(
            &w.chief,
            &format!("/api/v1/cases/{report}"),
            json!({"data": {"results": "総務部: 5.1(1)③(イ) 持ち出しの許可に未達成あり",
                            "improvements": "持ち出しの許可を台帳で記録する運用を徹底する。"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    w.t.act_ok(&w.chief, &report, "report", json!({})).await;
    assert!(told_of(&w, &w.officer).await.contains(&json!(report)));
}
