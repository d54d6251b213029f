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
