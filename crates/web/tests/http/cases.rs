//! The external-service approval (seed 002) through the API: who may do what, the NISC
//! step the chief asks for or skips citing the advice the registry holds, the AI-team
//! report owed by every application that includes generative AI whatever becomes of it,
//! and bad input answered field by field.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestApp, history_actions};

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
        "includes_generative_ai": kind == "generative_ai",
        "purpose": "公開情報の要約に使う",
        "users": "情報通信課 3名",
        "app_install": false,
        "no_business_data": true,
        "information": "no_business_data"
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

/// Notice 1: 「調達行為を伴わない外部サービスにおいて、業務用データを取り扱うことはできない。」
/// The application says what the service would handle; one for business data is kept as a
/// draft with what was typed, but never submitted: the refusal quotes the rule.
#[tokio::test]
async fn an_application_for_business_data_is_refused_with_the_notices_rule() {
    let w = world().await;
    // Not saying it is named with the other missing items.
    let mut data = application("DeepL", "translation");
    data.as_object_mut().unwrap().remove("information");
    let id =
        w.t.create(
            &w.officer,
            "/api/v1/cases",
            json!({"procedure": "approval", "organisation": w.unit, "data": data}),
        )
        .await;
    let (status, body) = w.act(&w.officer, &id, "submit", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        body["error"]["fields"]["information"],
        "「取り扱う情報の区分」を入力してください。"
    );

    let mut business = application("DeepL", "translation");
    business["information"] = json!("business_data");
    let (status, _) =
        w.t.patch(
            &w.officer,
            &format!("/api/v1/cases/{id}"),
            json!({"data": business}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = w.act(&w.officer, &id, "submit", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("通知1"), "{message}");
    assert!(
        message.contains("業務用データを取り扱うことはできない"),
        "{message}"
    );
    let (_, case) = w.t.get(&w.officer, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(case["state"], "draft");
    assert_eq!(
        case["data"]["information"], "business_data",
        "kept as typed"
    );
    assert!(!w.inbox_ids(&w.chief).await.contains(&id));

    // Saying it handles no business data, it goes to the chief.
    let (status, _) =
        w.t.patch(
            &w.officer,
            &format!("/api/v1/cases/{id}"),
            json!({"data": application("DeepL", "translation")}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = w.act(&w.officer, &id, "submit", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(w.inbox_ids(&w.chief).await.contains(&id));
}

#[tokio::test]
async fn generative_ai_goes_through_nisc_and_the_ai_team_and_the_registry_keeps_the_advice() {
    let w = world().await;
    let before = w.t.audit_count().await;
    let id = w
        .apply(&w.officer, &w.unit, "ChatGPT", "generative_ai")
        .await;

    // The chief sees it waiting for the decision on NISC; the officer no longer does.
    assert_eq!(w.inbox_ids(&w.chief).await, vec![id.clone()]);
    assert!(w.inbox_ids(&w.officer).await.is_empty());
    let (_, case) = w.t.get(&w.chief, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(case["state"], "received");
    assert_eq!(
        actions(&case),
        ["ask_nisc", "skip_nisc", "report_to_ai_team", "refuse"]
    );

    // Only the chief asks NISC or records its advice.
    let (status, _) = w.act(&w.officer, &id, "ask_nisc", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, case) = w.act(&w.chief, &id, "ask_nisc", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["state"], "nisc_advice");
    assert_eq!(
        actions(&case),
        ["record_nisc_advice", "report_to_ai_team", "refuse"]
    );
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
        "生成AIサービスを含む申請は、承認の前にAI戦略チームへの報告を記録してください。"
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
            json!({"fields": {"ai_team_reported_on": "2026-11-21", "ai_team_reported_to": "AI戦略チーム事務局"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(
        case["state"], "review",
        "recording the report moves nothing"
    );
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
    assert_eq!(
        history_actions(&case),
        [
            "open",
            "submit",
            "ask_nisc",
            "record_nisc_advice",
            "report_to_ai_team",
            "approve"
        ]
    );

    // The registry now holds the advice and the report.
    let (_, rows) =
        w.t.get(&w.chief, "/api/v1/registers/external_services/rows")
            .await;
    assert_eq!(rows["rows"][0]["data"]["nisc_advice_on"], "2026-11-20");
    assert_eq!(rows["rows"][0]["data"]["ai_team_reported_on"], "2026-11-21");
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
    assert_eq!(case["library_version"], "2023.5.4");

    // The applicant is told of the decision, once, in their language; the chief was told
    // of each application (and read it by opening the case), never of their own actions.
    let (_, notes) = w.t.get(&w.officer, "/api/v1/notifications").await;
    let notes = notes.as_array().unwrap().clone();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(
        notes[0]["subject"],
        "ChatGPT: 「承認する」が行われ、「承認」になりました。次は情報通信課の機関等の情報保証責任者の番です。",
        "the applicant is told the next step: designating the managers"
    );
    assert_eq!(notes[0]["case"], id.as_str());
    assert_eq!(notes[0]["read"], false);
    let (_, chief_notes) = w.t.get(&w.chief, "/api/v1/notifications").await;
    let chief_notes = chief_notes.as_array().unwrap();
    let subjects: Vec<&str> = chief_notes
        .iter()
        .map(|n| n["subject"].as_str().unwrap())
        .collect();
    // Newest first.
    assert_eq!(
        subjects,
        [
            "chatgpt: 「申請する」が行われ、「NISC照会の判断待ち」になりました。次は防衛省の情報保証統括責任者の番です。",
            "ChatGPT: 「申請する」が行われ、「NISC照会の判断待ち」になりました。次は防衛省の情報保証統括責任者の番です。"
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
    assert!(w.t.audit_count().await >= before + 9);
    w.t.verify_chain().await;
}

/// Takes an earlier application for `service` from the other unit through NISC, whose
/// advice of `on` the chief records: the registry then holds it. The case ends refused
/// (for reasons of that unit's own), which leaves the advice in the registry.
async fn advised_earlier(w: &World, service: &str, on: &str, advice: &str) {
    let id = w
        .apply(&w.other_officer, &w.other_unit, service, "web_meeting")
        .await;
    for (action, body) in [
        ("ask_nisc", json!({})),
        (
            "record_nisc_advice",
            json!({"fields": {"nisc_advice_on": on, "nisc_advice": advice}}),
        ),
        ("refuse", json!({"comment": "当該課の業務では使わないため"})),
    ] {
        let (status, body) = w.act(&w.chief, &id, action, body).await;
        assert_eq!(status, StatusCode::OK, "{action}: {body}");
    }
}

/// The action `action` of a case as its reader sees it.
fn action<'a>(case: &'a Value, action: &str) -> &'a Value {
    case["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == action)
        .unwrap_or_else(|| panic!("{action} in {case}"))
}

/// The actions a case waits on, whoever may take them.
fn awaited(case: &Value) -> Vec<&str> {
    case["awaited"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn with_advice_in_the_registry_submission_still_waits_on_the_chief() {
    let w = world().await;
    advised_earlier(
        &w,
        "Slack",
        "2026-10-01",
        "利用可。業務用データは入力しないこと",
    )
    .await;
    let id = w.apply(&w.officer, &w.unit, " slack ", "sns").await;

    // Nothing is skipped by itself: the case waits on the chief's decision.
    let (_, case) = w.t.get(&w.officer, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(case["state"], "received", "{case}");
    assert_eq!(awaited(&case), ["ask_nisc", "skip_nisc", "refuse"]);
    assert_eq!(w.inbox_ids(&w.chief).await, vec![id.clone()]);
    assert_eq!(history_actions(&case), ["open", "submit"]);
    // The chief may still ask NISC again.
    let (status, case) = w.act(&w.chief, &id, "ask_nisc", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["state"], "nisc_advice");
}

#[tokio::test]
async fn the_chief_skips_nisc_citing_the_advice_the_registry_holds() {
    let w = world().await;
    let advice = "利用可。業務用データは入力しないこと";
    advised_earlier(&w, "Slack", "2026-10-01", advice).await;
    let id = w.apply(&w.officer, &w.unit, "SLACK", "sns").await;

    // The chief's case shows what the registry holds on the service, in the skip's fields.
    let (_, case) = w.t.get(&w.chief, &format!("/api/v1/cases/{id}")).await;
    let skip = action(&case, "skip_nisc");
    assert_eq!(skip["unmet"], json!([]));
    assert_eq!(
        skip["prefill"],
        json!({"cited_nisc_advice_on": "2026-10-01", "cited_nisc_advice": advice})
    );
    let page = w.t.html(&w.chief, &format!("/cases/{id}")).await;
    let skip_box = &page[page.find("data-action=\"skip_nisc\"").unwrap()..];
    let skip_box = &skip_box[..skip_box.find("</form>").unwrap()];
    assert!(skip_box.contains("value=\"2026-10-01\""), "{skip_box}");
    assert!(skip_box.contains(advice), "{skip_box}");

    // Skipping records the advice cited on the case and goes on to the review.
    let (status, case) = w
        .act(
            &w.chief,
            &id,
            "skip_nisc",
            json!({"fields": skip["prefill"], "comment": "既往の助言で足りる"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["state"], "review");
    assert_eq!(case["data"]["cited_nisc_advice_on"], "2026-10-01");
    assert_eq!(case["data"]["cited_nisc_advice"], advice);
    assert_eq!(history_actions(&case), ["open", "submit", "skip_nisc"]);
    // The application as a document says which advice it relied on.
    let text =
        w.t.html(
            &w.officer,
            &format!("/api/v1/cases/{id}/documents/application.txt"),
        )
        .await;
    assert!(
        text.contains(&format!(
            "NISCの助言（既に受けた助言を引用し、照会を省略）: 2026-10-01 {advice}"
        )),
        "{text}"
    );
}

#[tokio::test]
async fn without_advice_in_the_registry_skipping_is_refused_with_the_reason() {
    let w = world().await;
    // The registry knows the service only as refused without NISC being asked.
    let earlier = w
        .apply(&w.other_officer, &w.other_unit, "Box", "online_storage")
        .await;
    let (status, body) = w
        .act(
            &w.chief,
            &earlier,
            "refuse",
            json!({"comment": "業務上の必要がない"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, rows) =
        w.t.get(&w.chief, "/api/v1/registers/external_services/rows")
            .await;
    assert_eq!(rows["rows"].as_array().unwrap().len(), 1, "{rows}");
    assert!(
        rows["rows"][0]["data"]["nisc_advice_on"].is_null(),
        "{rows}"
    );

    let id = w.apply(&w.officer, &w.unit, "Box", "online_storage").await;
    let reason = "外部サービス台帳に、このサービスへのNISCの助言が記録されていないため、照会を省略できません。";
    let (_, case) = w.t.get(&w.chief, &format!("/api/v1/cases/{id}")).await;
    let skip = action(&case, "skip_nisc");
    assert!(
        skip["unmet"][0]["ja"].as_str().unwrap().starts_with(reason),
        "{skip}"
    );
    assert_eq!(skip["prefill"], json!({}));
    let page = w.t.html(&w.chief, &format!("/cases/{id}")).await;
    assert!(page.contains(reason), "the case page says why");

    // Citing advice nobody recorded is refused with the reason; the case stays.
    let (status, body) = w
        .act(
            &w.chief,
            &id,
            "skip_nisc",
            json!({"fields": {"cited_nisc_advice_on": "2026-10-01", "cited_nisc_advice": "利用可"}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains(reason),
        "{body}"
    );
    let (_, case) = w.t.get(&w.chief, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(case["state"], "received");
    assert!(case["data"].get("cited_nisc_advice_on").is_none(), "{case}");
    assert_eq!(history_actions(&case), ["open", "submit"]);
    assert_eq!(w.inbox_ids(&w.chief).await, vec![id]);
}

/// The inbox of `c` holds `id`.
async fn in_inbox(w: &World, c: &Client, id: &str) -> bool {
    w.inbox_ids(c).await.iter().any(|i| i == id)
}

/// Records the AI-team report on `id` as the chief and checks that it is no longer owed,
/// once only, and that the case stays in the state it was in.
async fn report_to_ai_team(w: &World, id: &str, state: &str) {
    let (status, case) = w
        .act(
            &w.chief,
            id,
            "report_to_ai_team",
            json!({"fields": {
                "ai_team_reported_on": "2026-11-25",
                "ai_team_reported_to": "AI戦略チーム事務局",
                "ai_team_report_note": "翻訳機能に生成AIを使う旨を報告"
            }}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["state"], state);
    assert_eq!(case["data"]["ai_team_reported_to"], "AI戦略チーム事務局");
    assert!(!awaited(&case).contains(&"report_to_ai_team"), "{case}");
    assert!(!actions(&case).contains(&"report_to_ai_team"));
    // Once only.
    let (status, body) = w
        .act(
            &w.chief,
            id,
            "report_to_ai_team",
            json!({"fields": {"ai_team_reported_on": "2026-11-26", "ai_team_reported_to": "x"}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

#[tokio::test]
async fn a_generative_ai_application_owes_the_report_whatever_becomes_of_it() {
    let w = world().await;
    // A translation service with generative AI built in, refused straight away.
    let mut data = application("DeepL", "translation");
    data["includes_generative_ai"] = json!(true);
    let refused =
        w.t.create(
            &w.officer,
            "/api/v1/cases",
            json!({"procedure": "approval", "organisation": w.unit, "data": data}),
        )
        .await;
    let (status, body) = w.act(&w.officer, &refused, "submit", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, case) = w
        .act(
            &w.chief,
            &refused,
            "refuse",
            json!({"comment": "用途が曖昧"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["state"], "refused");
    assert_eq!(case["closed"], true);
    // Ended, yet the report is owed: the case says so to its readers and waits on the
    // chief, who alone may record it.
    assert_eq!(awaited(&case), ["report_to_ai_team"]);
    assert_eq!(actions(&case), ["report_to_ai_team"]);
    let (_, seen) =
        w.t.get(&w.officer, &format!("/api/v1/cases/{refused}"))
            .await;
    assert_eq!(awaited(&seen), ["report_to_ai_team"]);
    assert!(actions(&seen).is_empty());
    assert!(in_inbox(&w, &w.chief, &refused).await);
    assert!(!in_inbox(&w, &w.officer, &refused).await);
    let page = w.t.html(&w.officer, &format!("/cases/{refused}")).await;
    assert!(
        page.contains("data-test=\"case-awaited\">AI戦略チームへの報告を記録"),
        "{page}"
    );
    let (status, _) = w
        .act(
            &w.officer,
            &refused,
            "report_to_ai_team",
            json!({"fields": {"ai_team_reported_on": "2026-11-25", "ai_team_reported_to": "x"}}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    report_to_ai_team(&w, &refused, "refused").await;
    assert!(!in_inbox(&w, &w.chief, &refused).await);
    let (_, case) = w.t.get(&w.chief, &format!("/api/v1/cases/{refused}")).await;
    assert_eq!(case["closed"], true, "the case stays ended");
    assert_eq!(
        history_actions(&case),
        ["open", "submit", "refuse", "report_to_ai_team"]
    );

    // Withdrawn after submission: still owed.
    let withdrawn = w
        .apply(&w.officer, &w.unit, "Gemini", "generative_ai")
        .await;
    let (status, case) = w.act(&w.officer, &withdrawn, "withdraw", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["state"], "withdrawn");
    assert_eq!(awaited(&case), ["report_to_ai_team"]);
    assert!(in_inbox(&w, &w.chief, &withdrawn).await);
    report_to_ai_team(&w, &withdrawn, "withdrawn").await;
    assert!(!in_inbox(&w, &w.chief, &withdrawn).await);

    // Returned to the applicant: the draft waits on the officer to send it again, and the
    // report is still owed by the chief, who finds it in the inbox.
    let returned = w
        .apply(&w.officer, &w.unit, "Copilot", "generative_ai")
        .await;
    for (action, body) in [
        ("ask_nisc", json!({})),
        (
            "record_nisc_advice",
            json!({"fields": {"nisc_advice_on": "2026-11-20", "nisc_advice": "利用可"}}),
        ),
        (
            "return_to_applicant",
            json!({"comment": "利用者の範囲を具体的に"}),
        ),
    ] {
        let (status, body) = w.act(&w.chief, &returned, action, body).await;
        assert_eq!(status, StatusCode::OK, "{action}: {body}");
    }
    let (_, case) =
        w.t.get(&w.chief, &format!("/api/v1/cases/{returned}"))
            .await;
    assert_eq!(case["state"], "draft");
    assert_eq!(awaited(&case), ["submit", "report_to_ai_team"]);
    assert!(in_inbox(&w, &w.chief, &returned).await);
    report_to_ai_team(&w, &returned, "draft").await;
    assert!(!in_inbox(&w, &w.chief, &returned).await);
    let (status, body) = w.act(&w.officer, &returned, "submit", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(awaited(&body), ["ask_nisc", "skip_nisc", "refuse"]);
    assert!(in_inbox(&w, &w.chief, &returned).await);

    // A draft withdrawn before it was ever submitted owes nothing.
    let data = application("Claude", "generative_ai");
    let never =
        w.t.create(
            &w.officer,
            "/api/v1/cases",
            json!({"procedure": "approval", "organisation": w.unit, "data": data}),
        )
        .await;
    let (status, case) = w.act(&w.officer, &never, "withdraw", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert!(awaited(&case).is_empty(), "{case}");
    assert!(!in_inbox(&w, &w.chief, &never).await);
}

#[tokio::test]
async fn an_application_without_generative_ai_owes_no_report() {
    let w = world().await;
    let id = w.apply(&w.officer, &w.unit, "Zoom", "web_meeting").await;
    let (_, case) = w.t.get(&w.chief, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(case["data"]["includes_generative_ai"], false);
    assert!(!actions(&case).contains(&"report_to_ai_team"));
    let (status, case) = w
        .act(
            &w.chief,
            &id,
            "refuse",
            json!({"comment": "既存の会議システムで足りる"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert!(awaited(&case).is_empty(), "{case}");
    assert!(actions(&case).is_empty(), "{case}");
    assert!(w.inbox_ids(&w.chief).await.is_empty());
    let (status, body) = w
        .act(
            &w.chief,
            &id,
            "report_to_ai_team",
            json!({"fields": {"ai_team_reported_on": "2026-11-25", "ai_team_reported_to": "x"}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (_, case) = w.t.get(&w.chief, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(history_actions(&case), ["open", "submit", "refuse"]);
}

#[tokio::test]
async fn the_application_must_say_whether_the_service_includes_generative_ai() {
    let w = world().await;
    let mut data = application("DeepL", "translation");
    data.as_object_mut()
        .unwrap()
        .remove("includes_generative_ai");
    let id =
        w.t.create(
            &w.officer,
            "/api/v1/cases",
            json!({"procedure": "approval", "organisation": w.unit, "data": data}),
        )
        .await;
    let (status, body) = w.act(&w.officer, &id, "submit", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let fields = body["error"]["fields"].as_object().unwrap();
    assert_eq!(fields.len(), 1, "{body}");
    assert_eq!(
        fields["includes_generative_ai"],
        "「生成AIサービスを含むか」を入力してください。"
    );
    // Nothing moved and nothing typed was lost.
    let (_, case) = w.t.get(&w.officer, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(case["state"], "draft");
    assert_eq!(case["data"]["service_name"], "DeepL");
    assert_eq!(case["data"]["purpose"], "公開情報の要約に使う");

    // A generative-AI service cannot answer that it includes none.
    let mut data = application("DeepL", "generative_ai");
    data["includes_generative_ai"] = json!(false);
    let (status, _) =
        w.t.patch(
            &w.officer,
            &format!("/api/v1/cases/{id}"),
            json!({"data": data}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = w.act(&w.officer, &id, "submit", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("「生成AIサービスを含むか」に「はい」"),
        "{body}"
    );

    // Answered, it goes.
    let (status, _) =
        w.t.patch(
            &w.officer,
            &format!("/api/v1/cases/{id}"),
            json!({"data": application("DeepL", "translation")}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = w.act(&w.officer, &id, "submit", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
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
        "   取り扱う情報の区分: 業務用データに当たらない情報（公表済みの資料など）",
        "☑ 業務用データ（不開示情報を含むデータ）は取り扱いません。",
    ] {
        assert!(lines.contains(&line), "{line:?} in {text}");
    }
    assert!(
        !text.contains("その他の種類"),
        "an empty optional field without a number is left out: {text}"
    );
    assert!(
        text.contains("申請 一郎 案件を作成しました。"),
        "the history: {text}"
    );
    assert!(
        text.contains("申請 一郎さんが「申請する」を行い、"),
        "the history: {text}"
    );
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
        "includes_generative_ai",
        "purpose",
        "users",
        "app_install",
        "no_business_data",
        "information",
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
    let (status, body) = w.act(&w.chief, &id, "ask_nisc", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
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
            ("includes_generative_ai", "no"),
            ("no_business_data", "yes"),
            ("information", "no_business_data"),
            ("_do", "submit"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let html =
        w.t.html(&c, &format!("/cases/{id}?notice=case-acted"))
            .await;
    // It says where the case went and who acts next, not merely that something was done.
    assert!(!html.contains("処理しました。"));
    assert!(
        html.contains("「NISC照会の判断待ち」になりました。次は "),
        "{html}"
    );
    assert!(html.contains("data-test=\"case-waiting-on\""), "{html}");
    assert!(html.contains("（統括 三郎）"), "the chief is named: {html}");
    assert!(html.contains("NISC照会の判断待ち"), "{html}");
    let chief =
        w.t.browser("chief@mod.example.jp", crate::support::PASSWORD)
            .await;
    let home = w.t.html(&chief, "/").await;
    assert!(home.contains("Microsoft Teams"), "{home}");
}

/// Takes a web-meeting application of the officer's through NISC to approval.
async fn approved(w: &World, service: &str) -> String {
    let id = w.apply(&w.officer, &w.unit, service, "web_meeting").await;
    for (action, body) in [
        ("ask_nisc", json!({})),
        (
            "record_nisc_advice",
            json!({"fields": {"nisc_advice_on": "2026-11-20", "nisc_advice": "利用可"}}),
        ),
        ("approve", json!({})),
    ] {
        let (status, case) = w.act(&w.chief, &id, action, body).await;
        assert_eq!(status, StatusCode::OK, "{action}: {case}");
    }
    id
}

#[tokio::test]
async fn the_approved_unit_designates_its_managers_who_designate_their_assistants() {
    let w = world().await;
    let id = approved(&w, "Zoom").await;
    let managers = |unit: &str, manager: &str| json!({"fields": {"managers": [{"unit": unit, "manager": manager}]}});
    // Someone of another unit is not this unit's to designate; nor is a unit outside it.
    let (status, body) = w
        .act(
            &w.officer,
            &id,
            "designate_managers",
            managers("情報通信課", "other@mod.example.jp"),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["fields"]["managers.0.manager"]
            .as_str()
            .unwrap()
            .contains("所属ではありません"),
        "{body}"
    );
    let (status, body) = w
        .act(
            &w.officer,
            &id,
            "designate_managers",
            managers("サイバー整備課", "staff@mod.example.jp"),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["fields"]["managers.0.unit"].is_string(),
        "{body}"
    );

    let (status, case) = w
        .act(
            &w.officer,
            &id,
            "designate_managers",
            managers("情報通信課", "staff@mod.example.jp"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["state"], "managers_designated");
    // A real designation: the manager holds the role in the unit, as its pages and "who
    // held the role that day" read it.
    let (_, me) = w.t.get(&w.bystander, "/api/v1/me").await;
    let roles: Vec<&Value> = me["roles"].as_array().unwrap().iter().collect();
    assert!(
        roles.iter().any(
            |r| r["role"] == "external_service_manager" && r["organisation"] == w.unit.as_str()
        ),
        "{me}"
    );
    // The manager designates an assistant; the officer, holding no manager role, may not.
    let assistant =
        json!({"fields": {"assistant_unit": "情報通信課", "assistant": "officer@mod.example.jp"}});
    let (status, _) = w
        .act(&w.officer, &id, "designate_assistant", assistant.clone())
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, case) = w
        .act(&w.bystander, &id, "designate_assistant", assistant)
        .await;
    assert_eq!(status, StatusCode::OK, "{case}");
    let (_, me) = w.t.get(&w.officer, "/api/v1/me").await;
    assert!(
        me["roles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["role"] == "external_service_assistant"),
        "{me}"
    );
}
