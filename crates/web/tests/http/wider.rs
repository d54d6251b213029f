//! Routing below and beside, and announcements read receipts, through the API, in the
//! world of seed 003: the system's general manager announces maintenance to every system
//! administrator of the ministry; an attack reported in one body is passed to the
//! assistants of the other bodies. The library is a test fixture
//! (`fixtures/libraries/mod-operations`).

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::support::TestApp;

fn libraries() -> Vec<mamori_library::Library> {
    crate::support::with_fixtures(&["mod-operations"])
}

struct Ministry {
    t: TestApp,
    section: String,
    ground: String,
    manager: Client,
    ground_admin: Client,
    maritime_admin: Client,
    other_ministry_admin: Client,
    officer: Client,
    user: Client,
    ground_assistant: Client,
    maritime_assistant: Client,
    army_assistant: Client,
}

/// 防衛省 with 整備計画局 施設計画課 (where the general manager sits), two staff offices
/// (陸上幕僚監部, 海上幕僚監部) and an army below the first; another ministry, in a tree of
/// its own, operating a managed system of its own on the same installation.
async fn ministry() -> Ministry {
    let t = TestApp::build(mamori_app::system_clock(), libraries(), |_| {})
        .await
        .add_admin()
        .await;
    let admin = t.admin().await;
    let mod_ = t.org(&admin, "防衛省", "ministry", None).await;
    let bureau = t.org(&admin, "整備計画局", "bureau", Some(&mod_)).await;
    let section = t.org(&admin, "施設計画課", "unit", Some(&bureau)).await;
    let ground = t.org(&admin, "陸上幕僚監部", "agency", Some(&mod_)).await;
    let maritime = t.org(&admin, "海上幕僚監部", "agency", Some(&mod_)).await;
    let army = t.org(&admin, "北部方面隊", "unit", Some(&ground)).await;
    let other_ministry = t.org(&admin, "国土交通省", "ministry", None).await;
    let mut c = t
        .people(
            &admin,
            &[
                (
                    "統括 一郎",
                    "gm@mod.example.jp",
                    &section,
                    "general_manager",
                ),
                (
                    "陸幕 管理",
                    "ground@mod.example.jp",
                    &ground,
                    "system_administrator",
                ),
                (
                    "海幕 管理",
                    "maritime@mod.example.jp",
                    &maritime,
                    "system_administrator",
                ),
                (
                    "国交 管理",
                    "admin@mlit.example.jp",
                    &other_ministry,
                    "system_administrator",
                ),
                ("保証 責任", "officer@mod.example.jp", &mod_, "ia_officer"),
                ("陸幕 担当", "user@mod.example.jp", &ground, "user"),
                ("陸幕 補助", "ga@mod.example.jp", &ground, "ia_assistant"),
                ("海幕 補助", "ma@mod.example.jp", &maritime, "ia_assistant"),
                ("方面 補助", "aa@mod.example.jp", &army, "ia_assistant"),
            ],
        )
        .await
        .into_iter();
    let mut next = || c.next().unwrap();
    Ministry {
        manager: next(),
        ground_admin: next(),
        maritime_admin: next(),
        other_ministry_admin: next(),
        officer: next(),
        user: next(),
        ground_assistant: next(),
        maritime_assistant: next(),
        army_assistant: next(),
        section,
        ground,
        t,
    }
}

async fn told_about(t: &TestApp, c: &Client, case: &str) -> bool {
    let (status, list) = t.get(c, "/api/v1/notifications").await;
    assert_eq!(status, StatusCode::OK);
    list.as_array().unwrap().iter().any(|n| n["case"] == case)
}

fn told(case: &Value) -> Vec<(String, bool)> {
    case["told"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_owned(),
                t["read"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn an_announcement_reaches_every_administrator_of_the_tree_and_shows_who_read_it() {
    let w = ministry().await;
    let id =
        w.t.create(
            &w.manager,
            "/api/v1/cases",
            json!({"procedure": "mod-operations/announcement", "organisation": w.section,
                   "data": {"kind": "planned", "summary": "12月20日 9時〜12時 保守のため停止"}}),
        )
        .await;
    let (status, case) = w.t.act(&w.manager, &id, "announce", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{case}");

    // Every system administrator of the ministry's tree, however far from the section.
    assert!(told_about(&w.t, &w.ground_admin, &id).await);
    assert!(told_about(&w.t, &w.maritime_admin, &id).await);
    // Never another tree's: the other ministry's administrator is told nothing and reads
    // nothing.
    assert!(!told_about(&w.t, &w.other_ministry_admin, &id).await);
    let (status, _) =
        w.t.get(&w.other_ministry_admin, &format!("/api/v1/cases/{id}"))
            .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (_, case) = w.t.get(&w.manager, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(
        told(&case),
        [
            ("海幕 管理".to_owned(), false),
            ("陸幕 管理".to_owned(), false)
        ]
    );
    // Whoever was told may open it; opening it is reading it.
    let (status, seen) =
        w.t.get(&w.ground_admin, &format!("/api/v1/cases/{id}"))
            .await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    let (_, case) = w.t.get(&w.manager, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(
        told(&case),
        [
            ("海幕 管理".to_owned(), false),
            ("陸幕 管理".to_owned(), true)
        ]
    );
    let page = w.t.html(&w.manager, &format!("/cases/{id}")).await;
    assert!(
        page.contains("陸幕 管理（既読）"),
        "the page shows who has read it"
    );
    assert!(page.contains("海幕 管理（未読）"));
}

#[tokio::test]
async fn an_attack_in_one_body_is_passed_to_the_other_bodies_assistants_only() {
    let w = ministry().await;
    let id =
        w.t.create(
            &w.user,
            "/api/v1/cases",
            json!({"procedure": "mod-operations/alert", "organisation": w.ground,
                   "data": {"what_happened": "不審な通信を検知"}}),
        )
        .await;
    let (status, case) = w.t.act(&w.user, &id, "report", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert!(told_about(&w.t, &w.officer, &id).await);
    let (status, case) = w.t.act(&w.officer, &id, "alert_others", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    // 「事案発生機関以外の機関等」: the staff office beside, not the body itself nor below it.
    assert!(told_about(&w.t, &w.maritime_assistant, &id).await);
    assert!(!told_about(&w.t, &w.ground_assistant, &id).await);
    assert!(!told_about(&w.t, &w.army_assistant, &id).await);
    assert!(!told_about(&w.t, &w.other_ministry_admin, &id).await);
}
