//! Classification on ordered axes, through the API, in the world of seed 004: 青葉市 総務部's
//! staff move information assets classified on 機密性, 完全性 and 可用性 (2(1)). C2 and above
//! wait for the security manager's permission (2(2)⑧(イ)) and may not go through a
//! terms-of-service external service (8.2(1)); the asset ledger's rows carry the class of the
//! case that wrote them; a case, a ledger export and a case's files are containers that take
//! the highest class of what they hold (2(2)⑤(ウ)); a ceiling refuses what lies above it.
//! The library is a test fixture (`fixtures/libraries/mod-classes`).

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Hands, TestApp, send, with_fixtures};

struct City {
    t: TestApp,
    general: String,
    staff: Client,
    manager: Client,
}

async fn city_with(libraries: Vec<mamori_library::Library>) -> City {
    let hands = Hands::at("2026-06-01T00:00:00Z");
    let t = TestApp::build(hands.clock(), libraries, |_| {})
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
                ("職員 一郎", "staff@aoba.example.jp", &general, "staff"),
                (
                    "総務 課長",
                    "manager@aoba.example.jp",
                    &general,
                    "security_manager",
                ),
            ],
        )
        .await
        .into_iter();
    City {
        staff: people.next().unwrap(),
        manager: people.next().unwrap(),
        t,
        general,
    }
}

async fn city() -> City {
    city_with(with_fixtures(&["mod-classes"])).await
}

impl City {
    async fn draft(&self, data: Value) -> String {
        self.t
            .create(
                &self.staff,
                "/api/v1/cases",
                json!({"procedure": "mod-classes/transport", "organisation": self.general, "data": data}),
            )
            .await
    }

    async fn case(&self, id: &str) -> Value {
        let (status, case) = self
            .t
            .get(&self.staff, &format!("/api/v1/cases/{id}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{case}");
        case
    }

    async fn ledger(&self) -> Vec<Value> {
        let (status, list) = self
            .t
            .get(&self.manager, "/api/v1/registers/assets/rows")
            .await;
        assert_eq!(status, StatusCode::OK, "{list}");
        list["rows"].as_array().unwrap().clone()
    }
}

#[tokio::test]
async fn the_class_gates_handling_and_the_rows_written_carry_it() {
    let w = city().await;
    // A C1 asset is moved on the staff member's own record and the ledger row says C1.
    let minutes = w
        .draft(json!({"confidentiality": "c1", "integrity": "i1", "asset": "会議次第", "destination": "市民会館"}))
        .await;
    let (status, body) = w.t.act(&w.staff, &minutes, "submit", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(w.case(&minutes).await["state"], "moved");
    let rows = w.ledger().await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["data"]["confidentiality"], "c1");
    assert_eq!(rows[0]["data"]["integrity"], "i1");
    assert_eq!(rows[0]["data"]["last_moved_to"], "市民会館");

    // A C2 asset may not go through a terms-of-service service: refused with the clause,
    // and the case stays as it was.
    let roster = w
        .draft(json!({"confidentiality": "c2", "integrity": "i2", "asset": "職員名簿", "destination": "支所", "terms_of_service": true}))
        .await;
    let (status, body) = w.t.act(&w.staff, &roster, "submit", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("8.2(1)"), "{message}");
    let case = w.case(&roster).await;
    assert_eq!(case["state"], "draft");
    assert_eq!(
        case["data"]["terms_of_service"], true,
        "what was typed is kept"
    );
    assert_eq!(case["mark"]["label"]["ja"], "機密性2・完全性2");

    // Carried by hand instead, it waits for the manager's permission (2(2)⑧(イ)) and only
    // then reaches the ledger, with its class.
    let (status, body) = send(
            &w.staff,
            Method::PATCH,
            &w.t.url(&format!("/api/v1/cases/{roster}")),
            Some(json!({"data": {"confidentiality": "c2", "integrity": "i2", "asset": "職員名簿", "destination": "支所", "terms_of_service": false}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = w.t.act(&w.staff, &roster, "submit", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(w.case(&roster).await["state"], "requested");
    assert_eq!(w.ledger().await.len(), 1, "not moved before permission");
    let (status, body) = w.t.act(&w.manager, &roster, "permit", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let rows = w.ledger().await;
    let row = rows
        .iter()
        .find(|r| r["data"]["asset"] == "職員名簿")
        .unwrap();
    assert_eq!(row["data"]["confidentiality"], "c2");
    assert_eq!(row["data"]["integrity"], "i2");

    // The ledger's export is a container: printed with the highest level of each axis.
    let bytes = w
        .manager
        .get(w.t.url("/api/v1/registers/assets/export.xlsx"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let table = mamori_sheets::read(&bytes, mamori_sheets::Limits::default()).unwrap();
    assert_eq!(table.meta("mark"), Some("機密性2・完全性2"));

    // The axis is required: a record left unclassified is refused on its field.
    let bare = w
        .draft(json!({"asset": "庁舎図面", "destination": "本庁"}))
        .await;
    let (status, body) = w.t.act(&w.staff, &bare, "submit", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        body["error"]["fields"]["confidentiality"],
        "「機密性」を入力してください。"
    );
}

#[tokio::test]
async fn a_ceiling_refuses_a_record_above_it_with_its_reason() {
    let base = with_fixtures(&["mod-classes"]);
    let fixture = base.iter().find(|l| l.id() == "mod-classes").unwrap();
    let adapted = mamori_app::adapt_installation(
        fixture,
        "ceilings:\n  - axis: confidentiality\n    level: c2\n    reason: { ja: 本システムは機密性3の情報を扱わない（青葉市情報セキュリティ対策基準） }\n",
    )
    .unwrap();
    let libraries = base
        .into_iter()
        .filter(|l| l.id() != "mod-classes")
        .chain([adapted])
        .collect();
    let w = city_with(libraries).await;
    let draft = w
        .draft(json!({"confidentiality": "c2", "asset": "税務資料", "destination": "支所"}))
        .await;
    let (status, body) = send(
        &w.staff,
        Method::PATCH,
        &w.t.url(&format!("/api/v1/cases/{draft}")),
        Some(
            json!({"data": {"confidentiality": "c3", "asset": "税務資料", "destination": "支所"}}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let message = body["error"]["fields"]["confidentiality"].as_str().unwrap();
    assert!(message.contains("「機密性2」"), "{message}");
    assert!(
        message.contains("青葉市情報セキュリティ対策基準"),
        "{message}"
    );
    assert_eq!(
        w.case(&draft).await["data"]["confidentiality"],
        "c2",
        "kept"
    );

    // A ledger row typed by hand meets the same ceiling.
    let (status, body) = w
        .t
        .post(
            &w.manager,
            "/api/v1/registers/assets/rows",
            json!({"organisation": w.general, "data": {"asset": "庁内ネットワーク構成図", "confidentiality": "c3"}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["fields"]["confidentiality"].is_string(),
        "{body}"
    );
    assert!(w.ledger().await.is_empty());

    // The form says so before anyone tries.
    let page =
        w.t.html(
            &w.staff,
            &format!(
                "/cases/new?procedure=mod-classes%2Ftransport&organisation={}",
                w.general
            ),
        )
        .await;
    assert!(page.contains("扱えるのは「機密性2」まで"), "{page}");
}

#[tokio::test]
async fn a_case_keeps_the_highest_class_of_the_files_it_holds() {
    let w = city().await;
    let id = w
        .draft(json!({"confidentiality": "c2", "asset": "選挙人名簿抄本", "destination": "投票所"}))
        .await;
    let (status, body) =
        w.t.attach_for(&w.staff, &id, "", "抄本.csv", "氏名,住所\n".as_bytes())
            .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        body["class"], "機密性2",
        "a file takes the class of its case"
    );

    // Reclassified down, the case still holds a C2 file: it stays C2 as a container, on its
    // listing and on every document.
    let (status, body) = send(
            &w.staff,
            Method::PATCH,
            &w.t.url(&format!("/api/v1/cases/{id}")),
            Some(json!({"data": {"confidentiality": "c1", "asset": "選挙人名簿抄本", "destination": "投票所"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let case = w.case(&id).await;
    assert_eq!(case["data"]["confidentiality"], "c1");
    assert_eq!(case["mark"]["label"]["ja"], "機密性2", "{case}");
    let (_, list) = w.t.get(&w.staff, "/api/v1/cases").await;
    let line = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id.as_str())
        .unwrap();
    assert_eq!(line["mark"]["label"]["ja"], "機密性2");
    let text = w
        .staff
        .get(w.t.url(&format!("/api/v1/cases/{id}/documents/record.txt")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(text.lines().next(), Some("【機密性2】"), "{text}");

    // A C3 case is read only by those who need to know: not by the administrator over
    // every organisation, who reads the C2 one.
    let secret = w
        .draft(json!({"confidentiality": "c3", "asset": "庁内ネットワーク構成図", "destination": "委託先"}))
        .await;
    let case = w.case(&secret).await;
    assert_eq!(case["mark"]["need_to_know"], true);
    let admin = w.t.admin().await;
    let (status, _) = w.t.get(&admin, &format!("/api/v1/cases/{secret}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = w.t.get(&admin, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(status, StatusCode::OK);
}
