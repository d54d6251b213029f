//! Register rows over time, through the API, in the world of seed 004: 青葉市's take-out record
//! (5.1 注5) has a return day, reminded of the day before and overdue after unless the
//! return is recorded; an exception (7.4) lapses after its last day; rows are deleted once
//! their retention has run out — unless an auditor holds them — and the audit trail keeps
//! that they existed, not what they held. The library is a test fixture
//! (`fixtures/libraries/mod-ledgers`).

use mamori_app::{App, Settings};
use mamori_auth::password::Cost;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::support::{Hands, TestApp, with_fixtures};

fn tune(s: &mut Settings) {
    // The test moves the clock over a year; sessions must outlive that.
    s.session_idle_minutes = 60 * 24 * 800;
    s.session_max_hours = 24 * 800;
}

struct City {
    t: TestApp,
    hands: Hands,
    general: String,
    /// 総務部's information security manager, who keeps the take-out record.
    manager: Client,
    /// 総務部's system manager, who keeps the exceptions and the trails.
    sysman: Client,
    /// The city's auditor.
    auditor: Client,
}

/// 青葉市 and its 総務部 on Monday 1 June 2026, 09:00 in Tokyo.
async fn city() -> City {
    let hands = Hands::at("2026-06-01T00:00:00Z");
    let t = TestApp::build(hands.clock(), with_fixtures(&["mod-ledgers"]), tune)
        .await
        .add_admin()
        .await;
    let admin = t.admin().await;
    let city = t.org(&admin, "青葉市", "local_government", None).await;
    let general = t.org(&admin, "総務部", "department", Some(&city)).await;
    let mut people = t
        .people(
            &admin,
            &[
                (
                    "総務 一郎",
                    "manager@aoba.example.jp",
                    &general,
                    "security_manager",
                ),
                (
                    "基盤 二子",
                    "sysman@aoba.example.jp",
                    &general,
                    "system_manager",
                ),
                ("監査 三郎", "auditor@aoba.example.jp", &city, "auditor"),
            ],
        )
        .await
        .into_iter();
    let mut next = || people.next().unwrap();
    City {
        manager: next(),
        sysman: next(),
        auditor: next(),
        t,
        hands,
        general,
    }
}

impl City {
    async fn row(&self, c: &Client, register: &str, row: &str) -> (StatusCode, Value) {
        self.t
            .get(c, &format!("/api/v1/registers/{register}/rows/{row}"))
            .await
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

    async fn second_server(&self) -> App {
        let mut settings = Settings {
            password_cost: Cost::TESTING,
            ..Settings::default()
        };
        tune(&mut settings);
        App::new(self.t.db.clone(), self.hands.clock(), settings)
            .unwrap()
            .install_libraries(with_fixtures(&["mod-ledgers"]))
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn a_take_out_is_reminded_the_day_before_its_return_and_overdue_until_returned() {
    let w = city().await;
    let row = w
        .t
        .create(
            &w.manager,
            "/api/v1/registers/take_outs/rows",
            json!({"organisation": w.general, "data": {"item": "USBメモリ 1号", "taken_by": "総務 一郎", "return_on": "2026-06-05"}}),
        )
        .await;
    let (_, body) = w.row(&w.manager, "take_outs", &row).await;
    assert_eq!(
        body["dates"],
        json!([{"column": "return_on", "day": "2026-06-05", "means": "due", "passed": false, "settled": false, "late": false}])
    );

    // The day before, at 09:00, the keeper is reminded — once, with two servers ticking.
    w.hands.set("2026-06-03T23:59:00Z");
    assert_eq!(w.t.app.send_row_notices().await.unwrap(), 0);
    w.hands.set("2026-06-04T00:00:00Z");
    let second = w.second_server().await;
    let (a, b) = tokio::join!(w.t.app.send_row_notices(), second.send_row_notices());
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    let told = w.subjects(&w.manager).await;
    assert!(
        told.iter()
            .any(|s| s == "持出し記録簿「USBメモリ 1号」: 返却日（2026-06-05）が近づいています"),
        "{told:?}"
    );

    // After the day, the row is overdue and the keeper is told once.
    w.hands.set("2026-06-05T15:00:00Z");
    let (a, b) = tokio::join!(w.t.app.send_row_notices(), second.send_row_notices());
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    assert_eq!(w.t.app.send_row_notices().await.unwrap(), 0);
    let (_, body) = w.row(&w.manager, "take_outs", &row).await;
    assert_eq!(body["dates"][0]["late"], true, "{body}");
    assert!(
        w.subjects(&w.manager)
            .await
            .iter()
            .any(|s| s.ends_with("返却日（2026-06-05）を過ぎました")),
    );

    // Recording the return settles it.
    let (status, body) =
        w.t.patch(
            &w.manager,
            &format!("/api/v1/registers/take_outs/rows/{row}"),
            json!({"data": {"returned_on": "2026-06-06"}, "comment": "返却を確認"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["dates"][0]["settled"], true, "{body}");
    assert_eq!(body["dates"][0]["late"], false, "{body}");

    // A new return day starts afresh; a returned medium is not reminded of again.
    let other = w
        .t
        .create(
            &w.manager,
            "/api/v1/registers/take_outs/rows",
            json!({"organisation": w.general, "data": {"item": "ノートPC 3号", "return_on": "2026-06-10", "returned_on": "2026-06-08"}}),
        )
        .await;
    w.hands.set("2026-06-20T00:00:00Z");
    assert_eq!(w.t.app.send_row_notices().await.unwrap(), 0);
    let (_, body) = w.row(&w.manager, "take_outs", &other).await;
    assert_eq!(body["dates"][0]["late"], false);
    w.t.verify_chain().await;
}

#[tokio::test]
async fn an_exception_lapses_after_its_last_day() {
    let w = city().await;
    let row = w
        .t
        .create(
            &w.sysman,
            "/api/v1/registers/exceptions/rows",
            json!({"organisation": w.general, "data": {"measure": "旧会計システムの平文通信", "valid_until": "2026-07-31"}}),
        )
        .await;
    // The clock jumps past both the reminder and the day: the reminder no longer owed is
    // not sent; the lapse is, once.
    w.hands.set("2026-08-01T00:00:00Z");
    assert_eq!(w.t.app.send_row_notices().await.unwrap(), 1);
    assert_eq!(w.t.app.send_row_notices().await.unwrap(), 0);
    let told = w.subjects(&w.sysman).await;
    assert_eq!(
        told,
        vec![
            "例外措置の台帳「旧会計システムの平文通信」: 有効期限（2026-07-31）を過ぎ、期限が切れました"
        ]
    );
    let (_, body) = w.row(&w.sysman, "exceptions", &row).await;
    assert_eq!(body["dates"][0]["means"], "expires");
    assert_eq!(body["dates"][0]["late"], true);
}

#[tokio::test]
async fn rows_past_their_retention_are_deleted_unless_held_and_the_trail_keeps_only_that_they_were()
{
    let w = city().await;
    let row = w
        .t
        .create(
            &w.manager,
            "/api/v1/registers/take_outs/rows",
            json!({"organisation": w.general, "data": {"item": "外付けHDD 2号", "taken_by": "総務 一郎", "return_on": "2026-06-05", "returned_on": "2026-06-05"}}),
        )
        .await;
    let (status, body) =
        w.t.post(
            &w.manager,
            &format!("/api/v1/registers/take_outs/rows/{row}/retire"),
            json!({"comment": "廃棄"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // A year after retirement it is still kept; the day after that it goes — but the
    // auditor holds it first. Only an administrator or an auditor may, with a reason.
    w.hands.set("2027-06-01T00:00:00Z");
    assert_eq!(w.t.app.purge_expired_rows().await.unwrap(), 0);
    let hold = format!("/api/v1/registers/take_outs/rows/{row}/hold");
    let (status, _) =
        w.t.post(&w.manager, &hold, json!({"reason": "訴訟対応"}))
            .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = w.t.post(&w.auditor, &hold, json!({"reason": "  "})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["fields"]["reason"].is_string(), "{body}");
    let (status, body) =
        w.t.post(
            &w.auditor,
            &hold,
            json!({"reason": "情報漏えい事案の調査のため保全"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["hold"]["reason"], "情報漏えい事案の調査のため保全");
    w.hands.set("2027-07-01T00:00:00Z");
    assert_eq!(w.t.app.purge_expired_rows().await.unwrap(), 0, "held");
    let (status, _) = w.row(&w.auditor, "take_outs", &row).await;
    assert_eq!(status, StatusCode::OK);

    // Released, it goes at the next tick, with its history.
    let (status, body) = w.t.send_delete(&w.auditor, &hold).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["hold"].is_null());
    let (status, body) = w.t.send_delete(&w.auditor, &hold).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(w.t.app.purge_expired_rows().await.unwrap(), 1);
    let (status, _) = w.row(&w.auditor, "take_outs", &row).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The trail says it existed and was deleted, by which rule, with a digest; not what it held.
    let (_, trail) =
        w.t.get(&w.auditor, "/api/v1/audit?action=register.purge")
            .await;
    let items = trail["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{trail}");
    let event = &items[0];
    assert_eq!(event["target_id"], row);
    assert!(event["actor"].is_null());
    let detail = event["detail"].to_string();
    assert!(detail.contains("retention_years: 1"), "{detail}");
    assert_eq!(
        event["detail"]["sha256"].as_str().unwrap().len(),
        64,
        "{detail}"
    );
    assert!(!detail.contains("外付けHDD"), "{detail}");
    // The events that recorded its columns (its addition, its retirement, its hold) keep
    // their digests, not the columns.
    let (_, trail) =
        w.t.get(&w.auditor, "/api/v1/audit?action=register.&limit=1000")
            .await;
    assert!(!trail.to_string().contains("外付けHDD"), "{trail}");
    assert!(
        trail["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["detail"] == json!({"redacted": true})),
        "{trail}"
    );
    w.t.verify_chain().await;
}

#[tokio::test]
async fn a_trail_kept_until_its_system_is_renewed_goes_the_day_after() {
    let w = city().await;
    let row =
        w.t.create(
            &w.sysman,
            "/api/v1/registers/access_trails/rows",
            json!({"organisation": w.general, "data": {"system_name": "住民情報システム"}}),
        )
        .await;
    // Without the day of the event it is kept, however long.
    w.hands.set("2028-06-01T00:00:00Z");
    assert_eq!(w.t.app.purge_expired_rows().await.unwrap(), 0);
    let (status, body) =
        w.t.patch(
            &w.sysman,
            &format!("/api/v1/registers/access_trails/rows/{row}"),
            json!({"data": {"renewed_on": "2028-06-30"}, "comment": "更新"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    w.hands.set("2028-06-30T14:59:00Z");
    assert_eq!(
        w.t.app.purge_expired_rows().await.unwrap(),
        0,
        "the day itself is kept"
    );
    w.hands.set("2028-06-30T15:00:00Z");
    assert_eq!(w.t.app.purge_expired_rows().await.unwrap(), 1);
    let (status, _) = w.row(&w.sysman, "access_trails", &row).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    w.t.verify_chain().await;
}

#[tokio::test]
async fn the_row_page_shows_its_dates_and_lets_an_auditor_hold_it() {
    let w = city().await;
    let row = w
        .t
        .create(
            &w.manager,
            "/api/v1/registers/take_outs/rows",
            json!({"organisation": w.general, "data": {"item": "USBメモリ 5号", "return_on": "2026-06-05"}}),
        )
        .await;
    w.hands.set("2026-06-08T00:00:00Z");
    let path = format!("/registers/take_outs/rows/{row}");
    let manager =
        w.t.browser("manager@aoba.example.jp", crate::support::PASSWORD)
            .await;
    let page = w.t.html(&manager, &path).await;
    assert!(page.contains("data-test=\"row-date\""), "{page}");
    assert!(page.contains("期限超過"), "{page}");
    assert!(
        !page.contains("data-test=\"hold-row\""),
        "a keeper does not hold rows"
    );

    let auditor =
        w.t.browser("auditor@aoba.example.jp", crate::support::PASSWORD)
            .await;
    let page = w.t.html(&auditor, &path).await;
    assert!(page.contains("data-test=\"hold-row\""), "{page}");
    let csrf = crate::auth::hidden(&page, "_csrf");
    // A reason of spaces is refused on the page itself, with a message.
    let res = auditor
        .post(w.t.url(&format!("{path}/hold")))
        .form(&[("_csrf", csrf.as_str()), ("reason", "   ")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let page = res.text().await.unwrap();
    assert!(page.contains("field-error"), "{page}");
    let res = auditor
        .post(w.t.url(&format!("{path}/hold")))
        .form(&[("_csrf", csrf.as_str()), ("reason", "監査のため保全")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = w.t.html(&auditor, &path).await;
    assert!(
        page.contains("data-test=\"row-hold\"") && page.contains("監査のため保全"),
        "{page}"
    );
    assert!(page.contains("data-test=\"release-row\""), "{page}");
    let res = auditor
        .post(w.t.url(&format!("{path}/release")))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = w.t.html(&auditor, &path).await;
    assert!(!page.contains("data-test=\"row-hold\""), "{page}");
}
