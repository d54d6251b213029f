//! Deadlines and e-mail: a library that gives a state a deadline in business days, a clock
//! the test moves, reminders and overdue notices fired once however many servers tick,
//! the inbox's marks, and the notices leaving by SMTP to a real (test) mail server that
//! can fail without losing anything.

use mamori_app::{App, Mailer, Settings};
use mamori_auth::password::Cost;
use mamori_library::{Library, load_sources};
use mamori_test_support::smtp::SmtpSink;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::support::{Hands, TestApp, history_actions};

/// The shipped external-service library, with a deadline on the NISC step: ten business
/// days, a reminder three business days before, the applicant told when it passes.
fn library_with_deadline() -> Vec<Library> {
    let mut all = mamori_library::shipped_sources();
    let sources = all.get_mut("mod-external-service").unwrap();
    let approval = sources
        .iter_mut()
        .find(|s| s.path == "procedures/approval.yaml")
        .unwrap();
    approval.content.push_str(
        "deadlines:
  - in: nisc_advice
    name: { ja: NISCへの助言依頼, en: the request for NISC advice }
    due: 10 business days
    remind: [ 3 business days before ]
    escalate:
      - { role: ia_officer, of: own_organisation }
",
    );
    all.into_values()
        .map(|s| load_sources(s).unwrap_or_else(|p| panic!("{p:?}")))
        .collect()
}

fn tune(s: &mut Settings) {
    // The test moves the clock by weeks; sessions must outlive that.
    s.session_idle_minutes = 60 * 24 * 90;
    s.session_max_hours = 24 * 90;
    s.email = true;
}

struct World {
    t: TestApp,
    hands: Hands,
    libraries: Vec<Library>,
    officer: Client,
    chief: Client,
    case: String,
}

/// An officer of a unit applies on Friday 25 December 2026 at 10:00 in Tokyo and the
/// chief at the top asks NISC at once; the case waits for NISC's advice, which the chief
/// records.
async fn world() -> World {
    let hands = Hands::at("2026-12-25T01:00:00Z");
    let libraries = library_with_deadline();
    let t = TestApp::build(hands.clock(), libraries.clone(), tune)
        .await
        .add_admin()
        .await;
    let admin = t.admin().await;
    let ministry = t.org(&admin, "防衛省", "ministry", None).await;
    let unit = t.org(&admin, "情報通信課", "unit", Some(&ministry)).await;
    let officer = t
        .person(&admin, "申請 一郎", "officer@mod.example.jp", &unit)
        .await;
    let chief = t
        .person(&admin, "統括 三郎", "chief@mod.example.jp", &ministry)
        .await;
    t.designate(&admin, "ia_officer", &unit, &officer).await;
    t.designate(&admin, "chief_ia_officer", &ministry, &chief)
        .await;
    let officer = t
        .first_login("officer@mod.example.jp", "initial-pass-1")
        .await;
    let chief = t
        .first_login("chief@mod.example.jp", "initial-pass-1")
        .await;
    let case = t
        .create(
            &officer,
            "/api/v1/cases",
            json!({"procedure": "approval", "organisation": unit, "data": {
                "service_name": "翻訳サービスA", "provider": "提供会社", "service_kind": "translation",
                "includes_generative_ai": false,
                "purpose": "公開資料の翻訳", "users": "3名", "app_install": false, "no_business_data": true, "information": "no_business_data"
            }}),
        )
        .await;
    let (status, body) = t
        .post(
            &officer,
            &format!("/api/v1/cases/{case}/actions/submit"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The chief asks NISC the same day.
    let (status, body) = t
        .post(
            &chief,
            &format!("/api/v1/cases/{case}/actions/ask_nisc"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    World {
        t,
        hands,
        libraries,
        officer,
        chief,
        case,
    }
}

impl World {
    async fn case(&self, c: &Client) -> Value {
        let (status, body) = self.t.get(c, &format!("/api/v1/cases/{}", self.case)).await;
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

    /// A second server over the same database, as a cluster would run.
    async fn second_server(&self) -> App {
        let mut settings = Settings {
            password_cost: Cost::TESTING,
            ..Settings::default()
        };
        tune(&mut settings);
        App::new(self.t.db.clone(), self.hands.clock(), settings)
            .unwrap()
            .install_libraries(self.libraries.clone())
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn a_deadline_in_business_days_reminds_once_then_marks_the_case_overdue() {
    let w = world().await;
    // Ten business days from Friday 25 December skip the year-end closure (29 December to
    // 3 January), the weekends and Coming-of-Age Day (11 January): the 15th is the last day.
    let case = w.case(&w.chief).await;
    assert_eq!(case["state"], "nisc_advice");
    assert_eq!(case["due_at"], "2027-01-15T15:00:00Z", "{case}");
    assert_eq!(case["overdue"], false);
    let inbox = w.inbox(&w.chief).await;
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0]["due_at"], "2027-01-15T15:00:00Z");
    let page = w.t.html(&w.chief, &format!("/cases/{}", w.case)).await;
    assert!(page.contains("2027-01-15"), "{page}");

    // Nothing is due before the reminder's morning.
    w.hands.set("2027-01-11T23:59:00Z");
    assert_eq!(w.t.app.fire_due_timers().await.unwrap(), 0);

    // 09:00 on 12 January, three business days before the 15th: the chief is reminded.
    w.hands.set("2027-01-12T00:00:00Z");
    assert_eq!(w.t.app.fire_due_timers().await.unwrap(), 1);
    assert_eq!(w.t.app.fire_due_timers().await.unwrap(), 0, "fires once");
    let chief_notes = w.subjects(&w.chief).await;
    assert!(
        chief_notes
            .iter()
            .any(|s| s.contains("期限が近づいています") && s.contains("2027-01-15")),
        "{chief_notes:?}"
    );
    assert!(
        !w.subjects(&w.officer)
            .await
            .iter()
            .any(|s| s.contains("期限")),
        "the reminder goes to whom the case waits on"
    );

    // Midnight after the 15th: two servers tick at once; the deadline fires once, to the
    // chief it waits on and to the applicant it escalates to.
    w.hands.set("2027-01-15T15:00:00Z");
    let other = w.second_server().await;
    let (a, b) = tokio::join!(w.t.app.fire_due_timers(), other.fire_due_timers());
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    for c in [&w.chief, &w.officer] {
        let overdue: Vec<String> = w
            .subjects(c)
            .await
            .into_iter()
            .filter(|s| s.contains("を過ぎました"))
            .collect();
        assert_eq!(overdue.len(), 1, "{overdue:?}");
    }
    let case = w.case(&w.chief).await;
    assert_eq!(case["overdue"], true);
    let history = history_actions(&case);
    assert_eq!(
        history,
        [
            "open",
            "submit",
            "ask_nisc",
            "deadline.remind",
            "deadline.due"
        ]
    );
    assert_eq!(w.inbox(&w.chief).await[0]["overdue"], true);
    let page = w.t.html(&w.chief, "/").await;
    assert!(page.contains("data-test=\"overdue\""), "{page}");
    w.t.verify_chain().await;

    // Recording the advice leaves the state: its deadline stops.
    let (status, body) = w
        .t
        .post(
            &w.chief,
            &format!("/api/v1/cases/{}/actions/record_nisc_advice", w.case),
            json!({"fields": {"nisc_advice_on": "2027-01-18", "nisc_advice": "利用して差し支えない"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let case = w.case(&w.chief).await;
    assert_eq!(case["due_at"], Value::Null);
    assert_eq!(case["overdue"], false);
    w.hands.set("2027-06-01T00:00:00Z");
    assert_eq!(w.t.app.fire_due_timers().await.unwrap(), 0);
}

#[tokio::test]
async fn notices_leave_by_email_once_and_wait_while_the_mail_server_is_down() {
    let w = world().await;
    let sink = SmtpSink::start().await;
    let mailer = Mailer::new(&sink.url, "mamori <mamori@mod.example.jp>", &w.t.base).unwrap();

    // The submission told the chief; the message goes out once.
    assert_eq!(w.t.app.mail_pending().await.unwrap(), 1);
    let run = w.t.app.deliver_mail(&mailer).await.unwrap();
    assert_eq!((run.sent, run.failed), (1, 0));
    assert_eq!(w.t.app.deliver_mail(&mailer).await.unwrap().sent, 0);
    let mail = sink.received();
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].to, ["chief@mod.example.jp"]);
    let subject = mail[0].header("Subject").unwrap();
    assert!(subject.contains("翻訳サービスA"), "{subject}");
    let text = mail[0].text();
    assert!(
        text.contains(&format!("{}/cases/{}", w.t.base, w.case)),
        "{text}"
    );
    assert!(
        !text.contains("公開資料の翻訳"),
        "the form's content stays behind the login"
    );

    // The reminder finds the mail server down: nothing is lost, it is tried again later.
    w.hands.set("2027-01-12T00:00:00Z");
    assert_eq!(w.t.app.fire_due_timers().await.unwrap(), 1);
    sink.refuse(true);
    let run = w.t.app.deliver_mail(&mailer).await.unwrap();
    assert_eq!((run.sent, run.failed), (0, 1));
    assert_eq!(w.t.app.mail_pending().await.unwrap(), 1);
    sink.refuse(false);
    assert_eq!(
        w.t.app.deliver_mail(&mailer).await.unwrap().sent,
        0,
        "not before the back-off"
    );
    w.hands.set("2027-01-12T00:02:00Z");
    let run = w.t.app.deliver_mail(&mailer).await.unwrap();
    assert_eq!((run.sent, run.failed), (1, 0));
    assert_eq!(w.t.app.mail_pending().await.unwrap(), 0);
    let mail = sink.received();
    assert_eq!(mail.len(), 2);
    assert!(
        mail[1]
            .header("Subject")
            .unwrap()
            .contains("期限が近づいています")
    );

    // Two servers delivering at once send each message once.
    w.hands.set("2027-01-15T15:00:00Z");
    assert_eq!(w.t.app.fire_due_timers().await.unwrap(), 1);
    let other = w.second_server().await;
    let (a, b) = tokio::join!(w.t.app.deliver_mail(&mailer), other.deliver_mail(&mailer));
    assert_eq!(a.unwrap().sent + b.unwrap().sent, 2);
    let overdue: Vec<Vec<String>> = sink.received()[2..].iter().map(|m| m.to.clone()).collect();
    assert_eq!(overdue.len(), 2, "{overdue:?}");
    assert_eq!(w.t.app.mail_pending().await.unwrap(), 0);
}
