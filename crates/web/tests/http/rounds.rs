//! Recurring procedures through the API, in the world of seed 004: 青葉市's departments check
//! themselves every fiscal year (9.2(1)②), each system is checked (9.2(1)①) and each
//! member of staff is trained (5.2(2)②). mamori opens each round's cases when the year
//! begins — once, however many servers tick — reminds before it ends, says when it is
//! overdue, and keeps the compliance board of who has done it. The library is a test
//! fixture (`fixtures/libraries/mod-yearly`).

use mamori_app::{App, Settings};
use mamori_auth::password::Cost;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::support::{Hands, TestApp, with_fixtures};

fn tune(s: &mut Settings) {
    // The tests move the clock over years; sessions must outlive that.
    s.session_idle_minutes = 60 * 24 * 2000;
    s.session_max_hours = 24 * 2000;
}

struct City {
    t: TestApp,
    hands: Hands,
    admin: Client,
    city: String,
    general: String,
    tax: String,
    /// 総務部's information security officer.
    officer: Client,
    /// 税務部's.
    tax_officer: Client,
    /// 税務部's system manager.
    manager: Client,
    /// Two members of staff of 総務部.
    staff: Vec<Client>,
    /// A neighbouring town, another tree.
    town_officer: Client,
}

/// 青葉市 with two departments, each with its information security officer; 税務部 runs
/// one system; 総務部 has two members of staff. 緑町 is another municipality. The clock is
/// 31 March 2026, the last day of 令和7年度.
async fn city() -> City {
    let hands = Hands::at("2026-03-31T03:00:00Z");
    let t = TestApp::build(hands.clock(), with_fixtures(&["mod-yearly"]), tune)
        .await
        .add_admin()
        .await;
    let admin = t.admin().await;
    let city = t.org(&admin, "青葉市", "local_government", None).await;
    let general = t.org(&admin, "総務部", "department", Some(&city)).await;
    let tax = t.org(&admin, "税務部", "department", Some(&city)).await;
    let town = t.org(&admin, "緑町", "local_government", None).await;
    let mut people = t
        .people(
            &admin,
            &[
                (
                    "総務 一郎",
                    "officer@aoba.example.jp",
                    &general,
                    "security_officer",
                ),
                ("税務 二郎", "tax@aoba.example.jp", &tax, "security_officer"),
                (
                    "基幹 三子",
                    "manager@aoba.example.jp",
                    &tax,
                    "system_manager",
                ),
                ("職員 四郎", "staff1@aoba.example.jp", &general, "staff"),
                ("職員 五子", "staff2@aoba.example.jp", &general, "staff"),
                (
                    "緑 六郎",
                    "officer@midori.example.jp",
                    &town,
                    "security_officer",
                ),
            ],
        )
        .await
        .into_iter();
    let mut next = || people.next().unwrap();
    let (officer, tax_officer, manager) = (next(), next(), next());
    let staff = vec![next(), next()];
    let town_officer = next();
    let row = t
        .create(
            &manager,
            "/api/v1/registers/systems/rows",
            json!({"organisation": tax, "data": {"system_name": "住民情報システム", "confidentiality": "c2"}}),
        )
        .await;
    // 三子 manages this system: the role is held for its row, not in 税務部 at large.
    let (_, me) = t.get(&manager, "/api/v1/me").await;
    let (status, body) = t
        .post(
            &admin,
            &format!("/api/v1/registers/systems/rows/{row}/roles"),
            json!({"role": "system_manager", "person": me["id"], "starts_on": "2026-03-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    City {
        t,
        hands,
        admin,
        city,
        general,
        tax,
        officer,
        tax_officer,
        manager,
        staff,
        town_officer,
    }
}

impl City {
    async fn board(&self, c: &Client, procedure: &str, query: &str) -> Value {
        let (status, body) = self
            .t
            .get(
                c,
                &format!("/api/v1/obligations/mod-yearly/{procedure}{query}"),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    async fn inbox(&self, c: &Client) -> Vec<Value> {
        let (status, body) = self.t.get(c, "/api/v1/inbox").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["items"].as_array().unwrap().clone()
    }

    async fn subjects(&self, c: &Client) -> Vec<String> {
        let (status, body) = self.t.get(c, "/api/v1/notifications").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body.as_array()
            .unwrap()
            .iter()
            .map(|n| n["subject"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Another server over the same database, on the same clock, as a cluster runs.
    async fn second_server(&self) -> App {
        let mut settings = Settings {
            password_cost: Cost::TESTING,
            ..Settings::default()
        };
        tune(&mut settings);
        App::new(self.t.db.clone(), self.hands.clock(), settings)
            .unwrap()
            .install_libraries(with_fixtures(&["mod-yearly"]))
            .await
            .unwrap()
    }
}

fn standings(board: &Value) -> Vec<(String, String)> {
    board["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["organisation_name"].as_str().unwrap().to_owned(),
                l["standing"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn each_round_opens_once_for_each_target_when_the_fiscal_year_begins() {
    let w = city().await;
    // 令和7年度 is still running: its cases open at once for the year's last day.
    // Moving to 1 April 2026 (令和8年度) opens the new round for everyone.
    w.hands.set("2026-04-01T00:30:00Z");
    let first = w.t.app.open_rounds().await.unwrap();
    // Self-checks: 総務部, 税務部, 緑町; system checks: one system; training: two staff.
    assert_eq!(first, 6);
    assert_eq!(
        w.t.app.open_rounds().await.unwrap(),
        0,
        "a round opens once"
    );

    // The officer's case is in their inbox, named after the year, due at its end.
    let inbox = w.inbox(&w.officer).await;
    assert_eq!(inbox.len(), 1, "{inbox:?}");
    assert_eq!(inbox[0]["title"], "部局の自己点検 令和8年度");
    assert_eq!(inbox[0]["due_at"], "2027-03-31T15:00:00Z");
    let subjects = w.subjects(&w.officer).await;
    assert!(
        subjects
            .iter()
            .any(|s| s.contains("部局の自己点検（令和8年度）を始めてください（2027-03-31まで）")),
        "{subjects:?}"
    );
    // The system check is its manager's, named after the system.
    let inbox = w.inbox(&w.manager).await;
    assert_eq!(inbox.len(), 1, "{inbox:?}");
    assert_eq!(
        inbox[0]["title"],
        "情報システムの自己点検 令和8年度 ／ 住民情報システム"
    );
    // A check about a C2 system is itself C2 (2(2)④(ア)).
    assert_eq!(inbox[0]["mark"]["label"]["ja"], "機密性2", "{inbox:?}");
    // Each member of staff has a training record of their own.
    let board = w.board(&w.officer, "training", "").await;
    let mut holders: Vec<&str> = board["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["person_name"].as_str().unwrap())
        .collect();
    holders.sort_unstable();
    assert_eq!(holders, vec!["職員 五子", "職員 四郎"]);

    // The history says mamori opened it, and the audit trail names no person.
    let case = inbox[0]["id"].as_str().unwrap();
    let (_, body) = w.t.get(&w.manager, &format!("/api/v1/cases/{case}")).await;
    assert_eq!(body["history"][0]["action"], "open");
    assert!(body["history"][0]["actor"].is_null(), "{body}");
    let (_, trail) =
        w.t.get(
            &w.admin,
            &format!("/api/v1/audit?action=case.open&organisation={}", w.tax),
        )
        .await;
    let opened: Vec<&Value> = trail["items"].as_array().unwrap().iter().collect();
    assert_eq!(opened.len(), 2, "{trail}");
    assert!(opened.iter().all(|e| e["actor"].is_null()), "{trail}");
    w.t.verify_chain().await;

    // A member of staff designated in June gets the running round's case at the next tick.
    w.hands.set("2026-06-01T00:30:00Z");
    let late =
        w.t.person(&w.admin, "新人 七子", "new@aoba.example.jp", &w.general)
            .await;
    w.t.designate(&w.admin, "staff", &w.general, &late).await;
    assert_eq!(w.t.app.open_rounds().await.unwrap(), 1);
    let board = w.board(&w.officer, "training", "").await;
    assert_eq!(board["tally"]["open"], 3, "{board}");
}

#[tokio::test]
async fn the_board_shows_who_has_done_it_reminds_before_the_end_and_marks_the_rest_overdue() {
    let w = city().await;
    w.hands.set("2026-04-01T00:30:00Z");
    w.t.app.open_rounds().await.unwrap();

    // 総務部 reports its self-check in July.
    w.hands.set("2026-07-10T01:00:00Z");
    let case = w.inbox(&w.officer).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = w
        .t
        .patch(
            &w.officer,
            &format!("/api/v1/cases/{case}"),
            json!({"data": {"checked_on": "2026-07-10", "results": "パスワード管理に不備なし", "improvements": ""}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = w.t.act(&w.officer, &case, "report", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Someone of the city sees both departments below it; 緑町 is another tree.
    let ciso =
        w.t.person(&w.admin, "市 CISO", "ciso@aoba.example.jp", &w.city)
            .await;
    assert!(!ciso.is_empty());
    let ciso =
        w.t.first_login("ciso@aoba.example.jp", "initial-pass-1")
            .await;
    let board = w.board(&ciso, "self_check", "").await;
    assert_eq!(board["round"]["label"], "令和8年度");
    assert_eq!(board["round"]["starts_on"], "2026-04-01");
    assert_eq!(board["round"]["ends_on"], "2027-03-31");
    assert_eq!(board["tally"], json!({"done": 1, "open": 1, "overdue": 0}));
    assert_eq!(
        standings(&board),
        vec![
            ("税務部".to_owned(), "open".to_owned()),
            ("総務部".to_owned(), "done".to_owned()),
        ]
    );
    // The list of obligations counts the same, in the database.
    let (_, list) = w.t.get(&ciso, "/api/v1/obligations").await;
    let own = list
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["procedure"] == "self_check")
        .unwrap();
    assert_eq!(own["tally"], json!({"done": 1, "open": 1, "overdue": 0}));
    let done = &board["lines"].as_array().unwrap()[1];
    assert_eq!(done["done_on"], "2026-07-10");
    assert_eq!(done["state"], "報告済み");
    // Filtered to one department, and to what is not done.
    let only = w
        .board(&ciso, "self_check", &format!("?organisation={}", w.tax))
        .await;
    assert_eq!(
        standings(&only),
        vec![("税務部".to_owned(), "open".to_owned())]
    );
    let open = w.board(&ciso, "self_check", "?standing=open").await;
    assert_eq!(open["lines"].as_array().unwrap().len(), 1);
    assert_eq!(open["tally"]["done"], 1, "the tally still counts everyone");
    // A department's officer sees only their own department; 緑町's only its own.
    let own = w.board(&w.tax_officer, "self_check", "").await;
    assert_eq!(
        standings(&own),
        vec![("税務部".to_owned(), "open".to_owned())]
    );
    let town = w.board(&w.town_officer, "self_check", "").await;
    assert_eq!(
        standings(&town),
        vec![("緑町".to_owned(), "open".to_owned())]
    );

    // Thirty days before the year ends, at 09:00, those not done are reminded — once,
    // even with a second server ticking.
    w.hands.set("2027-02-28T23:59:00Z");
    assert_eq!(w.t.app.send_round_notices().await.unwrap(), 0);
    w.hands.set("2027-03-01T00:00:00Z");
    let second = w.second_server().await;
    let (a, b) = tokio::join!(w.t.app.send_round_notices(), second.send_round_notices());
    // 税務部 and 緑町 (self-check); both staff's training is reminded 14 days before.
    assert_eq!(a.unwrap() + b.unwrap(), 2);
    let reminded = w.subjects(&w.tax_officer).await;
    assert_eq!(
        reminded
            .iter()
            .filter(|s| s.contains("期限（2027-03-31）が近づいています"))
            .count(),
        1,
        "{reminded:?}"
    );
    assert!(
        !w.subjects(&w.officer)
            .await
            .iter()
            .any(|s| s.contains("近づいています")),
        "a round done is not reminded"
    );

    // After the year, the rest is overdue, and said so once.
    w.hands.set("2027-04-01T00:00:00Z");
    let (a, b) = tokio::join!(w.t.app.send_round_notices(), second.send_round_notices());
    // Self-check: 税務部, 緑町; training: two staff; the system check.
    assert_eq!(a.unwrap() + b.unwrap(), 5);
    assert_eq!(w.t.app.send_round_notices().await.unwrap(), 0);
    let overdue = w.subjects(&w.tax_officer).await;
    assert_eq!(
        overdue
            .iter()
            .filter(|s| s.contains("期限（2027-03-31）を過ぎました"))
            .count(),
        1,
        "{overdue:?}"
    );
    // The board of 令和8年度, read in 令和9年度, says who never did it.
    let last_year = w.board(&ciso, "self_check", "?on=2026-10-01").await;
    assert_eq!(
        last_year["tally"],
        json!({"done": 1, "open": 0, "overdue": 1})
    );
    assert_eq!(last_year["lines"][0]["standing"], "overdue");
    // A day that is not one is refused in the user's language.
    let (status, body) =
        w.t.get(
            &ciso,
            "/api/v1/obligations/mod-yearly/self_check?on=2026-13-01",
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["fields"]["on"].is_string(), "{body}");
    let (status, body) =
        w.t.get(
            &ciso,
            "/api/v1/obligations/mod-yearly/self_check?standing=late",
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["fields"]["standing"].is_string(), "{body}");
    let (status, _) =
        w.t.get(&ciso, "/api/v1/obligations/mod-yearly/no_such")
            .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    w.t.verify_chain().await;
}

#[tokio::test]
async fn two_servers_open_each_round_once() {
    let w = city().await;
    w.hands.set("2026-04-01T00:30:00Z");
    let second = w.second_server().await;
    let third = w.second_server().await;
    let (a, b, c) = tokio::join!(
        w.t.app.open_rounds(),
        second.open_rounds(),
        third.open_rounds()
    );
    assert_eq!(a.unwrap() + b.unwrap() + c.unwrap(), 6);
    // Each holder was told once of their case. (The officers and the manager have one case
    // each in their inbox; the training cases wait on any member of staff of 総務部, as the
    // library's `by` says, so both staff see both.)
    for c in [&w.officer, &w.tax_officer, &w.manager, &w.town_officer] {
        assert_eq!(w.inbox(c).await.len(), 1);
    }
    for c in [&w.officer, &w.tax_officer, &w.manager, &w.town_officer]
        .into_iter()
        .chain(&w.staff)
    {
        let told = w.subjects(c).await;
        assert_eq!(
            told.iter()
                .filter(|s| s.contains("を始めてください"))
                .count(),
            1,
            "{told:?}"
        );
    }
    let (status, list) = w.t.get(&w.admin, "/api/v1/obligations").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let totals: Vec<(String, u64)> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["library"] == "mod-yearly")
        .map(|o| {
            let t = &o["tally"];
            (
                o["procedure"].as_str().unwrap().to_owned(),
                t["done"].as_u64().unwrap()
                    + t["open"].as_u64().unwrap()
                    + t["overdue"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        totals,
        vec![
            ("self_check".to_owned(), 3),
            ("system_check".to_owned(), 1),
            ("training".to_owned(), 2)
        ]
    );
    w.t.verify_chain().await;
}

#[tokio::test]
async fn the_board_downloads_as_a_workbook_and_the_export_is_recorded() {
    let w = city().await;
    w.hands.set("2026-04-01T00:30:00Z");
    w.t.app.open_rounds().await.unwrap();
    let res = w
        .officer
        .get(w.t.url("/api/v1/obligations/mod-yearly/training/board.xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let disposition = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    let bytes = res.bytes().await.unwrap();
    let table = mamori_sheets::read(&bytes, mamori_sheets::Limits::default()).unwrap();
    assert_eq!(table.meta("round"), Some("令和8年度"));
    let mut people: Vec<&str> = table.rows.iter().map(|(_, r)| r[1].as_str()).collect();
    people.sort_unstable();
    assert_eq!(people, vec!["職員 五子", "職員 四郎"]);
    assert!(table.rows.iter().all(|(_, r)| r[3] == "未実施"));
    let (_, trail) =
        w.t.get(&w.admin, "/api/v1/audit?action=rounds.export")
            .await;
    assert_eq!(trail["items"].as_array().unwrap().len(), 1, "{trail}");

    // The pages: the list of obligations and the board, with its filters kept.
    let page = w.t.html(&w.officer, "/obligations").await;
    assert!(page.contains("部局の自己点検"), "{page}");
    let page =
        w.t.html(&w.officer, "/obligations/mod-yearly/training?standing=open")
            .await;
    assert!(
        page.contains("職員 四郎") && page.contains("令和8年度"),
        "{page}"
    );
    assert!(page.contains("board.xlsx?standing=open"), "{page}");
}

#[tokio::test]
async fn a_reported_self_check_is_deleted_three_years_on_unless_held_and_leaves_only_its_trace() {
    let w = city().await;
    w.hands.set("2026-04-01T00:30:00Z");
    w.t.app.open_rounds().await.unwrap();
    let case = w.inbox(&w.officer).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) =
        w.t.attach_for(
            &w.officer,
            &case,
            "evidence",
            "点検票_総務部.pdf",
            b"%PDF-1.7 aoba-general",
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = w
        .t
        .patch(
            &w.officer,
            &format!("/api/v1/cases/{case}"),
            json!({"data": {"checked_on": "2026-05-20", "results": "総務部の鍵の管理に不備", "improvements": "鍵箱の設置"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    w.hands.set("2026-05-20T01:00:00Z");
    let (status, body) = w.t.act(&w.officer, &case, "report", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Three years after it was reported it is still kept; the day after, it would go — but
    // the city's auditor holds it. Only an administrator or an auditor may.
    let auditor =
        w.t.person(&w.admin, "監査 八郎", "auditor@aoba.example.jp", &w.city)
            .await;
    w.t.designate(&w.admin, "auditor", &w.city, &auditor).await;
    let auditor =
        w.t.first_login("auditor@aoba.example.jp", "initial-pass-1")
            .await;
    w.hands.set("2029-05-19T14:00:00Z");
    assert_eq!(w.t.app.purge_expired_cases().await.unwrap(), 0);
    let hold = format!("/api/v1/cases/{case}/hold");
    let (status, _) =
        w.t.post(&w.officer, &hold, json!({"reason": "監査対応"}))
            .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = w.t.post(&auditor, &hold, json!({"reason": ""})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["fields"]["reason"].is_string(), "{body}");
    let (status, body) =
        w.t.post(&auditor, &hold, json!({"reason": "情報公開請求への対応中"}))
            .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["held"], true);
    w.hands.set("2029-06-01T00:00:00Z");
    assert_eq!(w.t.app.purge_expired_cases().await.unwrap(), 0, "held");
    let (_, body) = w.t.get(&w.officer, &hold).await;
    assert_eq!(body["reason"], "情報公開請求への対応中");

    // Released, it goes at the next tick with its history, its notices, its round and its
    // file; the other departments' cases stay.
    let (status, body) = w.t.send_delete(&auditor, &hold).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["held"], false);
    assert_eq!(w.t.app.purge_expired_cases().await.unwrap(), 1);
    assert_eq!(w.t.app.purge_expired_cases().await.unwrap(), 0);
    let (status, _) = w.t.get(&w.officer, &format!("/api/v1/cases/{case}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        !w.subjects(&w.officer)
            .await
            .iter()
            .any(|s| s.contains("令和8年度")),
        "its notices went with it"
    );
    let board = w
        .board(&w.tax_officer, "self_check", "?on=2026-10-01")
        .await;
    assert_eq!(
        board["tally"]["overdue"], 1,
        "税務部's own round stays: {board}"
    );
    let files: (i64,) = match &w.t.db {
        mamori_storage::Db::Sqlite { read, .. } => sqlx::query_as("SELECT COUNT(*) FROM files")
            .fetch_one(read)
            .await
            .unwrap(),
        mamori_storage::Db::Postgres(pool) => sqlx::query_as("SELECT COUNT(*) FROM files")
            .fetch_one(pool)
            .await
            .unwrap(),
    };
    assert_eq!(files.0, 0, "the file no other record holds is gone");

    // The trail keeps that it existed, by which rule, with a digest — not what it said.
    let (_, trail) = w.t.get(&auditor, "/api/v1/audit?action=case.purge").await;
    let items = trail["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{trail}");
    assert_eq!(items[0]["target_id"], case);
    let detail = items[0]["detail"].to_string();
    assert!(detail.contains("retention_years: 3"), "{detail}");
    assert_eq!(items[0]["detail"]["sha256"].as_str().unwrap().len(), 64);
    assert!(!detail.contains("鍵"), "{detail}");
    assert!(
        items[0]["detail"]["redacted"].as_u64().unwrap() >= 3,
        "{detail}"
    );
    // The events about it keep that they happened and their digests, not what they said;
    // the chain still verifies.
    let (_, trail) =
        w.t.get(&w.admin, "/api/v1/audit?action=case.&limit=1000")
            .await;
    let about: Vec<&Value> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["target_id"] == case.as_str() && e["action"] != "case.purge")
        .collect();
    assert!(about.len() >= 3, "open, act, hold…: {trail}");
    for e in &about {
        assert_eq!(e["detail"], json!({"redacted": true}), "{e}");
    }
    assert!(!trail.to_string().contains("総務部の鍵"), "{trail}");
    w.t.verify_chain().await;
}

#[tokio::test]
async fn an_auditor_holds_a_case_from_its_page_and_a_missing_reason_is_said() {
    let w = city().await;
    w.hands.set("2026-04-01T00:30:00Z");
    w.t.app.open_rounds().await.unwrap();
    let case = w.inbox(&w.officer).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let auditor =
        w.t.person(&w.admin, "監査 八郎", "auditor@aoba.example.jp", &w.city)
            .await;
    w.t.designate(&w.admin, "auditor", &w.city, &auditor).await;
    w.t.first_login("auditor@aoba.example.jp", "initial-pass-1")
        .await;
    let path = format!("/cases/{case}");
    let officer =
        w.t.browser("officer@aoba.example.jp", crate::support::PASSWORD)
            .await;
    let page = w.t.html(&officer, &path).await;
    assert!(
        !page.contains("data-test=\"hold-case\""),
        "the officer holds nothing"
    );

    let browser =
        w.t.browser("auditor@aoba.example.jp", crate::support::PASSWORD)
            .await;
    let page = w.t.html(&browser, &path).await;
    assert!(page.contains("data-test=\"hold-case\""), "{page}");
    let csrf = crate::auth::hidden(&page, "_csrf");
    let res = browser
        .post(w.t.url(&format!("{path}/hold")))
        .form(&[("_csrf", csrf.as_str()), ("hold_reason", " ")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let page = res.text().await.unwrap();
    assert!(page.contains("入力してください"), "{page}");
    let res = browser
        .post(w.t.url(&format!("{path}/hold")))
        .form(&[("_csrf", csrf.as_str()), ("hold_reason", "監査のため保全")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = w.t.html(&browser, &path).await;
    assert!(
        page.contains("data-test=\"case-hold\"") && page.contains("監査のため保全"),
        "{page}"
    );
    let (_, body) =
        w.t.get(&w.officer, &format!("/api/v1/cases/{case}/hold"))
            .await;
    assert_eq!(body["held"], true);
    let res = browser
        .post(w.t.url(&format!("{path}/release")))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, body) =
        w.t.get(&w.officer, &format!("/api/v1/cases/{case}/hold"))
            .await;
    assert_eq!(body["held"], false);
}
