//! Persons, posts and designations with their history.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn designations_by_post_follow_whoever_holds_it() {
    let t = TestApp::with_admin().await;
    let c = t.admin().await;
    let org = t.org(&c, "甲社", "company", None).await;
    let post = t
        .create(
            &c,
            "/api/v1/posts",
            json!({"organisation": org, "name": "情報保証責任者"}),
        )
        .await;
    let (status, _) = t
        .post(
            &c,
            "/api/v1/posts",
            json!({"organisation": org, "name": "情報保証責任者"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let taro = t.person(&c, "甲 太郎", "taro@ko.example.jp", &org).await;
    t.create(
        &c,
        "/api/v1/designations",
        json!({"role": "administrator", "organisation": org, "post": post, "starts_on": "2026-04-01", "note": "甲社達第1号"}),
    )
    .await;
    let client = t.first_login("taro@ko.example.jp", "initial-pass-1").await;
    let (_, me) = t.get(&client, "/api/v1/me").await;
    assert_eq!(
        me["roles"].as_array().unwrap().len(),
        0,
        "holding no post yet"
    );
    t.create(
        &c,
        &format!("/api/v1/posts/{post}/holders"),
        json!({"person": taro, "starts_on": "2026-04-01"}),
    )
    .await;
    let (_, me) = t.get(&client, "/api/v1/me").await;
    assert_eq!(me["roles"][0]["role"], "administrator");
    let (_, post_body) = t.get(&c, &format!("/api/v1/posts/{post}")).await;
    assert_eq!(post_body["holders"][0]["person_name"], "甲 太郎");
}

#[tokio::test]
async fn ending_a_designation_keeps_its_history() {
    let t = TestApp::with_admin().await;
    let c = t.admin().await;
    let org = t.org(&c, "甲社", "company", None).await;
    let p = t.person(&c, "甲 太郎", "taro@ko.example.jp", &org).await;
    let d = t.designate(&c, "auditor", &org, &p).await;
    let (status, body) = t
        .post(
            &c,
            &format!("/api/v1/designations/{d}/end"),
            json!({"ends_on": "2019-12-31"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "before its start: {body}");
    assert!(body["error"]["fields"]["ends_on"].is_string());
    let (status, _) = t
        .post(
            &c,
            &format!("/api/v1/designations/{d}/end"),
            json!({"ends_on": "2020-06-30"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, list) = t.get(&c, &format!("/api/v1/designations?person={p}")).await;
    let item = &list["items"][0];
    assert_eq!(
        (item["ends_on"].as_str(), item["role"].as_str()),
        (Some("2020-06-30"), Some("auditor"))
    );
    assert!(item["designated_by"].is_string() && item["ended_by"].is_string());
    let (_, active) = t
        .get(
            &c,
            &format!("/api/v1/designations?person={p}&active_on=2021-01-01"),
        )
        .await;
    assert_eq!(active["items"].as_array().unwrap().len(), 0);
    let (_, then) = t
        .get(
            &c,
            &format!("/api/v1/designations?person={p}&active_on=2020-03-01"),
        )
        .await;
    assert_eq!(
        then["items"].as_array().unwrap().len(),
        1,
        "who held the role on a past day is a query"
    );
}

#[tokio::test]
async fn deactivating_a_person_ends_their_sessions() {
    let t = TestApp::with_admin().await;
    let c = t.admin().await;
    let org = t.org(&c, "甲社", "company", None).await;
    let p = t.person(&c, "甲 太郎", "taro@ko.example.jp", &org).await;
    let taro = t.first_login("taro@ko.example.jp", "initial-pass-1").await;
    let (status, body) = t
        .patch(
            &c,
            &format!("/api/v1/persons/{p}"),
            json!({"active": false}),
        )
        .await;
    assert_eq!(
        (status, body["active"].as_bool()),
        (StatusCode::OK, Some(false))
    );
    assert_eq!(t.get(&taro, "/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    let (status, _) = t
        .post(
            &t.client(),
            "/api/v1/session",
            json!({"email": "taro@ko.example.jp", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// A role held where one does not work reads what that organisation reads: designating a
/// subcontractor's employee as the Ministry's emergency contact needs the choice said.
#[tokio::test]
async fn someone_of_another_organisation_is_designated_only_when_that_is_said() {
    let t = TestApp::shipped(&crate::support::Hands::at("2026-12-02T01:00:00Z")).await;
    let sys = t.admin().await;
    let atla = t.org(&sys, "防衛装備庁", "agency", None).await;
    let sub = t.org(&sys, "丙社", "company", None).await;
    let worker = t
        .person(&sys, "丙 社員", "worker@hei.example.jp", &sub)
        .await;
    let body = |from_elsewhere: Option<bool>| {
        let mut b = serde_json::json!({
            "role": "emergency_contact", "organisation": atla, "person": worker,
            "starts_on": "2026-12-02"
        });
        if let Some(f) = from_elsewhere {
            b["from_another_organisation"] = serde_json::json!(f);
        }
        b
    };
    for unsaid in [None, Some(false)] {
        let (status, res) = t.post(&sys, "/api/v1/designations", body(unsaid)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{res}");
        assert!(
            res["error"]["fields"]["person"]
                .as_str()
                .unwrap()
                .contains("他の組織の人を指定する"),
            "{res}"
        );
    }
    let (_, list) = t
        .get(&sys, &format!("/api/v1/designations?person={worker}"))
        .await;
    assert_eq!(
        list["items"],
        serde_json::json!([]),
        "nothing was designated"
    );
    let (status, res) = t.post(&sys, "/api/v1/designations", body(Some(true))).await;
    assert_eq!(status, StatusCode::CREATED, "{res}");
    // Someone of the organisation itself, or of one below it, needs no such word.
    let desk = t.org(&sys, "装備政策部", "bureau", Some(&atla)).await;
    let officer = t
        .person(&sys, "装備 職員", "officer@atla.example.jp", &desk)
        .await;
    let (status, res) = t
        .post(
            &sys,
            "/api/v1/designations",
            serde_json::json!({"role": "emergency_contact", "organisation": atla, "person": officer, "starts_on": "2026-12-02"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{res}");
    // The page asks for the choice, and lists the organisation's own people first.
    let page = t
        .html(&sys, &format!("/designations/new?organisation={desk}"))
        .await;
    assert!(page.contains("name=\"from_elsewhere\""), "{page}");
    let own = page.find("装備 職員").unwrap();
    let other = page.find("丙 社員").unwrap();
    assert!(own < other, "{page}");
}

/// A role held where one does not work is marked where it is seen: on the organisation's
/// page beside the holder, with the organisation they belong to, and on the holder's page
/// beside the role. Someone of the organisation itself, or of one below it, is not marked.
#[tokio::test]
async fn a_role_held_outside_ones_organisation_is_marked_on_both_sides() {
    let t = TestApp::shipped(&crate::support::Hands::at("2026-12-02T01:00:00Z")).await;
    let sys = t.admin().await;
    let atla = t.org(&sys, "防衛装備庁", "agency", None).await;
    let desk = t.org(&sys, "装備政策部", "bureau", Some(&atla)).await;
    let sub = t.org(&sys, "丙電子株式会社", "company", None).await;
    let worker = t
        .person(&sys, "丙 社員", "worker@hei.example.jp", &sub)
        .await;
    let officer = t
        .person(&sys, "装備 職員", "officer@atla.example.jp", &desk)
        .await;
    for (person, from_elsewhere) in [(&worker, true), (&officer, false)] {
        t.create(
            &sys,
            "/api/v1/designations",
            json!({"role": "emergency_contact", "organisation": atla, "person": person,
                   "starts_on": "2026-12-02", "from_another_organisation": from_elsewhere}),
        )
        .await;
    }
    let browser = t
        .browser(crate::support::ADMIN_EMAIL, crate::support::ADMIN_PASSWORD)
        .await;

    let page = t.html(&browser, &format!("/organisations/{atla}")).await;
    let rows: Vec<&str> = page
        .split("<tr>")
        .filter(|r| r.contains("badge role"))
        .collect();
    let row_of = |name: &str| {
        *rows
            .iter()
            .find(|r| r.contains(name))
            .unwrap_or_else(|| panic!("no row for {name}: {page}"))
    };
    let worker_row = row_of("丙 社員");
    assert!(worker_row.contains("他組織からの指定"), "{worker_row}");
    assert!(
        worker_row.contains("丙電子株式会社の所属者です"),
        "{worker_row}"
    );
    let officer_row = row_of("装備 職員");
    assert!(!officer_row.contains("他組織からの指定"), "{officer_row}");
    assert!(!officer_row.contains("所属者です"), "{officer_row}");

    let page = t.html(&browser, &format!("/persons/{worker}")).await;
    assert!(page.contains("所属外の役割"), "{page}");
    assert!(
        page.contains("所属する組織の外で指定された役割です"),
        "{page}"
    );
    let page = t.html(&browser, &format!("/persons/{officer}")).await;
    assert!(page.contains("緊急窓口"), "{page}");
    assert!(!page.contains("所属外の役割"), "{page}");
}

/// Ending a designation on a day before it began shows the organisation page again, the
/// reason beside that designation's end-date field and the day as typed; nothing is ended.
/// A day on or after its start ends it.
#[tokio::test]
async fn an_end_before_the_start_is_shown_beside_the_field_with_the_day_kept() {
    let t = TestApp::shipped(&crate::support::Hands::at("2026-12-02T01:00:00Z")).await;
    let sys = t.admin().await;
    let org = t.org(&sys, "甲社", "company", None).await;
    let taro = t.person(&sys, "甲 太郎", "taro@ko.example.jp", &org).await;
    let id = t
        .create(
            &sys,
            "/api/v1/designations",
            json!({"role": "auditor", "organisation": org, "person": taro, "starts_on": "2026-12-10"}),
        )
        .await;
    let browser = t
        .browser(crate::support::ADMIN_EMAIL, crate::support::ADMIN_PASSWORD)
        .await;
    let back = format!("/organisations/{org}");
    let page = t.html(&browser, &back).await;
    let csrf = crate::auth::hidden(&page, "_csrf");
    let end = |day: &'static str| {
        browser
            .post(t.url(&format!("/designations/{id}/end")))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("back", back.as_str()),
                ("ends_on", day),
            ])
            .send()
    };

    let res = end("2026-12-05").await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("<h1>甲社</h1>"),
        "the organisation page: {html}"
    );
    let field = html
        .find(&format!("id=\"f-end-{id}\""))
        .expect("the end-date field");
    let message = html
        .find("終了日は開始日以降の日付にしてください。")
        .expect("the reason");
    let form_start = html[..field]
        .rfind(&format!("action=\"/designations/{id}/end\""))
        .unwrap();
    assert!(
        form_start < message && message < field,
        "the reason sits in that designation's form"
    );
    let input = &html[field..field + html[field..].find('>').unwrap()];
    assert!(input.contains("value=\"2026-12-05\""), "{input}");
    assert!(input.contains("aria-invalid=\"true\""), "{input}");
    let (_, d) = t.get(&sys, &format!("/api/v1/designations/{id}")).await;
    assert_eq!(d["ends_on"], serde_json::Value::Null, "not ended: {d}");

    let res = end("2026-12-10").await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()["location"],
        format!("{back}?notice=designation-ended").as_str()
    );
    let (_, d) = t.get(&sys, &format!("/api/v1/designations/{id}")).await;
    assert_eq!(d["ends_on"], "2026-12-10", "{d}");
}
