//! A prefecture's view of the municipalities that report to it: 青葉市 states that it
//! reports to 若葉県, which holds only once the prefecture accepts; the prefecture then sees
//! the city's training records done this year, its self-check score and the open incident
//! the CSIRT reported to it — counts only, never a case, a row or a person of the city's.
//! 緑町 stated the same relation but the prefecture has not accepted it: nothing of 緑町's
//! shows, and neither prefecture nor town reads anything else.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use super::incidents::{csirt, usb_lost};
use super::self_check::manager_rows;
use super::{City, city};

/// 若葉県 with its administrator and a member of its staff.
struct Prefecture {
    id: String,
    admin: Client,
    staff: Client,
}

async fn prefecture(w: &City) -> Prefecture {
    let id = w.t.org(&w.sys, "若葉県", "local_government", None).await;
    let mut people =
        w.t.people(
            &w.sys,
            &[
                (
                    "県 管理",
                    "admin@wakaba-pref.example.jp",
                    &id,
                    "administrator",
                ),
                ("県 職員", "staff@wakaba-pref.example.jp", &id, "lg_staff"),
            ],
        )
        .await
        .into_iter();
    Prefecture {
        id,
        admin: people.next().unwrap(),
        staff: people.next().unwrap(),
    }
}

/// The roll-up as `c` reads it.
async fn rollup(w: &City, c: &Client, of: &str) -> (StatusCode, Value) {
    w.t.get(c, &format!("/api/v1/organisations/{of}/rollup"))
        .await
}

/// The names of the organisations on a roll-up.
fn names(r: &Value) -> Vec<&str> {
    r["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_prefecture_sees_the_yearly_cycle_of_the_municipalities_it_accepted_and_nothing_else() {
    let w = city().await;
    let pref = prefecture(&w).await;
    let city_admin =
        w.t.people(
            &w.sys,
            &[("市 管理", "admin@aoba.example.jp", &w.city, "administrator")],
        )
        .await
        .remove(0);

    // The prefecture cannot declare on the city's behalf; the city states it, and so does
    // the town.
    let reports = |to: &str| json!({"kind": "reports_to", "other": to});
    let (status, _) =
        w.t.post(
            &pref.admin,
            &format!("/api/v1/organisations/{}/relations", w.city),
            reports(&pref.id),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let relation =
        w.t.create(
            &city_admin,
            &format!("/api/v1/organisations/{}/relations", w.city),
            reports(&pref.id),
        )
        .await;
    let town = {
        let (_, town_rel) = w.t.get(&w.town_admin, "/api/v1/organisations?q=緑町").await;
        town_rel["items"][0]["id"].as_str().unwrap().to_owned()
    };
    w.t.create(
        &w.town_admin,
        &format!("/api/v1/organisations/{town}/relations"),
        reports(&pref.id),
    )
    .await;
    // Until the prefecture accepts, it sees no one.
    let (status, r) = rollup(&w, &pref.staff, &pref.id).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert!(names(&r).is_empty(), "{r}");
    let (status, body) =
        w.t.post(
            &pref.admin,
            &format!("/api/v1/relations/{relation}/accept"),
            json!({}),
        )
        .await;
    assert!(status.is_success(), "{body}");

    // The year's training records: two members of staff in 総務課, one attended.
    w.t.app.open_rounds().await.unwrap();
    let (_, board) =
        w.t.get(
            &w.manager,
            "/api/v1/obligations/mic-lg-security/training_attendance",
        )
        .await;
    let goko = board["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["person_name"] == "職員 五子")
        .unwrap()["case"]
        .as_str()
        .unwrap()
        .to_owned();
    w.t.act_ok(
        &w.manager,
        &goko,
        "record",
        json!({"course": "令和8年度 情報セキュリティ基礎研修", "attended_on": "2026-06-01",
               "kind": "yearly", "method": "e_learning", "comprehension": 85}),
    )
    .await;

    // The 管理者's self-check, every clause met but one, submitted.
    let held = manager_rows();
    let check =
        w.t.create(
            &w.manager,
            "/api/v1/assessments",
            json!({"catalog": "lg_self_check", "organisation": w.section,
                   "title": "令和8年度 自己点検（情報セキュリティ管理者）", "groups": ["manager"]}),
        )
        .await;
    let answers: Vec<Value> = held
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let answer = if i == 0 { "no" } else { "yes" };
            json!({"requirement": r, "answer": answer, "note": "点検済み"})
        })
        .collect();
    let (status, body) = crate::support::send(
        &w.manager,
        reqwest::Method::PUT,
        &w.t.url(&format!("/api/v1/assessments/{check}/answers")),
        Some(json!({ "answers": answers })),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    // Not yet submitted: nothing is reported.
    let (_, r) = rollup(&w, &pref.staff, &pref.id).await;
    assert_eq!(r["lines"][0]["scores"][0]["submitted"], 0, "{r}");
    let (status, body) =
        w.t.post(
            &w.manager,
            &format!("/api/v1/assessments/{check}/submit"),
            json!({}),
        )
        .await;
    assert!(status.is_success(), "{body}");

    // An incident the CSIRT reported to the prefecture, still being handled.
    let csirt = csirt(&w).await;
    let incident = w.open(&w.staff, "incident", &w.section, usb_lost()).await;
    w.t.act_ok(&w.staff, &incident, "report", json!({})).await;
    w.t.act_ok(
        &csirt,
        &incident,
        "judge_incident",
        json!({"criterion": "基準1 個人情報の漏えい",
               "assessment": "住民の個人情報を含む媒体の所在不明であり、漏えいのおそれがある。"}),
    )
    .await;
    let (_, r) = rollup(&w, &pref.staff, &pref.id).await;
    assert_eq!(
        r["lines"][0]["reported_open"], 0,
        "judged, not yet reported: {r}"
    );
    w.t.act_ok(
        &csirt,
        &incident,
        "report_outside",
        json!({"reported_to": ["prefecture", "mic", "nisc"], "reported_at": "2026-06-01T11:00",
               "response_status": "立ち寄り先に照会中。"}),
    )
    .await;

    // The prefecture's staff read the city's line, and only the city's.
    let (status, r) = rollup(&w, &pref.staff, &pref.id).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(names(&r), ["青葉市"], "{r}");
    assert_eq!(r["fiscal_year"]["label"], "令和8年度", "{r}");
    let rounds: Vec<&str> = r["rounds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["procedure"].as_str().unwrap())
        .collect();
    let training = rounds
        .iter()
        .position(|p| *p == "training_attendance")
        .unwrap();
    let line = &r["lines"][0];
    assert_eq!(
        line["rounds"][training],
        json!({"done": 1, "total": 2}),
        "{r}"
    );
    assert_eq!(r["catalogs"][0]["catalog"], "lg_self_check", "{r}");
    let n = held.len() as i64;
    assert_eq!(line["scores"][0]["submitted"], 1, "{r}");
    assert_eq!(line["scores"][0]["score"], (n - 1) * 100 / n, "{r}");
    assert_eq!(line["reported_open"], 1, "{r}");
    assert!(line["earliest_reported"].is_string(), "{r}");
    // Counts only: no case, person or answer of the city's is named.
    let text = r.to_string();
    for secret in ["職員 五子", "USBメモリ", "点検済み", &incident, &goko] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    // The page shows the same, printable.
    let page =
        w.t.html(&pref.staff, &format!("/organisations/{}/rollup", pref.id))
            .await;
    assert!(page.contains("青葉市") && !page.contains("緑町"), "{page}");
    let show =
        w.t.html(&pref.staff, &format!("/organisations/{}", pref.id))
            .await;
    assert!(show.contains(&format!("/organisations/{}/rollup", pref.id)));

    // Nothing else of the city's: not its incident, not its cases, not its self-check.
    for path in [
        format!("/api/v1/cases/{incident}"),
        format!("/api/v1/cases/{goko}"),
        format!("/api/v1/assessments/{check}"),
    ] {
        let (status, _) = w.t.get(&pref.staff, &path).await;
        assert!(
            matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{path}: {status}"
        );
    }
    let (_, cases) = w.t.get(&pref.staff, "/api/v1/cases").await;
    assert!(!cases.to_string().contains(&incident), "{cases}");

    // Neither the city nor the town reads the prefecture's roll-up; the prefecture does not
    // read the city's (nobody reports to the city).
    for c in [&w.ciso, &w.town_admin, &city_admin] {
        let (status, _) = rollup(&w, c, &pref.id).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (status, _) = rollup(&w, &pref.staff, &w.city).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Closed, the incident leaves the count.
    w.t.act_ok(
        &csirt,
        &incident,
        "order_containment",
        json!({"instructions": "立ち寄り先への照会と、媒体に保存した情報の特定を行うこと。"}),
    )
    .await;
    w.t.act_ok(
        &csirt,
        &incident,
        "close",
        json!({"timeline": "6/1 9:30 認知、11:00 県へ報告、6/2 回収",
               "root_cause": "持ち出しの許可を得ずに庁外へ持ち出した。",
               "prevention": "USBメモリの持ち出しを台帳で管理する。"}),
    )
    .await;
    let (_, r) = rollup(&w, &pref.staff, &pref.id).await;
    assert_eq!(r["lines"][0]["reported_open"], 0, "{r}");

    // The city withdraws: the prefecture sees it no more.
    let (status, _) =
        w.t.send_delete(&city_admin, &format!("/api/v1/relations/{relation}"))
            .await;
    assert!(status.is_success());
    let (_, r) = rollup(&w, &pref.staff, &pref.id).await;
    assert!(names(&r).is_empty(), "{r}");
}
