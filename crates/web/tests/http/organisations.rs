//! The organisation tree and its relations through the API.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn create_read_update_move_and_delete() {
    let t = TestApp::with_admin().await;
    let c = t.admin().await;
    let mod_ = t.org(&c, "防衛省", "ministry", None).await;
    let atla = t.org(&c, "防衛装備庁", "agency", Some(&mod_)).await;
    let office = t.org(&c, "情報システム管理室", "unit", Some(&atla)).await;

    let (status, body) = t.get(&c, &format!("/api/v1/organisations/{office}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (
            body["name"].as_str(),
            body["kind"].as_str(),
            body["parent"].as_str()
        ),
        (
            Some("情報システム管理室"),
            Some("unit"),
            Some(atla.as_str())
        )
    );

    let (status, body) = t
        .patch(
            &c,
            &format!("/api/v1/organisations/{office}"),
            json!({"name": "情報システム室"}),
        )
        .await;
    assert_eq!(
        (status, body["name"].as_str()),
        (StatusCode::OK, Some("情報システム室"))
    );

    let (status, list) = t
        .get(&c, &format!("/api/v1/organisations?parent={mod_}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["total"], 1);

    // Moving the agency under its own office would be a cycle.
    let (status, body) = t
        .patch(
            &c,
            &format!("/api/v1/organisations/{atla}"),
            json!({"parent": office}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("rule_violated"))
    );
    // Moving the office to the top works, and its subtree follows.
    let (status, body) = t
        .patch(
            &c,
            &format!("/api/v1/organisations/{office}"),
            json!({"parent": null}),
        )
        .await;
    assert_eq!(
        (status, body["parent"].clone()),
        (StatusCode::OK, serde_json::Value::Null)
    );
    let ancestors = mamori_storage::organisations::ancestors(&t.db, office.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(ancestors.len(), 1);

    // A non-empty organisation cannot be deleted; an empty one can.
    let (status, _) = send(
        &c,
        Method::DELETE,
        &t.url(&format!("/api/v1/organisations/{mod_}")),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = send(
        &c,
        Method::DELETE,
        &t.url(&format!("/api/v1/organisations/{office}")),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        t.get(&c, &format!("/api/v1/organisations/{office}"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    t.verify_chain().await;
}

#[tokio::test]
async fn relations_are_recorded_once_and_shown_to_both_sides() {
    let t = TestApp::with_admin().await;
    let c = t.admin().await;
    let atla = t.org(&c, "防衛装備庁", "agency", None).await;
    let prime = t.org(&c, "甲重工業", "company", None).await;
    let sub = t.org(&c, "乙電子", "company", None).await;
    t.create(
        &c,
        &format!("/api/v1/organisations/{prime}/relations"),
        json!({"kind": "contracts_with", "other": atla}),
    )
    .await;
    let rel = t
        .create(
            &c,
            &format!("/api/v1/organisations/{sub}/relations"),
            json!({"kind": "subcontractor_of", "other": prime}),
        )
        .await;
    let (status, body) = t
        .post(
            &c,
            &format!("/api/v1/organisations/{sub}/relations"),
            json!({"kind": "subcontractor_of", "other": prime}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("conflict"))
    );
    let (status, body) = t
        .post(
            &c,
            &format!("/api/v1/organisations/{sub}/relations"),
            json!({"kind": "subcontractor_of", "other": sub}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (_, rels) = t
        .get(&c, &format!("/api/v1/organisations/{prime}/relations"))
        .await;
    assert_eq!(rels.as_array().unwrap().len(), 2);

    // A member of the subcontractor sees the prime's record through the relation, not its people.
    t.person(&c, "乙 一郎", "ichiro@otsu.example.jp", &sub)
        .await;
    let ichiro = t
        .first_login("ichiro@otsu.example.jp", "initial-pass-1")
        .await;
    assert_eq!(
        t.get(&ichiro, &format!("/api/v1/organisations/{prime}"))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        t.get(&ichiro, &format!("/api/v1/persons?organisation={prime}"))
            .await
            .1["total"],
        0
    );
    assert_eq!(
        t.get(&ichiro, &format!("/api/v1/organisations/{atla}"))
            .await
            .0,
        StatusCode::FORBIDDEN
    );

    let (status, _) = send(
        &c,
        Method::DELETE,
        &t.url(&format!("/api/v1/relations/{rel}")),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        t.get(&ichiro, &format!("/api/v1/organisations/{prime}"))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn only_system_administrators_create_top_level_organisations() {
    let t = TestApp::with_admin().await;
    let c = t.admin().await;
    let org = t.org(&c, "甲社", "company", None).await;
    let p = t.person(&c, "甲 管理", "kanri@ko.example.jp", &org).await;
    t.designate(&c, "administrator", &org, &p).await;
    let a = t.first_login("kanri@ko.example.jp", "initial-pass-1").await;
    let (status, _) = t
        .post(
            &a,
            "/api/v1/organisations",
            json!({"name": "勝手な組織", "kind": "company"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let site = t.org(&a, "甲社 名古屋拠点", "site", Some(&org)).await;
    assert!(!site.is_empty());
}

#[tokio::test]
async fn the_breadcrumb_shows_only_what_the_reader_may_open() {
    let t = TestApp::with_admin().await;
    let c = t.admin().await;
    let company = t.org(&c, "甲重工業", "company", None).await;
    let site = t
        .org(&c, "甲重工業 名古屋事業所", "site", Some(&company))
        .await;
    t.person(&c, "拠点 一郎", "ichiro@ko.example.jp", &site)
        .await;
    let page = t.html(&c, &format!("/organisations/{site}")).await;
    assert!(page.contains("breadcrumb") && page.contains(&format!("/organisations/{company}")));
    // A member of the site sees the site, not the company above it.
    let member = t
        .first_login("ichiro@ko.example.jp", "initial-pass-1")
        .await;
    let page = t.html(&member, &format!("/organisations/{site}")).await;
    assert!(page.contains("甲重工業 名古屋事業所"));
    assert!(
        !page.contains(&format!("/organisations/{company}")),
        "no link to what the member cannot open"
    );
}

#[tokio::test]
async fn a_page_lists_its_first_fifty_units_and_links_to_all_of_them() {
    let t = TestApp::with_admin().await;
    let c = t.admin().await;
    let city = t.org(&c, "札幌市", "local_government", None).await;
    for i in 1..=51 {
        t.org(&c, &format!("課{i:02}"), "unit", Some(&city)).await;
    }
    let b = t.browser(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let page = t.html(&b, &format!("/organisations/{city}")).await;
    let children = page
        .split("id=\"children-h\"")
        .nth(1)
        .and_then(|s| s.split("</section>").next())
        .unwrap();
    assert!(
        children.contains("課50") && !children.contains("課51"),
        "{children}"
    );
    let link = format!("/organisations?parent={city}");
    assert!(children.contains(&link), "{children}");
    let all = t.html(&b, &link).await;
    // The 51 below it, and not itself; paged with the filter kept.
    assert!(all.contains("全 51 件"), "{all}");
    assert!(
        all.contains(&format!("parent={city}&amp;offset=50")),
        "{all}"
    );
}
