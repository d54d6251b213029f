//! The external-service approval (seed 002) through the API: who may do what, the NISC
//! step skipped for a service already advised on, the AI-team report required for
//! generative AI, and bad input answered field by field.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::support::TestApp;

/// A ministry with a bureau and two units; an officer in each unit, a chief at the top.
pub(crate) struct World {
    pub(crate) t: TestApp,
    pub(crate) unit: String,
    pub(crate) other_unit: String,
    pub(crate) officer: Client,
    pub(crate) other_officer: Client,
    pub(crate) chief: Client,
    pub(crate) bystander: Client,
}

pub(crate) async fn world() -> World {
    world_on(TestApp::with_admin().await).await
}

/// The same people on a server built otherwise.
pub(crate) async fn world_on(t: TestApp) -> World {
    let admin = t.admin().await;
    let ministry = t.org(&admin, "防衛省", "ministry", None).await;
    let bureau = t.org(&admin, "整備計画局", "bureau", Some(&ministry)).await;
    let unit = t.org(&admin, "情報通信課", "unit", Some(&bureau)).await;
    let other_unit = t.org(&admin, "サイバー整備課", "unit", Some(&bureau)).await;
    let officer = t
        .person(&admin, "申請 一郎", "officer@mod.example.jp", &unit)
        .await;
    let other = t
        .person(&admin, "別課 二郎", "other@mod.example.jp", &other_unit)
        .await;
    let chief = t
        .person(&admin, "統括 三郎", "chief@mod.example.jp", &ministry)
        .await;
    t.person(&admin, "同課 四郎", "staff@mod.example.jp", &unit)
        .await;
    t.designate(&admin, "ia_officer", &unit, &officer).await;
    t.designate(&admin, "ia_officer", &other_unit, &other).await;
    t.designate(&admin, "chief_ia_officer", &ministry, &chief)
        .await;
    World {
        officer: t
            .first_login("officer@mod.example.jp", "initial-pass-1")
            .await,
        other_officer: t
            .first_login("other@mod.example.jp", "initial-pass-1")
            .await,
        chief: t
            .first_login("chief@mod.example.jp", "initial-pass-1")
            .await,
        bystander: t
            .first_login("staff@mod.example.jp", "initial-pass-1")
            .await,
        unit,
        other_unit,
        t,
    }
}

pub(crate) fn application(service: &str, kind: &str) -> Value {
    json!({
        "service_name": service,
        "provider": "提供会社",
        "service_kind": kind,
        "purpose": "公開情報の要約に使う",
        "users": "情報通信課 3名",
        "app_install": false,
        "no_business_data": true
    })
}

impl World {
    pub(crate) async fn apply(&self, c: &Client, unit: &str, service: &str, kind: &str) -> String {
        let id = self
            .t
            .create(
                c,
                "/api/v1/cases",
                json!({"procedure": "approval", "organisation": unit, "data": application(service, kind)}),
            )
            .await;
        let (status, body) = self.act(c, &id, "submit", json!({})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        id
    }

    pub(crate) async fn act(
        &self,
        c: &Client,
        id: &str,
        action: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        self.t
            .post(c, &format!("/api/v1/cases/{id}/actions/{action}"), body)
            .await
    }

    async fn inbox_ids(&self, c: &Client) -> Vec<String> {
        self.t.inbox_ids(c).await
    }
}

fn actions(case: &Value) -> Vec<&str> {
    case["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn generative_ai_goes_through_nisc_and_the_ai_team_and_the_next_one_skips_nisc() {
    let w = world().await;
    let before = w.t.audit_count().await;
    let id = w
        .apply(&w.officer, &w.unit, "ChatGPT", "generative_ai")
        .await;

    // The chief sees it waiting; the officer no longer does.
    assert_eq!(w.inbox_ids(&w.chief).await, vec![id.clone()]);
    assert!(w.inbox_ids(&w.officer).await.is_empty());
    let (_, case) = w.t.get(&w.chief, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(case["state"], "nisc_advice");
    assert_eq!(actions(&case), ["record_nisc_advice", "refuse"]);

    // The officer cannot record NISC's advice.
    let (status, _) = w
        .act(
            &w.officer,
            &id,
            "record_nisc_advice",
            json!({"fields": {"nisc_advice_on": "2026-11-20", "nisc_advice": "問題なし"}}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, case) = w
        .act(&w.chief, &id, "record_nisc_advice", json!({"fields": {"nisc_advice_on": "2026-11-20", "nisc_advice": "利用可。業務用データは入力しないこと"}}))
        .await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["state"], "review");
    assert_eq!(
        actions(&case),
        [
            "report_to_ai_team",
            "approve",
            "refuse",
            "return_to_applicant"
        ]
    );

    // Approval waits for the AI-team report, and says so.
    let approve = &case["actions"][1];
    assert_eq!(
        approve["unmet"][0]["ja"],
        "生成AIサービスは、承認の前にAI戦略チームへの報告を記録してください。"
    );
    let (status, body) = w.act(&w.chief, &id, "approve", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("AI戦略チーム")
    );

    let (status, case) = w
        .act(
            &w.chief,
            &id,
            "report_to_ai_team",
            json!({"fields": {"ai_team_reported_on": "2026-11-21"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(
        actions(&case),
        ["approve", "refuse", "return_to_applicant"],
        "reported once"
    );
    let (status, case) = w
        .act(&w.chief, &id, "approve", json!({"comment": "承認します"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["state"], "approved");
    assert_eq!(case["state_name"]["ja"], "承認");
    let history: Vec<&str> = case["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        history,
        [
            "open",
            "submit",
            "record_nisc_advice",
            "report_to_ai_team",
            "approve"
        ]
    );

    // The registry now holds the advice; a second application for the service (typed
    // differently) goes straight to review.
    let (_, rows) =
        w.t.get(&w.chief, "/api/v1/registers/external_services/rows")
            .await;
    assert_eq!(rows["rows"][0]["data"]["nisc_advice_on"], "2026-11-20");
    assert_eq!(
        rows["rows"][0]["data"]["approved_on"]
            .as_str()
            .unwrap()
            .len(),
        10
    );
    let second = w
        .apply(
            &w.other_officer,
            &w.other_unit,
            " chatgpt ",
            "generative_ai",
        )
        .await;
    let (_, case) = w.t.get(&w.chief, &format!("/api/v1/cases/{second}")).await;
    assert_eq!(case["state"], "review");
    assert_eq!(case["library_version"], "2023.5");

    // The applicant is told of the decision, once, in their language; the chief was told
    // of each application (and read it by opening the case), never of their own actions.
    let (_, notes) = w.t.get(&w.officer, "/api/v1/notifications").await;
    let notes = notes.as_array().unwrap().clone();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["subject"], "ChatGPT: 承認する（承認）");
    assert_eq!(notes[0]["case"], id.as_str());
    assert_eq!(notes[0]["read"], false);
    let (_, chief_notes) = w.t.get(&w.chief, "/api/v1/notifications").await;
    let chief_notes = chief_notes.as_array().unwrap();
    let subjects: Vec<&str> = chief_notes
        .iter()
        .map(|n| n["subject"].as_str().unwrap())
        .collect();
    // Newest first: the second application went straight to review.
    assert_eq!(
        subjects,
        [
            "chatgpt: 申請する（審査中）",
            "ChatGPT: 申請する（NISC助言待ち）"
        ]
    );
    assert!(
        chief_notes.iter().all(|n| n["read"] == true),
        "{chief_notes:?}"
    );

    // The applicant sees the outcome (which reads the notification); every step is in the
    // audit trail, chain intact.
    let (status, case) = w.t.get(&w.officer, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(case["state"], "approved");
    assert_eq!(actions(&case), ["designate_managers"]);
    let (_, notes) = w.t.get(&w.officer, "/api/v1/notifications").await;
    assert_eq!(notes[0]["read"], true);
    assert!(w.t.audit_count().await >= before + 8);
    w.t.verify_chain().await;
}

#[tokio::test]
async fn another_unit_cannot_read_or_act_and_a_colleague_without_the_role_cannot_apply() {
    let w = world().await;
    let id = w.apply(&w.officer, &w.unit, "DeepL", "translation").await;
    let path = format!("/api/v1/cases/{id}");
    let (status, _) = w.t.get(&w.other_officer, &path).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = w.act(&w.other_officer, &id, "withdraw", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, list) = w.t.get(&w.other_officer, "/api/v1/cases").await;
    assert_eq!(list["total"], 0);

    // A colleague in the same unit may read the unit's cases but has no role to apply.
    let (status, _) = w.t.get(&w.bystander, &path).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) =
        w.t.post(
            &w.bystander,
            "/api/v1/cases",
            json!({"procedure": "approval", "organisation": w.unit, "data": {}}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // An officer cannot apply on another unit's behalf.
    let (status, _) =
        w.t.post(
            &w.officer,
            "/api/v1/cases",
            json!({"procedure": "approval", "organisation": w.other_unit, "data": {}}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_application_renders_as_text_and_pdf_for_its_readers_and_each_rendering_is_recorded() {
    let w = world().await;
    let id = w.apply(&w.officer, &w.unit, "DeepL", "translation").await;
    let (_, case) = w.t.get(&w.chief, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(case["documents"][0]["id"], "application");
    let before = w.t.audit_count().await;
    let res = w
        .chief
        .get(w.t.url(&format!("/api/v1/cases/{id}/documents/application.txt")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/plain; charset=utf-8");
    let text = res.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "外部サービス利用承認申請書");
    for line in [
        "情報通信課　機関等の情報保証責任者　申請 一郎",
        "1. 外部サービスの名称: DeepL",
        "3. 外部サービスの種類: 翻訳サービス",
        "6. 防衛省の情報システムへのアプリケーション等のインストール: いいえ",
        "☑ 業務用データ（不開示情報を含むデータ）は取り扱いません。",
    ] {
        assert!(lines.contains(&line), "{line:?} in {text}");
    }
    assert!(
        !text.contains("その他の種類"),
        "an empty optional field without a number is left out: {text}"
    );
    assert!(text.contains("申請 一郎 作成"), "the history: {text}");
    assert!(text.contains("申請 一郎 申請する"), "the history: {text}");
    assert_eq!(
        w.t.audit_count().await,
        before + 1,
        "the rendering is recorded"
    );

    // The same application as an A4 PDF, its metadata naming the case.
    let res = w
        .chief
        .get(w.t.url(&format!("/api/v1/cases/{id}/documents/application_pdf.pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let pdf = res.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let raw = String::from_utf8_lossy(&pdf);
    assert!(
        raw.contains("外部サービス利用承認申請書 DeepL"),
        "the title in the XMP metadata"
    );
    assert!(raw.contains("BIZUDGothic"), "the Japanese font is embedded");
    assert!(raw.contains("/MediaBox[0 0 595.2756 841.8898]"), "A4");
    assert_eq!(w.t.audit_count().await, before + 2);

    // And as a workbook of the items and the history.
    let res = w
        .chief
        .get(w.t.url(&format!(
            "/api/v1/cases/{id}/documents/application_xlsx.xlsx"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let book = mamori_sheets::read(
        &res.bytes().await.unwrap(),
        mamori_sheets::Limits::default(),
    )
    .unwrap();
    assert_eq!(book.header, ["番号", "項目", "内容"]);
    assert_eq!(book.rows[0].1, ["1", "外部サービスの名称", "DeepL"]);
    assert_eq!(book.meta("case"), Some(id.as_str()));

    // Another unit's officer cannot read the case, so not its documents either.
    let (status, _) =
        w.t.get(
            &w.other_officer,
            &format!("/api/v1/cases/{id}/documents/application.txt"),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) =
        w.t.get(
            &w.chief,
            &format!("/api/v1/cases/{id}/documents/nothing.txt"),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The case page links to it.
    let page = w.t.html(&w.chief, &format!("/cases/{id}")).await;
    assert!(
        page.contains(&format!("/api/v1/cases/{id}/documents/application.txt")),
        "{page}"
    );
}

#[tokio::test]
async fn bad_input_is_named_field_by_field_and_the_draft_keeps_what_was_typed() {
    let w = world().await;
    let (status, body) = w
        .t
        .post(
            &w.officer,
            "/api/v1/cases",
            json!({"procedure": "approval", "organisation": w.unit, "data": {"service_kind": "chatbot", "colour": "red"}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        body["error"]["fields"]["service_kind"],
        "「外部サービスの種類」は選択肢から選んでください。"
    );
    assert!(body["error"]["fields"]["colour"].is_string());

    let id = w
        .t
        .create(&w.officer, "/api/v1/cases", json!({"procedure": "approval", "organisation": w.unit, "data": {"service_name": "Zoom"}}))
        .await;
    // Submitting an incomplete application names every missing field; nothing moves.
    let (status, body) = w.act(&w.officer, &id, "submit", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let fields = body["error"]["fields"].as_object().unwrap();
    for f in [
        "provider",
        "service_kind",
        "purpose",
        "users",
        "app_install",
        "no_business_data",
    ] {
        assert!(fields.contains_key(f), "{f} missing in {body}");
    }
    assert_eq!(
        fields["no_business_data"],
        "「業務用データ（不開示情報を含むデータ）を取り扱わないことの確認」を確認のうえ「はい」を選んでください。"
    );
    let (_, case) = w.t.get(&w.officer, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(case["state"], "draft");
    assert_eq!(case["data"]["service_name"], "Zoom");

    // A refusal needs its reason; an unknown action is 404; a bad date is named.
    let mut data = application("Zoom", "web_meeting");
    data["no_business_data"] = json!(false);
    let (status, body) =
        w.t.patch(
            &w.officer,
            &format!("/api/v1/cases/{id}"),
            json!({"data": data}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = w.act(&w.officer, &id, "submit", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["fields"]["no_business_data"].is_string());
    let (status, _) =
        w.t.patch(
            &w.officer,
            &format!("/api/v1/cases/{id}"),
            json!({"data": application("Zoom", "web_meeting")}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = w.act(&w.officer, &id, "submit", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = w
        .act(&w.chief, &id, "refuse", json!({"comment": "  "}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["error"]["fields"]["comment"],
        "「コメント」を入力してください。"
    );
    let (status, _) = w.act(&w.chief, &id, "teleport", json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = w
        .act(
            &w.chief,
            &id,
            "record_nisc_advice",
            json!({"fields": {"nisc_advice_on": "2026-13-01", "nisc_advice": "x"}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        body["error"]["fields"]["nisc_advice_on"],
        "「助言を受けた日」は日付（例: 2026-11-22）で入力してください。"
    );
    // Once submitted, the draft is closed to edits.
    let (status, _) =
        w.t.patch(
            &w.officer,
            &format!("/api/v1/cases/{id}"),
            json!({"data": application("Zoom", "web_meeting")}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_html_form_keeps_what_was_typed_saves_the_draft_and_submits() {
    let w = world().await;
    let c =
        w.t.browser("officer@mod.example.jp", crate::support::PASSWORD)
            .await;
    let procedures = w.t.html(&c, "/procedures").await;
    assert!(
        procedures.contains("外部サービスの利用承認"),
        "{procedures}"
    );
    let new = format!(
        "/cases/new?procedure=mod-external-service%2Fapproval&organisation={}",
        w.unit
    );
    let page = w.t.html(&c, &new).await;
    assert!(page.contains("外部サービスの名称"));
    let csrf = crate::auth::hidden(&page, "_csrf");
    let base = [
        ("_csrf", csrf.as_str()),
        ("_procedure", "mod-external-service/approval"),
        ("_organisation", w.unit.as_str()),
        ("service_name", "Microsoft Teams"),
        ("service_kind", "web_meeting"),
        ("app_install", "yes"),
    ];
    // Submitting an incomplete form: the draft exists, the page names what is missing and
    // keeps what was typed.
    let mut submit = base.to_vec();
    submit.push(("_do", "submit"));
    let res = c
        .post(w.t.url("/cases"))
        .form(&submit)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let html = res.text().await.unwrap();
    assert!(html.contains("「提供者」を入力してください。"), "{html}");
    assert!(html.contains("value=\"Microsoft Teams\""));
    assert!(html.contains("<option value=\"web_meeting\" selected>"));
    assert!(html.contains("value=\"yes\" checked"));
    let (_, list) = w.t.get(&w.officer, "/api/v1/cases").await;
    assert_eq!(list["total"], 1, "the draft was kept");
    let id = list["items"][0]["id"].as_str().unwrap().to_owned();

    // Completing it on the case page submits it; the chief's home page lists it.
    let page = w.t.html(&c, &format!("/cases/{id}")).await;
    let csrf = crate::auth::hidden(&page, "_csrf");
    let res = c
        .post(w.t.url(&format!("/cases/{id}")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("service_name", "Microsoft Teams"),
            ("provider", "Microsoft"),
            ("service_kind", "web_meeting"),
            ("purpose", "部外との打合せ"),
            ("users", "情報通信課 10名"),
            ("app_install", "yes"),
            ("no_business_data", "yes"),
            ("_do", "submit"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let html =
        w.t.html(&c, &format!("/cases/{id}?notice=case-acted"))
            .await;
    assert!(html.contains("処理しました。"));
    assert!(html.contains("NISC助言待ち"), "{html}");
    let chief =
        w.t.browser("chief@mod.example.jp", crate::support::PASSWORD)
            .await;
    let home = w.t.html(&chief, "/").await;
    assert!(home.contains("Microsoft Teams"), "{home}");
}
