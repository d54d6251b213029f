//! Staff added in bulk from an HR workbook: every row checked before anyone is added, each
//! person given a sign-in code that opens their account once, until it expires, and
//! nothing of one company reachable from another's administrator.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::support::*;

/// A workbook with `header` in its first row and `rows` below.
fn workbook(header: &[&str], rows: &[&[&str]]) -> Vec<u8> {
    mamori_sheets::write(&mamori_sheets::Table {
        sheet: "職員一覧".into(),
        meta: vec![],
        columns: header
            .iter()
            .map(|h| mamori_sheets::Column {
                id: (*h).into(),
                label: (*h).into(),
                width: 20.0,
            })
            .collect(),
        rows: rows
            .iter()
            .map(|r| r.iter().map(|c| (*c).to_owned()).collect())
            .collect(),
    })
    .unwrap()
}

async fn import(t: &TestApp, c: &Client, org: &str, file: Vec<u8>) -> (StatusCode, Value) {
    let form = reqwest::multipart::Form::new()
        .text("organisation", org.to_owned())
        .part(
            "file",
            reqwest::multipart::Part::bytes(file).file_name("職員一覧.xlsx"),
        );
    let res = c
        .post(t.url("/api/v1/persons/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn problems(body: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = body["error"]["fields"]
        .as_object()
        .map(|f| {
            f.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// 甲社 with a unit 情報システム課, and its administrator.
async fn company(t: &TestApp) -> (String, String, Client) {
    let c = t.admin().await;
    let ko = t.org(&c, "甲社", "company", None).await;
    let unit = t.org(&c, "情報システム課", "unit", Some(&ko)).await;
    let admin = t.person(&c, "甲 管理", "admin@ko.example.jp", &ko).await;
    t.designate(&c, "administrator", &ko, &admin).await;
    let ko_admin = t.first_login("admin@ko.example.jp", "initial-pass-1").await;
    (ko, unit, ko_admin)
}

#[tokio::test]
async fn a_workbook_adds_everyone_and_each_code_opens_its_account_once() {
    let t = TestApp::with_admin().await;
    let (ko, unit, c) = company(&t).await;
    let events_before = t.audit_count().await;
    let file = workbook(
        &["氏名", "メールアドレス", "所属"],
        &[
            &["山田 太郎", "Taro@Ko.example.jp", ""],
            &["佐藤 花子", "hanako@ko.example.jp", "情報システム課"],
            &["鈴木 一郎", "ichiro@ko.example.jp", "甲社"],
        ],
    );
    let (status, body) = import(&t, &c, &ko, file).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let people = body["people"].as_array().unwrap();
    assert_eq!(people.len(), 3);
    assert_eq!(people[0]["email"], "taro@ko.example.jp");
    assert_eq!(people[0]["organisation"], ko.as_str());
    assert_eq!(people[1]["organisation"], unit.as_str());
    assert_eq!(people[1]["organisation_name"], "情報システム課");
    assert_eq!(people[2]["organisation"], ko.as_str());
    // One event per person and one for the import.
    assert_eq!(t.audit_count().await, events_before + 4);

    // The code, copied loosely, signs in once and asks for a password of one's own.
    let code = people[1]["code"].as_str().unwrap().to_owned();
    let typed = code.to_lowercase().replace('-', " ");
    let hanako = t.first_login("hanako@ko.example.jp", &typed).await;
    let (status, me) = t.get(&hanako, "/api/v1/me").await;
    assert_eq!(status, StatusCode::OK, "{me}");
    let (status, _) = send(
        &t.client(),
        reqwest::Method::POST,
        &t.url("/api/v1/session"),
        Some(json!({"email": "hanako@ko.example.jp", "password": code})),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the code is spent");
    t.login("hanako@ko.example.jp", PASSWORD).await;
    // Another person's code does not open this account.
    let (status, _) = send(
        &t.client(),
        reqwest::Method::POST,
        &t.url("/api/v1/session"),
        Some(json!({"email": "taro@ko.example.jp", "password": people[2]["code"]})),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    t.verify_chain().await;
}

#[tokio::test]
async fn a_code_no_longer_opens_the_account_after_thirty_days() {
    let hands = Hands::at("2026-12-01T09:00:00+09:00");
    let t = TestApp::build(hands.clock(), mamori_library::shipped().unwrap(), |_| {})
        .await
        .add_admin()
        .await;
    let (ko, _, c) = company(&t).await;
    let (status, body) = import(
        &t,
        &c,
        &ko,
        workbook(
            &["name", "e-mail"],
            &[
                &["山田 太郎", "taro@ko.example.jp"],
                &["佐藤 花子", "hanako@ko.example.jp"],
            ],
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["codes_expire_at"], "2026-12-31T00:00:00Z");
    let login = |email: &'static str, code: Value| {
        let t = &t;
        async move {
            send(
                &t.client(),
                reqwest::Method::POST,
                &t.url("/api/v1/session"),
                Some(json!({"email": email, "password": code})),
            )
            .await
        }
    };
    hands.set("2026-12-31T08:59:59+09:00");
    let (status, reply) = login("taro@ko.example.jp", body["people"][0]["code"].clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{reply}");
    assert_eq!(reply["error"]["code"], "password_change_required");
    hands.set("2026-12-31T09:00:00+09:00");
    let (status, _) = login("hanako@ko.example.jp", body["people"][1]["code"].clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "expired");
    // The administrator (signed in again a month on) starts them with a password of the
    // usual kind.
    let c = t.login("admin@ko.example.jp", PASSWORD).await;
    let id = body["people"][1]["id"].as_str().unwrap();
    let (status, reply) = t
        .post(
            &c,
            &format!("/api/v1/persons/{id}/password-reset"),
            json!({"password": "temporary-pass-2"}),
        )
        .await;
    assert!(status.is_success(), "{reply}");
    t.first_login("hanako@ko.example.jp", "temporary-pass-2")
        .await;
}

#[tokio::test]
async fn one_wrong_row_adds_nobody_and_every_problem_is_named_by_its_row() {
    let t = TestApp::with_admin().await;
    let (ko, _, c) = company(&t).await;
    let root = t.admin().await;
    let otsu = t.org(&root, "乙社", "company", None).await;
    t.org(&root, "営業課", "unit", Some(&otsu)).await;
    let file = workbook(
        &["所属", "メールアドレス", "氏名", "備考"],
        &[
            &["", "taro@ko.example.jp", "山田 太郎", "正しい行"],
            &["", "not-an-address", "佐藤 花子", ""],
            &["", "TARO@ko.example.jp", "山田 次郎", "2行目と同じアドレス"],
            &["", "admin@ko.example.jp", "甲 管理", "登録済み"],
            &["営業課", "eigyo@ko.example.jp", "", "乙社の課、氏名なし"],
        ],
    );
    let (status, body) = import(&t, &c, &ko, file).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        problems(&body),
        [
            (
                "row3.email".into(),
                "「3行目 メールアドレス」はメールアドレスの形式で入力してください（例: taro@example.go.jp）。".into()
            ),
            (
                "row4.email".into(),
                "「4行目 メールアドレス」が 2 行目と同じです（同じ行を二度書いています）。".into()
            ),
            (
                "row5.email".into(),
                "「5行目 メールアドレス」はすでに mamori に登録されています。別のアドレスにするか、この行を削除してください。".into()
            ),
            ("row6.name".into(), "「6行目 氏名」を入力してください。".into()),
        ],
        "{body}"
    );
    let (_, list) = t.get(&c, "/api/v1/persons?q=taro").await;
    assert_eq!(list["total"], 0, "nobody was added");

    // A unit of another company is no unit of ours, by name or by id.
    let file = workbook(
        &["氏名", "メールアドレス", "所属"],
        &[
            &["山田 太郎", "taro@ko.example.jp", "営業課"],
            &["佐藤 花子", "hanako@ko.example.jp", &otsu],
        ],
    );
    let (status, body) = import(&t, &c, &ko, file).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let named: Vec<String> = problems(&body).into_iter().map(|(f, _)| f).collect();
    assert_eq!(named, ["row2.unit", "row3.unit"]);

    // A sheet without the columns, and a file that is no workbook.
    let (status, body) = import(&t, &c, &ko, workbook(&["名簿"], &[&["山田"]])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("「氏名」と「メールアドレス」"),
        "{body}"
    );
    let (status, _) = import(&t, &c, &ko, b"name,email\n".to_vec()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    t.verify_chain().await;
}

#[tokio::test]
async fn only_an_administrator_over_the_organisation_may_import() {
    let t = TestApp::with_admin().await;
    let (ko, _, _) = company(&t).await;
    let root = t.admin().await;
    let otsu = t.org(&root, "乙社", "company", None).await;
    let otsu_admin = t
        .person(&root, "乙 管理", "admin@otsu.example.jp", &otsu)
        .await;
    t.designate(&root, "administrator", &otsu, &otsu_admin)
        .await;
    let otsu_admin = t
        .first_login("admin@otsu.example.jp", "initial-pass-1")
        .await;
    t.person(&root, "甲 職員", "staff@ko.example.jp", &ko).await;
    let ko_staff = t.first_login("staff@ko.example.jp", "initial-pass-1").await;
    let file = || {
        workbook(
            &["氏名", "メールアドレス"],
            &[&["山田 太郎", "taro@ko.example.jp"]],
        )
    };
    for c in [&otsu_admin, &ko_staff] {
        let (status, body) = import(&t, c, &ko, file()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }
    let (_, list) = t.get(&root, "/api/v1/persons?q=taro").await;
    assert_eq!(list["total"], 0);
}

#[tokio::test]
async fn the_page_keeps_the_choice_names_each_row_and_shows_the_codes_once() {
    let t = TestApp::with_admin().await;
    let (ko, _, _) = company(&t).await;
    let c = t.browser("admin@ko.example.jp", PASSWORD).await;
    let page = t
        .html(&c, &format!("/persons/import?organisation={ko}"))
        .await;
    assert!(page.contains("有効期間は 30 日"), "{page}");
    let csrf = crate::auth::hidden(&page, "_csrf");
    let post = |file: Vec<u8>| {
        let form = reqwest::multipart::Form::new()
            .text("_csrf", csrf.clone())
            .text("organisation", ko.clone())
            .part(
                "file",
                reqwest::multipart::Part::bytes(file).file_name("職員一覧.xlsx"),
            );
        c.post(t.url("/persons/import")).multipart(form).send()
    };
    let res = post(workbook(
        &["氏名", "メールアドレス"],
        &[&["山田 太郎", "taro@"]],
    ))
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("「2行目 メールアドレス」はメールアドレスの形式"),
        "{page}"
    );
    assert!(page.contains(&format!("value=\"{ko}\" selected")), "{page}");

    let res = post(workbook(
        &["氏名", "メールアドレス"],
        &[&["山田 太郎", "taro@ko.example.jp"]],
    ))
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.unwrap();
    assert!(page.contains("利用開始コードの通知"), "{page}");
    let code = page
        .split("<code>")
        .nth(1)
        .and_then(|s| s.split("</code>").next())
        .unwrap()
        .to_owned();
    t.first_login("taro@ko.example.jp", &code).await;
}

#[tokio::test]
async fn past_a_thousand_a_list_says_so_instead_of_counting_every_row() {
    let t = TestApp::with_admin().await;
    let (ko, _, c) = company(&t).await;
    // 甲社 has its administrator; the sheet (over the 64 kB of an ordinary form, as an
    // office's staff list is) adds 1,004 more.
    let rows: Vec<[String; 2]> = (1..=1004)
        .map(|i| {
            // Digits that do not repeat, so the workbook does not pack small.
            let noise = |n: u64| -> String {
                (0..n)
                    .map(|k| {
                        format!(
                            "{:08x}",
                            (i * 7919 + k).wrapping_mul(2_654_435_761) % 4_294_967_291
                        )
                    })
                    .collect()
            };
            [
                format!("職員 {i:04} {}", noise(10)),
                format!("staff{i:04}.{}@ko.example.jp", noise(8)),
            ]
        })
        .collect();
    let rows: Vec<[&str; 2]> = rows.iter().map(|[a, b]| [a.as_str(), b.as_str()]).collect();
    let rows: Vec<&[&str]> = rows.iter().map(|r| r.as_slice()).collect();
    let file = workbook(&["氏名", "メールアドレス"], &rows);
    assert!(file.len() > 64 * 1024, "{} bytes", file.len());
    let (status, body) = import(&t, &c, &ko, file).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // 1,005 people of 甲社 (its administrator too): counted to a thousand, and said so.
    let (_, list) = t.get(&c, "/api/v1/persons?limit=10").await;
    assert_eq!(list["total"], 1000, "{list}");
    assert_eq!(list["total_exact"], false);
    assert_eq!(list["items"].as_array().unwrap().len(), 10);
    let (_, last) = t.get(&c, "/api/v1/persons?limit=10&offset=1000").await;
    assert_eq!(last["items"].as_array().unwrap().len(), 5, "paging goes on");
    // A narrower list is counted exactly.
    let (_, some) = t.get(&c, "/api/v1/persons?q=staff100").await;
    assert_eq!(some["total"], 5, "{some}");
    assert_eq!(some["total_exact"], true);

    let b = t.browser("admin@ko.example.jp", PASSWORD).await;
    let page = t.html(&b, "/persons").await;
    assert!(page.contains("1000 件以上"), "{page}");
    assert!(page.contains("offset="), "a next page is offered: {page}");
    let page = t.html(&b, "/persons?q=staff100").await;
    assert!(page.contains("全 5 件"), "{page}");
}
