//! Joining the Defense Security Gateway (seed 000) over HTTP: a company's site from its
//! application to the completion notice with ATLA, the service provider and the works
//! contractor acting on the same case; the schedule it plans; the requests after joining;
//! and another company seeing none of it.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::support::{Hands, TestApp, golden, history_actions, pdf_text};

/// Tuesday 12 January 2027, 10:00 in Tokyo.
const START: &str = "2027-01-12T01:00:00Z";

struct World {
    t: TestApp,
    hands: Hands,
    /// 甲社 and its protected-system administrator.
    ko: String,
    admin: Client,
    /// 乙社, another contractor of ATLA, and its administrator.
    otsu: String,
    other_admin: Client,
    /// ATLA's information-systems office.
    office: Client,
    /// The service provider and the works contractor ATLA engages.
    provider: Client,
    works: Client,
}

async fn world() -> World {
    let hands = Hands::at(START);
    let t = TestApp::shipped(&hands).await;
    let sys = t.admin().await;
    let ministry = t.org(&sys, "防衛省", "ministry", None).await;
    let atla = t.org(&sys, "防衛装備庁", "agency", Some(&ministry)).await;
    let ko = t.org(&sys, "甲社", "company", None).await;
    let otsu = t.org(&sys, "乙社", "company", None).await;
    let provider = t.org(&sys, "DSG提供事業者", "company", None).await;
    let works = t.org(&sys, "回線工事社", "company", None).await;
    for (from, kind, to) in [
        (&ko, "contracts_with", &atla),
        (&otsu, "contracts_with", &atla),
        (&atla, "engages", &provider),
        (&atla, "engages", &works),
    ] {
        t.create(
            &sys,
            &format!("/api/v1/organisations/{from}/relations"),
            json!({"kind": kind, "other": to}),
        )
        .await;
    }
    let people = [
        ("甲 管理者", "admin@ko.example.jp", &ko, "dsg_administrator"),
        (
            "乙 管理者",
            "admin@otsu.example.jp",
            &otsu,
            "dsg_administrator",
        ),
        ("情シ 室員", "office@atla.example.jp", &atla, "dsg_office"),
        (
            "提供 担当",
            "staff@provider.example.jp",
            &provider,
            "dsg_service_provider",
        ),
        (
            "工事 担当",
            "staff@works.example.jp",
            &works,
            "dsg_works_contractor",
        ),
    ];
    let mut clients = t.people(&sys, &people).await.into_iter();
    let mut next = || clients.next().unwrap();
    World {
        admin: next(),
        other_admin: next(),
        office: next(),
        provider: next(),
        works: next(),
        t,
        hands,
        ko,
        otsu,
    }
}

/// 甲社's application for its second works, as its administrator fills it in.
fn application(router: &str) -> Value {
    json!({
        "company": "甲社",
        "site_name": "第二事業所 3階 保護区画",
        "site_address": "神奈川県横浜市〇〇区1-2-3",
        "administrator": {"name": "甲 管理者", "section": "情報システム部", "phone": "045-000-0000", "email": "admin@ko.example.jp"},
        "req_contract": true,
        "req_facility": "built",
        "audit_evidence": "audit_notice",
        "req_equipment": true,
        "site_country": "japan",
        "router": router,
        "terminals": [
            {"terminal_id": "PC-01", "model": "指定仕様端末", "location": "保護区画A"},
            {"terminal_id": "PC-02", "model": "指定仕様端末", "location": "保護区画A"}
        ],
        "vein_people": [
            {"name": "甲 管理者", "section": "情報システム部", "method": "remote"},
            {"name": "甲 利用者", "section": "設計部", "method": "on_site"}
        ],
        "data_moved": true,
        "schedule_requests": "④〜⑦は3月中を希望します。"
    })
}

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

impl World {
    async fn open(&self, router: &str) -> String {
        self.t
            .create(
                &self.admin,
                "/api/v1/cases",
                json!({"procedure": "joining", "organisation": self.ko, "data": application(router)}),
            )
            .await
    }

    /// Takes an action that must lead to `state`.
    async fn step(&self, c: &Client, case: &str, action: &str, fields: Value, state: &str) {
        assert_eq!(self.ok(c, case, action, fields).await, state, "{action}");
    }

    async fn ok(&self, c: &Client, case: &str, action: &str, fields: Value) -> String {
        let (status, body) = self.t.act(c, case, action, fields).await;
        assert_eq!(status, StatusCode::OK, "{action}: {body}");
        body["state"].as_str().unwrap().to_owned()
    }

    async fn attach(
        &self,
        case: &str,
        field: &str,
        name: &str,
        content: &[u8],
    ) -> (StatusCode, Value) {
        self.t
            .attach_for(&self.admin, case, field, name, content)
            .await
    }

    async fn submitted(&self, router: &str) -> String {
        let case = self.open(router).await;
        for field in ["evidence_contract", "evidence_audit"] {
            let (status, body) = self.attach(&case, field, "evidence.pdf", PDF).await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
        assert_eq!(
            self.ok(&self.admin, &case, "submit", json!({})).await,
            "application_review"
        );
        case
    }

    async fn file(&self, c: &Client, path: &str) -> (StatusCode, String, Vec<u8>) {
        let res = c.get(self.t.url(path)).send().await.unwrap();
        let status = res.status();
        let kind = res
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (status, kind, res.bytes().await.unwrap().to_vec())
    }

    async fn schedule(&self, c: &Client, case: &str) -> Value {
        let (status, body) = self
            .t
            .get(c, &format!("/api/v1/cases/{case}/schedule"))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }
}

#[tokio::test]
async fn a_wired_site_joins_from_application_to_completion_notice() {
    let w = world().await;
    let case = w.open("wired").await;

    // The evidence must be attached, and as PDF: the draft stays as typed.
    let (status, body) = w.t.act(&w.admin, &case, "submit", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["fields"]["evidence_contract"].is_string(),
        "{body}"
    );
    let (status, body) = w
        .attach(&case, "evidence_contract", "実績.docx", b"PK\x03\x04rest")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["fields"]["file"]
            .as_str()
            .unwrap()
            .contains("PDF ファイルだけ"),
        "{body}"
    );
    let (_, got) = w.t.get(&w.admin, &format!("/api/v1/cases/{case}")).await;
    assert_eq!(got["state"], "draft");
    assert_eq!(got["data"]["site_name"], "第二事業所 3階 保護区画");
    assert_eq!(
        got["data"]["eligibility"],
        "加入要件（実績等・設備・機器・拠点地域）をすべて満たしています。"
    );
    for field in ["evidence_contract", "evidence_audit"] {
        let (status, body) = w.attach(&case, field, "証跡.pdf", PDF).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    w.step(&w.admin, &case, "submit", json!({}), "application_review")
        .await;

    // Submitting planned the schedule: seven steps from today, about five months, with ④
    // to ⑦ inside one month.
    let s = w.schedule(&w.admin, &case).await;
    let steps = s["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 7);
    assert_eq!(s["current_step"], "①");
    assert_eq!(steps[0]["planned"][0], "2027-01-12");
    let finish = steps[6]["planned"][1].as_str().unwrap();
    assert!(finish.starts_with("2027-06"), "about five months: {finish}");
    assert_eq!(steps[3]["planned"][0].as_str().unwrap()[..7], finish[..7]);
    assert_eq!(steps[2]["actor"], "工事業者");
    assert_eq!(steps[2]["attend"], true);
    assert_eq!(steps[1]["attend"], false);

    // Another company sees neither the case nor the site; ATLA has it in its overview.
    let (status, _) =
        w.t.get(&w.other_admin, &format!("/api/v1/cases/{case}"))
            .await;
    assert!(
        matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{status}"
    );
    let (status, _) =
        w.t.get(&w.other_admin, &format!("/api/v1/cases/{case}/schedule"))
            .await;
    assert!(
        matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{status}"
    );
    let (_, sites) = w.t.get(&w.other_admin, "/api/v1/dsg/sites").await;
    assert_eq!(sites, json!([]));
    let (_, sites) = w.t.get(&w.office, "/api/v1/dsg/sites").await;
    assert_eq!(sites[0]["site"], "第二事業所 3階 保護区画");
    assert_eq!(sites[0]["company"], "甲社");
    assert!(w.t.inbox_ids(&w.office).await.contains(&case));

    // ① ATLA accepts; ② the self-inspection goes round once with a deficiency.
    let (status, body) =
        w.t.act(&w.office, &case, "return_application", json!({}))
            .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a return says why: {body}");
    w.step(
        &w.office,
        &case,
        "accept_application",
        json!({}),
        "self_inspection",
    )
    .await;
    // The self-inspection opens with the items of the checklist the company keeps.
    for (id, item) in [
        (
            "1",
            "取扱施設等の出入口は施錠され、鍵の管理者が定められている",
        ),
        ("2", "入退室の記録が保存されている"),
    ] {
        w.t.create(
            &w.admin,
            "/api/v1/registers/inspection_checklist/rows",
            json!({"organisation": w.ko, "data": {"item_id": id, "item": item}}),
        )
        .await;
    }
    let page = w.t.html(&w.admin, &format!("/cases/{case}")).await;
    assert!(page.contains("入退室の記録が保存されている"), "{page}");
    let (status, body) =
        w.t.act(
            &w.admin,
            &case,
            "submit_self_inspection",
            json!({"inspection_items": [{"item_id": "1", "item": "施錠"}]}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "each item needs its result: {body}"
    );
    let items = json!({"inspection_items": [
        {"item_id": "1", "item": "取扱施設等の出入口は施錠され、鍵の管理者が定められている", "result": "met", "evidence": "鍵管理簿.pdf"},
        {"item_id": "2", "item": "入退室の記録が保存されている", "result": "unmet", "evidence": "入退室記録.pdf"}
    ], "inspection_summary": "入退室記録の写しを添付。"});
    w.step(
        &w.admin,
        &case,
        "submit_self_inspection",
        items.clone(),
        "inspection_review",
    )
    .await;
    let (status, body) =
        w.t.act(
            &w.office,
            &case,
            "issue_inspection_notice",
            json!({"inspection_outcome": "deficient", "inspection_notice_on": "2027-02-01"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "findings are required: {body}"
    );
    assert!(
        body["error"]["fields"]["inspection_findings"].is_string(),
        "{body}"
    );
    w.step(&w.office, &case, "issue_inspection_notice", json!({"inspection_outcome": "deficient", "inspection_findings": "施錠記録が不足", "inspection_notice_on": "2027-02-01"}), "self_inspection").await;
    let page = w.t.html(&w.admin, &format!("/cases/{case}")).await;
    assert!(page.contains("入退室記録.pdf"), "{page}");
    // The checklist opens again as it was submitted, to be corrected.
    let mut again = items.clone();
    again["inspection_items"][1]["result"] = json!("met");
    w.step(
        &w.admin,
        &case,
        "submit_self_inspection",
        again,
        "inspection_review",
    )
    .await;
    w.step(
        &w.office,
        &case,
        "issue_inspection_notice",
        json!({"inspection_outcome": "passed", "inspection_notice_on": "2027-03-01"}),
        "survey",
    )
    .await;
    let (status, kind, pdf) = w
        .file(
            &w.admin,
            &format!("/api/v1/cases/{case}/documents/inspection_notice.pdf"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(kind, "application/pdf");
    golden(
        "dsg_inspection_notice_pdf.txt",
        &pdf_text(&pdf).replace(&case, "<case>"),
    );

    // ③–⑤ by the works contractor, the company attending.
    w.step(
        &w.works,
        &case,
        "record_survey",
        json!({"surveyed_on": "2027-03-02", "incidental_works": "壁面の貫通工事（企業負担）"}),
        "line_works",
    )
    .await;
    // Dates in the wrong order are refused with the reason.
    let (status, body) =
        w.t.act(
            &w.works,
            &case,
            "record_line_works",
            json!({"line_works_on": "2027-03-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("現場調査の日より前"),
        "{body}"
    );
    w.step(
        &w.works,
        &case,
        "record_line_works",
        json!({"line_works_on": "2027-03-03"}),
        "router",
    )
    .await;
    let (status, _) =
        w.t.act(
            &w.admin,
            &case,
            "set_up_mobile_router",
            json!({"mobile_router_on": "2027-03-04"}),
        )
        .await;
    assert_ne!(
        status,
        StatusCode::OK,
        "a wired site's router is the works contractor's"
    );
    w.step(
        &w.works,
        &case,
        "install_router",
        json!({"router_installed_on": "2027-03-04"}),
        "setup",
    )
    .await;

    // ⑥ The final verification waits for the accounts and for every terminal to pass.
    let request =
        json!({"preferred_dates": "3月下旬の平日", "entry_procedures": "入構証の事前申請が必要"});
    let (status, body) =
        w.t.act(
            &w.admin,
            &case,
            "request_final_verification",
            request.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    w.ok(
        &w.provider,
        &case,
        "send_accounts",
        json!({"accounts_sent_on": "2027-03-05"}),
    )
    .await;
    w.ok(
        &w.provider,
        &case,
        "record_vein_registrations",
        json!({"vein_registrations": [
            {"name": "甲 管理者", "method": "remote", "registered_on": "2027-03-08"},
            {"name": "甲 利用者", "method": "on_site", "registered_on": "2027-03-09"}
        ]}),
    )
    .await;
    w.ok(
        &w.provider,
        &case,
        "record_connection_tests",
        json!({"connection_tests": [
            {"terminal_id": "PC-01", "result": "pass", "tested_on": "2027-03-10"},
            {"terminal_id": "PC-02", "result": "fail", "tested_on": "2027-03-10"}
        ]}),
    )
    .await;
    let (status, body) =
        w.t.act(
            &w.admin,
            &case,
            "request_final_verification",
            request.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("接続確認に合格していない"),
        "{body}"
    );
    w.ok(
        &w.provider,
        &case,
        "record_connection_tests",
        json!({"connection_tests": [
            {"terminal_id": "PC-01", "result": "pass", "tested_on": "2027-03-10"},
            {"terminal_id": "PC-02", "result": "pass", "tested_on": "2027-03-11"}
        ]}),
    )
    .await;
    w.step(
        &w.admin,
        &case,
        "request_final_verification",
        request,
        "verification_requested",
    )
    .await;
    let (status, _, pdf) = w
        .file(
            &w.admin,
            &format!("/api/v1/cases/{case}/documents/verification_request.pdf"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let text = pdf_text(&pdf);
    assert!(text.contains("PC-02 合格 2027-03-11"), "{text}");

    // ATLA moves the verification and says why; the company reads the reason.
    let (status, body) =
        w.t.act(
            &w.office,
            &case,
            "adjust_schedule",
            json!({"adjust_step": "s7", "adjust_starts": "2027-03-29"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a move says why: {body}");
    assert_eq!(
        w.ok(&w.office, &case, "adjust_schedule", json!({"adjust_step": "s7", "adjust_starts": "2027-03-29", "adjust_reason": "確認要員の都合により"})).await,
        "verification_requested",
        "an adjustment leaves the case where it is"
    );
    let s = w.schedule(&w.admin, &case).await;
    let last = &s["steps"][6];
    assert_eq!(last["current"][0], "2027-03-29");
    assert_eq!(last["reason"], "確認要員の都合により");
    assert_eq!(s["current_step"], "⑦");
    let page = w.t.html(&w.admin, &format!("/cases/{case}")).await;
    assert!(page.contains("data-test=\"gantt\""), "{page}");
    assert!(page.contains("確認要員の都合により"), "{page}");

    // ⑦ A deficiency, its remedy and the re-check, then the completion notice.
    w.step(
        &w.office,
        &case,
        "schedule_verification",
        json!({"verification_on": "2027-03-29"}),
        "verification",
    )
    .await;
    // ATLA's checklist for the visit starts from the self-inspection's items.
    let page = w.t.html(&w.office, &format!("/cases/{case}")).await;
    let visit = page
        .split("data-action=\"record_verification\"")
        .nth(1)
        .unwrap_or_default();
    assert!(visit.contains("入退室の記録が保存されている"), "{page}");
    w.step(&w.office, &case, "record_verification", json!({"verification_outcome": "deficient", "verification_findings": "不要なソフトウェアが残っている", "completed_on": "2027-03-29"}), "remediation").await;
    w.step(
        &w.admin,
        &case,
        "report_remediation",
        json!({"remediation_report": "不要なソフトウェアをアンインストールした"}),
        "verification",
    )
    .await;
    w.step(
        &w.office,
        &case,
        "record_verification",
        json!({"verification_outcome": "passed", "completed_on": "2027-03-31"}),
        "joined",
    )
    .await;
    let (_, got) = w.t.get(&w.admin, &format!("/api/v1/cases/{case}")).await;
    let actions = history_actions(&got);
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "submit_self_inspection")
            .count(),
        2
    );
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "record_verification")
            .count(),
        2
    );
    let (status, _, pdf) = w
        .file(
            &w.admin,
            &format!("/api/v1/cases/{case}/documents/completion_notice.pdf"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    golden(
        "dsg_completion_notice_pdf.txt",
        &pdf_text(&pdf).replace(&case, "<case>"),
    );

    // Every step done; the joined site leaves the overview.
    let s = w.schedule(&w.admin, &case).await;
    assert_eq!(s["current_step"], Value::Null);
    assert!(
        s["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["done_on"].is_string()),
        "{s}"
    );
    let (_, sites) = w.t.get(&w.office, "/api/v1/dsg/sites").await;
    assert_eq!(sites, json!([]));
}

#[tokio::test]
async fn the_schedule_exports_and_shows_a_late_step() {
    let w = world().await;
    let case = w.submitted("mobile").await;
    let s = w.schedule(&w.admin, &case).await;
    let numbers: Vec<&str> = s["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["number"].as_str().unwrap())
        .collect();
    assert_eq!(
        numbers,
        ["①", "②", "⑤", "⑥", "⑦"],
        "a mobile router skips ③ and ④"
    );
    assert_eq!(s["steps"][2]["actor"], "加入希望企業");
    assert_eq!(s["steps"][2]["attend"], false);

    let (status, kind, ics) = w
        .file(
            &w.admin,
            &format!("/api/v1/cases/{case}/schedule/schedule.ics"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/calendar"), "{kind}");
    let ics = String::from_utf8(ics).unwrap();
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 5);
    assert!(ics.contains("DTSTART;VALUE=DATE:20270112"), "{ics}");
    let (status, kind, svg) = w
        .file(
            &w.admin,
            &format!("/api/v1/cases/{case}/schedule/gantt.svg"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("image/svg+xml"), "{kind}");
    assert_eq!(
        String::from_utf8(svg)
            .unwrap()
            .matches("data-test=\"gantt-step\"")
            .count(),
        5
    );
    let (status, _, xlsx) = w
        .file(
            &w.admin,
            &format!("/api/v1/cases/{case}/schedule/schedule.xlsx"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(xlsx.starts_with(b"PK"), "an .xlsx is a ZIP");
    let (status, _, _) = w
        .file(
            &w.admin,
            &format!("/api/v1/cases/{case}/schedule/other.txt"),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Nobody accepts the application for three weeks: ① is behind, and the overview says so.
    w.hands.set("2027-02-02T01:00:00Z");
    let s = w.schedule(&w.office, &case).await;
    assert_eq!(s["late"], true);
    assert_eq!(s["steps"][0]["late"], true);
    let page = w.t.html(&w.office, "/dsg?late=1").await;
    assert!(page.contains("data-late=\"true\""), "{page}");
    let page = w.t.html(&w.office, "/dsg?step=%E2%91%A1").await;
    assert!(
        page.contains("data-test=\"dsg-empty\""),
        "no site at ②: {page}"
    );

    // A mobile router: after the notice the company sets it up; no survey is offered.
    w.ok(&w.office, &case, "accept_application", json!({}))
        .await;
    w.ok(
        &w.admin,
        &case,
        "submit_self_inspection",
        json!({"inspection_items": [{"item": "監査結果通知書で代替", "result": "na"}]}),
    )
    .await;
    w.step(
        &w.office,
        &case,
        "issue_inspection_notice",
        json!({"inspection_outcome": "accepted_audit", "inspection_notice_on": "2027-02-03"}),
        "router",
    )
    .await;
    let (status, _) =
        w.t.act(
            &w.works,
            &case,
            "install_router",
            json!({"router_installed_on": "2027-02-04"}),
        )
        .await;
    assert_ne!(status, StatusCode::OK, "no wired router for a mobile site");
    // A mobile site has no ③ or ④ for ATLA to move, and no day in the past.
    for (step, day, says) in [
        ("s3", "2027-03-01", "モバイル接続ルータ"),
        ("s6", "2027-01-04", "今日より前"),
    ] {
        let (status, body) =
            w.t.act(
                &w.office,
                &case,
                "adjust_schedule",
                json!({"adjust_step": step, "adjust_starts": day, "adjust_reason": "調整"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(says),
            "{body}"
        );
    }
    w.step(
        &w.admin,
        &case,
        "set_up_mobile_router",
        json!({"mobile_router_on": "2027-02-04"}),
        "setup",
    )
    .await;
}

#[tokio::test]
async fn a_site_outside_japan_is_refused_with_the_reason() {
    let w = world().await;
    let case = w.open("wired").await;
    let mut data = application("wired");
    data["site_country"] = json!("abroad");
    let (status, body) =
        w.t.patch(
            &w.admin,
            &format!("/api/v1/cases/{case}"),
            json!({"data": data}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for field in ["evidence_contract", "evidence_audit"] {
        w.attach(&case, field, "e.pdf", PDF).await;
    }
    let (_, got) = w.t.get(&w.admin, &format!("/api/v1/cases/{case}")).await;
    assert_eq!(
        got["data"]["eligibility"],
        "満たしていない要件: 日本国外の拠点は加入できません。"
    );
    let (status, body) = w.t.act(&w.admin, &case, "submit", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("日本国外の拠点は DSG に加入できません"),
        "{body}"
    );
    let (_, got) = w.t.get(&w.admin, &format!("/api/v1/cases/{case}")).await;
    assert_eq!(got["state"], "draft");
    assert_eq!(
        got["data"]["site_address"], "神奈川県横浜市〇〇区1-2-3",
        "nothing typed is lost"
    );
    // No schedule before submission.
    let (status, _) =
        w.t.get(&w.admin, &format!("/api/v1/cases/{case}/schedule"))
            .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn software_requests_go_to_the_helpdesk_are_refused_online_or_are_reviewed() {
    let w = world().await;
    w.t.create(
        &w.admin,
        "/api/v1/registers/whitelist/rows",
        json!({"organisation": w.ko, "data": {"software_name": "PDF閲覧ソフト", "category": "installable"}}),
    )
    .await;
    let request = |name: &str, online: bool| {
        json!({"procedure": "software", "organisation": w.ko, "data": {
            "company": "甲社", "site_name": "第二事業所", "terminal_ids": "PC-01",
            "software_name": name, "software_version": "1.0", "request_kind": "install",
            "online": online, "purpose": "設計図面の閲覧"
        }})
    };
    let whitelisted =
        w.t.create(&w.admin, "/api/v1/cases", request(" pdf閲覧ソフト", false))
            .await;
    w.step(&w.admin, &whitelisted, "submit", json!({}), "helpdesk")
        .await;
    let online =
        w.t.create(&w.admin, "/api/v1/cases", request("PDF閲覧ソフト", true))
            .await;
    assert_eq!(
        w.ok(&w.admin, &online, "submit", json!({})).await,
        "refused_online",
        "online installs are refused even for whitelisted software"
    );
    let other =
        w.t.create(&w.admin, "/api/v1/cases", request("三次元CAD", false))
            .await;
    w.step(&w.admin, &other, "submit", json!({}), "review")
        .await;
    assert!(w.t.inbox_ids(&w.office).await.contains(&other));
    assert!(!w.t.inbox_ids(&w.office).await.contains(&online));
    let (status, _) = w.t.act(&w.office, &other, "ask_documents", json!({})).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "the request for documents says which"
    );
    let (status, body) =
        w.t.post(
            &w.office,
            &format!("/api/v1/cases/{other}/actions/ask_documents"),
            json!({"fields": {}, "comment": "製品の仕様書を提出してください"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) =
        w.t.post(
            &w.admin,
            &format!("/api/v1/cases/{other}/actions/send_documents"),
            json!({"fields": {}, "comment": "仕様書を添付しました"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    w.step(&w.office, &other, "approve", json!({}), "approved")
        .await;
    // 乙社 reads none of 甲社's requests.
    let (status, _) =
        w.t.get(&w.other_admin, &format!("/api/v1/cases/{other}"))
            .await;
    assert!(
        matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{status}"
    );
    let _ = &w.otsu;
}

impl World {
    /// A mobile-router site taken through every step to the completion notice.
    async fn joined(&self) -> String {
        let case = self.submitted("mobile").await;
        let steps: [(&Client, &str, Value); 9] = [
            (&self.office, "accept_application", json!({})),
            (
                &self.admin,
                "submit_self_inspection",
                json!({"inspection_items": [{"item": "施錠", "result": "met"}]}),
            ),
            (
                &self.office,
                "issue_inspection_notice",
                json!({"inspection_outcome": "passed", "inspection_notice_on": "2027-02-01"}),
            ),
            (
                &self.admin,
                "set_up_mobile_router",
                json!({"mobile_router_on": "2027-02-02"}),
            ),
            (
                &self.provider,
                "send_accounts",
                json!({"accounts_sent_on": "2027-02-03"}),
            ),
            (
                &self.provider,
                "record_vein_registrations",
                json!({"vein_registrations": [
                    {"name": "甲 管理者", "method": "remote", "registered_on": "2027-02-03"},
                    {"name": "甲 利用者", "method": "on_site", "registered_on": "2027-02-03"}
                ]}),
            ),
            (
                &self.provider,
                "record_connection_tests",
                json!({"connection_tests": [
                    {"terminal_id": "PC-01", "result": "pass", "tested_on": "2027-02-04"},
                    {"terminal_id": "PC-02", "result": "pass", "tested_on": "2027-02-04"}
                ]}),
            ),
            (
                &self.admin,
                "request_final_verification",
                json!({"preferred_dates": "2月中旬"}),
            ),
            (
                &self.office,
                "schedule_verification",
                json!({"verification_on": "2027-02-15"}),
            ),
        ];
        for (c, action, fields) in steps {
            self.ok(c, &case, action, fields).await;
        }
        case
    }

    async fn rows(&self, c: &Client, register: &str) -> Vec<Value> {
        let (status, body) = self
            .t
            .get(c, &format!("/api/v1/registers/{register}/rows"))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["data"].clone())
            .collect()
    }
}

#[tokio::test]
async fn after_joining_terminals_media_and_changes_reach_the_company_ledgers() {
    let w = world().await;
    let case = w.joined().await;
    w.step(
        &w.office,
        &case,
        "record_verification",
        json!({"verification_outcome": "passed", "completed_on": "2027-02-15"}),
        "joined",
    )
    .await;
    // The site, its terminals and the people registered are in 甲社's ledgers.
    let sites = w.rows(&w.admin, "sites").await;
    assert_eq!(sites.len(), 1);
    assert_eq!(sites[0]["joined_on"], "2027-02-15");
    assert_eq!(sites[0]["router"], "mobile");
    let terminals = w.rows(&w.admin, "terminals").await;
    assert_eq!(terminals.len(), 2, "{terminals:?}");
    assert!(terminals.iter().all(|t| t["status"] == "registered"));
    assert_eq!(w.rows(&w.admin, "vein_people").await.len(), 2);
    assert!(
        w.rows(&w.other_admin, "terminals").await.is_empty(),
        "乙社 reads none of them"
    );

    // Deleting a terminal needs the record of its erasure; nothing typed is lost.
    let delete = w
        .t
        .create(
            &w.admin,
            "/api/v1/cases",
            json!({"procedure": "terminal", "organisation": w.ko, "data": {
                "site_name": "第二事業所 3階 保護区画", "request": "deleted", "terminal_id": "PC-02"}}),
        )
        .await;
    let (status, body) = w.t.act(&w.admin, &delete, "submit", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    for field in ["erasure_method", "erased_on", "erased_by", "erasure_record"] {
        assert!(
            body["error"]["fields"][field].is_string(),
            "{field}: {body}"
        );
    }
    w.hands.set("2027-04-02T01:00:00Z");
    let erased = |on: &str| {
        json!({"data": {
            "site_name": "第二事業所 3階 保護区画", "request": "deleted", "terminal_id": "PC-02",
            "erasure_method": "overwrite", "erased_on": on, "erased_by": "情報システム部 甲"}})
    };
    let (status, body) =
        w.t.patch(
            &w.admin,
            &format!("/api/v1/cases/{delete}"),
            erased("2027-04-05"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = w
        .attach(&delete, "erasure_record", "消去証明書.pdf", PDF)
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = w.t.act(&w.admin, &delete, "submit", json!({})).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an erasure still to come: {body}"
    );
    let (status, body) =
        w.t.patch(
            &w.admin,
            &format!("/api/v1/cases/{delete}"),
            erased("2027-04-01"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    w.step(&w.admin, &delete, "submit", json!({}), "review")
        .await;
    w.step(
        &w.office,
        &delete,
        "approve",
        json!({"approved_on": "2027-04-02"}),
        "approved",
    )
    .await;
    let terminals = w.rows(&w.admin, "terminals").await;
    let pc02 = terminals
        .iter()
        .find(|t| t["terminal_id"] == "PC-02")
        .unwrap();
    assert_eq!(pc02["status"], "deleted");
    assert_eq!(pc02["erasure_method"], "overwrite");
    assert_eq!(pc02["erased_by"], "情報システム部 甲");

    // A USB memory registered for PC-01.
    let media = w
        .t
        .create(
            &w.admin,
            "/api/v1/cases",
            json!({"procedure": "media", "organisation": w.ko, "data": {
                "site_name": "第二事業所 3階 保護区画", "request": "registered", "media_id": "USB-0001",
                "media_kind": "usb", "terminal_id": "PC-01", "purpose": "図面データの受渡し"}}),
        )
        .await;
    w.ok(&w.admin, &media, "submit", json!({})).await;
    // The service provider, which registers it on its side, accepts it.
    w.ok(
        &w.provider,
        &media,
        "approve",
        json!({"approved_on": "2027-04-03"}),
    )
    .await;
    let media = w.rows(&w.admin, "media").await;
    assert_eq!(media[0]["media_id"], "USB-0001");
    assert_eq!(media[0]["status"], "registered");

    // A change of layout needs its evidence, as PDF.
    let change =
        w.t.create(
            &w.admin,
            "/api/v1/cases",
            json!({"procedure": "change", "organisation": w.ko, "data": {
                "site_name": "第二事業所 3階 保護区画", "changes": ["layout"],
                "details": "保護区画の間仕切りを変更", "effective_on": "2027-05-01"}}),
        )
        .await;
    let (status, body) = w.t.act(&w.admin, &change, "submit", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["fields"]["evidence"].is_string(), "{body}");
    let (status, _) = w.attach(&change, "evidence", "図面.pdf", PDF).await;
    assert_eq!(status, StatusCode::CREATED);
    w.ok(&w.admin, &change, "submit", json!({})).await;
    w.ok(
        &w.office,
        &change,
        "approve",
        json!({"approved_on": "2027-05-02"}),
    )
    .await;
    assert_eq!(
        w.rows(&w.admin, "sites").await[0]["changed_on"],
        "2027-05-01"
    );
}
