//! Where a rapid incident report goes (seed 001), in the world the notice describes:
//! subcontractors have no contract with the Ministry and report through the company above
//! them, at any depth, until it reaches the one contracting directly (記2 「防衛省と直接契約を
//! 締結している防衛関連企業を通じて」); a report reaches the desk of the contract it names and
//! no other; the last resort answers when a desk cannot be reached or does not answer; the
//! departments a report is relayed to record the damage (記4).

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::support::{Hands, TestApp};

/// Wednesday 2 December 2026, 10:00 in Tokyo: office hours.
const DAY: &str = "2026-12-02T01:00:00Z";

struct World {
    t: TestApp,
    hands: Hands,
    /// 甲社 contracts with ATLA; 乙社 is its subcontractor, 丙社 is 乙社's. Neither 乙社 nor
    /// 丙社 has any contract with the Ministry.
    ko: String,
    otsu: String,
    hei: String,
    /// 丁社 contracts with ATLA and with the GSDF's central hospital.
    tei: String,
    /// The Ministry's internal bureau (内部部局), for relays.
    bureau: String,
    hei_reporter: Client,
    tei_reporter: Client,
    otsu_desk: Client,
    ko_desk: Client,
    atla_contact: Client,
    manager: Client,
    gsdf_contact: Client,
    bureau_dept: Client,
    gsdf_dept: Client,
}

async fn world() -> World {
    let hands = Hands::at(DAY);
    let t = TestApp::shipped(&hands).await;
    let sys = t.admin().await;
    let ministry = t.org(&sys, "防衛省", "ministry", None).await;
    let atla = t.org(&sys, "防衛装備庁", "agency", Some(&ministry)).await;
    let gsdf = t.org(&sys, "陸上自衛隊", "agency", Some(&ministry)).await;
    let hospital = t.org(&sys, "自衛隊中央病院", "unit", Some(&gsdf)).await;
    let bureau = t.org(&sys, "内部部局", "bureau", Some(&ministry)).await;
    let ko = t.org(&sys, "甲社", "company", None).await;
    let otsu = t.org(&sys, "乙社", "company", None).await;
    let hei = t.org(&sys, "丙社", "company", None).await;
    let tei = t.org(&sys, "丁社", "company", None).await;
    for (from, kind, to) in [
        (&ko, "contracts_with", &atla),
        (&otsu, "subcontractor_of", &ko),
        (&hei, "subcontractor_of", &otsu),
        (&tei, "contracts_with", &atla),
        (&tei, "contracts_with", &hospital),
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
            &hei,
            "incident_reporter",
        ),
        (
            "丁 報告",
            "reporter@tei.example.jp",
            &tei,
            "incident_reporter",
        ),
        ("乙 窓口", "desk@otsu.example.jp", &otsu, "prime_contact"),
        ("甲 窓口", "desk@ko.example.jp", &ko, "prime_contact"),
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
        (
            "内局 担当",
            "dept@naikyoku.example.jp",
            &bureau,
            "ministry_department",
        ),
        (
            "陸 担当",
            "dept@gsdf.example.jp",
            &gsdf,
            "ministry_department",
        ),
    ];
    let mut clients = t.people(&sys, &people).await.into_iter();
    let mut next = || clients.next().unwrap();
    World {
        hei_reporter: next(),
        tei_reporter: next(),
        otsu_desk: next(),
        ko_desk: next(),
        atla_contact: next(),
        manager: next(),
        gsdf_contact: next(),
        bureau_dept: next(),
        gsdf_dept: next(),
        t,
        hands,
        ko,
        otsu,
        hei,
        tei,
        bureau,
    }
}

/// A report naming one contract, its organisation as typed in ⑦.
fn report(company: &str, contracting: &str) -> Value {
    json!({
        "detected_at": "2026-12-02T09:40",
        "events": ["e1ke"],
        "occurrence": "suspected",
        "handles_secrets": true,
        "handles_protected": true,
        "servers_affected": false,
        "company": company,
        "department_person": "情報システム課 担当",
        "phone": "03-1234-5678",
        "details": "セキュリティ器材が外部への不審な通信を検知。",
        "contracts": [{"subject": "〇〇に関する契約", "contracting_organisation": contracting}]
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

    /// Records the call and sends the report.
    async fn send(&self, c: &Client, case: &str) -> Value {
        let (status, body) = self.t.act(
                c,
                case,
                "record_call",
                json!({"called_number": "03-3268-3111", "called_party": "窓口", "called_at": "2026-12-02T09:50"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, body) = self.t.act(c, case, "submit", json!({})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    async fn forward(&self, c: &Client, case: &str) -> (StatusCode, Value) {
        self.t.act(
            c,
            case,
            "forward",
            json!({"forward_called_number": "03-0000-0000", "forward_called_party": "窓口", "forward_called_at": "2026-12-02T09:55"}),
        )
        .await
    }

    async fn reads(&self, c: &Client, case: &str) -> bool {
        let (status, _) = self.t.get(c, &format!("/api/v1/cases/{case}")).await;
        status == StatusCode::OK
    }

    async fn waits_on(&self, c: &Client, case: &str) -> bool {
        self.t.inbox_ids(c).await.iter().any(|id| id == case)
    }
}

#[tokio::test]
async fn a_report_two_subcontracts_down_climbs_each_prime_to_the_ministry() {
    let w = world().await;
    let case = w
        .open(&w.hei_reporter, &w.hei, report("丙社", "防衛装備庁"))
        .await;
    // 丙社 calls its own prime, 乙社, not the Ministry.
    let (_, plan) =
        w.t.get(&w.hei_reporter, &format!("/api/v1/cases/{case}/calls"))
            .await;
    assert_eq!(plan["primes"], json!(["乙社"]), "{plan}");
    let sent = w.send(&w.hei_reporter, &case).await;
    assert_eq!(sent["state"], "with_prime");
    assert!(w.waits_on(&w.otsu_desk, &case).await);
    assert!(!w.waits_on(&w.ko_desk, &case).await);
    assert!(
        !w.reads(&w.ko_desk, &case).await,
        "甲社 has not received it"
    );
    assert!(!w.reads(&w.atla_contact, &case).await);
    // 甲社 is not 丙社's prime: it cannot forward in 乙社's place.
    let (status, _) = w.forward(&w.ko_desk, &case).await;
    assert!(
        matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{status}"
    );

    // 乙社 forwards under its own subcontract: the report now waits on 甲社, which contracts
    // directly with the Ministry; the Ministry still has nothing.
    let (status, body) = w.forward(&w.otsu_desk, &case).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "with_prime", "{body}");
    assert!(w.waits_on(&w.ko_desk, &case).await);
    assert!(!w.waits_on(&w.otsu_desk, &case).await);
    assert!(
        w.reads(&w.otsu_desk, &case).await,
        "乙社 keeps what it sent on"
    );
    assert!(!w.reads(&w.atla_contact, &case).await);
    assert!(!w.waits_on(&w.atla_contact, &case).await);
    let (_, plan) =
        w.t.get(&w.ko_desk, &format!("/api/v1/cases/{case}/calls"))
            .await;
    assert_eq!(
        plan["calls"][0]["number"], "03-3268-3111 (内線21040、21043)",
        "甲社 calls ATLA's desk: {plan}"
    );

    // 甲社 forwards under its contract with ATLA: ATLA's desk has it, and the 15 minutes run.
    let (status, body) = w.forward(&w.ko_desk, &case).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "reported", "{body}");
    assert!(w.waits_on(&w.atla_contact, &case).await);
    assert!(!w.waits_on(&w.gsdf_contact, &case).await);
    assert!(w.reads(&w.otsu_desk, &case).await && w.reads(&w.ko_desk, &case).await);
    let (status, body) =
        w.t.act(&w.atla_contact, &case, "acknowledge", json!({}))
            .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "acknowledged");
    // The reporter still sends the detailed report on its own case.
    let (status, body) =
        w.t.act(
            &w.hei_reporter,
            &case,
            "detailed_report",
            json!({"detailed_text": "詳細"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn a_report_goes_only_to_the_desk_of_the_contract_it_names() {
    let w = world().await;
    // 丁社 contracts with ATLA and with the GSDF's central hospital, and names the hospital's
    // contract: the notice files the hospital under the GSDF's desk. The report is marked 注意.
    let mut data = report("丁社", "自衛隊中央病院");
    data["handling_mark"] = json!("caution");
    let case = w.open(&w.tei_reporter, &w.tei, data).await;
    let (_, plan) =
        w.t.get(&w.tei_reporter, &format!("/api/v1/cases/{case}/calls"))
            .await;
    assert_eq!(plan["unmatched"], json!([]), "{plan}");
    assert_eq!(plan["calls"][0]["organisation"], "陸上自衛隊", "{plan}");
    assert_eq!(plan["calls"].as_array().unwrap().len(), 1, "{plan}");
    let sent = w.send(&w.tei_reporter, &case).await;
    assert_eq!(sent["state"], "reported");
    // Titled by company, event and detection time, not by the company alone.
    assert_eq!(
        sent["title"],
        "丁社 ／ (1)ケ セキュリティ器材等による外部への不正な通信の検知 ／ 2026-12-02 09:40"
    );
    assert!(w.waits_on(&w.gsdf_contact, &case).await);
    assert!(w.reads(&w.gsdf_contact, &case).await);
    // The case says whom it waits on: the GSDF's desk and who holds it, nobody else.
    let waiting = sent["waiting_on"].as_array().unwrap();
    assert_eq!(waiting.len(), 1, "{sent}");
    assert_eq!(waiting[0]["organisation_name"], "陸上自衛隊");
    assert_eq!(waiting[0]["role"], "emergency_contact");
    assert_eq!(waiting[0]["people"], json!(["陸 窓口"]));
    // ATLA holds a contract with 丁社 too, but this report is not about it.
    assert!(!w.waits_on(&w.atla_contact, &case).await);
    assert!(!w.reads(&w.atla_contact, &case).await);
    assert!(
        !w.reads(&w.manager, &case).await,
        "not routed to the last resort"
    );
    let (status, _) =
        w.t.act(&w.atla_contact, &case, "acknowledge", json!({}))
            .await;
    assert!(
        matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{status}"
    );
    let (status, body) =
        w.t.act(&w.gsdf_contact, &case, "acknowledge", json!({}))
            .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn the_form_suggests_the_names_the_directory_knows() {
    let w = world().await;
    let page =
        w.t.html(
            &w.tei_reporter,
            &format!("/cases/new?procedure=report&organisation={}", w.tei),
        )
        .await;
    assert!(page.contains("data-test=\"suggestions\""), "{page}");
    assert!(page.contains("<option value=\"自衛隊中央病院\">"), "{page}");
    assert!(page.contains("<option value=\"防衛装備庁\">"), "{page}");
    assert!(!page.contains("緊急窓口に連絡がつかない場合\">"), "{page}");
    // A Japanese page answers yes or no in Japanese only.
    assert!(page.contains("value=\"yes\"> はい</label>"), "{page}");
    assert!(!page.contains("Yes") && !page.contains("/ No"), "{page}");
}

#[tokio::test]
async fn a_name_the_directory_does_not_know_reaches_the_last_resort_and_says_so() {
    let w = world().await;
    let case = w
        .open(&w.tei_reporter, &w.tei, report("丁社", "どこかの補給処"))
        .await;
    let (_, plan) =
        w.t.get(&w.tei_reporter, &format!("/api/v1/cases/{case}/calls"))
            .await;
    assert_eq!(plan["unmatched"], json!(["どこかの補給処"]));
    w.send(&w.tei_reporter, &case).await;
    assert!(w.waits_on(&w.manager, &case).await);
    assert!(!w.waits_on(&w.atla_contact, &case).await);
    assert!(!w.waits_on(&w.gsdf_contact, &case).await);
    let (status, body) = w.t.act(&w.manager, &case, "acknowledge", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn a_desk_not_reached_in_office_hours_brings_in_the_last_resort() {
    let w = world().await;
    let case = w
        .open(&w.tei_reporter, &w.tei, report("丁社", "陸上自衛隊"))
        .await;
    // In office hours the plan still says whom to call when the desk does not answer.
    let (_, plan) =
        w.t.get(&w.tei_reporter, &format!("/api/v1/cases/{case}/calls"))
            .await;
    assert_eq!(plan["office_hours"], true);
    assert_eq!(
        plan["last_resort"]["phone"], "03-3268-3111 (内線35258、35242)",
        "{plan}"
    );
    assert_eq!(plan["last_resort"]["night_phone"], "080-8420-0628");
    let page = w.t.html(&w.tei_reporter, &format!("/cases/{case}")).await;
    assert!(page.contains("data-test=\"call-last-resort\""), "{page}");
    // The failed call is recorded; the fields are required.
    let (status, body) =
        w.t.act(&w.tei_reporter, &case, "desk_unreachable", json!({}))
            .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = w
        .t
        .act(
            &w.tei_reporter,
            &case,
            "desk_unreachable",
            json!({"unreachable_number": "03-3268-3111 (内線40752)", "unreachable_at": "2026-12-02T09:45"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "draft");
    let (_, plan) =
        w.t.get(&w.tei_reporter, &format!("/api/v1/cases/{case}/calls"))
            .await;
    assert!(
        plan["calls"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["fallback"] == true),
        "{plan}"
    );
    w.send(&w.tei_reporter, &case).await;
    // Both the GSDF's desk and the equipment security manager have it.
    assert!(w.waits_on(&w.gsdf_contact, &case).await);
    assert!(w.waits_on(&w.manager, &case).await);
    assert!(!w.waits_on(&w.atla_contact, &case).await);
}

#[tokio::test]
async fn the_escalation_reaches_atla_whatever_organisation_holds_the_contract() {
    let w = world().await;
    let case = w
        .open(&w.tei_reporter, &w.tei, report("丁社", "陸上自衛隊"))
        .await;
    w.send(&w.tei_reporter, &case).await;
    assert!(!w.waits_on(&w.manager, &case).await);
    w.hands.set("2026-12-02T01:16:00Z");
    assert!(w.t.app.fire_due_timers().await.unwrap() >= 1);
    let (_, notes) = w.t.get(&w.manager, "/api/v1/notifications").await;
    assert!(
        notes
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["case"] == case.as_str()),
        "{notes}"
    );
    assert!(w.waits_on(&w.manager, &case).await);
    assert!(
        !w.waits_on(&w.atla_contact, &case).await,
        "ATLA's contract desk is not involved"
    );
    let (status, body) = w.t.act(&w.manager, &case, "acknowledge", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn the_detailed_report_is_due_only_where_the_tables_set_one() {
    let w = world().await;
    let acknowledged = |data: Value| async {
        let case = w.open(&w.tei_reporter, &w.tei, data).await;
        w.send(&w.tei_reporter, &case).await;
        let (status, body) =
            w.t.act(&w.gsdf_contact, &case, "acknowledge", json!({}))
                .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        case
    };
    // A suspected incident (9(1)ア, 12(1)ウ: 「詳細」): due, with mamori's default said so.
    let owed = acknowledged(report("丁社", "陸上自衛隊")).await;
    let (_, body) =
        w.t.get(&w.tei_reporter, &format!("/api/v1/cases/{owed}"))
            .await;
    assert!(body["due_at"].is_string(), "{body}");
    let page = w.t.html(&w.tei_reporter, &format!("/cases/{owed}")).await;
    assert!(page.contains("data-test=\"case-due-note\""), "{page}");
    assert!(page.contains("mamori の既定値"), "{page}");
    // An indication only (9(1)イ 「-」, 12(1)エ blank): nothing falls due, ever.
    let mut data = report("丁社", "陸上自衛隊");
    data["events"] = json!([]);
    data["occurrence"] = json!("indication");
    let indication = acknowledged(data).await;
    let (_, body) =
        w.t.get(&w.tei_reporter, &format!("/api/v1/cases/{indication}"))
            .await;
    assert!(body["due_at"].is_null(), "{body}");
    w.hands.set("2026-12-20T01:00:00Z");
    w.t.app.fire_due_timers().await.unwrap();
    let (_, body) =
        w.t.get(&w.tei_reporter, &format!("/api/v1/cases/{indication}"))
            .await;
    assert_eq!(body["overdue"], false, "{body}");
    let (_, body) =
        w.t.get(&w.tei_reporter, &format!("/api/v1/cases/{owed}"))
            .await;
    assert_eq!(body["overdue"], true, "{body}");
}

#[tokio::test]
async fn a_department_the_report_is_relayed_to_records_the_damage() {
    let w = world().await;
    let mut data = report("丁社", "陸上自衛隊");
    data["handling_mark"] = json!("caution");
    let case = w.open(&w.tei_reporter, &w.tei, data).await;
    w.send(&w.tei_reporter, &case).await;
    let (status, body) =
        w.t.act(&w.gsdf_contact, &case, "acknowledge", json!({}))
            .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(!w.reads(&w.bureau_dept, &case).await);
    // The page offers the Ministry's organisations to relay to, and no company.
    let page = w.t.html(&w.gsdf_contact, &format!("/cases/{case}")).await;
    assert!(
        page.contains(&format!("<option value=\"{}\"", w.bureau)),
        "{page}"
    );
    assert!(
        !page.contains(&format!("<option value=\"{}\"", w.ko)),
        "{page}"
    );
    // Who opened a report is its reporter, not an applicant.
    assert!(page.contains("<dt>報告者</dt>"), "{page}");
    assert!(!page.contains("<dt>申請者</dt>"), "{page}");
    // Relaying names an organisation in the Ministry's own tree; a company is refused.
    let relay = |org: &str| json!({"relayed_to": "内部部局 防衛政策局", "relayed_at": "2026-12-02T10:30", "relay_phoned": true, "relayed_organisation": org});
    let (status, body) = w.t.act(&w.gsdf_contact, &case, "relay", relay(&w.ko)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["fields"]["relayed_organisation"].is_string(),
        "{body}"
    );
    let (status, body) =
        w.t.act(&w.gsdf_contact, &case, "relay", relay(&w.bureau))
            .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The bureau's department is told, reads the 注意 report and records the damage.
    let (_, notes) = w.t.get(&w.bureau_dept, "/api/v1/notifications").await;
    assert!(
        notes
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["case"] == case.as_str()),
        "{notes}"
    );
    assert!(w.reads(&w.bureau_dept, &case).await);
    let (status, body) =
        w.t.act(
            &w.bureau_dept,
            &case,
            "damage_report",
            json!({"cooperation": "調査に協力"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "damage and time required: {body}"
    );
    let (status, body) = w
        .t
        .act(
            &w.bureau_dept,
            &case,
            "damage_report",
            json!({"damage": "関連資料の流出は確認されず", "cooperation": "調査に協力", "damage_reported_at": "2026-12-02T11:00"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "acknowledged");
    // A department the report was not relayed to has nothing: the GSDF's own department.
    assert!(!w.reads(&w.gsdf_dept, &case).await);
}

#[tokio::test]
async fn item_four_is_not_asked_of_a_report_that_is_not_12_1_i() {
    let w = world().await;
    // A mis-sent mail: no server or PC, so neither ④ nor 12(1)イ.
    let mut data = report("丁社", "陸上自衛隊");
    data["events"] = json!(["e2u"]);
    let case = w.open(&w.tei_reporter, &w.tei, data).await;
    w.send(&w.tei_reporter, &case).await;
    let res = w
        .tei_reporter
        .get(w.t.url(&format!("/api/v1/cases/{case}/documents/abbreviated.txt")))
        .send()
        .await
        .unwrap();
    // Saved under the document's name, the company's and the day's.
    let disposition = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    let encoded = disposition.split("filename*=UTF-8''").nth(1).unwrap();
    assert_eq!(
        percent_decoded(encoded),
        "速報_丁社_20261202.txt",
        "{disposition}"
    );
    assert!(
        disposition.contains("filename=\"abbreviated.txt\""),
        "{disposition}"
    );
    let text = res.text().await.unwrap();
    let first = text.lines().next().unwrap();
    assert_eq!(
        first, "ガイドライン第9(1)ア・情報セキュリティ基準第12(1)ウに基づく事故等の速報",
        "{text}"
    );
    assert!(!text.contains("④"), "{text}");
    assert!(!text.contains("12(1)イ"), "{text}");
}

/// A report opened under the earlier version of the library keeps it, and its rules, once
/// this version is installed; new reports take the new one.
#[tokio::test]
async fn a_report_opened_under_the_earlier_version_keeps_it() {
    // The earlier version, in which forwarding did not pass the report on.
    let mut all = mamori_library::shipped_sources();
    for s in all.get_mut("mod-incident-report").unwrap() {
        if s.path == "library.yaml" {
            s.content = s
                .content
                .replace("version: \"2020.3.2\"", "version: \"2020.3\"");
        }
        if s.path == "procedures/report.yaml" {
            s.content = s.content.replace("    pass_on: true\n", "");
        }
    }
    let older: Vec<mamori_library::Library> = all
        .into_values()
        .map(|s| mamori_library::load_sources(s).unwrap_or_else(|p| panic!("{p:?}")))
        .collect();
    let hands = Hands::at(DAY);
    let t = TestApp::build(hands.clock(), older, |_| {})
        .await
        .add_admin()
        .await;
    let sys = t.admin().await;
    let atla = t.org(&sys, "防衛装備庁", "agency", None).await;
    let ko = t.org(&sys, "甲社", "company", None).await;
    t.create(
        &sys,
        &format!("/api/v1/organisations/{ko}/relations"),
        json!({"kind": "contracts_with", "other": atla}),
    )
    .await;
    let people = [(
        "甲 報告",
        "reporter@ko.example.jp",
        &ko,
        "incident_reporter",
    )];
    let reporter = t.people(&sys, &people).await.remove(0);
    let case = t
        .create(
            &reporter,
            "/api/v1/cases",
            json!({"procedure": "report", "organisation": ko, "data": report("甲社", "防衛装備庁")}),
        )
        .await;

    // This build's version is installed over the same database.
    let app = mamori_app::App::new(
        t.db.clone(),
        hands.clock(),
        mamori_app::Settings {
            password_cost: mamori_auth::password::Cost::TESTING,
            ..mamori_app::Settings::default()
        },
    )
    .unwrap()
    .install_libraries(mamori_library::shipped().unwrap())
    .await
    .unwrap();
    let (lib, procedure) = app.case_definition(case.parse().unwrap()).await.unwrap();
    assert_eq!(lib.version(), "2020.3");
    assert!(
        !lib.procedures[&procedure]
            .transition("forward")
            .unwrap()
            .pass_on
    );
    let latest = app.libraries().latest("mod-incident-report").unwrap();
    assert_eq!(latest.version(), "2020.3.2");
    assert!(
        latest.procedures["report"]
            .transition("forward")
            .unwrap()
            .pass_on
    );
}

/// Whom to call is on the new form before anything is typed: the contracts the company
/// keeps name the desk; a subcontractor is told to call its prime.
#[tokio::test]
async fn whom_to_call_shows_before_anything_is_typed() {
    let w = world().await;
    w.t.create(
        &w.tei_reporter,
        "/api/v1/registers/defence_contracts/rows",
        json!({"organisation": w.tei, "data": {"subject": "〇〇の補用品", "contracting_organisation": "自衛隊中央病院"}}),
    )
    .await;
    let page =
        w.t.html(
            &w.tei_reporter,
            &format!("/cases/new?procedure=report&organisation={}", w.tei),
        )
        .await;
    assert!(page.contains("data-calls-slot"), "{page}");
    assert!(page.contains("data-test=\"calls\""), "{page}");
    assert!(
        page.contains("03-3268-3111 (内線40752～40754)"),
        "the GSDF desk: {page}"
    );
    let page =
        w.t.html(
            &w.hei_reporter,
            &format!("/cases/new?procedure=report&organisation={}", w.hei),
        )
        .await;
    assert!(page.contains("data-test=\"call-prime\""), "{page}");
    assert!(page.contains("乙社"), "{page}");
}

/// The text of an RFC 8187 value.
fn percent_decoded(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(&value[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// 「事故等を報告する」 comes first on the home page and on the report board for whoever
/// may report for their own company, and leads to the form; a Ministry desk gets none.
#[tokio::test]
async fn reporting_an_incident_is_one_button_away() {
    let w = world().await;
    let href = format!(
        "/cases/new?procedure=mod-incident-report/report&#38;organisation={}",
        w.tei
    );
    for path in ["/", "/reports"] {
        let page = w.t.html(&w.tei_reporter, path).await;
        assert!(
            page.contains("data-test=\"quick-starts\""),
            "{path}: {page}"
        );
        assert!(page.contains(&href), "{path}: {page}");
        assert!(page.contains(">事故等を報告する</a>"), "{path}: {page}");
        let desk = w.t.html(&w.gsdf_contact, path).await;
        assert!(
            !desk.contains("data-test=\"quick-starts\""),
            "{path}: {desk}"
        );
    }
    let form = w.t.html(&w.tei_reporter, &href.replace("&#38;", "&")).await;
    assert!(form.contains("data-autosave"), "{form}");
}

/// Keeps an organisation's emergency desk through its page's form: the status and the page.
async fn keep_desk(t: &TestApp, c: &Client, org: &str, desk: [&str; 3]) -> (StatusCode, String) {
    let page = t.html(c, &format!("/organisations/{org}")).await;
    let csrf = crate::auth::hidden(&page, "_csrf");
    let res = c
        .post(t.url(&format!("/organisations/{org}/desk")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("desk_name", desk[0]),
            ("desk_phone", desk[1]),
            ("desk_night_phone", desk[2]),
        ])
        .send()
        .await
        .unwrap();
    match res.status() {
        // Kept: the page it returns to.
        StatusCode::SEE_OTHER => (
            StatusCode::SEE_OTHER,
            t.html(c, &format!("/organisations/{org}")).await,
        ),
        status => (status, res.text().await.unwrap()),
    }
}

#[tokio::test]
async fn a_subcontractor_calls_its_primes_desk_first_by_day_and_by_night() {
    let w = world().await;
    let sys = w.t.admin().await;
    let otsu = w.otsu.clone();
    // A number typed as words is refused beside its field, and what was typed stays.
    let (status, page) = keep_desk(&w.t, &sys, &otsu, ["乙社 総務部", "夜間は携帯へ", ""]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("電話番号を数字とハイフンで入力してください"),
        "{page}"
    );
    assert!(page.contains("value=\"夜間は携帯へ\""), "{page}");
    assert!(page.contains("value=\"乙社 総務部\""), "{page}");
    // Typed on a Japanese keyboard, kept in ASCII.
    let (status, page) = keep_desk(
        &w.t,
        &sys,
        &otsu,
        [
            "乙社 総務部 情報セキュリティ担当",
            "０３－１１１１－２２２２",
            "090-1111-2222",
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    assert!(page.contains("<dd>03-1111-2222</dd>"), "{page}");

    // Before anything is typed, 丙社's reporter sees 乙社's desk first, as a link to dial.
    let page =
        w.t.html(
            &w.hei_reporter,
            &format!("/cases/new?procedure=report&organisation={}", w.hei),
        )
        .await;
    let prime = page
        .find("data-test=\"call-prime-number\"")
        .unwrap_or_else(|| panic!("{page}"));
    assert!(page.contains("href=\"tel:0311112222\""), "{page}");
    assert!(page.contains("乙社 総務部 情報セキュリティ担当"), "{page}");
    if let Some(ministry) = page.find("data-test=\"call\"") {
        assert!(prime < ministry, "the prime's desk comes first");
    }

    let case = w
        .open(&w.hei_reporter, &w.hei, report("丙社", "防衛装備庁"))
        .await;
    let calls = format!("/api/v1/cases/{case}/calls");
    let (_, plan) = w.t.get(&w.hei_reporter, &calls).await;
    assert_eq!(plan["prime_desks"][0]["organisation"], "乙社", "{plan}");
    assert_eq!(plan["prime_desks"][0]["number"], "03-1111-2222", "{plan}");
    // At 22:00 the prime's night number is the one to dial.
    w.hands.set("2026-12-02T13:00:00Z");
    let (_, plan) = w.t.get(&w.hei_reporter, &calls).await;
    assert_eq!(plan["prime_desks"][0]["number"], "090-1111-2222", "{plan}");
    let page = w.t.html(&w.hei_reporter, &format!("/cases/{case}")).await;
    assert!(page.contains("href=\"tel:09011112222\""), "{page}");
    w.hands.set(DAY);

    // 乙社 holds the report now and calls as the one who forwards it: its own prime 甲社,
    // which keeps no desk (said so), not 乙社's own number.
    w.send(&w.hei_reporter, &case).await;
    let (_, plan) = w.t.get(&w.otsu_desk, &calls).await;
    assert_eq!(plan["forwarded_from"], "丙社", "{plan}");
    assert_eq!(plan["primes"], json!(["甲社"]), "{plan}");
    assert_eq!(plan["prime_desks"][0]["number"], Value::Null, "{plan}");
    let page = w.t.html(&w.otsu_desk, &format!("/cases/{case}")).await;
    assert!(page.contains("data-test=\"call-prime-no-desk\""), "{page}");
    assert!(page.contains("丙社（下請負者）からの報告です"), "{page}");

    // 甲社 contracts with ATLA: it calls ATLA's desk, then forwards; it is not told to call
    // a prime.
    let (status, body) = w.forward(&w.otsu_desk, &case).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, plan) = w.t.get(&w.ko_desk, &calls).await;
    assert_eq!(plan["forwarded_from"], "乙社", "{plan}");
    assert_eq!(plan["primes"], json!([]), "{plan}");
    assert_eq!(plan["calls"][0]["organisation"], "防衛装備庁", "{plan}");
    let page = w.t.html(&w.ko_desk, &format!("/cases/{case}")).await;
    assert!(page.contains("乙社（下請負者）からの報告です"), "{page}");
    assert!(!page.contains("data-test=\"call-prime-desk\""), "{page}");
}

#[tokio::test]
async fn the_form_marks_the_items_asked_only_in_some_cases_for_the_page_to_fold() {
    let w = world().await;
    let page =
        w.t.html(
            &w.hei_reporter,
            &format!("/cases/new?procedure=report&organisation={}", w.hei),
        )
        .await;
    // ④ is asked only of a report under 12(1)イ; the page's script hides it until the
    // answers above say so.
    let item_four = page
        .split("data-field=\"report_items\"")
        .nth(1)
        .unwrap_or_else(|| panic!("{page}"));
    let marked = &item_four[..item_four.find('>').unwrap()];
    assert!(marked.contains("data-asked-when="), "{marked}");
    assert!(marked.contains("servers_affected"), "{marked}");
    // The deciding questions themselves are always asked.
    let events = page.split("data-field=\"events\"").nth(1).unwrap();
    assert!(!events[..events.find('>').unwrap()].contains("data-asked-when"));
    assert!(page.contains("/assets/asked.js"), "{page}");
}
