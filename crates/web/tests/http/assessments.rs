//! Assessments: whoever the catalog names answers it for their organisation, every answer
//! is checked and a wrong one stores nothing, earlier answers decide what is asked, the
//! summary is counted in the database, and a large catalog is read a page at a time.

use mamori_app::system_clock;
use mamori_library::{Library, Source, load_sources};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::cases::world_on;
use crate::support::{TestApp, send};

const SELF_CHECK: &str = r#"id: self_check
title: { ja: 自己点検票, en: Self-check }
by: [{ role: ia_officer, of: own_organisation }]
campaign_by: [{ role: chief_ia_officer, of: parent_chain }]
groups:
  - { id: staff, label: { ja: 職員 } }
  - { id: admin, label: { ja: 管理者 } }
requirements:
  - id: "5.3"
    text: { ja: パスワードの管理 }
    requirements:
      - { id: "5.3(1)", text: { ja: パスワードを秘密にしている }, group: staff }
      - { id: "5.3(2)", text: { ja: 共有アカウントがある }, group: admin }
      - id: "5.3(2)①"
        text: { ja: 共有アカウントの利用者を記録している }
        group: admin
        weight: 3
        when: { requirement: "5.3(2)", is: "yes" }
  - id: "6.1"
    text: { ja: 媒体を台帳で管理している }
    question: choice
    options:
      - { id: all, label: { ja: すべて }, pass: true }
      - { id: some, label: { ja: 一部 }, pass: false }
  - { id: "7.1", text: { ja: 窓口端末を施錠している } }
findings: { procedure: remediation }
"#;

const REMEDIATION_FORM: &str = r#"id: remediation
title: { ja: 改善計画 }
fields:
  - { id: requirement, type: long_text, label: { ja: 要件 } }
  - { id: finding, type: long_text, label: { ja: 指摘事項 } }
  - { id: measures, type: long_text, label: { ja: 改善措置 }, required: true }
"#;

const REMEDIATION: &str = r#"id: remediation
title: { ja: 指摘事項の改善 }
form: remediation
title_field: requirement
start: [{ role: ia_officer, of: own_organisation }]
states:
  - { id: open, name: { ja: 改善中 } }
  - { id: done, name: { ja: 改善済み }, terminal: true }
transitions:
  - action: complete
    name: { ja: 改善を報告 }
    from: [open]
    by: [{ role: ia_officer, of: own_organisation }]
    to: [{ state: done }]
deadlines:
  - { in: open, due: 翌月末 }
"#;

/// The shipped libraries, the external-service one with catalogs added: the self-check
/// above and, if `large` is given, one of that many requirements.
pub(crate) fn libraries_with_catalogs(large: usize) -> Vec<Library> {
    let mut all = mamori_library::shipped_sources();
    let sources = all.get_mut("mod-external-service").unwrap();
    for (path, content) in [
        ("catalogs/self_check.yaml", SELF_CHECK),
        ("forms/remediation.yaml", REMEDIATION_FORM),
        ("procedures/remediation.yaml", REMEDIATION),
    ] {
        sources.push(Source {
            path: path.into(),
            content: content.into(),
        });
    }
    if large > 0 {
        let mut yaml = String::from(
            "id: large\ntitle: { ja: 大きな点検項目集 }\nby: [{ role: ia_officer, of: own_organisation }]\nrequirements:\n",
        );
        for chapter in 0..large.div_ceil(30) {
            yaml.push_str(&format!(
                "  - id: \"{chapter}\"\n    text: {{ ja: 第{chapter}章 }}\n    requirements:\n"
            ));
            for n in 0..30.min(large - chapter * 30) {
                yaml.push_str(&format!(
                    "      - {{ id: \"{chapter}.{n}\", text: {{ ja: 要件{chapter}の{n} }} }}\n"
                ));
            }
        }
        sources.push(Source {
            path: "catalogs/large.yaml".into(),
            content: yaml,
        });
    }
    all.into_values()
        .map(|s| load_sources(s).unwrap_or_else(|p| panic!("{p:?}")))
        .collect()
}

async fn server(large: usize) -> TestApp {
    TestApp::build(system_clock(), libraries_with_catalogs(large), |_| {})
        .await
        .add_admin()
        .await
}

fn answers(list: &[(&str, &str, &str)]) -> Value {
    json!({ "answers": list.iter().map(|(r, a, n)| json!({"requirement": r, "answer": a, "note": n})).collect::<Vec<_>>() })
}

#[tokio::test]
async fn an_officer_answers_the_self_check_and_findings_follow_the_answers() {
    let w = world_on(server(0).await).await;
    let start = json!({"catalog": "mod-external-service/self_check", "organisation": w.unit, "title": "令和8年度 自己点検"});
    let (status, _) =
        w.t.post(&w.other_officer, "/api/v1/assessments", start.clone())
            .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another unit's officer");
    let (status, body) = w.t.post(&w.officer, "/api/v1/assessments", json!({"catalog": "self_check", "organisation": w.unit, "title": " ", "groups": ["nobody"]})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["fields"]["title"].is_string()
            && body["error"]["fields"]["groups"].is_string()
    );
    let id = w.t.create(&w.officer, "/api/v1/assessments", start).await;
    let path = format!("/api/v1/assessments/{id}");
    let answers_url = w.t.url(&format!("{path}/answers"));
    let put = |c, body| send(c, Method::PUT, &answers_url, Some(body));

    // The page lists the tree in order; the conditional requirement waits for its answer.
    let (_, a) = w.t.get(&w.officer, &path).await;
    assert_eq!(a["asked"], 4);
    assert_eq!(a["unanswered"], 4);
    let ids: Vec<&str> = a["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["5.3", "5.3(1)", "5.3(2)", "5.3(2)①", "6.1", "7.1"]);
    assert_eq!(a["requirements"][3]["applies"], false);
    assert_eq!(a["requirements"][0]["question"], "none");

    // Every wrong answer is named, and none is stored.
    let (status, body) = put(
        &w.officer,
        answers(&[
            ("5.3(1)", "yes", ""),
            ("5.3", "yes", ""),
            ("6.1", "most", ""),
            ("7.1", "na", ""),
            ("9.9", "yes", ""),
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let f = &body["error"]["fields"];
    assert_eq!(
        f["7.1"],
        "「7.1 窓口端末を施錠している」を「該当なし」とする理由を入力してください。"
    );
    assert_eq!(
        f["6.1"],
        "「6.1 媒体を台帳で管理している」の回答は選択肢から選んでください。"
    );
    assert!(f["5.3"].is_string() && f["9.9"].is_string());
    let (_, a) = w.t.get(&w.officer, &path).await;
    assert_eq!(
        (a["pass"].as_i64(), a["unanswered"].as_i64()),
        (Some(0), Some(4))
    );

    // Answering "yes" to 5.3(2) asks 5.3(2)①; the chief reads but does not answer.
    let (status, body) = put(
        &w.officer,
        answers(&[
            ("5.3(1)", "yes", ""),
            ("5.3(2)", "yes", ""),
            ("5.3(2)①", "no", "記録簿がない"),
            ("6.1", "some", ""),
            ("7.1", "na", "窓口端末を置いていない"),
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, _) = put(&w.chief, answers(&[("5.3(1)", "no", "")])).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, a) = w.t.get(&w.chief, &path).await;
    assert_eq!(status, StatusCode::OK, "the chief above reads it");
    assert_eq!(a["may_answer"], false);
    assert_eq!(
        (
            a["pass"].as_i64(),
            a["fail"].as_i64(),
            a["not_applicable"].as_i64()
        ),
        (Some(2), Some(2), Some(1))
    );
    assert_eq!(a["score"], 33, "2 of 6 weight passes");
    let (status, _) = w.t.get(&w.other_officer, &path).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Taking back the answer that asked 5.3(2)① drops its answer, and its finding.
    let (status, _) = put(&w.officer, answers(&[("5.3(2)", "no", "")])).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, found) = w.t.get(&w.officer, &format!("{path}/findings")).await;
    let found: Vec<&str> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["requirement"].as_str().unwrap())
        .collect();
    assert_eq!(found, ["5.3(2)", "6.1"]);

    let (status, _) = send(
        &w.officer,
        Method::POST,
        &w.t.url(&format!("{path}/submit")),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // Each finding opened a remediation case, due at the end of next month, in the inbox.
    let (_, found) = w.t.get(&w.officer, &format!("{path}/findings")).await;
    let case = found[1]["answer"]["remediation_case"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, remediation) = w.t.get(&w.officer, &format!("/api/v1/cases/{case}")).await;
    assert_eq!(remediation["procedure"], "remediation", "{remediation}");
    assert_eq!(
        remediation["data"]["requirement"],
        "6.1 媒体を台帳で管理している"
    );
    assert_eq!(remediation["data"]["finding"], "令和8年度 自己点検（some）");
    assert!(remediation["due_at"].is_string(), "{remediation}");
    let (_, inbox) = w.t.get(&w.officer, "/api/v1/inbox").await;
    assert_eq!(inbox["items"].as_array().map(Vec::len), Some(2), "{inbox}");
    let (status, body) = put(&w.officer, answers(&[("6.1", "all", "")])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (_, list) = w.t.get(&w.chief, "/api/v1/assessments").await;
    assert_eq!(list["items"][0]["state"], "submitted");
}

#[tokio::test]
async fn a_catalog_of_1200_requirements_is_read_a_page_at_a_time() {
    let w = world_on(server(1200).await).await;
    let id =
        w.t.create(
            &w.officer,
            "/api/v1/assessments",
            json!({"catalog": "large", "organisation": w.unit, "title": "大規模"}),
        )
        .await;
    let path = format!("/api/v1/assessments/{id}");
    let (_, a) =
        w.t.get(&w.officer, &format!("{path}?offset=620&limit=50"))
            .await;
    assert_eq!(a["asked"], 1200);
    assert_eq!(a["total"], 1240, "40 headings and 1200 requirements");
    let page = a["requirements"].as_array().unwrap();
    assert_eq!(page.len(), 50);
    assert_eq!(page[0]["id"], "20", "chapter 20's heading is line 620");
    assert_eq!(page[1]["id"], "20.0");
    // A page answered at once; submitting names what is still missing, the first 50.
    let body = json!({"answers": page.iter().filter(|r| r["question"] == "yes_no")
        .map(|r| json!({"requirement": r["id"], "answer": "yes"})).collect::<Vec<_>>()});
    let n = body["answers"].as_array().unwrap().len();
    let (status, _) = send(
        &w.officer,
        Method::PUT,
        &w.t.url(&format!("{path}/answers")),
        Some(body),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, a) = w.t.get(&w.officer, &path).await;
    assert_eq!(a["pass"].as_u64().unwrap() as usize, n);
    assert_eq!(a["unanswered"].as_u64().unwrap() as usize, 1200 - n);
    let (status, body) = send(
        &w.officer,
        Method::POST,
        &w.t.url(&format!("{path}/submit")),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["fields"].as_object().unwrap().len(), 50);
    assert_eq!(
        body["error"]["fields"]["0.0"],
        "「0.0 要件0の0」が未回答です。"
    );
}

#[tokio::test]
async fn the_assessment_pages_start_answer_and_keep_what_was_typed() {
    use crate::auth::hidden;
    use crate::support::PASSWORD;

    let w = world_on(server(0).await).await;
    let browser = w.t.browser("officer@mod.example.jp", PASSWORD).await;
    let page = w.t.html(&browser, "/assessments").await;
    let csrf = hidden(&page, "_csrf");
    assert!(
        page.contains("value=\"mod-external-service/self_check\""),
        "{page}"
    );
    let start = |title: &'static str| {
        browser
            .post(w.t.url("/assessments"))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("catalog", "mod-external-service/self_check"),
                ("organisation", w.unit.as_str()),
                ("title", title),
                ("groups", "staff"),
            ])
            .send()
    };
    let res = start("  ").await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.unwrap().contains("入力してください"));
    let res = start("令和8年度 自己点検（職員）").await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = res.headers()["location"].to_str().unwrap().to_owned();
    let path = to.split('?').next().unwrap().to_owned();
    let page = w.t.html(&browser, &to).await;
    assert!(page.contains("点検を始めました"));
    // Only the staff group is asked, and only its requirements are listed.
    assert!(page.contains("name=\"a:5.3(1)\""));
    assert!(!page.contains("name=\"a:5.3(2)\""));

    // Evidence uploaded from the page is kept and linked; a mistake is named.
    let evidence = |title: &'static str| {
        let form = reqwest::multipart::Form::new()
            .text("_csrf", csrf.clone())
            .text("requirement", "5.3(1)")
            .text("title", title)
            .text("effective_on", "2026-04-01")
            .text("expires_on", "")
            .part(
                "file",
                reqwest::multipart::Part::bytes(b"%PDF-1.7 rules".to_vec()).file_name("規程.pdf"),
            );
        browser
            .post(w.t.url(&format!("{path}/evidence")))
            .multipart(form)
            .send()
    };
    let res = evidence("").await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.unwrap().contains("入力してください"));
    let res = evidence("パスワード管理規程").await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = res.headers()["location"].to_str().unwrap().to_owned();
    let page = w.t.html(&browser, &to).await;
    assert!(page.contains("証跡を要件に結び付けました"), "{page}");
    assert!(page.contains(">パスワード管理規程</a>"), "{page}");

    let answer = |pairs: Vec<(&'static str, &'static str)>| {
        let mut form = vec![("_csrf", csrf.as_str()), ("_offset", "0")];
        form.extend(pairs);
        browser
            .post(w.t.url(&format!("{path}/answers")))
            .form(&form)
            .send()
    };
    let res = answer(vec![
        ("r", "5.3(1)"),
        ("a:5.3(1)", "yes"),
        ("n:5.3(1)", "年1回確認"),
        ("r", "7.1"),
        ("a:7.1", "na"),
        ("n:7.1", ""),
    ])
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("「7.1 窓口端末を施錠している」を「該当なし」とする理由を入力してください。"),
        "{page}"
    );
    assert!(
        page.contains("value=\"年1回確認\""),
        "the remark typed is kept"
    );
    assert!(
        page.contains("name=\"a:5.3(1)\" value=\"yes\" checked"),
        "the answer chosen is kept"
    );

    let res = browser
        .post(w.t.url(&format!("{path}/submit")))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("「6.1 媒体を台帳で管理している」が未回答です。")
    );

    let res = answer(vec![
        ("r", "5.3(1)"),
        ("a:5.3(1)", "yes"),
        ("n:5.3(1)", ""),
        ("r", "6.1"),
        ("a:6.1", "some"),
        ("n:6.1", "USBメモリの一部が未登録"),
        ("r", "7.1"),
        ("a:7.1", "na"),
        ("n:7.1", "窓口端末なし"),
    ])
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = browser
        .post(w.t.url(&format!("{path}/submit")))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = w.t.html(&browser, &path).await;
    assert!(page.contains("提出済み"));
    assert!(
        page.contains("適合 1 件・不適合 1 件・該当なし 1 件"),
        "{page}"
    );
    assert!(!page.contains("name=\"a:5.3(1)\""), "no more answering");
}

#[tokio::test]
async fn a_campaign_fans_out_to_each_section_and_totals_upward() {
    let w = world_on(server(0).await).await;
    let admin = w.t.admin().await;
    let (_, unit) =
        w.t.get(&admin, &format!("/api/v1/organisations/{}", w.unit))
            .await;
    let bureau = unit["parent"].as_str().unwrap().to_owned();
    let start = json!({"catalog": "self_check", "organisation": bureau, "title": "令和8年度 一斉点検", "campaign": true});
    let (status, _) =
        w.t.post(&w.officer, "/api/v1/assessments", start.clone())
            .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a unit's officer runs no campaign"
    );
    let campaign = w.t.create(&w.chief, "/api/v1/assessments", start).await;
    let (_, c) =
        w.t.get(&w.chief, &format!("/api/v1/assessments/{campaign}"))
            .await;
    assert_eq!(c["state"], "campaign");
    let parts = c["parts"].as_array().unwrap();
    let names: Vec<&str> = parts
        .iter()
        .map(|p| p["organisation_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["サイバー整備課", "情報通信課"]);
    // Each section answers its own part; the campaign itself takes no answers.
    let part_of = |org: &str| {
        parts.iter().find(|p| p["organisation"] == org).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let ours = part_of(&w.unit);
    let theirs = part_of(&w.other_unit);
    let put = |c, id: &str, body| {
        let url = w.t.url(&format!("/api/v1/assessments/{id}/answers"));
        async move { send(c, Method::PUT, &url, Some(body)).await }
    };
    let (status, _) = put(&w.officer, &campaign, answers(&[("5.3(1)", "yes", "")])).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = put(&w.officer, &theirs, answers(&[("5.3(1)", "yes", "")])).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "not another section's part");
    let (status, _) = put(
        &w.officer,
        &ours,
        answers(&[("5.3(1)", "yes", ""), ("6.1", "some", "")]),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = put(&w.other_officer, &theirs, answers(&[("5.3(1)", "no", "")])).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) =
        w.t.get(&w.officer, &format!("/api/v1/assessments/{campaign}"))
            .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a section does not read the others' results"
    );
    let (_, c) =
        w.t.get(&w.chief, &format!("/api/v1/assessments/{campaign}"))
            .await;
    assert_eq!(
        (c["pass"].as_i64(), c["fail"].as_i64()),
        (Some(1), Some(2)),
        "{c}"
    );
    let answered: Vec<i64> = c["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["answered"].as_i64().unwrap())
        .collect();
    assert_eq!(answered, [1, 2]);
    let (_, part) =
        w.t.get(&w.officer, &format!("/api/v1/assessments/{ours}"))
            .await;
    assert_eq!(part["campaign"], campaign.as_str());
}

/// Uploads evidence for an organisation through the API.
pub(crate) async fn add_evidence(
    t: &TestApp,
    c: &reqwest::Client,
    org: &str,
    title: &str,
    effective_on: &str,
    expires_on: &str,
) -> (StatusCode, Value) {
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"%PDF-1.7 audit report".to_vec())
                .file_name("監査結果通知書.pdf"),
        )
        .text("title", title.to_owned())
        .text("effective_on", effective_on.to_owned())
        .text("expires_on", expires_on.to_owned());
    let res = c
        .post(t.url(&format!("/api/v1/organisations/{org}/evidence")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn evidence_is_kept_once_and_serves_every_assessment_while_in_force() {
    let w = world_on(server(0).await).await;
    let today = jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::get("Asia/Tokyo").unwrap())
        .date();
    let (status, body) =
        add_evidence(&w.t, &w.officer, &w.unit, " ", "2026-02-30", "2020-01-01").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let f = &body["error"]["fields"];
    assert!(
        f["title"].is_string() && f["effective_on"].is_string(),
        "{body}"
    );
    let (status, _) = add_evidence(&w.t, &w.other_officer, &w.unit, "他課", "2026-04-01", "").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let year_ago = today
        .checked_sub(jiff::Span::new().years(1))
        .unwrap()
        .to_string();
    let yesterday = today.yesterday().unwrap().to_string();
    let (status, good) = add_evidence(
        &w.t,
        &w.officer,
        &w.unit,
        "令和8年度 監査結果通知書",
        &year_ago,
        "",
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{good}");
    let good = good["id"].as_str().unwrap().to_owned();
    let (_, old) = add_evidence(
        &w.t,
        &w.officer,
        &w.unit,
        "失効した証明書",
        &year_ago,
        &yesterday,
    )
    .await;
    let old = old["id"].as_str().unwrap().to_owned();

    // Two assessments of the unit use the same evidence; expired evidence is refused.
    let mut assessments = Vec::new();
    for title in ["前期", "後期"] {
        let id =
            w.t.create(
                &w.officer,
                "/api/v1/assessments",
                json!({"catalog": "self_check", "organisation": w.unit, "title": title}),
            )
            .await;
        let (status, body) =
            w.t.post(
                &w.officer,
                &format!("/api/v1/assessments/{id}/evidence"),
                json!({"requirement": "5.3(1)", "evidence": good}),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        assessments.push(id);
    }
    let (status, body) =
        w.t.post(
            &w.officer,
            &format!("/api/v1/assessments/{}/evidence", assessments[0]),
            json!({"requirement": "6.1", "evidence": old}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["error"]["fields"]["evidence"],
        "この証跡は今日の時点で有効ではありません（有効期間を確認してください）。"
    );
    let (_, a) =
        w.t.get(
            &w.officer,
            &format!("/api/v1/assessments/{}", assessments[1]),
        )
        .await;
    let linked = &a["requirements"][1]["evidence"];
    assert_eq!(linked[0]["title"], "令和8年度 監査結果通知書", "{a}");

    // Readers of the unit list and download it, each download recorded; others do not.
    let (_, list) =
        w.t.get(
            &w.chief,
            &format!("/api/v1/organisations/{}/evidence", w.unit),
        )
        .await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    let before = w.t.audit_count().await;
    let res = w
        .chief
        .get(w.t.url(&format!("/api/v1/evidence/{good}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.bytes().await.unwrap().as_ref(),
        b"%PDF-1.7 audit report"
    );
    assert_eq!(w.t.audit_count().await, before + 1);
    let (status, _) =
        w.t.get(
            &w.other_officer,
            &format!("/api/v1/organisations/{}/evidence", w.unit),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let res = w
        .other_officer
        .get(w.t.url(&format!("/api/v1/evidence/{good}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}
