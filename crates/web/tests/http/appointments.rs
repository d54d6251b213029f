//! Designations made by a case's steps, and delegation, through the API, in the world of
//! seed 004: the CISO of a city appoints the deputy CISO (at most one) and dismisses them,
//! and delegates the CISO's role to the deputy while away; and of seed 003: a body's
//! system administrator designates an assistant by post. The libraries are test fixtures
//! (`fixtures/libraries/mod-duties`, `fixtures/libraries/mod-operations`).

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::support::TestApp;

fn libraries() -> Vec<mamori_library::Library> {
    crate::support::with_fixtures(&["mod-duties", "mod-operations"])
}

struct City {
    t: TestApp,
    admin: Client,
    city: String,
    ciso: Client,
    ciso_id: String,
    staff: Client,
    staff_id: String,
    outsider_email: &'static str,
}

/// 青葉市 with its CISO and a member of staff, and 隣町 with someone of its own.
async fn city() -> City {
    let t = TestApp::build(mamori_app::system_clock(), libraries(), |_| {})
        .await
        .add_admin()
        .await;
    let admin = t.admin().await;
    let city = t.org(&admin, "青葉市", "local_government", None).await;
    let town = t.org(&admin, "隣町", "local_government", None).await;
    let ciso_id = t
        .person(&admin, "最高 五郎", "ciso@city.example.jp", &city)
        .await;
    t.designate(&admin, "ciso", &city, &ciso_id).await;
    let staff_id = t
        .person(&admin, "副 六郎", "deputy@city.example.jp", &city)
        .await;
    t.person(&admin, "隣 七郎", "other@town.example.jp", &town)
        .await;
    City {
        ciso: t
            .first_login("ciso@city.example.jp", "initial-pass-1")
            .await,
        staff: t
            .first_login("deputy@city.example.jp", "initial-pass-1")
            .await,
        outsider_email: "other@town.example.jp",
        admin,
        city,
        ciso_id,
        staff_id,
        t,
    }
}

impl City {
    async fn appointment(&self, deputy: &str, starts_on: &str) -> String {
        self.t
            .create(
                &self.ciso,
                "/api/v1/cases",
                json!({"procedure": "mod-duties/deputy", "organisation": self.city,
                       "data": {"deputy": deputy, "starts_on": starts_on}}),
            )
            .await
    }

    /// The designations of `role` in force today for `person`.
    async fn held(&self, person: &str, role: &str) -> Vec<Value> {
        let today = tokyo_today();
        let (status, list) = self
            .t
            .get(
                &self.admin,
                &format!("/api/v1/designations?person={person}&active_on={today}"),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{list}");
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["role"] == role)
            .cloned()
            .collect()
    }
}

/// Today where the installation is (a designation's days are Japan's).
/// The id of the CISO's own designation, as the administrator lists it.
async fn ciso_designation(w: &City) -> String {
    let (_, list) =
        w.t.get(
            &w.admin,
            &format!("/api/v1/designations?person={}", w.ciso_id),
        )
        .await;
    list["items"][0]["id"].as_str().unwrap().to_owned()
}

fn tokyo_today() -> jiff::civil::Date {
    jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::get("Asia/Tokyo").unwrap())
        .date()
}

fn today() -> String {
    tokyo_today().to_string()
}

#[tokio::test]
async fn the_ciso_appoints_one_deputy_a_second_is_refused_and_dismissing_ends_the_role() {
    let w = city().await;
    let id = w.appointment("deputy@city.example.jp", &today()).await;
    let (status, case) = w.t.act(&w.ciso, &id, "appoint", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["state"], "appointed");
    let held = w.held(&w.staff_id, "deputy_ciso").await;
    assert_eq!(held.len(), 1, "the step designated the deputy");
    assert!(
        held[0]["note"].as_str().unwrap().contains("により指定"),
        "{}",
        held[0]
    );
    let (_, me) = w.t.get(&w.staff, "/api/v1/me").await;
    assert!(
        me["roles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["role"] == "deputy_ciso"),
        "{me}"
    );

    // 副CISO 「１人」: a second appointment is refused on its field, and nothing of the
    // action is written.
    let second = w.appointment("ciso@city.example.jp", &today()).await;
    let audit_before = w.t.audit_count().await;
    let (status, body) = w.t.act(&w.ciso, &second, "appoint", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let message = body["error"]["fields"]["deputy"].as_str().unwrap();
    assert!(message.contains("上限人数"), "{message}");
    let (_, still) = w.t.get(&w.ciso, &format!("/api/v1/cases/{second}")).await;
    assert_eq!(still["state"], "draft");
    assert!(w.held(&w.ciso_id, "deputy_ciso").await.is_empty());
    assert_eq!(
        w.t.audit_count().await,
        audit_before,
        "nothing of the refused action"
    );

    // Dismissing ends the designation today; its history stays.
    let (status, case) = w.t.act(&w.ciso, &id, "dismiss", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert!(w.held(&w.staff_id, "deputy_ciso").await.is_empty());
    let (_, all) =
        w.t.get(
            &w.admin,
            &format!("/api/v1/designations?person={}", w.staff_id),
        )
        .await;
    assert_eq!(all["items"].as_array().unwrap().len(), 1, "{all}");
    assert_eq!(all["items"][0]["ends_on"], today());
    w.t.verify_chain().await;
}

#[tokio::test]
async fn a_step_designates_only_the_organisations_own_people_and_known_people() {
    let w = city().await;
    // Someone of another city is not the CISO's to appoint.
    let id = w.appointment(w.outsider_email, &today()).await;
    let (status, body) = w.t.act(&w.ciso, &id, "appoint", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["fields"]["deputy"]
            .as_str()
            .unwrap()
            .contains("所属ではありません"),
        "{body}"
    );
    // Nobody of that address.
    let id = w.appointment("nobody@city.example.jp", &today()).await;
    let (status, body) = w.t.act(&w.ciso, &id, "appoint", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["fields"]["deputy"]
            .as_str()
            .unwrap()
            .contains("見つかりません"),
        "{body}"
    );
    // A term ending before it starts.
    let id =
        w.t.create(
            &w.ciso,
            "/api/v1/cases",
            json!({"procedure": "mod-duties/deputy", "organisation": w.city,
                   "data": {"deputy": "deputy@city.example.jp", "starts_on": "2027-04-01",
                            "ends_on": "2027-03-31"}}),
        )
        .await;
    let (status, body) = w.t.act(&w.ciso, &id, "appoint", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["fields"]["ends_on"].is_string(), "{body}");
    // Staff hold no CISO role: the step is not theirs.
    let (status, _) = w.t.act(&w.staff, &id, "appoint", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_ciso_delegates_to_the_deputy_for_a_period_and_what_the_deputy_does_says_so() {
    let w = city().await;
    let ciso_designation = ciso_designation(&w).await;
    let path = format!("/api/v1/designations/{ciso_designation}/delegations");
    let until = tokyo_today().saturating_add(jiff::Span::new().days(7));
    let body = json!({"person": w.staff_id, "starts_on": today(), "ends_on": until.to_string(),
                      "note": "出張中"});

    // Only the holder delegates: neither the member of staff nor the administrator.
    let (status, _) = w.t.post(&w.staff, &path, body.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = w.t.post(&w.admin, &path, body.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A delegation always ends, and not to oneself.
    let (status, bad) =
        w.t.post(
            &w.ciso,
            &path,
            json!({"person": w.staff_id, "starts_on": today(), "ends_on": ""}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    let (status, _) =
        w.t.post(
            &w.ciso,
            &path,
            json!({"person": w.ciso_id, "starts_on": today(), "ends_on": until.to_string()}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, made) = w.t.post(&w.ciso, &path, body).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let delegated = w.held(&w.staff_id, "ciso").await;
    assert_eq!(delegated.len(), 1);
    assert_eq!(delegated[0]["delegated_from"], ciso_designation.as_str());
    // A delegation is not delegated on.
    let (status, _) =
        w.t.post(
            &w.staff,
            &format!(
                "/api/v1/designations/{}/delegations",
                made["id"].as_str().unwrap()
            ),
            json!({"person": w.ciso_id, "starts_on": today(), "ends_on": until.to_string()}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The deputy puts the training plan to the committee as the CISO would.
    let id =
        w.t.create(
            &w.staff,
            "/api/v1/cases",
            json!({"procedure": "mod-duties/training_plan", "organisation": w.city,
                   "data": {"fiscal_year": "令和9年度", "plan": "全職員に年1回の研修"}}),
        )
        .await;
    let (status, case) = w.t.act(&w.staff, &id, "submit", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    let last = case["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["detail"]["delegated_by"], "最高 五郎", "{last}");
    assert!(
        last["sentence"]["ja"]
            .as_str()
            .unwrap()
            .contains("委任により"),
        "{last}"
    );
    // The CISO acting in their own right says nothing of it.
    let own =
        w.t.create(
            &w.ciso,
            "/api/v1/cases",
            json!({"procedure": "mod-duties/training_plan", "organisation": w.city,
                   "data": {"fiscal_year": "令和9年度", "plan": "幹部向け研修を追加"}}),
        )
        .await;
    let (_, case) = w.t.act(&w.ciso, &own, "submit", json!({})).await;
    let last = case["history"].as_array().unwrap().last().unwrap().clone();
    assert!(last["detail"].get("delegated_by").is_none(), "{last}");
}

#[tokio::test]
async fn a_role_the_library_does_not_let_be_delegated_is_nobodys_to_delegate() {
    let w = city().await;
    let lead =
        w.t.person(&w.admin, "統括 二郎", "lead@city.example.jp", &w.city)
            .await;
    let d =
        w.t.designate(&w.admin, "security_lead", &w.city, &lead)
            .await;
    let c =
        w.t.first_login("lead@city.example.jp", "initial-pass-1")
            .await;
    let until = tokyo_today().saturating_add(jiff::Span::new().days(3));
    let (status, body) =
        w.t.post(
            &c,
            &format!("/api/v1/designations/{d}/delegations"),
            json!({"person": w.staff_id, "starts_on": today(), "ends_on": until.to_string()}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
}

#[tokio::test]
async fn a_body_designates_an_assistant_by_post_and_whoever_fills_the_post_holds_the_role() {
    let t = TestApp::build(mamori_app::system_clock(), libraries(), |_| {})
        .await
        .add_admin()
        .await;
    let admin = t.admin().await;
    let bureau = t.org(&admin, "整備計画局", "ministry", None).await;
    let section = t
        .org(&admin, "施設計画課", "department", Some(&bureau))
        .await;
    let sysadmin = t
        .person(&admin, "管理 一郎", "sysadmin@mod.example.jp", &bureau)
        .await;
    t.designate(&admin, "system_administrator", &bureau, &sysadmin)
        .await;
    let chief = t
        .person(&admin, "課長 二郎", "chief@mod.example.jp", &section)
        .await;
    let post = t
        .create(
            &admin,
            "/api/v1/posts",
            json!({"organisation": section, "name": "施設計画課長"}),
        )
        .await;
    t.create(
        &admin,
        &format!("/api/v1/posts/{post}/holders"),
        json!({"person": chief, "starts_on": "2026-04-01"}),
    )
    .await;
    let c = t
        .first_login("sysadmin@mod.example.jp", "initial-pass-1")
        .await;
    let open = |post: &'static str| {
        json!({"procedure": "mod-operations/assistants", "organisation": bureau,
               "data": {"unit": "施設計画課", "post": post}})
    };
    // A post the unit does not have.
    let id = t
        .create(&c, "/api/v1/cases", open("施設計画課長補佐"))
        .await;
    let (status, body) = t.act(&c, &id, "notify", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["fields"]["post"]
            .as_str()
            .unwrap()
            .contains("役職"),
        "{body}"
    );

    let id = t.create(&c, "/api/v1/cases", open("施設計画課長")).await;
    let (status, case) = t.act(&c, &id, "notify", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    let (_, list) = t
        .get(
            &admin,
            &format!("/api/v1/designations?organisation={section}"),
        )
        .await;
    let made: Vec<&Value> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["role"] == "system_assistant")
        .collect();
    assert_eq!(made.len(), 1, "{list}");
    assert_eq!(made[0]["post"], post.as_str());
    let holder = t
        .first_login("chief@mod.example.jp", "initial-pass-1")
        .await;
    let (_, me) = t.get(&holder, "/api/v1/me").await;
    assert!(
        me["roles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["role"] == "system_assistant"),
        "{me}"
    );
}

#[tokio::test]
async fn the_ciso_delegates_from_their_own_page_and_a_mistake_keeps_what_was_typed() {
    let w = city().await;
    let browser =
        w.t.browser("ciso@city.example.jp", crate::support::PASSWORD)
            .await;
    let page = w.t.html(&browser, &format!("/persons/{}", w.ciso_id)).await;
    assert!(page.contains("data-test=\"delegate\""), "{page}");
    let link = page.split("href=\"/designations/").nth(1).unwrap();
    let designation = link.split('/').next().unwrap().to_owned();
    let form =
        w.t.html(&browser, &format!("/designations/{designation}/delegate"))
            .await;
    assert!(
        form.contains("副 六郎"),
        "the city's people to choose from: {form}"
    );
    let csrf = crate::auth::hidden(&form, "_csrf");
    let url = w.t.url(&format!("/designations/{designation}/delegate"));
    // No end day: refused on its field, the reason kept.
    let res = browser
        .post(&url)
        .form(&[
            ("_csrf", csrf.as_str()),
            ("person", w.staff_id.as_str()),
            ("starts_on", &today()),
            ("ends_on", ""),
            ("note", "出張中"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let again = res.text().await.unwrap();
    assert!(again.contains("value=\"出張中\""), "{again}");
    let until = tokyo_today()
        .saturating_add(jiff::Span::new().days(5))
        .to_string();
    let res = browser
        .post(&url)
        .form(&[
            ("_csrf", csrf.as_str()),
            ("person", w.staff_id.as_str()),
            ("starts_on", &today()),
            ("ends_on", &until),
            ("note", "出張中"),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        res.status().is_success() || res.status().is_redirection(),
        "{}",
        res.status()
    );
    assert_eq!(w.held(&w.staff_id, "ciso").await.len(), 1);
    // The deputy's own page badges the role as delegated, and offers no delegating on.
    let deputy =
        w.t.browser("deputy@city.example.jp", crate::support::PASSWORD)
            .await;
    let page = w.t.html(&deputy, &format!("/persons/{}", w.staff_id)).await;
    assert!(page.contains("data-test=\"delegated\""), "{page}");
    assert!(!page.contains("data-test=\"delegate\""));
}

#[tokio::test]
async fn whoever_delegated_takes_the_delegation_back_early_and_nobody_else_does() {
    let w = city().await;
    let ciso_designation = ciso_designation(&w).await;
    let until = tokyo_today().saturating_add(jiff::Span::new().days(7));
    let (status, made) =
        w.t.post(
            &w.ciso,
            &format!("/api/v1/designations/{ciso_designation}/delegations"),
            json!({"person": w.staff_id, "starts_on": today(), "ends_on": until.to_string()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let end = format!("/api/v1/designations/{}/end", made["id"].as_str().unwrap());
    // The delegate cannot make it last by ending something else; only whoever delegated
    // (or an administrator) ends it.
    let (status, _) = w.t.post(&w.staff, &end, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(w.held(&w.staff_id, "ciso").await.len(), 1);
    let (status, body) = w.t.post(&w.ciso, &end, json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert!(w.held(&w.staff_id, "ciso").await.is_empty());
    // The CISO's own designation is untouched.
    assert_eq!(w.held(&w.ciso_id, "ciso").await.len(), 1);
}
