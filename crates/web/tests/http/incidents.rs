//! Rapid incident reports (seed 001) over HTTP: a subcontractor at night reports through
//! its prime to the Ministry, the number to call is picked from the directory by the
//! contracts named and the clock, the call is recorded before the form goes, the contact
//! acknowledges, relays and closes, and nobody else on either side sees the report.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::support::{Hands, TestApp, golden, history_actions, pdf_text};

/// Tuesday 1 December 2026, 22:30 in Tokyo: after office hours.
const NIGHT: &str = "2026-12-01T13:30:00Z";
/// Wednesday 2 December 2026, 10:00 in Tokyo: office hours.
const DAY: &str = "2026-12-02T01:00:00Z";

struct World {
    t: TestApp,
    hands: Hands,
    /// 丙社, the subcontractor, and its reporter.
    sub: String,
    reporter: Client,
    /// 甲社, the prime contractor with a contract of ATLA, and its reporter and desk.
    prime: String,
    prime_reporter: Client,
    prime_desk: Client,
    /// ATLA's emergency contact and equipment security manager.
    atla: String,
    atla_contact: Client,
    manager: Client,
    /// The GSDF's emergency contact: no contract with either company.
    gsdf_contact: Client,
}

async fn world() -> World {
    let hands = Hands::at(NIGHT);
    let t = TestApp::shipped(&hands).await;
    let sys = t.admin().await;
    let ministry = t.org(&sys, "防衛省", "ministry", None).await;
    let atla = t.org(&sys, "防衛装備庁", "agency", Some(&ministry)).await;
    let gsdf = t.org(&sys, "陸上自衛隊", "agency", Some(&ministry)).await;
    let prime = t.org(&sys, "甲社", "company", None).await;
    let sub = t.org(&sys, "丙社", "company", None).await;
    // 丙社 has no contract with the Ministry: it works under 甲社's (「防衛省と直接契約を締結
    // している防衛関連企業を通じて」).
    for (from, kind, to) in [
        (&prime, "contracts_with", &atla),
        (&sub, "subcontractor_of", &prime),
    ] {
        t.create(
            &sys,
            &format!("/api/v1/organisations/{from}/relations"),
            json!({"kind": kind, "other": to}),
        )
        .await;
    }
    let people = [
        (
            "丙 報告",
            "reporter@hei.example.jp",
            &sub,
            "incident_reporter",
        ),
        (
            "甲 報告",
            "reporter@ko.example.jp",
            &prime,
            "incident_reporter",
        ),
        ("甲 窓口", "desk@ko.example.jp", &prime, "prime_contact"),
        (
            "装備 窓口",
            "contact@atla.example.jp",
            &atla,
            "emergency_contact",
        ),
        (
            "保全 管理官",
            "manager@atla.example.jp",
            &atla,
            "security_manager",
        ),
        (
            "陸 窓口",
            "contact@gsdf.example.jp",
            &gsdf,
            "emergency_contact",
        ),
    ];
    let mut clients = t.people(&sys, &people).await.into_iter();
    let mut next = || clients.next().unwrap();
    World {
        reporter: next(),
        prime_reporter: next(),
        prime_desk: next(),
        atla_contact: next(),
        manager: next(),
        gsdf_contact: next(),
        t,
        hands,
        sub,
        prime,
        atla,
    }
}

/// A report as the reporter of 丙社 fills it in: an infected PC storing protected
/// information, detected at 22:10, the affected contract signed by ATLA.
fn report(company: &str) -> Value {
    json!({
        "detected_at": "2026-12-01T22:10",
        "events": ["e1a"],
        "defence_staff": true,
        "defence_systems_untouched": false,
        "occurrence": "suspected",
        "handles_secrets": false,
        "handles_protected": true,
        "servers_affected": true,
        "company": company,
        "department_person": "情報システム課 丙 報告",
        "phone": "03-1234-5678",
        "extension": "123",
        "report_items": ["a"],
        "details": "設計データを保存したPCで不審な通信を検知。流出の可能性あり。",
        "actions_taken": ["disconnected", "notified", "other"],
        "public_bodies": ["npa"],
        "other_action": "社内対策会議を緊急召集",
        "contracts": [
            {"subject": "〇〇式〇〇に関する契約", "contracting_organisation": "防衛装備庁", "department": "装備政策部"}
        ]
    })
}

impl World {
    async fn open(&self, c: &Client, org: &str, data: Value) -> String {
        self.t
            .create(
                c,
                "/api/v1/cases",
                json!({"procedure": "report", "organisation": org, "data": data}),
            )
            .await
    }

    async fn call(&self, c: &Client, case: &str, number: &str) {
        let (status, body) = self.t.act(
                c,
                case,
                "record_call",
                json!({"called_number": number, "called_party": "装備保全管理官 当直", "called_at": "2026-12-01T22:25"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    async fn inbox(&self, c: &Client) -> Vec<String> {
        self.t.inbox_ids(c).await
    }

    async fn state(&self, c: &Client, case: &str) -> String {
        let (status, body) = self.t.get(c, &format!("/api/v1/cases/{case}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["state"].as_str().unwrap().to_owned()
    }
}

#[tokio::test]
async fn a_subcontractor_reports_at_night_through_its_prime_and_atla_acknowledges() {
    let w = world().await;
    // The new form starts from what mamori knows: the company, the person and the
    // company's contracts; its button sends the report (recording the call is apart).
    w.t.create(
        &w.reporter,
        "/api/v1/registers/defence_contracts/rows",
        json!({"organisation": w.sub, "data": {"subject": "〇〇の部品", "contracting_organisation": "防衛装備庁"}}),
    )
    .await;
    let page =
        w.t.html(
            &w.reporter,
            &format!(
                "/cases/new?procedure=mod-incident-report/report&organisation={}",
                w.sub
            ),
        )
        .await;
    assert!(page.contains("value=\"丙社\""), "{page}");
    assert!(page.contains("value=\"丙 報告\""), "{page}");
    assert!(page.contains("value=\"〇〇の部品\""), "{page}");
    assert!(page.contains(">報告を送信</button>"), "{page}");
    let case = w.open(&w.reporter, &w.sub, report("丙社 横浜事業所")).await;

    // The answers decide the clauses: a suspicion under the standard, and the rapid report
    // of 12(1)イ(ア) for the infected PC.
    let (_, body) = w.t.get(&w.reporter, &format!("/api/v1/cases/{case}")).await;
    let obligations = body["data"]["obligations"].as_str().unwrap();
    assert!(
        obligations.contains("情報セキュリティ基準第12(1)ウ"),
        "{obligations}"
    );
    assert!(
        obligations.contains("情報セキュリティ基準第12(1)イ(ア)"),
        "{obligations}"
    );
    assert!(
        !obligations.contains("ガイドライン"),
        "no secrets: {obligations}"
    );

    // Whom to call: the prime first; the Ministry's number at night is ATLA's night line.
    let (status, plan) =
        w.t.get(&w.reporter, &format!("/api/v1/cases/{case}/calls"))
            .await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    assert_eq!(plan["primes"], json!(["甲社"]));
    assert_eq!(plan["office_hours"], false);
    assert_eq!(plan["calls"][0]["organisation"], "防衛装備庁");
    assert_eq!(plan["calls"][0]["number"], "080-8420-0628");
    assert_eq!(plan["unmatched"], json!([]));
    let page = w.t.html(&w.reporter, &format!("/cases/{case}")).await;
    assert!(page.contains("href=\"tel:08084200628\""), "{page}");
    assert!(page.contains("data-test=\"call-prime\""), "{page}");
    // The clock: detected at 22:10, now 22:30.
    assert!(page.contains("20分経過"), "{page}");

    // The form follows the call: sending before recording one is refused, nothing lost.
    let (status, body) = w.t.act(&w.reporter, &case, "submit", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("電話"),
        "{body}"
    );
    assert_eq!(w.state(&w.reporter, &case).await, "draft");
    w.call(&w.reporter, &case, "03-9999-0000 (甲社 窓口)").await;
    let (status, body) = w.t.act(&w.reporter, &case, "submit", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "with_prime");

    // The prime's desk is told at once (and by e-mail, where the installation sends it).
    assert!(w.told(&w.prime_desk, &case).await);
    assert!(!w.told(&w.atla_contact, &case).await);
    // It is the prime's to forward; the Ministry does not see it yet, the GSDF never.
    assert!(w.inbox(&w.prime_desk).await.contains(&case));
    assert!(w.inbox(&w.atla_contact).await.is_empty());
    assert!(
        w.inbox(&w.prime_reporter).await.is_empty(),
        "the prime's desk, not its reporters"
    );
    let (status, _) =
        w.t.get(&w.gsdf_contact, &format!("/api/v1/cases/{case}"))
            .await;
    assert!(
        matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{status}"
    );

    // The prime telephones ATLA and forwards; ATLA's contact sees it at once.
    let (status, body) = w.t.act(
            &w.prime_desk,
            &case,
            "forward",
            json!({"forward_called_number": "080-8420-0628", "forward_called_party": "装備保全管理官 当直", "forward_called_at": "2026-12-01T22:35"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "reported");
    assert_eq!(w.inbox(&w.atla_contact).await, std::slice::from_ref(&case));
    assert!(w.inbox(&w.gsdf_contact).await.is_empty());
    assert!(w.inbox(&w.prime_desk).await.is_empty());
    assert!(w.told(&w.atla_contact, &case).await);
    assert!(!w.told(&w.gsdf_contact, &case).await);

    // The board of open reports: under ATLA, first report 20 minutes after detection;
    // the GSDF's contact has nothing on it.
    let board = w.t.html(&w.atla_contact, "/reports").await;
    assert!(board.contains("<h2>防衛装備庁</h2>"), "{board}");
    assert!(board.contains("丙社 横浜事業所"), "{board}");
    assert!(board.contains("data-test=\"to-report\">20分<"), "{board}");
    let board = w.t.html(&w.gsdf_contact, "/reports").await;
    assert!(board.contains("data-test=\"reports-empty\""), "{board}");
    assert!(!board.contains("丙社"), "{board}");
    let (status, body) =
        w.t.act(&w.atla_contact, &case, "acknowledge", json!({}))
            .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "acknowledged");

    // A relay inside the Ministry is recorded only after a call.
    let relay = |phoned: bool| json!({"relayed_to": "装備政策部 装備保全管理官", "relayed_at": "2026-12-01T22:50", "relay_phoned": phoned});
    let (status, body) = w.t.act(&w.atla_contact, &case, "relay", relay(false)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["fields"]["relay_phoned"].is_string(),
        "{body}"
    );
    let (status, body) = w.t.act(&w.atla_contact, &case, "relay", relay(true)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "acknowledged");

    // The detailed report, then closure with cause and countermeasures.
    let (status, body) =
        w.t.act(
            &w.reporter,
            &case,
            "detailed_report",
            json!({"detailed_text": "感染経路は標的型メール。"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) =
        w.t.act(
            &w.atla_contact,
            &case,
            "close",
            json!({"cause": "添付ファイルの開封"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["fields"]["countermeasures"].is_string(),
        "{body}"
    );
    let (status, body) = w.t.act(
            &w.atla_contact,
            &case,
            "close",
            json!({"cause": "添付ファイルの開封", "countermeasures": "メールの添付ファイルを無害化"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "closed");
    let actions = history_actions(&body);
    assert_eq!(
        actions,
        [
            "open",
            "record_call",
            "submit",
            "forward",
            "acknowledge",
            "relay",
            "detailed_report",
            "close"
        ]
    );
}

#[tokio::test]
async fn a_prime_reports_straight_to_the_ministry_and_the_manager_is_told_after_15_minutes() {
    let w = world().await;
    w.hands.set(DAY);
    let case = w
        .open(&w.prime_reporter, &w.prime, report("甲社 本社"))
        .await;
    let (_, plan) =
        w.t.get(&w.prime_reporter, &format!("/api/v1/cases/{case}/calls"))
            .await;
    assert_eq!(plan["primes"], json!([]));
    assert_eq!(plan["office_hours"], true);
    assert_eq!(
        plan["calls"][0]["number"],
        "03-3268-3111 (内線21040、21043)"
    );
    w.call(&w.prime_reporter, &case, "03-3268-3111").await;
    let (status, body) = w.t.act(&w.prime_reporter, &case, "submit", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "reported");
    assert_eq!(w.inbox(&w.atla_contact).await, std::slice::from_ref(&case));
    // The equipment security manager is the last resort: not waited on while the desk may
    // still answer.
    assert!(w.inbox(&w.manager).await.is_empty());

    // Nobody acknowledges: 15 minutes later the manager is told it is overdue.
    w.hands.set("2026-12-02T01:14:00Z");
    w.t.app.fire_due_timers().await.unwrap();
    w.hands.set("2026-12-02T01:16:00Z");
    assert!(w.t.app.fire_due_timers().await.unwrap() >= 1);
    let (_, notes) = w.t.get(&w.manager, "/api/v1/notifications").await;
    let subjects: Vec<&str> = notes
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["subject"].as_str())
        .collect();
    assert!(
        subjects.iter().any(|s| s.contains("を過ぎました")),
        "{subjects:?}"
    );
    // From then on the manager is waited on and may acknowledge.
    assert_eq!(w.inbox(&w.manager).await, std::slice::from_ref(&case));
    let (status, body) = w.t.act(&w.manager, &case, "acknowledge", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn contracts_the_directory_does_not_know_go_to_the_last_resort_and_say_so() {
    let w = world().await;
    let mut data = report("甲社 本社");
    data["contracts"] =
        json!([{"subject": "補用品", "contracting_organisation": "どこかの補給処"}]);
    let case = w.open(&w.prime_reporter, &w.prime, data).await;
    let (_, plan) =
        w.t.get(&w.prime_reporter, &format!("/api/v1/cases/{case}/calls"))
            .await;
    assert_eq!(plan["unmatched"], json!(["どこかの補給処"]));
    let calls = plan["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1, "{plan}");
    assert_eq!(calls[0]["fallback"], true);
    assert_eq!(calls[0]["number"], "080-8420-0628", "night");
    w.hands.set(DAY);
    let (_, plan) =
        w.t.get(&w.prime_reporter, &format!("/api/v1/cases/{case}/calls"))
            .await;
    assert_eq!(
        plan["calls"][0]["number"],
        "03-3268-3111 (内線35258、35242)"
    );
    let page = w.t.html(&w.prime_reporter, &format!("/cases/{case}")).await;
    assert!(page.contains("data-test=\"calls-unmatched\""), "{page}");

    // No contract typed at all: the last resort as well.
    let mut data = report("甲社 本社");
    data.as_object_mut().unwrap().remove("contracts");
    let bare = w.open(&w.prime_reporter, &w.prime, data).await;
    let (_, plan) =
        w.t.get(&w.prime_reporter, &format!("/api/v1/cases/{bare}/calls"))
            .await;
    assert_eq!(plan["calls"][0]["fallback"], true, "{plan}");
}

#[tokio::test]
async fn bad_reports_are_refused_with_reasons_and_kept_as_drafts() {
    let w = world().await;
    // Nothing in ④, a detection time in the future: the draft keeps what was typed.
    let mut data = report("甲社 本社");
    data["report_items"] = json!([]);
    data["detected_at"] = json!("2026-12-02T09:00");
    let case = w.open(&w.prime_reporter, &w.prime, data).await;
    w.call(&w.prime_reporter, &case, "080-8420-0628").await;
    let (status, body) = w.t.act(&w.prime_reporter, &case, "submit", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["fields"]["report_items"]
            .as_str()
            .is_some_and(|m| m.contains("速報の内容")),
        "{body}"
    );
    let (_, kept) =
        w.t.get(&w.prime_reporter, &format!("/api/v1/cases/{case}"))
            .await;
    assert_eq!(kept["state"], "draft");
    assert_eq!(kept["data"]["detected_at"], "2026-12-02T09:00");
    assert_eq!(kept["data"]["details"], report("")["details"]);

    let mut fixed = report("甲社 本社");
    fixed["report_items"] = json!(["a", "u"]);
    fixed["detected_at"] = json!("2026-12-02T09:00");
    let (status, _) =
        w.t.patch(
            &w.prime_reporter,
            &format!("/api/v1/cases/{case}"),
            // A draft is saved whole, as the page posts it.
            json!({"data": fixed}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = w.t.act(&w.prime_reporter, &case, "submit", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("検知した日時"),
        "{body}"
    );
    fixed["detected_at"] = json!("2026-12-01T21:00");
    w.t.patch(
        &w.prime_reporter,
        &format!("/api/v1/cases/{case}"),
        json!({"data": fixed}),
    )
    .await;
    let (status, body) = w.t.act(&w.prime_reporter, &case, "submit", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, done) =
        w.t.get(&w.prime_reporter, &format!("/api/v1/cases/{case}"))
            .await;
    assert_eq!(done["data"]["report_items"], json!(["a", "u"]));
}

#[tokio::test]
async fn the_emergency_contact_enters_a_report_taken_by_telephone() {
    let w = world().await;
    // ATLA's contact may start a report for the companies contracting with ATLA, not for
    // ATLA itself or a company without such a contract (a subcontractor).
    let page = w.t.html(&w.atla_contact, "/procedures").await;
    assert!(
        page.contains(&format!("organisation={}", w.prime)),
        "{page}"
    );
    // 丙社 has no contract with ATLA: its reports come through 甲社.
    assert!(!page.contains(&format!("organisation={}", w.sub)), "{page}");
    assert!(
        !page.contains(&format!("organisation={}", w.atla)),
        "{page}"
    );
    let page = w.t.html(&w.gsdf_contact, "/procedures").await;
    assert!(
        !page.contains(&format!("organisation={}", w.prime)),
        "{page}"
    );
    let case = w.open(&w.atla_contact, &w.prime, report("甲社 本社")).await;
    let (status, body) =
        w.t.act(
            &w.atla_contact,
            &case,
            "take_by_phone",
            json!({"heard_from": "甲社 情報システム課 甲 報告", "heard_at": "2026-12-01T22:20"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "acknowledged");
    let text = w
        .document(&w.prime_reporter, &case, "abbreviated.txt")
        .await;
    assert!(
        text.contains(
            "※緊急窓口が電話で聴取して登録（甲社 情報システム課 甲 報告、2026-12-01 22:20）"
        ),
        "{text}"
    );
    // The company reads it and sends its detailed report on it.
    let (status, body) =
        w.t.act(
            &w.prime_reporter,
            &case,
            "detailed_report",
            json!({"detailed_text": "詳細"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Another company's reporter cannot open a report for 甲社.
    let (status, _) =
        w.t.post(
            &w.reporter,
            "/api/v1/cases",
            json!({"procedure": "report", "organisation": w.prime, "data": {}}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

impl World {
    /// Whether a notification about `case` reached `c`.
    async fn told(&self, c: &Client, case: &str) -> bool {
        let (status, body) = self.t.get(c, "/api/v1/notifications").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body.as_array().unwrap().iter().any(|n| n["case"] == case)
    }

    async fn document(&self, c: &Client, case: &str, name: &str) -> String {
        let res = c
            .get(
                self.t
                    .url(&format!("/api/v1/cases/{case}/documents/{name}")),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        res.text().await.unwrap()
    }

    async fn pdf(&self, c: &Client, case: &str) -> Vec<u8> {
        let res = c
            .get(
                self.t
                    .url(&format!("/api/v1/cases/{case}/documents/report_pdf.pdf")),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        res.bytes().await.unwrap().to_vec()
    }
}

#[tokio::test]
async fn the_abbreviated_text_reads_line_for_line_like_the_notice() {
    let w = world().await;
    let mut data = report("丙社 横浜事業所");
    data["contracts"] = json!([
        {"subject": "〇〇式〇〇に関する契約", "contracting_organisation": "防衛装備庁", "department": "装備政策部"},
        {"subject": "〇〇の補用品", "contracting_organisation": "陸上自衛隊", "department": "〇〇補給処"}
    ]);
    data["addressee"] = json!("防衛装備庁 装備政策部 装備保全管理官 宛");
    let case = w.open(&w.reporter, &w.sub, data).await;
    let text = w.document(&w.reporter, &case, "abbreviated.txt").await;
    golden("incident_abbreviated.txt", &text);
    // The same report as a workbook to keep with the company's files.
    let res = w
        .reporter
        .get(w.t.url(&format!("/api/v1/cases/{case}/documents/report_xlsx.xlsx")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.bytes().await.unwrap().starts_with(b"PK"),
        "an .xlsx is a ZIP"
    );
}

#[tokio::test]
async fn the_pdf_form_carries_every_item_with_its_boxes() {
    let w = world().await;
    let case = w.open(&w.reporter, &w.sub, report("丙社 横浜事業所")).await;
    let pdf = w.pdf(&w.reporter, &case).await;
    assert!(pdf.starts_with(b"%PDF"));
    // The footer carries the case's id, which no two runs share.
    let text = pdf_text(&pdf).replace(&case, "<case>");
    golden("incident_form_pdf.txt", &text);
}

#[tokio::test]
async fn a_contracting_organisation_corrects_its_directory_entry_with_history() {
    let w = world().await;
    w.hands.set(DAY);
    // The directory as shipped is on the register's page, to see what to correct.
    let page =
        w.t.html(&w.atla_contact, "/registers/emergency_contacts")
            .await;
    assert!(page.contains("data-test=\"register-shipped\""), "{page}");
    assert!(page.contains("098-921-8131 (内線108)"), "{page}");
    // A contact without a telephone number is refused, with the column named.
    let (status, body) = w
        .t
        .post(
            &w.atla_contact,
            "/api/v1/registers/emergency_contacts/rows",
            json!({"organisation": w.atla, "data": {"organisation": "防衛装備庁", "desk": "装備政策部 装備保全管理官"}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["fields"]["phone"].is_string(), "{body}");

    // ATLA's contact moves its desk to new extensions: reports now show them.
    let row =
        w.t.create(
            &w.atla_contact,
            "/api/v1/registers/emergency_contacts/rows",
            json!({"organisation": w.atla, "data": {
                "organisation": "防衛装備庁", "desk": "装備政策部 装備保全管理官",
                "phone": "03-3268-3111 (内線21050)", "night_phone": "080-8420-0628"
            }}),
        )
        .await;
    let case = w
        .open(&w.prime_reporter, &w.prime, report("甲社 本社"))
        .await;
    let (_, plan) =
        w.t.get(&w.prime_reporter, &format!("/api/v1/cases/{case}/calls"))
            .await;
    assert_eq!(
        plan["calls"][0]["number"], "03-3268-3111 (内線21050)",
        "{plan}"
    );

    // The change is kept with who made it.
    let (status, body) =
        w.t.patch(
            &w.atla_contact,
            &format!("/api/v1/registers/emergency_contacts/rows/{row}"),
            json!({"data": {
                "organisation": "防衛装備庁", "desk": "装備政策部 装備保全管理官",
                "phone": "03-3268-3111 (内線21060)", "night_phone": "080-8420-0628"
            }, "comment": "内線の変更"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, row) =
        w.t.get(
            &w.atla_contact,
            &format!("/api/v1/registers/emergency_contacts/rows/{row}"),
        )
        .await;
    let history = row["history"].as_array().unwrap();
    assert_eq!(history.len(), 2, "{row}");
    assert!(history.iter().all(|h| h["actor"] == "装備 窓口"), "{row}");

    // A company cannot put its own number in the directory.
    let (status, _) =
        w.t.post(
            &w.prime_reporter,
            "/api/v1/registers/emergency_contacts/rows",
            json!({"organisation": w.prime, "data": {
                "organisation": "防衛装備庁", "desk": "偽の窓口", "phone": "03-0000-0000"
            }}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, plan) =
        w.t.get(&w.prime_reporter, &format!("/api/v1/cases/{case}/calls"))
            .await;
    assert_eq!(plan["calls"][0]["number"], "03-3268-3111 (内線21060)");
}

#[tokio::test]
async fn a_company_sets_a_shorter_first_report_deadline_for_itself() {
    let w = world().await;
    let sys = w.t.admin().await;
    let (status, body) = crate::support::send(
        &sys,
        reqwest::Method::PUT,
        &w.t.url(&format!(
            "/api/v1/organisations/{}/adaptations/mod-incident-report",
            w.prime
        )),
        Some(
            json!({"spec": "deadlines:\n  - { procedure: report, in: draft, due: 30 minutes }\n"}),
        ),
    )
    .await;
    assert!(status.is_success(), "{body}");
    // Detected at 22:10 in Tokyo: the first report is due at 22:40 for 甲社, 23:10 for 丙社.
    let prime = w
        .open(&w.prime_reporter, &w.prime, report("甲社 本社"))
        .await;
    let sub = w.open(&w.reporter, &w.sub, report("丙社 横浜事業所")).await;
    let (_, prime) =
        w.t.get(&w.prime_reporter, &format!("/api/v1/cases/{prime}"))
            .await;
    let (_, sub) = w.t.get(&w.reporter, &format!("/api/v1/cases/{sub}")).await;
    assert_eq!(prime["due_at"], "2026-12-01T13:40:00Z", "{prime}");
    assert_eq!(sub["due_at"], "2026-12-01T14:10:00Z", "{sub}");
}

/// Pressing 報告を送信 on the draft page before the call is recorded is refused, and what
/// was typed with it is saved all the same: nothing waits for the autosave to be kept.
#[tokio::test]
async fn sending_before_the_call_keeps_what_was_typed() {
    let w = world().await;
    let case = w
        .open(&w.prime_reporter, &w.prime, json!({"company": "甲社 本社"}))
        .await;
    let page = w.t.html(&w.prime_reporter, &format!("/cases/{case}")).await;
    let csrf = crate::auth::hidden(&page, "_csrf");
    let details = "設計データを保存したPCで不審な通信を検知。";
    let res = w
        .prime_reporter
        .post(w.t.url(&format!("/cases/{case}")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("detected_at", "2026-12-01T22:10"),
            ("events", "e1a"),
            ("defence_staff", "yes"),
            ("defence_systems_untouched", "no"),
            ("occurrence", "suspected"),
            ("handles_secrets", "no"),
            ("handles_protected", "yes"),
            ("servers_affected", "yes"),
            ("report_items", "a"),
            ("company", "甲社 本社"),
            ("department_person", "情報システム課 甲 報告"),
            ("phone", "03-1234-5678"),
            ("details", details),
            ("contracts.0.subject", "〇〇式〇〇に関する契約"),
            ("contracts.0.contracting_organisation", "防衛装備庁"),
            ("_do", "submit"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("電話"), "{html}");
    assert!(html.contains(details), "the refusal shows what was typed");
    let (_, body) =
        w.t.get(&w.prime_reporter, &format!("/api/v1/cases/{case}"))
            .await;
    assert_eq!(body["state"], "draft");
    assert_eq!(body["data"]["details"], details, "{body}");
    assert_eq!(
        body["data"]["contracts"][0]["contracting_organisation"],
        "防衛装備庁"
    );
}
