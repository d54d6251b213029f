//! Roles held for a register row, through the API, in the world of seed 004: 青葉市 税務部 runs
//! two systems, each with its own 情報システム管理者 designated on the system's row; the yearly
//! system check of each system is its own manager's alone (`of: case_row`), not that of
//! someone holding the role in the department at large, nor the other system's manager.
//! Only an administrator over the keeping organisation designates, and only its own people.
//! The library is a test fixture (`fixtures/libraries/mod-yearly`).

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::support::{Hands, TestApp, with_fixtures};

struct City {
    t: TestApp,
    admin: Client,
    tax: String,
    /// 住民情報システム's manager.
    resident: Client,
    resident_id: String,
    /// 税務システム's manager.
    taxsys: Client,
    taxsys_id: String,
    /// Holds 情報システム管理者 in 税務部 at large and keeps the systems register.
    keeper: Client,
    /// 緑町's administrator.
    town_admin: Client,
    town_person: String,
    rows: Vec<String>,
}

async fn id_of(t: &TestApp, c: &Client) -> String {
    let (_, me) = t.get(c, "/api/v1/me").await;
    me["id"].as_str().unwrap().to_owned()
}

async fn city() -> City {
    let hands = Hands::at("2026-04-01T00:30:00Z");
    let t = TestApp::build(hands.clock(), with_fixtures(&["mod-yearly"]), |_| {})
        .await
        .add_admin()
        .await;
    let admin = t.admin().await;
    let city = t.org(&admin, "青葉市", "local_government", None).await;
    let tax = t.org(&admin, "税務部", "department", Some(&city)).await;
    let town = t.org(&admin, "緑町", "local_government", None).await;
    let mut people = t
        .people(
            &admin,
            &[
                ("基幹 三子", "resident@aoba.example.jp", &tax, "staff"),
                ("税務 四郎", "taxsys@aoba.example.jp", &tax, "staff"),
                (
                    "台帳 五郎",
                    "keeper@aoba.example.jp",
                    &tax,
                    "system_manager",
                ),
                ("緑 管理", "admin@midori.example.jp", &town, "administrator"),
            ],
        )
        .await
        .into_iter();
    let mut next = || people.next().unwrap();
    let (resident, taxsys, keeper, town_admin) = (next(), next(), next(), next());
    let town_person = t
        .person(&admin, "緑 職員", "staff@midori.example.jp", &town)
        .await;
    let mut rows = Vec::new();
    for name in ["住民情報システム", "税務システム"] {
        rows.push(
            t.create(
                &keeper,
                "/api/v1/registers/systems/rows",
                json!({"organisation": tax, "data": {"system_name": name}}),
            )
            .await,
        );
    }
    City {
        resident_id: id_of(&t, &resident).await,
        taxsys_id: id_of(&t, &taxsys).await,
        t,
        admin,
        tax,
        resident,
        taxsys,
        keeper,
        town_admin,
        town_person,
        rows,
    }
}

impl City {
    fn roles(&self, row: usize) -> String {
        format!("/api/v1/registers/systems/rows/{}/roles", self.rows[row])
    }

    async fn designate(&self, by: &Client, row: usize, person: &str) -> (StatusCode, Value) {
        self.t
            .post(
                by,
                &self.roles(row),
                json!({"role": "system_manager", "person": person, "starts_on": "2026-04-01"}),
            )
            .await
    }

    async fn inbox(&self, c: &Client) -> Vec<String> {
        let (status, body) = self.t.get(c, "/api/v1/inbox").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["title"].as_str().unwrap().to_owned())
            // Their own training is theirs too; the system checks are what is at stake.
            .filter(|t| t.starts_with("情報システムの自己点検"))
            .collect()
    }

    /// A system check's id, found in its manager's inbox.
    async fn case_id(&self, manager: &Client, title: &str) -> String {
        let (_, body) = self.t.get(manager, "/api/v1/inbox").await;
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["title"] == title)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn report(&self, c: &Client, id: &str) -> (StatusCode, Value) {
        self.t.act(c, id, "report", json!({})).await
    }
}

const RESIDENT: &str = "情報システムの自己点検 令和8年度 ／ 住民情報システム";
const TAXSYS: &str = "情報システムの自己点検 令和8年度 ／ 税務システム";

#[tokio::test]
async fn each_system_s_check_is_its_own_manager_s_alone() {
    let w = city().await;
    let (status, body) = w.designate(&w.admin, 0, &w.resident_id).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = w.designate(&w.admin, 1, &w.taxsys_id).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // One case per system, each opened for its manager, carrying the system's name (and
    // the two members of staff's training).
    assert_eq!(w.t.app.open_rounds().await.unwrap(), 4);
    assert_eq!(w.inbox(&w.resident).await, [RESIDENT]);
    assert_eq!(w.inbox(&w.taxsys).await, [TAXSYS]);
    assert!(
        w.inbox(&w.keeper).await.is_empty(),
        "the role held in the department at large is not the system's manager"
    );

    let id = w.case_id(&w.resident, RESIDENT).await;
    let taxsys_case = w.case_id(&w.taxsys, TAXSYS).await;
    // Neither the other system's manager nor the department's may report it.
    for c in [&w.taxsys, &w.keeper] {
        let (status, body) = w.report(c, &id).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }
    let (_, case) = w.t.get(&w.resident, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(case["data"]["system_name"], "住民情報システム", "{case}");
    let (status, body) = crate::support::send(
        &w.resident,
        reqwest::Method::PATCH,
        &w.t.url(&format!("/api/v1/cases/{id}")),
        Some(json!({"data": {"system_name": "住民情報システム", "checked_on": "2026-04-10", "results": "問題なし"}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = w.report(&w.resident, &id).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "reported");

    // The row lists who holds what for it.
    let (status, held) = w.t.get(&w.keeper, &w.roles(0)).await;
    assert_eq!(status, StatusCode::OK, "{held}");
    assert_eq!(held[0]["person_name"], "基幹 三子");
    assert_eq!(held[0]["role"], "system_manager");

    // Ended, the designation leaves the open check waiting on nobody: it leaves 四郎's
    // inbox and 四郎 may no longer report it.
    let id = {
        let (_, held) = w.t.get(&w.admin, &w.roles(1)).await;
        held[0]["id"].as_str().unwrap().to_owned()
    };
    assert_ne!(id, taxsys_case);
    let (status, body) =
        w.t.send_delete(&w.admin, &format!("{}/{id}", w.roles(1)))
            .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert!(w.inbox(&w.taxsys).await.is_empty());
    let (status, body) = w.report(&w.taxsys, &taxsys_case).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _) =
        w.t.send_delete(&w.admin, &format!("{}/{id}", w.roles(1)))
            .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "ended once");
}

#[tokio::test]
async fn only_the_keeper_s_administrators_designate_and_only_their_own_people() {
    let w = city().await;
    // 緑町's administrator has no say over 青葉市's systems.
    let (status, body) = w.designate(&w.town_admin, 0, &w.town_person).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _) = w.t.get(&w.town_admin, &w.roles(0)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Nor does the department's own system manager, who keeps the register.
    let (status, body) = w.designate(&w.keeper, 0, &w.resident_id).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // A person of another municipality cannot manage 青葉市's system.
    let (status, body) = w.designate(&w.admin, 0, &w.town_person).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["fields"]["person"].is_string(), "{body}");
    // Only a role the register holds for its rows.
    let (status, body) =
        w.t.post(
            &w.admin,
            &w.roles(0),
            json!({"role": "security_officer", "person": w.resident_id, "starts_on": "2026-04-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["fields"]["role"].is_string(), "{body}");
    let (status, body) = w
        .t
        .post(
            &w.admin,
            &w.roles(0),
            json!({"role": "system_manager", "person": w.resident_id, "starts_on": "2026-04-01", "ends_on": "2026-03-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["fields"]["ends_on"].is_string(), "{body}");
    let (_, held) = w.t.get(&w.admin, &w.roles(0)).await;
    assert_eq!(held, json!([]), "nothing was designated");
    assert!(!w.tax.is_empty());
}

#[tokio::test]
async fn the_row_page_designates_and_ends_with_what_was_typed_kept() {
    let w = city().await;
    let path = format!("/registers/systems/rows/{}", w.rows[0]);
    let admin =
        w.t.browser(crate::support::ADMIN_EMAIL, crate::support::ADMIN_PASSWORD)
            .await;
    let page = w.t.html(&admin, &path).await;
    assert!(page.contains("data-test=\"designate-row\""), "{page}");
    assert!(page.contains("まだ誰も指定されていません"), "{page}");
    // The keeper of the register reads the row but designates nobody.
    let keeper =
        w.t.browser("keeper@aoba.example.jp", crate::support::PASSWORD)
            .await;
    let kept = w.t.html(&keeper, &path).await;
    assert!(kept.contains("data-test=\"row-roles\""), "{kept}");
    assert!(!kept.contains("data-test=\"designate-row\""), "{kept}");

    let csrf = crate::auth::hidden(&page, "_csrf");
    let post = |form: Vec<(&'static str, String)>| {
        admin
            .post(w.t.url(&format!("{path}/roles")))
            .form(&form)
            .send()
    };
    // Nobody chosen: refused on the field, and the days typed stay.
    let res = post(vec![
        ("_csrf", csrf.clone()),
        ("role", "system_manager".into()),
        ("person", String::new()),
        ("starts_on", "2026-04-15".into()),
        ("ends_on", "2027-03-31".into()),
    ])
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let page = res.text().await.unwrap();
    assert!(page.contains("field-error"), "{page}");
    assert!(page.contains("value=\"2026-04-15\""), "{page}");
    assert!(page.contains("value=\"2027-03-31\""), "{page}");

    let res = post(vec![
        ("_csrf", csrf.clone()),
        ("role", "system_manager".into()),
        ("person", w.resident_id.clone()),
        ("starts_on", "2026-04-01".into()),
        ("ends_on", String::new()),
    ])
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = w.t.html(&admin, &path).await;
    assert!(page.contains("基幹 三子"), "{page}");
    let (_, held) = w.t.get(&w.admin, &w.roles(0)).await;
    let id = held[0]["id"].as_str().unwrap().to_owned();
    assert!(page.contains(&format!("/roles/{id}/end")), "{page}");
    let res = admin
        .post(w.t.url(&format!("{path}/roles/{id}/end")))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, held) = w.t.get(&w.admin, &w.roles(0)).await;
    assert!(held[0]["ended_at"].is_string(), "{held}");
    let page = w.t.html(&admin, &path).await;
    assert!(page.contains("まだ誰も指定されていません"), "{page}");
}

#[tokio::test]
async fn a_check_is_capped_at_its_system_s_class_and_stays_with_its_system() {
    let w = city().await;
    // 住民情報システム handles C2 information at most.
    let (status, body) =
        w.t.patch(
            &w.keeper,
            &format!("/api/v1/registers/systems/rows/{}", w.rows[0]),
            json!({"data": {"confidentiality": "c2"}, "comment": "格付の登録"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    w.designate(&w.admin, 0, &w.resident_id).await;
    w.designate(&w.admin, 1, &w.taxsys_id).await;
    w.t.app.open_rounds().await.unwrap();
    let id = w.case_id(&w.resident, RESIDENT).await;
    let case = format!("/api/v1/cases/{id}");
    let (_, body) = w.t.get(&w.resident, &case).await;
    assert_eq!(
        body["data"]["confidentiality"], "c2",
        "the check starts with the system's class"
    );

    let save = |data: Value| w.t.patch(&w.resident, &case, json!({ "data": data }));
    let (status, body) =
        save(json!({"system_name": "住民情報システム", "confidentiality": "c3"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let message = body["error"]["fields"]["confidentiality"].as_str().unwrap();
    assert!(message.contains("「機密性2」"), "{message}");
    assert!(message.contains("情報システム台帳"), "{message}");
    let (_, body) = w.t.get(&w.resident, &case).await;
    assert_eq!(body["data"]["confidentiality"], "c2", "nothing was saved");

    // 三子 cannot turn the check into one of 税務システム, which 四郎 manages.
    let (status, body) = save(json!({"system_name": "税務システム"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        w.inbox(&w.taxsys).await == [TAXSYS],
        "四郎 has only his own"
    );
}
