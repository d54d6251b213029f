//! The 権限・責任等一覧表 as data: every row loads with its marks, a role's duties and a
//! clause's actors are looked up, each gate procedure links to its row, and a city's
//! corrections are kept with their history and shown to nobody outside it.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::city;

const MATRIX: &str = "/api/v1/matrices/mic-lg-security/responsibilities";

/// A row's URL, its id percent-encoded as links carry it.
fn row_url(row: &str, organisation: &str) -> String {
    let mut id = String::new();
    for b in row.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~()".contains(&b) {
            id.push(b as char);
        } else {
            id.push_str(&format!("%{b:02X}"));
        }
    }
    format!("{MATRIX}/rows/{id}?organisation={organisation}")
}

fn ids(body: &Value) -> Vec<String> {
    body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn every_row_of_the_matrix_loads_with_its_marks() {
    let w = city().await;
    let (status, body) = w.t.get(&w.staff, MATRIX).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let rows = body["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 348);
    assert_eq!(body["total"], 348);
    assert_eq!(body["columns"].as_array().unwrap().len(), 12);
    // The marks as the guideline's text gives them, counted over every row…
    let mut raw: BTreeMap<String, usize> = BTreeMap::new();
    // …and as the reading places them in the columns: the same marks, none lost or added.
    let mut placed: BTreeMap<String, usize> = BTreeMap::new();
    for r in rows {
        for m in r["raw_marks"].as_str().unwrap().split_whitespace() {
            *raw.entry(m.to_owned()).or_default() += 1;
        }
        for m in r["original"].as_object().unwrap().values() {
            *placed.entry(m.as_str().unwrap().to_owned()).or_default() += 1;
        }
    }
    let expected = BTreeMap::from([
        ("○".to_owned(), 427),
        ("△".to_owned(), 110),
        ("許".to_owned(), 22),
        ("承".to_owned(), 3),
    ]);
    assert_eq!(raw, expected);
    assert_eq!(placed, expected);
    // Ids keep the guideline's numbering: the circled item is not folded into a digit.
    let all = ids(&body);
    assert!(all.contains(&"5.1(1)③(イ)".to_owned()));
    assert!(all.contains(&"6.1(17)②".to_owned()));
    let unmarked = rows.iter().filter(|r| r["confidence"] == "none").count();
    assert_eq!(
        unmarked,
        rows.iter().filter(|r| r["raw_marks"] == "").count()
    );
}

#[tokio::test]
async fn what_a_role_does_is_filtered_by_its_mark() {
    let w = city().await;
    // What the section's 管理者 permits.
    let (status, body) =
        w.t.get(&w.manager, &format!("{MATRIX}?role=lg_manager&mark=許"))
            .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let permits = ids(&body);
    assert!(permits.contains(&"5.1(1)③(イ)".to_owned()), "{permits:?}");
    assert!(permits.contains(&"2(2)⑩(ウ)".to_owned()), "{permits:?}");
    for r in body["rows"].as_array().unwrap() {
        assert_eq!(r["cells"]["manager"], "許", "{r}");
    }
    // What the CISO approves (承): equipment outside the office.
    let (_, body) =
        w.t.get(&w.ciso, &format!("{MATRIX}?column=ciso&mark=承"))
            .await;
    assert_eq!(ids(&body), ["4.1(6)"]);
    // Everything the committee approves: the training and audit plans.
    let (_, body) =
        w.t.get(&w.ciso, &format!("{MATRIX}?column=committee&mark=承"))
            .await;
    assert_eq!(ids(&body), ["5.2(2)①", "9.1(3)①"]);
    // A role or mark the matrix lacks is named, not ignored.
    let (status, body) = w.t.get(&w.staff, &format!("{MATRIX}?role=lg_mayor")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["fields"]["role"].is_string(), "{body}");
    let (status, body) = w.t.get(&w.staff, &format!("{MATRIX}?mark=◎")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["fields"]["mark"].is_string(), "{body}");
}

#[tokio::test]
async fn who_does_what_for_a_clause_and_the_procedure_that_carries_it_out() {
    let w = city().await;
    let (_, body) = w.t.get(&w.staff, &format!("{MATRIX}?clause=6.1(17)")).await;
    assert_eq!(ids(&body), ["6.1(17)①", "6.1(17)②", "6.1(17)③"]);
    let (status, row) = w.t.get(&w.staff, &row_url("6.1(17)②", &w.section)).await;
    assert_eq!(status, StatusCode::OK, "{row}");
    assert_eq!(row["title"]["ja"], "ソフトウェアの導入の許可の取得");
    assert_eq!(row["raw_marks"], "許 許 ○");
    assert_eq!(
        row["cells"],
        json!({"chief": "許", "system_manager": "許", "staff": "○"})
    );
    assert_eq!(row["confidence"], "high");
    assert_eq!(
        row["procedures"],
        json!(["mic-lg-security/software_install"])
    );
    // Each gate links to its row, and the row to the gate.
    for (procedure, clause) in [
        ("take_out", "5.1(1)③(イ)"),
        ("external_network", "6.1(10)①"),
        ("exception", "7.4(1)"),
    ] {
        let (_, row) = w.t.get(&w.staff, &row_url(clause, &w.section)).await;
        let linked = row["procedures"].as_array().unwrap();
        assert!(
            linked.contains(&json!(format!("mic-lg-security/{procedure}"))),
            "{clause}: {row}"
        );
    }
    let (status, _) = w.t.get(&w.staff, &row_url("6.1(99)", &w.section)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_city_corrects_a_row_keeps_its_history_and_shows_it_to_nobody_else() {
    let w = city().await;
    let url = format!(
        "{}/corrections",
        row_url("7.4(1)", &w.city).split('?').next().unwrap()
    );
    // 7.4(1) names both who may apply, but the text kept one ○: the city adds the other.
    let cells = json!({"ciso": "許", "manager": "○", "system_manager": "○"});
    let reason = "例外措置は情報システム管理者も申請する（7.4(1) の本文による）";

    // Staff read the matrix but do not correct it.
    let (status, _) =
        w.t.post(
            &w.staff,
            &url,
            json!({"organisation": w.city, "cells": cells, "reason": reason}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Mistakes are named, each with its column, and nothing is kept.
    let (status, body) = w
        .t
        .post(
            &w.ciso,
            &url,
            json!({"organisation": w.city, "cells": {"ciso": "許", "mayor": "○", "manager": "◎"}, "reason": " "}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let fields = &body["error"]["fields"];
    assert!(fields["cells.mayor"].is_string(), "{body}");
    assert!(
        fields["cells.manager"]
            .as_str()
            .unwrap()
            .contains("情報セキュリティ管理者"),
        "{body}"
    );
    assert!(fields["reason"].is_string(), "{body}");
    // The reading already in force is no correction.
    let (status, body) = w
        .t
        .post(
            &w.ciso,
            &url,
            json!({"organisation": w.city, "cells": {"ciso": "許", "manager": "○"}, "reason": reason}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["fields"]["cells"].is_string(), "{body}");

    let (status, body) =
        w.t.post(
            &w.ciso,
            &url,
            json!({"organisation": w.city, "cells": cells, "reason": reason}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // The section below the city reads the city's reading, beside the guideline's.
    let (_, row) = w.t.get(&w.staff, &row_url("7.4(1)", &w.section)).await;
    assert_eq!(row["cells"], cells);
    assert_eq!(row["original"], json!({"ciso": "許", "manager": "○"}));
    assert_eq!(row["correction"]["reason"], reason);
    assert_eq!(row["correction"]["made_by"], "副市長 一郎");
    // 統括 puts it back: the history keeps both.
    let (status, _) = w
        .t
        .post(
            &w.chief,
            &url,
            json!({"organisation": w.city, "cells": {"ciso": "許", "manager": "○"}, "reason": "条文の確認が済むまで元に戻す"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, row) = w.t.get(&w.staff, &row_url("7.4(1)", &w.section)).await;
    assert_eq!(row["cells"], json!({"ciso": "許", "manager": "○"}));
    let history = row["history"].as_array().unwrap();
    assert_eq!(history.len(), 2, "{row}");
    assert_eq!(history[0]["cells"], cells);
    assert_eq!(history[1]["made_by"], "情報 二郎");
    // The filter reads the reading in force.
    let (_, body) =
        w.t.get(
            &w.staff,
            &format!("{MATRIX}?column=system_manager&clause=7.4"),
        )
        .await;
    assert!(!ids(&body).contains(&"7.4(1)".to_owned()), "{body}");

    // 緑町 sees none of it: not the city's reading, and its own is the guideline's.
    let (status, body) = w.t.get(&w.town_admin, &row_url("7.4(1)", &w.city)).await;
    assert!(
        status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
        "{status} {body}"
    );
    assert!(!body.to_string().contains("副市長"));
    let (_, own) =
        w.t.get(&w.town_admin, &format!("{MATRIX}?clause=7.4(1)"))
            .await;
    assert_eq!(own["organisation_name"], "緑町");
    assert_eq!(own["rows"][0]["correction"], Value::Null);
    assert_eq!(
        own["rows"][0]["cells"],
        json!({"ciso": "許", "manager": "○"})
    );
    let (status, _) =
        w.t.post(
            &w.town_admin,
            &url,
            json!({"organisation": w.city, "cells": cells, "reason": reason}),
        )
        .await;
    assert!(status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND);

    // The trail says who changed what and why.
    let (_, audit) =
        w.t.get(&w.sys, "/api/v1/audit?action=library.matrix_correct")
            .await;
    let text = audit.to_string();
    assert!(text.contains("library.matrix_correct"), "{text}");
    w.t.verify_chain().await;
}

#[tokio::test]
async fn the_pages_show_a_role_a_clause_and_keep_a_refused_correction_as_typed() {
    let w = city().await;
    let ciso =
        w.t.browser("ciso@aoba.example.jp", crate::support::PASSWORD)
            .await;
    let page =
        w.t.html(
            &ciso,
            "/matrices/mic-lg-security/responsibilities?role=lg_manager&mark=許",
        )
        .await;
    assert!(
        page.contains("モバイル端末や電磁的記録媒体等の持ち出しの許可"),
        "{page}"
    );
    assert!(!page.contains("ソフトウェアの導入の許可の取得"));
    let row =
        row_url("4.1(6)", &w.city).replace(MATRIX, "/matrices/mic-lg-security/responsibilities");
    let page = w.t.html(&ciso, &row).await;
    assert!(page.contains("庁外への機器の設置"), "{page}");
    assert!(
        page.contains("/procedures#p-mic-lg-security/offsite_server"),
        "{page}"
    );
    assert!(page.contains("data-test=\"correct-row\""));
    // A refused correction comes back with what was chosen and typed.
    let action = format!(
        "{}/corrections?organisation={}",
        row.split('?').next().unwrap(),
        w.city
    );
    let csrf = crate::auth::hidden(&page, "_csrf");
    let res = ciso
        .post(w.t.url(&action))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("cell.ciso", "承"),
            ("cell.chief", "○"),
            ("cell.system_manager", "○"),
            ("reason", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let page = res.text().await.unwrap();
    assert!(page.contains("「改める理由」"), "{page}");
    assert!(page.contains("data-test=\"correct-row\""));
    // The city's staff read the row but get no form.
    let staff =
        w.t.browser("staff@aoba.example.jp", crate::support::PASSWORD)
            .await;
    let page = w.t.html(&staff, &row.replace(&w.city, &w.section)).await;
    assert!(page.contains("庁外への機器の設置"));
    assert!(!page.contains("data-test=\"correct-row\""));
}
