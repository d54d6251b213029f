//! Separation of duties (兼務の禁止), joint permissions and two-person work, through the
//! API, in the world of seed 004: a city's staff ask to install software, which the lead
//! information security officer (統括) and an information system manager must both permit;
//! a system change is confirmed by two managers. The library is a test fixture
//! (`fixtures/libraries/mod-duties`).

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestApp, history_actions};

/// The shipped libraries and the fixture.
fn libraries() -> Vec<mamori_library::Library> {
    crate::support::with_fixtures(&["mod-duties"])
}

struct City {
    t: TestApp,
    division: String,
    staff: Client,
    lead: Client,
    manager: Client,
    second_manager: Client,
    ciso: Client,
}

/// 市 with its 情報政策課: a member of staff in the division; the CISO, the 統括 and two
/// system managers designated for the whole city.
async fn city() -> City {
    let t = TestApp::build(mamori_app::system_clock(), libraries(), |_| {})
        .await
        .add_admin()
        .await;
    let admin = t.admin().await;
    let city = t.org(&admin, "青葉市", "local_government", None).await;
    let division = t.org(&admin, "情報政策課", "department", Some(&city)).await;
    let mut clients = t
        .people(
            &admin,
            &[
                ("職員 一郎", "staff@city.example.jp", &division, "staff"),
                ("統括 二郎", "lead@city.example.jp", &city, "security_lead"),
                (
                    "管理 三郎",
                    "manager@city.example.jp",
                    &city,
                    "system_manager",
                ),
                (
                    "管理 四郎",
                    "manager2@city.example.jp",
                    &city,
                    "system_manager",
                ),
                ("最高 五郎", "ciso@city.example.jp", &city, "ciso"),
            ],
        )
        .await
        .into_iter();
    let mut next = || clients.next().unwrap();
    City {
        staff: next(),
        lead: next(),
        manager: next(),
        second_manager: next(),
        ciso: next(),
        division,
        t,
    }
}

impl City {
    /// A request to install software, opened and submitted by `c` for the division.
    async fn request(&self, c: &Client, software: &str) -> String {
        let id = self
            .t
            .create(
                c,
                "/api/v1/cases",
                json!({"procedure": "mod-duties/software", "organisation": self.division,
                       "data": {"software_name": software, "purpose": "議事録の作成に使う"}}),
            )
            .await;
        let (status, body) = self.t.act(c, &id, "submit", json!({})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        id
    }

    async fn case(&self, c: &Client, id: &str) -> Value {
        let (status, case) = self.t.get(c, &format!("/api/v1/cases/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{case}");
        case
    }

    async fn take(&self, c: &Client, id: &str, action: &str, body: Value) -> (StatusCode, Value) {
        self.t
            .post(c, &format!("/api/v1/cases/{id}/actions/{action}"), body)
            .await
    }
}

fn awaited(case: &Value) -> Vec<&str> {
    case["awaited"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect()
}

fn action<'a>(case: &'a Value, id: &str) -> Option<&'a Value> {
    case["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == id)
}

#[tokio::test]
async fn both_the_lead_and_a_system_manager_permit_each_once_and_one_refusal_refuses() {
    let w = city().await;
    let id = w.request(&w.staff, "議事録作成ソフト").await;

    // Staff hold neither role: refused before anything is looked at.
    let (status, _) = w.take(&w.staff, &id, "permit", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The 統括 permits first: recorded, but the case waits on a system manager still.
    let before = w.case(&w.lead, &id).await;
    assert_eq!(action(&before, "permit").unwrap()["tally"], json!([0, 2]));
    let (status, case) = w.take(&w.lead, &id, "permit", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["state"], "review");
    let last = case["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "permit");
    assert_eq!(last["detail"]["decided"], true);
    assert_eq!(last["detail"]["party"], 0);
    assert!(last["detail"].get("completes").is_none(), "{last}");
    assert!(
        last["sentence"]["ja"]
            .as_str()
            .unwrap()
            .contains("全員がそろうと成立します"),
        "{last}"
    );

    // The same person cannot give the second permission, and nothing is written.
    let (status, body) = w.take(&w.lead, &id, "permit", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("すでに"),
        "{body}"
    );
    let again = w.case(&w.lead, &id).await;
    assert_eq!(history_actions(&again), history_actions(&case));
    let shown = action(&again, "permit").unwrap();
    assert_eq!(shown["tally"], json!([1, 2]));
    assert!(!shown["unmet"].as_array().unwrap().is_empty(), "{shown}");

    // Only the system managers are waited on now: the lead's inbox no longer holds it.
    assert!(!w.t.inbox_ids(&w.lead).await.contains(&id));
    assert!(w.t.inbox_ids(&w.manager).await.contains(&id));

    // A system manager permits: now it counts.
    let (status, case) = w.take(&w.manager, &id, "permit", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["state"], "permitted");
    let last = case["history"].as_array().unwrap().last().unwrap();
    assert_eq!(last["detail"]["completes"], true);
    assert_eq!(last["detail"]["party"], 1);

    // Another request: the lead permits, a system manager refuses — one refusal refuses.
    let id = w.request(&w.staff, "画像編集ソフト").await;
    let (status, _) = w.take(&w.lead, &id, "permit", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, case) = w
        .take(
            &w.second_manager,
            &id,
            "refuse",
            json!({"comment": "既存の許可ソフトで足りる"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["state"], "refused");
    assert!(awaited(&case).is_empty(), "{case}");
    w.t.verify_chain().await;
}

#[tokio::test]
async fn whoever_applied_may_not_permit_unless_unavoidable_and_the_ciso_sees_every_exception() {
    let w = city().await;
    // A system manager asks for software themselves.
    let id = w.request(&w.manager, "監視ツール").await;

    // Their own permission is refused, naming the exception the library allows.
    let page = w.case(&w.manager, &id).await;
    let shown = action(&page, "permit").unwrap();
    assert_eq!(shown["unavoidable"], true, "{shown}");
    let (status, body) = w.take(&w.manager, &id, "permit", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("やむを得ない場合に限り"),
        "{body}"
    );
    // An empty reason is no reason.
    let (status, _) = w
        .take(&w.manager, &id, "permit", json!({"unavoidable": "   "}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // Refusing has no exception at all.
    let (status, body) = w
        .take(&w.manager, &id, "refuse", json!({"comment": "取り下げ"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        !body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("やむを得ない"),
        "{body}"
    );
    assert_eq!(
        history_actions(&w.case(&w.manager, &id).await),
        ["open", "submit"],
        "a refusal writes nothing"
    );
    let (_, none) = w.t.get(&w.ciso, "/api/v1/overrides").await;
    assert_eq!(none, json!([]));

    // With a reason it is taken, marked, told to the CISO and listed for them.
    let reason = "他の情報システム管理者が長期不在のため";
    let (status, case) = w
        .take(&w.manager, &id, "permit", json!({"unavoidable": reason}))
        .await;
    assert_eq!(status, StatusCode::OK, "{case}");
    let last = case["history"].as_array().unwrap().last().unwrap();
    assert_eq!(last["detail"]["unavoidable"], reason);
    assert!(
        last["sentence"]["ja"].as_str().unwrap().contains(reason),
        "{last}"
    );
    let (status, listed) = w.t.get(&w.ciso, "/api/v1/overrides").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["case"], id.as_str());
    assert_eq!(listed[0]["reason"], reason);
    assert_eq!(listed[0]["actor"], "管理 三郎");
    let (_, told) = w.t.get(&w.ciso, "/api/v1/notifications").await;
    assert!(
        told.as_array()
            .unwrap()
            .iter()
            .any(|n| n["case"] == id.as_str()),
        "{told}"
    );
    // Nobody else oversees it.
    for c in [&w.staff, &w.lead, &w.manager] {
        let (_, other) = w.t.get(c, "/api/v1/overrides").await;
        assert_eq!(other, json!([]));
    }
    // The audit trail keeps the reason.
    let (_, audit) = w.t.get(&w.t.admin().await, "/api/v1/audit?limit=200").await;
    assert!(
        audit.to_string().contains(reason),
        "the audit event carries the reason"
    );

    // The 統括 still has to permit: one person's exception does not stand for both.
    assert_eq!(w.case(&w.lead, &id).await["state"], "review");
    let (status, case) = w.take(&w.lead, &id, "permit", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["state"], "permitted");
}

#[tokio::test]
async fn a_system_change_is_confirmed_by_two_different_managers() {
    let w = city().await;
    let id =
        w.t.create(
            &w.manager,
            "/api/v1/cases",
            json!({"procedure": "mod-duties/change", "organisation": w.division,
                   "data": {"change_summary": "ファイアウォールの設定変更"}}),
        )
        .await;
    let (status, body) = w.t.act(&w.manager, &id, "submit", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, case) = w.take(&w.manager, &id, "confirm", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["state"], "checking", "one person is not two");
    let (status, _) = w.take(&w.manager, &id, "confirm", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, case) = w.take(&w.second_manager, &id, "confirm", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["state"], "confirmed");
    assert_eq!(
        history_actions(&case),
        ["open", "submit", "confirm", "confirm"]
    );
}

#[tokio::test]
async fn an_exception_taken_in_an_emergency_waits_on_the_ciso_who_ratifies_or_rejects_it() {
    let w = city().await;
    let open = |rule: &'static str| {
        let w = &w;
        async move {
            let id =
                w.t.create(
                    &w.manager,
                    "/api/v1/cases",
                    json!({"procedure": "mod-duties/exception", "organisation": w.division,
                           "data": {"rule": rule, "measure": "一時的に外部記録媒体を使う"}}),
                )
                .await;
            let (status, body) = w.t.act(&w.manager, &id, "submit", json!({})).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            id
        }
    };
    let id = open("外部記録媒体の使用禁止").await;

    // Without the permission the measure is refused, and the page offers the emergency.
    let (status, body) = w.take(&w.manager, &id, "take_measure", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let page = w.case(&w.manager, &id).await;
    assert_eq!(action(&page, "take_measure").unwrap()["emergency"], true);
    // An emergency where the library gives none is refused.
    let (status, body) = w
        .take(
            &w.manager,
            &id,
            "end_measure",
            json!({"emergency": "急ぐため"}),
        )
        .await;
    assert_ne!(status, StatusCode::OK, "{body}");

    // In an emergency it is taken now, with the reason, and reported to the CISO.
    let reason = "災害対応で庁内ネットワークが使えないため";
    let (status, case) = w
        .take(
            &w.manager,
            &id,
            "take_measure",
            json!({"emergency": reason}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["state"], "in_effect");
    let pending = case["emergencies"].as_array().unwrap();
    assert_eq!(pending.len(), 1, "{case}");
    assert_eq!(pending[0]["reason"], reason);
    assert_eq!(
        pending[0]["may_ratify"], false,
        "not the manager's to ratify"
    );
    assert!(pending[0]["due"].is_string(), "{case}");
    assert!(
        pending[0]["due_note"]["ja"]
            .as_str()
            .unwrap()
            .contains("mamori の既定値"),
        "the figure says where it comes from"
    );
    let seq = pending[0]["seq"].as_i64().unwrap();
    let (status, listed) = w.t.get(&w.ciso, "/api/v1/emergencies").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["reason"], reason);
    assert!(
        w.t.inbox_ids(&w.ciso).await.contains(&id),
        "it waits on the CISO"
    );
    for c in [&w.staff, &w.lead, &w.manager] {
        let (_, none) = w.t.get(c, "/api/v1/emergencies").await;
        assert_eq!(none, json!([]));
    }

    // Only the CISO ratifies; a seq that is no emergency is nothing.
    let path = format!("/api/v1/cases/{id}/emergencies/{seq}");
    let (status, _) = w.t.post(&w.manager, &path, json!({"accept": true})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) =
        w.t.post(
            &w.ciso,
            &format!("/api/v1/cases/{id}/emergencies/1"),
            json!({"accept": true}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, case) =
        w.t.post(
            &w.ciso,
            &path,
            json!({"accept": true, "comment": "やむを得ない対応と認める"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert!(case["emergencies"].as_array().unwrap().is_empty());
    let last = case["history"].as_array().unwrap().last().unwrap();
    assert_eq!(last["action"], "emergency.ratify");
    assert!(
        last["sentence"]["ja"]
            .as_str()
            .unwrap()
            .contains("追認しました"),
        "{last}"
    );
    let (_, listed) = w.t.get(&w.ciso, "/api/v1/emergencies").await;
    assert_eq!(listed, json!([]));
    assert!(!w.t.inbox_ids(&w.ciso).await.contains(&id));
    // Ratified once: not again.
    let (status, _) = w.t.post(&w.ciso, &path, json!({"accept": false})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A rejection is kept too, and the manager is told.
    let id = open("私物端末の業務利用禁止").await;
    let (status, case) = w
        .take(
            &w.manager,
            &id,
            "take_measure",
            json!({"emergency": "庁舎停電のため"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{case}");
    let seq = case["emergencies"][0]["seq"].as_i64().unwrap();
    let (status, case) =
        w.t.post(
            &w.ciso,
            &format!("/api/v1/cases/{id}/emergencies/{seq}"),
            json!({"accept": false, "comment": "代替手段があった"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{case}");
    let last = case["history"].as_array().unwrap().last().unwrap();
    assert_eq!(last["action"], "emergency.reject");
    assert_eq!(last["detail"]["rejected"], true);
    let (_, told) = w.t.get(&w.manager, "/api/v1/notifications").await;
    assert!(
        told.as_array().unwrap().iter().any(|n| n["subject"]
            .as_str()
            .unwrap()
            .contains("認められませんでした")),
        "{told}"
    );
    w.t.verify_chain().await;
}

#[tokio::test]
async fn a_second_deputy_ciso_is_refused_until_the_first_stands_down() {
    let w = city().await;
    let admin = w.t.admin().await;
    let (status, orgs) = w.t.get(&admin, "/api/v1/organisations").await;
    assert_eq!(status, StatusCode::OK);
    let city_id = orgs["items"]
        .as_array()
        .or(orgs.as_array())
        .unwrap()
        .iter()
        .find(|o| o["name"] == "青葉市")
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .unwrap();
    let first =
        w.t.person(&admin, "副 六郎", "deputy@city.example.jp", &city_id)
            .await;
    let second =
        w.t.person(&admin, "副 七郎", "deputy2@city.example.jp", &city_id)
            .await;
    let held = w.t.designate(&admin, "deputy_ciso", &city_id, &first).await;
    let body = json!({"role": "deputy_ciso", "organisation": city_id, "person": second,
                      "starts_on": "2020-01-01"});
    let (status, refused) = w.t.post(&admin, "/api/v1/designations", body.clone()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert!(
        refused["error"]["fields"]["role"]
            .as_str()
            .unwrap()
            .contains("上限"),
        "{refused}"
    );
    // Once the first stands down, the second may be designated.
    let (status, ended) =
        w.t.post(
            &admin,
            &format!("/api/v1/designations/{held}/end"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{ended}");
    // Over the years the first held it, a second is still one too many.
    let (status, _) = w.t.post(&admin, "/api/v1/designations", body.clone()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let today = jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::get("Asia/Tokyo").unwrap())
        .date()
        .to_string();
    let body = json!({"role": "deputy_ciso", "organisation": city_id, "person": second,
                      "starts_on": today});
    let (status, body) = w.t.post(&admin, "/api/v1/designations", body).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}
