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
    /// 防衛装備庁, which keeps the checklist's items for every company.
    atla: String,
    admin: Client,
    /// 乙社, another contractor of ATLA, and its administrator.
    otsu: String,
    other_admin: Client,
    /// ATLA's information-systems office.
    office: Client,
    /// The service provider ATLA engages, and its staff; the works contractor's staff.
    provider_org: String,
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
        atla,
        otsu,
        provider_org: provider,
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
        "consent_schedule": true,
        "consent_month": true,
        "consent_incidental_works": true,
        "data_moved": true,
        "consent_software": true,
        "schedule_requests": "④〜⑦は3月中を希望します。"
    })
}

/// The consent items of the application (「同意事項等の確認及び回答の上、提出」).
const CONSENTS: [&str; 5] = [
    "consent_schedule",
    "consent_month",
    "consent_incidental_works",
    "data_moved",
    "consent_software",
];

/// The items of ATLA's self-inspection checklist.
const CHECKLIST: [(&str, &str); 2] = [
    (
        "1",
        "取扱施設等の出入口は施錠され、鍵の管理者が定められている",
    ),
    ("2", "入退室の記録が保存されている"),
];

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

    /// ATLA's office keeps the checklist's two items, once for every company.
    async fn checklist(&self) {
        for (id, item) in CHECKLIST {
            self.t
                .create(
                    &self.office,
                    "/api/v1/registers/inspection_checklist/rows",
                    json!({"organisation": self.atla, "data": {"item_id": id, "item": item}}),
                )
                .await;
        }
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

    /// The subjects of a person's notifications, newest first.
    async fn notices(&self, c: &Client) -> Vec<String> {
        let (status, body) = self.t.get(c, "/api/v1/notifications").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body.as_array()
            .unwrap()
            .iter()
            .map(|n| n["subject"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Takes an action with a comment: the status and the answer.
    async fn act_saying(
        &self,
        c: &Client,
        case: &str,
        action: &str,
        comment: &str,
    ) -> (StatusCode, Value) {
        self.t
            .post(
                c,
                &format!("/api/v1/cases/{case}/actions/{action}"),
                json!({"fields": {}, "comment": comment}),
            )
            .await
    }

    /// The text of a case's PDF document, the case's id made `<case>`.
    async fn pdf(&self, c: &Client, case: &str, document: &str) -> String {
        let (status, kind, pdf) = self
            .file(c, &format!("/api/v1/cases/{case}/documents/{document}.pdf"))
            .await;
        assert_eq!(status, StatusCode::OK, "{document}");
        assert_eq!(kind, "application/pdf");
        pdf_text(&pdf).replace(case, "<case>")
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
    // The application itself is a document: 加入申請書, consent items answered.
    golden(
        "dsg_application_pdf.txt",
        &w.pdf(&w.admin, &case, "application_pdf").await,
    );

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
    // The self-inspection opens with the items of ATLA's checklist; the evidence is
    // chosen among the files attached to the case.
    w.checklist().await;
    for name in ["鍵管理簿.pdf", "入退室記録.pdf"] {
        let (status, body) = w.attach(&case, "", name, PDF).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
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
    // No terminal is tested before the company has set it up from the provider's media.
    let (status, body) =
        w.t.act(
            &w.provider,
            &case,
            "record_connection_tests",
            json!({"connection_tests": [{"terminal_id": "PC-01", "result": "pass", "tested_on": "2027-03-10"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("セットアップを記録してから"),
        "{body}"
    );
    // The setup is recorded for each terminal of the application.
    let page = w.t.html(&w.admin, &format!("/cases/{case}")).await;
    let setup = page
        .split("data-action=\"record_setup\"")
        .nth(1)
        .unwrap_or_default();
    assert!(setup.contains("PC-02"), "{page}");
    let (status, body) =
        w.t.act(
            &w.admin,
            &case,
            "record_setup",
            json!({"setup_terminals": []}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["fields"]["media_received_on"].is_string(),
        "{body}"
    );
    w.step(
        &w.admin,
        &case,
        "record_setup",
        json!({"media_received_on": "2027-03-05", "setup_terminals": [
            {"terminal_id": "PC-01", "set_up_on": "2027-03-08"},
            {"terminal_id": "PC-02", "set_up_on": "2027-03-08"}
        ]}),
        "setup",
    )
    .await;
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
    // Every terminal passed; the unneeded pre-installed software must be gone too.
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
            .contains("プリインストールソフトウェアの削除"),
        "{body}"
    );
    w.step(
        &w.admin,
        &case,
        "record_uninstall",
        json!({"removed_software": [{"terminal_id": "PC-01", "software_name": "体験版ゲーム"}], "uninstall_checked_on": "2027-03-12"}),
        "setup",
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
    // The notice gives no durations: the page says the days are mamori's.
    assert!(
        page.contains("data-test=\"schedule-note\"") && page.contains("mamori が定めた目安"),
        "{page}"
    );

    // ⑦ ATLA's checklist for the visit starts from the self-inspection's items, and goes to
    // the company with the date.
    let page = w.t.html(&w.office, &format!("/cases/{case}")).await;
    let scheduling = page
        .split("data-action=\"schedule_verification\"")
        .nth(1)
        .unwrap_or_default();
    assert!(
        scheduling.contains("入退室の記録が保存されている"),
        "{page}"
    );
    let (status, body) =
        w.t.act(
            &w.office,
            &case,
            "schedule_verification",
            json!({"verification_on": "2027-03-29"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["fields"]["visit_checklist"].is_string(),
        "the checklist is sent ahead: {body}"
    );
    w.step(
        &w.office,
        &case,
        "schedule_verification",
        json!({"verification_on": "2027-03-29", "visit_checklist": [
            {"item": "取扱施設等の出入口は施錠され、鍵の管理者が定められている"},
            {"item": "入退室の記録が保存されている"},
            {"item": "通信ルータ（有線）が設置され、利用端末と接続されている"}
        ]}),
        "verification",
    )
    .await;
    let notices = w.notices(&w.admin).await;
    assert!(
        notices
            .iter()
            .any(|n| n.contains("最終現地確認の日程を決定")
                && n.contains("送付: 最終現地確認チェックリスト（PDF）")),
        "{notices:?}"
    );
    let checklist = w.pdf(&w.admin, &case, "visit_checklist").await;
    assert!(
        checklist.contains("通信ルータ（有線）が設置され、利用端末と接続されている"),
        "{checklist}"
    );
    assert!(checklist.contains("確認日 2027-03-29"), "{checklist}");
    // The visit is recorded against the checklist sent.
    let page = w.t.html(&w.office, &format!("/cases/{case}")).await;
    let visit = page
        .split("data-action=\"record_verification\"")
        .nth(1)
        .unwrap_or_default();
    assert!(visit.contains("通信ルータ（有線）が設置され"), "{page}");

    // A deficiency, its remedy and the re-check, then the completion notice.
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
    w.ok(&w.admin, &case, "submit_audit_result", json!({}))
        .await;
    w.step(
        &w.office,
        &case,
        "accept_audit",
        json!({"audit_accepted_on": "2027-02-03"}),
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
    // The provider's whitelist, delivered on the setup media.
    w.t.create(
        &w.provider,
        "/api/v1/registers/whitelist/rows",
        json!({"organisation": w.provider_org, "data": {"software_name": "PDF閲覧ソフト", "category": "installable"}}),
    )
    .await;
    let request = |name: &str, online: bool| software_request(&w.ko, name, online);
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

/// A request to install `name` on 甲社's terminal PC-01.
fn software_request(ko: &str, name: &str, online: bool) -> Value {
    json!({"procedure": "software", "organisation": ko, "data": {
        "company": "甲社", "site_name": "第二事業所", "terminal_ids": "PC-01",
        "software_name": name, "software_version": "1.0", "request_kind": "install",
        "online": online, "purpose": "設計図面の閲覧"
    }})
}

impl World {
    /// A mobile-router site taken through every step to the completion notice.
    async fn joined(&self) -> String {
        let case = self.submitted("mobile").await;
        let steps: [(&Client, &str, Value); 11] = [
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
                &self.admin,
                "record_setup",
                json!({"media_received_on": "2027-02-02", "setup_terminals": [
                    {"terminal_id": "PC-01", "set_up_on": "2027-02-03"},
                    {"terminal_id": "PC-02", "set_up_on": "2027-02-03"}
                ]}),
            ),
            (
                &self.admin,
                "record_uninstall",
                json!({"uninstall_checked_on": "2027-02-03"}),
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
                json!({"verification_on": "2027-02-15", "visit_checklist": [{"item": "施錠"}]}),
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

    // A change of layout needs its evidence, as PDF; the audit notice only when needed.
    let change = |changes: &str, to_provider: bool| {
        json!({"procedure": "change", "organisation": w.ko, "data": {
            "site_name": "第二事業所 3階 保護区画", "changes": [changes],
            "details": "保護区画の間仕切りを変更", "effective_on": "2027-05-01",
            "to_provider": to_provider}})
    };
    let layout =
        w.t.create(&w.admin, "/api/v1/cases", change("layout", true))
            .await;
    let (status, body) = w.t.act(&w.admin, &layout, "submit", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["fields"]["evidence"].is_string(), "{body}");
    assert!(
        body["error"]["fields"]["audit_notice"].is_null(),
        "the audit notice is not required: {body}"
    );
    let (status, _) = w.attach(&layout, "evidence", "図面.pdf", PDF).await;
    assert_eq!(status, StatusCode::CREATED);
    w.step(&w.admin, &layout, "submit", json!({}), "review")
        .await;
    // Sent to the provider as well: it is told, and may ask for what it needs.
    assert!(w.t.inbox_ids(&w.provider).await.contains(&layout));
    assert!(w.t.inbox_ids(&w.office).await.contains(&layout));
    let told = |notices: Vec<String>| {
        notices
            .iter()
            .filter(|n| n.starts_with("第二事業所 3階 保護区画: 「申請する」"))
            .count()
    };
    assert_eq!(
        told(w.notices(&w.provider).await),
        1,
        "the provider is told of the change"
    );
    let (status, body) = w
        .act_saying(
            &w.provider,
            &layout,
            "provider_request_more",
            "端末の設置場所の図面も提出してください",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "more_requested");
    let (status, body) = w
        .act_saying(&w.admin, &layout, "answer_request", "図面を添付しました")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    w.step(
        &w.office,
        &layout,
        "approve",
        json!({"approved_on": "2027-05-02"}),
        "approved",
    )
    .await;
    assert_eq!(
        w.rows(&w.admin, "sites").await[0]["changed_on"],
        "2027-05-01"
    );

    // A change of contacts goes to ATLA only, with the audit notice the company chose to
    // attach.
    let contacts =
        w.t.create(&w.admin, "/api/v1/cases", change("contacts", false))
            .await;
    w.attach(&contacts, "evidence", "連絡先.pdf", PDF).await;
    let (status, _) = w
        .attach(&contacts, "audit_notice", "監査結果通知書.pdf", PDF)
        .await;
    assert_eq!(status, StatusCode::CREATED);
    w.step(&w.admin, &contacts, "submit", json!({}), "review")
        .await;
    assert!(!w.t.inbox_ids(&w.provider).await.contains(&contacts));
    assert_eq!(told(w.notices(&w.provider).await), 1, "nor told of it");
    let (status, body) = w
        .act_saying(&w.provider, &contacts, "provider_request_more", "資料を")
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not sent to the provider: {body}"
    );
    let (_, got) =
        w.t.get(&w.office, &format!("/api/v1/cases/{contacts}"))
            .await;
    assert_eq!(got["data"]["audit_notice"], json!(["監査結果通知書.pdf"]));
}

#[tokio::test]
async fn the_whitelist_is_the_provider_s_and_only_its_rows_skip_the_review() {
    let w = world().await;
    let rows = "/api/v1/registers/whitelist/rows";
    // The provider keeps the list it delivers on the setup media.
    let viewer = w
        .t
        .create(
            &w.provider,
            rows,
            json!({"organisation": w.provider_org, "data": {"software_name": "PDF閲覧ソフト", "category": "installable"}}),
        )
        .await;
    // 甲社's people may neither add, nor correct, nor retire a row, and are told who may:
    // its protected-system administrator, and its administrator by office.
    let sys = w.t.admin().await;
    let ko_admin =
        w.t.people(
            &sys,
            &[(
                "甲 総括管理者",
                "chief@ko.example.jp",
                &w.ko,
                "administrator",
            )],
        )
        .await
        .remove(0);
    let row = json!({"software_name": "三次元CAD", "category": "installable"});
    for c in [&w.admin, &ko_admin] {
        for (status, body) in [
            w.t.post(c, rows, json!({"organisation": w.ko, "data": row}))
                .await,
            w.t.post(
                c,
                rows,
                json!({"organisation": w.provider_org, "data": row}),
            )
            .await,
            w.t.patch(
                c,
                &format!("{rows}/{viewer}"),
                json!({"data": {"note": "社内で追記"}, "comment": "追記"}),
            )
            .await,
            w.t.post(
                c,
                &format!("{rows}/{viewer}/retire"),
                json!({"comment": "不要"}),
            )
            .await,
        ] {
            assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
            let message = body["error"]["message"].as_str().unwrap();
            assert!(
                message.contains(
                    "「サービス提供事業者」「防衛装備庁 情報システム管理室」の役割を持つ人だけ"
                ) && message.contains("組織の管理者であっても"),
                "{message}"
            );
        }
    }
    // The provider corrects its own row.
    let (status, body) =
        w.t.patch(
            &w.provider,
            &format!("{rows}/{viewer}"),
            json!({"data": {"note": "版を問わない"}, "comment": "備考を追記"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Software on the provider's list skips ATLA's review.
    let on_list =
        w.t.create(
            &w.admin,
            "/api/v1/cases",
            software_request(&w.ko, "PDF閲覧ソフト", false),
        )
        .await;
    w.step(&w.admin, &on_list, "submit", json!({}), "helpdesk")
        .await;

    // A list the company writes for itself counts for nothing: its administrator makes one of
    // its own people a "service provider", who adds a row kept by 甲社.
    let person =
        w.t.person(&ko_admin, "甲 情報担当", "it@ko.example.jp", &w.ko)
            .await;
    w.t.designate(&ko_admin, "dsg_service_provider", &w.ko, &person)
        .await;
    let own = w.t.first_login("it@ko.example.jp", "initial-pass-1").await;
    w.t.create(&own, rows, json!({"organisation": w.ko, "data": row}))
        .await;
    let own_list =
        w.t.create(
            &w.admin,
            "/api/v1/cases",
            software_request(&w.ko, "三次元CAD", false),
        )
        .await;
    w.step(&w.admin, &own_list, "submit", json!({}), "review")
        .await;
    assert!(w.t.inbox_ids(&w.office).await.contains(&own_list));

    // Once the provider retires its row, the software is reviewed like any other.
    let (status, body) =
        w.t.post(
            &w.provider,
            &format!("{rows}/{viewer}/retire"),
            json!({"comment": "一覧から削除"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let retired =
        w.t.create(
            &w.admin,
            "/api/v1/cases",
            software_request(&w.ko, "PDF閲覧ソフト", false),
        )
        .await;
    w.step(&w.admin, &retired, "submit", json!({}), "review")
        .await;
}

#[tokio::test]
async fn an_audit_result_replaces_the_checklist_and_a_refusal_sends_it_back_with_the_reason() {
    let w = world().await;
    let case = w.submitted("wired").await;
    w.ok(&w.office, &case, "accept_application", json!({}))
        .await;
    // The audit notice must still be attached: withdrawn, it cannot stand for the check.
    let (_, got) = w.t.get(&w.admin, &format!("/api/v1/cases/{case}")).await;
    let audit = got["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["field"] == "evidence_audit")
        .unwrap()["href"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = w.admin.delete(w.t.url(&audit)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (status, body) =
        w.t.act(&w.admin, &case, "submit_audit_result", json!({}))
            .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("添付されていません"),
        "{body}"
    );
    w.attach(&case, "evidence_audit", "監査結果通知書.pdf", PDF)
        .await;
    // The company declared an audit result notice: it submits that, no checklist.
    w.step(
        &w.admin,
        &case,
        "submit_audit_result",
        json!({"audit_remarks": "令和8年の情報セキュリティ監査で取扱施設等を確認済み"}),
        "audit_review",
    )
    .await;
    assert!(w.t.inbox_ids(&w.office).await.contains(&case));
    // ATLA refuses it only with a reason, which sends the company back to the checklist.
    let (status, body) = w.t.act(&w.office, &case, "refuse_audit", json!({})).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a refusal says why: {body}"
    );
    let (status, body) = w
        .act_saying(
            &w.office,
            &case,
            "refuse_audit",
            "監査の対象に当該拠点が含まれていません",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "self_inspection");
    let (_, got) = w.t.get(&w.admin, &format!("/api/v1/cases/{case}")).await;
    let last = got["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "refuse_audit");
    assert_eq!(last["comment"], "監査の対象に当該拠点が含まれていません");
    assert!(
        w.notices(&w.admin)
            .await
            .iter()
            .any(|n| n.contains("監査結果等では代えられない")),
        "the company is told"
    );

    // A newer notice, accepted: the check counts as done, without a checklist.
    w.step(
        &w.admin,
        &case,
        "submit_audit_result",
        json!({}),
        "audit_review",
    )
    .await;
    w.step(
        &w.office,
        &case,
        "accept_audit",
        json!({"audit_accepted_on": "2027-02-01"}),
        "survey",
    )
    .await;
    let (_, got) = w.t.get(&w.admin, &format!("/api/v1/cases/{case}")).await;
    assert!(got["data"]["inspection_items"].is_null(), "{got}");
    let s = w.schedule(&w.admin, &case).await;
    assert!(s["steps"][1]["done_on"].is_string(), "② is done: {s}");
    assert_eq!(s["current_step"], "③");
    let notice = w.pdf(&w.admin, &case, "inspection_notice").await;
    assert!(
        notice.contains("提出された監査結果等により、現地確認を実施したものとみなす"),
        "{notice}"
    );
    assert!(notice.contains("令和 9 年 2 月 1 日"), "{notice}");

    // A company that declared no audit result has only the checklist.
    let mut data = application("mobile");
    data["site_name"] = json!("本社 保護区画");
    data["audit_evidence"] = json!("none");
    let other =
        w.t.create(
            &w.admin,
            "/api/v1/cases",
            json!({"procedure": "joining", "organisation": w.ko, "data": data}),
        )
        .await;
    w.attach(&other, "evidence_contract", "実績.pdf", PDF).await;
    w.ok(&w.admin, &other, "submit", json!({})).await;
    w.ok(&w.office, &other, "accept_application", json!({}))
        .await;
    let (status, body) =
        w.t.act(&w.admin, &other, "submit_audit_result", json!({}))
            .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

#[tokio::test]
async fn the_consent_items_must_be_answered_before_the_application_goes() {
    let w = world().await;
    let mut data = application("wired");
    for id in CONSENTS {
        data.as_object_mut().unwrap().remove(id);
    }
    data["consent_month"] = json!(false);
    let case =
        w.t.create(
            &w.admin,
            "/api/v1/cases",
            json!({"procedure": "joining", "organisation": w.ko, "data": data}),
        )
        .await;
    for field in ["evidence_contract", "evidence_audit"] {
        w.attach(&case, field, "e.pdf", PDF).await;
    }
    let (status, body) = w.t.act(&w.admin, &case, "submit", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    for id in CONSENTS {
        assert!(body["error"]["fields"][id].is_string(), "{id}: {body}");
    }
    assert!(
        body["error"]["fields"]["consent_month"]
            .as_str()
            .unwrap()
            .contains("「はい」"),
        "an answer of no is not consent: {body}"
    );
    // Nothing typed is lost, the answer given included.
    let (_, got) = w.t.get(&w.admin, &format!("/api/v1/cases/{case}")).await;
    assert_eq!(got["state"], "draft");
    assert_eq!(got["data"]["site_address"], "神奈川県横浜市〇〇区1-2-3");
    assert_eq!(got["data"]["consent_month"], false);
    // Answered, it goes.
    let (status, body) =
        w.t.patch(
            &w.admin,
            &format!("/api/v1/cases/{case}"),
            json!({"data": application("wired")}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    w.step(&w.admin, &case, "submit", json!({}), "application_review")
        .await;
}

#[tokio::test]
async fn a_second_open_application_for_a_site_is_refused_naming_the_first() {
    let w = world().await;
    let first = w.open("wired").await;
    let with_site = |site: &str| {
        let mut data = application("mobile");
        data["site_name"] = json!(site);
        json!({"procedure": "joining", "organisation": w.ko, "data": data})
    };
    // The same site, written with other spacing, is the same site.
    let (status, body) =
        w.t.post(
            &w.admin,
            "/api/v1/cases",
            with_site("第二事業所  3階 保護区画"),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let message = body["error"]["fields"]["site_name"].as_str().unwrap();
    assert!(
        message.contains(&first) && message.contains("進行中"),
        "{message}"
    );
    // Another site may be applied for, but not renamed onto the first.
    let second =
        w.t.create(&w.admin, "/api/v1/cases", with_site("本社 保護区画"))
            .await;
    let renamed = with_site("第二事業所 3階 保護区画")["data"].clone();
    let (status, body) =
        w.t.patch(
            &w.admin,
            &format!("/api/v1/cases/{second}"),
            json!({"data": renamed}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["fields"]["site_name"]
            .as_str()
            .unwrap()
            .contains(&first),
        "{body}"
    );
    let (_, got) = w.t.get(&w.admin, &format!("/api/v1/cases/{second}")).await;
    assert_eq!(got["data"]["site_name"], "本社 保護区画");
    // 乙社's site of the same name is another site.
    let mut data = application("wired");
    data["company"] = json!("乙社");
    w.t.create(
        &w.other_admin,
        "/api/v1/cases",
        json!({"procedure": "joining", "organisation": w.otsu, "data": data}),
    )
    .await;
    // Once the first application is withdrawn, the site may be applied for again.
    let (status, body) = w
        .act_saying(&w.admin, &first, "withdraw", "拠点を見直すため")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) =
        w.t.patch(
            &w.admin,
            &format!("/api/v1/cases/{second}"),
            json!({"data": renamed}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn an_application_failing_any_one_requirement_is_flagged_and_refused() {
    let w = world().await;
    for (field, answer, flagged, refused) in [
        (
            "req_contract",
            json!(false),
            "防衛セキュリティゲートウェイを利用し得る契約の実績又は見込みが必要です",
            "要件1（実績等）を満たしていません",
        ),
        (
            "req_facility",
            json!("none"),
            "情報セキュリティ基準第8項に基づく取扱施設等の整備（又は猶予の承認）が必要です",
            "要件2（設備）を満たしていません",
        ),
        (
            "req_equipment",
            json!(false),
            "公表された仕様を満たす機器を拠点に設置できることが必要です",
            "要件3（機器）を満たしていません",
        ),
        (
            "site_country",
            json!("abroad"),
            "日本国外の拠点は加入できません",
            "要件4（拠点地域）を満たしていません",
        ),
    ] {
        let mut data = application("wired");
        data["site_name"] = json!(format!("{field} の拠点"));
        data[field] = answer;
        let case =
            w.t.create(
                &w.admin,
                "/api/v1/cases",
                json!({"procedure": "joining", "organisation": w.ko, "data": data}),
            )
            .await;
        for f in ["evidence_contract", "evidence_audit"] {
            w.attach(&case, f, "e.pdf", PDF).await;
        }
        let (_, got) = w.t.get(&w.admin, &format!("/api/v1/cases/{case}")).await;
        assert_eq!(
            got["data"]["eligibility"],
            format!("満たしていない要件: {flagged}。"),
            "{field}"
        );
        let (status, body) = w.t.act(&w.admin, &case, "submit", json!({})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(refused) && message.matches("を満たしていません").count() == 1,
            "{field}: {message}"
        );
        let (_, got) = w.t.get(&w.admin, &format!("/api/v1/cases/{case}")).await;
        assert_eq!(got["state"], "draft", "{field}");
    }
    // A granted deferral meets the facility requirement.
    let mut data = application("wired");
    data["site_name"] = json!("猶予の拠点");
    data["req_facility"] = json!("deferral");
    let case =
        w.t.create(
            &w.admin,
            "/api/v1/cases",
            json!({"procedure": "joining", "organisation": w.ko, "data": data}),
        )
        .await;
    for f in ["evidence_contract", "evidence_audit"] {
        w.attach(&case, f, "e.pdf", PDF).await;
    }
    w.step(&w.admin, &case, "submit", json!({}), "application_review")
        .await;
}

#[tokio::test]
async fn atla_keeps_the_checklist_once_and_evidence_is_one_of_the_case_s_files() {
    let w = world().await;
    w.checklist().await;
    // The checklist is ATLA's: a company's administrator adds no item, neither in its own
    // organisation nor in ATLA's.
    for org in [&w.ko, &w.atla] {
        let (status, body) =
            w.t.post(
                &w.admin,
                "/api/v1/registers/inspection_checklist/rows",
                json!({"organisation": org, "data": {"item_id": "9", "item": "自社で追加した点検事項"}}),
            )
            .await;
        assert!(
            matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{status} {body}"
        );
    }

    // Each company's self-inspection opens with ATLA's items, none of them copied.
    let case = w.submitted("wired").await;
    w.ok(&w.office, &case, "accept_application", json!({}))
        .await;
    let page = w.t.html(&w.admin, &format!("/cases/{case}")).await;
    let inspection = page
        .split("data-action=\"submit_self_inspection\"")
        .nth(1)
        .unwrap_or_default();
    for (_, item) in CHECKLIST {
        assert!(inspection.contains(item), "{page}");
    }
    assert!(!inspection.contains("自社で追加した点検事項"));
    let (status, ours) =
        w.t.get(&w.admin, "/api/v1/registers/inspection_checklist")
            .await;
    assert!(
        !ours.to_string().contains(&w.ko),
        "the company keeps no copy: {status} {ours}"
    );
    // What was checked has room to be written.
    assert!(
        inspection.contains("name=\"inspection_items.0.detail\" rows=\"4\""),
        "{inspection}"
    );

    // The evidence is chosen among the case's files: none yet, so nothing to choose, and a
    // name typed for a file that is not there is refused beside its cell.
    let answers = |evidence: &str| {
        json!({"inspection_items": [
            {"item_id": "1", "item": CHECKLIST[0].1, "result": "met", "detail": "出入口2か所の施錠と鍵の管理者の指定を確認した。", "evidence": evidence},
            {"item_id": "2", "item": CHECKLIST[1].1, "result": "met", "evidence": evidence}
        ]})
    };
    assert!(!inspection.contains("<option value=\"鍵管理簿.pdf\">"));
    let (status, body) =
        w.t.act(
            &w.admin,
            &case,
            "submit_self_inspection",
            answers("鍵管理簿.pdf"),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["fields"]["inspection_items.0.evidence"]
            .as_str()
            .unwrap()
            .contains("この案件に添付したファイルから選んでください"),
        "{body}"
    );
    let (status, body) = w.attach(&case, "", "鍵管理簿.pdf", PDF).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let page = w.t.html(&w.admin, &format!("/cases/{case}")).await;
    let inspection = page
        .split("data-action=\"submit_self_inspection\"")
        .nth(1)
        .unwrap_or_default();
    assert!(
        inspection.contains(
            "<select id=\"f-inspection_items.0.evidence\" name=\"inspection_items.0.evidence\""
        ),
        "{inspection}"
    );
    assert!(
        inspection.contains("<option value=\"鍵管理簿.pdf\">鍵管理簿.pdf</option>"),
        "{inspection}"
    );
    w.step(
        &w.admin,
        &case,
        "submit_self_inspection",
        answers("鍵管理簿.pdf"),
        "inspection_review",
    )
    .await;

    // The file's name is what the case and the result notice read.
    let page = w.t.html(&w.office, &format!("/cases/{case}")).await;
    assert!(page.contains("鍵管理簿.pdf"), "{page}");
    assert!(
        page.contains("出入口2か所の施錠と鍵の管理者の指定を確認した。"),
        "{page}"
    );
    w.step(
        &w.office,
        &case,
        "issue_inspection_notice",
        json!({"inspection_outcome": "passed", "inspection_notice_on": "2027-03-01"}),
        "survey",
    )
    .await;
    let notice = w.pdf(&w.admin, &case, "inspection_notice").await;
    assert!(notice.contains("鍵管理簿.pdf"), "{notice}");
    assert!(notice.contains("鍵の管理者の指定を確認した"), "{notice}");

    // 乙社's case reads the same items from ATLA, without copying them either.
    let other =
        w.t.create(
            &w.other_admin,
            "/api/v1/cases",
            json!({"procedure": "joining", "organisation": w.otsu, "data": application("wired")}),
        )
        .await;
    for field in ["evidence_contract", "evidence_audit"] {
        let (status, body) =
            w.t.attach_for(&w.other_admin, &other, field, "証跡.pdf", PDF)
                .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    w.ok(&w.other_admin, &other, "submit", json!({})).await;
    w.ok(&w.office, &other, "accept_application", json!({}))
        .await;
    let page = w.t.html(&w.other_admin, &format!("/cases/{other}")).await;
    assert!(page.contains(CHECKLIST[1].1), "{page}");
    // Nor does it see 甲社's files among its choices.
    assert!(!page.contains("鍵管理簿.pdf"), "{page}");
}

/// Runs one statement straight on the database, as an operator with access to it would.
async fn run_sql(t: &TestApp, sql: &'static str) {
    let mut tx = t.db.begin().await.unwrap();
    mamori_storage::on_tx!(&mut tx, c => sqlx::query(sql).execute(c).await.map(|r| r.rows_affected())).unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn the_overview_plans_from_the_kept_progress_and_from_the_history_when_none_fits() {
    let w = world().await;
    let case = w.submitted("wired").await;
    w.ok(&w.office, &case, "accept_application", json!({}))
        .await;
    let kept: Vec<(String, Option<String>)> = mamori_storage::on_db!(&w.t.db, p =>
        sqlx::query_as("SELECT source, progress FROM case_schedules").fetch_all(p).await)
    .unwrap();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(kept[0].0.starts_with("mod-dsg "), "{kept:?}");
    assert!(kept[0].0.ends_with(" joining"), "{kept:?}");
    let progress = kept[0].1.as_deref().expect("the schedule started");
    assert!(progress.contains("\"s1\""), "① is done: {progress}");

    let (status, planned) = w.t.get(&w.office, "/api/v1/dsg/sites").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(planned[0]["current_step"], "②", "{planned}");
    assert_eq!(planned[0]["late"], false, "{planned}");
    // ① finished on the day it was submitted, ahead of its ten days: the site now expects
    // to finish earlier than first planned.
    assert!(
        planned[0]["expected_finish"].as_str() < planned[0]["planned_finish"].as_str(),
        "{planned}"
    );
    // Progress kept with another schedule (a library reloaded since) is not trusted, and a
    // case acted on before progress was kept has none: both are planned from the history.
    run_sql(&w.t, "UPDATE case_schedules SET source = 'mod-dsg 0.0.1 joining', progress = '{\"from\":\"2020-01-01\",\"done\":[],\"adjustments\":[]}'").await;
    let (_, again) = w.t.get(&w.office, "/api/v1/dsg/sites").await;
    assert_eq!(again, planned);
    run_sql(&w.t, "DELETE FROM case_schedules").await;
    let (_, again) = w.t.get(&w.office, "/api/v1/dsg/sites").await;
    assert_eq!(again, planned);
    // The next action keeps it again, moves included.
    w.ok(
        &w.office,
        &case,
        "adjust_schedule",
        json!({"adjust_step": "s2", "adjust_starts": "2027-02-01", "adjust_reason": "先方の都合"}),
    )
    .await;
    let kept: Vec<(Option<String>,)> = mamori_storage::on_db!(&w.t.db, p =>
        sqlx::query_as("SELECT progress FROM case_schedules").fetch_all(p).await)
    .unwrap();
    assert_eq!(kept.len(), 1);
    assert!(
        kept[0].0.as_deref().unwrap().contains("先方の都合"),
        "{kept:?}"
    );
    let (_, moved) = w.t.get(&w.office, "/api/v1/dsg/sites").await;
    let finish = |v: &Value| v[0]["expected_finish"].as_str().unwrap().to_owned();
    assert!(finish(&moved) > finish(&planned), "{moved} {planned}");
    assert_eq!(moved[0]["planned_finish"], planned[0]["planned_finish"]);
    run_sql(&w.t, "DELETE FROM case_schedules").await;
    let (_, again) = w.t.get(&w.office, "/api/v1/dsg/sites").await;
    assert_eq!(again, moved);
}

#[tokio::test]
async fn the_same_action_sent_four_times_at_once_is_taken_once() {
    let w = world().await;
    let case = w.submitted("wired").await;
    let accept = || w.t.act(&w.office, &case, "accept_application", json!({}));
    let answers = {
        let (a, b, c, d) = tokio::join!(accept(), accept(), accept(), accept());
        [a, b, c, d]
    };
    let taken = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::OK)
        .count();
    assert_eq!(taken, 1, "{answers:?}");
    for (status, body) in answers.iter().filter(|(s, _)| *s != StatusCode::OK) {
        // Decided again on the case as it now stands: the application is no longer there
        // to accept. A refusal in words, never a failure of the server.
        assert!(status.is_client_error(), "{status}: {body}");
        assert!(body["error"]["message"].is_string(), "{body}");
    }
    let (_, view) = w.t.get(&w.office, &format!("/api/v1/cases/{case}")).await;
    let accepted = history_actions(&view)
        .iter()
        .filter(|a| *a == "accept_application")
        .count();
    assert_eq!(accepted, 1, "{view}");
    assert_eq!(view["state"], "self_inspection");
}
